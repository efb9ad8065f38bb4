"""Reader agreement statistics against psych 2.2.9 (R code: tests/r/agreement.R).

The ratings (25 cases, DSS 0-6, three readers) are written inline; the same
vectors are in the R script::

    library(psych)
    r1 <- c(5,4,4,6,4,5,5,0,0,2,2,6,6,1,3,5,0,5,0,3,5,2,2,1,5)
    r2 <- c(6,4,4,6,4,5,6,1,0,2,1,6,6,0,3,4,0,5,0,4,5,2,2,1,5)
    r3 <- c(6,4,4,6,4,6,5,1,0,3,1,6,6,0,4,6,0,5,0,3,6,2,2,1,5)
"""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from spinestats.analysis.agreement.fleiss_kappa import fleiss_kappa
from spinestats.analysis.agreement.icc import icc
from spinestats.analysis.agreement.kappa import cohen_kappa, weight_matrix
from spinestats.errors import DataError

R1 = [5, 4, 4, 6, 4, 5, 5, 0, 0, 2, 2, 6, 6, 1, 3, 5, 0, 5, 0, 3, 5, 2, 2, 1, 5]
R2 = [6, 4, 4, 6, 4, 5, 6, 1, 0, 2, 1, 6, 6, 0, 3, 4, 0, 5, 0, 4, 5, 2, 2, 1, 5]
R3 = [6, 4, 4, 6, 4, 6, 5, 1, 0, 3, 1, 6, 6, 0, 4, 6, 0, 5, 0, 3, 6, 2, 2, 1, 5]
TOL = 1e-9  # closed forms


def test_unweighted_kappa_matches_psych():
    # ck <- cohen.kappa(cbind(r1, r2)); ck$kappa; ck$var.kappa; ck$confid[1,]
    # 0.670433145009 0.0106469911602 | 0.468195714977 0.670433145009 0.872670575042
    k = cohen_kappa(R1, R2)
    assert_allclose(k.estimate, 0.670433145009, rtol=TOL)
    assert_allclose(k.se**2, 0.0106469911602, rtol=TOL)
    assert_allclose([k.lower, k.upper], [0.468195714977, 0.872670575042], rtol=TOL)


def test_binary_kappa_matches_psych_and_clips_at_one():
    # b1 <- as.integer(r1 >= 4); b2 <- as.integer(r2 >= 4); cb <- cohen.kappa(cbind(b1, b2))
    # 0.91961414791 0.00616332408546 | 0.765743566989 0.91961414791 1   (upper clipped to 1)
    b1 = [int(v >= 4) for v in R1]
    b2 = [int(v >= 4) for v in R2]
    k = cohen_kappa(b1, b2)
    assert_allclose(k.estimate, 0.91961414791, rtol=TOL)
    assert_allclose(k.se**2, 0.00616332408546, rtol=TOL)
    assert_allclose(k.lower, 0.765743566989, rtol=TOL)
    assert k.upper == 1.0
    assert any("set to" in w for w in k.warnings)


def test_weighted_kappa_estimates_match_psych():
    # cohen.kappa(cbind(r1, r2))$weighted.kappa  (psych default: quadratic) 0.968129666727
    # W <- 1 - abs(outer(1:7, 1:7, "-"))/6; cohen.kappa(cbind(r1, r2), w=W)$weighted.kappa 0.882154882155
    assert_allclose(cohen_kappa(R1, R2, weights="quadratic").estimate, 0.968129666727, rtol=TOL)
    assert_allclose(cohen_kappa(R1, R2, weights="linear").estimate, 0.882154882155, rtol=TOL)


def test_weighted_kappa_variance_is_fleiss_cohen_everitt():
    # psych's var.weighted is 0 here (its formula went negative and was set to 0),
    # so we test the published FCE (1969) formula written out in R (fce() in tests/r/agreement.R):
    # fce_quad 0.968129666727 0.000126361530616 ; fce_lin 0.882154882155 0.00147787568
    assert_allclose(cohen_kappa(R1, R2, weights="quadratic").se ** 2, 0.000126361530616, rtol=TOL)
    assert_allclose(cohen_kappa(R1, R2, weights="linear").se ** 2, 0.00147787568, rtol=1e-8)


@pytest.mark.parametrize("weights", ["none", "linear", "quadratic"])
def test_kappa_variance_equals_delta_method(weights):
    # identity: the FCE variance is the delta-method variance of kappa(p) under
    # multinomial sampling, (1/n) g'(diag(p) - pp')g with g = d kappa / d p.
    k = cohen_kappa(R1, R2, weights=weights)
    labels = list(k.categories)
    c = len(labels)
    p = np.zeros((c, c))
    for a, b in zip(R1, R2):
        p[labels.index(a), labels.index(b)] += 1
    n = p.sum()
    p = (p / n).ravel()
    w = weight_matrix(c, weights)

    def kap(q):
        q = q.reshape(c, c)
        po = np.sum(w * q)
        pc = np.sum(w * np.outer(q.sum(1), q.sum(0)))
        return (po - pc) / (1 - pc)

    h = 1e-7
    g = np.array([(kap(p + h * e) - kap(p - h * e)) / (2 * h) for e in np.eye(c * c)])
    var = g @ (np.diag(p) - np.outer(p, p)) @ g / n
    assert_allclose(k.se**2, var, rtol=1e-6)


def test_kappa_refuses_missing_and_unequal_lengths():
    with pytest.raises(DataError, match="missing"):
        cohen_kappa([1, 2, None], [1, 2, 3])
    with pytest.raises(DataError, match="different numbers"):
        cohen_kappa([1, 2], [1, 2, 3])


ICC_R = {
    # ic <- ICC(cbind(r1, r2, r3), lmer=FALSE); ic$results
    #  type ICC F df1 df2 p lower upper
    "ICC1": (0.963718117684, 80.6858974359, 24, 50, 4.83013702105e-32, 0.931471018633, 0.982556531060),
    "ICC2": (0.963729365264, 82.8092105263, 24, 48, 2.83846874063e-31, 0.931361207889, 0.982578394056),
    "ICC3": (0.964626483593, 82.8092105263, 24, 48, 2.83846874063e-31, 0.932736697060, 0.983051442258),
    "ICC1k": (0.987606260427, 80.6858974359, 24, 50, 4.83013702105e-32, 0.976063440868, 0.994117098210),
    "ICC2k": (0.987610197760, 82.8092105263, 24, 48, 2.83846874063e-31, 0.976023245659, 0.994124558265),
    "ICC3k": (0.987924048622, 82.8092105263, 24, 48, 2.83846874063e-31, 0.976526285996, 0.994285917110),
}


@pytest.mark.parametrize("type_", list(ICC_R))
def test_icc_matches_psych(type_):
    res = icc(np.column_stack([R1, R2, R3]))
    e = res.get(type_)
    est, f, df1, df2, p, lo, hi = ICC_R[type_]
    assert_allclose([e["estimate"], e["F"], e["lower"], e["upper"]], [est, f, lo, hi], rtol=TOL)
    assert (e["df1"], e["df2"]) == (df1, df2)
    assert_allclose(e["p"], p, rtol=1e-6)


def test_icc_frame_has_six_types_and_refuses_missing():
    res = icc(pd.DataFrame({"a": R1, "b": R2}))
    assert list(res.to_frame()["type"]) == ["ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k"]
    with pytest.raises(DataError, match="missing"):
        icc(np.array([[1.0, 2.0], [np.nan, 1.0], [3.0, 3.0]]))


def test_fleiss_kappa_matches_irr_formula():
    # fleiss(cbind(r1, r2, r3)) in tests/r/agreement.R (irr::kappam.fleiss written out):
    # 0.636536030341 0.0491192337383 12.9589975636 0
    r = fleiss_kappa(np.column_stack([R1, R2, R3]))
    assert_allclose([r.estimate, r.se, r.z], [0.636536030341, 0.0491192337383, 12.9589975636], rtol=TOL)
    assert r.p_value < 1e-30


def test_fleiss_kappa_wikipedia_worked_example():
    # The worked example of Fleiss' kappa (10 subjects, 14 raters, 5 categories):
    # P-bar = 0.378, P_e = 0.213, kappa = 0.210 (hand computation, three decimals).
    counts = np.array([
        [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
    ])
    ratings = np.array([np.repeat(np.arange(5), row) for row in counts])
    r = fleiss_kappa(ratings)
    assert round(r.estimate, 3) == 0.210
    assert r.n_cases == 10 and r.n_raters == 14


def test_two_raters_fleiss_close_to_scott_pi():
    # identity: with 2 raters Fleiss' kappa equals Scott's pi
    r = fleiss_kappa(np.column_stack([R1, R2]))
    a, b = np.array(R1), np.array(R2)
    po = np.mean(a == b)
    cats = np.union1d(a, b)
    pe = sum(((np.sum(a == c) + np.sum(b == c)) / (2 * len(a))) ** 2 for c in cats)
    # Fleiss' P-bar with m=2 equals po exactly; kappa = (po - pe)/(1 - pe)
    assert_allclose(r.estimate, (po - pe) / (1 - pe), rtol=1e-12)

"""Per-visit descriptives and paired tests against R (stats package, R 4.2).

The R code that produced each value sits beside it.  Closed forms: 1e-6
(the exact signed-rank p is a ratio of integers: 1e-12).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from spinestats.analysis.longitudinal.paired_tests import holm, paired_test, paired_vs_baseline, signrank_cdf, wilcoxon_signed_rank
from spinestats.analysis.longitudinal.visit_summary import summarise_visits

PRE = np.array([7, 8, 6, 9, 5, 7, 8, 6, 9, 10.0])
POST = np.array([3, 5, 4, 2, 4, 1, 6, 5, 0, 7.0])
PRE2 = np.array([8, 7, 9, 6, 10, 7, 8, 5, 9, 6, 8, 10.0])
D2 = np.array([-6, -2, -8, 1, -5, -4, -7, 3, -3.5, 0.5, 2.5, -9])


def test_paired_t_equals_t_test():
    # t <- t.test(post, pre, paired = TRUE)
    # c(t$estimate, t$conf.int, t$statistic, t$parameter, t$p.value)
    r = paired_test(POST, PRE)
    assert_allclose([r.mean_diff, *r.ci, r.t, r.df, r.p],
                    [-3.8, -5.73131644773, -1.86868355227, -4.45095221383, 9, 0.00159799679402], rtol=1e-6)
    # Cohen's dz = mean(d) / sd(d); rank-biserial = (W+ - W-) / (W+ + W-) with no positive difference = -1
    d = POST - PRE
    assert r.cohen_dz == pytest.approx(d.mean() / d.std(ddof=1), rel=1e-12)
    assert r.rank_biserial == pytest.approx(-1.0)


def test_wilcoxon_ties_use_normal_approximation():
    # w <- wilcox.test(post, pre, paired = TRUE)  # warning: cannot compute exact p-value with ties
    # c(w$statistic, w$p.value) -> V = 0
    v, p, n, exact = wilcoxon_signed_rank(POST - PRE)
    assert (v, n, exact) == (0.0, 10, False)
    assert p == pytest.approx(0.00582502419946, rel=1e-6)


def test_wilcoxon_exact_without_ties_or_zeros():
    post2 = PRE2 + D2
    # pre2 <- c(8,7,9,6,10,7,8,5,9,6,8,10); d <- c(-6,-2,-8,1,-5,-4,-7,3,-3.5,0.5,2.5,-9); post2 <- pre2 + d
    # w <- wilcox.test(post2, pre2, paired = TRUE)   # "Wilcoxon signed rank exact test"
    v, p, n, exact = wilcoxon_signed_rank(post2 - PRE2)
    assert exact and n == 12
    assert v == 12.0  # R's V = W+ (SciPy would report min(W+, W-))
    assert p == pytest.approx(0.0341796875, rel=1e-12)
    # wilcox.test(post2[1:5], pre2[1:5], paired = TRUE): V = 1, p = 0.125 (exact)
    v, p, n, exact = wilcoxon_signed_rank(post2[:5] - PRE2[:5])
    assert (v, exact) == (1.0, True)
    assert p == pytest.approx(0.125, rel=1e-12)


def test_wilcoxon_zeros_drop_and_go_normal():
    # pre3 <- c(7,7,8,6,9,5,8); post3 <- c(7,3,2,6,4,6,1)
    # wilcox.test(post3, pre3, paired = TRUE): V = 1, p = 0.105645429202 (zeros -> normal, corrected)
    pre3 = np.array([7, 7, 8, 6, 9, 5, 8.0])
    post3 = np.array([7, 3, 2, 6, 4, 6, 1.0])
    v, p, n, exact = wilcoxon_signed_rank(post3 - pre3)
    assert (v, n, exact) == (1.0, 5, False)
    assert p == pytest.approx(0.105645429202, rel=1e-6)


def test_wilcoxon_50_or_more_pairs_go_normal():
    # d55 <- (1:55) * ifelse((1:55) %% 3 == 0, 1, -1) / 10; pre55 <- rep(5, 55)
    # wilcox.test(pre55 + d55, pre55, paired = TRUE): V = 513, p = 0.0316266626067
    k = np.arange(1, 56)
    d = (5 + k * np.where(k % 3 == 0, 1, -1) / 10) - 5
    v, p, n, exact = wilcoxon_signed_rank(d)
    assert (v, exact) == (513.0, False)
    assert p == pytest.approx(0.0316266626067, rel=1e-6)


def test_signrank_cdf_identities():
    # psignrank(q, n): symmetric, sums to 1; psignrank(3, 5) = 5/32
    assert signrank_cdf(15, 5) == 1.0
    assert signrank_cdf(3, 5) == pytest.approx(5 / 32)
    n, top = 9, 45
    for q in range(top):
        assert signrank_cdf(q, n) == pytest.approx(1 - signrank_cdf(top - q - 1, n), abs=1e-15)


def test_holm_equals_p_adjust():
    # p.adjust(c(0.01, 0.04, 0.03, 0.005, NA), "holm")
    assert_allclose(holm([0.01, 0.04, 0.03, 0.005, np.nan]), [0.03, 0.06, 0.06, 0.02, np.nan], rtol=1e-12)


def test_visit_summary_quantile_type_7():
    # x <- c(1, 2, 2, 3, 7, 8, 10, 4); quantile(x, c(.25, .5, .75), type = 7) -> 2, 3.5, 7.25
    long = pd.DataFrame({"pid": range(8), "visit": "baseline", "nrs": [1, 2, 2, 3, 7, 8, 10, 4]})
    t = summarise_visits(long, value="nrs", visit="visit", subject="pid", visits=["baseline"]).to_frame()
    assert_allclose(t.loc[0, ["q1", "median", "q3"]].astype(float), [2, 3.5, 7.25], rtol=1e-12)
    x = np.array([1, 2, 2, 3, 7, 8, 10, 4.0])
    # t.test(x)$conf.int
    assert t.loc[0, "sd"] == pytest.approx(x.std(ddof=1))


def long_pairs():
    ids = [f"P{i}" for i in range(10)]
    rows = [(i, "baseline", b) for i, b in zip(ids, PRE)] + [(i, "1m", a) for i, a in zip(ids, POST)]
    rows += [("P0", "3m", 2.0), ("P1", "3m", 4.0), ("P2", "3m", 3.0), ("PX", "baseline", 9.0)]  # PX: baseline only
    return pd.DataFrame(rows, columns=["patient_id", "visit", "nrs"])


def test_paired_vs_baseline_pairs_and_holm():
    res = paired_vs_baseline(long_pairs(), value="nrs", visit="visit", subject="patient_id",
                             visits=["baseline", "1m", "3m"])
    t = res.to_frame()
    assert list(t["visit"]) == ["1m", "3m"]
    assert list(t["n"]) == [10, 3]  # PX (baseline only) is in no pair
    assert t.loc[0, "p"] == pytest.approx(0.00159799679402, rel=1e-6)
    assert_allclose(t["p_holm"], holm(t["p"]), rtol=1e-12)
    assert t.loc[0, "p_holm"] == pytest.approx(min(1, 2 * t["p"].min()))


def test_single_pair_gives_nan_and_warning():
    long = long_pairs()
    long = long[~((long["visit"] == "3m") & (long["patient_id"] != "P0"))]
    res = paired_vs_baseline(long, value="nrs", visit="visit", subject="patient_id", visits=["baseline", "1m", "3m"])
    row = res.to_frame().set_index("visit").loc["3m"]
    assert row["n"] == 1 and np.isnan(row["t"]) and np.isnan(row["p"])
    assert any("only 1 complete pair" in w for w in res.warnings)

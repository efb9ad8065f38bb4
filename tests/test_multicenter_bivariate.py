"""Reitsma bivariate model against metafor rma.mv (bivariate, UN, REML).

R code (tests/r/multicenter_bivariate.R; mada is not installed, so the
equivalent rma.mv fit is the reference)::

    library(metafor)
    tp <- c(49, 55, 24, 19, 26, 35, 44, 34, 48, 23); fn <- c(10, 4, 1, 9, 6, 7, 8, 5, 11, 11)
    fp <- c(31, 11, 21, 9, 9, 13, 14, 8, 25, 6); tn <- c(83, 76, 76, 49, 78, 91, 96, 101, 92, 44)
    k <- length(tp)
    y <- c(rbind(log(tp/fn), log(fp/tn))); v <- c(rbind(1/tp + 1/fn, 1/fp + 1/tn))
    d <- data.frame(study=rep(1:k, each=2),
                    outcome=factor(rep(c("sens", "fpr"), k), levels=c("sens", "fpr")), yi=y, vi=v)
    r <- rma.mv(yi, vi, mods=~outcome-1, random=~outcome|study, struct="UN", method="REML", data=d,
                control=list(optimizer="optim", optmethod="Nelder-Mead", reltol=1e-15, maxit=100000))
    coef(r); vcov(r); r$tau2; r$rho; logLik(r)

The counts were drawn once from the bivariate model with
``numpy.random.default_rng(11)`` (mu = (1.5, -2), tau = (0.6, 0.7), rho = 0.3).
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from spinestats.analysis.pooling.bivariate_meta import reitsma
from spinestats.errors import DataError

TP = [49, 55, 24, 19, 26, 35, 44, 34, 48, 23]
FN = [10, 4, 1, 9, 6, 7, 8, 5, 11, 11]
FP = [31, 11, 21, 9, 9, 13, 14, 8, 25, 6]
TN = [83, 76, 76, 49, 78, 91, 96, 101, 92, 44]
ITER = 1e-5


@pytest.fixture(scope="module")
def fit():
    return reitsma(TP, FP, FN, TN)


def test_fixed_effects_and_vcov_match_rma_mv(fit):
    # mu 1.53692987227 -1.71765739343
    # vcov 0.0311241724762 -0.000431287081726 -0.000431287081726 0.0243239847903
    assert_allclose(fit.mu, [1.53692987227, -1.71765739343], rtol=ITER)
    assert_allclose(np.array(fit.vcov).ravel(),
                    [0.0311241724762, -0.000431287081726, -0.000431287081726, 0.0243239847903], rtol=ITER)


def test_variance_components_match_rma_mv(fit):
    # tau2 0.123023786062 0.149245246162 rho -0.0318433533461 ll -14.8374845096
    assert_allclose([fit.tau2_sensitivity, fit.tau2_fpr], [0.123023786062, 0.149245246162], rtol=ITER)
    assert_allclose(fit.rho, -0.0318433533461, rtol=1e-4, atol=ITER)
    assert_allclose(fit.loglik_reml, -14.8374845096, rtol=1e-8)


def test_summary_point_and_sroc_identities(fit):
    expit = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    assert_allclose(fit.sensitivity["estimate"], expit(fit.mu[0]), rtol=1e-12)
    assert_allclose(fit.specificity["estimate"], 1 - expit(fit.mu[1]), rtol=1e-12)
    lo, hi = fit.specificity["ci"]
    assert lo < fit.specificity["estimate"] < hi
    # the Rutter-Gatsonis SROC passes through the summary point with slope tau_se/tau_fpr on the logit scale
    fpr = np.array(fit.sroc["fpr"])
    sens = np.array(fit.sroc["sensitivity"])
    lf, ls = np.log(fpr / (1 - fpr)), np.log(sens / (1 - sens))
    slope = np.polyfit(lf, ls, 1)[0]
    assert_allclose(slope, np.sqrt(fit.tau2_sensitivity / fit.tau2_fpr), rtol=1e-9)
    assert_allclose(np.interp(fit.mu[1], lf, ls), fit.mu[0], atol=1e-3)
    # Harbord: logit Se = Lambda exp(-beta/2) + exp(-beta) logit FPR
    b, lam = fit.sroc["beta"], fit.sroc["lambda"]
    assert_allclose(ls, lam * np.exp(-b / 2) + np.exp(-b) * lf, rtol=1e-9)
    assert 0.5 < fit.sroc_auc < 1


def test_prediction_region_contains_confidence_region(fit):
    cr_f = np.array(fit.confidence_region["fpr"])
    pr_f = np.array(fit.prediction_region["fpr"])
    assert pr_f.min() < cr_f.min() and pr_f.max() > cr_f.max()


def test_zero_cells_get_stated_correction():
    tp = list(TP)
    fp = list(FP)
    fp[2] = 0
    r = reitsma(tp, fp, FN, TN, labels=[f"C{i}" for i in range(10)])
    assert r.continuity_correction == 0.5
    assert any("C2" in w and "0.5" in w for w in r.warnings)
    with pytest.raises(DataError, match="zero cells in C2"):
        reitsma(tp, fp, FN, TN, labels=[f"C{i}" for i in range(10)], correction=0)


def test_sroc_auc_trapezoid_is_scipys_to_the_bit(fit):
    """The SROC AUC's trapezoidal rule is written in NumPy (issue 16: scipy.integrate is not imported);
    it is scipy.integrate.trapezoid's arithmetic term for term, so every number is the same bit."""
    from scipy import integrate

    from spinestats.analysis.pooling.bivariate_meta import _expit, _logit, _trapezoid

    full = np.linspace(1e-6, 1 - 1e-6, 2001)
    slope = np.sqrt(fit.tau2_sensitivity / fit.tau2_fpr)
    curve = _expit(fit.mu[0] + slope * (_logit(full) - fit.mu[1]))
    assert fit.sroc_auc == float(integrate.trapezoid(curve, full))
    rng = np.random.default_rng(16)
    x = np.sort(rng.uniform(0, 1, 57))
    for y, xs in ((rng.normal(size=57), x), (np.full(57, 0.25), x), (np.array([0.2, 0.9]), np.array([0.0, 1.0])),
                  (np.array([1.0, 3.0, 2.0]), np.array([0.0, 0.0, 1.0]))):  # a tie in x: a zero-width step
        assert _trapezoid(y, xs) == float(integrate.trapezoid(y, xs))
    assert _trapezoid(np.array([0.2, 0.9]), np.array([0.0, 1.0])) == 0.55
    assert _trapezoid(np.array([5.0]), np.array([0.3])) == 0.0  # one point: no area

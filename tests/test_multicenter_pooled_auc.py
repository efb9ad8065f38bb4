"""Pooled AUC and O:E ratio against metafor (R code: tests/r/multicenter_pooled_auc.R).

metamisc is not installed; valmeta's logit-AUC and log(O/E) pooling with
Knapp-Hartung equals metafor ``rma(yi, vi, method="REML", test="knha")`` on the
transformed inputs, which is what the R script runs::

    auc <- c(0.86, 0.91, 0.78, 0.88, 0.83, 0.93); se <- c(0.04, 0.03, 0.06, 0.05, 0.045, 0.028)
    r <- rma(qlogis(auc), se^2/(auc*(1-auc))^2, method="REML", test="knha")
    plogis(c(r$b, r$ci.lb, r$ci.ub)); r$tau2
    plogis(as.vector(r$b) + c(-1, 1)*qt(0.975, 6-2)*sqrt(r$se^2 + r$tau2))   # Riley's PI
"""

import pytest
from numpy.testing import assert_allclose

from spinestats.analysis.pooling.pooled_auc import pool_auc, pool_calibration_slope, pool_oe_ratio
from spinestats.errors import DataError

ITER = 1e-5


def test_pooled_logit_auc_matches_metafor_knha():
    r = pool_auc([0.86, 0.91, 0.78, 0.88, 0.83, 0.93], [0.04, 0.03, 0.06, 0.05, 0.045, 0.028])
    # auc 0.868009105251 0.799657494159 0.915504999209 tau2 0.0860951487093 se 0.194241701988
    assert_allclose([r.estimate, *r.ci], [0.868009105251, 0.799657494159, 0.915504999209], rtol=ITER)
    assert_allclose(r.tau2, 0.0860951487093, rtol=ITER)
    assert_allclose(r.meta.se_model, 0.194241701988, rtol=ITER)
    # pi_t 0.712277733232 0.945857183334
    assert_allclose(r.prediction_interval_t, [0.712277733232, 0.945857183334], rtol=ITER)


def test_pooled_oe_matches_metafor_knha():
    # oe 0.951105861631 0.725025270941 1.24768390329 tau2 0.00478724328152
    r = pool_oe_ratio([20, 35, 14, 28], [24.1, 30.2, 15.5, 33.0], [100, 150, 80, 120])
    assert_allclose([r.estimate, *r.ci], [0.951105861631, 0.725025270941, 1.24768390329], rtol=ITER)
    assert_allclose(r.tau2, 0.00478724328152, rtol=1e-4)


def test_raw_scale_and_slope_identity():
    # identical slopes: pooled slope equals them, tau2 = 0
    r = pool_calibration_slope([0.9, 0.9, 0.9], [0.1, 0.2, 0.15])
    assert_allclose(r.estimate, 0.9, rtol=1e-12)
    assert r.tau2 == 0
    raw = pool_auc([0.8, 0.8, 0.8], [0.05, 0.04, 0.03], scale="raw")
    assert_allclose(raw.estimate, 0.8, rtol=1e-12)


def test_auc_of_one_is_refused_on_logit_scale():
    with pytest.raises(DataError, match="no logit"):
        pool_auc([1.0, 0.8, 0.9], [0.01, 0.05, 0.04])

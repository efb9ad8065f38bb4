"""Random-effects meta-analysis by REML against metafor 3.8-1.

R code (also in tests/r/multicenter_meta.R)::

    library(metafor)
    xi <- c(18, 25, 40, 12, 30, 22); ni <- c(20, 31, 44, 17, 33, 30)
    r <- rma(xi=xi, ni=ni, measure="PLO", method="REML", add=1/2, to="only0",
             test="z", control=list(threshold=1e-12, maxiter=1000))
    predict(r, transf=transf.ilogit)
    # and the same with test="knha"
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from spinestats.analysis.pooling.meta_reml import meta_proportion, rma_reml
from spinestats.errors import DataError

XI = [18, 25, 40, 12, 30, 22]
NI = [20, 31, 44, 17, 33, 30]
ITER = 1e-5  # iterative fit tolerance (project rule)


def test_reml_plo_matches_metafor():
    r = meta_proportion(XI, NI)
    # b 1.59162937723 se 0.269774325693 ci 1.06288141492 2.12037733954 tau2 0.155854942272
    assert_allclose(r.estimate_model, 1.59162937723, rtol=ITER)
    assert_allclose(r.se_model, 0.269774325693, rtol=ITER)
    assert_allclose(r.ci_model, [1.06288141492, 2.12037733954], rtol=ITER)
    assert_allclose(r.tau2, 0.155854942272, rtol=ITER)
    # I2 36.1879552266 H2 1.56710226659 QE 7.73635484546 QEp 0.171376701473
    assert_allclose(r.i2, 36.1879552266, rtol=ITER)
    assert_allclose(r.h2, 1.56710226659, rtol=ITER)
    assert_allclose(r.q, 7.73635484546, rtol=1e-9)  # closed form
    assert_allclose(r.q_p, 0.171376701473, rtol=1e-9)
    assert_allclose(r.statistic, 5.89985489962, rtol=ITER)
    assert_allclose(r.p_value, 3.63821387782e-09, rtol=1e-4)
    # predict(r, transf=transf.ilogit): pred 0.830845221548 ci 0.743240802266 0.89286802917
    # pi 0.658015011553 0.926136159015
    assert_allclose(r.estimate, 0.830845221548, rtol=ITER)
    assert_allclose(r.ci, [0.743240802266, 0.89286802917], rtol=ITER)
    assert_allclose(r.prediction_interval, [0.658015011553, 0.926136159015], rtol=ITER)
    assert r.converged and r.corrected == ()


def test_knapp_hartung_matches_metafor():
    r = meta_proportion(XI, NI, test="knha")
    # knha: se 0.267865641885 ci 0.903058823809 2.28019993065 tval 5.94189447377 p 0.00192822881641
    # pi (transf) 0.590311158348 0.943641163
    assert_allclose(r.se_model, 0.267865641885, rtol=ITER)
    assert_allclose(r.ci_model, [0.903058823809, 2.28019993065], rtol=ITER)
    assert_allclose(r.statistic, 5.94189447377, rtol=ITER)
    assert_allclose(r.p_value, 0.00192822881641, rtol=ITER)
    assert_allclose(r.prediction_interval, [0.590311158348, 0.943641163], rtol=ITER)
    assert_allclose(r.ci, [0.711577686028, 0.907223876159], rtol=ITER)


def test_zero_cell_continuity_correction_is_stated():
    # xi <- c(10, 25, 40, 12, 30); ni <- c(10, 31, 44, 17, 33)
    # escalc(xi=xi, ni=ni, measure="PLO", add=1/2, to="only0")
    #   yi 3.04452243772 1.42711635564 2.30258509299 0.875468737354 2.30258509299
    #   vi 2.09523809524 0.206666666667 0.275 0.283333333333 0.366666666667
    # rma(...): b 1.7582038813 se 0.330327132374 tau2 0.182371366281 I2 34.3519427104
    # predict(r): pi.lb 0.700027728873 pi.ub 2.81638003373
    labels = ["A", "B", "C", "D", "E"]
    r = meta_proportion([10, 25, 40, 12, 30], [10, 31, 44, 17, 33], labels=labels)
    assert_allclose(r.yi, [3.04452243772, 1.42711635564, 2.30258509299, 0.875468737354, 2.30258509299], rtol=1e-9)
    assert_allclose(r.vi, [2.09523809524, 0.206666666667, 0.275, 0.283333333333, 0.366666666667], rtol=1e-9)
    assert_allclose(r.estimate_model, 1.7582038813, rtol=ITER)
    assert_allclose(r.se_model, 0.330327132374, rtol=ITER)
    assert_allclose(r.tau2, 0.182371366281, rtol=ITER)
    assert_allclose(r.i2, 34.3519427104, rtol=ITER)
    assert_allclose(r.prediction_interval_model, [0.700027728873, 2.81638003373], rtol=ITER)
    assert r.corrected == ("A",)
    assert r.continuity_correction == 0.5
    assert any("zero cell in A" in w and "0.5" in w for w in r.warnings)


def test_zero_cell_without_correction_is_refused():
    with pytest.raises(DataError, match="zero cell"):
        meta_proportion([10, 25, 40], [10, 31, 44], labels=["A", "B", "C"], add=0)


def test_homogeneous_studies_give_tau2_zero():
    # rma(xi=c(45,46,44,47), ni=rep(50,4), measure="PLO", method="REML")
    # b 2.28223025433 se 0.247840798548 tau2 0 I2 0 QE 1.19139563164
    r = meta_proportion([45, 46, 44, 47], [50] * 4)
    assert r.tau2 == 0.0 and r.i2 == 0.0
    assert_allclose(r.estimate_model, 2.28223025433, rtol=1e-9)
    assert_allclose(r.se_model, 0.247840798548, rtol=1e-9)
    assert_allclose(r.q, 1.19139563164, rtol=1e-9)


def test_identity_equal_variances_reduce_to_mean():
    # identical v_i: REML mu is the plain mean whatever tau^2
    y = np.array([0.1, 0.5, 0.9, 1.6])
    r = rma_reml(y, np.full(4, 0.04))
    assert_allclose(r.estimate_model, y.mean(), rtol=1e-12)
    # REML tau2 for equal v: sample variance - v (truncated at 0)
    assert_allclose(r.tau2, max(0.0, y.var(ddof=1) - 0.04), rtol=1e-9)


def test_needs_two_studies():
    with pytest.raises(DataError, match="at least 2"):
        rma_reml([0.1], [0.1])

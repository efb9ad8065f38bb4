"""Per-centre validation of a binary risk model against R glm and pROC.

Data: generated here with numpy ``default_rng(42)`` and committed as ``tests/data/risk_validation.csv``
for R (tests/r/multicenter_risk_validation.R)::

    d <- read.csv("tests/data/risk_validation.csv"); lp <- qlogis(d$p)
    glm(y ~ offset(lp), binomial)   # CITL 0.385588596449 (SE 0.133684197982)
    glm(y ~ lp, binomial)           # slope 0.834547600756 (SE 0.135987611858)
    ci.auc(roc(d$y, d$p, direction="<"), method="delong")   # 0.676993251711 0.736076555024 0.795159858337
    O/E = 1.23073419874, CI exp(log(O/E) +- 1.96 sqrt((1 - O/N)/O)) = 1.06066004592 1.42807931134
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from spinestats.analysis.prediction.calibration import recalibration_fits, recalibration_sentences
from spinestats.analysis.pooling.pooled_auc import pool_calibration_slope, pool_oe_ratio
from spinestats.analysis.prediction.risk_validation import validate_risk
from spinestats.errors import DataError


def data():
    rng = np.random.default_rng(42)
    n = 300
    lp = rng.normal(-1, 1.2, n)
    p = 1 / (1 + np.exp(-lp))
    y = rng.random(n) < 1 / (1 + np.exp(-(0.3 + 0.8 * lp)))
    return np.round(p, 6), y


def test_matches_glm_and_proc():
    p, y = data()
    r = validate_risk(p, y)
    assert r.events == 110
    assert_allclose([r.citl, r.citl_se], [0.385588596449, 0.133684197982], rtol=1e-6)
    assert_allclose([r.slope, r.slope_se], [0.834547600756, 0.135987611858], rtol=1e-6)
    assert_allclose([r.c_statistic, *r.c_ci], [0.736076555024, 0.676993251711, 0.795159858337], rtol=1e-9)
    assert_allclose([r.oe_ratio, *r.oe_ci], [1.23073419874, 1.06066004592, 1.42807931134], rtol=1e-9)


def test_pooling_per_centre_calibration():
    p, y = data()
    parts = [validate_risk(p[i::3], y[i::3]) for i in range(3)]
    slope = pool_calibration_slope([r.slope for r in parts], [r.slope_se for r in parts])
    oe = pool_oe_ratio([r.events for r in parts], [r.expected for r in parts], [r.n for r in parts])
    assert 0.4 < slope.estimate < 1.3 and 0.9 < oe.estimate < 1.6
    assert slope.k == oe.k == 3


def test_refuses_bad_risks_and_single_class():
    with pytest.raises(DataError, match="strictly between 0 and 1"):
        validate_risk([0.0, 0.5, 0.2], np.array([True, False, True]))
    with pytest.raises(DataError, match="no events"):
        validate_risk([0.1, 0.5, 0.2], np.array([False, False, False]))


def test_multicenter_job_risk_mode():
    from spinestats.data_schemas.examples import cohort_multicenter as cm
    from spinestats.reports.multicenter_job import run

    d = cm.make()
    d["risk"] = 1 / (1 + np.exp(-(-3 + 0.9 * d["dss"])))
    res = run(d, risk="risk", figure_formats=["none"], federated=False).results["risk_model"]
    assert len(res["per_center"]) == 6
    a = res["per_center"][0]
    g = d[d["centre"] == a["center"]]
    direct = validate_risk(g["risk"].to_numpy(), (g["reference"] == "malignant").to_numpy())
    assert_allclose([a["slope"], a["citl"], a["oe_ratio"]], [direct.slope, direct.citl, direct.oe_ratio], rtol=1e-12)
    slopes = pool_calibration_slope([r["slope"] for r in res["per_center"]], [r["slope_se"] for r in res["per_center"]])
    assert_allclose(res["pooled"]["calibration_slope"]["estimate"], slopes.estimate, rtol=1e-12)
    assert set(res["pooled"]) == {"c_statistic", "calibration_slope", "oe_ratio"}


def test_degenerate_centres_get_explicit_results():
    # every patient given the same risk: CITL exists (glm(y ~ offset(lp)) gives logit(3/8) - logit(0.2)),
    # the slope does not (R glm reports NA for the aliased lp)
    # (validate_risk itself refuses a constant risk earlier, for its C statistic)
    y = np.array([1, 0, 0, 1, 0, 1, 0, 0], dtype=float)
    citl, slope = recalibration_fits(y, np.full(8, np.log(0.2 / 0.8)))
    assert citl.converged and citl.status == "converged"
    assert_allclose(citl.coef[0], np.log(3 / 5) - np.log(0.2 / 0.8), rtol=1e-10)
    assert not slope.converged and slope.status == "constant_predictor" and np.isnan(slope.coef).all()
    assert recalibration_sentences(citl, slope) == [
        "The calibration slope could not be estimated: the logit of the predicted risk takes the same value "
        "(-1.38629) in all 8 patients, so its coefficient is not identifiable."]
    # risks that rank every event above every non-event: complete separation, the ML slope is infinite
    p = np.array([0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9])
    s = validate_risk(p, p > 0.5)
    assert np.isfinite(s.citl) and np.isnan(s.slope) and not s.converged
    assert ("The calibration slope could not be estimated: the logit of the predicted risk separates the patients "
            "with and without the event completely, so the maximum-likelihood estimate is infinite.") in s.warnings

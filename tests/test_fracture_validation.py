"""Validation measures of a fracture risk model against R (survival, riskRegression, glm, cmprsk).

The data: 60 patients from ``numpy.random.default_rng(20261127)`` (see
``_validation_data``), committed as ``tests/data/validation.csv`` and analysed with
``tests/r/fracture_validation.R`` and ``tests/r/fracture_calibration.R``;
times are whole months and risks are rounded to 2 decimals, so there are
ties in both.
"""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from spinestats.analysis.prediction.brier import brier_score
from spinestats.analysis.prediction.calibration import calibration
from spinestats.analysis.prediction.concordance import concordance
from spinestats.analysis.prediction.decision_curve import decision_curve
from spinestats.analysis.prediction.ipcw import censoring_survival
from spinestats.analysis.prediction.time_auc import time_auc
from spinestats.errors import DataError


def _validation_data() -> pd.DataFrame:
    rng = np.random.default_rng(20261127)
    n = 60
    x = rng.normal(size=n)
    t = np.round(rng.exponential(20 * np.exp(-0.7 * x)), 0) + 1
    c = np.round(rng.uniform(2, 40, size=n), 0)
    d = rng.uniform(size=n) < 0.3
    status = np.where(t <= c, np.where(d, 2, 1), 0)
    return pd.DataFrame({"time": np.minimum(t, c), "status": status, "risk": np.round(1 / (1 + np.exp(-(x - 1))), 2)})


K = dict(time="time", event="status", risk="risk")


@pytest.fixture(scope="module")
def d():
    data = _validation_data()
    assert np.bincount(data["status"]).tolist() == [24, 25, 11]
    return data


def test_harrell_cause_specific(d):
    # concordance(Surv(time, status==1) ~ risk, data=d, reverse=TRUE)$concordance
    assert_allclose(concordance(d, **K, competing="censor").estimate, 0.669325153374, rtol=1e-9)


def test_harrell_competing_wolbers(d):
    # d$t2 <- ifelse(d$status==2, 1e6, d$time); concordance(Surv(t2, status==1) ~ risk, reverse=TRUE)
    assert_allclose(concordance(d, **K).estimate, 0.611987381703, rtol=1e-9)


def test_harrell_truncated(d):
    # concordance(Surv(time, status==1) ~ risk, data=d, reverse=TRUE, ymax=12)
    assert_allclose(concordance(d, **K, tau=12, competing="censor").estimate, 0.730113636364, rtol=1e-9)


def test_uno(d):
    # concordance(Surv(t2, status==1) ~ risk, reverse=TRUE, timewt="n/G2", ymax=12)
    assert_allclose(concordance(d, **K, weighting="uno", tau=12).estimate, 0.700299428682, rtol=1e-9)
    # concordance(Surv(time, status==1) ~ risk, reverse=TRUE, timewt="n/G2", ymax=12)
    assert_allclose(
        concordance(d, **K, weighting="uno", tau=12, competing="censor").estimate, 0.719323931394, rtol=1e-9
    )


def test_uno_needs_tau(d):
    with pytest.raises(DataError, match="tau"):
        concordance(d, **K, weighting="uno")


def test_concordance_identity_perfect_and_reversed(d):
    # risk = -time (events above censorings at a tied time) orders every comparable pair correctly
    e = d.assign(risk=-d["time"] + 0.5 * (d["status"] == 1))
    assert concordance(e, **K, competing="censor").estimate == 1.0
    assert_allclose(
        concordance(d.assign(risk=-d["risk"]), **K).estimate, 1 - concordance(d, **K).estimate, rtol=1e-12
    )


@pytest.mark.parametrize(
    "horizon, auc, brier",
    [
        # Score(list(m=d$risk), Hist(time, status) ~ 1, data=d, times=12, cause=1, metrics=c("auc","brier"), cens.model="km")
        (12, 0.706797330713, 0.182120782008),
        # same with times=c(6, 18)
        (6, 0.740865887294, 0.150627552173),
        (18, 0.556335859577, 0.241582772548),
    ],
)
def test_time_auc_and_brier_match_score(d, horizon, auc, brier):
    assert_allclose(time_auc(d, **K, horizon=horizon).estimate, auc, rtol=1e-9)
    assert_allclose(brier_score(d, **K, horizon=horizon).estimate, brier, rtol=1e-9)


def test_censoring_km_matches_prodlim_reverse(d):
    # prodlim(Hist(time,status)~1, data=d, reverse=TRUE); predict(Gf, times=12) -> 0.7247083...
    G = censoring_survival(d["time"], d["status"] == 0)
    assert_allclose(G.at(12.0), 0.7247083399427718, rtol=1e-9)
    assert_allclose(G.at(np.array([4.0, 6.0]), left=True), [0.98148148148, 0.95967078189], rtol=1e-9)


def test_calibration_known_status_matches_glm(d):
    # k <- d[known,]; glm(y ~ offset(lp), binomial, k); glm(y ~ lp, binomial, k)  (tests/r/fracture_calibration.R)
    c = calibration(d, **K, horizon=12, method="known")
    assert_allclose(c.citl, -0.143159607823, rtol=1e-6)
    assert_allclose(c.slope, 0.746487548001, rtol=1e-6)
    assert_allclose(c.intercept_with_slope, -0.286881484236, rtol=1e-6)
    z = 1.959963984540054
    assert_allclose(c.citl_ci, [-0.143159607823 - z * 0.337738216536, -0.143159607823 + z * 0.337738216536], rtol=1e-6)
    assert_allclose(c.slope_ci[1] - c.slope, z * 0.36523437175, rtol=1e-6)
    assert c.n_used == 49 and c.censored_before_horizon == 11


def test_calibration_ipcw_matches_weighted_glm(d):
    # w = 1/G(T-) (event before 12) or 1/G(12); glm(y ~ offset(lp), quasibinomial, weights=w) and glm(y ~ lp, ...)
    c = calibration(d, **K, horizon=12)
    assert_allclose(c.citl, -0.33788746365, rtol=1e-6)
    assert_allclose(c.slope, 0.789410204953, rtol=1e-6)
    assert_allclose(c.intercept_with_slope, -0.457532420876, rtol=1e-6)


def test_calibration_groups_cover_everyone(d):
    c = calibration(d, **K, horizon=12, n_groups=5)
    assert c.groups["n"].sum() == len(d)
    assert np.all(np.diff(c.groups["predicted"]) > 0)


def test_calibration_refuses_risk_outside_0_1(d):
    with pytest.raises(DataError, match="between 0 and 1"):
        calibration(d.assign(risk=1.5), **K, horizon=12)


def test_calibration_risk_of_zero_is_an_explicit_result(d):
    # a model that predicts certainty: the logit is infinite, CITL and slope are undefined (R glm gives NaN)
    c = calibration(d.assign(risk=0.0), **K, horizon=12)
    assert np.isnan(c.citl) and np.isnan(c.slope) and not c.converged
    assert c.status == ("nonfinite", "nonfinite")
    assert c.warnings == ("Calibration-in-the-large and the calibration slope could not be estimated: 49 of the 49 "
                          "patients of known status have a predicted risk of exactly 0 or 1, whose logit is infinite.",)
    assert c.groups["n"].sum() == len(d)


def test_calibration_with_no_event_by_the_horizon_is_an_explicit_result(d):
    c = calibration(d, **K, horizon=0.01)
    assert np.isnan(c.citl) and np.isnan(c.slope) and np.isnan(c.citl_ci[0]) and not c.converged
    assert c.status == ("no_events", "no_events")
    assert c.warnings[0].startswith("Calibration-in-the-large and the calibration slope could not be estimated: "
                                    "none of the")


def test_calibration_with_a_constant_risk_gives_citl_but_no_slope(d):
    # glm(y ~ offset(lp), binomial, k) with lp = logit(0.3) for all: a = logit(mean(y)) - logit(0.3);
    # glm(y ~ lp) has a constant predictor: R reports NA for the slope
    c = calibration(d.assign(risk=0.3), **K, horizon=12, method="known")
    y = ((d["time"] <= 12) & (d["status"] == 1)).to_numpy()
    known = ~((d["time"] <= 12) & (d["status"] == 0)).to_numpy()
    ybar = y[known].mean()
    assert_allclose(c.citl, np.log(ybar / (1 - ybar)) - np.log(0.3 / 0.7), rtol=1e-10)
    assert np.isnan(c.slope) and c.status == ("converged", "constant_predictor")
    assert c.warnings == ("The calibration slope could not be estimated: the logit of the predicted risk takes the "
                          "same value (-0.847298) in all 49 patients, so its coefficient is not identifiable.",)


def test_decision_curve_matches_cuminc(d):
    # Fall <- timepoints(cuminc(d$time, d$status), 12)$est["1 1",];  s <- d[d$risk >= pt,]; Fh likewise
    # NB = Fh*pi - (1-Fh)*pi*pt/(1-pt); treat-all = Fall - (1-Fall)*pt/(1-pt)
    dc = decision_curve(d, **K, horizon=12, thresholds=[0.2, 0.4])
    assert_allclose(dc.model, [0.11901807598, 0.0242424242424], rtol=1e-9)
    assert_allclose(dc.treat_all, [0.0754560648166, -0.232725246911], rtol=1e-9)
    assert_allclose(dc.treat_none, 0.0)
    assert dc.n_high.tolist() == [39, 16]


def test_decision_curve_treat_all_equals_model_at_low_threshold(d):
    dc = decision_curve(d, **K, horizon=12, thresholds=[0.001])
    assert_allclose(dc.model, dc.treat_all, rtol=1e-12)


def test_identities_without_censoring_or_competing_events(d):
    # no censoring, no competing event: IPC weights are 1, the Brier score is the mean squared error of the
    # binary outcome "event by t", and the AUC is the Mann-Whitney statistic of cases vs controls
    e = d.assign(status=1)
    y = (e["time"] <= 12).to_numpy(float)
    assert_allclose(brier_score(e, **K, horizon=12).estimate, np.mean((y - e["risk"]) ** 2), rtol=1e-12)
    pos, neg = e["risk"][y == 1].to_numpy(), e["risk"][y == 0].to_numpy()
    mw = np.mean((pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :]))
    assert_allclose(time_auc(e, **K, horizon=12).estimate, mw, rtol=1e-12)
    # and Uno's weights are all 1: Uno's C equals Harrell's C truncated at tau
    assert_allclose(concordance(e, **K, weighting="uno", tau=12).estimate,
                    concordance(e, **K, tau=12).estimate, rtol=1e-12)


def test_missing_prediction_refused(d):
    e = d.copy()
    e.loc[4, "risk"] = np.nan
    with pytest.raises(DataError, match="1 row"):
        brier_score(e, **K, horizon=12)


def test_inputs_not_modified(d):
    before = d.copy()
    concordance(d, **K, weighting="uno", tau=12)
    time_auc(d, **K, horizon=12)
    calibration(d, **K, horizon=12)
    decision_curve(d, **K, horizon=12)
    pd.testing.assert_frame_equal(d, before)

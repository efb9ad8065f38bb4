"""The bootstrap's performance measures at the horizon (analysis/prediction/horizon_measure.py) against R.

Data: tests/data/validation.csv (60 patients, ties in time and risk; see tests/test_fracture_validation.py).
R code beside each value; the same values as the table-level estimators (tests/r/fracture_validation.R,
tests/r/fracture_calibration.R), here from arrays, without parsing a table.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from spinestats.analysis.prediction.horizon_measure import MEASURES, horizon_measure, refit_risk_model, \
    risk_model_measure
from spinestats.analysis.prediction.risk_model import predict_risk
from spinestats.errors import UsageError

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="module")
def d():
    return pd.read_csv(DATA / "validation.csv")


@pytest.mark.parametrize("name, expected", [
    # d$t2 <- ifelse(d$status==2, 1e6, d$time); concordance(Surv(t2, status==1) ~ risk, reverse=TRUE)$concordance
    ("harrell", 0.611987381703),
    # concordance(Surv(t2, status==1) ~ risk, reverse=TRUE, timewt="n/G2", ymax=12)$concordance
    ("uno", 0.700299428682),
    # Score(list(m=d$risk), Hist(time, status) ~ 1, data=d, times=12, cause=1, metrics=c("auc","brier"),
    #       cens.model="km")$AUC$score$AUC / $Brier$score$Brier (model m)
    ("time_auc", 0.706797330713),
    ("brier", 0.182120782008),
])
def test_discrimination_and_accuracy_match_r(d, name, expected):
    got = horizon_measure(d["time"], d["status"], d["risk"], name=name, horizon=12.0)
    assert_allclose(got, expected, rtol=1e-9)


@pytest.mark.parametrize("name, expected", [
    # w = 1/G(T-) (event before 12) or 1/G(12); coef(glm(y ~ offset(lp), quasibinomial, weights=w)) and
    # coef(glm(y ~ lp, quasibinomial, weights=w))[2]  (tests/r/fracture_calibration.R)
    ("citl", -0.33788746365),
    ("slope", 0.789410204953),
])
def test_calibration_matches_weighted_glm(d, name, expected):
    assert_allclose(horizon_measure(d["time"], d["status"], d["risk"], name=name, horizon=12.0), expected, rtol=1e-6)


def test_undefined_measure_is_nan_and_unknown_name_refused(d):
    early = d.assign(time=d["time"] + 100.0)  # no event by the horizon: no case, the AUC is undefined
    assert np.isnan(horizon_measure(early["time"], early["status"], early["risk"], name="time_auc", horizon=12.0))
    with pytest.raises(UsageError, match="harrell, uno"):
        horizon_measure(d["time"], d["status"], d["risk"], name="auc", horizon=12.0)


def test_risk_model_measure_equals_the_measure_of_its_prediction():
    cohort = pd.read_csv(DATA / "fracture_cohort.csv")
    rm = refit_risk_model(cohort, time="time_months", event="event", covariates=["sins_total", "modality"],
                          horizon=12.0, model="finegray")
    risk = predict_risk(rm, cohort).risk
    for name in MEASURES:
        want = horizon_measure(cohort["time_months"], cohort["event"], risk, name=name, horizon=12.0)
        assert risk_model_measure(rm, cohort, name=name, horizon=12.0) == want


def test_citl_and_slope_share_one_pair_of_calibration_fits(monkeypatch):
    """Issue 16: the bootstrap's ``citl`` and ``slope`` of one model on one frame come from one call of the
    calibration fits (the same numbers as two calls); a failure is raised for both measures."""
    import spinestats.analysis.prediction.horizon_measure as hm

    cohort = pd.read_csv(DATA / "fracture_cohort.csv")
    rm = refit_risk_model(cohort, time="time_months", event="event", covariates=["sins_total", "modality"],
                          horizon=12.0, model="finegray")
    risk = predict_risk(rm, cohort).risk
    calls = []
    real = hm.calibration_arrays
    monkeypatch.setattr(hm, "calibration_arrays", lambda *a, **k: calls.append(1) or real(*a, **k))
    other = cohort.sample(frac=1.0, replace=True, random_state=3).reset_index(drop=True)
    for frame in (cohort, other):
        for name in ("citl", "slope"):
            want = horizon_measure(frame["time_months"], frame["event"], predict_risk(rm, frame).risk, name=name,
                                   horizon=12.0)
            assert risk_model_measure(rm, frame, name=name, horizon=12.0) == want
    assert len(calls) == 2 + 4  # one per frame through the cache, and the four direct horizon_measure calls
    assert risk_model_measure(rm, cohort, name="slope", horizon=12.0) == horizon_measure(
        cohort["time_months"], cohort["event"], risk, name="slope", horizon=12.0)

    def broken(*a, **k):
        raise FloatingPointError("overflow")

    monkeypatch.setattr(hm, "calibration_arrays", broken)
    rm2 = refit_risk_model(other, time="time_months", event="event", covariates=["sins_total", "modality"],
                           horizon=12.0, model="finegray")
    for name in ("citl", "slope"):
        with pytest.raises(FloatingPointError):
            risk_model_measure(rm2, cohort, name=name, horizon=12.0)

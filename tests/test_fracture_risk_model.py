"""The JSON risk model: fit, save, load, predict (Fine-Gray values against cmprsk predict.crr)."""

import json
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from spinestats.analysis.prediction.risk_model import fit_risk_model, model_from_json, model_to_json, predict_risk
from spinestats.data_schemas.examples import cohort_fracture
from spinestats.data_schemas.loading import load
from spinestats.errors import DataError, UsageError
from spinestats.reports.fracture_job import prepare

CSV = Path(cohort_fracture.__file__).with_name("synthetic_fracture.csv")
K = dict(time="time_months", event="event", covariates=["sins_total", "modality"], horizon=12.0)


@pytest.fixture(scope="module")
def cohort():
    return prepare(load(CSV, schema="fracture").data)


@pytest.fixture(scope="module")
def fg(cohort):
    return fit_risk_model(cohort, **K)


def test_finegray_risk_equals_predict_crr(cohort, fg):
    rm, _ = fg
    # m <- crr(time, event, model.matrix(~ sins_total + modality)[, -1]); predict(m, X[1:3, ]) at t <= 12
    p = predict_risk(rm, cohort.iloc[:3])
    assert_allclose(p.risk, [0.581238039917, 0.410082622672, 0.0423252105051], rtol=1e-5)
    assert np.all(p.lower < p.risk) and np.all(p.risk < p.upper)
    assert np.all((p.lower > 0) & (p.upper < 1))


def test_ci_narrowest_near_the_centre(cohort, fg):
    rm, _ = fg
    p = predict_risk(rm, cohort)
    lp = np.log(-np.log1p(-p.risk))
    width = np.log(-np.log1p(-p.upper)) - np.log(-np.log1p(-p.lower))
    # the cloglog-scale width grows with the distance from the centred baseline
    assert width[np.argmin(np.abs(lp - np.median(lp)))] <= np.max(width)
    # a larger level gives a wider interval
    p99 = predict_risk(rm, cohort.iloc[:5], conf_level=0.99)
    assert np.all(p99.upper - p99.lower > p.upper[:5] - p.lower[:5])


def test_json_round_trip_gives_identical_predictions(cohort, fg):
    rm, _ = fg
    text = model_to_json(rm)
    doc = json.loads(text)
    assert doc["format"] == "spinestats-risk-model" and doc["schema_version"] == 1
    assert doc["model_type"] == "finegray" and doc["horizon"] == 12.0
    assert {c["kind"] for c in doc["coding"]} == {"numeric", "category"}
    assert "patient_id" not in text and "FX-" not in text  # no patient data in the model file
    back = model_from_json(text)
    a, b = predict_risk(rm, cohort), predict_risk(back, cohort)
    assert_allclose(a.risk, b.risk, rtol=0, atol=0)
    assert_allclose(a.upper, b.upper, rtol=0, atol=0)


def test_model_file_validated(fg):
    rm, _ = fg
    doc = json.loads(model_to_json(rm))
    doc["model_type"] = "pickle"
    with pytest.raises(UsageError, match="model_type"):
        model_from_json(json.dumps(doc))
    with pytest.raises(UsageError, match="not valid JSON"):
        model_from_json("\x80not json")


def test_unknown_level_and_missing_column_refused(cohort, fg):
    rm, _ = fg
    with pytest.raises(DataError, match="modality.*'protons'"):
        predict_risk(rm, cohort.head(3).assign(modality="protons"))
    with pytest.raises(DataError, match="sins_total.*missing"):
        predict_risk(rm, cohort.head(3).drop(columns="sins_total"))


def test_firth_model_by_horizon(cohort):
    rm, fit = fit_risk_model(cohort, **{**K, "model": "firth"})
    assert rm.model_type == "firth" and rm.terms[0] == "(Intercept)"
    p = predict_risk(rm, cohort)
    X1 = np.column_stack([np.ones(len(cohort)), cohort["sins_total"], cohort["modality"] == "SBRT",
                          cohort["modality"] == "conventional"]).astype(float)
    assert_allclose(p.risk, 1 / (1 + np.exp(-X1 @ np.asarray(fit.estimate))), rtol=1e-12)
    back = model_from_json(model_to_json(rm))
    assert_allclose(predict_risk(back, cohort).risk, p.risk, rtol=0, atol=0)


def test_bad_model_name_and_horizon(cohort):
    with pytest.raises(UsageError, match="finegray, firth"):
        fit_risk_model(cohort, **{**K, "model": "rf"})
    with pytest.raises(UsageError, match="horizon"):
        fit_risk_model(cohort, **{**K, "horizon": 0})


def test_baseline_event_counts_equal_counting_each_time():
    """Issue 16: the fractures at each baseline time are counted with one sort; the same counts as a
    pass per time, with tied times, times absent from the events and event times beyond the list."""
    import numpy as np

    from spinestats.analysis.prediction.risk_model import _events_at

    rng = np.random.default_rng(16)
    ev = np.round(rng.exponential(10, 300), 0)
    times = np.unique(np.concatenate([ev[:40], [0.5, 1e9]]))
    want = np.array([np.sum(ev == u) for u in times], dtype=int)
    assert np.array_equal(_events_at(ev, times), want) and want.sum() < ev.size
    assert _events_at(ev[:0], times).tolist() == [0] * times.size and _events_at(ev, times[:0]).size == 0

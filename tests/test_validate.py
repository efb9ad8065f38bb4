"""``spinestats validate`` (column mode) against R: survival concordance, riskRegression Score, glm, cmprsk, metafor.

Data: riskRegression's ``Melanoma`` (205 patients; 0 alive, 1 died of melanoma, 2 died of other causes),
time in months, a fixed risk score ``plogis(-2.4 + 0.25 thick + 0.9 ulcer)`` and three pseudo-centres,
written to ``tests/data/melanoma_risk.csv`` by ``tests/r/validate.R``, which also prints every reference
below (horizon 60 months).  R code of each value, in short:

    concordance(Surv(t2, status == 1) ~ risk, reverse = TRUE)                  # t2: 1e6 for status 2 (Wolbers)
    concordance(Surv(t2, status == 1) ~ risk, reverse = TRUE, timewt = "n/G2", ymax = 60)
    Score(list(risk = d$risk), Hist(time, status) ~ 1, data = d, times = 60, cause = 1,
          metrics = c("auc", "brier"), cens.model = "km", null.model = FALSE)   # and conservative = TRUE
    glm(y ~ offset(lp), quasibinomial, weights = 1/G); glm(y ~ lp, quasibinomial, weights = 1/G)
    timepoints(cuminc(time, status, cencode = 0), 60)   # decision curve at 0.2 and 0.4
    rma(yi = qlogis(auc), vi = (se / (auc (1 - auc)))^2, method = "REML", test = "knha")   # per-centre AUC(t)
    rma(yi = brier, vi = se^2, method = "REML", test = "knha")

The SEs are ``Score``'s default ones (the censoring Kaplan-Meier propagated); ``conservative=True`` gives
``Score(..., conservative = TRUE)`` (weights held fixed).
"""

import json
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from spinestats.analysis.prediction.risk_model import fit_risk_model, model_to_json, predict_risk
from spinestats.errors import DataError, UsageError
from spinestats.reports import validate_job
from cli_run import cli  # tests/ is on sys.path

DATA = Path(__file__).parent / "data" / "melanoma_risk.csv"
CODES = "EVENT=1,COMPETING=2,CENSOR=0"
K = dict(time="time", event="status", event_codes=CODES, horizon=60)



@pytest.fixture(scope="module")
def mel():
    d = pd.read_csv(DATA)
    d.index = d.index + 2  # spreadsheet lines, as the loader gives them
    assert d["status"].value_counts().sort_index().tolist() == [134, 57, 14]
    return d


@pytest.fixture(scope="module")
def res(mel):
    return validate_job.run(mel, risk="risk", group="centre", **K).results


def test_concordance_matches_survival(res):
    assert_allclose(res["c_index"]["harrell"], 0.743039506988005, rtol=1e-9)
    assert_allclose(res["c_index"]["uno"], 0.763695749299503, rtol=1e-9)
    assert res["c_index"]["tau"] == 60


def test_time_auc_and_brier_with_ci_match_score(res):
    a, b = res["time_auc"], res["brier"]
    assert_allclose([a["estimate"], a["se"], *a["ci"]],
                    [0.763805459035857, 0.0403657262508158, 0.684690089374455, 0.842920828697259], rtol=1e-9)
    assert_allclose([b["estimate"], b["se"], *b["ci"]],
                    [0.151646649790461, 0.0149478784832333, 0.122349346318043, 0.180943953262879], rtol=1e-9)
    assert a["horizon"] == b["horizon"] == 60


def test_conservative_se_matches_score_conservative(mel):
    from spinestats.analysis.prediction.validation_se import brier_ci, time_auc_ci

    t, st, r = mel["time"].to_numpy(), mel["status"].to_numpy(), mel["risk"].to_numpy()
    a = time_auc_ci(t, st, r, 60, conservative=True)
    b = brier_ci(t, st, r, 60, conservative=True)
    assert_allclose([a.se, *a.ci], [0.0403680034916481, 0.68468562606444, 0.842925292007274], rtol=1e-9)
    assert_allclose([b.se, *b.ci], [0.0151383627766806, 0.121976003963265, 0.181317295617657], rtol=1e-9)


def test_calibration_matches_weighted_glm(res):
    c = res["calibration"]
    assert_allclose(c["citl"], -0.244317518331364, rtol=1e-6)
    assert_allclose(c["slope"], 0.901730411579076, rtol=1e-6)
    assert len(c["citl_ci"]) == len(c["slope_ci"]) == 2 and c["groups"]
    assert sum(g["n"] for g in c["groups"]) == 205


def test_decision_curve_matches_cuminc(res):
    dc = res["decision_curve"]
    i, j = dc["threshold"].index(0.2), dc["threshold"].index(0.4)
    assert_allclose([dc["model"][i], dc["model"][j]], [0.10407905803196, 0.0351626016260163], rtol=1e-9)
    assert_allclose([dc["treat_all"][i], dc["treat_all"][j]], [0.0294244980293338, -0.294100669294222], rtol=1e-9)


def test_per_centre_and_pooled_match_score_and_metafor(res):
    per = {r["center"]: r for r in res["per_center"]}
    assert_allclose([per[c]["time_auc"]["estimate"] for c in "ABC"],
                    [0.810416131002121, 0.718990596700181, 0.775951683702362], rtol=1e-9)
    assert_allclose([per[c]["time_auc"]["se"] for c in "ABC"],
                    [0.0752496108037639, 0.0659806336423166, 0.0729543556245307], rtol=1e-9)
    assert_allclose([per[c]["brier"]["se"] for c in "ABC"],
                    [0.0227905958378382, 0.0279727031785497, 0.0265277710403723], rtol=1e-9)
    p = res["pooled"]
    assert_allclose([p["time_auc"]["estimate"], *p["time_auc"]["ci"]],
                    [0.757715476233029, 0.623086554009852, 0.855415169957795], rtol=1e-5)
    assert_allclose([p["brier"]["estimate"], *p["brier"]["ci"]],
                    [0.14845950700698, 0.0912268575941086, 0.20569215641985], rtol=1e-5)


def test_cli_writes_the_fracture_keys_and_figures(tmp_path):
    out = tmp_path / "out"
    assert cli("validate", DATA, "--time", "time", "--event", "status", "--event-codes", CODES, "--risk", "risk",
               "--horizon", 60, "--group", "centre", "--figure-format", "png", "--dpi", 100, "--out", out) == 0
    doc = json.loads((out / "results.json").read_text(encoding="utf-8"))
    schema = json.loads((Path(validate_job.__file__).resolve().parents[1] / "data_schemas" / "results"
                         / "validate.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(doc, schema)
    assert set(doc["c_index"]) >= {"harrell", "uno", "tau"}
    assert set(doc["time_auc"]) >= {"estimate", "ci", "horizon"} and set(doc["brier"]) >= {"estimate", "ci", "horizon"}
    assert set(doc["calibration"]) >= {"citl", "citl_ci", "slope", "slope_ci", "groups"}
    assert set(doc["decision_curve"]) >= {"threshold", "model", "treat_all", "treat_none"}
    assert (out / "figures" / "validate_calibration_100dpi.png").is_file()
    assert (out / "figures" / "validate_decision_curve_100dpi.png").is_file()
    assert (out / "tables" / "validate_per_centre.csv").is_file()


def test_bad_rows_go_to_the_exclusion_log(tmp_path, mel):
    bad = mel.copy()
    bad["risk"] = bad["risk"].astype(object)
    bad.loc[2, "risk"] = None        # missing
    bad.loc[3, "risk"] = 1.4         # outside [0, 1]
    bad.loc[4, "risk"] = -0.1
    bad.loc[5, "risk"] = "high"      # not a number
    bad.loc[6, "time"] = None        # missing time
    f = tmp_path / "bad.csv"
    bad.to_csv(f, index=False)
    out = tmp_path / "out"
    assert cli("validate", f, "--time", "time", "--event", "status", "--event-codes", CODES, "--risk", "risk",
               "--horizon", 60, "--figure-format", "png", "--dpi", 72, "--out", out) == 0
    doc = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert doc["flow"]["excluded"] == 5 and doc["flow"]["analysed"] == 200
    assert doc["flow"]["rows"] == doc["flow"]["analysed"] + doc["flow"]["excluded"]
    log = pd.read_csv(out / "tables" / "validate_exclusions.csv")
    reasons = dict(zip(log["Line"], log["Reason"]))
    assert reasons[2] == "missing risk"
    assert reasons[3] == "risk 1.4 is outside [0, 1] (a predicted risk is a probability)"
    assert reasons[4].startswith("risk -0.1 is outside")
    assert reasons[5] == "risk is not a number"
    assert reasons[6] == "missing time or status"
    # the analysed rows give exactly the analysis of the file without those rows
    ref = validate_job.run(mel.drop(index=[2, 3, 4, 5, 6]), risk="risk", **K).results
    assert doc["time_auc"]["estimate"] == pytest.approx(ref["time_auc"]["estimate"], rel=1e-12)


def test_horizon_beyond_last_follow_up_is_refused(mel, capsys, tmp_path):
    with pytest.raises(UsageError, match=r"last follow-up \(182.834 months\)"):
        validate_job.run(mel, risk="risk", time="time", event="status", event_codes=CODES, horizon=200)
    assert cli("validate", DATA, "--time", "time", "--event", "status", "--risk", "risk", "--event-codes", CODES,
               "--horizon", 200, "--out", tmp_path / "o") == 2
    err = capsys.readouterr().err
    assert "182.834" in err and "Traceback" not in err


def test_several_event_codes_need_a_declaration(mel):
    with pytest.raises(UsageError, match="--event-codes"):
        validate_job.run(mel, risk="risk", time="time", event="status", horizon=60)


def test_undeclared_code_is_refused(mel):
    with pytest.raises(DataError, match="outside the declared set"):
        validate_job.run(mel, risk="risk", time="time", event="status", event_codes="EVENT=1,CENSOR=0", horizon=60)


def test_model_json_equals_its_predicted_column(tmp_path, mel):
    rm, _ = fit_risk_model(mel, time="time", event="status", covariates=["thick", "ulcer"], horizon=60,
                           model="finegray", profile=False)
    path = tmp_path / "model.json"
    path.write_text(model_to_json(rm), encoding="utf-8")
    via_model = validate_job.run(mel, model=path, time="time", event="status", event_codes=CODES).results
    col = mel.assign(pred=predict_risk(rm, mel).risk)
    via_column = validate_job.run(col, risk="pred", **K).results
    for key in ("c_index", "time_auc", "brier"):
        assert via_model[key]["estimate" if key != "c_index" else "harrell"] == pytest.approx(
            via_column[key]["estimate" if key != "c_index" else "harrell"], rel=1e-12)
    with pytest.raises(UsageError, match="its own horizon"):
        validate_job.run(mel, model=path, time="time", event="status", event_codes=CODES, horizon=24)


def test_model_with_non_finite_coefficient_is_refused(tmp_path, mel):
    rm, _ = fit_risk_model(mel, time="time", event="status", covariates=["thick"], horizon=60, profile=False)
    doc = json.loads(model_to_json(rm))
    doc["coefficients"][0] = float("inf")
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc), encoding="utf-8")  # Python writes Infinity, which json.loads accepts
    with pytest.raises(DataError, match="not a finite"):  # the same refusal as predict
        validate_job.load_model(path)


def test_plan_type_validate(tmp_path):
    from spinestats.reports.plan_runner import run_plan

    plan = tmp_path / "plan.yaml"
    plan.write_text(
        "schema_version: 1\ntitle: Validation\ndata:\n  mel: {file: " + json.dumps(str(DATA)) + "}\n"
        "analyses:\n  - {type: validate, data: mel, time: time, event: status, event_codes: '" + CODES + "',\n"
        "     risk: risk, horizon: 60, group: centre}\noutput:\n  figures: {formats: [png], dpi: [72]}\n"
        "  tables: {formats: [csv]}\n", encoding="utf-8")
    run_plan(plan, tmp_path / "out")
    doc = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    assert_allclose(doc["validate"]["time_auc"]["estimate"], 0.763805459035857, rtol=1e-9)
    assert doc["validate"]["pooled"]["time_auc"]["k"] == 3


def test_input_is_not_modified(mel):
    before = mel.copy()
    validate_job.run(mel, risk="risk", **K)
    assert mel.equals(before)
    assert np.isfinite(before["risk"]).all()


@pytest.mark.parametrize("horizon, auc_se, brier_se", [
    # d <- the 60 patients of test_fracture_validation.py (whole months: ties of events and censorings)
    # Score(list(m = d$risk), Hist(time, status) ~ 1, data = d, times = c(6, 12, 18), cause = 1,
    #       metrics = c("auc", "brier"), cens.model = "km", null.model = FALSE)$AUC$score$se (and $Brier)
    (6, 0.0856870578434956, 0.0222810228140027),
    (12, 0.0750106295370119, 0.0264121452488156),
    (18, 0.0956243710807505, 0.0381104620395797),
])
def test_default_se_with_tied_times_matches_score(horizon, auc_se, brier_se):
    from test_fracture_validation import _validation_data

    from spinestats.analysis.prediction.validation_se import brier_ci, time_auc_ci

    d = _validation_data()
    assert_allclose(time_auc_ci(d["time"], d["status"], d["risk"], horizon).se, auc_se, rtol=1e-9)
    assert_allclose(brier_ci(d["time"], d["status"], d["risk"], horizon).se, brier_se, rtol=1e-9)


def test_fracture_model_derives_sins_total_from_the_components(tmp_path):
    """A fracture model using sins_total, applied to a file that has the six SINS components."""
    from spinestats.analysis.scores.sins import COMPONENTS
    from spinestats.data_schemas.examples import cohort_readers
    from spinestats.data_schemas.loading import load
    from spinestats.reports.fracture_job import EVENT, TIME, prepare

    src = Path(cohort_readers.__file__).resolve().parent / "synthetic_fracture.csv"
    d = prepare(load(src, schema="fracture").data)
    rm, _ = fit_risk_model(d, time=TIME, event=EVENT, covariates=("sins_total", "modality"), horizon=12,
                           model="finegray", profile=False)
    model = tmp_path / "model.json"
    model.write_text(model_to_json(rm), encoding="utf-8")
    f = tmp_path / "cohort.csv"
    d[[TIME, EVENT, "modality", *COMPONENTS]].to_csv(f, index=False)   # no sins_total column in the file
    out = tmp_path / "out"
    assert cli("validate", f, "--time", TIME, "--event", EVENT, "--event-codes", "EVENT=1,COMPETING=2,CENSOR=0",
               "--model", model, "--figure-format", "png", "--dpi", 72, "--out", out) == 0
    doc = json.loads((out / "results.json").read_text(encoding="utf-8"))
    ref = validate_job.run(d.assign(p=predict_risk(rm, d).risk), time=TIME, event=EVENT, risk="p",
                           event_codes="EVENT=1,COMPETING=2,CENSOR=0", horizon=12).results
    assert doc["time_auc"]["estimate"] == pytest.approx(ref["time_auc"]["estimate"], rel=1e-12)
    assert doc["brier"]["estimate"] == pytest.approx(ref["brier"]["estimate"], rel=1e-12)
    assert doc["flow"]["analysed"] == len(d)

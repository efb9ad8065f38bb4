"""The fracture job, its figures and the `fracture` / `predict` commands on the bundled cohort."""

import hashlib
import json
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from spinestats.analysis.prediction.concordance import concordance
from spinestats.data_schemas.examples import cohort_fracture
from spinestats.data_schemas.examples.generate import csv_text
from spinestats.data_schemas.loading import load
from spinestats.errors import DataError
from spinestats.reports import fracture_figures as ff
from spinestats.reports import fracture_job
from spinestats.reports.cli.main import main
from spinestats.reports.output import dumps_results

CSV = Path(cohort_fracture.__file__).with_name("synthetic_fracture.csv")
SCHEMA = json.loads((Path(fracture_job.__file__).parents[1] / "data_schemas" / "results" / "fracture.schema.json").read_text())


@pytest.fixture(scope="module")
def table():
    return load(CSV, schema="fracture")


@pytest.fixture(scope="module")
def section(table):
    return fracture_job.run(table=table, bootstrap=20, seed=7)


def test_results_follow_the_schema_and_reproduce_the_review(section):
    r = section.results
    jsonschema.validate(r, SCHEMA)
    cirt = r["crude"]["by_group"]["CIRT"]
    assert (cirt["n"], cirt["events"]) == (30, 7) and round(cirt["proportion"], 2) == 0.23
    assert round(r["median_time_to_fracture"]["by_group"]["CIRT"], 1) == 7.0
    assert round(r["crude"]["by_group"]["SBRT"]["proportion"] * 100, 1) == 13.9
    assert r["crude"]["by_group"]["conventional"]["events"] == 3
    assert r["gray_test"]["df"] == 2 and r["gray_test"]["p"] < 0.05  # modalities differ (cmprsk: p = 0.0444)
    assert set(r["cif"]) == {"CIRT", "SBRT", "conventional"}
    assert r["model"]["type"] == "finegray"
    assert r["model"]["terms"] == ["sins_total", "modalitySBRT", "modalityconventional"]
    # crr coefficient of SINS (tests/r/fracture_cohort.R): 0.500347476588
    assert_allclose(np.log(r["model"]["estimate"][0]), 0.500347476588, rtol=1e-5)
    assert set(r["multivariable"]) == {"finegray", "cox"}
    assert set(r["optimism"]) >= {"harrell", "uno", "time_auc", "brier", "citl", "slope"}
    assert r["optimism"]["harrell"]["corrected"] < r["optimism"]["harrell"]["apparent"]


def test_events_per_variable_warning(section):
    epv = section.results["events_per_variable"]
    assert epv == {**epv, "events": 15, "parameters": 3, "epv": 5.0, "adequate": False}
    assert "Firth" in epv["message"] and "fewer variables" in epv["message"]
    assert any("events per variable 5.0 < 10" in w for w in section.warnings)


def test_c_index_is_the_concordance_of_the_saved_risk(table, section):
    d = fracture_job.prepare(table.data)
    rm, _ = fracture_job.fit_risk_model(d, time="time_months", event="event", covariates=["sins_total", "modality"],
                                        horizon=12.0)
    d["risk"] = fracture_job.predict_risk(rm, d).risk
    c = concordance(d, time="time_months", event="event", risk="risk")
    assert_allclose(section.results["c_index"]["harrell"], c.estimate, rtol=1e-12)


def test_same_seed_same_results(table, section):
    again = fracture_job.run(table=table, bootstrap=20, seed=7)
    assert dumps_results(again.results) == dumps_results(section.results)


def test_firth_option(table):
    s = fracture_job.run(table=table, bootstrap=0, model="firth")
    m = s.results["model"]
    assert m["type"] == "firth" and m["ci_method"] == "profile penalised likelihood"
    assert all(lo < e < hi for lo, e, hi in zip(m["lower"], m["estimate"], m["upper"]))
    assert s.results["optimism"] == {}


def test_sins_categories_in_results(section):
    s = section.results["sins"]
    assert sum(s["counts"].values()) == 126
    by = s["crude_by_category"]
    assert sum(v["events"] for v in by.values()) == 15
    # fractures are commoner with a higher SINS (the cohort's built-in association)
    assert by["indeterminate"]["proportion"] > by["stable"]["proportion"]
    assert s["gray_test"]["df"] == len(s["gray_test"]["groups"]) - 1


def test_sins_out_of_range_in_a_file_is_refused_by_the_loader(tmp_path):
    d = cohort_fracture.make().head(5).copy()
    d.loc[2, "sins_pain"] = 2
    f = tmp_path / "bad.csv"
    f.write_text(csv_text(d), encoding="utf-8")
    with pytest.raises(DataError, match=r"line 5, column 'sins_pain': value '2'.*expected one of 0, 1, 3"):
        load(f, schema="fracture")


def test_invalid_sins_component_reaches_the_user(table):
    bad = table.data.copy()
    bad.loc[bad.index[2], "sins_pain"] = 2
    with pytest.raises(DataError, match=r"sins_pain.*row 5: value 2 .*\{0, 1, 3\}"):
        fracture_job.run(data=bad, bootstrap=0)


def test_figures_plot_the_result_numbers(section):
    import matplotlib.pyplot as plt

    from spinestats.analysis.competing_risks.cuminc import cumulative_incidence

    d = fracture_job.prepare(load(CSV, schema="fracture").data)
    ci = cumulative_incidence(d, time="time_months", event="event", group="modality")
    sp = ff.cif_figure(ci, horizon=12, pvalue="Gray's test p = 0.044")
    assert [c.label for c in sp.curves] == ["CIRT", "SBRT", "conventional"]
    assert_allclose(sp.curves[0].estimate[-1], 7 / 30)
    assert sp.table_times[:3].tolist() == [0.0, 24.0, 48.0]  # 24-month columns beyond 8 years
    plt.close(sp.figure)

    model = section.results["model"]
    ax = ff.forest_figure(model)
    xs = [c for c in ax.collections if c.get_label() == "estimate"][0].get_offsets()[:, 0]
    assert_allclose(xs, model["estimate"])
    plt.close(ax.figure)
    from spinestats.analysis.prediction.decision_curve import DecisionCurve

    dc = section.results["decision_curve"]
    obj = DecisionCurve(np.asarray(dc["threshold"]), np.asarray(dc["model"], float), np.asarray(dc["treat_all"]),
                        np.asarray(dc["treat_none"]), np.zeros(len(dc["threshold"]), int), 12.0)
    ax = ff.decision_curve_figure(obj)
    assert_allclose(ax.lines[0].get_ydata(), dc["model"])
    assert_allclose(ax.lines[1].get_ydata(), dc["treat_all"])
    plt.close(ax.figure)


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_commands_fracture_then_predict(tmp_path, capsys):
    before = _sha(CSV)
    out, model = tmp_path / "out", tmp_path / "model.json"
    with pytest.raises(SystemExit) as e:
        main(["fracture", str(CSV), "--bootstrap", "5", "--out", str(out), "--save-model", str(model),
              "--figure-format", "svg"])
    assert e.value.code == 0, capsys.readouterr().err
    r = json.loads((out / "results.json").read_text())
    assert r["crude"]["by_group"]["CIRT"]["events"] == 7
    assert (out / "figures" / "fracture_forest.svg").is_file()
    for stem in ("fracture_finegray", "fracture_cox", "fracture_crude_incidence", "fracture_cif_at_times",
                 "fracture_performance"):  # the regression and result tables in every format, and in the report
        assert all((out / "tables" / f"{stem}.{ext}").is_file() for ext in ("csv", "xlsx", "docx", "md")), stem
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Risk factors for vertebral compression fracture: Fine\u2013Gray regression" in html
    assert '<th class="span" colspan="4" scope="colgroup">Multivariable</th>' in html
    assert "<th class=\"num\">sHR (95% CI)</th>" in html and "modalitySBRT</td>" not in html
    assert json.loads(model.read_text())["format"] == "spinestats-risk-model"
    pred = tmp_path / "pred.csv"
    with pytest.raises(SystemExit) as e:
        main(["predict", str(model), str(CSV), "--output", str(pred), "--id-key", "a-study-key-for-the-test"])
    assert e.value.code == 0, capsys.readouterr().err
    p = pd.read_csv(pred)
    assert len(p) == 126 and p["patient"].str.match(r"^P-[0-9a-f]{10}$").all()
    assert "FX-" not in pred.read_text()
    assert ((p["lower"] < p["risk"]) & (p["risk"] < p["upper"])).all()
    assert_allclose(p["risk"].iloc[0], 0.581238039917, rtol=1e-5)  # predict.crr, row 1
    assert _sha(CSV) == before  # the input is never modified


def test_command_reports_a_fracture_before_irradiation(tmp_path, capsys):
    d = cohort_fracture.make().head(6).copy()
    d.loc[1, ["vcf", "vcf_date"]] = [True, "2001-02-03"]
    f = tmp_path / "bad.csv"
    f.write_text(csv_text(d), encoding="utf-8")
    with pytest.raises(SystemExit) as e:
        main(["fracture", str(f), "--bootstrap", "0", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert e.value.code == 1
    assert "line 4" in err and "vcf_date" in err and "irradiation_date" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_predict_scores_new_patients_without_follow_up(tmp_path, capsys, table):
    from spinestats.analysis.prediction.risk_model import model_to_json

    d = fracture_job.prepare(table.data)
    rm, _ = fracture_job.fit_risk_model(d, time="time_months", event="event", covariates=["sins_total", "modality"],
                                        horizon=12.0)
    model = tmp_path / "m.json"
    model.write_text(model_to_json(rm), encoding="utf-8")
    new = cohort_fracture.make().head(3)[["patient_id", "modality", "sins_location", "sins_pain", "sins_bone_lesion",
                                          "sins_alignment", "sins_collapse", "sins_posterolateral"]]
    f = tmp_path / "new.csv"
    new.to_csv(f, index=False)
    with pytest.raises(SystemExit) as e:
        main(["predict", str(model), str(f), "--out", str(tmp_path / "o"), "--id-key", "a-study-key-for-the-test"])
    assert e.value.code == 0, capsys.readouterr().err
    r = json.loads((tmp_path / "o" / "results.json").read_text())
    assert_allclose([p["risk"] for p in r["predictions"]], [0.581238039917, 0.410082622672, 0.0423252105051], rtol=1e-5)
    # a model column missing from the file is named
    new.drop(columns="modality").to_csv(f, index=False)
    with pytest.raises(SystemExit) as e:
        main(["predict", str(model), str(f), "--output", str(tmp_path / "p.csv"), "--key", "a-study-key-for-the-test"])
    assert e.value.code == 1 and "modality" in capsys.readouterr().err


def test_missing_covariate_rows_left_out_of_the_model_and_counted(table):
    d = table.data.copy()
    d.loc[d.index[:4], "age"] = np.nan
    s = fracture_job.run(data=d, bootstrap=0, covariates=["sins_total", "age"])
    r = s.results
    assert r["flow"]["patients"] == 126 and r["flow"]["model_patients"] == 122
    assert r["crude"]["overall"]["n"] == 126  # incidence still uses everybody
    assert any("4 patient(s) with a missing covariate" in w for w in s.warnings)


def test_complete_separation_firth_model_stays_finite(table):
    d = table.data.copy()
    p = fracture_job.prepare(d)
    # a covariate equal to "fracture by 12 months": complete separation of the binary outcome
    d["baseline_fracture"] = ((p["event"] == 1) & (p["time_months"] <= 12)).to_numpy()
    s = fracture_job.run(data=d, bootstrap=0, model="firth", covariates=["baseline_fracture"])
    m = s.results["model"]
    assert m["separation"] == "complete"
    assert np.isfinite(m["estimate"][0]) and np.isfinite(m["lower"][0]) and np.isfinite(m["upper"][0])
    assert any("Complete separation" in w and "Firth" in w for w in s.warnings)


def test_horizon_before_any_fracture_is_reported(table):
    s = fracture_job.run(table=table, bootstrap=0, horizon=0.5)
    assert s.results["calibration"]["citl"] is None and s.results["time_auc"]["estimate"] is None
    assert any("no fracture occurred by the horizon of 0.5 months" in w for w in s.warnings)

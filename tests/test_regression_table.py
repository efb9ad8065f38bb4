"""Regression tables (gtsummary tbl_uvregression + tbl_regression side by side) for the fracture models.

The cohort is the bundled synthetic_fracture.csv (after ``fracture_job.prepare``: tests/data/fracture_cohort.csv);
modality is a three-level factor whose reference is set to conventional RT, as a plan's ``reference:`` does.
R 4.2, cmprsk 2.2 and survival 3.5; the R code is tests/r/fracture_regression_table.R (each value's line below).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from spinestats.data_schemas.examples import cohort_fracture
from spinestats.data_schemas.labels import Labels
from spinestats.data_schemas.loading import load
from spinestats.reports import fracture_job
from spinestats.reports.regression_table import model_block, model_note, regression_table, univariable_block
from spinestats.reports.tables import TableStyle, table_style, write_table

CSV = Path(cohort_fracture.__file__).with_name("synthetic_fracture.csv")
ROWS = ["Modality", "\u2003Conventional RT", "\u2003CIRT", "\u2003SBRT", "SINS total (0\u201318)"]


def _run(tmp_path, model="finegray"):
    lab = Labels(["fracture"], reference={"modality": "conventional"})
    with table_style(TableStyle(), labels=lab) as written:
        sec = fracture_job.run(table=load(CSV, schema="fracture"), out_dir=tmp_path, model=model, bootstrap=0,
                               univariable=["modality", "sins_total"], figure_formats=["svg"], dpis=[72], labels=lab)
    return sec, {r.path.stem: r.table for r in written}


@pytest.fixture(scope="module")
def finegray_run(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("fg"))


def test_fine_gray_table_reference_rows_labels_and_r_values(finegray_run):
    sec, t = finegray_run
    assert {"tables/fracture_finegray.csv", "tables/fracture_cox.csv"} <= {p.as_posix() for p in sec.tables}
    tab = t["fracture_finegray"]
    shown = tab.format()
    assert shown["Characteristic"].tolist() == ROWS  # reference (user-set) first, then schema order
    assert list(shown.columns) == [
        "Characteristic", "Univariable: N", "Univariable: events", "Univariable: sHR (95% CI)", "Univariable: p",
        "Multivariable: N", "Multivariable: events", "Multivariable: sHR (95% CI)", "Multivariable: p"]
    ref = shown.iloc[1]
    assert ref["Univariable: sHR (95% CI)"] == "\u2014" and ref["Multivariable: sHR (95% CI)"] == "\u2014"
    assert ref["Univariable: p"] == "" and shown.iloc[0]["Univariable: sHR (95% CI)"] == ""
    assert shown.iloc[0][["Univariable: N", "Univariable: events", "Multivariable: N"]].tolist() == ["126", "15", "126"]
    text = " ".join(shown.to_numpy().ravel()) + " ".join(tab.footnotes)
    assert not any(raw in text for raw in ("modality", "sins_total", "TRUE", "conventional "))
    assert "sHR: subdistribution hazard ratio" in tab.footnotes[0] and "\u2014: reference level" in tab.footnotes[0]
    assert any("Fine\u2013Gray" in n and "Breslow method for tied times" in n and "robust sandwich SEs" in n
               and "Wald p-values" in n for n in tab.footnotes)
    f = tab.data
    # R (fracture_regression_table.R): fg(Xm) -> univariable modality: CIRT, SBRT vs conventional
    assert_allclose(f["m0_estimate"].iloc[[2, 3]], [4.89646858616, 2.95586907999], rtol=1e-5)
    assert_allclose(f["m0_lower"].iloc[[2, 3]], [1.27887388972, 0.700152322526], rtol=1e-5)
    assert_allclose(f["m0_upper"].iloc[[2, 3]], [18.7472782172, 12.4789445624], rtol=1e-5)
    assert_allclose(f["m0_p"].iloc[[2, 3]], [0.020391256295, 0.140245060183], rtol=1e-5)
    # R: fg(Xsm) -> sins_total + modality (rows: SINS, CIRT, SBRT)
    assert_allclose(f["m1_estimate"].iloc[[4, 2, 3]], [1.64929426229, 10.1233918962, 3.09698645082], rtol=1e-5)
    assert_allclose(f["m1_lower"].iloc[[4, 2, 3]], [1.27853495987, 2.22934244036, 0.728969154251], rtol=1e-5)
    assert_allclose(f["m1_upper"].iloc[[4, 2, 3]], [2.12756917018, 45.9700859002, 13.1573812426], rtol=1e-5)
    assert_allclose(f["m1_p"].iloc[[4, 2, 3]], [0.000117499176885, 0.00271392408504, 0.12561093256], rtol=1e-5)
    # the table's numbers are the results' (results.json) numbers
    mv = sec.results["multivariable"]["finegray"]
    assert mv["terms"] == ["sins_total", "modalityCIRT", "modalitySBRT"]
    assert_allclose(f["m1_estimate"].iloc[[4, 2, 3]], mv["estimate"], rtol=1e-12)
    assert_allclose(f["m1_p"].iloc[[4, 2, 3]], mv["p"], rtol=1e-12)


def test_cause_specific_cox_table_matches_coxph(finegray_run):
    _, t = finegray_run
    tab = t["fracture_cox"]
    shown = tab.format()
    assert shown["Characteristic"].tolist() == ROWS
    assert "Multivariable: csHR (95% CI)" in shown.columns and shown.iloc[1]["Univariable: csHR (95% CI)"] == "\u2014"
    assert any("Cause-specific Cox" in n and "Efron method for tied times" in n and "model-based SEs" in n
               for n in tab.footnotes)
    f = tab.data
    # R: cs(Surv(time_months, fx) ~ modality)
    assert_allclose(f["m0_estimate"].iloc[[2, 3]], [3.55544141331, 2.49656339425], rtol=1e-5)
    assert_allclose(f["m0_lower"].iloc[[2, 3]], [0.909363832011, 0.595871205007], rtol=1e-5)
    assert_allclose(f["m0_p"].iloc[[2, 3]], [0.0682442372082, 0.210689915959], rtol=1e-5)
    # R: cs(Surv(time_months, fx) ~ sins_total + modality)
    assert_allclose(f["m1_estimate"].iloc[[4, 2, 3]], [1.62369445991, 8.09030270341, 2.76715536196], rtol=1e-5)
    assert_allclose(f["m1_upper"].iloc[[4, 2, 3]], [2.17525361409, 36.0593914169, 11.7680055337], rtol=1e-5)
    assert_allclose(f["m1_p"].iloc[[4, 2, 3]], [0.00116004919425, 0.00611026651253, 0.16817210424], rtol=1e-5)


def test_firth_table_equals_the_fitted_models(tmp_path):
    sec, t = _run(tmp_path, model="firth")
    assert "tables/fracture_firth.csv" in {p.as_posix() for p in sec.tables}
    tab = t["fracture_firth"]
    shown = tab.format()
    assert shown["Characteristic"].tolist() == ROWS
    assert "Univariable: OR (95% CI)" in shown.columns and shown.iloc[1]["Multivariable: OR (95% CI)"] == "\u2014"
    assert any("Firth" in n and "profile penalised-likelihood CIs" in n for n in tab.footnotes)
    m = sec.results["model"]
    assert m["type"] == "firth" and m["terms"] == ["sins_total", "modalityCIRT", "modalitySBRT"]
    f = tab.data
    for col, key in (("m1_estimate", "estimate"), ("m1_lower", "lower"), ("m1_upper", "upper"), ("m1_p", "p")):
        assert_allclose(f[col].iloc[[4, 2, 3]], m[key], rtol=1e-12)
    assert f["m1_n"].iloc[0] == m["n"] and f["m1_events"].iloc[0] == m["events"]
    uni = pd.DataFrame(sec.results["univariable_firth"])
    mod = uni[uni["variable"] == "modality"]
    assert mod["term"].tolist() == ["modalityCIRT", "modalitySBRT"]
    assert_allclose(f["m0_estimate"].iloc[[2, 3]], mod["or"], rtol=1e-12)
    assert_allclose(f["m0_p"].iloc[[2, 3]], mod["p"], rtol=1e-12)
    # fractures by the horizon among patients of known status (the logistic outcome), fewer than all fractures
    assert f["m0_events"].iloc[0] == mod["events"].iloc[0] < 15
    # the saved risk model codes modality against the same reference as the table
    import json

    coding = json.loads((tmp_path / "model.json").read_text(encoding="utf-8"))["coding"]
    assert {c["level"]: c["reference"] for c in coding if c["column"] == "modality"} == {
        "CIRT": "conventional", "SBRT": "conventional"}


def test_layout_conf_level_missing_factor_and_unlisted_terms(tmp_path):
    lab = Labels(["fracture"])
    uni = univariable_block({
        "modality": model_block(["modalitySBRT", "modalityconventional"], [2.0, 0.5], [1.0, 0.25], [4.0, 1.0],
                                [0.04, 0.05], n=30, events=9),
        "age": model_block(["age"], [1.01], [0.99], [1.03], [0.3], n=29, events=8)})
    multi = model_block(["age", "modalitySBRT", "age:modalitySBRT"], [1.02, 1.5, 0.9], [1.0, 0.7, 0.8],
                        [1.04, 3.2, 1.01], [0.07, 0.3, 0.08], n=29, events=8)
    t = regression_table({"Univariable": uni, "Multivariable": multi}, ["modality", "age", "lytic"],
                         {"modality": ["CIRT", "SBRT", "conventional"], "lytic": [False, True]}, labels=lab,
                         measure="OR", conf_level=0.9, notes=[model_note("Logistic regression", se="model-based SEs")])
    shown = t.format(TableStyle())
    assert shown.columns[3] == "Univariable: OR (90% CI)" and shown.columns[7] == "Multivariable: OR (90% CI)"
    assert shown["Characteristic"].tolist() == [
        "Modality", "\u2003CIRT", "\u2003SBRT", "\u2003Conventional RT", "Age (years)", "Lytic lesion", "\u2003No",
        "\u2003Yes", "Age (years) \u00d7 Modality: SBRT"]
    by = shown.set_index("Characteristic")
    # the multivariable model lacks modalityconventional: its cell blank, the reference still dashed
    assert by.loc["\u2003CIRT", "Multivariable: OR (90% CI)"] == "\u2014"
    assert by.loc["\u2003Conventional RT", "Multivariable: OR (90% CI)"] == ""
    assert by.loc["\u2003Conventional RT", "Univariable: OR (90% CI)"] == "0.50 (0.25\u20131.00)"
    # lytic is in neither model: no dash for its reference level, no N
    assert by.loc["\u2003No"].tolist() == [""] * 8 and by.loc["Lytic lesion", "Univariable: N"] == ""
    assert by.loc["Age (years)", "Univariable: N"] == "29" and by.loc["Modality", "Multivariable: N"] == "29"
    # an interaction no row lists gets its own labelled row, never dropped
    assert by.loc["Age (years) \u00d7 Modality: SBRT", "Multivariable: OR (90% CI)"] == "0.90 (0.80\u20131.01)"
    assert t.footnotes == ("OR: odds ratio; CI: confidence interval. \u2014: reference level.",
                           "Logistic regression; model-based SEs; Wald p-values.")
    # one formatting path: the CSV keeps the numbers and none of the layout flags; the other formats the strings
    paths = write_table(t, tmp_path, "reg", ("csv", "md", "docx"))
    csv = pd.read_csv(paths[0])
    assert not [c for c in csv.columns if c.startswith("_")]
    assert_allclose(csv["m1_estimate"].to_numpy()[[4, 2, 8]], [1.02, 1.5, 0.9])
    assert "| \u2003Conventional RT |  |  | 0.50 (0.25\u20131.00) |" in paths[1].read_text(encoding="utf-8")
    assert np.isnan(csv["m0_p"].iloc[0])


def test_incidence_tables_show_the_results_with_labels(finegray_run):
    sec, t = finegray_run
    r = sec.results
    crude = t["fracture_crude_incidence"]
    shown = crude.format()
    assert list(shown.columns) == ["Characteristic", "N", "Fractures", "Crude incidence, % (95% CI)",
                                   "Median time to fracture, months"]
    assert shown["Characteristic"].tolist() == ["Overall", "Modality", "\u2003CIRT", "\u2003SBRT", "\u2003Conventional RT"]
    # R: binom.test(7, 30)$conf.int (fracture_cohort.R) -> the CIRT row, as results.json has it
    cirt = r["crude"]["by_group"]["CIRT"]
    assert shown.iloc[2].tolist() == ["\u2003CIRT", "30", "7", "23.3 (9.9\u201342.3)", "7.0"]
    assert_allclose(crude.data.loc[2, ["percent", "lower", "upper"]].astype(float),
                    100 * np.array([cirt["proportion"], *cirt["ci"]]), rtol=1e-12)
    cif = t["fracture_cif_at_times"]
    f = cif.data
    assert f["characteristic"].tolist() == ["Overall", "Modality", "CIRT", "SBRT", "Conventional RT"]
    at = pd.DataFrame(r["cif_at"])
    for i, tm in enumerate((6.0, 12.0, 24.0)):  # horizon 12: times 6, 12, 24
        for row, g in ((2, "CIRT"), (3, "SBRT"), (4, "conventional")):
            ref = at[(at["modality"] == g) & (at["time"] == tm)].iloc[0]
            assert_allclose(f.loc[row, [f"at_{i}", f"at_{i}_lower", f"at_{i}_upper"]].astype(float),
                            100 * ref[["estimate", "lower", "upper"]].astype(float).to_numpy(), rtol=1e-12)
    assert_allclose(f.loc[1, "p"], r["gray_test"]["p"], rtol=1e-12)  # cmprsk: 0.0444 (test_fracture_job)
    assert cif.title == "Cumulative incidence of vertebral compression fracture by modality"
    sins = t["fracture_cif_by_sins"]
    assert sins.title.endswith("by SINS category") and "p: Gray's test across SINS category." in sins.footnotes
    assert sins.data["characteristic"].tolist()[2:] == ["Stable (0\u20136)", "Indeterminate (7\u201312)"]
    assert_allclose(sins.data.loc[1, "p"], r["sins"]["gray_test"]["p"], rtol=1e-12)


def test_performance_table_shows_the_validation_results(finegray_run, tmp_path):
    sec, t = finegray_run
    r = sec.results
    tab = t["fracture_performance"]
    assert list(tab.format().columns) == ["Measure", "Apparent (95% CI)"]  # no bootstrap: no optimism columns
    assert_allclose(tab.data["apparent"], [r["c_index"]["harrell"], r["c_index"]["uno"], r["time_auc"]["estimate"],
                                           r["brier"]["estimate"], r["calibration"]["citl"], r["calibration"]["slope"]],
                    rtol=1e-12)
    assert_allclose(tab.data.loc[5, ["lower", "upper"]].astype(float), r["calibration"]["slope_ci"], rtol=1e-12)
    with table_style(TableStyle()) as written:
        boot = fracture_job.run(table=load(CSV, schema="fracture"), out_dir=tmp_path, bootstrap=5, seed=3,
                                univariable=["modality"], figure_formats=["svg"], dpis=[72])
    perf = {r_.path.stem: r_.table for r_ in written}["fracture_performance"]
    shown = perf.format()
    assert list(shown.columns) == ["Measure", "Apparent (95% CI)", "Optimism", "Optimism-corrected"]
    o = boot.results["optimism"]
    assert_allclose(perf.data["corrected"], [o[m]["corrected"] for m in ("harrell", "uno", "time_auc", "brier",
                                                                         "citl", "slope")], rtol=1e-12)
    assert any("5 replicates, seed 3" in n for n in perf.footnotes)


def test_calibration_table_in_percent_with_readable_headers(finegray_run):
    sec, t = finegray_run
    tab = t["fracture_calibration_groups"]
    shown = tab.format()
    assert list(shown.columns) == ["Risk group", "N", "Mean predicted risk, %", "Observed risk, % (95% CI)"]
    groups = pd.DataFrame(sec.results["calibration"]["groups"])
    assert shown["N"].tolist() == [str(n) for n in groups["n"]] and shown["Risk group"].tolist()[0] == "1"
    assert_allclose(tab.data["observed_pct"], 100 * groups["observed"], rtol=1e-12)
    assert_allclose(tab.data["predicted_pct"], 100 * groups["predicted"], rtol=1e-12)

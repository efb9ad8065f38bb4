"""The pain job's multiple-imputation workflow (analysis/longitudinal/imputed_analysis.py) against R mice, and
its journal table; the adverse-events table; the thin pain job.

R reference: ``tests/r/pain_imputed.R`` pools, with mice ``pool()``, the fits on the five completed data sets
that spinestats' imputer draws from ``synthetic_cafe`` with seed 3 (committed as
``tests/data/pain_imputed_sets.csv``; the first test checks the imputer still draws exactly these)::

    fits <- lapply(sets, function(s) lm(nrs_1m ~ nrs_baseline + arm, data = s))
    pl <- pool(as.mira(fits)); s <- summary(pl, conf.int = TRUE, conf.level = 0.90)
    c(s$estimate[3], s$std.error[3], s$df[3], s$p.value[3], s[3, "5 %"], s[3, "95 %"], pl$pooled$fmi[3])
    # and lm(I(nrs_3m - nrs_baseline) ~ 1) in the BKP arm, lm(I(nrs_12m - nrs_baseline) ~ 1) in the control arm
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from spinestats.analysis.longitudinal.imputed_analysis import ImputedAnalysisResult, imputed_analysis
from spinestats.analysis.longitudinal.mice import impute
from spinestats.data_schemas.examples import cohort_bkp, cohort_cafe
from spinestats.data_schemas.labels import Labels
from spinestats.errors import UsageError
from spinestats.reports import pain_job
from spinestats.reports.pain_tables import adverse_events_table, imputed_table
from spinestats.reports.tables import table_width_mm, to_markdown

DATA = Path(__file__).parent / "data"
VISITS = ("baseline", "1w", "1m", "3m", "6m", "12m")
COLS = {v: f"nrs_{v}" for v in VISITS}
RAW = re.compile(r"(?<![\w.])(1w|1m|3m|6m|12m|BKP|control|nrs_\w+|visit(?:1w|1m|3m|6m|12m|final)|arm(?:BKP|control)|"
                 r"True|False|[a-z]+_[a-z_]+)(?![\w.])")

# tests/r/pain_imputed.R: estimate, std.error, df, p.value, 5 %, 95 %, fmi
R_ANCOVA_1M = [-2.80428893115, 0.278140435592, 109.026046194, 2.75878412657e-17, -3.2657100237, -2.3428678386,
               0.0356953365555]
R_CHANGE_3M_BKP = [-3.67076923077, 0.196998933707, 60.7815900809, 8.17956449187e-27, -3.99981892168,
                   -3.34171953986, 0.047661918837]
R_CHANGE_12M_CONTROL = [-0.669230769231, 0.220459102861, 44.1997844592, 0.00401422950634, -1.03961675968,
                        -0.298844778783, 0.100958507083]


@pytest.fixture(scope="module")
def result() -> ImputedAnalysisResult:
    return imputed_analysis(cohort_cafe.make(), visit_columns=COLS, baseline="nrs_baseline", subject="patient_id",
                            arm="arm", arms=("control", "BKP"), mcid=2, mcid_percent=30, m=5, seed=3,
                            ancova_visit="1m", visit_order=VISITS + ("final",), conf_level=0.90)


def _row(r: pd.Series, estimate: str) -> list[float]:
    return [r[estimate], r["se"], r["df"], r["p"], r["ci_low"], r["ci_high"], r["fmi"]]


def test_the_committed_sets_are_the_imputers_draws():
    w = cohort_cafe.make()
    w["_arm_bkp"] = (w["arm"] == "BKP").astype(float)
    imp = impute(w, columns=list(COLS.values()), predictors=["_arm_bkp"], m=5, seed=3)
    sets = pd.read_csv(DATA / "pain_imputed_sets.csv")
    for i in range(5):
        got = sets[sets["imp"] == i + 1]
        assert list(got["arm"]) == list(w["arm"])
        np.testing.assert_array_equal(got[list(COLS.values())].to_numpy(float), imp.completed[i])


def test_pooled_estimates_equal_mice_pool(result):
    assert_allclose(_row(result.ancova.iloc[0], "difference"), R_ANCOVA_1M, rtol=1e-6)
    paired = result.paired.set_index(["arm", "visit"])
    assert_allclose(_row(paired.loc[("BKP", "3m")], "mean_diff"), R_CHANGE_3M_BKP, rtol=1e-6)
    assert_allclose(_row(paired.loc[("control", "12m")], "mean_diff"), R_CHANGE_12M_CONTROL, rtol=1e-6)
    assert result.conf_level == 0.90 and result.m == 5 and result.visits_not_imputed == ()


def test_result_is_frozen_and_its_dict_is_the_published_block(result):
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.m = 3  # type: ignore[misc]
    d = result.to_dict()
    assert set(d) == {"m", "method", "maxit", "seed", "n_missing", "pooling", "visits_not_imputed", "paired",
                      "ancova", "mixed_model", "emmeans_contrasts", "responders", "responder_differences"}
    assert not any(k.startswith("_") for k in d)
    assert d["ancova"]["ci"] == [result.ancova["ci_low"].iloc[0], result.ancova["ci_high"].iloc[0]]
    assert d["ancova"]["contrast"] == "BKP - control" and d["ancova"]["visit"] == "1m"
    assert all(0.0 <= r["ci"][0] <= r["ci"][1] <= 1.0 for r in d["responders"])  # proportions truncated to [0, 1]
    assert len(d["mixed_model"]["terms"]) == len(d["mixed_model"]["fmi"]) == 12


def test_imputed_table_shows_labelled_pooled_contrasts(result):
    t = imputed_table(result, Labels(["bkp"]))
    shown = t.format()
    assert list(shown.columns) == ["Characteristic", "Estimate (90% CI)", "p", "FMI"]
    md = to_markdown(t)
    # R: -2.80 (-3.27 to -2.34), p < 0.001, FMI 0.036 (tests/r/pain_imputed.R)
    assert "| \u2003Adjusted for baseline | \u22122.80 (\u22123.27 to \u22122.34) | <0.001 | 0.04 |" in md
    assert "| Difference between arms at 1 month (ANCOVA) |" in md
    assert "| \u200312 months | \u22120.67 (\u22121.04 to \u22120.30) | 0.004 | 0.10 |" in md  # control, paired
    assert any("m = 5" in f and "Barnard\u2013Rubin" in f and "90% CIs" in f
               and "differences between arms: Balloon kyphoplasty \u2212 Control." in f for f in t.footnotes)
    assert table_width_mm(shown) <= 210 - 2 * 20  # fits a portrait A4 page
    assert any(f.startswith("FMI: fraction of missing information") for f in t.footnotes)
    cells = list(shown.columns) + [c for col in shown.columns for c in shown[col]] + [t.title, *t.footnotes]
    assert not {m for c in cells for m in RAW.findall(str(c))}


def test_adverse_events_table_is_a_journal_table():
    from spinestats.analysis.descriptive.adverse_events import adverse_events

    w = cohort_cafe.make().astype({"new_fracture": object})
    w.loc[w.index[0], "new_fracture"] = None  # the first patient has no record of a new fracture
    arm0 = w.loc[w.index[0], "arm"]
    ae = adverse_events(w, events=["cement_leakage", "new_fracture", "added_fixation"], arm="arm",
                        arms=("control", "BKP"))
    t = adverse_events_table(ae, ("control", "BKP"), Labels(["bkp"]), {"control": 52, "BKP": 65})
    shown = t.format()
    assert list(shown.columns) == ["Event", "Control (n = 52)", "Balloon kyphoplasty (n = 65)"]
    assert list(shown["Event"]) == ["Cement leakage", "New vertebral fracture", "Additional fixation"]
    # hand-computed from the cohort: events / patients with a value
    for i, ev in enumerate(["cement_leakage", "new_fracture", "added_fixation"]):
        for arm, col in (("control", "Control (n = 52)"), ("BKP", "Balloon kyphoplasty (n = 65)")):
            known = w.loc[w["arm"] == arm, ev].dropna().astype(bool)
            assert shown[col].iloc[i] == f"{int(known.sum())} ({100 * known.sum() / known.size:.1f}%)"
    assert shown["Balloon kyphoplasty (n = 65)"].iloc[0] == "3 (4.6%)"  # 3/65 cement leakages
    assert "Exact (Clopper\u2013Pearson) 95% CIs" in t.footnotes[0]
    label = "Control" if arm0 == "control" else "Balloon kyphoplasty"
    assert t.footnotes[1] == ("Patients without a recorded value (not counted as without the event): "
                              f"New vertebral fracture, {label}: 1.")
    cells = list(shown.columns) + [c for col in shown.columns for c in shown[col]] + [t.title, *t.footnotes]
    assert not {m for c in cells for m in RAW.findall(str(c))}


def test_job_writes_the_imputed_and_adverse_event_tables_in_every_format(tmp_path):
    from spinestats.reports.section_tables import finish_single

    sec = pain_job.run(cohort_cafe.make(), out_dir=tmp_path, impute=5, seed=3, conf_level=0.9,
                       figure_formats=["png"], dpis=[72])
    assert sec.results["imputed"]["ancova"]["difference"] == pytest.approx(R_ANCOVA_1M[0], rel=1e-6)
    assert sec.results["imputed"]["ancova"]["ci"] == pytest.approx(R_ANCOVA_1M[4:6], rel=1e-6)
    sec = finish_single(sec, tmp_path)
    for name in ("imputed", "adverse_events"):
        for ext in ("csv", "md", "docx", "xlsx"):
            assert (tmp_path / "tables" / f"pain_{name}.{ext}").exists(), (name, ext)
    md = (tmp_path / "tables" / "pain_imputed.md").read_text(encoding="utf-8")
    assert "Estimates after multiple imputation of missed visits" in md and "Estimate (90% CI)" in md
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Estimates after multiple imputation of missed visits" in html and "Adverse events" in html
    assert "Balloon kyphoplasty (n = 65)" in html
    csv = pd.read_csv(tmp_path / "tables" / "pain_imputed.csv")
    assert {"quantity", "estimate", "ci_low", "ci_high", "p", "fmi"} <= set(csv.columns)


def test_pain_options_and_thin_job():
    opts = pain_job.PainOptions.from_mapping({"impute": 20, "emmeans_times": [0, 12], "conf_level": 0.9})
    assert opts.emmeans_times == (0, 12) and opts.impute == 20
    with pytest.raises(UsageError, match="option 'conf_level' expects a number"):
        pain_job.PainOptions.from_mapping({"conf_level": "95%"})
    with pytest.raises(UsageError, match="Did you mean 'impute'"):
        pain_job.run(cohort_bkp.make(), imputes=5)
    # analyse is at most 60 lines: compute, tables, figures and methods are separate steps
    tree = ast.parse(inspect.getsource(pain_job))
    fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "analyse")
    assert fn.end_lineno - fn.lineno + 1 <= 60
    assert pain_job.OPTIONS is pain_job.PainOptions


def test_seed_comes_from_the_context():
    a = pain_job.run(cohort_bkp.make(), impute=2).results
    b = pain_job.run(cohort_bkp.make(), impute=2, seed=7).results
    assert a["options"]["seed"] == 2024 and a["imputed"]["seed"] == 2024  # the job's documented default
    assert b["options"]["seed"] == 7 and b["imputed"]["seed"] == 7


def test_plot_of_the_pain_results_draws_the_report_figure():
    """VisitSummaryResult.plot() and MixedModelResult.plot() draw with pain_figures.trajectory (the report's code)."""
    import matplotlib.pyplot as plt

    from spinestats.analysis.longitudinal import mixed_model as mm
    from spinestats.analysis.longitudinal.visit_summary import summarise_visits

    wide, long = pain_job.prepare(cohort_cafe.make())
    s = summarise_visits(long, value="nrs", visit="visit", subject="patient_id", visits=VISITS, arm="arm",
                         conf_level=0.9)
    fig = s.plot(visits=VISITS)
    ax = fig.axes[0]
    assert ax.get_ylabel() == "Mean Pain NRS (0\u201310), 90% CI" and len(fig.axes) == 2  # counts under the axis
    lines = [ln for ln in ax.get_lines() if ln.get_linestyle() not in ("None", "")]
    t = s.to_frame()
    np.testing.assert_allclose(lines[0].get_ydata(), t.loc[t["arm"] == "BKP", "mean"])
    plt.close(fig)
    fit = pain_job._fit(long, ("control", "BKP"), False, conf_level=0.9)
    fig = fit.plot()
    ax = fig.axes[0]
    assert ax.get_ylabel().replace("\n", " ") == "Estimated mean Pain NRS (0\u201310), 90% CI" and len(fig.axes) == 1
    means = mm.marginal_means(fit).means
    lines = [ln for ln in ax.get_lines() if ln.get_linestyle() not in ("None", "")]
    np.testing.assert_allclose(lines[0].get_ydata(), means.loc[means["arm"] == "BKP", "emmean"])
    legend = [x.get_text() for x in ax.get_legend().get_texts()]
    assert legend == ["Balloon kyphoplasty", "Control"]
    plt.close(fig)

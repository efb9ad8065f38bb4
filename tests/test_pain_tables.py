"""The pain tables (reports/pain_tables.py): gtsummary-like layout, labels, CI level, and the fixed-effect CIs
against lmerTest.

Reference values: ``tests/r/pain_lmm.R`` (section "fixed-effect CIs"), on the committed
``synthetic_cafe.csv``::

    m2 <- lmer(nrs ~ arm * visit + (1 | patient_id), data = c2, REML = TRUE)
    t(sapply(seq_along(fixef(m2)), function(i) { L <- rep(0, length(fixef(m2))); L[i] <- 1
      x <- contest(m2, L, joint = FALSE, confint = TRUE); c(x$lower, x$upper) }))
"""

from __future__ import annotations

import re

import pytest
from numpy.testing import assert_allclose

from spinestats.data_schemas.labels import Labels
from spinestats.data_schemas.examples import cohort_bkp, cohort_cafe
from spinestats.reports import pain_job
from spinestats.reports.tables import TableStyle, table_width_mm, to_markdown

RAW = re.compile(r"(?<![\w.])(1w|1m|3m|6m|12m|BKP|control|nrs_\w+|visit(?:1w|1m|3m|6m|12m|final)|arm(?:BKP|control)|True|False|[a-z]+_[a-z_]+)(?![\w.])")


@pytest.fixture(scope="module")
def cafe(tmp_path_factory):
    return pain_job.run(cohort_cafe.make(), out_dir=tmp_path_factory.mktemp("cafe"))


def _tables(section):
    return {r.table.stem[len(section.key) + 1:]: r.table for r in section.table_records}


def test_fixed_effect_cis_equal_lmertest(cafe):
    t = _tables(cafe)["mixed_model"]
    # contest(m2, L, joint = FALSE, confint = TRUE): lower, upper per coefficient (tests/r/pain_lmm.R)
    lower = [7.138994451298, -0.764465982638, -0.890595767087, -1.178077323356, -1.164208390580, -1.265829747854,
             -1.104058576488, -2.989820737987, -3.325511816672, -3.498981656919, -3.680788110839, -3.925405250257]
    upper = [8.0148517025478, 0.4106198287927, -0.0415487946142, -0.3237486968810, -0.3046892751484,
             -0.4116387278479, -0.1938204483637, -1.8518347304640, -2.1836468745821, -2.3531608104163,
             -2.5315260325262, -2.7203286304504]
    assert_allclose(t.data["lower"], lower, rtol=1e-5)
    assert_allclose(t.data["upper"], upper, rtol=1e-5)
    assert list(t.data["term"])[:3] == ["Intercept", "Arm: Balloon kyphoplasty", "Visit: 1 week"]
    assert t.data["term"].iloc[-1] == "Arm: Balloon kyphoplasty \u00d7 Visit: 12 months"


def test_every_pain_table_is_labelled_and_readable(cafe):
    tables = _tables(cafe)
    assert set(tables) == {"visits", "paired", "mixed_model", "emmeans", "emmeans_vs_baseline", "emmeans_between_arms",
                           "responders", "responder_differences", "missingness_patterns", "missingness_per_visit",
                           "adverse_events"}
    for name, t in tables.items():
        shown = t.format()
        cells = list(shown.columns) + [c for col in shown.columns for c in shown[col]] + [t.title, *t.footnotes]
        raw = {m for c in cells for m in RAW.findall(str(c))}
        assert not raw, (name, raw)
        assert table_width_mm(shown) <= 210 - 2 * 20, (name, table_width_mm(shown))  # fits a portrait A4 page
    md = to_markdown(tables["paired"])
    # per-arm blocks with the arm's patients, visits in words, n per visit, true minus signs
    assert "| Control |" in md and "| Balloon kyphoplasty |" in md
    assert "| Control (n = 52) |" in to_markdown(tables["visits"])
    assert "| \u20031 week | 63 | \u22122.87 (\u22123.26 to \u22122.48) |" in md
    visits = to_markdown(tables["visits"])
    assert "| \u200312 months | 40 | 12 | 6.95 (6.45\u20137.45) | 1.55 | 7.0 (6.0\u20138.0) |" in visits
    between = to_markdown(tables["emmeans_between_arms"])
    assert "Balloon kyphoplasty \u2212 Control" in between and "| 1 week | \u22122.60 (\u22123.19 to \u22122.00) | <0.001 |" in between
    patterns = tables["missingness_patterns"].format()
    assert list(patterns.columns)[:3] == ["Baseline", "1 week", "1 month"] and patterns.iloc[1, 5] == "Missing"


def test_csv_keeps_the_analysis_frame_and_other_formats_the_table(tmp_path):
    from spinestats.reports.section_tables import finish_single

    sec = pain_job.run(cohort_cafe.make(), out_dir=tmp_path)
    finish_single(sec, tmp_path)
    csv = (tmp_path / "tables" / "pain_paired.csv").read_text(encoding="utf-8").splitlines()
    assert csv[0].startswith("arm,visit,n,mean_diff") and "wilcoxon_statistic" in csv[0]  # full frame for reuse
    md = (tmp_path / "tables" / "pain_paired.md").read_text(encoding="utf-8")
    assert "**Change in pain from baseline at each visit**" in md and "p (Wilcoxon)" in md
    assert "1w" not in md and "BKP" not in md


def test_ci_level_and_labels_follow_the_options(tmp_path):
    lab = Labels(["bkp"], labels={"arm.BKP": "Kyphoplasty", "visit.1w": "Week 1", "arm": "Treatment"})
    sec = pain_job.run(cohort_cafe.make(), out_dir=tmp_path, conf_level=0.9, labels=lab)
    tables = _tables(sec)
    assert "Mean (90% CI)" in tables["visits"].format().columns
    assert "Mean change (90% CI)" in tables["paired"].format().columns
    assert "Estimate (90% CI)" in tables["mixed_model"].format().columns
    assert "Responders, % (90% CI)" in tables["responders"].format().columns
    assert "Kyphoplasty" in list(tables["responders"].format()["Visit"])
    assert "Treatment: Kyphoplasty \u00d7 Visit: Week 1" in list(tables["mixed_model"].data["term"])
    assert sec.results["options"]["conf_level"] == 0.9
    r90 = sec.results["paired"][0]
    r95 = pain_job.run(cohort_cafe.make()).results["paired"][0]
    assert r90["mean_diff"] == r95["mean_diff"] and r90["ci_low"] > r95["ci_low"]  # a narrower interval
    with pytest.raises(Exception, match="between 0 and 1"):
        pain_job.run(cohort_cafe.make(), conf_level=95)


def test_single_arm_series_has_no_arm_blocks(tmp_path):
    sec = pain_job.run(cohort_bkp.make(), out_dir=tmp_path)
    tables = _tables(sec)
    assert "emmeans_between_arms" not in tables
    md = to_markdown(tables["paired"], style=TableStyle(p_style="nejm"))
    assert "(n = " not in md and "| Last follow-up |" in md
    assert "Change from baseline (95% CI)" in tables["emmeans_vs_baseline"].format().columns


def test_continuous_time_tables_are_labelled_and_equal_lmertest(tmp_path):
    """R (tests/r/pain_lmm.R): m4 <- lmer(nrs ~ time * arm + (1 + time | patient_id), data = c3, REML = TRUE);
    contest(m4, L, joint = FALSE, confint = TRUE) per coefficient (a boundary fit, as here)."""
    sec = pain_job.run(cohort_cafe.make(), out_dir=tmp_path, time_model="continuous")
    tables = _tables(sec)
    fixed = tables["mixed_model_time"].data
    assert list(fixed["term"]) == ["Intercept", "Time since kyphoplasty (months)", "Arm: Balloon kyphoplasty",
                                   "Time since kyphoplasty (months) \u00d7 Arm: Balloon kyphoplasty"]
    assert_allclose(fixed["lower"], [6.74817638225, -0.0755023180593, -2.4979752746, -0.216593336908], rtol=1e-5)
    assert_allclose(fixed["upper"], [7.49890908767, 0.00941754554233, -1.4923763398, -0.104401121891], rtol=1e-5)
    for name in ("mixed_model_time", "emmeans_time", "emmeans_time_slopes", "emmeans_time_between_arms"):
        shown = tables[name].format()
        cells = list(shown.columns) + [c for col in shown.columns for c in shown[col]] + [tables[name].title]
        assert not {m for c in cells for m in RAW.findall(str(c))}, name
    slopes = to_markdown(tables["emmeans_time_slopes"])
    assert "| Balloon kyphoplasty \u2212 Control | \u22120.16 (\u22120.22 to \u22120.10) | <0.001 |" in slopes

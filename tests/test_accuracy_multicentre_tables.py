"""Accuracy tables (cutoffs split to fit a portrait page, features with readable headers) and multicentre tables
(per-centre accuracy with CIs, pooled estimates with I² and the prediction interval, the bivariate model).

The numbers are the analyses' own (checked against epiR, pROC, fisher.test and metafor in their own tests);
these tests check the layout: columns, headers, that each cell shows the result it should, and the page fit.
"""

from __future__ import annotations

from docx import Document
import pytest
from numpy.testing import assert_allclose

from cli_run import cli
from spinestats.data_schemas.examples import cohort_dss
from spinestats.data_schemas.examples import cohort_multicenter as cm
from spinestats.reports import diagnostic_job
from spinestats.reports.multicenter_job import run as multicenter_run
from spinestats.reports.section_tables import multicentre_tables
from spinestats.reports.tables import TableStyle, table_style, table_width_mm, write_table

PORTRAIT_MM = {"a4": 210.0 - 40.0, "letter": 215.9 - 40.0}  # page width less the 20 mm margins


def _dss(tmp_path, **kw):
    with table_style(TableStyle()) as written:
        sec = diagnostic_job.run(cohort_dss.make(), tmp_path, figure_formats=("svg",), **kw)
    return sec, {r.path.stem: r.table for r in written}


@pytest.fixture(scope="module")
def dss(tmp_path_factory):
    return _dss(tmp_path_factory.mktemp("dss"))


def test_cutoff_table_split_in_two_portrait_tables(dss, tmp_path):
    sec, t = dss
    assert {"tables/dss_cutoffs.csv", "tables/dss_cutoffs_predictive.csv"} <= {p.as_posix() for p in sec.tables}
    one, two = t["dss_cutoffs"], t["dss_cutoffs_predictive"]
    a, b = one.format(), two.format()
    assert list(a.columns) == ["Cutoff (\u2265)", "TP", "FP", "FN", "TN", "Sensitivity (95% CI)",
                               "Specificity (95% CI)", "Youden index"]
    assert list(b.columns) == ["Cutoff (\u2265)", "PPV (95% CI)", "NPV (95% CI)", "LR+ (95% CI)", "LR\u2212 (95% CI)"]
    assert a["Cutoff (\u2265)"].tolist() == b["Cutoff (\u2265)"].tolist() == [str(c) for c in range(7)]
    # each cell is the result's number: DSS >= 3 (results.json "cutoffs")
    r3 = next(c for c in sec.results["cutoffs"] if c["cutoff"] == 3)
    row = a.iloc[3]
    assert row[["TP", "FP", "FN", "TN"]].tolist() == [str(r3[k]) for k in ("tp", "fp", "fn", "tn")] == ["18", "6", "2", "33"]
    assert row["Sensitivity (95% CI)"] == "0.90 (0.68\u20130.99)" and row["Youden index"] == "0.75"
    assert_allclose(one.data.loc[3, ["sensitivity_lower", "sensitivity_upper"]].astype(float), r3["sensitivity_ci"])
    assert b.iloc[3].tolist() == ["3", "0.75 (0.53\u20130.90)", "0.94 (0.81\u20130.99)", "5.85 (2.76\u201312.39)",
                                  "0.12 (0.03\u20130.44)"]
    assert_allclose(two.data.loc[3, ["lr_pos", "lr_pos_lower", "lr_pos_upper"]].astype(float),
                    [r3["lr_pos"], *r3["lr_pos_ci"]])
    assert "Youden index: sensitivity + specificity \u2212 1." in one.footnotes[0]
    # the first table's CSV keeps every column of the analysis (DOR, accuracy and their CIs too)
    csv = one.csv_frame()
    assert {"dor", "dor_lower", "accuracy_upper", "ppv_lower", "youden_upper"} <= set(csv.columns)
    # both fit a portrait page (A4 and Letter) and the DOCX is portrait
    for paper, usable in PORTRAIT_MM.items():
        for tab in (one, two):
            assert table_width_mm(tab.format()) <= usable, (tab.stem, paper)
            path = write_table(tab, tmp_path / paper, tab.stem, ("docx",), style=TableStyle(paper=paper))[0]
            doc = Document(str(path))
            sec_ = doc.sections[0]
            assert sec_.page_width < sec_.page_height and len(doc.tables[0].columns) == len(tab.columns)


def test_feature_table_readable_headers_and_fit(dss, tmp_path):
    sec, t = dss
    tab = t["dss_features"]
    shown = tab.format()
    assert list(shown.columns) == ["Feature", "Malignant, n/N (%)", "Benign, n/N (%)", "p", "Odds ratio (95% CI)"]
    assert shown["Feature"].tolist() == ["Tumour size \u2265 5 cm", "Indistinct boundary", "Irregular lobulated shape",
                                         "Osteolytic bone destruction"]
    f0 = sec.results["features"][0]
    assert shown.iloc[0, 1:3].tolist() == [f"{f0['positive_with']}/{f0['positive_n']} (85.0%)", "8/39 (20.5%)"]
    assert shown.iloc[0, 3] == "<0.001" and shown.iloc[0, 4] == "20.43 (4.46\u2013135.46)"
    assert not any("_" in h for h in shown.columns)
    assert table_width_mm(shown) <= PORTRAIT_MM["a4"]
    assert tab.numeric_columns() == [False, True, True, True, True]  # n/N (%) aligned with the numbers
    assert "sample_odds_ratio" in tab.csv_frame().columns and "_pos" not in tab.csv_frame().columns


def test_ci_level_in_headers_follows_conf_level(tmp_path):
    _, t = _dss(tmp_path, conf_level=0.9)
    assert "Sensitivity (90% CI)" in t["dss_cutoffs"].format().columns
    assert "LR+ (90% CI)" in t["dss_cutoffs_predictive"].format().columns
    assert "Odds ratio (90% CI)" in t["dss_features"].format().columns


@pytest.fixture(scope="module")
def mc():
    return multicenter_run(cm.make(), figure_formats=["none"]).results


def test_multicentre_per_centre_pooled_and_bivariate_tables(mc):
    counts, per, pooled, biv = multicentre_tables(mc)
    n = counts.format()
    assert list(n.columns) == ["Centre", "N", "TP", "FP", "FN", "TN"]
    p = per.format()
    est = "Estimate (95% CI)"
    assert list(p.columns) == ["Centre", f"{est}: Sensitivity", f"{est}: Specificity", f"{est}: AUC"]
    assert per.spans() == [(est, 1, 3)] and per.sub_headers() == ["Centre", "Sensitivity", "Specificity", "AUC"]
    c0 = mc["per_center"][0]
    assert n.iloc[0].tolist() == [c0["center"]] + [str(c0[k]) for k in ("n", "tp", "fp", "fn", "tn")]
    assert p.iloc[0]["Centre"] == c0["center"]
    assert p.iloc[0][f"{est}: Sensitivity"] == "{:.2f} ({:.2f}\u2013{:.2f})".format(c0["sensitivity"], *c0["sensitivity_ci"])
    assert_allclose(per.data.loc[0, ["sensitivity", "sensitivity_lower", "sensitivity_upper"]].astype(float),
                    [c0["sensitivity"], *c0["sensitivity_ci"]])
    assert_allclose(per.data.loc[0, ["auc_lower", "auc_upper"]].astype(float), c0["auc_ci"])
    assert len(p) == len(mc["per_center"])
    q = pooled.format()
    assert pooled.sub_headers() == ["Measure", "Centres", "Pooled (95% CI)", "Pooled (95% PI)", "I\u00b2 (%)",
                                    "\u03c4\u00b2", "p"]
    assert pooled.spans() == [("Heterogeneity", 4, 6)] and "PI: prediction interval" in pooled.footnotes[0]
    assert q["Measure"].tolist() == ["Sensitivity", "Specificity", "AUC"]
    sp = mc["pooled"]["specificity"]
    assert_allclose(pooled.data.loc[1, ["estimate", "lower", "upper", "pi_lower", "pi_upper", "i2", "tau2", "q_p"]]
                    .astype(float), [sp["estimate"], *sp["ci"], *sp["prediction_interval"], sp["i2"], sp["tau2"], sp["q_p"]])
    assert q.iloc[1]["Heterogeneity: I\u00b2 (%)"] == f"{sp['i2']:.1f}"
    assert q.iloc[1]["Pooled (95% PI)"] == "{:.2f} ({:.2f}\u2013{:.2f})".format(sp["estimate"], *sp["prediction_interval"])
    b = biv.format()
    assert list(b.columns) == ["Measure", "Pooled (95% CI)", "\u03c4\u00b2 (logit)"]
    bv = mc["bivariate"]
    assert_allclose(biv.data[["estimate", "lower", "upper"]].to_numpy(dtype=float),
                    [[bv["sensitivity"]["estimate"], *bv["sensitivity"]["ci"]],
                     [bv["specificity"]["estimate"], *bv["specificity"]["ci"]]])
    assert_allclose(biv.data["tau2"].to_numpy(dtype=float), [bv["tau2_sensitivity"], bv["tau2_fpr"]])
    assert "Reitsma" in biv.footnotes[0]


def test_multicenter_command_writes_the_tables_in_every_format_and_report(tmp_path):
    from spinestats.data_schemas.examples import cohort_multicenter

    src = cohort_multicenter.__file__.replace("cohort_multicenter.py", "synthetic_multicenter.csv")
    out = tmp_path / "mc"
    assert cli("multicenter", src, "--schema", "dss", "--figure-formats", "none", "--out", out) == 0
    for stem in ("multicenter_per_center_counts", "multicenter_per_center", "multicenter_pooled", "multicenter_bivariate"):
        for ext in ("csv", "xlsx", "docx", "md"):
            assert (out / "tables" / f"{stem}.{ext}").is_file(), (stem, ext)
    html = (out / "report.html").read_text(encoding="utf-8")
    for title in ("Index test against the reference standard in each centre", "Accuracy in each centre",
                  "Pooled accuracy across centres", "Pooled sensitivity and specificity"):
        assert title in html
    # formatted journal tables (the JSON dump stays only inside the collapsed "All numbers" block)
    tables = html.split('<table class="journal">')[1:]
    assert len(tables) == 4
    assert '<th class="num">Pooled (95% PI)</th><th class="num">I\u00b2 (%)</th>' in tables[2]
    assert "<td>Specificity</td>" in tables[2] and "prediction_interval" not in "".join(t.split("</table>")[0] for t in tables)


def test_cutoff_table_title_names_the_score_by_its_label(tmp_path):
    frame = cohort_dss.make()
    frame["tumour_score"] = frame["size_cm"].round()
    with table_style(TableStyle()) as written:
        diagnostic_job.run(frame, tmp_path, score="tumour_score", truth="reference", positive="malignant",
                           figure_formats=("svg",), key="accuracy")
    t = {r.path.stem: r.table for r in written}
    assert t["accuracy_cutoffs"].title.startswith("Accuracy of Tumour score at each cutoff (positive when score")
    assert "dss_features" not in t and "accuracy_cutoffs_predictive" in t


def _orientation(path):
    sec_ = Document(str(path)).sections[0]
    return "portrait" if sec_.page_width < sec_.page_height else "landscape"


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_multicentre_tables_print_portrait_and_a_truly_wide_table_landscape(mc, tmp_path, paper):
    """The per-centre and pooled tables fit a portrait A4 or Letter page (DOCX portrait), even with a long centre
    name; every number of the former single per-centre table is still in one of the two; a table wider than a
    portrait page is still laid out landscape."""
    import copy

    import pandas as pd

    from spinestats.reports.tables import Col, Table

    long = copy.deepcopy(mc)
    long["per_center"][0]["center"] = "Fukushima Medical University Hospital (Japan)"
    style = TableStyle(paper=paper)
    for res in (mc, long):
        tables = multicentre_tables(res)
        assert [t.stem for t in tables] == ["per_center_counts", "per_center", "pooled", "bivariate"]
        for t in tables:
            path = write_table(t, tmp_path / paper, t.stem, ("docx",), style=style)[0]
            assert _orientation(path) == "portrait", (t.stem, paper)
            doc = Document(str(path))
            assert doc.paragraphs[0].text == t.title and len(doc.tables[0].columns) == len(t.columns)
            assert doc.sections[0].page_width.mm == pytest.approx({"a4": 210.0, "letter": 215.9}[paper], abs=0.1)
        counts, per = tables[0].format(), tables[1].format()
        shown = set(counts.to_numpy().ravel()) | set(per.to_numpy().ravel())
        for c in res["per_center"]:
            assert {str(c[k]) for k in ("n", "tp", "fp", "fn", "tn")} <= set(counts[counts["Centre"] == c["center"]]
                                                                               .iloc[0, 1:])
            for m in ("sensitivity", "specificity", "auc"):
                assert "{:.2f} ({:.2f}\u2013{:.2f})".format(c[m], *c[f"{m}_ci"]) in shown, (c["center"], m)
    wide = Table(pd.DataFrame({f"c{j}": [1234.5678] for j in range(12)}),
                 tuple(Col(f"c{j}", f"Wide column number {j}", "num") for j in range(12)), "A wide table", (), "wide")
    assert _orientation(write_table(wide, tmp_path / paper, "wide", ("docx",), style=style)[0]) == "landscape"

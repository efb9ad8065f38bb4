"""Tables built from a section's results for the analyses whose jobs write none (multicentre, agreement,
sample size), and the finishing step every single command shares with ``spinestats run``.

The numbers are the job's own results (``results.json``); nothing is computed here but their layout:

* multicentre: per-centre accuracy (TP/FP/FN/TN, sensitivity, specificity and AUC with CIs) and the pooled
  estimates with I², tau² and the prediction interval;
* agreement: Cohen's kappa per pair of readers, weighted kappa, Fleiss' kappa and the ICCs, per feature;
* sample size: the Buderer calculation's inputs and result.

:func:`finish_single` completes a single command's output folder exactly as the runner does: every table
in CSV, XLSX, DOCX and Markdown formatted by one style, and a ``report.html`` for the section.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from spinestats.reports.section import Section
from spinestats.reports.tables import Col, Table, TableStyle, complete_tables, write_table


def _ci(entry: Any, i: int) -> float:
    try:
        return float(entry[i])
    except (TypeError, IndexError, ValueError):
        return float("nan")


def multicentre_tables(res: dict[str, Any]) -> list[Table]:
    from spinestats.reports.regression_table import level_text

    out = []
    lv = level_text(res.get("conf_level") or 0.95)
    rows = res.get("per_center") or []
    if rows and "tp" not in rows[0]:
        return []  # another job's per-centre block (validate writes its own tables)
    if rows:
        data = pd.DataFrame([{
            "centre": r.get("center"), "n": r.get("n"), "tp": r.get("tp"), "fp": r.get("fp"), "fn": r.get("fn"),
            "tn": r.get("tn"), "sensitivity": r.get("sensitivity"), "sensitivity_lower": _ci(r.get("sensitivity_ci"), 0),
            "sensitivity_upper": _ci(r.get("sensitivity_ci"), 1), "specificity": r.get("specificity"),
            "specificity_lower": _ci(r.get("specificity_ci"), 0), "specificity_upper": _ci(r.get("specificity_ci"), 1),
            "auc": r.get("auc"), "auc_lower": _ci(r.get("auc_ci"), 0), "auc_upper": _ci(r.get("auc_ci"), 1)}
            for r in rows])
        cut = res.get("cutoff")
        rule = f" (positive when score \u2265 {cut:g})" if isinstance(cut, (int, float)) else ""
        # two portrait tables as journals print them: the 2 x 2 counts, then the estimates under one
        # spanning "Estimate (95% CI)" header (a long centre name still leaves room for three CIs)
        counts = (Col("centre", "Centre"), Col("n", "N", "int"), Col("tp", "TP", "int"), Col("fp", "FP", "int"),
                  Col("fn", "FN", "int"), Col("tn", "TN", "int"))
        out.append(Table(data[["centre", "n", "tp", "fp", "fn", "tn"]], counts,
                         "Index test against the reference standard in each centre" + rule,
                         ("TP: true positive; FP: false positive; FN: false negative; TN: true negative.",),
                         "per_center_counts"))
        est = f"Estimate ({lv} CI)"
        cols = (Col("centre", "Centre"),
                Col("sensitivity", f"{est}: Sensitivity", "ci", "sensitivity_lower", "sensitivity_upper", group=est),
                Col("specificity", f"{est}: Specificity", "ci", "specificity_lower", "specificity_upper", group=est),
                Col("auc", f"{est}: AUC", "ci", "auc_lower", "auc_upper", group=est))
        out.append(Table(data, cols, "Accuracy in each centre" + rule,
                         ("Sensitivity and specificity with exact (Clopper\u2013Pearson) CIs; AUC with the DeLong CI.",), "per_center"))
    pooled = res.get("pooled") or {}
    if pooled:
        prow = []
        for name, p in pooled.items():
            if not isinstance(p, dict):
                continue
            prow.append({"measure": {"auc": "AUC"}.get(name, name.capitalize()), "k": p.get("k"),
                         "estimate": p.get("estimate"), "lower": _ci(p.get("ci"), 0), "upper": _ci(p.get("ci"), 1),
                         "pi_lower": _ci(p.get("prediction_interval"), 0), "pi_upper": _ci(p.get("prediction_interval"), 1),
                         "i2": p.get("i2"), "tau2": p.get("tau2"), "q_p": p.get("q_p")})
        data = pd.DataFrame(prow)
        data["pi"] = data["estimate"]
        het = "Heterogeneity"
        cols = (Col("measure", "Measure"), Col("k", "Centres", "int"),
                Col("estimate", f"Pooled ({lv} CI)", "ci", "lower", "upper"),
                Col("pi", f"Pooled ({lv} PI)", "ci", "pi_lower", "pi_upper"),
                Col("i2", f"{het}: I\u00b2 (%)", "num", digits=1, group=het),
                Col("tau2", f"{het}: \u03c4\u00b2", "num", digits=3, group=het),
                Col("q_p", f"{het}: p", "p", group=het))
        method = next((p.get("method") for p in pooled.values() if isinstance(p, dict)), "REML")
        out.append(Table(data, cols, "Pooled accuracy across centres (random-effects meta-analysis)",
                         (f"Random-effects meta-analysis on the logit scale ({method}). PI: prediction interval for the "
                          "accuracy in a new centre. I\u00b2: share of the variation due to between-centre "
                          "heterogeneity; \u03c4\u00b2: between-centre variance of the logit; p: Cochran's Q test.",), "pooled"))
    bv = res.get("bivariate") or {}
    if isinstance(bv.get("sensitivity"), dict) and isinstance(bv.get("specificity"), dict):
        from spinestats.reports.formatting import fmt_number

        rows = [{"measure": name, "estimate": bv[key].get("estimate"), "lower": _ci(bv[key].get("ci"), 0),
                 "upper": _ci(bv[key].get("ci"), 1), "tau2": bv.get(tau)}
                for name, key, tau in (("Sensitivity", "sensitivity", "tau2_sensitivity"),
                                       ("Specificity", "specificity", "tau2_fpr"))]
        cols = (Col("measure", "Measure"), Col("estimate", f"Pooled ({lv} CI)", "ci", "lower", "upper"),
                Col("tau2", "\u03c4\u00b2 (logit)", "num", digits=3))
        rho = bv.get("rho")
        foot = ("Bivariate random-effects model of logit sensitivity and logit false-positive rate (Reitsma et al., "
                f"REML) over {bv.get('k')} centres; \u03c4\u00b2 of specificity: that of the logit false-positive rate"
                + (f"; between-centre correlation \u03c1 = {fmt_number(float(rho), 2)}" if isinstance(rho, (int, float))
                   else "") + ".",)
        out.append(Table(pd.DataFrame(rows), cols, "Pooled sensitivity and specificity (bivariate model)", foot,
                         "bivariate"))
    return out


def agreement_tables(res: dict[str, Any]) -> list[Table]:
    rows = []

    def add(feature: str, block: dict[str, Any]) -> None:
        k = block.get("kappa") or {}
        for pair in k.get("pairwise") or ([k] if k else []):
            rows.append({"feature": feature, "statistic": f"Cohen's \u03ba, {pair.get('rater1')} vs {pair.get('rater2')}",
                         "estimate": pair.get("estimate"), "lower": pair.get("lower"), "upper": pair.get("upper"),
                         "p": float("nan")})
        for kind, w in (block.get("weighted_kappa") or {}).items():
            if isinstance(w, dict):
                rows.append({"feature": feature, "statistic": f"Weighted \u03ba ({kind}), {w.get('rater1')} vs "
                             f"{w.get('rater2')}", "estimate": w.get("estimate"), "lower": w.get("lower"),
                             "upper": w.get("upper"), "p": float("nan")})
        f = block.get("fleiss_kappa")
        if isinstance(f, dict):
            rows.append({"feature": feature, "statistic": f"Fleiss' \u03ba ({f.get('n_raters')} readers)",
                         "estimate": f.get("estimate"), "lower": float("nan"), "upper": float("nan"),
                         "p": f.get("p_value")})
        for icc in block.get("icc") or []:
            rows.append({"feature": feature, "statistic": icc.get("type"), "estimate": icc.get("estimate"),
                         "lower": icc.get("lower"), "upper": icc.get("upper"), "p": icc.get("p")})

    from spinestats.data_schemas.labels import Labels

    lab = Labels(["readers"])
    add(lab.variable(str(res.get("measure"))) if res.get("measure") in lab.known_variables() else str(res.get("measure")), res)
    for name, block in (res.get("features") or {}).items():
        if isinstance(block, dict):
            add(lab.variable(name) if name in lab.known_variables() else name.replace("_", " ").capitalize(), block)
    if not rows:
        return []
    data = pd.DataFrame(rows)
    cols = (Col("feature", "Measure read"), Col("statistic", "Statistic"),
            Col("estimate", "Estimate (95% CI)", "ci", "lower", "upper"), Col("p", "p", "p"))
    return [Table(data, cols, f"Agreement between readers ({res.get('n_cases')} cases)",
                  ("\u03ba: kappa; ICC: intraclass correlation (Shrout\u2013Fleiss forms, as psych::ICC). "
                   "Fleiss' \u03ba p from the z test under \u03ba = 0.",), "agreement")]


def sample_size_tables(res: dict[str, Any]) -> list[Table]:
    if "n" not in res:
        return []
    rows = [("Expected sensitivity", res.get("sensitivity"), "num"), ("Expected specificity", res.get("specificity"), "num"),
            ("Prevalence", res.get("prevalence"), "num"), ("Precision (half-width of the CI)", res.get("precision"), "num"),
            ("Confidence level", res.get("level"), "num"), ("Patients for the sensitivity", res.get("n_sensitivity"), "int"),
            ("Patients for the specificity", res.get("n_specificity"), "int"), ("Patients needed", res.get("n"), "int"),
            ("Of whom with the condition", res.get("n_diseased"), "int")]
    data = pd.DataFrame({"quantity": [r[0] for r in rows], "value": [float(r[1]) if r[1] is not None else float("nan")
                                                                     for r in rows]})
    data["shown"] = [(f"{v:g}" if k == "num" else str(int(v))) if pd.notna(v) else "" for (_, _, k), v in zip(rows, data["value"])]
    cols = (Col("quantity", "Quantity"), Col("shown", "Value"))
    return [Table(data, cols, "Sample size for the diagnostic accuracy study",
                  (f"{res.get('formula', 'Buderer 1996')}; {res.get('error', 'absolute')} precision.",), "sample_size")]


BUILDERS = {"per_center": multicentre_tables, "kappa": agreement_tables, "n_sensitivity": sample_size_tables}


def results_tables(section: Section, root: Path) -> Section:
    """Write the tables of a section whose job writes none (see the module docstring) as CSV."""
    res = section.results or {}
    have = {Path(p).stem for p in section.tables}
    for marker, build in BUILDERS.items():
        if marker not in res:
            continue
        tables, records = list(section.tables), list(section.table_records)
        for t in build(res):
            stem = f"{section.key}_{t.stem}" if not t.stem.startswith(section.key) else t.stem
            if stem in have:
                continue
            t = dataclasses.replace(t, stem=stem)
            written = write_table(t, Path(root) / "tables", stem, ("csv",))
            from spinestats.reports.tables import TableRecord

            records.append(TableRecord(written[0], t))
            tables += [w.relative_to(root) for w in written]
        return dataclasses.replace(section, tables=tuple(tables), table_records=tuple(records))
    return section


def finish_single(section: Section, root: str | Path, records: Sequence[Any] = (), *, style: TableStyle | None = None,
                  labels: Any = None, formats: Sequence[str] = ("csv", "xlsx", "docx", "md"),
                  synthetic: bool = False) -> Section:
    """A single command's tables in every format and its ``report.html`` (the section alone)."""
    from spinestats.reports.html_report import render_report
    from spinestats.reports.methods_text import methods_paragraph, software_versions

    root = Path(root)
    section = dataclasses.replace(section, table_records=tuple(section.table_records) + tuple(records))
    section = results_tables(section, root)
    tables, recs = complete_tables(section.tables, section.table_records, root, formats, style, labels,
                                   key=section.key, synthetic=synthetic)
    section = dataclasses.replace(section, tables=tuple(tables), table_records=tuple(recs))
    versions = software_versions()
    methods = methods_paragraph([section], versions=versions, synthetic=synthetic)
    html = render_report(title=section.title, root=root, sections=[section], methods=methods,
                         provenance={"versions": versions}, synthetic=synthetic, table_style=style)
    (root / "report.html").write_text(html, encoding="utf-8")
    return section

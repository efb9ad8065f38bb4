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


#: the six Shrout\u2013Fleiss ICCs as psych::ICC names them, in words ({k}: the number of readers)
ICC_LABELS = {
    "ICC1": "ICC(1,1): single reader, one-way", "ICC2": "ICC(2,1): single reader, absolute agreement",
    "ICC3": "ICC(3,1): single reader, consistency", "ICC1k": "ICC(1,k): mean of {k} readers, one-way",
    "ICC2k": "ICC(2,k): mean of {k} readers, absolute agreement", "ICC3k": "ICC(3,k): mean of {k} readers, consistency",
}


def agreement_tables(res: dict[str, Any]) -> list[Table]:
    """Reader agreement: a heading row per measure read, then each statistic indented (every pair's Cohen's and
    weighted \u03ba, Light's mean \u03ba, Fleiss' \u03ba and the six ICCs)."""
    from spinestats.reports.regression_table import level_text

    rows: list[dict[str, Any]] = []
    nan = float("nan")

    def stat(feature: str, text: str, est: Any, lower: Any = nan, upper: Any = nan, p: Any = nan) -> None:
        rows.append({"feature": feature, "statistic": text, "estimate": est, "lower": lower, "upper": upper, "p": p,
                     "_label": text, "_indent": True, "_heading": False})

    def add(feature: str, block: dict[str, Any]) -> None:
        start = len(rows)
        rows.append({"feature": feature, "statistic": None, "estimate": nan, "lower": nan, "upper": nan, "p": nan,
                     "_label": feature, "_indent": False, "_heading": True})
        k = block.get("kappa") or {}
        for kind, kb in [("", k)] + [(f"weighted \u03ba ({w})", v) for w, v in (block.get("weighted_kappa") or {}).items()
                                     if isinstance(v, dict)]:
            name = "Cohen's \u03ba" if not kind else kind[0].upper() + kind[1:]
            for pair in kb.get("pairwise") or ([kb] if kb.get("estimate") is not None else []):
                stat(feature, f"{name}, {pair.get('rater1')} vs {pair.get('rater2')}", pair.get("estimate"),
                     pair.get("lower"), pair.get("upper"))
            if isinstance(kb.get("light"), (int, float)):
                stat(feature, f"{name}, mean of the pairs (Light)", kb["light"])
        f = block.get("fleiss_kappa")
        if isinstance(f, dict):
            stat(feature, f"Fleiss' \u03ba ({f.get('n_raters')} readers)", f.get("estimate"), p=f.get("p_value"))
        n_readers = len(block.get("raters") or res.get("raters") or []) or "k"
        for icc in block.get("icc") or []:
            label = ICC_LABELS.get(str(icc.get("type")), str(icc.get("type"))).format(k=n_readers)
            stat(feature, label, icc.get("estimate"), icc.get("lower"), icc.get("upper"), icc.get("p"))
        if len(rows) == start + 1:
            rows.pop()  # a measure without any statistic gets no heading

    from spinestats.data_schemas.labels import Labels

    lab = Labels(["readers"])

    def name_of(v: Any, fallback: bool) -> str:
        if v in lab.known_variables():
            return lab.variable(str(v))
        return str(v).replace("_", " ").capitalize() if fallback else str(v)

    add(name_of(res.get("measure"), False), res)
    for name, block in (res.get("features") or {}).items():
        if isinstance(block, dict):
            add(name_of(name, True), block)
    if not rows:
        return []
    data = pd.DataFrame(rows)
    lv = level_text(res.get("conf_level") or 0.95)
    cols = (Col("_label", "Measure read and statistic"), Col("estimate", f"Estimate ({lv} CI)", "ci", "lower", "upper"),
            Col("p", "p", "p"))
    return [Table(data, cols, f"Agreement between readers ({res.get('n_cases')} cases)",
                  ("\u03ba: kappa (Cohen's with large-sample CIs; Light's: the mean of the pairwise \u03ba); "
                   "ICC: intraclass correlation (the Shrout\u2013Fleiss forms, as psych::ICC), with F-based CIs and "
                   "the F test of ICC = 0. Fleiss' \u03ba p from the z test under \u03ba = 0.",), "agreement",
                  indent="_indent")]


#: sample-size quantities in words, and how each is written (pct: a proportion as a percentage)
SAMPLE_SIZE_ROWS = {
    "sensitivity": ("Expected sensitivity", "pct"), "specificity": ("Expected specificity", "pct"),
    "auc": ("Expected AUC", "num"), "kappa0": ("\u03ba under the null hypothesis", "num"),
    "kappa1": ("Expected \u03ba", "num"), "prevalence": ("Prevalence", "pct"),
    "precision": ("Precision (half-width of the CI)", "num"), "level": ("Confidence level", "pct"),
    "sig_level": ("Significance level", "num"), "alpha": ("Significance level", "num"), "power": ("Power", "pct"),
    "sides": ("Sides of the test", "int"), "kappa": ("Patients without per patient with the condition", "num"),
    "parameters": ("Candidate predictor parameters", "int"), "csrsquared": ("Anticipated Cox\u2013Snell R\u00b2", "num"),
    "nagrsquared": ("Anticipated Nagelkerke R\u00b2", "num"), "max_r2_cs": ("Largest possible Cox\u2013Snell R\u00b2", "num"),
    "shrinkage_target": ("Target shrinkage factor", "num"),
    "n_sensitivity_exact": ("Patients for the sensitivity, before rounding up", "num"),
    "n_specificity_exact": ("Patients for the specificity, before rounding up", "num"),
    "n_sensitivity": ("Patients for the sensitivity", "int"), "n_specificity": ("Patients for the specificity", "int"),
    "n_cases_exact": ("Patients with the condition, before rounding up", "num"),
    "n_controls_exact": ("Patients without the condition, before rounding up", "num"),
    "n_exact": ("Patients needed, before rounding up", "num"), "n": ("Patients needed", "int"),
    "n_diseased": ("Of whom with the condition", "int"), "n_cases": ("Patients with the condition", "int"),
    "n_controls": ("Patients without the condition", "int"), "se_at_n": ("Standard error of the AUC at that size", "num"),
    "events": ("Events needed", "int"), "epp": ("Events per candidate parameter", "num"),
    "shrinkage_final": ("Expected shrinkage factor", "num"),
}
SAMPLE_SIZE_TITLES = {
    "buderer": "Sample size for estimating sensitivity and specificity", "auc": "Sample size for estimating the AUC",
    "auc_power": "Sample size to show an AUC above 0.5", "kappa": "Sample size for a study of reader agreement (\u03ba)",
    "riley": "Sample size for developing a prediction model", "criteria": "Sample size for the prespecified success criteria",
}
SAMPLE_SIZE_METHODS = tuple(SAMPLE_SIZE_TITLES)


def sample_size_tables(res: dict[str, Any]) -> list[Table]:
    """The sample-size calculation's inputs and result, each quantity in words (every method of the
    ``sample_size`` analysis; Riley's three criteria one row each)."""
    from spinestats.reports.formatting import fmt_number, format_percent
    from spinestats.reports.methods_text import typeset

    if res.get("method") not in SAMPLE_SIZE_METHODS or "n" not in res and "n_cases" not in res:
        return []

    def shown(v: float, kind: str) -> str:
        if kind == "pct":
            return format_percent(v, 1).replace(".0%", "%")
        if kind == "int":
            return str(int(round(v)))
        return f"{v:g}" if abs(v - round(v, 4)) < 1e-12 else fmt_number(v, 2)

    rows: list[tuple[str, float, str]] = []
    for key, v in res.items():
        if key == "criteria" and isinstance(v, list):
            for c in v:
                if isinstance(c, dict) and isinstance(c.get("n"), (int, float)):
                    rows.append((f"Criterion {c.get('criterion')} ({typeset(str(c.get('description')))}): patients",
                                 float(c["n"]), "int"))
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            continue
        label, kind = SAMPLE_SIZE_ROWS.get(key, (key.replace("_", " ").capitalize(), "num"))
        rows.append((label, float(v), kind))
    data = pd.DataFrame({"quantity": [r[0] for r in rows], "value": [r[1] for r in rows]})
    data["shown"] = [shown(v, k) if pd.notna(v) else "" for _, v, k in rows]
    cols = (Col("quantity", "Quantity"), Col("shown", "Value"))
    error = f"; {res['error']} precision" if res.get("error") else ""
    return [Table(data, cols, SAMPLE_SIZE_TITLES.get(str(res.get("method")), "Sample size"), (typeset(f"{res.get('formula', res.get('method'))}{error}."),),
                  "sample_size")]


BUILDERS = {"per_center": multicentre_tables, "kappa": agreement_tables, "formula": sample_size_tables}


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
    """A single command's tables in every format, its ``methods.md`` and its ``report.html`` (the section alone)."""
    from spinestats.reports.html_report import render_report
    from spinestats.reports.methods_text import methods_paragraph, software_versions

    root = Path(root)
    section = dataclasses.replace(section, table_records=tuple(section.table_records) + tuple(records))
    section = results_tables(section, root)
    tables, recs = complete_tables(section.tables, section.table_records, root, formats, style, labels,
                                   key=section.key, synthetic=synthetic)
    section = dataclasses.replace(section, tables=tuple(tables), table_records=tuple(recs))
    versions = software_versions(figures=bool(section.figures))
    methods = methods_paragraph([section], versions=versions, synthetic=synthetic)
    html = render_report(title=section.title, root=root, sections=[section], methods=methods,
                         provenance={"versions": versions}, synthetic=synthetic, table_style=style)
    (root / "report.html").write_text(html, encoding="utf-8")
    (root / "methods.md").write_text(methods.markdown(), encoding="utf-8")  # as the report prints it
    return section

"""The pain tables for the manuscript, laid out as gtsummary lays out a repeated-measures trial.

Every table is a :class:`~spinestats.reports.tables.Table` built from the numbers the analyses
computed (nothing is computed here but the layout) and labelled by
:class:`~spinestats.data_schemas.labels.Labels`: visits by name ("1 week", "12 months"), arms by
label ("Balloon kyphoplasty", "Control"), model terms as "Arm: Balloon kyphoplasty \u00d7 Visit: 1 week",
never a code.  Rows are visits in schema order; with two arms each arm is a block of rows under a heading
row (with the arm's number of patients in the visits table: "Control (n = 52)"), as gtsummary stacks
strata, so that every table fits a portrait page.  The CI level in the headers is the analysis'
``conf_level``.

* ``visits``: n and missing per visit, mean (CI), SD, median (Q1\u2013Q3);
* ``paired``: change from baseline, paired t and Wilcoxon p, Cohen's dz and the Holm-adjusted p
  (the other statistics stay in the CSV file);
* ``mixed_model``: fixed effects with t-based Satterthwaite CIs and p;
* ``emmeans``, ``emmeans_vs_baseline``, ``emmeans_between_arms``: the mixed-model means and contrasts;
* ``responders``, ``responder_differences``; ``missingness_patterns``, ``missingness_per_visit``;
* ``adverse_events``: events by label, n (%) per arm with the arm's patients in the header;
* ``imputed``: the estimates pooled over the multiple imputations (like mice's pooled summary): contrasts
  by label with estimate (CI), p and the fraction of missing information, m in the footnote.

The CSV files keep the analyses' own frames at full precision (codes and all, for reuse); the job
writes them and hands these Tables to the report as records, so XLSX, DOCX, Markdown, LaTeX and the
HTML report show the formatted, labelled cells.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from spinestats.data_schemas.labels import Labels
from spinestats.reports.tables import Col, Table

MINUS = "\u2212"
_METHODS = {"wilson": "Wilson", "newcombe-wilson": "Newcombe hybrid-score", "clopper-pearson": "Exact (Clopper\u2013Pearson)",
            "exact": "Exact (Clopper\u2013Pearson)"}


def level_text(conf_level: float) -> str:
    """The confidence level in percent as the tables, figures and methods write it ("95", "90", "99.5")."""
    pct = round(100 * float(conf_level), 10)
    return f"{pct:.0f}" if float(pct).is_integer() else f"{pct:g}"


_level = level_text


def _rows_by(frame: pd.DataFrame, visit: str, arm: str | None) -> dict[tuple[Any, str], pd.Series]:
    return {(r[arm] if arm else None, str(r[visit])): r for _, r in frame.iterrows()}


def _stacked(frame: pd.DataFrame, arms: Sequence[str], visits: Sequence[str], labels: Labels,
             cells: Callable[[pd.Series], dict[str, Any]], arm_n: Mapping[str, int] | None = None) -> pd.DataFrame:
    """One row per visit (schema order); with two arms a heading row per arm ("Control (n = 52)") above its visits."""
    two = len(arms) == 2 and "arm" in frame
    by = _rows_by(frame, "visit", "arm" if two else None)
    rows: list[dict[str, Any]] = []
    for a in (arms if two else [None]):
        if two:
            n = (arm_n or {}).get(str(a))
            rows.append({"visit": labels.value("arm", a) + (f" (n = {n})" if n is not None else ""),
                         "_heading": True, "_indent": False})
        for v in visits:
            r = by.get((a, v))
            if r is None:
                continue
            rows.append({"visit": labels.value("visit", v), "_heading": False, "_indent": two, **cells(r)})
    return pd.DataFrame(rows)


def _wide(frame: pd.DataFrame, arms: Sequence[str], visits: Sequence[str], labels: Labels,
          cells: Callable[[pd.Series], dict[str, Any]]) -> pd.DataFrame:
    """One row per visit (schema order); the cells of arm ``k`` as ``a{k}_<name>`` columns."""
    two = len(arms) == 2 and "arm" in frame
    by = _rows_by(frame, "visit", "arm" if two else None)
    rows = []
    for v in visits:
        row: dict[str, Any] = {"visit": labels.value("visit", v)}
        found = False
        for k, a in enumerate(arms if two else [None]):
            r = by.get((a, v))
            if r is None:
                continue
            found = True
            row.update({f"a{k}_{name}": value for name, value in cells(r).items()})
        if found:
            rows.append(row)
    return pd.DataFrame(rows)


def _num(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def visits_table(summary_frame: pd.DataFrame, arms: Sequence[str], visits: Sequence[str], labels: Labels,
                 arm_n: Mapping[str, int], conf_level: float, quantile_type: int = 7) -> Table:
    lv = _level(conf_level)
    data = _stacked(summary_frame, arms, visits, labels, lambda r: {
        "n": _num(r["n"]), "n_missing": _num(r["n_missing"]), "mean": _num(r["mean"]), "lower": _num(r["ci_low"]),
        "upper": _num(r["ci_high"]), "sd": _num(r["sd"]), "median": _num(r["median"]), "q1": _num(r["q1"]),
        "q3": _num(r["q3"])}, arm_n)
    cols = (Col("visit", "Visit"), Col("n", "n", "int"), Col("n_missing", "Missing", "int"),
            Col("mean", f"Mean ({lv}% CI)", "ci", "lower", "upper"), Col("sd", "SD", "num"),
            Col("median", "Median (Q1\u2013Q3)", "ci", "q1", "q3", digits=1))
    nrs = labels.variable("nrs")
    return Table(data, cols, f"{nrs} at each visit",
                 (f"n: patients with a score at the visit. Mean with the {lv}% t-based confidence interval; "
                  f"median with the first and third quartiles (R quantile type {quantile_type}).",),
                 "visits", indent="_indent")


def paired_table(paired_frame: pd.DataFrame, arms: Sequence[str], visits: Sequence[str], labels: Labels,
                 arm_n: Mapping[str, int], conf_level: float) -> Table:
    lv = _level(conf_level)
    data = _stacked(paired_frame, arms, visits, labels, lambda r: {
        "n": _num(r["n"]), "mean_diff": _num(r["mean_diff"]), "lower": _num(r["ci_low"]), "upper": _num(r["ci_high"]),
        "cohen_dz": _num(r["cohen_dz"]), "p_t": _num(r["p"]), "p_wilcoxon": _num(r["wilcoxon_p"]),
        "p_holm": _num(r["p_holm"])})  # the arm's patients are in the visits table: a narrower column
    cols = (Col("visit", "Visit"), Col("n", "n", "int"),
            Col("mean_diff", f"Mean change ({lv}% CI)", "ci", "lower", "upper"), Col("cohen_dz", "Cohen's dz", "num"),
            Col("p_t", "p (t test)", "p"), Col("p_wilcoxon", "p (Wilcoxon)", "p"), Col("p_holm", "p (Holm)", "p"))
    return Table(data, cols, "Change in pain from baseline at each visit",
                 ("Change: score at the visit minus the baseline score, in NRS points (negative: less pain); "
                  "n: patients with a score at baseline and at the visit.",
                  f"Paired t test with its {lv}% CI; Wilcoxon signed-rank test (exact p without ties or zeros and "
                  "n < 50, otherwise the normal approximation with continuity correction). p (Holm): the paired t "
                  "test's p adjusted by Holm's method across the follow-up visits of the same arm. The Wilcoxon statistic V, the rank-biserial "
                  "correlation and the Holm-adjusted Wilcoxon p are in the CSV file.",),
                 "paired", indent="_indent")


def _coefficient_cis(fit: Any) -> tuple[list[float], list[float]]:
    """The t-based CI of each coefficient alone (Satterthwaite df), from the analysis' contrast."""
    lower, upper = [], []
    k = len(fit.terms)
    for i in range(k):
        unit = np.zeros(k)
        unit[i] = 1.0
        try:
            lo, hi = fit.contrast(unit).ci
        except (ValueError, np.linalg.LinAlgError):
            lo = hi = float("nan")
        lower.append(float(lo))
        upper.append(float(hi))
    return lower, upper


def mixed_model_table(fit: Any, labels: Labels, arms: Sequence[str], random_slope: bool = False) -> Table:
    lv = _level(fit.conf_level)
    frame = fit.to_frame()
    lower, upper = _coefficient_cis(fit)
    covs = ["arm", "visit"]
    data = pd.DataFrame({"term": [labels.coefficient_label(str(t), covs) for t in frame["term"]],
                         "estimate": frame["estimate"].astype(float), "lower": lower, "upper": upper,
                         "df": frame["df"].astype(float), "p": frame["p"].astype(float)})
    cols = (Col("term", "Characteristic"), Col("estimate", f"Estimate ({lv}% CI)", "ci", "lower", "upper"),
            Col("df", "df", "num", digits=1), Col("p", "p", "p"))
    two = len(arms) == 2
    ref = (f" in the {labels.value('arm', arms[0])} arm" if two else "")
    return Table(data, cols, "Linear mixed model of pain: fixed effects",
                 (f"Estimates in NRS points. Intercept: mean baseline score{ref}; each visit term: change from "
                  f"baseline{ref}" + (f"; interaction terms: the further change in the {labels.value('arm', arms[1])} "
                                      "arm." if two else "."),
                  "REML fit with a random intercept per patient" + (" and a random slope on time" if random_slope else "")
                  + f"; t-based {lv}% CIs, tests and degrees of freedom by Satterthwaite's method (as lmerTest).",),
                 "mixed_model")


def emmeans_table(means: pd.DataFrame, arms: Sequence[str], visits: Sequence[str], labels: Labels,
                  conf_level: float) -> Table:
    lv = _level(conf_level)
    data = _stacked(means, arms, visits, labels, lambda r: {
        "emmean": _num(r["emmean"]), "lower": _num(r["ci_low"]), "upper": _num(r["ci_high"]), "se": _num(r["se"])})
    cols = (Col("visit", "Visit"), Col("emmean", f"Estimated mean ({lv}% CI)", "ci", "lower", "upper"),
            Col("se", "SE", "num"))
    return Table(data, cols, "Estimated mean pain at each visit (linear mixed model)",
                 (f"Marginal means of the mixed model (NRS points) with t-based {lv}% CIs, Satterthwaite degrees "
                  "of freedom (as emmeans).",), "emmeans", indent="_indent")


def vs_baseline_table(contrasts: pd.DataFrame, arms: Sequence[str], visits: Sequence[str], labels: Labels,
                      conf_level: float) -> Table:
    lv = _level(conf_level)
    data = _stacked(contrasts, arms, visits, labels, lambda r: {
        "estimate": _num(r["estimate"]), "lower": _num(r["ci_low"]), "upper": _num(r["ci_high"]), "p": _num(r["p"])})
    cols = (Col("visit", "Visit"), Col("estimate", f"Change from baseline ({lv}% CI)", "ci", "lower", "upper"),
            Col("p", "p", "p"))
    return Table(data, cols, "Change in pain from baseline at each visit (mixed-model contrasts)",
                 ("Change: estimated mean at the visit minus the estimated mean at baseline, in NRS points "
                  f"(negative: less pain); t-based {lv}% CIs and tests with Satterthwaite degrees of freedom.",),
                 "emmeans_vs_baseline", indent="_indent")


def between_arms_table(between: pd.DataFrame, arms: Sequence[str], visits: Sequence[str], labels: Labels,
                       conf_level: float) -> Table:
    lv = _level(conf_level)
    data = _wide(between, arms[:1], visits, labels, lambda r: {
        "estimate": _num(r["estimate"]), "lower": _num(r["ci_low"]), "upper": _num(r["ci_high"]), "p": _num(r["p"])})
    diff = f"{labels.value('arm', arms[1])} {MINUS} {labels.value('arm', arms[0])}"
    cols = (Col("visit", "Visit"), Col("a0_estimate", f"Difference ({lv}% CI)", "ci", "a0_lower", "a0_upper"),
            Col("a0_p", "p", "p"))
    return Table(data, cols, f"Difference in pain between arms at each visit: {diff} (mixed-model contrasts)",
                 (f"Difference of the estimated means, {diff}, in NRS points (negative: less pain with "
                  f"{labels.value('arm', arms[1])}); t-based {lv}% CIs and tests with Satterthwaite degrees of "
                  "freedom.",), "emmeans_between_arms")


def responders_table(resp_frame: pd.DataFrame, arms: Sequence[str], visits: Sequence[str], labels: Labels,
                     conf_level: float, mcid: float, mcid_percent: float, ci_method: str = "Wilson") -> Table:
    lv = _level(conf_level)
    data = _stacked(resp_frame, arms, visits, labels, lambda r: {
        "x": f"{int(r['responders'])}/{int(r['n'])}", "pct": 100 * _num(r["proportion"]),
        "lower": 100 * _num(r["ci_low"]), "upper": 100 * _num(r["ci_high"])})
    cols = (Col("visit", "Visit"), Col("x", "Responders, n/N"),
            Col("pct", f"Responders, % ({lv}% CI)", "ci", "lower", "upper", digits=1))
    return Table(data, cols, "Responders at each visit",
                 (f"Responder: a reduction from baseline of at least {mcid:g} NRS points and at least "
                  f"{mcid_percent:g}% of the baseline score; N: patients with a score at baseline and at the visit. "
                  f"{_METHODS.get(ci_method, ci_method)} {lv}% CIs.",), "responders", indent="_indent")


def responder_differences_table(diff_frame: pd.DataFrame, arms: Sequence[str], visits: Sequence[str],
                                labels: Labels, conf_level: float, method: str = "Newcombe") -> Table:
    lv = _level(conf_level)
    data = _wide(diff_frame, arms[:1], visits, labels, lambda r: {
        "rd": 100 * _num(r["risk_difference"]), "lower": 100 * _num(r["ci_low"]), "upper": 100 * _num(r["ci_high"]),
        **({"p": _num(r["p"])} if "p" in r else {})})
    diff = f"{labels.value('arm', arms[1])} {MINUS} {labels.value('arm', arms[0])}"
    cols = [Col("visit", "Visit"), Col("a0_rd", f"Difference, percentage points ({lv}% CI)", "ci", "a0_lower",
                                       "a0_upper", digits=1)]
    if "a0_p" in data:
        cols.append(Col("a0_p", "p", "p"))
    return Table(data, tuple(cols), f"Difference in the proportion of responders: {diff}",
                 (f"{_METHODS.get(method, method)} {lv}% CIs of the difference of two independent proportions.",),
                 "responder_differences")


def missingness_patterns_table(patterns: pd.DataFrame, visits: Sequence[str], labels: Labels) -> Table:
    shown = [v for v in visits if v in patterns]
    data = pd.DataFrame({f"v{k}": ["Scored" if int(x) else "Missing" for x in patterns[v]] for k, v in enumerate(shown)})
    data["patients"] = patterns["n_patients"].astype(float).to_numpy()
    data["missing"] = patterns["n_missing_visits"].astype(float).to_numpy()
    cols = tuple(Col(f"v{k}", labels.value("visit", v)) for k, v in enumerate(shown)) + (
        Col("patients", "Patients", "int"), Col("missing", "Missed visits", "int"))
    return Table(data, cols, "Patterns of missing pain scores",
                 ("One row per pattern of scored and missing visits, with the number of patients who show it.",),
                 "missingness_patterns")


def missingness_per_visit_table(per_visit: pd.DataFrame, arms: Sequence[str], visits: Sequence[str],
                                labels: Labels, arm_n: Mapping[str, int]) -> Table:
    data = _stacked(per_visit, arms, visits, labels, lambda r: {
        "observed": _num(r["observed"]), "missing": _num(r["missing"]), "pct": _num(r["percent_missing"])}, arm_n)
    cols = (Col("visit", "Visit"), Col("observed", "Scored", "int"), Col("missing", "Missing", "int"),
            Col("pct", "Missing (%)", "pct", digits=1))
    return Table(data, cols, "Missing pain scores at each visit", (), "missingness_per_visit", indent="_indent")


def pain_tables(*, summary_frame: pd.DataFrame, paired_frame: pd.DataFrame, fit: Any, emm: Any, resp: Any,
                miss: Any, arms: Sequence[str], visits: Sequence[str], labels: Labels, arm_n: Mapping[str, int],
                conf_level: float, random_slope: bool = False, quantile_type: int = 7) -> dict[str, Table]:
    """Every pain table by name (the part of the file name after the section key)."""
    two = len(arms) == 2
    follow = [v for v in visits if v != "baseline"]
    out = {
        "visits": visits_table(summary_frame, arms, visits, labels, arm_n, conf_level, quantile_type),
        "paired": paired_table(paired_frame, arms, follow, labels, arm_n, conf_level),
        "mixed_model": mixed_model_table(fit, labels, arms, random_slope),
        "emmeans": emmeans_table(emm.means, arms, visits, labels, fit.conf_level),
        "emmeans_vs_baseline": vs_baseline_table(emm.vs_baseline, arms, follow, labels, fit.conf_level),
        "responders": responders_table(resp.to_frame(), arms, follow, labels, resp.conf_level, resp.mcid,
                                       resp.mcid_percent, str(resp.ci_method)),
        "missingness_patterns": missingness_patterns_table(miss.patterns, visits, labels),
        "missingness_per_visit": missingness_per_visit_table(miss.per_visit, arms, visits, labels, arm_n),
    }
    if two:
        out["emmeans_between_arms"] = between_arms_table(emm.between_arms, arms, visits, labels, fit.conf_level)
        out["responder_differences"] = responder_differences_table(resp.difference, arms, follow, labels,
                                                                   resp.conf_level, str(resp.difference_method))
    return out


TIME_LABEL = "Time since kyphoplasty (months)"


def _months(t: float) -> str:
    return f"{float(t):g} month" + ("" if float(t) == 1 else "s")


def time_model_tables(fit: Any, emm: Any, arms: Sequence[str], labels: Labels) -> dict[str, Table]:
    """The continuous-time model: fixed effects, means at chosen times, arm differences and slopes."""
    lv = _level(fit.conf_level)
    two = len(arms) == 2
    frame = fit.to_frame()

    def term(t: str) -> str:
        return " \u00d7 ".join(TIME_LABEL if part == fit.time_column else labels.coefficient_label(part, ["arm"])
                               for part in str(t).split(":")) if t != "(Intercept)" else "Intercept"

    lower, upper = _coefficient_cis(fit)
    fixed = pd.DataFrame({"term": [term(t) for t in frame["term"]], "estimate": frame["estimate"].astype(float),
                          "lower": lower, "upper": upper, "df": frame["df"].astype(float), "p": frame["p"].astype(float)})
    out = {"mixed_model_time": Table(
        fixed, (Col("term", "Characteristic"), Col("estimate", f"Estimate ({lv}% CI)", "ci", "lower", "upper"),
                Col("df", "df", "num", digits=1), Col("p", "p", "p")),
        "Linear mixed model of pain with time as a continuous covariate: fixed effects",
        ("Estimates in NRS points; time in months since kyphoplasty. REML fit with a random intercept and slope on "
         f"time per patient; t-based {lv}% CIs and tests with Satterthwaite degrees of freedom (as lmerTest).",),
        "mixed_model_time")}
    rows: list[dict[str, Any]] = []
    means = emm.means
    for a in (arms if two else [None]):
        part = means[means["arm"] == a] if two and "arm" in means else means
        if two:
            rows.append({"time": labels.value("arm", a), "_heading": True, "_indent": False})
        rows += [{"time": _months(r["time"]), "_heading": False, "_indent": two, "emmean": float(r["emmean"]),
                  "lower": float(r["ci_low"]), "upper": float(r["ci_high"])} for _, r in part.iterrows()]
    out["emmeans_time"] = Table(pd.DataFrame(rows), (Col("time", "Time since kyphoplasty"),
                                                     Col("emmean", f"Estimated mean ({lv}% CI)", "ci", "lower", "upper")),
                                "Estimated mean pain at chosen times (continuous-time mixed model)",
                                (f"t-based {lv}% CIs with Satterthwaite degrees of freedom (as emmeans).",),
                                "emmeans_time", indent="_indent")
    slopes = emm.slopes
    names = [labels.value("arm", a) for a in (arms if two else [None]) if a is not None] if two else ["All patients"]
    srows = []
    for k, (_, r) in enumerate(slopes.iterrows()):
        text = (names[k] if k < len(names) else f"{labels.value('arm', arms[1])} {MINUS} {labels.value('arm', arms[0])}")
        srows.append({"what": text, "estimate": float(r["estimate"]), "lower": float(r["ci_low"]),
                      "upper": float(r["ci_high"]), "p": float(r["p"])})
    out["emmeans_time_slopes"] = Table(pd.DataFrame(srows), (
        Col("what", "Arm"), Col("estimate", f"Change per month ({lv}% CI)", "ci", "lower", "upper"), Col("p", "p", "p")),
        "Change in pain per month (continuous-time mixed model)",
        ("Slope of the mean NRS over time, and the difference of the slopes between arms.",), "emmeans_time_slopes")
    if two:
        diff = f"{labels.value('arm', arms[1])} {MINUS} {labels.value('arm', arms[0])}"
        b = emm.between_arms
        out["emmeans_time_between_arms"] = Table(pd.DataFrame({
            "time": [_months(t) for t in b["time"]], "estimate": b["estimate"].astype(float),
            "lower": b["ci_low"].astype(float), "upper": b["ci_high"].astype(float), "p": b["p"].astype(float)}), (
            Col("time", "Time since kyphoplasty"), Col("estimate", f"Difference ({lv}% CI)", "ci", "lower", "upper"),
            Col("p", "p", "p")),
            f"Difference in pain between arms at chosen times: {diff} (continuous-time mixed model)",
            (f"NRS points; t-based {lv}% CIs and tests with Satterthwaite degrees of freedom.",),
            "emmeans_time_between_arms")
    return out


def adverse_events_table(ae: Any, arms: Sequence[str], labels: Labels, arm_n: Mapping[str, int]) -> Table:
    """Adverse events as a journal prints them: one row per event (by label), a column per arm with the patients
    with the event, n (%), and the arm's patients in the header; the exact CIs stay in the CSV file."""
    from spinestats.reports.formatting import format_n_percent

    t = ae.to_frame()
    lv = level_text(ae.conf_level)
    two = "arm" in t
    groups = list(arms) if two else [None]
    rows, missing = [], []
    for ev in dict.fromkeys(t["event"]):
        row: dict[str, Any] = {"event": labels.variable(ev)}
        for k, a in enumerate(groups):
            part = t[(t["event"] == ev) & (t["arm"] == a)] if two else t[t["event"] == ev]
            if not len(part):
                continue
            r = part.iloc[0]
            row[f"a{k}"] = format_n_percent(int(r["events"]), int(r["n"]), 1)
            if int(r["n_missing"]):
                missing.append(f"{row['event']}" + (f", {labels.value('arm', a)}" if two else "")
                               + f": {int(r['n_missing'])}")
        rows.append(row)
    cols = [Col("event", "Event")]
    for k, a in enumerate(groups):
        name = labels.value("arm", a if two else (arms[0] if arms else "BKP"))
        n = arm_n.get(str(a)) if two else sum(arm_n.values())
        cols.append(Col(f"a{k}", f"{name} (n = {n})" if n is not None else name))
    foot = [f"n (%) of the patients with a recorded value. Exact (Clopper\u2013Pearson) {lv}% CIs of each "
            "percentage are in the CSV file."]
    if missing:
        foot.append("Patients without a recorded value (not counted as without the event): " + "; ".join(missing) + ".")
    return Table(pd.DataFrame(rows), tuple(cols), "Adverse events", tuple(foot), "adverse_events")


def imputed_table(imp: Any, labels: Labels) -> Table:
    """The estimates pooled over the multiple imputations (like mice's pooled summary): one row per contrast by
    label, estimate with its CI at the analysis' level, p and the fraction of missing information (FMI)."""
    lv = level_text(imp.conf_level)
    arms = list(imp.arms)
    two = len(arms) == 2
    diff = f"{labels.value('arm', arms[1])} {MINUS} {labels.value('arm', arms[0])}" if two else ""
    rows: list[dict[str, Any]] = []

    def heading(text: str) -> None:
        rows.append({"what": text, "_heading": True, "_indent": False})

    def add(text: str, r: pd.Series, estimate: str, scale: float = 1.0) -> None:
        rows.append({"what": text, "_heading": False, "_indent": True, "estimate": scale * _num(r[estimate]),
                     "lower": scale * _num(r["ci_low"]), "upper": scale * _num(r["ci_high"]),
                     "p": _num(r["p"]) if "p" in r else float("nan"), "fmi": _num(r["fmi"])})

    c = imp.contrasts
    heading("Difference between arms (mixed model)" if two else "Change from baseline (mixed model)")
    for _, r in c.iterrows():
        add(labels.value("visit", r["visit"]), r, "estimate")
    if len(imp.ancova):
        r = imp.ancova.iloc[0]
        heading(f"Difference between arms at {labels.value('visit', r['visit'])} (ANCOVA)")
        add("Adjusted for baseline", r, "difference")
    for a in (arms if two else [None]):
        part = imp.paired[imp.paired["arm"] == a] if two else imp.paired
        heading("Change from baseline" + (f", {labels.value('arm', a)}" if two else "") + " (paired)")
        for _, r in part.iterrows():
            add(labels.value("visit", r["visit"]), r, "mean_diff")
    if two and len(imp.responder_differences):
        heading("Difference in responders (percentage points)")
        for _, r in imp.responder_differences.iterrows():
            add(labels.value("visit", r["visit"]), r, "risk_difference", 100.0)
    cols = (Col("what", "Characteristic"), Col("estimate", f"Estimate ({lv}% CI)", "ci", "lower", "upper"),
            Col("p", "p", "p"), Col("fmi", "FMI", "num", digits=2))
    foot = (f"Missed visits imputed m = {imp.m} times by chained equations ({imp.method}, seed {imp.seed}); estimates "
            f"pooled by Rubin's rules with Barnard–Rubin degrees of freedom and t-based {lv}% CIs (as mice pool()). "
            "Estimates in NRS points (negative: less pain) unless stated"
            + (f"; differences between arms: {diff}." if two else "."),
            "FMI: fraction of missing information, the share of the pooled variance due to the missing scores.",
            *((f"Not imputed (fewer than 2 observed scores): "
               f"{', '.join(labels.value('visit', v) for v in imp.visits_not_imputed)}.",)
              if imp.visits_not_imputed else ()))
    return Table(pd.DataFrame(rows), cols, "Estimates after multiple imputation of missed visits", foot, "imputed",
                 indent="_indent")


def section_tables(an: Any, labels: Labels) -> dict[str, Table]:
    """Every table of one pain analysis (a ``PainAnalysis`` of the job), by name."""
    arm_n = {a: int((an.wide["arm"] == a).sum()) for a in an.arms}
    out = pain_tables(summary_frame=an.summary.to_frame(), paired_frame=an.paired.to_frame(), fit=an.fit, emm=an.emm,
                      resp=an.resp, miss=an.miss, arms=an.arms, visits=an.visits, labels=labels, arm_n=arm_n,
                      conf_level=an.fit.conf_level, random_slope=bool(an.fit.random_slope),
                      quantile_type=an.summary.quantile_type)
    if an.ae is not None:
        out["adverse_events"] = adverse_events_table(an.ae, an.arms, labels, arm_n)
    if an.imputed is not None:
        out["imputed"] = imputed_table(an.imputed, labels)
    if an.time_fit is not None:
        out.update(time_model_tables(an.time_fit, an.time_emm, an.arms, labels))
    return out

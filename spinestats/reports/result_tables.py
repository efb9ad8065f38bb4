"""Survival and regression tables for the manuscript, as gtsummary's ``tbl_survfit`` and ``tbl_regression``.

Both build a :class:`~spinestats.reports.tables.Table` (typed numbers, formatted once by the plan's style)
from numbers the analyses computed, labelled by :class:`~spinestats.data_schemas.labels.Labels`:

* :func:`survival_table`: one endpoint; rows "Overall" and, under the grouping variable's label, one row per
  group (labels, schema order); columns N, events, median (CI) and the survival or cumulative incidence at
  each time (CI), the CI level that of the estimates, with the log-rank or Gray p on the grouping row.
* :func:`endpoint_tables`: the survival job's tables of one endpoint (survival, cumulative incidence, Cox and
  Fine-Gray regression), from its fitted results.
* :func:`titled`: a table's title naming its section when a plan runs the same analysis twice
  ("Overall survival: CIRT after separation surgery").
* :func:`~spinestats.reports.regression_table.regression_table` (its own module, re-exported here):
  univariable and multivariable models side by side, for Cox, Fine–Gray and logistic models alike.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from spinestats.data_schemas.labels import Labels
from spinestats.reports.formatting import fmt_number
from spinestats.reports.regression_table import factor_levels, level_text, model_block
from spinestats.reports.regression_table import regression_table  # noqa: F401  (re-export)
from spinestats.reports.tables import Col, Table, write_table


def section_qualifier(section_title: str | None, default: str) -> str | None:
    """What names a section in its tables' titles: its title when the plan gave one other than the job's
    ``default``, without a short generic lead ("Pain: CAFE-like two-arm trial" -> "CAFE-like two-arm trial");
    ``None`` for the job's default section (its tables keep their plain titles)."""
    title = " ".join(str(section_title or "").split())
    if not title or title == default:
        return None
    lead, sep, rest = title.partition(": ")
    return rest if sep and rest and len(lead.split()) <= 2 and not lead.lower().startswith("table") else title


def titled(title: str, qualifier: str | None) -> str:
    """``title`` naming its section: "Overall survival: CIRT after separation surgery" (an en dash when the
    title has a colon already: "Difference in pain between arms: B \u2212 A \u2013 CAFE-like trial")."""
    if not qualifier:
        return title
    sep = " \u2013 " if ": " in title else ": "
    return f"{title}{sep}{qualifier}"


def in_sentence(label: str) -> str:
    """A label inside a sentence: its first letter in lower case unless its first word is an acronym
    ("Modality" -> "modality"; "SINS category", "DSS", "CIRT dose" unchanged)."""
    first = label.split(" ", 1)[0]
    if not label or sum(ch.isupper() for ch in first) > 1 or not first[:1].isupper():
        return label
    return label[:1].lower() + label[1:]


def _time_text(t: float, unit: str) -> str:
    if unit == "months" and t % 12 == 0 and t >= 12:
        y = int(t // 12)
        return f"{y}-year"
    return f"{fmt_number(t, 0 if float(t).is_integer() else 1)} {unit}"


def survival_table(summary, *, labels: Labels | None = None, endpoint: str = "Survival", group: str | None = None,
                   unit: str = "months", stem: str = "survival_table", title: str | None = None,
                   notes: Sequence[str] = ()) -> Table:
    """A ``tbl_survfit``-like table of one endpoint (see the module docstring).

    ``summary`` is a :class:`spinestats.analysis.survival.survival_table.SurvivalSummary`.
    """
    labels = labels or Labels()
    f = summary.frame
    level = level_text(summary.conf_level)
    rows: list[dict[str, Any]] = []
    incidence = summary.kind == "incidence"
    base_cols = ["n", "events"] + (["competing"] if incidence else []) + \
        ([] if incidence else ["median", "median_lower", "median_upper"])
    at_cols = [f"at_{i}{s}" for i in range(len(summary.times)) for s in ("", "_lower", "_upper")]

    def row(text: str, r: pd.Series | None, indent: bool, heading: bool = False, p: float | None = None) -> dict:
        out = {"characteristic": text, "_indent": indent, "_heading": heading}
        for c in base_cols + at_cols:
            v = float("nan") if r is None else float(r[c])
            out[c] = 100.0 * v if c.startswith("at_") and np.isfinite(v) else v
        out["p"] = float("nan") if p is None else p
        return out

    overall = f[f["level"].isna()] if "level" in f else f.iloc[:0]
    if len(overall):
        rows.append(row("Overall", overall.iloc[0], False))
    grouped = f[f["level"].notna()]
    if group is not None and len(grouped):
        rows.append(row(labels.variable(group), None, False, heading=True, p=summary.p))
        order = labels.order(group, list(grouped["level"]))
        for lev in order:
            r = grouped[grouped["level"].map(lambda g: g == lev)].iloc[0]
            rows.append(row(labels.value(group, lev), r, True))
    data = pd.DataFrame(rows)
    for c in ("n", "events", "competing"):
        if c in data:
            data[c] = data[c].astype("Int64")
    what = "Cumulative incidence" if incidence else "Survival"
    cols = [Col("characteristic", "Characteristic"), Col("n", "N", "int"), Col("events", "Events", "int")]
    if incidence:
        cols.append(Col("competing", "Competing events", "int"))
    else:
        cols.append(Col("median", f"Median, {unit} ({level} CI)", "ci", "median_lower", "median_upper", digits=1,
                        na="NR"))
    for i, t in enumerate(summary.times):
        cols.append(Col(f"at_{i}", f"{_time_text(t, unit)} {what.lower()}, % ({level} CI)", "ci",
                        f"at_{i}_lower", f"at_{i}_upper", digits=1))
    if summary.p is not None:
        cols.append(Col("p", "p", "p"))
    foot = []
    if not incidence:
        foot.append(f"Kaplan\u2013Meier estimates with {level} confidence intervals; median with the "
                    "Brookmeyer\u2013Crowley interval. NR: not reached.")
    else:
        foot.append(f"Cumulative incidence (Aalen\u2013Johansen) with competing events; {level} CIs as cmprsk.")
    if summary.p is not None:
        foot.append(f"p: {'log-rank test' if summary.test == 'log-rank' else 'Gray' + chr(39) + 's test'}"
                    + (f" across {in_sentence(labels.name(group))}." if group else "."))
    return Table(data, tuple(cols), title or f"{endpoint}" + (f" by {in_sentence(labels.name(group))}" if group else ""),
                 tuple(foot) + tuple(notes), stem, indent="_indent")


def endpoint_tables(fit: Any, out_dir: Path, *, unit: str, group: str | None, covariates: Sequence[str],
                    strata: str | None, cluster: str | None, ties: str, conf_level: float, times: Sequence[float],
                    labels: Labels, qualifier: str | None = None) -> list[Path]:
    """The survival job's tables of one endpoint (``fit``: its :class:`~spinestats.reports.survival_job.EndpointFit`):
    the survival table (``tbl_survfit``-like), the cumulative-incidence table (competing events) and the
    regression tables (Cox; Fine-Gray with competing events), univariable and multivariable side by side,
    written as CSV to ``out_dir/tables/``; returns the paths relative to ``out_dir``.  ``qualifier`` (see
    :func:`section_qualifier`) names the section in every title, so a plan's two survival sections never
    print two tables both titled "Overall survival"."""
    from spinestats.analysis.survival.survival_table import cuminc_summary, survfit_summary

    ep, km = fit.endpoint, fit.km
    tdir = Path(out_dir) / "tables"
    group = group if group is not None and fit.grouped else None
    summ = survfit_summary(fit.km_overall, km if group is not None else None, fit.logrank, list(times))
    table = survival_table(summ, labels=labels, endpoint=ep.label, group=group, unit=unit, stem=f"{ep.stem}_survival")
    written = write_table(dataclasses.replace(table, title=titled(table.title, qualifier)), tdir,
                          f"{ep.stem}_survival", ("csv",))
    if fit.cif is not None:
        cs = cuminc_summary(fit.data, time=ep.time, event=ep.event, cause=ep.cause, censor=ep.censor, group=group,
                            cif_overall=fit.cif_overall, cif_groups=fit.cif if group is not None else None,
                            gray=fit.gray, times=list(times))
        what = ep.event_label if ep.event_label != "the event" else ep.label.lower()
        table = survival_table(cs, labels=labels, endpoint=f"Cumulative incidence of {what}", group=group,
                               unit=unit, stem=f"{ep.stem}_cuminc")
        written += write_table(dataclasses.replace(table, title=titled(table.title, qualifier)), tdir,
                               f"{ep.stem}_cuminc", ("csv",))
    covs = list(covariates)
    levels = factor_levels(fit.data, covs, labels) if covs else {}
    if covs and fit.cox is not None:
        c = fit.cox
        models = {"Univariable": fit.univariable.get("cox", {}),
                  "Multivariable": model_block(c.terms, c.hr, c.hr_lower, c.hr_upper, c.p, c.n, c.n_event)}
        se = ("robust SEs clustered by " + labels.variable(cluster)) if cluster else "model-based SEs"
        model = "Cause-specific Cox regression (competing events censored)" if fit.cif is not None \
            else "Cox proportional hazards regression"
        notes = [f"{model}; {ties.capitalize()} ties; {se}; Wald p-values."
                 + (f" Stratified by {labels.variable(strata)}." if strata else "")]
        written += write_table(regression_table(models, covs, levels, labels=labels,
                                                measure="csHR" if fit.cif is not None else "HR",
                                                conf_level=conf_level, stem=f"{ep.stem}_cox",
                                                title=titled(f"{model.split(' (')[0]} for {ep.label.lower()}",
                                                             qualifier),
                                                notes=notes),
                               tdir, f"{ep.stem}_cox", ("csv",))
    if covs and fit.finegray is not None:
        g = fit.finegray
        models = {"Univariable": fit.univariable.get("finegray", {}),
                  "Multivariable": model_block(g.terms, g.shr, g.shr_lower, g.shr_upper, g.p, g.n, g.n_event)}
        notes = ["Fine\u2013Gray subdistribution hazards regression (competing events kept in the risk set); "
                 "robust sandwich SEs as cmprsk::crr; Wald p-values."]
        written += write_table(regression_table(models, covs, levels, labels=labels, measure="sHR",
                                                conf_level=conf_level, stem=f"{ep.stem}_finegray",
                                                title=titled(f"Fine\u2013Gray regression for {ep.label.lower()}", qualifier),
                                                notes=notes),
                               tdir, f"{ep.stem}_finegray", ("csv",))
    return [w.relative_to(out_dir) for w in written]

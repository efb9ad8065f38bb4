"""Survival and regression tables for the manuscript, as gtsummary's ``tbl_survfit`` and ``tbl_regression``.

Both build a :class:`~spinestats.reports.tables.Table` (typed numbers, formatted once by the plan's style)
from numbers the analyses computed, labelled by :class:`~spinestats.data_schemas.labels.Labels`:

* :func:`survival_table`: one endpoint; rows "Overall" and, under the grouping variable's label, one row per
  group (labels, schema order); columns N, events, median (95% CI) and the survival or cumulative incidence at
  each time (95% CI), with the log-rank or Gray p on the grouping row.
* :func:`regression_table`: univariable and multivariable models side by side; a row per numeric covariate,
  a heading row per factor with one row per level, the reference level shown with a dash; N and events,
  HR/sHR/OR (CI) and p; the CI level in the header and a footnote naming the model, ties and SE type.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from spinestats.data_schemas.labels import Labels
from spinestats.reports.formatting import fmt_number
from spinestats.reports.tables import Col, Table


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
    level = int(round(100 * summary.conf_level))
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
        cols.append(Col("median", f"Median, {unit} ({level}% CI)", "ci", "median_lower", "median_upper", digits=1,
                        na="NR"))
    for i, t in enumerate(summary.times):
        cols.append(Col(f"at_{i}", f"{_time_text(t, unit)} {what.lower()}, % ({level}% CI)", "ci",
                        f"at_{i}_lower", f"at_{i}_upper", digits=1))
    if summary.p is not None:
        cols.append(Col("p", "p", "p"))
    foot = []
    if not incidence:
        foot.append(f"Kaplan\u2013Meier estimates with {level}% confidence intervals; median with the "
                    "Brookmeyer\u2013Crowley interval. NR: not reached.")
    else:
        foot.append(f"Cumulative incidence (Aalen\u2013Johansen) with competing events; {level}% CIs as cmprsk.")
    if summary.p is not None:
        foot.append(f"p: {'log-rank test' if summary.test == 'log-rank' else 'Gray' + chr(39) + 's test'}"
                    + (f" across {labels.name(group).lower() if group else 'groups'}." if group else "."))
    return Table(data, tuple(cols), title or f"{endpoint}" + (f" by {labels.name(group).lower()}" if group else ""),
                 tuple(foot) + tuple(notes), stem, indent="_indent")


def _term_rows(covariates: Sequence[str], levels: Mapping[str, Sequence[Any]], labels: Labels) -> list[dict[str, Any]]:
    """The rows of a regression table: (label, coefficient name or None, flags) per covariate and level."""
    rows = []
    for var in covariates:
        levs = levels.get(var)
        if not levs:
            rows.append({"characteristic": labels.variable(var), "coef": var, "_indent": False, "_heading": False,
                         "_reference": False, "variable": var})
            continue
        rows.append({"characteristic": labels.variable(var), "coef": None, "_indent": False, "_heading": True,
                     "_reference": False, "variable": var})
        for i, lev in enumerate(levs):
            coef = f"{var}TRUE" if isinstance(lev, (bool, np.bool_)) else f"{var}{lev}"
            rows.append({"characteristic": labels.value(var, lev), "coef": None if i == 0 else coef,
                         "_indent": True, "_heading": False, "_reference": i == 0, "variable": var})
    return rows


def factor_levels(data: pd.DataFrame, covariates: Sequence[str], labels: Labels) -> dict[str, list[Any]]:
    """Levels of each non-numeric covariate as the model uses them: reference first, then schema order."""
    out: dict[str, list[Any]] = {}
    for var in covariates:
        col = data[var]
        if pd.api.types.is_bool_dtype(col):
            out[var] = [False, True]
        elif isinstance(col.dtype, pd.CategoricalDtype):
            present = set(col.dropna())
            out[var] = [lv for lv in col.cat.categories if lv in present]
        elif not pd.api.types.is_numeric_dtype(col):
            out[var] = labels.ordered_levels(var, list(pd.unique(col.dropna())))
    return out


def regression_table(models: Mapping[str, Mapping[str, Any]], covariates: Sequence[str], levels: Mapping[str, Sequence[Any]],
                     *, labels: Labels | None = None, measure: str = "HR", conf_level: float = 0.95,
                     stem: str = "regression", title: str = "", notes: Sequence[str] = ()) -> Table:
    """A ``tbl_regression``-like table; ``models`` maps a column heading ("Univariable", "Multivariable") to

    ``{"terms": [...], "estimate": [...], "lower": [...], "upper": [...], "p": [...], "n": int or {var: int},
    "events": int or {var: int}}`` (a univariable block gives ``n``/``events`` per covariate).
    """
    labels = labels or Labels()
    rows = _term_rows(covariates, levels, labels)
    level = int(round(100 * conf_level))
    cols = [Col("characteristic", "Characteristic")]
    for k, (name, m) in enumerate(models.items()):
        idx = {t: i for i, t in enumerate(m["terms"])}
        per_var = isinstance(m.get("n"), Mapping)
        for r in rows:
            i = idx.get(r["coef"]) if r["coef"] is not None else None
            for key in ("estimate", "lower", "upper", "p"):
                r[f"m{k}_{key}"] = float(m[key][i]) if i is not None else float("nan")
            if per_var:
                show = not r["_indent"]
                r[f"m{k}_n"] = float(m["n"].get(r["variable"], np.nan)) if show else float("nan")
                r[f"m{k}_events"] = float(m["events"].get(r["variable"], np.nan)) if show else float("nan")
        if per_var:
            cols += [Col(f"m{k}_n", f"{name}: N", "int"), Col(f"m{k}_events", f"{name}: events", "int")]
        if not per_var and m.get("n") is not None:
            notes = list(notes) + [f"{name} model: N = {m['n']}, events = {m['events']}."]
        cols += [Col(f"m{k}_estimate", f"{name}: {measure} ({level}% CI)", "ci", f"m{k}_lower", f"m{k}_upper"),
                 Col(f"m{k}_p", f"{name}: p", "p")]
    data = pd.DataFrame(rows).drop(columns=["coef"])
    for c in data.columns:
        if c.endswith("_n") or c.endswith("_events"):
            data[c] = data[c].astype("Int64")
    foot = [f"{measure}: {_measure_words(measure)}; CI: confidence interval. \u2014: reference level."] + list(notes)
    foot = list(dict.fromkeys(foot))
    return Table(data, tuple(cols), title, tuple(foot), stem, indent="_indent")


def _measure_words(measure: str) -> str:
    return {"HR": "hazard ratio", "sHR": "subdistribution hazard ratio", "OR": "odds ratio",
            "csHR": "cause-specific hazard ratio"}.get(measure, measure)

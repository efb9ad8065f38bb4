"""Survival and regression tables for the manuscript, as gtsummary's ``tbl_survfit`` and ``tbl_regression``.

Both build a :class:`~spinestats.reports.tables.Table` (typed numbers, formatted once by the plan's style)
from numbers the analyses computed, labelled by :class:`~spinestats.data_schemas.labels.Labels`:

* :func:`survival_table`: one endpoint; rows "Overall" and, under the grouping variable's label, one row per
  group (labels, schema order); columns N, events, median (95% CI) and the survival or cumulative incidence at
  each time (95% CI), with the log-rank or Gray p on the grouping row.
* :func:`~spinestats.reports.regression_table.regression_table` (its own module, re-exported here):
  univariable and multivariable models side by side, for Cox, Fine–Gray and logistic models alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from spinestats.data_schemas.labels import Labels
from spinestats.reports.formatting import fmt_number
from spinestats.reports.regression_table import factor_levels, regression_table  # noqa: F401  (re-export)
from spinestats.reports.tables import Col, Table


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
                    + (f" across {in_sentence(labels.name(group))}." if group else "."))
    return Table(data, tuple(cols), title or f"{endpoint}" + (f" by {in_sentence(labels.name(group))}" if group else ""),
                 tuple(foot) + tuple(notes), stem, indent="_indent")

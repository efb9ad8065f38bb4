"""Regression tables for the manuscript, as gtsummary's ``tbl_uvregression`` and ``tbl_regression`` merged.

One component for every model the analyses fit: Cox (HR), cause-specific Cox (csHR), Fine\u2013Gray (sHR) and
Firth or maximum-likelihood logistic regression (OR).  :func:`regression_table` lays out, side by side, any
number of model blocks (usually "Univariable" and "Multivariable"):

* a row per numeric covariate (its variable label with its unit, "Age (years)");
* a heading row per factor (its variable label) with one indented row per level (value labels), the
  reference level first and shown with a dash ("\u2014") in every estimate column;
* for each model: N and events, the estimate with its CI (the level in the header, from ``conf_level``:
  "sHR (95% CI)") and the p-value;
* footnotes: what the measure is, "\u2014: reference level", and the model (its ties method, SE type and
  p-value test) from :func:`model_note`;
* a model coefficient that no row claims (an interaction, a term of a covariate not listed) gets its own row,
  labelled by :meth:`~spinestats.data_schemas.labels.Labels.coefficient_label`: nothing is dropped silently.

The numbers are the fitted models' own (:func:`model_block` copies them from a fit's result); nothing is
computed here but the layout.  The table is a :class:`~spinestats.reports.tables.Table`, so it is formatted
once by the plan's ``output.style`` and written to every format.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from spinestats.data_schemas.labels import Labels
from spinestats.reports.tables import Col, Table

#: The measure each model reports, in words (footnote) -- keyed by its short name (header).
MEASURES: dict[str, str] = {"HR": "hazard ratio", "csHR": "cause-specific hazard ratio",
                            "sHR": "subdistribution hazard ratio", "OR": "odds ratio"}


def level_text(conf_level: float) -> str:
    """``0.95`` -> ``"95%"``, ``0.9`` -> ``"90%"``, ``0.975`` -> ``"97.5%"``."""
    return f"{100 * float(conf_level):.10g}%"


def model_block(terms: Sequence[str], estimate: Sequence[float], lower: Sequence[float], upper: Sequence[float],
                p: Sequence[float], n: int | None = None, events: int | None = None) -> dict[str, Any]:
    """One fitted model as :func:`regression_table` reads it (the fit's own numbers, ratio scale)."""
    return {"terms": list(terms), "estimate": [float(v) for v in estimate], "lower": [float(v) for v in lower],
            "upper": [float(v) for v in upper], "p": [float(v) for v in p],
            "n": None if n is None else int(n), "events": None if events is None else int(events)}


def univariable_block(blocks: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Univariable models (one per covariate, ``{covariate: model_block}``) as one block with N and events per
    covariate, as ``tbl_uvregression``."""
    out: dict[str, Any] = {"terms": [], "estimate": [], "lower": [], "upper": [], "p": [], "n": {}, "events": {}}
    for var, b in blocks.items():
        for key in ("terms", "estimate", "lower", "upper", "p"):
            out[key] += list(b[key])
        out["n"][var], out["events"][var] = b.get("n"), b.get("events")
    return out


def model_note(model: str, *, ties: str | None = None, se: str | None = None, p_method: str | None = "Wald",
               ci_method: str | None = None, extra: str = "") -> str:
    """The footnote naming the model, its handling of tied times, its SE type and its tests."""
    parts = [model]
    if ties:
        parts.append(f"{ties} method for tied times")
    if se:
        parts.append(se)
    if ci_method:
        parts.append(ci_method)
    if p_method:
        parts.append(f"{p_method} p-values")
    return "; ".join(parts) + "." + (f" {extra}" if extra else "")


def factor_levels(data: pd.DataFrame, covariates: Sequence[str], labels: Labels) -> dict[str, list[Any]]:
    """Levels of each non-numeric covariate as the model uses them: reference first, then schema order."""
    out: dict[str, list[Any]] = {}
    for var in covariates:
        if var not in data.columns:
            continue
        col = data[var]
        if pd.api.types.is_bool_dtype(col):
            out[var] = [False, True]
        elif isinstance(col.dtype, pd.CategoricalDtype):
            present = set(col.dropna())
            out[var] = [lv for lv in col.cat.categories if lv in present]
        elif not pd.api.types.is_numeric_dtype(col):
            out[var] = labels.ordered_levels(var, list(pd.unique(col.dropna())))
    return out


def with_references(d: pd.DataFrame, covariates: list[str], labels: Labels) -> pd.DataFrame:
    """Text covariates as factors whose first level is the reference (labels: user, schema, schema order).

    A covariate the labels know nothing about keeps R's default (levels sorted, first the reference).
    """
    out = d
    for c in covariates:
        if c not in d.columns or pd.api.types.is_bool_dtype(d[c]) or pd.api.types.is_numeric_dtype(d[c]):
            continue
        if not labels.levels(c) and labels.reference(c) is None:
            continue
        levels = labels.ordered_levels(c, list(pd.unique(d[c].dropna())))
        if out is d:
            out = d.copy()
        out[c] = pd.Categorical(d[c], categories=levels)
    return out


def _coef_name(var: str, level: Any) -> str:
    return f"{var}TRUE" if isinstance(level, (bool, np.bool_)) else f"{var}{level}"


def _term_rows(covariates: Sequence[str], levels: Mapping[str, Sequence[Any]], labels: Labels) -> list[dict[str, Any]]:
    """The rows of a regression table: label, coefficient name (None: no estimate) and flags per covariate and level."""
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
            rows.append({"characteristic": labels.value(var, lev), "coef": None if i == 0 else _coef_name(var, lev),
                         "_indent": True, "_heading": False, "_reference": i == 0, "variable": var})
    return rows


def _in_model(var: str, levels: Sequence[Any] | None, terms: set[str]) -> bool:
    if not levels:
        return var in terms
    return any(_coef_name(var, lev) in terms for lev in levels)


def regression_table(models: Mapping[str, Mapping[str, Any]], covariates: Sequence[str],
                     levels: Mapping[str, Sequence[Any]], *, labels: Labels | None = None, measure: str = "HR",
                     conf_level: float = 0.95, stem: str = "regression", title: str = "",
                     notes: Sequence[str] = ()) -> Table:
    """A ``tbl_regression``-like table (see the module docstring).

    Parameters
    ----------
    models : column heading ("Univariable", "Multivariable") -> a :func:`model_block` (``n``/``events`` one
        number for the model) or a :func:`univariable_block` (``n``/``events`` per covariate).
    covariates : the rows, in order (a covariate absent from a model is left blank in its columns).
    levels : the levels of each factor, reference first (:func:`factor_levels`); numeric covariates absent.
    labels : the display labels (variables, values).
    measure : ``HR``, ``csHR``, ``sHR`` or ``OR`` (the header; :data:`MEASURES` gives the footnote's words).
    conf_level : the CIs' level, shown in the header.
    notes : footnotes after the measure's (usually :func:`model_note`).
    """
    labels = labels or Labels()
    rows = _term_rows(covariates, levels, labels)
    placed = {r["coef"] for r in rows if r["coef"] is not None}
    extra = [t for m in models.values() for t in m["terms"] if t not in placed]
    for t in dict.fromkeys(extra):  # interactions and other unlisted terms: a row of their own
        rows.append({"characteristic": labels.coefficient_label(t, list(covariates)), "coef": t, "_indent": False,
                     "_heading": False, "_reference": False, "variable": None})
    level = level_text(conf_level)
    shown = "csHR" if measure == "csHR" else measure
    cols = [Col("characteristic", "Characteristic")]
    for k, (name, m) in enumerate(models.items()):
        idx = {t: i for i, t in enumerate(m["terms"])}
        per_var = isinstance(m.get("n"), Mapping)
        terms = set(m["terms"])
        for r in rows:
            i = idx.get(r["coef"]) if r["coef"] is not None else None
            for key in ("estimate", "lower", "upper", "p"):
                r[f"m{k}_{key}"] = float(m[key][i]) if i is not None else float("nan")
            var = r["variable"]
            top = not r["_indent"] and var is not None
            if per_var:
                n, ev = m["n"].get(var), m["events"].get(var)
            else:
                n, ev = (m.get("n"), m.get("events")) if var is not None and _in_model(var, levels.get(var), terms) \
                    else (None, None)
            r[f"m{k}_n"] = float(n) if top and n is not None else float("nan")
            r[f"m{k}_events"] = float(ev) if top and ev is not None else float("nan")
            # the reference row of a factor shows "\u2014" only in the columns of a model that contains it
            contains = var is not None and (_in_model(var, levels.get(var), terms) or (per_var and var in m["n"]))
            r[f"_reference:m{k}_estimate"] = bool(r["_reference"] and contains)
        cols += [Col(f"m{k}_n", f"{name}: N", "int", group=name),
                 Col(f"m{k}_events", f"{name}: events", "int", group=name),
                 Col(f"m{k}_estimate", f"{name}: {shown} ({level} CI)", "ci", f"m{k}_lower", f"m{k}_upper",
                     group=name),
                 Col(f"m{k}_p", f"{name}: p", "p", group=name)]
    data = pd.DataFrame(rows).drop(columns=["coef"])
    for c in data.columns:
        if c.endswith("_n") or c.endswith("_events"):
            data[c] = data[c].astype("Int64")
    foot = [f"{shown}: {MEASURES.get(measure, measure)}; CI: confidence interval. \u2014: reference level."]
    foot = list(dict.fromkeys(foot + [n for n in notes if n]))
    return Table(data, tuple(cols), title, tuple(foot), stem, indent="_indent")

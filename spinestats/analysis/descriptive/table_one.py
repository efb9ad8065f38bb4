"""Table 1: baseline characteristics by group, with SMDs and tests.

The numbers follow R's ``tableone`` package (Yoshida & Bartel) so a table
made here can be checked against ``CreateTableOne``:

* continuous, normal: mean and SD (``sd``, denominator n - 1); test
  ``oneway.test(var.equal = TRUE)`` (one-way ANOVA, equal to Student's t-test
  for two groups);
* continuous, listed in ``nonnormal``: median and quartiles (R ``quantile``
  type 7); test ``kruskal.test`` (equal to the Wilcoxon rank-sum test without
  continuity correction for two groups);
* categorical: n (%) of the non-missing values; test ``chisq.test`` (Yates'
  continuity correction for 2 x 2 tables) or, for variables listed in
  ``exact``, ``fisher.test``;
* SMD as ``tableone::ExtractSmd`` (:mod:`spinestats.analysis.descriptive.smd`:
  continuous and Yang & Dalton categorical; with more than two groups, the
  mean of the pairwise SMDs); Fisher's exact test of a 2 x k table from
  :mod:`spinestats.analysis.descriptive.fisher_exact`.

Missing values are left out of each variable's summary and counted in
``n_missing``; rows with a missing group are left out and counted in
``n_group_missing``; nothing is dropped silently.

References: see :mod:`spinestats.analysis.descriptive.smd`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from spinestats.analysis.core.params import check_column, check_columns
from spinestats.analysis.core.result import Result
from spinestats.analysis.descriptive.fisher_exact import (  # noqa: F401 (fisher_exact_2xk: old import path)
    fisher_exact_2xk,
    fisher_exact_p,
)
from spinestats.analysis.descriptive.group_tests import chisq_test, kruskal_wallis, oneway_anova, student_t
from spinestats.analysis.descriptive.smd import smd_categorical, smd_continuous
from spinestats.errors import DataError, UsageError

@dataclasses.dataclass(frozen=True)
class VariableSummary(Result):
    """Summary of one variable in every group.

    ``stats`` maps each group to its numbers: ``n`` (non-missing), and
    ``mean``/``sd`` and ``median``/``q1``/``q3`` (continuous) or ``counts``
    and ``percent`` per level (categorical).
    """

    _published_keys = {"p": "p_value"}  # results.json keeps its key

    @property
    def p_value(self) -> float | None:
        """The former name of ``p`` (kept readable)."""
        return self.p

    variable: str
    kind: str  # "continuous" or "categorical"
    nonnormal: bool
    levels: tuple[str, ...]
    stats: dict[str, dict[str, Any]]
    n_missing: dict[str, int]
    test: str | None
    statistic: float | None
    df: float | None
    p: float | None
    smd: float | None


@dataclasses.dataclass(frozen=True)
class TableOneResult(Result):
    """Baseline characteristics by group (see the module docstring)."""

    group: str
    groups: tuple[str, ...]
    n: dict[str, int]
    n_group_missing: int
    variables: tuple[VariableSummary, ...]
    warnings: tuple[str, ...] = ()
    overall: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)  # variable -> all-patient stats

    def to_frame(self) -> pd.DataFrame:
        """Long table: one row per variable (continuous) or level (categorical) and group."""
        rows = []
        for v in self.variables:
            for g in self.groups:
                s = v.stats[g]
                base = {"variable": v.variable, "kind": v.kind, "group": g, "n": s["n"],
                        "smd": v.smd, "test": v.test, "p": v.p}
                if v.kind == "continuous":
                    rows.append({**base, "level": None, **{k: s[k] for k in ("mean", "sd", "median", "q1", "q3")}})
                else:
                    for lev in v.levels:
                        rows.append({**base, "level": lev, "count": s["counts"][lev], "percent": s["percent"][lev]})
        return pd.DataFrame(rows)


def _levels(series: pd.Series) -> list:
    if isinstance(series.dtype, pd.CategoricalDtype):
        return list(series.cat.categories)
    return sorted(series.dropna().unique().tolist(), key=lambda v: (str(type(v)), v))


def table_one(
    data: pd.DataFrame,
    *,
    group: str,
    variables: Sequence[str],
    categorical: Sequence[str] = (),
    nonnormal: Sequence[str] = (),
    exact: Sequence[str] = (),
    tests: bool = True,
    auto_exact: bool = False,
) -> TableOneResult:
    """Baseline characteristics of ``variables`` by ``group``.

    Parameters
    ----------
    data : one row per patient.
    group : column defining the groups (two or more).
    variables : columns to summarise, in table order.
    categorical : numeric columns to treat as categorical (text, boolean and
        category columns are categorical anyway).
    nonnormal : continuous columns summarised by median [Q1, Q3] and tested
        with Kruskal-Wallis.
    exact : categorical columns tested with Fisher's exact test.
    tests : compute the tests (``False`` gives SMDs only).
    auto_exact : test a categorical variable with Fisher's exact test when a
        chi-squared expected count is below 5 (its ``test`` then says so),
        instead of leaving a warning to use ``exact``.

    Returns
    -------
    TableOneResult
    """
    check_column(data, group, "group")
    check_columns(data, list(variables), "variables")
    for opt, cols in (("nonnormal", nonnormal), ("exact", exact), ("categorical", categorical)):
        extra = [c for c in cols if c not in variables]
        if extra:
            raise UsageError(f"table one: {opt} names {', '.join(extra)}, which are not among the variables.")
    keep = data[group].notna()
    n_group_missing = int((~keep).sum())
    df = data.loc[keep]
    group_values = df[group]
    groups = _levels(group_values)
    labels = [str(g) for g in groups]
    if len(groups) < 2:
        raise DataError(f"table one: the group column '{group}' has {len(groups)} group(s); at least two are needed.")
    masks = [(group_values == g).to_numpy() for g in groups]
    group_index = np.full(len(df), -1, dtype=np.intp)  # each row's group (position in groups)
    for i, m in enumerate(masks):
        group_index[m] = i
    warnings: list[str] = []
    if n_group_missing:
        warnings.append(f"{n_group_missing} row(s) with a missing '{group}' were left out of Table 1.")
    summaries = []
    for var in variables:
        col = df[var]
        is_cat = (var in categorical or col.dtype == bool or isinstance(col.dtype, pd.CategoricalDtype)
                  or not pd.api.types.is_numeric_dtype(col))
        if var in nonnormal and is_cat:
            raise UsageError(f"table one: '{var}' is categorical; nonnormal applies to continuous variables only.")
        if var in exact and not is_cat:
            raise UsageError(f"table one: '{var}' is continuous; exact applies to categorical variables only.")
        isna = col.isna().to_numpy()
        miss = {lab: int(isna[m].sum()) for lab, m in zip(labels, masks)}
        st: dict[str, dict[str, Any]] = {}
        test = statistic = dof = p = None
        if not is_cat:
            xs = [col[m].dropna().to_numpy(dtype=float) for m in masks]
            for lab, x in zip(labels, xs):
                q = np.quantile(x, [0.5, 0.25, 0.75]) if len(x) else [np.nan] * 3
                st[lab] = {"n": len(x), "mean": float(np.mean(x)) if len(x) else None,
                           "sd": float(np.std(x, ddof=1)) if len(x) > 1 else None,
                           "median": float(q[0]), "q1": float(q[1]), "q3": float(q[2])}
            if any(len(x) < 2 for x in xs):
                warnings.append(f"'{var}': a group has fewer than two values; its SD, SMD and test are not available.")
                smd = None
            else:
                smd = smd_continuous([x.mean() for x in xs], [x.var(ddof=1) for x in xs])
                if tests:
                    if var in nonnormal:
                        res = kruskal_wallis(*xs)
                        test, statistic, dof, p = "Kruskal-Wallis", res.statistic, res.df, res.p
                    else:
                        res = oneway_anova(*xs)  # two groups: its p is Student's t-test's
                        test, statistic, p = "ANOVA (t-test)" if len(xs) > 2 else "t-test", res.statistic, res.p
                        dof = res.df if len(xs) > 2 else res.df2
                        if len(xs) == 2:
                            statistic = student_t(xs[0], xs[1]).statistic
            levels = ()
        else:
            present = col.dropna()
            levels = tuple(str(v) for v in _levels(present))
            counts = _level_counts(col, levels, group_index, len(masks))
            props = []
            for lab, row in zip(labels, counts):
                n_g = int(row.sum())
                st[lab] = {"n": n_g, "counts": dict(zip(levels, map(int, row))),
                           "percent": {lev: (100.0 * c / n_g if n_g else None) for lev, c in zip(levels, row)}}
                props.append(row / n_g if n_g else np.full(len(levels), np.nan))
            if len(levels) < 2 or any(np.isnan(pr).any() for pr in props):
                smd = None if len(levels) >= 2 else 0.0
            else:
                smd = smd_categorical(props)
            if tests and len(levels) >= 2:
                table = counts[:, counts.sum(axis=0) > 0]
                if var in exact:
                    test = "Fisher's exact"
                    p = fisher_exact_p(table)
                else:
                    chi = chisq_test(table, correct=True)
                    test, statistic, p, dof, expected = "chi-squared", chi.statistic, chi.p, chi.df, chi.expected
                    if (expected < 5).any() and auto_exact:
                        test, statistic, dof = "Fisher's exact (expected counts < 5)", None, None
                        p = fisher_exact_p(table)
                    elif (expected < 5).any():
                        warnings.append(f"'{var}': expected counts below 5; consider exact: [{var}].")
        summaries.append(VariableSummary(
            variable=var, kind="categorical" if is_cat else "continuous", nonnormal=var in nonnormal,
            levels=levels, stats=st, n_missing=miss, test=test, statistic=statistic, df=dof, p=p, smd=smd,
        ))
    return TableOneResult(
        group=group, groups=tuple(labels), n={lab: int(m.sum()) for lab, m in zip(labels, masks)},
        n_group_missing=n_group_missing, variables=tuple(summaries), warnings=tuple(warnings),
        overall={v.variable: overall_stats(df[v.variable], v.kind, v.levels) for v in summaries},
    )


def overall_stats(col: pd.Series, kind: str, levels: Sequence[str] = ()) -> dict[str, Any]:
    """The all-patients summary of one variable (Table 1's Overall column), as the per-group ones."""
    if kind == "continuous":
        x = col.dropna().to_numpy(dtype=float)
        q = np.quantile(x, [0.5, 0.25, 0.75]) if len(x) else [np.nan] * 3
        return {"n": int(len(x)), "n_missing": int(col.isna().sum()),
                "mean": float(np.mean(x)) if len(x) else None, "sd": float(np.std(x, ddof=1)) if len(x) > 1 else None,
                "median": float(q[0]), "q1": float(q[1]), "q3": float(q[2])}
    counts = dict(zip(levels, map(int, _level_counts(col, levels, np.zeros(len(col), dtype=np.intp), 1)[0])))
    n = int(sum(counts.values()))
    return {"n": n, "n_missing": int(col.isna().sum()), "counts": counts,
            "percent": {lev: (100.0 * c / n if n else None) for lev, c in counts.items()}}


def _level_counts(col: pd.Series, levels: Sequence[str], group_index: np.ndarray, n_groups: int) -> np.ndarray:
    """Counts of the non-missing values of ``col`` whose text (``str(value)``) is each of ``levels``, by group.

    ``group_index`` gives each row's group (0 .. n_groups - 1; -1: none).  The
    text of a value is that of ``str`` applied to it, computed once per
    distinct value (per row only for object columns), then counted with one
    ``bincount``; values whose text is not a level are not counted.
    Returns an ``n_groups x len(levels)`` integer array.
    """
    keep = col.notna().to_numpy() & (group_index >= 0)
    dtype = col.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        codes = col.cat.codes.to_numpy()[keep]
        text = np.array([str(c) for c in dtype.categories], dtype=object)
    elif isinstance(dtype, np.dtype) and dtype.kind in "biuf":  # NumPy numbers and booleans: distinct bit patterns, each turned into text once
        values = col.to_numpy()[keep]
        bits = values.view(np.uint64 if values.dtype.itemsize == 8 else f"u{values.dtype.itemsize}")
        distinct, first, codes = np.unique(bits, return_index=True, return_inverse=True)
        text = np.array([str(v) for v in values[first].tolist()], dtype=object)
    else:
        values = col.to_numpy(dtype=object)[keep]
        if pd.api.types.infer_dtype(values, skipna=False) == "string":  # all text: str() is the identity
            codes, distinct = pd.factorize(values)
            text = np.asarray(distinct, dtype=object)
        else:  # mixed objects, dates: the text of every value
            text, codes = np.unique(np.array([str(v) for v in values], dtype=object), return_inverse=True)
    position = {lev: i for i, lev in enumerate(dict.fromkeys(levels))}
    level_of = np.array([position.get(t, -1) for t in text], dtype=np.intp)  # each distinct text's level (-1: none)
    n_levels = len(position)
    rows = level_of[np.asarray(codes, dtype=np.intp).ravel()] if len(text) else np.zeros(0, dtype=np.intp)
    counted = rows >= 0
    flat = np.bincount(group_index[keep][counted] * n_levels + rows[counted], minlength=n_groups * n_levels)
    by_text = flat.reshape(n_groups, n_levels)
    return by_text[:, [position[lev] for lev in levels]] if levels else np.zeros((n_groups, 0), dtype=np.int64)

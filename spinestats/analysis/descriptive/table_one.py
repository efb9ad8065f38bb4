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
from spinestats.analysis.core import distributions as stats

from spinestats.analysis.core.params import check_column, check_columns
from spinestats.analysis.core.result import Result
from spinestats.analysis.descriptive.fisher_exact import (  # noqa: F401 (fisher_exact_2xk: old import path)
    fisher_exact_2xk,
    fisher_exact_p,
)
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
        miss = {lab: int(col[m].isna().sum()) for lab, m in zip(labels, masks)}
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
                        res = stats.kruskal(*xs)
                        test, statistic, dof, p = "Kruskal-Wallis", float(res.statistic), float(len(xs) - 1), float(res.pvalue)
                    else:
                        res = stats.f_oneway(*xs)
                        n_all = sum(len(x) for x in xs)
                        test, statistic, p = "ANOVA (t-test)" if len(xs) > 2 else "t-test", float(res.statistic), float(res.pvalue)
                        dof = float(len(xs) - 1) if len(xs) > 2 else float(n_all - 2)
                        if len(xs) == 2:
                            statistic = float(stats.ttest_ind(xs[0], xs[1]).statistic)
            levels = ()
        else:
            present = col.dropna()
            levels = tuple(str(v) for v in _levels(present))
            text = col.map(lambda v: None if pd.isna(v) else str(v))
            counts = np.array([[int(((text == lev) & m).sum()) for lev in levels] for m in masks])
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
                    chi2, p, dof, expected = stats.chi2_contingency(table, correction=True)
                    test, statistic, p, dof = "chi-squared", float(chi2), float(p), float(dof)
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
    text = col.map(lambda v: None if pd.isna(v) else str(v))
    counts = {lev: int((text == lev).sum()) for lev in levels}
    n = int(sum(counts.values()))
    return {"n": n, "n_missing": int(col.isna().sum()), "counts": counts,
            "percent": {lev: (100.0 * c / n if n else None) for lev, c in counts.items()}}

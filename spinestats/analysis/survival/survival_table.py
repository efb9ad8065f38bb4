"""The numbers of a survival table, as R's gtsummary ``tbl_survfit`` lays them out.

:func:`survfit_summary` arranges fitted Kaplan-Meier curves (overall and per
group) and the log-rank test into one typed frame: per row (``level`` None
for "Overall") the number of patients, events, the median with its CI and
the survival at each requested time with its CI; :func:`cuminc_summary` does
the same for the cumulative incidence of one cause with Gray's test.  The
values are those of the fitted objects (``survfit`` summary, ``survdiff``,
``cmprsk::cuminc``/``timepoints``), nothing is re-estimated here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from spinestats.analysis.core.result import Result


@dataclasses.dataclass(frozen=True)
class SurvivalSummaryResult(Result):
    """One endpoint's table numbers.

    ``frame`` columns: ``level`` (None = overall), ``n``, ``events``
    (and ``competing`` for a cumulative incidence), ``median``,
    ``median_lower``, ``median_upper`` (Kaplan-Meier only), and for each
    time ``t`` in ``times``: ``at_<i>``, ``at_<i>_lower``, ``at_<i>_upper``.
    ``p`` is the log-rank (or Gray) p of the grouping, ``test`` its name.
    """

    frame: pd.DataFrame
    times: tuple[float, ...]
    kind: str  # "survival" or "incidence"
    p: float | None
    test: str | None
    conf_level: float


#: the former name, kept as an alias
SurvivalSummary = SurvivalSummaryResult


def _at(rates: pd.DataFrame, group: Any, times: Sequence[float], value: str) -> dict[str, float]:
    out: dict[str, float] = {}
    sub = rates if group is None or "group" not in rates else rates[rates["group"].map(lambda g: g == group)]
    for i, t in enumerate(times):
        hit = sub[np.isclose(sub["time"].astype(float), float(t))]
        row = hit.iloc[0] if len(hit) else None
        for suffix, col in (("", value), ("_lower", "lower"), ("_upper", "upper")):
            out[f"at_{i}{suffix}"] = float(row[col]) if row is not None and pd.notna(row[col]) else float("nan")
    return out


def survfit_summary(km_overall, km_groups=None, logrank=None, times: Sequence[float] = ()) -> SurvivalSummaryResult:
    """Overall and per-group N, events, median (CI) and survival at ``times`` (CI), with the log-rank p.

    Parameters
    ----------
    km_overall : :class:`~spinestats.analysis.survival.kaplan_meier.KaplanMeier` without groups, fitted with ``times``.
    km_groups : the same by group (or None).
    logrank : :class:`~spinestats.analysis.survival.logrank.LogRankTest` of the grouping (or None).
    times : the times of the rates (as given to ``kaplan_meier``).
    """
    rows = []
    fits = [(km_overall, False)] + ([(km_groups, True)] if km_groups is not None else [])
    for km, grouped in fits:
        for c in km.curves:
            med = km.median(c.group)
            rows.append({"level": c.group if grouped else None,
                         "n": int(np.sum(c.n_event) + np.sum(c.n_censored)), "events": int(np.sum(c.n_event)),
                         "median": float(med["estimate"]), "median_lower": float(med["lower"]),
                         "median_upper": float(med["upper"]),
                         **_at(km.rates, c.group if grouped else None, times, "survival")})
    p = float(logrank.p) if logrank is not None else None
    return SurvivalSummaryResult(pd.DataFrame(rows), tuple(float(t) for t in times), "survival", p,
                           "log-rank" if logrank is not None else None, float(km_overall.conf_level))


def cuminc_summary(data: pd.DataFrame, *, time: str, event: str, cause: int, censor: int, group: str | None,
                   cif_overall, cif_groups=None, gray=None, times: Sequence[float] = ()) -> SurvivalSummaryResult:
    """Overall and per-group N, events of ``cause``, competing events and cumulative incidence at ``times``
    (CI, as ``cmprsk::timepoints``), with Gray's test p for ``cause``."""
    d = data[[c for c in (time, event, group) if c is not None]].dropna(subset=[time, event])
    rows = []

    def counts(sub: pd.DataFrame) -> dict[str, int]:
        ev = sub[event].astype(int)
        return {"n": int(len(sub)), "events": int((ev == cause).sum()), "competing": int(((ev != cause) & (ev != censor)).sum())}

    for cif, grouped in [(cif_overall, False)] + ([(cif_groups, True)] if cif_groups is not None else []):
        for c in cif.curves:
            if c.cause != cause:
                continue
            sub = d if not grouped else d[d[group].map(lambda g: g == c.group)]
            at = c.value_at(list(times)) if len(times) else pd.DataFrame(columns=["time", "estimate", "lower", "upper"])
            rows.append({"level": c.group if grouped else None, **counts(sub), **_at(at, None, times, "estimate")})
    p = None
    if gray is not None:
        idx = list(gray.causes).index(cause) if cause in gray.causes else None
        p = float(gray.p[idx]) if idx is not None else None
    return SurvivalSummaryResult(pd.DataFrame(rows), tuple(float(t) for t in times), "incidence", p,
                           "Gray" if gray is not None else None, float(cif_overall.conf_level))

"""Crude incidence of fracture: proportion with exact CI, and median time to fracture.

The crude proportion ``x / n`` (fractures among patients, whatever their
follow-up) is what most clinical series report (e.g. "23% of 30 patients after
CIRT"); its exact Clopper-Pearson interval comes from
:func:`spinestats.analysis.descriptive.proportion_ci.proportion_ci` (R ``binom.test``).
It ignores censoring and competing deaths: use the cumulative incidence
(:mod:`spinestats.analysis.competing_risks.cuminc`) for the risk by a given time.

The median time to fracture *among the fractures* (R ``median``, the mean of
the two middle values for an even count) describes when fractures occur; it
is not the median time to fracture of the cohort.

References
----------
Clopper CJ, Pearson ES. Biometrika 1934;26:404-13. doi:10.1093/biomet/26.4.404
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from spinestats.analysis.descriptive.proportion_ci import proportion_ci
from spinestats.analysis.core.params import check_column
from spinestats.analysis.core.result import Result
from spinestats.errors import DataError


@dataclasses.dataclass(frozen=True)
class CrudeIncidence(Result):
    """Crude proportion of events in one group.

    Attributes
    ----------
    group : group label (``None`` overall).
    n, events : patients and events.
    proportion : ``events / n``; ci : exact (Clopper-Pearson) bounds.
    median_time : median time to the event among those with the event
        (``None`` without events); time_range : (min, max) of those times.
    """

    group: object
    n: int
    events: int
    proportion: float
    ci: tuple[float, float]
    conf_level: float
    median_time: float | None
    time_range: tuple[float, float] | None


@dataclasses.dataclass(frozen=True)
class CrudeIncidenceTableResult(Result):
    """Overall and per-group crude incidence."""

    overall: CrudeIncidence
    groups: tuple[CrudeIncidence, ...]

    def to_frame(self) -> pd.DataFrame:
        rows = [self.overall.to_dict(), *[g.to_dict() for g in self.groups]]
        return pd.DataFrame(rows)


#: the former name, kept as an alias
CrudeIncidenceTable = CrudeIncidenceTableResult


def _one(group, t: np.ndarray, is_event: np.ndarray, conf_level: float) -> CrudeIncidence:
    n, x = int(len(t)), int(is_event.sum())
    ci = proportion_ci(x, n, conf_level=conf_level, method="exact")
    te = t[is_event]
    return CrudeIncidence(
        group=group,
        n=n,
        events=x,
        proportion=float(ci.estimate),
        ci=(float(ci.lower), float(ci.upper)),
        conf_level=conf_level,
        median_time=float(np.median(te)) if x else None,
        time_range=(float(te.min()), float(te.max())) if x else None,
    )


def crude_incidence(
    data: pd.DataFrame,
    *,
    time: str,
    event: str,
    cause=1,
    group: str | None = None,
    conf_level: float = 0.95,
) -> CrudeIncidenceTableResult:
    """Crude proportion of ``event == cause`` with exact CI, overall and per ``group``.

    Parameters
    ----------
    data : one row per patient.
    time : time to the event (months from irradiation) -- used for the median
        among events.
    event : event-code column (``cause`` = fracture).
    group : optional grouping column (e.g. ``modality``); groups in sorted order.
    conf_level : confidence level of the exact interval.
    """
    cols = [time, event] + ([group] if group else [])
    for c, param in zip(cols, ("time", "event", "group")):
        check_column(data, c, param)
    if data[cols].isna().any().any():
        bad = data.index[data[cols].isna().any(axis=1)].tolist()
        raise DataError(f"missing values in {cols} at rows {bad[:10]}; every patient must have a time and a status")
    t = data[time].to_numpy(float)
    ev = (data[event] == cause).to_numpy()
    overall = _one(None, t, ev, conf_level)
    groups = []
    if group:
        g = data[group].to_numpy()
        for lev in sorted(pd.unique(g).tolist(), key=str):
            m = g == lev
            groups.append(_one(lev, t[m], ev[m], conf_level))
    return CrudeIncidenceTableResult(overall=overall, groups=tuple(groups))

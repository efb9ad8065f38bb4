"""Aalen-Johansen cumulative incidence with cmprsk's variance (``cuminc``).

For cause :math:`k` in a group, with distinct times :math:`t_j`, :math:`n_j`
at risk, :math:`d_{kj}` events of cause :math:`k` and :math:`d_j` events of any
cause, and :math:`S(t_{j}-)` the left-continuous Kaplan-Meier estimate of
being free of every event,

.. math::

    F_k(t) = \\sum_{t_j \\le t} S(t_j-)\\, d_{kj} / n_j .

The variance is the delta-method estimator of Gray's ``cinc`` Fortran routine
in the R package cmprsk 2.2 (Aalen 1978 type, with the tie correction
:math:`1-(d-1)/(n-1)`), so ``variance`` equals ``cuminc(...)[[g]]$var``.  As in
cmprsk the variance changes only at times of an event of cause :math:`k`.

Tied times are handled exactly (no jitter, unlike lifelines'
``AalenJohansenFitter``), so the result is deterministic.

Confidence interval (cmprsk gives none; we add it): on the log(-log) scale,

.. math::

    F^{\\exp(\\pm z\\,\\sqrt{V} / |F \\log F|)} ,

the transform used by ``tidycmprsk`` and by Stata ``stcompet``; it stays in
(0, 1).  Where :math:`F=0` the bounds are 0.

References
----------
Gray RJ (1988). A class of K-sample tests for comparing the cumulative
incidence of a competing risk. Ann Stat 16:1141-1154. doi:10.1214/aos/1176350951
Aalen O (1978). Nonparametric estimation of partial transition probabilities
in multiple decrement models. Ann Stat 6:534-545. doi:10.1214/aos/1176344198

See Also
--------
spinestats.analysis.competing_risks.gray_test.gray_test, spinestats.analysis.competing_risks.finegray.fine_gray
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from spinestats.analysis.core import distributions as stats

from spinestats.analysis.core.result import Result, to_jsonable
from spinestats.analysis.core.surv_input import as_frame, event_data, group_levels


@dataclasses.dataclass(frozen=True)
class CifCurve(Result):
    """The cumulative incidence of one cause in one group (a right-continuous step function).

    ``time`` holds the distinct times of an event of this cause; ``estimate``,
    ``variance``, ``lower``, ``upper`` the values from that time on.
    ``n_at_risk`` and ``n_event`` are the numbers at risk and the events of
    this cause at each ``time``.  ``censor_times`` are the times of censored
    observations (for censoring ticks), ``max_time`` the last follow-up.
    """

    group: Any
    cause: int
    time: np.ndarray
    estimate: np.ndarray
    variance: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    n_at_risk: np.ndarray
    n_event: np.ndarray
    censor_times: np.ndarray
    max_time: float
    follow_up: np.ndarray = dataclasses.field(repr=False, default_factory=lambda: np.zeros(0))

    def value_at(self, times: Sequence[float]) -> pd.DataFrame:
        """Estimate, variance and CI at ``times`` as cmprsk ``timepoints``.

        The value at ``t`` is the step function's value at the last event time
        ``<= t`` (0 before the first); beyond the last follow-up time the
        value is undefined (NaN), as ``timepoints`` gives ``NA``.
        """
        t = np.asarray(times, dtype=float)
        idx = np.searchsorted(self.time, t, side="right") - 1
        out = {}
        for name in ("estimate", "variance", "lower", "upper"):
            arr = getattr(self, name)
            vals = np.where(idx >= 0, arr[np.clip(idx, 0, None)] if arr.size else 0.0, 0.0)
            vals = np.where(t > self.max_time, np.nan, vals)
            out[name] = vals
        return pd.DataFrame({"group": [self.group] * len(t), "cause": self.cause, "time": t, **out})

    def at_risk(self, times: Sequence[float]) -> np.ndarray:
        """Number at risk (follow-up time >= t) at each of ``times``."""
        t = np.asarray(times, dtype=float)
        return (self.follow_up.size - np.searchsorted(self.follow_up, t, side="left")).astype(int)

    def to_dict(self) -> dict[str, Any]:
        d = {f.name: to_jsonable(getattr(self, f.name)) for f in dataclasses.fields(self) if f.name != "follow_up"}
        return d

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "group": [self.group] * len(self.time),
                "cause": self.cause,
                "time": self.time,
                "n_at_risk": self.n_at_risk,
                "n_event": self.n_event,
                "estimate": self.estimate,
                "variance": self.variance,
                "lower": self.lower,
                "upper": self.upper,
            }
        )


@dataclasses.dataclass(frozen=True)
class CumulativeIncidenceResult(Result):
    """Cumulative incidence curves of every cause in every group.

    Attributes
    ----------
    curves : one :class:`CifCurve` per (group, cause), groups in sorted order.
    cause : the cause of interest (default curve of :meth:`curve`).
    causes : every event code seen.
    groups : group labels (``[None]`` when ungrouped).
    table : estimates at the requested ``times`` (``timepoints``), all causes.
    conf_level, conf_type : the CI (``"log-log"``).
    n : rows analysed; excluded: index labels of rows left out (missing values).
    """

    curves: tuple[CifCurve, ...]
    cause: int
    causes: tuple[int, ...]
    groups: tuple
    table: pd.DataFrame
    conf_level: float
    conf_type: str
    n: int
    excluded: tuple
    warnings: tuple[str, ...]

    def curve(self, group: Any = None, cause: int | None = None) -> CifCurve:
        """The curve of ``cause`` (default: the cause of interest) in ``group``."""
        cause = self.cause if cause is None else cause
        if group is None and len(self.groups) == 1:
            group = self.groups[0]
        for c in self.curves:
            if c.group == group and c.cause == cause:
                return c
        raise KeyError(f"no curve for group {group!r}, cause {cause!r}")

    def plot(self, ax: Any = None, *, unit: str = "months", event_label: str = "the event", risk_times: Any = None,
             labels: Any = None) -> Any:
        """Draw the cause of interest's curves as the survival report does; returns the matplotlib ``Figure``.

        Examples
        --------
        >>> import spinestats as ss
        >>> cif = ss.cumulative_incidence(ss.example("fracture"), time="time", event="event")
        >>> cif.plot(event_label="fracture").axes[0].get_xlabel()
        'Months from start of treatment'
        """
        from spinestats.reports.result_plots import plot_cumulative_incidence  # presentation hook, loaded on use

        return plot_cumulative_incidence(self, ax=ax, unit=unit, event_label=event_label, risk_times=risk_times,
                                         labels=labels)

    def to_frame(self) -> pd.DataFrame:
        return pd.concat([c.to_frame() for c in self.curves], ignore_index=True)


#: the former name, kept as an alias
CumulativeIncidence = CumulativeIncidenceResult


def _cinc(y: np.ndarray, ic: np.ndarray, icc: np.ndarray):
    """Vectorised port of cmprsk's ``cinc`` (data sorted by ``y``).

    Returns the distinct cause-event times, the estimate and variance after
    each, the numbers at risk and the cause events there.
    """
    n = y.size
    ut, first, counts = np.unique(y, return_index=True, return_counts=True)
    nd1 = np.add.reduceat(icc, first) if n else np.zeros(0)
    ndall = np.add.reduceat(ic, first) if n else np.zeros(0)
    nd2 = ndall - nd1
    rs = (n - first).astype(float)
    ev = ndall > 0
    ut, nd1, nd2, rs = ut[ev], nd1[ev].astype(float), nd2[ev].astype(float), rs[ev]
    nd = nd1 + nd2
    fkn = np.cumprod((rs - nd) / rs)
    fk = np.concatenate(([1.0], fkn[:-1]))
    f = np.cumsum(fk * nd1 / rs)
    with np.errstate(divide="ignore", invalid="ignore"):
        pos = fkn > 0
        # competing events' contribution
        t5 = np.where(nd2 > 1, 1 - (nd2 - 1) / np.where(rs > 1, rs - 1, 1), 1.0)
        t6 = fk * fk * t5 * nd2 / (rs * rs)
        use2 = (nd2 > 0) & pos
        t3 = np.where(pos, 1.0 / np.where(pos, fkn, 1), 0.0)
        t4 = f * t3
        a1 = np.where(use2, t4 * t4 * t6, 0.0)
        a2 = np.where(use2, t3 * t4 * t6, 0.0)
        a3 = np.where(use2, t3 * t3 * t6, 0.0)
        # events of the cause of interest
        t5b = np.where(nd1 > 1, 1 - (nd1 - 1) / np.where(rs > 1, rs - 1, 1), 1.0)
        t6b = fk * fk * t5b * nd1 / (rs * rs)
        t4b = 1 + t3 * f
        use1 = nd1 > 0
        a1 = a1 + np.where(use1, t4b * t4b * t6b, 0.0)
        a2 = a2 + np.where(use1, t3 * t4b * t6b, 0.0)
        a3 = a3 + np.where(use1, t3 * t3 * t6b, 0.0)
    v1, v2, v3 = np.cumsum(a1), np.cumsum(a2), np.cumsum(a3)
    var = v1 + f * f * v3 - 2 * f * v2
    return ut[use1], f[use1], var[use1], rs[use1].astype(int), nd1[use1].astype(int)


def loglog_ci(est: np.ndarray, var: np.ndarray, conf_level: float) -> tuple[np.ndarray, np.ndarray]:
    """log(-log) CI of a cumulative incidence: ``F ** exp(+-z sqrt(V)/|F log F|)``."""
    z = stats.norm.ppf(0.5 + conf_level / 2)
    est = np.asarray(est, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # exp overflow -> bound 0 or 1 (the limit)
        s = np.sqrt(var) / np.abs(est * np.log(est))
        lo = est ** np.exp(z * s)
        hi = est ** np.exp(-z * s)
    lo = np.where(est <= 0, 0.0, np.where(est >= 1, 1.0, lo))
    hi = np.where(est <= 0, 0.0, np.where(est >= 1, 1.0, hi))
    return lo, hi


def cumulative_incidence(
    data: pd.DataFrame,
    *,
    time: str,
    event: str,
    cause: int = 1,
    censor: int = 0,
    group: str | None = None,
    times: Sequence[float] | None = None,
    causes: Sequence[int] | None = None,
    conf_level: float = 0.95,
) -> CumulativeIncidenceResult:
    """Aalen-Johansen cumulative incidence of every cause, per group, as cmprsk ``cuminc``.

    Parameters
    ----------
    data : one row per subject.
    time : follow-up time column (any unit; results are in the same unit).
    event : event code column: ``censor`` = censored, other codes = causes.
    cause : the cause of interest (returned first by :meth:`CumulativeIncidence.curve`).
    censor : code of censored rows.
    group : optional grouping column (a curve per group and cause).
    times : times for the ``table`` of estimates (cmprsk ``timepoints``).
    causes : declared event codes; other codes raise :class:`DataError`.
    conf_level : level of the log(-log) CI.

    Returns
    -------
    CumulativeIncidence

    Examples
    --------
    R: ``cmprsk::cuminc(ftime, fstatus, group, cencode = 0)``.
    """
    ed = event_data(data, time=time, event=event, group=group, censor=censor, causes=causes)
    data = as_frame(data)  # an EventData passed in: its source table
    order = np.argsort(ed.time, kind="mergesort")
    t, st, g = ed.time[order], ed.status[order], ed.group[order]
    levels = list(ed.levels) if ed.levels is not None else group_levels(g)
    seen = sorted(set(st[st != censor].tolist()))
    warnings = list(ed.warnings)
    if cause not in seen:
        warnings.append(f"no event of cause {cause} in the data; its cumulative incidence is 0.")
    cause_list = sorted(set(seen) | {cause})
    curves = []
    for lev in levels:
        m = (g == lev) if lev is not None else np.ones(t.size, bool)
        yg, sg = t[m], st[m]
        ic = (sg != censor).astype(int)
        for k in cause_list:
            icc = (sg == k).astype(int)
            ut, f, v, rs, d1 = _cinc(yg, ic, icc)
            lo, hi = loglog_ci(f, v, conf_level)
            curves.append(
                CifCurve(
                    group=lev,
                    cause=int(k),
                    time=ut,
                    estimate=f,
                    variance=v,
                    lower=lo,
                    upper=hi,
                    n_at_risk=rs,
                    n_event=d1,
                    censor_times=yg[sg == censor],
                    max_time=float(yg.max()) if yg.size else float("nan"),
                    follow_up=yg,
                )
            )
        if not np.any(sg != censor):
            warnings.append(f"group {lev!r}: no events; every cumulative incidence is 0.")
    if times is not None and len(times):
        table = pd.concat([c.value_at(sorted(set(float(x) for x in times))) for c in curves], ignore_index=True)
    else:
        table = pd.DataFrame(columns=["group", "cause", "time", "estimate", "variance", "lower", "upper"])
    return CumulativeIncidenceResult(
        curves=tuple(curves),
        cause=int(cause),
        causes=tuple(int(c) for c in cause_list),
        groups=tuple(levels),
        table=table,
        conf_level=float(conf_level),
        conf_type="log-log",
        n=int(t.size),
        excluded=ed.excluded,
        warnings=tuple(warnings),
    )

"""Kaplan-Meier survival with R ``survfit`` conventions.

.. math::

    \\hat S(t) = \\prod_{t_j \\le t} \\Big(1 - \\frac{d_j}{n_j}\\Big),\\qquad
    \\widehat{\\mathrm{se}}\\{\\log \\hat S(t)\\} = \\Big(\\sum_{t_j \\le t}
        \\frac{d_j}{n_j (n_j - d_j)}\\Big)^{1/2} \\ \\text{(Greenwood)}

with :math:`n_j` at risk (entry :math:`< t_j \\le` exit when a delayed-entry
column is given, as ``Surv(entry, time, event)``) and :math:`d_j` events.

Confidence intervals (``conf_type``), exactly as ``survfit``'s
``survfit_confint`` in survival 3.x, with :math:`s` the Greenwood SE of
:math:`\\log S` and :math:`z` the normal quantile:

* ``"log"`` (R's default): :math:`\\exp(\\log S \\pm z s)`, upper capped at 1;
* ``"log-log"``: :math:`\\exp\\{-\\exp(\\log(-\\log S) \\mp z s / \\log S)\\}`
  (undefined where S is 0 or 1);
* ``"plain"``: :math:`S \\pm z s S`, clipped to [0, 1].

Quantiles (median etc.) and their CIs follow ``quantile.survfit``: the
quantile is the first time the curve falls to ``1-p`` or below; where the
curve is flat at exactly ``1-p`` (within ``sqrt(machine eps)``) the midpoint
of the flat stretch is taken (Brookmeyer & Crowley 1982 CI by the same rule
on the CI curves).  A quantile that the curve never reaches is "not
reached" (NaN in arrays, ``None`` in JSON).

Median follow-up uses the reverse Kaplan-Meier method (Schemper & Smith
1996): the KM median of the censoring times, with events as censored.

References
----------
Kaplan EL, Meier P (1958). J Am Stat Assoc 53:457-481. doi:10.1080/01621459.1958.10501452
Brookmeyer R, Crowley J (1982). Biometrics 38:29-41. doi:10.2307/2530286
Schemper M, Smith TL (1996). Control Clin Trials 17:343-346. doi:10.1016/0197-2456(96)00075-X
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from spinestats.analysis.core import distributions as stats

from spinestats.analysis.core.result import Result, to_jsonable
from spinestats.analysis.core.surv_input import (as_frame, event_data, group_codes, time_group_counts,
                                                 unique_inverse)
from spinestats.errors import UsageError

CONF_TYPES = ("log", "log-log", "plain")
TOL = float(np.sqrt(np.finfo(float).eps))


@dataclasses.dataclass(frozen=True)
class KMCurve(Result):
    """One Kaplan-Meier curve at every distinct exit time (as ``survfit``).

    ``std_err`` is the Greenwood SE of :math:`\\log S` (R: ``fit$std.err``);
    ``lower``/``upper`` the pointwise CI.  ``follow_up``/``entries`` keep the
    raw times for numbers at risk at any time (not written to JSON): the
    exit and entry time of each row of the curve (for a curve of a group
    without delayed entry, the exit times in increasing order and a
    read-only array of zeros).
    """

    group: Any
    time: np.ndarray
    n_at_risk: np.ndarray
    n_event: np.ndarray
    n_censored: np.ndarray
    survival: np.ndarray
    std_err: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    conf_type: str
    conf_level: float
    follow_up: np.ndarray = dataclasses.field(repr=False, default_factory=lambda: np.zeros(0))
    entries: np.ndarray = dataclasses.field(repr=False, default_factory=lambda: np.zeros(0))

    @property
    def censor_times(self) -> np.ndarray:
        """Times with at least one censored observation (for censoring ticks)."""
        return self.time[self.n_censored > 0]

    def at_risk(self, times: Sequence[float]) -> np.ndarray:
        """Numbers at risk at ``times`` (entry < t <= exit; entry 0 counts from t >= 0)."""
        t = np.asarray(times, dtype=float)
        exits = self.n_event + self.n_censored
        if (self.entries.size == self.follow_up.size == int(exits.sum()) and self.time.size
                and not np.any(self.entries > 0)):
            # no delayed entry: those out before t are the exits at distinct times < t (no sort of the rows)
            out_before = np.concatenate(([0], np.cumsum(exits)))
            return (self.follow_up.size - out_before[np.searchsorted(self.time, t, side="left")]).astype(int)
        fu = np.sort(self.follow_up)
        n_out = np.searchsorted(fu, t, side="left")
        en = np.sort(self.entries)
        n_in = np.searchsorted(en, t, side="left") if np.any(en > 0) else np.full(t.shape, en.size)
        return (n_in - n_out).astype(int)

    def events_before(self, times: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
        """Cumulative events and censored observations at or before each of ``times``."""
        t = np.asarray(times, dtype=float)
        k = np.searchsorted(self.time, t, side="right")
        ce = np.concatenate(([0], np.cumsum(self.n_event)))
        cc = np.concatenate(([0], np.cumsum(self.n_censored)))
        return ce[k], cc[k]

    def rates(self, times: Sequence[float]) -> pd.DataFrame:
        """Survival at ``times`` as ``summary(fit, times=)``.

        Columns: ``time``, ``n_at_risk`` (at the time), ``n_event`` (events
        since the previous requested time), ``survival``, ``std_err`` (SE of
        S, as ``summary`` prints), ``lower``, ``upper``.  A time beyond the
        last follow-up, which R drops, is kept with NaN values.
        """
        t = np.sort(np.asarray(times, dtype=float))
        k = np.searchsorted(self.time, t, side="right") - 1
        surv = np.where(k >= 0, self.survival[np.clip(k, 0, None)] if self.time.size else 1.0, 1.0)
        se_log = np.where(k >= 0, self.std_err[np.clip(k, 0, None)] if self.time.size else 0.0, 0.0)
        lo = np.where(k >= 0, self.lower[np.clip(k, 0, None)] if self.time.size else 1.0, 1.0)
        hi = np.where(k >= 0, self.upper[np.clip(k, 0, None)] if self.time.size else 1.0, 1.0)
        ev, _ = self.events_before(t)
        n_event = np.diff(np.concatenate(([0], ev)))
        beyond = t > (self.time[-1] if self.time.size else -np.inf)
        with np.errstate(invalid="ignore"):
            se_surv = surv * se_log  # 0 * inf (a curve at 0) is undefined: NaN
        out = pd.DataFrame(
            {
                "group": [self.group] * t.size,
                "time": t,
                "n_at_risk": self.at_risk(t),
                "n_event": n_event,
                "survival": surv,
                "std_err": se_surv,
                "lower": lo,
                "upper": hi,
            }
        )
        if beyond.any():
            out.loc[beyond, ["survival", "std_err", "lower", "upper"]] = np.nan
        return out

    def quantile(self, probs: Sequence[float] = (0.25, 0.5, 0.75)) -> pd.DataFrame:
        """Quantiles of the survival time with CI, as ``quantile(fit)`` (NaN = not reached)."""
        p = np.asarray(probs, dtype=float)
        x = np.concatenate(([0.0], self.time))
        q = _findq(x, np.concatenate(([0.0], 1 - self.survival)), p)
        lo = _findq(x, np.concatenate(([0.0], 1 - self.lower)), p)
        hi = _findq(x, np.concatenate(([0.0], 1 - self.upper)), p)
        return pd.DataFrame({"group": [self.group] * p.size, "prob": p, "estimate": q, "lower": lo, "upper": hi})

    def to_dict(self) -> dict[str, Any]:
        return {f.name: to_jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)
                if f.name not in ("follow_up", "entries")}

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "group": [self.group] * self.time.size,
                "time": self.time,
                "n_at_risk": self.n_at_risk,
                "n_event": self.n_event,
                "n_censored": self.n_censored,
                "survival": self.survival,
                "std_err": self.std_err,
                "lower": self.lower,
                "upper": self.upper,
            }
        )


@dataclasses.dataclass(frozen=True)
class KaplanMeierResult(Result):
    """Kaplan-Meier curves per group, with rates, quantiles and median follow-up.

    Attributes
    ----------
    curves : one :class:`KMCurve` per group (sorted labels; ``None`` when ungrouped).
    rates : survival at the requested ``times`` (``summary(fit, times=)``).
    quantiles : survival-time quantiles with CI (``quantile(fit)``); the
        median is the row with ``prob == 0.5``.
    median_follow_up : reverse-KM median follow-up per group (and ``"all"``).
    """

    curves: tuple[KMCurve, ...]
    groups: tuple
    rates: pd.DataFrame
    quantiles: pd.DataFrame
    median_follow_up: pd.DataFrame
    conf_type: str
    conf_level: float
    n: int
    excluded: tuple
    warnings: tuple[str, ...]

    def curve(self, group: Any = None) -> KMCurve:
        if group is None and len(self.curves) == 1:
            return self.curves[0]
        for c in self.curves:
            if c.group == group:
                return c
        raise KeyError(f"no curve for group {group!r}")

    def median(self, group: Any = None) -> dict[str, float]:
        """``{"estimate", "lower", "upper"}`` of the median (NaN = not reached)."""
        q = self.curve(group).quantile([0.5]).iloc[0]
        return {"estimate": float(q["estimate"]), "lower": float(q["lower"]), "upper": float(q["upper"])}

    def plot(self, ax: Any = None, *, unit: str = "months", label: str = "Survival probability",
             risk_times: Any = None, labels: Any = None) -> Any:
        """Draw the curves as the survival report does; returns the matplotlib ``Figure``.

        Bands, censoring ticks, median lines and the number-at-risk table;
        ``labels`` maps group values to legend text.

        Examples
        --------
        >>> import spinestats as ss
        >>> fig = ss.kaplan_meier(ss.example("fracture"), time="time", event="death", group="modality").plot()
        >>> fig.axes[0].get_xlabel()
        'Months from start of treatment'
        """
        from spinestats.reports.result_plots import plot_kaplan_meier  # presentation hook, loaded on use

        return plot_kaplan_meier(self, ax=ax, unit=unit, label=label, risk_times=risk_times, labels=labels)

    def to_frame(self) -> pd.DataFrame:
        return pd.concat([c.to_frame() for c in self.curves], ignore_index=True)


#: the former name, kept as an alias
KaplanMeier = KaplanMeierResult


def _repeated(v: np.ndarray) -> np.ndarray:
    """True at each value of ``v`` seen before (all but the first occurrence of each value, as
    ``np.unique(v, return_index=True)`` keeps).  A non-decreasing ``v`` (a curve ``1 - S``, NaN as +inf)
    holds equal values in runs, so the repeats are the run continuations: no sort."""
    if v.size > 1 and bool(np.all(v[1:] >= v[:-1])):
        return np.concatenate(([False], v[1:] == v[:-1]))
    _, first = np.unique(v, return_index=True)
    dups = np.ones(v.size, dtype=bool)
    dups[first] = False
    return dups


def _findq(x: np.ndarray, y: np.ndarray, p: np.ndarray, tol: float = TOL) -> np.ndarray:
    """Port of survival's internal ``findq``: times where the curve 1-S first reaches ``p``."""
    out = np.full(p.shape, np.nan)
    if np.all(np.isnan(y)) or np.nanmax(y) < p.min():
        return out
    xmax = x[-1]
    # drop duplicated y values (NaN counts as one value), keeping the first
    dups = _repeated(np.where(np.isnan(y), np.inf, y))
    x, y = x[~dups], y[~dups]
    n = y.size
    ok = ~np.isnan(y)
    yy, ii = y[ok], np.arange(n)[ok]

    def first_ge(shift: float) -> np.ndarray:
        # approx(yy + shift, ii, p, method="constant", f=1): index of first knot >= p, NaN outside
        knots = yy + shift
        j = np.searchsorted(knots, p, side="left")
        res = np.where(j < knots.size, ii[np.clip(j, 0, knots.size - 1)], -1).astype(float)
        res[(p < knots[0]) | (j >= knots.size)] = np.nan
        res[p == knots[0]] = ii[0]
        return res

    i1, i2 = first_ge(tol), first_ge(-tol)
    for k in range(p.size):
        if not np.isnan(i1[k]) and not np.isnan(i2[k]):
            out[k] = (x[int(i1[k])] + x[int(i2[k])]) / 2
    out[p == 0] = x[0]
    if not np.isnan(y[-1]):
        last = np.abs(p - y[-1]) < tol
        for k in np.flatnonzero(last):
            if not np.isnan(i1[k]):
                out[k] = (x[int(i1[k])] + xmax) / 2
    return out


def km_confint(surv: np.ndarray, se: np.ndarray, conf_type: str, conf_level: float) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise CI of S from the SE of log S, as survival's ``survfit_confint``."""
    z = stats.norm.ppf(1 - (1 - conf_level) / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        if conf_type == "plain":
            se2 = se * surv * z
            return np.maximum(surv - se2, 0), np.minimum(surv + se2, 1)
        if conf_type == "log":
            xx = np.where(surv == 0, np.nan, surv)
            return np.exp(np.log(xx) - z * se), np.minimum(np.exp(np.log(xx) + z * se), 1)
        if conf_type == "log-log":
            xx = np.where((surv == 0) | (surv == 1), np.nan, surv)
            se2 = z * se / np.log(xx)
            return np.exp(-np.exp(np.log(-np.log(xx)) - se2)), np.exp(-np.exp(np.log(-np.log(xx)) + se2))
    raise UsageError(f"conf_type: expected one of {', '.join(CONF_TYPES)}, got {conf_type!r}.")


def km_curve(time: np.ndarray, event: np.ndarray, entry: np.ndarray | None = None, *, group: Any = None,
             conf_type: str = "log", conf_level: float = 0.95) -> KMCurve:
    """Kaplan-Meier curve of one group from arrays (``event`` boolean)."""
    if conf_type not in CONF_TYPES:
        raise UsageError(f"conf_type: expected one of {', '.join(CONF_TYPES)}, got {conf_type!r}.")
    time = np.asarray(time, dtype=float)
    event = np.asarray(event, dtype=bool)
    ut, inv = unique_inverse(time)
    d = np.bincount(inv, weights=event, minlength=ut.size)
    c = np.bincount(inv, weights=~event, minlength=ut.size)
    exits = np.bincount(inv, minlength=ut.size)
    out_before = np.concatenate(([0], np.cumsum(exits)[:-1]))
    if entry is not None and np.any(entry > 0):
        en = np.sort(np.asarray(entry, dtype=float))
        n_in = np.searchsorted(en, ut, side="left")  # entry < t
        nrisk = n_in - out_before
    else:
        nrisk = time.size - out_before
    cur = _curve_from_counts(ut, nrisk, d, c, group, conf_type, conf_level)
    return dataclasses.replace(cur, follow_up=time,
                               entries=np.zeros_like(time) if entry is None else np.asarray(entry, dtype=float))


def kaplan_meier(
    data: pd.DataFrame,
    *,
    time: str,
    event: str,
    group: str | None = None,
    conf_type: str = "log",
    conf_level: float = 0.95,
    entry: str | None = None,
    times: Sequence[float] | None = None,
    probs: Sequence[float] = (0.25, 0.5, 0.75),
    censor: int = 0,
    cause: int | None = None,
    causes: Sequence[int] | None = None,
) -> KaplanMeierResult:
    """Kaplan-Meier estimate per group, as ``survfit(Surv(time, event) ~ group)``.

    Parameters
    ----------
    data : one row per subject.
    time : follow-up time column (results are in its unit).
    event : event column (bool, or codes with ``censor`` = censored).
    group : optional grouping column.
    conf_type : ``"log"`` (R's default), ``"log-log"`` or ``"plain"``.
    entry : optional delayed-entry column (``Surv(entry, time, event)``).
    times : times for ``rates`` (``summary(fit, times=)``).
    probs : quantile probabilities (median = 0.5).
    cause : when given, only this code is an event and every other code is
        censored (the KM convention for, e.g., local control with death
        censored); by default any code other than ``censor`` is an event.

    Returns
    -------
    KaplanMeier
    """
    if conf_type not in CONF_TYPES:
        raise UsageError(f"conf_type: expected one of {', '.join(CONF_TYPES)}, got {conf_type!r}.")
    ed = event_data(data, time=time, event=event, group=group, entry=entry, censor=censor, causes=causes)
    data = as_frame(data)  # an EventData passed in: its source table
    warnings = list(ed.warnings)
    ev = ed.event if cause is None else ed.status == cause
    if cause is not None and np.any(ed.event & ~ev):
        warnings.append(
            f"{int(np.sum(ed.event & ~ev))} event(s) of codes other than {cause} are treated as censored "
            "(Kaplan-Meier convention); see the cumulative incidence for the competing-risk view."
        )
    levels, gcode = group_codes(ed.group, ed.levels)
    grouped = None if entry else _grouped_counts(ed.time, ev, gcode, len(levels))
    curves, rates, quants, mfu = [], [], [], []
    for gi, lev in enumerate(levels):
        if grouped is None:
            m = gcode == gi if len(levels) > 1 else slice(None)
            cur = km_curve(ed.time[m], ev[m], ed.entry[m] if entry else None, group=lev,
                           conf_type=conf_type, conf_level=conf_level)
        else:  # (no copy of the group's rows: its counts are all the curve needs)
            cur = _group_curve(grouped, gi, lev, conf_type, conf_level)
        curves.append(cur)
        if not cur.n_event.any():
            warnings.append(f"group {lev!r}: no events; survival stays 1 and the median is not reached.")
        if times is not None and len(times):
            rates.append(cur.rates(times))
        quants.append(cur.quantile(probs))
        mfu.append(_reverse_km_median(cur, lev))
    if len(levels) > 1:
        mfu.append(_reverse_km_median(_pooled(curves), "all"))
    return KaplanMeierResult(
        curves=tuple(curves),
        groups=tuple(levels),
        rates=pd.concat(rates, ignore_index=True) if rates else pd.DataFrame(
            columns=["group", "time", "n_at_risk", "n_event", "survival", "std_err", "lower", "upper"]),
        quantiles=pd.concat(quants, ignore_index=True),
        median_follow_up=pd.DataFrame(mfu),
        conf_type=conf_type,
        conf_level=float(conf_level),
        n=int(ed.time.size),
        excluded=ed.excluded,
        warnings=tuple(warnings),
    )


def _grouped_counts(time: np.ndarray, event: np.ndarray, gcode: np.ndarray, ng: int):
    """Distinct times of all rows and, per (time, group), exits and events (as floats): one pass for every group."""
    ut, exits, events = time_group_counts(time, event, gcode, ng)
    return ut, exits, events.astype(float)


def _group_curve(grouped, gi: int, group: Any, conf_type: str, conf_level: float) -> KMCurve:
    """Group ``gi``'s curve from :func:`_grouped_counts` (the same numbers as :func:`km_curve` on its rows).

    Its ``follow_up`` is the group's exit times in increasing order (the counts hold them)."""
    ut, exits, d = grouped
    rows = exits[:, gi] > 0
    n_out = exits[rows, gi]
    d_g = d[rows, gi]
    n = int(n_out.sum())
    out_before = np.concatenate(([0], np.cumsum(n_out)[:-1]))
    cur = _curve_from_counts(ut[rows], n - out_before, d_g, n_out - d_g, group, conf_type, conf_level)
    # entries: n zeros that take no memory (a read-only view of one zero), as no row entered late
    return dataclasses.replace(cur, follow_up=np.repeat(ut[rows], n_out), entries=np.broadcast_to(0.0, (n,)))


def _pooled(curves: Sequence[KMCurve]) -> KMCurve:
    """The ungrouped curve's counts from group curves (no re-sorting); with delayed entry the numbers at
    risk are the groups' counting-process ones, summed."""
    ut = np.unique(np.concatenate([c.time for c in curves]))
    d = np.zeros(ut.size)
    cc = np.zeros(ut.size)
    for c in curves:
        k = np.searchsorted(ut, c.time)
        d[k] += c.n_event
        cc[k] += c.n_censored
    n = d + cc
    if any(np.any(c.entries > 0) for c in curves):
        nrisk = sum(c.at_risk(ut) for c in curves)
    else:
        nrisk = n[::-1].cumsum()[::-1]
    return _curve_from_counts(ut, nrisk, d, cc, None, curves[0].conf_type, curves[0].conf_level)


def _curve_from_counts(ut, nrisk, d, c, group, conf_type, conf_level) -> KMCurve:
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(np.where(nrisk > 0, 1 - d / np.where(nrisk > 0, nrisk, 1), 1.0))
        green = np.where(d > 0, d / (nrisk * (nrisk - d)), 0.0)
    se = np.sqrt(np.cumsum(green))
    lo, hi = km_confint(surv, se, conf_type, conf_level)
    return KMCurve(group=group, time=ut, n_at_risk=np.asarray(nrisk).astype(int), n_event=np.asarray(d).astype(int),
                   n_censored=np.asarray(c).astype(int), survival=surv, std_err=se, lower=lo, upper=hi,
                   conf_type=conf_type, conf_level=float(conf_level))


def _reverse_km_median(curve: KMCurve, group: Any) -> dict:
    """Median follow-up by reverse KM (R: ``quantile(survfit(Surv(time, 1 - status) ~ 1), 0.5)``).

    The reverse curve has the same times and numbers at risk with events and
    censorings swapped, so it is built from the counts.  (With delayed entry
    the numbers at risk are the counting-process ones.)
    """
    rc = _curve_from_counts(curve.time, curve.n_at_risk, curve.n_censored, curve.n_event, group,
                            curve.conf_type, curve.conf_level)
    q = rc.quantile([0.5]).iloc[0]
    return {
        "group": group,
        "estimate": float(q["estimate"]),
        "lower": float(q["lower"]),
        "upper": float(q["upper"]),
        "method": "reverse Kaplan-Meier",
        "range_min": float(curve.time[0]) if curve.time.size else float("nan"),
        "range_max": float(curve.time[-1]) if curve.time.size else float("nan"),
    }

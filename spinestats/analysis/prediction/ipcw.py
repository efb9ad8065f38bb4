"""Inverse probability of censoring weights from the censoring Kaplan-Meier.

The censoring survivor function ``G(t) = P(C > t)`` is estimated by the
"reverse" Kaplan-Meier: censorings are the events, and anybody whose follow-up
ended for another reason (fracture, death) leaves the risk set.  At tied
times an event (of any cause) is taken to happen before a censoring, so a
subject censored at ``t`` is still at risk for the events at ``t``:

.. math::

    \\hat G(t) = \\prod_{u \\le t} \\Bigl(1 - \\frac{c(u)}{n(u)}\\Bigr),

with ``c(u)`` the censorings at ``u`` and ``n(u)`` the number still at risk
of censoring at ``u``: follow-up ``> u``, or censored at ``u`` (events at
``u`` have left; the convention of prodlim's reverse Kaplan-Meier).  Weights use ``G(T_i-)`` (the left limit) at a subject's own event
time and ``G(t)`` at a fixed horizon, as in riskRegression's ``Score`` with a
marginal censoring model and survival's ``concordance(timewt = "n/G2")``.

References
----------
Robins JM, Rotnitzky A. Recovery of information and adjustment for dependent
censoring using surrogate markers. In: AIDS Epidemiology, 1992.
doi:10.1007/978-1-4757-1229-2_14
Gerds TA, Schumacher M. Consistent estimation of the expected Brier score in
general survival models with right-censored event times. Biom J
2006;48:1029-40. doi:10.1002/bimj.200610301
"""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class CensoringSurvival:
    """The reverse Kaplan-Meier step function ``G``.

    Attributes
    ----------
    times : distinct follow-up times (sorted) at which ``G`` may drop.
    surv : ``G(t)`` just after each of ``times``.
    """

    times: np.ndarray
    surv: np.ndarray

    def at(self, t: np.ndarray | float, *, left: bool = False) -> np.ndarray:
        """``G(t)`` (right-continuous) or, with ``left=True``, ``G(t-)``."""
        t = np.asarray(t, dtype=float)
        idx = np.searchsorted(self.times, t, side="left" if left else "right")
        padded = np.concatenate([[1.0], self.surv])
        return padded[idx]


def censoring_survival(time: np.ndarray, censored: np.ndarray) -> CensoringSurvival:
    """Reverse Kaplan-Meier of the censoring distribution.

    Parameters
    ----------
    time : follow-up times (any unit, e.g. months from irradiation).
    censored : True where follow-up ended by censoring (no event of any cause).
    """
    time = np.asarray(time, dtype=float)
    censored = np.asarray(censored, dtype=bool)
    uniq, inverse = np.unique(time, return_inverse=True)
    n_at = len(time) - np.concatenate([[0], np.cumsum(np.bincount(inverse, minlength=len(uniq)))[:-1]])
    c = np.bincount(inverse, weights=censored.astype(float), minlength=len(uniq))
    at_risk = n_at - (np.bincount(inverse, minlength=len(uniq)) - c)  # events at u leave first
    with np.errstate(invalid="ignore", divide="ignore"):
        surv = np.cumprod(np.where(c > 0, 1.0 - c / at_risk, 1.0))
    return CensoringSurvival(times=uniq, surv=surv)


@dataclasses.dataclass(frozen=True)
class HorizonStatus:
    """Status of each patient at a horizon ``t`` and their IPC weights.

    Attributes
    ----------
    case : event of interest at or before ``t`` (``T <= t``, cause 1).
    competing : competing event at or before ``t``.
    event_free : still free of any event at ``t`` (``T > t``).
    weight : ``1 / G(T_i-)`` for an event at or before ``t``, ``1 / G(t)`` if
        event-free at ``t``, and ``0`` if censored at or before ``t``.
    """

    case: np.ndarray
    competing: np.ndarray
    event_free: np.ndarray
    weight: np.ndarray


def horizon_status(time: np.ndarray, status: np.ndarray, horizon: float) -> HorizonStatus:
    """Split patients by their status at ``horizon`` and weight them by IPCW.

    ``status`` is coded 0 censored / 1 event of interest / 2 competing event.
    """
    time = np.asarray(time, dtype=float)
    status = np.asarray(status, dtype=int)
    G = censoring_survival(time, status == 0)
    before = time <= horizon
    case = before & (status == 1)
    competing = before & (status == 2)
    event_free = ~before
    weight = np.zeros(len(time))
    had = case | competing
    weight[had] = 1.0 / G.at(time[had], left=True)
    weight[event_free] = 1.0 / G.at(horizon)
    return HorizonStatus(case=case, competing=competing, event_free=event_free, weight=weight)

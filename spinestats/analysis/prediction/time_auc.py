"""Time-dependent AUC at a horizon, with death as a competing risk.

Cumulative/dynamic definition for the event of interest (fracture, cause 1)
by the horizon ``t``: *cases* had a fracture at ``T_i <= t``; *controls* are
all others not censored before ``t`` -- still event-free at ``t``, or dead
(competing event) before ``t`` (the definition of Blanche et al. 2013, used by
riskRegression ``Score(..., cause = 1)``).  With IPC weights
``w_i = 1/G(T_i-)`` for an event before ``t`` and ``1/G(t)`` for event-free
patients (:mod:`spinestats.analysis.prediction.ipcw`),

.. math::

    AUC(t) = \\frac{\\sum_{i\\ \\mathrm{case}}\\sum_{j\\ \\mathrm{control}} w_i w_j
                   \\{I(M_i > M_j) + \\tfrac12 I(M_i = M_j)\\}}
                  {\\sum_{i\\ \\mathrm{case}} w_i \\sum_{j\\ \\mathrm{control}} w_j}.

The double sum is computed in ``O(n log n)`` by sorting the controls' risks.
This equals riskRegression ``Score(list(risk), Hist(time, event) ~ 1, data,
times = t, cause = 1, metrics = "auc", cens.model = "km")``.

References
----------
Blanche P, Dartigues JF, Jacqmin-Gadda H. Estimating and comparing
time-dependent areas under receiver operating characteristic curves for
censored event times with competing risks. Stat Med 2013;32:5381-97.
doi:10.1002/sim.5958
"""

from __future__ import annotations

import dataclasses

import numpy as np

from spinestats.analysis.core.surv_input import SurvInput
from spinestats.analysis.prediction.concordance import prediction_input
from spinestats.analysis.prediction.ipcw import horizon_status
from spinestats.analysis.core.result import Result


@dataclasses.dataclass(frozen=True)
class TimeAucResult(Result):
    """Time-dependent AUC at ``horizon`` (0.5 = no discrimination)."""

    estimate: float
    horizon: float
    cases: int
    controls: int
    competing_controls: int


def time_auc_arrays(time: np.ndarray, status: np.ndarray, risk: np.ndarray, horizon: float) -> float:
    """AUC(t) from arrays (``status`` 0 censored / 1 event / 2 competing)."""
    h = horizon_status(time, status, horizon)
    risk = np.asarray(risk, dtype=float)
    ctrl = h.event_free | h.competing
    rc, wc = risk[ctrl], h.weight[ctrl]
    rk, wk = risk[h.case], h.weight[h.case]
    if len(rk) == 0 or len(rc) == 0:
        return float("nan")
    order = np.argsort(rc, kind="stable")
    rc, wc = rc[order], wc[order]
    cum = np.concatenate([[0.0], np.cumsum(wc)])
    below = cum[np.searchsorted(rc, rk, side="left")]
    upto = cum[np.searchsorted(rc, rk, side="right")]
    num = np.sum(wk * (below + 0.5 * (upto - below)))
    return float(num / (wk.sum() * wc.sum()))


def time_auc(
    data: SurvInput, *, time: str, event: str, risk: str, horizon: float, cause=1, censor=0
) -> TimeAucResult:
    """IPCW time-dependent AUC of ``risk`` for ``cause`` by ``horizon``.

    Parameters
    ----------
    data : one row per patient.
    time : follow-up time column (months from irradiation).
    event : event-type column (``censor``, ``cause`` or a competing code).
    risk : predicted risk (any monotone score; higher = more likely event).
    horizon : prediction horizon (same unit as ``time``).
    """
    t, st, r = prediction_input(data, time=time, event=event, risk=risk, cause=cause, censor=censor)
    before = t <= horizon
    return TimeAucResult(
        estimate=time_auc_arrays(t, st, r, horizon),
        horizon=float(horizon),
        cases=int(np.sum(before & (st == 1))),
        controls=int(np.sum(~before)),
        competing_controls=int(np.sum(before & (st == 2))),
    )

"""Brier score at a horizon with inverse probability of censoring weights.

For the predicted cumulative incidence ``F_i(t)`` of the event of interest
(fracture) by the horizon ``t``, with death as a competing risk,

.. math::

    BS(t) = \\frac1n \\sum_i \\Bigl[
        \\frac{I(T_i \\le t, \\epsilon_i = 1)\\,(1 - F_i)^2}{G(T_i-)}
      + \\frac{I(T_i \\le t, \\epsilon_i = 2)\\,F_i^2}{G(T_i-)}
      + \\frac{I(T_i > t)\\,F_i^2}{G(t)} \\Bigr],

patients censored before ``t`` contributing only through ``G``, the censoring
Kaplan-Meier (:mod:`spinestats.analysis.prediction.ipcw`).  Without competing events it
is the survival Brier score of Graf et al. (1999).  This equals R
riskRegression ``Score(list(risk), Hist(time, event) ~ 1, data, times = t,
cause = 1, metrics = "brier", cens.model = "km")``.

References
----------
Graf E, Schmoor C, Sauerbrei W, Schumacher M. Assessment and comparison of
prognostic classification schemes for survival data. Stat Med
1999;18:2529-45. doi:10.1002/(SICI)1097-0258(19990915/30)18:17/18<2529::AID-SIM274>3.0.CO;2-5
Schoop R, Beyersmann J, Schumacher M, Binder H. Quantifying the predictive
accuracy of time-to-event models in the presence of competing risks. Biom J
2011;53:88-112. doi:10.1002/bimj.201000073
"""

from __future__ import annotations

import dataclasses

import numpy as np

from spinestats.analysis.core.surv_input import SurvInput
from spinestats.analysis.prediction.concordance import prediction_input
from spinestats.analysis.prediction.ipcw import horizon_status
from spinestats.analysis.core.result import Result
from spinestats.errors import DataError


@dataclasses.dataclass(frozen=True)
class BrierResult(Result):
    """IPCW Brier score at ``horizon`` (0 = perfect; lower is better)."""

    estimate: float
    horizon: float
    n: int
    cases: int
    censored_before_horizon: int


def brier_arrays(time: np.ndarray, status: np.ndarray, risk: np.ndarray, horizon: float) -> float:
    """Brier score from arrays (``status`` 0 censored / 1 event / 2 competing)."""
    h = horizon_status(time, status, horizon)
    risk = np.asarray(risk, dtype=float)
    y = h.case.astype(float)
    return float(np.mean(h.weight * (y - risk) ** 2))


def brier_score(
    data: SurvInput, *, time: str, event: str, risk: str, horizon: float, cause=1, censor=0
) -> BrierResult:
    """IPCW Brier score of the predicted risk ``risk`` (probability of the event by ``horizon``).

    Parameters
    ----------
    data : one row per patient.
    time : follow-up time column (months from irradiation).
    event : event-type column (``censor``, ``cause`` or a competing code).
    risk : predicted cumulative incidence of ``cause`` by ``horizon`` (0-1).
    horizon : prediction horizon (same unit as ``time``).
    """
    t, st, r = prediction_input(data, time=time, event=event, risk=risk, cause=cause, censor=censor)
    if np.any((r < 0) | (r > 1)):
        raise DataError(f"predicted risks in '{risk}' must be probabilities between 0 and 1")
    return BrierResult(
        estimate=brier_arrays(t, st, r, horizon),
        horizon=float(horizon),
        n=len(data),
        cases=int(np.sum((t <= horizon) & (st == 1))),
        censored_before_horizon=int(np.sum((t <= horizon) & (st == 0))),
    )

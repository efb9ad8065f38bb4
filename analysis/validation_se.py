"""Standard errors and CIs of the IPCW time-dependent AUC and Brier score at a horizon.

The estimators are those of :mod:`spinestats.analysis.time_auc` and
:mod:`spinestats.analysis.brier` (competing events are controls for the AUC
and contribute ``F_i^2`` to the Brier score).  Their standard errors come
from the influence functions with the IPC weights ``w_i`` held fixed, as
riskRegression ``Score(..., conservative = TRUE)`` ("ignores the variability
of the estimated inverse probability of censoring weights"; the default
``conservative = FALSE`` adds a term for the censoring Kaplan-Meier and gives
slightly smaller SEs):

* Brier: ``IF_i = w_i (Y_i - F_i)^2 - BS``;
* AUC: with case weights ``a_i = w_i I(case_i)``, control weights
  ``b_j = w_j I(control_j)``, ``K_ij = I(M_i > M_j) + 1/2 I(M_i = M_j)``,
  ``U = n^{-2} sum_ij a_i b_j K_ij``, ``A = mean(a)``, ``B = mean(b)`` and
  ``AUC = U / (A B)``:
  ``IF_k = [a_k n^{-1} sum_j b_j K_kj + b_k n^{-1} sum_i a_i K_ik - 2U] / (A B)
  - AUC [(a_k - A)/A + (b_k - B)/B]``.

``SE = sd(IF) / sqrt(n)`` (``sd`` with ``n - 1``), and the Wald interval
``estimate ± z SE`` on the raw scale, as ``Score``.  The sums over pairs are
computed in ``O(n log n)`` by sorting.

References
----------
Blanche P, Dartigues JF, Jacqmin-Gadda H. Estimating and comparing
time-dependent areas under receiver operating characteristic curves for
censored event times with competing risks. Stat Med 2013;32:5381-97.
doi:10.1002/sim.5958
Gerds TA, Kattan MW. Medical Risk Prediction Models: With Ties to Machine
Learning. Chapman and Hall/CRC, 2021. doi:10.1201/9781138384484
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy import stats

from spinestats.analysis.brier import brier_arrays
from spinestats.analysis.ipcw import horizon_status
from spinestats.analysis.result import Result
from spinestats.analysis.time_auc import time_auc_arrays


@dataclasses.dataclass(frozen=True)
class MeasureCI(Result):
    """An estimate with its influence-function SE and Wald CI."""

    estimate: float
    se: float
    ci: tuple[float, float]
    horizon: float
    method: str = "influence function, IPC weights fixed (riskRegression Score, conservative = TRUE)"


def _weighted_below(values: np.ndarray, weights: np.ndarray, at: np.ndarray) -> np.ndarray:
    """For each ``at``: sum of ``weights`` with ``values < at`` plus half of those ``== at``."""
    order = np.argsort(values, kind="stable")
    v, w = values[order], weights[order]
    cum = np.concatenate([[0.0], np.cumsum(w)])
    lo = cum[np.searchsorted(v, at, side="left")]
    hi = cum[np.searchsorted(v, at, side="right")]
    return lo + 0.5 * (hi - lo)


def _wald(est: float, infl: np.ndarray, horizon: float, conf_level: float) -> MeasureCI:
    n = len(infl)
    se = float(np.std(infl, ddof=1) / np.sqrt(n)) if n > 1 else float("nan")
    z = stats.norm.ppf(0.5 + conf_level / 2)
    return MeasureCI(estimate=est, se=se, ci=(float(est - z * se), float(est + z * se)), horizon=float(horizon))


def time_auc_ci(time, status, risk, horizon: float, conf_level: float = 0.95) -> MeasureCI:
    """AUC(t) with its SE and CI (``status`` 0 censored / 1 event / 2 competing)."""
    risk = np.asarray(risk, dtype=float)
    h = horizon_status(time, status, horizon)
    est = time_auc_arrays(time, status, risk, horizon)
    n = len(risk)
    a = h.weight * h.case
    b = h.weight * (h.event_free | h.competing)
    A, B = a.mean(), b.mean()
    if not np.isfinite(est) or A == 0 or B == 0:
        return MeasureCI(estimate=est, se=float("nan"), ci=(float("nan"), float("nan")), horizon=float(horizon))
    above_ctrl = _weighted_below(risk, b, risk) / n            # n^-1 sum_j b_j K_kj
    below_case = (a.sum() - _weighted_below(risk, a, risk)) / n  # n^-1 sum_i a_i K_ik
    U = float(np.sum(a * above_ctrl)) / n
    infl = (a * above_ctrl + b * below_case - 2 * U) / (A * B) - est * ((a - A) / A + (b - B) / B)
    return _wald(est, infl, horizon, conf_level)


def brier_ci(time, status, risk, horizon: float, conf_level: float = 0.95) -> MeasureCI:
    """Brier(t) with its SE and CI (``status`` 0 censored / 1 event / 2 competing)."""
    risk = np.asarray(risk, dtype=float)
    h = horizon_status(time, status, horizon)
    est = brier_arrays(time, status, risk, horizon)
    infl = h.weight * (h.case.astype(float) - risk) ** 2 - est
    return _wald(est, infl, horizon, conf_level)

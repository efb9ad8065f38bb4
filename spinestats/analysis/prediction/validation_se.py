"""Standard errors and CIs of the IPCW time-dependent AUC and Brier score at a horizon.

The estimators are those of :mod:`spinestats.analysis.prediction.time_auc` and
:mod:`spinestats.analysis.prediction.brier` (competing events are controls for the AUC
and contribute ``F_i^2`` to the Brier score).  Their standard errors come
from their influence functions, as riskRegression ``Score(..., cens.model =
"km")``.  With the IPC weights ``w_i`` held fixed
(``conservative=True``, ``Score(..., conservative = TRUE)``):

* Brier: ``IF_i = w_i (Y_i - F_i)^2 - BS``;
* AUC: with case weights ``a_i = w_i I(case_i)``, control weights
  ``b_j = w_j I(control_j)``, ``K_ij = I(M_i > M_j) + 1/2 I(M_i = M_j)``,
  ``U = n^{-2} sum_ij a_i b_j K_ij``, ``A = mean(a)``, ``B = mean(b)`` and
  ``AUC = U / (A B)``:
  ``IF_k = [a_k n^{-1} sum_j b_j K_kj + b_k n^{-1} sum_i a_i K_ik - 2U] / (A B)
  - AUC [(a_k - A)/A + (b_k - B)/B]``.

By default (``conservative=False``, as ``Score``) the estimation of the
censoring distribution is propagated too: a weight ``w_m = 1/G(s_m)``
(``s_m = T_m-`` for an event before the horizon, the horizon for a patient
event-free there) moves by ``w_m h_k(s_m)`` when patient ``k`` is perturbed,
with the Nelson-Aalen influence function of ``-log G``

.. math::

    h_k(s) = \\frac{n\\,\\delta^C_k I(T_k \\prec s)}{Y(T_k)}
           - \\sum_{u \\le T_k,\\ u \\prec s} \\frac{n\\,\\Delta\\Lambda^C(u)}{Y(u)},

``Y(u) = #{T >= u}``, ``ΔΛ^C(u)`` the censorings at ``u`` over ``Y(u)`` and
``≺`` meaning ``<`` for ``T_m-`` and ``<=`` at the horizon; so
``IF_k += sum_m c_m h_k(s_m)`` with ``c_m = w_m ∂θ/∂w_m`` (Brier:
``w_m (Y_m - F_m)^2 / n``; AUC: ``AUC [(a_m S_m + b_m R_m) / (n^2 U) - a_m/(nA) - b_m/(nB)]``
with ``S_m = sum_j b_j K_mj`` and ``R_m = sum_i a_i K_im``).  This
equals ``Score``'s default SEs.

``SE = sd(IF) / sqrt(n)`` (``sd`` with ``n - 1``), and the Wald interval
``estimate ± z SE`` on the raw scale, as ``Score``.  Everything is computed
in ``O(n log n)`` by sorting.

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
from spinestats.analysis.core import distributions as stats

from spinestats.analysis.prediction.brier import brier_arrays
from spinestats.analysis.prediction.ipcw import horizon_status
from spinestats.analysis.core.result import Result
from spinestats.analysis.prediction.time_auc import time_auc_arrays


@dataclasses.dataclass(frozen=True)
class MeasureCIResult(Result):
    """An estimate with its influence-function SE and Wald CI."""

    estimate: float
    se: float
    ci: tuple[float, float]
    horizon: float
    method: str = "influence function with the censoring Kaplan-Meier propagated (riskRegression Score)"


#: the former name, kept as an alias
MeasureCI = MeasureCIResult


def _weighted_below(values: np.ndarray, weights: np.ndarray, at: np.ndarray) -> np.ndarray:
    """For each ``at``: sum of ``weights`` with ``values < at`` plus half of those ``== at``."""
    order = np.argsort(values, kind="stable")
    v, w = values[order], weights[order]
    cum = np.concatenate([[0.0], np.cumsum(w)])
    lo = cum[np.searchsorted(v, at, side="left")]
    hi = cum[np.searchsorted(v, at, side="right")]
    return lo + 0.5 * (hi - lo)


def censoring_term(time, status, horizon: float, c: np.ndarray) -> np.ndarray:
    """``sum_m c_m h_k(s_m)`` for every ``k`` (see the module docstring)."""
    time = np.asarray(time, dtype=float)
    status = np.asarray(status, dtype=int)
    n = len(time)
    ut, inv = np.unique(time, return_inverse=True)
    count = np.bincount(inv, minlength=len(ut))
    at_risk = n - np.concatenate([[0], np.cumsum(count)[:-1]])           # Y(u) = #{T >= u}
    cens = np.bincount(inv, weights=(status == 0).astype(float), minlength=len(ut))
    g = n * cens / at_risk**2                                            # n dLambda^C(u) / Y(u)
    left = (time <= horizon) & (status != 0)                             # weight at T_m-
    late = time > horizon                                                # weight at the horizon
    # S(q) = sum over left-type m with T_m > u_q of c_m, plus the late total when u_q <= horizon
    by_time = np.bincount(inv, weights=np.where(left, c, 0.0), minlength=len(ut))
    after = np.concatenate([np.cumsum(by_time[::-1])[::-1][1:], [0.0]])
    S = after + np.where(ut <= horizon, float(np.sum(c[late])), 0.0)
    part2 = np.cumsum(g * S)
    return np.where(status == 0, n / at_risk[inv] * S[inv], 0.0) - part2[inv]


def _wald(est: float, infl: np.ndarray, horizon: float, conf_level: float, conservative: bool) -> MeasureCIResult:
    n = len(infl)
    se = float(np.std(infl, ddof=1) / np.sqrt(n)) if n > 1 else float("nan")
    z = stats.norm.ppf(0.5 + conf_level / 2)
    method = ("influence function, IPC weights fixed (riskRegression Score, conservative = TRUE)" if conservative
              else MeasureCI.method)
    return MeasureCIResult(estimate=est, se=se, ci=(float(est - z * se), float(est + z * se)), horizon=float(horizon),
                     method=method)


def time_auc_ci(time, status, risk, horizon: float, conf_level: float = 0.95,
                conservative: bool = False) -> MeasureCIResult:
    """AUC(t) with its SE and CI (``status`` 0 censored / 1 event / 2 competing)."""
    risk = np.asarray(risk, dtype=float)
    h = horizon_status(time, status, horizon)
    est = time_auc_arrays(time, status, risk, horizon)
    n = len(risk)
    a = h.weight * h.case
    b = h.weight * (h.event_free | h.competing)
    A, B = a.mean(), b.mean()
    if not np.isfinite(est) or A == 0 or B == 0:
        return MeasureCIResult(estimate=est, se=float("nan"), ci=(float("nan"), float("nan")), horizon=float(horizon))
    above_ctrl = _weighted_below(risk, b, risk) / n            # n^-1 sum_j b_j K_kj
    below_case = (a.sum() - _weighted_below(risk, a, risk)) / n  # n^-1 sum_i a_i K_ik
    U = float(np.sum(a * above_ctrl)) / n
    infl = (a * above_ctrl + b * below_case - 2 * U) / (A * B) - est * ((a - A) / A + (b - B) / B)
    if not conservative:
        c = est * ((a * above_ctrl + b * below_case) / (n * U) - a / (n * A) - b / (n * B))
        infl = infl + censoring_term(time, status, horizon, c)
    return _wald(est, infl, horizon, conf_level, conservative)


def brier_ci(time, status, risk, horizon: float, conf_level: float = 0.95, conservative: bool = False) -> MeasureCIResult:
    """Brier(t) with its SE and CI (``status`` 0 censored / 1 event / 2 competing)."""
    risk = np.asarray(risk, dtype=float)
    h = horizon_status(time, status, horizon)
    est = brier_arrays(time, status, risk, horizon)
    res = h.weight * (h.case.astype(float) - risk) ** 2
    infl = res - est
    if not conservative:
        infl = infl + censoring_term(time, status, horizon, res / len(res))
    return _wald(est, infl, horizon, conf_level, conservative)

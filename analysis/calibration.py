"""Calibration of predicted risks at a horizon, with death as a competing risk.

Outcome.  ``y_i = 1`` if patient ``i`` had the event of interest (fracture)
at or before the horizon ``t``; ``y_i = 0`` if they were event-free at ``t``
or died first (a patient who died fracture-free will never fracture).
Patients censored before ``t`` have unknown status.

How censoring before the horizon is handled.  ``method="ipcw"`` (default)
keeps the patients of known status and weights them by the inverse
probability of remaining uncensored, ``w_i = 1/G(T_i-)`` for an event
before ``t`` and ``1/G(t)`` otherwise (:mod:`spinestats.analysis.ipcw`), so
that the known-status patients stand in for those censored; the weights sum
to about ``n``.  ``method="known"`` simply restricts to known status (biased
towards the early events when censoring before ``t`` is common; use it only
to compare with a plain ``glm``).  The number censored before ``t`` is always
reported.

With ``lp_i = logit(p_i)`` of the predicted risk ``p_i``:

* calibration-in-the-large (CITL): ``a`` in ``logit P(y=1) = a + lp``
  (R ``glm(y ~ offset(lp), binomial, weights = w)``); 0 is ideal, > 0 means
  risks are under-estimated;
* calibration slope: ``b`` in ``logit P(y=1) = a + b lp``
  (R ``glm(y ~ lp, binomial, weights = w)``); 1 is ideal, < 1 means
  predictions too extreme (over-fitting).

Wald intervals come from the (weighted) GLM information; with IPC weights
they ignore the uncertainty of ``G`` (approximate).

For the plot, patients are grouped by quantiles of predicted risk; each
group's observed risk is its Aalen-Johansen cumulative incidence at ``t``
(:func:`spinestats.analysis.cuminc.cumulative_incidence`, which handles
censoring and competing deaths) with its log(-log) CI, against the group's
mean predicted risk.

References
----------
Van Calster B, McLernon DJ, van Smeden M, et al. Calibration: the Achilles
heel of predictive analytics. BMC Med 2019;17:230. doi:10.1186/s12916-019-1466-7
Gerds TA, Andersen PK, Kattan MW. Calibration plots for risk prediction
models in the presence of competing risks. Stat Med 2014;33:3191-203.
doi:10.1002/sim.6152
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import expit, logit

from spinestats.analysis.concordance import prediction_input
from spinestats.analysis.cuminc import cumulative_incidence
from spinestats.analysis.ipcw import horizon_status
from spinestats.analysis.result import Result
from spinestats.errors import DataError


@dataclasses.dataclass(frozen=True)
class CalibrationResult(Result):
    """Calibration at ``horizon``.

    Attributes
    ----------
    citl, citl_ci : calibration-in-the-large and its Wald CI.
    slope, slope_ci : calibration slope and its Wald CI.
    intercept_with_slope : ``a`` of the slope model.
    method : ``"ipcw"`` or ``"known"`` (see module docstring).
    n_used : patients of known status at ``horizon``.
    censored_before_horizon : patients left out for unknown status.
    groups : table of the grouped curve: ``group``, ``n``, ``predicted``
        (mean), ``observed`` (Aalen-Johansen at horizon), ``lower``, ``upper``.
    warnings : e.g. non-convergence.
    """

    horizon: float
    method: str
    citl: float
    citl_ci: tuple[float, float]
    slope: float
    slope_ci: tuple[float, float]
    intercept_with_slope: float
    n_used: int
    censored_before_horizon: int
    groups: pd.DataFrame
    warnings: tuple[str, ...]

    def to_frame(self) -> pd.DataFrame:
        return self.groups.copy()


def _logistic_fit(X: np.ndarray, y: np.ndarray, w: np.ndarray, offset: np.ndarray, max_iter: int = 100):
    """Weighted logistic IRLS (R ``glm`` with prior weights); returns beta, cov, converged."""
    beta = np.zeros(X.shape[1])
    for it in range(max_iter):
        p = expit(offset + X @ beta)
        W = w * p * (1 - p)
        info = X.T @ (X * W[:, None])
        step = np.linalg.solve(info, X.T @ (w * (y - p)))
        beta = beta + step
        if np.max(np.abs(step)) < 1e-12:
            return beta, np.linalg.inv(info), True
    p = expit(offset + X @ beta)
    info = X.T @ (X * (w * p * (1 - p))[:, None])
    return beta, np.linalg.inv(info), False


def calibration_arrays(time, status, risk, horizon: float, method: str = "ipcw"):
    """``(citl, slope, intercept, cov_citl, cov_slope, n_used, ok)`` from arrays."""
    h = horizon_status(time, status, horizon)
    known = h.weight > 0
    w = h.weight[known] if method == "ipcw" else np.ones(int(known.sum()))
    y = h.case[known].astype(float)
    lp = logit(np.asarray(risk, dtype=float)[known])
    citl, slope, intercept, var_citl, var_slope, ok = logistic_recalibration(y, lp, w)
    return citl, slope, intercept, var_citl, var_slope, int(known.sum()), ok


def logistic_recalibration(y: np.ndarray, lp: np.ndarray, w: np.ndarray | None = None):
    """Calibration-in-the-large and slope of a linear predictor ``lp`` (logit of risk).

    ``citl`` is ``a`` in R ``glm(y ~ offset(lp), binomial, weights = w)``; the
    slope and its intercept are from ``glm(y ~ lp, binomial, weights = w)``.
    Returns ``(citl, slope, intercept, var_citl, var_slope, converged)``.
    """
    y = np.asarray(y, dtype=float)
    w = np.ones(len(y)) if w is None else np.asarray(w, dtype=float)
    one = np.ones((len(y), 1))
    a, cov_a, ok1 = _logistic_fit(one, y, w, lp)
    ab, cov_ab, ok2 = _logistic_fit(np.column_stack([one, lp]), y, w, np.zeros(len(y)))
    return float(a[0]), float(ab[1]), float(ab[0]), float(cov_a[0, 0]), float(cov_ab[1, 1]), bool(ok1 and ok2)


def calibration(
    data: pd.DataFrame,
    *,
    time: str,
    event: str,
    risk: str,
    horizon: float,
    cause=1,
    censor=0,
    method: str = "ipcw",
    n_groups: int | None = None,
    conf_level: float = 0.95,
) -> CalibrationResult:
    """Calibration-in-the-large, slope and grouped curve of ``risk`` at ``horizon``.

    Parameters
    ----------
    data : one row per patient.
    time, event : follow-up (months) and event code (``censor``/``cause``/other = competing).
    risk : predicted probability of ``cause`` by ``horizon`` (strictly between 0 and 1).
    horizon : prediction horizon (months).
    method : ``"ipcw"`` (default) or ``"known"``; see module docstring.
    n_groups : groups for the curve (default ``min(10, max(2, n // 10))``).
    """
    if method not in ("ipcw", "known"):
        raise DataError(f"calibration method must be 'ipcw' or 'known'; got {method!r}")
    t, st, r = prediction_input(data, time=time, event=event, risk=risk, cause=cause, censor=censor)
    if np.any((r <= 0) | (r >= 1)):
        raise DataError(f"predicted risks in '{risk}' must lie strictly between 0 and 1 (their logit is used)")
    a, b, ab0, va, vb, n_used, ok = calibration_arrays(t, st, r, horizon, method)
    z = stats.norm.ppf(0.5 + conf_level / 2)
    warnings = [] if ok else ["the calibration GLM did not converge"]
    sa, sb = (float(np.sqrt(v)) if v >= 0 else float("nan") for v in (va, vb))
    k = n_groups or min(10, max(2, len(data) // 10))
    ranks = pd.Series(r).rank(method="first").to_numpy()
    grp = np.minimum((ranks - 1) * k // len(r), k - 1).astype(int)
    rows = []
    frame = pd.DataFrame({"t": t, "e": st, "g": grp})
    for g in range(k):
        m = grp == g
        ci = cumulative_incidence(frame[m], time="t", event="e", cause=1, censor=0, times=[horizon])
        row = ci.table[(ci.table["cause"] == 1)].iloc[0]
        rows.append(
            {"group": g + 1, "n": int(m.sum()), "predicted": float(r[m].mean()), "observed": float(row["estimate"]),
             "lower": float(row["lower"]), "upper": float(row["upper"])}
        )
    return CalibrationResult(
        horizon=float(horizon),
        method=method,
        citl=a,
        citl_ci=(a - z * sa, a + z * sa),
        slope=b,
        slope_ci=(b - z * sb, b + z * sb),
        intercept_with_slope=ab0,
        n_used=n_used,
        censored_before_horizon=int(np.sum((t <= horizon) & (st == 0))),
        groups=pd.DataFrame(rows),
        warnings=tuple(warnings),
    )

"""Calibration of predicted risks at a horizon, with death as a competing risk.

Outcome.  ``y_i = 1`` if patient ``i`` had the event of interest (fracture)
at or before the horizon ``t``; ``y_i = 0`` if they were event-free at ``t``
or died first (a patient who died fracture-free will never fracture).
Patients censored before ``t`` have unknown status.

How censoring before the horizon is handled.  ``method="ipcw"`` (default)
keeps the patients of known status and weights them by the inverse
probability of remaining uncensored, ``w_i = 1/G(T_i-)`` for an event
before ``t`` and ``1/G(t)`` otherwise (:mod:`spinestats.analysis.prediction.ipcw`), so
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
(:func:`spinestats.analysis.competing_risks.cuminc.cumulative_incidence`, which handles
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

from typing import Any

import dataclasses

import numpy as np
import pandas as pd
from spinestats.analysis.core import distributions as stats
from scipy.special import logit

from spinestats.analysis.core.surv_input import SurvInput
from spinestats.analysis.prediction.concordance import prediction_input
from spinestats.analysis.core.newton import LogisticFit, fit_logistic
from spinestats.analysis.competing_risks.cuminc import cumulative_incidence
from spinestats.analysis.prediction.ipcw import horizon_status
from spinestats.analysis.core.result import Result
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
    warnings : report sentences, e.g. why a calibration GLM has no estimate.
    converged : both GLMs gave regular estimates.
    status : solver status of the CITL and of the slope GLM
        (:data:`spinestats.analysis.core.newton.STATUSES`).
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
    converged: bool = True
    status: tuple[str, str] = ("converged", "converged")

    def plot(self, ax: Any = None, *, outcome: str = "the event", unit: str = "months") -> Any:
        """Observed against predicted risk per group, as the fracture report draws it; returns the ``Figure``."""
        from spinestats.reports.result_plots import plot_calibration  # presentation hook, loaded on use

        return plot_calibration(self, ax=ax, outcome=outcome, unit=unit)

    def to_frame(self) -> pd.DataFrame:
        return self.groups.copy()


def calibration_arrays(time, status, risk, horizon: float, method: str = "ipcw"):
    """``(citl, slope, intercept, cov_citl, cov_slope, n_used, ok)`` from arrays.

    Risks of exactly 0 or 1 (a model that predicts certainty) have an infinite
    logit; they give ``ok=False`` and NaN estimates through the solver's
    explicit result (see :func:`recalibration_fits`), never an error.
    """
    fits, n_used = _horizon_fits(time, status, risk, horizon, method)
    citl, slope, intercept, var_citl, var_slope, ok = _unpack(*fits)
    return citl, slope, intercept, var_citl, var_slope, n_used, ok


def _horizon_fits(time, status, risk, horizon, method):
    h = horizon_status(time, status, horizon)
    known = h.weight > 0
    w = h.weight[known] if method == "ipcw" else np.ones(int(known.sum()))
    y = h.case[known].astype(float)
    with np.errstate(divide="ignore"):
        lp = logit(np.asarray(risk, dtype=float)[known])
    return recalibration_fits(y, lp, w), int(known.sum())


def recalibration_fits(y: np.ndarray, lp: np.ndarray, w: np.ndarray | None = None) -> tuple[LogisticFit, LogisticFit]:
    """The two calibration GLMs as explicit solver results (:func:`spinestats.analysis.core.newton.fit_logistic`).

    ``glm(y ~ offset(lp), binomial, weights = w)`` and ``glm(y ~ lp, binomial, weights = w)``.
    """
    y = np.asarray(y, dtype=float)
    lp = np.asarray(lp, dtype=float)
    w = np.ones(len(y)) if w is None else np.asarray(w, dtype=float)
    one = np.ones((len(y), 1))
    citl = fit_logistic(one, y, weights=w, offset=lp, names=("the intercept",), unit="patients")
    slope = fit_logistic(np.column_stack([one[:, 0], lp]), y, weights=w,
                         names=("the intercept", "the logit of the predicted risk"), unit="patients")
    k = int(np.sum(~np.isfinite(lp) & (w > 0)))
    if k:  # say what an infinite logit means here
        reason = (f"{k} of the {int(np.sum(w > 0))} patients of known status have a predicted risk of exactly 0 or 1, "
                  "whose logit is infinite")
        citl, slope = (dataclasses.replace(f, reason=reason) if f.status == "nonfinite" else f for f in (citl, slope))
    return citl, slope


def _unpack(citl: LogisticFit, slope: LogisticFit):
    return (float(citl.coef[0]), float(slope.coef[1]), float(slope.coef[0]), float(citl.cov[0, 0]),
            float(slope.cov[1, 1]), bool(citl.converged and slope.converged))


def recalibration_sentences(citl: LogisticFit, slope: LogisticFit) -> list[str]:
    """Report sentences for fits that did not converge (one when both fail for the same reason)."""
    if not citl.converged and not slope.converged and citl.reason == slope.reason:
        return [citl.sentence("Calibration-in-the-large and the calibration slope")]
    return [s for s in (citl.sentence("Calibration-in-the-large"), slope.sentence("The calibration slope")) if s]


def logistic_recalibration(y: np.ndarray, lp: np.ndarray, w: np.ndarray | None = None):
    """Calibration-in-the-large and slope of a linear predictor ``lp`` (logit of risk).

    ``citl`` is ``a`` in R ``glm(y ~ offset(lp), binomial, weights = w)``; the
    slope and its intercept are from ``glm(y ~ lp, binomial, weights = w)``.
    Returns ``(citl, slope, intercept, var_citl, var_slope, converged)``; a
    degenerate fit gives NaN and ``converged=False`` (reasons:
    :func:`recalibration_fits`).
    """
    return _unpack(*recalibration_fits(y, lp, w))


def calibration(
    data: SurvInput,
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
    risk : predicted probability of ``cause`` by ``horizon`` (between 0 and 1; risks of
        exactly 0 or 1 have an infinite logit and leave CITL and slope undefined,
        which the result says in ``warnings``).
    horizon : prediction horizon (months).
    method : ``"ipcw"`` (default) or ``"known"``; see module docstring.
    n_groups : groups for the curve (default ``min(10, max(2, n // 10))``).
    """
    if method not in ("ipcw", "known"):
        raise DataError(f"calibration method must be 'ipcw' or 'known'; got {method!r}")
    t, st, r = prediction_input(data, time=time, event=event, risk=risk, cause=cause, censor=censor)
    if np.any((r < 0) | (r > 1)):
        raise DataError(f"predicted risks in '{risk}' must lie between 0 and 1")
    fits, n_used = _horizon_fits(t, st, r, horizon, method)
    a, b, ab0, va, vb, ok = _unpack(*fits)
    z = stats.norm.ppf(0.5 + conf_level / 2)
    warnings = recalibration_sentences(*fits)
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
        converged=ok,
        status=(fits[0].status, fits[1].status),
    )

"""One performance measure of a risk model at a horizon, for a bootstrap of its optimism.

Harrell's optimism correction (:mod:`spinestats.analysis.prediction.optimism`)
refits the model on each bootstrap sample and measures it on that sample and
on the original data.  This module gives the two picklable pieces it calls:
:func:`refit_risk_model` (the fit, as :func:`~spinestats.analysis.prediction.risk_model.fit_risk_model`
without profile CIs) and :func:`risk_model_measure` (a model's predicted risk
by the horizon on a frame, then :func:`horizon_measure` of it).

:func:`horizon_measure` computes, from time, status (0 censored, 1 event,
2 competing event) and the predicted risk ``F_i`` by the horizon ``t``:

* ``harrell``: Harrell's C with competing events kept comparable with every
  event (Wolbers et al. 2009),
  :math:`C = (\\#\\text{concordant} + \\tfrac12 \\#\\text{tied risk}) / \\#\\text{comparable}`;
* ``uno``: Uno's C truncated at ``t`` (weights :math:`1/G(T_i-)^2`);
* ``time_auc``: the cumulative/dynamic AUC at ``t`` with inverse probability
  of censoring weights (Blanche et al. 2013);
* ``brier``: the IPCW Brier score at ``t``;
* ``citl``, ``slope``: calibration-in-the-large :math:`a` in
  :math:`\\operatorname{logit} P(Y=1) = a + \\operatorname{logit} F_i` and the
  slope :math:`b` in :math:`\\operatorname{logit} P(Y=1) = a' + b \\operatorname{logit} F_i`,
  fitted with IPC weights (``Y``: event by ``t``).

Each equals the value of the estimator of the same name
(:func:`~spinestats.analysis.prediction.concordance.concordance`,
:func:`~spinestats.analysis.prediction.time_auc.time_auc`,
:func:`~spinestats.analysis.prediction.brier.brier_score`,
:func:`~spinestats.analysis.prediction.calibration.calibration`), computed on
arrays without parsing a table, which is what a bootstrap of hundreds of
replicates needs.  R equivalents: ``survival::concordance(Surv(t2, status == 1)
~ risk, reverse = TRUE[, timewt = "n/G2", ymax = t])`` with ``t2`` infinite for
competing events, ``riskRegression::Score(list(risk), Hist(time, status) ~ 1,
times = t, metrics = c("auc", "brier"), cens.model = "km")``, and weighted
``glm(y ~ offset(lp), quasibinomial)`` / ``glm(y ~ lp, quasibinomial)``.

References
----------
Wolbers M, Koller MT, Witteman JCM, Steyerberg EW. Prognostic models with
competing risks. Epidemiology 2009;20:555-61. doi:10.1097/EDE.0b013e3181a39056
Uno H, Cai T, Pencina MJ, et al. On the C-statistics for evaluating overall
adequacy of risk prediction procedures with censored survival data. Stat Med
2011;30:1105-17. doi:10.1002/sim.4154
Blanche P, Dartigues JF, Jacqmin-Gadda H. Estimating and comparing
time-dependent areas under receiver operating characteristic curves for
censored event times with competing risks. Stat Med 2013;32:5381-97.
doi:10.1002/sim.5958
Harrell FE, Lee KL, Mark DB. Multivariable prognostic models. Stat Med
1996;15:361-87. doi:10.1002/(SICI)1097-0258(19960229)15:4<361::AID-SIM168>3.0.CO;2-4
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from spinestats.analysis.prediction.brier import brier_arrays
from spinestats.analysis.prediction.calibration import calibration_arrays
from spinestats.analysis.prediction.concordance import concordance_arrays
from spinestats.analysis.prediction.risk_model import RiskModel, fit_risk_model, predict_risk
from spinestats.analysis.prediction.time_auc import time_auc_arrays
from spinestats.errors import UsageError

#: The measures of :func:`horizon_measure`, in the order a report lists them.
MEASURES = ("harrell", "uno", "time_auc", "brier", "citl", "slope")


def horizon_measure(time: Any, status: Any, risk: Any, *, name: str, horizon: float) -> float:
    """One measure (see :data:`MEASURES`) of predicted risks by ``horizon``; NaN where it is undefined.

    Examples
    --------
    >>> import numpy as np
    >>> t, s, r = np.array([2.0, 5.0, 8.0, 9.0]), np.array([1, 0, 1, 2]), np.array([0.9, 0.2, 0.6, 0.1])
    >>> horizon_measure(t, s, r, name="harrell", horizon=12.0)
    1.0
    """
    if name not in MEASURES:
        raise UsageError(f"name must be one of {', '.join(MEASURES)}; got {name!r}")
    t = np.asarray(time, dtype=float)
    st = np.asarray(status, dtype=int)
    r = np.asarray(risk, dtype=float)
    if name in ("harrell", "uno"):
        concordant, _, tied, comparable = concordance_arrays(t, st, r, weighting=name,
                                                             tau=horizon if name == "uno" else None)
        return float((concordant + 0.5 * tied) / comparable) if comparable > 0 else float("nan")
    if name == "time_auc":
        return float(time_auc_arrays(t, st, r, horizon))
    if name == "brier":
        return float(brier_arrays(t, st, r, horizon))
    citl, slope, *_ = calibration_arrays(t, st, r, horizon)
    return float(citl if name == "citl" else slope)


def refit_risk_model(frame: pd.DataFrame, *, time: str, event: str, covariates: Sequence[str], horizon: float,
                     model: str) -> RiskModel:
    """The risk model refitted on ``frame`` (a bootstrap sample): Wald CIs only, no profile likelihood."""
    rm, _ = fit_risk_model(frame, time=time, event=event, covariates=tuple(covariates), horizon=horizon,
                           model=model, profile=False)
    return rm


_CACHE: dict[Any, Any] = {}  # the arrays of the model being measured, by frame


def _arrays(model: RiskModel, frame: pd.DataFrame, time: str, event: str) -> tuple[np.ndarray, ...]:
    """Time, status and predicted risk; predicted once per (model, frame) while that model is measured."""
    if _CACHE.get("model") is not model:
        _CACHE.clear()
        _CACHE["model"] = model
    key = (id(frame), time, event)
    if key not in _CACHE:
        risk = predict_risk(model, frame).risk
        # the frame is kept with its arrays so that its id cannot be reused while they are cached
        _CACHE[key] = (frame, frame[time].to_numpy(dtype=float), frame[event].to_numpy(dtype=int), risk)
    return _CACHE[key][1:]


def _calibration(model: RiskModel, frame: pd.DataFrame, time: str, event: str, horizon: float) -> tuple[float, float]:
    """``(citl, slope)`` of ``model`` on ``frame``: the two calibration GLMs fitted once for both measures
    (a failure is kept and raised again for each, as computing them twice would)."""
    t, st, r = _arrays(model, frame, time, event)
    key = (id(frame), time, event, "calibration", float(horizon))
    if key not in _CACHE:
        try:
            citl, slope, *_ = calibration_arrays(np.asarray(t, dtype=float), np.asarray(st, dtype=int),
                                                 np.asarray(r, dtype=float), horizon)
            _CACHE[key] = (float(citl), float(slope))
        except (ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:
            _CACHE[key] = exc
    value = _CACHE[key]
    if isinstance(value, Exception):
        raise value
    return value


def risk_model_measure(model: RiskModel, frame: pd.DataFrame, *, name: str, horizon: float,
                       time: str = "time_months", event: str = "event") -> float:
    """:func:`horizon_measure` of ``model``'s predicted risk on ``frame`` (the six measures share one prediction,
    ``citl`` and ``slope`` one pair of calibration fits)."""
    if name in ("citl", "slope"):
        citl, slope = _calibration(model, frame, time, event, horizon)
        return citl if name == "citl" else slope
    t, st, r = _arrays(model, frame, time, event)
    return horizon_measure(t, st, r, name=name, horizon=horizon)

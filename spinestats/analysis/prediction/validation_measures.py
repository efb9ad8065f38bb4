"""The validation of a predicted risk at a horizon: every measure of one table, from one parse of it.

Given the checked time-to-event arrays of a table (an
:class:`~spinestats.analysis.core.surv_input.EventData` built once with the
predicted risk as an extra column), :func:`validation_measures` computes

* Harrell's C and Uno's C truncated at the horizon
  (:func:`.concordance.concordance`; competing events comparable with every
  event, Wolbers), with the infinitesimal-jackknife SE and Wald CI;
* the time-dependent AUC and the Brier score at the horizon
  (:func:`.time_auc.time_auc`, :func:`.brier.brier_score`), with the
  influence-function SE and Wald CI of :mod:`.validation_se`;
* calibration-in-the-large, the calibration slope and the grouped curve
  (:func:`.calibration.calibration`) when the horizon has both an event and
  a control;

each estimator given the same EventData (nothing is parsed again).  The
values are those of the estimators, tested against R survival's
``concordance``, riskRegression's ``Score`` and ``glm`` in
``tests/test_validate.py`` and ``tests/test_concordance_se.py``;
:meth:`ValidationMeasuresResult.to_dict` is the measure block of
``spinestats validate``'s ``results.json`` (the keys of the fracture job).

References
----------
Uno H, Cai T, Pencina MJ, et al. Stat Med 2011;30:1105-17. doi:10.1002/sim.4154
Wolbers M, Koller MT, Witteman JCM, Steyerberg EW. Epidemiology 2009;20:555-61.
doi:10.1097/EDE.0b013e3181a39056
Blanche P, Dartigues JF, Jacqmin-Gadda H. Stat Med 2013;32:5381-97. doi:10.1002/sim.5958
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from spinestats.analysis.core.result import Result, to_jsonable
from spinestats.analysis.core.surv_input import EventData, SurvInput, as_frame, event_data
from spinestats.analysis.prediction.brier import brier_score
from spinestats.analysis.prediction.calibration import CalibrationResult, calibration
from spinestats.analysis.prediction.concordance import ConcordanceResult, concordance, event_status
from spinestats.analysis.prediction.time_auc import time_auc
from spinestats.analysis.prediction.validation_se import brier_ci, time_auc_ci

NAN2 = (float("nan"), float("nan"))
#: how competing events enter the C-indices
COMPETING = "Wolbers: competing events stay comparable with every event"
C_SE_METHOD = "infinitesimal jackknife (R survival concordance()$var); time weights held fixed"


@dataclasses.dataclass(frozen=True)
class CIndexSummaryResult(Result):
    """Harrell's and Uno's C (to ``tau``) with their SEs, CIs and the reason when one is undefined."""

    harrell: float
    uno: float
    tau: float
    competing: str
    harrell_se: float
    harrell_ci: tuple[float, float]
    harrell_note: str | None
    uno_se: float
    uno_ci: tuple[float, float]
    uno_note: str | None
    se_method: str = C_SE_METHOD

    @classmethod
    def of(cls, harrell: ConcordanceResult, uno: ConcordanceResult, tau: float,
           competing: str = COMPETING) -> "CIndexSummaryResult":
        """The summary of the two concordance results."""
        return cls(harrell.estimate, uno.estimate, float(tau), competing, harrell.se, harrell.ci, harrell.reason,
                   uno.se, uno.ci, uno.reason)


@dataclasses.dataclass(frozen=True)
class BrierSummaryResult(Result):
    """Brier(t) at the horizon with its influence-function SE and CI."""

    estimate: float
    ci: tuple[float, float]
    se: float
    horizon: float
    se_method: str


@dataclasses.dataclass(frozen=True)
class TimeAUCSummaryResult(BrierSummaryResult):
    """AUC(t) at the horizon with its influence-function SE and CI, and its cases and controls."""

    cases: int = 0
    controls: int = 0


@dataclasses.dataclass(frozen=True)
class CalibrationSummaryResult(Result):
    """Calibration at the horizon (``None`` and NaN intervals when undefined: no event or no control)."""

    citl: float | None
    citl_ci: tuple[float, float]
    slope: float | None
    slope_ci: tuple[float, float]
    method: str | None
    n_used: int | None
    censored_before_horizon: int | None
    groups: Any

    @classmethod
    def of(cls, cal: CalibrationResult | None) -> "CalibrationSummaryResult":
        """The summary of a calibration result, or the undefined one."""
        if cal is None:
            return cls(None, NAN2, None, NAN2, None, None, None, [])
        return cls(cal.citl, cal.citl_ci, cal.slope, cal.slope_ci, cal.method, cal.n_used,
                   cal.censored_before_horizon, cal.groups)


@dataclasses.dataclass(frozen=True)
class ValidationMeasuresResult(Result):
    """Every validation measure of one table at the horizon (see the module docstring).

    ``calibration_fit`` (the full calibration result, for the plot) and
    ``warnings`` are for the caller; :meth:`to_dict` publishes the rest.
    """

    n: int
    events_by_horizon: int
    c_index: CIndexSummaryResult
    time_auc: TimeAUCSummaryResult
    brier: BrierSummaryResult
    calibration: CalibrationSummaryResult
    calibration_fit: CalibrationResult | None = dataclasses.field(default=None, metadata={"publish": False})
    warnings: tuple[str, ...] = dataclasses.field(default=(), metadata={"publish": False})

    def to_dict(self) -> dict[str, Any]:
        """The published measures (without ``calibration_fit`` and ``warnings``)."""
        return {f.name: to_jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)
                if f.metadata.get("publish", True)}


def validation_measures(data: SurvInput, *, time: str, event: str, risk: str, horizon: float, cause: int = 1,
                        censor: int = 0, conf_level: float = 0.95, where: str = "") -> ValidationMeasuresResult:
    """Every validation measure of the predicted risk ``risk`` at ``horizon``, each estimator given ``data``.

    Parameters
    ----------
    data : the table's :class:`EventData`, built with
        ``event_data(frame, time=time, event=event, censor=censor, extra=(risk,))``
        (a DataFrame is parsed once here).
    time, event, risk : its columns (follow-up time, event code, predicted risk in [0, 1]).
    horizon : prediction horizon (unit of ``time``).
    cause, censor : the event code of interest and the censoring code (other codes compete).
    conf_level : confidence level of every interval.
    where : prefix of the warnings (e.g. ``"centre A: "``).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"t": [2.0, 4, 6, 8, 10, 12], "e": [1, 0, 1, 1, 0, 0], "r": [.9, .2, .7, .6, .3, .1]})
    >>> m = validation_measures(d, time="t", event="e", risk="r", horizon=9)
    >>> m.c_index.harrell, m.events_by_horizon
    (1.0, 3)
    """
    k: dict[str, Any] = dict(time=time, event=event, risk=risk, cause=cause, censor=censor)
    ed = event_data(data, time=time, event=event, censor=censor, extra=(risk,))
    harrell = concordance(ed, **k, conf_level=conf_level)
    uno = concordance(ed, **k, weighting="uno", tau=horizon, conf_level=conf_level)
    auc = time_auc(ed, **k, horizon=horizon)
    brier = brier_score(ed, **k, horizon=horizon)
    st = event_status(ed.status, cause, censor)
    r = as_frame(ed)[risk].to_numpy(float)
    auc_ci = time_auc_ci(ed.time, st, r, horizon, conf_level)
    br_ci = brier_ci(ed.time, st, r, horizon, conf_level)
    warnings: list[str] = []
    cal = None
    if auc.cases == 0 or auc.controls + auc.competing_controls == 0:
        warnings.append(f"{where}no {'event' if auc.cases == 0 else 'control'} by the horizon of {horizon:g}: "
                        "discrimination and calibration at the horizon are undefined.")
    else:
        cal = calibration(_clipped(ed, time=time, event=event, risk=risk, censor=censor), **k, horizon=horizon,
                          conf_level=conf_level)
        warnings.extend(f"{where}{w}" for w in cal.warnings)
    for name, c in (("Harrell's C", harrell), ("Uno's C", uno)):
        if c.reason is not None:
            warnings.append(f"{where}{name} not estimated: {c.reason}")
    return ValidationMeasuresResult(
        n=int(len(ed)), events_by_horizon=int(auc.cases), c_index=CIndexSummaryResult.of(harrell, uno, horizon),
        time_auc=TimeAUCSummaryResult(auc.estimate, auc_ci.ci, auc_ci.se, float(horizon), auc_ci.method, auc.cases,
                                      auc.controls + auc.competing_controls),
        brier=BrierSummaryResult(brier.estimate, br_ci.ci, br_ci.se, float(horizon), br_ci.method),
        calibration=CalibrationSummaryResult.of(cal), calibration_fit=cal, warnings=tuple(warnings))


def _clipped(ed: EventData, *, time: str, event: str, risk: str, censor: int) -> EventData:
    """``ed`` itself, or (when a risk lies within 1e-12 of 0 or 1) the table with its risks 1e-12 inside the bounds, so that
    the calibration logit exists (that other table is parsed once, for the calibration only)."""
    frame = as_frame(ed)
    r = frame[risk].to_numpy(float)
    if not np.any((r < 1e-12) | (r > 1 - 1e-12)):
        return ed
    return event_data(frame.assign(**{risk: np.clip(r, 1e-12, 1 - 1e-12)}), time=time, event=event, censor=censor,
                      extra=(risk,))

"""Decision curve: net benefit of a risk model at a horizon, with competing risks.

Treating the patients whose predicted risk is at least the threshold
probability ``p_t`` (e.g. prophylactic stabilisation or cement augmentation
before irradiation) has net benefit

.. math::

    NB(p_t) = \\frac{TP}{n} - \\frac{FP}{n}\\,\\frac{p_t}{1 - p_t},

(Vickers & Elkin 2006).  With censoring and death as a competing risk the
true and false positives by the horizon ``t`` are estimated with the
Aalen-Johansen cumulative incidence among the patients above the threshold
(Vickers et al. 2008, as ``stdca``/``dcurves`` with competing risks):

.. math::

    \\frac{TP}{n} = \\hat F_{+}(t)\\,\\pi_{+}, \\qquad
    \\frac{FP}{n} = \\{1 - \\hat F_{+}(t)\\}\\,\\pi_{+},

with ``pi_+`` the proportion with risk ``>= p_t`` and ``F_+`` their cumulative
incidence of fracture at ``t``
(:func:`spinestats.analysis.competing_risks.cuminc.cumulative_incidence`).  *Treat all* uses
the whole cohort's ``F(t)``; *treat none* is 0.  When the last follow-up of
the patients above a threshold ends before ``t`` the net benefit there is
undefined (``NaN``).

References
----------
Vickers AJ, Elkin EB. Decision curve analysis: a novel method for evaluating
prediction models. Med Decis Making 2006;26:565-74. doi:10.1177/0272989X06295361
Vickers AJ, Cronin AM, Elkin EB, Gonen M. Extensions to decision curve
analysis. BMC Med Inform Decis Mak 2008;8:53. doi:10.1186/1472-6947-8-53
"""

from __future__ import annotations

from typing import Any

import dataclasses
from collections.abc import Sequence

import numpy as np
import pandas as pd

from spinestats.analysis.core.surv_input import SurvInput
from spinestats.analysis.prediction.concordance import prediction_input
from spinestats.analysis.competing_risks.cuminc import cumulative_incidence
from spinestats.analysis.core.result import Result
from spinestats.errors import DataError


@dataclasses.dataclass(frozen=True)
class DecisionCurveResult(Result):
    """Net benefit by threshold.

    Attributes
    ----------
    threshold : threshold probabilities ``p_t``.
    model, treat_all, treat_none : net benefit of each strategy.
    n_high : patients with predicted risk ``>= p_t``.
    horizon : prediction horizon (months).
    """

    threshold: np.ndarray
    model: np.ndarray
    treat_all: np.ndarray
    treat_none: np.ndarray
    n_high: np.ndarray
    horizon: float

    def plot(self, ax: Any = None, *, outcome: str = "the event", unit: str = "months") -> Any:
        """Net benefit against threshold probability, as the fracture report draws it; returns the ``Figure``."""
        from spinestats.reports.result_plots import plot_decision_curve  # presentation hook, loaded on use

        return plot_decision_curve(self, ax=ax, outcome=outcome, unit=unit)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {"threshold": self.threshold, "model": self.model, "treat_all": self.treat_all,
             "treat_none": self.treat_none, "n_high": self.n_high}
        )


#: the former name, kept as an alias
DecisionCurve = DecisionCurveResult


def _cif_at(frame: pd.DataFrame, horizon: float) -> float:
    ci = cumulative_incidence(frame, time="t", event="e", cause=1, censor=0, times=[horizon])
    return float(ci.table.loc[ci.table["cause"] == 1, "estimate"].iloc[0])


def decision_curve(
    data: SurvInput,
    *,
    time: str,
    event: str,
    risk: str,
    horizon: float,
    thresholds: Sequence[float] | None = None,
    cause=1,
    censor=0,
) -> DecisionCurveResult:
    """Net benefit of treating when ``risk >= p_t``, vs treat-all and treat-none.

    Parameters
    ----------
    data : one row per patient.
    time, event : follow-up (months) and event code.
    risk : predicted probability of ``cause`` by ``horizon``.
    horizon : months.
    thresholds : threshold probabilities in (0, 1); default 0.01, 0.02, ..., 0.60.
    """
    t, st, r = prediction_input(data, time=time, event=event, risk=risk, cause=cause, censor=censor)
    th = np.round(np.arange(1, 61) / 100, 2) if thresholds is None else np.asarray(thresholds, dtype=float)
    if np.any((th <= 0) | (th >= 1)):
        raise DataError("decision-curve thresholds must lie strictly between 0 and 1")
    frame = pd.DataFrame({"t": t, "e": st})
    n = len(frame)
    f_all = _cif_at(frame, horizon)
    odds = th / (1 - th)
    treat_all = f_all - (1 - f_all) * odds
    model = np.empty(len(th))
    n_high = np.empty(len(th), dtype=int)
    cache: dict[int, float] = {}
    for k, p in enumerate(th):
        high = r >= p
        nh = int(high.sum())
        n_high[k] = nh
        if nh == 0:
            model[k] = 0.0
            continue
        if nh not in cache:  # same subset for every threshold with the same count
            cache[nh] = _cif_at(frame[high], horizon)
        f_high = cache[nh]
        pi = nh / n
        model[k] = f_high * pi - (1 - f_high) * pi * odds[k]
    return DecisionCurveResult(
        threshold=th, model=model, treat_all=treat_all, treat_none=np.zeros(len(th)), n_high=n_high, horizon=float(horizon)
    )

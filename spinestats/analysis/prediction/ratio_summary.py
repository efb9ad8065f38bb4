"""A regression model's terms on the ratio scale: the summary a report's forest plot and table print.

For a Fine-Gray model (:mod:`spinestats.analysis.competing_risks.finegray`),
a cause-specific Cox model (:mod:`spinestats.analysis.survival.cox`) or a
Firth logistic regression (:mod:`spinestats.analysis.prediction.firth`), the
ratio of each term and its confidence interval are

.. math::

    \\text{ratio}_j = e^{\\hat\\beta_j}, \\qquad
    (e^{L_j},\\; e^{U_j}),

with :math:`(L_j, U_j)` the fit's interval for :math:`\\beta_j` (Wald for
Fine-Gray and Cox, profile penalised likelihood for Firth) -- the
subdistribution hazard ratio, the cause-specific hazard ratio or the odds
ratio.  The Firth intercept is reported apart (it has no ratio).

R equivalents: ``summary(cmprsk::crr(...))$conf.int``,
``summary(survival::coxph(Surv(time, event == 1) ~ ...))$conf.int`` and
``exp(cbind(coef(f), f$ci.lower, f$ci.upper))`` of ``logistf::logistf``.

References
----------
Fine JP, Gray RJ. A proportional hazards model for the subdistribution of a
competing risk. J Am Stat Assoc 1999;94:496-509. doi:10.1080/01621459.1999.10474144
Heinze G, Schemper M. A solution to the problem of separation in logistic
regression. Stat Med 2002;21:2409-19. doi:10.1002/sim.1047
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from spinestats.analysis.competing_risks.finegray import FineGrayResult
from spinestats.analysis.core.result import Result
from spinestats.analysis.prediction.firth import LogisticResult
from spinestats.analysis.survival.cox import CoxModelResult
from spinestats.errors import UsageError


@dataclasses.dataclass(frozen=True)
class RatioSummary(Result):
    """A model's terms on the ratio scale (see the module docstring).

    Attributes
    ----------
    type : ``"finegray"``, ``"cox"`` or ``"firth"``.
    scale : what the ratio is (``"subdistribution hazard ratio"``, ...).
    terms : the model terms (without the Firth intercept).
    coef, se : per term, on the log scale.
    estimate, lower, upper : the ratio and its CI at ``conf_level``.
    p : per term (Wald; penalised likelihood ratio for Firth).
    n, events : patients and events of interest in the model.
    converged : the fit converged.
    conf_level : confidence level of the CIs (not a ``to_dict`` key: results.json states it once, in its options).
    competing : competing events in the model (Fine-Gray only).
    intercept, separation, ci_method, p_method : Firth only.
    """

    _optional: ClassVar[tuple[str, ...]] = ("competing", "intercept", "separation", "ci_method", "p_method")

    type: str
    scale: str
    terms: tuple[str, ...]
    coef: np.ndarray
    se: np.ndarray
    estimate: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    p: np.ndarray
    n: int
    events: int
    converged: bool
    conf_level: float = 0.95
    competing: int | None = None
    intercept: float | None = None
    separation: str | None = None
    ci_method: str | None = None
    p_method: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The summary as results.json writes it: the fields of its model type only."""
        out = super().to_dict()
        out.pop("conf_level")
        for name in self._optional:
            if getattr(self, name) is None:
                out.pop(name)
        return out

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"term": self.terms, "estimate": self.estimate, "lower": self.lower,
                             "upper": self.upper, "p": self.p})


def _array(values: Any) -> np.ndarray:
    return np.array(values, dtype=float)


def ratio_summary(fit: FineGrayResult | CoxModelResult | LogisticResult) -> RatioSummary:
    """The ratio-scale summary of a Fine-Gray, cause-specific Cox or Firth logistic fit.

    Examples
    --------
    >>> import spinestats as ss
    >>> from spinestats.analysis.competing_risks.finegray import fine_gray
    >>> d = ss.example("fracture")
    >>> s = ratio_summary(fine_gray(d, time="time", event="event", covariates=["age"]))
    >>> s.type, s.scale, s.terms
    ('finegray', 'subdistribution hazard ratio', ('age',))
    """
    if isinstance(fit, FineGrayResult):
        return RatioSummary("finegray", "subdistribution hazard ratio", tuple(fit.terms), _array(fit.coef),
                            _array(fit.se), _array(fit.shr), _array(fit.shr_lower), _array(fit.shr_upper),
                            _array(fit.p), int(fit.n), int(fit.n_event), bool(fit.converged),
                            conf_level=float(fit.conf_level), competing=int(fit.n_competing))
    if isinstance(fit, CoxModelResult):  # cause-specific: competing events censored
        return RatioSummary("cox", "cause-specific hazard ratio", tuple(fit.terms), _array(fit.coef), _array(fit.se),
                            _array(fit.hr), _array(fit.hr_lower), _array(fit.hr_upper), _array(fit.p), int(fit.n),
                            int(fit.n_event), bool(fit.converged), conf_level=float(fit.conf_level))
    if isinstance(fit, LogisticResult):
        est = _array(fit.estimate)
        return RatioSummary("firth", "odds ratio", tuple(fit.terms[1:]), est[1:], _array(fit.se)[1:],
                            np.exp(est[1:]), np.exp(_array(fit.lower)[1:]), np.exp(_array(fit.upper)[1:]),
                            _array(fit.p)[1:], int(fit.n), int(fit.events), bool(fit.converged),
                            conf_level=float(fit.conf_level), intercept=float(est[0]),
                            separation=str(fit.separation), ci_method="profile penalised likelihood",
                            p_method="penalised likelihood ratio")
    raise UsageError(f"fit must be a Fine-Gray, Cox or logistic regression result; got {type(fit).__name__}")

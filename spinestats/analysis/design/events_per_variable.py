"""Events per variable (EPV) of a regression model: the rule-of-thumb check of its sample size.

.. math::

    \\text{EPV} = \\frac{E}{p},

with ``E`` the events of interest among the patients in the model and ``p``
the model's parameters (the terms, each factor level counted; no intercept
for a hazards model).  Fewer than 10 events per parameter (Peduzzi et al.
1996) warns of overfitting and estimates biased away from the null; Riley et
al. (2020) give the full sample-size calculation.  R equivalent:
``sum(d$event == 1) / length(fit$coef)`` (cmprsk::crr).

References
----------
Peduzzi P, Concato J, Kemper E, Holford TR, Feinstein AR. A simulation study
of the number of events per variable in logistic regression analysis. J Clin
Epidemiol 1996;49:1373-9. doi:10.1016/S0895-4356(96)00236-3
Riley RD, Ensor J, Snell KIE, et al. Calculating the sample size required for
developing a clinical prediction model. BMJ 2020;368:m441. doi:10.1136/bmj.m441
"""

from __future__ import annotations

import dataclasses

from spinestats.analysis.core.result import Result
from spinestats.errors import UsageError

#: The conventional minimum of events per parameter (Peduzzi et al. 1996).
EPV_MIN = 10


@dataclasses.dataclass(frozen=True)
class EventsPerVariableResult(Result):
    """Events per model parameter.

    Attributes
    ----------
    events : events of interest among the patients in the model.
    parameters : the model's parameters (terms).
    epv : ``events / parameters`` (NaN without parameters).
    adequate : ``epv >= minimum``.
    """

    events: int
    parameters: int
    epv: float
    adequate: bool


def events_per_variable(events: int, parameters: int, minimum: float = EPV_MIN) -> EventsPerVariableResult:
    """Events per model parameter and whether they reach ``minimum``.

    Examples
    --------
    >>> events_per_variable(15, 3)
    EventsPerVariableResult(events=15, parameters=3, epv=5, adequate=False)
    """
    if events < 0 or parameters < 0:
        raise UsageError(f"events and parameters must be >= 0; got {events} and {parameters}")
    epv = events / parameters if parameters else float("nan")
    return EventsPerVariableResult(int(events), int(parameters), float(epv), bool(epv >= minimum))

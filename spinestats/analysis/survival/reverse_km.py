"""Reverse Kaplan-Meier follow-up, correct with delayed entry.

The reverse Kaplan-Meier estimate treats censoring as the event and the
event as censoring (Schemper & Smith 1996): the median follow-up is the
median of its curve.  With delayed entry (``Surv(entry, time, event)``) a
subject is at risk on ``entry < t <= time`` in both directions, so the
reverse curve has exactly the numbers at risk of the forward curve (the
counting-process ones) with the event and censoring counts swapped; it is
built from those counts and keeps the subjects' entry and exit times, so
numbers at risk at any time stay counting-process ones.

.. math::

    \\hat G(t) = \\prod_{t_j \\le t} \\Big(1 - \\frac{c_j}{n_j}\\Big)

with :math:`c_j` the censorings at :math:`t_j` and :math:`n_j` the numbers at
risk; Greenwood variances and CIs as for the forward curve.  The quantiles of
follow-up are those of :math:`\\hat G` (``quantile.survfit`` rules).

R: ``survfit(Surv(entry, time, 1 - status) ~ group)`` and ``quantile(fit, probs)``.
:func:`reverse_kaplan_meier` returns every group's reverse curve and its
quantiles (a :class:`ReverseKaplanMeierResult`); the figures draw it as they
are given it.

Reference
---------
Schemper M, Smith TL. A note on quantifying follow-up in studies of failure
time. Control Clin Trials 1996;17:343-346. doi:10.1016/0197-2456(96)00075-X
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from typing import Any

import pandas as pd

from spinestats.analysis.core.result import Result
from spinestats.analysis.survival.kaplan_meier import KaplanMeierResult, KMCurve, _curve_from_counts, kaplan_meier


def reverse_km(curve: KMCurve) -> KMCurve:
    """The reverse Kaplan-Meier curve of a fitted (forward) curve, delayed entry included."""
    rc = _curve_from_counts(curve.time, curve.n_at_risk, curve.n_censored, curve.n_event, curve.group,
                            curve.conf_type, curve.conf_level)
    return dataclasses.replace(rc, follow_up=curve.follow_up, entries=curve.entries)


def follow_up_quantiles(curve: KMCurve, probs: Sequence[float] = (0.25, 0.5, 0.75)) -> pd.DataFrame:
    """Quantiles of follow-up (reverse KM) with their CIs, as ``quantile(survfit(Surv(entry, time, 1 - status) ~ 1))``.

    Columns as :meth:`KMCurve.quantile` (``prob``, ``estimate``, ``lower``,
    ``upper``; NaN = not reached).
    """
    return reverse_km(curve).quantile(probs)


@dataclasses.dataclass(frozen=True)
class ReverseKaplanMeierResult(Result):
    """Reverse Kaplan-Meier (follow-up) curves per group, with the quantiles of follow-up.

    Attributes
    ----------
    curves : one reverse :class:`KMCurve` per group (censoring as the event), groups as the forward fit.
    groups : the group labels (``(None,)`` when ungrouped).
    quantiles : ``group``, ``prob``, ``estimate``, ``lower``, ``upper`` of follow-up (NaN = not reached).
    conf_type, conf_level : the CI of the curves and quantiles.
    """

    curves: tuple[KMCurve, ...]
    groups: tuple
    quantiles: pd.DataFrame
    conf_type: str
    conf_level: float

    def to_frame(self) -> pd.DataFrame:
        return pd.concat([c.to_frame() for c in self.curves], ignore_index=True)


def reverse_kaplan_meier(data: Any, *, time: str | None = None, event: str | None = None, group: str | None = None,
                         entry: str | None = None, censor: int = 0, conf_type: str = "log", conf_level: float = 0.95,
                         probs: Sequence[float] = (0.25, 0.5, 0.75)) -> ReverseKaplanMeierResult:
    """Reverse Kaplan-Meier follow-up, as ``survfit(Surv(entry, time, 1 - status) ~ group)``.

    ``data`` is a table (or an :class:`~spinestats.analysis.core.surv_input.EventData`) with ``time`` and
    ``event`` (and optionally ``group``, ``entry``), or a fitted
    :class:`~spinestats.analysis.survival.kaplan_meier.KaplanMeierResult`, whose counts are reused (the
    column arguments are then not needed).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"t": [2.0, 3.0, 5.0, 8.0], "e": [1, 0, 1, 0]})
    >>> reverse_kaplan_meier(d, time="t", event="e").quantiles["estimate"].tolist()
    [3.0, 8.0, 8.0]
    """
    if not isinstance(data, KaplanMeierResult):
        if time is None or event is None:
            from spinestats.errors import UsageError

            raise UsageError("reverse_kaplan_meier: give time and event (or a fitted Kaplan-Meier result).")
        data = kaplan_meier(data, time=time, event=event, group=group, entry=entry, censor=censor,
                            conf_type=conf_type, conf_level=conf_level)
    curves = tuple(reverse_km(c) for c in data.curves)
    quantiles = pd.concat([c.quantile(probs) for c in curves], ignore_index=True)
    return ReverseKaplanMeierResult(curves, tuple(data.groups), quantiles, data.conf_type, float(data.conf_level))

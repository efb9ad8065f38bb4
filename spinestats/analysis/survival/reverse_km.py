"""Reverse Kaplan-Meier follow-up, correct with delayed entry.

The reverse Kaplan-Meier estimate treats censoring as the event and the
event as censoring (Schemper & Smith 1996): the median follow-up is the
median of its curve.  With delayed entry (``Surv(entry, time, event)``) a
subject is at risk on ``entry < t <= time`` in both directions, so the
reverse curve has exactly the numbers at risk of the forward curve (the
counting-process ones) with the event and censoring counts swapped; it is
built from those counts and keeps the subjects' entry and exit times, so
numbers at risk at any time stay counting-process ones.

R: ``survfit(Surv(entry, time, 1 - status) ~ 1)`` and ``quantile(fit, probs)``.

Reference
---------
Schemper M, Smith TL. A note on quantifying follow-up in studies of failure
time. Control Clin Trials 1996;17:343-346. doi:10.1016/0197-2456(96)00075-X
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import pandas as pd

from spinestats.analysis.survival.kaplan_meier import KMCurve, _curve_from_counts


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

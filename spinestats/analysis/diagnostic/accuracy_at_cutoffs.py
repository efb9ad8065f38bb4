"""Diagnostic accuracy at given cutoffs, from the counts of a ROC curve.

Public functions
----------------
``accuracy_at_cutoffs(roc, cutoffs, *, method="exact", conf_level=0.95, prevalence=None, at_most=False)
-> AccuracyTableResult``
    For each cutoff ``c`` the 2x2 table of "positive when score >= c" (``at_most``:
    "positive when score <= c") counted from the per-level counts of
    :class:`~spinestats.analysis.diagnostic.roc.RocCurveResult` (no second pass
    over the patients), and the measures of
    :func:`~spinestats.analysis.diagnostic.accuracy.accuracy_from_counts` (epiR
    ``epi.tests`` conventions).  A cutoff need not be an observed level.

With ``at_most`` the curve is that of the negated score (pROC ``direction = ">"``),
as :func:`~spinestats.analysis.diagnostic.score_accuracy.score_accuracy` builds it;
the cutoffs are given and returned in the score's own units.

References: see :mod:`spinestats.analysis.diagnostic.accuracy`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from spinestats.analysis.diagnostic.accuracy import AccuracyTableResult, accuracy_from_counts
from spinestats.analysis.diagnostic.roc import RocCurveResult


def accuracy_at_cutoffs(roc: RocCurveResult, cutoffs: Sequence[float] | float, *, method: str = "exact",
                        conf_level: float = 0.95, prevalence: float | None = None,
                        at_most: bool = False) -> AccuracyTableResult:
    """Accuracy measures at each of ``cutoffs`` (see module docstring); one row per cutoff, in the given order.

    Examples
    --------
    >>> from spinestats.analysis.diagnostic.roc import roc_curve
    >>> roc = roc_curve([0, 1, 2, 4, 5, 6], [False, False, True, False, True, True])
    >>> accuracy_at_cutoffs(roc, [3]).records()[0]["sensitivity"]
    0.6666666666666666
    """
    given = np.atleast_1d(np.asarray(cutoffs, dtype=float))
    cut = -given if at_most else given
    at_or_above = roc.levels[None, :] >= cut[:, None]
    tp = (at_or_above * roc.n_pos).sum(axis=1)
    fp = (at_or_above * roc.n_neg).sum(axis=1)
    return accuracy_from_counts(tp, fp, roc.n_negative - fp, roc.n_positive - tp, cutoff=given, method=method,
                                conf_level=conf_level, prevalence=prevalence)

"""Empirical ROC curve from per-patient scores or from counts per score level.

Public functions
----------------
``roc_curve(score, truth, weights=None) -> RocCurveResult``
    Per-patient arrays: numeric ``score`` (higher = more likely positive),
    boolean ``truth`` (True = positive class), optional frequency ``weights``.
``roc_from_counts(levels, n_pos, n_neg) -> RocCurveResult``
    A table of counts: for each distinct score value, how many positive and
    how many negative patients have it.  Counts may be non-integer frequency
    weights.  ``roc_curve`` reduces its input to this table, so both give
    identical results (the federated pooling in the multicentre module sums
    these tables across centres).

Conventions (as pROC with ``direction = "<"``)
----------------------------------------------
With ``L`` distinct sorted levels :math:`v_1 < \\dots < v_L` the curve has
``L + 1`` operating points.  Point ``j`` (0-based) classifies a patient as
positive when ``score >= cutoffs[j]``, where ``cutoffs = (v_1, ..., v_L, +inf)``.
pROC labels the same points by the **threshold** midway between observed
values, ``thresholds = (-inf, (v_1+v_2)/2, ..., (v_{L-1}+v_L)/2, +inf)``
(positive when ``score > threshold``); both columns are kept.  Ties are
handled exactly because the curve moves one distinct level at a time.

.. math::
    Se_j = \\frac{1}{P}\\sum_{l > j} p_l, \\qquad Sp_j = \\frac{1}{N}\\sum_{l \\le j} q_l,

with :math:`p_l, q_l` the positive/negative counts at level ``l`` (1-based
sums), and the AUC is the Mann-Whitney probability with ties counted as 1/2:

.. math::
    AUC = \\frac{1}{PN}\\sum_l p_l\\Big(\\sum_{k<l} q_k + \\tfrac12 q_l\\Big).

Complexity: one sort (``O(n log n)``) then linear scans.

References
----------
Robin X, et al. pROC: an open-source package for R and S+ to analyze and compare
ROC curves. BMC Bioinformatics 2011;12:77. doi:10.1186/1471-2105-12-77

Hanley JA, McNeil BJ. The meaning and use of the area under a receiver operating
characteristic (ROC) curve. Radiology 1982;143:29-36. doi:10.1148/radiology.143.1.7063747
"""

from __future__ import annotations

from typing import Any

import dataclasses

import numpy as np
import pandas as pd

from spinestats.analysis.core.result import Result
from spinestats.analysis.core.score_input import check_arrays
from spinestats.errors import DataError, UsageError


@dataclasses.dataclass(frozen=True)
class RocCurveResult(Result):
    """An empirical ROC curve.

    Attributes
    ----------
    levels : sorted distinct score values.
    n_pos, n_neg : positive / negative counts (weights) at each level.
    cutoffs : ``(levels..., +inf)``; point ``j`` is "positive when score >= cutoffs[j]".
    thresholds : pROC's midpoint thresholds for the same points ("score > threshold").
    sensitivities, specificities : at each point (length ``L + 1``).
    auc : area under the curve (Mann-Whitney, ties 1/2).
    n_positive, n_negative : class totals.
    """

    levels: np.ndarray
    n_pos: np.ndarray
    n_neg: np.ndarray
    cutoffs: np.ndarray
    thresholds: np.ndarray
    sensitivities: np.ndarray
    specificities: np.ndarray
    auc: float
    n_positive: float
    n_negative: float

    def plot(self, ax: Any = None) -> Any:
        """The ROC curve with its AUC, as the diagnostic report draws it; returns the matplotlib ``Figure``."""
        from spinestats.reports.result_plots import plot_roc  # presentation hook, loaded on use

        return plot_roc(self, ax=ax)

    def to_frame(self) -> pd.DataFrame:
        """One row per operating point: cutoff, threshold, tp, fp, tn, fn, sensitivity, specificity."""
        tp = np.concatenate([np.cumsum(self.n_pos[::-1])[::-1], [0.0]])
        fp = np.concatenate([np.cumsum(self.n_neg[::-1])[::-1], [0.0]])
        return pd.DataFrame(
            {
                "cutoff": self.cutoffs,
                "threshold": self.thresholds,
                "tp": tp,
                "fp": fp,
                "tn": self.n_negative - fp,
                "fn": self.n_positive - tp,
                "sensitivity": self.sensitivities,
                "specificity": self.specificities,
            }
        )


#: the former name, kept as an alias
RocCurve = RocCurveResult


def midpoint_thresholds(levels: np.ndarray) -> np.ndarray:
    """pROC's thresholds: ``-inf``, midpoints of consecutive levels, ``+inf``."""
    lv = np.asarray(levels, dtype=float)
    return np.concatenate([[-np.inf], (lv[:-1] + lv[1:]) / 2.0, [np.inf]])


def roc_from_counts(levels, n_pos, n_neg) -> RocCurveResult:
    """ROC curve from counts per score level (see module docstring).

    Parameters
    ----------
    levels : distinct score values (any order; duplicates are summed).
    n_pos, n_neg : positive / negative counts (or frequency weights) per level.

    Returns
    -------
    RocCurve
    """
    lv = np.asarray(levels, dtype=float).ravel()
    p = np.asarray(n_pos, dtype=float).ravel()
    q = np.asarray(n_neg, dtype=float).ravel()
    if not (lv.size == p.size == q.size):
        raise DataError(f"levels, n_pos and n_neg differ in length: {lv.size}, {p.size}, {q.size}.")
    if not np.all(np.isfinite(lv)):
        raise DataError("score levels must be finite numbers (missing scores must be excluded first).")
    if np.any(~np.isfinite(p) | ~np.isfinite(q) | (p < 0) | (q < 0)):
        raise DataError("counts per level must be finite and >= 0.")
    keep = (p + q) > 0
    if np.all(keep) and np.all(lv[1:] > lv[:-1]):
        uniq = lv  # already distinct and sorted (the usual case): no second sort
    else:
        uniq, inv = np.unique(lv[keep], return_inverse=True)
        p = np.bincount(inv, weights=p[keep], minlength=uniq.size)
        q = np.bincount(inv, weights=q[keep], minlength=uniq.size)
    P, N = float(p.sum()), float(q.sum())
    if P == 0 or N == 0:
        raise DataError(
            f"only one class present ({'positive' if P else 'negative'} only); "
            "ROC needs both positive and negative patients."
        )
    if uniq.size < 2:
        raise DataError(f"the score is constant ({uniq[0]:g} for every patient); ROC/AUC are not defined.")
    tp = np.concatenate([np.cumsum(p[::-1])[::-1], [0.0]])
    fp = np.concatenate([np.cumsum(q[::-1])[::-1], [0.0]])
    q_below = np.concatenate([[0.0], np.cumsum(q)[:-1]])
    auc = float(np.sum(p * (q_below + 0.5 * q)) / (P * N))
    return RocCurveResult(
        levels=uniq,
        n_pos=p,
        n_neg=q,
        cutoffs=np.concatenate([uniq, [np.inf]]),
        thresholds=midpoint_thresholds(uniq),
        sensitivities=tp / P,
        specificities=(N - fp) / N,
        auc=auc,
        n_positive=P,
        n_negative=N,
    )


def score_counts(score, truth, weights=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reduce per-patient arrays to ``(levels, n_pos, n_neg)`` (checked input)."""
    s, t, w = check_arrays(score, truth, weights)
    if weights is None:
        # value sorts are much faster than argsort: sort all scores and the positives,
        # then count positives per level by binary search
        ss = np.sort(s)
        start = np.flatnonzero(np.concatenate([[True], ss[1:] != ss[:-1]]))
        levels = ss[start]
        n_all = np.diff(np.append(start, ss.size)).astype(float)
        pos_sorted = np.sort(s[t])
        n_pos = np.diff(np.append(np.searchsorted(pos_sorted, levels, side="left"), pos_sorted.size)).astype(float)
        return levels, n_pos, n_all - n_pos
    order = np.argsort(s)
    ss = s[order]
    start = np.concatenate([[True], ss[1:] != ss[:-1]])
    group = np.cumsum(start) - 1
    wp = np.where(t, w, 0.0)[order]
    n_pos = np.bincount(group, weights=wp)
    n_neg = np.bincount(group, weights=w[order]) - n_pos
    return ss[start], n_pos, n_neg


def roc_curve(score, truth, weights=None) -> RocCurveResult:
    """Empirical ROC curve of per-patient scores.

    Parameters
    ----------
    score : numeric scores, higher = more likely positive (no missing values).
    truth : boolean reference standard, True = positive class.
    weights : optional frequency weights (a weight of 3 equals three identical rows).

    Returns
    -------
    RocCurve
        Identical to ``roc_from_counts`` on the counts per distinct score.
    """
    return roc_from_counts(*score_counts(score, truth, weights))


#: Readable direction names and pROC's ``direction`` argument they stand for.
DIRECTIONS = {"higher-is-positive": "<", "lower-is-positive": ">", "auto": "auto"}


def resolve_direction(score, truth, direction: str = "higher-is-positive") -> str:
    """pROC's ``direction`` (``"<"`` or ``">"``) for ``direction`` given readably or as pROC spells it.

    ``"higher-is-positive"`` (``"<"``, the default, as pROC's documented
    convention: controls < cases), ``"lower-is-positive"`` (``">"``: a lower
    score means more likely positive) or ``"auto"``, which, as pROC, takes
    ``">"`` when the median score of the negatives exceeds that of the
    positives and ``"<"`` otherwise.  With ``">"`` the ROC curve, AUC and
    DeLong variance are those of the negated score (pROC's ``roc(...,
    direction = ">")``).
    """
    proc = DIRECTIONS.get(direction, direction)
    if proc not in ("<", ">", "auto"):
        raise UsageError(f"direction: expected higher-is-positive, lower-is-positive or auto "
                         f"(pROC '<', '>', 'auto'), got {direction!r}.")
    if proc != "auto":
        return proc
    s = np.asarray(score, dtype=float)
    t = np.asarray(truth, dtype=bool)
    if not t.any() or t.all():
        return "<"
    return ">" if float(np.median(s[~t])) > float(np.median(s[t])) else "<"


def low_auc_warning(auc: float, direction: str, positive: str = "positive") -> str | None:
    """A sentence when the AUC is below 0.5 (the score may run the other way), else None."""
    if not np.isfinite(auc) or auc >= 0.5:
        return None
    if direction == ">":
        other, flag = "higher", "higher-is-positive (pROC direction = '<')"
    else:
        other, flag = "lower", "lower-is-positive (pROC direction = '>')"
    return (f"the AUC is {auc:.3f}, below 0.5: the score does worse than chance in the direction analysed, so "
            f"{other} scores may indicate {positive}. If that is the score's prespecified meaning, rerun with "
            f"--direction {flag}; choosing the direction after seeing the data inflates the AUC.")

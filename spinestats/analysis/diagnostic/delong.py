"""DeLong variance, CI and tests for AUCs (fast, sort-based, Sun & Xu 2014).

Public functions
----------------
``delong_auc(score, truth, weights=None, conf_level=0.95) -> DelongAucResult``
    AUC with DeLong variance and CI (pROC ``ci.auc(method = "delong")``).
``delong_from_counts(levels, n_pos, n_neg, conf_level=0.95) -> DelongAucResult``
    The same from counts per score level (identical numbers).
``delong_from_roc(roc, conf_level=0.95) -> DelongAucResult``
    The same from a :class:`~spinestats.analysis.diagnostic.roc.RocCurve`.
``delong_paired(score1, score2, truth, conf_level=0.95) -> DelongPairedResult``
    Two correlated AUCs on the same patients: pROC
    ``roc.test(roc1, roc2, method = "delong", paired = TRUE)`` (z, p, CI of the difference).
``delong_unpaired(roc1, roc2, conf_level=0.95) -> DelongUnpairedResult``
    Two independent cohorts: pROC ``roc.test(..., paired = FALSE)`` (statistic D,
    Welch-type degrees of freedom, p from the t distribution, as pROC).

Method
------
For a positive patient with score :math:`x` the placement value is
:math:`V_{10}(x) = \\Pr(Y < x) + \\tfrac12\\Pr(Y = x)` over the negatives
:math:`Y`, and for a negative patient :math:`V_{01}(y) = \\Pr(X > y) +
\\tfrac12\\Pr(X = y)` over the positives.  Sun & Xu (2014) obtain these from
mid-ranks after a single sort; here they come from the counts per distinct
level (the same quantity: patients sharing a level share a placement value),
so the cost is one ``O(n log n)`` sort plus linear scans and no ``n x m``
comparison matrix.

.. math::
    \\widehat{AUC} = \\bar V_{10}, \\quad
    S_{10} = \\frac{\\sum (V_{10} - \\widehat{AUC})^2}{m-1}, \\quad
    S_{01} = \\frac{\\sum (V_{01} - \\widehat{AUC})^2}{n-1}, \\quad
    \\widehat{Var} = \\frac{S_{10}}{m} + \\frac{S_{01}}{n},

with ``m`` positives and ``n`` negatives.  The CI is
:math:`\\widehat{AUC} \\pm z_{1-\\alpha/2}\\sqrt{\\widehat{Var}}` truncated to
[0, 1] (as pROC).  For two scores on the same patients the placement values
give 2x2 covariance matrices :math:`S_{10}, S_{01}` and
:math:`z = (AUC_1 - AUC_2)/\\sqrt{L S L^T}` with :math:`L = (1, -1)`,
:math:`S = S_{10}/m + S_{01}/n`.

References
----------
DeLong ER, DeLong DM, Clarke-Pearson DL. Comparing the areas under two or more
correlated receiver operating characteristic curves: a nonparametric approach.
Biometrics 1988;44:837-845. doi:10.2307/2531595

Sun X, Xu W. Fast implementation of DeLong's algorithm for comparing the areas
under correlated receiver operating characteristic curves. IEEE Signal Process
Lett 2014;21:1389-1393. doi:10.1109/LSP.2014.2337313
"""

from __future__ import annotations

import dataclasses

import numpy as np
from spinestats.analysis.core import distributions as stats

from spinestats.analysis.core.result import Result
from spinestats.analysis.diagnostic.roc import RocCurve, roc_from_counts, score_counts
from spinestats.analysis.core.score_input import check_arrays
from spinestats.errors import DataError


@dataclasses.dataclass(frozen=True)
class DelongAucResult(Result):
    """AUC with DeLong variance and CI."""

    auc: float
    variance: float
    se: float
    ci: tuple[float, float]
    conf_level: float
    n_positive: float
    n_negative: float


#: the former name, kept as an alias
DelongAuc = DelongAucResult


@dataclasses.dataclass(frozen=True)
class DelongPairedResult(Result):
    """Paired DeLong test of two correlated AUCs (pROC ``roc.test(paired=TRUE)``)."""

    auc1: float
    auc2: float
    auc_difference: float
    se: float
    z: float
    p: float
    ci: tuple[float, float]
    conf_level: float
    n_positive: int
    n_negative: int


#: the former name, kept as an alias
DelongPaired = DelongPairedResult


@dataclasses.dataclass(frozen=True)
class DelongUnpairedResult(Result):
    """Unpaired DeLong test of two AUCs from independent samples (pROC's D statistic)."""

    auc1: float
    auc2: float
    auc_difference: float
    se: float
    statistic: float
    df: float
    p: float
    conf_level: float


#: the former name, kept as an alias
DelongUnpaired = DelongUnpairedResult


def level_placements(roc: RocCurve) -> tuple[np.ndarray, np.ndarray]:
    """Placement values per level: ``V10`` (for positives) and ``V01`` (for negatives)."""
    p, q = roc.n_pos, roc.n_neg
    q_below = np.concatenate([[0.0], np.cumsum(q)[:-1]])
    p_above = np.concatenate([np.cumsum(p[::-1])[::-1][1:], [0.0]])
    v10 = (q_below + 0.5 * q) / roc.n_negative
    v01 = (p_above + 0.5 * p) / roc.n_positive
    return v10, v01


def _zcrit(conf_level: float) -> float:
    if not (0.0 < conf_level < 1.0):
        raise DataError(f"conf_level must be between 0 and 1, got {conf_level!r}.")
    return float(stats.norm.ppf(1 - (1 - conf_level) / 2))


def delong_variance(roc: RocCurve) -> float:
    """DeLong variance of the AUC of ``roc`` (NaN with fewer than 2 patients in a class)."""
    m, n = roc.n_positive, roc.n_negative
    if m <= 1 or n <= 1:
        return float("nan")
    v10, v01 = level_placements(roc)
    s10 = float(np.sum(roc.n_pos * (v10 - roc.auc) ** 2) / (m - 1))
    s01 = float(np.sum(roc.n_neg * (v01 - roc.auc) ** 2) / (n - 1))
    return s10 / m + s01 / n


def delong_from_roc(roc: RocCurve, conf_level: float = 0.95) -> DelongAucResult:
    """AUC, DeLong variance and CI from a ROC curve (see module docstring)."""
    z = _zcrit(conf_level)
    var = delong_variance(roc)
    se = float(np.sqrt(var))
    # truncated to [0, 1] as pROC; NaN (a class with < 2 patients) stays NaN
    lo, hi = (float(v) for v in np.clip([roc.auc - z * se, roc.auc + z * se], 0.0, 1.0))
    return DelongAucResult(
        auc=roc.auc,
        variance=var,
        se=se,
        ci=(lo, hi),
        conf_level=float(conf_level),
        n_positive=roc.n_positive,
        n_negative=roc.n_negative,
    )


def delong_from_counts(levels, n_pos, n_neg, conf_level: float = 0.95) -> DelongAucResult:
    """AUC with DeLong CI from counts per score level (frequency weights allowed)."""
    return delong_from_roc(roc_from_counts(levels, n_pos, n_neg), conf_level)


def delong_auc(score, truth, weights=None, conf_level: float = 0.95) -> DelongAucResult:
    """AUC with DeLong CI of per-patient scores (pROC ``ci.auc(method="delong")``).

    Parameters
    ----------
    score : numeric scores, higher = more likely positive.
    truth : boolean reference standard (True = positive).
    weights : optional frequency weights.
    conf_level : two-sided confidence level.
    """
    return delong_from_roc(roc_from_counts(*score_counts(score, truth, weights)), conf_level)


def _patient_placements(score: np.ndarray, truth: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    uniq, inv = np.unique(score, return_inverse=True)
    p = np.bincount(inv, weights=truth.astype(float), minlength=uniq.size)
    q = np.bincount(inv, weights=(~truth).astype(float), minlength=uniq.size)
    roc = roc_from_counts(uniq, p, q)
    v10, v01 = level_placements(roc)
    return roc.auc, v10[inv[truth]], v01[inv[~truth]]


def delong_paired(score1, score2, truth, conf_level: float = 0.95) -> DelongPairedResult:
    """Paired DeLong test of two scores measured on the same patients.

    Equals pROC ``roc.test(roc(truth, score1), roc(truth, score2), method = "delong",
    paired = TRUE)``: ``z`` is its statistic Z, ``p`` the two-sided p-value and ``ci``
    its ``conf.int`` for ``AUC1 - AUC2``.

    Parameters
    ----------
    score1, score2 : the two scores (same patients, same order; no missing values).
    truth : boolean reference standard.
    conf_level : level of the CI of the difference.
    """
    s1, t, _ = check_arrays(score1, truth)
    s2, _, _ = check_arrays(score2, truth)
    if s1.size != s2.size:
        raise DataError(f"paired scores differ in length: {s1.size} and {s2.size}.")
    m, n = int(t.sum()), int((~t).sum())
    if m < 2 or n < 2:
        raise DataError(f"the paired DeLong test needs at least 2 patients per class (got {m} and {n}).")
    a1, x1, y1 = _patient_placements(s1, t)
    a2, x2, y2 = _patient_placements(s2, t)
    sx = np.cov(np.vstack([x1, x2]), ddof=1)
    sy = np.cov(np.vstack([y1, y2]), ddof=1)
    s = sx / m + sy / n
    var = float(s[0, 0] + s[1, 1] - 2 * s[0, 1])
    se = float(np.sqrt(max(var, 0.0)))
    d = a1 - a2
    if se == 0.0:
        z = 0.0 if d == 0 else float(np.sign(d) * np.inf)
    else:
        z = d / se
    p = float(2 * stats.norm.sf(abs(z)))
    zc = _zcrit(conf_level)
    return DelongPairedResult(
        auc1=a1, auc2=a2, auc_difference=d, se=se, z=float(z), p=p,
        ci=(d - zc * se, d + zc * se), conf_level=float(conf_level), n_positive=m, n_negative=n,
    )


def delong_unpaired(roc1: RocCurve, roc2: RocCurve, conf_level: float = 0.95) -> DelongUnpairedResult:
    """Unpaired DeLong test of two AUCs from independent cohorts.

    As pROC ``roc.test(roc1, roc2, method = "delong", paired = FALSE)``:
    :math:`D = (AUC_1 - AUC_2)/\\sqrt{V_1 + V_2}` with
    :math:`df = (V_1+V_2)^2 / (V_1^2/(N_1-1) + V_2^2/(N_2-1))` (``N`` = all patients of a
    cohort) and a two-sided p-value from Student's t with ``df``.
    """
    _zcrit(conf_level)
    v1, v2 = delong_variance(roc1), delong_variance(roc2)
    se = float(np.sqrt(v1 + v2))
    d = roc1.auc - roc2.auc
    stat = d / se
    n1 = roc1.n_positive + roc1.n_negative
    n2 = roc2.n_positive + roc2.n_negative
    df = (v1 + v2) ** 2 / (v1**2 / (n1 - 1) + v2**2 / (n2 - 1))
    p = float(2 * stats.t.sf(abs(stat), df))
    return DelongUnpairedResult(
        auc1=roc1.auc, auc2=roc2.auc, auc_difference=d, se=se, statistic=float(stat),
        df=float(df), p=p, conf_level=float(conf_level),
    )

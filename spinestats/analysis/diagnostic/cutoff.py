"""Choosing a cutoff on a ROC curve; every tied optimum is reported.

Public functions
----------------
``optimal_cutoff(roc, method="youden", *, cost=1.0, prevalence=0.5, min_sensitivity=None,
min_specificity=None) -> OptimalCutoffResult``
    ``roc`` is a :class:`~spinestats.analysis.diagnostic.roc.RocCurve` (from per-patient
    scores or from counts).  ``method`` is one of ``"youden"``,
    ``"closest_topleft"``, ``"min_sensitivity"``, ``"min_specificity"``.
``select_cutoff_index(se, sp, method, r, min_sensitivity, min_specificity) -> ndarray``
    The vectorised core: ``se``/``sp`` of shape ``(..., k)`` (e.g. ``B`` bootstrap
    replicates x ``k`` points) -> boolean mask of the optimal points.

Criteria (as pROC ``coords(x = "best", best.method=, best.weights = c(cost, prevalence))``)
------------------------------------------------------------------------------------------
With :math:`r = (1 - \\pi) / (c\\,\\pi)` (``c`` the relative cost of a false
negative, :math:`\\pi` the prevalence; pROC's default ``c = 1``, :math:`\\pi = 0.5`
gives ``r = 1``; note that pROC does NOT default to the sample prevalence):

* Youden: maximise :math:`Se + r\\,Sp` (for ``r = 1`` this is ``J + 1``).
* Closest to top-left: minimise :math:`(1-Se)^2 + r(1-Sp)^2`.
* Minimum sensitivity ``s``: among points with :math:`Se \\ge s`, the highest
  Sp, then the highest Se.  Minimum specificity: symmetric.

All operating points of the curve take part, including the two trivial ones
(everybody positive: ``cutoff`` = lowest level; nobody positive: ``+inf``), as
in pROC.  Criterion values within ``1e-12`` (absolute) of the best are treated
as tied, which absorbs floating-point noise in sums such as 18/20 + 33/39;
all tied points are reported, never one picked silently.

References
----------
Youden WJ. Index for rating diagnostic tests. Cancer 1950;3:32-35.
doi:10.1002/1097-0142(1950)3:1<32::AID-CNCR2820030106>3.0.CO;2-3

Perkins NJ, Schisterman EF. The inconsistency of "optimal" cutpoints obtained
using two criteria based on the receiver operating characteristic curve.
Am J Epidemiol 2006;163:670-675. doi:10.1093/aje/kwj063
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from spinestats.analysis.core.result import Result
from spinestats.analysis.diagnostic.roc import RocCurve
from spinestats.errors import DataError, UsageError

METHODS = ("youden", "closest_topleft", "min_sensitivity", "min_specificity")
TIE_TOL = 1e-12


@dataclasses.dataclass(frozen=True)
class OptimalCutoffResult(Result):
    """The optimal cutoff(s) of a ROC curve.

    Attributes
    ----------
    method : criterion used.
    cutoff : tuple of tied cutoffs ("positive when score >= cutoff").
    threshold : the same points labelled with pROC's midpoint thresholds.
    sensitivity, specificity : at each tied cutoff.
    criterion : the optimal criterion value.
    r : weight ``(1 - prevalence) / (cost * prevalence)``.
    """

    method: str
    cutoff: tuple
    threshold: tuple
    sensitivity: tuple
    specificity: tuple
    criterion: float
    r: float

    def to_frame(self) -> pd.DataFrame:
        """One row per tied optimal cutoff."""
        return pd.DataFrame(
            {
                "method": self.method,
                "cutoff": self.cutoff,
                "threshold": self.threshold,
                "sensitivity": self.sensitivity,
                "specificity": self.specificity,
                "criterion": self.criterion,
            }
        )


#: the former name, kept as an alias
OptimalCutoff = OptimalCutoffResult


def weight_ratio(cost: float = 1.0, prevalence: float = 0.5) -> float:
    """pROC's ``r = (1 - prevalence) / (cost * prevalence)``."""
    if not (0.0 < prevalence < 1.0):
        raise UsageError(f"prevalence must be strictly between 0 and 1, got {prevalence!r}.")
    if not cost > 0:
        raise UsageError(f"cost must be > 0, got {cost!r}.")
    return (1.0 - prevalence) / (cost * prevalence)


def criterion_values(se, sp, method: str, r: float = 1.0, min_sensitivity=None, min_specificity=None) -> np.ndarray:
    """Criterion to MAXIMISE at each point (``-inf`` where a constraint fails)."""
    se = np.asarray(se, dtype=float)
    sp = np.asarray(sp, dtype=float)
    if method == "youden":
        return se + r * sp
    if method == "closest_topleft":
        return -((1 - se) ** 2 + r * (1 - sp) ** 2)
    if method == "min_sensitivity":
        if min_sensitivity is None or not (0.0 <= min_sensitivity <= 1.0):
            raise UsageError(f"method 'min_sensitivity' needs min_sensitivity in [0, 1], got {min_sensitivity!r}.")
        return np.where(se >= min_sensitivity - TIE_TOL, sp, -np.inf)
    if method == "min_specificity":
        if min_specificity is None or not (0.0 <= min_specificity <= 1.0):
            raise UsageError(f"method 'min_specificity' needs min_specificity in [0, 1], got {min_specificity!r}.")
        return np.where(sp >= min_specificity - TIE_TOL, se, -np.inf)
    raise UsageError(f"cutoff method must be one of {', '.join(METHODS)}; got {method!r}.")


def select_cutoff_index(se, sp, method: str = "youden", r: float = 1.0, min_sensitivity=None, min_specificity=None,
                        valid=None) -> np.ndarray:
    """Boolean mask (same shape as ``se``) of the optimal points along the last axis.

    ``valid`` (same shape) marks the points allowed to be chosen (default: all).
    """
    crit = criterion_values(se, sp, method, r, min_sensitivity, min_specificity)
    if valid is not None:
        crit = np.where(valid, crit, -np.inf)
    best = crit.max(axis=-1, keepdims=True)
    mask = np.isfinite(best) & (crit >= best - TIE_TOL)
    if method in ("min_sensitivity", "min_specificity"):
        # among the points with the best Sp (Se), keep those with the best Se (Sp)
        other = np.where(mask, np.asarray(se if method == "min_sensitivity" else sp, dtype=float), -np.inf)
        mask &= other >= other.max(axis=-1, keepdims=True) - TIE_TOL
    return mask


def optimal_cutoff(
    roc: RocCurve,
    method: str = "youden",
    *,
    cost: float = 1.0,
    prevalence: float = 0.5,
    min_sensitivity: float | None = None,
    min_specificity: float | None = None,
) -> OptimalCutoffResult:
    """Optimal cutoff(s) of ``roc`` by the chosen criterion (see module docstring).

    Parameters
    ----------
    roc : the ROC curve.
    method : ``"youden"``, ``"closest_topleft"``, ``"min_sensitivity"`` or ``"min_specificity"``.
    cost, prevalence : pROC's ``best.weights`` (relative cost of a false negative, prevalence).
    min_sensitivity, min_specificity : the constraint for the constrained methods.

    Returns
    -------
    OptimalCutoff
        All tied optima, in increasing cutoff order.
    """
    r = weight_ratio(cost, prevalence)
    mask = select_cutoff_index(roc.sensitivities, roc.specificities, method, r, min_sensitivity, min_specificity)
    if not mask.any():
        raise DataError(f"no cutoff satisfies the {method} constraint.")
    crit = criterion_values(roc.sensitivities, roc.specificities, method, r, min_sensitivity, min_specificity)
    idx = np.flatnonzero(mask)
    value = float(crit[idx].max())
    if method == "closest_topleft":
        value = -value
    return OptimalCutoffResult(
        method=method,
        cutoff=tuple(float(c) for c in roc.cutoffs[idx]),
        threshold=tuple(float(c) for c in roc.thresholds[idx]),
        sensitivity=tuple(float(v) for v in roc.sensitivities[idx]),
        specificity=tuple(float(v) for v in roc.specificities[idx]),
        criterion=value,
        r=r,
    )

"""Stratified bootstrap CI of the AUC and a bootstrap confidence band of the ROC curve.

Public functions
----------------
``bootstrap_auc(score, truth, *, B=2000, seed=20160501, conf_level=0.95, specificities=None,
workers=1, scheduler=None) -> AucBootstrapResult``
``bootstrap_auc_from_counts(levels, n_pos, n_neg, *, B=2000, ...) -> AucBootstrapResult``
    Identical results for per-patient arrays and their counts per level (the
    resampling works on the counts: see :mod:`spinestats.analysis.diagnostic.count_bootstrap`).

Method (as pROC ``ci.auc(method = "bootstrap", boot.stratified = TRUE)`` and ``ci.se``)
-------------------------------------------------------------------------------------
Each of ``B`` replicates resamples the positives and the negatives separately
(stratified) and recomputes the AUC; the CI is the percentile interval, the
``(1-conf)/2`` and ``(1+conf)/2`` quantiles of the replicate AUCs (R's default
``quantile`` type 7, NumPy's ``"linear"``).  The ROC band: at each fixed
specificity in ``specificities`` (default 0, 0.02, ..., 1) the sensitivity of every
replicate's empirical ROC curve is read off (highest sensitivity on a vertical
step), and the band is the pointwise percentile interval, as pROC ``ci.se``.
The random streams differ from R's, so values agree with pROC only up to
Monte-Carlo error; they are identical for any ``workers``/``scheduler``.

References
----------
Carpenter J, Bithell J. Bootstrap confidence intervals: when, which, what? A
practical guide for medical statisticians. Stat Med 2000;19:1141-1164.
doi:10.1002/(SICI)1097-0258(20000515)19:9<1141::AID-SIM479>3.0.CO;2-F
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from spinestats.analysis.diagnostic.count_bootstrap import (
    auc_rows,
    batch_size_for,
    draw_multinomial_counts,
    roc_points,
    sensitivity_at_specificity,
)
from spinestats.analysis.core.resampling import map_replicates
from spinestats.analysis.core.result import Result
from spinestats.analysis.diagnostic.roc import roc_from_counts, score_counts
from spinestats.errors import DataError, UsageError

DEFAULT_SEED = 20160501
DEFAULT_SPECIFICITIES = np.round(np.linspace(0.0, 1.0, 51), 10)


@dataclasses.dataclass(frozen=True)
class AucBootstrapResult(Result):
    """Bootstrap AUC CI and ROC band.

    Attributes
    ----------
    auc : the AUC of the data.
    ci : percentile CI of the AUC.
    B, seed, conf_level : settings.
    specificities : the specificities of the band.
    se_lower, se_median, se_upper : pointwise band of sensitivity.
    replicate_auc : the ``B`` replicate AUCs.
    """

    auc: float
    ci: tuple[float, float]
    B: int
    seed: int
    conf_level: float
    specificities: np.ndarray
    se_lower: np.ndarray
    se_median: np.ndarray
    se_upper: np.ndarray
    replicate_auc: np.ndarray

    def summary(self) -> dict:
        """JSON-ready summary (no per-replicate arrays)."""
        return {"auc": self.auc, "ci": list(self.ci), "B": self.B, "seed": self.seed,
                "conf_level": self.conf_level, "method": "stratified bootstrap, percentile"}

    def to_frame(self) -> pd.DataFrame:
        """The ROC band: specificity, sensitivity lower / median / upper."""
        return pd.DataFrame({"specificity": self.specificities, "sensitivity_lower": self.se_lower,
                             "sensitivity_median": self.se_median, "sensitivity_upper": self.se_upper})


#: the former name, kept as an alias
AucBootstrap = AucBootstrapResult


def _batch(seeds, n_pos, n_neg, grid):
    P, Q = draw_multinomial_counts(seeds, n_pos, n_neg)
    se, sp = roc_points(P, Q)
    return list(zip(auc_rows(P, Q), sensitivity_at_specificity(se, sp, grid)))


def bootstrap_auc_from_counts(levels, n_pos, n_neg, *, B: int = 2000, seed: int = DEFAULT_SEED,
                              conf_level: float = 0.95, specificities=None, workers: int = 1,
                              scheduler: str | None = None) -> AucBootstrapResult:
    """Stratified bootstrap AUC CI and ROC band from whole counts per score level."""
    if B < 2:
        raise UsageError(f"the number of bootstrap replicates must be >= 2, got {B}.")
    if not (0 < conf_level < 1):
        raise UsageError(f"conf_level must be between 0 and 1, got {conf_level!r}.")
    roc = roc_from_counts(levels, n_pos, n_neg)
    if np.any(roc.n_pos != np.round(roc.n_pos)) or np.any(roc.n_neg != np.round(roc.n_neg)):
        raise DataError("bootstrap resampling needs whole-number counts per level (not fractional weights).")
    grid = DEFAULT_SPECIFICITIES if specificities is None else np.asarray(specificities, dtype=float)
    rows = map_replicates(_batch, seed, B, args=(roc.n_pos.astype(np.int64), roc.n_neg.astype(np.int64), grid),
                          workers=workers, scheduler=scheduler,
                          batch_size=batch_size_for(B, roc.levels.size, workers, scheduler))
    aucs = np.array([r[0] for r in rows])
    band = np.vstack([r[1] for r in rows])
    a = (1 - conf_level) / 2
    lo, hi = np.quantile(aucs, [a, 1 - a])
    q = np.quantile(band, [a, 0.5, 1 - a], axis=0)
    return AucBootstrapResult(auc=roc.auc, ci=(float(lo), float(hi)), B=int(B), seed=int(seed),
                        conf_level=float(conf_level), specificities=grid, se_lower=q[0], se_median=q[1],
                        se_upper=q[2], replicate_auc=aucs)


def bootstrap_auc(score, truth, *, B: int = 2000, seed: int = DEFAULT_SEED, conf_level: float = 0.95,
                  specificities=None, workers: int = 1, scheduler: str | None = None) -> AucBootstrapResult:
    """Stratified bootstrap CI of the AUC of per-patient scores (see module docstring).

    Parameters
    ----------
    score, truth : scores (higher = positive) and boolean reference standard.
    B : replicates (default 2000, as pROC).
    seed : the seed (replicate ``b`` uses child ``b`` of ``SeedSequence(seed)``).
    conf_level : level of the percentile CI and of the band.
    specificities : specificities at which the ROC band is computed.
    workers, scheduler : passed to :func:`spinestats.analysis.core.resampling.map_replicates`.
    """
    return bootstrap_auc_from_counts(*score_counts(score, truth), B=B, seed=seed, conf_level=conf_level,
                                     specificities=specificities, workers=workers, scheduler=scheduler)

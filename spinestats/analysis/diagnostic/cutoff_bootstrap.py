"""Bootstrap validation of a data-driven cutoff: stability, out-of-bag accuracy, optimism.

Public functions
----------------
``bootstrap_cutoff(score, truth, *, B=2000, seed=20160501, method="youden", cost=1.0,
prevalence=0.5, min_sensitivity=None, min_specificity=None, oob=True, workers=1,
scheduler=None) -> CutoffBootstrapResult``
    Per-patient arrays.  With ``oob=True`` patients are resampled by index so the
    out-of-bag patients are known; with ``oob=False`` the (faster) multinomial
    counts of :func:`bootstrap_cutoff_from_counts` are used.
``bootstrap_cutoff_from_counts(levels, n_pos, n_neg, *, B=2000, seed=20160501, ...) -> CutoffBootstrapResult``
    Counts per score level (integer counts); in-bag statistics only (no out-of-bag).

What is computed (replicate ``b = 1..B``, stratified: positives and negatives resampled separately)
----------------------------------------------------------------------------------------------------
1. The cutoff is chosen on the resample with the same rule as on the data
   (:func:`spinestats.analysis.diagnostic.cutoff.select_cutoff_index`).  Only levels present
   in the resample are candidates (an absent level would duplicate its neighbour's
   operating point).  When several cutoffs tie, each gets weight ``1/k`` in the
   cutoff distribution and the in-/out-of-bag accuracies are averaged over them;
   the number of replicates with ties is reported (never one picked silently).
2. In-bag sensitivity/specificity at that cutoff (on the resample) and, with
   ``oob=True``, out-of-bag sensitivity/specificity (on the patients not drawn), as
   cutpointr's ``boot_runs`` but stratified.  A replicate whose out-of-bag set has
   no positive (or negative) patient gives NaN there and is counted.
3. Harrell's optimism: :math:`O_J = \\overline{J_b(\\text{resample}) - J_b(\\text{data})}`,
   where :math:`J_b(\\cdot)` is Youden's J of the cutoff chosen on resample ``b``;
   corrected :math:`J = J_{app} - O_J`.  For the AUC,
   :math:`O_{AUC} = \\overline{AUC_b - AUC_{app}}`: the score itself is not
   refitted, so this is only the bootstrap bias of the AUC and is close to 0 —
   reported for completeness.

Replicate ``b`` uses child stream ``b`` of ``SeedSequence(seed)``
(:func:`spinestats.analysis.core.resampling.map_replicates`), so the numbers are the
same for any ``workers``/``scheduler``.

References
----------
Harrell FE, Lee KL, Mark DB. Multivariable prognostic models. Stat Med
1996;15:361-387. doi:10.1002/(SICI)1097-0258(19960229)15:4<361::AID-SIM168>3.0.CO;2-4

Thiele C, Hirschfeld G. cutpointr: improved estimation and validation of optimal
cutpoints in R. J Stat Softw 2021;98(11). doi:10.18637/jss.v098.i11
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from spinestats.analysis.diagnostic.count_bootstrap import (
    auc_rows,
    batch_size_for,
    draw_index_counts,
    draw_multinomial_counts,
    roc_points,
)
from spinestats.analysis.diagnostic.cutoff import optimal_cutoff, select_cutoff_index, weight_ratio
from spinestats.analysis.core.resampling import map_replicates
from spinestats.analysis.core.result import Result
from spinestats.analysis.diagnostic.roc import RocCurve, roc_from_counts, score_counts
from spinestats.errors import DataError, UsageError

DEFAULT_SEED = 20160501


@dataclasses.dataclass(frozen=True)
class CutoffBootstrapResult(Result):
    """Bootstrap distribution and validation of a chosen cutoff.

    Attributes
    ----------
    method, B, seed : the rule, number of replicates and seed.
    cutoffs : candidate cutoffs (observed levels and ``+inf``).
    frequency : share of replicates selecting each cutoff (ties split 1/k).
    apparent_cutoff : the cutoff(s) chosen on the data.
    n_tied_replicates : replicates in which several cutoffs tied.
    inbag_sensitivity, inbag_specificity, oob_sensitivity, oob_specificity : per replicate.
    oob_sensitivity_mean, ... : means over replicates (NaN-excluding for OOB).
    n_oob_undefined : replicates whose out-of-bag set lacked a class.
    youden_apparent, youden_optimism, youden_corrected : Harrell's correction of J.
    auc_apparent, auc_optimism, auc_corrected : the same for the AUC (bootstrap bias only).
    replicate_cutoff : per replicate, the mean of its tied cutoffs (for histograms).
    """

    method: str
    B: int
    seed: int
    cutoffs: np.ndarray
    frequency: np.ndarray
    apparent_cutoff: tuple
    n_tied_replicates: int
    inbag_sensitivity: np.ndarray
    inbag_specificity: np.ndarray
    oob_sensitivity: np.ndarray | None
    oob_specificity: np.ndarray | None
    n_oob_undefined: int
    youden_apparent: float
    youden_optimism: float
    youden_corrected: float
    auc_apparent: float
    auc_optimism: float
    auc_corrected: float
    replicate_cutoff: np.ndarray

    def summary(self) -> dict:
        """JSON-ready summary (no per-replicate arrays)."""
        def m(x):
            return None if x is None or np.all(np.isnan(x)) else float(np.nanmean(x))

        return {
            "method": self.method,
            "B": self.B,
            "seed": self.seed,
            "apparent_cutoff": list(self.apparent_cutoff),
            "cutoff_distribution": [
                {"cutoff": float(c), "frequency": float(f)} for c, f in zip(self.cutoffs, self.frequency) if f > 0
            ],
            "n_tied_replicates": self.n_tied_replicates,
            "inbag_sensitivity": m(self.inbag_sensitivity),
            "inbag_specificity": m(self.inbag_specificity),
            "oob_sensitivity": m(self.oob_sensitivity),
            "oob_specificity": m(self.oob_specificity),
            "n_oob_undefined": self.n_oob_undefined,
            "youden_apparent": self.youden_apparent,
            "youden_optimism": self.youden_optimism,
            "youden_corrected": self.youden_corrected,
            "auc_apparent": self.auc_apparent,
            "auc_optimism": self.auc_optimism,
            "auc_corrected": self.auc_corrected,
        }

    def to_frame(self) -> pd.DataFrame:
        """Per-replicate table: cutoff, in-bag and out-of-bag sensitivity/specificity."""
        out = pd.DataFrame({
            "replicate": np.arange(1, self.B + 1),
            "cutoff": self.replicate_cutoff,
            "inbag_sensitivity": self.inbag_sensitivity,
            "inbag_specificity": self.inbag_specificity,
        })
        if self.oob_sensitivity is not None:
            out["oob_sensitivity"] = self.oob_sensitivity
            out["oob_specificity"] = self.oob_specificity
        return out


#: the former name, kept as an alias
CutoffBootstrap = CutoffBootstrapResult


def _batch(seeds, mode: str, data: tuple, rule: dict) -> list[tuple]:
    """One batch of replicates -> per-replicate tuples (vectorised inside the batch)."""
    if mode == "counts":
        n_pos, n_neg = data
        P, Q = draw_multinomial_counts(seeds, n_pos, n_neg)
        Po = Qo = None
    else:
        level_pos, level_neg, n_levels = data
        P, Q, Po, Qo = draw_index_counts(seeds, level_pos, level_neg, n_levels)
    se, sp = roc_points(P, Q)
    present = np.concatenate([(P + Q) > 0, np.ones((P.shape[0], 1), bool)], axis=1)
    mask = select_cutoff_index(se, sp, valid=present, **rule)
    k = mask.sum(axis=1)
    w = mask / np.maximum(k, 1)[:, None]
    res = [w, (w * se).sum(axis=1), (w * sp).sum(axis=1), auc_rows(P, Q)]
    if Po is not None:
        se_o, sp_o = roc_points(Po, Qo)
        res += [(w * se_o).sum(axis=1), (w * sp_o).sum(axis=1)]
    return list(zip(*res))


def _mean_finite_cutoff(w: np.ndarray, cutoffs: np.ndarray) -> np.ndarray:
    """Per replicate, the mean of its tied finite cutoffs (NaN if only "nobody positive" was chosen)."""
    fin = np.isfinite(cutoffs)
    num = w[:, fin] @ cutoffs[fin]
    den = w[:, fin].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


def _run(roc: RocCurve, mode: str, data: tuple, *, B: int, seed: int, method: str, cost: float, prevalence: float,
         min_sensitivity, min_specificity, workers: int, scheduler) -> CutoffBootstrapResult:
    if B < 1:
        raise UsageError(f"the number of bootstrap replicates must be >= 1, got {B}.")
    r = weight_ratio(cost, prevalence)
    rule = {"method": method, "r": r, "min_sensitivity": min_sensitivity, "min_specificity": min_specificity}
    apparent = optimal_cutoff(roc, method, cost=cost, prevalence=prevalence,
                              min_sensitivity=min_sensitivity, min_specificity=min_specificity)
    rows = map_replicates(_batch, seed, B, args=(mode, data, rule), workers=workers, scheduler=scheduler,
                          batch_size=batch_size_for(B, roc.levels.size, workers, scheduler))
    w = np.vstack([row[0] for row in rows])
    inbag_se = np.array([row[1] for row in rows])
    inbag_sp = np.array([row[2] for row in rows])
    auc_b = np.array([row[3] for row in rows])
    oob_se = oob_sp = None
    n_undef = 0
    if mode == "index":
        oob_se = np.array([row[4] for row in rows])
        oob_sp = np.array([row[5] for row in rows])
        n_undef = int(np.sum(np.isnan(oob_se) | np.isnan(oob_sp)))
    if np.any(w.sum(axis=1) == 0):
        raise DataError(f"in some bootstrap resamples no cutoff satisfies the {method} constraint; relax it.")
    se0, sp0 = roc.sensitivities, roc.specificities
    j_orig = w @ (se0 + sp0 - 1)
    j_boot = inbag_se + inbag_sp - 1
    j_app = float(apparent.sensitivity[0] + apparent.specificity[0] - 1)
    opt_j = float(np.mean(j_boot - j_orig))
    opt_auc = float(np.mean(auc_b) - roc.auc)
    return CutoffBootstrapResult(
        method=method, B=int(B), seed=int(seed), cutoffs=roc.cutoffs, frequency=w.mean(axis=0),
        apparent_cutoff=apparent.cutoff, n_tied_replicates=int(np.sum((w > 0).sum(axis=1) > 1)),
        inbag_sensitivity=inbag_se, inbag_specificity=inbag_sp, oob_sensitivity=oob_se, oob_specificity=oob_sp,
        n_oob_undefined=n_undef, youden_apparent=j_app, youden_optimism=opt_j, youden_corrected=j_app - opt_j,
        auc_apparent=roc.auc, auc_optimism=opt_auc, auc_corrected=roc.auc - opt_auc,
        replicate_cutoff=_mean_finite_cutoff(w, roc.cutoffs),
    )


def bootstrap_cutoff_from_counts(levels, n_pos, n_neg, *, B: int = 2000, seed: int = DEFAULT_SEED,
                                 method: str = "youden", cost: float = 1.0, prevalence: float = 0.5,
                                 min_sensitivity: float | None = None, min_specificity: float | None = None,
                                 workers: int = 1, scheduler: str | None = None) -> CutoffBootstrapResult:
    """Bootstrap validation from counts per score level (multinomial resampling; no out-of-bag).

    Parameters are as :func:`bootstrap_cutoff`; ``n_pos``/``n_neg`` must be whole counts.
    """
    roc = roc_from_counts(levels, n_pos, n_neg)
    if np.any(roc.n_pos != np.round(roc.n_pos)) or np.any(roc.n_neg != np.round(roc.n_neg)):
        raise DataError("bootstrap resampling needs whole-number counts per level (not fractional weights).")
    return _run(roc, "counts", (roc.n_pos.astype(np.int64), roc.n_neg.astype(np.int64)), B=B, seed=seed,
                method=method, cost=cost, prevalence=prevalence, min_sensitivity=min_sensitivity,
                min_specificity=min_specificity, workers=workers, scheduler=scheduler)


def bootstrap_cutoff(score, truth, *, B: int = 2000, seed: int = DEFAULT_SEED, method: str = "youden",
                     cost: float = 1.0, prevalence: float = 0.5, min_sensitivity: float | None = None,
                     min_specificity: float | None = None, oob: bool = True, workers: int = 1,
                     scheduler: str | None = None) -> CutoffBootstrapResult:
    """Stratified bootstrap validation of the cutoff chosen by ``method`` (see module docstring).

    Parameters
    ----------
    score, truth : per-patient score (higher = positive) and boolean reference standard.
    B : number of bootstrap replicates (default 2000).
    seed : seed of ``SeedSequence`` (replicate ``b`` uses child ``b``).
    method, cost, prevalence, min_sensitivity, min_specificity : the cutoff rule
        (:func:`spinestats.analysis.diagnostic.cutoff.optimal_cutoff`).
    oob : resample patients by index and evaluate out-of-bag (default); False uses
        multinomial counts (faster, no out-of-bag numbers).
    workers, scheduler : passed to :func:`spinestats.analysis.core.resampling.map_replicates`.
    """
    levels, n_pos, n_neg = score_counts(score, truth)
    if not oob:
        return bootstrap_cutoff_from_counts(levels, n_pos, n_neg, B=B, seed=seed, method=method, cost=cost,
                                            prevalence=prevalence, min_sensitivity=min_sensitivity,
                                            min_specificity=min_specificity, workers=workers, scheduler=scheduler)
    s = np.asarray(score, dtype=float)
    t = np.asarray(truth, dtype=bool)
    lev = np.searchsorted(levels, s)
    roc = roc_from_counts(levels, n_pos, n_neg)
    return _run(roc, "index", (lev[t], lev[~t], levels.size), B=B, seed=seed, method=method, cost=cost,
                prevalence=prevalence, min_sensitivity=min_sensitivity, min_specificity=min_specificity,
                workers=workers, scheduler=scheduler)

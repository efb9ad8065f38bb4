"""Stratified bootstrap of a score through counts per score level (vectorised).

A stratified bootstrap resample draws ``m`` positives from the ``m``
positives and ``n`` negatives from the ``n`` negatives, with replacement.
Everything a ROC analysis needs from a resample is the number of positives
and negatives at each distinct score level, and these counts are exactly
multinomial: ``Multinomial(m, p_l / m)`` for the positives, with ``p_l`` the
original count at level ``l`` (likewise for negatives).  Drawing the counts
directly gives the same distribution as resampling rows, at a cost that
depends on the number of levels, not patients — for a 0-6 score, 7 numbers
per class per replicate.

Out-of-bag evaluation needs to know *which* patients were drawn, so
:func:`draw_index_counts` resamples patient indices instead (same
distribution of in-bag counts, different random stream) and also returns
the counts of the patients never drawn.

Public functions
----------------
``draw_multinomial_counts(seeds, n_pos, n_neg) -> (P, Q)``
    ``(len(seeds), L)`` in-bag count matrices, one replicate per seed.  Above
    :data:`MULTINOMIAL_MAX_LEVELS` levels (a continuous score) the counts come
    from resampling the patients implied by the counts instead (the same
    multinomial distribution; cheaper than ``L`` binomial draws).
``draw_index_counts(seeds, level_pos, level_neg, L) -> (P, Q, P_oob, Q_oob)``
    In-bag and out-of-bag count matrices from index resampling; ``level_pos``
    is the level index (0..L-1) of each positive patient.
``roc_points(P, Q) -> (se, sp)``
    Sensitivity and specificity at every point ``j = 0..L`` ("score >= level j";
    ``j = L`` is nobody positive) for each replicate row.
``auc_rows(P, Q) -> ndarray``
    Mann-Whitney AUC (ties 1/2) of each replicate row.
``batch_size_for(B, n_levels, workers=1, scheduler=None) -> int``
    Replicates per batch for :func:`~spinestats.analysis.core.resampling.map_replicates`,
    capped to bound memory.
``sensitivity_at_specificity(se, sp, grid) -> ndarray``
    Sensitivity read off each replicate's ROC polyline at fixed specificities
    (on a vertical segment the highest sensitivity), for ROC confidence bands.

Replicate ``i`` uses only ``numpy.random.default_rng(seeds[i])`` (see
:func:`spinestats.analysis.core.resampling.map_replicates`), so results do not
depend on how replicates are split across workers.

References
----------
Efron B, Tibshirani RJ. An Introduction to the Bootstrap. Chapman & Hall, 1993.
doi:10.1201/9780429246593
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from spinestats.analysis.core.resampling import default_batch_size

#: above this many levels, in-bag counts are drawn by resampling patients (same distribution)
MULTINOMIAL_MAX_LEVELS = 64

#: largest number of cells of one (replicates x levels) matrix held at once
MAX_BATCH_CELLS = 4_000_000


def batch_size_for(B: int, n_levels: int, workers: int = 1, scheduler: str | None = None) -> int:
    """Replicates per batch: the resampling default, capped so a batch's count
    matrices stay below :data:`MAX_BATCH_CELLS` cells (a continuous score has as many
    levels as patients).  The batch size changes memory and speed, never the numbers."""
    cap = max(1, MAX_BATCH_CELLS // max(1, int(n_levels)))
    return max(1, min(default_batch_size(B, workers, scheduler), cap))


def draw_multinomial_counts(seeds: Sequence[np.random.SeedSequence], n_pos: np.ndarray,
                            n_neg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Stratified bootstrap counts per level, one row per seed (see module docstring)."""
    p = np.asarray(n_pos, dtype=np.int64)
    q = np.asarray(n_neg, dtype=np.int64)
    if p.size > MULTINOMIAL_MAX_LEVELS:
        # many levels (a continuous score): drawing patients is cheaper than L binomials
        L = p.size
        P, Q, _, _ = draw_index_counts(seeds, np.repeat(np.arange(L), p), np.repeat(np.arange(L), q), L,
                                       out_of_bag=False)
        return P, Q
    sizes = np.array([p.sum(), q.sum()])
    pvals = np.vstack([p / sizes[0], q / sizes[1]])
    out = np.empty((len(seeds), 2, p.size), dtype=np.int64)
    for i, ss in enumerate(seeds):
        # one call draws both classes: row 0 positives, row 1 negatives
        out[i] = np.random.default_rng(ss).multinomial(sizes, pvals)
    return out[:, 0, :], out[:, 1, :]


def draw_index_counts(seeds: Sequence[np.random.SeedSequence], level_pos: np.ndarray, level_neg: np.ndarray,
                      n_levels: int, out_of_bag: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """In-bag and out-of-bag counts per level from resampling patient indices.

    With ``out_of_bag=False`` the two out-of-bag matrices are all zero (not computed).
    """
    B = len(seeds)
    out = [np.zeros((B, n_levels), dtype=np.int64) for _ in range(4)]
    P, Q, Po, Qo = out
    classes = [_LevelSums(np.asarray(lev, dtype=np.int64), n_levels) for lev in (level_pos, level_neg)]
    for i, ss in enumerate(seeds):
        rng = np.random.default_rng(ss)
        for sums, inbag, oob in ((classes[0], P, Po), (classes[1], Q, Qo)):
            n = sums.n
            sums.count(rng.integers(0, n, n), inbag[i], oob[i] if out_of_bag else None)
    return P, Q, Po, Qo


#: up to this many levels the per-level sums are taken slice by slice (no cumulative sum)
SLICE_MAX_LEVELS = 64


class _LevelSums:
    """Counts of draws per level, in-bag and out-of-bag, from the drawn patient indices.

    The patients are renumbered in order of level (``rank``), so that each level is a contiguous
    slice of the per-patient draw counts: ``bincount(rank[idx])`` holds the times each patient was
    drawn, level by level; the in-bag count of a level is the sum of its slice and the out-of-bag
    count the slice's zeros.  Exact integers, the same numbers as counting ``lev[idx]`` by level.
    """

    def __init__(self, lev: np.ndarray, n_levels: int) -> None:
        self.n = lev.size
        order = np.argsort(lev, kind="stable")
        self.rank = np.empty(self.n, dtype=np.intp)
        self.rank[order] = np.arange(self.n)
        bounds = np.searchsorted(lev[order], np.arange(n_levels + 1))
        self.start, self.stop = bounds[:-1], bounds[1:]
        self.size = self.stop - self.start
        self.slices = [slice(a, b) for a, b in zip(self.start.tolist(), self.stop.tolist())]

    def count(self, idx: np.ndarray, inbag: np.ndarray, oob: np.ndarray | None) -> None:
        """Write the in-bag counts per level of the draws ``idx`` into ``inbag`` and, unless
        ``oob`` is None, the numbers of patients never drawn per level into ``oob``."""
        drawn = np.bincount(self.rank[idx], minlength=self.n)
        if len(self.slices) <= SLICE_MAX_LEVELS:
            # few levels (a score): a sum and a count of non-zeros per slice
            inbag[:] = [int(drawn[s].sum()) for s in self.slices]
            if oob is not None:
                oob[:] = self.size - np.array([np.count_nonzero(drawn[s]) for s in self.slices], dtype=np.int64)
            return
        # many levels (a continuous score): differences of cumulative sums
        cum = np.zeros(self.n + 1, dtype=np.int64)
        np.cumsum(drawn, out=cum[1:])
        inbag[:] = cum[self.stop] - cum[self.start]
        if oob is not None:
            np.cumsum(drawn == 0, out=cum[1:])
            oob[:] = cum[self.stop] - cum[self.start]


def roc_points(P: np.ndarray, Q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sensitivity and specificity at points ``j = 0..L`` of each row (NaN for an empty class)."""
    P = np.asarray(P)
    Q = np.asarray(Q)
    # forward (contiguous) cumulative sums, in the counts' own integer type (exact)
    cp = np.cumsum(P, axis=1)
    cq = np.cumsum(Q, axis=1)
    m = cp[:, -1:]
    n = cq[:, -1:]
    zero = np.zeros((P.shape[0], 1), dtype=cp.dtype)
    below_p = np.concatenate([zero, cp], axis=1)  # positives below point j
    below_q = np.concatenate([zero, cq], axis=1)  # negatives below point j
    with np.errstate(invalid="ignore", divide="ignore"):
        return (m - below_p) / m, below_q / n


def auc_rows(P: np.ndarray, Q: np.ndarray) -> np.ndarray:
    """AUC (Mann-Whitney, ties 1/2) of each row of count matrices."""
    P = np.asarray(P)
    Q = np.asarray(Q)
    cq = np.cumsum(Q, axis=1)
    # sum_l P_l * (Q below l + Q_l / 2) = sum_l P_l * (cq_l - Q_l / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.einsum("ij,ij->i", P, cq - 0.5 * Q) / (P.sum(axis=1) * cq[:, -1])


def sensitivity_at_specificity(se: np.ndarray, sp: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Sensitivity of each row's ROC polyline at the specificities ``grid`` (rows x grid)."""
    se = np.atleast_2d(se)
    sp = np.atleast_2d(sp)
    g = np.asarray(grid, dtype=float)
    out = np.empty((se.shape[0], g.size))
    for i in range(se.shape[0]):
        # points in order of increasing specificity (j = 0 .. L): sp up, se down
        x, y = sp[i], se[i]
        # on a vertical segment (equal specificity) keep the highest sensitivity: the first point
        keep = np.concatenate([[True], np.diff(x) > 0])
        out[i] = np.interp(g, x[keep], y[keep])
    return out

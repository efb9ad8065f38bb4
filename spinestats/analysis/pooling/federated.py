"""Federated validation: aggregate-only site summaries and their exact pooling.

A centre that cannot share patient rows shares sufficient statistics instead:

* **integer score vs a binary reference** — the number of reference-positive
  and reference-negative patients at each score level.  The empirical ROC,
  the AUC, its DeLong variance and sensitivity/specificity at every cutoff
  depend on the data only through these counts, so summing the centres'
  tables and calling :func:`spinestats.analysis.diagnostic.roc.roc_from_counts`,
  :func:`~spinestats.analysis.diagnostic.delong.delong_from_counts` and
  :func:`~spinestats.analysis.diagnostic.accuracy.accuracy_from_counts` gives exactly the
  pooled patient-level results (tested to 1e-9).
* **time to event** — per group the risk-set table at the centre's distinct
  times ``(time, n_at_risk, n_event, n_censored)``.  Pooled, the number at
  risk at ``t`` is ``Σ_c (N_c - exits_c before t)`` and the number of events
  at ``t`` is ``Σ_c d_c(t)``; the Kaplan-Meier estimate
  ``S(t) = Π (1 - d_j/n_j)`` with Greenwood SE and the log-rank statistic
  (``O - E = Σ (d_g - d n_g/n)``, ``V = Σ d(n-d)/(n-1) · n_g/n (δ - n_h/n)``)
  are functions of these, so they equal the patient-level analysis exactly
  (right-censored data without delayed entry).  The CIs use the survival
  module's :func:`~spinestats.analysis.survival.kaplan_meier.km_confint` and the
  chi-square its generalised-inverse rule, so the formulas are shared.

Small-cell suppression (``min_cell = k``): adjacent rows are merged until
every non-zero count is at least ``k``.  Score levels merge *upwards into the
lowest level of the block* (a block is labelled by its lowest score), so
sensitivity and specificity at cutoffs on block boundaries stay exact, but
the ROC loses the points inside a block and the AUC / DeLong variance change
(patients in a block become ties).  Times merge *forwards to the last time of
the block* (events and censorings moved later), which changes the
Kaplan-Meier curve and the log-rank test.  **With suppression the pooled
results are approximations**; bundles record ``exact: false`` and the
pooled report says so.

References
----------
DeLong ER, DeLong DM, Clarke-Pearson DL. Comparing the areas under two or more
correlated ROC curves. Biometrics 1988;44:837-845. doi:10.2307/2531595
Kaplan EL, Meier P. Nonparametric estimation from incomplete observations.
J Am Stat Assoc 1958;53:457-481. doi:10.1080/01621459.1958.10501452
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from spinestats.analysis.core import distributions as stats

from spinestats.analysis.survival.kaplan_meier import KMCurve, km_confint
from spinestats.analysis.survival.logrank import quadratic_chisq
from spinestats.analysis.core.result import Result
from spinestats.errors import DataError


# --------------------------------------------------------------------------- scores
def score_counts_table(score: Sequence[float], truth: Sequence[bool]) -> dict[str, list]:
    """Counts per score level: ``{"levels", "n_pos", "n_neg"}`` (levels sorted).

    ``score`` must be whole numbers (an integer score); ``truth`` boolean.
    Missing values must be excluded (and recorded) before.
    """
    s = np.asarray(score, dtype=float)
    t = np.asarray(truth)
    if s.shape != t.shape:
        raise DataError(f"score and truth differ in length ({s.size} and {t.size}).")
    if not np.all(np.isfinite(s)):
        raise DataError("the score has missing or non-finite values; exclude those rows first (with a record).")
    if np.any(s != np.round(s)):
        raise DataError("a site summary of counts per level needs an integer score; found non-integer values.")
    if t.dtype != bool:
        raise DataError(f"truth must be boolean (True = reference positive); got {t.dtype}.")
    lv, inv = np.unique(s, return_inverse=True)
    n_pos = np.bincount(inv, weights=t.astype(float), minlength=lv.size)
    n_neg = np.bincount(inv, weights=(~t).astype(float), minlength=lv.size)
    return {"levels": [int(v) for v in lv], "n_pos": [int(v) for v in n_pos], "n_neg": [int(v) for v in n_neg]}


def _blocks(counts: np.ndarray, k: int) -> list[list[int]]:
    """Group consecutive rows so that each block's non-zero column sums are >= k."""
    blocks: list[list[int]] = []
    cur: list[int] = []
    acc = np.zeros(counts.shape[1])
    for i in range(counts.shape[0]):
        cur.append(i)
        acc = acc + counts[i]
        if np.all((acc == 0) | (acc >= k)):
            blocks.append(cur)
            cur, acc = [], np.zeros(counts.shape[1])
    if cur:
        blocks.append(cur)

        def ok(b: list[int]) -> bool:
            tot = counts[b].sum(axis=0)
            return bool(np.all((tot == 0) | (tot >= k)))

        # the incomplete last block merges backwards until it satisfies the rule
        while len(blocks) > 1 and not ok(blocks[-1]):
            last = blocks.pop()
            blocks[-1].extend(last)
    return blocks


def suppress_score_counts(table: Mapping[str, Sequence], min_cell: int) -> dict[str, list]:
    """Merge adjacent score levels until every non-zero count is >= ``min_cell``.

    A merged block is labelled by its lowest level (see the module docstring
    for what stays exact).  Returns a new table with ``merged`` (the levels of
    each block).
    """
    k = int(min_cell)
    lv = list(table["levels"])
    counts = np.column_stack([table["n_pos"], table["n_neg"]]).astype(float)
    blocks = _blocks(counts, k)
    return {
        "levels": [int(lv[b[0]]) for b in blocks],
        "n_pos": [int(counts[b, 0].sum()) for b in blocks],
        "n_neg": [int(counts[b, 1].sum()) for b in blocks],
        "merged": [[int(lv[i]) for i in b] for b in blocks],
    }


def pool_score_counts(tables: Sequence[Mapping[str, Sequence]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sum per-site count tables over the union of levels: ``(levels, n_pos, n_neg)``."""
    if not tables:
        raise DataError("no site summaries to pool.")
    lv = np.unique(np.concatenate([np.asarray(t["levels"], dtype=float) for t in tables]))
    pos = np.zeros(lv.size)
    neg = np.zeros(lv.size)
    for t in tables:
        idx = np.searchsorted(lv, np.asarray(t["levels"], dtype=float))
        np.add.at(pos, idx, np.asarray(t["n_pos"], dtype=float))
        np.add.at(neg, idx, np.asarray(t["n_neg"], dtype=float))
    return lv, pos, neg


def two_by_two(levels: Sequence[float], n_pos: Sequence[float], n_neg: Sequence[float], cutoff: float) -> dict[str, int]:
    """TP, FP, TN, FN at "positive when score >= cutoff" from counts per level."""
    lv = np.asarray(levels, dtype=float)
    p = np.asarray(n_pos, dtype=float)
    q = np.asarray(n_neg, dtype=float)
    hi = lv >= cutoff
    return {"tp": int(p[hi].sum()), "fn": int(p[~hi].sum()), "fp": int(q[hi].sum()), "tn": int(q[~hi].sum())}


# --------------------------------------------------------------------------- survival
def risk_set_table(time: Sequence[float], event: Sequence[bool]) -> dict[str, list]:
    """Risk-set table at the distinct times: ``time, n_at_risk, n_event, n_censored``.

    Right-censored data without delayed entry (``n_at_risk`` = subjects with
    follow-up ``>= time``).
    """
    t = np.asarray(time, dtype=float)
    e = np.asarray(event)
    if t.shape != e.shape:
        raise DataError(f"time and event differ in length ({t.size} and {e.size}).")
    if not np.all(np.isfinite(t)) or np.any(t < 0):
        raise DataError("follow-up times must be finite and >= 0; exclude missing ones first (with a record).")
    e = e.astype(bool)
    ut, inv = np.unique(t, return_inverse=True)
    d = np.bincount(inv, weights=e.astype(float), minlength=ut.size)
    c = np.bincount(inv, weights=(~e).astype(float), minlength=ut.size)
    exits = d + c
    n = t.size - np.concatenate(([0.0], np.cumsum(exits)[:-1]))
    return {"time": ut.tolist(), "n_at_risk": [int(v) for v in n], "n_event": [int(v) for v in d],
            "n_censored": [int(v) for v in c]}


def suppress_risk_set(table: Mapping[str, Sequence], min_cell: int) -> dict[str, list]:
    """Merge adjacent times until every non-zero event/censoring count is >= ``min_cell``.

    Exits are moved to the last time of their block; ``n_at_risk`` is
    recomputed.  This changes the estimates (module docstring).
    """
    k = int(min_cell)
    tm = list(table["time"])
    counts = np.column_stack([table["n_event"], table["n_censored"]]).astype(float)
    blocks = _blocks(counts, k)
    total = int(table["n_at_risk"][0]) if len(table["n_at_risk"]) else 0
    d = [int(counts[b, 0].sum()) for b in blocks]
    c = [int(counts[b, 1].sum()) for b in blocks]
    exits = np.array(d) + np.array(c)
    n = total - np.concatenate(([0], np.cumsum(exits)[:-1]))
    return {"time": [float(tm[b[-1]]) for b in blocks], "n_at_risk": [int(v) for v in n], "n_event": d,
            "n_censored": c}


def pool_risk_sets(tables: Sequence[Mapping[str, Sequence]]) -> dict[str, np.ndarray]:
    """Pool risk-set tables: union of times, summed events, at-risk from every site's exits."""
    if not tables:
        raise DataError("no risk-set tables to pool.")
    ut = np.unique(np.concatenate([np.asarray(t["time"], dtype=float) for t in tables]))
    d = np.zeros(ut.size)
    c = np.zeros(ut.size)
    n = np.zeros(ut.size)
    for t in tables:
        tt = np.asarray(t["time"], dtype=float)
        if tt.size == 0:
            continue
        idx = np.searchsorted(ut, tt)
        np.add.at(d, idx, np.asarray(t["n_event"], dtype=float))
        np.add.at(c, idx, np.asarray(t["n_censored"], dtype=float))
        total = float(t["n_at_risk"][0])
        exits = np.asarray(t["n_event"], dtype=float) + np.asarray(t["n_censored"], dtype=float)
        # site at-risk at pooled time u: total minus exits at site times < u
        cum = np.concatenate(([0.0], np.cumsum(exits)))
        before = np.searchsorted(tt, ut, side="left")
        n += total - cum[before]
    return {"time": ut, "n_at_risk": n, "n_event": d, "n_censored": c}


def km_from_risk_set(table: Mapping[str, Sequence], *, group: Any = None, conf_type: str = "log",
                     conf_level: float = 0.95) -> KMCurve:
    """Kaplan-Meier curve (with Greenwood SE and CI) from a risk-set table.

    Same formulas as :func:`spinestats.analysis.survival.kaplan_meier.km_curve`; the
    CI is its ``km_confint``.
    """
    ut = np.asarray(table["time"], dtype=float)
    n = np.asarray(table["n_at_risk"], dtype=float)
    d = np.asarray(table["n_event"], dtype=float)
    c = np.asarray(table["n_censored"], dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(np.where(n > 0, 1 - d / np.where(n > 0, n, 1), 1.0))
        green = np.where(d > 0, d / (n * (n - d)), 0.0)
    se = np.sqrt(np.cumsum(green))
    lo, hi = km_confint(surv, se, conf_type, conf_level)
    return KMCurve(group=group, time=ut, n_at_risk=n.astype(int), n_event=d.astype(int), n_censored=c.astype(int),
                   survival=surv, std_err=se, lower=lo, upper=hi, conf_type=conf_type, conf_level=float(conf_level))


@dataclasses.dataclass(frozen=True)
class FederatedLogRankResult(Result):
    """Log-rank test from pooled per-group risk-set tables."""

    chisq: float
    df: int
    p: float
    groups: tuple
    observed: tuple[float, ...]
    expected: tuple[float, ...]


#: the former name, kept as an alias
FederatedLogRank = FederatedLogRankResult


def logrank_from_risk_sets(groups: Mapping[Any, Mapping[str, Sequence]]) -> FederatedLogRankResult:
    """Log-rank test (``survdiff``, rho = 0) from one risk-set table per group.

    Parameters
    ----------
    groups : ``{group: {"time", "n_at_risk", "n_event", ...}}`` (pooled over
        sites with :func:`pool_risk_sets`, one call per group).
    """
    labels = sorted(groups, key=str)
    if len(labels) < 2:
        raise DataError(f"a log-rank test needs at least two groups; got {len(labels)}.")
    ut = np.unique(np.concatenate([np.asarray(groups[g]["time"], dtype=float) for g in labels]))
    G = len(labels)
    nrisk = np.zeros((ut.size, G))
    dg = np.zeros((ut.size, G))
    for j, g in enumerate(labels):
        tab = groups[g]
        tt = np.asarray(tab["time"], dtype=float)
        if tt.size == 0:
            continue
        dg[np.searchsorted(ut, tt), j] = np.asarray(tab["n_event"], dtype=float)
        exits = np.asarray(tab["n_event"], dtype=float) + np.asarray(tab["n_censored"], dtype=float)
        cum = np.concatenate(([0.0], np.cumsum(exits)))
        nrisk[:, j] = float(tab["n_at_risk"][0]) - cum[np.searchsorted(tt, ut, side="left")]
    n = nrisk.sum(axis=1)
    d = dg.sum(axis=1)
    ev = d > 0
    nrisk, dg, n, d = nrisk[ev], dg[ev], n[ev], d[ev]
    e = d[:, None] * nrisk / n[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(n > 1, d * (n - d) / (n - 1), 0.0)
    p = nrisk / n[:, None]
    V = np.diag(np.einsum("t,tg->g", f, p)) - np.einsum("t,tg,th->gh", f, p, p)
    O = dg.sum(axis=0)
    E = e.sum(axis=0)
    chisq, df = quadratic_chisq(O - E, V)
    pval = float(stats.chi2.sf(chisq, df)) if df > 0 else float("nan")
    return FederatedLogRankResult(chisq=chisq, df=df, p=pval, groups=tuple(labels), observed=tuple(O.tolist()),
                            expected=tuple(E.tolist()))


def risk_set_frame(table: Mapping[str, Sequence]) -> pd.DataFrame:
    """A risk-set table as a DataFrame (for reports)."""
    return pd.DataFrame({k: list(table[k]) for k in ("time", "n_at_risk", "n_event", "n_censored")})

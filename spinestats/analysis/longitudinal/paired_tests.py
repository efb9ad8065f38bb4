"""Paired comparisons of each follow-up visit with baseline.

For every follow-up visit, the patients with a value at both baseline and
that visit form the pairs; :math:`d_i = y_{i,\\text{visit}} - y_{i,\\text{baseline}}`
(negative = less pain).

* Mean difference :math:`\\bar d` with the t interval
  :math:`\\bar d \\pm t_{n-1, 1-\\alpha/2}\\, s_d/\\sqrt n` and the paired t test
  :math:`t = \\bar d / (s_d / \\sqrt n)`, as R ``t.test(post, pre, paired = TRUE)``.
* Wilcoxon signed-rank test, as R ``wilcox.test(post, pre, paired = TRUE)``:
  zero differences are dropped; the statistic is
  :math:`V = W^+ = \\sum_{d_i > 0} \\operatorname{rank}(|d_i|)` (R's ``V``; SciPy
  reports :math:`\\min(W^+, W^-)` instead); the p value is exact
  (signed-rank distribution) when fewer than 50 non-zero pairs remain and
  there are neither ties nor zeros, otherwise the normal approximation with
  tie-corrected variance
  :math:`n(n+1)(2n+1)/24 - \\sum (t^3 - t)/48` and continuity correction 0.5.
* Effect sizes: Cohen's :math:`d_z = \\bar d / s_d`; matched-pairs
  rank-biserial correlation :math:`r = (W^+ - W^-) / (W^+ + W^-)` (Kerby 2014).
* Holm's step-down adjustment across the follow-up visits (within each arm),
  for the t test (``p_holm``) and the Wilcoxon test (``wilcoxon_p_holm``).

References
----------
Wilcoxon F. Individual comparisons by ranking methods. Biometrics Bull
1945;1:80-83. doi:10.2307/3001968
Kerby DS. The simple difference formula: an approach to teaching
nonparametric correlation. Compr Psychol 2014;3. doi:10.2466/11.IT.3.1
Holm S. A simple sequentially rejective multiple test procedure. Scand J
Stat 1979;6:65-70. doi:10.2307/4615733
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import pandas as pd
from spinestats.analysis.core import distributions as stats

from spinestats.analysis.core.multiplicity import holm  # noqa: F401  (re-exported; one home for Holm)
from spinestats.analysis.core.result import Result


@dataclasses.dataclass(frozen=True)
class PairedTest(Result):
    """One paired comparison (``visit`` vs baseline)."""

    visit: str
    n: int
    mean_diff: float
    ci: tuple[float, float]
    sd_diff: float
    t: float
    df: float
    p: float
    wilcoxon_statistic: float
    wilcoxon_n: int
    wilcoxon_exact: bool
    wilcoxon_p: float
    cohen_dz: float
    rank_biserial: float


@dataclasses.dataclass(frozen=True)
class PairedComparisonsResult(Result):
    """Paired tests per visit (and arm); ``table`` holds one row per test.

    ``wilcoxon_statistic`` is R's V (= W+, sum of ranks of positive
    differences).  ``p_holm`` / ``wilcoxon_p_holm`` are Holm-adjusted across
    the visits of the same arm.
    """

    table: pd.DataFrame
    conf_level: float
    warnings: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def to_dict(self) -> dict:
        d = super().to_dict()
        return {"rows": d["table"], "conf_level": d["conf_level"], "warnings": d["warnings"]}


#: the former name, kept as an alias
PairedComparisons = PairedComparisonsResult


def signrank_cdf(v: int, n: int) -> float:
    """P(V <= v) under H0 for the signed-rank statistic with ``n`` pairs (R ``psignrank``)."""
    top = n * (n + 1) // 2
    counts = np.zeros(top + 1)
    counts[0] = 1.0
    for k in range(1, n + 1):  # subsets of {1..k}: add k to every subset of {1..k-1}
        counts[k:] = counts[k:] + counts[:-k].copy()
    if v < 0:
        return 0.0
    return float(counts[: min(v, top) + 1].sum() / 2.0**n)


def wilcoxon_signed_rank(d: np.ndarray, *, correct: bool = True) -> tuple[float, float, int, bool]:
    """R's ``wilcox.test(d)`` (two-sided, ``mu = 0``) on paired differences.

    Returns ``(V, p, n_nonzero, exact)``.
    """
    d = np.asarray(d, dtype=float)
    zeros = bool(np.any(d == 0))
    d = d[d != 0]
    n = d.size
    if n == 0:
        return 0.0, np.nan, 0, False
    r = stats.rankdata(np.abs(d))  # average ranks for ties, as R rank()
    v = float(r[d > 0].sum())
    ties = np.unique(r).size != r.size
    if n < 50 and not ties and not zeros:
        if v > n * (n + 1) / 4:
            p = 1.0 - signrank_cdf(int(round(v)) - 1, n)
        else:
            p = signrank_cdf(int(round(v)), n)
        return v, min(2.0 * p, 1.0), n, True
    _, tie_counts = np.unique(r, return_counts=True)
    z = v - n * (n + 1) / 4
    sigma = np.sqrt(n * (n + 1) * (2 * n + 1) / 24 - np.sum(tie_counts**3 - tie_counts) / 48)
    corr = np.sign(z) * 0.5 if correct else 0.0
    with np.errstate(invalid="ignore", divide="ignore"):
        zz = (z - corr) / sigma
    p = 2.0 * min(stats.norm.cdf(zz), stats.norm.sf(zz)) if sigma > 0 else np.nan
    return v, float(p), n, False


def paired_test(post: np.ndarray, pre: np.ndarray, *, visit: str = "", conf_level: float = 0.95) -> PairedTest:
    """Paired t, Wilcoxon and effect sizes for complete pairs ``(post, pre)``."""
    d = np.asarray(post, dtype=float) - np.asarray(pre, dtype=float)
    n = d.size
    mean = float(d.mean()) if n else np.nan
    sd = float(d.std(ddof=1)) if n > 1 else np.nan
    df = float(n - 1)
    if n > 1:
        se = sd / np.sqrt(n)
        q = stats.t.ppf(0.5 + conf_level / 2, df)
        ci = (mean - q * se, mean + q * se)
        with np.errstate(divide="ignore", invalid="ignore"):
            t = mean / se if se > 0 else np.nan
        p = float(2 * stats.t.sf(abs(t), df)) if np.isfinite(t) else np.nan
    else:
        ci, t, p = (np.nan, np.nan), np.nan, np.nan
    v, wp, nw, exact = wilcoxon_signed_rank(d)
    total = nw * (nw + 1) / 2
    rb = (2 * v - total) / total if total > 0 else np.nan
    dz = mean / sd if n > 1 and sd > 0 else np.nan
    return PairedTest(visit=visit, n=n, mean_diff=mean, ci=(float(ci[0]), float(ci[1])), sd_diff=sd, t=float(t),
                      df=df, p=p, wilcoxon_statistic=v, wilcoxon_n=nw, wilcoxon_exact=exact, wilcoxon_p=wp,
                      cohen_dz=dz, rank_biserial=float(rb))


def paired_vs_baseline(
    data: pd.DataFrame,
    *,
    value: str,
    visit: str,
    subject: str,
    visits: Sequence[str],
    baseline: str = "baseline",
    arm: str | None = None,
    conf_level: float = 0.95,
) -> PairedComparisonsResult:
    """Compare every follow-up visit with ``baseline`` in paired tests.

    Parameters
    ----------
    data : long table (one row per subject and visit).
    value, visit, subject, arm : column names (``arm`` optional: tests per arm).
    visits : visit order; every visit after ``baseline`` with at least one
        complete pair is tested (visits with fewer than 2 pairs are reported
        with NaN statistics and a warning).

    Returns
    -------
    PairedComparisons, ``table`` columns: (``arm``,) ``visit``, ``n``,
    ``mean_diff``, ``ci_low``, ``ci_high``, ``sd_diff``, ``t``, ``df``, ``p``,
    ``p_holm``, ``wilcoxon_statistic``, ``wilcoxon_n``, ``wilcoxon_exact``,
    ``wilcoxon_p``, ``wilcoxon_p_holm``, ``cohen_dz``, ``rank_biserial``.
    """
    groups = [(None, data)] if arm is None else list(data.groupby(arm, sort=True, observed=True))
    rows, warnings = [], []
    for arm_value, part in groups:
        wide = part.pivot(index=subject, columns=visit, values=value)
        if baseline not in wide:
            continue
        block = []
        for v in visits:
            if v == baseline or v not in wide:
                continue
            pair = wide[[baseline, v]].astype(float).dropna()
            if pair.empty:
                continue
            res = paired_test(pair[v].to_numpy(), pair[baseline].to_numpy(), visit=v, conf_level=conf_level)
            if res.n < 2:
                where = v if arm is None else f"{arm_value}, {v}"
                warnings.append(f"paired tests ({where}): only {res.n} complete pair; no test.")
            row = {} if arm is None else {"arm": arm_value}
            row.update(res.to_dict())
            lo, hi = row.pop("ci")
            row["ci_low"], row["ci_high"] = lo, hi
            block.append(row)
        if block:
            frame = pd.DataFrame(block)
            frame["p_holm"] = holm(frame["p"].astype(float))
            frame["wilcoxon_p_holm"] = holm(frame["wilcoxon_p"].astype(float))
            rows.append(frame)
    table = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    return PairedComparisonsResult(table=table, conf_level=conf_level, warnings=tuple(warnings))

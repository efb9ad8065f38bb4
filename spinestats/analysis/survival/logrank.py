"""Log-rank and weighted (Fleming-Harrington) tests, as R ``survdiff``.

At each distinct event time :math:`t` (within a stratum) with :math:`n`
at risk, :math:`d` events, and :math:`n_g, d_g` in group :math:`g`, weight
:math:`w(t) = \\hat S(t-)^{\\rho} (1-\\hat S(t-))^{\\gamma}` (pooled
left-continuous Kaplan-Meier of the stratum):

.. math::

    O_g - E_g = \\sum_t w\\,(d_g - d\\,n_g/n),\\qquad
    V_{gh} = \\sum_t w^2\\, \\frac{d (n-d)}{n-1}\\,
        \\frac{n_g}{n}\\Big(\\delta_{gh} - \\frac{n_h}{n}\\Big),

summed over strata; :math:`\\chi^2 = (O-E)^\\top V^{-} (O-E)` on
:math:`G-1` df (first :math:`G-1` groups).  ``rho = 0, gamma = 0`` is the
log-rank test and ``rho = 1`` the Peto-Peto modification of Gehan-Wilcoxon,
as ``survdiff(..., rho=)``; ``gamma`` extends ``survdiff`` to the full
Fleming-Harrington family (with ``gamma = 0`` the result is ``survdiff``'s).

Trend test for ordered groups with scores :math:`s` (default 1, 2, ...):
:math:`\\chi^2_1 = \\{s^\\top (O-E)\\}^2 / s^\\top V s`.

Pairwise comparisons repeat the test on each pair of groups (within strata)
with Holm's step-down adjustment, as ``survminer::pairwise_survdiff``.

References
----------
Harrington DP, Fleming TR (1982). Biometrika 69:553-566. doi:10.1093/biomet/69.3.553
Holm S (1979). Scand J Stat 6:65-70.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence

import numpy as np
import pandas as pd
from spinestats.analysis.core import distributions as stats

from spinestats.analysis.core.multiplicity import holm  # noqa: F401  (re-exported; one home for Holm)
from spinestats.analysis.core.result import Result
from spinestats.analysis.core.surv_input import as_frame, event_data, group_codes, time_group_counts
from spinestats.errors import DataError


@dataclasses.dataclass(frozen=True)
class LogRankResult(Result):
    """A (weighted) log-rank test: ``chisq``, ``df``, ``p``; per-group ``observed``/``expected``.

    ``trend`` holds the trend test (``chisq``, ``p``, ``scores``) when asked;
    ``pairwise`` a table of pairwise tests with Holm-adjusted ``p_holm``.
    """

    chisq: float
    df: int
    p: float
    groups: tuple
    n: tuple[int, ...]
    observed: tuple[float, ...]
    expected: tuple[float, ...]
    variance: np.ndarray
    rho: float
    gamma: float
    stratified: bool
    trend: dict | None
    pairwise: pd.DataFrame | None
    warnings: tuple[str, ...]

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"group": self.groups, "n": self.n, "observed": self.observed, "expected": self.expected})


#: the former name, kept as an alias
LogRank = LogRankResult


def _one_stratum(time, event, gidx, ng, rho, gamma):
    """(O - E), V, O, E for one stratum (vectorised over event times)."""
    _, exits, events = time_group_counts(time, event, gidx, ng)
    counts, dg = exits.astype(float), events.astype(float)
    ng_risk = np.cumsum(counts[::-1], axis=0)[::-1]
    n = ng_risk.sum(axis=1)
    d = dg.sum(axis=1)
    ev = d > 0
    ng_risk, dg, n, d = ng_risk[ev], dg[ev], n[ev], d[ev]
    if rho != 0 or gamma != 0:
        s_after = np.cumprod(1 - d / n)
        s_left = np.concatenate(([1.0], s_after[:-1]))
        w = s_left**rho * (1 - s_left) ** gamma
    else:
        w = np.ones_like(d)
    e = d[:, None] * ng_risk / n[:, None]
    o_w = (w[:, None] * dg).sum(axis=0)
    e_w = (w[:, None] * e).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(n > 1, w**2 * d * (n - d) / (n - 1), 0.0)
    p = ng_risk / n[:, None]
    V = np.diag(np.einsum("t,tg->g", f, p)) - np.einsum("t,tg,th->gh", f, p, p)
    return o_w - e_w, V, o_w, e_w


def _test(time, event, gidx, sidx, ng, rho, gamma):
    oe = np.zeros(ng)
    V = np.zeros((ng, ng))
    O = np.zeros(ng)
    E = np.zeros(ng)
    # the codes present (sidx: codes >= 0, or None for one stratum), without a sort
    strata = np.zeros(1, np.intp) if sidx is None else np.flatnonzero(np.bincount(sidx))
    for s in strata:
        m = sidx == s if strata.size > 1 else slice(None)
        a, b, c, dd = _one_stratum(time[m], event[m], gidx[m], ng, rho, gamma)
        oe += a
        V += b
        O += c
        E += dd
    return oe, V, O, E


def quadratic_chisq(oe: np.ndarray, V: np.ndarray) -> tuple[float, int]:
    """(O-E)' V^- (O-E) over the first G-1 groups (generalised inverse, as survdiff)."""
    k = oe.size - 1
    if k < 1:
        return float("nan"), 0
    Vs, u = V[:k, :k], oe[:k]
    inv = np.linalg.pinv(Vs, hermitian=True)
    df = int(np.linalg.matrix_rank(Vs, hermitian=True))
    return float(u @ inv @ u), df


def logrank_test(
    data: pd.DataFrame,
    *,
    time: str,
    event: str,
    group: str,
    strata: str | None = None,
    rho: float = 0.0,
    gamma: float = 0.0,
    trend: bool = False,
    scores: Sequence[float] | None = None,
    pairwise: bool = False,
    censor: int = 0,
    cause: int | None = None,
) -> LogRankResult:
    """Compare survival between groups, as ``survdiff(Surv(time, event) ~ group + strata(s), rho=)``.

    Parameters
    ----------
    data : one row per subject.
    time, event : follow-up time and event columns (``cause``: only that
        code is an event; default any code other than ``censor``).
    group : grouping column (groups in sorted order; for ``trend`` this order is the ordering).
    strata : optional stratification column.
    rho, gamma : Fleming-Harrington weight :math:`S(t-)^\\rho (1-S(t-))^\\gamma`.
    trend : add the trend test for ordered groups (``scores`` default 1..G).
    pairwise : add pairwise tests with Holm-adjusted p-values.

    Returns
    -------
    LogRank
    """
    ed = event_data(data, time=time, event=event, group=group, censor=censor, extra=(strata,) if strata else ())
    data = as_frame(data)  # an EventData passed in: its source table
    ev = ed.event if cause is None else ed.status == cause
    levels, gidx = group_codes(ed.group, ed.levels)
    ng = len(levels)
    if ng < 2:
        raise DataError(f"a log-rank test needs at least two groups in '{group}', found {ng}.")
    if strata:
        sv = data[strata].to_numpy()[ed.positions]
        _, sidx = group_codes(sv)
    else:
        sidx = None
    warnings = list(ed.warnings)
    oe, V, O, E = _test(ed.time, ev, gidx, sidx, ng, rho, gamma)
    chisq, df = quadratic_chisq(oe, V)
    p = float(stats.chi2.sf(chisq, df)) if df > 0 else float("nan")
    if not ev.any():
        warnings.append("no events: the log-rank test is undefined.")
    trend_res = None
    if trend:
        s = np.arange(1, ng + 1, dtype=float) if scores is None else np.asarray(scores, dtype=float)
        if s.size != ng:
            raise DataError(f"trend scores: expected {ng} scores (one per group {levels}), got {s.size}.")
        u = float(s @ oe)
        v = float(s @ V @ s)
        x = u * u / v if v > 0 else float("nan")
        trend_res = {"chisq": x, "df": 1, "p": float(stats.chi2.sf(x, 1)), "scores": s.tolist()}
    pw = None
    if pairwise:
        rows = []
        for a, b in itertools.combinations(range(ng), 2):
            m = (gidx == a) | (gidx == b)
            g2 = np.where(gidx[m] == a, 0, 1)
            o2, V2, _, _ = _test(ed.time[m], ev[m], g2, None if sidx is None else sidx[m], 2, rho, gamma)
            x, d2 = quadratic_chisq(o2, V2)
            rows.append({"group1": levels[a], "group2": levels[b], "chisq": x,
                         "p": float(stats.chi2.sf(x, d2)) if d2 > 0 else float("nan")})
        pw = pd.DataFrame(rows)
        pw["p_holm"] = holm(pw["p"].to_numpy())
    return LogRankResult(
        chisq=chisq,
        df=df,
        p=p,
        groups=tuple(levels),
        n=tuple(int(k) for k in np.bincount(gidx, minlength=ng)),
        observed=tuple(O.tolist()),
        expected=tuple(E.tolist()),
        variance=V,
        rho=float(rho),
        gamma=float(gamma),
        stratified=strata is not None,
        trend=trend_res,
        pairwise=pw,
        warnings=tuple(warnings),
    )

"""Gray's K-sample test for equal cumulative incidence, as cmprsk ``cuminc(...)$Tests``.

For cause :math:`k` and groups :math:`g = 1..G`, the score compares each
group's subdistribution hazard with the pooled one, weighted by
:math:`(1-\\hat F(t-))^{\\rho}`:

.. math::

    s_g = \\sum_t (1-\\hat F^0(t-))^{\\rho}
          \\Big(d_{g}(t) - d(t)\\, \\frac{R_g(t)}{\\sum_r R_r(t)}\\Big),
    \\quad R_g(t) = n_g(t)\\,\\frac{1-\\hat F_g(t-)}{\\hat S_g(t-)} ,

and :math:`T = s^\\top V^{-1} s \\sim \\chi^2_{G-1}` over the first
:math:`G-1` groups, with Gray's variance estimator :math:`V`.  Strata add
their scores and variances.  This module is a vectorised transcription of
``crstm``/``crst`` in cmprsk 2.2 (Gray 2000, GPL), so the statistic equals
R's to rounding.

References
----------
Gray RJ (1988). A class of K-sample tests for comparing the cumulative
incidence of a competing risk. Ann Stat 16:1141-1154. doi:10.1214/aos/1176350951

See Also
--------
spinestats.analysis.competing_risks.cuminc.cumulative_incidence
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd
from spinestats.analysis.core import distributions as stats

from spinestats.analysis.core.result import Result
from spinestats.analysis.core.surv_input import as_frame, event_data, group_codes


@dataclasses.dataclass(frozen=True)
class GrayTestResult(Result):
    """Gray's test, one row per cause.

    ``statistic``, ``p`` and ``df`` are tuples aligned with ``causes``;
    ``statistic`` is NaN (R: ``-1``) when the variance matrix is singular.
    """

    causes: tuple[int, ...]
    statistic: tuple[float, ...]
    p: tuple[float, ...]
    df: int
    rho: float
    groups: tuple
    cause: int
    warnings: tuple[str, ...]

    def for_cause(self, cause: int | None = None) -> dict[str, Any]:
        """``{"statistic", "p", "df"}`` of one cause (default: the cause of interest)."""
        i = self.causes.index(self.cause if cause is None else cause)
        return {"statistic": self.statistic[i], "p": self.p[i], "df": self.df}

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"cause": self.causes, "statistic": self.statistic, "p": self.p, "df": self.df})


#: the former name, kept as an alias
GrayTest = GrayTestResult


def _crst(y: np.ndarray, m: np.ndarray, ig: np.ndarray, ng: int, rho: float):
    """Score (length ng-1) and variance (ng-1 x ng-1) of one stratum; data sorted by y."""
    ut, inv = np.unique(y, return_inverse=True)
    T = ut.size
    d = np.zeros((3, T, ng))
    np.add.at(d, (m, inv, ig), 1.0)
    n_g = d.sum(axis=(0, 1))
    leaving = d.sum(axis=0)  # (T, ng) subjects whose time is ut[t]
    rs_all = n_g[None, :] - np.vstack([np.zeros((1, ng)), np.cumsum(leaving, axis=0)[:-1]])
    d1, d2 = d[1], d[2]
    nd1, nd2 = d1.sum(axis=1), d2.sum(axis=1)
    ev = (nd1 > 0) | (nd2 > 0)
    rs, d1, d2, nd1, nd2 = rs_all[ev], d1[ev], d2[ev], nd1[ev], nd2[ev]
    has = rs > 0
    rs_safe = np.where(has, rs, 1.0)
    td = d1 + d2
    factor = np.where(has, (rs - td) / rs_safe, 1.0)
    skm = np.cumprod(factor, axis=0)
    skmm = np.vstack([np.ones((1, ng)), skm[:-1]])
    inc1 = np.where(has, skmm * d1 / rs_safe, 0.0)
    f1 = np.cumsum(inc1, axis=0)
    f1m = f1 - inc1
    with np.errstate(divide="ignore", invalid="ignore"):
        t1 = np.where(has, rs / np.where(has, skmm, 1.0), 0.0)  # rs/skmm, zero for empty groups
    tr = t1.sum(axis=1)
    tq = (t1 * (1 - f1m)).sum(axis=1)
    f = np.cumsum(nd1 / tr)
    fm = f - nd1 / tr
    fb = (1 - fm) ** rho
    # a(i,j) = fb * (diag(t1) - t1 t1' / tr), zero rows/cols where rs = 0
    a = fb[:, None, None] * (t1[:, :, None] * np.eye(ng)[None] - t1[:, :, None] * t1[:, None, :] / tr[:, None, None])
    c = np.cumsum(a * (nd1 / (tr * (1 - fm)))[:, None, None], axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = (fb[:, None] * np.where(has, d1 - nd1[:, None] * rs * (1 - f1m) / (skmm * tq[:, None]), 0.0)).sum(axis=0)
    # variance, events of the cause of interest
    with np.errstate(divide="ignore", invalid="ignore"):
        t4 = np.where(skm > 0, 1 - (1 - f)[:, None] / np.where(skm > 0, skm, 1), 1.0)
        t5 = np.where(nd1[:, None] > 1, 1 - (nd1[:, None] - 1) / (tr[:, None] * skmm - 1), 1.0)
        t3 = np.where(has & (nd1[:, None] > 0), t5 * skmm * nd1[:, None] / (tr[:, None] * rs_safe), 0.0)
    v3 = (t4 * t4 * t3).sum(axis=0)
    b = a - t4[:, None, :] * c  # (T, i, k)
    v2 = np.einsum("tik,tk,tk->ik", b, t4, t3)
    v = np.einsum("tik,tjk,tk->ij", b, b, t3)
    # variance, competing events
    with np.errstate(divide="ignore", invalid="ignore"):
        ok2 = (skm > 0) & (d2 > 0)
        t4c = np.where(ok2, (1 - f)[:, None] / np.where(skm > 0, skm, 1), 0.0)
        t5c = np.where(d2 > 1, 1 - (d2 - 1) / np.where(rs > 1, rs - 1, 1), 1.0)
        t3c = np.where(ok2, t5c * skmm**2 * d2 / rs_safe**2, 0.0)
    v3 = v3 + (t4c * t4c * t3c).sum(axis=0)
    v2 = v2 - np.einsum("tik,tk,tk->ik", c, t4c**2, t3c)
    v = v + np.einsum("tik,tjk,tk->ij", c, c, t4c**2 * t3c)
    cf = c[-1] if c.shape[0] else np.zeros((ng, ng))
    v = v + (cf * v3[None, :]) @ cf.T + cf @ v2.T + v2 @ cf.T
    return s[: ng - 1], v[: ng - 1, : ng - 1]


def gray_test(
    data: pd.DataFrame,
    *,
    time: str,
    event: str,
    group: str,
    cause: int = 1,
    censor: int = 0,
    strata: str | None = None,
    rho: float = 0.0,
    causes=None,
) -> GrayTestResult:
    """Gray's test of equal cumulative incidence across ``group``, for every cause.

    Parameters
    ----------
    data : one row per subject.
    time, event : follow-up time and event-code columns (``censor`` = censored).
    group : the grouping column (at least two groups).
    cause : the cause of interest (see :meth:`GrayTest.for_cause`).
    strata : optional stratification column (scores and variances add up).
    rho : power of the weight :math:`(1-F(t-))^\\rho`; 0 as cmprsk's default.

    Examples
    --------
    R: ``cmprsk::cuminc(ftime, fstatus, group, rho = 0)$Tests``.
    """
    ed = event_data(data, time=time, event=event, group=group, censor=censor, causes=causes,
                    extra=(strata,) if strata else ())
    data = as_frame(data)  # an EventData passed in: its source table
    order = np.argsort(ed.time, kind="mergesort")
    y, st, g = ed.time[order], ed.status[order], ed.group[order]
    levels, ig = group_codes(g, ed.levels)
    ng = len(levels)
    if ng < 2:
        from spinestats.errors import DataError

        raise DataError(f"Gray's test needs at least two groups in '{group}', found {ng}.")
    if strata is not None:
        sv = data[strata].to_numpy()[ed.positions][order]
        slev, _ = group_codes(sv)
    else:
        sv, slev = None, [None]
    seen = sorted(set(st[st != censor].tolist()) | {cause})
    stat, pv = [], []
    warnings = list(ed.warnings)
    for k in seen:
        m = np.where(st == censor, 0, np.where(st == k, 1, 2))
        s = np.zeros(ng - 1)
        v = np.zeros((ng - 1, ng - 1))
        for sl in slev:
            sel = np.ones(y.size, bool) if sl is None else (sv == sl)
            ss, vv = _crst(y[sel], m[sel], ig[sel], ng, rho)
            s += ss
            v += vv
        if np.linalg.matrix_rank(v) < ng - 1:
            warnings.append(f"cause {k}: the variance matrix is singular; Gray's statistic is undefined.")
            stat.append(float("nan"))
            pv.append(float("nan"))
            continue
        x = float(s @ np.linalg.solve(v, s))
        stat.append(x)
        pv.append(float(stats.chi2.sf(x, ng - 1)))
    return GrayTestResult(
        causes=tuple(int(c) for c in seen),
        statistic=tuple(stat),
        p=tuple(pv),
        df=ng - 1,
        rho=float(rho),
        groups=tuple(levels),
        cause=int(cause),
        warnings=tuple(warnings),
    )

"""Test of proportional hazards on scaled Schoenfeld residuals, as ``cox.zph`` (survival 3.x).

For a fitted Cox model :math:`\\hat\\beta` and a transform of time
:math:`g(t)` (default ``"km"``: :math:`1-\\hat S(t-)`, the left-continuous
pooled Kaplan-Meier, centred at its mean over the events), the test is the
score test of :math:`\\gamma = 0` in the model with extra terms
:math:`x\\,g(t)`, evaluated at :math:`(\\hat\\beta, 0)`:

.. math::

    u = \\Big(0,\\ \\sum_e g(t_e)\\,(x_e - \\bar x_e)\\Big),\\qquad
    T = u^\\top \\mathcal I^{-1} u,\\qquad
    \\mathcal I = \\sum_e \\begin{pmatrix} V_e & g_e V_e \\\\ g_e V_e & g_e^2 V_e \\end{pmatrix},

with :math:`V_e` the risk-set covariance at event row :math:`e` (Efron or
Breslow, as the fit).  One test per covariate (all design columns of a
categorical covariate together, as ``terms = TRUE``) and a global test on
all of them.  This is the 3.x test (Therneau's ``zph1`` C routine), not the
approximate test of survival 2.x.

Scaled Schoenfeld residuals for the plot: :math:`\\hat\\beta + d\\,
\\mathcal I_{\\beta\\beta}^{-1} r_e` per event, with :math:`r_e` the
Schoenfeld residual and :math:`d` the number of events, one column per design
column (``cox.zph(..., terms = FALSE)$y``), against ``x`` = :math:`g(t)`
(uncentred) and ``time``.

References
----------
Grambsch PM, Therneau TM (1994). Proportional hazards tests and diagnostics
based on weighted residuals. Biometrika 81:515-526. doi:10.1093/biomet/81.3.515
"""

from __future__ import annotations

from typing import Any

import dataclasses
from collections.abc import Sequence

import numpy as np
import pandas as pd
from spinestats.analysis.core import distributions as stats

from spinestats.analysis.survival.cox import CoxModelResult, _Cox, cox_ph, prepare
from spinestats.analysis.survival.kaplan_meier import km_curve
from spinestats.analysis.core.result import Result
from spinestats.errors import UsageError


@dataclasses.dataclass(frozen=True)
class CoxZphResult(Result):
    """``cox.zph`` table (``term``, ``chisq``, ``df``, ``p``; last row ``GLOBAL``) and residuals.

    ``residuals`` has one column per design column (scaled Schoenfeld
    residuals, R's ``y``), one row per event, aligned with ``time`` (event
    times) and ``x`` (the transformed times, R's ``x``).
    """

    table: pd.DataFrame
    transform: str
    time: np.ndarray
    x: np.ndarray
    residuals: pd.DataFrame
    warnings: tuple[str, ...]
    var: np.ndarray | None = None  # R's z$var: inverse of the mean information, scales the smooth's band

    def plot(self, *, coef: Any = None, unit: str = "months", term_labels: Any = None) -> Any:
        """beta(t) per term with its smooth, as R ``plot(cox.zph)`` and the survival report; returns the ``Figure``.

        ``coef`` (the Cox coefficients by term) adds their dotted reference lines.
        """
        from spinestats.reports.result_plots import plot_zph  # presentation hook, loaded on use

        return plot_zph(self, coef=coef, unit=unit, term_labels=term_labels)

    def to_frame(self) -> pd.DataFrame:
        return self.table


#: the former name, kept as an alias
CoxZph = CoxZphResult


def cox_zph(
    data: pd.DataFrame,
    *,
    time: str,
    event: str,
    covariates: Sequence[str],
    ties: str = "efron",
    strata: str | None = None,
    censor: int = 0,
    cause: int | None = None,
    transform: str = "km",
    fit: CoxModelResult | None = None,
) -> CoxZphResult:
    """PH test of the Cox model ``covariates`` (refitted here), as ``cox.zph(fit, transform)``.

    Parameters
    ----------
    data, time, event, covariates, ties, strata, censor, cause : as :func:`~spinestats.analysis.survival.cox.cox_ph`.
    transform : ``"km"`` (default, as R), ``"identity"``, ``"rank"`` or ``"log"``.
    fit : the Cox model already fitted to the same rows with the same ``covariates``, ``ties``,
        ``strata`` and ``cause`` (a ``cluster`` or ``robust`` changes only its variance), whose
        coefficients are then used instead of a refit; the model is refitted when it has another
        number of rows, other terms or other ties (a cluster column with missing values drops rows),
        or other notes on its rows (its warnings start with those of the rows read here), so the
        result is the one the refit gives.
    """
    if transform not in ("km", "identity", "rank", "log"):
        raise UsageError(f"transform: expected km, identity, rank or log, got {transform!r}.")
    ed, ev, X, names, pos, s_codes = prepare(data, time=time, event=event, covariates=covariates,
                                             strata=strata, censor=censor, cause=cause)
    if (fit is None or fit.n != ed.time.size or tuple(fit.terms) != tuple(names) or fit.ties != ties
            or tuple(fit.warnings[:len(ed.warnings)]) != tuple(ed.warnings)):
        fit = cox_ph(data, time=time, event=event, covariates=covariates, ties=ties, strata=strata,
                     censor=censor, cause=cause, concordance=False)  # only its coefficients and warnings are used
    X = X - X.mean(axis=0)  # as zph1: centring for stability (the test is unchanged)
    b = fit.coef
    t_all = ed.time
    if transform == "km":
        km = km_curve(t_all, ev)
        k = np.searchsorted(km.time, t_all, side="left")  # number of curve times < t
        tt = 1 - np.concatenate(([1.0], km.survival))[k]
    elif transform == "identity":
        tt = t_all.copy()
    elif transform == "rank":
        tt = stats.rankdata(t_all)
    else:
        tt = np.log(t_all)
    g_all = tt - tt[ev].mean()
    cx = _Cox(t_all, ev, X, s_codes, ties)
    g_sorted = g_all[cx.order]
    _, _, info, den, xbar = cx.fit_terms(b)
    r = np.exp(cx.X @ b)
    ge = g_sorted[cx.ev_idx]  # g at each event row (same within a tied block)
    inv = 1.0 / den

    def weighted_info(wv: np.ndarray) -> np.ndarray:
        """sum_e wv_e V_e with V_e = (S2 - frac S2_D)/den - xbar xbar' (linear time)."""
        c = cx._cum_over_events(wv * inv)
        w = r * c
        ftie = cx._by_block(cx.frac * wv * inv)
        w[cx.ev_idx] -= r[cx.ev_idx] * ftie[cx.block[cx.ev_idx]]
        return (cx.X * w[:, None]).T @ cx.X - (xbar * wv[:, None]).T @ xbar

    I11 = info
    I12 = weighted_info(ge)
    I22 = weighted_info(ge**2)
    p = len(names)
    imat = np.block([[I11, I12], [I12.T, I22]])
    u2 = (ge[:, None] * (cx.X[cx.ev_idx] - xbar)).sum(axis=0)
    u = np.concatenate([np.zeros(p), u2])
    # group design columns by covariate (terms = TRUE)
    groups: list[tuple[str, list[int]]] = []
    for cov in covariates:
        cols = [j for j, n in enumerate(names) if n == cov or (n.startswith(cov) and n not in covariates)]
        cols = [j for j in cols if not any(j in g for _, g in groups)]
        if cols:
            groups.append((cov, cols))
    rows = []
    for term, cols in groups:
        kk = list(range(p)) + [p + j for j in cols]
        sub = imat[np.ix_(kk, kk)]
        x = float(u[kk] @ np.linalg.solve(sub, u[kk]))
        rows.append({"term": term, "chisq": x, "df": len(cols), "p": float(stats.chi2.sf(x, len(cols)))})
    x = float(u @ np.linalg.solve(imat, u))
    rows.append({"term": "GLOBAL", "chisq": x, "df": p, "p": float(stats.chi2.sf(x, p))})
    # scaled Schoenfeld residuals (single-stratum weighting; R divides I by events per stratum)
    mx = cx._by_block(xbar) / np.maximum(cx.d_block, 1)[:, None]
    schoen = cx.X[cx.ev_idx] - mx[cx.block[cx.ev_idx]]
    nev = cx.ev_idx.size
    vmean = I11 / nev
    scaled = np.linalg.solve(vmean, schoen.T).T + b
    warnings = list(fit.warnings)
    if len(np.unique(s_codes)) > 1:
        warnings.append("with strata, the scaled residuals use the pooled information (R weights it per stratum); "
                        "the tests are exact.")
    res = pd.DataFrame(scaled, columns=list(names))  # rows align with ``time`` and ``x``
    return CoxZphResult(
        table=pd.DataFrame(rows),
        transform=transform,
        time=cx.t[cx.ev_idx],
        x=tt[cx.order][cx.ev_idx],
        residuals=res,
        warnings=tuple(warnings),
        var=np.linalg.inv(vmean),
    )


@dataclasses.dataclass(frozen=True)
class ZphSmooth(Result):
    """The smooth of ``plot(cox.zph)`` for one term: beta(t) at ``x`` with a ±2 SE band."""

    term: str
    x: np.ndarray
    fit: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    df: int
    rank_deficient: bool


def _natural_spline_basis(x: np.ndarray, knots: np.ndarray) -> np.ndarray:
    """A basis of the natural cubic splines with ``knots`` (boundary knots first and last), with intercept.

    The truncated-power form of Hastie, Tibshirani & Friedman (ESL, eq. 5.4-5.5):
    1, x, d_k(x) - d_{K-1}(x).  It spans the same space as R's
    ``splines::ns(x, knots = interior, Boundary.knots = range, intercept = TRUE)``,
    so least-squares fits and their pointwise variances are identical.
    """
    k = np.asarray(knots, dtype=float)
    scale = k[-1] - k[0] if k[-1] > k[0] else 1.0
    u = (np.asarray(x, dtype=float) - k[0]) / scale  # centred and scaled: well conditioned
    ku = (k - k[0]) / scale

    def d(j):
        return (np.clip(u - ku[j], 0, None) ** 3 - np.clip(u - ku[-1], 0, None) ** 3) / (ku[-1] - ku[j])

    cols = [np.ones_like(u), u] + [d(j) - d(len(ku) - 2) for j in range(len(ku) - 2)]
    return np.column_stack(cols)


def zph_smooth(zph: CoxZph, term: str, *, df: int = 4, n_points: int = 40) -> ZphSmooth:
    """The spline smooth of beta(t) that ``plot(cox.zph)`` draws, with its ±2 SE band.

    As survival's ``plot.cox.zph(x, df = 4, nsmo = 40)``: a natural cubic
    spline with ``df`` columns (intercept included; interior knots at the
    quantiles of the plotting grid and the transformed event times together)
    is fitted by least squares to the scaled Schoenfeld residuals against the
    transformed time; the band is ``2 sqrt(var[i, i] * diag(P (X'X)^-1 P'))``
    with ``var`` the inverse mean information (R's ``z$var``).  Evaluated at
    ``n_points`` equally spaced transformed times.
    """
    if term not in zph.residuals.columns:
        raise UsageError(f"term {term!r} is not in the cox.zph result; expected one of {list(zph.residuals.columns)}.")
    if zph.var is None:
        raise UsageError("this cox.zph result carries no variance matrix; refit it with cox_zph().")
    xx = np.asarray(zph.x, dtype=float)
    y = zph.residuals[term].to_numpy(dtype=float)
    grid = np.linspace(xx.min(), xx.max(), n_points)
    both = np.concatenate([grid, xx])
    n_inner = df - 2  # ns(df = df, intercept = TRUE): df - 1 - intercept interior knots
    inner = np.quantile(both, np.linspace(0, 1, n_inner + 2)[1:-1]) if n_inner > 0 else np.zeros(0)
    knots = np.concatenate([[both.min()], inner, [both.max()]])
    X = _natural_spline_basis(xx, knots)
    P = _natural_spline_basis(grid, knots)
    rank = int(np.linalg.matrix_rank(X))
    coef, *_ = np.linalg.lstsq(X, y, rcond=None)
    fit = P @ coef
    xtx_inv = np.linalg.pinv(X.T @ X)
    seval = np.einsum("ij,jk,ik->i", P, xtx_inv, P)
    i = list(zph.residuals.columns).index(term)
    half = 2.0 * np.sqrt(np.clip(zph.var[i, i] * seval, 0, None))
    return ZphSmooth(term=term, x=grid, fit=fit, lower=fit - half, upper=fit + half, df=df, rank_deficient=rank < df)

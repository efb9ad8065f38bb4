"""Fine-Gray subdistribution-hazard regression, equal to cmprsk ``crr``.

Model: the subdistribution hazard of cause 1 is
:math:`\\lambda_1(t \\mid x) = \\lambda_{10}(t) \\exp(x^\\top\\beta)`, so the
cumulative incidence is :math:`F_1(t\\mid x) = 1-\\exp\\{-\\Lambda_{10}(t)e^{x^\\top\\beta}\\}`.

Estimation maximises the weighted partial likelihood of Fine & Gray (1999)
with inverse-probability-of-censoring weights: at a cause-1 failure time
:math:`t_k` the risk set holds everyone still under follow-up (weight 1) and
everyone who failed from a competing cause at :math:`t_j < t_k`, weighted
:math:`\\hat G(t_k-)/\\hat G(t_j-)`, where :math:`\\hat G` is the Kaplan-Meier
estimate of the censoring distribution (as ``crr``: censoring as the event,
evaluated just before each time).  Ties use Breslow's approximation.

.. math::

    \\ell(\\beta) = \\sum_k \\Big[\\sum_{i \\in D_k} x_i^\\top\\beta
        - d_k \\log S^{(0)}(t_k)\\Big],\\qquad
    S^{(0)}(t_k) = \\sum_{t_j \\ge t_k} e^{x_j^\\top\\beta}
        + \\hat G(t_k-) \\sum_{t_j < t_k,\\ \\epsilon_j = 2} \\frac{e^{x_j^\\top\\beta}}{\\hat G(t_j-)} .

The second sum is a running (forward) sum over competing failures and the
first a reverse cumulative sum, so each Newton-Raphson iteration is linear in
``n`` after one sort (``crr``'s Fortran is quadratic or worse).

The iteration, line search and stopping rule copy ``crr`` (start at 0,
``gtol = 1e-6``, ``maxiter = 10``, step halving), so the coefficients are the
same iterate R returns.  The variance is Fine & Gray's sandwich
:math:`I^{-1} (\\sum_i (\\eta_i+\\psi_i)(\\eta_i+\\psi_i)^\\top) I^{-1}`, where
:math:`\\psi_i` accounts for estimating :math:`\\hat G`; it is a linear-time
rewriting of ``crrvv`` (cmprsk 2.2, Gray 2000, GPL).

Only time-fixed covariates and a single censoring group are supported
(``crr``'s ``cov2``/``tf`` and ``cengroup`` are not).

References
----------
Fine JP, Gray RJ (1999). A proportional hazards model for the subdistribution
of a competing risk. J Am Stat Assoc 94:496-509. doi:10.1080/01621459.1999.10474144
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from spinestats.analysis.core import distributions as stats

from spinestats.analysis.core.result import Result
from spinestats.analysis.core.surv_input import as_frame, check_constant, design_matrix, event_data
from spinestats.errors import DataError


@dataclasses.dataclass(frozen=True)
class FineGrayResult(Result):
    """A fitted Fine-Gray model (see :func:`fine_gray`).

    ``coef``, ``se``, ``z``, ``p``, ``shr`` (subdistribution hazard ratio) and
    its CI are aligned with ``terms``; ``var`` is the sandwich covariance.
    ``uftime`` are the distinct cause-1 failure times and ``bfitj`` the jumps
    of the baseline cumulative subdistribution hazard there (``crr``'s
    ``uftime`` and ``bfitj``).
    """

    terms: tuple[str, ...]
    coef: np.ndarray
    se: np.ndarray
    z: np.ndarray
    p: np.ndarray
    shr: np.ndarray
    shr_lower: np.ndarray
    shr_upper: np.ndarray
    var: np.ndarray
    loglik: float
    loglik_null: float
    converged: bool
    iterations: int
    n: int
    n_event: int
    n_competing: int
    n_censored: int
    cause: int
    conf_level: float
    uftime: np.ndarray
    bfitj: np.ndarray
    design: tuple
    excluded: tuple
    warnings: tuple[str, ...]

    def plot(self, *, term_labels: Any = None) -> Any:
        """Forest plot of the subdistribution hazard ratios (log axis), as the reports draw it; returns the ``Figure``."""
        from spinestats.reports.result_plots import plot_ratios  # presentation hook, loaded on use

        return plot_ratios(self, kind="finegray", term_labels=term_labels)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "term": self.terms,
                "coef": self.coef,
                "se": self.se,
                "z": self.z,
                "p": self.p,
                "shr": self.shr,
                "shr_lower": self.shr_lower,
                "shr_upper": self.shr_upper,
            }
        )

    def predict_cif(self, newdata: pd.DataFrame | np.ndarray, horizon: float | Sequence[float]) -> np.ndarray:
        """Predicted cumulative incidence; see :func:`predict_fine_gray`."""
        return predict_fine_gray(self, newdata, horizon)


#: the former name, kept as an alias
FineGray = FineGrayResult


def _censoring_left(t: np.ndarray, censored: np.ndarray) -> np.ndarray:
    """Kaplan-Meier of the censoring distribution just before each sorted time, G(t_i-)."""
    n = t.size
    _, first, inv = np.unique(t, return_index=True, return_inverse=True)
    c = np.add.reduceat(censored.astype(float), first)
    y = (n - first).astype(float)
    after = np.cumprod(1 - c / y)
    before = np.concatenate(([1.0], after[:-1]))
    return before[inv]


class _FG:
    """Sorted data and the linear-time risk-set sums of the Fine-Gray likelihood."""

    def __init__(self, t: np.ndarray, status: np.ndarray, X: np.ndarray) -> None:
        self.t, self.status, self.X = t, status, X
        self.n, self.p = X.shape
        self.G = _censoring_left(t, status == 0)
        fail = status == 1
        self.uft, self.d = np.unique(t[fail], return_counts=True)
        self.d = self.d.astype(float)
        self.start = np.searchsorted(t, self.uft, side="left")  # first row at each failure time
        self.Gk = self.G[self.start]
        self.comp = status == 2
        self.fail = fail
        self.sum_x_fail = X[fail].sum(axis=0)
        # outer products for S2, kept flat
        self.XX = (X[:, :, None] * X[:, None, :]).reshape(self.n, -1)
        # the columns whose risk-set sums fsv needs (1, x, x x'): they do not depend on beta, built once
        self.M = np.hstack([np.ones((self.n, 1)), self.X, self.XX])
        # the working arrays of _sums, made once per fit: n x (1 + p + p^2) doubles each, which a fresh
        # process's C allocator would otherwise map, fault in and unmap again at every iteration (the
        # fit of 2,000 rows took twice as long before some larger array had been freed)
        m = self.M.shape[1]
        self._prod = np.empty((self.n, m))
        self._rev = np.empty((self.n, m))  # cumulative sums from the last row up, in reverse row order
        self._fwd = np.zeros((self.n + 1, m))  # row 0 stays zero: the sums before the first row
        self._rev_start = self.n - 1 - self.start  # rows of _rev at the failure times
        self._S = np.empty((self.start.size, m))
        self._T = np.empty((self.start.size, m))

    def _sums(self, w: np.ndarray) -> np.ndarray:
        """S(t_k) = sum_{t_j >= t_k} w_j M_j + G_k sum_{t_j < t_k, comp} w_j M_j / G_j, for M the
        columns :attr:`M`, in an array that the next call overwrites."""
        np.multiply(w[:, None], self.M, out=self._prod)
        np.cumsum(self._prod[::-1], axis=0, out=self._rev)
        np.multiply(np.where(self.comp, w / self.G, 0.0)[:, None], self.M, out=self._prod)
        np.cumsum(self._prod, axis=0, out=self._fwd[1:])
        S = np.take(self._rev, self._rev_start, axis=0, out=self._S)
        later = np.take(self._fwd, self.start, axis=0, out=self._T)
        np.multiply(self.Gk[:, None], later, out=later)
        return np.add(S, later, out=S)

    def _sums0(self, w: np.ndarray) -> np.ndarray:
        """:meth:`_sums` of the column of ones, on vectors: the same products (``w * 1.0`` is ``w``) and the
        same sequential cumulative sums, without (n x 1) arrays."""
        rev = np.cumsum(w[::-1])[::-1]
        cw = np.where(self.comp, w / self.G, 0.0)
        fwd = np.concatenate([[0.0], np.cumsum(cw)])
        return rev[self.start] + self.Gk * fwd[self.start]

    def negloglik(self, b: np.ndarray) -> float:
        eta = self.X @ b
        r = np.exp(eta)
        s0 = self._sums0(r)
        return float(-eta[self.fail].sum() + np.sum(self.d * np.log(s0)))

    def fsv(self, b: np.ndarray):
        """Negative log-likelihood, its gradient and Hessian (as crrfsv)."""
        eta = self.X @ b
        r = np.exp(eta)
        S = self._sums(r)  # the working array: s0 is returned, so it is copied out of it
        s0, s1, s2 = S[:, 0].copy(), S[:, 1 : 1 + self.p], S[:, 1 + self.p :].reshape(-1, self.p, self.p)
        xbar = s1 / s0[:, None]
        f = float(-eta[self.fail].sum() + np.sum(self.d * np.log(s0)))
        g = -self.sum_x_fail + (self.d[:, None] * xbar).sum(axis=0)
        h = np.einsum("k,kij->ij", self.d / s0, s2) - np.einsum("k,ki,kj->ij", self.d, xbar, xbar)
        return f, g, h, s0, xbar

    def variance(self, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Information, the meat sum (eta+psi)(eta+psi)', and bfitj (as crrvv, crrfit)."""
        _, _, h, s0, xbar = self.fsv(b)
        X, t, n = self.X, self.t, self.n
        r = np.exp(X @ b)
        A = self.d / s0
        B = A[:, None] * xbar
        GA, GB = self.Gk * A, self.Gk[:, None] * B
        # number of failure times <= t_i
        kle = np.searchsorted(self.uft, t, side="right")
        cA = np.concatenate(([0.0], np.cumsum(A)))
        cB = np.vstack([np.zeros((1, self.p)), np.cumsum(B, axis=0)])
        cGA = np.concatenate(([0.0], np.cumsum(GA)))
        cGB = np.vstack([np.zeros((1, self.p)), np.cumsum(GB, axis=0)])
        eta = -r[:, None] * (X * cA[kle][:, None] - cB[kle])
        gt_A = cGA[-1] - cGA[kle]
        gt_B = cGB[-1] - cGB[kle]
        wc = np.where(self.comp, r / self.G, 0.0)
        eta -= wc[:, None] * (X * gt_A[:, None] - gt_B)
        kf = np.searchsorted(self.uft, t[self.fail], side="left")
        eta[self.fail] += X[self.fail] - xbar[kf]
        # psi: the censoring-distribution part
        ut, first = np.unique(t, return_index=True)
        cens = np.add.reduceat((self.status == 0).astype(float), first)
        Y = (n - first).astype(float)
        comp_w = np.where(self.comp, r / self.G, 0.0)
        E0 = np.concatenate(([0.0], np.cumsum(comp_w)))[first]
        E1 = np.vstack([np.zeros((1, self.p)), np.cumsum(comp_w[:, None] * X, axis=0)])[first]
        klt = np.searchsorted(self.uft, ut, side="left")  # failure times < u
        Au = cGA[-1] - cGA[klt]
        Bu = cGB[-1] - cGB[klt]
        qu = E1 * Au[:, None] - E0[:, None] * Bu
        step = -(cens / Y**2)[:, None] * qu
        cum = np.cumsum(step, axis=0)
        ti = np.searchsorted(ut, t, side="left")  # each row's distinct-time index
        psi = cum[ti]
        cz = self.status == 0
        psi[cz] += qu[ti[cz]] / Y[ti[cz]][:, None]
        u = eta + psi
        return h, u.T @ u, self.d / s0


def fine_gray(
    data: pd.DataFrame,
    *,
    time: str,
    event: str,
    covariates: Sequence[str],
    cause: int = 1,
    censor: int = 0,
    causes: Sequence[int] | None = None,
    conf_level: float = 0.95,
    gtol: float = 1e-6,
    maxiter: int = 10,
) -> FineGrayResult:
    """Fit a Fine-Gray model for ``cause``, as ``cmprsk::crr(ftime, fstatus, cov1, failcode=cause)``.

    Parameters
    ----------
    data : one row per subject.
    time : follow-up time column.
    event : event-code column (``censor`` = censored, ``cause`` = event of
        interest, any other code = competing event).
    covariates : columns of the model (numeric, boolean, or categorical with
        treatment contrasts against the first sorted level, as R).
    cause, censor : codes of the event of interest and of censoring.
    gtol, maxiter : ``crr``'s convergence tolerance and iteration limit (the
        defaults are ``crr``'s, so the estimates are R's iterate).

    Returns
    -------
    FineGray
        SEs are the sandwich SEs ``sqrt(diag(crr(...)$var))``; p from the
        Wald z; CI ``exp(coef +- z se)``.

    Notes
    -----
    A constant covariate raises :class:`DataError`.  Non-convergence (for
    example a covariate that perfectly separates cause-1 failures) is
    reported in ``warnings`` and ``converged=False``; the estimates are then
    not interpretable.
    """
    ed = event_data(data, time=time, event=event, censor=censor, causes=causes, extra=tuple(covariates))
    data = as_frame(data)  # an EventData passed in: its source table
    X_all, names = design_matrix(data, covariates)
    X = X_all[ed.positions]
    check_constant(X, names)
    order = np.argsort(ed.time, kind="mergesort")
    t = ed.time[order]
    st = np.where(ed.status[order] == censor, 0, np.where(ed.status[order] == cause, 1, 2))
    X = X[order]
    if not np.any(st == 1):
        raise DataError(f"no event of cause {cause} in '{event}'; a Fine-Gray model needs at least one.")
    fg = _FG(t, st, X)
    b = np.zeros(X.shape[1])
    converged = False
    warnings = list(ed.warnings)
    it = 0
    for it in range(maxiter + 1):
        f, g, h, _, _ = fg.fsv(b)
        if np.max(np.abs(g) * np.maximum(np.abs(b), 1)) < max(abs(f), 1) * gtol:
            converged = True
            break
        if it == maxiter:
            break
        try:
            sc = -np.linalg.solve(h, g)
        except np.linalg.LinAlgError:
            warnings.append("the information matrix is singular; the covariates are collinear.")
            break
        bn = b + sc
        fbn = fg.negloglik(bn)
        i = 0
        while not np.isfinite(fbn) or fbn > f + 1e-4 * np.sum(sc * g):
            i += 1
            sc = sc * 0.5
            bn = b + sc
            fbn = fg.negloglik(bn)
            if i > 20:
                break
        if i > 20:
            break
        b = bn
    if not converged:
        warnings.append(
            f"the Fine-Gray fit did not converge in {maxiter} iterations; a covariate may perfectly separate "
            f"cause-{cause} events (monotone likelihood). Estimates are not interpretable."
        )
    h, meat, bfitj = fg.variance(b)
    try:
        hinv = np.linalg.inv(h)
    except np.linalg.LinAlgError:
        hinv = np.full_like(h, np.nan)
    var = hinv @ meat @ hinv.T
    se = np.sqrt(np.diag(var))
    zq = stats.norm.ppf(0.5 + conf_level / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = b / se
    p = 2 * stats.norm.sf(np.abs(z))
    sd = X.std(axis=0)
    for j, name in enumerate(names):
        if converged and abs(b[j]) * sd[j] > 10:
            warnings.append(
                f"the coefficient of '{name}' is extreme ({b[j]:.3g}); the covariate may nearly separate "
                f"cause-{cause} events, and its SHR is not reliable."
            )
    design = tuple(_design_spec(data, covariates, names))
    return FineGrayResult(
        terms=tuple(names),
        coef=b,
        se=se,
        z=z,
        p=p,
        shr=np.exp(b),
        shr_lower=np.exp(b - zq * se),
        shr_upper=np.exp(b + zq * se),
        var=var,
        loglik=-f,
        loglik_null=-fg.negloglik(np.zeros_like(b)),
        converged=converged,
        iterations=it,
        n=int(t.size),
        n_event=int(np.sum(st == 1)),
        n_competing=int(np.sum(st == 2)),
        n_censored=int(np.sum(st == 0)),
        cause=int(cause),
        conf_level=float(conf_level),
        uftime=fg.uft,
        bfitj=bfitj,
        design=design,
        excluded=ed.excluded,
        warnings=tuple(warnings),
    )


def _design_spec(data: pd.DataFrame, covariates: Sequence[str], names: Sequence[str]) -> list[tuple[str, str, Any]]:
    """(term, column, level) triples so that new data can be coded like the fit."""
    spec = []
    for name in names:
        for c in covariates:
            col = data[c]
            if name == c and pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
                spec.append((name, c, None))
                break
            if name == f"{c}TRUE" and pd.api.types.is_bool_dtype(col):
                spec.append((name, c, True))
                break
            if name.startswith(c) and not pd.api.types.is_numeric_dtype(col):
                spec.append((name, c, name[len(c):]))
                break
    return spec


def predict_fine_gray(result: FineGray, newdata: pd.DataFrame | np.ndarray, horizon: float | Sequence[float]) -> np.ndarray:
    """Predicted cumulative incidence :math:`1-\\exp(-\\hat\\Lambda_{10}(h) e^{x^\\top\\hat\\beta})`.

    As ``predict.crr``: :math:`\\hat\\Lambda_{10}(h)` is the sum of ``bfitj``
    over cause-1 failure times ``<= h``.

    Parameters
    ----------
    result : a fitted :class:`FineGray`.
    newdata : rows with the model's covariate columns (coded as in the fit),
        or a numeric array with one column per term.
    horizon : one time or several.

    Returns
    -------
    ndarray of shape ``(rows, horizons)`` (or ``(rows,)`` for a single horizon).
    """
    if isinstance(newdata, pd.DataFrame):
        cols = []
        for term, c, level in result.design:
            if c not in newdata.columns:
                raise DataError(f"newdata: column '{c}' of the model is missing.")
            v = newdata[c].to_numpy()
            cols.append(v.astype(float) if level is None else (v == level).astype(float))
        X = np.column_stack(cols) if cols else np.zeros((len(newdata), 0))
    else:
        X = np.atleast_2d(np.asarray(newdata, dtype=float))
        if X.shape[1] != len(result.terms):
            raise DataError(f"newdata: expected {len(result.terms)} columns ({', '.join(result.terms)}), got {X.shape[1]}.")
    h = np.atleast_1d(np.asarray(horizon, dtype=float))
    cum = np.concatenate(([0.0], np.cumsum(result.bfitj)))
    L0 = cum[np.searchsorted(result.uftime, h, side="right")]
    cif = 1 - np.exp(-np.exp(X @ result.coef)[:, None] * L0[None, :])
    return cif[:, 0] if np.ndim(horizon) == 0 else cif


#: the former name (verb first: predict_*), kept as an alias
finegray_predict = predict_fine_gray

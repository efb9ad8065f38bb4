"""Linear mixed model for repeated pain scores, fitted by profiled REML.

Model (one row per patient and visit with an observed score):

.. math::
    y_{ij} = x_{ij}^\\top \\beta + z_{ij}^\\top b_i + \\varepsilon_{ij}, \\quad
    b_i \\sim N(0, \\sigma^2 \\Lambda\\Lambda^\\top), \\quad
    \\varepsilon_{ij} \\sim N(0, \\sigma^2),

with visit as a categorical factor (treatment coding, baseline as the
reference), arm and arm x visit for two arms (R: ``y ~ arm * visit``), a
patient random intercept (``(1 | patient)``) and, on request, a random slope
on time (``(1 + time | patient)``).  :math:`\\Lambda` is lme4's relative
covariance factor, parametrised by :math:`\\theta` (its lower triangle, column
by column; diagonal >= 0).

Profiled REML criterion, minimised over :math:`\\theta` (Bates et al. 2015,
eq. 42), computed patient by patient with
:math:`M_i = \\Lambda^\\top Z_i^\\top Z_i \\Lambda + I`:

.. math::
    d(\\theta) = \\sum_i \\log|M_i| + \\log|X^\\top W X|
      + (n - p)\\left[1 + \\log\\frac{2\\pi\\, r^2(\\theta)}{n - p}\\right],

where :math:`X^\\top W X = X^\\top X - \\sum_i X_i^\\top Z_i\\Lambda M_i^{-1}\\Lambda^\\top Z_i^\\top X_i`
(and likewise for :math:`X^\\top W y`, :math:`y^\\top W y`), :math:`r^2` is the
weighted residual sum of squares, :math:`\\hat\\sigma^2 = r^2/(n-p)` and
:math:`\\operatorname{Cov}(\\hat\\beta) = \\hat\\sigma^2 (X^\\top W X)^{-1}`.  Only
per-patient q x q and q x p summaries are needed (q = 1 or 2), so each
evaluation costs O(patients * p^2), and the fit equals lme4 ``lmer(REML =
TRUE)`` (fixed effects, SEs, variance components) to optimiser precision.

Degrees of freedom for tests and intervals of fixed effects, estimated
marginal means and contrasts are Satterthwaite's, computed as lmerTest does
(Kuznetsova et al. 2017): with varpar :math:`\\phi = (\\theta, \\sigma)`,
:math:`A = 2 H^{-1}` (H the Hessian of the REML deviance in :math:`\\phi`) and
:math:`g_k = \\partial (L C(\\phi) L^\\top) / \\partial\\phi_k`,
:math:`\\nu = 2 (L C L^\\top)^2 / (g^\\top A g)`.  Derivatives in
:math:`\\sigma` are analytic; those in :math:`\\theta` are central
differences with Richardson extrapolation.

Convergence is checked: the optimiser's own status, the largest absolute
gradient of the profiled criterion at the optimum, scaled by the Hessian as
lme4's ``check.conv.grad`` (warns above 2e-3) and a
singular (boundary) fit are reported in the result and as warnings.

References
----------
Bates D, Maechler M, Bolker B, Walker S. Fitting linear mixed-effects models
using lme4. J Stat Softw 2015;67(1). doi:10.18637/jss.v067.i01
Kuznetsova A, Brockhoff PB, Christensen RHB. lmerTest package: tests in linear
mixed effects models. J Stat Softw 2017;82(13). doi:10.18637/jss.v082.i13
Satterthwaite FE. An approximate distribution of estimates of variance
components. Biometrics Bull 1946;2:110-114. doi:10.2307/3002019
Searle SR, Speed FM, Milliken GA. Population marginal means in the linear
model. Am Stat 1980;34:216-221. doi:10.1080/00031305.1980.10483031
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from spinestats.analysis.core import distributions as stats
from spinestats.analysis.core.params import check_column
from spinestats.analysis.core.result import Result
from spinestats.errors import DataError, UsageError
from spinestats.text_numbers import to_numeric

GRADIENT_TOL = 2e-3  # lme4's check.conv.grad default
SNAP = 1e-6  # a diagonal theta below this is tried at exactly 0
SINGULAR_TOL = 1e-4  # lme4's isSingular tolerance
STEP = 1e-2  # relative step of the numerical derivatives (Richardson-extrapolated)


@dataclasses.dataclass(frozen=True)
class Design:
    """Data of one fit: response, fixed design, random design and groups."""

    y: np.ndarray
    X: np.ndarray
    Z: np.ndarray
    group: np.ndarray  # integer patient code per row (0..G-1)
    terms: tuple[str, ...]
    dropped: tuple[str, ...]
    visits: tuple[str, ...]
    arms: tuple[str, ...]
    arm_column: str = "arm"  # the names the terms were built from (``f"{arm_column}{level}"``)
    visit_column: str = "visit"
    time_column: str | None = None  # continuous time as a fixed effect (:func:`build_time_design`)


class _Profile:
    """The REML criterion as a function of theta, from per-patient summaries."""

    def __init__(self, d: Design) -> None:
        g, X, Z, y = d.group, d.X, d.Z, d.y
        self.n, self.p = X.shape
        self.q = Z.shape[1]
        G = int(g.max()) + 1
        self.ZtZ = np.zeros((G, self.q, self.q))
        self.ZtX = np.zeros((G, self.q, self.p))
        self.Zty = np.zeros((G, self.q))
        for a in range(self.q):  # vectorised group sums (bincount per column pair)
            for b in range(self.q):
                self.ZtZ[:, a, b] = np.bincount(g, Z[:, a] * Z[:, b], minlength=G)
            for b in range(self.p):
                self.ZtX[:, a, b] = np.bincount(g, Z[:, a] * X[:, b], minlength=G)
            self.Zty[:, a] = np.bincount(g, Z[:, a] * y, minlength=G)
        self.XtX, self.Xty, self.yty = X.T @ X, X.T @ y, float(y @ y)
        self.tril = np.tril_indices(self.q)
        self.lower = np.array([0.0 if i == j else -np.inf for i, j in zip(*self.tril)])
        self.cache: dict | None = None  # theta bytes -> parts(theta); switched on after the optimisation

    def lam(self, theta: np.ndarray) -> np.ndarray:
        L = np.zeros((self.q, self.q))
        # lme4 fills the lower triangle column by column
        idx = [(i, j) for j in range(self.q) for i in range(j, self.q)]
        for k, (i, j) in enumerate(idx):
            L[i, j] = theta[k]
        return L

    def parts(self, theta: np.ndarray):
        if self.cache is None:
            return self._parts(theta)
        key = np.asarray(theta, dtype=float).tobytes()
        if key not in self.cache:
            self.cache[key] = self._parts(theta)
        return self.cache[key]

    def _parts(self, theta: np.ndarray):
        L = self.lam(theta)
        M = np.einsum("ji,gjk,kl->gil", L, self.ZtZ, L) + np.eye(self.q)
        LtZtX = np.einsum("ji,gjk->gik", L, self.ZtX)
        LtZty = self.Zty @ L
        if self.q <= 2:  # closed-form Cholesky and forward substitution (batched LAPACK is slow on tiny systems)
            c11 = np.sqrt(M[:, 0, 0])
            if self.q == 1:
                B = LtZtX / c11[:, None, None]
                c = LtZty / c11[:, None]
                logdet_m = 2.0 * np.log(c11).sum()
            else:
                c21 = M[:, 1, 0] / c11
                c22 = np.sqrt(M[:, 1, 1] - c21 * c21)
                B = np.empty_like(LtZtX)
                B[:, 0] = LtZtX[:, 0] / c11[:, None]
                B[:, 1] = (LtZtX[:, 1] - c21[:, None] * B[:, 0]) / c22[:, None]
                c = np.empty_like(LtZty)
                c[:, 0] = LtZty[:, 0] / c11
                c[:, 1] = (LtZty[:, 1] - c21 * c[:, 0]) / c22
                logdet_m = 2.0 * (np.log(c11).sum() + np.log(c22).sum())
        else:
            C = np.linalg.cholesky(M)
            B = np.linalg.solve(C, LtZtX)
            c = np.linalg.solve(C, LtZty[..., None])[..., 0]
            logdet_m = 2.0 * np.log(np.diagonal(C, axis1=1, axis2=2)).sum()
        XtWX = self.XtX - np.einsum("gki,gkj->ij", B, B)
        XtWy = self.Xty - np.einsum("gki,gk->i", B, c)
        ytWy = self.yty - float(np.einsum("gk,gk->", c, c))
        R = np.linalg.cholesky(XtWX)
        beta = np.linalg.solve(XtWX, XtWy)
        r2 = ytWy - float(XtWy @ beta)
        return logdet_m, XtWX, R, beta, r2

    def deviance(self, theta: np.ndarray) -> float:
        try:
            logdet_m, _, R, _, r2 = self.parts(np.asarray(theta, dtype=float))
        except np.linalg.LinAlgError:
            return np.inf
        df = self.n - self.p
        return logdet_m + 2.0 * np.log(np.diag(R)).sum() + df * (1.0 + np.log(2.0 * np.pi * r2 / df))

    def deviance_vp(self, varpar: np.ndarray) -> float:
        """REML deviance at (theta, sigma), not profiled (lmerTest's ``devfun_vp``)."""
        theta, sigma = varpar[:-1], varpar[-1]
        logdet_m, _, R, _, r2 = self.parts(theta)
        s2 = sigma * sigma
        return logdet_m + 2.0 * np.log(np.diag(R)).sum() + (self.n - self.p) * np.log(2 * np.pi * s2) + r2 / s2

    def deviance_theta(self, theta: np.ndarray, sigma: float) -> float:
        """The part of ``deviance_vp`` that depends on theta (at fixed sigma)."""
        logdet_m, _, R, _, r2 = self.parts(theta)
        return logdet_m + 2.0 * np.log(np.diag(R)).sum() + r2 / (sigma * sigma)

    def vcov_vp(self, varpar: np.ndarray) -> np.ndarray:
        _, XtWX, _, _, _ = self.parts(varpar[:-1])
        return varpar[-1] ** 2 * np.linalg.inv(XtWX)


def _richardson(f, x: np.ndarray, k: int, h: float) -> np.ndarray:
    """d f / d x_k: central differences at h, h/2, h/4 with two Richardson steps (error O(h^6))."""
    def central(step):
        e = np.zeros_like(x)
        e[k] = step
        return (np.asarray(f(x + e)) - np.asarray(f(x - e))) / (2 * step)
    d1, d2, d4 = central(h), central(h / 2), central(h / 4)
    a, b = (4 * d2 - d1) / 3, (4 * d4 - d2) / 3
    return (16 * b - a) / 15


def _hessian(f, x: np.ndarray, rel: float = STEP) -> np.ndarray:
    """Hessian by second differences at h, h/2, h/4 with two Richardson steps."""
    k = x.size
    h0 = rel * np.maximum(np.abs(x), 0.1)
    f0 = f(x)

    def at(scale):
        h = h0 * scale
        H = np.empty((k, k))
        for i in range(k):
            ei = np.zeros(k)
            ei[i] = h[i]
            H[i, i] = (f(x + ei) - 2 * f0 + f(x - ei)) / h[i] ** 2
            for j in range(i):
                ej = np.zeros(k)
                ej[j] = h[j]
                H[i, j] = H[j, i] = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (4 * h[i] * h[j])
        return H

    d1, d2, d4 = at(1.0), at(0.5), at(0.25)
    a, b = (4 * d2 - d1) / 3, (4 * d4 - d2) / 3
    return (16 * b - a) / 15


def _gradient(f, x: np.ndarray, rel: float = STEP) -> np.ndarray:
    return np.array([_richardson(f, x, k, rel * max(abs(x[k]), 0.1)) for k in range(x.size)])


@dataclasses.dataclass(frozen=True)
class Contrast(Result):
    """A linear combination L'beta with Satterthwaite df."""

    estimate: float
    se: float
    df: float
    t: float
    p: float
    ci: tuple[float, float]


@dataclasses.dataclass(frozen=True)
class MixedModelResult(Result):
    """A fitted LMM.

    Attributes
    ----------
    terms, estimate, se, df, t, p : fixed effects (R names, e.g.
        ``"armBKP:visit1m"``), REML estimates, SEs, Satterthwaite df, t and p.
    vcov : covariance of the fixed effects.
    theta : relative covariance parameters (lme4's ``getME(m, "theta")``).
    sigma : residual SD.
    random_sd : SDs of the random effects (intercept, slope).
    random_cor : correlation intercept-slope (NaN for a random intercept only).
    reml_deviance : lme4's REML criterion at the optimum.
    converged : optimiser success and max |gradient| < 2e-3.
    singular : a variance parameter on its boundary (lme4's "singular fit").
    gradient_max : lme4's convergence statistic: largest of min(|g|, |R^-T g|)
        (g the gradient, R'R the Hessian of the criterion at the optimum).
    n_obs, n_patients : rows and patients in the fit.
    dropped_terms : columns dropped because the design was rank deficient.
    """

    terms: tuple[str, ...]
    estimate: np.ndarray
    se: np.ndarray
    df: np.ndarray
    t: np.ndarray
    p: np.ndarray
    vcov: np.ndarray
    theta: np.ndarray
    sigma: float
    random_sd: np.ndarray
    random_cor: float
    reml_deviance: float
    converged: bool
    singular: bool
    gradient_max: float
    n_obs: int
    n_patients: int
    random_slope: bool
    visits: tuple[str, ...]
    arms: tuple[str, ...]
    dropped_terms: tuple[str, ...]
    vcov_varpar: np.ndarray | None  # None when fitted without Satterthwaite df
    jacobian: np.ndarray | None  # d vcov / d varpar, shape (k, p, p)
    warnings: tuple[str, ...] = ()
    conf_level: float = 0.95
    arm_column: str = "arm"
    visit_column: str = "visit"
    time_column: str | None = None

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"term": self.terms, "estimate": self.estimate, "se": self.se,
                             "df": self.df, "t": self.t, "p": self.p})

    def to_dict(self) -> dict:
        from spinestats.analysis.core.result import to_jsonable
        keys = ("terms", "estimate", "se", "df", "t", "p", "theta", "sigma", "random_sd", "random_cor",
                "reml_deviance", "converged", "singular", "gradient_max", "n_obs", "n_patients",
                "random_slope", "dropped_terms", "warnings")
        out = {k: to_jsonable(getattr(self, k)) for k in keys}
        out["df_method"] = "Satterthwaite"
        if self.time_column is not None:
            out["time_model"] = "continuous"
            out["arms"] = list(self.arms)
        return out

    def contrast(self, L: np.ndarray) -> Contrast:
        """Estimate, SE, Satterthwaite df, t, p and CI of ``L @ beta``."""
        L = np.asarray(L, dtype=float)
        est = float(L @ self.estimate)
        var = float(L @ self.vcov @ L)
        if self.jacobian is None:
            raise ValueError("this fit has no Satterthwaite derivatives (fitted with satterthwaite=False)")
        g = np.einsum("i,kij,j->k", L, self.jacobian, L)
        denom = float(g @ self.vcov_varpar @ g)
        df = 2.0 * var * var / denom if denom > 0 else np.inf
        se = np.sqrt(var)
        t = est / se if se > 0 else np.nan
        p = float(2 * stats.t.sf(abs(t), df))
        q = stats.t.ppf(0.5 + self.conf_level / 2, df)
        return Contrast(estimate=est, se=float(se), df=float(df), t=float(t), p=p, ci=(est - q * se, est + q * se))

    def plot(self, ax: Any = None, *, labels: Any = None) -> Any:
        """The model's estimated means with their CIs (Satterthwaite df, at ``conf_level``) per visit and arm, drawn
        as the pain report's trajectory figure; returns the matplotlib ``Figure``.  A continuous-time fit is
        refused (its means are at chosen times: :func:`marginal_means_at`).

        Examples
        --------
        >>> import spinestats as ss
        >>> from spinestats.analysis.longitudinal.mixed_model import build_design, fit_lmm
        >>> long = ss.example("bkp")  # patient_id, arm, visit, nrs
        >>> fit = fit_lmm(build_design(long, value="nrs", visit="visit", subject="patient_id",
        ...                            visits=["baseline", "1w", "1m", "3m", "6m", "12m", "final"]))
        >>> fit.plot().axes[0].get_ylabel().split(",")[0]
        'Estimated mean Pain NRS (0–10)'
        """
        return marginal_means(self).plot(ax, labels=labels, conf_level=self.conf_level)


def build_design(
    data: pd.DataFrame,
    *,
    value: str,
    visit: str,
    subject: str,
    visits: Sequence[str],
    arm: str | None = None,
    arms: Sequence[str] | None = None,
    time: str | None = None,
) -> Design:
    """Model matrices for ``value ~ [arm *] visit + (1 [+ time] | subject)``.

    Rows with a missing ``value`` are left out (the caller records them);
    visit levels without any observation are left out of the factor.
    ``arms`` gives the arm levels, the first being the reference.
    """
    d = data.loc[data[value].notna()]
    present = [v for v in visits if (d[visit] == v).any()]
    if not present:
        raise DataError("mixed model: no observed scores.")
    unknown = sorted(set(d[visit].astype(str)) - set(visits))
    if unknown:
        raise DataError(f"mixed model: visit labels {unknown} are not among the schema visits {list(visits)}.")
    vcode = d[visit].map({v: k for k, v in enumerate(present)}).to_numpy()
    cols = {"(Intercept)": np.ones(len(d))}
    arm_levels: tuple[str, ...] = ()
    if arm is not None:
        arm_levels = tuple(arms) if arms is not None else tuple(sorted(d[arm].unique()))
        a = d[arm].to_numpy()
        for lev in arm_levels[1:]:
            cols[f"{arm}{lev}"] = (a == lev).astype(float)
    for k, v in enumerate(present[1:], start=1):
        cols[f"{visit}{v}"] = (vcode == k).astype(float)
    if arm is not None:
        for lev in arm_levels[1:]:
            for k, v in enumerate(present[1:], start=1):
                cols[f"{arm}{lev}:{visit}{v}"] = cols[f"{arm}{lev}"] * (vcode == k)
    names = list(cols)
    X, keep, dropped = _full_rank(np.column_stack([cols[c] for c in names]), names)
    Z = np.ones((len(d), 1)) if time is None else np.column_stack([np.ones(len(d)), d[time].to_numpy(float)])
    group = pd.factorize(d[subject], sort=True)[0]
    return Design(y=d[value].to_numpy(float), X=X, Z=Z, group=group, terms=tuple(names[j] for j in keep),
                  dropped=tuple(dropped), visits=tuple(present), arms=arm_levels,
                  arm_column=arm if arm is not None else "arm", visit_column=visit)


def _full_rank(X: np.ndarray, names: Sequence[str]) -> tuple[np.ndarray, list[int], list[str]]:
    """Drop columns that do not raise the rank (as lme4): (kept X, kept indices, dropped names)."""
    keep: list[int] = []
    dropped: list[str] = []
    gram = X.T @ X
    for j in range(X.shape[1]):
        sub = gram[np.ix_(keep + [j], keep + [j])]
        if np.linalg.matrix_rank(sub, tol=1e-10 * max(1.0, float(np.abs(sub).max()))) == len(keep) + 1:
            keep.append(j)
        else:
            dropped.append(names[j])
    return X[:, keep], keep, dropped


def build_time_design(
    data: pd.DataFrame,
    *,
    value: str,
    time: str,
    subject: str,
    arm: str | None = None,
    arms: Sequence[str] | None = None,
    random_slope: bool = True,
) -> Design:
    """Model matrices for ``value ~ time [* arm] + (1 [+ time] | subject)`` with continuous ``time``.

    The fixed effects are R's for ``time * arm``: ``(Intercept)``, ``time``,
    ``{arm}{level}`` and ``{time}:{arm}{level}`` for each non-reference arm
    (``arms[0]`` is the reference).  Rows with a missing ``value`` are left
    out (the caller records them); a missing or non-finite ``time`` on a row
    with a value is refused.
    """
    for c, param in zip((value, time, subject) + ((arm,) if arm else ()), ("value", "time", "subject", "arm")):
        check_column(data, c, param)
    d = data.loc[data[value].notna()]
    if d.empty:
        raise DataError("mixed model: no observed scores.")
    t = to_numeric(d[time], errors="coerce").to_numpy(float)
    bad = ~np.isfinite(t)
    if bad.any():
        raise DataError(f"mixed model: {int(bad.sum())} scored rows have no numeric {time!r} "
                        f"(rows {list(d.index[bad][:10])}); a continuous-time model needs the time of every score.")
    if np.unique(t).size < 2:
        raise DataError(f"mixed model: {time!r} takes a single value; a time trend cannot be estimated.")
    cols = {"(Intercept)": np.ones(len(d)), time: t}
    arm_levels: tuple[str, ...] = ()
    if arm is not None:
        arm_levels = tuple(arms) if arms is not None else tuple(sorted(d[arm].unique()))
        unknown = sorted(set(map(str, d[arm].unique())) - set(map(str, arm_levels)))
        if unknown:
            raise DataError(f"mixed model: arm labels {unknown} are not among {list(arm_levels)}.")
        a = d[arm].to_numpy()
        for lev in arm_levels[1:]:
            cols[f"{arm}{lev}"] = (a == lev).astype(float)
        for lev in arm_levels[1:]:
            cols[f"{time}:{arm}{lev}"] = t * (a == lev)
    names = list(cols)
    X, keep, dropped = _full_rank(np.column_stack([cols[c] for c in names]), names)
    Z = np.column_stack([np.ones(len(d)), t]) if random_slope else np.ones((len(d), 1))
    group = pd.factorize(d[subject], sort=True)[0]
    return Design(y=d[value].to_numpy(float), X=X, Z=Z, group=group, terms=tuple(names[j] for j in keep),
                  dropped=tuple(dropped), visits=(), arms=arm_levels,
                  arm_column=arm if arm is not None else "arm", visit_column="", time_column=time)


def fit_lmm(design: Design, *, conf_level: float = 0.95, satterthwaite: bool = True) -> MixedModelResult:
    """Fit the LMM by profiled REML (see module docstring).

    ``satterthwaite=False`` skips the numerical derivatives (df and p are
    then NaN; used for the fits inside multiple imputation, which are pooled
    with Rubin's rules instead).
    """
    from scipy import optimize  # imported on use (0.8 s CPU): importing this module costs nothing

    prof = _Profile(design)
    q = prof.q
    warnings: list[str] = []
    if q == 1:
        res = optimize.minimize_scalar(lambda t: prof.deviance(np.array([t])), bounds=(0.0, 50.0),
                                       method="bounded", options={"xatol": 1e-10, "maxiter": 2000})
        theta = np.array([res.x])
        ok = bool(res.success)
        if prof.deviance(np.array([0.0])) <= res.fun:
            theta = np.array([0.0])
    else:
        bounds = [(0.0, None) if lo == 0 else (None, None) for lo in prof.lower]
        x0 = np.array([1.0 if lo == 0 else 0.0 for lo in prof.lower])

        def jac(x):  # central differences (one-sided at a bound)
            g = np.empty_like(x)
            for k in range(x.size):
                h = 1e-6 * max(abs(x[k]), 1.0)
                lo_k = x[k] - h if bounds[k][0] is None or x[k] - h >= 0 else x[k]
                e_hi, e_lo = x.copy(), x.copy()
                e_hi[k] += h
                e_lo[k] = lo_k
                g[k] = (prof.deviance(e_hi) - prof.deviance(e_lo)) / (e_hi[k] - e_lo[k])
            return g

        res = optimize.minimize(prof.deviance, x0, jac=jac, method="L-BFGS-B", bounds=bounds,
                                options={"ftol": 1e-15, "gtol": 1e-9, "maxiter": 5000})
        theta = res.x
        ok = bool(res.success) or "ABNORMAL" in str(res.message)  # line search at machine precision
    snapped = np.array([0.0 if lo == 0 and t < SNAP else t for lo, t in zip(prof.lower, theta)])
    if prof.deviance(snapped) <= prof.deviance(theta) + 1e-9:  # a variance on its boundary: put it there
        theta = snapped
    prof.cache = {}  # the derivatives below re-use criterion evaluations at the same points
    dev = prof.deviance(theta)
    interior = np.array([not (lo == 0 and t == 0.0) for lo, t in zip(prof.lower, theta)])
    grad_max = 0.0
    if interior.any():  # lme4's check: max(min(|g|, |chol(H)^-1 g|)) over the free parameters
        free_t = theta[interior]

        def dev_t(v):
            full = theta.copy()
            full[interior] = v
            return prof.deviance(full)

        g = _gradient(dev_t, free_t)
        try:
            scaled = np.linalg.solve(np.linalg.cholesky(_hessian(dev_t, free_t)).T, g)
            grad_max = float(np.max(np.minimum(np.abs(g), np.abs(scaled))))
        except np.linalg.LinAlgError:
            grad_max = float(np.max(np.abs(g)))
    singular = bool(any(lo == 0 and t < SINGULAR_TOL for lo, t in zip(prof.lower, theta)))
    converged = ok and grad_max < GRADIENT_TOL and np.isfinite(dev)
    if not converged:
        warnings.append(f"mixed model did not converge (optimiser status {ok}, max |gradient| {grad_max:.2g}).")
    if singular:
        warnings.append("mixed model: singular fit (a random-effect variance is estimated as 0).")
    if design.dropped:
        warnings.append(f"mixed model: design rank deficient; dropped {list(design.dropped)}.")
    _, XtWX, _, beta, r2 = prof.parts(theta)
    sigma = float(np.sqrt(r2 / (prof.n - prof.p)))
    vcov = sigma**2 * np.linalg.inv(XtWX)
    se = np.sqrt(np.diag(vcov))
    varpar = np.append(theta, sigma)
    p_ = beta.size
    free = np.append(interior, True)
    vp_free = varpar[free]

    if not satterthwaite:
        nan = np.full(p_, np.nan)
        return _result(prof, design, theta, sigma, beta, vcov, se, dev, converged, singular, grad_max, warnings,
                       conf_level, nan, nan, None, None)
    # Derivatives in sigma are analytic: deviance_vp = D(theta) + (n-p) log(2 pi s^2) + r2(theta)/s^2 and
    # vcov = s^2 (X'WX)^-1(theta).  Derivatives in theta are Richardson-extrapolated differences (the stencils
    # of _hessian / _richardson), their criterion evaluations shared through the cache of prof.parts.
    nf = vp_free.size
    ft = free_t if interior.any() else np.zeros(0)
    s2 = sigma * sigma

    def theta_at(v):
        full = theta.copy()
        full[interior] = v
        return full

    H = np.empty((nf, nf))
    H[-1, -1] = -2.0 * (prof.n - prof.p) / s2 + 6.0 * r2 / (s2 * s2)
    xtwx_inv = np.linalg.inv(XtWX)
    J = np.zeros((varpar.size, p_, p_))
    J[-1] = 2.0 * sigma * xtwx_inv
    if ft.size:
        H[:-1, :-1] = _hessian(lambda v: prof.deviance_theta(theta_at(v), sigma), ft)
        for k in range(ft.size):
            h = STEP * max(abs(ft[k]), 0.1)
            H[k, -1] = H[-1, k] = -2.0 * _richardson(lambda v: prof.parts(theta_at(v))[4], ft, k, h) / (s2 * sigma)
        J[np.flatnonzero(interior)] = np.stack(
            [s2 * _richardson(lambda v: np.linalg.inv(prof.parts(theta_at(v))[1]), ft, k,
                              STEP * max(abs(ft[k]), 0.1)) for k in range(ft.size)])
    H = (H + H.T) / 2
    A = np.zeros((varpar.size, varpar.size))
    A[np.ix_(free, free)] = 2.0 * np.linalg.inv(H)
    fit = _result(prof, design, theta, sigma, beta, vcov, se, dev, converged, singular, grad_max, warnings,
                  conf_level, np.zeros(p_), np.zeros(p_), A, J)
    cons = [fit.contrast(np.eye(p_)[k]) for k in range(p_)]
    return dataclasses.replace(fit, df=np.array([c.df for c in cons]), p=np.array([c.p for c in cons]))


def _result(prof, design, theta, sigma, beta, vcov, se, dev, converged, singular, grad_max, warnings, conf_level,
            df, p, A, J) -> MixedModelResult:
    L = prof.lam(theta) * sigma
    cov_b = L @ L.T
    rsd = np.sqrt(np.diag(cov_b))
    rcor = float(cov_b[0, 1] / (rsd[0] * rsd[1])) if prof.q == 2 and rsd.all() else np.nan
    return MixedModelResult(
        terms=design.terms, estimate=beta, se=se, df=df, t=beta / se, p=p, vcov=vcov,
        theta=theta, sigma=sigma, random_sd=rsd, random_cor=rcor, reml_deviance=float(dev), converged=converged,
        singular=singular, gradient_max=grad_max, n_obs=prof.n, n_patients=int(design.group.max()) + 1,
        random_slope=prof.q == 2, visits=design.visits, arms=design.arms, dropped_terms=design.dropped,
        vcov_varpar=A, jacobian=J, warnings=tuple(warnings), conf_level=conf_level,
        arm_column=design.arm_column, visit_column=design.visit_column, time_column=design.time_column)

@dataclasses.dataclass(frozen=True)
class MarginalMeansResult(Result):
    """Estimated marginal means and contrasts from a fitted LMM (as emmeans).

    ``means``: one row per (arm,) visit: ``emmean``, ``se``, ``df``,
    ``ci_low``, ``ci_high``.  ``vs_baseline``: visit - baseline per (arm,)
    visit: ``estimate``, ``se``, ``df``, ``t``, ``p``, ``ci_low``,
    ``ci_high``.  ``between_arms``: second arm - first (reference) arm per
    visit (two arms only).  Degrees of freedom: Satterthwaite (emmeans
    ``lmer.df = "satterthwaite"``); p values unadjusted.
    """

    means: pd.DataFrame
    vs_baseline: pd.DataFrame
    between_arms: pd.DataFrame
    df_method: str = "satterthwaite"

    def to_frame(self) -> pd.DataFrame:
        return self.means.copy()

    def plot(self, ax: Any = None, *, labels: Any = None, conf_level: float = 0.95) -> Any:
        """The estimated means with their CIs per visit (and arm), drawn as the pain report's trajectory figure;
        returns the matplotlib ``Figure``.  ``conf_level``: the level the means were computed at (the fit's)."""
        from spinestats.reports.result_plots import plot_marginal_means  # presentation hook, loaded on use

        return plot_marginal_means(self, ax=ax, labels=labels, conf_level=conf_level)


#: the former name, kept as an alias
MarginalMeans = MarginalMeansResult


def _row(fit: MixedModelResult, L: np.ndarray, **labels) -> dict:
    c = fit.contrast(L)
    return {**labels, "estimate": c.estimate, "se": c.se, "df": c.df, "t": c.t, "p": c.p,
            "ci_low": c.ci[0], "ci_high": c.ci[1]}


def marginal_means(fit: MixedModelResult) -> MarginalMeansResult:
    """Cell means per (arm,) visit, their contrasts with baseline and arm differences.

    With two arms the means are per arm and visit (emmeans ``~ arm | visit``);
    the model is saturated in arm x visit, so these are the model-based cell
    means.  Terms dropped for rank deficiency make the cells that need them
    non-estimable (reported as NaN, and named in the fit's ``dropped_terms``
    and warnings).  The terms are found under the arm and visit column names
    the design was built with (any names); a fit with continuous time is
    refused (see :func:`marginal_means_at`).
    """
    if fit.time_column is not None:
        raise UsageError(f"marginal_means: this model has continuous time ({fit.time_column!r}), not visits; "
                         "use marginal_means_at(fit, times=[...]).")
    index = {t: k for k, t in enumerate(fit.terms)}
    visit_name, arm_name = fit.visit_column, fit.arm_column
    arms = fit.arms or (None,)

    def vec(arm_level, v):
        L = np.zeros(len(fit.terms))
        L[index["(Intercept)"]] = 1.0
        need = []
        if arm_level is not None and arm_level != arms[0]:
            need.append(f"{arm_name}{arm_level}")
        if v != fit.visits[0]:
            need.append(f"{visit_name}{v}")
            if arm_level is not None and arm_level != arms[0]:
                need.append(f"{arm_name}{arm_level}:{visit_name}{v}")
        for t in need:
            if t not in index:
                if t not in fit.dropped_terms:  # never NaN without a word
                    raise DataError(f"marginal_means: the model has no term {t!r} (terms: {list(fit.terms)}); "
                                    "the fit was not built by build_design with these arm and visit columns.")
                return None
            L[index[t]] = 1.0
        return L

    nan_row = {"estimate": np.nan, "se": np.nan, "df": np.nan, "t": np.nan, "p": np.nan,
               "ci_low": np.nan, "ci_high": np.nan}
    means, base, between = [], [], []
    for v in fit.visits:
        for a in arms:
            lab = {"visit": v} if a is None else {"arm": a, "visit": v}
            L = vec(a, v)
            means.append(_row(fit, L, **lab) if L is not None else {**lab, **nan_row})
            if v != fit.visits[0]:
                L0 = vec(a, fit.visits[0])
                ok = L is not None and L0 is not None
                base.append(_row(fit, L - L0, **lab) if ok else {**lab, **nan_row})
        if len(arms) == 2:
            L1, L0 = vec(arms[1], v), vec(arms[0], v)
            lab = {"visit": v, "contrast": f"{arms[1]} - {arms[0]}"}
            between.append(_row(fit, L1 - L0, **lab) if L1 is not None and L0 is not None else {**lab, **nan_row})
    m = pd.DataFrame(means).rename(columns={"estimate": "emmean"}).drop(columns=["t", "p"])
    return MarginalMeansResult(means=m, vs_baseline=pd.DataFrame(base), between_arms=pd.DataFrame(between))


@dataclasses.dataclass(frozen=True)
class TimeMarginalMeansResult(Result):
    """Marginal means of a continuous-time LMM at chosen times (as emmeans with ``at``).

    ``means``: one row per (arm,) time: ``emmean``, ``se``, ``df``, ``ci_low``,
    ``ci_high`` (emmeans ``~ arm | time, at = list(time = times)``).
    ``between_arms``: each non-reference arm minus the reference at each
    time (``pairs(..., reverse = TRUE)``): ``estimate``, ``se``, ``df``,
    ``t``, ``p``, ``ci_low``, ``ci_high``.  ``slopes``: the time slope per
    arm (``emtrends(fit, ~ arm, var = "time")``) and, with two arms, their
    difference.  Satterthwaite df; p values unadjusted.
    """

    means: pd.DataFrame
    between_arms: pd.DataFrame
    slopes: pd.DataFrame
    times: tuple[float, ...]
    df_method: str = "satterthwaite"

    def to_frame(self) -> pd.DataFrame:
        return self.means.copy()


#: the former name, kept as an alias
TimeMarginalMeans = TimeMarginalMeansResult


def marginal_means_at(fit: MixedModelResult, times: Sequence[float]) -> TimeMarginalMeansResult:
    """Means per (arm,) time, arm differences at each time and slopes, for a :func:`build_time_design` fit."""
    if fit.time_column is None:
        raise UsageError("marginal_means_at: this model has visits as a factor; use marginal_means(fit).")
    tt = [float(t) for t in times]
    if not tt or not all(np.isfinite(tt)):
        raise UsageError(f"marginal_means_at: times must be finite numbers, got {list(times)!r}.")
    index = {t: k for k, t in enumerate(fit.terms)}
    tc, ac = fit.time_column, fit.arm_column
    arms = fit.arms or (None,)

    def vec(arm_level, at, slope=False):
        L = np.zeros(len(fit.terms))
        want = {"(Intercept)": 0.0 if slope else 1.0, tc: 1.0 if slope else at}
        if arm_level is not None and arm_level != arms[0]:
            want[f"{ac}{arm_level}"] = 0.0 if slope else 1.0
            want[f"{tc}:{ac}{arm_level}"] = 1.0 if slope else at
        for t, w in want.items():
            if t not in index:
                if w != 0.0:
                    raise DataError(f"marginal_means_at: the model has no term {t!r} (terms: {list(fit.terms)}; "
                                    f"dropped: {list(fit.dropped_terms)}).")
                continue
            L[index[t]] = w
        return L

    means, between, slopes = [], [], []
    for at in tt:
        for a in arms:
            lab = {"time": at} if a is None else {"arm": a, "time": at}
            means.append(_row(fit, vec(a, at), **lab))
        for a in arms[1:]:
            between.append(_row(fit, vec(a, at) - vec(arms[0], at), time=at, contrast=f"{a} - {arms[0]}"))
    for a in arms:
        slopes.append(_row(fit, vec(a, 0.0, slope=True), **({} if a is None else {"arm": a}), term="slope"))
    for a in arms[1:]:
        slopes.append(_row(fit, vec(a, 0.0, slope=True) - vec(arms[0], 0.0, slope=True), arm=f"{a} - {arms[0]}",
                           term="slope difference"))
    m = pd.DataFrame(means).rename(columns={"estimate": "emmean"}).drop(columns=["t", "p"])
    return TimeMarginalMeansResult(means=m, between_arms=pd.DataFrame(between), slopes=pd.DataFrame(slopes),
                             times=tuple(tt))

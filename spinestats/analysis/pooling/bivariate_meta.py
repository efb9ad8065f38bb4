"""Bivariate random-effects meta-analysis of sensitivity and specificity (Reitsma 2005).

Per study ``i``: ``y_i = (logit Se_i, logit FPR_i)`` with
``Se_i = TP/(TP+FN)``, ``FPR_i = FP/(FP+TN)`` and within-study covariance
``S_i = diag(1/TP + 1/FN, 1/FP + 1/TN)``.  Model
``y_i ~ N(μ, Σ + S_i)`` with unstructured ``Σ`` (``τ²_Se``, ``τ²_FPR``,
correlation ``ρ``).  ``Σ`` is estimated by REML, maximising

.. math::

    \\ell_R(Σ) = -\\tfrac12\\Big[\\sum_i \\log|Σ+S_i|
        + \\log\\Big|\\sum_i (Σ+S_i)^{-1}\\Big|
        + \\sum_i r_i'(Σ+S_i)^{-1} r_i\\Big],

``μ̂ = (Σ_i W_i)^{-1} Σ_i W_i y_i``, ``W_i = (Σ+S_i)^{-1}``,
``Var(μ̂) = (Σ_i W_i)^{-1}``.  This is mada ``reitsma(method="reml")`` and
metafor ``rma.mv(yi, V, mods=~outcome-1, random=~outcome|study,
struct="UN", method="REML")`` on the stacked data (the test checks the
latter; mada is not installed here).

Zero cells: as mada's default (``correction=0.5,
correction.control="all"``), when any study has a zero cell 0.5 is added to
every cell of every study, and this is reported.

Summary ROC curve (Rutter-Gatsonis parametrisation as mada's default
``sroc(type="ruttergatsonis")``, Harbord et al. 2007): with
``σ_1 = τ_Se``, ``σ_2 = τ_FPR``, the curve
``logit Se = μ_1 + (σ_1/σ_2)(logit FPR - μ_2)``
(``β = log(σ_2/σ_1)``, ``Λ = √(σ_2/σ_1) μ_1 - √(σ_1/σ_2) μ_2``,
``logit Se = Λ e^{-β/2} + e^{-β} logit FPR``), drawn over the observed
FPR range by default.  Its AUC is the area under the whole curve
(FPR 0 to 1, trapezoid rule on 2001 points).

Confidence region for ``(μ_1, μ_2)``: the ellipse
``(m-μ̂)' Var(μ̂)^{-1} (m-μ̂) = χ²_2(level)``; prediction region for a new
study's true ``(logit Se, logit FPR)``: the same with ``Var(μ̂) + Σ``;
both drawn in ROC space through the inverse logit.

References
----------
Reitsma JB, Glas AS, Rutjes AWS, et al. Bivariate analysis of sensitivity
and specificity produces informative summary measures in diagnostic reviews.
J Clin Epidemiol 2005;58:982-990. doi:10.1016/j.jclinepi.2005.02.022
Harbord RM, Deeks JJ, Egger M, Whiting P, Sterne JAC. A unification of
models for meta-analysis of diagnostic accuracy studies. Biostatistics
2007;8:239-251. doi:10.1093/biostatistics/kxl004
Doebler P, Holling H. Meta-analysis of diagnostic accuracy with mada.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from spinestats.analysis.core import distributions as stats

from spinestats.analysis.core.params import conf_level_or_alias
from spinestats.analysis.core.result import Result
from spinestats.errors import DataError


@dataclasses.dataclass(frozen=True)
class BivariateResult(Result):
    """Reitsma bivariate model fit: summary point, Σ, SROC and regions."""

    k: int
    mu: tuple[float, float]  # (logit sensitivity, logit FPR)
    vcov: tuple[tuple[float, float], tuple[float, float]]
    tau2_sensitivity: float
    tau2_fpr: float
    rho: float
    sensitivity: dict
    specificity: dict
    false_positive_rate: dict
    sroc: dict
    sroc_auc: float
    confidence_region: dict
    prediction_region: dict
    loglik_reml: float
    converged: bool
    continuity_correction: float
    labels: tuple[str, ...]
    study_sensitivity: tuple[float, ...]
    study_fpr: tuple[float, ...]
    warnings: tuple[str, ...]

    def plot(self, *, ax: Any = None) -> Any:
        """The summary ROC plot (centres, summary point, SROC curve, confidence and prediction regions), as the
        multicentre report draws it; returns the ``Figure``."""
        from spinestats.reports.result_plots import plot_sroc  # presentation hook, loaded on use

        return plot_sroc(self, ax=ax)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {"measure": "sensitivity", **self.sensitivity},
                {"measure": "specificity", **self.specificity},
                {"measure": "false_positive_rate", **self.false_positive_rate},
            ]
        )


def _expit(x):
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))


def _logit(p):
    p = np.asarray(p, dtype=float)
    return np.log(p / (1 - p))


def _trapezoid(y: np.ndarray, x: np.ndarray) -> float:
    """The trapezoidal rule over the points ``(x, y)``: the arithmetic of ``scipy.integrate.trapezoid``
    and ``numpy.trapezoid``, term for term (the same bits), without importing ``scipy.integrate``."""
    y = np.asarray(y, dtype=float)
    x = np.asarray(x, dtype=float)
    return float(np.sum((x[1:] - x[:-1]) * (y[1:] + y[:-1]) / 2.0))


def _fit(y: np.ndarray, s: np.ndarray):
    """REML over θ = (log τ1, log τ2, atanh ρ); returns (Σ, μ, Vμ, loglik, converged)."""
    from scipy import optimize  # imported on use (0.8 s CPU): importing this module costs nothing

    k = y.shape[0]

    def parts(theta):
        t1, t2 = np.exp(theta[0]), np.exp(theta[1])
        r = np.tanh(theta[2])
        a = t1 * t1 + s[:, 0]
        d = t2 * t2 + s[:, 1]
        b = np.full(k, r * t1 * t2)
        det = a * d - b * b
        # W_i = V_i^{-1}
        wa, wd, wb = d / det, a / det, -b / det
        sa, sd, sb = wa.sum(), wd.sum(), wb.sum()
        sdet = sa * sd - sb * sb
        gy1 = np.sum(wa * y[:, 0] + wb * y[:, 1])
        gy2 = np.sum(wb * y[:, 0] + wd * y[:, 1])
        mu1 = (sd * gy1 - sb * gy2) / sdet
        mu2 = (-sb * gy1 + sa * gy2) / sdet
        r1, r2 = y[:, 0] - mu1, y[:, 1] - mu2
        quad = np.sum(wa * r1 * r1 + 2 * wb * r1 * r2 + wd * r2 * r2)
        # with metafor's constants: -(2k-2)/2 log(2π) + 1/2 log|X'X|, X'X = k I_2
        ll = -0.5 * (np.sum(np.log(det)) + np.log(sdet) + quad) - (k - 1) * np.log(2 * np.pi) + np.log(k)
        vmu = np.array([[sd, -sb], [-sb, sa]]) / sdet
        return ll, np.array([mu1, mu2]), vmu, (t1, t2, r)

    v = np.var(y, axis=0, ddof=1) - s.mean(axis=0)
    v = np.maximum(v, 0.05)
    c = np.corrcoef(y.T)[0, 1] if k > 2 else 0.0
    start = np.array([0.5 * np.log(v[0]), 0.5 * np.log(v[1]), np.arctanh(np.clip(c, -0.9, 0.9))])
    best = None
    for x0 in (start, np.array([np.log(0.5), np.log(0.5), 0.0])):
        res = optimize.minimize(lambda th: -parts(th)[0], x0, method="BFGS", options={"gtol": 1e-10, "maxiter": 5000})
        if best is None or res.fun < best.fun:
            best = res
    # polish the better BFGS solution (the REML surface can be flat near a boundary of rho)
    polished = optimize.minimize(lambda th: -parts(th)[0], best.x, method="Nelder-Mead",
                                 options={"xatol": 1e-10, "fatol": 1e-13, "maxiter": 4000})
    if polished.fun <= best.fun:
        best = polished
    ll, mu, vmu, (t1, t2, r) = parts(best.x)
    sigma = np.array([[t1 * t1, r * t1 * t2], [r * t1 * t2, t2 * t2]])
    return sigma, mu, vmu, float(ll), bool(best.success)


def _ellipse(center: np.ndarray, cov: np.ndarray, radius: float, n: int = 200) -> tuple[np.ndarray, np.ndarray]:
    ang = np.linspace(0, 2 * np.pi, n)
    vals, vecs = np.linalg.eigh(cov)
    circle = np.vstack([np.cos(ang), np.sin(ang)])
    pts = center[:, None] + vecs @ (np.sqrt(np.maximum(vals, 0))[:, None] * circle) * radius
    return pts[0], pts[1]


def reitsma(
    tp: Sequence[int], fp: Sequence[int], fn: Sequence[int], tn: Sequence[int], *,
    labels: Sequence[str] | None = None, correction: float = 0.5, conf_level: float = 0.95, level: float | None = None,
) -> BivariateResult:
    """Fit the bivariate model to per-study 2x2 tables.

    Parameters
    ----------
    tp, fp, fn, tn : per-study (per-centre) counts.
    labels : study labels.
    correction : added to every cell of every study when any cell is zero
        (mada ``correction.control="all"``); 0 refuses zero cells.
    conf_level : confidence level of the CIs and the confidence/prediction regions.  ``level=`` is an alias (the former name).
    """
    conf_level = conf_level_or_alias(conf_level, level)  # ``level``: the former name, an alias
    arr = np.array([tp, fp, fn, tn], dtype=float).T
    k = arr.shape[0]
    labs = tuple(str(x) for x in (labels if labels is not None else [f"study {i + 1}" for i in range(k)]))
    if k < 3:
        raise DataError(f"the bivariate model needs at least 3 studies (centres); got {k}.")
    if np.any(arr < 0) or not np.all(np.isfinite(arr)):
        raise DataError("2x2 counts must be finite and >= 0.")
    if np.any(arr[:, 0] + arr[:, 2] == 0) or np.any(arr[:, 1] + arr[:, 3] == 0):
        raise DataError("every study needs at least one diseased and one non-diseased patient.")
    warnings: list[str] = []
    cc = 0.0
    if np.any(arr == 0):
        if correction <= 0:
            bad = [labs[i] for i in np.flatnonzero((arr == 0).any(axis=1))]
            raise DataError(f"zero cells in {', '.join(bad)}; use a continuity correction > 0 (0.5 is usual).")
        cc = float(correction)
        arr = arr + cc
        bad = [labs[i] for i in np.flatnonzero((arr == cc).any(axis=1))]
        warnings.append(
            f"zero cell(s) in {', '.join(bad)}: {cc} added to every cell of every study "
            "(continuity correction, as mada correction.control='all')."
        )
    TP, FP, FN, TN = arr.T
    y = np.column_stack([_logit(TP / (TP + FN)), _logit(FP / (FP + TN))])
    s = np.column_stack([1 / TP + 1 / FN, 1 / FP + 1 / TN])
    sigma, mu, vmu, ll, conv = _fit(y, s)
    if not conv:
        warnings.append("the REML optimiser reported non-convergence; check the estimates.")
    if k < 5:
        warnings.append(f"only {k} studies (centres): the between-centre covariance is poorly estimated.")
    z = stats.norm.ppf(1 - (1 - conf_level) / 2)
    se = np.sqrt(np.diag(vmu))

    def summary(m, s_, flip=False):
        lo, hi = m - z * s_, m + z * s_
        if flip:
            return {"estimate": float(1 - _expit(m)), "ci": [float(1 - _expit(hi)), float(1 - _expit(lo))],
                    "logit": float(-m), "se_logit": float(s_)}
        return {"estimate": float(_expit(m)), "ci": [float(_expit(lo)), float(_expit(hi))],
                "logit": float(m), "se_logit": float(s_)}

    t1, t2 = np.sqrt(sigma[0, 0]), np.sqrt(sigma[1, 1])
    rho = float(sigma[0, 1] / (t1 * t2)) if t1 > 0 and t2 > 0 else 0.0
    if abs(rho) > 0.999:
        warnings.append(f"the between-centre correlation is at the boundary (rho = {rho:.3f}): "
                        "too few centres to estimate it; the prediction region is degenerate.")
    slope = t1 / t2 if t2 > 1e-8 else np.nan
    obs_fpr = FP / (FP + TN)
    grid = np.linspace(max(obs_fpr.min(), 1e-4), min(obs_fpr.max(), 1 - 1e-4), 101)
    full = np.linspace(1e-6, 1 - 1e-6, 2001)

    def curve(f):
        return _expit(mu[0] + slope * (_logit(f) - mu[1]))

    auc = _trapezoid(curve(full), full) if np.isfinite(slope) else float("nan")
    if not np.isfinite(slope):
        warnings.append("tau^2 of the FPR is 0: the Rutter-Gatsonis SROC curve is undefined.")
    radius = float(np.sqrt(stats.chi2.ppf(conf_level, 2)))
    cx, cy = _ellipse(mu, vmu, radius)
    px, py = _ellipse(mu, vmu + sigma, radius)
    beta = float(np.log(t2 / t1)) if t1 > 0 and t2 > 0 else float("nan")
    lam = float(np.sqrt(t2 / t1) * mu[0] - np.sqrt(t1 / t2) * mu[1]) if t1 > 0 and t2 > 0 else float("nan")
    return BivariateResult(
        k=k,
        mu=(float(mu[0]), float(mu[1])),
        vcov=((float(vmu[0, 0]), float(vmu[0, 1])), (float(vmu[1, 0]), float(vmu[1, 1]))),
        tau2_sensitivity=float(sigma[0, 0]),
        tau2_fpr=float(sigma[1, 1]),
        rho=rho,
        sensitivity=summary(mu[0], se[0]),
        specificity=summary(mu[1], se[1], flip=True),
        false_positive_rate=summary(mu[1], se[1]),
        sroc={"type": "ruttergatsonis", "beta": beta, "lambda": lam,
              "fpr": grid.tolist(), "sensitivity": curve(grid).tolist() if np.isfinite(slope) else []},
        sroc_auc=auc,
        confidence_region={"level": conf_level, "fpr": _expit(cy).tolist(), "sensitivity": _expit(cx).tolist()},
        prediction_region={"level": conf_level, "fpr": _expit(py).tolist(), "sensitivity": _expit(px).tolist()},
        loglik_reml=ll,
        converged=conv,
        continuity_correction=cc,
        labels=labs,
        study_sensitivity=tuple(float(v) for v in TP / (TP + FN)),
        study_fpr=tuple(float(v) for v in obs_fpr),
        warnings=tuple(warnings),
    )

"""Univariate random-effects meta-analysis by REML (as metafor ``rma``).

Model: ``y_i = mu + u_i + e_i`` with ``u_i ~ N(0, tau^2)`` and
``e_i ~ N(0, v_i)``, ``v_i`` known.  ``tau^2`` is estimated by restricted
maximum likelihood, maximising

.. math::

    \\ell_R(\\tau^2) = -\\tfrac12\\Big[\\sum_i \\log(v_i+\\tau^2)
        + \\log\\sum_i w_i + \\sum_i w_i (y_i-\\hat\\mu)^2\\Big],
    \\qquad w_i = 1/(v_i+\\tau^2),

by Fisher scoring (metafor's algorithm; step
``Δ = (y'PPy - tr P) / tr(PP)``, ``tau^2`` truncated at 0), iterated to
``|Δ| < 1e-12``.  Then ``mu = Σ w_i y_i / Σ w_i``, ``SE = (Σ w_i)^{-1/2}``,
Wald CI with ``z_{0.975}``; with ``test="knha"`` (Knapp & Hartung 2003) the
variance is multiplied by ``s^2 = Σ w_i (y_i-mu)^2/(k-1)`` (not truncated at
1, as metafor) and ``t_{k-1}`` quantiles are used.

Heterogeneity exactly as metafor: ``Q = Σ (y_i - mu_FE)^2 / v_i`` (chi^2 with
``k-1`` df); the "typical" within-study variance
``s^2_v = (k-1) / (Σ 1/v_i - Σ v_i^{-2} / Σ 1/v_i)``;
``I^2 = 100 tau^2 / (tau^2 + s^2_v)`` (percent, never negative) and
``H^2 = (tau^2 + s^2_v) / s^2_v``.  Prediction interval (metafor ``predict``):
``mu ± crit sqrt(SE^2 + tau^2)`` with ``crit = z`` (or ``t_{k-1}`` with knha).

For proportions (``measure="PLO"``) ``y_i = log(x_i/(n_i-x_i))``,
``v_i = 1/x_i + 1/(n_i-x_i)``; a study with ``x_i = 0`` or ``x_i = n_i``
gets ``add`` (0.5 by default) added to both cells (metafor ``escalc`` with
``add=1/2, to="only0"``) and this is reported.  Estimates and intervals are
back-transformed with the inverse logit.

References
----------
Viechtbauer W. Bias and efficiency of meta-analytic variance estimators in
the random-effects model. J Educ Behav Stat 2005;30:261-293.
doi:10.3102/10769986030003261
Knapp G, Hartung J. Improved tests for a random effects meta-regression with a
single covariate. Stat Med 2003;22:2693-2710. doi:10.1002/sim.1482
Higgins JPT, Thompson SG. Quantifying heterogeneity in a meta-analysis.
Stat Med 2002;21:1539-1558. doi:10.1002/sim.1186
Viechtbauer W. Conducting meta-analyses in R with the metafor package.
J Stat Softw 2010;36(3). doi:10.18637/jss.v036.i03
"""

from __future__ import annotations

from typing import Any

import dataclasses
from collections.abc import Sequence

import numpy as np
import pandas as pd
from spinestats.analysis.core import distributions as stats

from spinestats.analysis.core.params import conf_level_or_alias
from spinestats.analysis.core.result import Result
from spinestats.errors import DataError, UsageError


@dataclasses.dataclass(frozen=True)
class MetaResult(Result):
    """A random-effects pooled estimate.

    ``estimate``, ``ci`` and ``prediction_interval`` are on the reporting
    scale (proportions for ``measure="PLO"``); the ``*_model`` fields are on
    the model (logit) scale.  ``i2`` is in percent.
    """

    _published_keys = {"p": "p_value"}  # results.json keeps its key

    measure: str
    method: str
    test: str
    k: int
    estimate: float
    ci: tuple[float, float]
    prediction_interval: tuple[float, float]
    estimate_model: float
    se_model: float
    ci_model: tuple[float, float]
    prediction_interval_model: tuple[float, float]
    statistic: float
    p: float
    tau2: float
    tau: float
    i2: float
    h2: float
    q: float
    q_df: int
    q_p: float
    iterations: int
    converged: bool
    labels: tuple[str, ...]
    yi: tuple[float, ...]
    vi: tuple[float, ...]
    weights: tuple[float, ...]
    corrected: tuple[str, ...]
    continuity_correction: float
    warnings: tuple[str, ...]

    def plot(self, *, label: str = "Estimate", show_prediction: bool = True) -> Any:
        """Forest plot with the pooled diamond and prediction interval, as the reports draw it; returns the ``Figure``."""
        from spinestats.reports.result_plots import plot_meta  # presentation hook, loaded on use

        return plot_meta(self, label=label, show_prediction=show_prediction)

    def to_frame(self) -> pd.DataFrame:
        """One row per study (yi, vi, percent weight, back-transformed CI)."""
        y = np.asarray(self.yi)
        se = np.sqrt(np.asarray(self.vi))
        z = stats.norm.ppf(0.975)
        back = _inverse(self.measure)
        return pd.DataFrame(
            {
                "label": list(self.labels),
                "yi": y,
                "vi": np.asarray(self.vi),
                "estimate": back(y),
                "lower": back(y - z * se),
                "upper": back(y + z * se),
                "weight_percent": np.asarray(self.weights),
                "corrected": [lab in self.corrected for lab in self.labels],
            }
        )


def _inverse(measure: str):
    if measure == "PLO":
        return lambda x: 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))
    return lambda x: np.asarray(x, dtype=float)


def reml_tau2(yi: np.ndarray, vi: np.ndarray, *, tol: float = 1e-12, max_iter: int = 1000) -> tuple[float, int, bool]:
    """REML estimate of ``tau^2`` by Fisher scoring (metafor's steps).

    Returns ``(tau2, iterations, converged)``.  The start is the
    DerSimonian-Laird estimate (truncated at 0); a step that would make
    ``tau^2`` negative is truncated at 0, as in metafor.
    """
    y = np.asarray(yi, dtype=float)
    v = np.asarray(vi, dtype=float)
    k = y.size
    w0 = 1.0 / v
    mu0 = np.sum(w0 * y) / np.sum(w0)
    q = np.sum(w0 * (y - mu0) ** 2)
    c = np.sum(w0) - np.sum(w0**2) / np.sum(w0)
    tau2 = max(0.0, (q - (k - 1)) / c) if c > 0 else 0.0
    for it in range(1, max_iter + 1):
        w = 1.0 / (v + tau2)
        sw = np.sum(w)
        # P = W - w w' / sw ;  P y = w * (y - mu)
        mu = np.sum(w * y) / sw
        py = w * (y - mu)
        # y'PPy = ||P y||^2 ; tr P = sum w - sum w^2/sw ; tr PP = sum w^2 - 2 sum w^3/sw + (sum w^2/sw)^2
        s2 = np.sum(w**2)
        tr_p = sw - s2 / sw
        tr_pp = s2 - 2.0 * np.sum(w**3) / sw + (s2 / sw) ** 2
        delta = (np.sum(py**2) - tr_p) / tr_pp
        new = max(0.0, tau2 + delta)
        if abs(new - tau2) < tol:
            return new, it, True
        tau2 = new
    return tau2, max_iter, False


def rma_reml(
    yi: Sequence[float],
    vi: Sequence[float],
    *,
    labels: Sequence[str] | None = None,
    measure: str = "GEN",
    test: str = "z",
    conf_level: float = 0.95, level: float | None = None,
    corrected: Sequence[str] = (),
    continuity_correction: float = 0.0,
) -> MetaResult:
    """Random-effects meta-analysis of estimates ``yi`` with variances ``vi``.

    Parameters
    ----------
    yi, vi : per-study estimates and their sampling variances (model scale).
    labels : study (centre) labels.
    measure : ``"GEN"`` (no back-transformation) or ``"PLO"`` (logit of a
        proportion; results back-transformed with the inverse logit).
    test : ``"z"`` (Wald, metafor default) or ``"knha"`` (Knapp-Hartung).
    conf_level : confidence level of the CI and prediction interval.  ``level=`` is an alias (the former name).

    Equals metafor ``rma(yi, vi, method="REML", test=test)`` (see module
    docstring for the formulas).
    """
    conf_level = conf_level_or_alias(conf_level, level)  # ``level``: the former name, an alias
    y = np.asarray(yi, dtype=float)
    v = np.asarray(vi, dtype=float)
    k = int(y.size)
    if test not in ("z", "knha"):
        raise UsageError(f"test must be 'z' or 'knha', got {test!r}.")
    if k < 2:
        raise DataError(f"a random-effects meta-analysis needs at least 2 studies (centres); got {k}.")
    if y.shape != v.shape:
        raise DataError(f"yi and vi differ in length ({y.size} and {v.size}).")
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(v)) and np.all(v > 0)):
        raise DataError("every estimate must be finite and every sampling variance finite and > 0.")
    labs = tuple(str(x) for x in (labels if labels is not None else [f"study {i + 1}" for i in range(k)]))
    warnings: list[str] = []
    tau2, iters, conv = reml_tau2(y, v)
    if not conv:
        warnings.append(f"REML for tau^2 did not converge in {iters} Fisher-scoring steps.")
    w = 1.0 / (v + tau2)
    sw = np.sum(w)
    mu = float(np.sum(w * y) / sw)
    var_mu = 1.0 / sw
    alpha = 1.0 - conf_level
    if test == "knha":
        s2 = float(np.sum(w * (y - mu) ** 2) / (k - 1))
        var_mu = var_mu * s2
        crit = float(stats.t.ppf(1 - alpha / 2, k - 1))
        se = float(np.sqrt(var_mu))
        stat = mu / se
        p = float(2 * stats.t.sf(abs(stat), k - 1))
    else:
        crit = float(stats.norm.ppf(1 - alpha / 2))
        se = float(np.sqrt(var_mu))
        stat = mu / se
        p = float(2 * stats.norm.sf(abs(stat)))
    ci_m = (mu - crit * se, mu + crit * se)
    pi_half = crit * np.sqrt(var_mu + tau2)
    pi_m = (mu - pi_half, mu + pi_half)
    wf = 1.0 / v
    mu_fe = np.sum(wf * y) / np.sum(wf)
    q = float(np.sum(wf * (y - mu_fe) ** 2))
    q_p = float(stats.chi2.sf(q, k - 1))
    vt = (k - 1) / (np.sum(wf) - np.sum(wf**2) / np.sum(wf))
    i2 = float(100.0 * tau2 / (vt + tau2))
    h2 = float((tau2 + vt) / vt)
    if k < 5:
        warnings.append(f"only {k} studies (centres): tau^2 and the prediction interval are imprecise.")
    back = _inverse(measure)
    return MetaResult(
        measure=measure,
        method="REML",
        test=test,
        k=k,
        estimate=float(back(mu)),
        ci=(float(back(ci_m[0])), float(back(ci_m[1]))),
        prediction_interval=(float(back(pi_m[0])), float(back(pi_m[1]))),
        estimate_model=mu,
        se_model=se,
        ci_model=(float(ci_m[0]), float(ci_m[1])),
        prediction_interval_model=(float(pi_m[0]), float(pi_m[1])),
        statistic=float(stat),
        p=p,
        tau2=float(tau2),
        tau=float(np.sqrt(tau2)),
        i2=i2,
        h2=h2,
        q=q,
        q_df=k - 1,
        q_p=q_p,
        iterations=iters,
        converged=conv,
        labels=labs,
        yi=tuple(float(a) for a in y),
        vi=tuple(float(a) for a in v),
        weights=tuple(float(a) for a in 100.0 * w / sw),
        corrected=tuple(corrected),
        continuity_correction=float(continuity_correction),
        warnings=tuple(warnings),
    )


def logit_proportions(
    events: Sequence[int], totals: Sequence[int], *, labels: Sequence[str] | None = None, add: float = 0.5
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Logit proportions and variances as metafor ``escalc("PLO", add=add, to="only0")``.

    Returns ``(yi, vi, corrected_labels)``; a study with 0 events or 0
    non-events gets ``add`` added to both cells.
    """
    x = np.asarray(events, dtype=float)
    n = np.asarray(totals, dtype=float)
    k = x.size
    labs = tuple(str(a) for a in (labels if labels is not None else [f"study {i + 1}" for i in range(k)]))
    if np.any(n <= 0) or np.any(x < 0) or np.any(x > n):
        bad = [labs[i] for i in range(k) if not (0 <= x[i] <= n[i] and n[i] > 0)]
        raise DataError(f"events must lie between 0 and the total (> 0); not so for: {', '.join(bad)}.")
    zero = (x == 0) | (x == n)
    if np.any(zero) and add <= 0:
        bad = [labs[i] for i in np.flatnonzero(zero)]
        raise DataError(
            f"{', '.join(bad)}: a zero cell (0 events or 0 non-events) gives an infinite logit; "
            "use a continuity correction > 0 (0.5 is the default)."
        )
    a = np.where(zero, x + add, x)
    b = np.where(zero, n - x + add, n - x)
    yi = np.log(a / b)
    vi = 1.0 / a + 1.0 / b
    return yi, vi, tuple(labs[i] for i in np.flatnonzero(zero))


def meta_proportion(
    events: Sequence[int],
    totals: Sequence[int],
    *,
    labels: Sequence[str] | None = None,
    test: str = "z",
    add: float = 0.5,
    conf_level: float = 0.95, level: float | None = None,
) -> MetaResult:
    """Pool proportions (e.g. sensitivity = TP/(TP+FN) per centre) on the logit scale.

    As metafor ``rma(xi=events, ni=totals, measure="PLO", method="REML",
    add=1/2, to="only0", test=test)``.  Centres with a zero cell are named in
    ``corrected`` and in ``warnings`` with the correction used.
    """
    conf_level = conf_level_or_alias(conf_level, level)  # ``level``: the former name, an alias
    yi, vi, corrected = logit_proportions(events, totals, labels=labels, add=add)
    res = rma_reml(
        yi, vi, labels=labels, measure="PLO", test=test, conf_level=conf_level,
        corrected=corrected, continuity_correction=add if corrected else 0.0,
    )
    if corrected:
        msg = (
            f"zero cell in {', '.join(corrected)}: {add} added to events and non-events "
            "of those centres only (continuity correction, as metafor escalc to='only0')."
        )
        res = dataclasses.replace(res, warnings=res.warnings + (msg,))
    return res

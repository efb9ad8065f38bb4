"""Logistic regression by Firth's penalised likelihood (and by plain ML).

Firth's (1993) bias-reducing penalty adds half the log-determinant of the
Fisher information to the binomial log-likelihood:

.. math::

    \\ell^*(\\beta) = \\sum_i \\{y_i \\log p_i + (1-y_i)\\log(1-p_i)\\}
                     + \\tfrac12 \\log\\lvert X^\\top W X\\rvert,
    \\qquad p_i = \\operatorname{expit}(x_i^\\top\\beta),\\ W = \\operatorname{diag}\\{p_i(1-p_i)\\}.

Its score is ``U*_r = sum_i {y_i - p_i + h_i (1/2 - p_i)} x_ir`` with ``h_i``
the diagonal of the weighted hat matrix; the estimate is finite even under
complete separation (Heinze & Schemper 2002).  It is found by Newton-Raphson
with the Fisher information, steps capped at 5 and halved while ``l*`` falls
(as R's logistf).  For the logit link it equals R brglm2's
``glm(..., method = "brglmFit", type = "AS_mean")``.

Confidence intervals are profile penalised-likelihood intervals: the set of
``beta_r`` with ``2 {l*(beta_hat) - max_{beta_-r} l*(beta_r, beta_-r)} <=
chi2_{1, level}``; p-values are penalised likelihood-ratio tests of
``beta_r = 0`` (the conventions of R logistf, Heinze & Schemper 2002).
Standard errors are ``sqrt(diag((X' W X)^-1))`` at the estimate.

With ``penalty=False`` the same code fits ordinary maximum likelihood (equal
to R ``glm(..., binomial)``, profile-likelihood CIs as ``MASS::confint``); it
refuses data with (quasi-)complete separation, where the ML estimate does
not exist, and says to use Firth's method instead.

References
----------
Firth D. Bias reduction of maximum likelihood estimates. Biometrika
1993;80:27-38. doi:10.1093/biomet/80.1.27
Heinze G, Schemper M. A solution to the problem of separation in logistic
regression. Stat Med 2002;21:2409-19. doi:10.1002/sim.1047
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.special import expit

from spinestats.analysis.core import distributions as stats
from spinestats.analysis.core.newton import binomial_loglik, design_rank, inverse_information, newton_maximise
from spinestats.analysis.core.params import check_column, check_columns, conf_level_or_alias
from spinestats.analysis.core.result import Result
from spinestats.analysis.prediction.separation import detect_separation
from spinestats.errors import DataError
from spinestats.text_numbers import to_numeric


@dataclasses.dataclass(frozen=True)
class LogisticResult(Result):
    """A fitted (Firth or ML) logistic regression.

    Attributes
    ----------
    method : ``"firth"`` or ``"ml"``.
    terms : ``("(Intercept)", covariate, ...)``.
    estimate, se, lower, upper, p : per term (log-odds scale); CIs are profile
        (penalised) likelihood intervals at ``level``; p from (penalised) LR tests.
    odds_ratio : ``exp(estimate)`` per term.
    loglik : maximised (penalised, for Firth) log-likelihood.
    n, events : rows used and outcome events among them.
    excluded : index labels of rows left out for a missing value.
    converged, iterations : Newton-Raphson outcome.
    separation : ``"none"``, ``"quasi-complete"`` or ``"complete"``.
    warnings : plain-language warnings.
    """

    _published_keys = {"conf_level": "level"}  # results.json keeps its key

    method: str
    terms: tuple[str, ...]
    estimate: tuple[float, ...]
    se: tuple[float, ...]
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    p: tuple[float, ...]
    odds_ratio: tuple[float, ...]
    loglik: float
    conf_level: float
    n: int
    events: int
    excluded: tuple
    converged: bool
    iterations: int
    separation: str
    warnings: tuple[str, ...]

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "term": self.terms,
                "estimate": self.estimate,
                "se": self.se,
                "lower": self.lower,
                "upper": self.upper,
                "p": self.p,
                "odds_ratio": self.odds_ratio,
            }
        )


def _loglik(X, y, beta, penalty):
    eta = X @ beta
    ll = binomial_loglik(eta, y)
    if not penalty:
        return ll
    p = expit(eta)
    w = p * (1 - p)
    sign, logdet = np.linalg.slogdet(X.T @ (X * w[:, None]))
    return ll + 0.5 * logdet if sign > 0 else -np.inf


def _score_info(X, y, beta, penalty):
    p = expit(X @ beta)
    w = p * (1 - p)
    info = X.T @ (X * w[:, None])
    resid = y - p
    if penalty:
        inv = inverse_information(info)  # NaN when singular: the solver then stops with an explicit status
        h = np.einsum("ij,jk,ik->i", X, inv, X) * w
        resid = resid + h * (0.5 - p)
    return X.T @ resid, info


def _maximise(X, y, beta, penalty, free, max_iter=200, tol=1e-10, max_step=5.0):
    """Newton-Raphson on the coordinates ``free`` (others fixed); returns (beta, ll, it, ok).

    Solved by :func:`spinestats.analysis.core.newton.newton_maximise` (rank-checked
    steps capped at ``max_step`` and halved while ``l*`` falls, as R logistf).
    """
    out = newton_maximise(
        lambda b: _loglik(X, y, b, penalty), lambda b: _score_info(X, y, b, penalty), beta, free=free,
        max_iter=max_iter, step_tol=tol, loglik_rtol=1e-12, score_tol=tol, max_step=max_step,
    )
    return out.beta, out.loglik, out.iterations, out.converged


def _profile_bound(X, y, beta_hat, ll_hat, r, penalty, crit, se, side):
    p = X.shape[1]
    free = np.array([j for j in range(p) if j != r], dtype=int)
    start = beta_hat.copy()

    def g(b):
        nonlocal start
        beta = start.copy()
        beta[r] = b
        fit, ll, _, _ = _maximise(X, y, beta, penalty, free)
        start = fit
        return 2 * (ll_hat - ll) - crit

    step = max(se, 1e-3)
    lo, hi = beta_hat[r], beta_hat[r] + side * step
    for _ in range(60):
        if g(hi) > 0:
            break
        lo, hi = hi, hi + side * step
        step *= 1.6
    else:
        return side * np.inf
    start = beta_hat.copy()
    a, b = sorted((lo, hi))
    from scipy.optimize import brentq  # imported on use: 0.8 s CPU a process that fits no profile CI never pays

    return brentq(g, a, b, xtol=1e-10, rtol=1e-12)


def design(data: pd.DataFrame, outcome: str, covariates: Sequence[str]):
    """Outcome vector, design matrix (intercept first) and excluded labels."""
    check_column(data, outcome, "outcome")
    check_columns(data, covariates, "covariates")
    sub = data[[outcome, *covariates]]
    bad = sub.isna().any(axis=1)
    sub = sub[~bad]
    yv = sub[outcome]
    if yv.dtype == bool:
        y = yv.to_numpy(dtype=float)
    else:
        y = to_numeric(yv, errors="coerce").to_numpy(dtype=float)
        if not np.all(np.isin(y, (0.0, 1.0))):
            raise DataError(f"outcome '{outcome}' must be 0/1 or boolean; found values {sorted(set(yv))[:5]}")
    cols = []
    for c in covariates:
        v = sub[c]
        if v.dtype == bool:
            cols.append(v.to_numpy(dtype=float))
        elif not pd.api.types.is_numeric_dtype(v):
            raise DataError(f"covariate '{c}' must be numeric or boolean (code categories as 0/1 indicators); found {v.dtype}")
        else:
            cols.append(v.to_numpy(dtype=float))
    X = np.column_stack([np.ones(len(sub)), *cols]) if len(sub) else np.zeros((0, 1 + len(covariates)))
    return y, X, tuple(data.index[bad].tolist())


def logistic_regression(
    data: pd.DataFrame,
    *,
    outcome: str,
    covariates: Sequence[str],
    method: str = "firth",
    conf_level: float = 0.95, level: float | None = None,
    profile: bool = True,
) -> LogisticResult:
    """Fit a logistic regression of ``outcome`` on ``covariates``.

    Parameters
    ----------
    data : one row per patient.
    outcome : 0/1 or boolean column (e.g. fracture by the horizon).
    covariates : numeric or boolean columns (categories coded 0/1 beforehand).
    method : ``"firth"`` (penalised, default) or ``"ml"`` (ordinary maximum
        likelihood, refused under separation).
    conf_level : confidence level of the profile-likelihood intervals.  ``level=`` is an alias (the former name).
    profile : compute the profile CIs and LR p-values (``False``: estimates
        and SEs only, with NaN bounds and p -- for bootstrap refits).

    Rows with a missing outcome or covariate are left out and listed in
    ``excluded``, with a warning giving their number.

    Raises
    ------
    DataError
        for ``method="ml"`` under complete or quasi-complete separation (the
        ML estimate is infinite), for a constant outcome, or an unusable column.
    """
    conf_level = conf_level_or_alias(conf_level, level)  # ``level``: the former name, an alias
    if method not in ("firth", "ml"):
        raise DataError(f"method must be 'firth' or 'ml'; got {method!r}")
    y, X, excluded = design(data, outcome, covariates)
    terms = ("(Intercept)", *covariates)
    warnings: list[str] = []
    if excluded:
        warnings.append(f"{len(excluded)} row(s) with a missing value were left out (lines {list(excluded)[:10]}).")
    n, events = len(y), int(y.sum())
    if n == 0 or events in (0, n):
        raise DataError(f"outcome '{outcome}' must have both events and non-events; got {events} events in {n} rows")
    if design_rank(X) < X.shape[1]:
        raise DataError(f"covariates {list(covariates)} are collinear (design matrix not of full rank)")
    sep = detect_separation(X, y)
    penalty = method == "firth"
    if sep.separated and not penalty:
        raise DataError(
            f"ordinary maximum-likelihood logistic regression is not possible: the data show {sep.kind} "
            f"separation ({events} events in {n} rows are perfectly split by {list(covariates)}), so the "
            "ML estimates are infinite. Use Firth's penalised likelihood (--model firth), which gives finite "
            "estimates and profile-likelihood intervals, or use fewer covariates."
        )
    if sep.separated:
        warnings.append(
            f"{sep.kind.capitalize()} separation: ordinary ML estimates would be infinite; Firth's penalty keeps them finite."
        )
    beta, ll, iters, ok = _maximise(X, y, np.zeros(X.shape[1]), penalty, np.arange(X.shape[1]))
    if not ok:
        warnings.append(f"Newton-Raphson did not converge in {iters} iterations.")
    _, info = _score_info(X, y, beta, penalty)
    se = np.sqrt(np.diag(inverse_information(info)))
    crit = stats.chi2.ppf(conf_level, 1)
    lower, upper, pvals = [], [], []
    for r in range(X.shape[1] if profile else 0):
        lower.append(_profile_bound(X, y, beta, ll, r, penalty, crit, se[r], -1))
        upper.append(_profile_bound(X, y, beta, ll, r, penalty, crit, se[r], +1))
        free = np.array([j for j in range(X.shape[1]) if j != r], dtype=int)
        b0 = beta.copy()
        b0[r] = 0.0
        _, ll0, _, _ = _maximise(X, y, b0, penalty, free)
        pvals.append(float(stats.chi2.sf(max(2 * (ll - ll0), 0.0), 1)))
    return LogisticResult(
        method=method,
        terms=terms,
        estimate=tuple(float(b) for b in beta),
        se=tuple(float(s) for s in se),
        lower=tuple(float(v) for v in lower) if profile else (float("nan"),) * X.shape[1],
        upper=tuple(float(v) for v in upper) if profile else (float("nan"),) * X.shape[1],
        p=tuple(pvals) if profile else (float("nan"),) * X.shape[1],
        odds_ratio=tuple(float(np.exp(b)) for b in beta),
        loglik=float(ll),
        conf_level=conf_level,
        n=n,
        events=events,
        excluded=excluded,
        converged=ok,
        iterations=iters,
        separation=sep.kind,
        warnings=tuple(warnings),
    )


def predict_logistic(result: LogisticResult, X: np.ndarray) -> np.ndarray:
    """Predicted probabilities ``expit(X beta)`` for a design matrix with intercept column."""
    return expit(np.asarray(X, float) @ np.asarray(result.estimate))

"""The one hardened Newton-Raphson solver behind every logistic fit.

Every logistic model in spinestats -- calibration-in-the-large and slope
(:mod:`spinestats.analysis.prediction.calibration`), external validation of a risk model
(:mod:`spinestats.analysis.prediction.risk_validation`), and Firth's penalised or plain
maximum-likelihood regression (:mod:`spinestats.analysis.prediction.firth`) -- is
maximised by :func:`newton_maximise`, and the unpenalised ones go through
:func:`fit_logistic`, which never lets LAPACK decide whether a problem is
degenerate:

* **rank checks of our own.**  Before a step is solved, the rank of the
  information matrix is computed from the eigenvalues of its
  diagonally scaled form ``D^-1/2 I D^-1/2`` (so that a covariate measured in
  days is not mistaken for a singular one); an eigenvalue below
  ``p * 1000 * eps`` counts as zero.  The design matrix itself is checked the
  same way (SVD of the column-scaled matrix, NumPy's ``matrix_rank``
  tolerance) before any iteration.  Whether ``numpy.linalg.solve`` would have
  raised for a singular matrix depends on the BLAS kernel the CPU selects, so
  it is never relied on.
* **step-halving.**  A Newton step that lowers the log-likelihood is halved
  (up to 30 times), as R ``glm.fit`` and logistf do; steps can be capped.
* **explicit degenerate results.**  No rows, no events, only events, a
  missing or infinite predictor, a constant predictor, collinear predictors,
  complete or quasi-complete separation, a singular information matrix during
  the iterations and non-convergence each give ``converged=False`` with a
  ``status`` code and a ``reason`` clause that callers turn into a report
  sentence with :meth:`LogisticFit.sentence` -- never a ``LinAlgError``.

Separation (Albert & Anderson 1984) is diagnosed with the linear programmes
of :func:`spinestats.analysis.prediction.separation.detect_separation` whenever the
iterations do not converge or fitted probabilities reach exactly 0 or 1: the
ML estimate exists exactly when the data are not separated, so a converged
fit needs no such check.

For a fit that converges the arithmetic is that of plain IRLS (R ``glm``):
the step is ``solve(I, U)`` on the unscaled information, and the estimates
agree with R to the tolerances of the tests of each estimator.

References
----------
Albert A, Anderson JA. On the existence of maximum likelihood estimates in
logistic regression models. Biometrika 1984;71:1-10. doi:10.1093/biomet/71.1.1
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import numpy as np
from scipy.special import expit

from spinestats.analysis.core.result import Result

#: an eigenvalue of the scaled information below ``p * RANK_RTOL`` counts as zero
RANK_RTOL = 1000 * np.finfo(float).eps

STATUSES = (
    "converged", "no_data", "no_events", "all_events", "nonfinite", "constant_predictor", "collinear",
    "complete_separation", "quasi_separation", "singular_information", "no_ascent", "not_converged",
)


# --- rank ------------------------------------------------------------------------------------------------------

def information_rank(info: np.ndarray) -> int:
    """Numerical rank of a symmetric positive semi-definite information matrix.

    The matrix is scaled to unit diagonal first; a column with no information
    (diagonal <= 0) adds nothing; an eigenvalue of the scaled matrix below
    ``p * RANK_RTOL`` counts as zero.  A non-finite matrix has rank 0.
    """
    info = np.asarray(info, dtype=float)
    p = info.shape[0]
    if p == 0:
        return 0
    if not np.all(np.isfinite(info)):
        return 0
    d = np.diag(info)
    keep = d > 0
    if not keep.any():
        return 0
    s = np.sqrt(d[keep])
    scaled = info[np.ix_(keep, keep)] / np.outer(s, s)
    sym = (scaled + scaled.T) / 2
    tol = p * RANK_RTOL
    if _certainly_full_rank(sym, tol):
        return sym.shape[0]
    try:
        ev = np.linalg.eigvalsh(sym)
    except np.linalg.LinAlgError:  # pragma: no cover - eigvalsh of a finite symmetric matrix converges
        return 0
    return int(np.sum(ev > tol))


def _certainly_full_rank(sym: np.ndarray, tol: float) -> bool:
    """True when every eigenvalue of ``sym`` (symmetric, unit diagonal) is certainly above ``tol``, so that
    the eigenvalue count of :func:`information_rank` is the full size; False when that is not certain (the
    eigenvalues then decide).

    1 x 1: the eigenvalue is the entry itself (LAPACK returns it unchanged).  Larger: a Cholesky
    factorisation of ``sym - 2 tol I`` exists (closed form for 2 x 2), so the smallest eigenvalue exceeds
    ``2 tol`` up to the factorisation's rounding (a few ``k^2 eps`` for entries of at most 1, far below
    ``tol = p * 1000 eps``); the computed eigenvalues, accurate to about ``k eps``, then all exceed ``tol``.
    A matrix with an entry above 1 in size (not positive semi-definite) is left to the eigenvalues.
    """
    k = sym.shape[0]
    if k == 1:
        return bool(sym[0, 0] > tol)
    if not np.all(np.abs(sym) <= 1.0 + 1e-12):
        return False
    shift = 2.0 * tol
    if k == 2:
        a, b, c = float(sym[0, 0]) - shift, float(sym[0, 1]), float(sym[1, 1]) - shift
        return a > 0 and c - b * b / a > 0
    try:
        np.linalg.cholesky(sym - shift * np.eye(k))
    except np.linalg.LinAlgError:
        return False
    return True


def design_rank(X: np.ndarray) -> int:
    """Numerical rank of a design matrix, each column scaled to unit length first (NumPy's SVD tolerance)."""
    X = np.asarray(X, dtype=float)
    if X.size == 0:
        return 0
    norms = np.linalg.norm(X, axis=0)
    used = norms > 0
    if not used.any():
        return 0
    return int(np.linalg.matrix_rank(X[:, used] / norms[used]))


def solve_information(info: np.ndarray, rhs: np.ndarray) -> np.ndarray | None:
    """``solve(info, rhs)`` when ``info`` has full rank by :func:`information_rank`, else ``None``."""
    info = np.asarray(info, dtype=float)
    if information_rank(info) < info.shape[0]:
        return None
    try:
        out = np.linalg.solve(info, rhs)
    except np.linalg.LinAlgError:
        return None
    return out if np.all(np.isfinite(out)) else None


def inverse_information(info: np.ndarray) -> np.ndarray:
    """The inverse of a full-rank information matrix; a matrix of NaN when it is rank deficient."""
    info = np.asarray(info, dtype=float)
    p = info.shape[0]
    inv = solve_information(info, np.eye(p))
    return np.full((p, p), np.nan) if inv is None else inv


# --- the Newton engine ---------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class NewtonOutcome:
    """Where :func:`newton_maximise` stopped.

    ``info`` is the information at the last iterate at which a step was
    computed (as R's IRLS, whose covariance is that of its final iteration).
    ``stop`` is ``"converged"``, ``"max_iter"``, ``"singular_information"``,
    ``"no_ascent"`` or ``"nonfinite"``.
    """

    beta: np.ndarray
    loglik: float
    info: np.ndarray
    iterations: int
    converged: bool
    stop: str


def newton_maximise(
    loglik: Callable[[np.ndarray], float],
    score_info: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
    beta0: np.ndarray,
    *,
    free: np.ndarray | None = None,
    max_iter: int = 100,
    step_tol: float = 1e-12,
    loglik_rtol: float | None = None,
    score_tol: float | None = None,
    max_step: float | None = None,
    max_halvings: int = 30,
    slack: float = 1e-12,
) -> NewtonOutcome:
    """Maximise ``loglik`` by Newton-Raphson over the coordinates ``free`` (others fixed).

    Each iteration solves ``I_ff step = U_f`` after checking the rank of
    ``I_ff`` (:func:`information_rank`), caps the step at ``max_step`` (max
    norm), then halves it while the log-likelihood falls by more than
    ``slack``.  It converges when ``max|step| < step_tol`` (and, with
    ``loglik_rtol``, the log-likelihood changed by less than
    ``loglik_rtol * max(1, |l|)``), or when ``max|U_f| < score_tol``.
    """
    beta = np.asarray(beta0, dtype=float).copy()
    free = np.arange(beta.size) if free is None else np.asarray(free, dtype=int)
    ll = float(loglik(beta))
    info = np.full((beta.size, beta.size), np.nan)
    if not np.isfinite(ll):
        return NewtonOutcome(beta, ll, info, 0, False, "nonfinite")
    for it in range(1, max_iter + 1):
        score, info = score_info(beta)
        u = score[free]
        if not (np.all(np.isfinite(u)) and np.all(np.isfinite(info))):
            return NewtonOutcome(beta, ll, info, it, False, "nonfinite")
        if free.size == 0:
            return NewtonOutcome(beta, ll, info, it, True, "converged")
        step = solve_information(info[np.ix_(free, free)], u)
        if step is None:
            return NewtonOutcome(beta, ll, info, it, False, "singular_information")
        mx = float(np.max(np.abs(step)))
        if max_step is not None and mx > max_step:
            step = step * (max_step / mx)
        for _ in range(max_halvings + 1):
            trial = beta.copy()
            trial[free] += step
            ll_new = float(loglik(trial))
            if ll_new >= ll - slack:
                break
            step = step / 2
        else:
            return NewtonOutcome(beta, ll, info, it, False, "no_ascent")
        beta, ll_old, ll = trial, ll, ll_new
        small = float(np.max(np.abs(step))) < step_tol
        if small and (loglik_rtol is None or abs(ll - ll_old) < loglik_rtol * max(1.0, abs(ll))):
            return NewtonOutcome(beta, ll, info, it, True, "converged")
        if score_tol is not None and float(np.max(np.abs(u))) < score_tol:
            return NewtonOutcome(beta, ll, info, it, True, "converged")
    return NewtonOutcome(beta, ll, info, max_iter, False, "max_iter")


# --- logistic regression (maximum likelihood) ----------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class LogisticFitResult(Result):
    """A weighted maximum-likelihood logistic fit, or the explicit reason there is none.

    Attributes
    ----------
    names : the design columns (for the sentences).
    coef : estimates (NaN where the fit is degenerate).
    cov : inverse information at the final iteration (NaN when not available).
    loglik : maximised weighted log-likelihood (NaN when degenerate).
    converged : ``True`` only for a regular, converged fit.
    iterations : Newton iterations done.
    status : one of :data:`STATUSES`.
    reason : a clause saying why the fit is not usable ("" when converged).
    n : rows with positive weight; events : those of them with ``y = 1``.
    """

    names: tuple[str, ...]
    coef: np.ndarray
    cov: np.ndarray
    loglik: float
    converged: bool
    iterations: int
    status: str
    reason: str
    n: int
    events: int

    def sentence(self, what: str) -> str:
        """``"<what> could not be estimated: <reason>."``; empty for a converged fit."""
        return "" if self.converged else f"{what} could not be estimated: {self.reason}."

    def se(self) -> np.ndarray:
        d = np.diag(self.cov)
        return np.sqrt(np.where(d >= 0, d, np.nan))


#: the former name, kept as an alias
LogisticFit = LogisticFitResult


def binomial_loglik(eta: np.ndarray, y: np.ndarray, w: np.ndarray | float = 1.0) -> float:
    """Bernoulli log-likelihood of outcomes ``y`` at linear predictor ``eta`` with prior weights ``w``.

    >>> round(binomial_loglik(np.zeros(4), np.array([0, 1, 1, 0])), 6)   # 4 log(1/2)
    -2.772589
    """
    # log p = -log(1 + exp(-eta)), log(1 - p) = -log(1 + exp(eta)): no overflow, no log(0)
    return float(-np.sum(w * (y * np.logaddexp(0, -eta) + (1 - y) * np.logaddexp(0, eta))))


def _names_list(names: Sequence[str]) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _degenerate(names, p, status, reason, n, events, iterations=0) -> LogisticFitResult:
    return LogisticFitResult(tuple(names), np.full(p, np.nan), np.full((p, p), np.nan), float("nan"), False, iterations,
                       status, reason, int(n), int(events))


def fit_logistic(
    X: np.ndarray,
    y: np.ndarray,
    *,
    weights: np.ndarray | None = None,
    offset: np.ndarray | None = None,
    names: Sequence[str] | None = None,
    unit: str = "rows",
    max_iter: int = 100,
    step_tol: float = 1e-12,
) -> LogisticFitResult:
    """Weighted logistic regression by maximum likelihood (R ``glm(..., binomial, weights = w)``).

    Parameters
    ----------
    X : n x p design matrix (include the intercept column yourself).
    y : 0/1 outcome (proportions are accepted, as by R).
    weights : prior weights >= 0 (default 1); rows of weight 0 are ignored.
    offset : fixed part of the linear predictor (default 0).
    names : human labels of the columns for the reason sentences (default ``x1, x2, ...``).
    unit : what a row is, for the sentences ("rows", "patients").

    Returns a :class:`LogisticFit`.  Degenerate data give ``converged=False``
    with NaN estimates and a ``reason``; they are checked in this order: no
    rows with weight, no events, only events, missing or infinite values, a
    constant predictor, collinear predictors; then, when the iterations fail,
    complete or quasi-complete separation, a singular information matrix,
    failed step-halving or non-convergence.
    """
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    n_all, p = X.shape
    y = np.asarray(y, dtype=float)
    w = np.ones(n_all) if weights is None else np.asarray(weights, dtype=float)
    off = np.zeros(n_all) if offset is None else np.asarray(offset, dtype=float)
    names = tuple(names) if names is not None else tuple(f"x{j + 1}" for j in range(p))
    if not (y.shape == w.shape == off.shape == (n_all,)) or len(names) != p:
        raise ValueError("fit_logistic: X, y, weights, offset and names do not match in size")
    if np.any(~np.isfinite(y) | (y < 0) | (y > 1)) or np.any(~np.isfinite(w) | (w < 0)):
        raise ValueError("fit_logistic: y must lie in [0, 1] and weights must be finite and >= 0")
    use = w > 0
    n, events = int(use.sum()), int(np.sum(y[use] > 0))
    if n == 0:
        return _degenerate(names, p, "no_data", "no rows carry weight", n, events)
    if np.all(y[use] == 0):
        return _degenerate(names, p, "no_events", f"none of the {n} {unit} has the event", n, events)
    if np.all(y[use] == 1):
        return _degenerate(names, p, "all_events", f"all {n} {unit} have the event", n, events)
    X, y, w, off = X[use], y[use], w[use], off[use]
    bad = ~(np.all(np.isfinite(X), axis=1) & np.isfinite(off))
    if bad.any():
        return _degenerate(names, p, "nonfinite",
                           f"{int(bad.sum())} of the {n} {unit} have a missing or infinite predictor or offset",
                           n, events)
    if design_rank(X) < p:
        const = [j for j in range(p) if np.all(X[:, j] == X[0, j]) and not np.all(X[:, j] == 1)]
        if const:
            j = const[0]
            return _degenerate(names, p, "constant_predictor",
                               f"{names[j]} takes the same value ({X[0, j]:.6g}) in all {n} {unit}, so its "
                               "coefficient is not identifiable", n, events)
        return _degenerate(names, p, "collinear",
                           f"{_names_list(names)} are collinear (the design matrix has rank {design_rank(X)} < {p})",
                           n, events)

    def loglik(beta):
        return binomial_loglik(off + X @ beta, y, w)

    def score_info(beta):
        pr = expit(off + X @ beta)
        W = w * pr * (1 - pr)
        return X.T @ (w * (y - pr)), X.T @ (X * W[:, None])

    out = newton_maximise(loglik, score_info, np.zeros(p), max_iter=max_iter, step_tol=step_tol)
    fitted = expit(off + X @ out.beta)
    binary = bool(np.all((y == 0) | (y == 1)))
    if binary and (not out.converged or np.any((fitted == 0) | (fitted == 1))):
        from spinestats.analysis.prediction.separation import detect_separation

        sep = detect_separation(X, y)
        if sep.separated:
            status = "complete_separation" if sep.kind == "complete" else "quasi_separation"
            word = "completely" if sep.kind == "complete" else "quasi-completely"
            cols = [names[j] for j in range(p) if not np.all(X[:, j] == 1)] or list(names)
            verb = "separates" if len(cols) == 1 else "separate"
            return _degenerate(names, p, status,
                               f"{_names_list(cols)} {verb} the {unit} with and without the event {word}, so the "
                               "maximum-likelihood estimate is infinite", n, events, out.iterations)
    if not out.converged:
        reason = {
            "singular_information": f"the information matrix became singular at iteration {out.iterations}",
            "no_ascent": f"step-halving could not increase the likelihood at iteration {out.iterations}",
            "nonfinite": f"the likelihood became infinite at iteration {out.iterations}",
            "max_iter": f"the iterations did not converge in {max_iter} steps",
        }[out.stop]
        status = "not_converged" if out.stop == "max_iter" else out.stop
        return LogisticFitResult(names, out.beta, inverse_information(out.info), out.loglik, False, out.iterations,
                           status, reason, n, events)
    return LogisticFitResult(names, out.beta, inverse_information(out.info), out.loglik, True, out.iterations,
                       "converged", "", n, events)


#: the former name (verb first: fit_*), kept as an alias
logistic_fit = fit_logistic

"""Fisher's exact test for a 2x2 table with R's conditional-MLE odds ratio and exact CI.

Public functions
----------------
``fisher_test(a, b, c, d, conf_level=0.95) -> FisherTestResult``
    Table ``[[a, b], [c, d]]`` (rows: group 1 / group 2; columns: feature present /
    absent).  Equals R ``fisher.test(matrix(c(a, b, c, d), 2, byrow = TRUE))``:
    ``p`` its two-sided p-value, ``odds_ratio`` its *conditional* maximum-likelihood
    estimate and ``ci`` its exact conditional interval.  ``sample_odds_ratio`` is the
    unconditional cross-product ``ad/(bc)`` (with Woolf's log CI), given as well
    because it is what most readers compute by hand.
``fisher_exact_2xk(table) -> float``
    Two-sided exact p-value of a 2 x k (or k x 2) table, R ``fisher.test(table)$p.value``
    (full enumeration; refused as a :class:`~spinestats.errors.UsageError` beyond
    ``MAX_EXACT_TABLES`` tables).
``fisher_exact_p(table) -> float``
    The p-value of a 2 x 2 (:func:`fisher_2x2_p`) or 2 x k table, as R.
``fisher_2x2_p(table) -> float``
    The p-value of a 2 x 2 table, R ``fisher.test(table)$p.value``, the null
    distribution as :func:`fisher_test` (``scipy.stats`` is not imported).
``r_uniroot(f, lower, upper, tol=EPS**0.25, maxiter=1000) -> float``
    R's ``uniroot`` (Brent's ``zeroin`` as in R's ``zeroin.c``).

Why R's root finder is reproduced
---------------------------------
R finds the conditional MLE and the CI bounds with ``uniroot`` at its default
tolerance ``.Machine$double.eps^0.25`` (about 1.2e-4) on ``1/OR`` in (0, 1).
Its published numbers therefore carry that error (for OR near 50 the
estimate moves by about 1e-3 relative compared with a tightly solved
equation, e.g. SciPy ``odds_ratio(kind="conditional")``).  To give the same
numbers as R we run the same algorithm with the same tolerance on the same
functions; the agreement is then about 1e-9.

Method
------
With row-1 total ``k``, column-1 total ``m`` and ``n`` the column-2 total,
:math:`X = a` follows Fisher's noncentral hypergeometric distribution
:math:`\\Pr(X = x) \\propto \\binom{m}{x}\\binom{n}{k-x}\\,\\psi^x` on
:math:`\\max(0, k-n) \\le x \\le \\min(k, m)`.  The conditional MLE solves
:math:`E_\\psi[X] = a`; the CI bounds solve :math:`\\Pr_\\psi(X \\ge a) = \\alpha/2`
and :math:`\\Pr_\\psi(X \\le a) = \\alpha/2`.  The two-sided p-value sums the
null probabilities not larger than that of the observed table (relative
tolerance 1e-7, as R).

References
----------
Fisher RA. On the interpretation of chi-square from contingency tables, and
the calculation of P. J R Stat Soc 1922;85:87-94. doi:10.2307/2340521

Brent RP. Algorithms for Minimization without Derivatives. Prentice-Hall, 1973.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Callable

import numpy as np
from scipy.special import gammaln

from spinestats.analysis.core import distributions as stats

from spinestats.analysis.core.result import Result
from spinestats.errors import DataError, UsageError

EPS = float(np.finfo(float).eps)
MAX_EXACT_TABLES = 2_000_000
_R_REL_ERR = 1 + 1e-7  # fisher.test's tolerance for "as or less probable"


@dataclasses.dataclass(frozen=True)
class FisherTestResult(Result):
    """Fisher's exact test of a 2x2 table (see module docstring)."""

    table: tuple
    p: float
    odds_ratio: float
    ci: tuple[float, float]
    sample_odds_ratio: float
    sample_ci: tuple[float, float]
    conf_level: float
    odds_ratio_kind: str = "conditional MLE (R fisher.test)"


#: the former name, kept as an alias
FisherTest = FisherTestResult


def r_uniroot(f: Callable[[float], float], lower: float, upper: float,
              tol: float = EPS**0.25, maxiter: int = 1000) -> float:
    """Root of ``f`` in ``[lower, upper]`` by R's ``zeroin`` (Brent), as R ``uniroot(...)$root``."""
    a, b = float(lower), float(upper)
    fa, fb = f(a), f(b)
    if fa * fb > 0:
        raise DataError("uniroot: f() values at the end points have the same sign.")
    if fa == 0.0:
        return a
    if fb == 0.0:
        return b
    c, fc = a, fa
    for _ in range(maxiter + 1):
        prev_step = b - a
        if abs(fc) < abs(fb):
            a, b, c = b, c, b
            fa, fb, fc = fb, fc, fb
        tol_act = 2 * EPS * abs(b) + tol / 2
        new_step = (c - b) / 2
        if abs(new_step) <= tol_act or fb == 0.0:
            return b
        if abs(prev_step) >= tol_act and abs(fa) > abs(fb):
            cb = c - b
            if a == c:
                t1 = fb / fa
                p = cb * t1
                q = 1.0 - t1
            else:
                q = fa / fc
                t1 = fb / fc
                t2 = fb / fa
                p = t2 * (cb * q * (q - t1) - (b - a) * (t1 - 1.0))
                q = (q - 1.0) * (t1 - 1.0) * (t2 - 1.0)
            if p > 0:
                q = -q
            else:
                p = -p
            if p < (0.75 * cb * q - abs(tol_act * q) / 2) and p < abs(prev_step * q / 2):
                new_step = p / q
        if abs(new_step) < tol_act:
            new_step = tol_act if new_step > 0 else -tol_act
        a, fa = b, fb
        b += new_step
        fb = f(b)
        if (fb > 0 and fc > 0) or (fb < 0 and fc < 0):
            c, fc = a, fa
    return b


def fisher_test(a: int, b: int, c: int, d: int, conf_level: float = 0.95) -> FisherTestResult:
    """Fisher's exact test of ``[[a, b], [c, d]]`` as R ``fisher.test`` (see module docstring)."""
    cells = np.array([a, b, c, d], dtype=float)
    if np.any(cells < 0) or np.any(cells != np.round(cells)):
        raise DataError(f"2x2 table cells must be whole counts >= 0, got {[a, b, c, d]}.")
    a, b, c, d = (int(v) for v in cells)
    m, n, k, x = a + c, b + d, a + b, a
    lo, hi = max(0, k - n), min(k, m)
    support = np.arange(lo, hi + 1)
    logdc = stats.hypergeom.logpmf(support, m + n, m, k)

    def dnhyper(ncp: float) -> np.ndarray:
        dd = logdc + math.log(ncp) * support
        dd = np.exp(dd - dd.max())
        return dd / dd.sum()

    def mnhyper(ncp: float) -> float:
        if ncp == 0:
            return float(lo)
        if math.isinf(ncp):
            return float(hi)
        return float(np.sum(support * dnhyper(ncp)))

    def pnhyper(q: float, ncp: float, upper: bool = False) -> float:
        if ncp == 1:
            return float(stats.hypergeom.sf(x - 1, m + n, m, k) if upper else stats.hypergeom.cdf(x, m + n, m, k))
        if ncp == 0:
            return float(q <= lo if upper else q >= lo)
        if math.isinf(ncp):
            return float(q <= hi if upper else q >= hi)
        dn = dnhyper(ncp)
        return float(dn[support >= q].sum() if upper else dn[support <= q].sum())

    pval = _two_sided_p(dnhyper(1.0), x - lo)

    def mle() -> float:
        if x == lo:
            return 0.0
        if x == hi:
            return math.inf
        mu = mnhyper(1.0)
        if mu > x:
            return r_uniroot(lambda t: mnhyper(t) - x, 0.0, 1.0)
        if mu < x:
            return 1.0 / r_uniroot(lambda t: mnhyper(1.0 / t) - x, EPS, 1.0)
        return 1.0

    def ncp_u(alpha: float) -> float:
        if x == hi:
            return math.inf
        p = pnhyper(x, 1.0)
        if p < alpha:
            return r_uniroot(lambda t: pnhyper(x, t) - alpha, 0.0, 1.0)
        if p > alpha:
            return 1.0 / r_uniroot(lambda t: pnhyper(x, 1.0 / t) - alpha, EPS, 1.0)
        return 1.0

    def ncp_l(alpha: float) -> float:
        if x == lo:
            return 0.0
        p = pnhyper(x, 1.0, upper=True)
        if p > alpha:
            return r_uniroot(lambda t: pnhyper(x, t, upper=True) - alpha, 0.0, 1.0)
        if p < alpha:
            return 1.0 / r_uniroot(lambda t: pnhyper(x, 1.0 / t, upper=True) - alpha, EPS, 1.0)
        return 1.0

    alpha = (1 - conf_level) / 2
    z = float(stats.norm.ppf(1 - alpha))
    if b * c > 0 and a * d > 0:
        sor = a * d / (b * c)
        half = z * math.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
        sci = (math.exp(math.log(sor) - half), math.exp(math.log(sor) + half))
    else:
        sor, sci = (a * d / (b * c) if b * c > 0 else math.nan), (math.nan, math.nan)
    return FisherTestResult(
        table=(a, b, c, d), p=pval, odds_ratio=mle(), ci=(ncp_l(alpha), ncp_u(alpha)),
        sample_odds_ratio=sor, sample_ci=sci, conf_level=float(conf_level),
    )


def _two_sided_p(null: np.ndarray, observed: int) -> float:
    """R's two-sided p: the null probabilities not larger than the observed one's (relative tolerance 1e-7)."""
    return float(min(1.0, null[null <= null[observed] * _R_REL_ERR].sum()))


def fisher_2x2_p(table) -> float:
    """Two-sided p-value of a 2 x 2 table, as R ``fisher.test(table)$p.value`` (no ``scipy.stats``).

    The null distribution of the top-left cell is hypergeometric given the
    margins (:data:`spinestats.analysis.core.distributions.hypergeom`, the
    function ``fisher.test`` evaluates with ``dhyper``), normalised as in
    :func:`fisher_test`.
    """
    (a, b), (c, d) = np.asarray(table, dtype=np.int64).tolist()
    m, n, k = a + c, b + d, a + b
    lo, hi = max(0, k - n), min(k, m)
    support = np.arange(lo, hi + 1)
    logdc = stats.hypergeom.logpmf(support, m + n, m, k)
    null = np.exp(logdc - logdc.max())
    return _two_sided_p(null / null.sum(), a - lo)


def _log_multi_hyper(first_row: np.ndarray, cols: np.ndarray, n: int, r1: int) -> float:
    return float(np.sum(gammaln(cols + 1) - gammaln(first_row + 1) - gammaln(cols - first_row + 1))
                 - (gammaln(n + 1) - gammaln(r1 + 1) - gammaln(n - r1 + 1)))


def fisher_exact_2xk(table: np.ndarray) -> float:
    """Two-sided exact p-value of a 2 x k (or k x 2) table, as R's ``fisher.test``.

    Sums the probabilities of every table with the observed margins that is
    no more probable than the observed one (relative tolerance 1e-7, as R).
    """
    t = np.asarray(table, dtype=np.int64)
    if t.shape[0] != 2:
        t = t.T
    if t.shape[0] != 2:
        raise UsageError(f"the exact test here needs two groups or two levels; got a {t.shape[0]} x {t.shape[1]} table.")
    cols = t.sum(axis=0)
    r1, n = int(t[0].sum()), int(t.sum())
    count = int(np.prod(cols + 1))
    if count > MAX_EXACT_TABLES:
        raise UsageError(f"the exact test would enumerate {count} tables; use the chi-squared test for this variable.")
    p_obs = np.exp(_log_multi_hyper(t[0], cols, n, r1))
    total = 0.0
    for first in itertools.product(*(range(c + 1) for c in cols)):
        x = np.asarray(first)
        if x.sum() != r1:
            continue
        p = np.exp(_log_multi_hyper(x, cols, n, r1))
        if p <= p_obs * _R_REL_ERR:
            total += p
    return float(min(total, 1.0))


def fisher_exact_p(table) -> float:
    """Two-sided Fisher exact p-value of a 2 x 2 or 2 x k table, as R ``fisher.test``.

    >>> round(fisher_exact_p([[3, 1], [1, 3]]), 6)   # R: fisher.test(matrix(c(3, 1, 1, 3), 2))$p.value
    0.485714
    >>> round(fisher_exact_p([[3, 1, 0], [0, 2, 4]]), 6)   # R: fisher.test(rbind(c(3, 1, 0), c(0, 2, 4)))$p.value
    0.033333
    """
    t = np.asarray(table, dtype=np.int64)
    if t.shape == (2, 2):
        return fisher_2x2_p(t)
    return fisher_exact_2xk(t)

"""The normal, t, chi-squared, F and beta distributions without importing ``scipy.stats``.

Importing ``scipy.stats`` costs 0.5-1 s of CPU time (its distributions build
their documentation, and it imports ``scipy.optimize``, ``scipy.spatial``,
``scipy.interpolate`` ...), more than a whole ``spinestats dss`` run has for
its statistics.  An analysis needs a few quantiles and tail probabilities.
Use this module in place of ``scipy.stats``::

    from spinestats.analysis.core import distributions as stats

    stats.norm.ppf(0.975), stats.chi2.sf(3.2, 1), stats.t(9).ppf(0.975)

``norm``, ``t``, ``chi2``, ``f`` and ``beta`` have ``cdf``, ``sf``, ``ppf``
and ``isf`` (with ``loc`` and ``scale``, and frozen as ``t(df)``); ``binom``
and ``hypergeom`` have ``cdf``, ``sf``, ``ppf`` and ``logpmf``.  Each
evaluates the same :mod:`scipy.special` function as the ``scipy.stats``
method does (normal: ``ndtr``/``ndtri``; t: ``stdtr``/``stdtrit``;
chi-squared: ``chdtr``/``chdtrc``/``chdtri`` and ``gammaincinv``; F:
``fdtr``/``fdtrc``/``fdtri``; beta: ``betainc``/``betaincc``/
``betainccinv`` and the Boost quantile ``scipy.stats`` uses; binomial and
hypergeometric: the Boost functions ``scipy.stats`` calls and its log-pmf
formulas), with the same
treatment of the ends of the support, of ``nan`` and of invalid parameters,
so the numbers are the same to the last bit (``tests/test_distributions.py``
compares them).  ``rankdata`` gives ``scipy.stats.rankdata``'s average
ranks (its default call).  Every other name (``poisson``, ``binomtest`` ...)
is looked up in ``scipy.stats`` when it is first used.
SciPy before 1.12 has the beta, binomial and hypergeometric functions only
inside ``scipy.stats``; there these three come from ``scipy.stats`` itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import special as sc

__all__ = ["beta", "binom", "chi2", "f", "hypergeom", "norm", "rankdata", "t"]


def _beta_quantile() -> Callable[..., Any]:
    try:  # SciPy >= 1.12: the Boost quantile scipy.stats.beta.ppf evaluates
        from scipy.special._ufuncs import _beta_ppf

        return lambda q, a, b: _beta_ppf(q, a, b)
    except ImportError:  # older SciPy keeps it inside scipy.stats
        def ppf(q, a, b):
            from scipy.stats import _boost

            return _boost._beta_ppf(q, a, b)

        return ppf


class _Continuous:
    """A continuous distribution on ``(a, b)`` with ``scipy.stats``'s handling of the edges."""

    def __init__(self, name: str, a: float, b: float, nargs: int, cdf: Callable, sf: Callable, ppf: Callable,
                 isf: Callable) -> None:
        self.name, self.a, self.b, self.nargs = name, a, b, nargs
        self._cdf, self._sf, self._ppf, self._isf = cdf, sf, ppf, isf

    def __repr__(self) -> str:
        return f"<distribution {self.name} (spinestats.analysis.core.distributions)>"

    def __call__(self, *args: Any, loc: Any = 0.0, scale: Any = 1.0) -> _Frozen:
        return _Frozen(self, args, loc, scale)

    def _prepare(self, x: Any, args: tuple, loc: Any, scale: Any):
        if len(args) != self.nargs:
            raise TypeError(f"{self.name} takes {self.nargs} shape parameter(s), got {len(args)}")
        x, loc, scale = np.asarray(x), np.asarray(loc), np.asarray(scale)
        args = tuple(np.asarray(a) for a in args)
        valid = scale > 0
        for a in args:  # every shape parameter of these distributions is positive
            valid = valid & (a > 0)
        return x, args, loc, scale, valid

    @staticmethod
    def _out(output: np.ndarray) -> Any:
        return output[()] if output.ndim == 0 else output

    def cdf(self, x: Any, *args: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
        return self._tail(self._cdf, x, args, loc, scale, upper=False)

    def sf(self, x: Any, *args: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
        return self._tail(self._sf, x, args, loc, scale, upper=True)

    def _tail(self, func: Callable, x: Any, args: tuple, loc: Any, scale: Any, upper: bool) -> Any:
        x, args, loc, scale, cond0 = self._prepare(x, args, loc, scale)
        dtype = np.promote_types(x.dtype, np.float64)
        x = np.asarray((x - loc) / scale, dtype=dtype)
        inside = cond0 & (self.a < x) & (x < self.b)
        beyond = cond0 & ((x <= self.a) if upper else (x >= self.b))  # sf 1 below the support, cdf 1 above it
        output = np.zeros(np.shape(inside), dtype)
        np.place(output, np.broadcast_to(~cond0 | np.isnan(x), output.shape), np.nan)
        np.place(output, np.broadcast_to(beyond, output.shape), 1.0)
        if np.any(inside):
            np.place(output, inside, func(*_pick(inside, x, *args)))
        return self._out(output)

    def ppf(self, q: Any, *args: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
        return self._quantile(self._ppf, q, args, loc, scale, lower_at=0.0)

    def isf(self, q: Any, *args: Any, loc: Any = 0.0, scale: Any = 1.0) -> Any:
        return self._quantile(self._isf, q, args, loc, scale, lower_at=1.0)

    def _quantile(self, func: Callable, q: Any, args: tuple, loc: Any, scale: Any, lower_at: float) -> Any:
        q, args, loc, scale, cond0 = self._prepare(q, args, loc, scale)
        cond0 = cond0 & (loc == loc)
        inside = cond0 & (0 < q) & (q < 1)
        output = np.full(np.shape(inside), np.nan)
        for at, end in ((lower_at, self.a), (1.0 - lower_at, self.b)):
            edge = np.broadcast_to(cond0 & (q == at), output.shape)
            if np.any(edge):
                np.place(output, edge, _pick(edge, end * scale + loc)[0])
        if np.any(inside):
            *good, s, m = _pick(inside, q, *args, scale, loc)
            np.place(output, inside, func(*good) * s + m)
        return self._out(output)


def _pick(cond: np.ndarray, *arrays: np.ndarray) -> list[np.ndarray]:
    """The elements of each array where ``cond`` holds (arrays broadcast to its shape).

    Only these are evaluated, as in ``scipy.stats``: a special function never
    sees an argument outside its domain, so it raises no warning it would not
    raise there.
    """
    return [np.broadcast_to(a, cond.shape)[cond] for a in arrays]


class _Frozen:
    """A distribution with its parameters fixed, as ``scipy.stats.t(df)``."""

    def __init__(self, dist: _Continuous, args: tuple, loc: Any, scale: Any) -> None:
        self.dist, self.args, self.loc, self.scale = dist, args, loc, scale

    def cdf(self, x: Any) -> Any:
        return self.dist.cdf(x, *self.args, loc=self.loc, scale=self.scale)

    def sf(self, x: Any) -> Any:
        return self.dist.sf(x, *self.args, loc=self.loc, scale=self.scale)

    def ppf(self, q: Any) -> Any:
        return self.dist.ppf(q, *self.args, loc=self.loc, scale=self.scale)

    def isf(self, q: Any) -> Any:
        return self.dist.isf(q, *self.args, loc=self.loc, scale=self.scale)


_inf = np.inf
norm = _Continuous("norm", -_inf, _inf, 0, lambda x: sc.ndtr(x), lambda x: sc.ndtr(-x),
                   lambda q: sc.ndtri(q), lambda q: -sc.ndtri(q))
t = _Continuous("t", -_inf, _inf, 1, lambda x, df: sc.stdtr(df, x), lambda x, df: sc.stdtr(df, -x),
                lambda q, df: sc.stdtrit(df, q), lambda q, df: -sc.stdtrit(df, q))
chi2 = _Continuous("chi2", 0.0, _inf, 1, lambda x, df: sc.chdtr(df, x), lambda x, df: sc.chdtrc(df, x),
                   lambda q, df: 2 * sc.gammaincinv(df / 2, q), lambda q, df: sc.chdtri(df, q))
f = _Continuous("f", 0.0, _inf, 2, lambda x, m, n: sc.fdtr(m, n, x), lambda x, m, n: sc.fdtrc(m, n, x),
                lambda q, m, n: sc.fdtri(m, n, q), lambda q, m, n: sc.fdtri(m, n, 1 - q))


if hasattr(sc, "betaincc") and hasattr(sc, "betainccinv"):  # SciPy >= 1.12
    beta = _Continuous("beta", 0.0, 1.0, 2, lambda x, a, b: sc.betainc(a, b, x), lambda x, a, b: sc.betaincc(a, b, x),
                       _beta_quantile(), lambda q, a, b: sc.betainccinv(a, b, q))
# older SciPy computes the beta tails in scipy.stats itself: ``beta`` then comes from there (__getattr__),
# as binom and hypergeom do


class _Discrete:
    """A distribution on the integers of ``[a, b]`` with ``scipy.stats``'s handling of the edges."""

    def __init__(self, name: str, nargs: int, argcheck: Callable, support: Callable, cdf: Callable, sf: Callable,
                 ppf: Callable, logpmf: Callable) -> None:
        self.name, self.nargs, self._argcheck, self._support = name, nargs, argcheck, support
        self._cdf, self._sf, self._ppf, self._logpmf = cdf, sf, ppf, logpmf

    def __repr__(self) -> str:
        return f"<distribution {self.name} (spinestats.analysis.core.distributions)>"

    def _prepare(self, k: Any, args: tuple, loc: Any):
        if len(args) != self.nargs:
            raise TypeError(f"{self.name} takes {self.nargs} shape parameter(s), got {len(args)}")
        k, loc = np.asarray(k), np.asarray(loc)
        args = tuple(np.asarray(a) for a in args)
        a, b = self._support(*args)
        return k, args, loc, a, b, self._argcheck(*args)

    def logpmf(self, k: Any, *args: Any, loc: Any = 0) -> Any:
        k, args, loc, a, b, cond0 = self._prepare(k, args, loc)
        k = np.asarray(k - loc)
        cond = cond0 & (k >= a) & (k <= b) & (np.floor(k) == k)
        output = np.full(np.shape(cond), -np.inf)
        np.place(output, np.broadcast_to(~cond0 | np.isnan(k), output.shape), np.nan)
        if np.any(cond):
            np.place(output, cond, self._logpmf(*_pick(cond, k, *args)))
        return output[()] if output.ndim == 0 else output

    def cdf(self, k: Any, *args: Any, loc: Any = 0) -> Any:
        return self._tail(self._cdf, k, args, loc, upper=False)

    def sf(self, k: Any, *args: Any, loc: Any = 0) -> Any:
        return self._tail(self._sf, k, args, loc, upper=True)

    def _tail(self, func: Callable, k: Any, args: tuple, loc: Any, upper: bool) -> Any:
        k, args, loc, a, b, cond0 = self._prepare(k, args, loc)
        k = np.asarray(k - loc)
        cond = cond0 & (k >= a) & (k < b) & np.isfinite(k)
        output = np.zeros(np.shape(cond))
        invalid = np.broadcast_to(~cond0 | np.isnan(k), output.shape)
        if upper:  # sf: nan first, then 1 below the support
            np.place(output, invalid, np.nan)
            np.place(output, np.broadcast_to(((k < a) | np.isneginf(k)) & cond0, output.shape), 1.0)
        else:  # cdf: 1 above the support, then nan
            np.place(output, np.broadcast_to(k >= b, output.shape), 1.0)
            np.place(output, np.broadcast_to(np.isneginf(k), output.shape), 0.0)
            np.place(output, invalid, np.nan)
        if np.any(cond):
            np.place(output, cond, np.clip(func(*_pick(cond, k, *args)), 0, 1))
        return output[()] if output.ndim == 0 else output

    def ppf(self, q: Any, *args: Any, loc: Any = 0) -> Any:
        q, args, loc, a, b, cond0 = self._prepare(q, args, loc)
        cond0 = cond0 & (loc == loc)
        cond = cond0 & (q > 0) & (q < 1)
        output = np.full(np.shape(cond), np.nan)
        for edge, value in (((q == 0) & cond0, a - 1 + loc), ((q == 1) & cond0, b + loc)):
            edge = np.broadcast_to(edge, output.shape)
            if np.any(edge):
                np.place(output, edge, _pick(edge, value)[0])
        if np.any(cond):
            *good, m = _pick(cond, q, *args, loc)
            np.place(output, cond, self._ppf(*good) + m)
        return output[()] if output.ndim == 0 else output


def _integral(x: np.ndarray) -> np.ndarray:
    return x == np.round(x)


try:  # SciPy >= 1.12 keeps the Boost binomial and hypergeometric functions in scipy.special
    from scipy.special._ufuncs import (
        _binom_cdf, _binom_ppf, _binom_sf, _hypergeom_cdf, _hypergeom_sf,
    )
except ImportError:  # pragma: no cover - older SciPy: binom and hypergeom come from scipy.stats (__getattr__)
    pass
else:
    binom = _Discrete(
        "binom", 2, lambda n, p: (n >= 0) & _integral(n) & (p >= 0) & (p <= 1), lambda n, p: (0, n),
        lambda k, n, p: _binom_cdf(np.floor(k), n, p), lambda k, n, p: _binom_sf(np.floor(k), n, p),
        lambda q, n, p: _binom_ppf(q, n, p),
        lambda x, n, p: (sc.gammaln(n + 1) - (sc.gammaln(np.floor(x) + 1) + sc.gammaln(n - np.floor(x) + 1))
                         + sc.xlogy(np.floor(x), p) + sc.xlog1py(n - np.floor(x), -p)))
    hypergeom = _Discrete(
        "hypergeom", 3,
        lambda M, n, N: (M > 0) & (n >= 0) & (N >= 0) & (n <= M) & (N <= M) & _integral(M) & _integral(n)
        & _integral(N),
        lambda M, n, N: (np.maximum(N - (M - n), 0), np.minimum(n, N)),
        lambda k, M, n, N: _hypergeom_cdf(k, n, N, M), lambda k, M, n, N: _hypergeom_sf(k, n, N, M),
        lambda q, M, n, N: _hypergeom_ppf(q, M, n, N),
        lambda k, M, n, N: (sc.betaln(n + 1, 1) + sc.betaln(M - n + 1, 1) + sc.betaln(M - N + 1, N + 1)
                            - sc.betaln(k + 1, n - k + 1) - sc.betaln(N - k + 1, M - n - N + k + 1)
                            - sc.betaln(M + 1, 1)))


def _hypergeom_ppf(q: Any, M: Any, n: Any, N: Any) -> Any:
    import scipy.stats

    return scipy.stats.hypergeom._ppf(q, M, n, N)


def rankdata(a: Any, method: str = "average", *, axis: int | None = None, nan_policy: str = "propagate") -> Any:
    """Ranks of ``a`` with ties given their average rank, as ``scipy.stats.rankdata`` and R ``rank``.

    The default call (``method="average"``, ``axis=None``, ``nan_policy="propagate"``)
    is computed here: the flattened data's ranks, 1 .. n, the values of a run of
    ties sharing the mean of their positions (half-integers, so the result is
    exact); a NaN anywhere gives NaN everywhere, as SciPy does.  Any other
    call is passed to ``scipy.stats.rankdata``.
    """
    if method != "average" or axis is not None or nan_policy != "propagate":
        import scipy.stats

        return scipy.stats.rankdata(a, method=method, axis=axis, nan_policy=nan_policy)
    x = np.ravel(np.asarray(a))
    if x.dtype.kind == "f" and np.isnan(x).any():
        return np.full(x.shape, np.nan)
    order = np.argsort(x, kind="mergesort")
    ordered = x[order]
    new_run = np.r_[True, ordered[1:] != ordered[:-1]] if len(x) else np.zeros(0, dtype=bool)
    starts = np.flatnonzero(new_run)
    sizes = np.diff(np.r_[starts, len(x)])
    ranks = np.empty(len(x))
    ranks[order] = np.repeat(starts + (sizes + 1) / 2, sizes)
    return ranks


def __getattr__(name: str) -> Any:
    """Any other ``scipy.stats`` name, imported on first use."""
    if name.startswith("__"):
        raise AttributeError(name)
    import scipy.stats

    return getattr(scipy.stats, name)

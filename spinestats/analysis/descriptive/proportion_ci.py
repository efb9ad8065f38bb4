"""Confidence intervals for a binomial proportion (vectorised).

Public functions
----------------
``clopper_pearson(x, n, conf_level=0.95) -> (lower, upper)``
    Exact interval, equal to R ``binom.test(x, n)$conf.int`` and to epiR
    ``epi.tests(..., method = "exact")``.
``wilson(x, n, conf_level=0.95) -> (lower, upper)``
    Score interval, equal to R ``prop.test(x, n, correct = FALSE)$conf.int``.
``proportion_ci(x, n, conf_level=0.95, method="exact") -> ProportionCIResult``
    Either of the two, with the estimate, as a :class:`ProportionCI` result.
``newcombe_difference(x1, n1, x0, n0, conf_level=0.95) -> (d, lower, upper)``
    The difference of two independent proportions with Newcombe's hybrid
    score interval (method 10), built from the two Wilson intervals.

``x`` and ``n`` may be scalars or arrays (broadcast together); the bounds come
back with the broadcast shape (0-d arrays for scalars).  ``n == 0`` gives NaN
bounds (the proportion is undefined), never an error, so that a table of many
strata can be computed in one call; invalid counts (``x < 0``, ``x > n``,
non-integers) raise :class:`~spinestats.errors.DataError`.

Formulas
--------
Clopper & Pearson (1934), with :math:`B_q(a, b)` the ``q`` quantile of the
beta distribution and :math:`\\alpha = 1 - \\text{conf\\_level}`:

.. math::
    L = B_{\\alpha/2}(x, n - x + 1), \\qquad U = B_{1-\\alpha/2}(x + 1, n - x),

with :math:`L = 0` when :math:`x = 0` and :math:`U = 1` when :math:`x = n`.

Wilson (1927), with :math:`\\hat p = x / n` and :math:`z = \\Phi^{-1}(1-\\alpha/2)`:

.. math::
    \\frac{\\hat p + z^2/(2n) \\pm z\\sqrt{\\hat p(1-\\hat p)/n + z^2/(4n^2)}}{1 + z^2/n}.

References
----------
Clopper CJ, Pearson ES. The use of confidence or fiducial limits illustrated in
the case of the binomial. Biometrika 1934;26:404-413. doi:10.1093/biomet/26.4.404

Wilson EB. Probable inference, the law of succession, and statistical
inference. J Am Stat Assoc 1927;22:209-212. doi:10.1080/01621459.1927.10502953

Newcombe RG. Interval estimation for the difference between independent
proportions: comparison of eleven methods. Stat Med 1998;17:873-890.
doi:10.1002/(SICI)1097-0258(19980430)17:8<873::AID-SIM779>3.0.CO;2-I
"""

from __future__ import annotations

import dataclasses
from typing import Literal

import numpy as np
import pandas as pd
from spinestats.analysis.core import distributions as stats

from spinestats.analysis.core.result import Result
from spinestats.errors import DataError, UsageError

Method = Literal["exact", "wilson"]


def _check_counts(x, n) -> tuple[np.ndarray, np.ndarray]:
    xa = np.asarray(x, dtype=float)
    na = np.asarray(n, dtype=float)
    xa, na = np.broadcast_arrays(xa, na)
    bad = ~np.isfinite(xa) | ~np.isfinite(na) | (xa < 0) | (xa > na) | (xa != np.round(xa)) | (na != np.round(na))
    if np.any(bad):
        i = int(np.flatnonzero(bad.ravel())[0])
        raise DataError(
            "proportion CI: expected whole counts with 0 <= x <= n, "
            f"got x={xa.ravel()[i]!r}, n={na.ravel()[i]!r}."
        )
    return xa, na


def _check_level(conf_level: float) -> float:
    if not (0.0 < float(conf_level) < 1.0):
        raise UsageError(f"conf_level must be between 0 and 1 (e.g. 0.95), got {conf_level!r}.")
    return float(conf_level)


def clopper_pearson(x, n, conf_level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Clopper–Pearson) interval for ``x`` successes out of ``n``.

    Equals R ``binom.test(x, n, conf.level = conf_level)$conf.int``.

    Parameters
    ----------
    x, n : counts (scalars or arrays, broadcast together).
    conf_level : two-sided confidence level.

    Returns
    -------
    (lower, upper) : arrays with the broadcast shape; NaN where ``n == 0``.
    """
    alpha = 1.0 - _check_level(conf_level)
    xa, na = _check_counts(x, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        lower = np.where(xa > 0, stats.beta.ppf(alpha / 2, np.maximum(xa, 1e-300), na - xa + 1), 0.0)
        upper = np.where(xa < na, stats.beta.ppf(1 - alpha / 2, xa + 1, np.maximum(na - xa, 1e-300)), 1.0)
    empty = na == 0
    lower = np.where(empty, np.nan, lower)
    upper = np.where(empty, np.nan, upper)
    return lower, upper


def wilson(x, n, conf_level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval (no continuity correction).

    Equals R ``prop.test(x, n, conf.level = conf_level, correct = FALSE)$conf.int``;
    parameters and return value as :func:`clopper_pearson`.
    """
    alpha = 1.0 - _check_level(conf_level)
    xa, na = _check_counts(x, n)
    z = stats.norm.ppf(1 - alpha / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = xa / na
        centre = p + z * z / (2 * na)
        half = z * np.sqrt(p * (1 - p) / na + z * z / (4 * na * na))
        denom = 1 + z * z / na
        lower = np.maximum((centre - half) / denom, 0.0)
        upper = np.minimum((centre + half) / denom, 1.0)
    # R sets the bound to exactly 0 / 1 at x = 0 / x = n.
    lower = np.where(xa == 0, 0.0, lower)
    upper = np.where(xa == na, 1.0, upper)
    empty = na == 0
    return np.where(empty, np.nan, lower), np.where(empty, np.nan, upper)


@dataclasses.dataclass(frozen=True)
class ProportionCIResult(Result):
    """A proportion with its confidence interval (arrays for vector input).

    Attributes
    ----------
    x, n : successes and trials.
    estimate : ``x / n`` (NaN when ``n == 0``).
    lower, upper : confidence bounds.
    method : ``"exact"`` (Clopper–Pearson) or ``"wilson"``.
    conf_level : two-sided confidence level.
    """

    x: np.ndarray
    n: np.ndarray
    estimate: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    method: str
    conf_level: float

    def to_frame(self) -> pd.DataFrame:
        """One row per proportion: x, n, estimate, lower, upper, method, conf_level."""
        return pd.DataFrame(
            {
                "x": np.atleast_1d(self.x),
                "n": np.atleast_1d(self.n),
                "estimate": np.atleast_1d(self.estimate),
                "lower": np.atleast_1d(self.lower),
                "upper": np.atleast_1d(self.upper),
                "method": self.method,
                "conf_level": self.conf_level,
            }
        )


#: the former name, kept as an alias
ProportionCI = ProportionCIResult


def proportion_ci(x, n, conf_level: float = 0.95, method: Method = "exact") -> ProportionCIResult:
    """Proportion ``x / n`` with an exact or Wilson confidence interval.

    Parameters
    ----------
    x, n : counts (scalars or arrays).
    conf_level : two-sided confidence level (default 0.95).
    method : ``"exact"`` (Clopper–Pearson, R ``binom.test``; epiR ``method="exact"``)
        or ``"wilson"`` (R ``prop.test(correct = FALSE)``; epiR ``method="wilson"``).

    Returns
    -------
    ProportionCI
    """
    if method == "exact":
        lower, upper = clopper_pearson(x, n, conf_level)
    elif method == "wilson":
        lower, upper = wilson(x, n, conf_level)
    else:
        raise UsageError(f"proportion CI method must be 'exact' or 'wilson', got {method!r}.")
    xa, na = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(n, dtype=float))
    with np.errstate(invalid="ignore", divide="ignore"):
        est = np.where(na > 0, xa / np.where(na > 0, na, 1), np.nan)
    return ProportionCIResult(
        x=xa, n=na, estimate=est, lower=lower, upper=upper, method=method, conf_level=float(conf_level)
    )


def newcombe_difference(x1: int, n1: int, x0: int, n0: int, conf_level: float = 0.95) -> tuple[float, float, float]:
    """``p1 - p0`` with Newcombe's hybrid score interval (method 10, from two Wilson intervals).

    .. math::
        L = \\hat d - \\sqrt{(\\hat p_1 - l_1)^2 + (u_0 - \\hat p_0)^2},\\quad
        U = \\hat d + \\sqrt{(u_1 - \\hat p_1)^2 + (\\hat p_0 - l_0)^2}.

    >>> d, lo, hi = newcombe_difference(30, 63, 7, 49)   # R: see tests/test_pain_ancova_responders.py
    >>> round(float(d), 6), round(float(lo), 6), round(float(hi), 6)
    (0.333333, 0.162036, 0.474171)
    """
    p1, p0 = x1 / n1, x0 / n0
    l1, u1 = (float(v) for v in wilson(x1, n1, conf_level))
    l0, u0 = (float(v) for v in wilson(x0, n0, conf_level))
    d = p1 - p0
    return d, d - np.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2), d + np.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)

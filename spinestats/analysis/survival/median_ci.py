"""Sample median with the distribution-free order-statistic confidence interval.

For ``n`` sorted values ``x(1) <= ... <= x(n)``, ``r = qbinom((1 - level)/2, n, 1/2)``
and the interval is ``[x(r), x(n - r + 1)]``; its coverage is at least
``level`` (Conover, *Practical Nonparametric Statistics*, 3rd ed., 1999,
section 3.2; R: ``x <- sort(x); r <- qbinom(0.025, n, 0.5); c(x[r], x[n - r + 1])``).
When ``r`` is 0 (too few values) the bounds are undefined (NaN).
"""

from __future__ import annotations

import dataclasses

import numpy as np
from spinestats.analysis.core import distributions as stats

from spinestats.analysis.core.result import Result


@dataclasses.dataclass(frozen=True)
class MedianCIResult(Result):
    """``estimate`` (the sample median), ``lower``/``upper`` and the order-statistic rank ``r``."""

    estimate: float
    lower: float
    upper: float
    r: int
    n: int
    conf_level: float


#: the former name, kept as an alias
MedianCI = MedianCIResult


def median_ci(x, conf_level: float = 0.95) -> MedianCIResult:
    """Sample median of ``x`` with the order-statistic CI (see the module docstring).

    >>> median_ci([3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0, 5.0, 3.0])
    MedianCIResult(estimate=3.5, lower=1, upper=6, r=2, n=10, conf_level=0.95)
    """
    v = np.sort(np.asarray(x, dtype=float))
    n = v.size
    r = int(stats.binom.ppf((1 - conf_level) / 2, n, 0.5)) if n else 0
    lo = float(v[r - 1]) if r >= 1 else float("nan")
    hi = float(v[n - r]) if r >= 1 else float("nan")
    return MedianCIResult(float(np.median(v)) if n else float("nan"), lo, hi, r, n, float(conf_level))

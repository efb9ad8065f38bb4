"""McNemar's test of two paired proportions, from the two discordant counts.

Public functions
----------------
``mcnemar(b, c, *, correct=True, exact=False) -> McNemarResult``
    ``b`` = positive on test 1 only, ``c`` = positive on test 2 only.
    ``correct=True`` is R ``mcnemar.test``'s default continuity correction:
    :math:`X^2 = (|b-c|-1)^2/(b+c)` (no correction when ``b == c``, as R), p from
    :math:`\\chi^2_1`.  ``correct=False`` gives :math:`(b-c)^2/(b+c)`.
    ``exact=True`` gives the exact binomial p-value, R ``binom.test(b, b + c)$p.value``.
    With ``b + c = 0`` the test is undefined (NaN).

References
----------
McNemar Q. Note on the sampling error of the difference between correlated
proportions or percentages. Psychometrika 1947;12:153-157. doi:10.1007/BF02295996

Edwards AL. Note on the "correction for continuity" in testing the significance
of the difference between correlated proportions. Psychometrika 1948;13:185-187.
doi:10.1007/BF02289261
"""

from __future__ import annotations

import dataclasses

from spinestats.analysis.core import distributions as stats
from spinestats.analysis.core.result import Result
from spinestats.errors import DataError


@dataclasses.dataclass(frozen=True)
class McNemarResult(Result):
    """McNemar's test of two paired proportions."""

    b: int
    c: int
    statistic: float
    p: float
    correct: bool
    exact: bool
    p_exact: float | None = None


#: the former name, kept as an alias
McNemar = McNemarResult


def mcnemar(b: int, c: int, *, correct: bool = True, exact: bool = False) -> McNemarResult:
    """McNemar's test from the discordant counts ``b`` and ``c`` (see module docstring).

    >>> r = mcnemar(12, 3)   # R: mcnemar.test(matrix(c(20, 12, 3, 30), 2))
    >>> round(r.statistic, 4), round(r.p, 5)
    (4.2667, 0.03887)
    """
    if b < 0 or c < 0 or b != int(b) or c != int(c):
        raise DataError(f"McNemar needs whole discordant counts >= 0, got b={b}, c={c}.")
    b, c = int(b), int(c)
    if b + c == 0:
        return McNemarResult(b, c, float("nan"), float("nan"), correct, exact, float("nan") if exact else None)
    diff = abs(b - c)
    num = (diff - 1.0) ** 2 if (correct and diff != 0) else float(diff) ** 2
    stat = num / (b + c)
    p = float(stats.chi2.sf(stat, 1))
    p_exact = float(stats.binomtest(b, b + c, 0.5).pvalue) if exact else None
    return McNemarResult(b, c, float(stat), p if p_exact is None else p_exact, correct, exact, p_exact)

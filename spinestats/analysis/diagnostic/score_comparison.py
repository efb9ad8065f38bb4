"""Comparing two scores on the same patients: paired DeLong and McNemar at fixed cutoffs.

Public functions
----------------
``mcnemar(b, c, *, correct=True, exact=False) -> McNemar``
    McNemar's test from the two discordant counts: ``b`` = positive on test 1 only,
    ``c`` = positive on test 2 only.  ``correct=True`` is R ``mcnemar.test``'s default
    continuity correction: :math:`X^2 = (|b-c|-1)^2/(b+c)` (no correction when
    ``b == c``, as R), p from :math:`\\chi^2_1`.  ``correct=False`` gives
    :math:`(b-c)^2/(b+c)`.  ``exact=True`` gives the exact binomial p-value,
    R ``binom.test(b, b + c)$p.value``.  With ``b + c = 0`` the test is undefined (NaN).
``compare_scores(score1, score2, truth, *, cutoff1, cutoff2, correct=True, exact=False,
conf_level=0.95) -> ScoreComparison``
    Paired DeLong test of the AUCs (:func:`spinestats.analysis.diagnostic.delong.delong_paired`)
    and McNemar's test of sensitivity (among positives) and of specificity (among
    negatives) of ``score1 >= cutoff1`` vs ``score2 >= cutoff2``.

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

import numpy as np
from spinestats.analysis.core import distributions as stats

from spinestats.analysis.diagnostic.delong import DelongPaired, delong_paired
from spinestats.analysis.core.result import Result
from spinestats.analysis.core.score_input import check_arrays
from spinestats.errors import DataError


@dataclasses.dataclass(frozen=True)
class McNemar(Result):
    """McNemar's test of two paired proportions."""

    b: int
    c: int
    statistic: float
    p: float
    correct: bool
    exact: bool
    p_exact: float | None = None


@dataclasses.dataclass(frozen=True)
class ScoreComparison(Result):
    """Two scores on the same patients (see module docstring)."""

    delong: DelongPaired
    cutoff1: float
    cutoff2: float
    sensitivity1: float
    sensitivity2: float
    specificity1: float
    specificity2: float
    mcnemar_sensitivity: McNemar
    mcnemar_specificity: McNemar


def mcnemar(b: int, c: int, *, correct: bool = True, exact: bool = False) -> McNemar:
    """McNemar's test from the discordant counts ``b`` and ``c`` (see module docstring)."""
    if b < 0 or c < 0 or b != int(b) or c != int(c):
        raise DataError(f"McNemar needs whole discordant counts >= 0, got b={b}, c={c}.")
    b, c = int(b), int(c)
    if b + c == 0:
        return McNemar(b, c, float("nan"), float("nan"), correct, exact, float("nan") if exact else None)
    diff = abs(b - c)
    num = (diff - 1.0) ** 2 if (correct and diff != 0) else float(diff) ** 2
    stat = num / (b + c)
    p = float(stats.chi2.sf(stat, 1))
    p_exact = float(stats.binomtest(b, b + c, 0.5).pvalue) if exact else None
    return McNemar(b, c, float(stat), p_exact if exact else p, correct, exact, p_exact)


def compare_scores(score1, score2, truth, *, cutoff1: float, cutoff2: float, correct: bool = True,
                   exact: bool = False, conf_level: float = 0.95) -> ScoreComparison:
    """Paired DeLong test and McNemar tests of sensitivity and specificity (see module docstring).

    Parameters
    ----------
    score1, score2 : the two scores of the same patients (no missing values).
    truth : boolean reference standard.
    cutoff1, cutoff2 : test-positive when ``score >= cutoff``.
    correct : continuity correction (R's default True).
    exact : exact binomial McNemar p-value instead of the chi-squared one.
    conf_level : level of the CI of the AUC difference.
    """
    s1, t, _ = check_arrays(score1, truth)
    s2, _, _ = check_arrays(score2, truth)
    d = delong_paired(s1, s2, t, conf_level)
    p1, p2 = s1 >= cutoff1, s2 >= cutoff2
    sens = mcnemar(int(np.sum(p1 & ~p2 & t)), int(np.sum(~p1 & p2 & t)), correct=correct, exact=exact)
    # specificity: test-negative is correct among negatives
    spec = mcnemar(int(np.sum(~p1 & p2 & ~t)), int(np.sum(p1 & ~p2 & ~t)), correct=correct, exact=exact)
    return ScoreComparison(
        delong=d, cutoff1=float(cutoff1), cutoff2=float(cutoff2),
        sensitivity1=float(p1[t].mean()), sensitivity2=float(p2[t].mean()),
        specificity1=float((~p1[~t]).mean()), specificity2=float((~p2[~t]).mean()),
        mcnemar_sensitivity=sens, mcnemar_specificity=spec,
    )

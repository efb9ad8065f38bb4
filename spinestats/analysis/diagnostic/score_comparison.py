"""Comparing two scores on the same patients: paired DeLong and McNemar at fixed cutoffs.

Public functions
----------------
``compare_scores(score1, score2, truth, *, cutoff1, cutoff2, correct=True, exact=False,
conf_level=0.95) -> ScoreComparisonResult``
    Paired DeLong test of the AUCs (:func:`spinestats.analysis.diagnostic.delong.delong_paired`)
    and McNemar's test (:mod:`spinestats.analysis.diagnostic.mcnemar`) of sensitivity
    (among positives) and of specificity (among negatives) of ``score1 >= cutoff1`` vs ``score2 >= cutoff2``.

References: see :mod:`spinestats.analysis.diagnostic.mcnemar` and
:mod:`spinestats.analysis.diagnostic.delong`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import ClassVar

import numpy as np

from spinestats.analysis.diagnostic.delong import DelongPaired, delong_paired
from spinestats.analysis.core.result import Result
from spinestats.analysis.core.score_input import check_arrays
from spinestats.analysis.diagnostic.mcnemar import McNemar, McNemarResult, mcnemar  # noqa: F401 (old import path)


@dataclasses.dataclass(frozen=True)
class ScoreComparisonResult(Result):
    """Two scores on the same patients (see module docstring).

    ``to_dict()`` writes the McNemar tests under the keys results.json published
    (``sensitivity_test``, ``specificity_test``, ``continuity_correction``).
    """

    _published_keys: ClassVar[Mapping[str, str]] = {"mcnemar_sensitivity": "sensitivity_test",
                                                    "mcnemar_specificity": "specificity_test",
                                                    "correct": "continuity_correction"}

    delong: DelongPaired
    cutoff1: float
    cutoff2: float
    sensitivity1: float
    sensitivity2: float
    specificity1: float
    specificity2: float
    mcnemar_sensitivity: McNemarResult
    mcnemar_specificity: McNemarResult
    correct: bool = True
    exact: bool = False


#: the former name, kept as an alias
ScoreComparison = ScoreComparisonResult


def compare_scores(score1, score2, truth, *, cutoff1: float, cutoff2: float, correct: bool = True,
                   exact: bool = False, conf_level: float = 0.95) -> ScoreComparisonResult:
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
    return ScoreComparisonResult(
        delong=d, cutoff1=float(cutoff1), cutoff2=float(cutoff2),
        sensitivity1=float(p1[t].mean()), sensitivity2=float(p2[t].mean()),
        specificity1=float((~p1[~t]).mean()), specificity2=float((~p2[~t]).mean()),
        mcnemar_sensitivity=sens, mcnemar_specificity=spec, correct=bool(correct), exact=bool(exact),
    )

"""Standardised mean differences (SMD) between groups, as R ``tableone::ExtractSmd``.

Public functions
----------------
``smd_continuous(means, variances) -> float``
    Mean over the pairs of groups of
    :math:`|\\bar x_i - \\bar x_j| / \\sqrt{(s_i^2 + s_j^2)/2}`.
``smd_categorical(proportions) -> float``
    Mean over the pairs of groups of Yang & Dalton's
    :math:`\\sqrt{(p_i-p_j)^T S^{-1} (p_i-p_j)}`, with :math:`p_g` the level
    proportions without the first level, :math:`S = (S_i+S_j)/2`,
    :math:`S_g = \\mathrm{diag}(p_g) - p_g p_g^T` and the Moore-Penrose
    inverse (as ``MASS::ginv``).

Used by :mod:`spinestats.analysis.descriptive.table_one`.

References
----------
Austin PC. Balance diagnostics for comparing the distribution of baseline
covariates between treatment groups in propensity-score matched samples.
Stat Med 2009;28:3083-3107. doi:10.1002/sim.3697

Yang D, Dalton JE. A unified approach to measuring the effect size between
two groups using SAS. SAS Global Forum 2012, paper 335-2012.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np


def smd_continuous(means: Sequence[float], variances: Sequence[float]) -> float:
    """Mean of the pairwise |m_i - m_j| / sqrt((v_i + v_j) / 2) (tableone).

    >>> smd_continuous([10.0, 12.0], [4.0, 4.0])
    1.0
    """
    out = [abs(means[i] - means[j]) / np.sqrt((variances[i] + variances[j]) / 2.0)
           for i, j in itertools.combinations(range(len(means)), 2)]
    return float(np.mean(out))


def smd_categorical(proportions: Sequence[np.ndarray]) -> float:
    """Mean of the pairwise Yang-Dalton SMDs of level proportions (first level dropped).

    For two levels this is the difference of the proportions over their pooled SD,
    :math:`|p_1 - p_2| / \\sqrt{(p_1(1-p_1) + p_2(1-p_2))/2}`:

    >>> round(smd_categorical([np.array([0.5, 0.5]), np.array([0.7, 0.3])]), 6)
    0.417029
    """
    out = []
    for i, j in itertools.combinations(range(len(proportions)), 2):
        p1, p2 = np.asarray(proportions[i])[1:], np.asarray(proportions[j])[1:]
        s = (np.diag(p1) - np.outer(p1, p1) + np.diag(p2) - np.outer(p2, p2)) / 2.0
        d = p1 - p2
        # MASS::ginv drops singular values below sqrt(eps) * largest
        out.append(float(np.sqrt(max(d @ np.linalg.pinv(s, rcond=np.sqrt(np.finfo(float).eps)) @ d, 0.0))))
    return float(np.mean(out))

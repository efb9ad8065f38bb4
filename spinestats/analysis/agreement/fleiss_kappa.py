"""Fleiss' kappa for ``m`` raters (the formula of irr ``kappam.fleiss``).

With ``n`` cases each rated by the same number ``m`` of raters into ``c``
categories, ``n_ij`` the number of raters putting case ``i`` in category
``j``:

* ``p_j = Σ_i n_ij / (n m)``, ``q_j = 1 - p_j``;
* ``P_i = (Σ_j n_ij^2 - m) / (m (m-1))``, ``P̄ = mean_i P_i``,
  ``P_e = Σ_j p_j^2``;
* ``κ = (P̄ - P_e) / (1 - P_e)``.

Standard error (Fleiss, Nee & Landis 1979), valid under the null
hypothesis ``κ = 0`` — it is the SE irr reports and the one used for the
z test; it is not a basis for a confidence interval of a non-zero kappa,
so none is given:

.. math::

    SE_0 = \\frac{\\sqrt2}{\\sum_j p_j q_j \\sqrt{n m (m-1)}}
           \\sqrt{\\Big(\\sum_j p_j q_j\\Big)^2 - \\sum_j p_j q_j (q_j - p_j)}

``z = κ / SE_0`` and ``p = 2 (1 - Φ(|z|))``.  R's irr is not installed here;
the formula is that of ``irr::kappam.fleiss(exact = FALSE)`` (irr 0.84.1
source) and the test checks a hand computation and the published example of
Fleiss (1971).

References
----------
Fleiss JL. Measuring nominal scale agreement among many raters. Psychol Bull
1971;76:378-382. doi:10.1037/h0031619
Fleiss JL, Nee JCM, Landis JR. Large sample variance of kappa in the case of
different sets of raters. Psychol Bull 1979;86:974-977.
doi:10.1037/0033-2909.86.5.974
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from spinestats.analysis.core import distributions as stats

from spinestats.analysis.core.result import Result
from spinestats.errors import DataError


@dataclasses.dataclass(frozen=True)
class FleissKappaResult(Result):
    """Fleiss' kappa with its null SE, z and two-sided p."""

    _published_keys = {"p": "p_value"}  # results.json keeps its key

    estimate: float
    se: float
    z: float
    p: float
    n_cases: int
    n_raters: int
    categories: tuple
    warnings: tuple[str, ...]


def fleiss_kappa(ratings: pd.DataFrame | np.ndarray) -> FleissKappaResult:
    """Fleiss' kappa of a cases-by-raters table of category labels.

    Parameters
    ----------
    ratings : one row per case, one column per rater; no missing values.
    """
    arr = np.asarray(ratings, dtype=object)
    if arr.ndim != 2 or arr.shape[1] < 2:
        raise DataError(f"Fleiss' kappa needs a cases x raters table with >= 2 raters; got shape {arr.shape}.")
    if any(pd.isna(v) for v in arr.ravel()):
        raise DataError("ratings contain missing values; Fleiss' kappa needs every case rated by every rater.")
    n, m = arr.shape
    cats = sorted(set(arr.ravel().tolist()))
    idx = {c: j for j, c in enumerate(cats)}
    counts = np.zeros((n, len(cats)))
    rows = np.repeat(np.arange(n), m)
    np.add.at(counts, (rows, [idx[v] for v in arr.ravel()]), 1.0)
    p = counts.sum(axis=0) / (n * m)
    q = 1 - p
    pi = (np.sum(counts**2, axis=1) - m) / (m * (m - 1))
    pbar = pi.mean()
    pe = np.sum(p**2)
    warnings: list[str] = []
    if pe >= 1:
        warnings.append("all ratings fall in one category: Fleiss' kappa is undefined.")
        return FleissKappaResult(float("nan"), float("nan"), float("nan"), float("nan"), n, m, tuple(cats), tuple(warnings))
    kappa = (pbar - pe) / (1 - pe)
    spq = np.sum(p * q)
    se = np.sqrt(2) / (spq * np.sqrt(n * m * (m - 1))) * np.sqrt(spq**2 - np.sum(p * q * (q - p)))
    z = kappa / se
    pval = 2 * stats.norm.sf(abs(z))
    return FleissKappaResult(float(kappa), float(se), float(z), float(pval), n, m, tuple(cats), tuple(warnings))

"""Multiple-testing adjustment: the one home of Holm's step-down procedure.

``holm(p)`` is R's ``p.adjust(p, "holm")``: over the ``m`` non-missing
p-values in increasing order, ``p_(i) -> min(1, max_{j <= i} (m - j + 1) p_(j))``;
missing p-values stay missing and are not counted.  Computed with NumPy (the
same products and running maximum as R and as statsmodels'
``multipletests(p, method="holm")``, so the numbers are identical to the last
bit; importing statsmodels for it, with the scipy.stats it loads, cost about
1.4 s of CPU time per process).
Used by the pairwise log-rank tests (:mod:`spinestats.analysis.survival.logrank`)
and the paired tests across visits (:mod:`spinestats.analysis.longitudinal.paired_tests`).

References
----------
Holm S. A simple sequentially rejective multiple test procedure. Scand J Stat
1979;6:65-70.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def holm(p: Sequence[float] | np.ndarray) -> np.ndarray:
    """Holm-adjusted p-values, as R ``p.adjust(p, "holm")``; NaN stays NaN and is not counted.

    >>> holm([0.01, 0.04, 0.03, float("nan")]).tolist()   # R: p.adjust(c(0.01, 0.04, 0.03, NA), "holm")
    [0.03, 0.06, 0.06, nan]
    """
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if m == 0:
        return out
    values = p[ok]
    order = np.argsort(values, kind="mergesort")
    adjusted = np.minimum(1.0, np.maximum.accumulate(values[order] * np.arange(m, 0, -1)))  # (m - i + 1) p_(i)
    inside = np.empty(m)
    inside[order] = adjusted
    out[ok] = inside
    return out

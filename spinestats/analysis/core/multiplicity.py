"""Multiple-testing adjustment: the one home of Holm's step-down procedure.

``holm(p)`` is statsmodels' ``multipletests(p, method="holm")`` with missing
p-values kept missing and not counted, which is R's ``p.adjust(p, "holm")``:
``p_(i) -> min(1, max_{j <= i} (m - j + 1) p_(j))`` over the ``m`` non-missing
p-values in increasing order.  Used by the pairwise log-rank tests
(:mod:`spinestats.analysis.survival.logrank`) and the paired tests across visits
(:mod:`spinestats.analysis.longitudinal.paired_tests`).

References
----------
Holm S. A simple sequentially rejective multiple test procedure. Scand J Stat
1979;6:65-70.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from spinestats.analysis.core.usage import note_used


def holm(p: Sequence[float] | np.ndarray) -> np.ndarray:
    """Holm-adjusted p-values, as R ``p.adjust(p, "holm")``; NaN stays NaN and is not counted."""
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    if not ok.any():
        return out
    from statsmodels.stats.multitest import multipletests  # imported on use: keeps start-up fast

    note_used("statsmodels")
    out[ok] = multipletests(p[ok], method="holm")[1]
    return out

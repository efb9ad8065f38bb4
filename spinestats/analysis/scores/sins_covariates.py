"""Covariates a fracture risk model derives from the six SINS components.

From the components of :mod:`spinestats.analysis.scores.sins` (Fisher et al.
2010) a table gains

* ``sins_total``: the SINS total, :math:`\\sum_k \\text{points}_k` (0-18);
* ``sins_category``: ``stable`` (0-6), ``indeterminate`` (7-12) or ``unstable`` (13-18);
* ``sins_7_or_more``: :math:`\\text{total} \\ge 7` (indeterminate or unstable);
* ``lytic``: bone lesion quality lytic (component ``sins_bone_lesion`` = 2).

The fitting job (``spinestats fracture``) and the scoring of new patients
(``spinestats predict``, ``spinestats validate``) derive them the same way.
R equivalent: ``d$sins_total <- rowSums(d[, components]); d$lytic <-
d$sins_bone_lesion == 2``.

References
----------
Fisher CG, DiPaola CP, Ryken TC, et al. A novel classification system for
spinal instability in neoplastic disease. Spine 2010;35:E1221-9.
doi:10.1097/BRS.0b013e3181e16ae2
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from spinestats.analysis.scores.sins import sins
from spinestats.text_numbers import to_numeric

#: The covariates :func:`derive_covariates` adds.
SINS_DERIVED = ("sins_total", "sins_category", "sins_7_or_more", "lytic")

#: Yes/no columns of the fracture table that become booleans.
BOOLEAN_COLUMNS = ("baseline_fracture", "vcf", "death")


def derive_covariates(data: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``data`` with the SINS-derived covariates (:data:`SINS_DERIVED`) and yes/no columns as booleans.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"sins_location": [3], "sins_pain": [3], "sins_bone_lesion": [2], "sins_alignment": [0],
    ...                   "sins_collapse": [1], "sins_posterolateral": [0]})
    >>> row = derive_covariates(d).iloc[0]
    >>> float(row["sins_total"]), row["sins_category"], bool(row["sins_7_or_more"]), bool(row["lytic"])
    (9.0, 'indeterminate', True, True)
    """
    out = data.copy()
    s = sins(out)
    out["sins_total"] = np.asarray(s.total, dtype=float)
    out["sins_category"] = list(s.category)
    out["sins_7_or_more"] = out["sins_total"] >= 7
    out["lytic"] = to_numeric(out["sins_bone_lesion"]).to_numpy() == 2
    for c in BOOLEAN_COLUMNS:
        if c in out.columns:
            out[c] = out[c].astype(bool)
    return out

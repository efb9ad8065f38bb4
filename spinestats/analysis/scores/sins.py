"""Spinal Instability Neoplastic Score (SINS).

SINS (Fisher et al. 2010) adds six radiographic and clinical components:

=======================  ==========================================================
component                points
=======================  ==========================================================
location                 junctional (occiput-C2, C7-T2, T11-L1, L5-S1) 3,
                         mobile spine (C3-C6, L2-L4) 2, semi-rigid (T3-T10) 1,
                         rigid (S2-S5) 0
pain                     mechanical 3, occasional non-mechanical 1, pain-free 0
bone lesion quality      lytic 2, mixed 1, blastic 0
radiographic alignment   subluxation/translation 4, de novo deformity 2, normal 0
vertebral body collapse  >50 % 3, <50 % 2, none with >50 % of the body involved 1,
                         none of the above 0
posterolateral           bilateral 3, unilateral 1, none 0
involvement
=======================  ==========================================================

The total is 0-18; 0-6 is *stable*, 7-12 *indeterminate (possibly impending)
instability* and 13-18 *unstable*.

References
----------
Fisher CG, DiPaola CP, Ryken TC, et al. A novel classification system for
spinal instability in neoplastic disease. Spine 2010;35:E1221-9.
doi:10.1097/BRS.0b013e3181e16ae2
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np
import pandas as pd

from spinestats.analysis.core.result import Result
from spinestats.errors import DataError
from spinestats.text_numbers import to_numeric

#: allowed points of each component, keyed by the canonical ``fracture`` column
COMPONENTS: dict[str, tuple[int, ...]] = {
    "sins_location": (0, 1, 2, 3),
    "sins_pain": (0, 1, 3),
    "sins_bone_lesion": (0, 1, 2),
    "sins_alignment": (0, 2, 4),
    "sins_collapse": (0, 1, 2, 3),
    "sins_posterolateral": (0, 1, 3),
}

#: category labels and their inclusive total ranges
CATEGORIES: tuple[tuple[str, int, int], ...] = (
    ("stable", 0, 6),
    ("indeterminate", 7, 12),
    ("unstable", 13, 18),
)


@dataclasses.dataclass(frozen=True)
class SinsResult(Result):
    """SINS totals and categories, one per row of the input.

    Attributes
    ----------
    total : total score (0-18) per row, in input order.
    category : ``"stable"``, ``"indeterminate"`` or ``"unstable"`` per row.
    index : the input's index labels (spreadsheet lines after ``load``).
    counts : number of rows in each category (all three keys present).
    """

    total: tuple[int, ...]
    category: tuple[str, ...]
    index: tuple
    counts: dict[str, int]

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {"sins_total": self.total, "sins_category": self.category},
            index=pd.Index(self.index),
        )


def sins_category(total: int | np.ndarray) -> np.ndarray:
    """Category of SINS total(s): stable 0-6, indeterminate 7-12, unstable 13-18."""
    t = np.asarray(total)
    if np.any((t < 0) | (t > 18)):
        raise DataError(f"SINS total must be between 0 and 18; got {t[(t < 0) | (t > 18)].tolist()}")
    return np.where(t <= 6, "stable", np.where(t <= 12, "indeterminate", "unstable"))


def sins(data: pd.DataFrame, *, columns: Mapping[str, str] | None = None) -> SinsResult:
    """Compute SINS total and category from its six components.

    Parameters
    ----------
    data : one row per lesion.
    columns : optional mapping from canonical component name (the keys of
        :data:`COMPONENTS`, e.g. ``"sins_pain"``) to the column of ``data``
        holding it; by default the canonical names are used.

    Returns
    -------
    SinsResult
        ``total = location + pain + bone_lesion + alignment + collapse +
        posterolateral`` (points, 0-18) and its category.

    Raises
    ------
    DataError
        if a component column is missing, or a value is missing, not an integer
        or not one of that component's allowed points; the message names the
        component, the row (index label), the value and the allowed set, and
        lists every invalid value found.
    """
    columns = dict(columns or {})
    problems: list[str] = []
    parts = []
    for comp, allowed in COMPONENTS.items():
        col = columns.get(comp, comp)
        if col not in data.columns:
            problems.append(f"SINS component '{comp}': column '{col}' is missing")
            continue
        values = data[col]
        numeric = to_numeric(values, errors="coerce").to_numpy(dtype=float)
        ok = np.isin(numeric, allowed)
        for label, raw in zip(data.index[~ok], values[~ok]):
            shown = repr(raw) if isinstance(raw, str) else str(raw)
            problems.append(
                f"SINS component '{comp}' (column '{col}'), row {label}: value {shown} "
                f"is not allowed; expected one of {{{', '.join(map(str, allowed))}}}"
            )
        parts.append(numeric)
    if problems:
        raise DataError("Invalid SINS input:\n  " + "\n  ".join(problems), problems=tuple(problems))
    total = np.sum(parts, axis=0).astype(int) if parts else np.zeros(0, int)
    cat = sins_category(total)
    counts = {name: int(np.sum(cat == name)) for name, _, _ in CATEGORIES}
    return SinsResult(
        total=tuple(int(t) for t in total),
        category=tuple(str(c) for c in cat),
        index=tuple(data.index.tolist()),
        counts=counts,
    )

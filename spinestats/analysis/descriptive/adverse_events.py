"""Adverse events table: counts and percentages with exact CIs per arm.

For each event column (e.g. cement leakage, new vertebral fracture, added
fixation) and arm: patients with the event, patients with a recorded value
(``n``; a missing value is not counted as "no event" and is reported in
``n_missing``), the percentage and the exact Clopper-Pearson interval
(R ``binom.test``).

Reference: Clopper CJ, Pearson ES. Biometrika 1934;26:404-413.
doi:10.1093/biomet/26.4.404
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import pandas as pd

from spinestats.analysis.descriptive.proportion_ci import clopper_pearson
from spinestats.analysis.core.result import Result
from spinestats.errors import DataError


@dataclasses.dataclass(frozen=True)
class AdverseEventsResult(Result):
    """``table`` columns: ``event``, (``arm``,) ``events``, ``n``, ``n_missing``,
    ``percent``, ``ci_low``, ``ci_high`` (percent, exact 95 % CI)."""

    table: pd.DataFrame
    conf_level: float = 0.95

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()


#: the former name, kept as an alias
AdverseEvents = AdverseEventsResult


def adverse_events(
    data: pd.DataFrame,
    *,
    events: Sequence[str],
    arm: str | None = None,
    arms: Sequence[str] | None = None,
    conf_level: float = 0.95,
) -> AdverseEventsResult:
    """Tabulate boolean event columns (one row per patient), per arm."""
    levels = [None] if arm is None else list(arms or sorted(data[arm].dropna().unique()))
    rows = []
    for ev in events:
        col = data[ev]
        bad = col.dropna().map(lambda v: not isinstance(v, (bool, np.bool_)))
        if bad.any():
            raise DataError(f"adverse events: column '{ev}' must be true/false; found {col.dropna()[bad].iloc[0]!r}.")
        for a in levels:
            part = col if a is None else col[data[arm] == a]
            known = part.dropna().astype(bool)
            x, n = int(known.sum()), int(known.size)
            lo, hi = clopper_pearson(x, n, conf_level)
            row = {"event": ev} if a is None else {"event": ev, "arm": a}
            row.update({"events": x, "n": n, "n_missing": int(part.size - n),
                        "percent": 100.0 * x / n if n else np.nan,
                        "ci_low": 100.0 * float(lo), "ci_high": 100.0 * float(hi)})
            rows.append(row)
    return AdverseEventsResult(table=pd.DataFrame(rows), conf_level=conf_level)

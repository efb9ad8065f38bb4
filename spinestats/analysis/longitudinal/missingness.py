"""Missing-visit patterns of a wide score table (as mice ``md.pattern``).

``patterns``: one row per distinct pattern of observed (1) and missing (0)
visits, with the number of patients showing it, sorted from the most
complete pattern down (ties by frequency).  ``per_visit``: observed and
missing counts and the missing percentage per visit (and arm).

Reference: van Buuren S. Flexible Imputation of Missing Data, 2nd ed.
Chapman & Hall/CRC, 2018. doi:10.1201/9780429492259
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from spinestats.analysis.core.result import Result


@dataclasses.dataclass(frozen=True)
class MissingnessResult(Result):
    """Missing-data patterns and per-visit counts."""

    patterns: pd.DataFrame
    per_visit: pd.DataFrame
    n_patients: int
    n_complete: int

    def to_frame(self) -> pd.DataFrame:
        return self.per_visit.copy()


#: the former name, kept as an alias
Missingness = MissingnessResult


def missingness(wide: pd.DataFrame, *, visit_columns: dict[str, str], arm: str | None = None) -> MissingnessResult:
    """Pattern table of ``visit_columns`` (visit label -> column) in ``wide``."""
    obs = pd.DataFrame({v: wide[c].notna().astype(int) for v, c in visit_columns.items()})
    key = obs.astype(str).agg("".join, axis=1)
    pat = obs.assign(_key=key).groupby("_key", sort=False).agg("first")
    pat["n_patients"] = key.value_counts()
    pat["n_missing_visits"] = len(visit_columns) - pat[list(visit_columns)].sum(axis=1)
    pat = pat.sort_values(["n_missing_visits", "n_patients"], ascending=[True, False], kind="stable")
    rows = []
    groups = [(None, wide)] if arm is None else list(wide.groupby(arm, sort=True, observed=True))
    for a, part in groups:
        for v, c in visit_columns.items():
            n_obs = int(part[c].notna().sum())
            row = {} if a is None else {"arm": a}
            row.update({"visit": v, "observed": n_obs, "missing": int(len(part) - n_obs),
                        "percent_missing": 100.0 * (len(part) - n_obs) / len(part) if len(part) else np.nan})
            rows.append(row)
    return MissingnessResult(patterns=pat.reset_index(drop=True), per_visit=pd.DataFrame(rows),
                       n_patients=int(len(wide)), n_complete=int((obs.sum(axis=1) == len(visit_columns)).sum()))

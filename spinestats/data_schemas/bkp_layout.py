"""The two layouts of the bkp schema, and the conversion between them.

*Wide*: one row per patient, one ``nrs_<visit>`` column per visit
(``nrs_baseline``, ``nrs_1w``, ``nrs_1m``, ``nrs_3m``, ``nrs_6m``,
``nrs_12m``, ``nrs_final``), plus patient-level columns (arm, age, sex,
levels treated, cement leakage, new fracture, added fixation).

*Long*: one row per patient and visit: ``patient_id``, ``arm``, ``visit``,
``nrs``; visits in the schema's order as an ordered categorical.

Both functions are pure and keep every value; a missing NRS in the wide
layout is simply not a row in the long one (and comes back as missing).
"""

from __future__ import annotations

import pandas as pd

from spinestats.data_schemas.schema import get_schema
from spinestats.errors import DataError

VISITS: tuple[str, ...] = get_schema("bkp").visits


def _need(df: pd.DataFrame, columns: list[str], layout: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataError(f"bkp {layout} layout: missing column(s) {', '.join(missing)}; "
                        f"the table has {', '.join(map(str, df.columns))}.")


def bkp_to_long(df: pd.DataFrame) -> pd.DataFrame:
    """Wide (``nrs_<visit>`` columns) to long (patient_id, arm, visit, nrs).

    Rows are ordered by patient (as in ``df``) and visit; visits without an
    NRS are left out.  ``visit`` is an ordered categorical over the schema's
    visits; ``nrs`` is nullable ``Int64``.
    """
    _need(df, ["patient_id"], "wide")
    visits = [v for v in VISITS if f"nrs_{v}" in df.columns]
    if not visits:
        raise DataError("bkp wide layout: no nrs_<visit> columns (expected e.g. nrs_baseline, nrs_1m).")
    arm = df["arm"] if "arm" in df.columns else pd.Series("BKP", index=df.index)
    base = pd.DataFrame({"patient_id": df["patient_id"].to_numpy(), "arm": arm.to_numpy(),
                         "_order": range(len(df))})
    parts = []
    for i, v in enumerate(visits):
        part = base.copy()
        part["visit"] = v
        part["_visit"] = i
        part["nrs"] = pd.array(df[f"nrs_{v}"].to_numpy(), dtype="Int64")
        parts.append(part)
    long = pd.concat(parts, ignore_index=True)
    long = long[long["nrs"].notna()].sort_values(["_order", "_visit"], kind="stable")
    long["visit"] = pd.Categorical(long["visit"], categories=list(VISITS), ordered=True)
    return long.drop(columns=["_order", "_visit"]).reset_index(drop=True)


def bkp_to_wide(df: pd.DataFrame) -> pd.DataFrame:
    """Long (patient_id, [arm], visit, nrs) to wide: one row per patient.

    Patients keep their first-appearance order; visits absent for a patient
    are missing.  A patient with two rows for one visit raises DataError
    (the loader reports it as ``one_row_per_visit`` first).
    """
    _need(df, ["patient_id", "visit", "nrs"], "long")
    dup = df.duplicated(["patient_id", "visit"], keep=False)
    if dup.any():
        first = df.loc[dup, ["patient_id", "visit"]].iloc[0]
        raise DataError(f"bkp long layout: patient {first['patient_id']!r} has several rows for visit "
                        f"{first['visit']!r}; expected one row per patient and visit.")
    unknown = sorted(set(df["visit"].astype(str)) - set(VISITS))
    if unknown:
        raise DataError(f"bkp long layout: unknown visit(s) {', '.join(unknown)}; expected {', '.join(VISITS)}.")
    order = pd.unique(df["patient_id"])
    wide = df.pivot(index="patient_id", columns="visit", values="nrs")
    wide.columns = [str(c) for c in wide.columns]
    wide = wide.reindex(index=order, columns=[v for v in VISITS if v in set(wide.columns)])
    wide.columns = [f"nrs_{v}" for v in wide.columns]
    wide = wide.astype("Int64")
    if "arm" in df.columns:
        arms = df.groupby("patient_id", sort=False)["arm"].agg(lambda s: s.dropna().iloc[0] if s.notna().any() else None)
        wide.insert(0, "arm", arms.reindex(order).to_numpy())
    return wide.reset_index().rename(columns={"index": "patient_id"})

"""Cross-field rules: checks that involve several columns of a row (or rows).

Each schema's ``rules:`` list in its YAML documents the rules; this module
checks them on the converted table, column-wise:

``dates_in_order`` (cirt, fracture)
    cirt: diagnosis <= treatment <= every event date <= last follow-up;
    fracture: irradiation <= fracture and death <= last follow-up (a fracture
    dated before irradiation breaks this rule).
``nothing_after_death``
    no event or follow-up date after ``death_date``.
``event_needs_date``
    an event flag set to yes needs its date; a date needs its flag.
``follow_up_plausible`` (cirt, fracture)
    the last follow-up at most 100 years after treatment or irradiation.
``dose_plausible``
    dose per fraction within 1-10 GyE (cirt) or 1-30 Gy (fracture).
``dss_matches_features`` (dss, readers)
    a precomputed DSS equals 2*(size >= 5 cm) + 2*(indistinct boundary) +
    lobulated + bone destruction (the DSS paper, Spine 2016;41:E1230).
``one_score_per_reader`` (readers), ``one_row_per_visit`` (bkp long)
    no repeated (case, reader) or (patient, visit).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd

from spinestats.data_schemas.records import Problem
from spinestats.data_schemas.rules import duplicate_keys

DATE_ORDER: dict[str, tuple[tuple[str, str, str], ...]] = {
    "cirt": (
        ("diagnosis_date", "treatment_date", "dates_in_order"),
        ("treatment_date", "local_recurrence_date", "dates_in_order"),
        ("treatment_date", "distant_metastasis_date", "dates_in_order"),
        ("treatment_date", "death_date", "dates_in_order"),
        ("treatment_date", "last_follow_up_date", "dates_in_order"),
        ("local_recurrence_date", "last_follow_up_date", "dates_in_order"),
        ("distant_metastasis_date", "last_follow_up_date", "dates_in_order"),
        ("death_date", "last_follow_up_date", "dates_in_order"),
        ("diagnosis_date", "death_date", "dates_in_order"),
        ("local_recurrence_date", "death_date", "nothing_after_death"),
        ("distant_metastasis_date", "death_date", "nothing_after_death"),
        ("last_follow_up_date", "death_date", "nothing_after_death"),
    ),
    "fracture": (
        ("irradiation_date", "vcf_date", "dates_in_order"),
        ("irradiation_date", "death_date", "dates_in_order"),
        ("irradiation_date", "last_follow_up_date", "dates_in_order"),
        ("vcf_date", "last_follow_up_date", "dates_in_order"),
        ("death_date", "last_follow_up_date", "dates_in_order"),
        ("vcf_date", "death_date", "nothing_after_death"),
        ("last_follow_up_date", "death_date", "nothing_after_death"),
    ),
}

EVENTS: dict[str, tuple[tuple[str, str], ...]] = {
    "cirt": (("local_recurrence", "local_recurrence_date"), ("distant_metastasis", "distant_metastasis_date"),
             ("death", "death_date")),
    "fracture": (("vcf", "vcf_date"), ("death", "death_date")),
}

DOSE: dict[str, tuple[str, float, float, str]] = {
    "cirt": ("total_dose_gye", 1.0, 10.0, "GyE"),
    "fracture": ("total_dose_gy", 1.0, 30.0, "Gy"),
}


def _iso(v: object) -> object:
    return v.date().isoformat() if isinstance(v, pd.Timestamp) else v


_NAT = np.iinfo(np.int64).min


def _days(s: pd.Series) -> np.ndarray | None:
    """A date column as int64 nanoseconds (NaT the smallest int64, below every date), without a copy
    when it holds nanoseconds (a column of seconds or microseconds, as pandas 3 makes, is converted);
    ``None`` for a column of another type."""
    if not pd.api.types.is_datetime64_dtype(s.dtype) or isinstance(s.dtype, pd.DatetimeTZDtype):
        return None
    return s.to_numpy().astype("datetime64[ns]", copy=False).view(np.int64)


def _before(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Rows where both dates are given and ``b`` is before ``a`` (integer compares, no pandas ops)."""
    x, y = _days(a), _days(b)
    if x is None or y is None:
        return (a.notna() & b.notna() & (b < a)).to_numpy()
    return (y < x) & (y != _NAT)  # a NaT in x is the smallest value: never after y


def date_order(file: str, df: pd.DataFrame, schema: str, source: dict[str, str]) -> list[Problem]:
    out: list[Problem] = []
    for earlier, later, rule in DATE_ORDER.get(schema, ()):
        if earlier not in df or later not in df:
            continue
        a, b = df[earlier], df[later]
        bad = _before(a, b)
        if not bad.any():
            continue
        for line, va, vb in zip(df.index[bad], a[bad], b[bad]):
            if rule == "nothing_after_death":
                expected = (f"no date after death: {later} ({_iso(vb)}, column '{source.get(later, later)}') "
                            f"is before {earlier}")
                out.append(Problem(file, int(line), source.get(earlier, earlier), _iso(va), rule, expected))
            else:
                expected = (f"{later} on or after {earlier} ({_iso(va)}, column "
                            f"'{source.get(earlier, earlier)}')")
                out.append(Problem(file, int(line), source.get(later, later), _iso(vb), rule, expected))
    return out


def event_dates(file: str, df: pd.DataFrame, schema: str, source: dict[str, str],
                raw: pd.DataFrame, failed: dict[str, set[int]] | None = None) -> list[Problem]:
    """Flags without dates and dates without flags (dates that failed to parse are not 'absent')."""
    failed = failed or {}
    out: list[Problem] = []
    for flag, date in EVENTS.get(schema, ()):
        if flag not in df:
            continue
        f = df[flag].astype("boolean")
        d = df[date] if date in df else pd.Series(pd.NaT, index=df.index)
        lines = failed.get(date)
        unparsed = df.index.isin(list(lines)) if lines else np.zeros(len(df), dtype=bool)
        no_date = (f.fillna(False) & d.isna()).to_numpy(dtype=bool) & ~unparsed
        fcol = source.get(flag, flag)
        dcol = source.get(date, date)
        for line in df.index[no_date]:
            out.append(Problem(file, int(line), fcol, raw.at[line, fcol] if fcol in raw else True,
                               "event_needs_date", f"a date in column '{dcol}' when {flag} is yes"))
        no_flag = ((~f.fillna(True)) & d.notna()).to_numpy(dtype=bool)
        for line in df.index[no_flag]:
            out.append(Problem(file, int(line), dcol, _iso(d[line]), "event_needs_date",
                               f"{flag} (column '{fcol}') set to yes when its date is given, or no date"))
    return out


#: time zero of each schema's endpoints; a follow-up longer than MAX_FOLLOW_UP_YEARS after it is refused
TIME_ZERO = {"cirt": "treatment_date", "fracture": "irradiation_date"}
MAX_FOLLOW_UP_YEARS = 100


def follow_up(file: str, df: pd.DataFrame, schema: str, source: dict[str, str]) -> list[Problem]:
    """``follow_up_plausible``: the last follow-up at most 100 years after time zero (a mistyped year)."""
    start = TIME_ZERO.get(schema)
    if start is None or start not in df or "last_follow_up_date" not in df:
        return []
    a, b = df[start], df["last_follow_up_date"]
    x, y = _days(a), _days(b)
    if x is not None and y is not None:  # whole days between the dates, as (b - a).dt.days
        day = 86_400 * 10**9
        diff = y - x
        # whole days / 365.25 > 100 exactly when the whole days are at least 36526 (36525 / 365.25 is 100):
        # one compare, no array of days or years for the million rows that pass
        bad = (diff >= (math.floor(365.25 * MAX_FOLLOW_UP_YEARS) + 1) * day) & (x != _NAT) & (y != _NAT)
        years = np.zeros(len(diff))
        years[bad] = (diff[bad] // day) / 365.25
    else:
        years = (b - a).dt.days.to_numpy(dtype=float, na_value=np.nan) / 365.25
        bad = ~np.isnan(years) & (years > MAX_FOLLOW_UP_YEARS)
    col = source.get("last_follow_up_date", "last_follow_up_date")
    return [Problem(file, int(line), col, _iso(vb), "follow_up_plausible",
                    f"a last follow-up within {MAX_FOLLOW_UP_YEARS} years of {start} ({_iso(va)}, column "
                    f"'{source.get(start, start)}'); {y:.0f} years suggests a mistyped year")
            for line, va, vb, y in zip(df.index[bad], a[bad], b[bad], years[bad])]


def dose(file: str, df: pd.DataFrame, schema: str, source: dict[str, str]) -> list[Problem]:
    if schema not in DOSE:
        return []
    col, lo, hi, unit = DOSE[schema]
    if col not in df or "fractions" not in df:
        return []
    d = df[col].to_numpy(dtype=float)
    n = df["fractions"].astype("float64").to_numpy(na_value=np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        per = d / n
    bad = ~np.isnan(per) & (n > 0) & ((per < lo) | (per > hi))
    return [Problem(file, int(line), source.get(col, col), float(v), "dose_plausible",
                    f"{lo:g}-{hi:g} {unit} per fraction (here {v:g} {unit} in {int(k)} fractions = {p:.3g})")
            for line, v, k, p in zip(df.index[bad], d[bad], n[bad], per[bad])]


def dss_features(file: str, df: pd.DataFrame, schema: str, source: dict[str, str]) -> list[Problem]:
    needed = ("dss", "size_cm", "boundary", "lobulated", "bone_destruction")
    if schema not in ("dss", "readers") or any(c not in df for c in needed):
        return []
    computed = (2 * (df["size_cm"] >= 5).astype(float) + 2 * (df["boundary"] == "indistinct").astype(float)
                + df["lobulated"].astype("float64") + df["bone_destruction"].astype("float64"))
    present = (df["dss"].notna() & df["size_cm"].notna() & df["boundary"].notna()
               & df["lobulated"].notna() & df["bone_destruction"].notna()).to_numpy(dtype=bool)
    given = df["dss"].astype("float64").to_numpy(na_value=np.nan)
    comp = computed.to_numpy(dtype=float)
    bad = present & (given != comp)
    return [Problem(file, int(line), source.get("dss", "dss"), int(g), "dss_matches_features",
                    f"DSS {int(c)} from the features (2*size>=5cm + 2*indistinct + lobulated + bone destruction)")
            for line, g, c in zip(df.index[bad], given[bad], comp[bad])]


def duplicates(file: str, df: pd.DataFrame, schema: str, source: dict[str, str], layout: str | None) -> list[Problem]:
    if schema == "readers":
        return duplicate_keys(file, df, ["case_id", "reader"], source, "one_score_per_reader",
                              "each reader scores each case once")
    if schema == "bkp" and layout == "long":
        return duplicate_keys(file, df, ["patient_id", "visit"], source, "one_row_per_visit",
                              "one row per patient and visit")
    return []


CHECKS: tuple[Callable[..., list[Problem]], ...] = (date_order, follow_up, dose, dss_features)


def check(file: str, df: pd.DataFrame, schema: str, source: dict[str, str], raw: pd.DataFrame,
          layout: str | None = None, failed: dict[str, set[int]] | None = None) -> list[Problem]:
    """Every cross-field problem of the converted table ``df``.

    ``failed`` maps a canonical column to the lines whose cell could not be
    converted (already reported), so they are not reported again as absent.
    """
    out: list[Problem] = []
    for fn in CHECKS:
        out += fn(file, df, schema, source)
    out += event_dates(file, df, schema, source, raw, failed)
    out += duplicates(file, df, schema, source, layout)
    return out

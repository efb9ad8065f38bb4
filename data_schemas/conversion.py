"""Converting text cells to typed values: codes, units, dates, numbers.

Every conversion is explicit.  A cell that cannot be converted becomes a
:class:`Problem` naming the file, spreadsheet line, the column as named in
the file, the value, the rule and what was expected, and its converted value
is missing (the row is then excluded or the load refused).  The work is done
on whole columns (NumPy/pandas), mapping each distinct text value once, so a
million-row export converts in seconds.

Rules
-----
missing
    an empty cell, or one of ``NA``, ``N/A``, ``NaN``, ``NULL``, ``.``
    (case as written; extend with ``missing:`` in the mapping).
boolean
    true: ``1``, ``yes``, ``y``, ``true``, ``t``, ``checked``, ``あり``,
    ``有``, ``はい``; false: ``0``, ``no``, ``n``, ``false``, ``f``,
    ``unchecked``, ``なし``, ``無``, ``いいえ`` (case-insensitive; ``1.0``/``0.0``
    as Excel writes them).  A per-column code map in the mapping replaces
    these.  Result: ``bool``, or pandas' nullable ``boolean`` when an
    optional column has missing cells.
category
    the schema's allowed values (case-insensitive), or a per-column code
    map (``{1: malignant, 0: benign}``, ``{明瞭: distinct}``).  Result: the
    canonical text.
number / integer
    decimal numbers (``.`` as the decimal mark).  Integers must be whole
    numbers (``3.0`` is accepted, ``3.5`` is a problem).  A unit declared in
    the mapping is converted to the schema's unit: length mm/cm/m, time
    days/weeks/months/years (1 month = 365.25/12 days), dose Gy/cGy.
date
    ISO ``YYYY-MM-DD`` and ``YYYY/MM/DD`` (one-digit month/day allowed);
    with ``dates: excel`` in the mapping, Excel serial day numbers (1900
    date system: day 1 = 1900-01-01, origin 1899-12-30); or any strftime
    format given as ``dates: "%d.%m.%Y"``.  Result: ``datetime64[ns]``.
zones / layers
    WBB staging text parsed by :mod:`spinestats.analysis.wbb`; stored in
    canonical form (``"4;5;6;7;8"``, ``"A;B;C"``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from spinestats.analysis import wbb
from spinestats.data_schemas.records import Problem
from spinestats.data_schemas.schema import Column

MISSING_TOKENS = frozenset({"", "NA", "N/A", "n/a", "NaN", "nan", "NULL", "null", "."})

TRUE_CODES = ("1", "1.0", "yes", "y", "true", "t", "checked", "あり", "有", "はい", "有り")
FALSE_CODES = ("0", "0.0", "no", "n", "false", "f", "unchecked", "なし", "無", "いいえ", "無し")

#: factor converting a value in the key unit into the base unit of its dimension
UNIT_FACTORS: dict[str, tuple[str, float]] = {
    "mm": ("length", 0.1), "cm": ("length", 1.0), "m": ("length", 100.0),
    "days": ("time", 1.0), "day": ("time", 1.0), "d": ("time", 1.0),
    "weeks": ("time", 7.0), "week": ("time", 7.0),
    "months": ("time", 365.25 / 12), "month": ("time", 365.25 / 12),
    "years": ("time", 365.25), "year": ("time", 365.25), "y": ("time", 365.25),
    "gy": ("dose", 1.0), "gye": ("dose", 1.0), "cgy": ("dose", 0.01),
}

EXCEL_ORIGIN = pd.Timestamp("1899-12-30")


def unit_factor(from_unit: str, to_unit: str) -> float:
    """Multiply a value in ``from_unit`` by this to express it in ``to_unit``.

    Raises KeyError/ValueError for unknown units or different dimensions.
    """
    fd, ff = UNIT_FACTORS[from_unit.strip().lower()]
    td, tf = UNIT_FACTORS[to_unit.strip().lower()]
    if fd != td:
        raise ValueError(f"cannot convert {from_unit} ({fd}) to {to_unit} ({td})")
    return ff / tf


class Converter:
    """Converts the columns of one file; collects the problems it finds."""

    def __init__(self, file: str, *, missing: frozenset[str] = MISSING_TOKENS,
                 date_format: str | None = None) -> None:
        self.file = file
        self.missing = missing
        self.date_format = date_format
        self.problems: list[Problem] = []

    # -- helpers -----------------------------------------------------------------
    def _report(self, raw: pd.Series, bad: np.ndarray, file_col: str, rule: str, expected: str) -> None:
        if not bad.any():
            return
        values = raw.to_numpy()[bad]
        lines = raw.index.to_numpy()[bad]
        self.problems.extend(
            Problem(self.file, int(line), file_col, v, rule, expected) for line, v in zip(lines, values)
        )

    def text(self, raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
        """Stripped text and the missing mask."""
        if raw.dtype != object and not pd.api.types.is_string_dtype(raw):
            s = raw.astype(object).where(raw.notna(), "").astype(str)
        else:
            s = raw.fillna("").astype(str)
        s = s.str.strip()
        return s, s.isin(self.missing).to_numpy()

    # -- the types ---------------------------------------------------------------
    def convert(self, raw: pd.Series, column: Column, file_col: str, *,
                codes: Mapping[object, object] | None = None, unit: str | None = None) -> pd.Series:
        """Convert ``raw`` (one file column) to ``column``'s type."""
        kind = column.type
        if kind == "boolean":
            return self.boolean(raw, column, file_col, codes)
        if kind == "category":
            return self.category(raw, column, file_col, codes)
        if kind in ("number", "integer"):
            return self.number(raw, column, file_col, unit, codes)
        if kind == "date":
            return self.date(raw, column, file_col)
        if kind in ("zones", "layers"):
            return self.wbb(raw, column, file_col)
        return self.string(raw, codes)

    def string(self, raw: pd.Series, codes: Mapping[object, object] | None = None) -> pd.Series:
        s, miss = self.text(raw)
        if codes:
            s = s.map(lambda v: str(codes.get(v, v)))
        return s.astype(object).where(~miss, None)

    def _coded(self, s: pd.Series, miss: np.ndarray, table: dict[str, object]) -> tuple[pd.Series, np.ndarray]:
        uniques = pd.unique(s[~miss])
        lookup = {u: table.get(u, table.get(u.lower(), _UNKNOWN)) for u in uniques}
        bad_values = [u for u, v in lookup.items() if v is _UNKNOWN]
        unknown = (~miss) & s.isin(bad_values).to_numpy()
        out = s.map({u: v for u, v in lookup.items() if v is not _UNKNOWN})
        return out, unknown

    def boolean(self, raw: pd.Series, column: Column, file_col: str,
                codes: Mapping[object, object] | None) -> pd.Series:
        s, miss = self.text(raw)
        if codes:
            table = {str(k): _as_bool(v) for k, v in codes.items()}
            table.update({str(k).lower(): _as_bool(v) for k, v in codes.items()})
            expected = "one of the mapping's codes: " + ", ".join(f"{k}={v}" for k, v in codes.items())
        else:
            table = {c: True for c in TRUE_CODES} | {c: False for c in FALSE_CODES}
            expected = "yes/no: 1/0, yes/no, Y/N, true/false, あり/なし, はい/いいえ, 有/無"
        out, unknown = self._coded(s, miss, table)
        self._report(raw, unknown, file_col, "unknown code", expected)
        good = ~(miss | unknown)
        if good.all():
            return out.astype(bool)
        result = pd.Series(pd.array([None] * len(s), dtype="boolean"), index=s.index)
        result[good] = out[good].astype(bool).to_numpy()
        return result

    def category(self, raw: pd.Series, column: Column, file_col: str,
                 codes: Mapping[object, object] | None) -> pd.Series:
        s, miss = self.text(raw)
        allowed = [str(a) for a in (column.allowed or ())]
        table: dict[str, object] = {a: a for a in allowed} | {a.lower(): a for a in allowed}
        if codes:
            table.update({str(k): str(v) for k, v in codes.items()})
            table.update({str(k).lower(): str(v) for k, v in codes.items()})
        out, unknown = self._coded(s, miss, table)
        expected = "one of " + ", ".join(allowed)
        if codes:
            expected += " (or the mapping's codes: " + ", ".join(f"{k}={v}" for k, v in codes.items()) + ")"
        self._report(raw, unknown, file_col, "unknown code", expected)
        mapped_bad = (~miss) & (~unknown) & ~out.isin(allowed).to_numpy()
        self._report(raw, mapped_bad, file_col, "unknown code",
                     "a mapping code that gives one of " + ", ".join(allowed))
        return out.astype(object).where(~(miss | unknown | mapped_bad), None)

    def number(self, raw: pd.Series, column: Column, file_col: str, unit: str | None,
               codes: Mapping[object, object] | None = None) -> pd.Series:
        if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
            values = raw.astype(float)
            miss = values.isna().to_numpy()
            bad = np.zeros(len(raw), dtype=bool)
        else:
            s, miss = self.text(raw)
            if codes:
                s = s.map(lambda v: str(codes.get(v, v)))
            values = pd.to_numeric(s, errors="coerce").astype(float)
            bad = (~miss) & values.isna().to_numpy()
            self._report(raw, bad, file_col, "not a number",
                         f"a {'whole ' if column.type == 'integer' else ''}number"
                         + (f" in {unit or column.unit}" if (unit or column.unit) else "")
                         + " with '.' as decimal mark")
        arr = values.to_numpy(dtype=float, copy=True)
        inf = np.isinf(arr)
        if inf.any():
            self._report(raw, inf, file_col, "not a number", "a finite number")
            arr[inf] = np.nan
        if unit and column.unit and unit.strip().lower() != column.unit.strip().lower():
            factor = unit_factor(unit, column.unit)
            # divide by an exact factor where possible: 61 mm / 10 is 6.1, 61 * 0.1 is not
            arr = arr / (1.0 / factor) if factor < 1 else arr * factor
        if column.type == "integer":
            frac = ~np.isnan(arr) & (np.abs(arr - np.round(arr)) > 1e-9)
            self._report(raw, frac, file_col, "not an integer", "a whole number")
            arr[frac] = np.nan
            ints = pd.array(np.round(arr), dtype="Int64")  # NaN -> <NA>
            return pd.Series(ints, index=raw.index)
        return pd.Series(arr, index=raw.index)

    def date(self, raw: pd.Series, column: Column, file_col: str) -> pd.Series:
        if pd.api.types.is_datetime64_any_dtype(raw):
            return raw.astype("datetime64[ns]")
        s, miss = self.text(raw)
        fmt = self.date_format
        if fmt in (None, "iso", "ISO"):
            d = pd.to_datetime(s.where(~miss, None), format="%Y-%m-%d", errors="coerce")
            again = d.isna().to_numpy() & ~miss
            if again.any():
                d2 = pd.to_datetime(s[again].str.replace("/", "-", regex=False), format="%Y-%m-%d",
                                    errors="coerce")
                d[again] = d2
            expected = "a date as YYYY-MM-DD or YYYY/MM/DD (for Excel serial numbers declare dates: excel in the mapping)"
        elif fmt == "excel":
            num = pd.to_numeric(s.where(~miss, None), errors="coerce")
            ok = num.notna() & (num >= 1) & (num < 2958466)
            days = np.floor(num.where(ok)).to_numpy()
            d = pd.Series(EXCEL_ORIGIN + pd.to_timedelta(days, unit="D"), index=s.index)
            iso = d.isna().to_numpy() & ~miss
            if iso.any():  # an ISO date typed into an Excel-serial column is still a date
                d[iso] = pd.to_datetime(s[iso].str.replace("/", "-", regex=False), format="%Y-%m-%d",
                                        errors="coerce")
            expected = "an Excel serial day number (1900 date system) or a YYYY-MM-DD date"
        else:
            d = pd.to_datetime(s.where(~miss, None), format=fmt, errors="coerce")
            expected = f"a date in the format {fmt}"
        d = d.astype("datetime64[ns]")
        bad = d.isna().to_numpy() & ~miss
        self._report(raw, bad, file_col, "unparseable date", expected)
        return d

    def wbb(self, raw: pd.Series, column: Column, file_col: str) -> pd.Series:
        s, miss = self.text(raw)
        parse = wbb.parse_zones if column.type == "zones" else wbb.parse_layers
        fmt = wbb.format_zones if column.type == "zones" else wbb.format_layers
        lookup: dict[str, object] = {}
        for u in pd.unique(s[~miss]):
            try:
                lookup[u] = fmt(parse(u))
            except ValueError:
                lookup[u] = _UNKNOWN
        bad = (~miss) & s.isin([u for u, v in lookup.items() if v is _UNKNOWN]).to_numpy()
        out = s.map({u: v for u, v in lookup.items() if v is not _UNKNOWN})
        expected = ("WBB zones 1-12 as a list '2;3;4' or a counter-clockwise range '4-8' / '10-3'"
                    if column.type == "zones" else "WBB layers A-E as a list 'A;B;C' or a range 'A-C'")
        self._report(raw, bad, file_col, "invalid WBB staging", expected)
        return out.astype(object).where(~(miss | bad), None)


class _Unknown:
    def __repr__(self) -> str:
        return "<unknown>"


_UNKNOWN = _Unknown()

_TRUE_WORDS = re.compile(r"^(1|true|yes|y|t)$", re.IGNORECASE)


def _as_bool(v: object) -> bool:
    """A code map's target value as bool (``true``/``yes``/``1`` are True)."""
    if isinstance(v, bool):
        return v
    return bool(_TRUE_WORDS.match(str(v).strip()))

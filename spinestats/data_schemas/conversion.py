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
    decimal numbers (``.`` as the decimal mark), each read as the double
    nearest to its text (:func:`spinestats.text_numbers.numbers`; a text written by ``repr`` reads
    back as the very double).  Integers must be whole
    numbers (``3.0`` is accepted, ``3.5`` is a problem).  A unit declared in
    the mapping is converted to the schema's unit: length mm/cm/m, time
    days/weeks/months/years (1 month = 365.25/12 days), dose Gy/cGy.
date
    ISO ``YYYY-MM-DD`` and ``YYYY/MM/DD`` (one-digit month/day allowed);
    with ``dates: excel`` in the mapping, Excel serial day numbers (1900
    date system, origin 1899-12-30; serials below 61 are refused because
    Excel counts a 29 February 1900 that never was); or any strftime
    format given as ``dates: "%d.%m.%Y"``; with ``dates: japanese_era`` (or
    ``wareki``) Japanese era and 年月日 dates (:mod:`.japanese_dates`).
    Result: ``datetime64[ns]``.
zones / layers
    WBB staging text parsed by :mod:`spinestats.analysis.scores.wbb`; stored in
    canonical form (``"4;5;6;7;8"``, ``"A;B;C"``).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from spinestats import wbb_notation as wbb
from spinestats.data_schemas import date_hints, japanese_dates
from spinestats.data_schemas.records import Problem
from spinestats.data_schemas.schema import Column
from spinestats.text_numbers import numbers

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


@dataclasses.dataclass(frozen=True)
class _Factor:
    """A text column as distinct stripped values (``uniques``) and per-row ``codes``.

    ``codes`` index ``uniques``; a missing cell (NaN) has code -1, which
    indexes the last unique, an empty string added for it.  Work is done on
    the uniques and taken back to rows, so a million rows of a few hundred
    distinct values cost a few hundred conversions.
    """

    codes: np.ndarray
    uniques: np.ndarray  # object array of stripped text
    missing: np.ndarray  # bool per unique
    #: the uniques (but the last, for code -1) are distinct texts: equal cells have equal codes
    distinct: bool = False
    #: the uniques joined by NUL characters, for substring checks in C (``None``: not text)
    joined: str | None = None

    def take(self, per_unique: np.ndarray) -> np.ndarray:
        """:meth:`rows` of the uniques, without a copy when each row has its own unique (IDs)."""
        n = len(self.codes)
        if len(per_unique) == n + 1 and n and self.codes[0] == 0 and self.codes[-1] == n - 1 \
                and np.array_equal(self.codes, np.arange(n)):
            return per_unique[:-1]
        return per_unique[self.codes]

    def rows(self, per_unique: np.ndarray) -> np.ndarray:
        return per_unique[self.codes]

    def numbers(self, texts: np.ndarray | None = None) -> np.ndarray:
        """Per unique, the number its text (``texts``: the uniques recoded, when given) is; NaN for a
        missing unique and for a text that is not a number."""
        return numbers(np.where(self.missing, None, self.uniques if texts is None else texts))


class Converter:
    """Converts the columns of one file; collects the problems it finds."""

    def __init__(self, file: str, *, missing: frozenset[str] = MISSING_TOKENS,
                 date_format: str | None = None) -> None:
        self.file = file
        self.missing = missing
        self.date_format = date_format
        self.problems: list[Problem] = []
        #: of the last text column converted (string, category, WBB): per row, missing or not, and codes
        #: that are equal exactly when the converted values are (-1: missing); ``None`` otherwise
        self.last_missing: np.ndarray | None = None
        self.last_codes: np.ndarray | None = None

    # -- helpers -----------------------------------------------------------------
    def _report(self, raw: pd.Series, bad: np.ndarray, file_col: str, rule: str, expected: str,
                severity: str = "error") -> None:
        if not bad.any():
            return
        values = raw.to_numpy()[bad]
        lines = raw.index.to_numpy()[bad]
        self.problems.extend(
            Problem(self.file, int(line), file_col, _plain(v), rule, expected, severity)
            for line, v in zip(lines, values)
        )

    def _report_u(self, raw: pd.Series, f: _Factor, bad_u: np.ndarray, file_col: str, rule: str, expected: str,
                  severity: str = "error") -> None:
        """:meth:`_report` of the rows whose unique is marked in ``bad_u`` (nothing taken to the rows
        when no unique is)."""
        if bad_u.any():
            self._report(raw, f.rows(bad_u), file_col, rule, expected, severity)

    def factor(self, raw: pd.Series) -> _Factor:
        """The column's distinct stripped texts and which of them mean "missing"."""
        if isinstance(raw.dtype, pd.CategoricalDtype):
            codes = raw.cat.codes.to_numpy()
            uniques = raw.cat.categories.to_numpy(dtype=object)
        else:
            codes, uniques = pd.factorize(raw, use_na_sentinel=True)
        u = np.empty(len(uniques) + 1, dtype=object)
        joined = _joined(uniques)
        unchanged = joined is not None and _no_space(joined)
        if unchanged:
            u[:-1] = uniques  # nothing to strip (a million IDs are not stripped one by one)
        else:
            joined = None
            try:
                u[:-1] = [x.strip() for x in uniques]
            except AttributeError:  # non-text cells (Parquet, XLSX numbers)
                u[:-1] = [_text(x) for x in uniques]
        u[-1] = ""
        missing = self.missing
        if joined is not None and len(u) > 1000 and not _holds_any(joined, missing):
            miss = np.zeros(len(u), dtype=bool)  # no unique is a missing token
            miss[-1] = "" in missing
        else:
            miss = np.fromiter((x in missing for x in u), dtype=bool, count=len(u))
        return _Factor(codes, u, miss, distinct=unchanged, joined=joined)

    def text(self, raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
        """Stripped text and the missing mask (row by row)."""
        f = self.factor(raw)
        return pd.Series(f.rows(f.uniques), index=raw.index, dtype=object), f.rows(f.missing)

    # -- the types ---------------------------------------------------------------
    def convert(self, raw: pd.Series, column: Column, file_col: str, *,
                codes: Mapping[object, object] | None = None, unit: str | None = None) -> pd.Series:
        """Convert ``raw`` (one file column) to ``column``'s type."""
        kind = column.type
        self.last_missing = self.last_codes = None
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
        return self.string(raw, codes, file_col)

    def string(self, raw: pd.Series, codes: Mapping[object, object] | None = None,
               file_col: str | None = None) -> pd.Series:
        """Stripped text (``None`` when missing); formula-like cells are warned about."""
        f = self.factor(raw)
        u = f.uniques.copy()
        if codes:
            u = np.array([str(codes.get(x, x)) for x in u], dtype=object)
        u[f.missing] = None
        if file_col is not None:
            risky = _formula_like(u, None if codes else f.joined)
            self._report_u(raw, f, risky, file_col, "formula-like cell",
                         "text, not a spreadsheet formula: the cell is kept as text and written with a "
                         "leading apostrophe in every CSV/XLSX output", severity="warning")
        self._keep(f, f.missing, f.distinct and not codes)
        return pd.Series(f.take(u), index=raw.index, dtype=object)

    def _keep(self, f: _Factor, missing: np.ndarray, distinct: bool) -> None:
        """Remember the missing mask (per unique) and, when equal values have equal codes, the codes."""
        self.last_missing = f.rows(missing)
        if distinct:
            self.last_codes = np.where(self.last_missing, -1, f.codes)

    def _lookup(self, raw: pd.Series, table: dict[str, object]) -> tuple[_Factor, np.ndarray, np.ndarray]:
        """The column's factor and, per unique, (value, unknown) looking each text up in ``table``."""
        f = self.factor(raw)
        vals = np.empty(len(f.uniques), dtype=object)
        unknown = np.zeros(len(f.uniques), dtype=bool)
        for i, x in enumerate(f.uniques):
            if f.missing[i]:
                vals[i] = None
                continue
            v = table.get(x, table.get(x.lower(), _UNKNOWN))
            if v is _UNKNOWN:
                unknown[i] = True
                v = None
            vals[i] = v
        return f, vals, unknown

    def boolean(self, raw: pd.Series, column: Column, file_col: str,
                codes: Mapping[object, object] | None) -> pd.Series:
        if pd.api.types.is_bool_dtype(raw):
            return raw.astype("boolean") if raw.isna().any() else raw.astype(bool)
        if codes:
            table = {str(k): _as_bool(v) for k, v in codes.items()}
            table.update({str(k).lower(): _as_bool(v) for k, v in codes.items()})
            expected = "one of the mapping's codes: " + ", ".join(f"{k}={v}" for k, v in codes.items())
        else:
            table = {c: True for c in TRUE_CODES} | {c: False for c in FALSE_CODES}
            expected = "yes/no: 1/0, yes/no, Y/N, true/false, あり/なし, はい/いいえ, 有/無"
        f, vals_u, unknown_u = self._lookup(raw, table)
        self._report_u(raw, f, unknown_u, file_col, "unknown code", expected)
        good = ~f.rows(f.missing | unknown_u)
        flags = f.rows(np.array([v is True for v in vals_u], dtype=bool))
        if good.all():
            return pd.Series(flags, index=raw.index)
        arr = pd.array(flags, dtype="boolean")
        arr[~good] = pd.NA
        return pd.Series(arr, index=raw.index)

    def category(self, raw: pd.Series, column: Column, file_col: str,
                 codes: Mapping[object, object] | None) -> pd.Series:
        allowed = [str(a) for a in (column.allowed or ())]
        table: dict[str, object] = {a: a for a in allowed} | {a.lower(): a for a in allowed}
        if codes:
            table.update({str(k): str(v) for k, v in codes.items()})
            table.update({str(k).lower(): str(v) for k, v in codes.items()})
        f, vals_u, unknown_u = self._lookup(raw, table)  # per distinct text, then taken to the rows
        expected = "one of " + ", ".join(allowed)
        if codes:
            expected += " (or the mapping's codes: " + ", ".join(f"{k}={v}" for k, v in codes.items()) + ")"
        self._report_u(raw, f, unknown_u, file_col, "unknown code", expected)
        known = set(allowed)
        bad_u = ~(f.missing | unknown_u) & ~np.fromiter((v in known for v in vals_u), dtype=bool,
                                                         count=len(vals_u))
        self._report_u(raw, f, bad_u, file_col, "unknown code",
                     "a mapping code that gives one of " + ", ".join(allowed))
        vals_u[bad_u] = None
        self.last_missing = f.rows(f.missing | unknown_u | bad_u)
        return pd.Series(f.rows(vals_u), index=raw.index, dtype=object)

    def number(self, raw: pd.Series, column: Column, file_col: str, unit: str | None,
               codes: Mapping[object, object] | None = None) -> pd.Series:
        what = (f"a {'whole ' if column.type == 'integer' else ''}number"
                + (f" in {unit or column.unit}" if (unit or column.unit) else "") + " with '.' as decimal mark")
        if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
            arr = raw.to_numpy(dtype=float, na_value=np.nan).copy()
        else:
            f = self.factor(raw)
            u = f.uniques
            if codes:
                u = np.array([str(codes.get(x, x)) for x in u], dtype=object)
            nums = f.numbers(u)
            self._report_u(raw, f, ~f.missing & np.isnan(nums), file_col, "not a number", what)
            arr = f.rows(nums)  # (a new array)
        inf = np.isinf(arr)
        if inf.any():
            self._report(raw, inf, file_col, "not a number", "a finite number")
            arr[inf] = np.nan
        if unit and column.unit and unit.strip().lower() != column.unit.strip().lower():
            factor = unit_factor(unit, column.unit)
            # divide by an exact factor where possible: 61 mm / 10 is 6.1, 61 * 0.1 is not
            arr = arr / (1.0 / factor) if factor < 1 else arr * factor
        if column.type == "integer":
            with np.errstate(invalid="ignore"):
                frac = ~np.isnan(arr) & (np.abs(arr - np.round(arr)) > 1e-9)
                huge = ~np.isnan(arr) & ~frac & (np.abs(arr) > 2.0 ** 53)
            self._report(raw, frac, file_col, "not an integer", "a whole number")
            self._report(raw, huge, file_col, "out of range", "a whole number below 2^53 in size")
            arr[frac | huge] = np.nan
            mask = np.isnan(arr)
            ints = pd.arrays.IntegerArray(np.where(mask, 0, np.round(arr)).astype(np.int64), mask)
            return pd.Series(ints, index=raw.index)
        return pd.Series(arr, index=raw.index)

    def _dates(self, text: pd.Series, slashed: bool = True) -> tuple[pd.Series, str]:
        """Parse distinct date texts (missing ones are None); returns (dates, expected).

        ``slashed=False``: no text holds a "/" (nothing to replace)."""
        fmt = self.date_format
        slashed = text.str.replace("/", "-", regex=False) if slashed else text
        if fmt in (None, "iso", "ISO"):
            return (pd.to_datetime(slashed, format="%Y-%m-%d", errors="coerce"),
                    "a date as YYYY-MM-DD or YYYY/MM/DD (for Excel serial numbers declare dates: excel in the mapping)")
        if fmt == "excel":
            num = pd.Series(numbers(text.to_numpy()), index=text.index)
            # serials below 61 fall before Excel's phantom 1900-02-29 and are off by a day: refused
            ok = num.notna() & (num >= 61) & (num < 2958466)
            days = np.floor(num.where(ok)).to_numpy(dtype=float)
            d = pd.Series(EXCEL_ORIGIN + pd.to_timedelta(days, unit="D"), index=text.index)
            iso = d.isna() & text.notna()
            d[iso] = pd.to_datetime(slashed[iso], format="%Y-%m-%d", errors="coerce")
            return d, "an Excel serial day number from 61 (1900-03-01) in the 1900 date system, or a YYYY-MM-DD date"
        return pd.to_datetime(text, format=fmt, errors="coerce"), f"a date in the format {fmt}"

    def date(self, raw: pd.Series, column: Column, file_col: str) -> pd.Series:
        if isinstance(raw.dtype, pd.DatetimeTZDtype):  # Parquet timestamps with a time zone
            self.problems.append(Problem(
                self.file, None, file_col, str(raw.dtype.tz), "time zone dropped",
                f"dates without a time zone: the timestamps were read as calendar dates and times in their own "
                f"zone ({raw.dtype.tz})", "warning"))
            raw = raw.dt.tz_localize(None)
        if pd.api.types.is_datetime64_any_dtype(raw):
            return raw.astype("datetime64[ns]")
        f = self.factor(raw)
        text = pd.Series(f.uniques, dtype=object).where(~f.missing, None)
        if self.date_format in japanese_dates.FORMAT_NAMES:
            d, problems = japanese_dates.parse_series(text)
            for mask, rule, expected, severity in problems:
                self._report(raw, f.rows(mask.to_numpy()), file_col, rule, expected, severity)
            return pd.Series(f.rows(d.astype("datetime64[ns]").to_numpy()), index=raw.index)
        d, expected = self._dates(text, slashed=f.joined is None or "/" in f.joined)
        hint = date_hints.format_hint(text[d.isna()]) if d.isna().any() else None
        if hint:
            expected = f"{expected}; {hint}"
        d = d.astype("datetime64[ns]").to_numpy()
        bad = np.isnat(d) & ~f.missing
        self._report_u(raw, f, bad, file_col, "unparseable date", expected)
        return pd.Series(f.rows(d), index=raw.index)

    def wbb(self, raw: pd.Series, column: Column, file_col: str) -> pd.Series:
        parse = wbb.parse_zones if column.type == "zones" else wbb.parse_layers
        fmt = wbb.format_zones if column.type == "zones" else wbb.format_layers
        table: dict[str, object] = {}

        class _Lazy(dict):
            def get(self, key, default=None):  # parse each distinct text once
                try:
                    return fmt(parse(key))
                except ValueError:
                    return default

        f, vals_u, unknown_u = self._lookup(raw, _Lazy(table))
        expected = ("WBB zones 1-12 as a list '2;3;4' or a counter-clockwise range '4-8' / '10-3'"
                    if column.type == "zones" else "WBB layers A-E as a list 'A;B;C' or a range 'A-C'")
        self._report_u(raw, f, unknown_u, file_col, "invalid WBB staging", expected)
        self.last_missing = f.rows(f.missing | unknown_u)
        return pd.Series(f.rows(vals_u), index=raw.index, dtype=object)


FORMULA_STARTS = ("=", "+", "-", "@")


def _formula_like(u: np.ndarray, joined: str | None = None) -> np.ndarray:
    """Which texts (``None`` = missing) start like a spreadsheet formula and are not numbers.

    ``joined``: the texts (a superset of ``u``'s) joined by NUL characters, when known.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if joined is None:
        joined = "\x00".join(x for x in u if x is not None)
    if not any(c in joined for c in FORMULA_STARTS):  # no cell holds the characters at all
        return np.zeros(len(u), dtype=bool)
    arr = pa.array(u, type=pa.string(), from_pandas=True)
    starts = pc.fill_null(pc.match_substring_regex(arr, r"^[=+\-@]"), False).to_numpy(zero_copy_only=False)
    out = np.zeros(len(u), dtype=bool)
    for i in np.flatnonzero(starts):
        out[i] = not _is_number(u[i])
    return out


def _joined(values: np.ndarray) -> str | None:
    """The values joined by NUL characters (``None`` when one is not text)."""
    try:
        return "\x00".join(values)
    except TypeError:  # non-text cells
        return None


def _holds_any(joined: str, tokens: frozenset[str]) -> bool:
    """Whether one of the texts joined by NUL characters is one of ``tokens``.

    ASCII text (IDs, dates, numbers) is split at its NULs in NumPy and only the texts no longer than
    the longest token are compared; otherwise each token is searched for with NULs on both sides.
    """
    if not tokens:
        return False
    longest = max(map(len, tokens))
    if joined.isascii():
        data = np.frombuffer(joined.encode("ascii"), dtype=np.uint8)
        ends = np.flatnonzero(data == 0)
        starts = np.concatenate(([0], ends + 1))
        ends = np.concatenate((ends, [len(data)]))
        short = np.flatnonzero(ends - starts <= longest)
        if len(short) <= 10_000:
            return any(joined[i:j] in tokens for i, j in zip(starts[short].tolist(), ends[short].tolist()))
    padded = f"\x00{joined}\x00"
    return any(f"\x00{t}\x00" in padded for t in tokens)


def _no_space(joined: str) -> bool:
    """True when the joined texts hold no whitespace (so that stripping changes nothing): one scan
    in C instead of a ``strip`` per value."""
    parts = joined.split(maxsplit=1)  # splits at the first whitespace (str.isspace, as strip uses)
    return not joined or (len(parts) == 1 and len(parts[0]) == len(joined))


def _is_number(x: str) -> bool:
    try:
        float(x)
    except ValueError:
        return False
    return True


def _text(x: object) -> str:
    if isinstance(x, str):
        return x.strip()
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    return str(x).strip()


def _plain(v: object) -> object:
    return v.item() if isinstance(v, np.generic) else v


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

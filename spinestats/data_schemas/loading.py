"""Loading a registry export: the one door every input passes through.

``load(path, schema=..., mapping=...)`` reads a CSV/TSV/XLSX/Parquet export,
maps its columns onto a schema, converts codes and units, validates every
row, and returns a :class:`LoadedTable`.  Nothing is lost: each row read is
either in ``data`` or in ``exclusions`` with its reason, and
``provenance.rows_read == len(data) + len(exclusions)`` always.

``data`` is indexed by the row's line number as a spreadsheet shows it
(header on line 1, first data row on line 2; leading ``#`` comment lines
count), so any later message can name the line.  Columns carry the schema's
canonical names; booleans are ``bool`` (nullable ``boolean`` when an optional
column has gaps), integers nullable ``Int64``, numbers ``float64`` in the
schema's unit, dates ``datetime64[ns]``, categories their canonical text.
Columns the schema does not know are kept under their own names, as text,
unless they look like direct identifiers (then dropped with a warning).

The steps live in small modules: :mod:`.reading` (formats, encodings, line
numbers), :mod:`.mapping` (the mapping YAML), :mod:`.redcap` (REDCap
exports), :mod:`.conversion` (types, codes, units), :mod:`.rules` (row
rules), :mod:`.cross_rules` (cross-field rules), :mod:`.identifiers`
(direct identifiers), :mod:`.provenance`.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from spinestats.data_schemas import cross_rules, redcap
from spinestats.data_schemas.conversion import MISSING_TOKENS, Converter
from spinestats.data_schemas.identifiers import looks_like_identifier, personal_values
from spinestats.data_schemas.mapping import Mapping, check_against_schema, load_mapping
from spinestats.data_schemas.privacy import LazyKey, mask_problems
from spinestats.data_schemas.provenance import package_versions
from spinestats.data_schemas.reading import RawTable, out_of_memory, read_table, side_by_side
from spinestats.data_schemas.records import Exclusion, LoadedTable, Problem, Provenance
from spinestats.data_schemas.rules import check_column
from spinestats.data_schemas.schema import Schema, get_schema, suggest
from spinestats.errors import DataError

__all__ = ["Exclusion", "LoadedTable", "Problem", "Provenance", "load", "require_columns",
           "problems_message"]

#: how many problems the DataError message lists before "... and N more"
MESSAGE_LIMIT = 50


def problems_message(problems: Sequence[Problem], header: str, limit: int = MESSAGE_LIMIT) -> str:
    """``header`` and one line per problem, capped at ``limit`` with a count of the rest."""
    lines = [header] + ["  " + p.message() for p in problems[:limit]]
    if len(problems) > limit:
        lines.append(f"  ... and {len(problems) - limit} more problems (use --format json to see all).")
    return "\n".join(lines)


def _identifier_columns(raw: pd.DataFrame, keep: Iterable[str], file: str) -> tuple[list[str], list[Problem]]:
    keep = set(keep)
    dropped = [c for c in raw.columns if c not in keep and looks_like_identifier(c)]
    problems = [Problem(file, None, c, None, "direct identifier",
                        "no names, birth dates, addresses, phone numbers or hospital IDs; the column was "
                        "dropped and never reaches an output", severity="warning") for c in dropped]
    return dropped, problems


def _match_columns(raw: RawTable, schema: Schema, m: Mapping | None,
                   preset: dict[str, str]) -> tuple[dict[str, str], list[Problem]]:
    """canonical name -> file column; file-level problems (missing/duplicate columns)."""
    file = raw.file
    cols = list(raw.frame.columns)
    source: dict[str, str] = dict(preset)
    problems: list[Problem] = []
    mapped = dict(m.columns) if m else {}
    for file_col, canon in mapped.items():
        if file_col in cols:
            if canon in source:
                problems.append(Problem(file, None, file_col, None, "duplicate column",
                                        f"one column for {canon} (also '{source[canon]}')"))
            else:
                source[canon] = file_col
    by_lower = {}
    for c in cols:
        by_lower.setdefault(c.lower(), c)
    for col in schema.columns:
        if col.name in source:
            continue
        hit = by_lower.get(col.name.lower())
        if hit is not None and hit not in mapped:
            source[col.name] = hit
    for dup in raw.duplicate_columns:
        problems.append(Problem(file, raw.header_line, dup, None, "duplicate column",
                                "each column name once in the header"))
    for col in schema.columns:
        if col.required and col.name not in source:
            unmapped = [c for c in cols if c not in source.values()]
            hint = suggest(col.name, unmapped)
            expected = f"a column {col.name} ({col.expected()})"
            named = [f for f, c in mapped.items() if c == col.name]
            if named:
                expected += (f"; the mapping names '{named[0]}' for it, but the file has no such column"
                             + (f" (closest: '{hint}')" if hint else ""))
            elif hint:
                expected += f"; the closest column in the file is '{hint}' - map it with 'columns: {{{hint}: {col.name}}}' in the mapping"
            else:
                shown = ", ".join(f"'{c}'" for c in unmapped[:12]) + (" ..." if len(unmapped) > 12 else "")
                expected += ("; name it so, or map the export's column onto it in a mapping file (--mapping)"
                             + (f"; the file's unmapped columns: {shown}" if unmapped else ""))
            problems.append(Problem(file, raw.header_line, None, col.name, "missing column", expected))
    return source, problems


def _layout(raw: RawTable, schema: Schema, m: Mapping | None) -> str | None:
    if not schema.long_columns:
        return None
    if m and m.layout:
        return m.layout
    mapped = set(m.columns.values()) if m else set()
    names = {c.lower() for c in raw.frame.columns} | mapped
    return "long" if {"visit", "nrs"} <= names else "wide"


def _reasons(problems: list[Problem]) -> dict[int, list[Problem]]:
    by_line: dict[int, list[Problem]] = {}
    for p in problems:
        if p.severity == "error" and p.line is not None:
            by_line.setdefault(p.line, []).append(p)
    return by_line


def _short(p: Problem) -> str:
    col = f" '{p.column}'" if p.column else ""
    val = "" if p.value is None else f" = {p.value!r}"
    return f"{p.rule}:{col}{val} (expected {p.expected})"


def load(path: str | os.PathLike[str], schema: str | Schema | None = None,
         mapping: str | os.PathLike[str] | dict | Mapping | None = None, sheet: str | None = None,
         encoding: str | None = None, exclude_invalid: bool = False, id_key: str | LazyKey | None = None) -> LoadedTable:
    """Read, map, convert and validate an export.

    Parameters
    ----------
    path : CSV/TSV (UTF-8, UTF-8 with BOM, CP932), XLSX or Parquet file.
    schema : dss, cirt, fracture, bkp or readers; ``None`` reads any table
        with its own column names (see :func:`require_columns`).
    mapping : mapping YAML file (or dict); see :mod:`.mapping`.
    sheet : XLSX sheet (overrides the mapping's).
    encoding : text encoding (overrides the mapping's; detected when absent).
    exclude_invalid : when True, rows with row-level errors are moved to
        ``exclusions`` with their reasons instead of refusing the file.
    id_key : the study key; by default :func:`.privacy.study_key` for the
        file's folder.  A problem on a patient/case ID column shows the ID's
        pseudonym, never the ID, in every message and exclusion reason.

    Returns
    -------
    LoadedTable
        ``data`` indexed by spreadsheet line, ``exclusions``, every problem
        (warnings included) and provenance.

    Raises
    ------
    UsageError
        unknown schema, missing file, bad mapping, unknown sheet/encoding.
    DataError
        file-level problems (empty, undecodable, missing columns), or any
        row-level error when ``exclude_invalid`` is False; ``.problems``
        lists all of them.
    """
    sch = get_schema(schema) if isinstance(schema, str) else schema
    m = load_mapping(mapping)
    if m is not None and sch is not None:
        check_against_schema(m, sch)
    enc = encoding or (m.encoding if m else None)
    sht = sheet if sheet is not None else (m.sheet if m else None)
    try:
        raw = read_table(path, encoding=enc, sheet=sht, delimiter=m.delimiter if m else None)
        if sch is None:
            return _load_any(raw, m)
        key = id_key if isinstance(id_key, LazyKey) else LazyKey(os.path.dirname(os.path.abspath(path)), id_key)
        return _load_schema(raw, sch, m, exclude_invalid, key)
    except MemoryError:  # the size check passed, but other programs hold the memory
        raise out_of_memory(path) from None


def _provenance(raw: RawTable, m: Mapping | None, sch: Schema | None, rows_read: int, rows_kept: int,
                dropped: list[str]) -> Provenance:
    return Provenance(
        file=raw.file, sha256=raw.sha256, rows_read=rows_read, rows_kept=rows_kept, encoding=raw.encoding,
        sheet=raw.sheet, schema=sch.name if sch else None, schema_version=sch.version if sch else None,
        versions=package_versions(), format=raw.format, mapping=m.source if m else None,
        mapping_sha256=m.sha256 if m else None, rows_excluded=rows_read - rows_kept,
        columns_dropped=tuple(dropped), blank_rows=raw.blank_rows,
    )


def _load_any(raw: RawTable, m: Mapping | None) -> LoadedTable:
    """Schema-less: own column names; a column is numeric (float) when every filled cell is a
    number and none is written with a leading zero (``"007"`` stays text); otherwise text."""
    frame = raw.frame.rename(columns=m.columns) if m and m.columns else raw.frame
    dropped, problems = _identifier_columns(frame, (), raw.file)
    problems = list(raw.notes) + problems
    conv = Converter(raw.file, missing=MISSING_TOKENS | frozenset(m.missing if m else ()))
    data = {}
    for c in frame.columns:
        if c in dropped:
            continue
        s = frame[c]
        if s.dtype != object and not isinstance(s.dtype, pd.CategoricalDtype):
            data[c] = s  # typed Parquet columns stay as stored
            continue
        f = conv.factor(s)
        nums = f.numbers()
        # codes written with leading zeros ("007") are identifiers, not numbers: kept as text
        zero_led = any(len(x) > 1 and x[0] == "0" and x[1].isdigit() for x in f.uniques)
        if (~f.missing).any() and not (np.isnan(nums) & ~f.missing).any() and not zero_led:
            data[c] = pd.Series(f.rows(nums), index=frame.index)
        else:
            data[c] = conv.string(s, file_col=c)
    problems = problems + [p for p in conv.problems]
    df = pd.DataFrame(data, index=frame.index)
    n = len(df)
    return LoadedTable(df, (), tuple(problems), _provenance(raw, m, None, n, n, dropped),
                       source_columns={c: c for c in df.columns}, synthetic=raw.synthetic)


def _load_schema(raw: RawTable, sch: Schema, m: Mapping | None, exclude_invalid: bool,
                 key: LazyKey | None = None) -> LoadedTable:
    file = raw.file
    if m is not None and m.redcap is not None and m.redcap.export == "labels":
        raw = redcap.relabel(raw, m.redcap.dictionary)
    layout = _layout(raw, sch, m)
    active = sch.as_layout(layout) if layout else sch
    raw, combined = redcap.combine_checkboxes(raw, active, m.columns if m else {},
                                              m.redcap.dictionary if (m and m.redcap) else None)
    source, problems = _match_columns(raw, active, m, combined)
    if any(p.severity == "error" for p in problems):
        raise DataError(problems_message(problems, f"{file}: cannot be checked against schema {sch.name!r}:"),
                        problems)
    frame = raw.frame
    used = set(source.values())
    dropped, warnings = _identifier_columns(frame, used, file)
    warnings = list(raw.notes) + warnings
    conv = Converter(file, missing=MISSING_TOKENS | frozenset(m.missing if m else ()),
                     date_format=m.dates if m else None)
    data: dict[str, Any] = {}
    row_problems: list[Problem] = []
    failed: dict[str, set[int]] = {}
    for col in active.columns:
        if col.name not in source:
            continue
        file_col = source[col.name]
        before = len(conv.problems)
        values = conv.convert(frame[file_col], col, file_col,
                              codes=m.codes.get(col.name) if m else None,
                              unit=m.units.get(col.name) if m else None)
        new = conv.problems[before:]
        failed[col.name] = {p.line for p in new if p.line is not None and p.severity == "error"}
        bad_lines = (np.isin(frame.index.to_numpy(), list(failed[col.name])) if failed[col.name]
                     else np.zeros(len(frame), bool))
        row_problems += check_column(file, frame[file_col], values, col, file_col, bad_lines,
                                     hint_unit=m.units.get(col.name) if m else None,
                                     missing=conv.last_missing, codes=conv.last_codes)
        data[col.name] = values
    extras = [c for c in frame.columns if c not in used and c not in dropped]
    for c in extras:
        data[c] = conv.string(frame[c], file_col=c)
    df = side_by_side(data) if data else pd.DataFrame(index=frame.index)
    for col in active.columns:  # documented defaults, e.g. a single-arm bkp series is all BKP
        if col.default is not None and col.name not in df:
            df[col.name] = col.default
    row_problems = conv.problems + row_problems
    row_problems += cross_rules.check(file, df, sch.name, source, frame, layout, failed)
    row_problems.sort(key=lambda p: (p.line or 0))
    key = key or LazyKey(None)
    id_cols = [source[c] for c in active.identifiers() if c in source]
    row_problems = mask_problems(row_problems, id_cols, key)
    personal = _personal_fields(file, frame, df, active, source, set(active.identifiers()))
    if personal:
        hidden = {p.column for p in personal}
        row_problems = [dataclasses.replace(p, value=None) if p.column in hidden else p for p in row_problems]
        warnings.extend(personal)
    if key.used and key.get().note:
        warnings.append(Problem(file, None, None, None, "study key", key.get().note, severity="warning"))
    all_problems = row_problems + warnings
    by_line = _reasons(row_problems)
    if by_line and not exclude_invalid:
        errors = [p for p in row_problems if p.severity == "error"]
        raise DataError(problems_message(
            errors, f"{file}: {len(errors)} problem{'s' if len(errors) != 1 else ''} on "
                    f"{len(by_line)} row{'s' if len(by_line) != 1 else ''} (schema {sch.name!r}):"),
            tuple(all_problems))
    exclusions: list[Exclusion] = []
    if by_line:
        centre_col = "centre" if "centre" in df else None
        for line in sorted(by_line):
            centre = df.at[line, centre_col] if centre_col else None
            exclusions.append(Exclusion(line, "; ".join(_short(p) for p in by_line[line]),
                                        None if centre is None or pd.isna(centre) else str(centre),
                                        tuple(dict.fromkeys(p.rule for p in by_line[line]))))
        df = df.drop(index=list(by_line))
        df = _tighten(df, active)
    n_read = len(frame)
    return LoadedTable(df, tuple(exclusions), tuple(all_problems),
                       _provenance(raw, m, sch, n_read, len(df), dropped), layout=layout,
                       source_columns=dict(source), synthetic=raw.synthetic)


#: how many filled cells of a field are looked at for personal data
PERSONAL_SAMPLE = 2000


def _first_filled(s: pd.Series) -> np.ndarray:
    """Positions of the first :data:`PERSONAL_SAMPLE` filled cells (not the whole column filtered:
    a prefix of the column is looked at first, the whole column only when the prefix has too few)."""
    prefix = np.flatnonzero(s.iloc[:4 * PERSONAL_SAMPLE].notna().to_numpy())
    if len(prefix) >= PERSONAL_SAMPLE or len(s) <= 4 * PERSONAL_SAMPLE:
        return prefix[:PERSONAL_SAMPLE]
    return np.flatnonzero(s.notna().to_numpy())[:PERSONAL_SAMPLE]


def _personal_fields(file: str, frame: pd.DataFrame, df: pd.DataFrame, sch: Schema, source: dict[str, str],
                     identifiers: set[str]) -> list[Problem]:
    """Warnings for mapped fields whose values look like names or birth dates (values never echoed)."""
    out = []
    for col in sch.columns:
        if col.name not in source or col.name in identifiers:
            continue
        file_col = source[col.name]
        if col.type == "date" and col.name in df:
            dates = df[col.name]
            years = pd.to_datetime(dates.iloc[_first_filled(dates)], errors="coerce").dt.year
            kind = personal_values((), date_field=True, years=years.tolist())
        else:
            raw = frame[file_col]
            kind = personal_values(raw.iloc[_first_filled(raw)].astype(str).tolist())
        if kind:
            out.append(Problem(
                file, None, file_col, None, "looks like personal data",
                f"coded values for {col.name} ({col.expected()}), but most values of this column look like "
                f"{kind}; check the mapping: direct identifiers must not be mapped onto a schema field "
                "(the values are not shown in any message)", severity="warning"))
    return out


def _tighten(df: pd.DataFrame, sch: Schema) -> pd.DataFrame:
    """After excluding rows, boolean columns without gaps become plain ``bool``."""
    for col in sch.columns:
        if col.type == "boolean" and col.name in df and str(df[col.name].dtype) == "boolean":
            if not df[col.name].isna().any():
                df[col.name] = df[col.name].astype(bool)
    return df


def require_columns(table: LoadedTable | pd.DataFrame, columns: Sequence[str]) -> None:
    """DataError naming each missing column and the closest existing one.

    For commands that analyse "any table" (e.g. a score and a truth column).
    """
    frame = table.data if isinstance(table, LoadedTable) else table
    file = table.provenance.file if isinstance(table, LoadedTable) else "table"
    have = [str(c) for c in frame.columns]
    problems = []
    for c in columns:
        if c not in frame.columns:
            hint = suggest(c, have)
            expected = f"a column named {c!r}" + (f" - did you mean {hint!r}?" if hint else "") + \
                       f" (the table has: {', '.join(have[:20])}{' ...' if len(have) > 20 else ''})"
            problems.append(Problem(file, None, None, c, "missing column", expected))
    if problems:
        raise DataError(problems_message(problems, f"{file}: missing column(s):"), problems)

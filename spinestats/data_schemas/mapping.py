"""Mapping files: how an export's columns, units and codes meet a schema.

A mapping is a small YAML file (read with :func:`.safe_yaml.load_yaml`:
safe, with bounded size and aliases), every key
optional::

    schema: dss              # checked against --schema when given
    encoding: cp932          # the export's text encoding (utf-8, utf-8-sig, cp932)
    sheet: 登録データ          # the XLSX sheet to read
    delimiter: ","           # CSV delimiter, when sniffing would guess wrong
    layout: wide             # bkp only: wide (nrs_<visit> columns) or long
    columns:                 # export column -> schema column
      患者ID: patient_id
      腫瘍径: size_cm
      境界: boundary
    units:                   # schema column -> unit the export uses
      size_cm: mm            # converted to the schema's unit (cm)
    dates: iso               # iso (YYYY-MM-DD or YYYY/MM/DD), excel (serial
                             # day numbers), japanese_era (H31.4.30, 平成31年4月30日,
                             # 2015年7月29日; alias wareki), or a strftime format "%d.%m.%Y"
    codes:                   # schema column -> {export code: schema value}
      boundary: {明瞭: distinct, 不明瞭: indistinct}
      reference: {1: malignant, 0: benign}
      lobulated: {あり: true, なし: false}
    missing: [不明, "-"]      # extra cell texts meaning "not recorded"
    labels: {size_cm: 腫瘍径}  # display labels, as the plan's `labels:` (data_schemas/labels.py)
    reference: {boundary: distinct}
    redcap:
      dictionary: redcap_dictionary.csv   # relative to the mapping file
      export: raw            # raw (codes, field___code checkboxes) or labels

Columns not named in ``columns`` keep their names and are matched to schema
columns by name (case-insensitive).  Boolean columns accept 1/0, yes/no,
Y/N, true/false, あり/なし, はい/いいえ, 有/無 without any code map.  Quote
``"yes"``/``"no"`` in YAML if you mean the text; unquoted they are YAML
booleans (a boolean key matches yes/true/on/y or no/false/off/n).

A mistake in the mapping itself (unknown key, a target that is not a schema
column, an unknown unit) is a :class:`~spinestats.errors.UsageError`.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping as _Mapping
from pathlib import Path
from typing import Any

from spinestats.data_schemas.conversion import UNIT_FACTORS
from spinestats.data_schemas.safe_yaml import read_yaml_file
from spinestats.data_schemas.schema import Schema, suggest
from spinestats.errors import UsageError

KEYS = ("schema", "encoding", "sheet", "delimiter", "layout", "columns", "units", "dates", "codes",
        "missing", "redcap", "labels", "reference")  # labels/reference: display labels, read by data_schemas/labels.py


@dataclasses.dataclass(frozen=True)
class RedcapSpec:
    dictionary: Path | None = None
    export: str = "raw"


@dataclasses.dataclass(frozen=True)
class Mapping:
    """A parsed mapping (see the module docstring)."""

    columns: dict[str, str] = dataclasses.field(default_factory=dict)
    units: dict[str, str] = dataclasses.field(default_factory=dict)
    codes: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    dates: str | None = None
    missing: tuple[str, ...] = ()
    encoding: str | None = None
    sheet: str | None = None
    delimiter: str | None = None
    layout: str | None = None
    schema: str | None = None
    redcap: RedcapSpec | None = None
    source: str | None = None
    sha256: str | None = None


def _code_keys(key: object) -> list[str]:
    if isinstance(key, bool):
        return ["yes", "true", "on", "y"] if key else ["no", "false", "off", "n"]
    if isinstance(key, float) and key.is_integer():
        return [str(int(key)), str(key)]
    return [str(key)]


_SCALARS = (str, int, float, bool)


def _scalar(value: Any, where: str, what: str) -> Any:
    """``value`` when it is one text, number or boolean; UsageError naming ``what`` otherwise."""
    if value is not None and not isinstance(value, _SCALARS):
        kind = "a list" if isinstance(value, list) else "a mapping" if isinstance(value, dict) else type(value).__name__
        raise UsageError(f"{where}: {what} must be a single text or number, not {kind} ({value!r}).")
    return value


def _text(spec: _Mapping[str, Any], key: str, where: str) -> str | None:
    value = _scalar(spec.get(key), where, f"'{key}'")
    return None if value is None else str(value)


def _delimiter(value: Any, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) != 1 or value in ('"', "\n", "\r"):
        raise UsageError(f"{where}: delimiter must be one character such as ',', ';' or a tab (\"\\t\"), not "
                         f"{value!r}" + (" (CSV files separate cells with a single character)"
                                         if isinstance(value, str) and len(value) > 1 else "") + ".")
    return value


def _dates(value: Any, where: str) -> str | None:
    """``iso``, ``excel`` or a strftime format naming year, month and day (checked by a round trip)."""
    value = _scalar(value, where, "'dates'")
    if value is None:
        return None
    fmt = str(value)
    if fmt.lower() in ("iso", "excel"):
        return fmt.lower()
    if fmt.lower() in ("japanese_era", "wareki"):  # 令和/平成/昭和 dates (data_schemas/japanese_dates.py)
        return "japanese_era"
    import datetime as dt

    expected = ("'iso' (YYYY-MM-DD), 'excel' (serial day numbers) or a date format with year, month and day "
                "such as \"%d.%m.%Y\" or \"%Y/%m/%d\"")
    if not any(y in fmt for y in ("%Y", "%y")) or not any(m in fmt for m in ("%m", "%b", "%B")) or "%d" not in fmt:
        raise UsageError(f"{where}: dates {fmt!r} does not give the year, month and day; expected {expected}.")
    try:
        probe = dt.datetime(2001, 11, 23)
        ok = dt.datetime.strptime(probe.strftime(fmt), fmt).date() == probe.date()
    except ValueError as exc:
        raise UsageError(f"{where}: dates {fmt!r} is not a usable date format ({exc}); expected {expected}.") from None
    if not ok:
        raise UsageError(f"{where}: dates {fmt!r} does not read back the dates it writes; expected {expected}.")
    return fmt


def parse_mapping(spec: _Mapping[str, Any], *, source: str | None = None, base: Path | None = None,
                  sha256: str | None = None) -> Mapping:
    """A :class:`Mapping` from an already-parsed YAML document."""
    where = source or "mapping"
    if not isinstance(spec, dict):
        raise UsageError(f"{where}: expected a YAML mapping of keys ({', '.join(KEYS)}).")
    unknown = [k for k in spec if k not in KEYS]
    if unknown:
        hint = suggest(str(unknown[0]), KEYS)
        raise UsageError(f"{where}: unknown key {unknown[0]!r}" + (f" (did you mean {hint!r}?)" if hint else "")
                         + f"; known keys: {', '.join(KEYS)}.")
    for key in ("columns", "units", "codes"):
        if spec.get(key) is not None and not isinstance(spec[key], dict):
            raise UsageError(f"{where}: '{key}' must be a mapping of names, not {type(spec[key]).__name__}.")
    columns = {str(_scalar(k, where, "a columns key")).strip(): str(_scalar(v, where, f"columns: {k}")).strip()
               for k, v in (spec.get("columns") or {}).items()}
    units = {str(_scalar(k, where, "a units key")): str(_scalar(v, where, f"units: {k}")).strip()
             for k, v in (spec.get("units") or {}).items()}
    for col, unit in units.items():
        if unit.lower() not in UNIT_FACTORS:
            raise UsageError(f"{where}: unit {unit!r} for {col} is unknown; known units: "
                             + ", ".join(sorted({u for u in UNIT_FACTORS})) + ".")
    codes: dict[str, dict[str, Any]] = {}
    for col, table in (spec.get("codes") or {}).items():
        if not isinstance(table, dict):
            raise UsageError(f"{where}: codes for {col} must be a mapping of export code -> value.")
        codes[str(_scalar(col, where, "a codes key"))] = {
            k2: _scalar(v, where, f"codes: {col}: {k}") for k, v in table.items()
            for k2 in _code_keys(_scalar(k, where, f"a code of {col}"))}
    missing = spec.get("missing") or []
    if not isinstance(missing, list):
        missing = [missing]
    missing = [_scalar(m, where, "each 'missing' entry") for m in missing]
    layout = _scalar(spec.get("layout"), where, "'layout'")
    if layout is not None and layout not in ("wide", "long"):
        raise UsageError(f"{where}: layout must be 'wide' or 'long', not {layout!r}.")
    redcap = None
    if spec.get("redcap") is not None:
        r = spec["redcap"]
        if not isinstance(r, dict):
            raise UsageError(f"{where}: 'redcap' must be a mapping with 'dictionary' and 'export'.")
        export = str(_scalar(r.get("export", "raw"), where, "redcap: export"))
        if export not in ("raw", "labels"):
            raise UsageError(f"{where}: redcap export must be 'raw' or 'labels', not {export!r}.")
        unknown_r = sorted(set(map(str, r)) - {"dictionary", "export"})
        if unknown_r:
            raise UsageError(f"{where}: unknown redcap key {unknown_r[0]!r}; known keys: dictionary, export.")
        dictionary = _scalar(r.get("dictionary"), where, "redcap: dictionary")
        dpath = None
        if dictionary is not None:
            dpath = Path(dictionary)
            if not dpath.is_absolute() and base is not None:
                dpath = base / dpath
            if not dpath.exists():
                raise UsageError(f"{where}: REDCap data dictionary not found: {dpath}")
        if export == "labels" and dpath is None:
            raise UsageError(f"{where}: a REDCap label export needs the data dictionary (redcap: dictionary: FILE).")
        redcap = RedcapSpec(dpath, export)
    encoding = _text(spec, "encoding", where)
    if encoding is not None:
        from spinestats.data_schemas.reading import normalise_encoding

        try:
            normalise_encoding(encoding)
        except UsageError as exc:
            raise UsageError(f"{where}: {exc}") from None
    return Mapping(
        columns=columns, units=units, codes=codes,
        dates=_dates(spec.get("dates"), where),
        missing=tuple(str(m) for m in missing),
        encoding=encoding, sheet=_text(spec, "sheet", where),
        delimiter=_delimiter(spec.get("delimiter"), where), layout=layout, schema=_text(spec, "schema", where),
        redcap=redcap, source=source, sha256=sha256,
    )


def load_mapping(mapping: "str | Path | _Mapping[str, Any] | Mapping | None") -> Mapping | None:
    """Read a mapping from a YAML file path, a dict, or pass a :class:`Mapping` through."""
    if mapping is None or isinstance(mapping, Mapping):
        return mapping
    if isinstance(mapping, _Mapping):
        return parse_mapping(dict(mapping))
    path = Path(mapping)
    if not path.is_file():
        raise UsageError(f"Mapping file not found: {path}")
    spec, data = read_yaml_file(path, "mapping")
    return parse_mapping(spec or {}, source=path.name, base=path.parent,
                         sha256=hashlib.sha256(data).hexdigest())


def check_against_schema(m: Mapping, schema: Schema) -> None:
    """UsageError when the mapping names columns the schema does not have."""
    names = list(schema.names) + [c.name for c in schema.long_columns]
    where = m.source or "mapping"
    if m.schema is not None and m.schema != schema.name:
        raise UsageError(f"{where} is written for schema {m.schema!r}, but --schema is {schema.name!r}.")
    for section, targets in (("columns", m.columns.values()), ("units", m.units), ("codes", m.codes)):
        for t in targets:
            if t not in names:
                hint = suggest(t, names)
                raise UsageError(f"{where}: {section} names {t!r}, which is not a column of schema "
                                 f"{schema.name!r}" + (f" (did you mean {hint!r}?)" if hint else "") + ".")
    for col, unit in m.units.items():
        target = schema.column(col).unit
        if target is None or UNIT_FACTORS.get(target.lower(), (None,))[0] != UNIT_FACTORS[unit.lower()][0]:
            raise UsageError(f"{where}: unit {unit!r} cannot be converted to {col}'s unit ({target}).")

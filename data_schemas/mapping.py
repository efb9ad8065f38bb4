"""Mapping files: how an export's columns, units and codes meet a schema.

A mapping is a small YAML file (read with ``yaml.safe_load``), every key
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
                             # day numbers), or a strftime format "%d.%m.%Y"
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

import yaml

from spinestats.data_schemas.conversion import UNIT_FACTORS
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
    columns = {str(k).strip(): str(v).strip() for k, v in (spec.get("columns") or {}).items()}
    units = {str(k): str(v).strip() for k, v in (spec.get("units") or {}).items()}
    for col, unit in units.items():
        if unit.lower() not in UNIT_FACTORS:
            raise UsageError(f"{where}: unit {unit!r} for {col} is unknown; known units: "
                             + ", ".join(sorted({u for u in UNIT_FACTORS})) + ".")
    codes: dict[str, dict[str, Any]] = {}
    for col, table in (spec.get("codes") or {}).items():
        if not isinstance(table, dict):
            raise UsageError(f"{where}: codes for {col} must be a mapping of export code -> value.")
        codes[str(col)] = {k2: v for k, v in table.items() for k2 in _code_keys(k)}
    missing = spec.get("missing") or []
    if not isinstance(missing, list):
        missing = [missing]
    layout = spec.get("layout")
    if layout is not None and layout not in ("wide", "long"):
        raise UsageError(f"{where}: layout must be 'wide' or 'long', not {layout!r}.")
    redcap = None
    if spec.get("redcap") is not None:
        r = spec["redcap"]
        if not isinstance(r, dict):
            raise UsageError(f"{where}: 'redcap' must be a mapping with 'dictionary' and 'export'.")
        export = str(r.get("export", "raw"))
        if export not in ("raw", "labels"):
            raise UsageError(f"{where}: redcap export must be 'raw' or 'labels', not {export!r}.")
        dictionary = r.get("dictionary")
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
    dates = spec.get("dates")
    return Mapping(
        columns=columns, units=units, codes=codes,
        dates=None if dates is None else str(dates),
        missing=tuple(str(m) for m in missing),
        encoding=spec.get("encoding"), sheet=None if spec.get("sheet") is None else str(spec["sheet"]),
        delimiter=spec.get("delimiter"), layout=layout, schema=spec.get("schema"),
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
    data = path.read_bytes()
    try:
        spec = yaml.safe_load(data.decode("utf-8-sig"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path.name}: not a readable UTF-8 YAML mapping ({exc}).") from None
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

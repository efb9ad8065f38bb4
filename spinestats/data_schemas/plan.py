"""The run plan: what ``spinestats run PLAN.yaml`` reads.

A plan is a YAML file (read with :func:`.safe_yaml.load_yaml` only: safe, bounded) with this layout::

    schema_version: 1            # version of the plan format
    title: DSS validation        # report title
    seed: 20240601               # every random stream derives from it
    data:                        # named inputs
      dss: {file: dss.csv, schema: dss, mapping: dss_mapping.yaml}
    analyses:                    # run in this order
      - {type: dss, data: dss, bootstrap: 2000}
    output:                      # optional
      figures: {formats: [pdf, svg, png, tiff], dpi: [300, 600], width: single}
      tables: {formats: [csv, xlsx, docx, md], paper: a4}   # paper: a4 or letter (DOCX)
      style: {p_values: default, ci: dash, digits: 2}
    prespecified: {...}          # optional; validated and carried unchanged (see plan_lock.py)
    labels: {size_cm: Largest diameter, modality.conventional: Conventional RT}   # optional display labels
    reference: {modality: conventional}                                          # optional reference levels
    endpoint_labels: {os: Overall survival after CIRT}                           # optional

Every key an analysis entry has besides ``type``, ``key``, ``title`` and
``data`` is an option of that analysis.  Relative paths are resolved against
the folder of the plan file.  :func:`read_plan` checks everything it can
before any analysis starts and raises :class:`~spinestats.errors.UsageError`
naming the problem: a plan for another schema version, an unknown key (with
the closest known name), a missing file, a data name no entry defines.  The
structure is described by ``plan.schema.json`` (JSON Schema 2020-12).
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from spinestats.data_schemas import plan_lock
from spinestats.data_schemas.safe_yaml import load_yaml
from spinestats.errors import UsageError

PLAN_SCHEMA_VERSION = 1
RESERVED_ANALYSIS_KEYS = ("type", "key", "title", "data")
DEFAULT_SEED = 20240601


def plan_json_schema() -> dict[str, Any]:
    """The plan's JSON Schema (``plan.schema.json``)."""
    text = resources.files("spinestats.data_schemas").joinpath("plan.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


def known_schemas() -> tuple[str, ...]:
    """Names of the bundled export schemas."""
    from spinestats.data_schemas.schema import SCHEMA_NAMES

    return tuple(SCHEMA_NAMES)


def suggest(name: str, choices: Iterable[str]) -> str:
    """``" Did you mean 'x'?"`` for the closest of ``choices``, or ``""``."""
    close = difflib.get_close_matches(str(name), sorted(set(choices)), n=1, cutoff=0.6)
    return f" Did you mean '{close[0]}'?" if close else ""


def _unknown(name: str, where: str, choices: Iterable[str]) -> UsageError:
    choices = sorted(set(choices))
    return UsageError(
        f"{where}: unknown key '{name}'.{suggest(name, choices)} Known keys: {', '.join(choices)}."
    )


@dataclasses.dataclass(frozen=True)
class DataEntry:
    """One named input of the plan (paths already resolved)."""

    name: str
    file: Path
    schema: str | None = None
    mapping: Path | None = None
    sheet: str | int | None = None
    encoding: str | None = None
    exclude_invalid: bool = False


@dataclasses.dataclass(frozen=True)
class AnalysisEntry:
    """One analysis to run: its type, the data it uses and its options."""

    key: str
    type: str
    data: tuple[str, ...]
    options: Mapping[str, Any]
    title: str | None = None


@dataclasses.dataclass(frozen=True)
class OutputOptions:
    """How figures and tables are written and numbers formatted."""

    figure_formats: tuple[str, ...] = ("pdf", "svg", "png", "tiff")
    dpi: tuple[int, ...] = (300,)
    width: str | float = "single"
    table_formats: tuple[str, ...] = ("csv", "xlsx", "docx", "md")
    p_style: str = "default"
    ci_style: str = "dash"
    digits: int = 2
    paper: str = "a4"


@dataclasses.dataclass(frozen=True)
class Plan:
    """A validated run plan.

    ``sha256`` is the plan hash of :func:`spinestats.data_schemas.plan_lock.plan_hash`
    (SHA-256 of the canonical JSON of the YAML content, so comments and key
    order do not change it; the same hash ``spinestats plan lock`` records);
    ``file_sha256`` is the hash of the file's bytes; ``raw`` is the YAML as
    read (after validation).
    """

    path: Path
    schema_version: int
    title: str
    seed: int
    synthetic: bool
    data: Mapping[str, DataEntry]
    analyses: tuple[AnalysisEntry, ...]
    output: OutputOptions
    prespecified: Mapping[str, Any] | None
    raw: Mapping[str, Any]
    sha256: str
    file_sha256: str = ""
    labels: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    reference: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    endpoint_labels: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def labels_for(self, names: Iterable[str] = (), extra_variables: Iterable[str] = (), strict: bool = True):
        """The :class:`~spinestats.data_schemas.labels.Labels` of the data entries ``names`` (all when empty):
        their schemas' labels, then the mapping files' ``labels``/``reference``, then the plan's."""
        from spinestats.data_schemas.labels import Labels, mapping_labels

        entries = [self.data[n] for n in names] if names else list(self.data.values())
        schemas = list(dict.fromkeys(e.schema for e in entries if e.schema))
        lab = Labels(schemas, extra_variables=extra_variables, strict=False, where=f"plan {self.path.name}")
        for e in entries:
            if e.mapping is not None and e.mapping.is_file():
                ml, mr = mapping_labels(e.mapping)
                lab.update(ml, mr, strict=strict, where=f"mapping {e.mapping.name}")
        return lab.update(self.labels, self.reference, self.endpoint_labels, strict=strict,
                          where=f"plan {self.path.name}")

    @property
    def folder(self) -> Path:
        return self.path.parent


def _check_unknown_keys(doc: dict, schema: dict, where: str) -> None:
    """Refuse keys the JSON Schema does not allow, naming the closest known key."""
    props = schema.get("properties", {})
    if schema.get("additionalProperties") is False:
        for key in doc:
            if key not in props:
                raise _unknown(key, where, props)
    for key, sub in props.items():
        if key in doc and isinstance(doc[key], dict) and sub.get("type") == "object":
            _check_unknown_keys(doc[key], sub, f"{where}, {key}")


def _schema_error(error: jsonschema.ValidationError, plan_path: Path) -> UsageError:
    where = " > ".join(str(p) for p in error.absolute_path) or "top level"
    message = error.message
    if error.validator in ("oneOf", "anyOf"):  # say what each alternative expected
        options = "; or ".join(_expected(s) for s in error.validator_value)
        message = f"{error.instance!r} is not allowed; expected {options}"
    return UsageError(f"plan {plan_path}: {where}: {message}")


def _expected(schema: dict) -> str:
    """A plain description of what a JSON Schema alternative accepts."""
    if "enum" in schema:
        return "one of " + ", ".join(repr(v) for v in schema["enum"])
    text = schema.get("type", "a value")
    if "minimum" in schema or "maximum" in schema:
        text += f" from {schema.get('minimum', '-inf')} to {schema.get('maximum', 'inf')}"
    return text


def _resolve(folder: Path, value: str) -> Path:
    p = Path(value).expanduser()
    return p if p.is_absolute() else (folder / p).resolve()


def _path_order(path: Iterable[Any]) -> list[tuple[int, int, str]]:
    """A sort key for a schema error's location: list positions in numeric order, keys by their text.
    YAML keys need not be text (``false:`` and ``1:`` are a boolean and a number), and Python
    cannot order a boolean against a text."""
    return [(0, p, "") if type(p) is int else (1, 0, str(p)) for p in path]


def read_plan(
    path: str | Path,
    analyses: Mapping[str, Iterable[str] | None] | None = None,
    check_files: bool = True,
) -> Plan:
    """Read and validate a run plan.

    Parameters
    ----------
    path : the plan's YAML file.
    analyses : known analysis types mapped to their allowed option names
        (``None`` for a type whose options are not checked here).  When given,
        an unknown type or option is refused with the closest known name.
    check_files : refuse a plan naming a file or folder that does not exist.

    Raises
    ------
    UsageError
        for anything wrong in the plan, before any analysis starts.
    """
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"plan file {path} does not exist.")
    raw_bytes = path.read_bytes()
    try:
        text = raw_bytes.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"plan {path} is not UTF-8 text (byte {exc.start}); save it as UTF-8.") from None
    doc = load_yaml(text, f"plan {path}")
    if not isinstance(doc, dict):
        raise UsageError(f"plan {path}: expected a YAML mapping (schema_version, data, analyses), got {type(doc).__name__}.")
    version = doc.get("schema_version")
    if version is None:
        raise UsageError(f"plan {path}: 'schema_version' is missing; add `schema_version: {PLAN_SCHEMA_VERSION}`.")
    if version != PLAN_SCHEMA_VERSION:
        raise UsageError(
            f"plan {path} was written for plan schema version {version!r}; this spinestats reads version "
            f"{PLAN_SCHEMA_VERSION}. Write the plan for version {PLAN_SCHEMA_VERSION} "
            "(`spinestats init DIR` writes a current template)."
        )
    schema = plan_json_schema()
    _check_unknown_keys(doc, schema, f"plan {path}")
    entry_schema = schema["properties"]["data"]["additionalProperties"]
    data_block = doc.get("data")
    for name, entry in (data_block.items() if isinstance(data_block, dict) else ()):
        if isinstance(entry, dict):
            _check_unknown_keys(entry, entry_schema, f"plan {path}, data '{name}'")
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(doc), key=lambda e: _path_order(e.absolute_path))
    if errors:
        raise _schema_error(errors[0], path)

    folder = path.resolve().parent
    schemas = known_schemas()
    data: dict[str, DataEntry] = {}
    for name, entry in doc["data"].items():
        if entry.get("schema") is not None and entry["schema"] not in schemas:
            raise UsageError(
                f"plan {path}, data '{name}': unknown schema '{entry['schema']}'."
                f"{suggest(entry['schema'], schemas)} Known schemas: {', '.join(schemas)}."
            )
        data[name] = DataEntry(
            name=name,
            file=_resolve(folder, entry["file"]),
            schema=entry.get("schema"),
            mapping=_resolve(folder, entry["mapping"]) if entry.get("mapping") else None,
            sheet=entry.get("sheet"),
            encoding=entry.get("encoding"),
            exclude_invalid=bool(entry.get("exclude_invalid", False)),
        )

    entries: list[AnalysisEntry] = []
    seen: set[str] = set()
    for i, item in enumerate(doc["analyses"], start=1):
        where = f"plan {path}, analyses item {i} ({item['type']})"
        kind = item["type"]
        if analyses is not None and kind not in analyses:
            raise UsageError(
                f"{where}: unknown analysis type '{kind}'.{suggest(kind, analyses)} "
                f"Known types: {', '.join(sorted(analyses))}."
            )
        options = {k: v for k, v in item.items() if k not in RESERVED_ANALYSIS_KEYS}
        allowed = None if analyses is None else analyses[kind]
        if allowed is not None:
            allowed = set(allowed)
            for opt in options:
                if opt not in allowed:
                    raise UsageError(
                        f"{where}: unknown option '{opt}'.{suggest(opt, allowed | set(RESERVED_ANALYSIS_KEYS))} "
                        f"Options of '{kind}': {', '.join(sorted(allowed)) or '(none)'}."
                    )
        names = item.get("data", ())
        names = (names,) if isinstance(names, str) else tuple(names)
        for n in names:
            if n not in data:
                raise UsageError(f"{where}: data '{n}' is not defined under `data:`.{suggest(n, data)}")
        key = item.get("key", kind)
        if key in seen:
            raise UsageError(f"{where}: the key '{key}' is used twice; give each analysis its own `key:`.")
        seen.add(key)
        entries.append(AnalysisEntry(key=key, type=kind, data=names, options=options, title=item.get("title")))

    out = doc.get("output") or {}
    fig, tab, style = out.get("figures") or {}, out.get("tables") or {}, out.get("style") or {}
    default = OutputOptions()
    output = OutputOptions(
        figure_formats=tuple(fig.get("formats", default.figure_formats)),
        dpi=tuple(int(d) for d in fig.get("dpi", default.dpi)),
        width=fig.get("width", default.width),
        table_formats=tuple(tab.get("formats", default.table_formats)),
        p_style=style.get("p_values", default.p_style),
        ci_style=style.get("ci", default.ci_style),
        digits=int(style.get("digits", default.digits)),
        paper=str(tab.get("paper", default.paper)),
    )

    if doc.get("prespecified") is not None:
        plan_lock.parse_prespecified(doc["prespecified"], where=f"plan {path}")

    if check_files:
        missing = []
        for entry in data.values():
            if not entry.file.exists():
                missing.append(f"data '{entry.name}': file {entry.file} does not exist")
            if entry.mapping is not None and not entry.mapping.is_file():
                missing.append(f"data '{entry.name}': mapping {entry.mapping} does not exist")
        if missing:
            raise UsageError(f"plan {path}: " + "; ".join(missing) + ". Nothing was run.")

    plan = Plan(
        path=path.resolve(),
        schema_version=version,
        title=str(doc.get("title", "spinestats report")),
        seed=int(doc.get("seed", DEFAULT_SEED)),
        synthetic=bool(doc.get("synthetic", False)),
        data=data,
        analyses=tuple(entries),
        output=output,
        prespecified=doc.get("prespecified"),
        raw=doc,
        sha256=plan_lock.plan_hash(path),
        file_sha256=hashlib.sha256(raw_bytes).hexdigest(),
        labels=dict(doc.get("labels") or {}),
        reference=dict(doc.get("reference") or {}),
        endpoint_labels=dict(doc.get("endpoint_labels") or {}),
    )
    if plan.labels or plan.reference or plan.endpoint_labels:
        # unknown variables/levels and colliding labels are refused before anything runs; a data entry
        # without a schema may name any of its own columns, so those are checked after loading
        schemaless = any(e.schema is None for e in data.values())
        plan.labels_for(strict=not schemaless)
    return plan

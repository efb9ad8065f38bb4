"""The export schemas (``data_schemas/<name>.yaml``) as frozen objects.

A schema lists, column by column, the canonical name, type, unit, allowed
values, bounds, whether the column is required and whether it identifies a
patient.  Types are ``string``, ``category``, ``boolean``, ``integer``,
``number``, ``date``, ``zones`` (WBB radial zones 1-12) and ``layers`` (WBB
layers A-E).  Bounds: ``min``/``max`` are inclusive, ``min_exclusive`` is
strict; a value outside them is an error.  The schema's top-level
``plausible:`` mapping (``size_cm: [0, 20]``, one line per column) gives,
inclusive, the range a real value almost always falls in: a value
outside it but within the bounds is kept with a warning (a 32 cm tumour is
possible in principle, and is usually millimetres typed into a cm column).  The ``display:`` block gives each column its label, display
unit, value labels and reference level (read by :mod:`.labels`).  ``identifier: pseudonymise`` marks a column (patient or case ID)
that is kept for analysis but must be pseudonymised in every per-patient
output.

The YAML files are read with :func:`.safe_yaml.load_yaml` only.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
from importlib import resources
from typing import Any

from spinestats.data_schemas.safe_yaml import load_yaml
from spinestats.errors import UsageError

SCHEMA_NAMES: tuple[str, ...] = ("dss", "cirt", "fracture", "bkp", "readers")

COLUMN_TYPES = ("string", "category", "boolean", "integer", "number", "date", "zones", "layers")


@dataclasses.dataclass(frozen=True)
class Column:
    """One canonical column of a schema."""

    name: str
    type: str
    required: bool = False
    description: str = ""
    unit: str | None = None
    allowed: tuple[Any, ...] | None = None
    min: float | None = None
    max: float | None = None
    min_exclusive: float | None = None
    #: (low, high): values outside, but inside the hard bounds, are warned about (not refused)
    plausible: tuple[float, float] | None = None
    unique: bool = False
    identifier: str | None = None
    default: Any = None

    def expected(self) -> str:
        """Plain-words description of the values this column accepts."""
        parts = [self.type]
        if self.unit:
            parts.append(f"in {self.unit}")
        if self.allowed is not None:
            parts.append("one of " + ", ".join(str(a) for a in self.allowed))
        return " ".join(parts + self.bounds())

    def bounds(self) -> list[str]:
        """The bounds as text: ``["> 0", "<= 50"]``."""
        parts = []
        if self.min_exclusive is not None:
            parts.append(f"> {self.min_exclusive:g}")
        if self.min is not None:
            parts.append(f">= {self.min:g}")
        if self.max is not None:
            parts.append(f"<= {self.max:g}")
        return parts


@dataclasses.dataclass(frozen=True)
class Rule:
    """A cross-field rule, documented in the schema and checked in code."""

    name: str
    description: str


@dataclasses.dataclass(frozen=True)
class Schema:
    """A whole export schema."""

    name: str
    version: int
    title: str
    description: str
    columns: tuple[Column, ...]
    rules: tuple[Rule, ...] = ()
    long_columns: tuple[Column, ...] = ()
    layouts: tuple[str, ...] = ()
    visits: tuple[str, ...] = ()
    display: dict[str, Any] = dataclasses.field(default_factory=dict, hash=False, compare=False)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for c in self.columns + self.long_columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def identifiers(self) -> tuple[str, ...]:
        """Columns to pseudonymise in every per-patient output (``identifier: pseudonymise``)."""
        return tuple(dict.fromkeys(c.name for c in self.columns + self.long_columns if c.identifier))

    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def as_layout(self, layout: str) -> "Schema":
        """The same schema with the column list of ``layout`` (bkp: wide or long)."""
        if layout == "long" and self.long_columns:
            return dataclasses.replace(self, columns=self.long_columns)
        return self


def _plausible(spec: dict[str, Any], ranges: dict[str, Any]) -> tuple[float, float] | None:
    value = spec.get("plausible", ranges.get(spec["name"]))
    if value is None:
        return None
    lo, hi = (float(v) for v in value)
    return (lo, hi)


def _column(spec: dict[str, Any], ranges: dict[str, Any] | None = None) -> Column:
    allowed = spec.get("allowed")
    return Column(
        name=str(spec["name"]),
        type=str(spec.get("type", "string")),
        required=bool(spec.get("required", False)),
        description=str(spec.get("description", "")),
        unit=spec.get("unit"),
        allowed=None if allowed is None else tuple(allowed),
        min=spec.get("min"),
        max=spec.get("max"),
        min_exclusive=spec.get("min_exclusive"),
        plausible=_plausible(spec, ranges or {}),
        unique=bool(spec.get("unique", False)),
        identifier=spec.get("identifier"),
        default=spec.get("default"),
    )


def suggest(name: str, candidates: list[str] | tuple[str, ...]) -> str | None:
    """The closest candidate to ``name`` (case-insensitive), or ``None``."""
    lowered = {str(c).lower(): str(c) for c in candidates}
    hit = difflib.get_close_matches(str(name).lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[hit[0]] if hit else None


@functools.lru_cache(maxsize=None)
def get_schema(name: str) -> Schema:
    """The schema called ``name`` (dss, cirt, fracture, bkp, readers).

    Raises
    ------
    UsageError
        for an unknown name, listing the known names and the closest one.
    """
    if name not in SCHEMA_NAMES:
        hint = suggest(name, SCHEMA_NAMES)
        msg = f"Unknown schema {name!r}; known schemas: {', '.join(SCHEMA_NAMES)}."
        if hint:
            msg += f" Did you mean {hint!r}?"
        raise UsageError(msg)
    text = resources.files("spinestats.data_schemas").joinpath(f"{name}.yaml").read_text(encoding="utf-8")
    spec = load_yaml(text, f"schema {name}.yaml")
    ranges = spec.get("plausible") or {}  # column -> [low, high], one line per column
    unknown = set(ranges) - {c["name"] for c in spec["columns"] + spec.get("long_columns", [])}
    if unknown:
        raise ValueError(f"schema {name}.yaml: plausible names unknown columns {sorted(unknown)}")
    return Schema(
        name=spec["name"],
        version=int(spec["version"]),
        title=spec.get("title", ""),
        description=" ".join(str(spec.get("description", "")).split()),
        columns=tuple(_column(c, ranges) for c in spec["columns"]),
        rules=tuple(Rule(r["name"], r.get("description", "")) for r in spec.get("rules", [])),
        long_columns=tuple(_column(c, ranges) for c in spec.get("long_columns", [])),
        layouts=tuple(spec.get("layouts", [])),
        visits=tuple(str(v) for v in spec.get("visits", [])),
        display=dict(spec.get("display") or {}),
    )

"""The records a load produces: problems, exclusions, provenance, the loaded table.

They live here so that every module of the data layer can use them;
:mod:`spinestats.data_schemas.loading` re-exports them.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pandas as pd


@dataclasses.dataclass(frozen=True)
class Problem:
    """One problem found in an export.

    ``line`` is the spreadsheet line (``None`` for whole-file problems such
    as a missing column); ``column`` is the column as named *in the file*.
    """

    file: str
    line: int | None
    column: str | None
    value: Any
    rule: str
    expected: str
    severity: str = "error"  # "error" stops the analysis; "warning" does not

    def message(self) -> str:
        where = self.file
        if self.line is not None:
            where += f", line {self.line}"
        if self.column is not None:
            where += f", column '{self.column}'"
        shown = "" if self.value is None else f": value {self.value!r}"
        return f"{where}{shown} - {self.rule}: expected {self.expected}"


@dataclasses.dataclass(frozen=True)
class Exclusion:
    """A row left out of the analysis, and why."""

    line: int
    reason: str
    centre: str | None = None
    rules: tuple[str, ...] = ()  # the rules the row broke (for flow diagrams)


@dataclasses.dataclass(frozen=True)
class Provenance:
    """Where the data came from: enough to reproduce and to audit a run."""

    file: str
    sha256: str
    rows_read: int
    rows_kept: int
    encoding: str | None
    sheet: str | None
    schema: str | None
    schema_version: int | None
    versions: dict[str, str]
    format: str | None = None  # csv, tsv, xlsx, parquet
    mapping: str | None = None  # mapping file name, if any
    mapping_sha256: str | None = None
    rows_excluded: int = 0
    columns_dropped: tuple[str, ...] = ()  # direct-identifier columns kept out of ``data``
    blank_rows: int = 0  # records with every cell empty (",,,"), skipped and counted, not rows read


@dataclasses.dataclass(frozen=True)
class LoadedTable:
    """An export after mapping, conversion and validation.

    ``data``: the rows kept, canonical column names, indexed by spreadsheet
    line; ``exclusions``: the rows left out (``exclude_invalid=True``) and
    why; ``problems``: every error and warning found; ``provenance``: file
    hash, counts, encoding, sheet, schema, mapping and package versions;
    ``layout``: "wide"/"long" for bkp, else None; ``source_columns``: each
    canonical column's name in the file, for messages; ``synthetic``: the
    file's first line is the bundled examples' ``# SYNTHETIC DATA`` marker.
    """

    data: pd.DataFrame
    exclusions: tuple[Exclusion, ...]
    problems: tuple[Problem, ...]
    provenance: Provenance
    layout: str | None = None  # bkp: "wide" or "long"; None for other schemas
    #: canonical column name -> the column's name in the file (for messages)
    source_columns: dict[str, str] = dataclasses.field(default_factory=dict)
    #: the file starts with the ``# SYNTHETIC DATA`` line of the bundled examples (figures and tables then say so)
    synthetic: bool = False

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "warning")

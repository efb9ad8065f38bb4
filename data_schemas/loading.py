"""Loading a registry export: the one door every input passes through.

``load(path, schema=..., mapping=...)`` reads a CSV/TSV/XLSX/Parquet export,
maps its columns onto a schema, converts codes and units, validates every
row, and returns a :class:`LoadedTable`.  Nothing is lost: each row read is
either in ``data`` or in ``exclusions`` with its reason, and
``provenance.rows_read == len(data) + len(exclusions)`` always.

``data`` is indexed by the row's line number as a spreadsheet shows it
(header on line 1, first data row on line 2), so any later message can name
the line.
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


@dataclasses.dataclass(frozen=True)
class LoadedTable:
    """An export after mapping, conversion and validation."""

    data: pd.DataFrame
    exclusions: tuple[Exclusion, ...]
    problems: tuple[Problem, ...]
    provenance: Provenance

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

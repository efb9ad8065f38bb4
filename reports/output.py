"""Writing a command's output folder safely and reproducibly.

Output is written into a temporary sibling folder and moved into place only
when everything succeeded, so a failed run never leaves a half-written report
that looks complete.  ``results.json`` is written with a fixed layout so the
same inputs, plan and seed give byte-identical files.  Text cells that a
spreadsheet would execute as a formula (starting with ``=``, ``+``, ``-`` or
``@``) are escaped in every CSV/XLSX table.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from spinestats.analysis.result import to_jsonable
from spinestats.errors import UsageError
from spinestats.formula_escape import FORMULA_PREFIXES, escape_formula, escape_frame  # noqa: F401  (re-exported)

def dumps_results(results: dict[str, Any]) -> str:
    """Deterministic JSON text for ``results.json`` (UTF-8, two-space indent)."""
    return json.dumps(to_jsonable(results), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


class OutputDir:
    """An output folder written atomically.

    Use as a context manager: files go to a temporary folder beside ``path``;
    on success the folder replaces ``path``; on failure it is removed.

    Parameters
    ----------
    path : folder to create.
    force : replace an existing non-empty folder (otherwise refused).
    """

    def __init__(self, path: str | os.PathLike[str], *, force: bool = False) -> None:
        self.path = Path(path)
        self.force = force
        if self.path.exists() and not self.path.is_dir():
            raise UsageError(f"--out {self.path}: exists and is a file; expected a folder.")
        if self.path.is_dir() and any(self.path.iterdir()) and not force:
            raise UsageError(
                f"--out {self.path}: the folder exists and is not empty. "
                "Choose a new folder, or add --force to replace it."
            )
        self.tmp: Path | None = None

    def __enter__(self) -> "OutputDir":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = Path(tempfile.mkdtemp(prefix=f".{self.path.name}.partial-", dir=self.path.parent))
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        assert self.tmp is not None
        if exc_type is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            return
        if self.path.exists():
            shutil.rmtree(self.path)
        os.replace(self.tmp, self.path)
        self.tmp = None

    def file(self, relative: str) -> Path:
        """Path of ``relative`` inside the folder being written (parents made)."""
        if self.tmp is None:
            raise RuntimeError("OutputDir used outside its `with` block")
        target = self.tmp / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def write_json(self, relative: str, data: dict[str, Any]) -> Path:
        target = self.file(relative)
        target.write_text(dumps_results(data), encoding="utf-8")
        return target

    def write_text(self, relative: str, text: str) -> Path:
        target = self.file(relative)
        target.write_text(text, encoding="utf-8")
        return target

    def write_section(self, section) -> None:
        """Write a job's ``results.json`` and ``methods.md`` (methods then references)."""
        self.write_json("results.json", section.results)
        self.write_text("methods.md", "\n\n".join(section.methods) + "\n\n## References\n\n"
                        + "\n".join(f"- {r}" for r in section.references) + "\n")

    def write_csv(self, relative: str, frame: pd.DataFrame) -> Path:
        target = self.file(relative)
        escape_frame(frame).to_csv(target, index=False, lineterminator="\n")
        return target

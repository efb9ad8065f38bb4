"""What one analysis job hands to the report.

Every analysis area (diagnostic, survival, fracture, pain, multicentre) has a
job module in ``reports/`` with a ``run(...) -> Section`` function that both
its own sub-command and ``spinestats run`` call, so the single commands and
the full report always give the same numbers.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any


@dataclasses.dataclass(frozen=True)
class Section:
    """The output of one analysis job.

    Attributes
    ----------
    key : name of the section in ``results.json`` (e.g. ``"dss"``).
    title : heading in the report.
    results : the JSON-safe numbers (the command's ``results.json``).
    figures : paths of the figure files written (every format), relative to the output folder.
    tables : paths of the table files written, relative to the output folder.
    warnings : plain-language warnings (small samples, non-convergence, ...).
    methods : sentences for the generated methods paragraph.
    references : references cited by ``methods``.
    table_records : the tables as :class:`~spinestats.reports.tables.TableRecord` (title, formatted
        cells, footnotes), filled in by the runner for the report.
    figure_captions : caption of each figure (by file stem) for the report's captions and alt text.
    """

    key: str
    title: str
    results: dict[str, Any]
    figures: tuple[Path, ...] = ()
    tables: tuple[Path, ...] = ()
    warnings: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    table_records: tuple[Any, ...] = ()
    figure_captions: dict[str, str] = dataclasses.field(default_factory=dict)  # figure stem -> caption

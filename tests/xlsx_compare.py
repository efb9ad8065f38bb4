"""What two XLSX files show, read back through openpyxl: the oracle comparison of the direct writer
(reports/table_xlsx.py) with the openpyxl-built reference (tests/xlsx_reference.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _font(font: Any, default: Any) -> tuple[Any, ...]:
    """Bold, italic, size and name; a font that leaves size or name out takes the default font's
    (openpyxl writes its bold font without them, the direct writer names them)."""
    return (bool(font.b), bool(font.i), float(font.sz if font.sz is not None else default.sz),
            font.name if font.name is not None else default.name)


def _value(value: Any) -> Any:
    """A number as the 16 significant digits openpyxl writes (``%.16g``: 0.0 is written ``0`` and read back an
    int); the direct writer writes ``repr``, all 17, so that the number reads back exactly. Text as it is."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return ("number", float("%.16g" % value))
    return (type(value).__name__, value)


def shown(path: str | Path) -> dict[str, Any]:
    """Everything a reader of the sheet sees, as plain values."""
    import openpyxl

    wb = openpyxl.load_workbook(path)
    assert len(wb.worksheets) == 1
    ws = wb.worksheets[0]
    default = wb._fonts[0]
    cells = {}
    for row in ws.iter_rows(min_row=1, max_row=ws.max_row, max_col=ws.max_column):
        for c in row:
            if c.value is None and not c.has_style:
                continue
            cells[c.coordinate] = (_value(c.value), c.data_type, c.number_format, _font(c.font, default),
                                   c.alignment.horizontal)
    widths = {k: d.width for k, d in ws.column_dimensions.items() if d.customWidth}
    return {
        "sheet": ws.title, "cells": cells, "max": (ws.max_row, ws.max_column),
        "merged": sorted(str(r) for r in ws.merged_cells.ranges), "widths": widths,
        "creator": wb.properties.creator, "title": wb.properties.title, "created": wb.properties.created,
        "margins": (ws.page_margins.left, ws.page_margins.right, ws.page_margins.top, ws.page_margins.bottom),
    }


def differences(ours: str | Path, reference: str | Path) -> list[str]:
    """What differs between the two files' :func:`shown` (empty: they show the same)."""
    a, b = shown(ours), shown(reference)
    out = [f"{k}: {a[k]!r} != {b[k]!r}" for k in a if k != "cells" and a[k] != b[k]]
    for ref in sorted(set(a["cells"]) | set(b["cells"])):
        if a["cells"].get(ref) != b["cells"].get(ref):
            out.append(f"{ref}: {a['cells'].get(ref)!r} != {b['cells'].get(ref)!r}")
    return out

"""The XLSX of a table as openpyxl's object model builds it: the writer spinestats used before
:mod:`spinestats.reports.table_xlsx`, kept as the oracle the direct writer is compared with (every cell's
value, type, number format, font and alignment, merged ranges, column widths, sheet name), loaded back
through openpyxl."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pandas as pd

from spinestats.reports.output import escape_formula
from spinestats.reports.tables import (
    _FIXED_DATE,
    Table,
    TableStyle,
    _as_table,
    _is_num,
    _missing,
    current_style,
    excel_number_format,
    sheet_name,
)


def write_xlsx_reference(table: "Table | pd.DataFrame", path: Path, title: str | None = None, note: str | None = None,
               style: TableStyle | None = None) -> None:
    """An XLSX workbook: one sheet named after the table, a title row, headers, the cells, footnotes.

    Counts, plain numbers and p-values that print as a plain number ("0.023",
    APA ".023") are stored as numbers with the number format that displays
    exactly the string every other format shows (:func:`excel_number_format`:
    the same decimals, no leading zero for APA, a true minus sign); what is
    not a number ("<0.001", ">0.99", estimates with their CIs) stays the
    formatted text.  Text is formula-escaped.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    t = _as_table(table, title, note, stem=Path(path).stem)
    style = style or current_style()
    shown = t.rows(style)
    d = t.data.reset_index(drop=True)
    wb = Workbook()
    ws = wb.active
    ws.title = sheet_name(t.stem)
    r = 1
    if t.title:
        ws.cell(row=1, column=1, value=escape_formula(t.title)).font = Font(bold=True)
        r = 3
    for text, first, last in t.spans():
        c = ws.cell(row=r, column=first + 1, value=escape_formula(text))
        c.font = Font(bold=True)
        c.alignment = Alignment(horizontal="center")
        if last > first:
            ws.merge_cells(start_row=r, start_column=first + 1, end_row=r, end_column=last + 1)
    if t.spans():
        r += 1
    for j, h in enumerate(t.sub_headers(), start=1):
        c = ws.cell(row=r, column=j, value=escape_formula(str(h)))
        c.font = Font(bold=True)
        if t.columns[j - 1].kind != "text":
            c.alignment = Alignment(horizontal="right")
    widths = [len(str(h)) for h in t.sub_headers()]
    raws = [d[col.key].tolist() if col.key in d else [None] * len(d) for col in t.columns]
    right = Alignment(horizontal="right")
    # a body cell's style is a number format or right alignment: set once through openpyxl, then the
    # first such cell's style array is copied (what setting it again would give, without hashing it again)
    styled: dict[str | None, Any] = {}
    for i, texts in enumerate(shown):
        for j, col in enumerate(t.columns, start=1):
            text = texts[j - 1]
            raw = raws[j - 1][i]
            value = (int(round(float(raw))) if col.kind == "int" else float(raw)) \
                if col.kind in ("int", "num", "pct", "p") and _is_num(raw) and not _missing(raw) else None
            number_format = excel_number_format(text, value) if value is not None else None
            if number_format is not None:  # a number shown exactly as every other format shows it
                cell = ws.cell(row=r + 1 + i, column=j, value=value)
                if number_format in styled:
                    cell._style = copy.copy(styled[number_format])
                else:
                    cell.number_format = number_format
                    styled[number_format] = cell._style
            else:
                cell = ws.cell(row=r + 1 + i, column=j, value=escape_formula(text) if text != "" else None)
                if col.kind != "text" and None in styled:
                    cell._style = copy.copy(styled[None])
                elif col.kind != "text":
                    cell.alignment = right
                    styled[None] = cell._style
            widths[j - 1] = max(widths[j - 1], len(str(text)))
    foot = r + len(shown) + 2
    for k, n in enumerate(t.footnotes):
        ws.cell(row=foot + k, column=1, value=escape_formula(n)).font = Font(italic=True, size=9)
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = min(max(8, w + 2), 60)
    fixed = _FIXED_DATE.replace(tzinfo=None)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    wb.properties.creator = "spinestats"
    if t.title:
        wb.properties.title = t.title
    wb.save(str(path))

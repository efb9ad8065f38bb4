"""The DOCX of a table as python-docx's object model builds it: the writer spinestats used before
:mod:`spinestats.reports.table_docx`, kept as the reference the one-pass build must equal byte for byte."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from spinestats.reports.tables import (
    _FIXED_DATE,
    _MARGIN_MM,
    _PAGE_MM,
    Table,
    TableStyle,
    _as_table,
    column_widths_mm,
    current_style,
)


def _set_borders(cell, **edges: str | None) -> None:
    """Set (or remove, with None) a DOCX cell's borders: top, bottom, left, right, insideH, insideV."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tc_pr = cell._tc.get_or_add_tcPr()
    borders = tc_pr.find(qn("w:tcBorders"))
    if borders is None:
        borders = OxmlElement("w:tcBorders")
        tc_pr.append(borders)
    for edge in ("top", "left", "bottom", "right"):
        el = OxmlElement(f"w:{edge}")
        val = edges.get(edge)
        if val:
            el.set(qn("w:val"), "single")
            el.set(qn("w:sz"), val)
            el.set(qn("w:space"), "0")
            el.set(qn("w:color"), "000000")
        else:
            el.set(qn("w:val"), "nil")
        borders.append(el)


def write_docx_reference(table: "Table | pd.DataFrame", path: Path, title: str | None = None, note: str | None = None,
               style: TableStyle | None = None) -> None:
    """A Word document holding the table as journals print it (see the module docstring)."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    t = _as_table(table, title, note)
    style = style or current_style()
    frame = t.format(style)
    spans = t.spans()
    doc = Document()
    sec = doc.sections[0]
    w, h = _PAGE_MM[style.paper]
    widths = column_widths_mm(frame.set_axis(t.sub_headers(), axis=1), [not n for n in t.numeric_columns()])
    landscape = sum(widths) > w - 2 * _MARGIN_MM
    if landscape:
        sec.orientation = WD_ORIENT.LANDSCAPE
        w, h = h, w
    sec.page_width, sec.page_height = Mm(w), Mm(h)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(sec, side, Mm(_MARGIN_MM))
    if t.title:
        par = doc.add_paragraph()
        run = par.add_run(t.title)
        run.bold = True
        run.font.size = Pt(10)
    numeric = t.numeric_columns()
    head_rows = 2 if spans else 1
    grid = doc.add_table(rows=head_rows, cols=len(frame.columns))
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    grid.style = doc.styles["Normal Table"] if "Normal Table" in doc.styles else None
    for text, first, last in spans:
        cell = grid.rows[0].cells[first].merge(grid.rows[0].cells[last]) if last > first else grid.rows[0].cells[first]
        cell.text = text
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for j, (cell, name) in enumerate(zip(grid.rows[head_rows - 1].cells, t.sub_headers())):
        cell.text = str(name)
        for run in cell.paragraphs[0].runs:
            run.bold = True
    # column widths in proportion to the estimate, filling the text width: a viewer that keeps the grid
    # as written (LibreOffice, Google Docs) then wraps headers and labels, not numbers
    scale = (w - 2 * _MARGIN_MM) / sum(widths) if sum(widths) > 0 else 1.0
    for column, cell, width in zip(grid.columns, grid.rows[head_rows - 1].cells, widths):
        column.width = cell.width = Mm(width * scale)  # the body rows added below take the grid's widths
    if head_rows == 2:  # the spanning header row: a merged cell is as wide as its columns
        merged = {j: (first, last) for _, first, last in spans for j in range(first, last + 1)}
        for j, cell in enumerate(grid.rows[0].cells):
            first, last = merged.get(j, (j, j))
            cell.width = Mm(sum(widths[first:last + 1]) * scale)
    spanned = {j for _, first, last in spans for j in range(first, last + 1)}
    for row in frame.itertuples(index=False):
        cells = grid.add_row().cells
        for cell, v in zip(cells, row):
            cell.text = str(v)
    n_rows = len(grid.rows)
    for i, row in enumerate(grid.rows):
        for j, cell in enumerate(row.cells):
            edges = {}
            if i == 0:
                edges = {"top": "12"}
            if head_rows == 2 and i == 0 and j in spanned:
                edges["bottom"] = "4"  # a thin rule under a spanning header, as journals print it
            if i == head_rows - 1:
                edges["bottom"] = "6"
            if i == n_rows - 1:
                edges["bottom"] = "12"
            _set_borders(cell, **edges)
            for par in cell.paragraphs:
                if numeric[j] and j > 0 and not (head_rows == 2 and i == 0):
                    par.alignment = WD_ALIGN_PARAGRAPH.RIGHT
                for run in par.runs:
                    run.font.size = Pt(9)
    for n in t.footnotes:
        run = doc.add_paragraph().add_run(n)
        run.font.size = Pt(8)
    props = doc.core_properties
    props.author = "spinestats"
    props.created = _FIXED_DATE
    props.modified = _FIXED_DATE
    props.last_modified_by = "spinestats"
    props.revision = 1
    if t.title:
        props.title = t.title
    save_docx(doc, path)


def save_docx(doc: Any, path: str | Path) -> None:
    """Write the python-docx ``doc`` as ``Document.save`` does (its parts, order and compression), through
    office_zip's writer: every member dated 1980-01-01, as the tables' DOCX are."""
    from docx.opc.pkgwriter import PackageWriter

    from spinestats.reports.office_zip import _ZipWriter

    package = doc.part.package
    for part in package.parts:
        part.before_marshal()
    writer = _ZipWriter(Path(path))
    try:
        PackageWriter._write_content_types_stream(writer, package.parts)
        PackageWriter._write_pkg_rels(writer, package.rels)
        PackageWriter._write_parts(writer, package.parts)  # type: ignore[arg-type]
    finally:
        writer.close()

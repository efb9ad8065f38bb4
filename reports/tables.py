"""Writing a table for a manuscript: CSV, XLSX, DOCX, Markdown and LaTeX.

One call writes the same :class:`pandas.DataFrame` in every requested format
(``stem.csv``, ``stem.xlsx``, ...).  Text cells that a spreadsheet would run
as a formula are escaped in CSV and XLSX (see
:func:`spinestats.reports.output.escape_frame`).  DOCX and XLSX carry a fixed
creation date so the same table gives the same file content every run.
Cells are written as given: format numbers first (``reports/formatting.py``)
when a table should show "0.83 (0.75–0.90)" rather than raw floats.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from spinestats.errors import UsageError
from spinestats.reports.output import escape_frame

TABLE_FORMATS = ("csv", "xlsx", "docx", "md", "tex")
DEFAULT_TABLE_FORMATS = ("csv", "xlsx", "docx", "md")
_FIXED_DATE = _dt.datetime(2000, 1, 1, tzinfo=_dt.timezone.utc)
_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
    "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    "\u00b1": r"$\pm$", "\u2013": "--", "\u2014": "---", "\u2265": r"$\geq$", "\u2264": r"$\leq$",
}


def check_formats(formats: Iterable[str]) -> tuple[str, ...]:
    """The formats as a tuple, refusing an unknown one with the allowed list."""
    out = tuple(str(f).lower() for f in formats)
    bad = [f for f in out if f not in TABLE_FORMATS]
    if bad:
        raise UsageError(f"table format {bad[0]!r} is not known; expected some of {', '.join(TABLE_FORMATS)}.")
    return out


def cell_text(value: object) -> str:
    """A cell as display text: missing values empty, floats without noise."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float):
        if not math.isfinite(value):
            return ""
        return f"{value:.6g}"
    return str(value)


def to_markdown(frame: pd.DataFrame, title: str | None = None, note: str | None = None) -> str:
    """A GitHub-flavoured Markdown table (pipes in cells escaped)."""

    def esc(text: str) -> str:
        return text.replace("|", r"\|").replace("\n", " ")

    lines = []
    if title:
        lines += [f"**{esc(title)}**", ""]
    lines.append("| " + " | ".join(esc(str(c)) for c in frame.columns) + " |")
    lines.append("|" + "|".join("---" for _ in frame.columns) + "|")
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(esc(cell_text(v)) for v in row) + " |")
    if note:
        lines += ["", esc(note)]
    return "\n".join(lines) + "\n"


def latex_escape(text: str) -> str:
    """``text`` with LaTeX's special characters escaped."""
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in text)


def to_latex(frame: pd.DataFrame, title: str | None = None, note: str | None = None) -> str:
    """A ``booktabs`` LaTeX ``table`` environment (needs ``\\usepackage{booktabs}``)."""
    cols = "l" + "r" * (len(frame.columns) - 1)
    out = ["\\begin{table}[htbp]", "\\centering"]
    if title:
        out.append(f"\\caption{{{latex_escape(title)}}}")
    out += [f"\\begin{{tabular}}{{{cols}}}", "\\toprule"]
    out.append(" & ".join(latex_escape(str(c)) for c in frame.columns) + " \\\\")
    out.append("\\midrule")
    for row in frame.itertuples(index=False):
        out.append(" & ".join(latex_escape(cell_text(v)) for v in row) + " \\\\")
    out += ["\\bottomrule", "\\end{tabular}"]
    if note:
        out.append(f"\\par\\footnotesize {latex_escape(note)}")
    out.append("\\end{table}")
    return "\n".join(out) + "\n"


def write_xlsx(frame: pd.DataFrame, path: Path, title: str | None = None) -> None:
    """An XLSX workbook with one sheet holding the (formula-escaped) table."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "table"
    safe = escape_frame(frame)
    ws.append([str(c) for c in safe.columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in safe.itertuples(index=False):
        values = []
        for v in row:
            if v is None or v is pd.NA or (isinstance(v, float) and not math.isfinite(v)):
                values.append(None)
            elif hasattr(v, "item") and not isinstance(v, str):
                values.append(v.item())
            else:
                values.append(v)
        ws.append(values)
    fixed = _FIXED_DATE.replace(tzinfo=None)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    wb.properties.creator = "spinestats"
    if title:
        wb.properties.title = title
    wb.save(path)


def write_docx(frame: pd.DataFrame, path: Path, title: str | None = None, note: str | None = None) -> None:
    """A Word document holding the table (style "Table Grid"), ready to paste."""
    from docx import Document
    from docx.shared import Pt

    doc = Document()
    if title:
        doc.add_paragraph().add_run(title).bold = True
    table = doc.add_table(rows=1, cols=len(frame.columns))
    table.style = "Table Grid"
    for cell, name in zip(table.rows[0].cells, frame.columns):
        cell.text = str(name)
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in frame.itertuples(index=False):
        cells = table.add_row().cells
        for cell, v in zip(cells, row):
            cell.text = cell_text(v)
    for row in table.rows:
        for cell in row.cells:
            for par in cell.paragraphs:
                for run in par.runs:
                    run.font.size = Pt(9)
    if note:
        doc.add_paragraph(note)
    props = doc.core_properties
    props.author = "spinestats"
    props.created = _FIXED_DATE
    props.modified = _FIXED_DATE
    props.last_modified_by = "spinestats"
    props.revision = 1
    if title:
        props.title = title
    doc.save(str(path))


def write_table(
    frame: pd.DataFrame,
    folder: str | Path,
    stem: str,
    formats: Iterable[str] = DEFAULT_TABLE_FORMATS,
    title: str | None = None,
    note: str | None = None,
) -> list[Path]:
    """Write ``frame`` as ``folder/stem.<fmt>`` for every requested format.

    Parameters
    ----------
    frame : the table; its columns are the header row, its index is ignored.
    folder : destination folder (created if needed).
    stem : file name without extension.
    formats : any of ``csv``, ``xlsx``, ``docx``, ``md``, ``tex``.
    title, note : caption and footnote (XLSX keeps the title as a document property).

    Returns
    -------
    The written paths, in the order of ``formats``.
    """
    fmts = check_formats(formats)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    frame = frame.reset_index(drop=True)
    written = []
    for fmt in fmts:
        path = folder / f"{stem}.{fmt}"
        if fmt == "csv":
            escape_frame(frame).to_csv(path, index=False, lineterminator="\n")
        elif fmt == "xlsx":
            write_xlsx(frame, path, title)
        elif fmt == "docx":
            write_docx(frame, path, title, note)
        elif fmt == "md":
            path.write_text(to_markdown(frame, title, note), encoding="utf-8")
        else:
            path.write_text(to_latex(frame, title, note), encoding="utf-8")
        written.append(path)
    return written

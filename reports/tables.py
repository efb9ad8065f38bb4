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


_ESTIMATE_FOR_CI = ("estimate", "emmean", "mean_diff", "risk_difference", "mean", "proportion", "percent")


def _is_p_column(name: str) -> bool:
    n = name.lower()
    return n == "p" or n.startswith("p_") or n.endswith("_p") or "_p_" in n


def _ci_pairs(columns: list[str]) -> list[tuple[str, str, str]]:
    """(estimate, lower, upper) column triples the table's names make unambiguous."""
    cols = list(columns)
    out = []
    used: set[str] = set()
    for i, c in enumerate(cols):
        for lo_sfx, hi_sfx in (("lower", "upper"), ("ci_low", "ci_high")):
            if not c.endswith(lo_sfx):
                continue
            prefix = c[: -len(lo_sfx)]
            hi = prefix + hi_sfx
            if hi not in cols:
                continue
            est = None
            if prefix.endswith("_") and prefix[:-1] in cols:  # sensitivity, sensitivity_lower, sensitivity_upper
                est = prefix[:-1]
            elif prefix == "" and lo_sfx == "lower":  # estimate, lower, upper -- or the column just before
                est = "estimate" if "estimate" in cols else (cols[i - 1] if i > 0 else None)
            elif prefix == "" and lo_sfx == "ci_low":
                est = next((e for e in _ESTIMATE_FOR_CI if e in cols), None)
            elif prefix:  # cs_hr, cs_lower, cs_upper: the column just before
                est = cols[i - 1] if i > 0 and cols[i - 1].startswith(prefix) else None
            if est and est not in used and est not in (c, hi):
                out.append((est, c, hi))
                used.add(est)
    return out


def manuscript_frame(frame: pd.DataFrame, p_style: str = "default", ci_style: str = "dash", digits: int = 2) -> pd.DataFrame:
    """A results table formatted for a manuscript (DOCX, Markdown, LaTeX).

    * every estimate with unambiguous CI columns (``x, x_lower, x_upper``;
      ``estimate, lower, upper``; ``..., ci_low, ci_high``) becomes one column
      ``"x (CI)"`` formatted by :func:`~spinestats.reports.formatting.format_ci`;
    * p-value columns (``p``, ``p_*``, ``*_p``, ``*_p_*``) by :func:`~spinestats.reports.formatting.format_p`;
    * other non-integer numbers with ``digits`` decimals; integers, text and
      missing values as they are.

    CSV and XLSX keep the full-precision numbers; this is for the copies a
    person pastes into a manuscript.
    """
    from spinestats.reports.formatting import fmt_number, format_ci, format_p

    out = frame.copy()
    cols = [str(c) for c in out.columns]
    out.columns = cols
    numeric = {c for c in cols if pd.api.types.is_numeric_dtype(out[c]) and out[c].dtype != bool}
    triples = [t for t in _ci_pairs(cols) if set(t) <= numeric]
    drop: list[str] = []
    for est, lo, hi in triples:
        out[est] = [format_ci(None if pd.isna(e) else float(e), None if pd.isna(a) else float(a),
                              None if pd.isna(b) else float(b), digits, ci_style) if not pd.isna(e) else ""
                    for e, a, b in zip(frame[est], frame[lo], frame[hi])]
        drop += [lo, hi]
    renamed = {est: f"{est} (CI)" for est, _, _ in triples}
    done = {est for est, _, _ in triples} | set(drop)
    for c in cols:
        if c in done or c not in numeric:
            continue
        values = out[c]
        if _is_p_column(c):
            out[c] = [format_p(float(v), p_style, prefix=False) if not pd.isna(v) and 0 <= float(v) <= 1 else
                      ("" if pd.isna(v) else cell_text(v)) for v in values]
        elif pd.api.types.is_integer_dtype(values) or all(pd.isna(v) or float(v).is_integer() for v in values):
            out[c] = ["" if pd.isna(v) else str(int(v)) for v in values]
        else:
            out[c] = ["" if pd.isna(v) else fmt_number(float(v), digits) for v in values]
    return out.drop(columns=drop).rename(columns=renamed)

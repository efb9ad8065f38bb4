"""Writing a table for a manuscript: one table model, one formatting path, every format.

A table is computed once as a :class:`Table`: a typed frame (estimates, CI
bounds and p-values as numbers) with a title, column headers (and optional
column groups) and footnotes.  :meth:`Table.format` turns it into strings
once, by the plan's ``output.style`` (:class:`TableStyle`: p-value style,
CI style, digits), and every human-facing format shows exactly those
strings: HTML (the report), DOCX, XLSX, Markdown and LaTeX.  The CSV keeps
the typed frame at full precision for reuse.

* **DOCX**: three horizontal rules (above and below the header, below the
  body; no grid, no vertical borders), the title above and the footnotes
  below the table, A4 paper by default (``paper="letter"`` for US Letter),
  landscape only when the table cannot fit a portrait page even with its
  headers and long labels wrapped (:func:`table_width_mm`), numbers
  right-aligned.
* **XLSX**: one sheet per table named after it, a title row, bold headers,
  column widths fitted to the text, counts, plain numbers and p-values that
  print as a number stored as numbers with the number format that displays
  the same string (:func:`excel_number_format`), footnotes below.
* **Markdown**: GitHub tables with HTML escaped (``<`` written ``&lt;``), so
  no cell can inject markup into a page that renders it.
* **LaTeX**: ``booktabs`` rules; the caption is the title without a leading
  "Table 1." (LaTeX numbers captions itself).

Text cells that a spreadsheet would run as a formula are escaped in CSV and
XLSX (:func:`spinestats.reports.output.escape_frame`).  DOCX and XLSX carry a
fixed creation date so the same table gives the same file content every run.

A job that hands :func:`write_table` a plain DataFrame gets the same
treatment: :meth:`Table.from_frame` recognises estimate/CI column triples
(``x, x_lower, x_upper``; ``estimate, lower, upper``; ``..., ci_low,
ci_high``), p-value columns, counts and other numbers, and gives the columns
human headers.  The style in force is the one :func:`table_style` set (the
plan runner sets the plan's ``output.style`` around each job), else the
default.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import datetime as _dt
import math
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from spinestats.errors import UsageError
from spinestats.formula_escape import escape_formula, escape_frame, unescape_frame

TABLE_FORMATS = ("csv", "xlsx", "docx", "md", "tex")
DEFAULT_TABLE_FORMATS = ("csv", "xlsx", "docx", "md")
PAPERS = ("a4", "letter")
_FIXED_DATE = _dt.datetime(2000, 1, 1, tzinfo=_dt.timezone.utc)
_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
    "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    "\u00b1": r"$\pm$", "\u2013": "--", "\u2014": "---", "\u2265": r"$\geq$", "\u2264": r"$\leq$",
    "\u2212": "$-$", "<": r"\textless{}", ">": r"\textgreater{}",
}
MINUS = "\u2212"

#: Human headers of the column names the analyses use (a column not listed: its variable label,
#: else the name with spaces and a capital).
HEADERS: dict[str, str] = {
    "n": "N", "n_total": "N", "n_event": "Events", "n_events": "Events", "events": "Events", "n_missing": "Missing",
    "cutoff": "Cutoff", "tp": "TP", "fp": "FP", "tn": "TN", "fn": "FN", "sensitivity": "Sensitivity",
    "specificity": "Specificity", "ppv": "PPV", "npv": "NPV", "accuracy": "Accuracy", "prevalence": "Prevalence",
    "lr_pos": "LR+", "lr_neg": "LR\u2212", "plr": "LR+", "nlr": "LR\u2212", "dor": "Diagnostic OR", "youden": "Youden index",
    "auc": "AUC", "p": "p", "p_value": "p", "p_fisher": "p (Fisher)", "p_holm": "p (Holm)", "wilcoxon_p": "p (Wilcoxon)",
    "wilcoxon_p_holm": "p (Wilcoxon, Holm)", "estimate": "Estimate", "emmean": "Estimated mean", "se": "SE",
    "df": "df", "t": "t", "z": "z", "hr": "HR", "shr": "sHR", "cs_hr": "Cause-specific HR", "or": "OR",
    "odds_ratio": "Odds ratio", "sample_odds_ratio": "Sample odds ratio", "mean": "Mean", "sd": "SD",
    "median": "Median", "q1": "Q1", "q3": "Q3", "mean_diff": "Mean change", "sd_diff": "SD of change",
    "cohen_dz": "Cohen's dz", "rank_biserial": "Rank-biserial r", "wilcoxon_statistic": "Wilcoxon V",
    "wilcoxon_n": "Wilcoxon n", "wilcoxon_exact": "Exact Wilcoxon", "term": "Term", "terms": "Term",
    "variable": "Variable", "feature": "Feature", "label": "Feature", "group": "Group", "contrast": "Contrast",
    "time": "Time", "proportion": "Proportion", "percent": "%", "percent_missing": "Missing (%)",
    "responders": "Responders", "risk_difference": "Risk difference", "observed": "Observed", "missing": "Missing",
    "predicted": "Predicted", "event": "Event", "variance": "Variance", "ci": "95% CI", "ci_method": "CI method",
    "positive_with": "Malignant with feature", "positive_n": "Malignant (n)", "positive_pct": "Malignant with feature (%)",
    "negative_with": "Benign with feature", "negative_n": "Benign (n)", "negative_pct": "Benign with feature (%)",
    "n_patients": "Patients", "n_missing_visits": "Missing visits", "centre": "Centre", "i2": "I\u00b2",
    "tau2": "\u03c4\u00b2", "kappa": "\u03ba", "icc": "ICC", "weight": "Weight (%)", "statistic": "Statistic",
}
_ESTIMATE_FOR_CI = ("estimate", "emmean", "mean_diff", "risk_difference", "mean", "proportion", "percent")
_TEXT_KEY_COLUMNS = ("term", "terms", "variable", "event", "feature")


def check_formats(formats: Iterable[str]) -> tuple[str, ...]:
    """The formats as a tuple, refusing an unknown one with the allowed list."""
    out = tuple(str(f).lower() for f in formats)
    bad = [f for f in out if f not in TABLE_FORMATS]
    if bad:
        raise UsageError(f"table format {bad[0]!r} is not known; expected some of {', '.join(TABLE_FORMATS)}.")
    return out


@dataclasses.dataclass(frozen=True)
class TableStyle:
    """How numbers are written (the plan's ``output.style``) and the DOCX paper size."""

    p_style: str = "default"
    ci_style: str = "dash"
    digits: int = 2
    paper: str = "a4"

    def __post_init__(self) -> None:
        from spinestats.reports.formatting import CI_STYLES, P_STYLES

        if self.p_style not in P_STYLES:
            raise UsageError(f"p-value style {self.p_style!r} is not known; expected one of {', '.join(P_STYLES)}.")
        if self.ci_style not in CI_STYLES:
            raise UsageError(f"CI style {self.ci_style!r} is not known; expected one of {', '.join(CI_STYLES)}.")
        if self.paper not in PAPERS:
            raise UsageError(f"paper {self.paper!r} is not known; expected one of {', '.join(PAPERS)}.")


_STYLE: contextvars.ContextVar[TableStyle | None] = contextvars.ContextVar("spinestats_table_style", default=None)
_LEDGER: contextvars.ContextVar[list | None] = contextvars.ContextVar("spinestats_table_ledger", default=None)
_LABELS: contextvars.ContextVar[Any] = contextvars.ContextVar("spinestats_table_labels", default=None)
#: within :func:`write_table`, each Table's formatted strings by style: computed once for all its formats
_FORMATTED: contextvars.ContextVar[dict | None] = contextvars.ContextVar("spinestats_table_formatted", default=None)


def current_style() -> TableStyle:
    return _STYLE.get() or TableStyle()


@contextlib.contextmanager
def table_style(style: TableStyle | None = None, labels: Any = None):
    """Within the block, :func:`write_table` formats by ``style`` and labels by ``labels``, and records
    every table it writes; the block yields that list of :class:`TableRecord`."""
    ledger: list = []
    tokens = (_STYLE.set(style or current_style()), _LEDGER.set(ledger), _LABELS.set(labels))
    try:
        yield ledger
    finally:
        _LABELS.reset(tokens[2])
        _LEDGER.reset(tokens[1])
        _STYLE.reset(tokens[0])


@dataclasses.dataclass(frozen=True)
class Col:
    """One displayed column of a :class:`Table`.

    ``kind``: ``text``, ``int`` (counts), ``num`` (``digits`` decimals), ``p``
    (p-value style), ``ci`` (``key`` with ``lower``/``upper`` by the CI style),
    ``pct`` (a percentage already 0-100).  ``group``: a spanning header.
    """

    key: str
    header: str
    kind: str = "text"
    lower: str | None = None
    upper: str | None = None
    digits: int | None = None
    group: str | None = None
    na: str = ""  # shown for a missing value (and, in a CI, for a missing bound)

    @property
    def sub(self) -> str:
        """The header under its spanning header (``"Univariable: N"`` -> ``"N"`` in group ``"Univariable"``)."""
        if self.group and self.header.startswith(f"{self.group}: "):
            return self.header[len(self.group) + 2:]
        return self.header


@dataclasses.dataclass(frozen=True)
class Table:
    """A table computed once (see the module docstring).

    ``data`` is typed (numbers stay numbers); ``columns`` say what to show and
    how; ``indent`` names a boolean column of ``data`` marking rows shown
    indented (the levels under a variable); ``stem`` is the file name.
    """

    data: pd.DataFrame
    columns: tuple[Col, ...]
    title: str = ""
    footnotes: tuple[str, ...] = ()
    stem: str = "table"
    indent: str | None = None

    def format(self, style: TableStyle | None = None) -> pd.DataFrame:
        """The table as the strings every human-facing format shows (headers are the column headers)."""
        return pd.DataFrame(self._strings(style), columns=[c.header for c in self.columns])

    def rows(self, style: TableStyle | None = None) -> list[tuple[str, ...]]:
        """The rows of :meth:`format` as tuples of strings (what the DOCX, XLSX and Markdown writers read)."""
        out = self._strings(style)
        return list(zip(*(out[c.header] for c in self.columns)))

    def _strings(self, style: TableStyle | None) -> dict[str, list[str]]:
        """Each column's strings by header; within :func:`write_table`, computed once for all its formats."""
        style = style or current_style()
        memo = _FORMATTED.get()
        if memo is None:
            return self._format(style)
        key = (id(self), style)
        if key not in memo:
            memo[key] = (self, self._format(style))  # the Table is kept so that its id stays its own
        return memo[key][1]

    def _format(self, style: TableStyle) -> dict[str, list[str]]:
        from spinestats.reports.formatting import fmt_number, format_ci, format_p

        out: dict[str, list[str]] = {}
        d = self.data.reset_index(drop=True)
        indent = d[self.indent].fillna(False).astype(bool).tolist() if self.indent and self.indent in d else [False] * len(d)
        n = len(d)
        # columns read once as lists (a heading row, flagged in ``_heading``, shows no numbers)
        heading = d["_heading"].tolist() if "_heading" in d else [False] * n
        for col in self.columns:
            vals = d[col.key].tolist() if col.key in d else [None] * n
            digits = style.digits if col.digits is None else col.digits
            cells = []
            if col.kind == "ci":
                lows = d[col.lower].tolist() if col.lower in d else [None] * n
                highs = d[col.upper].tolist() if col.upper in d else [None] * n
                ref = f"_reference:{col.key}" if f"_reference:{col.key}" in d else "_reference"
                refs = d[ref].tolist() if ref in d else None
            for i, v in enumerate(vals):
                if col.kind == "ci":
                    text = "" if _missing(v) else _minus(format_ci(float(v), _float(lows[i]), _float(highs[i]), digits,
                                                                   style.ci_style))
                    if col.na and not _missing(v):
                        text = text.replace("\u2014", col.na)
                    if _missing(v) and refs is not None and bool(refs[i]):
                        text = "\u2014"  # the reference level of a factor (per column where the models differ)
                    elif _missing(v) and not bool(heading[i]):
                        text = col.na
                    cells.append(text)
                elif col.kind == "p":
                    cells.append(col.na if _missing(v) and not bool(heading[i]) else "" if _missing(v) else (format_p(float(v), style.p_style, prefix=False)
                                                         if _is_num(v) and 0 <= float(v) <= 1 else str(v)))
                elif col.kind == "int":
                    cells.append("" if _missing(v) else (_minus(str(int(round(float(v))))) if _is_num(v) else str(v)))
                elif col.kind in ("num", "pct"):
                    cells.append("" if _missing(v) else (_minus(fmt_number(float(v), digits)) if _is_num(v) else str(v)))
                else:
                    text = "" if _missing(v) else _text(v)
                    cells.append(text)
            if col is self.columns[0] and any(indent):
                cells = [("\u2003" + c if ind else c) for c, ind in zip(cells, indent)]
            out[col.header] = cells
        return out

    def numeric_columns(self) -> list[bool]:
        return [c.kind != "text" for c in self.columns]

    def spans(self) -> list[tuple[str, int, int]]:
        """The spanning headers as ``(text, first, last)`` column indices (empty: a single header row).

        Formats that can span (HTML, DOCX, XLSX, LaTeX) print them above the
        columns' own headers (:attr:`Col.sub`); Markdown, which cannot, keeps the
        full headers ("Univariable: N").
        """
        out: list[tuple[str, int, int]] = []
        for j, col in enumerate(self.columns):
            if col.group and out and out[-1][0] == col.group and out[-1][2] == j - 1:
                out[-1] = (col.group, out[-1][1], j)
            elif col.group:
                out.append((col.group, j, j))
        return out

    def sub_headers(self) -> list[str]:
        """The column headers printed under the spanning headers."""
        return [c.sub for c in self.columns] if self.spans() else [c.header for c in self.columns]

    def csv_frame(self) -> pd.DataFrame:
        """The typed frame written to CSV (full precision)."""
        keep = [c for c in self.data.columns if c != self.indent and not str(c).startswith("_")]
        return self.data[keep].reset_index(drop=True)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, title: str | None = None, note: str | Sequence[str] | None = None,
                   stem: str = "table", labels: Any = None) -> "Table":
        """A Table from a results frame (estimate/CI triples, p columns, counts recognised; human headers)."""
        frame = frame.reset_index(drop=True).copy()
        frame.columns = [str(c) for c in frame.columns]
        labels = labels if labels is not None else _LABELS.get()
        if "label" in frame.columns:  # a readable label beside the raw name: show the label only
            frame = frame.drop(columns=[c for c in ("feature", "term", "variable") if c in frame.columns][:1])
        elif {"variable", "term"} <= set(frame.columns) and labels is not None:  # the term's label names both
            frame = frame.assign(term=[labels.coefficient_label(str(t), [str(v)]) for t, v in
                                       zip(frame["term"], frame["variable"])]).drop(columns=["variable"])
        cols_list = list(frame.columns)
        numeric = {c for c in cols_list if pd.api.types.is_numeric_dtype(frame[c]) and frame[c].dtype != bool}
        triples = [t for t in _ci_pairs(cols_list) if set(t) <= numeric]
        by_est = {e: (lo, hi) for e, lo, hi in triples}
        bounds = {b for _, lo, hi in triples for b in (lo, hi)}
        out: list[Col] = []
        for c in cols_list:
            if c in bounds:
                continue
            header = column_header(c, labels)
            if c in by_est:
                lo, hi = by_est[c]
                out.append(Col(c, f"{header} (95% CI)", "ci", lo, hi))
            elif c in numeric and _is_p_column(c):
                out.append(Col(c, header, "p"))
            elif c in numeric and (c.endswith("_pct") or c.startswith("percent")):
                out.append(Col(c, header, "pct", digits=1))
            elif c in numeric and (pd.api.types.is_integer_dtype(frame[c])
                                   or all(pd.isna(v) or float(v).is_integer() for v in frame[c])):
                out.append(Col(c, header, "int"))
            elif c in numeric:
                out.append(Col(c, header, "num"))
            else:
                if c in ("term", "terms") and labels is not None:
                    cands = [str(x) for x in frame["variable"].dropna().unique()] if "variable" in frame else []
                    cands = cands or labels.known_variables()
                    frame[c] = [labels.coefficient_label(str(v), cands) if not _missing(v) and (
                                str(v) == "(Intercept)" or all(labels.coefficient(part, cands)[0] in labels.known_variables()
                                                               for part in str(v).split(":"))) else v
                                for v in frame[c]]
                    header = "Characteristic"
                else:
                    frame[c] = [_cell_label(c, v, labels) for v in frame[c]]
                out.append(Col(c, header, "text"))
        notes = (note,) if isinstance(note, str) else tuple(note or ())
        return cls(frame, tuple(out), title or "", tuple(n for n in notes if n), stem)


@dataclasses.dataclass(frozen=True)
class TableRecord:
    """A written table: the path of its first file (usually the CSV) and the :class:`Table` itself."""

    path: Path
    table: Table


def _missing(v: Any) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    try:
        return isinstance(v, float) and not math.isfinite(v)
    except TypeError:
        return False


def _float(v: Any) -> float | None:
    return None if _missing(v) or not _is_num(v) else float(v)


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) or type(v).__module__ == "numpy" and \
        hasattr(v, "dtype") and v.dtype.kind in "iuf"


def _minus(text: str) -> str:
    """Hyphen-minus before a digit as a true minus sign (U+2212)."""
    return re.sub(r"(?<![\w])-(?=\d)", MINUS, text)


def _text(v: Any) -> str:
    if isinstance(v, bool) or type(v).__name__ == "bool_":
        return "Yes" if bool(v) else "No"
    if isinstance(v, float):
        return _minus(f"{v:.6g}")
    return str(v).replace(">=", "\u2265").replace("<=", "\u2264")


def _cell_label(col: str, v: Any, labels: Any) -> Any:
    """A text cell shown by its label: a level of a labelled variable, or a variable named in a term column."""
    if _missing(v):
        return v
    if isinstance(v, bool) or type(v).__name__ == "bool_":
        return "Yes" if bool(v) else "No"
    text = str(v).replace(">=", "\u2265").replace("<=", "\u2264")
    if labels is None:
        return text
    if col in _TEXT_KEY_COLUMNS:
        if text in labels.known_variables():
            return labels.variable(text)
        return text
    if labels.levels(col):
        return labels.value(col, v)
    return text


def column_header(name: str, labels: Any = None) -> str:
    """A column name as a header: the :data:`HEADERS` word, the variable's label, or the name humanised."""
    if name in HEADERS:
        return HEADERS[name]
    if labels is not None and name in labels.known_variables():
        return labels.variable(name)
    from spinestats.data_schemas.labels import humanise

    return humanise(name)


_ESC_MD = str.maketrans({"|": r"\|", "\n": " ", "\r": " "})


def _md(text: str) -> str:
    """A Markdown cell: an HTML tag start (``<script``, ``<img``, ``</``) or entity written inert, pipes escaped."""
    text = re.sub(r"&(?=#?\w+;)", "&amp;", str(text))
    return re.sub(r"<(?=[A-Za-z/!?])", "&lt;", text).translate(_ESC_MD)


def strip_table_number(title: str) -> str:
    """``"Table 1. Baseline"`` -> ``"Baseline"`` (LaTeX and Word number captions themselves)."""
    return re.sub(r"^\s*Table\s+\d+[.:]\s*", "", title or "")


def to_markdown(table: "Table | pd.DataFrame", title: str | None = None, note: str | None = None,
                style: TableStyle | None = None) -> str:
    """A GitHub-flavoured Markdown table; HTML and pipes in cells escaped."""
    t = _as_table(table, title, note)
    lines = []
    if t.title:
        lines += [f"**{_md(t.title)}**", ""]
    lines.append("| " + " | ".join(_md(c.header) for c in t.columns) + " |")
    aligns = ["---:" if num else "---" for num in t.numeric_columns()]
    lines.append("|" + "|".join(aligns) + "|")
    for row in t.rows(style):
        lines.append("| " + " | ".join(_md(v) for v in row) + " |")
    if t.footnotes:
        lines.append("")
        lines += [_md(n) + "  " for n in t.footnotes]
    return "\n".join(lines) + "\n"


def latex_escape(text: str) -> str:
    """``text`` with LaTeX's special characters escaped."""
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in str(text))


def to_latex(table: "Table | pd.DataFrame", title: str | None = None, note: str | None = None,
             style: TableStyle | None = None) -> str:
    """A ``booktabs`` LaTeX ``table`` (needs ``\\usepackage{booktabs}``); no doubled "Table 1." caption."""
    t = _as_table(table, title, note)
    cols = "".join("r" if num and i else "l" for i, num in enumerate(t.numeric_columns()))
    out = ["\\begin{table}[htbp]", "\\centering"]
    if t.title:
        out.append(f"\\caption{{{latex_escape(strip_table_number(t.title))}}}")
    out += [f"\\begin{{tabular}}{{{cols}}}", "\\toprule"]
    spans = t.spans()
    if spans:
        cells, rules, j = [], [], 0
        for text, first, last in spans:
            cells += [""] * (first - j)
            cells.append(f"\\multicolumn{{{last - first + 1}}}{{c}}{{{latex_escape(text)}}}")
            rules.append(f"\\cmidrule(lr){{{first + 1}-{last + 1}}}")
            j = last + 1
        cells += [""] * (len(t.columns) - j)
        out.append(" & ".join(cells) + " \\\\")
        out.append(" ".join(rules))
    out.append(" & ".join(latex_escape(c) for c in t.sub_headers()) + " \\\\")
    out.append("\\midrule")
    for row in t.rows(style):
        out.append(" & ".join(latex_escape(v).replace("\u2003", "\\quad ") for v in row) + " \\\\")
    out += ["\\bottomrule", "\\end{tabular}"]
    for n in t.footnotes:
        out.append(f"\\par\\footnotesize {latex_escape(n)}")
    out.append("\\end{table}")
    return "\n".join(out) + "\n"


def sheet_name(stem: str, taken: Iterable[str] = ()) -> str:
    """An Excel sheet name (31 characters, no []:*?/\\, not starting or ending with an apostrophe, which
    Excel refuses) for ``stem``, unique among ``taken``."""
    base = re.sub(r"[\[\]:*?/\\]", "_", stem)[:31].strip("'") or "table"
    name, i = base, 2
    while name in set(taken):
        name = f"{base[:28]}_{i}"
        i += 1
    return name


_PLAIN_NUMBER = re.compile(r"^(\u2212?)(\d*)(?:\.(\d+))?$")
_FORMAT_SECTION = re.compile(r'^(?:"([^"]*)")?(0?)(?:\.(0+))?$')


def excel_display(value: float, number_format: str) -> str:
    """How a spreadsheet displays ``value`` under ``number_format``, for the formats
    :func:`excel_number_format` writes (``0``, ``0.000``, ``.000``, a second section for negatives
    with a literal sign); halves round away from zero, as Excel and LibreOffice do."""
    from spinestats.reports.formatting import fmt_number

    sections = number_format.split(";")
    negative = value < 0
    section = sections[1] if negative and len(sections) > 1 else sections[0]
    m = _FORMAT_SECTION.match(section)
    if m is None:
        raise ValueError(f"number format {number_format!r} is not one spinestats writes")
    literal, lead, frac = m.groups()
    shown = fmt_number(abs(float(value)), len(frac or ""))
    if not lead and shown.startswith("0."):
        shown = shown[1:]
    return ("-" if negative and len(sections) == 1 else "") + (literal or "") + shown


def excel_number_format(text: str, value: float) -> str | None:
    """The number format under which a spreadsheet displays ``value`` exactly as ``text`` (the
    formatted cell), or None when ``text`` is not a plain number ("<0.001", "0.83 (0.75\u20130.90)").

    ``"0.023"`` gives ``0.000``, APA's ``".023"`` gives ``.000``; a negative value gets a second
    section printing a true minus sign (``0.00;"\u2212"0.00``), or none when it rounds to zero.
    """
    m = _PLAIN_NUMBER.match(str(text))
    if m is None or not (m[2] or m[3]) or value is None or not math.isfinite(float(value)):
        return None
    sign, whole, frac = m.groups()
    body = ("0" if whole else "") + ("." + "0" * len(frac) if frac else "")
    if value < 0:
        number_format = f'{body};"{MINUS}"{body}' if sign else f"{body};{body}"
    elif sign:
        return None
    else:
        number_format = body
    return number_format if excel_display(value, number_format) == text else None


def write_xlsx(table: "Table | pd.DataFrame", path: Path, title: str | None = None, note: str | None = None,
               style: TableStyle | None = None) -> None:
    """An XLSX workbook: one sheet named after the table, a title row, headers, the cells, footnotes.

    Counts, plain numbers and p-values that print as a plain number ("0.023",
    APA ".023") are stored as numbers with the number format that displays
    exactly the string every other format shows (:func:`excel_number_format`:
    the same decimals, no leading zero for APA, a true minus sign); what is
    not a number ("<0.001", ">0.99", estimates with their CIs) stays the
    formatted text.  Text is formula-escaped, after the characters XML cannot
    hold are removed.  The package is written directly
    (:mod:`spinestats.reports.table_xlsx`), without a spreadsheet library.
    """
    from spinestats.reports.office_zip import xml_text
    from spinestats.reports.table_xlsx import Sheet

    def text_cell(text: str) -> str:
        return escape_formula(xml_text(text))

    t = _as_table(table, title, note, stem=Path(path).stem)
    style = style or current_style()
    shown = t.rows(style)
    d = t.data.reset_index(drop=True)
    ws = Sheet(sheet_name(xml_text(t.stem)))
    r = 1
    if t.title:
        ws.cell(1, 1, text_cell(t.title), font="bold")
        r = 3
    for text, first, last in t.spans():
        ws.cell(r, first + 1, text_cell(text), font="bold", align="center")
        if last > first:
            ws.merge(r, first + 1, r, last + 1)
    if t.spans():
        r += 1
    for j, h in enumerate(t.sub_headers(), start=1):
        ws.cell(r, j, text_cell(str(h)), font="bold", align="right" if t.columns[j - 1].kind != "text" else None)
    widths = [len(str(h)) for h in t.sub_headers()]
    raws = [d[col.key].tolist() if col.key in d else [None] * len(d) for col in t.columns]
    for i, texts in enumerate(shown):
        for j, col in enumerate(t.columns, start=1):
            text = texts[j - 1]
            raw = raws[j - 1][i]
            value = (int(round(float(raw))) if col.kind == "int" else float(raw)) \
                if col.kind in ("int", "num", "pct", "p") and _is_num(raw) and not _missing(raw) else None
            number_format = excel_number_format(text, value) if value is not None else None
            if number_format is not None:  # a number shown exactly as every other format shows it
                ws.cell(r + 1 + i, j, value, number_format=number_format)
            else:
                ws.cell(r + 1 + i, j, text_cell(text) if text != "" else None,
                        align="right" if col.kind != "text" else None)
            widths[j - 1] = max(widths[j - 1], len(str(text)))
    foot = r + len(shown) + 2
    for k, n in enumerate(t.footnotes):
        ws.cell(foot + k, 1, text_cell(n), font="footnote")
    for j, w in enumerate(widths, start=1):
        ws.width(j, min(max(8, w + 2), 60))
    ws.save(path, creator="spinestats", created=_FIXED_DATE.strftime("%Y-%m-%dT%H:%M:%SZ"), title=t.title or None)


# page sizes (width, height) in mm and the usable width left by 20 mm margins
_PAGE_MM = {"a4": (210.0, 297.0), "letter": (215.9, 279.4)}
_MARGIN_MM = 20.0
_CHAR_MM = 1.6  # a 9 pt Calibri character (Word's default body font): digits 0.507 em = 1.61 mm, most letters narrower
_CELL_PAD_MM = 3.8  # Word's default cell margins (Normal Table): 108 twips = 1.9 mm left and right
_MAX_CHARS = 40  # no column is wider than this: longer text wraps
#: Word wraps a header at spaces: a multi-word header is given at least a third of its length (about three
#: lines, as journals print long headers) and at least its longest word
_HEADER_LINES = 3
#: a text (label) cell up to this many characters (about 2.5 cm) stays on one line; a longer one may wrap
#: onto two lines, as labels do in a Word table (numbers never wrap: a CI broken across lines is misread)
_LABEL_ONE_LINE = 16
_NUMERIC_CELL = re.compile(r"^[\s\u2003]*[\u2212<>\u2265\u2264\-.\d]")


def _chars(text: str) -> int:
    """Printed width of ``text`` in average characters (the em space that indents a level is two)."""
    return len(text) + text.count("\u2003")


def _header_chars(header: str) -> int:
    """Characters a column needs for its header: its longest word, and a third of a multi-word header."""
    words = str(header).split()
    if len(words) <= 1:
        return _chars(str(header))
    return max(max(_chars(w) for w in words), math.ceil(_chars(str(header)) / _HEADER_LINES))


def _text_chars(text: str) -> int:
    """Characters a text (label) cell needs: one line up to :data:`_LABEL_ONE_LINE` characters, else
    half its length (two lines), at least its longest word."""
    text = str(text)
    if _chars(text) <= _LABEL_ONE_LINE:
        return _chars(text)
    return max(_LABEL_ONE_LINE, math.ceil(_chars(text) / 2), max((_chars(w) for w in text.split()), default=0))


def table_width_mm(frame: pd.DataFrame, text_columns: Sequence[bool] | None = None) -> float:
    """Estimated printed width of a formatted table at 9 pt, in mm.

    Each column is as wide as the widest of: its widest body cell (numbers never
    wrap; text cells may wrap onto two lines, see :func:`_text_chars`), the longest
    word of its header and a third of a multi-word header (Word wraps headers,
    see :func:`_header_chars`); at most :data:`_MAX_CHARS` characters, plus
    Word's cell margins.  ``text_columns`` marks the label columns (default:
    the columns with a body cell that does not start like a number).
    """
    return sum(column_widths_mm(frame, text_columns))


def column_widths_mm(frame: pd.DataFrame, text_columns: Sequence[bool] | None = None) -> list[float]:
    """Each column's estimated printed width in mm (see :func:`table_width_mm`)."""
    return _column_widths(list(frame.columns), [frame.iloc[:, j].tolist() for j in range(frame.shape[1])],
                          text_columns)


def _column_widths(headers: Sequence[Any], columns: Sequence[Sequence[Any]],
                   text_columns: Sequence[bool] | None = None) -> list[float]:
    """:func:`column_widths_mm` of the columns' headers and cells."""
    out = []
    for j, (h, column) in enumerate(zip(headers, columns)):
        cells = [str(v) for v in column if str(v) != ""]
        text = (text_columns[j] if text_columns is not None
                else any(not _NUMERIC_CELL.match(c) for c in cells))
        body = max([_text_chars(c) if text else _chars(c) for c in cells], default=0)
        out.append(min(max(body, _header_chars(h)), _MAX_CHARS) * _CHAR_MM + _CELL_PAD_MM)
    return out


def write_docx(table: "Table | pd.DataFrame", path: Path, title: str | None = None, note: str | None = None,
               style: TableStyle | None = None) -> None:
    """A Word document holding the table as journals print it (see the module docstring).

    The document is built in one pass (:mod:`spinestats.reports.table_docx`): the same parts,
    byte for byte, as python-docx's object model gives.
    """
    from spinestats.reports.table_docx import write_docx_package

    t = _as_table(table, title, note)
    style = style or current_style()
    rows = t.rows(style)
    w, h = _PAGE_MM[style.paper]
    widths = _column_widths(t.sub_headers(), list(zip(*rows)) if rows else [()] * len(t.columns),
                            [not n for n in t.numeric_columns()])
    landscape = sum(widths) > w - 2 * _MARGIN_MM
    if landscape:
        w, h = h, w
    # column widths in proportion to the estimate, filling the text width: a viewer that keeps the grid
    # as written (LibreOffice, Google Docs) then wraps headers and labels, not numbers
    scale = (w - 2 * _MARGIN_MM) / sum(widths) if sum(widths) > 0 else 1.0
    core: dict[str, Any] = {"author": "spinestats", "created": _FIXED_DATE, "modified": _FIXED_DATE,
                            "last_modified_by": "spinestats", "revision": 1}
    if t.title:
        core["title"] = t.title
    write_docx_package(path, title=t.title, footnotes=t.footnotes, head=t.sub_headers(),
                       rows=rows, spans=t.spans(), numeric=t.numeric_columns(),
                       widths=widths, scale=scale, page_mm=(w, h), margin_mm=_MARGIN_MM, landscape=landscape,
                       core=core)


def _as_table(table: "Table | pd.DataFrame", title: str | None = None, note: Any = None, stem: str = "table") -> Table:
    if isinstance(table, Table):
        extra = (note,) if isinstance(note, str) else tuple(note or ())
        if title or extra:
            return dataclasses.replace(table, title=title or table.title,
                                       footnotes=tuple(dict.fromkeys(table.footnotes + extra)))
        return table
    return Table.from_frame(table, title, note, stem)


def write_table(
    frame: "Table | pd.DataFrame",
    folder: str | Path,
    stem: str | None = None,
    formats: Iterable[str] = DEFAULT_TABLE_FORMATS,
    title: str | None = None,
    note: str | Sequence[str] | None = None,
    style: TableStyle | None = None,
) -> list[Path]:
    """Write a table as ``folder/stem.<fmt>`` for every requested format.

    Parameters
    ----------
    frame : a :class:`Table`, or a results DataFrame (made a Table by :meth:`Table.from_frame`).
    folder : destination folder (created if needed).
    stem : file name without extension (default: the Table's ``stem``).
    formats : any of ``csv``, ``xlsx``, ``docx``, ``md``, ``tex``.
    title, note : caption and footnote(s), added to the Table's.
    style : number style (default: the one :func:`table_style` set, else :class:`TableStyle`).

    Returns
    -------
    The written paths, in the order of ``formats``.
    """
    fmts = check_formats(formats)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    t = _as_table(frame, title, note, stem or "table")
    stem = stem or t.stem
    t = dataclasses.replace(t, stem=stem)
    style = style or current_style()
    written = []
    token = _FORMATTED.set({})
    try:
        _write_formats(t, folder, stem, fmts, style, written)
    finally:
        _FORMATTED.reset(token)
    ledger = _LEDGER.get()
    if ledger is not None and written:
        ledger.append(TableRecord(written[0], t))
    return written


def _write_formats(t: Table, folder: Path, stem: str, fmts: Iterable[str], style: TableStyle,
                   written: list[Path]) -> None:
    for fmt in fmts:
        path = folder / f"{stem}.{fmt}"
        if fmt == "csv":
            escape_frame(t.csv_frame()).to_csv(path, index=False, lineterminator="\n")
        elif fmt == "xlsx":
            write_xlsx(t, path, style=style)
        elif fmt == "docx":
            write_docx(t, path, style=style)
        elif fmt == "md":
            path.write_text(to_markdown(t, style=style), encoding="utf-8")
        else:
            path.write_text(to_latex(t, style=style), encoding="utf-8")
        written.append(path)


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


def manuscript_frame(frame: pd.DataFrame, p_style: str = "default", ci_style: str = "dash", digits: int = 2,
                     labels: Any = None) -> pd.DataFrame:
    """A results frame as the strings the manuscript formats show (:meth:`Table.from_frame` then :meth:`Table.format`)."""
    return Table.from_frame(frame, labels=labels).format(TableStyle(p_style, ci_style, digits))


#: Titles of the tables jobs write as CSV only, by the part of the file name after the section key.
TITLES: dict[str, str] = {
    "visits": "Pain (NRS 0\u201310) at each visit: n, mean (95% CI), median [Q1, Q3]",
    "paired": "Change in pain from baseline: paired t-test and Wilcoxon signed-rank test",
    "mixed_model": "Linear mixed model of pain: fixed effects",
    "emmeans": "Estimated mean pain by visit (linear mixed model)",
    "emmeans_vs_baseline": "Change from baseline at each visit (mixed-model contrasts)",
    "emmeans_between_arms": "Difference between arms at each visit (mixed-model contrasts)",
    "responders": "Responders at each visit",
    "responder_differences": "Difference in the proportion of responders between arms",
    "missingness_patterns": "Patterns of missing visits (1 observed, 0 missing)",
    "missingness_per_visit": "Missing pain scores per visit",
    "adverse_events": "Adverse events",
    "crude_incidence": "Crude incidence of vertebral compression fracture",
    "cif_at_times": "Cumulative incidence of vertebral compression fracture at each time",
    "model": "Multivariable model of fracture risk",
    "univariable": "Univariable models of fracture risk",
    "calibration_groups": "Calibration: predicted and observed risk by risk group",
    "bootstrap_cutoffs": "Cutoff selected in the bootstrap resamples",
}


def title_for(stem: str, key: str = "") -> str:
    """The title of a table file without a recorded title: :data:`TITLES` by suffix, else the stem humanised."""
    from spinestats.data_schemas.labels import humanise

    rest = stem[len(key) + 1:] if key and stem.startswith(key + "_") else stem
    for suffix in sorted(TITLES, key=len, reverse=True):
        if rest == suffix or rest.endswith("_" + suffix):
            return TITLES[suffix]
    return humanise(rest)


def read_csv_table(path: Path) -> pd.DataFrame:
    """A table CSV read back typed, the formula-escaping apostrophe removed."""
    return unescape_frame(pd.read_csv(path, keep_default_na=False, na_values=[""]))


def complete_tables(tables: Sequence[Path], records: Sequence[TableRecord], root: Path, formats: Sequence[str],
                    style: TableStyle | None = None, labels: Any = None, key: str = "",
                    synthetic: bool = False) -> tuple[list[Path], list[TableRecord]]:
    """Write every table of a section in every requested format, from one :class:`Table` each.

    A table a job wrote through :func:`write_table` keeps its title and
    footnotes (``records``); a CSV a job wrote directly becomes a Table by
    :meth:`Table.from_frame` with a title from :func:`title_for`.  Every
    human-facing format is (re)written with ``style``, so the plan's
    ``output.style`` applies to all of them.  With ``synthetic`` every table
    gets a footnote saying the data are synthetic.

    Returns the table paths (relative to ``root``) and the records (paths relative to ``root``).
    """
    style = style or current_style()
    by_stem = {Path(r.path).with_suffix("").name: r for r in records}
    out: list[Path] = []
    recs: list[TableRecord] = []
    seen: set[str] = set()
    for p in tables:
        p = Path(p)
        stem_path = p.with_suffix("")
        if stem_path.as_posix() in seen:
            continue
        seen.add(stem_path.as_posix())
        rec = by_stem.get(p.stem) or (by_stem.get(p.stem[len(key) + 1:]) if key and p.stem.startswith(key + "_") else None)
        if rec is not None:
            t = rec.table
        elif p.suffix.lower() == ".csv" and (root / p).is_file():
            t = Table.from_frame(read_csv_table(root / p), title_for(p.stem, key), stem=p.stem, labels=labels)
        else:
            out.append(p)
            continue
        if synthetic:
            t = dataclasses.replace(t, footnotes=tuple(dict.fromkeys(t.footnotes + (SYNTHETIC_NOTE,))))
        wanted = [f for f in formats if f != "csv" or not (root / p.with_suffix(".csv")).exists()]
        written = write_table(t, (root / p).parent, p.stem, wanted, style=style) if wanted else []
        have = [root / p.with_suffix(f".{f}") for f in formats if (root / p.with_suffix(f".{f}")).exists()]
        files = list(dict.fromkeys(have + written + [root / q for q in tables if Path(q).with_suffix("") == stem_path]))
        out.extend(f.relative_to(root) for f in files)
        recs.append(TableRecord(p.with_suffix(".csv"), dataclasses.replace(t, stem=p.stem)))
    return list(dict.fromkeys(out)), recs


SYNTHETIC_NOTE = "Synthetic data: reconstructed from published aggregates; not patient data."

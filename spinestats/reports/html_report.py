"""The self-contained HTML report.

One file, readable offline: the style sheet is inlined and every figure is
embedded as a ``data:`` URI (SVG when the run wrote SVG, otherwise the
lowest-resolution PNG), so the report can be mailed or archived alone.  It
holds a contents list, a banner when the data are synthetic, the
reproduction of the published figures, every analysis section with its
figures (the participant flow diagram first) and tables, the warnings, the
methods paragraph with references, and the provenance (input hashes, plan
hash, seed, versions, start and end time).  Every piece of text is escaped
with :func:`html.escape`; the page runs no script.
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from spinestats.reports.methods_text import MethodsText
from spinestats.reports.section import Section

_MIME = {"svg": "image/svg+xml", "png": "image/png"}
_MAX_JSON_CHARS = 200_000
FORMULA_ESCAPED = re.compile(r"^'(?=[=+\-@\t\r])")


def esc(value: Any) -> str:
    """Text made safe for HTML (quotes included)."""
    return html.escape("" if value is None else str(value), quote=True)


def anchor(key: str) -> str:
    """An id attribute value for a section key."""
    return "sec-" + re.sub(r"[^A-Za-z0-9_-]", "-", str(key))


def _resolve(root: Path, p: str | Path) -> Path:
    p = Path(p)
    return p if p.is_absolute() else root / p


def _rel(root: Path, p: Path) -> str:
    try:
        return p.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return p.name


def figure_groups(root: Path, paths: Sequence[str | Path]) -> dict[str, list[Path]]:
    """Figure files grouped by figure: ``stem`` without the ``_<dpi>dpi`` suffix."""
    groups: dict[str, list[Path]] = {}
    for p in paths:
        full = _resolve(root, p)
        stem = re.sub(r"_\d+dpi$", "", full.stem)
        groups.setdefault(str(full.parent / stem), []).append(full)
    return groups


def embeddable(files: Sequence[Path]) -> Path | None:
    """The file to embed: SVG if written, else the lowest-dpi PNG, else none."""
    svg = [f for f in files if f.suffix.lower() == ".svg" and f.is_file()]
    if svg:
        return svg[0]
    png = sorted((f for f in files if f.suffix.lower() == ".png" and f.is_file()),
                 key=lambda f: int(m.group(1)) if (m := re.search(r"_(\d+)dpi$", f.stem)) else 0)
    return png[0] if png else None


def data_uri(path: Path) -> str:
    """``data:`` URI of an SVG or PNG file."""
    mime = _MIME[path.suffix.lower().lstrip(".")]
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


#: Captions of the figures the jobs draw, by the end of the file stem (a section's own captions win).
FIGURE_CAPTIONS: dict[str, str] = {
    "flow_diagram": "Participant flow: rows read, excluded (with reasons) and analysed",
    "consort": "Participant flow (CONSORT): patients enrolled, allocated to each arm and followed up at each visit",
    "roc": "ROC curve of the score against the reference standard, with the chosen cutoff",
    "score_distribution": "Distribution of the score by reference-standard class",
    "forest_auc": "AUC by centre with the pooled estimate and prediction interval",
    "forest_sensitivity": "Sensitivity by centre with the pooled estimate and prediction interval",
    "forest_specificity": "Specificity by centre with the pooled estimate and prediction interval",
    "sroc": "Summary ROC curve of the bivariate model with confidence and prediction regions",
    "calibration": "Calibration: predicted against observed fracture risk",
    "cif_sins": "Cumulative incidence of vertebral compression fracture by SINS category (death a competing event)",
    "cif": "Cumulative incidence of vertebral compression fracture (death a competing event)",
    "decision_curve": "Decision curve: net benefit of the fracture-risk model",
    "forest": "Risk factors for vertebral compression fracture (forest plot)",
    "responders": "Proportion of responders at each visit",
    "spaghetti": "Pain (NRS 0\u201310) of each patient over time",
    "trajectory": "Mean pain (NRS 0\u201310) over time with 95% CIs",
    "ph_test": "Proportional-hazards check: scaled Schoenfeld residuals over time",
    "km": "Kaplan\u2013Meier curve",
}


def caption_of(stem: str, captions: Mapping[str, str] | None = None) -> str:
    """A figure's caption: the section's own, else :data:`FIGURE_CAPTIONS` by stem ending, else the stem in words."""
    name = re.sub(r"_\d+dpi$", "", Path(stem).name)
    if captions and name in captions:
        return captions[name]
    for suffix in sorted(FIGURE_CAPTIONS, key=len, reverse=True):
        if name == suffix or name.endswith("_" + suffix):
            return FIGURE_CAPTIONS[suffix]
    words = [_GLOSSARY.get(w.lower(), w) for w in re.split(r"[_\-\s]+", name) if w]
    text = " ".join(words).strip()
    return text[:1].upper() + text[1:]


_GLOSSARY = {"km": "Kaplan\u2013Meier curve,", "cif": "cumulative incidence,", "roc": "ROC curve,", "dss": "DSS",
             "os": "overall survival", "lc": "local control", "pfs": "progression-free survival",
             "dmfs": "distant-metastasis-free survival", "ph": "proportional hazards", "sins": "SINS",
             "auc": "AUC", "bkp": "BKP", "nrs": "NRS", "cirt": "CIRT"}


def render_figure(root: Path, stem: str, files: Sequence[Path], caption: str | None = None,
                  number: int | None = None) -> str:
    shown = embeddable(files)
    caption = caption or caption_of(stem)
    order = {".pdf": 0, ".svg": 1, ".tiff": 2, ".png": 3}
    links = " · ".join(f'<a href="{esc(_rel(root, f))}">{esc(f.name)}</a>'
                       for f in sorted(files, key=lambda f: (order.get(f.suffix.lower(), 9), f.name)))
    label = f"Figure {number}. " if number else ""
    if shown is None:
        body = f'<p class="notice">No SVG or PNG of this figure was written; files: {links}</p>'
        return f"<figure>{body}<figcaption>{esc(label + caption)}</figcaption></figure>"
    full = next((f for f in sorted(files, key=lambda f: order.get(f.suffix.lower(), 9))), shown)
    return (
        f'<figure><a href="{esc(_rel(root, full))}"><img src="{data_uri(shown)}" alt="{esc(caption)}"></a>'
        f'<figcaption><b>{esc(label)}</b>{esc(caption)}. <span class="files">Full-size files: {links}</span>'
        "</figcaption></figure>"
    )


def frame_html(frame: pd.DataFrame, numeric: Sequence[bool] | None = None, journal: bool = False,
               spans: Sequence[tuple[str, int, int]] = (), headers: Sequence[str] | None = None) -> str:
    """A DataFrame as an escaped HTML table (numbers right-aligned; ``journal``: three-rule style).

    ``spans``: spanning headers ``(text, first, last)`` printed above ``headers`` (default: the frame's).
    """
    if numeric is None:
        numeric = [False] + [bool(frame[c].map(lambda v: bool(_NUMERIC.fullmatch(str(v))) or str(v) == "").all())
                             for c in list(frame.columns)[1:]]
    # "Overall (n = 59)" never breaks inside "n = 59"
    names = [re.sub(r" ([=<>\u2264\u2265]) ", "\u00a0\\1\u00a0", str(c))
             for c in (list(headers) if headers is not None else list(frame.columns))]
    head = "".join(f'<th class="num">{esc(c)}</th>' if n and j else f"<th>{esc(c)}</th>"
                   for j, (c, n) in enumerate(zip(names, numeric)))
    if spans:
        top, j = [], 0
        for text, first, last in spans:
            top += ["<th></th>"] * (first - j)
            top.append(f'<th class="span" colspan="{last - first + 1}" scope="colgroup">{esc(text)}</th>')
            j = last + 1
        top += ["<th></th>"] * (len(names) - j)
        head = "".join(top) + "</tr><tr>" + head
    rows = []
    for row in frame.itertuples(index=False):
        cells = []
        for j, v in enumerate(row):
            text = "" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v)
            text = FORMULA_ESCAPED.sub("", text)
            if j == 0 and text.startswith("\u2003"):
                cells.append(f'<td class="indent">{esc(text.lstrip(chr(0x2003)))}</td>')
            elif numeric[j] and j:
                cells.append(f'<td class="num">{esc(text)}</td>')
            else:
                cells.append(f"<td>{esc(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    cls = ' class="journal"' if journal else ""
    return f"<table{cls}><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


_NUMERIC = re.compile(r"[-+\u2212<>]?\d[\d.,eE+\-\u2212]*%?")


class TableCounter:
    """Numbers the tables of one report in order ("Table 1.", "Table 2.", ...)."""

    def __init__(self) -> None:
        self.n = 0

    def heading(self, title: str) -> str:
        from spinestats.reports.tables import strip_table_number

        self.n += 1
        return f"Table {self.n}. {strip_table_number(title)}"


def render_tables(root: Path, paths: Sequence[str | Path], records: Sequence[Any] = (), style: Any = None,
                  counter: TableCounter | None = None, key: str = "") -> str:
    """Every table (one per stem): its numbered title, the formatted cells in a scrollable box, footnotes, files.

    ``records`` (:class:`~spinestats.reports.tables.TableRecord`) carry each
    table's title, cells and footnotes; a table without one is read from
    its CSV and formatted by :meth:`~spinestats.reports.tables.Table.from_frame`.
    """
    from spinestats.reports.tables import Table, read_csv_table, title_for

    counter = counter or TableCounter()
    by_stem = {Path(r.path).with_suffix("").name: r for r in records}
    groups: dict[str, list[Path]] = {}
    for p in paths:
        full = _resolve(root, p)
        groups.setdefault(str(full.with_suffix("")), []).append(full)
    out = []
    for stem, files in groups.items():
        name = Path(stem).name
        links = " · ".join(f'<a href="{esc(_rel(root, f))}">{esc(f.suffix.lstrip(".").upper())}</a>'
                           for f in sorted(files, key=lambda f: f.suffix))
        rec = by_stem.get(name)
        table = rec.table if rec is not None else None
        csv = next((f for f in files if f.suffix.lower() == ".csv" and f.is_file()), None)
        if table is None and csv is not None:
            table = Table.from_frame(read_csv_table(csv), title_for(name, key), stem=name)
        if table is None:
            out.append(f'<p class="files">Table files: {links}</p>')
            continue
        frame = table.format(style)
        heading = counter.heading(table.title or title_for(name, key))
        out.append(f'<p class="table-title">{esc(heading)}</p>')
        out.append(f'<div class="table-scroll" role="region" tabindex="0" aria-label="{esc(heading)}">'
                   f"{frame_html(frame, table.numeric_columns(), journal=True, spans=table.spans(), headers=table.sub_headers())}</div>")
        if table.footnotes:
            out.append("".join(f'<p class="footnote">{esc(n)}</p>' for n in table.footnotes))
        out.append(f'<p class="files">Download: {links}</p>')
    return "\n".join(out)


def warning_sentence(text: str) -> str:
    """A warning as a sentence a clinician reads (:func:`spinestats.reports.warning_text.sentence`)."""
    from spinestats.reports.warning_text import sentence

    return sentence(text)


def render_reproduction(rows: Sequence[Mapping[str, Any]]) -> str:
    """Published figures next to the reproduced ones, with a tick or the difference."""
    body = []
    for r in rows:
        if r.get("match"):
            mark = '<span class="ok">\u2713</span>'
        elif r.get("reproduced") is None:
            mark = f'<span class="diff">not available{": " + esc(r.get("note")) if r.get("note") else ""}</span>'
        else:
            mark = f'<span class="diff">\u2717 {esc(r.get("difference", ""))}</span>'
        ci = r.get("ci")
        ci_text = r.get("ci_text") or ("" if not ci else f"{ci[0]:.4g}\u2013{ci[1]:.4g}")
        shown = str(r.get("reproduced_text", r.get("reproduced")))
        note = r.get("note") if r.get("reproduced") is not None else None
        cls = ' class="num"' if len(shown) < 24 and not note else ""
        note_html = f'<br><span class="note">{esc(note)}</span>' if note else ""
        body.append(
            f"<tr><td>{esc(r.get('figure'))}</td><td>{esc(r.get('published'))}</td>"
            f"<td{cls}>{esc(shown)}{note_html}</td>"
            f"<td class=\"num\">{esc(ci_text)}</td><td>{mark}</td></tr>"
        )
    head = "<tr><th>Published figure</th><th>Published</th><th>Reproduced</th><th>95% CI</th><th>Match</th></tr>"
    return f'<div class="table-scroll"><table><thead>{head}</thead><tbody>{"".join(body)}</tbody></table></div>'


def _provenance_html(prov: Mapping[str, Any]) -> str:
    rows = []
    for key in ("plan", "plan_hash", "seed", "started_at", "finished_at", "generated_at"):
        if key in prov:
            rows.append(f"<tr><th>{esc(key.replace('_', ' ').capitalize())}</th><td><code>{esc(prov[key])}</code></td></tr>")
    for name, v in (prov.get("versions") or {}).items():
        rows.append(f"<tr><th>{esc(name)}</th><td>{esc(v)}</td></tr>")
    out = [f'<div class="table-scroll"><table>{"".join(rows)}</table></div>']
    inputs = prov.get("inputs") or {}
    if inputs:
        head = "<tr><th>Data</th><th>File</th><th>Schema</th><th>Rows read</th><th>Rows kept</th><th>SHA-256</th></tr>"
        body = "".join(
            f"<tr><td>{esc(k)}</td><td>{esc(v.get('file'))}</td><td>{esc(v.get('schema'))}</td>"
            f"<td class=\"num\">{esc(v.get('rows_read'))}</td><td class=\"num\">{esc(v.get('rows_kept'))}</td>"
            f"<td><code>{esc(v.get('sha256'))}</code></td></tr>"
            for k, v in inputs.items()
        )
        out.append(f'<h3>Inputs</h3><div class="table-scroll"><table><thead>{head}</thead><tbody>{body}</tbody></table></div>')
    return "\n".join(out)


def results_excerpt(results: Any, limit: int = _MAX_JSON_CHARS) -> str:
    """The section's results as indented JSON, cut after ``limit`` characters with a note.

    The text is ``json.dumps(results, indent=1, ensure_ascii=False, default=str)``, cut; only the
    part shown is written (the encoder stops once it has passed the limit).
    """
    chunks: list[str] = []
    size = 0
    encoder = json.JSONEncoder(indent=1, ensure_ascii=False, default=str)
    for chunk in encoder.iterencode(results):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            return "".join(chunks)[:limit] + "\n... (truncated; see results.json)"
    return "".join(chunks)


def render_report(
    *,
    title: str,
    root: str | Path,
    sections: Sequence[Section],
    methods: MethodsText,
    provenance: Mapping[str, Any],
    warnings: Sequence[str] = (),
    reproduction: Sequence[Mapping[str, Any]] | None = None,
    synthetic: bool = False,
    unavailable: Sequence[tuple[str, str]] = (),
    table_style: Any = None,
) -> str:
    """The complete report as one HTML document.

    Parameters
    ----------
    title : report title.
    root : the output folder the sections' figure and table paths are relative to.
    sections : the Sections that ran, in order.
    methods : the generated methods paragraph.
    provenance : ``plan``, ``plan_hash``, ``seed``, ``started_at``, ``finished_at``,
        ``versions`` and ``inputs`` (name -> file, schema, rows, sha256).
    warnings : run-level warnings (each section's own warnings are added).
    reproduction : published-versus-reproduced rows (demo), or ``None``.
    synthetic : the data are synthetic; a banner says so at the top.
    unavailable : ``(key, reason)`` of analyses that could not run.
    table_style : :class:`~spinestats.reports.tables.TableStyle` of the tables (the plan's ``output.style``).
    """
    root = Path(root)
    counter = TableCounter()
    css = resources.files("spinestats.reports").joinpath("assets/report.css").read_text(encoding="utf-8")
    toc: list[tuple[str, str]] = []
    parts: list[str] = []

    if reproduction is not None:
        toc.append(("reproduction", "Reproduction of the published figures"))
        n_ok = sum(1 for r in reproduction if r.get("match"))
        parts.append(
            f'<section id="reproduction"><h2>Reproduction of the published figures</h2>'
            f"<p>{n_ok} of {len(reproduction)} published figures reproduced at the published precision "
            "(\u2713), otherwise the difference is shown.</p>"
            f"{render_reproduction(reproduction)}</section>"
        )
    if unavailable:
        items = "".join(f"<li><b>{esc(k)}</b>: {esc(why)}</li>" for k, why in unavailable)
        parts.append(f'<div class="missing"><b>Not available in this run:</b><ul>{items}</ul></div>')

    fig_no = 0
    shown_warnings: set[str] = set()
    from spinestats.reports.tables import strip_table_number

    for sec in sections:
        # a section is not a table: "Table 1. Baseline characteristics" heads its section without the number
        # (its table is numbered in the report's own sequence)
        heading = strip_table_number(sec.title) or sec.title
        toc.append((anchor(sec.key), heading))
        figs = figure_groups(root, sec.figures)
        ordered = sorted(figs.items(), key=lambda kv: 0 if "flow" in Path(kv[0]).name.lower() else 1)
        block = [f'<section id="{anchor(sec.key)}"><h2>{esc(heading)}</h2>']
        own = [w for w in dict.fromkeys(warning_sentence(w) for w in sec.warnings) if w not in shown_warnings]
        shown_warnings.update(own)
        if own:
            block.append('<div class="notice"><b>Warnings</b><ul class="warnings">'
                         + "".join(f"<li>{esc(w)}</li>" for w in own) + "</ul></div>")
        if methods.by_section.get(sec.key):
            block.append(f'<h3>Methods</h3><p class="methods">{esc(methods.by_section[sec.key])}</p>')
        if sec.tables or figs:
            block.append("<h3>Results</h3>")
        # a prespecified primary endpoint leads its section, before any figure
        lead = [t for t in sec.tables if Path(t).stem.endswith("primary_endpoint")]
        if lead:
            block.append(render_tables(root, lead, sec.table_records, table_style, counter, sec.key))
        for stem, files in ordered:
            fig_no += 1
            block.append(render_figure(root, stem, files, caption_of(stem, getattr(sec, "figure_captions", None)),
                                       fig_no))
        rest = [t for t in sec.tables if t not in lead]
        if rest:
            block.append(render_tables(root, rest, sec.table_records, table_style, counter, sec.key))
        text = results_excerpt(sec.results)
        block.append(f"<details><summary>All numbers of this section (as in results.json)</summary><pre>{esc(text)}</pre></details>")
        block.append("</section>")
        parts.append("\n".join(block))

    all_warnings = [w for w in dict.fromkeys(warning_sentence(w) for w in warnings) if w not in shown_warnings]
    toc.append(("warnings", "Warnings"))
    parts.append(
        '<section id="warnings"><h2>Warnings</h2>'
        + ("<ul class=\"warnings\">" + "".join(f"<li>{esc(w)}</li>" for w in all_warnings) + "</ul>"
           if all_warnings else "<p>No run-wide warnings.</p>")
        + ("<p>Each analysis's own warnings are shown in its section.</p>" if shown_warnings else "")
        + "</section>"
    )
    toc.append(("methods", "Methods"))
    refs = "".join(f"<li>{esc(r)}</li>" for r in methods.references)
    parts.append(
        f'<section id="methods"><h2>Methods</h2><p class="methods">{esc(methods.general or methods.paragraph)}</p>'
        + (f'<h3>References</h3><ol class="refs">{refs}</ol>' if refs else "") + "</section>"
    )
    toc.append(("provenance", "Provenance"))
    parts.append(f'<section id="provenance"><h2>Provenance</h2>{_provenance_html(provenance)}</section>')

    banner = (
        '<div class="banner" role="alert">SYNTHETIC DATA: these cohorts are reconstructed from published aggregates '
        "(Matsumoto, Fukushima J Med Sci); they are not patient data.</div>" if synthetic else ""
    )
    toc_html = '<nav class="toc"><b>Contents</b><ol>' + "".join(
        f'<li><a href="#{esc(a)}">{esc(t)}</a></li>' for a, t in toc) + "</ol></nav>"
    subtitle = " · ".join(f"{name} {provenance[key]}" for key, name in (("plan_hash", "Plan hash"), ("seed", "seed"))
                          if provenance.get(key) not in (None, ""))  # a single command has neither
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="data:,">'
        f"<title>{esc(title)}</title><style>{css}</style></head><body>"
        f"<header><h1>{esc(title)}</h1>" + (f'<p class="subtitle">{esc(subtitle)}</p>' if subtitle else "")
        + f"{banner}</header>"
        f"{toc_html}\n" + "\n".join(parts) + "\n</body></html>\n"
    )

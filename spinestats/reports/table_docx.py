"""Writing a table's DOCX in one pass: the body XML built directly, the rest of the package reused.

python-docx's object model costs several calls per cell (``cell.text``,
``run.font.size``, ``paragraph.alignment``, border lookups), and every
``Document()`` parses the default template again (styles, theme, numbering).
Here the template is loaded once per process (:func:`_template`): its parts
are serialised and compressed once, and only the two parts that differ
between tables are built per table:

* ``word/document.xml``: a copy of the template's (empty) body, with the
  title paragraph, the table and the footnotes added as lxml elements in
  one pass, exactly as python-docx's object model writes them (the same
  elements, attribute order, ``xml:space="preserve"`` rule, tab and break
  runs, the repeated borders of a merged cell), and the page set up through
  python-docx's own :class:`docx.section.Section` on that copy;
* ``docProps/core.xml``: a copy of the template's, filled through
  python-docx's :class:`docx.opc.coreprops.CoreProperties`.

Both are serialised by python-docx's serializer and the package is written
by :class:`spinestats.reports.office_zip._ZipWriter` with the member order,
compression and fixed dates ``Document.save`` would give, so the file is the
one the object-model build gives (tests/docx_reference.py keeps that build;
the tests compare every part byte for byte).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from pathlib import Path
from typing import Any

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
_VAL, _SZ, _SPACE, _COLOR = f"{_W}val", f"{_W}sz", f"{_W}space", f"{_W}color"
_TEMPLATE: dict[str, Any] = {}


class _Recorder:
    """The physical-writer interface python-docx's PackageWriter writes to: the members in order."""

    def __init__(self) -> None:
        self.members: list[tuple[str, bytes]] = []

    def write(self, pack_uri: Any, blob: bytes) -> None:
        self.members.append((pack_uri.membername, blob))


def _template() -> dict[str, Any]:
    """The default python-docx package, serialised and compressed once per process."""
    if _TEMPLATE:
        return _TEMPLATE
    from docx import Document
    from docx.opc.pkgwriter import PackageWriter

    from spinestats.reports.office_zip import _deflate

    doc = Document()
    core = doc.core_properties._element  # created here if the template has none, as a save would
    package = doc.part.package
    for part in package.parts:
        part.before_marshal()
    rec = _Recorder()
    PackageWriter._write_content_types_stream(rec, package.parts)
    PackageWriter._write_pkg_rels(rec, package.rels)
    PackageWriter._write_parts(rec, package.parts)  # type: ignore[arg-type]
    core_name = next(p.partname.membername for p in package.parts if getattr(p, "_element", None) is core)
    doc_name = doc.part.partname.membername
    _TEMPLATE.update(
        members=[(name, None if name in (doc_name, core_name) else _deflate(name, blob)) for name, blob in rec.members],
        document_name=doc_name, core_name=core_name,
        document=copy.deepcopy(doc.element), core=copy.deepcopy(core),
    )
    return _TEMPLATE


def _sub(parent: Any, tag: str) -> Any:
    from lxml import etree

    return etree.SubElement(parent, _W + tag)


def _run(p: Any, text: str | None, size: str, bold: bool = False) -> None:
    """A ``w:r`` as ``run.text = text`` then ``run.bold``/``run.font.size`` write it (tabs and line
    breaks as their own elements, ``xml:space="preserve"`` where the text has outer whitespace)."""
    from lxml import etree

    r = etree.SubElement(p, _W + "r")
    rpr = etree.SubElement(r, _W + "rPr")
    if bold:
        etree.SubElement(rpr, _W + "b")
    etree.SubElement(rpr, _W + "sz").set(_VAL, size)
    if not text:
        return
    if "\t" not in text and "\n" not in text and "\r" not in text:
        _t(r, text)
        return
    buf: list[str] = []
    for ch in text:
        if ch == "\t" or ch in "\r\n":
            if buf:
                _t(r, "".join(buf))
                buf.clear()
            etree.SubElement(r, _W + ("tab" if ch == "\t" else "br"))
        else:
            buf.append(ch)
    if buf:
        _t(r, "".join(buf))


def _t(r: Any, text: str) -> None:
    from lxml import etree

    t = etree.SubElement(r, _W + "t")
    t.text = text
    if len(text.strip()) < len(text):
        t.set(_XML_SPACE, "preserve")


def _borders(tc_pr: Any, edges: dict[str, str], times: int) -> None:
    """``w:tcBorders`` as python-docx cell borders were set (one edge element each), ``times`` times over
    (python-docx visits a merged cell once per grid column it spans)."""
    from lxml import etree

    borders = etree.SubElement(tc_pr, _W + "tcBorders")
    for _ in range(times):
        for edge in ("top", "left", "bottom", "right"):
            el = etree.SubElement(borders, _W + edge)
            val = edges.get(edge)
            if val:
                el.set(_VAL, "single")
                el.set(_SZ, val)
                el.set(_SPACE, "0")
                el.set(_COLOR, "000000")
            else:
                el.set(_VAL, "nil")


def write_docx_package(path: str | Path, *, title: str, footnotes: Sequence[str], head: Sequence[str],
                       rows: Sequence[Sequence[str]], spans: Sequence[tuple[str, int, int]],
                       numeric: Sequence[bool], widths: Sequence[float], scale: float, page_mm: tuple[float, float],
                       margin_mm: float, landscape: bool, core: dict[str, Any]) -> None:
    """Write the DOCX of one table.

    ``head``: the column headers (under the spanning headers ``spans``, ``(text, first, last)``);
    ``rows``: the formatted cells; ``numeric``: right-aligned columns (the first column never is);
    ``widths``: each column's estimated width in mm, written times ``scale``; ``page_mm``: page (width, height)
    as set (already swapped for ``landscape``); ``core``: the core properties to set, in order.
    """
    from docx.enum.section import WD_ORIENT
    from docx.opc.coreprops import CoreProperties
    from docx.opc.oxml import serialize_part_xml
    from docx.section import Section
    from docx.shared import Mm
    from lxml import etree

    from spinestats.reports.office_zip import _deflate, _ZipWriter

    tpl = _template()
    root = copy.deepcopy(tpl["document"])
    body = root.find(_W + "body")
    sect_pr = body.find(_W + "sectPr")
    sec = Section(sect_pr, None)  # type: ignore[arg-type]  # page set-up only touches sectPr
    if landscape:
        sec.orientation = WD_ORIENT.LANDSCAPE
    sec.page_width, sec.page_height = Mm(page_mm[0]), Mm(page_mm[1])
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(sec, side, Mm(margin_mm))
    body.remove(sect_pr)

    if title:
        _run(etree.SubElement(body, _W + "p"), title, "20", bold=True)
    n_cols = len(head)
    head_rows = 2 if spans else 1
    n_rows = head_rows + len(rows)
    def twips(mm: float) -> str:  # as python-docx's width setters convert a length
        return str(Mm(mm).twips)

    col_w = [twips(w * scale) for w in widths]
    tbl = etree.SubElement(body, _W + "tbl")
    tbl_pr = etree.SubElement(tbl, _W + "tblPr")
    tbl_w = etree.SubElement(tbl_pr, _W + "tblW")
    tbl_w.set(f"{_W}type", "auto")
    tbl_w.set(f"{_W}w", "0")
    etree.SubElement(tbl_pr, _W + "jc").set(_VAL, "center")
    look = etree.SubElement(tbl_pr, _W + "tblLook")
    for name, value in (("firstColumn", "1"), ("firstRow", "1"), ("lastColumn", "0"), ("lastRow", "0"),
                        ("noHBand", "0"), ("noVBand", "1"), ("val", "04A0")):
        look.set(_W + name, value)
    grid = etree.SubElement(tbl, _W + "tblGrid")
    for w in col_w:
        etree.SubElement(grid, _W + "gridCol").set(f"{_W}w", w)

    def edges_for(i: int, spanned: bool) -> dict[str, str]:
        edges = {"top": "12"} if i == 0 else {}
        if head_rows == 2 and i == 0 and spanned:
            edges["bottom"] = "4"
        if i == head_rows - 1:
            edges["bottom"] = "6"
        if i == n_rows - 1:
            edges["bottom"] = "12"
        return edges

    def cell(tr: Any, i: int, j: int, width: str, text: str | None, bold: bool, align: str | None,
             span: int = 1, spanned: bool = False) -> None:
        tc = etree.SubElement(tr, _W + "tc")
        tc_pr = etree.SubElement(tc, _W + "tcPr")
        tc_w = etree.SubElement(tc_pr, _W + "tcW")
        tc_w.set(f"{_W}type", "dxa")
        tc_w.set(f"{_W}w", width)
        if span > 1:
            etree.SubElement(tc_pr, _W + "gridSpan").set(_VAL, str(span))
        _borders(tc_pr, edges_for(i, spanned), span)
        p = etree.SubElement(tc, _W + "p")
        if align is not None:
            etree.SubElement(etree.SubElement(p, _W + "pPr"), _W + "jc").set(_VAL, align)
        if text is not None:
            _run(p, text, "18", bold)

    right = [bool(numeric[j]) and j > 0 for j in range(n_cols)]
    if spans:
        tr = etree.SubElement(tbl, _W + "tr")
        starts = {first: (text, last) for text, first, last in spans}
        j = 0
        while j < n_cols:
            if j in starts:
                text, last = starts[j]
                cell(tr, 0, j, twips(sum(widths[j:last + 1]) * scale), text, True, "center", span=last - j + 1, spanned=True)
                j = last + 1
            else:
                cell(tr, 0, j, twips(sum(widths[j:j + 1]) * scale), None, False, None)
                j += 1
    i = head_rows - 1
    tr = etree.SubElement(tbl, _W + "tr")
    for j, name in enumerate(head):
        cell(tr, i, j, col_w[j], str(name), True, "right" if right[j] else None)
    for i, row in enumerate(rows, start=head_rows):
        tr = etree.SubElement(tbl, _W + "tr")
        for j, v in enumerate(row):
            cell(tr, i, j, col_w[j], str(v), False, "right" if right[j] else None)
    for n in footnotes:
        _run(etree.SubElement(body, _W + "p"), n, "16")
    body.append(sect_pr)

    core_el = copy.deepcopy(tpl["core"])
    props = CoreProperties(core_el)
    for name, value in core.items():
        setattr(props, name, value)
    blobs = {tpl["document_name"]: serialize_part_xml(root), tpl["core_name"]: serialize_part_xml(core_el)}
    writer = _ZipWriter(Path(path))
    try:
        for name, packed in tpl["members"]:
            writer.write_member(name, packed if packed is not None else _deflate(name, blobs[name]))
    finally:
        writer.close()

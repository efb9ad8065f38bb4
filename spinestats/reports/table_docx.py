"""Writing a table's DOCX in one pass: the body XML built directly, the rest of the package reused.

python-docx's object model costs several calls per cell (``cell.text``,
``run.font.size``, ``paragraph.alignment``, border lookups), every
``Document()`` parses the default template again (styles, theme, numbering),
and importing it costs about a tenth of a second of CPU in every process.
Here python-docx is not used: its default template (``default.docx``,
shipped as ``assets/docx_default.docx``) is read once per process
(:func:`_template`) and its parts are written as ``Document().save`` writes
them -- the XML parts python-docx loads as objects (document, styles,
settings, numbering, core properties) and every relationships part
re-serialised without the template's indentation, ``[Content_Types].xml``
with its entries sorted, the members in the order of a depth-first walk of
the relationships -- and compressed once.  Only the two parts that differ
between tables are built per table:

* ``word/document.xml``: a copy of the template's (empty) body, with the
  title paragraph, the table and the footnotes added as lxml elements in
  one pass, exactly as python-docx's object model writes them (the same
  elements, attribute order, ``xml:space="preserve"`` rule, tab and break
  runs, the repeated borders of a merged cell), and the page size,
  orientation and margins set on its ``w:sectPr`` as python-docx's
  ``Section`` sets them (lengths in twips from whole EMUs);
* ``docProps/core.xml``: a copy of the template's, its properties set as
  python-docx's ``CoreProperties`` sets them (a title longer than the 255
  characters python-docx refuses is cut there; the document shows it whole).

Both are serialised as python-docx serialises a part and the package is
written by :class:`spinestats.reports.office_zip._ZipWriter` with the member
order, compression and fixed dates ``Document.save`` would give, so the file
is the one the object-model build gives (tests/docx_reference.py keeps that
build; the tests compare the files byte for byte).  Characters XML cannot
hold are removed from the text (:func:`spinestats.reports.office_zip.xml_text`).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from spinestats.reports.office_zip import xml_text

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
_VAL, _SZ, _SPACE, _COLOR = f"{_W}val", f"{_W}sz", f"{_W}space", f"{_W}color"
_TEMPLATE: dict[str, Any] = {}


_CT_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CORE_NS = {"cp": "http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
            "dc": "http://purl.org/dc/elements/1.1/", "dcterms": "http://purl.org/dc/terms/"}
_XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
_CORE_TYPE = "application/vnd.openxmlformats-package.core-properties+xml"
_DOCUMENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
#: the parts python-docx loads as XML objects (and so writes re-serialised): core properties and the
#: WordprocessingML document, comments, header, footer, numbering, settings and styles
_XML_PARTS = {_CORE_TYPE} | {f"application/vnd.openxmlformats-officedocument.wordprocessingml.{name}+xml"
                             for name in ("document.main", "comments", "header", "footer", "numbering", "settings",
                                          "styles")}
#: core properties as python-docx's CoreProperties names them: (element, W3CDTF date)
_CORE_PROPS = {"author": ("dc:creator", False), "title": ("dc:title", False), "created": ("dcterms:created", True),
               "modified": ("dcterms:modified", True), "last_modified_by": ("cp:lastModifiedBy", False),
               "revision": ("cp:revision", False)}


def _parser() -> Any:
    from lxml import etree

    return etree.XMLParser(remove_blank_text=True, resolve_entities=False)  # as python-docx parses a part


def _serialise(element: Any) -> bytes:
    """A part's XML as python-docx serialises it."""
    from lxml import etree

    return etree.tostring(element, encoding="UTF-8", standalone=True)


def _template_path() -> Path:
    """The default document of python-docx, shipped with spinestats (``assets/docx_default.docx``, MIT licence
    beside it): DOCX tables need neither python-docx nor its import (the tests check the file is python-docx's)."""
    return Path(__file__).resolve().parent / "assets" / "docx_default.docx"


def _template() -> dict[str, Any]:
    """The default python-docx package, as ``Document().save`` writes it, read and compressed once per process."""
    if _TEMPLATE:
        return _TEMPLATE
    import posixpath
    import zipfile

    from lxml import etree

    from spinestats.reports.office_zip import _deflate

    with zipfile.ZipFile(_template_path()) as z:
        raw = {info.filename: z.read(info.filename) for info in z.infolist()}
    parser = _parser()
    types = etree.fromstring(raw["[Content_Types].xml"], parser)
    defaults = {el.get("Extension"): el for el in types.iter(_CT_NS + "Default")}
    overrides = {el.get("PartName"): el for el in types.iter(_CT_NS + "Override")}
    for el in list(types):
        types.remove(el)
    for ext in sorted(defaults):  # python-docx writes them sorted: defaults by extension, overrides by part name
        types.append(defaults[ext])
    for name in sorted(overrides):
        types.append(overrides[name])
    content_type = {name[1:]: el.get("ContentType") for name, el in overrides.items()}

    def rels_name(part: str) -> str:
        folder, base = posixpath.split(part)
        return posixpath.join(folder, "_rels", base + ".rels")

    members: list[tuple[str, bytes]] = [("[Content_Types].xml", _serialise(types)),
                                        ("_rels/.rels", _serialise(etree.fromstring(raw["_rels/.rels"], parser)))]
    seen: set[str] = set()

    def walk(part: str) -> None:  # python-docx's parts: depth first along the relationships, in their order
        rels = raw.get(rels_name(part))
        if rels is None:
            return
        for rel in etree.fromstring(rels, parser).iter(_REL_NS + "Relationship"):
            if rel.get("TargetMode") == "External":
                continue
            target = posixpath.normpath(posixpath.join(posixpath.dirname(part), rel.get("Target")))
            if target in seen:
                continue
            seen.add(target)
            blob = raw[target]
            xml = content_type.get(target) in _XML_PARTS
            members.append((target, _serialise(etree.fromstring(blob, parser)) if xml else blob))
            if rels_name(target) in raw:
                members.append((rels_name(target), _serialise(etree.fromstring(raw[rels_name(target)], parser))))
            walk(target)

    walk("")
    doc_name = next(name for name, ct in content_type.items() if ct == _DOCUMENT_TYPE)
    core_name = next(name for name, ct in content_type.items() if ct == _CORE_TYPE)
    _TEMPLATE.update(
        members=[(name, None if name in (doc_name, core_name) else _deflate(name, blob)) for name, blob in members],
        document_name=doc_name, core_name=core_name,
        document=etree.fromstring(raw[doc_name], parser), core=etree.fromstring(raw[core_name], parser),
    )
    return _TEMPLATE


def _twips(mm: float) -> str:
    """``mm`` in twips as python-docx writes a length given as ``Mm(mm)`` (whole EMUs, then rounded twips)."""
    return str(int(round(int(mm * 36000) / 635.0)))


def _core_xml(template: Any, core: dict[str, Any]) -> Any:
    """The core properties part with ``core`` set as python-docx's ``CoreProperties`` sets them."""
    import datetime as dt

    el = copy.deepcopy(template)
    for name, value in core.items():
        tag, date = _CORE_PROPS[name]
        prefix, local = tag.split(":")
        child = el.find(f"{{{_CORE_NS[prefix]}}}{local}")
        if child is None:
            from lxml import etree

            child = etree.SubElement(el, f"{{{_CORE_NS[prefix]}}}{local}")
        if date:
            assert isinstance(value, dt.datetime)
            child.text = value.strftime("%Y-%m-%dT%H:%M:%SZ")
            child.set(_XSI_TYPE, "dcterms:W3CDTF")
        else:
            child.text = xml_text(str(value))[:255]
    return el


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
    text = xml_text(text) if text else text
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
    from lxml import etree

    from spinestats.reports.office_zip import _deflate, _ZipWriter

    tpl = _template()
    root = copy.deepcopy(tpl["document"])
    body = root.find(_W + "body")
    sect_pr = body.find(_W + "sectPr")
    pg_sz = sect_pr.find(_W + "pgSz")
    if pg_sz is None:
        pg_sz = etree.SubElement(sect_pr, _W + "pgSz")
    if landscape:
        pg_sz.set(_W + "orient", "landscape")
    pg_sz.set(_W + "w", _twips(page_mm[0]))
    pg_sz.set(_W + "h", _twips(page_mm[1]))
    pg_mar = sect_pr.find(_W + "pgMar")
    if pg_mar is None:
        pg_mar = etree.SubElement(sect_pr, _W + "pgMar")
    for side in ("left", "right", "top", "bottom"):
        pg_mar.set(_W + side, _twips(margin_mm))
    body.remove(sect_pr)

    if title:
        _run(etree.SubElement(body, _W + "p"), title, "20", bold=True)
    n_cols = len(head)
    head_rows = 2 if spans else 1
    n_rows = head_rows + len(rows)
    col_w = [_twips(w * scale) for w in widths]
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
                cell(tr, 0, j, _twips(sum(widths[j:last + 1]) * scale), text, True, "center", span=last - j + 1, spanned=True)
                j = last + 1
            else:
                cell(tr, 0, j, _twips(sum(widths[j:j + 1]) * scale), None, False, None)
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

    blobs = {tpl["document_name"]: _serialise(root), tpl["core_name"]: _serialise(_core_xml(tpl["core"], core))}
    writer = _ZipWriter(Path(path))
    try:
        for name, packed in tpl["members"]:
            writer.write_member(name, packed if packed is not None else _deflate(name, blobs[name]))
    finally:
        writer.close()

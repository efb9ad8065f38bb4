"""Writing a table's XLSX directly: SpreadsheetML as escaped XML strings, no spreadsheet library imported.

Importing openpyxl costs about a third of a second of CPU in every process
that writes a table, and its object model several calls per cell.  A table's
workbook is small and always has the same shape, so :class:`Sheet` collects
the cells (value, bold or italic font, horizontal alignment, number format),
merged ranges and column widths, and :meth:`Sheet.save` writes the package:

* ``[Content_Types].xml``, ``_rels/.rels``, ``docProps/core.xml`` (creator,
  title and the fixed dates the table carries), ``docProps/app.xml``;
* ``xl/workbook.xml`` with its one sheet, ``xl/_rels/workbook.xml.rels``;
* ``xl/styles.xml``: the number formats used (Excel's built-in ids for
  ``0`` and ``0.00``, custom ids from 164), the fonts (Calibri 11, bold;
  italic 9 pt for footnotes), one cell format per combination used;
* ``xl/worksheets/sheet1.xml``: column widths, the cells row by row (text as
  inline strings, numbers as ``repr`` of the float, so they read back
  exactly), merged cells and the default page margins.

Text is escaped for XML (``&``, ``<``, ``>``; a carriage return as ``&#13;``
so it survives parsing), leading or trailing spaces are kept with
``xml:space="preserve"``, and characters XML 1.0 forbids (control
characters other than tab, line feed and carriage return; lone surrogates;
U+FFFE, U+FFFF) are removed
(:func:`spinestats.reports.office_zip.xml_text`) -- openpyxl refuses such a
cell with an error, which would stop the whole run on one odd label.  Every
member is written by :class:`spinestats.reports.office_zip._ZipWriter` with
a fixed date, so the same table gives the same bytes on every run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from spinestats.reports.office_zip import _deflate, _ZipWriter, xml_text

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
#: Excel's built-in number formats among those spinestats writes
_BUILTIN_FORMATS = {"General": 0, "0": 1, "0.00": 2}
_FIRST_CUSTOM_FORMAT = 164
#: the workbook's fonts: regular (the default), bold, footnote (italic 9 pt)
_FONTS = {"regular": (False, False, 11), "bold": (True, False, 11), "footnote": (False, True, 9)}
_ALIGNMENTS = (None, "center", "right")
_CONTENT_TYPES = (
    _DECL + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    '<Override PartName="/docProps/core.xml" '
    'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
    '<Override PartName="/docProps/app.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    _DECL + f'<Relationships xmlns="{_PKG_REL}">'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
    f'<Relationship Id="rId2" Type="{_PKG_REL}/metadata/core-properties" Target="docProps/core.xml"/>'
    f'<Relationship Id="rId3" Type="{_REL}/extended-properties" Target="docProps/app.xml"/>'
    "</Relationships>"
)
_WORKBOOK_RELS = (
    _DECL + f'<Relationships xmlns="{_PKG_REL}">'
    f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/>'
    "</Relationships>"
)
_APP = (
    _DECL + '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    "<Application>spinestats</Application></Properties>"
)


def _escape(text: str) -> str:
    return (xml_text(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("\r", "&#13;"))


def _attr(text: str) -> str:
    return _escape(text).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")


def column_letter(j: int) -> str:
    """``1`` -> ``A``, ``27`` -> ``AA``."""
    out = ""
    while j > 0:
        j, rem = divmod(j - 1, 26)
        out = chr(65 + rem) + out
    return out


class Sheet:
    """One worksheet's cells, merged ranges and column widths, saved as a one-sheet workbook.

    A cell is ``(value, font, align, number_format)``: ``value`` a ``str``, an ``int``/``float`` or None
    (an empty cell, written only when it has a style), ``font`` one of ``regular``, ``bold``, ``footnote``,
    ``align`` None, ``center`` or ``right``.
    """

    def __init__(self, name: str) -> None:
        self.name = xml_text(name)
        self.cells: dict[tuple[int, int], tuple[Any, str, str | None, str | None]] = {}
        self.merges: list[tuple[int, int, int, int]] = []
        self.widths: dict[int, float] = {}

    def cell(self, row: int, column: int, value: Any, font: str = "regular", align: str | None = None,
             number_format: str | None = None) -> None:
        if font not in _FONTS or align not in _ALIGNMENTS:
            raise ValueError(f"font {font!r} / alignment {align!r} is not one a table uses")
        self.cells[(row, column)] = (value, font, align, number_format)

    def merge(self, first_row: int, first_column: int, last_row: int, last_column: int) -> None:
        self.merges.append((first_row, first_column, last_row, last_column))

    def width(self, column: int, width: float) -> None:
        self.widths[column] = width

    def _styles(self) -> tuple[str, dict[tuple[str, str | None, str | None], int]]:
        """``xl/styles.xml`` and each (font, align, number format) combination's cell-format index."""
        formats: dict[str, int] = {}
        xfs: dict[tuple[str, str | None, str | None], int] = {("regular", None, None): 0}
        for (_, font, align, number_format) in self._written().values():
            if number_format is not None and number_format not in _BUILTIN_FORMATS and number_format not in formats:
                formats[number_format] = _FIRST_CUSTOM_FORMAT + len(formats)
            xfs.setdefault((font, align, number_format), len(xfs))
        font_ids = {name: i for i, name in enumerate(_FONTS)}
        parts = [_DECL, f'<styleSheet xmlns="{_MAIN}">']
        if formats:
            parts.append(f'<numFmts count="{len(formats)}">')
            parts += [f'<numFmt numFmtId="{i}" formatCode="{_attr(code)}"/>' for code, i in formats.items()]
            parts.append("</numFmts>")
        parts.append(f'<fonts count="{len(_FONTS)}">')
        for bold, italic, size in _FONTS.values():
            parts.append("<font>" + ('<b val="1"/>' if bold else "") + ('<i val="1"/>' if italic else "")
                         + f'<sz val="{size}"/><name val="Calibri"/><family val="2"/></font>')
        parts.append('</fonts><fills count="2"><fill><patternFill patternType="none"/></fill>'
                     '<fill><patternFill patternType="gray125"/></fill></fills>'
                     '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
                     '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
                     f'<cellXfs count="{len(xfs)}">')
        for font, align, number_format in xfs:
            fmt_id = 0 if number_format is None else _BUILTIN_FORMATS.get(number_format, formats.get(number_format, 0))
            applied = (' applyNumberFormat="1"' if fmt_id else "") + (' applyFont="1"' if font != "regular" else "")
            head = f'<xf numFmtId="{fmt_id}" fontId="{font_ids[font]}" fillId="0" borderId="0" xfId="0"{applied}'
            parts.append(f'{head} applyAlignment="1"><alignment horizontal="{align}"/></xf>' if align else head + "/>")
        parts.append('</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
                     "</styleSheet>")
        return "".join(parts), xfs

    def _written(self) -> dict[tuple[int, int], tuple[Any, str, str | None, str | None]]:
        """The cells that go into the file: those with a value or a style, as openpyxl writes them."""
        return {rc: c for rc, c in self.cells.items() if c[0] is not None or c[1:] != ("regular", None, None)}

    def _sheet_xml(self, xfs: dict[tuple[str, str | None, str | None], int]) -> str:
        cells = self._written()
        if cells:
            rows = [r for r, _ in cells]
            cols = [c for _, c in cells]
            dim = f"{column_letter(min(cols))}{min(rows)}:{column_letter(max(cols))}{max(rows)}"
        else:
            dim = "A1"
        parts = [_DECL, f'<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}"><dimension ref="{dim}"/>'
                 '<sheetViews><sheetView workbookViewId="0"/></sheetViews>'
                 '<sheetFormatPr baseColWidth="8" defaultRowHeight="15"/>']
        if self.widths:
            parts.append("<cols>")
            parts += [f'<col min="{j}" max="{j}" width="{_number(w)}" customWidth="1"/>' for j, w in sorted(self.widths.items())]
            parts.append("</cols>")
        parts.append("<sheetData>")
        row = None
        for (r, c) in sorted(cells):
            value, font, align, number_format = cells[(r, c)]
            if r != row:
                if row is not None:
                    parts.append("</row>")
                parts.append(f'<row r="{r}">')
                row = r
            ref = f"{column_letter(c)}{r}"
            xf = xfs[(font, align, number_format)]
            style = f' s="{xf}"' if xf else ""
            if value is None:
                parts.append(f'<c r="{ref}"{style}/>')
            elif isinstance(value, str):
                text = _escape(value)
                space = ' xml:space="preserve"' if value.strip() != value else ""
                parts.append(f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{text}</t></is></c>')
            else:
                parts.append(f'<c r="{ref}"{style}><v>{_number(value)}</v></c>')
        if row is not None:
            parts.append("</row>")
        parts.append("</sheetData>")
        if self.merges:
            parts.append(f'<mergeCells count="{len(self.merges)}">')
            parts += [f'<mergeCell ref="{column_letter(c0)}{r0}:{column_letter(c1)}{r1}"/>'
                      for r0, c0, r1, c1 in self.merges]
            parts.append("</mergeCells>")
        parts.append('<pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5"/></worksheet>')
        return "".join(parts)

    def save(self, path: str | Path, *, creator: str, created: str, title: str | None = None) -> None:
        """Write the workbook to ``path``; ``created``: the W3CDTF date of creation and modification."""

        styles, xfs = self._styles()
        props = [f"<dc:creator>{_escape(creator)}</dc:creator>"]
        if title:
            props.append(f"<dc:title>{_escape(title)}</dc:title>")
        props += [f'<dcterms:{name} xsi:type="dcterms:W3CDTF">{created}</dcterms:{name}>' for name in ("created", "modified")]
        core = (_DECL + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
                'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
                'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">' + "".join(props) + "</cp:coreProperties>")
        workbook = (_DECL + f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><workbookPr/>'
                    '<bookViews><workbookView activeTab="0"/></bookViews>'
                    f'<sheets><sheet name="{_attr(self.name)}" sheetId="1" r:id="rId1"/></sheets>'
                    '<calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>')
        members = (("[Content_Types].xml", _CONTENT_TYPES), ("_rels/.rels", _ROOT_RELS), ("docProps/app.xml", _APP),
                   ("docProps/core.xml", core), ("xl/workbook.xml", workbook), ("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS),
                   ("xl/styles.xml", styles), ("xl/worksheets/sheet1.xml", self._sheet_xml(xfs)))
        writer = _ZipWriter(Path(path))
        try:
            for name, text in members:
                writer.write_member(name, _deflate(name, text.encode("utf-8")))
        finally:
            writer.close()


def _number(value: float | int) -> str:
    """A number as Python writes it (``repr`` of a float: the shortest text that reads back as the same float)."""
    return repr(float(value)) if isinstance(value, float) else str(int(value))

"""Saving DOCX and XLSX packages quickly and reproducibly: large parts are compressed once per process.

A DOCX is a ZIP archive of XML parts.  Every document python-docx creates
carries the same default styles (``word/styles.xml``, about 350 kB, and
``word/stylesWithEffects.xml``, about 440 kB) and theme; compressing them
again for every table was most of the time of saving it.  :func:`save_docx`
writes the same parts, in the same order and with the same (deflate, level 6)
compression as ``Document.save``, but keeps the compressed bytes of each
large part and reuses them when the next document holds the identical part
(compared by SHA-256 of its bytes).  Every member is dated 1980-01-01, so a
table gives the same DOCX bytes on every run.

When the installed python-docx does not have the package-writer helpers this
relies on, the document is saved by ``Document.save``.  A table's DOCX is
built by :mod:`spinestats.reports.table_docx`, which writes its members
through the same writer.  :func:`save_xlsx` does the same for an openpyxl
workbook: openpyxl's own parts and member order, with the workbook's fixed
dates.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from pathlib import Path
from typing import Any

#: parts at least this large are compressed once and reused (the default styles and theme)
CACHE_MIN_BYTES = 4096
_CACHE_MAX = 64
_DEFLATED: dict[tuple[str, bytes], tuple[int, bytes, int]] = {}

_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_END = struct.Struct("<IHHHHIIH")
_DOS_TIME, _DOS_DATE = 0, (0 << 9) | (1 << 5) | 1  # 1980-01-01 00:00:00, the earliest date ZIP can hold
_UNIX_RW = 0o600 << 16  # external attributes zipfile gives a member written from bytes


def _deflate(name: str, blob: bytes) -> tuple[int, bytes, int]:
    """A member's CRC-32, deflated bytes and size (large members compressed once, see the module docstring)."""
    key = (name, hashlib.sha256(blob).digest()) if len(blob) >= CACHE_MIN_BYTES else None
    if key is not None and key in _DEFLATED:
        return _DEFLATED[key]
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)  # zipfile's ZIP_DEFLATED default
    out = (zlib.crc32(blob), packer.compress(blob) + packer.flush(), len(blob))
    if key is not None:
        if len(_DEFLATED) >= _CACHE_MAX:
            _DEFLATED.clear()
        _DEFLATED[key] = out
    return out


class _ZipWriter:
    """The ``write(pack_uri, blob)`` / ``close()`` interface of python-docx's physical package writer."""

    def __init__(self, path: Path) -> None:
        self._file = open(path, "wb")  # noqa: SIM115 - closed in close()
        self._central: list[bytes] = []

    def write(self, pack_uri: Any, blob: bytes) -> None:
        self.write_member(pack_uri.membername, _deflate(pack_uri.membername, blob))

    def write_member(self, membername: str, packed: tuple[int, bytes, int]) -> None:
        """Write a member already deflated by :func:`_deflate` (its CRC, bytes and size)."""
        name = membername.encode("utf-8")
        flags = 0x800 if not name.isascii() else 0  # UTF-8 member name
        crc, data, size = packed
        offset = self._file.tell()
        self._file.write(_LOCAL.pack(0x04034B50, 20, flags, 8, _DOS_TIME, _DOS_DATE, crc, len(data), size,
                                     len(name), 0))
        self._file.write(name)
        self._file.write(data)
        self._central.append(_CENTRAL.pack(0x02014B50, (3 << 8) | 20, 20, flags, 8, _DOS_TIME, _DOS_DATE, crc,
                                           len(data), size, len(name), 0, 0, 0, 0, _UNIX_RW, offset) + name)

    def close(self) -> None:
        start = self._file.tell()
        for entry in self._central:
            self._file.write(entry)
        size = self._file.tell() - start
        n = len(self._central)
        self._file.write(_END.pack(0x06054B50, 0, 0, n, n, size, start, 0))
        self._file.close()


def save_docx(doc: Any, path: str | Path) -> None:
    """Write the python-docx ``doc`` to ``path`` (see the module docstring)."""
    try:
        from docx.opc.pkgwriter import PackageWriter

        package = doc.part.package
        steps: tuple[Any, ...] = (PackageWriter._write_content_types_stream, PackageWriter._write_pkg_rels,
                                  PackageWriter._write_parts)
    except (ImportError, AttributeError):  # pragma: no cover - a python-docx without these helpers
        doc.save(str(path))
        return
    for part in package.parts:
        part.before_marshal()
    writer = _ZipWriter(Path(path))
    try:
        steps[0](writer, package.parts)
        steps[1](writer, package.rels)
        steps[2](writer, package.parts)
    finally:
        writer.close()


class _Members:
    """The archive interface openpyxl's ExcelWriter writes to (``writestr``, ``write``, ``namelist``):
    the members in the order written."""

    def __init__(self) -> None:
        self.members: list[tuple[str, bytes]] = []

    def writestr(self, name: Any, data: str | bytes) -> None:
        self.members.append((str(name), data.encode("utf-8") if isinstance(data, str) else bytes(data)))

    def write(self, filename: str, arcname: str) -> None:
        self.members.append((arcname, Path(filename).read_bytes()))

    def namelist(self) -> list[str]:
        return [name for name, _ in self.members]

    def close(self) -> None:
        pass


def _writer_class(base: Any) -> Any:
    """openpyxl's ExcelWriter, writing each worksheet's XML into memory: openpyxl writes it to a named
    temporary file, reads it back and deletes it, which costs more than the sheet itself."""
    try:
        from io import BytesIO

        from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
        from openpyxl.worksheet._writer import WorksheetWriter
    except ImportError:  # pragma: no cover - an openpyxl without these modules: its own writer
        return base

    class InMemory(base):  # type: ignore[misc, valid-type]
        def write_worksheet(self, ws: Any) -> None:
            if self.workbook.write_only:  # pragma: no cover - spinestats writes ordinary workbooks
                return super().write_worksheet(ws)
            ws._drawing = SpreadsheetDrawing()
            ws._drawing.charts = ws._charts
            ws._drawing.images = ws._images
            writer = WorksheetWriter(ws, out=BytesIO())
            writer.write()
            ws._rels = writer._rels
            self._archive.writestr(ws.path[1:], writer.read())
            self.manifest.append(ws)

    return InMemory


def save_xlsx(workbook: Any, path: str | Path) -> None:
    """Write the openpyxl ``workbook`` to ``path``: the parts ``Workbook.save`` writes, in its order and
    with its compression, but keeping the workbook's own modification date (``save`` stamps the current
    time) and every member dated 1980-01-01, so a table gives the same XLSX bytes on every run; large
    parts (the theme) are compressed once per process.

    When the installed openpyxl does not have the writer this relies on, ``Workbook.save`` writes it.
    """
    try:
        from openpyxl.writer.excel import ExcelWriter
    except ImportError:  # pragma: no cover - an openpyxl without its ExcelWriter
        workbook.save(str(path))
        return
    archive = _Members()
    _writer_class(ExcelWriter)(workbook, archive).write_data()
    writer = _ZipWriter(Path(path))
    try:
        for name, blob in archive.members:
            writer.write_member(name, _deflate(name, blob))
    finally:
        writer.close()

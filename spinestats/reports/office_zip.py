"""Writing DOCX and XLSX packages quickly and reproducibly: large parts are compressed once per process.

A DOCX or XLSX is a ZIP archive of XML parts.  Every table's DOCX carries
the same default styles (``word/styles.xml``, about 350 kB, and
``word/stylesWithEffects.xml``, about 440 kB) and theme; compressing them
again for every table was most of the time of saving it.  :class:`_ZipWriter`
writes members with the same (deflate, level 6) compression as ``zipfile``,
and :func:`_deflate` keeps the compressed bytes of each large part and
reuses them when the next document holds the identical part (compared by
SHA-256 of its bytes).  Every member is dated 1980-01-01, so a table gives
the same bytes on every run.

A table's DOCX is built by :mod:`spinestats.reports.table_docx` and its XLSX
by :mod:`spinestats.reports.table_xlsx`; both write through this writer and
remove from untrusted text the characters XML cannot hold (:func:`xml_text`).
"""

from __future__ import annotations

import hashlib
import re
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
#: characters XML 1.0 does not allow: C0 controls other than tab, line feed and carriage return (the set openpyxl
#: refuses), lone surrogates, U+FFFE and U+FFFF
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot hold (an XML writer would refuse the whole part)."""
    return _NOT_XML.sub("", text)


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
        """python-docx's physical-writer call (the reference writer in the tests saves through it)."""
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

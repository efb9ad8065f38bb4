"""Font subsets kept on disk between runs, so that a PDF figure does not cost a font subset each time.

Every PDF figure embeds, for each font it uses, a subset of the font to the
glyphs it shows (:mod:`spinestats.reports.figure_files`).  Making a subset
means importing ``fontTools.subset`` and parsing the font file, and it is the
largest single cost of a short command that writes PDFs: in ``spinestats
dss`` about 0.3 s of CPU per run (the import and the first subsets of DejaVu
Sans and IPAexGothic).  The figures of a study show the same characters from
run to run, so the subsets repeat; they are kept here, one file each.

What a file holds and when it is used:

* A subset is found by its key: the font file (its real path, face, size and
  modification time), the glyph indices wanted, and the versions of fontTools
  and Matplotlib and the subsetting options (:data:`FORMAT`).  A font updated
  or a library upgraded gives another key, so an old subset is never used.
* The file holds the key, the glyph index map and the font bytes, behind a
  SHA-256 digest of them.  A file that is cut short, altered or holds another
  key is ignored (and made again), so what is read back is exactly what was
  stored: the PDF is byte for byte the one written without the cache (a test
  checks it).
* The folder is ``$SPINESTATS_CACHE_DIR/font-subsets``, by default
  ``~/.cache/spinestats`` (``$XDG_CACHE_HOME``, or ``%LOCALAPPDATA%`` on
  Windows); ``SPINESTATS_CACHE_DIR=`` (empty) turns the cache off.  It is
  created readable by its owner only, holds at most :data:`MAX_FILES` subsets
  (the least recently used go first) and can be deleted at any time.
* Besides the subsets of figures, each font's intermediate subset to the
  characters most figures show (``figure_files.COMMON_TEXT``) is kept: a run
  showing characters whose subsets are not stored yet (another study's
  numbers and labels) cuts them from it instead of parsing the whole font
  file again (about 25 ms per font face).
* A subset holds glyph outlines of a font, not text: no data of a study is
  written.  When the folder cannot be written (a read-only home, a full disk)
  the subsets are made in memory as before; the cache never stops a figure.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path

#: names the layout of the files and the subsetting options; change it when either changes
FORMAT = "spinestats-font-subset-1 lean-layout"
#: the environment variable naming the cache folder (empty: no cache)
CACHE_ENV = "SPINESTATS_CACHE_DIR"
#: subsets kept at most; beyond it the least recently used are deleted down to three quarters
MAX_FILES = 400
#: a cached subset larger than this is not read (a font subset is tens of kilobytes)
MAX_BYTES = 64 * 1024 * 1024

_MAGIC = b"spinestats font subset\n"
_SUFFIX = ".subset"


def folder() -> Path | None:
    """The folder of the cached subsets, or ``None`` when the cache is off."""
    base = os.environ.get(CACHE_ENV)
    if base is not None:
        return Path(base).expanduser() / "font-subsets" if base.strip() else None
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        root = Path(os.environ["LOCALAPPDATA"]) / "spinestats" / "Cache"
    elif os.environ.get("XDG_CACHE_HOME"):
        root = Path(os.environ["XDG_CACHE_HOME"]) / "spinestats"
    else:
        try:
            root = Path.home() / ".cache" / "spinestats"
        except (RuntimeError, KeyError, OSError):  # no home folder (a service account): no cache
            return None
    return root / "font-subsets"


def _versions() -> str:
    import fontTools
    import matplotlib

    return f"fontTools {getattr(fontTools, 'version', '?')}, Matplotlib {matplotlib.__version__}"


def key_of(path: str, face: int, glyphs: frozenset) -> str | None:
    """The key of the subset of the font file ``path`` (face ``face``) to ``glyphs`` (as JSON text),
    or ``None`` when the font is not a file that can be identified."""
    try:
        real = os.path.realpath(path)
        st = os.stat(real)
    except (OSError, TypeError, ValueError):
        return None
    return json.dumps([FORMAT, _versions(), real, int(face), st.st_size, st.st_mtime_ns,
                       sorted(int(g) for g in glyphs)], separators=(",", ":"))


def _file(where: Path, key: str) -> Path:
    return where / (hashlib.sha256(key.encode("utf-8")).hexdigest() + _SUFFIX)


def load(key: str | None) -> tuple[bytes, dict] | None:
    """(font bytes, glyph index map) stored under ``key``, or ``None`` (not stored, unreadable, damaged)."""
    where = folder()
    if key is None or where is None:
        return None
    path = _file(where, key)
    try:
        with open(path, "rb") as f:
            if os.fstat(f.fileno()).st_size > MAX_BYTES:
                return None
            raw = f.read()
    except OSError:
        return None
    head = len(_MAGIC) + 32
    if not raw.startswith(_MAGIC) or hashlib.sha256(raw[head:]).digest() != raw[len(_MAGIC):head]:
        return None
    body = raw[head:]
    try:
        key_end = body.index(b"\n")
        map_end = body.index(b"\n", key_end + 1)
        if body[:key_end].decode("utf-8") != key:
            return None
        pairs = json.loads(body[key_end + 1:map_end])
        index_map = {int(a): int(b) for a, b in pairs}
    except (ValueError, TypeError):
        return None
    try:
        os.utime(path)  # recently used: kept longest
    except OSError:
        pass
    return body[map_end + 1:], index_map


def store(key: str | None, data: bytes, index_map: dict) -> None:
    """Keep a subset under ``key`` (written whole or not at all; errors leave the cache as it was)."""
    where = folder()
    if key is None or where is None:
        return
    pairs = json.dumps(sorted((int(a), int(b)) for a, b in index_map.items()), separators=(",", ":"))
    body = key.encode("utf-8") + b"\n" + pairs.encode("ascii") + b"\n" + bytes(data)
    tmp = None
    try:
        where.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=where, prefix=".writing-", suffix=_SUFFIX)
        with os.fdopen(fd, "wb") as f:
            f.write(_MAGIC + hashlib.sha256(body).digest() + body)
        os.replace(tmp, _file(where, key))  # another process writing the same subset writes the same bytes
        tmp = None
        _prune(where)
    except OSError:
        pass
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def _prune(where: Path) -> None:
    """Delete the least recently used subsets when there are more than :data:`MAX_FILES`."""
    entries: list[tuple[float, str]] = []
    with os.scandir(where) as it:
        for e in it:
            if e.name.endswith(_SUFFIX) and not e.name.startswith("."):
                try:
                    entries.append((e.stat().st_mtime, e.path))
                except OSError:
                    pass
    if len(entries) <= MAX_FILES:
        return
    entries.sort()
    for _, p in entries[:len(entries) - MAX_FILES * 3 // 4]:
        try:
            os.unlink(p)
        except OSError:
            pass

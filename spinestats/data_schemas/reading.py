"""Reading an export file into a table of text cells, with line numbers.

Formats, chosen by the file's extension:

* ``.csv``/``.txt`` (delimiter sniffed from the header line: comma, tab or
  semicolon) and ``.tsv``/``.tab`` (tab);
* ``.xlsx``/``.xlsm`` (openpyxl; one chosen sheet, default the first);
* ``.parquet``/``.pq`` (pyarrow).

Encodings of text files: a declared encoding (``encoding=`` or the
mapping) is used as given.  Otherwise a UTF-8 byte-order mark means UTF-8
with BOM, a UTF-16 one UTF-16 (Excel's "Unicode text", tab-delimited); else
the bytes are decoded as UTF-8 and, if that fails, charset-normalizer
chooses between CP932 (the Japanese Windows superset of Shift-JIS, what
Japanese Excel writes) and Windows-1252 (Western Excel; Latin-1 text), see
:func:`detect`; an uncertain choice is a warning naming the encoding used.  Bytes that do not
decode raise :class:`~spinestats.errors.DataError` naming the line.

Limits (so that an untrusted file cannot exhaust memory or time; each
refusal is a :class:`~spinestats.errors.DataError` naming the file, the size
found and the limit):

* any input file: at most :func:`max_input_bytes` bytes (an eighth of the
  machine's memory, and never more than 2 GB), checked before it is read;
* XLSX: the workbook's parts may unpack to :data:`XLSX_MAX_UNPACKED` bytes
  (512 MB; a zip bomb is refused before anything is unpacked); a sheet's
  used range, as declared in its ``<dimension>`` or as found while
  streaming its XML, may span :data:`XLSX_MAX_CELLS` cells (5 million rows x
  columns), checked before any cell is built;
* XLSX formulas whose result was never stored (files written by scripts)
  are refused, naming the cells: "open and save the file in Excel".

Line numbers are the lines a spreadsheet or text editor shows: leading lines
starting with ``#`` are comments (skipped but counted), the next line is the
header, and data rows follow.  With the header on line 2 the first data row
is line 3.  Blank lines are skipped and counted.  A quoted cell that spans
several physical lines is one row, as a spreadsheet shows it, so the rows
after it keep their spreadsheet row numbers (a text editor's line numbers
run ahead of them by the extra lines).

A UTF-8 CSV larger than :data:`LARGE_CSV_BYTES` is parsed by pyarrow a chunk
at a time, each column dictionary-encoded as it is parsed, so the file's text
is never held whole (:func:`_read_large`); a file that reader declines (not
UTF-8, blank lines, ragged rows) goes through the exact reader (pandas' C
parser), which gives the same table and line numbers and names every problem.

Every cell comes back as text (``str``; empty string for an empty cell) so
that conversion, in :mod:`spinestats.data_schemas.conversion`, sees exactly
what the file holds.  Parquet columns keep their stored types.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import datetime as _dt
import hashlib
import io
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from spinestats.errors import DataError, SpinestatsError, UsageError
from spinestats.data_schemas.records import Problem

TEXT_SUFFIXES = (".csv", ".tsv", ".tab", ".txt")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
PARQUET_SUFFIXES = (".parquet", ".pq")
#: Above this size a UTF-8 CSV is parsed with pyarrow, a chunk at a time (:func:`_read_large`), instead
#: of pandas' C parser (the exact reader, which also reads every file the chunked reader declines).
#: (1 MB: from a few thousand rows on, the chunked reader takes half the time of the exact one.)
LARGE_CSV_BYTES = 1024 * 1024
_NON_SPACE = re.compile(r"\S")

#: ``pd.concat`` shares its columns' memory only when told to under pandas 2 (``copy=False``); pandas 3,
#: whose copy-on-write never copies there, deprecates the keyword
_SHARE = {"copy": False} if int(pd.__version__.split(".")[0]) < 3 else {}


def side_by_side(columns, **kwargs) -> pd.DataFrame:
    """``pd.concat(columns, axis=1)`` without copying the columns (nor consolidating same-type columns
    into 2-D blocks, which ``pd.DataFrame(dict)`` does: ~1 s and 0.2 GB at a million rows)."""
    return pd.concat(columns, axis=1, **_SHARE, **kwargs)


_ENCODING_ALIASES = {
    "utf8": "utf-8", "utf-8": "utf-8", "utf_8": "utf-8",
    "utf-8-sig": "utf-8-sig", "utf8-sig": "utf-8-sig", "utf_8_sig": "utf-8-sig",
    "cp932": "cp932", "ms932": "cp932", "windows-31j": "cp932", "mskanji": "cp932",
    "shift_jis": "shift_jis", "shift-jis": "shift_jis", "sjis": "shift_jis", "s-jis": "shift_jis",
    "utf-16": "utf-16", "utf16": "utf-16",
}


@dataclasses.dataclass(frozen=True)
class RawTable:
    """A file's cells before any conversion.

    ``frame`` has the file's own column names (``str``), text cells, and is
    indexed by spreadsheet line number.  ``duplicate_columns`` lists header
    names that occur more than once (later copies are renamed ``name.1``...).
    """

    frame: pd.DataFrame
    file: str
    sha256: str
    encoding: str | None
    sheet: str | None
    format: str
    header_line: int
    duplicate_columns: tuple[str, ...] = ()
    blank_rows: int = 0  # records whose every cell is empty (",,,"): not data, counted here
    notes: tuple[Problem, ...] = ()  # warnings about the reading itself (an uncertain encoding)
    synthetic: bool = False  # the first line is the ``# SYNTHETIC DATA`` marker of the bundled examples


#: the first line of every bundled synthetic example (CSV/TSV line, or XLSX cell A1)
SYNTHETIC_MARKER = "# SYNTHETIC DATA"


def is_synthetic(first_line: str) -> bool:
    """Whether a file's first line (comments included) is the synthetic-data marker."""
    return first_line.lstrip("\ufeff").startswith(SYNTHETIC_MARKER)


#: ceiling of :func:`max_input_bytes`
MAX_INPUT_BYTES = 2 * 1024 ** 3


def max_input_bytes() -> int:
    """Largest input file read: an eighth of the machine's memory, at most :data:`MAX_INPUT_BYTES`."""
    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not reported (e.g. Windows): the ceiling alone
        return MAX_INPUT_BYTES
    return int(min(MAX_INPUT_BYTES, ram // 8)) if ram > 0 else MAX_INPUT_BYTES


def _check_size(p: Path, file: str) -> None:
    size, limit = p.stat().st_size, max_input_bytes()
    if size > limit:
        mb = 1024 * 1024
        q = Problem(file, None, None, f"{size / mb:,.0f} MB", "file too large",
                    f"a file of at most {limit / mb:,.0f} MB on this machine")
        raise DataError(
            f"{file}: {size / mb:,.0f} MB ({size:,} bytes); this machine reads input files up to "
            f"{limit / mb:,.0f} MB (an eighth of its memory, at most {MAX_INPUT_BYTES // mb:,} MB). Split the "
            "export (e.g. by centre or year) or keep only the columns the analysis needs.", (q,))


def out_of_memory(path: str | os.PathLike[str]) -> DataError:
    """The error for a file that passed the size check but did not fit in the memory left (other
    programs hold it): names the file's size and the limit, never a ``MemoryError`` traceback."""
    p = Path(path)
    try:
        size = p.stat().st_size
    except OSError:
        size = 0
    mb, limit = 1024 * 1024, max_input_bytes()
    q = Problem(p.name, None, None, f"{size / mb:,.0f} MB", "out of memory",
                f"a file this machine can hold in memory (input files up to {limit / mb:,.0f} MB are accepted, "
                "when the memory is free)")
    return DataError(
        f"{p.name}: {size / mb:,.0f} MB ({size:,} bytes); the machine ran out of memory while reading and "
        f"checking it (input files are accepted up to {limit / mb:,.0f} MB, an eighth of its memory, when that "
        "memory is free). Close other programs, or split the export (e.g. by centre or year) or keep only the "
        "columns the analysis needs.", (q,))


def file_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def normalise_encoding(name: str) -> str:
    """Canonical codec name for a declared encoding; UsageError when unknown."""
    key = name.strip().lower()
    if key in _ENCODING_ALIASES:
        return _ENCODING_ALIASES[key]
    try:
        return io.TextIOWrapper(io.BytesIO(b""), encoding=key).encoding
    except LookupError:
        raise UsageError(
            f"Unknown encoding {name!r}; expected e.g. utf-8, utf-8-sig or cp932 (Shift-JIS)."
        ) from None


def _line_of_offset(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def decode(data: bytes, file: str, encoding: str | None) -> tuple[str, str]:
    """Decode ``data``; returns ``(text, encoding used)``.

    Raises DataError naming the first undecodable line when the bytes do not
    decode in the declared (or any detected) encoding.
    """
    if encoding is not None:
        enc = normalise_encoding(encoding)
        try:
            text = data.decode(enc)
        except UnicodeDecodeError as exc:
            line = _line_of_offset(data, exc.start)
            bad = data[exc.start:exc.start + 4]
            hint = ""
            if enc.startswith("utf"):
                try:
                    data.decode("cp932")
                    hint = " The file decodes as CP932 (Shift-JIS): try --encoding cp932."
                except UnicodeDecodeError:
                    pass
            elif enc in ("cp932", "shift_jis"):
                try:
                    data.decode("utf-8")
                    hint = " The file decodes as UTF-8: try --encoding utf-8."
                except UnicodeDecodeError:
                    pass
            problem = Problem(file, line, None, repr(bad), "encoding",
                              f"text in the declared encoding {enc}.{hint}")
            raise DataError(f"{file}, line {line}: bytes {bad!r} are not valid {enc}.{hint}",
                            (problem,)) from None
        if enc == "utf-8" and text.startswith("\ufeff"):
            text, enc = text[1:], "utf-8-sig"
        return text, enc
    text, enc, _ = detect(data, file)
    return text, enc


#: Encodings detection chooses among when a file is neither UTF-8 nor marked by a BOM: the Japanese
#: Windows code page (what Japanese Excel writes) and the Western one (a superset of Latin-1's text).
DETECTED_ENCODINGS = ("cp932", "cp1252")
_JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff\uff01-\uff5e]")


def detect(data: bytes, file: str) -> tuple[str, str, Problem | None]:
    """Decode undeclared bytes: ``(text, encoding, warning or None)``.

    BOMs decide first (UTF-8, UTF-16), then strict UTF-8.  Otherwise
    charset-normalizer ranks :data:`DETECTED_ENCODINGS` (UTF-16 without BOM
    too when the bytes hold NULs) and drops chaotic decodings: a Latin-1
    file is no longer read as CP932 mojibake.  Among decodings that survive,
    CP932 is preferred when it gives Japanese text (the tool's usual
    registry), else the best ranked.  When more than one survives the choice
    is uncertain and the warning says which encoding was used and how to
    declare another.  Nothing decodes: DataError naming the first bad line.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return (*decode(data, file, "utf-8-sig"), None)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text" export is UTF-16 with BOM
        return (*decode(data, file, "utf-16"), None)
    try:
        return data.decode("utf-8"), "utf-8", None
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    import charset_normalizer

    isolation = list(DETECTED_ENCODINGS) + (["utf_16_le", "utf_16_be"] if b"\x00" in data[:4096] else [])
    matches = charset_normalizer.from_bytes(data, cp_isolation=isolation)
    names = [codecs.lookup(m.encoding).name for m in matches]
    if names:
        ja = [n for n, m in zip(names, matches) if n == "cp932" and _JAPANESE.search(str(m))]
        enc = ja[0] if ja else names[0]
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:  # pragma: no cover - charset-normalizer decoded it already
            text = None
        if text is not None:
            note = None
            others = [n for n in dict.fromkeys(names) if n != enc]
            if others:
                note = Problem(file, None, None, enc, "encoding detected",
                               f"a declared encoding: the file is not UTF-8 and was read as {enc} (detected); it "
                               f"also decodes as {', '.join(others)}. If its text looks wrong, declare the "
                               "encoding with --encoding or 'encoding:' in the mapping", severity="warning")
            return text, enc, note
    line = _line_of_offset(data, first_bad)
    bad = data[first_bad:first_bad + 4]
    problem = Problem(file, line, None, repr(bad), "encoding",
                      "UTF-8, UTF-8 with BOM, UTF-16, CP932 (Shift-JIS) or Windows-1252/Latin-1 text; declare "
                      "the encoding with --encoding or 'encoding:' in the mapping")
    raise DataError(
        f"{file}, line {line}: bytes {bad!r} are not UTF-8, and no other encoding spinestats detects "
        "(CP932/Shift-JIS, Windows-1252/Latin-1) reads the file as text. "
        "Declare the file's encoding with --encoding (or 'encoding:' in the mapping).",
        (problem,),
    )


def _sniff_delimiter(header: str, suffix: str) -> str:
    if suffix in (".tsv", ".tab"):
        return "\t"
    counts = {d: header.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def _dedupe(names: list[str]) -> tuple[list[str], tuple[str, ...]]:
    seen: dict[str, int] = {}
    out, dups = [], []
    for n in names:
        if n in seen:
            seen[n] += 1
            dups.append(n)
            out.append(f"{n}.{seen[n]}")
        else:
            seen[n] = 0
            out.append(n)
    return out, tuple(dict.fromkeys(dups))


def _empty(file: str, what: str) -> DataError:
    p = Problem(file, None, None, None, "empty file", f"a header line and at least one data row ({what})")
    return DataError(f"{file}: {what}; expected a header line and at least one data row.", (p,))


def _head_lines(text: str) -> tuple[int, str | None, int]:
    """(comment/blank lines before the header, the header line, offset just after it)."""
    pos, skipped = 0, 0
    while pos < len(text):
        end = text.find("\n", pos)
        end = len(text) if end < 0 else end
        line = text[pos:end].rstrip("\r")
        if line.startswith("#") or not line.strip():
            skipped += 1
            pos = end + 1
            continue
        return skipped, line, end + 1
    return skipped, None, len(text)


def _read_text(data: bytes, file: str, suffix: str, encoding: str | None,
               delimiter: str | None) -> RawTable:
    if encoding is not None:
        text, enc = decode(data, file, encoding)
        note = None
    else:
        text, enc, note = detect(data, file)
    if "\r" in text and "\n" not in text:  # classic Mac line ends: one record per CR
        text = text.replace("\r", "\n")
    n_comment, header_text, after = _head_lines(text)
    if header_text is None:
        raise _empty(file, "the file is empty" if not text.strip() else "the file holds only comment lines")
    header_line = n_comment + 1
    sep = delimiter or _sniff_delimiter(header_text, suffix)
    try:
        header = next(csv.reader([header_text], delimiter=sep))
    except csv.Error as exc:
        p = Problem(file, n_comment + 1, None, header_text[:60], "header", "a header line of column names")
        raise DataError(f"{file}, line {n_comment + 1}: the header cannot be read ({exc}).", (p,)) from None
    header = [h.strip() for h in header]
    names, dups = _dedupe(header)
    if _NON_SPACE.search(text, after) is None:  # (no copy of the body, unlike text[after:].strip())
        raise _empty(file, f"the file has a header (line {header_line}) but no data rows")
    ncol = len(names)
    try:
        frame = pd.read_csv(
            io.StringIO(text), sep=sep, header=None, names=list(range(ncol)), skiprows=header_line,
            dtype=object, keep_default_na=False, na_filter=False, skip_blank_lines=False,
            engine="c", quoting=csv.QUOTE_MINIMAL, index_col=False,
        )
    except (pd.errors.ParserError, ValueError, csv.Error) as exc:
        raise _shape_error(text, file, sep, ncol, header_line, exc) from None
    frame.columns = names
    blank = np.ones(len(frame), dtype=bool)
    for c in frame.columns:  # records whose every cell is empty (",,,") are not data
        blank &= (frame[c] == "").to_numpy()
    frame, n_blank = _numbered(frame, header_line, blank, file)
    return RawTable(frame, file, "", enc, None, "tsv" if sep == "\t" else "csv", header_line, dups, n_blank,
                    (note,) if note else (), synthetic=n_comment > 0 and is_synthetic(text[:200]))


def _numbered(frame: pd.DataFrame, header_line: int, blank: np.ndarray, file: str) -> tuple[pd.DataFrame, int]:
    """``frame`` indexed by spreadsheet line, without its all-empty records; and how many those were."""
    frame.index = pd.RangeIndex(header_line + 1, header_line + 1 + len(frame), name="line")
    n_blank = int(blank.sum())
    if n_blank:
        frame = frame.loc[~blank]
    if len(frame) == 0:
        raise _empty(file, f"the file has a header (line {header_line}) but no data rows")
    return frame, n_blank


#: how many ragged rows a shape error lists (all are counted)
SHAPE_PROBLEMS_LISTED = 1000


def _shape_error(text: str, file: str, sep: str, ncol: int, header_line: int, exc: Exception) -> DataError:
    """The rows whose cell count differs from the header's, each with its line and extra cells.

    Only run when the fast parser has refused the file, so its cost does not matter.
    """
    problems: list[Problem] = []
    n_bad = 0
    reader = csv.reader(io.StringIO(text), delimiter=sep)
    last = 0
    try:
        for record in reader:
            start, last = last + 1, reader.line_num
            if start <= header_line or len(record) <= ncol:
                continue
            n_bad += 1
            if len(problems) < SHAPE_PROBLEMS_LISTED:
                extra = record[ncol:]
                shown = sep.join(extra)
                shown = shown if len(shown) <= 60 else shown[:57] + "..."
                hint = ("; the extra cells are empty: delete the columns beyond the header" if not "".join(extra).strip()
                        else "; a cell holding the delimiter needs quotes, or the header lacks a column name")
                problems.append(Problem(file, start, None, shown, "table shape",
                                        f"{ncol} cells as in the header (line {header_line}); this row has "
                                        f"{len(record)}{hint}"))
    except csv.Error as err:  # e.g. a NUL byte or an unterminated quote
        problems.append(Problem(file, last + 1, None, None, "table shape", f"text a CSV reader accepts ({err})"))
        n_bad += 1
    if not problems:
        p = Problem(file, None, None, None, "table shape", f"{ncol} columns as in the header (line {header_line})")
        return DataError(f"{file}: cannot be read as a table with {ncol} columns "
                         f"(header on line {header_line}): {exc}", (p,))
    shown = "\n".join("  " + p.message() for p in problems[:20])
    more = f"\n  ... and {n_bad - 20} more" if n_bad > 20 else ""
    return DataError(f"{file}: {n_bad} row{'s' if n_bad != 1 else ''} with more cells than the header's {ncol} "
                     f"columns (header on line {header_line}):\n{shown}{more}", tuple(problems))


#: bytes of a large text file parsed at a time (memory: a few times this, not the whole file's text)
CHUNK_BYTES = 8 * 1024 * 1024
_UTF8 = ("utf-8", "utf-8-sig")


class _Declined(Exception):
    """The file is not for the chunked reader (not UTF-8, a blank line): the exact reader reads it."""


class _OnePass:
    """One read of a text file: its SHA-256, a UTF-8 check and the body in pieces for the parser.

    :meth:`pieces` yields the bytes from ``start`` in pieces of about :data:`CHUNK_BYTES` ending at a
    line end (views, not copies), and raises :class:`_Declined` at bytes that are not UTF-8 or at
    classic Mac line ends.  Blank lines are not looked for in this pass: pyarrow parses one as a
    record whose every cell is empty, and only when such a record is found does :func:`_blank_line`
    read the file again to tell a blank line (declined: the exact reader counts it) from a record of
    empty cells (``,,,``, as Excel writes below a table).  From the first piece holding a quote on,
    the rest of the file is one piece (``quoted`` is then set: a line end may lie inside a quoted cell).
    """

    def __init__(self, p: Path, start: int) -> None:
        self.p, self.start = p, start
        self.hash = hashlib.sha256()
        self.quoted = self.cr = self.lf = False

    def _check(self, buf, dec) -> None:
        """Hash ``buf`` (bytes or a view) and check that it continues valid UTF-8."""
        self.hash.update(buf)
        if len(buf) and int(np.frombuffer(buf, dtype=np.uint8).max()) >= 0x80:  # not ASCII: decoded
            try:
                dec.decode(buf)
            except UnicodeDecodeError:
                raise _Declined from None

    def pieces(self):
        """The body in pieces, each a view of a window of the file mapped into memory (no copy of the
        text is made: a window is unmapped once its piece has been parsed)."""
        import mmap

        dec = codecs.getincrementaldecoder("utf-8")()
        grain = mmap.ALLOCATIONGRANULARITY
        with open(self.p, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            self._check(f.read(self.start), dec)  # the comment lines and the header
            pos = self.start
            while pos < size:
                base = pos - pos % grain
                end = min(size, pos + CHUNK_BYTES)
                while True:
                    try:
                        mm = mmap.mmap(f.fileno(), end - base, offset=base, access=mmap.ACCESS_READ)
                    except (OSError, ValueError):  # a file that cannot be mapped: the exact reader
                        raise _Declined from None
                    if not self.quoted and mm.find(b'"', pos - base) >= 0:
                        self.quoted = True  # the rest in one piece: a quoted cell may hold line ends
                        if end < size:
                            mm.close()
                            end = size
                            continue
                    cut = end - base if end == size else mm.rfind(b"\n", pos - base) + 1
                    if cut > pos - base:
                        break
                    mm.close()  # no line end in the window (a line longer than a piece): a larger one
                    end = min(size, end + CHUNK_BYTES)
                self.cr = self.cr or mm.find(b"\r", pos - base, cut) >= 0
                self.lf = self.lf or mm.find(b"\n", pos - base, cut) >= 0
                view = memoryview(mm)[pos - base:cut]
                try:
                    self._check(view, dec)
                    yield view
                finally:
                    try:
                        view.release()
                        mm.close()
                    except BufferError:  # pragma: no cover - a view of the text is still held: unmapped when freed
                        pass
                pos = base + cut
        try:
            dec.decode(b"", final=True)
        except UnicodeDecodeError:
            raise _Declined from None
        if self.cr and not self.lf:  # classic Mac line ends
            raise _Declined


def _blank_line(p: Path) -> bool:
    """Whether the file holds a blank line (LF or CRLF line ends), looking across piece boundaries."""
    tail = b""
    with open(p, "rb") as f:
        while True:
            buf = f.read(CHUNK_BYTES)
            if not buf:
                return False
            edge = tail + buf[:2]
            if b"\n\n" in buf or b"\n\r\n" in buf or b"\n\n" in edge or b"\n\r\n" in edge:
                return True
            tail = buf[-2:]


def _int_type(top: int) -> type:
    """The smallest integer type holding dictionary codes up to ``top``."""
    return np.int8 if top < 127 else np.int16 if top < 32767 else np.int32


def _small(codes: np.ndarray) -> np.ndarray:
    """Dictionary codes in the smallest integer type that holds them (a tenth of the memory of int32
    for a yes/no column)."""
    return codes.astype(_int_type(int(codes.max()) if codes.size else 0), copy=False)


def _categorical(codes: np.ndarray, categories: np.ndarray) -> pd.Categorical:
    """A categorical column from a dictionary encoding, whose categories are distinct texts by
    construction (pandas would hash a million IDs again to check that)."""
    index = pd.Index(categories, dtype=object)
    try:
        # distinct and never missing by construction: what pandas' checks would find, without hashing
        index._cache.update(is_unique=True, hasnans=False)  # type: ignore[attr-defined]
        dtype = pd.CategoricalDtype._from_fastpath(index, False)  # type: ignore[attr-defined]
        return pd.Categorical.from_codes(codes, dtype=dtype, validate=False)
    except (AttributeError, TypeError):  # pragma: no cover - a pandas without the fast path
        return pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(index))


def _all_distinct(parts: list, pool) -> bool:
    """Whether the text arrays ``parts`` hold no text twice: when they are in strictly increasing
    order (IDs numbered with leading zeros, as exports usually list them) one pass says so;
    otherwise they are sorted and no two neighbours may be equal."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n = sum(len(a) for a in parts)
    if n < 2:
        return True
    texts = pa.chunked_array(parts, type=pa.string()).combine_chunks(memory_pool=pool)
    if pc.all(pc.less(texts.slice(0, n - 1), texts.slice(1), memory_pool=pool)).as_py():
        return True
    ordered = texts.take(pc.sort_indices(texts, memory_pool=pool))
    return not pc.any(pc.equal(ordered.slice(1), ordered.slice(0, n - 1), memory_pool=pool)).as_py()


class _Column:
    """One column of the chunked reader: its pieces, dictionary-encoded as they are parsed (or, for
    mostly distinct texts such as IDs, kept as text and encoded once at the end)."""

    def __init__(self) -> None:
        self.high: bool | None = None
        self.parts: list = []
        self.rows = 0

    def add(self, cells, pool) -> None:
        import pyarrow.compute as pc

        if cells.num_chunks != 1:
            cells = cells.combine_chunks(memory_pool=pool)
        else:
            cells = cells.chunk(0)
        enc = None
        if self.high is None:  # mostly distinct texts (IDs): kept as text, encoded once at the end
            # (the first piece's encoding tells: it is kept when the texts repeat, and hashing the
            # piece once more to count its distinct texts would cost as much again)
            enc = pc.dictionary_encode(cells, memory_pool=pool)
            self.high = len(enc.dictionary) > len(cells) // 2
        self.rows += len(cells)
        if self.high:
            self.parts.append(cells)
        else:
            if enc is None:
                enc = pc.dictionary_encode(cells, memory_pool=pool)
            # the codes of the piece in the smallest type at once (not int32 views holding pyarrow's buffers)
            codes = enc.indices.to_numpy(zero_copy_only=False).astype(_int_type(len(enc.dictionary)))
            self.parts.append((codes, enc.dictionary))

    def finish(self, pool) -> tuple[np.ndarray, np.ndarray]:
        """(codes, categories): codes in the smallest integer type, categories distinct texts."""
        import pyarrow as pa
        import pyarrow.compute as pc

        parts, self.parts = self.parts, []
        if self.high and _all_distinct(parts, pool):
            # every text distinct (IDs): the encoding is the texts in order, codes 0, 1, 2... (what
            # dictionary_encode gives, found by sorting: a third of the time of hashing)
            dictionary = pa.concat_arrays(parts, memory_pool=pool) if parts else pa.array([], pa.string())
            del parts
            codes = np.arange(len(dictionary), dtype=_int_type(len(dictionary)))
        elif self.high:
            enc = pc.dictionary_encode(pa.chunked_array(parts, type=pa.string()), memory_pool=pool)
            del parts
            dictionary = enc.chunk(0).dictionary if enc.num_chunks else pa.array([], pa.string())
            codes = np.empty(self.rows, dtype=_int_type(len(dictionary)))
            pos = 0
            for chunk in enc.iterchunks():
                codes[pos:pos + len(chunk)] = chunk.indices.to_numpy(zero_copy_only=False)
                pos += len(chunk)
            del enc
        elif len(parts) == 1:
            codes, dictionary = _small(parts[0][0]), parts[0][1]
        else:
            merged = pc.dictionary_encode(pa.concat_arrays([d for _, d in parts], memory_pool=pool), memory_pool=pool)
            dictionary = merged.dictionary
            to_global = merged.indices.to_numpy(zero_copy_only=False).astype(_int_type(len(dictionary)))
            codes = np.empty(self.rows, dtype=to_global.dtype)
            pos = at = 0
            for idx, d in parts:
                # (mode "clip": the codes are in range, and "raise" would copy ``out`` twice)
                np.take(to_global[at:at + len(d)], idx, out=codes[pos:pos + len(idx)], mode="clip")
                pos, at = pos + len(idx), at + len(d)
            del merged, to_global
        return codes, dictionary.to_numpy(zero_copy_only=False)


def _read_large(p: Path, file: str, suffix: str, encoding: str | None, delimiter: str | None) -> RawTable | None:
    """A large UTF-8 CSV parsed by pyarrow a chunk at a time, each column dictionary-encoded as it
    is parsed: the file's text is never held whole (peak memory a few chunks, not the file).

    Line numbers are those of the exact reader (a record is one spreadsheet row): the file must
    have no blank line (the exact reader counts it as a record), and a file with quotes,
    where a cell may span lines, is parsed in one piece with quoted line ends allowed, so a
    multi-line cell is one row and does not shift the numbers of the rows after it.
    ``None`` when the file does not qualify (not UTF-8, blank lines, ragged rows...): the exact
    reader then reads it and reports what it finds.
    """
    if encoding is not None and normalise_encoding(encoding) not in _UTF8:
        return None
    import pyarrow as pa
    import pyarrow.csv as pacsv

    with open(p, "rb") as f:
        head = f.read(1 << 20)
    bom = head.startswith(b"\xef\xbb\xbf")
    text = head[3 if bom else 0:].decode("utf-8", errors="replace")
    n_comment, header_text, after = _head_lines(text)
    if header_text is None or '"' in header_text or after >= len(text) or "\ufffd" in text[:after]:
        return None  # a quoted or missing header, or a header filling the first MB: the exact reader
    header_line = n_comment + 1
    sep = delimiter or _sniff_delimiter(header_text, suffix)
    header = next(csv.reader([header_text], delimiter=sep))
    names, dups = _dedupe([h.strip() for h in header])
    ncol = len(names)
    keys = [str(i) for i in range(ncol)]
    # one thread: the pieces are parsed one after another, and on a busy machine pyarrow's threads
    # cost more CPU time than they save
    read = pacsv.ReadOptions(column_names=keys, block_size=1 << 22, use_threads=False)
    convert = pacsv.ConvertOptions(column_types={k: pa.string() for k in keys}, strings_can_be_null=False,
                                   quoted_strings_can_be_null=False)
    one = _OnePass(p, (3 if bom else 0) + len(text[:after].encode("utf-8")))
    cols = [_Column() for _ in keys]
    pool = pa.default_memory_pool()
    n = 0
    try:
        for piece in one.pieces():
            parse = pacsv.ParseOptions(delimiter=sep, newlines_in_values=one.quoted, ignore_empty_lines=False)
            table = pacsv.read_csv(pa.py_buffer(piece), read_options=read, parse_options=parse,
                                   convert_options=convert, memory_pool=pool)
            del piece
            n += table.num_rows
            for i, col in enumerate(cols):
                col.add(table.column(i), pool)
            del table
    except (pa.ArrowInvalid, ValueError, _Declined):
        return None  # ragged rows, a stray quote, not UTF-8: the exact reader names them
    digest = one.hash.hexdigest()
    if n == 0:
        return None
    columns = {}
    blank = np.ones(n, dtype=bool)
    for i, col in enumerate(cols):
        codes, categories = col.finish(pool)
        empty = np.flatnonzero(categories == "")
        if empty.size and blank.any():
            blank &= codes == empty[0]
        else:
            blank[:] = False
        columns[names[i]] = _categorical(codes, categories)
    if blank.any() and _blank_line(p):  # the exact reader counts blank lines
        return None
    pool.release_unused()  # the pieces' memory goes back to the system before the checks allocate theirs
    frame, n_blank = _numbered(pd.DataFrame(columns, copy=False), header_line, blank, file)
    sig = bom or (encoding is not None and normalise_encoding(encoding) == "utf-8-sig")
    return RawTable(frame, file, digest, "utf-8-sig" if sig else "utf-8", None, "tsv" if sep == "\t" else "csv",
                    header_line, dups, n_blank, synthetic=n_comment > 0 and is_synthetic(text[:200]))


def _cell_text(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, _dt.datetime):
        return v.date().isoformat() if v.time() == _dt.time() else v.isoformat(sep=" ")
    if isinstance(v, _dt.date):
        return v.isoformat()
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    return str(v)


#: An XLSX sheet is read up to this many cells of its used range (rows x columns, as declared by
#: the sheet or as found): a 5 KB file can declare A1:XFD1048576 (17 thousand million cells).
XLSX_MAX_CELLS = 5_000_000
#: An XLSX workbook's parts may unpack to at most this many bytes in all (a zip bomb is refused).
XLSX_MAX_UNPACKED = 512 * 1024 * 1024


def _too_big_sheet(file: str, sheet: str, rows: int, cols: int, how: str) -> DataError:
    p = Problem(file, None, None, f"{rows:,} rows x {cols:,} columns", "sheet too large",
                f"at most {XLSX_MAX_CELLS:,} cells (rows x columns) in sheet {sheet!r}; delete the empty rows "
                "and columns beyond the data, or save the sheet as CSV")
    return DataError(
        f"{file}, sheet {sheet!r}: {how} {rows:,} rows x {cols:,} columns = {rows * cols:,} cells; an XLSX sheet "
        f"is read up to {XLSX_MAX_CELLS:,} cells. Delete the empty rows and columns beyond the data "
        "(select them, Delete, save), or save the sheet as CSV, which has no such limit.", (p,))


def _check_archive(path: Path, file: str) -> None:
    """Refuse a workbook whose zip parts unpack beyond :data:`XLSX_MAX_UNPACKED` (before any is unpacked)."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        p = Problem(file, None, None, None, "xlsx", "a readable .xlsx workbook")
        raise DataError(f"{file}: cannot be opened as an Excel workbook ({exc}).", (p,)) from None
    total = sum(i.file_size for i in infos)
    if total > XLSX_MAX_UNPACKED:
        mb = 1024 * 1024
        p = Problem(file, None, None, f"{total // mb:,} MB unpacked", "workbook too large",
                    f"an .xlsx whose parts unpack to at most {XLSX_MAX_UNPACKED // mb:,} MB (a zip bomb?); "
                    "save the sheet as CSV")
        raise DataError(
            f"{file}: the workbook's parts unpack to {total / mb:,.0f} MB ({path.stat().st_size:,} bytes packed); "
            f"an .xlsx is read up to {XLSX_MAX_UNPACKED // mb:,} MB unpacked. A damaged or hostile file (a "
            "'zip bomb'), or a workbook too large for Excel format: save the sheet as CSV.", (p,))


@dataclasses.dataclass
class _SheetScan:
    """What a streaming pass over a sheet's XML found, before any cell is built."""

    max_row: int = 0
    max_col: int = 0
    #: formula cells without a stored result: (row, column number, formula text)
    uncached: list = dataclasses.field(default_factory=list)


_COLUMNS: dict[str, int] = {}


def _column_number(ref: str) -> int:
    """Column number of a cell reference such as ``AB12`` (28)."""
    letters = ref.rstrip("0123456789").upper()
    n = _COLUMNS.get(letters)
    if n is None:
        n = 0
        for ch in letters:
            if not "A" <= ch <= "Z":
                raise ValueError(f"bad cell reference {ref!r}")
            n = n * 26 + ord(ch) - 64
        _COLUMNS[letters] = n
    return n


def _scan_sheet(path: Path, member: str, file: str, sheet: str) -> _SheetScan:
    """Stream the sheet XML once with expat (no tree is built): refuse a declared or actual used
    range over :data:`XLSX_MAX_CELLS` cells as soon as it is seen, and note formula cells that
    have no cached value.  A document type declaration (never in a real workbook) is refused."""
    import zipfile
    from xml.parsers import expat

    from openpyxl.utils.cell import range_boundaries

    scan = _SheetScan()
    st = {"row": 0, "col": 0, "in": None, "f": None, "v": None, "t": None}

    def start(name: str, attrs: dict) -> None:
        tag = name.rpartition(":")[2]
        if tag == "c":
            ref = attrs.get("r")
            st["col"] = _column_number(ref) if ref else st["col"] + 1
            st["f"], st["v"], st["t"] = None, None, attrs.get("t")
        elif tag == "row":
            r = attrs.get("r")
            st["row"] = int(r) if r else st["row"] + 1
            st["col"] = 0
        elif tag == "f":
            st["in"], st["f"] = "f", ""
        elif tag == "v":
            st["in"], st["v"] = "v", ""
        elif tag == "dimension":
            ref = attrs.get("ref") or ""
            try:
                c0, r0, c1, r1 = range_boundaries(ref.upper()) if ":" in ref else (1, 1, 1, 1)
            except (ValueError, TypeError):
                return  # an unreadable declaration: the streaming count still applies
            rows, cols = (r1 or 1) - (r0 or 1) + 1, (c1 or 1) - (c0 or 1) + 1
            if rows * cols > XLSX_MAX_CELLS:
                raise _too_big_sheet(file, sheet, rows, cols, f"its declared range {ref} spans")

    def end(name: str) -> None:
        tag = name.rpartition(":")[2]
        if tag == "c":
            scan.max_col = max(scan.max_col, st["col"])
            # an empty <v/> is a stored empty text only for a text result (t="str")
            if st["f"] is not None and (st["v"] is None or (not st["v"] and st["t"] != "str")):
                scan.uncached.append((st["row"], st["col"], st["f"].strip()))
        elif tag == "row":
            scan.max_row = max(scan.max_row, st["row"])
            if scan.max_row * max(scan.max_col, 1) > XLSX_MAX_CELLS:
                raise _too_big_sheet(file, sheet, scan.max_row, max(scan.max_col, 1), "it holds at least")
        elif tag in ("f", "v"):
            st["in"] = None

    def text(data: str) -> None:
        if st["in"] is not None:
            st[st["in"]] += data

    def doctype(*_args) -> None:
        raise ValueError("a document type declaration, which a workbook never has")

    parser = expat.ParserCreate()
    parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, text
    parser.StartDoctypeDeclHandler = doctype
    try:
        with zipfile.ZipFile(path) as zf, zf.open(member) as src:
            parser.ParseFile(src)
    except SpinestatsError:
        raise
    except (expat.ExpatError, ValueError, KeyError, zipfile.BadZipFile, OSError, EOFError) as exc:
        p = Problem(file, None, None, None, "xlsx", f"a readable .xlsx workbook (sheet {sheet!r}: {exc})")
        raise DataError(f"{file}, sheet {sheet!r}: the sheet cannot be read ({exc}).", (p,)) from None
    return scan


def _uncached_error(file: str, sheet: str, scan: _SheetScan, names: dict[int, str]) -> DataError:
    from openpyxl.utils.cell import get_column_letter

    expected = ("a value: the cell holds a formula whose result was never saved (files written by scripts "
                "often store only the formula); open and save the file in Excel or LibreOffice so that the "
                "results are stored, then run again")
    problems = [Problem(file, r, names.get(c, get_column_letter(c)), f"={f}", "formula without a value", expected)
                for r, c, f in scan.uncached]
    shown = "\n".join("  " + p.message() for p in problems[:20])
    more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
    return DataError(
        f"{file}, sheet {sheet!r}: {len(problems)} formula cell{'s' if len(problems) != 1 else ''} without a "
        "stored result. Open and save the file in Excel (or LibreOffice) so the results are stored, "
        f"then run again:\n{shown}{more}", tuple(problems))


def _read_xlsx(path: Path, file: str, sheet: str | None) -> RawTable:
    import openpyxl

    _check_archive(path, file)
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        p = Problem(file, None, None, None, "xlsx", f"a readable .xlsx workbook ({exc})")
        raise DataError(f"{file}: cannot be opened as an Excel workbook ({exc}).", (p,)) from None
    try:
        if sheet is None:
            if not wb.worksheets:
                raise _empty(file, "the workbook has no worksheet")
            ws = wb.worksheets[0]
        elif sheet in wb.sheetnames:
            ws = wb[sheet]
        else:
            raise UsageError(f"{file}: no sheet {sheet!r}; the workbook's sheets are: "
                             + ", ".join(repr(s) for s in wb.sheetnames) + ".")
        sheet_name = ws.title
        member = getattr(ws, "_worksheet_path", None)
        if member is None:  # a chart sheet has no cells
            raise _empty(file, f"sheet {sheet_name!r} holds no cells")
        scan = _scan_sheet(path, member, file, sheet_name)
        ws.reset_dimensions()  # the scan found the true used range; a wrong declaration cannot truncate it
        rows = []
        for i, row in enumerate(ws.iter_rows(max_col=scan.max_col or None, values_only=True), 1):
            if i > scan.max_row:
                break
            cells = [_cell_text(v) for v in row]
            if any(c.strip() for c in cells):
                rows.append((i, cells))
    except (SpinestatsError, MemoryError):
        raise
    except Exception as exc:  # openpyxl raises many types for a damaged sheet
        p = Problem(file, None, None, None, "xlsx", "a readable .xlsx workbook")
        raise DataError(f"{file}: the sheet cannot be read ({type(exc).__name__}: {exc}).", (p,)) from None
    finally:
        wb.close()
    synthetic = bool(rows) and is_synthetic(rows[0][1][0])
    while rows and rows[0][1][0].startswith("#"):
        rows.pop(0)
    if not rows:
        raise _empty(file, f"sheet {sheet_name!r} is empty")
    header_line, header = rows[0]
    while header and header[-1] == "":
        header.pop()
    names, dups = _dedupe([h.strip() for h in header])
    if scan.uncached:
        raise _uncached_error(file, sheet_name, scan, {j + 1: n for j, n in enumerate(names)})
    body = rows[1:]
    if not body:
        raise _empty(file, f"sheet {sheet_name!r} has a header (line {header_line}) but no data rows")
    ncol = len(names)
    cells = [(r + [""] * ncol)[:ncol] for _, r in body]
    extra = [(i, r[ncol:]) for i, r in body if any(c.strip() for c in r[ncol:])]
    if extra:
        i, _ = extra[0]
        p = Problem(file, i, None, None, "table shape", f"{ncol} columns as in the header")
        raise DataError(f"{file}, sheet {sheet_name!r}, line {i}: cells beyond the {ncol} header columns.", (p,))
    frame = pd.DataFrame(cells, columns=names, index=pd.Index([i for i, _ in body], name="line"), dtype=object)
    n_blank = (body[-1][0] - header_line) - len(body)  # empty spreadsheet rows between the records
    return RawTable(frame, file, "", None, sheet_name, "xlsx", header_line, dups, n_blank, synthetic=synthetic)


def _read_parquet(path: Path, file: str) -> RawTable:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        # text columns read as dictionaries (each distinct text made a Python string once, as the
        # chunked CSV reader does; the column's text is never held whole), a missing cell the empty
        # text as before
        texts = [f.name for f in pq.read_schema(path)
                 if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]
        frame = _parquet_by_column(path, texts)
        if frame is None:  # column names repeated: the whole table at once
            # one thread: on a busy machine pyarrow's threads cost more CPU time than they save
            table = _text_filled(pq.read_table(path, read_dictionary=texts, use_threads=False), texts)
            # each column's Arrow memory is freed as it is converted (the table is not used again)
            frame = table.to_pandas(split_blocks=True, self_destruct=True, use_threads=False)
            del table
        pa.default_memory_pool().release_unused()  # the file's decoded pages go back to the system
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError...
        p = Problem(file, None, None, None, "parquet", "a readable Parquet file")
        raise DataError(f"{file}: cannot be read as Parquet ({exc}).", (p,)) from None
    if frame.shape[1] == 0 or len(frame) == 0:
        raise _empty(file, "the Parquet file has no rows" if frame.shape[1] else "the Parquet file has no columns")
    names, dups = _dedupe([str(c).strip() for c in frame.columns])
    frame.columns = names
    frame.index = pd.RangeIndex(2, 2 + len(frame), name="line")
    for c in frame.columns:
        if frame[c].dtype == object:
            values = frame[c].to_numpy()
            text = _parquet_texts(values)
            if text is not values:
                frame[c] = pd.Series(text, index=frame.index, dtype=object)
    return RawTable(frame, file, "", None, None, "parquet", 1, dups)


def _text_filled(table, texts: list[str]):
    """``table`` with the missing cells of its dictionary text columns made the empty text."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for i, field in enumerate(table.schema):
        if field.name in texts and pa.types.is_dictionary(field.type) and table.column(i).null_count:
            filled = pc.fill_null(table.column(i).cast(field.type.value_type), "")
            table = table.set_column(i, field.name, pc.dictionary_encode(filled))
    return table


def _parquet_by_column(path: Path, texts: list[str]) -> pd.DataFrame | None:
    """The Parquet file's frame read one column at a time (peak memory: the frame and one column's
    pages, not the whole decoded table and the frame), each converted as ``Table.to_pandas`` converts
    it with the file's pandas metadata; a text column of mostly distinct texts (IDs) is made
    categorical here, without pandas hashing every text again to check the categories.
    ``None`` when a column name occurs twice (a column cannot be read by its name)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path, read_dictionary=texts)
    schema = pf.schema_arrow
    if len(set(schema.names)) != len(schema.names):
        return None
    meta = schema.pandas_metadata or {}
    index = {c for c in meta.get("index_columns", ()) if isinstance(c, str)}
    named = {c.get("field_name"): c.get("name") for c in meta.get("columns", ())}
    labels, columns = [], []
    for field in schema:
        if field.name in index:
            continue
        table = _text_filled(pf.read(columns=[field.name], use_threads=False, use_pandas_metadata=True), texts)
        col = table.column(field.name)
        if (field.name in texts and pa.types.is_dictionary(col.type) and named.get(field.name, field.name) == field.name
                and len(col) > 1 and max(len(c.dictionary) for c in col.chunks) > len(col) // 2):
            column = _Column()
            column.high, column.rows = True, len(col)
            column.parts = [c for c in col.cast(pa.string()).chunks if len(c)]
            del table, col
            labels.append(field.name)
            columns.append(pd.Series(_categorical(*column.finish(pa.default_memory_pool())), copy=False))
            continue
        del col
        part = table.to_pandas(split_blocks=True, self_destruct=True, use_threads=False)
        del table
        for j in range(part.shape[1]):
            labels.append(part.columns[j])
            columns.append(part.iloc[:, j].reset_index(drop=True))
    if not columns:
        return pd.DataFrame(index=pd.RangeIndex(pf.metadata.num_rows))
    frame = side_by_side(columns, ignore_index=True)
    frame.columns = pd.Index(labels, dtype=object, tupleize_cols=False)
    return frame


def _parquet_text(v: object) -> str:
    """The text of one cell of an object (text, date, bool, ...) Parquet column."""
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    return v if isinstance(v, str) else _cell_text(v)


#: Cell types whose distinct values are converted once (by hashing, as
#: ``pd.factorize``): equal values of one such type always have the same text
#: and none of them counts as missing.  Other columns are converted cell by cell.
_DISTINCT_TYPES = frozenset({str, bool, int, bytes, _dt.date, _dt.datetime, _dt.time})


def _parquet_texts(values: np.ndarray) -> np.ndarray:
    """:func:`_parquet_text` of every cell, converting each distinct value once.

    A column that is all text (the usual case) is returned as it is.
    """
    if pd.api.types.infer_dtype(values, skipna=False) == "string":
        return values  # every cell is already a str: nothing to convert
    kinds = set(map(type, values)) - {type(None)}
    if len(kinds) == 1 and next(iter(kinds)) in _DISTINCT_TYPES:
        try:
            codes, uniques = pd.factorize(values, use_na_sentinel=True)  # None cells get code -1
        except TypeError:  # pragma: no cover - the types above are hashable
            codes = None
        if codes is not None:
            texts = np.empty(len(uniques) + 1, dtype=object)
            texts[:-1] = [_parquet_text(v) for v in uniques]
            texts[-1] = ""  # code -1: a missing (None) cell
            return texts[codes]
    out = np.empty(len(values), dtype=object)
    out[:] = [_parquet_text(v) for v in values]
    return out


def read_table(path: str | Path, *, encoding: str | None = None, sheet: str | None = None,
               delimiter: str | None = None) -> RawTable:
    """Read ``path`` into a :class:`RawTable` (see the module docstring).

    Raises
    ------
    UsageError
        missing file, a folder, an unsupported format, an unknown sheet.
    DataError
        undecodable bytes, empty file, header without data rows, ragged rows.
    """
    p = Path(path)
    file = p.name
    if not p.exists():
        raise UsageError(f"File not found: {p}")
    if p.is_dir():
        raise UsageError(f"{p} is a folder; expected a CSV, TSV, XLSX or Parquet file.")
    suffix = p.suffix.lower()
    _check_size(p, file)
    if (suffix in TEXT_SUFFIXES or suffix == "") and sheet is None and p.stat().st_size > LARGE_CSV_BYTES:
        large = _read_large(p, file, suffix, encoding, delimiter)
        if large is not None:
            return large
    data = p.read_bytes()
    digest = file_sha256(data)
    if suffix in XLSX_SUFFIXES:
        raw = _read_xlsx(p, file, sheet)
    elif suffix in PARQUET_SUFFIXES:
        raw = _read_parquet(p, file)
    elif suffix == ".xls":
        raise UsageError(f"{file}: the old .xls format is not supported; save it as .xlsx or CSV.")
    elif suffix in TEXT_SUFFIXES or suffix == "":
        if sheet is not None:
            raise UsageError(f"{file}: --sheet applies to .xlsx files only.")
        if not data:
            raise _empty(file, "the file is empty (0 bytes)")
        raw = _read_text(data, file, suffix, encoding, delimiter)
    else:
        raise UsageError(f"{file}: unsupported file type {suffix!r}; expected .csv, .tsv, .xlsx or .parquet.")
    return dataclasses.replace(raw, sha256=digest)

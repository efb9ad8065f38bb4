"""Regenerate every bundled synthetic cohort: ``python -m spinestats.data_schemas.examples.generate``.

Each module ``cohort_<name>.py`` in this folder contributes:

* ``make(seed=<fixed>) -> pandas.DataFrame`` (canonical schema columns),
  written here as ``synthetic_<name>.csv``: UTF-8, first line the
  :data:`SYNTHETIC_COMMENT`, then the header, ``\\n`` line ends, text cells
  formula-escaped; and/or
* ``write(folder)`` for cohorts that produce several files or formats (e.g.
  the multicentre set with a CP932 centre and an XLSX centre); it is called
  with this folder and writes its own files (a ``write`` whose first
  parameter is a file *path* - named ``path`` or ``file`` - is the module's
  own helper for its single CSV and is not called: ``make`` covers it).

The same seeds always give identical files (byte for byte; XLSX workbooks,
which embed their creation time, cell for cell); ``--check`` compares the
committed files with freshly generated ones without writing anything and
exits 1 when they differ.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import io
import pkgutil
import shutil
import sys
import tempfile
from pathlib import Path

import pandas as pd

from spinestats.formula_escape import escape_frame

SYNTHETIC_COMMENT = ("# SYNTHETIC DATA: reconstructed from published aggregates (Matsumoto, Fukushima J Med Sci); "
                     "not patient data.")
HERE = Path(__file__).resolve().parent
_FOLDER_PARAMS = {"folder", "directory", "out_dir", "outdir", "dest", "target_dir", "root"}


def cohort_modules() -> list[str]:
    """Names ``<name>`` of every ``cohort_<name>`` module, sorted."""
    package = importlib.import_module("spinestats.data_schemas.examples")
    return sorted(m.name[len("cohort_"):] for m in pkgutil.iter_modules(package.__path__)
                  if m.name.startswith("cohort_"))


def csv_text(frame: pd.DataFrame) -> str:
    """The bundled-file text of ``frame``: comment line, header, rows."""
    buf = io.StringIO()
    buf.write(SYNTHETIC_COMMENT + "\n")
    escape_frame(frame).to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue()


def _writes_folder(module: object) -> bool:
    write = getattr(module, "write", None)
    if write is None:
        return False
    params = list(inspect.signature(write).parameters)
    return bool(params) and params[0] in _FOLDER_PARAMS


def generate(folder: Path, names: list[str] | None = None) -> list[Path]:
    """Write every cohort (or ``names``) into ``folder``; returns the files written by ``make``."""
    written = []
    for name in names or cohort_modules():
        module = importlib.import_module(f"spinestats.data_schemas.examples.cohort_{name}")
        if hasattr(module, "make"):
            target = folder / f"synthetic_{name}.csv"
            target.write_text(csv_text(module.make()), encoding="utf-8", newline="")
            written.append(target)
        if _writes_folder(module):
            module.write(folder)
    return written


def check(names: list[str] | None = None) -> list[str]:
    """Files (relative names) whose committed copy differs from a fresh generation."""
    differ = []
    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp), names)
        for path in sorted(Path(tmp).rglob("*")):
            if not path.is_file():
                continue
            rel = path.relative_to(tmp)
            committed = HERE / rel
            if not committed.exists() or not _same(committed, path):
                differ.append(str(rel))
    return differ


def _same(a: Path, b: Path) -> bool:
    """Byte-identical; XLSX files (which embed their creation time) by sheet names and cell values."""
    if a.read_bytes() == b.read_bytes():
        return True
    if a.suffix.lower() != ".xlsx":
        return False
    import openpyxl

    wa, wb = openpyxl.load_workbook(a, read_only=True), openpyxl.load_workbook(b, read_only=True)
    try:
        if wa.sheetnames != wb.sheetnames:
            return False
        return all(list(wa[n].iter_rows(values_only=True)) == list(wb[n].iter_rows(values_only=True))
                   for n in wa.sheetnames)
    finally:
        wa.close()
        wb.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="cohorts to generate (default: all)")
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 on a difference")
    parser.add_argument("--out", type=Path, default=HERE, help="folder to write (default: this package)")
    args = parser.parse_args(argv)
    if args.check:
        differ = check(args.names or None)
        for n in differ:
            print(f"differs from a fresh generation: {n}")
        return 1 if differ else 0
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        files = generate(Path(tmp), args.names or None)
        for f in sorted(Path(tmp).rglob("*")):
            if f.is_file():
                dest = args.out / f.relative_to(tmp)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(f, dest)
                print(f"wrote {dest}")
    return 0 if files is not None else 1


if __name__ == "__main__":
    sys.exit(main())

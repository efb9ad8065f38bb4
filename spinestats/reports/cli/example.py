"""``spinestats example``: write a bundled synthetic example export.

``NAME`` is a schema (dss, cirt, fracture, bkp, readers: its default cohort
``synthetic_<schema>.csv``) or any bundled cohort (e.g. ``cafe``,
``cirt_ss``).  The file is written as CSV (byte for byte the bundled file,
whose first line says the data are synthetic) or as XLSX (the same comment
in the first row, every text cell formula-escaped).  An existing file is
never overwritten without ``--force``.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from importlib import resources
from pathlib import Path

import click

from spinestats.data_schemas.schema import SCHEMA_NAMES, suggest
from spinestats.errors import UsageError
from spinestats.reports.output import escape_formula


def available() -> dict[str, str]:
    """Bundled example files by name (``synthetic_<name>.csv`` -> ``name``)."""
    root = resources.files("spinestats.data_schemas.examples")
    out = {}
    for entry in root.iterdir():
        n = entry.name
        if n.startswith("synthetic_") and n.endswith(".csv"):
            out[n[len("synthetic_"):-len(".csv")]] = n
    return dict(sorted(out.items()))


def example_bytes(name: str) -> bytes:
    """The bundled example ``name``; UsageError listing what exists otherwise."""
    files = available()
    if name not in files:
        known = ", ".join(files) or "none yet"
        if name in SCHEMA_NAMES:
            msg = f"No bundled example for schema {name!r} yet; bundled examples: {known}."
        else:
            hint = suggest(name, list(files) + list(SCHEMA_NAMES))
            msg = (f"Unknown example {name!r}; bundled examples: {known}"
                   + (f". Did you mean {hint!r}?" if hint else "."))
        raise UsageError(msg)
    return resources.files("spinestats.data_schemas.examples").joinpath(files[name]).read_bytes()


def to_xlsx(data: bytes, target: Path) -> None:
    """Write a bundled CSV (comment lines first) as an XLSX workbook."""
    import openpyxl

    text = data.decode("utf-8-sig")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "data"
    for row in csv.reader(io.StringIO(text)):
        if row and row[0].startswith("#"):
            ws.append([",".join(row)])  # the comment line stays one cell
            continue
        ws.append([_xlsx_cell(v) for v in row])
    wb.save(target)


def _xlsx_cell(v: str) -> object:
    if v == "":
        return None
    try:
        f = float(v)
    except ValueError:
        return escape_formula(v)
    if v.strip().lstrip("-").isdigit():
        return int(v)
    return f


@click.command(name="example")
@click.argument("name", required=False)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="File to write.")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default=None,
              help="csv or xlsx (default: from the --out suffix, else csv).")
@click.option("--force", is_flag=True, help="Replace --out if it exists.")
@click.option("--list", "list_", is_flag=True, help="List the bundled examples.")
def command(name: str | None, out: Path | None, fmt: str | None, force: bool, list_: bool) -> None:
    """Write the bundled synthetic example NAME (a schema or cohort) to --out."""
    if list_ or name is None:
        for n, f in available().items():
            click.echo(f"{n}\t{f}")
        if name is None and not list_:
            raise UsageError("Give an example NAME and --out FILE (see the list above).")
        return
    if out is None:
        raise UsageError("Missing --out FILE: where to write the example.")
    data = example_bytes(name)
    fmt = fmt or ("xlsx" if out.suffix.lower() == ".xlsx" else "csv")
    if out.exists() and not force:
        raise UsageError(f"--out {out}: the file exists; choose another name or add --force to replace it.")
    if out.is_dir():
        raise UsageError(f"--out {out} is a folder; expected a file name.")
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=f".{fmt}", dir=out.parent)
    os.close(fd)
    try:
        if fmt == "csv":
            Path(tmp).write_bytes(data)
        else:
            to_xlsx(data, Path(tmp))
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    click.echo(f"Wrote the synthetic example {name!r} to {out} (SYNTHETIC DATA, not patient data).")

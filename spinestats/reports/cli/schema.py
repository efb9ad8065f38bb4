"""``spinestats schema``: the data dictionary of an export schema.

Formats: ``markdown`` (for people), ``json`` (the schema as data), ``csv``
(one row per column), ``redcap`` (a REDCap data dictionary CSV: import it
into REDCap to build a collection form whose raw exports load without a
mapping).  Written to standard output, or to ``--out FILE``.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import click

from spinestats.data_schemas.schema import Column, Schema, get_schema
from spinestats.errors import UsageError

if TYPE_CHECKING:
    import pandas as pd


def _cell(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, (tuple, list)):
        return ", ".join(str(x) for x in v)
    if isinstance(v, bool):
        return "yes" if v else "no"
    return str(v)


def _range(c: Column) -> str:
    return ", ".join(c.bounds())


def columns_frame(columns: tuple[Column, ...]) -> pd.DataFrame:
    """One row per column: name, type, unit, allowed, range, required, identifier, description."""
    import pandas as pd

    return pd.DataFrame(
        [{"name": c.name, "type": c.type, "unit": _cell(c.unit), "allowed": _cell(c.allowed), "range": _range(c),
          "required": _cell(c.required), "unique": _cell(c.unique), "identifier": _cell(c.identifier),
          "description": c.description} for c in columns],
        columns=["name", "type", "unit", "allowed", "range", "required", "unique", "identifier", "description"],
    )


def _md_table(frame: pd.DataFrame) -> str:
    head = "| " + " | ".join(frame.columns) + " |"
    sep = "|" + "|".join("---" for _ in frame.columns) + "|"
    rows = ["| " + " | ".join(str(v).replace("|", "\\|") for v in row) + " |"
            for row in frame.itertuples(index=False, name=None)]
    return "\n".join([head, sep, *rows])


def markdown(schema: Schema) -> str:
    out = [f"# Schema `{schema.name}` (version {schema.version}): {schema.title}", "", schema.description, ""]
    if schema.long_columns:
        out += ["## Wide layout (one row per patient)", ""]
    out += [_md_table(columns_frame(schema.columns)), ""]
    if schema.long_columns:
        out += ["## Long layout (one row per patient and visit)", "", _md_table(columns_frame(schema.long_columns)), ""]
    if schema.rules:
        out += ["## Cross-field rules", ""] + [f"- **{r.name}**: {r.description}" for r in schema.rules] + [""]
    out += ["Missing cells: empty, NA, N/A, NaN, NULL or '.'. Booleans: 1/0, yes/no, Y/N, true/false, "
            "あり/なし, はい/いいえ, 有/無. Dates: YYYY-MM-DD or YYYY/MM/DD (Excel serial numbers with a mapping).", ""]
    return "\n".join(out)


def as_json(schema: Schema) -> str:
    return json.dumps(dataclasses.asdict(schema), indent=2, ensure_ascii=False) + "\n"


def _csv(frame: pd.DataFrame) -> str:
    from spinestats.reports.output import escape_frame

    buf = io.StringIO()
    escape_frame(frame).to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue()


def render(schema: Schema, fmt: str) -> str:
    """The data dictionary of ``schema`` as text in format ``fmt``."""
    import pandas as pd

    from spinestats.data_schemas.redcap import data_dictionary

    if fmt == "markdown":
        return markdown(schema)
    if fmt == "json":
        return as_json(schema)
    if fmt == "csv":
        frame = columns_frame(schema.columns)
        if schema.long_columns:
            frame.insert(0, "layout", "wide")
            long = columns_frame(schema.long_columns)
            long.insert(0, "layout", "long")
            frame = pd.concat([frame, long], ignore_index=True)
        return _csv(frame)
    if fmt == "redcap":
        return _csv(data_dictionary(schema))
    raise UsageError(f"Unknown format {fmt!r}; expected markdown, json, csv or redcap.")


@click.command(name="schema")
@click.argument("name")
@click.option("--format", "fmt", type=click.Choice(["markdown", "json", "csv", "redcap"]), default="markdown",
              show_default=True, help="redcap: a REDCap data dictionary CSV for a prospective collection form.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to FILE instead of standard output.")
@click.option("--force", is_flag=True, help="Replace --out if it exists.")
def command(name: str, fmt: str, out: Path | None, force: bool) -> None:
    """Print the data dictionary of schema NAME (dss, cirt, fracture, bkp, readers)."""
    text = render(get_schema(name), fmt)
    if out is None:
        sys.stdout.write(text)
        return
    if out.exists() and not force:
        raise UsageError(f"--out {out}: the file exists; choose another name or add --force.")
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)
    os.replace(tmp, out)

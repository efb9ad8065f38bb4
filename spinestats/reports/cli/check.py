"""``spinestats check``: is this export usable?

Reads the file exactly as an analysis would (``load`` with the schema and
mapping), lists every problem with its line, column (as named in the file),
value, rule and what was expected, and exits 0 when the file is valid, 1
when it is not, 2 for a usage error (unknown schema, missing file, bad
mapping).  The input file is only read, never modified.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from typing import TYPE_CHECKING
from pathlib import Path

import click

from spinestats.errors import DataError

if TYPE_CHECKING:
    from spinestats.data_schemas.records import LoadedTable, Problem


def _problem_dict(p: Problem) -> dict:
    d = dataclasses.asdict(p)
    d["value"] = None if p.value is None else (p.value if isinstance(p.value, (int, float, str, bool)) else str(p.value))
    d["message"] = p.message()
    return d


def report_dict(file: Path, schema: str, table: LoadedTable | None, problems: tuple[Problem, ...]) -> dict:
    """What ``--format json`` prints: validity, counts, problems, exclusions, provenance."""
    from spinestats.analysis.core.result import to_jsonable
    from spinestats.data_schemas.reading import file_sha256

    errors = [p for p in problems if p.severity == "error"]
    out: dict = {
        "file": file.name,
        "schema": schema,
        "valid": not errors,
        "n_errors": len(errors),
        "n_warnings": len(problems) - len(errors),
        "problems": [_problem_dict(p) for p in problems],
    }
    if table is not None:
        out["rows_read"] = table.provenance.rows_read
        out["rows_valid"] = table.provenance.rows_kept
        out["rows_invalid"] = len(table.exclusions)
        out["layout"] = table.layout
        out["exclusions"] = [dataclasses.asdict(e) for e in table.exclusions]
        out["provenance"] = dataclasses.asdict(table.provenance)
    else:
        out["provenance"] = {"file": file.name, "sha256": file_sha256(file.read_bytes())}
    return to_jsonable(out)


def _print_text(report: dict) -> None:
    from rich.console import Console
    from rich.markup import escape

    console = Console(highlight=False, soft_wrap=True)
    status = "[green]VALID[/green]" if report["valid"] else "[red]INVALID[/red]"
    console.print(f"{escape(report['file'])} - schema {report['schema']}: {status}")
    if "rows_read" in report:
        prov = report["provenance"]
        console.print(f"  rows read {report['rows_read']}, valid {report['rows_valid']}, "
                      f"with errors {report['rows_invalid']}"
                      + (f"; layout {report['layout']}" if report.get("layout") else ""))
        console.print(f"  encoding {prov.get('encoding') or '-'}, format {prov.get('format')}"
                      + (f", sheet {escape(str(prov['sheet']))}" if prov.get("sheet") else "")
                      + f", sha256 {prov['sha256']}")
    errors = [p for p in report["problems"] if p["severity"] == "error"]
    warnings = [p for p in report["problems"] if p["severity"] != "error"]
    if errors:
        console.print(f"[red]{len(errors)} error{'s' if len(errors) != 1 else ''}:[/red]")
        for p in errors:
            console.print("  " + escape(p["message"]))
    if warnings:
        console.print(f"[yellow]{len(warnings)} warning{'s' if len(warnings) != 1 else ''}:[/yellow]")
        for p in warnings:
            console.print("  " + escape(p["message"]))


@click.command(name="check")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--schema", "schema", required=True, help="Schema: dss, cirt, fracture, bkp or readers.")
@click.option("--mapping", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Mapping YAML: export column names, units, codes, encoding, sheet.")
@click.option("--sheet", default=None, help="Sheet of an .xlsx workbook (default: the first).")
@click.option("--encoding", default=None, help="Text encoding (utf-8, utf-8-sig, cp932); detected when absent.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text for people, json for tools.")
@click.pass_context
def command(ctx: click.Context, file: Path, schema: str, mapping: Path | None, sheet: str | None,
            encoding: str | None, fmt: str) -> None:
    """Check FILE against a schema and list every problem.

    Exit status: 0 valid, 1 invalid (every problem listed), 2 usage error.
    """
    from spinestats.data_schemas.loading import load

    try:
        table = load(file, schema=schema, mapping=mapping, sheet=sheet, encoding=encoding, exclude_invalid=True)
        problems = table.problems
    except DataError as exc:  # file-level problems: nothing could be checked row by row
        table, problems = None, exc.problems
        if not problems:
            raise
    report = report_dict(Path(file), schema, table, tuple(problems))
    if fmt == "json":
        sys.stdout.write(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    else:
        _print_text(report)
    if not report["valid"]:
        ctx.exit(1)

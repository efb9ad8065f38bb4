"""``spinestats accuracy``: diagnostic accuracy of any score column in any table.

Reads the table without a schema (columns keep their own names), runs
:func:`spinestats.reports.diagnostic_job.analyse` with ``--score``/``--truth``/``--positive``
and writes ``results.json`` (JSON Schema ``data_schemas/results/diagnostic.schema.json``),
``methods.md``, ``tables/`` and ``figures/`` into ``--out``.
"""

from __future__ import annotations

from pathlib import Path

import click

from spinestats.reports.cli._diagnostic_options import diagnostic_options, run_and_write
from spinestats.reports.cli.common import echo_load_warnings


@click.command("accuracy")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--mapping", type=click.Path(path_type=Path), default=None, help="Column mapping YAML.")
@click.option("--sheet", default=None, help="XLSX sheet to read.")
@click.option("--score", required=True, help="Score column (higher = more likely positive).")
@click.option("--truth", required=True, help="Reference-standard column.")
@click.option("--positive", required=True, help="Label of the positive class in --truth.")
@click.option("--cutoff", type=float, multiple=True, help="Cutoff reported in detail (repeatable).")
@diagnostic_options
def command(file, mapping, sheet, score, truth, positive, cutoff, **options) -> None:
    """Accuracy of SCORE against TRUTH: ROC, DeLong CI, cutoffs, optional comparison and bootstrap."""
    from spinestats.data_schemas.loading import load

    from spinestats.data_schemas.column_checks import check_score_truth

    table = load(file, schema=None, mapping=mapping, sheet=sheet)
    echo_load_warnings(table)
    check_score_truth(table.data, score=score, truth=truth, positive=positive, file=table.provenance.file)
    run_and_write(table, score=score, truth=truth, positive=positive, cutoff=tuple(cutoff) or None,
                  key="accuracy", **options)

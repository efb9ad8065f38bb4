"""``spinestats dss``: Dumbbell Scoring System accuracy from a ``dss`` export.

Reads the export through the loader (schema ``dss``; rows that break a rule are
excluded and listed in ``flow``), computes the DSS from the features, runs
:func:`spinestats.reports.diagnostic_job.analyse` and writes ``results.json``
(exactly the job's results; JSON Schema ``data_schemas/results/diagnostic.schema.json``),
``methods.md``, ``tables/`` and ``figures/`` into ``--out``.
"""

from __future__ import annotations

from pathlib import Path

import click

from spinestats.reports.cli._diagnostic_options import diagnostic_options, run_and_write
from spinestats.reports.cli.common import echo_load_warnings


@click.command("dss")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--mapping", type=click.Path(path_type=Path), default=None, help="Column mapping YAML for the export.")
@click.option("--sheet", default=None, help="XLSX sheet to read.")
@click.option("--cutoff", type=float, multiple=True, help="Cutoff reported in detail (repeatable; default 3).")
@diagnostic_options
def command(file, mapping, sheet, cutoff, **options) -> None:
    """DSS accuracy: ROC, DeLong CI, cutoffs, feature table, optional bootstrap validation."""
    from spinestats.data_schemas.loading import load

    table = load(file, schema="dss", mapping=mapping, sheet=sheet, exclude_invalid=True)

    echo_load_warnings(table)
    run_and_write(table, score=None, truth="reference", positive="malignant", cutoff=tuple(cutoff) or None,
                  key="dss", **options)

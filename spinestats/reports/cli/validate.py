"""``spinestats validate``: validate any predicted risk against time-to-event data (column mode).

``spinestats validate FILE --time T --event E [--event-codes EVENT=1,COMPETING=2,CENSOR=0]
(--risk COLUMN | --model MODEL.json) --horizon 12 [--unit months] [--group CENTRE] --out DIR``

FILE is read through the loader (any table, its own column names, as
``spinestats survival`` column mode).  Writes ``results.json`` (layout in
:mod:`spinestats.reports.validate_job`), ``methods.md``, ``figures/``
(calibration plot, decision curve), ``tables/`` (the exclusion log, the
per-centre table and, with ``--group``, the pooled measures; CSV, XLSX, DOCX
and Markdown) and ``report.html``, as the other single commands.
"""

from __future__ import annotations

from pathlib import Path

import click


@click.command("validate")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--time", "time_col", required=True, help="Follow-up time column.")
@click.option("--event", "event_col", required=True, help="Event code column.")
@click.option("--event-codes", default=None,
              help="EVENT=1,COMPETING=2,CENSOR=0 (default: 0 censored and the one other code is the event).")
@click.option("--risk", default=None, help="Column of predicted risks (probability of the event by the horizon, 0-1).")
@click.option("--model", "model", type=click.Path(path_type=Path), default=None,
              help="A risk model JSON (spinestats fracture) applied to the file instead of --risk.")
@click.option("--horizon", type=float, default=None, help="Prediction horizon in --unit (default: the model's).")
@click.option("--unit", type=click.Choice(["months", "days", "years"]), default="months", show_default=True)
@click.option("--group", default=None, help="Centre column: per-centre results pooled by REML (Knapp-Hartung).")
@click.option("--outcome", default="event", show_default=True, help="Name of the event in figure labels.")
@click.option("--mapping", type=click.Path(path_type=Path), default=None, help="Column mapping YAML for the export.")
@click.option("--sheet", default=None, help="XLSX sheet to read.")
@click.option("--figure-format", "figure_formats", multiple=True, type=click.Choice(["pdf", "svg", "png", "tiff"]),
              help="Figure format (repeatable; default: all).")
@click.option("--dpi", "dpis", multiple=True, type=int, help="Raster resolution (repeatable).")
@click.option("--out", "out", type=click.Path(path_type=Path), required=True, help="Output folder.")
@click.option("--force", is_flag=True, help="Replace an existing output folder.")
def command(file, time_col, event_col, event_codes, risk, model, horizon, unit, group, outcome, mapping, sheet,
            figure_formats, dpis, out, force) -> None:
    """Validate a predicted risk at a horizon: C, AUC(t), Brier(t), calibration, decision curve."""
    from spinestats.data_schemas.loading import load
    from spinestats.reports import validate_job
    from spinestats.reports.cli.common import echo_warnings
    from spinestats.reports.job import JobContext, JobInput
    from spinestats.reports.output import OutputDir
    from spinestats.reports.cli.common import synthetic_inputs
    from spinestats.reports.figure_style import synthetic_mark
    from spinestats.reports.section_tables import finish_single
    from spinestats.reports.tables import table_style

    table = load(file, mapping=mapping, sheet=sheet)
    synthetic = synthetic_inputs(table)
    with OutputDir(out, force=force) as od, table_style() as written, synthetic_mark(synthetic):
        options = validate_job.ValidateOptions(time=time_col, event=event_col, event_codes=event_codes, risk=risk,
                                               model=model, horizon=horizon, unit=unit, group=group, outcome=outcome)
        context = JobContext(out_dir=od.file("."), figure_formats=figure_formats or None, dpis=dpis or None,
                             synthetic=synthetic)
        section = validate_job.analyse(JobInput.of(table=table, paths=[file]), options, context)
        od.write_section(section)
        section = finish_single(section, od.file("."), written, synthetic=synthetic)
    r = section.results
    click.echo(f"validate: {r['flow']['analysed']} rows analysed, {r['flow']['excluded']} excluded; "
               f"AUC({r['time_auc']['horizon']:g}) {r['time_auc']['estimate']:.3f}; results in {out}/results.json")
    echo_warnings(section)

"""``spinestats survival``: Kaplan-Meier, log-rank, Cox and competing risks, as R's survival and cmprsk.

Column mode: ``spinestats survival FILE --time COL --event COL [--event-codes EVENT=1,COMPETING=2,CENSOR=0]
[--group COL] [--covariates a,b] [--times 24,60] [--unit months] --out DIR``.

Schema mode: ``spinestats survival FILE --schema cirt [--mapping MAP] [--endpoint os|lc|dmfs|pfs|all] --out DIR``
derives the endpoints from the dates.  Writes ``results.json`` (exactly the
job's results; layout in ``data_schemas/results/survival.schema.json``),
``methods.md`` and ``figures/``.
"""

from __future__ import annotations

from pathlib import Path

import click

from spinestats.reports.cli.common import label_options

from spinestats.errors import UsageError


@click.command("survival")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--schema", type=click.Choice(["cirt"]), default=None, help="Derive the endpoints from a cirt export.")
@click.option("--mapping", type=click.Path(path_type=Path), default=None, help="Column mapping YAML for the export.")
@click.option("--sheet", default=None, help="XLSX sheet to read.")
@click.option("--time", "time_col", default=None, help="Follow-up time column (column mode).")
@click.option("--event", "event_col", default=None, help="Event code column (column mode).")
@click.option("--event-codes", default=None, help="EVENT=1,COMPETING=2,CENSOR=0 (default: 0 censored, others events).")
@click.option("--group", default=None, help="Grouping column (KM per group, log-rank, Gray's test).")
@click.option("--strata", default=None, help="Stratification column (log-rank, Cox).")
@click.option("--covariates", default=None, help="Comma-separated Cox / Fine-Gray covariates.")
@click.option("--cluster", default=None, help="Cluster column (e.g. centre) for robust Cox SEs.")
@click.option("--times", default=None, help="Times for the rates, e.g. 24,60 (in --unit; default 2 and 5 years).")
@click.option("--unit", type=click.Choice(["months", "days", "years"]), default="months", show_default=True)
@click.option("--conf-type", type=click.Choice(["log", "log-log", "plain"]), default="log", show_default=True)
@click.option("--ties", type=click.Choice(["efron", "breslow"]), default="efron", show_default=True)
@click.option("--rho", type=float, default=0.0, show_default=True, help="Fleming-Harrington rho of the log-rank test.")
@click.option("--gamma", type=float, default=0.0, show_default=True, help="Fleming-Harrington gamma.")
@click.option("--trend", is_flag=True, help="Add the log-rank trend test over the ordered groups.")
@click.option("--endpoint", type=click.Choice(["all", "os", "lc", "dmfs", "pfs"]), default="all", show_default=True,
              help="Schema mode: which endpoint(s).")
@click.option("--entry", "entry_col", default=None,
              help="Delayed-entry column (column mode): at risk only after it, as Surv(entry, time, event).")
@click.option("--zph-transform", type=click.Choice(["km", "rank", "identity", "log"]), default="km", show_default=True,
              help="Time transform of the proportional-hazards test (R: cox.zph(fit, transform = ...)).")
@click.option("--median-lines/--no-median-lines", default=True, show_default=True,
              help="Dotted median lines on the Kaplan-Meier figures.")
@click.option("--events-table", is_flag=True,
              help="Add the cumulative number of events under the number at risk (survminer's cumevents).")
@click.option("--figure-format", "figure_formats", multiple=True, type=click.Choice(["pdf", "svg", "png", "tiff"]),
              help="Figure format (repeatable; default: all).")
@click.option("--dpi", "dpis", multiple=True, type=click.IntRange(50, 2400),
              help="Raster resolution, 50-2400 (repeatable; default: 300).")
@click.option("--out", "out", type=click.Path(path_type=Path), required=True, help="Output folder.")
@click.option("--force", is_flag=True, help="Replace an existing output folder.")
@label_options
def command(file, schema, mapping, sheet, time_col, event_col, event_codes, group, strata, covariates, cluster, times,
            unit, conf_type, ties, rho, gamma, trend, endpoint, entry_col, zph_transform, median_lines, events_table,
            figure_formats, dpis, out, force, label_texts=(), references=()) -> None:
    """Survival, local control and competing risks (R survival/cmprsk conventions)."""
    from spinestats.data_schemas.loading import load
    from spinestats.reports import survival_job
    from spinestats.reports.cli.common import echo_load_warnings, echo_warnings
    from spinestats.reports.output import OutputDir
    from spinestats.reports.cli.common import labels_from
    from spinestats.reports.job import JobContext, JobInput
    from spinestats.reports.cli.common import synthetic_inputs
    from spinestats.reports.figure_style import synthetic_mark
    from spinestats.reports.section_tables import finish_single
    from spinestats.reports.tables import table_style

    if schema is None and (time_col is None or event_col is None):
        raise UsageError("give --time and --event, or --schema cirt to derive the endpoints from dates.")
    if schema is not None and (time_col or event_col):
        raise UsageError("--schema cirt derives time and event from the dates; do not give --time/--event with it.")
    table = load(file, schema=schema, mapping=mapping, sheet=sheet)
    echo_load_warnings(table)
    if times is not None:
        try:
            times = tuple(float(t) for t in times.split(",") if t.strip())
        except ValueError as exc:
            raise UsageError(f"--times: expected numbers separated by commas, got {times!r}.") from exc
    options = survival_job.SurvivalOptions(
        time=time_col, event=event_col, event_codes=event_codes, group=group, strata=strata,
        covariates=tuple(c.strip() for c in (covariates or "").split(",") if c.strip()), cluster=cluster,
        times=times, unit=unit, conf_type=conf_type, ties=ties, rho=rho,
        gamma=gamma, trend=trend, endpoint=endpoint, zph_transform=zph_transform, entry=entry_col,
        median_lines=median_lines, events_table=events_table)
    labels = labels_from(schema or "cirt", label_texts, references, columns=table.data.columns)
    synthetic = synthetic_inputs(table)
    with OutputDir(out, force=force) as od, table_style(labels=labels) as written, synthetic_mark(synthetic):
        context = JobContext(out_dir=od.file("."), labels=labels, figure_formats=figure_formats or None,
                             dpis=dpis or None, synthetic=synthetic)
        section = survival_job.analyse(JobInput.of(table=table), options, context)
        od.write_section(section, labels=labels)
        section = finish_single(section, od.file("."), written, labels=labels, synthetic=synthetic)
    click.echo(f"survival: {section.results['flow']['analysed']} rows analysed; results in {out}/results.json")
    echo_warnings(section)

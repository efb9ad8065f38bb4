"""``spinestats pain``: pain after balloon kyphoplasty (one or two arms).

Reads a ``bkp`` export (wide or long layout) through the loader, runs
:func:`spinestats.reports.pain_job.analyse` (options :class:`~spinestats.reports.pain_job.PainOptions`
filled from the flags) and writes ``results.json`` (exactly
the job's results), ``tables/`` and ``figures/`` into ``--out``.
"""

from __future__ import annotations

from pathlib import Path

import click

from spinestats.reports.cli.common import label_options


@click.command("pain")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--mapping", type=click.Path(path_type=Path), default=None, help="Column mapping YAML for the export.")
@click.option("--sheet", default=None, help="XLSX sheet to read.")
@click.option("--mcid", type=float, default=2.0, show_default=True,
              help="Responder: reduction of at least this many NRS points ...")
@click.option("--mcid-percent", type=float, default=30.0, show_default=True,
              help="... and at least this percentage of the baseline score.")
@click.option("--impute", type=int, default=0, show_default=True,
              help="Multiple imputations of missed visits (0 = complete cases only; 20+ recommended).")
@click.option("--impute-method", type=click.Choice(["pmm", "norm"]), default="pmm", show_default=True)
@click.option("--seed", type=int, default=2024, show_default=True, help="Seed of the imputations.")
@click.option("--random-slope", is_flag=True, help="Add a random slope on time (months) to the mixed model.")
@click.option("--time-model", type=click.Choice(["factor", "continuous"]), default="factor", show_default=True,
              help="continuous: add a mixed model with time (months) as a continuous covariate, "
                   "nrs ~ time * arm + (1 + time | patient), beside the visit-as-factor model.")
@click.option("--emmeans-times", default=None,
              help="Months at which the continuous-time model's marginal means are given, e.g. 0,1,3,6,12.")
@click.option("--ancova-visit", default="1m", show_default=True, help="Follow-up visit of the two-arm ANCOVA.")
@click.option("--workers", type=int, default=1, show_default=True, help="Local worker processes for imputation.")
@click.option("--scheduler", default=None, help="Dask scheduler address (tcp://host:8786).")
@click.option("--figure-format", "figure_formats", multiple=True,
              type=click.Choice(["pdf", "svg", "png", "tiff"]), help="Figure format (repeatable; default: all).")
@click.option("--dpi", "dpis", multiple=True, type=click.IntRange(50, 2400),
              help="Raster resolution, 50-2400 (repeatable; default: 300).")
@click.option("--out", "out", type=click.Path(path_type=Path), required=True, help="Output folder.")
@click.option("--force", is_flag=True, help="Replace an existing output folder.")
@label_options
def command(file, mapping, sheet, mcid, mcid_percent, impute, impute_method, seed, random_slope, time_model,
            emmeans_times, ancova_visit, workers, scheduler, figure_formats, dpis, out, force, label_texts=(), references=()) -> None:
    """Pain NRS per visit, paired tests, mixed model, responders, two-arm ANCOVA, MI."""
    from spinestats.data_schemas.loading import load
    from spinestats.reports import pain_job
    from spinestats.reports.cli.common import echo_load_warnings, echo_warnings
    from spinestats.reports.job import JobContext, JobInput
    from spinestats.reports.output import OutputDir
    from spinestats.reports.cli.common import labels_from
    from spinestats.reports.cli.common import synthetic_inputs
    from spinestats.reports.figure_style import synthetic_mark
    from spinestats.reports.section_tables import finish_single
    from spinestats.reports.tables import table_style

    if emmeans_times is not None:
        try:
            emmeans_times = [float(t) for t in emmeans_times.split(",") if t.strip()]
        except ValueError as exc:
            raise click.BadParameter(f"expected months separated by commas, got {emmeans_times!r}.",
                                     param_hint="--emmeans-times") from exc
    table = load(file, schema="bkp", mapping=mapping, sheet=sheet)
    echo_load_warnings(table)
    labels = labels_from("bkp", label_texts, references)
    options = pain_job.PainOptions(mcid=mcid, mcid_percent=mcid_percent, impute=impute, impute_method=impute_method,
                                   random_slope=random_slope, time_model=time_model,
                                   emmeans_times=tuple(emmeans_times) if emmeans_times is not None else None,
                                   ancova_visit=ancova_visit)
    synthetic = synthetic_inputs(table)
    with OutputDir(out, force=force) as od, table_style(labels=labels) as written, synthetic_mark(synthetic):
        context = JobContext(out_dir=od.file("."), seed=seed, workers=workers, scheduler=scheduler, labels=labels,
                             figure_formats=figure_formats or None, dpis=dpis or None, synthetic=synthetic)
        section = pain_job.analyse(JobInput.of(table=table), options, context)
        od.write_section(section, labels=labels)
        section = finish_single(section, od.file("."), written, labels=labels, synthetic=synthetic)
    click.echo(f"pain: {section.results['flow']['patients']} patients; results in {out}/results.json")
    echo_warnings(section)

"""``spinestats fracture``: fracture risk after spinal irradiation.

Reads a ``fracture`` export through the loader (which refuses, with the
line, a fracture dated before irradiation), runs
:func:`spinestats.reports.fracture_job.analyse` with the options filled from
the flags (:class:`~spinestats.reports.fracture_job.FractureOptions`) and writes ``results.json``
(exactly the job's results), ``methods.md``, ``model.json``, ``tables/`` and
``figures/`` into ``--out``; ``--save-model`` also copies the fitted risk
model (JSON, never pickle) to the given file for ``spinestats predict``.
"""

from __future__ import annotations

from pathlib import Path

import click

from spinestats.reports.cli.common import label_options

from spinestats.errors import UsageError

#: The risk models of :data:`spinestats.reports.fracture_job.MODELS` (written out so that
#: ``--help`` does not import the job; a test keeps the two equal).
MODELS = ("finegray", "cox", "firth")


def _split(values: tuple[str, ...]) -> list[str]:
    out = []
    for v in values:
        out.extend(x.strip() for x in v.split(",") if x.strip())
    return out


@click.command("fracture")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--mapping", type=click.Path(path_type=Path), default=None, help="Column mapping YAML for the export.")
@click.option("--sheet", default=None, help="XLSX sheet to read.")
@click.option("--horizon", type=float, default=12.0, show_default=True, help="Prediction horizon, months from irradiation.")
@click.option("--covariates", multiple=True,
              help="Model terms (repeat or comma-separate); default sins_total,modality. Derived: sins_total, "
                   "sins_category, sins_7_or_more, lytic.")
@click.option("--model", type=click.Choice(list(MODELS)), default="finegray", show_default=True,
              help="Multivariable model: Fine-Gray, cause-specific Cox or Firth logistic (fracture by the horizon).")
@click.option("--bootstrap", type=int, default=200, show_default=True,
              help="Bootstrap replicates of the optimism correction (0 = skip).")
@click.option("--conf-level", "conf_level", type=float, default=0.95, show_default=True,
              help="Confidence level of the CIs (the Firth model's profile CIs are at 0.95 only).")
@click.option("--seed", type=int, default=2024, show_default=True, help="Seed of the bootstrap.")
@click.option("--workers", type=int, default=1, show_default=True, help="Local worker processes for the bootstrap.")
@click.option("--scheduler", default=None, help="Dask scheduler address (tcp://host:8786).")
@click.option("--save-model", "save_model", type=click.Path(path_type=Path), default=None,
              help="Also save the fitted risk model as this JSON file.")
@click.option("--figure-format", "figure_formats", multiple=True,
              type=click.Choice(["pdf", "svg", "png", "tiff"]),
              help="Figure formats (repeat; default all: pdf, svg, png and tiff at 300 dpi).")
@click.option("--out", "out", type=click.Path(path_type=Path), required=True, help="Output folder.")
@click.option("--force", is_flag=True, help="Replace an existing output folder.")
@label_options
def command(file, mapping, sheet, horizon, covariates, model, bootstrap, conf_level, seed, workers, scheduler, save_model,
            figure_formats, out, force, label_texts=(), references=()) -> None:
    """Fracture incidence (crude, competing-risk CIF, Gray's test), risk models and their validation."""
    from spinestats.data_schemas.loading import load
    from spinestats.reports import fracture_job
    from spinestats.reports.job import JobContext, JobInput
    from spinestats.reports.cli.common import echo_load_warnings, echo_warnings
    from spinestats.reports.output import OutputDir
    from spinestats.reports.cli.common import labels_from
    from spinestats.reports.cli.common import synthetic_inputs
    from spinestats.reports.figure_style import synthetic_mark
    from spinestats.reports.section_tables import finish_single
    from spinestats.reports.tables import table_style

    if bootstrap < 0:
        raise UsageError(f"--bootstrap must be >= 0; got {bootstrap}")
    if not horizon > 0:
        raise UsageError(f"--horizon must be a positive number of months; got {horizon!r}")
    if not 0 < conf_level < 1:
        raise UsageError(f"--conf-level must be between 0 and 1 (e.g. 0.95); got {conf_level}")
    if model == "firth" and conf_level != 0.95:
        raise UsageError("--conf-level: the Firth model's profile-likelihood CIs are at 0.95 only")
    options = fracture_job.FractureOptions(horizon=horizon, covariates=tuple(_split(covariates)), model=model,
                                           bootstrap=bootstrap, conf_level=conf_level)
    if save_model is not None:
        from spinestats.reports.output import check_output_file

        check_output_file(save_model, [file, mapping], force, option="--save-model")  # never an input, even with --force
    table = load(file, schema="fracture", mapping=mapping, sheet=sheet)
    echo_load_warnings(table)
    labels = labels_from("fracture", label_texts, references)
    synthetic = synthetic_inputs(table)
    with OutputDir(out, force=force) as od, table_style(labels=labels) as written, synthetic_mark(synthetic):
        context = JobContext(out_dir=od.file("."), seed=seed, workers=workers, scheduler=scheduler,
                             figure_formats=figure_formats or None, labels=labels, synthetic=synthetic)
        section = fracture_job.analyse(JobInput.of(table=table), options, context)
        od.write_section(section, labels=labels)
        section = finish_single(section, od.file("."), written, labels=labels, synthetic=synthetic)
    if save_model is not None:
        from spinestats.reports.output import write_file_atomically

        write_file_atomically(save_model, (out / "model.json").read_text(encoding="utf-8"), option="--save-model")
    r = section.results
    click.echo(f"fracture: {r['flow']['patients']} patients, {r['flow']['fractures']} fractures; "
               f"results in {out}/results.json")
    echo_warnings(section)

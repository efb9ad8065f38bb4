"""Options and the run-and-write step shared by ``spinestats dss`` and ``spinestats accuracy``.

Its name starts with ``_``, so the CLI does not look for a sub-command in it.
"""

from __future__ import annotations

from pathlib import Path

import click


_OPTIONS = [
    click.option("--method", type=click.Choice(["youden", "closest_topleft", "min_sensitivity", "min_specificity"]),
                 default="youden", show_default=True, help="Rule for the optimal cutoff."),
    click.option("--min-sensitivity", type=float, default=None, help="Constraint of --method min_sensitivity."),
    click.option("--min-specificity", type=float, default=None, help="Constraint of --method min_specificity."),
    click.option("--cost", type=float, default=1.0, show_default=True,
                 help="Relative cost of a false negative (pROC best.weights[1])."),
    click.option("--prevalence", type=float, default=0.5, show_default=True,
                 help="Prevalence for the cutoff weighting (pROC best.weights[2])."),
    click.option("--target-prevalence", type=float, default=None,
                 help="Prevalence of the target population for PPV/NPV."),
    click.option("--ci", "ci_method", type=click.Choice(["exact", "wilson"]), default="exact", show_default=True,
                 help="CI of proportions: exact Clopper-Pearson or Wilson."),
    click.option("--compare", default=None, help="Second score column on the same patients (paired DeLong, McNemar)."),
    click.option("--compare-cutoff", type=float, default=None, help="Cutoff of --compare for McNemar (default: its optimal)."),
    click.option("--mcnemar-exact", is_flag=True, help="Exact binomial McNemar p-values."),
    click.option("--unpaired-by", default=None,
                 help="Column with two groups (e.g. centre) whose AUCs are compared by unpaired DeLong."),
    click.option("--direction", type=click.Choice(["higher-is-positive", "lower-is-positive", "auto"]),
                 default="higher-is-positive", show_default=True,
                 help="Which way the score points (pROC direction '<', '>' or 'auto'); lower-is-positive: positive "
                      "when score <= cutoff."),
    click.option("--bootstrap", type=int, default=0, show_default=True, help="Stratified bootstrap replicates (0 = none)."),
    click.option("--seed", type=int, default=20160501, show_default=True, help="Bootstrap seed."),
    click.option("--workers", type=int, default=1, show_default=True, help="Local worker processes."),
    click.option("--scheduler", default=None, help="Dask scheduler address (tcp://host:8786)."),
    click.option("--figure-format", "figure_formats", multiple=True, type=click.Choice(["pdf", "svg", "png", "tiff"]),
                 help="Figure format (repeatable; default pdf, svg, png)."),
    click.option("--dpi", "dpis", multiple=True, type=click.IntRange(50, 2400),
                 help="Raster resolution, 50-2400 (repeatable; default 300)."),
    click.option("--out", "out", type=click.Path(path_type=Path), required=True, help="Output folder."),
    click.option("--force", is_flag=True, help="Replace an existing output folder."),
]


#: options of DiagnosticOptions -> the flags that set them (messages of the job say ``name=``)
FLAGS = {"score": "--score", "truth": "--truth", "positive": "--positive", "cutoff": "--cutoff", "method": "--method",
         "cost": "--cost", "prevalence": "--prevalence", "min_sensitivity": "--min-sensitivity",
         "min_specificity": "--min-specificity", "ci_method": "--ci", "target_prevalence": "--target-prevalence",
         "compare_cutoff": "--compare-cutoff", "compare": "--compare", "mcnemar_exact": "--mcnemar-exact",
         "unpaired_by": "--unpaired-by", "bootstrap": "--bootstrap", "direction": "--direction"}


def flag_wording(message: str) -> str:
    """A job message with the options named as the command's flags (``unpaired_by=`` -> ``--unpaired-by``)."""
    import re

    return re.sub(r"\b(" + "|".join(sorted(FLAGS, key=len, reverse=True)) + r")=(?![=])",
                  lambda m: FLAGS[m.group(1)], message)


def diagnostic_options(func):
    """Decorate a click command with the shared diagnostic options (and ``--label``/``--reference``)."""
    from spinestats.reports.cli.common import label_options

    for opt in reversed(_OPTIONS):
        func = opt(func)
    return label_options(func)


def run_and_write(table, *, out: Path, force: bool, figure_formats, dpis, label_texts=(), references=(), key: str,
                  seed: int, workers: int, scheduler, **flags) -> None:
    """Fill :class:`~spinestats.reports.diagnostic_job.DiagnosticOptions` from the flags and run
    :func:`~spinestats.reports.diagnostic_job.analyse` into ``out``; write results.json, methods.md, the
    tables in every format and report.html."""
    from spinestats.errors import UsageError
    from spinestats.reports import diagnostic_job
    from spinestats.reports.cli.common import echo_warnings, labels_from
    from spinestats.reports.job import JobContext, JobInput
    from spinestats.reports.output import OutputDir
    from spinestats.reports.cli.common import synthetic_inputs
    from spinestats.reports.figure_style import synthetic_mark
    from spinestats.reports.section_tables import finish_single
    from spinestats.reports.tables import table_style

    schema = getattr(getattr(table, "schema", None), "name", None)
    labels = labels_from(schema, label_texts, references)
    options = diagnostic_job.DiagnosticOptions(**flags)
    synthetic = synthetic_inputs(table)
    with OutputDir(out, force=force) as od, table_style(labels=labels) as written, synthetic_mark(synthetic):
        context = JobContext(out_dir=od.file("."), key=key, seed=seed, workers=workers, scheduler=scheduler,
                             figure_formats=figure_formats or None, dpis=dpis or None, labels=labels,
                             synthetic=synthetic)
        try:
            section = diagnostic_job.analyse(JobInput.of(table=table), options, context)
        except UsageError as exc:
            raise UsageError(flag_wording(str(exc))) from exc
        od.write_section(section, labels=labels)
        section = finish_single(section, od.file("."), written, labels=labels, synthetic=synthetic)
    r = section.results
    sel = r.get("requested_cutoffs") or []
    lo, hi = r.get("auc_ci") or (None, None)
    ci = "not estimable" if lo is None or hi is None else f"{lo:.3f}-{hi:.3f}"
    level = f"{100 * float(r.get('conf_level') or 0.95):.10g}%"
    msg = f"{section.key}: n = {r['n']} ({r['n_positive']} {r['positive']}), AUC {_f(r['auc'])} ({level} CI {ci})"
    ge = "<=" if r.get("direction_proc") == ">" else ">="
    for c in sel:
        msg += f"; {ge} {c['cutoff']:g}: sensitivity {_f(c['sensitivity'])}, specificity {_f(c['specificity'])}"
    click.echo(msg + f"; results in {out}/results.json")
    echo_warnings(section)


def _f(x) -> str:
    """A proportion or AUC for the summary line; "not estimable" when the data give none (null)."""
    return "not estimable" if x is None else f"{x:.3f}"

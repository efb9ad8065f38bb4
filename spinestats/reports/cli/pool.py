"""``spinestats pool``: verify site bundles and pool them.

::

    spinestats pool site_A.json site_B.json ... --out pooled/ [--plan plan.yaml]

Each bundle is checked (format, bundle schema version, JSON Schema,
checksum, signature, internal consistency: see
:func:`spinestats.data_schemas.site_bundle.read_bundle`) before anything is
computed.  With the shared study key (``--id-key``, ``SPINESTATS_ID_KEY`` or
a ``.spinestats-key`` beside the first bundle or in a parent folder) every
bundle must carry a valid signature (``--allow-unsigned`` accepts unsigned
ones with a warning); without a key, signatures cannot be verified and a
warning says so.  Writes ``results.json``,
``methods.md``, ``tables/`` (every format), ``figures/`` and ``report.html`` like ``spinestats multicenter``
(which gives the same numbers on the patient-level data).
"""

from __future__ import annotations

from pathlib import Path

import click

from spinestats.reports.cli._figure_format import figure_format_options, figure_formats_given
from spinestats.reports.cli.multicenter import FIGURE_DEFAULT, summary_line, write_outputs


@click.command("pool")
@click.argument("bundles", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--cutoff", type=float, default=None, help="Positive when score >= cutoff (default: the plan's, else 3).")
@click.option("--test", type=click.Choice(["z", "knha"]), default=None, help="Pooling test.")
@click.option("--continuity", type=float, default=0.5, show_default=True)
@click.option("--plan", type=click.Path(path_type=Path), default=None, help="Plan YAML with a prespecified: block.")
@figure_format_options(FIGURE_DEFAULT)
@click.option("--out", "out", type=click.Path(path_type=Path), required=True, help="Output folder.")
@click.option("--force", is_flag=True, help="Replace an existing output folder.")
@click.option("--allow-unsigned", is_flag=True, help="With a study key, accept unsigned bundles (with a warning).")
def command(bundles, cutoff, test, continuity, plan, figure_formats, out, force, allow_unsigned,
            figure_formats_alias=None) -> None:
    """Pool site bundles: per-centre and pooled accuracy, KM and log-rank."""
    from spinestats.data_schemas.site_bundle import read_bundle
    from spinestats.reports import multicenter_job
    from spinestats.reports.cli.common import echo_warnings
    from spinestats.reports.job import JobContext, JobInput
    from spinestats.reports.output import OutputDir

    from spinestats.data_schemas.privacy import study_key

    key = study_key(Path(bundles[0]).resolve().parent, create=False)
    docs = [read_bundle(b, key=key.secret if key else None, allow_unsigned=allow_unsigned) for b in bundles]
    unsigned = [str(b) for b, d in zip(bundles, docs) if "signature" not in d]
    if key is None:
        click.echo("warning: no study key, so bundle signatures were not verified; the checksums only detect "
                   "accidental changes (set SPINESTATS_ID_KEY or --id-key to the key shared by the sites).", err=True)
    elif unsigned:
        click.echo(f"warning: {len(unsigned)} bundle(s) not signed, accepted with --allow-unsigned: "
                   + ", ".join(unsigned), err=True)
    from spinestats.reports.cli.common import synthetic_inputs
    from spinestats.reports.figure_style import synthetic_mark
    from spinestats.reports.section_tables import finish_single
    from spinestats.reports.tables import table_style

    synthetic = synthetic_inputs(docs)
    with OutputDir(out, force=force) as od, table_style() as written, synthetic_mark(synthetic):
        options = multicenter_job.MulticenterOptions(cutoff=cutoff, test=test, continuity=continuity, plan=plan)
        section = multicenter_job.analyse(JobInput(data=tuple(docs)), options, JobContext(
            out_dir=od.file("."), figure_formats=figure_formats_given(figure_formats, figure_formats_alias,
                                                                         FIGURE_DEFAULT), synthetic=synthetic))
        write_outputs(od, section)
        section = finish_single(section, od.file("."), written, synthetic=synthetic)  # formatted tables and report.html
    click.echo(f"pool: {len(docs)} bundles verified; {summary_line(section.results)}")
    click.echo(f"results in {out}/results.json")
    echo_warnings(section)

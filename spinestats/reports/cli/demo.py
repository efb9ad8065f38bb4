"""``spinestats demo``: every analysis on the bundled synthetic cohorts, one report."""

from __future__ import annotations

from importlib import resources

import click

from spinestats.reports.cli._workers import DEFAULT_WORKERS


def demo_plan_path():
    """The bundled demo plan (``reports/templates/demo_plan.yaml``)."""
    return resources.files("spinestats.reports").joinpath("templates/demo_plan.yaml")


@click.command("demo")
@click.option("--out", "out", default="spinestats-demo", show_default=True, type=click.Path(file_okay=False),
              help="Output folder (refused if it exists and is not empty, unless --force).")
@click.option("--force", is_flag=True, help="Replace an existing output folder.")
@click.option("--workers", type=click.IntRange(min=1), default=DEFAULT_WORKERS, show_default=True,
              help="Analyses run side by side in this many processes (results do not depend on it).")
@click.option("--scheduler", default=None, help="Address of a Dask scheduler (tcp://host:8786); overrides --workers.")
@click.option("--quiet", is_flag=True, help="No progress bar and no messages.")
@click.option("--verbose", is_flag=True, help="One line per step, with its duration.")
def command(out: str, force: bool, workers: int, scheduler: str | None, quiet: bool, verbose: bool) -> None:
    """Run every analysis on the bundled SYNTHETIC cohorts and write a report to --out.

    The cohorts are reconstructed from the aggregates published in the review
    (Matsumoto, Fukushima J Med Sci); they are not patient data.  The report
    shows each published figure next to the reproduced one.
    """
    from spinestats.reports.plan_runner import run_plan
    from spinestats.reports.progress import Reporter
    from spinestats.reports.reproduction import reproduce

    reporter = Reporter(quiet=quiet, verbose=verbose)
    with resources.as_file(demo_plan_path()) as plan:
        results = run_plan(plan, out, force=force, workers=workers, scheduler=scheduler, reporter=reporter,
                           allow_missing=True, synthetic=True, reproduce=reproduce)
    if not quiet:
        rep = results.get("reproduction", [])
        n_ok = sum(1 for r in rep if r.get("match"))
        click.echo(f"Demo written to {out}/report.html (synthetic data). "
                   f"Published figures reproduced: {n_ok} of {len(rep)}.")
        for r in rep:
            if not r.get("match"):
                click.echo(f"  not matched: {r['figure']}: published {r['published']}, "
                           f"reproduced {r.get('reproduced_text')}{' - ' + r['note'] if r.get('note') else ''}")
        for item in results.get("unavailable", []):
            click.echo(f"Not available: {item['analysis']}: {item['reason']}", err=True)

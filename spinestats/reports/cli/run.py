"""``spinestats run PLAN.yaml --out DIR``: every analysis of a plan, one report."""

from __future__ import annotations

import click

from spinestats.reports.cli._workers import DEFAULT_WORKERS


@click.command("run")
@click.argument("plan", type=click.Path(dir_okay=False))
@click.option("--out", "out", required=True, type=click.Path(file_okay=False),
              help="Output folder (refused if it exists and is not empty, unless --force).")
@click.option("--force", is_flag=True, help="Replace an existing output folder.")
@click.option("--workers", type=click.IntRange(min=1), default=DEFAULT_WORKERS, show_default=True,
              help="Analyses run side by side in this many processes (results do not depend on it).")
@click.option("--scheduler", default=None, help="Address of a Dask scheduler (tcp://host:8786); overrides --workers.")
@click.option("--quiet", is_flag=True, help="No progress bar and no messages.")
@click.option("--verbose", is_flag=True, help="One line per step, with its duration.")
def command(plan: str, out: str, force: bool, workers: int, scheduler: str | None, quiet: bool, verbose: bool) -> None:
    """Run the analysis PLAN (YAML) and write report.html, figures/, tables/ and results.json to --out.

    Everything in the plan is checked before any analysis starts: its schema
    version, analysis types and options, data files and the output folder.
    `spinestats init DIR` writes a commented plan to start from.
    """
    from spinestats.reports.plan_runner import run_plan
    from spinestats.reports.progress import Reporter

    reporter = Reporter(quiet=quiet, verbose=verbose)
    results = run_plan(plan, out, force=force, workers=workers, scheduler=scheduler, reporter=reporter)
    if not quiet:
        n = len([k for k in results if isinstance(results[k], dict) and k != "provenance"])
        click.echo(f"{n} analyses written to {out}/ (report.html, results.json, figures/, tables/).")
        for item in results.get("unavailable", []):
            click.echo(f"Not run: {item['analysis']}: {item['reason']}", err=True)

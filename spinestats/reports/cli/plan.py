"""``spinestats plan``: lock a prespecified analysis plan, and verify it later.

::

    spinestats plan lock plan.yaml            # writes plan.lock.json beside it
    spinestats plan verify plan.yaml          # exit 1 if the plan changed since
"""

from __future__ import annotations

from pathlib import Path

import click

from spinestats.data_schemas.plan_lock import default_lock_path, lock_plan, verify_plan


@click.group("plan")
def command() -> None:
    """Lock and verify prespecified analysis plans."""


@command.command("lock")
@click.argument("plan", type=click.Path(path_type=Path))
@click.option("--out", "out", type=click.Path(path_type=Path), default=None, help="Lock file (default PLAN.lock.json).")
@click.option("--force", is_flag=True, help="Replace an existing lock (only before the study starts).")
def lock(plan, out, force) -> None:
    """Record the plan's hash (and its prespecified block) in a lock file."""
    doc = lock_plan(plan, out, force=force)
    target = out or default_lock_path(plan)
    pre = doc["prespecified"]
    click.echo(f"locked {plan}: sha256 {doc['plan_hash']}")
    click.echo(f"prespecified: {pre['score']} >= {pre['cutoff']:g} positive for {pre['positive']}; "
               f"primary: {', '.join(pre['primary_measures'])}")
    if pre.get("success"):
        crits = "; ".join(f"{m} {'>' if c['alternative'] == 'greater' else '<'} {c['null']:g}"
                          for m, c in pre["success"].items())
        click.echo(f"success criteria: {crits} (one-sided alpha {pre['alpha']:g}, multiplicity {pre['multiplicity']})")
    click.echo(f"lock written to {target}")


@command.command("verify")
@click.argument("plan", type=click.Path(path_type=Path))
@click.option("--lock", "lock_path", type=click.Path(path_type=Path), default=None, help="Lock file (default PLAN.lock.json).")
def verify(plan, lock_path) -> None:
    """Check that the plan still matches its lock (exit 1 if it changed)."""
    h = verify_plan(plan, lock_path)
    click.echo(f"{plan} matches its lock (sha256 {h}).")

"""Pieces shared by the single-analysis commands (not a command itself)."""

from __future__ import annotations

import click

from spinestats.reports.section import Section


def echo_warnings(section: Section) -> None:
    """Print each of a job's warnings on standard error."""
    for w in section.warnings:
        click.echo(f"warning: {w}", err=True)


def echo_load_warnings(table) -> None:
    """Print the loader's warnings (implausible values, an uncertain encoding, dropped identifier
    columns, formula-like cells) on standard error, each naming its line and column."""
    for p in getattr(table, "warnings", ()):
        click.echo(f"warning: {p.message()}", err=True)

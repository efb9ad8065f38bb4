"""``--figure-format`` for the commands that used to take ``--figure-formats`` (``multicenter``, ``pool``).

Every command takes ``--figure-format`` (repeatable).  ``multicenter`` and ``pool`` took a comma-separated
``--figure-formats``; it stays as a hidden alias (a contract: scripts that pass it keep working), and the
two may be combined.  ``none`` writes no figure.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import click

#: the formats the commands accept (``none``: no figures)
CHOICES = ("pdf", "svg", "png", "tiff", "none")


def figure_format_options(default: Sequence[str]) -> Callable:
    """The documented ``--figure-format`` and the hidden ``--figure-formats`` alias (default ``default``)."""
    shown = ", ".join(default)

    def decorate(f: Callable) -> Callable:
        f = click.option("--figure-formats", "figure_formats_alias", default=None, hidden=True,
                         help="Former name: comma-separated figure formats.")(f)
        return click.option("--figure-format", "figure_formats", multiple=True, type=click.Choice(CHOICES),
                            help=f"Figure format (repeatable; none: no figures; default: {shown}).")(f)
    return decorate


def figure_formats_given(figure_formats: Sequence[str], alias: str | None, default: Sequence[str]) -> tuple[str, ...]:
    """The formats of ``--figure-format`` and ``--figure-formats`` together, in order, each once; ``default``
    when neither was given."""
    given = list(figure_formats) + [x.strip() for x in (alias or "").split(",") if x.strip()]
    bad = [x for x in given if x not in CHOICES]
    if bad:
        raise click.BadParameter(f"{', '.join(map(repr, bad))}: expected {', '.join(CHOICES)}.",
                                 param_hint="'--figure-format'")
    return tuple(dict.fromkeys(given)) if given else tuple(default)

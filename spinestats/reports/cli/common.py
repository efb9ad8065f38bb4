"""Pieces shared by the single-analysis commands (not a command itself)."""

from __future__ import annotations

import click

from spinestats.reports.section import Section


def echo_warnings(section: Section) -> None:
    """Print each of a job's warnings on standard error, as a sentence, once."""
    from spinestats.reports.warning_text import sentences

    for w in sentences(section.warnings):
        click.echo(f"warning: {w}", err=True)


def echo_load_warnings(table) -> None:
    """Print the loader's warnings (implausible values, an uncertain encoding, dropped identifier
    columns, formula-like cells) on standard error, each naming its line and column."""
    for p in getattr(table, "warnings", ()):
        click.echo(f"warning: {p.message()}", err=True)


def label_options(func):
    """``--label VAR=Text`` / ``--label VAR.LEVEL=Text`` and ``--reference VAR=LEVEL`` (repeatable)."""
    func = click.option("--reference", "references", multiple=True, metavar="VAR=LEVEL",
                        help="Reference level of a factor in models and tables (repeatable).")(func)
    return click.option("--label", "label_texts", multiple=True, metavar="VAR=TEXT",
                        help="Display label of a variable (VAR=Text) or value (VAR.LEVEL=Text); repeatable.")(func)


def labels_from(schema, label_texts=(), references=(), columns=()):
    """The :class:`~spinestats.data_schemas.labels.Labels` of a single command (schema defaults + options).

    ``columns``: the columns of the file read, which may be labelled too (column mode: ``--group 分離手術``).
    """
    from spinestats.data_schemas.labels import Labels, parse_cli_labels

    lab, ref = parse_cli_labels(label_texts, references)
    return Labels([schema] if schema else [], lab, ref, extra_variables=[str(c) for c in columns],
                  strict=bool(schema), where="--label/--reference")


def synthetic_inputs(*inputs) -> bool:
    """Whether any input of a single command is synthetic: a loaded file that starts with the bundled
    examples' ``# SYNTHETIC DATA`` line, or a site bundle that says so (a dict, list or tuple of them
    counts when any member does).  Its figures then carry the "Synthetic data" note, its table files a
    footnote and its report the banner."""
    for item in inputs:
        if isinstance(item, dict) and "synthetic" in item:
            if bool(item["synthetic"]):
                return True
        elif isinstance(item, dict):
            if synthetic_inputs(*item.values()):
                return True
        elif isinstance(item, (list, tuple)):
            if synthetic_inputs(*item):
                return True
        elif getattr(item, "synthetic", False) is True:
            return True
    return False

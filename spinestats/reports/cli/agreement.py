"""``spinestats agreement``: inter-reader agreement.

Wide layout (any table, one row per case, one column per rater)::

    spinestats agreement scores.csv --case case --raters R1,R2,R3 --out agree/

Long layout (the ``readers`` schema: one row per case and reader)::

    spinestats agreement readers.csv --schema readers --out agree/

Writes ``results.json`` (``kappa``, ``weighted_kappa``, ``fleiss_kappa``,
``icc``; per feature under ``features``), ``methods.md`` and
``tables/icc.csv``.
"""

from __future__ import annotations

from pathlib import Path

import click

from spinestats.reports.cli.common import label_options


@click.command("agreement")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--schema", type=click.Choice(["readers"]), default=None, help="Long layout per the readers schema.")
@click.option("--mapping", type=click.Path(path_type=Path), default=None, help="Column mapping YAML.")
@click.option("--sheet", default=None)
@click.option("--case", default=None, help="Case column (readers: case_id).")
@click.option("--raters", default=None, help="Wide: rater columns COL1,COL2[,...]; long: readers to use.")
@click.option("--reader", default="reader", show_default=True, help="Reader column of the long layout.")
@click.option("--measure", default=None, help="Rating analysed (long: dss; wide: a label).")
@click.option("--out", "out", type=click.Path(path_type=Path), required=True, help="Output folder.")
@click.option("--force", is_flag=True, help="Replace an existing output folder.")
@label_options
def command(file, schema, mapping, sheet, case, raters, reader, measure, out, force, label_texts=(), references=()) -> None:
    """Cohen's kappa (weighted), Fleiss' kappa and the six Shrout-Fleiss ICCs."""
    import pandas as pd

    from spinestats.data_schemas.loading import load
    from spinestats.reports import agreement_job
    from spinestats.reports.cli.common import echo_load_warnings, echo_warnings
    from spinestats.reports.output import OutputDir
    from spinestats.reports.cli.common import labels_from
    from spinestats.reports.job import JobContext, JobInput
    from spinestats.reports.cli.common import synthetic_inputs
    from spinestats.reports.figure_style import synthetic_mark
    from spinestats.reports.section_tables import finish_single
    from spinestats.reports.tables import table_style

    table = load(file, schema=schema, mapping=mapping, sheet=sheet)
    echo_load_warnings(table)
    rater_list = [r.strip() for r in raters.split(",")] if raters else None
    labels = labels_from(schema, label_texts, references, columns=table.data.columns)
    synthetic = synthetic_inputs(table)
    with OutputDir(out, force=force) as od, table_style(labels=labels) as written, synthetic_mark(synthetic):
        options = agreement_job.AgreementOptions(case=case, reader=reader,
                                                 raters=None if rater_list is None else tuple(rater_list),
                                                 measure=measure)
        section = agreement_job.analyse(JobInput.of(table=table, paths=[file]), options,
                                        JobContext(out_dir=od.file("."), labels=labels, synthetic=synthetic))
        od.write_section(section, labels=labels)
        section = finish_single(section, od.file("."), written, labels=labels, synthetic=synthetic)
        if section.results.get("icc"):
            od.write_csv("tables/icc.csv", pd.DataFrame(section.results["icc"]))
        pairs = _pair_table(section.results)
        if pairs is not None:
            od.write_csv("tables/kappa_pairs.csv", pairs)
    r = section.results
    k = r["kappa"]
    click.echo(f"agreement on {r['measure']}: {r['n_cases']} cases, raters {', '.join(r['raters'])}; "
               f"kappa {k['estimate']:.3f} ({k['lower']:.3f}-{k['upper']:.3f})")
    if "light" in k:
        click.echo(f"Light's kappa (mean of the {len(k['pairwise'])} reader pairs) {k['light']:.3f}")
    click.echo(f"results in {out}/results.json")
    echo_warnings(section)


def _pair_table(r: dict) -> "pd.DataFrame | None":  # noqa: F821 (pandas is imported lazily)
    """Every reader pair's kappa (unweighted, linear, quadratic) in one table; None with two readers."""
    import pandas as pd

    if "pairwise" not in r["kappa"]:
        return None
    blocks = {"unweighted": r["kappa"], **(r.get("weighted_kappa") or {})}
    rows = [{"weights": w, **p} for w, b in blocks.items() for p in b["pairwise"]]
    return pd.DataFrame(rows)

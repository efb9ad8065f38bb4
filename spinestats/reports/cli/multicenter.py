"""``spinestats multicenter``: per-centre and pooled validation of a score.

Any table (one row per patient)::

    spinestats multicenter data.csv --center hospital --score total --truth histo \\
        --positive malignant --cutoff 3 --out mc/

or the ``dss`` schema, one file per centre (each may have its own mapping,
given as ``FILE=MAPPING``; a single ``--mapping M`` applies to every file)::

    spinestats multicenter --schema dss centre_A.csv centre_B.csv centre_C.xlsx \\
        --mapping centre_B.csv=mapping_centre_B.yaml --plan plan.yaml --out mc/

With ``--schema dss`` invalid rows are excluded and counted per reason and
centre (flow diagram, STARD).  Writes ``results.json`` (exactly the job's
results), ``methods.md``, ``tables/per_center.csv``, ``tables/stard.csv``
and ``figures/``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from spinestats.reports.cli._figure_format import figure_format_options, figure_formats_given
from spinestats.reports.cli.common import label_options

from spinestats.errors import UsageError

#: figures written when no --figure-format is given
FIGURE_DEFAULT = ("pdf", "svg", "png")

if TYPE_CHECKING:
    from spinestats.reports.output import OutputDir


def mapping_for(files: list[Path], mappings: tuple[str, ...]) -> dict[Path, Path | None]:
    """Resolve ``--mapping`` values (``FILE=MAPPING`` pairs, or one mapping for all)."""
    out: dict[Path, Path | None] = {f: None for f in files}
    plain = [m for m in mappings if "=" not in m]
    if len(plain) > 1:
        raise UsageError("give one --mapping for every file, or FILE=MAPPING pairs (one per file that needs one).")
    for f in files:
        out[f] = Path(plain[0]) if plain else None
    for m in mappings:
        if "=" in m:
            name, path = m.split("=", 1)
            hits = [f for f in files if f.name == Path(name).name or str(f) == name]
            if not hits:
                raise UsageError(f"--mapping {m}: {name} is not one of the files given.")
            out[hits[0]] = Path(path)
    return out


def write_outputs(od: OutputDir, section) -> None:
    import pandas as pd

    od.write_section(section)
    res = section.results
    if res.get("per_center"):
        od.write_csv("tables/per_center.csv", pd.DataFrame(res["per_center"]).drop(
            columns=[c for c in ("sensitivity_ci", "specificity_ci", "auc_ci") if c in res["per_center"][0]]))
    if res.get("stard"):
        od.write_csv("tables/stard.csv", pd.DataFrame([{k: v for k, v in i.items() if k != "numbers"}
                                                       for i in res["stard"]]))


def summary_line(res: dict) -> str:
    p = res.get("pooled") or {}
    if "sensitivity" not in p:
        return ""
    se, sp = p["sensitivity"], p["specificity"]
    return (f"pooled sensitivity {se['estimate']:.3f} ({se['ci'][0]:.3f}-{se['ci'][1]:.3f}), "
            f"specificity {sp['estimate']:.3f} ({sp['ci'][0]:.3f}-{sp['ci'][1]:.3f}) at "
            f"{res['score']} >= {res['cutoff']:g} [{res['cutoff_status']}]")


@click.command("multicenter")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--schema", type=click.Choice(["dss"]), default=None, help="Read the files as dss exports.")
@click.option("--mapping", multiple=True, help="Mapping YAML for all files, or FILE=MAPPING (repeatable).")
@click.option("--sheet", default=None, help="XLSX sheet to read.")
@click.option("--center", default=None, help="Centre column (dss: centre; else the file name is the centre).")
@click.option("--score", default=None, help="Score column (dss: dss, computed from the features if absent).")
@click.option("--truth", default=None, help="Reference-standard column (dss: reference).")
@click.option("--positive", default=None, help="Label of the target condition in --truth (dss: malignant).")
@click.option("--cutoff", type=float, default=None, help="Positive when score >= cutoff (default: the plan's, else 3).")
@click.option("--test", type=click.Choice(["z", "knha"]), default=None, help="Pooling test (default: the plan's, else z).")
@click.option("--continuity", type=float, default=0.5, show_default=True, help="Continuity correction for zero cells.")
@click.option("--plan", type=click.Path(path_type=Path), default=None, help="Plan YAML with a prespecified: block.")
@click.option("--risk", default=None, help="Column of predicted probabilities (risk model: C, O:E, CITL, slope).")
@figure_format_options(FIGURE_DEFAULT)
@click.option("--out", "out", type=click.Path(path_type=Path), required=True, help="Output folder.")
@click.option("--force", is_flag=True, help="Replace an existing output folder.")
@label_options
def command(files, schema, mapping, sheet, center, score, truth, positive, cutoff, test, continuity, plan, risk,
            figure_formats, out, force, label_texts=(), references=(), figure_formats_alias=None) -> None:
    """Per-centre sensitivity, specificity, AUC; REML and bivariate pooling; SROC; STARD flow."""
    from spinestats.data_schemas.loading import load
    from spinestats.reports import multicenter_job
    from spinestats.reports.cli.common import echo_warnings, labels_from
    from spinestats.reports.job import JobContext, JobInput
    from spinestats.reports.output import OutputDir
    from spinestats.reports.cli.common import synthetic_inputs
    from spinestats.reports.figure_style import synthetic_mark
    from spinestats.reports.section_tables import finish_single
    from spinestats.reports.tables import table_style

    files = list(files)
    if schema is None:
        missing = [o for o, v in (("--score", score), ("--truth", truth), ("--positive", positive)) if v is None]
        if missing:
            raise UsageError(f"without --schema, give {', '.join(missing)} (and --center unless each file is one centre).")
    center = center or "centre"
    score = score or "dss"
    truth = truth or "reference"
    positive = positive or "malignant"
    maps = mapping_for(files, tuple(mapping))
    tables = {}
    for f in files:
        tables[f.name] = load(f, schema=schema, mapping=maps[f], sheet=sheet, exclude_invalid=schema is not None)
        if schema is None:  # column mode: score and reference cells checked as accuracy checks them
            from spinestats.data_schemas.column_checks import check_score_truth

            check_score_truth(tables[f.name].data, score=score, truth=truth, positive=positive, file=f.name)
    labels = labels_from(schema, label_texts, references)
    synthetic = synthetic_inputs(tables)
    with OutputDir(out, force=force) as od, table_style(labels=labels) as written, synthetic_mark(synthetic):
        options = multicenter_job.MulticenterOptions(
            center=center, score=score, truth=truth, positive=positive, cutoff=cutoff, test=test,
            continuity=continuity, plan=plan, risk=risk)
        section = multicenter_job.analyse(JobInput.of(table=tables), options, JobContext(
            out_dir=od.file("."), figure_formats=figure_formats_given(figure_formats, figure_formats_alias,
                                                                         FIGURE_DEFAULT), synthetic=synthetic))
        write_outputs(od, section)
        section = finish_single(section, od.file("."), written, labels=labels, synthetic=synthetic)
    click.echo(f"multicenter: {len(section.results['per_center'])} centres, "
               f"{section.results['flow']['overall']['n_analysed']} patients; {summary_line(section.results)}")
    click.echo(f"results in {out}/results.json")
    echo_warnings(section)

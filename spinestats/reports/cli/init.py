"""``spinestats init DIR``: a commented plan, mapping templates and empty exports.

The folder gets ``plan.yaml`` (every field explained, every available
analysis with its options and defaults, read from the jobs themselves so the
template never goes stale), ``mappings/<schema>.yaml`` (one commented line
per schema column: how to map your export's column names, units and codes)
and ``exports/<schema>.csv`` (the header row of a well-formed export, no
rows).  Fill the exports (or point the plan at your own files), then run
``spinestats run DIR/plan.yaml --out DIR/report``.
"""

from __future__ import annotations


import click

from spinestats.data_schemas.plan import DEFAULT_SEED, PLAN_SCHEMA_VERSION
from spinestats.data_schemas.schema import SCHEMA_NAMES, get_schema
from spinestats.reports.output import OutputDir

#: Which schema each analysis type usually reads (used for the template only).
TYPICAL_DATA = {"dss": "dss", "accuracy": "dss", "survival": "cirt", "fracture": "fracture", "pain": "bkp",
                "agreement": "readers", "multicenter": "dss", "table_one": "bkp", "sample_size": None}


def _yaml_value(value: object) -> str:
    import yaml

    return yaml.safe_dump(value, default_flow_style=True, allow_unicode=True).strip().removesuffix("...").strip()


def mapping_template(name: str) -> str:
    """A commented mapping file for schema ``name``."""
    schema = get_schema(name)
    lines = [
        f"# Mapping of YOUR export onto the spinestats '{name}' schema (version {schema.version}).",
        f"# {schema.title}",
        "# Every key is optional. Uncomment and edit what differs in your export;",
        "# columns already named as the schema names them need no line.",
        f"schema: {name}",
        "# encoding: utf-8        # or utf-8-sig, cp932 (Japanese Windows Excel CSV)",
        "# sheet: Sheet1          # XLSX sheet to read",
        "# dates: iso             # iso (YYYY-MM-DD), excel (serial numbers) or a format like \"%d.%m.%Y\"",
        "# missing: [\"-\", unknown] # extra cell texts that mean 'not recorded'",
        "columns:                 # your column name: schema column",
    ]
    for c in schema.columns:
        req = "required" if c.required else "optional"
        unit = f", unit {c.unit}" if c.unit else ""
        allowed = f", values {'/'.join(map(str, c.allowed))}" if c.allowed else ""
        ident = ", an identifier: pseudonymised in every output" if c.identifier else ""
        lines.append(f"  # \"Your column for {c.name}\": {c.name}    # {c.type}, {req}{unit}{allowed}{ident}. {c.description}")
    lines.append("units:                   # schema column: the unit YOUR export uses (converted)")
    for c in schema.columns:
        if c.unit:
            lines.append(f"  # {c.name}: {c.unit}")
    lines.append("codes:                   # schema column: {your code: schema value}")
    for c in schema.columns:
        if c.allowed and c.type == "category":
            example = ", ".join(f"{i + 1}: {v}" for i, v in enumerate(c.allowed))
            lines.append(f"  # {c.name}: {{{example}}}")
        elif c.type == "boolean":
            lines.append(f"  # {c.name}: {{Y: true, N: false}}   # 1/0, yes/no, true/false are understood without a code map")
    return "\n".join(lines) + "\n"


def export_template(name: str) -> str:
    """The header row of an empty export for schema ``name`` (wide layout)."""
    return ",".join(c.name for c in get_schema(name).columns) + "\n"


def _option_lines(kind: str) -> list[str]:
    import dataclasses
    from collections.abc import Mapping

    from spinestats.reports.plan_runner import job_function, options_class

    try:
        job_function(kind)
    except Exception as exc:  # noqa: BLE001 - a job not installed is reported in the template
        return [f"  #   (not available in this installation: {exc})"]
    fields = options_class(kind)
    if fields is None:
        return ["  #   (no options)"]

    def default_text(f):
        value = f.default if f.default is not dataclasses.MISSING else (
            f.default_factory() if f.default_factory is not dataclasses.MISSING else dataclasses.MISSING)
        if value is dataclasses.MISSING:
            return "REQUIRED"
        return _yaml_value(list(value) if isinstance(value, tuple) else dict(value) if isinstance(value, Mapping)
                           else value)
    return [f"  #   {f.name}: {default_text(f)}" for f in dataclasses.fields(fields)] or ["  #   (no options)"]


def plan_template() -> str:
    """The commented plan.yaml."""
    from spinestats.reports.plan_runner import JOBS

    lines = [
        "# spinestats run plan. Run it with:  spinestats run plan.yaml --out report",
        "# Relative paths are relative to this file's folder.",
        f"schema_version: {PLAN_SCHEMA_VERSION}      # version of this plan format (do not change)",
        "title: My spinal tumour study   # title of the report",
        f"seed: {DEFAULT_SEED}            # seed of every bootstrap / imputation / simulation (same seed, same numbers)",
        "synthetic: false                # true only for synthetic data (the report then says so)",
        "",
        "# Inputs, by name. file: CSV/TSV/XLSX/Parquet export; schema: what it contains;",
        "# mapping: how its columns/codes/units map onto the schema (see mappings/);",
        "# optional: sheet (XLSX), encoding, exclude_invalid (true: rows with errors go to the exclusion log).",
        "data:",
    ]
    for name in SCHEMA_NAMES:
        lines.append(f"  {name}: {{file: exports/{name}.csv, schema: {name}, mapping: mappings/{name}.yaml}}")
    lines += [
        "",
        "# Analyses, run in this order. type: which analysis; data: the input name(s) above;",
        "# key: its name in results.json (default: the type); title: its heading in the report.",
        "# Any other key is an option of the analysis (listed below with its default).",
        "analyses:",
        "  - type: table_one",
        "    data: bkp",
        "    group: arm",
        "    variables: [age, sex, nrs_baseline, levels_treated]",
        "    nonnormal: [nrs_baseline]",
    ]
    for kind in JOBS:
        data = TYPICAL_DATA.get(kind)
        lines.append(f"  # - type: {kind}" + (f"\n  #   data: {data}" if data else ""))
        lines += _option_lines(kind)
    lines += [
        "",
        "# Output (all optional).",
        "output:",
        "  figures:",
        "    formats: [pdf, svg, png, tiff]   # vector PDF/SVG; PNG/TIFF once per dpi",
        "    dpi: [300]                       # add 600 for a journal that asks for 600 dpi line art",
        "    width: single                    # single (85 mm), onehalf (120 mm), double (170 mm) or mm",
        "  tables:",
        "    formats: [csv, xlsx, docx, md]   # add tex for LaTeX",
        "  style:",
        "    p_values: default                # default (p < 0.001), nejm (P<0.001), apa (p < .001)",
        "    ci: dash                         # dash 0.83 (0.75-0.90), to 0.83 (0.75 to 0.90), bracket 0.83 [0.75, 0.90]",
        "    digits: 2                        # decimals of estimates",
        "",
        "# prespecified:                      # optional: the locked analysis (score, cutoff, primary measures);",
        "#   score: dss                       # see `spinestats plan lock`",
        "#   cutoff: 3",
        "#   positive: malignant",
        "#   primary_measures: [sensitivity, specificity]",
        "#   success:                         # the primary endpoint: one-sided criteria tested at the end",
        "#     sensitivity: {null: 0.80, alternative: greater, expected: 0.90}",
        "#     specificity: {null: 0.70, alternative: greater, expected: 0.85}",
        "#   alpha: 0.05",
        "#   multiplicity: all                # all: co-primary (each must be met); any: Holm",
    ]
    return "\n".join(lines) + "\n"


@click.command("init")
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--force", is_flag=True, help="Replace an existing non-empty folder.")
def command(folder: str, force: bool) -> None:
    """Write a commented plan.yaml, mapping templates and empty export templates to FOLDER."""
    with OutputDir(folder, force=force) as out:
        out.write_text("plan.yaml", plan_template())
        for name in SCHEMA_NAMES:
            out.write_text(f"mappings/{name}.yaml", mapping_template(name))
            out.write_text(f"exports/{name}.csv", export_template(name))
        out.write_text(
            "README.md",
            "# spinestats project\n\n1. Put each registry export in `exports/` (or edit `data:` in `plan.yaml`).\n"
            "2. Describe your column names, units and codes in `mappings/<schema>.yaml`.\n"
            "3. Check an export: `spinestats check exports/dss.csv --schema dss --mapping mappings/dss.yaml`.\n"
            "4. Run everything: `spinestats run plan.yaml --out report`.\n\n"
            "Patient IDs appear in outputs and messages only as pseudonyms keyed by the study key in "
            "`.spinestats-key` (readable by you only; or set SPINESTATS_ID_KEY). Keep it with the study, "
            "out of shared folders; give it to the other sites of a federated study.\n",
        )
        key_note = _write_study_key(out, folder)
    click.echo(f"Wrote {folder}/plan.yaml, {folder}/mappings/ and {folder}/exports/.")
    if key_note:
        click.echo(key_note)


def _write_study_key(out: OutputDir, folder: str) -> str | None:
    """A new study key in FOLDER/.spinestats-key (0600), unless one is given or found already."""
    import os
    from pathlib import Path

    from spinestats.data_schemas.privacy import KEY_ENV, KEY_FILE, find_key_file, write_key_file

    if os.environ.get(KEY_ENV) or find_key_file(Path(folder).absolute().parent) is not None:
        return None
    write_key_file(out.file(KEY_FILE))
    return (f"Wrote the study key {folder}/{KEY_FILE} (readable by you only): it keys the pseudonyms of patient "
            "IDs; keep it private and give it only to the other sites of the study.")

"""``spinestats site-summary``: the aggregate-only bundle a centre shares.

::

    spinestats site-summary centre_A.csv --schema dss --out site_A.json
    spinestats site-summary export.csv --score total --truth histo --positive malignant --centre "Hospital X" --out x.json
    spinestats site-summary followup.csv --time months --event died --group arm --out surv.json

The bundle holds counts per score level and class (and/or risk-set tables
at distinct times), the exclusion counts per reason, and a SHA-256
checksum; no rows, IDs or dates.  When a study key is present
(``--id-key``, ``SPINESTATS_ID_KEY`` or the study's ``.spinestats-key``;
none is created here) the bundle is also signed with it, so ``pool`` can
refuse a bundle altered after export; without one it is unsigned and a
warning says so.  ``--min-cell K`` merges adjacent levels /
times until every non-zero count is at least K (the pooled results are then
approximate; the bundle says ``exact: false``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from spinestats.errors import DataError, UsageError

if TYPE_CHECKING:
    import pandas as pd

DAYS_PER_MONTH = 365.25 / 12


TRUE = {"true", "1", "yes", "y", "t", "event", "dead", "died"}
FALSE = {"false", "0", "no", "n", "f", "censored", "alive"}


def as_event(values: pd.Series, column: str) -> pd.Series:
    """Event indicator as bool from bool, 0/1 or true/false text; refuses anything else."""
    import pandas as pd

    if values.dtype == bool:
        return values
    if pd.api.types.is_numeric_dtype(values):
        bad = ~values.isin([0, 1])
        if bad.any():
            raise DataError(f"--event {column!r}: expected 0/1, found {values[bad].iloc[0]!r} (line {values.index[bad][0]}).")
        return values.astype(bool)
    text = values.astype(str).str.strip().str.lower()
    bad = ~text.isin(TRUE | FALSE)
    if bad.any():
        raise DataError(f"--event {column!r}: expected true/false, yes/no or 0/1, found {values[bad].iloc[0]!r} "
                        f"(line {values.index[bad][0]}).")
    return text.isin(TRUE)


def _flow(table, extra: dict[str, int], n_analysed: int) -> dict:
    from spinestats.reports.multicenter_job import exclusion_reason

    reasons: dict[str, int] = {}
    for e in table.exclusions:
        r = exclusion_reason(e.reason, getattr(e, "rules", ()))
        reasons[r] = reasons.get(r, 0) + 1
    for r, n in extra.items():
        reasons[r] = reasons.get(r, 0) + n
    n_ex = sum(reasons.values())
    return {"n_read": n_analysed + n_ex, "n_analysed": n_analysed, "n_excluded": n_ex,
            "exclusions": [{"reason": r, "n": n} for r, n in sorted(reasons.items())]}


@click.command("site-summary")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--schema", type=click.Choice(["dss", "cirt"]), default=None, help="Read FILE as a dss or cirt export.")
@click.option("--mapping", type=click.Path(path_type=Path), default=None, help="Column mapping YAML.")
@click.option("--sheet", default=None, help="XLSX sheet.")
@click.option("--centre", "centre", default=None, help="Centre label (default: the centre column, else the file name).")
@click.option("--score", default=None, help="Integer score column (dss: dss).")
@click.option("--truth", default=None, help="Reference-standard column (dss: reference).")
@click.option("--positive", default=None, help="Target-condition label (dss: malignant).")
@click.option("--time", "time_col", default=None, help="Follow-up time column (cirt: months from CIRT to last follow-up).")
@click.option("--event", "event_col", default=None, help="Event column, true/1 = event (cirt: death).")
@click.option("--group", "group_col", default=None, help="Group column for the risk-set tables.")
@click.option("--time-unit", default="months", show_default=True, help="Unit of --time, recorded in the bundle.")
@click.option("--min-cell", type=int, default=None, help="Small-cell suppression threshold (>= 2).")
@click.option("--plan", type=click.Path(path_type=Path), default=None, help="Plan YAML: its hash goes into the bundle.")
@click.option("--created-by", default="spinestats site-summary", show_default=True, help="Who made the bundle.")
@click.option("--out", "out", type=click.Path(path_type=Path), required=True, help="Bundle file (.json).")
@click.option("--force", is_flag=True, help="Replace an existing bundle file.")
def command(file, schema, mapping, sheet, centre, score, truth, positive, time_col, event_col, group_col, time_unit,
            min_cell, plan, created_by, out, force) -> None:
    """Write an aggregate-only site bundle (counts only) for federated pooling."""
    import pandas as pd

    from spinestats.analysis.pooling.federated import (
        risk_set_table,
        score_counts_table,
        suppress_risk_set,
        suppress_score_counts,
    )
    from spinestats.data_schemas.loading import load
    from spinestats.data_schemas.plan_lock import plan_hash as compute_plan_hash
    from spinestats.data_schemas.privacy import study_key
    from spinestats.data_schemas.site_bundle import make_bundle, write_bundle
    from spinestats.reports.multicenter_job import SYNTHETIC_MARK
    from spinestats.reports.output import check_output_file
    from spinestats.text_numbers import to_numeric

    if min_cell is not None and min_cell < 2:
        raise UsageError(f"--min-cell must be >= 2; got {min_cell}.")
    check_output_file(out, [file, mapping, plan], force)  # never the input, even with --force
    table = load(file, schema=schema, mapping=mapping, sheet=sheet, exclude_invalid=schema is not None)
    df = table.data
    if schema == "dss":
        score, truth, positive = score or "dss", truth or "reference", positive or "malignant"
    if schema == "cirt" and time_col is None:
        df = df.copy()
        df["_time"] = (df["last_follow_up_date"] - df["treatment_date"]).dt.days / DAYS_PER_MONTH
        df["_event"] = df["death"].astype(bool)
        time_col, event_col, time_unit = "_time", "_event", "months"
    if score is None and time_col is None:
        raise UsageError("give --schema dss, or --score/--truth/--positive, or --time/--event (what to summarise).")
    label = centre
    if label is None and "centre" in df.columns and df["centre"].notna().any():
        vals = df["centre"].dropna().astype(str).unique()
        if len(vals) > 1:
            raise DataError(f"{file}: several centres in one file ({', '.join(vals[:5])}); give one file per centre "
                            "or --centre to label it.")
        label = vals[0]
    label = label or Path(file).stem
    payload: dict = {"data_schema": schema, "plan_hash": compute_plan_hash(plan) if plan else None,
                     "suppression": {"min_cell": min_cell, "exact": min_cell is None}}
    extra: dict[str, int] = {}
    used = df
    if score is not None:
        for col, opt in ((score, "--score"), (truth, "--truth")):
            if col is None or col not in df.columns:
                if col == "dss" and schema == "dss":
                    from spinestats.analysis.scores.dss_score import compute_dss

                    df = df.copy()
                    df["dss"] = compute_dss(df).score
                    continue
                from spinestats.analysis.core.params import check_column

                check_column(df, col, opt.lstrip("-"), flag=opt)
        s = to_numeric(df[score], errors="coerce")
        bad = s.isna() | df[truth].isna()
        if bad.any():
            extra[f"missing {score} or {truth}"] = int(bad.sum())
        used = df[~bad]
        if str(positive) not in set(used[truth].astype(str)):
            raise UsageError(f"--positive {positive!r}: not a value of {truth!r}.")
        tab = score_counts_table(s[~bad].to_numpy(), (used[truth].astype(str) == str(positive)).to_numpy())
        if min_cell:
            tab = suppress_score_counts(tab, min_cell)
        payload["score"] = {"name": str(score), "positive": str(positive), **tab}
    if time_col is not None:
        if event_col is None:
            raise UsageError("--time and --event must both name columns of the file.")
        from spinestats.analysis.core.params import check_column

        for col, flag in ((time_col, "--time"), (event_col, "--event"), (group_col, "--group")):
            if col is not None:
                check_column(df, col, flag[2:], flag=flag)
        t = to_numeric(df[time_col], errors="coerce")
        ev = df[event_col]
        bad = t.isna() | ev.isna()
        if bad.any():
            extra[f"missing {time_col} or {event_col}"] = extra.get(f"missing {time_col} or {event_col}", 0) + int(bad.sum())
        groups = {}
        gcol = df[group_col].astype(str) if group_col else pd.Series("all", index=df.index)
        for g in sorted(gcol[~bad].unique()):
            m = (~bad) & (gcol == g)
            tab = risk_set_table(t[m].to_numpy(), as_event(ev[m], event_col).to_numpy())
            groups[str(g)] = suppress_risk_set(tab, min_cell) if min_cell else tab
        payload["survival"] = {"time_unit": time_unit, "group_variable": group_col, "groups": groups}
        if score is None:
            used = df[~bad]
    payload["flow"] = _flow(table, extra, int(len(used)))
    synthetic = SYNTHETIC_MARK in str(label) or bool(
        "centre" in df.columns and df["centre"].astype(str).str.contains(SYNTHETIC_MARK, regex=False).any())
    key = study_key(Path(file).resolve().parent, create=False)
    bundle = make_bundle(label, payload, created_by=created_by, synthetic=synthetic, key=key.secret if key else None)
    path = write_bundle(bundle, out, force=force)
    n = payload["flow"]["n_analysed"]
    click.echo(f"site-summary: centre {label!r}, {n} patients summarised "
               f"({payload['flow']['n_excluded']} excluded); bundle {path} (sha256 {bundle['checksum']['value'][:12]}...)")
    if key is None:
        click.echo("warning: the bundle is not signed (no study key: set SPINESTATS_ID_KEY or --id-key to the key "
                   "shared by the sites); pool can then only detect accidental changes.", err=True)
    if min_cell:
        click.echo("warning: small-cell suppression is on: pooled results will be approximate.", err=True)

"""Table 1 job: baseline characteristics by group, written for the manuscript.

``run`` computes :func:`spinestats.analysis.table_one.table_one`, formats it
as journals print a Table 1 (mean ± SD, median [Q1, Q3], n (%), p, SMD) and
writes it to ``tables/<key>.<fmt>``.  Used by ``spinestats run`` (analysis
type ``table_one``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from spinestats.analysis.table_one import TableOneResult, table_one
from spinestats.reports.formatting import fmt_number, format_mean_sd, format_median_iqr, format_n_percent, format_p
from spinestats.reports.section import Section
from spinestats.reports.tables import DEFAULT_TABLE_FORMATS, write_table

REFERENCE = (
    "Austin PC. Balance diagnostics for comparing the distribution of baseline covariates between treatment "
    "groups in propensity-score matched samples. Stat Med 2009;28:3083-3107. doi:10.1002/sim.3697"
)


def display_frame(result: TableOneResult, p_style: str = "default", digits: int = 1) -> pd.DataFrame:
    """Table 1 as printed: one row per continuous variable or per level.

    Two-level categorical variables show their second level only
    (``sex = male``), as R's ``print.TableOne`` does; missing counts get
    their own row.
    """
    cols = [f"{g} (n = {result.n[g]})" for g in result.groups]
    rows = []

    def add(label, values, p="", smd=""):
        rows.append({"Characteristic": label, **dict(zip(cols, values)), "p": p, "SMD": smd})

    for v in result.variables:
        p = format_p(v.p_value, p_style, prefix=False) if v.p_value is not None else ""
        smd = fmt_number(v.smd, 3) if v.smd is not None else ""
        if v.kind == "continuous":
            if v.nonnormal:
                vals = [format_median_iqr(v.stats[g]["median"], v.stats[g]["q1"], v.stats[g]["q3"], digits) for g in result.groups]
                add(f"{v.variable}, median [IQR]", vals, p, smd)
            else:
                vals = [format_mean_sd(v.stats[g]["mean"], v.stats[g]["sd"], digits) for g in result.groups]
                add(f"{v.variable}, mean \u00b1 SD", vals, p, smd)
        elif len(v.levels) == 2:
            lev = v.levels[1]
            vals = [format_n_percent(v.stats[g]["counts"][lev], v.stats[g]["n"], digits) for g in result.groups]
            add(f"{v.variable} = {lev}, n (%)", vals, p, smd)
        else:
            add(f"{v.variable}, n (%)", [""] * len(cols), p, smd)
            for lev in v.levels:
                add(f"    {lev}", [format_n_percent(v.stats[g]["counts"][lev], v.stats[g]["n"], digits) for g in result.groups])
        if any(v.n_missing.values()):
            add(f"    {v.variable}: missing", [str(v.n_missing[g]) for g in result.groups])
    return pd.DataFrame(rows, columns=["Characteristic", *cols, "p", "SMD"])


def run(
    data: pd.DataFrame,
    out_dir: str | Path,
    *,
    group: str,
    variables: Sequence[str],
    categorical: Sequence[str] = (),
    nonnormal: Sequence[str] = (),
    exact: Sequence[str] = (),
    table_formats: Sequence[str] = DEFAULT_TABLE_FORMATS,
    p_style: str = "default",
    summary_digits: int = 1,
    key: str = "table_one",
    title: str = "Table 1. Baseline characteristics",
) -> Section:
    """Compute and write Table 1.

    Parameters
    ----------
    data : one row per patient (canonical schema columns).
    out_dir : output folder; the table goes to ``tables/<key>.<fmt>``.
    group : column with the groups compared (e.g. ``arm``, ``reference``).
    variables : columns in table order.
    categorical, nonnormal, exact : see :func:`spinestats.analysis.table_one.table_one`.
    table_formats : formats to write (csv, xlsx, docx, md, tex).
    p_style : p-value convention (default, nejm, apa).
    summary_digits : decimals of means, SDs, medians and percentages (the
        plan's ``output.style.digits`` is for estimates, not for Table 1).
    key, title : section name in results.json and heading in the report.

    Returns
    -------
    Section whose ``results`` is the :class:`TableOneResult` as a dict.
    """
    result = table_one(data, group=group, variables=list(variables), categorical=list(categorical),
                       nonnormal=list(nonnormal), exact=list(exact))
    out_dir = Path(out_dir)
    frame = display_frame(result, p_style=p_style, digits=summary_digits)
    note = ("SMD: standardised mean difference. p: t-test/ANOVA (mean \u00b1 SD), Kruskal-Wallis (median [IQR]), "
            "chi-squared with Yates' correction for 2 x 2 (n (%)), Fisher's exact where marked.")
    paths = write_table(frame, out_dir / "tables", key, table_formats, title=title, note=note)
    tests_used = sorted({v.test for v in result.variables if v.test})
    methods = [
        f"Baseline characteristics were compared between {group} groups as mean \u00b1 SD, median [IQR] or n (%), "
        f"with standardised mean differences (SMD) [Austin 2009]"
        + (f" and {', '.join(tests_used)} tests" if tests_used else "")
        + ", as R's tableone computes them."
    ]
    return Section(
        key=key,
        title=title,
        results=result.to_dict(),
        tables=tuple(p.relative_to(out_dir) for p in paths),
        warnings=result.warnings,
        methods=tuple(methods),
        references=(REFERENCE,),
    )

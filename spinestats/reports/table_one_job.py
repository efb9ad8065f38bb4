"""Table 1 job: baseline characteristics by group, written for the manuscript.

``run`` computes :func:`spinestats.analysis.descriptive.table_one.table_one`, formats it
as journals print a Table 1 (mean ± SD, median [Q1, Q3], n (%), p, SMD) and
writes it to ``tables/<key>.<fmt>``.  Used by ``spinestats run`` (analysis
type ``table_one``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from spinestats.analysis.descriptive.table_one import TableOneResult, table_one
from spinestats.data_schemas.labels import Labels, as_labels, level_key
from spinestats.reports.formatting import fmt_number, format_n_percent
from spinestats.reports.section import Section
from spinestats.reports.tables import DEFAULT_TABLE_FORMATS, Col, Table, TableStyle, write_table

REFERENCE = (
    "Austin PC. Balance diagnostics for comparing the distribution of baseline covariates between treatment "
    "groups in propensity-score matched samples. Stat Med 2009;28:3083-3107. doi:10.1002/sim.3697"
)


TEST_LETTERS = {"t-test": "a", "ANOVA (t-test)": "a", "Kruskal-Wallis": "b", "chi-squared": "c",
                "Fisher's exact": "d", "Fisher's exact (expected counts < 5)": "d"}
TEST_WORDS = {"a": "Student's t-test (one-way ANOVA for more than two groups)",
              "b": "Wilcoxon rank-sum (Kruskal\u2013Wallis) test", "c": "chi-squared test (Yates' correction for 2 \u00d7 2)",
              "d": "Fisher's exact test (used automatically where an expected count was below 5)"}


def table_one_table(result: TableOneResult, labels: Labels | None = None, digits: int = 1, title: str = "",
                    stem: str = "table_one") -> Table:
    """Table 1 as a :class:`Table` (like gtsummary's ``tbl_summary``): variables in the given order with their
    labels and units, levels in schema order, an Overall column, n (%) and mean (SD) or median (IQR), a Missing
    row only where values are missing, p with a letter naming its test, and the SMD."""
    labels = labels or Labels()
    groups = list(result.groups)
    gcols = [f"g{i}" for i in range(len(groups))]
    rows: list[dict] = []

    def add(text, overall, values, p=None, test=None, smd=None, indent=False):
        rows.append({"characteristic": text, "overall": overall, **dict(zip(gcols, values)),
                     "p": float("nan") if p is None else float(p), "test": test or "",
                     "smd": float("nan") if smd is None else float(smd), "_indent": indent})

    for v in result.variables:
        letter = TEST_LETTERS.get(v.test or "", "")
        o = result.overall.get(v.variable, {})
        name = labels.variable(v.variable)
        if v.kind == "continuous":
            if v.nonnormal:
                def cell(st):
                    return (f"{fmt_number(st.get('median'), digits)} ({fmt_number(st.get('q1'), digits)}"
                            f"\u2013{fmt_number(st.get('q3'), digits)})")
                add(f"{name}, median (IQR)", cell(o), [cell(v.stats[g]) for g in groups], v.p_value, letter, v.smd)
            else:
                def cell(st):
                    return f"{fmt_number(st.get('mean'), digits)} ({fmt_number(st.get('sd'), digits)})"
                add(f"{name}, mean (SD)", cell(o), [cell(v.stats[g]) for g in groups], v.p_value, letter, v.smd)
        else:
            levels = labels.order(v.variable, list(v.levels))
            def counts(st, lev):
                return format_n_percent(st["counts"].get(lev, 0), st["n"], digits)
            ref = labels.reference(v.variable, levels)
            if len(levels) == 2 and ref in [level_key(x) for x in levels]:
                lev = next(x for x in levels if level_key(x) != ref)
                add(f"{name}: {labels.value(v.variable, lev)}, n (%)", counts(o, lev) if o else "",
                    [counts(v.stats[g], lev) for g in groups], v.p_value, letter, v.smd)
            else:
                add(f"{name}, n (%)", "", [""] * len(groups), v.p_value, letter, v.smd)
                for lev in levels:
                    add(labels.value(v.variable, lev), counts(o, lev) if o else "",
                        [counts(v.stats[g], lev) for g in groups], indent=True)
        if any(v.n_missing.values()):
            add("Missing", str(o.get("n_missing", sum(v.n_missing.values()))),
                [str(v.n_missing[g]) for g in groups], indent=True)
    data = pd.DataFrame(rows)
    n_all = sum(result.n.values())
    cols = [Col("characteristic", "Characteristic"), Col("overall", f"Overall (n = {n_all})", "num")]
    cols += [Col(c, f"{labels.value(result.group, g)} (n = {result.n[g]})", "num") for c, g in zip(gcols, groups)]
    cols += [Col("p", "p", "p"), Col("test", "Test"), Col("smd", "SMD", "num", digits=3)]
    used = sorted({r["test"] for r in rows if r["test"]})
    foot = ["n (%) of the patients with a value; mean (SD); median (IQR). SMD: standardised mean difference."]
    if used:
        foot.append("Tests: " + "; ".join(f"{x}, {TEST_WORDS[x]}" for x in used) + ".")
    return Table(data, tuple(cols), title, tuple(foot), stem, indent="_indent")


def display_frame(result: TableOneResult, p_style: str = "default", digits: int = 1,
                  labels: Labels | None = None) -> pd.DataFrame:
    """Table 1 as printed (the strings of :func:`table_one_table`)."""
    return table_one_table(result, labels, digits).format(TableStyle(p_style=p_style))


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
    labels: Labels | dict | None = None,
) -> Section:
    """Compute and write Table 1.

    Parameters
    ----------
    data : one row per patient (canonical schema columns).
    out_dir : output folder; the table goes to ``tables/<key>.<fmt>``.
    group : column with the groups compared (e.g. ``arm``, ``reference``).
    variables : columns in table order.
    categorical, nonnormal, exact : see :func:`spinestats.analysis.descriptive.table_one.table_one`.
    table_formats : formats to write (csv, xlsx, docx, md, tex).
    p_style : p-value convention (default, nejm, apa).
    summary_digits : decimals of means, SDs, medians and percentages (the
        plan's ``output.style.digits`` is for estimates, not for Table 1).
    key, title : section name in results.json and heading in the report.
    labels : display labels (default: the labels of every bundled schema).

    Returns
    -------
    Section whose ``results`` is the :class:`TableOneResult` as a dict.
    """
    from spinestats.data_schemas.schema import SCHEMA_NAMES

    labels = as_labels(labels, list(SCHEMA_NAMES), strict=False)
    result = table_one(data, group=group, variables=list(variables), categorical=list(categorical),
                       nonnormal=list(nonnormal), exact=list(exact), auto_exact=True)
    out_dir = Path(out_dir)
    table = table_one_table(result, labels, summary_digits, title, key)
    paths = write_table(table, out_dir / "tables", key, table_formats,
                        style=TableStyle(p_style=p_style) if p_style != "default" else None)
    tests_used = sorted({v.test for v in result.variables if v.test})
    methods = [
        f"Baseline characteristics were compared between {labels.name(group).lower()} groups as mean (SD), median (IQR) or n (%), "
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

"""Table 1 job: baseline characteristics by group, written for the manuscript.

``run`` computes :func:`spinestats.analysis.descriptive.table_one.table_one`, formats it
as journals print a Table 1 (mean ± SD, median [Q1, Q3], n (%), p, SMD) and
writes it to ``tables/<key>.<fmt>``.  Used by ``spinestats run`` (analysis
type ``table_one``).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pandas as pd

from spinestats.analysis.descriptive.table_one import TableOneResult, table_one
from spinestats.data_schemas.labels import Labels, as_labels, level_key
from spinestats.reports.job import JobContext, JobInput, JobOptions, run_by_keywords
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


@dataclasses.dataclass(frozen=True)
class TableOneOptions(JobOptions):
    """Options of the Table 1 job (plan type ``table_one``).

    Attributes
    ----------
    group : column with the groups compared (e.g. ``arm``, ``reference``).
    variables : columns in table order.
    categorical, nonnormal, exact : see :func:`spinestats.analysis.descriptive.table_one.table_one`.
    summary_digits : decimals of means, SDs, medians and percentages (the
        plan's ``output.style.digits`` is for estimates, not for Table 1).
    """

    group: str
    variables: tuple[str, ...]
    categorical: tuple[str, ...] = ()
    nonnormal: tuple[str, ...] = ()
    exact: tuple[str, ...] = ()
    summary_digits: int = 1


OPTIONS = TableOneOptions


def compute(frame: pd.DataFrame, options: TableOneOptions) -> TableOneResult:
    """Table 1's statistics (exact tests chosen where expected counts are below 5)."""
    return table_one(frame, group=options.group, variables=list(options.variables),
                     categorical=list(options.categorical), nonnormal=list(options.nonnormal),
                     exact=list(options.exact), auto_exact=True)


def methods(result: TableOneResult, group: str, labels: Labels) -> tuple[str, ...]:
    """The methods sentence: the summaries, the SMD and the tests that ran."""
    tests_used = sorted({v.test for v in result.variables if v.test})
    return (
        f"Baseline characteristics were compared between {labels.name(group).lower()} groups as mean (SD), "
        f"median (IQR) or n (%), with standardised mean differences (SMD) [Austin 2009]"
        + (f" and {', '.join(tests_used)} tests" if tests_used else "")
        + ", as R's tableone computes them.",
    )


def analyse(inputs: JobInput, options: TableOneOptions, context: JobContext) -> Section:
    """Compute and write Table 1 to ``tables/<key>.<fmt>``; a Section whose ``results`` is the result's dict."""
    from spinestats.data_schemas.schema import SCHEMA_NAMES

    labels = as_labels(context.labels, list(SCHEMA_NAMES), strict=False)
    key = context.key or "table_one"
    title = context.title or "Table 1. Baseline characteristics"
    result = compute(inputs.frame, options)
    table = table_one_table(result, labels, options.summary_digits, title, key)
    paths = write_table(table, context.out_dir / "tables", key, context.table_formats or DEFAULT_TABLE_FORMATS,
                        style=TableStyle(p_style=context.p_style) if context.p_style != "default" else None)
    return Section(key=key, title=title, results=result.to_dict(),
                   tables=tuple(p.relative_to(context.out_dir) for p in paths), warnings=result.warnings,
                   methods=methods(result, options.group, labels), references=(REFERENCE,))


def run(data: pd.DataFrame, out_dir: str | Path = ".", **keywords: Any) -> Section:
    """Table 1 by keyword: the options of :class:`TableOneOptions` and the settings of
    :class:`~spinestats.reports.job.JobContext` (``key``, ``title``, ``labels``, ``p_style``, ...).

    Examples
    --------
    >>> import pandas as pd, tempfile
    >>> d = pd.DataFrame({"arm": ["A", "A", "B", "B"], "age": [60, 70, 65, 75]})
    >>> sec = run(d, tempfile.mkdtemp(), group="arm", variables=["age"], table_formats=["csv"])
    >>> sec.results["n"]
    {'A': 2, 'B': 2}
    """
    return run_by_keywords(analyse, TableOneOptions, data=data, out_dir=out_dir, where="table_one", **keywords)

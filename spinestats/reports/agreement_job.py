"""Reader agreement: the job behind ``spinestats agreement``.

Input layouts
-------------
* long (schema ``readers``): one row per case and reader, columns
  ``case_id``, ``reader`` and the ratings (``dss``, ``boundary``,
  ``lobulated``, ``bone_destruction``, ``size_cm``); a reader who rated a
  case twice is refused, naming the lines;
* wide (any table): one row per case, one column per rater (``raters``),
  for one rating.

Options
-------
case : case column (long: ``case_id``; wide: required).
reader : reader column of the long layout (``reader``).
raters : rater columns of the wide layout (``["R1", "R2"]``); in the long
    layout, the readers to use (default all).
measure : the rating analysed for the top-level entries (long default
    ``dss``, computed from the features when absent); the other DSS
    features are analysed under ``features`` (kappa, Fleiss' kappa; ICC for
    ``size_cm``).
conf_level : confidence level of the kappa and ICC intervals (0.95).

The statistics are :func:`spinestats.analysis.agreement.rater_agreement.rater_agreement`
(one rating) on the cases x raters table of
:mod:`spinestats.analysis.agreement.ratings`; ``results`` is its
``to_dict()``, with ``features``, ``layout`` and ``warnings`` added.

``results`` keys: ``measure``, ``n_cases``, ``raters``, ``excluded``
(incomplete cases), ``kappa`` (first two raters: ``estimate``, ``se``,
``lower``, ``upper``; ``pairwise`` with more raters), ``weighted_kappa``
(``linear``, ``quadratic``; with more than two raters each also has
``pairwise``, every pair, and ``light``, Light's mean of the pairs; so has
``kappa``), ``fleiss_kappa`` (``estimate``, ``se``, ``z``,
``p_value``), ``icc`` (six entries: ``type``, ``estimate``, ``lower``,
``upper``, ``F``, ``df1``, ``df2``, ``p``), ``features``, ``warnings``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pandas as pd

from spinestats.analysis.agreement.rater_agreement import RaterAgreementResult, rater_agreement
from spinestats.analysis.agreement.ratings import wide_from_long, wide_ratings
from spinestats.analysis.core.params import check_column
from spinestats.errors import UsageError
from spinestats.reports.job import JobContext, JobInput, JobOptions, run_by_keywords
from spinestats.reports.section import Section

__all__ = ["AgreementOptions", "OPTIONS", "analyse", "run", "wide_from_long"]  # wide_from_long: its former home

FEATURES = ("boundary", "lobulated", "bone_destruction", "size_cm")
NUMERIC = ("dss", "size_cm")
REFERENCES = (
    "Cohen J. Weighted kappa. Psychol Bull 1968;70:213-220. doi:10.1037/h0026256",
    "Fleiss JL, Cohen J, Everitt BS. Large sample standard errors of kappa and weighted kappa. "
    "Psychol Bull 1969;72:323-327. doi:10.1037/h0028106",
    "Fleiss JL. Measuring nominal scale agreement among many raters. Psychol Bull 1971;76:378-382. "
    "doi:10.1037/h0031619",
    "Light RJ. Measures of response agreement for qualitative data: some generalizations and alternatives. "
    "Psychol Bull 1971;76:365-377. doi:10.1037/h0031643",
    "Shrout PE, Fleiss JL. Intraclass correlations: uses in assessing rater reliability. Psychol Bull "
    "1979;86:420-428. doi:10.1037/0033-2909.86.2.420",
)


@dataclasses.dataclass(frozen=True)
class AgreementOptions(JobOptions):
    """Options of the agreement job (plan type ``agreement``; ``spinestats agreement``).

    Attributes
    ----------
    case : case column (long layout: ``case_id``; wide layout: required).
    reader : reader column of the long layout; a table without it is read in the wide layout.
    raters : wide layout: the rater columns (at least two); long layout: the
        readers to use (default all).  A comma-separated text is split.
    measure : the rating analysed (long default ``dss``, computed from the
        features when absent; wide: a label, default ``rating``).
    conf_level : confidence level of the kappa and ICC intervals.
    """

    case: str | None = None
    reader: str = "reader"
    raters: tuple[str, ...] | str | None = None
    measure: str | None = None
    conf_level: float = 0.95

    def rater_list(self) -> list[str] | None:
        """``raters`` as a list (a comma-separated text split), or ``None``."""
        if isinstance(self.raters, str):
            return [r.strip() for r in self.raters.split(",") if r.strip()]
        return list(self.raters) if self.raters else None


OPTIONS = AgreementOptions


@dataclasses.dataclass(frozen=True)
class Agreement:
    """What the agreement job computed: the main rating, the features (long layout), the layout and warnings."""

    main: RaterAgreementResult
    features: dict[str, RaterAgreementResult]
    layout: str
    warnings: tuple[str, ...]


def _frame(inputs: JobInput) -> pd.DataFrame:
    data = inputs.data
    if hasattr(data, "data") and hasattr(data, "exclusions"):  # a LoadedTable passed as data
        data = data.data
    if data is None:
        raise UsageError("agreement: no data given.")
    return data


def compute_long(data: pd.DataFrame, options: AgreementOptions) -> Agreement:
    """Long layout: the measure (the DSS computed from the features when absent) and every DSS feature."""
    case, measure, readers = options.case or "case_id", options.measure or "dss", options.rater_list()
    df = data
    if measure == "dss" and ("dss" not in df.columns or df["dss"].isna().all()):
        from spinestats.analysis.scores.dss_score import compute_dss

        df = data.assign(dss=compute_dss(data, check_column=None).score)

    def one(name: str) -> RaterAgreementResult:
        wide = wide_from_long(df, case=case, reader=options.reader, measure=name, readers=readers)
        return rater_agreement(wide, measure=name, conf_level=options.conf_level,
                               ordinal=name in NUMERIC or name == "dss", numeric=name in NUMERIC,
                               kappas=name != "size_cm")  # a measurement: ICC only

    main = rater_agreement(wide_from_long(df, case=case, reader=options.reader, measure=measure, readers=readers),
                           measure=measure, conf_level=options.conf_level,
                           ordinal=measure in NUMERIC or measure == "dss", numeric=measure in NUMERIC)
    features = {f: one(f) for f in FEATURES if f != measure and f in df.columns and not df[f].isna().all()}
    warnings = list(main.warnings) + [w for f in features.values() for w in f.warnings]
    return Agreement(main, features, "long", tuple(warnings))


def compute_wide(data: pd.DataFrame, options: AgreementOptions) -> Agreement:
    """Wide layout: one rating, one column per rater; weighted kappa and ICC only for numeric ratings."""
    raters = options.rater_list()
    if not options.case or not raters or len(raters) < 2:
        raise UsageError("the wide layout needs --case COL and --raters COL1,COL2[,...] (at least two raters); "
                         f"or a long table with a {options.reader!r} column (--schema readers).")
    for col in [options.case, *raters]:
        check_column(data, col, "column")
    wide = wide_ratings(data, case=options.case, raters=raters)
    numeric = all(pd.api.types.is_numeric_dtype(wide[c]) and wide[c].dtype != bool for c in raters)
    main = rater_agreement(wide, measure=options.measure or "rating", conf_level=options.conf_level,
                           ordinal=numeric, numeric=numeric)
    extra = () if numeric else ("ratings are not numeric: no weighted kappa and no ICC.",)
    return Agreement(main, {}, "wide", main.warnings + extra)


def compute(data: pd.DataFrame, options: AgreementOptions) -> Agreement:
    """The agreement statistics in the layout of ``data`` (long when it has the reader column)."""
    return (compute_long if options.reader in data.columns else compute_wide)(data, options)


def results(agreement: Agreement) -> dict[str, Any]:
    """``results.json`` of the section: the main rating's ``to_dict()`` with the features, layout and warnings."""
    out = agreement.main.to_dict()
    if agreement.layout == "long":
        out["features"] = {f: r.to_dict() for f, r in agreement.features.items()}
    return {**out, "conf_level": agreement.main.conf_level, "layout": agreement.layout,
            "warnings": list(agreement.warnings)}


def methods(agreement: Agreement) -> tuple[str, ...]:
    """The methods sentences (the pairwise one only with more than two readers)."""
    out = (
        "Inter-reader agreement was measured with Cohen's kappa (unweighted, and with linear and quadratic "
        "weights for ordinal ratings) with large-sample CIs (Fleiss, Cohen & Everitt 1969), Fleiss' kappa for "
        "all readers together, and the six Shrout-Fleiss intraclass correlations with F-based CIs.",
    )
    if len(agreement.main.raters) > 2:
        out += ("With more than two readers, Cohen's kappa (unweighted, linear and quadratic) was computed for "
                "every pair of readers on a common category scale and summarised by Light's kappa, the mean of "
                "the pairwise kappas (Light 1971).",)
    return out


def analyse(inputs: JobInput, options: AgreementOptions, context: JobContext) -> Section:
    """Reader agreement of the input table (see the module docstring); writes no files itself."""
    agreement = compute(_frame(inputs), options)
    return Section(key=context.key or "agreement", title=context.title or "Reader agreement",
                   results=results(agreement), warnings=agreement.warnings, methods=methods(agreement),
                   references=REFERENCES)


def run(data: Any = None, out_dir: str | Path = ".", **keywords: Any) -> Section:
    """Reader agreement by keyword: the options of :class:`AgreementOptions` and the settings of
    :class:`~spinestats.reports.job.JobContext` (``key``, ``title``); ``table=`` a loaded table.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"case": range(6), "R1": [1, 2, 3, 1, 2, 3], "R2": [1, 2, 3, 2, 2, 3]})
    >>> run(d, case="case", raters=["R1", "R2"]).results["kappa"]["n"]
    6
    """
    return run_by_keywords(analyse, AgreementOptions, data=data, out_dir=out_dir, where="agreement", **keywords)

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
conf_level : 0.95.

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

import itertools
from collections.abc import Sequence
from typing import Any

import pandas as pd

from spinestats.analysis.core.params import check_column
from spinestats.analysis.agreement.fleiss_kappa import fleiss_kappa
from spinestats.analysis.agreement.icc import icc
from spinestats.analysis.agreement.kappa import cohen_kappa, pairwise_kappa
from spinestats.analysis.core.result import to_jsonable
from spinestats.errors import DataError, UsageError
from spinestats.reports.section import Section

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


def wide_from_long(data: pd.DataFrame, *, case: str, reader: str, measure: str,
                   readers: Sequence[str] | None = None) -> pd.DataFrame:
    """Cases x readers table of one rating; refuses a reader who scored a case twice."""
    for col in (case, reader, measure):
        check_column(data, col, "column")
    dup = data.duplicated([case, reader], keep=False)
    if dup.any():
        d = data.loc[dup, [case, reader]]
        first = d.iloc[0]
        lines = [str(i) for i in d.index[(d[case] == first[case]) & (d[reader] == first[reader])]]
        raise DataError(
            f"reader {first[reader]!r} scored the case of line {lines[0]} more than once (lines {', '.join(lines)}); "
            f"{int(dup.sum())} rows are such repeats. Each reader must score each case once: keep one reading "
            "per reader and case (e.g. the first, blinded one)."
        )
    wide = data.pivot(index=case, columns=reader, values=measure)
    if readers:
        missing = [r for r in readers if r not in wide.columns]
        if missing:
            raise UsageError(f"readers {missing} not found; readers are {', '.join(map(str, wide.columns))}.")
        wide = wide[list(readers)]
    return wide


def _as_codes(s: pd.Series) -> pd.Series:
    if s.dtype == bool or str(s.dtype) == "boolean":
        return s.astype(object).map(lambda v: None if pd.isna(v) else int(bool(v)))
    return s


def _pairwise(complete: pd.DataFrame, weights: str, levels, conf_level: float, measure: str,
              warnings: list[str]) -> dict[str, Any]:
    """Every pair's weighted kappa and Light's mean (the first pair's warnings are already given)."""
    pk = pairwise_kappa(complete, weights=weights, levels=levels, level=conf_level)
    rows = []
    for i, (a, b, k) in enumerate(pk.pairs):
        if i:
            warnings.extend(f"{measure} ({a} vs {b}, {weights}): {x}" for x in k.warnings)
        rows.append({"rater1": a, "rater2": b, "estimate": k.estimate, "se": k.se, "lower": k.lower,
                     "upper": k.upper, "n": k.n})
    return {"pairwise": rows, "light": pk.light}


def agreement_results(wide: pd.DataFrame, *, measure: str, conf_level: float = 0.95,
                      ordinal: bool = True, numeric: bool = True) -> tuple[dict[str, Any], list[str]]:
    """Kappa, weighted kappa, Fleiss' kappa and ICC of a cases x raters table."""
    warnings: list[str] = []
    raters = [str(c) for c in wide.columns]
    if len(raters) < 2:
        raise DataError(f"agreement needs at least 2 raters; found {raters}.")
    wide = wide.apply(_as_codes)
    complete = wide.dropna()
    dropped = len(wide) - len(complete)
    if dropped:
        warnings.append(f"{measure}: {dropped} case(s) not rated by every rater were left out (complete cases).")
    if len(complete) < 2:
        raise DataError(f"{measure}: fewer than 2 cases rated by every rater.")
    out: dict[str, Any] = {"measure": measure, "n_cases": int(len(complete)), "raters": raters,
                           "excluded": {"incomplete_cases": int(dropped)}}
    vals = complete.to_numpy(dtype=object)
    levels = sorted(set(vals.ravel().tolist()), key=lambda v: (str(type(v)), v))

    def kap(a, b, w):
        k = cohen_kappa(complete[a].tolist(), complete[b].tolist(), weights=w, levels=levels, level=conf_level)
        warnings.extend(f"{measure} ({a} vs {b}, {w}): {x}" for x in k.warnings)
        return {"rater1": a, "rater2": b, "estimate": k.estimate, "se": k.se, "lower": k.lower, "upper": k.upper,
                "n": k.n}

    pairs = list(itertools.combinations(raters, 2))
    out["kappa"] = kap(*pairs[0], "none")
    if len(pairs) > 1:
        out["kappa"].update(_pairwise(complete, "none", levels, conf_level, measure, warnings))
    if ordinal:
        out["weighted_kappa"] = {w: kap(*pairs[0], w) for w in ("linear", "quadratic")}
        if len(pairs) > 1:
            for w in ("linear", "quadratic"):
                out["weighted_kappa"][w].update(_pairwise(complete, w, levels, conf_level, measure, warnings))
    else:
        out["weighted_kappa"] = None
    fk = fleiss_kappa(complete.to_numpy(dtype=object))
    out["fleiss_kappa"] = {"estimate": fk.estimate, "se": fk.se, "z": fk.z, "p_value": fk.p_value,
                           "n_raters": fk.n_raters, "se_note": "SE under kappa = 0 (for the z test), as irr"}
    if numeric:
        ic = icc(complete.to_numpy(dtype=float), level=conf_level)
        out["icc"] = list(ic.entries)
        warnings.extend(f"{measure}: {x}" for x in ic.warnings)
    else:
        out["icc"] = None
    return out, warnings


def run(
    data=None,
    *,
    table=None,
    out_dir=None,
    case: str | None = None,
    reader: str = "reader",
    raters: Sequence[str] | str | None = None,
    measure: str | None = None,
    conf_level: float = 0.95,
    key: str = "agreement",
    title: str | None = None,
) -> Section:
    """Reader agreement (see the module docstring for layouts and options)."""
    if data is None and table is not None:
        data = table.data
    if hasattr(data, "data") and hasattr(data, "exclusions"):
        data = data.data
    if data is None:
        raise UsageError("agreement: no data given.")
    if isinstance(raters, str):
        raters = [r.strip() for r in raters.split(",") if r.strip()]
    warnings: list[str] = []
    long_layout = reader in data.columns
    if long_layout:
        case = case or "case_id"
        measure = measure or "dss"
        df = data.copy()
        if measure == "dss" and ("dss" not in df.columns or df["dss"].isna().all()):
            from spinestats.analysis.scores.dss_score import compute_dss

            df["dss"] = compute_dss(df, check_column=None).score
        wide = wide_from_long(df, case=case, reader=reader, measure=measure, readers=raters)
        res, w = agreement_results(wide, measure=measure, conf_level=conf_level,
                                   ordinal=measure in NUMERIC or measure == "dss", numeric=measure in NUMERIC)
        warnings += w
        feats = {}
        for f in FEATURES:
            if f == measure or f not in df.columns or df[f].isna().all():
                continue
            fw = wide_from_long(df, case=case, reader=reader, measure=f, readers=raters)
            fr, w = agreement_results(fw, measure=f, conf_level=conf_level, ordinal=f in NUMERIC, numeric=f in NUMERIC)
            if f == "size_cm":  # a measurement: ICC only (kappa of centimetres is meaningless)
                fr = {k: v for k, v in fr.items() if k not in ("kappa", "weighted_kappa", "fleiss_kappa")}
            feats[f] = fr
            warnings += w
        res["features"] = feats
        res["layout"] = "long"
    else:
        if not case or not raters or len(raters) < 2:
            raise UsageError("the wide layout needs --case COL and --raters COL1,COL2[,...] (at least two raters); "
                             f"or a long table with a {reader!r} column (--schema readers).")
        for col in [case, *raters]:
            check_column(data, col, "column")
        dup = data[case].duplicated(keep=False)
        if dup.any():
            first = data.loc[dup, case].iloc[0]
            same = data.index[dup & (data[case] == first)]
            raise DataError(f"the case of line {same[0]} appears on more than one row "
                            f"(lines {', '.join(map(str, same[:5]))}); the wide layout has one row per case.")
        wide = data.set_index(case)[list(raters)]
        measure = measure or "rating"
        numeric = all(pd.api.types.is_numeric_dtype(wide[c]) and wide[c].dtype != bool for c in raters)
        res, w = agreement_results(wide, measure=measure, conf_level=conf_level, ordinal=numeric, numeric=numeric)
        warnings += w
        res["layout"] = "wide"
        if not numeric:
            warnings.append("ratings are not numeric: no weighted kappa and no ICC.")
    res["warnings"] = warnings
    methods = (
        "Inter-reader agreement was measured with Cohen's kappa (unweighted, and with linear and quadratic "
        "weights for ordinal ratings) with large-sample CIs (Fleiss, Cohen & Everitt 1969), Fleiss' kappa for "
        "all readers together, and the six Shrout-Fleiss intraclass correlations with F-based CIs.",
    )
    if len(res["raters"]) > 2:
        methods += ("With more than two readers, Cohen's kappa (unweighted, linear and quadratic) was computed for "
                    "every pair of readers on a common category scale and summarised by Light's kappa, the mean of "
                    "the pairwise kappas (Light 1971).",)
    return Section(key=key, title=title or "Reader agreement", results=to_jsonable(res), warnings=tuple(warnings),
                   methods=methods, references=REFERENCES)

"""Pain after balloon kyphoplasty: the analysis job behind ``spinestats pain``.

:func:`run` takes the ``bkp`` table (wide: one row per patient with
``nrs_<visit>`` columns; or long: ``patient_id, arm, visit, nrs``) and returns
a :class:`~spinestats.reports.section.Section` whose ``results`` is exactly
the command's ``results.json``.  The ``pain`` command and the plan runner
(``spinestats run`` / ``demo``) both call it.

Options
-------
mcid : float, default 2
    Responder threshold: reduction from baseline of at least this many NRS points ...
mcid_percent : float, default 30
    ... and at least this percentage of the baseline score.
impute : int, default 0
    Number of multiple imputations (0 = complete-case analysis only; 20 or
    more recommended).  With imputation, ``results["imputed"]`` holds the
    paired mean differences, the ANCOVA, the mixed model's fixed effects and
    arm contrasts and the responder proportions pooled by Rubin's rules
    (Barnard-Rubin df).
impute_method : "pmm" (default) or "norm".
seed : int, default 2024
    Seed of the imputations (child streams per imputation).
random_slope : bool, default False
    Add a random slope on time since BKP in months (1w = 0.25) to the
    patient random intercept.  Not possible with data at the "final" visit
    (it has no fixed time).
time_model : "factor" (default) or "continuous"
    "continuous" adds, beside the visit-as-factor model (which stays the
    primary analysis and fills ``mixed_model``/``emmeans``), a model with time
    since BKP in months as a continuous covariate,
    ``nrs ~ time * arm + (1 + time | patient)`` (R: ``lmer(nrs ~ time * arm +
    (1 + time | patient_id), REML = TRUE)``), reported under
    ``mixed_model_time`` and ``emmeans_time`` (means per arm at
    ``emmeans_times``, arm differences at each time and slopes, with
    Satterthwaite df as lmerTest/emmeans).  Scores at "final" (no fixed
    time) are left out of that model and counted in ``flow``.
emmeans_times : times in months for ``emmeans_time`` (default: the
    scheduled times of the observed visits, 0, 0.25, 1, 3, 6, 12).
ancova_visit : str, default "1m"
    Follow-up visit of the two-arm ANCOVA (adjusted for baseline).
workers, scheduler : parallel imputation (see ``analysis/core/resampling.py``).
figure_formats : formats of the figures (default: every journal format).

Results keys (JSON Schema: ``data_schemas/results/pain.schema.json``):
``schema``, ``arms``, ``visits`` (n, mean, sd, t CI, median, q1, q3 per
visit and arm; ``quantile_type`` 7), ``paired`` (+ ``paired_definitions``),
``mixed_model`` (terms, estimate, se, Satterthwaite df, p, variance
parameters, convergence), ``emmeans`` (means, contrasts with baseline,
between arms), ``responders``, ``ancova`` (two arms), ``imputed``
(``impute > 0``), ``missingness``, ``adverse_events``, ``flow`` (patients,
baseline-only, pairs per visit, mixed-model patients and observations,
loader exclusions), ``options``, ``warnings``.  Table and figure files are
named ``<key>_<name>`` so that two pain sections never overwrite each other.
"""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from spinestats.analysis.descriptive.adverse_events import adverse_events
from spinestats.analysis.longitudinal import mixed_model as lmm
from spinestats.analysis.longitudinal.ancova import ancova
from spinestats.analysis.longitudinal.imputed_analysis import imputed_analysis
from spinestats.analysis.longitudinal.missingness import missingness
from spinestats.analysis.longitudinal.paired_tests import paired_vs_baseline
from spinestats.analysis.longitudinal.responders import responders
from spinestats.analysis.longitudinal.visit_summary import summarise_visits
from spinestats.data_schemas.labels import as_labels
from spinestats.errors import DataError, UsageError
from spinestats.reports.job import JobContext, JobInput, JobOptions, run_by_keywords
from spinestats.reports.section import Section
from spinestats.text_numbers import to_numeric

VISITS = ("baseline", "1w", "1m", "3m", "6m", "12m", "final")
MONTHS = {"baseline": 0.0, "1w": 0.25, "1m": 1.0, "3m": 3.0, "6m": 6.0, "12m": 12.0}
ARMS = ("control", "BKP")  # reference first
EVENTS = ("cement_leakage", "new_fracture", "added_fixation")
ID, ARM, VISIT, NRS = "patient_id", "arm", "visit", "nrs"

REFERENCES = (
    "Bates D, Maechler M, Bolker B, Walker S. Fitting linear mixed-effects models using lme4. "
    "J Stat Softw 2015;67(1). doi:10.18637/jss.v067.i01",
    "Kuznetsova A, Brockhoff PB, Christensen RHB. lmerTest package: tests in linear mixed effects models. "
    "J Stat Softw 2017;82(13). doi:10.18637/jss.v082.i13",
    "Farrar JT, Young JP, LaMoreaux L, et al. Clinical importance of changes in chronic pain intensity measured "
    "on an 11-point numerical pain rating scale. Pain 2001;94:149-158. doi:10.1016/S0304-3959(01)00349-9",
    "Newcombe RG. Interval estimation for the difference between independent proportions: comparison of eleven "
    "methods. Stat Med 1998;17:873-890. doi:10.1002/(SICI)1097-0258(19980430)17:8<873::AID-SIM779>3.0.CO;2-I",
    "van Buuren S, Groothuis-Oudshoorn K. mice: multivariate imputation by chained equations in R. "
    "J Stat Softw 2011;45(3). doi:10.18637/jss.v045.i03",
    "Barnard J, Rubin DB. Small-sample degrees of freedom with multiple imputation. Biometrika 1999;86:948-955. "
    "doi:10.1093/biomet/86.4.948",
    "Berenson J, Pflugmacher R, Jarzem P, et al. Balloon kyphoplasty versus non-surgical fracture management for "
    "treatment of painful vertebral body compression fractures in patients with cancer: a multicentre, "
    "randomised controlled trial. Lancet Oncol 2011;12:225-235. doi:10.1016/S1470-2045(11)70008-0",
)


# ----------------------------------------------------------------------------- input
def _line(index_value) -> str:
    return f"line {index_value}" if isinstance(index_value, (int, np.integer)) else f"row {index_value!r}"


def _check_nrs(values: pd.Series, column: str) -> None:
    """Every NRS is an integer 0-10 (also checked by the loader; DataFrames may bypass it)."""
    v = values.dropna()
    num = to_numeric(v, errors="coerce")
    bad = num.isna() | (num < 0) | (num > 10) | (num != np.round(num))
    if bad.any():
        shown = "; ".join(f"{_line(i)}: {v[i]!r}" for i in v.index[bad][:5])
        more = f" (and {int(bad.sum()) - 5} more)" if bad.sum() > 5 else ""
        raise DataError(f"column '{column}': every NRS must be a whole number from 0 to 10; found {shown}{more}.")


def prepare(data: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Check a ``bkp`` table and return ``(wide, long)``.

    ``wide`` has one row per patient (``patient_id``, ``arm``, the
    ``nrs_<visit>`` columns of every schema visit present, event columns);
    ``long`` has one row per patient and visit present in the table
    (``nrs`` NaN for a missed visit).  Raises :class:`DataError` for an NRS
    that is not an integer 0-10, a visit not in the schema, a duplicated
    patient or visit, or an unknown arm.
    """
    if not isinstance(data, pd.DataFrame):
        raise UsageError(f"pain analysis expects a table (pandas DataFrame), got {type(data).__name__}.")
    if ID not in data:
        raise DataError(f"the bkp table needs a '{ID}' column; columns found: {list(data.columns)}.")
    d = data.copy()
    if ARM not in d:
        d[ARM] = "BKP"
    if d[ARM].isna().any():
        i = d.index[d[ARM].isna()][0]
        raise DataError(f"column '{ARM}', {_line(i)}: empty; expected one of {list(ARMS)}.")
    d[ARM] = d[ARM].astype(str)
    bad_arm = sorted(set(d[ARM]) - set(ARMS))
    if bad_arm:
        raise DataError(f"column '{ARM}': values {bad_arm} are not arms of the bkp schema; expected {list(ARMS)}.")
    if {VISIT, NRS} <= set(d.columns):  # long layout
        labels = d[VISIT].astype(str)
        bad = ~labels.isin(VISITS)
        if bad.any():
            shown = "; ".join(f"{_line(i)}: {labels[i]!r}" for i in labels.index[bad][:5])
            raise DataError(f"column '{VISIT}': visit labels not in the bkp schema ({shown}); "
                            f"expected one of {list(VISITS)}.")
        _check_nrs(d[NRS], NRS)
        dup = d.duplicated([ID, VISIT], keep=False)
        if dup.any():
            i = d.index[dup][0]
            same = d.index[dup & (d[ID] == d.at[i, ID]) & (d[VISIT] == d.at[i, VISIT])]
            raise DataError(f"{_line(i)}: the patient on this line has more than one row for visit "
                            f"{d.at[i, VISIT]!r} ({', '.join(_line(j) for j in same)}); "
                            "expected one row per patient and visit.")
        arms_per_patient = d.groupby(ID)[ARM].nunique()
        if (arms_per_patient > 1).any():
            two = d.index[d[ID] == arms_per_patient.index[arms_per_patient > 1][0]]
            raise DataError(f"the patient on {', '.join(_line(j) for j in two)} appears in two arms.")
        d[NRS] = to_numeric(d[NRS]).astype(float)
        present = [v for v in VISITS if (labels == v).any()]
        wide = d.pivot(index=ID, columns=VISIT, values=NRS).reindex(columns=present)
        wide.columns = [f"nrs_{v}" for v in present]
        first = d.groupby(ID, sort=False).first()
        extra = [c for c in (ARM, *EVENTS) if c in first]
        wide = first[extra].join(wide).reset_index()
    else:
        unknown = [c for c in d.columns if c.startswith("nrs_") and c[4:] not in VISITS]
        if unknown:
            raise DataError(f"columns {unknown}: visits not in the bkp schema; expected nrs_<visit> with visit "
                            f"one of {list(VISITS)}.")
        if "nrs_baseline" not in d:
            raise DataError("the bkp table needs the baseline score column 'nrs_baseline' "
                            "(or the long layout: patient_id, arm, visit, nrs).")
        dup = d[ID].duplicated(keep=False)
        if dup.any():
            i = d.index[dup][0]
            same = d.index[d[ID] == d.at[i, ID]]
            raise DataError(f"{_line(i)}: the patient on this line appears more than once "
                            f"({', '.join(_line(j) for j in same)}); expected one row per patient in the wide layout.")
        for v in VISITS:
            if f"nrs_{v}" in d:
                _check_nrs(d[f"nrs_{v}"], f"nrs_{v}")
                d[f"nrs_{v}"] = to_numeric(d[f"nrs_{v}"]).astype(float)
        wide = d.reset_index(drop=True)
    cols = [f"nrs_{v}" for v in VISITS if f"nrs_{v}" in wide]
    long = wide.melt(id_vars=[ID, ARM], value_vars=cols, var_name=VISIT, value_name=NRS)
    long[VISIT] = long[VISIT].str[4:]
    return wide, long


def _and(items) -> str:
    """``["1 week", "1 month", "3 months"]`` -> "1 week, 1 month and 3 months"."""
    items = [str(i) for i in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1] if items else ""


def _check_arms(wide: pd.DataFrame) -> tuple[str, ...]:
    counts = wide[ARM].value_counts()
    arms = tuple(a for a in ARMS if a in counts)
    small = {a: int(counts[a]) for a in arms if counts[a] < 2}
    if small:
        raise DataError(f"each arm needs at least 2 patients; found {small} "
                        f"(patients per arm: {counts.to_dict()}).")
    return arms


# ----------------------------------------------------------------------------- options
DEFAULT_SEED = 2024


@dataclasses.dataclass(frozen=True)
class PainOptions(JobOptions):
    """Options of the pain job (plan type ``pain``; the ``spinestats pain`` flags).

    Attributes
    ----------
    mcid : responder threshold: a reduction from baseline of at least this many NRS points ...
    mcid_percent : ... and at least this percentage of the baseline score.
    impute : number of multiple imputations (0: complete cases only; 20 or more recommended).
    impute_method : "pmm" (predictive mean matching) or "norm" (Bayesian linear regression).
    random_slope : add a random slope on time since BKP (months) to the patient random intercept.
    time_model : "factor" (visit as a factor only) or "continuous" (also a model with time in months).
    emmeans_times : months of the continuous-time model's marginal means (a list, or text "0,1,12").
    ancova_visit : follow-up visit of the two-arm ANCOVA adjusted for baseline.
    conf_level : level of every confidence interval.
    """

    mcid: float = 2.0
    mcid_percent: float = 30.0
    impute: int = 0
    impute_method: str = "pmm"
    random_slope: bool = False
    time_model: str = "factor"
    emmeans_times: tuple[float, ...] | str | None = None
    ancova_visit: str = "1m"
    conf_level: float = 0.95


OPTIONS = PainOptions


def check_options(options: PainOptions) -> None:
    """Refuse option values the type check lets through (with the flag's wording, as the command's users know it)."""
    if not 0 < float(options.conf_level) < 1:
        raise UsageError(f"confidence level must be between 0 and 1 (e.g. 0.95), got {options.conf_level!r}.")
    if options.impute and options.impute < 2:
        raise UsageError(f"--impute needs at least 2 imputations (20 or more recommended), got {options.impute}.")
    if options.impute_method not in ("pmm", "norm"):
        raise UsageError(f"imputation method must be 'pmm' or 'norm', got {options.impute_method!r}.")
    if options.ancova_visit not in VISITS or options.ancova_visit == "baseline":
        raise UsageError(f"ancova visit must be a follow-up visit of {list(VISITS[1:])}, got {options.ancova_visit!r}.")
    if options.time_model not in ("factor", "continuous"):
        raise UsageError(f"time model: expected 'factor' or 'continuous', got {options.time_model!r}.")


def read_input(inputs: JobInput) -> tuple[pd.DataFrame, tuple]:
    """The bkp frame and the loader's exclusions (a LoadedTable with errors is refused)."""
    data, exclusions = inputs.data, inputs.exclusions
    for table in (inputs.table, data):  # errors the loader did not resolve by excluding their rows
        if getattr(table, "errors", ()) and not getattr(table, "exclusions", ()):
            raise DataError("the bkp table has errors:\n" + "\n".join(p.message() for p in table.errors),
                            problems=table.errors)
    if hasattr(data, "data") and hasattr(data, "exclusions"):  # a LoadedTable given as the data
        exclusions, data = tuple(data.exclusions), data.data
    if data is None:
        raise UsageError("pain analysis: no data given.")
    return data, exclusions


# ----------------------------------------------------------------------------- analysis
@dataclasses.dataclass
class PainAnalysis:
    """Every result of one pain analysis, passed between the steps as Python values (not through a dict)."""

    wide: pd.DataFrame
    long: pd.DataFrame
    arms: tuple[str, ...]
    visits: tuple[str, ...]
    summary: Any
    paired: Any
    fit: Any
    emm: Any
    resp: Any
    miss: Any
    ae: Any = None
    ancova: Any = None
    imputed: Any = None
    time_fit: Any = None
    time_emm: Any = None
    time_excluded_final: int = 0
    warnings: list[str] = dataclasses.field(default_factory=list)

    @property
    def two(self) -> bool:
        return len(self.arms) == 2


def _flow(an: PainAnalysis, exclusions: tuple) -> dict:
    wide, arms = an.wide, an.arms
    follow = [c for c in wide if c.startswith("nrs_") and c != "nrs_baseline"]
    has_base = wide["nrs_baseline"].notna()
    any_follow = wide[follow].notna().any(axis=1) if follow else pd.Series(False, index=wide.index)
    per_arm = {a: int((wide[ARM] == a).sum()) for a in arms}
    pairs = an.paired.to_frame()
    flow = {
        "patients": int(len(wide)),
        "per_arm": per_arm,
        "baseline_only": int((has_base & ~any_follow).sum()),
        "no_baseline": int((~has_base).sum()),
        "no_scores": int(wide[[c for c in wide if c.startswith("nrs_")]].isna().all(axis=1).sum()),
        "mixed_model": {"patients": an.fit.n_patients, "observations": an.fit.n_obs},
        "paired": [
            {**({"arm": r["arm"]} if "arm" in pairs else {}), "visit": r["visit"], "pairs": int(r["n"]),
             "excluded_no_pair": int(per_arm[r["arm"] if "arm" in pairs else arms[0]] - r["n"])}
            for _, r in pairs.iterrows()
        ],
        "note": ("Patients with only a baseline score are kept in the mixed model and excluded from the paired "
                 "tests and responder counts at the visits they missed."),
        "excluded_by_loader": len(exclusions),
    }
    if an.time_fit is not None:
        flow["mixed_model_time"] = {"patients": an.time_fit.n_patients, "observations": an.time_fit.n_obs,
                                    "excluded_final": an.time_excluded_final}
    return flow


def _ci(rows: list) -> list:
    """Rows of a result's dict with the interval also as a ``ci`` pair (a published key)."""
    for r in rows:
        if isinstance(r, dict) and "ci_low" in r and "ci_high" in r:
            r["ci"] = [r["ci_low"], r["ci_high"]]
    return rows


def _fit(long, arms, random_slope, conf_level=0.95):
    d = long.copy()
    time = None
    if random_slope:
        if (d[VISIT].eq("final") & d[NRS].notna()).any():
            raise UsageError("--random-slope needs a time for every visit, but 'final' (last follow-up) has none; "
                             "drop --random-slope or recode 'final' to a scheduled visit.")
        d["time_months"] = d[VISIT].map(MONTHS)
        time = "time_months"
    design = lmm.build_design(d, value=NRS, visit=VISIT, subject=ID, visits=VISITS,
                              arm=ARM if len(arms) == 2 else None, arms=arms if len(arms) == 2 else None, time=time)
    return lmm.fit_lmm(design, conf_level=conf_level)


def _time_model(an: PainAnalysis, times, conf_level: float) -> None:
    """The continuous-time model: fit, marginal means at ``times`` and its warnings, into ``an``."""
    d = an.long.loc[an.long[NRS].notna()].copy()
    final = d[VISIT].eq("final")
    d = d.loc[~final]
    d["time_months"] = d[VISIT].map(MONTHS)
    design = lmm.build_time_design(d, value=NRS, time="time_months", subject=ID, arm=ARM if an.two else None,
                                   arms=an.arms if an.two else None, random_slope=True)
    an.time_fit = lmm.fit_lmm(design, conf_level=conf_level)
    if times is None:
        times = sorted(set(d["time_months"]))
    elif isinstance(times, str):
        try:
            times = [float(t) for t in times.split(",") if t.strip()]
        except ValueError as exc:
            raise UsageError(f"--emmeans-times: expected months separated by commas, got {times!r}.") from exc
    an.time_emm = lmm.marginal_means_at(an.time_fit, list(times))
    an.warnings += [f"continuous-time model: {w}" for w in an.time_fit.warnings]
    an.time_excluded_final = n_final = int(final.sum())
    if n_final:
        an.warnings.append(f"continuous-time model: {n_final} score{'s' if n_final != 1 else ''} at the last "
                           f"follow-up visit (no fixed time) {'were' if n_final != 1 else 'was'} left out of it.")


def _imputed(an: PainAnalysis, options: PainOptions, seed: int, workers: int, scheduler, labels) -> None:
    """Multiple imputation and Rubin pooling (analysis.longitudinal.imputed_analysis), with its warnings."""
    visit_cols = {v: f"nrs_{v}" for v in an.visits}
    an.imputed = imputed_analysis(
        an.wide, visit_columns=visit_cols, baseline="nrs_baseline", subject=ID, arm=ARM, arms=an.arms,
        mcid=options.mcid, mcid_percent=options.mcid_percent, m=options.impute, method=options.impute_method,
        seed=seed, ancova_visit=options.ancova_visit if an.two else None, visit_order=VISITS,
        times=MONTHS if options.random_slope else None, conf_level=options.conf_level, workers=workers,
        scheduler=scheduler)
    if an.imputed.visits_not_imputed:
        left = [labels.value(VISIT, v) for v in an.imputed.visits_not_imputed]
        an.warnings.append(f"multiple imputation: {_and(left)} {'have' if len(left) != 1 else 'has'} fewer than 2 "
                           "observed scores and " + ("were" if len(left) != 1 else "was")
                           + " left out of the imputed analyses.")
    if options.impute < 20:
        an.warnings.append(f"multiple imputation with m = {options.impute}; at least 20 imputations are recommended.")


def _ancova(an: PainAnalysis, visit: str, conf_level: float, labels) -> None:
    words = labels.value(VISIT, visit)
    col = f"nrs_{visit}"
    if visit not in an.visits:
        an.warnings.append(f"ANCOVA not run: no patient has a score at {words}.")
        return
    an.ancova = a = ancova(an.wide, outcome=col, baseline="nrs_baseline", arm=ARM, arms=an.arms,
                           conf_level=conf_level)
    if a.n_excluded:
        an.warnings.append(f"ANCOVA at {words}: {a.n_excluded} patient{'s' if a.n_excluded != 1 else ''} without a "
                           f"score at both baseline and {words} {'were' if a.n_excluded != 1 else 'was'} left out "
                           "(complete cases).")


def compute(frame: pd.DataFrame, options: PainOptions, *, seed: int = DEFAULT_SEED, workers: int = 1,
            scheduler: str | None = None, labels=None) -> PainAnalysis:
    """Every statistic of the pain analysis (each one computed in ``spinestats.analysis``)."""
    labels = as_labels(labels, ["bkp"], strict=False)
    conf = float(options.conf_level)
    wide, long = prepare(frame)
    arms = _check_arms(wide)
    two = len(arms) == 2
    visits = tuple(v for v in VISITS if f"nrs_{v}" in wide and wide[f"nrs_{v}"].notna().any())
    if len(visits) < 2:
        cols = ", ".join(f"nrs_{v}" for v in VISITS[1:])
        raise DataError("no follow-up NRS: the pain analysis compares each follow-up visit with baseline, but "
                        f"no patient has a score after baseline (expected at least one filled column of {cols}, "
                        "or long-layout rows with a follow-up visit).")
    by_arm = dict(arm=ARM if two else None)
    paired = paired_vs_baseline(long, value=NRS, visit=VISIT, subject=ID, visits=visits, conf_level=conf, **by_arm)
    fit = _fit(long, arms, options.random_slope, conf_level=conf)
    follow = {v: f"nrs_{v}" for v in visits if v != "baseline"}
    events = [e for e in EVENTS if e in wide]
    an = PainAnalysis(
        wide, long, arms, visits,
        summary=summarise_visits(long, value=NRS, visit=VISIT, subject=ID, visits=visits, conf_level=conf, **by_arm),
        paired=paired, fit=fit, emm=lmm.marginal_means(fit),
        resp=responders(wide, visit_columns=follow, baseline="nrs_baseline", arms=arms if two else None,
                        mcid=options.mcid, mcid_percent=options.mcid_percent, conf_level=conf, **by_arm),
        miss=missingness(wide, visit_columns={v: f"nrs_{v}" for v in visits}, **by_arm),
        ae=adverse_events(wide, events=events, arms=arms if two else None, conf_level=conf,
                          **by_arm) if events else None,
        warnings=list(paired.warnings))
    small = paired.to_frame()
    for _, r in small[small["n"].between(2, 9)].iterrows() if len(small) else []:
        where = labels.value(VISIT, r["visit"]) + (f" in the {labels.value(ARM, r['arm'])} arm" if two else "")
        an.warnings.append(f"paired tests at {where}: only {int(r['n'])} patients have a score at baseline and at "
                           "this visit; interpret with caution.")
    an.warnings += fit.warnings
    if two:
        _ancova(an, options.ancova_visit, conf, labels)
    if options.impute:
        _imputed(an, options, seed, workers, scheduler, labels)
    if options.time_model == "continuous":
        _time_model(an, options.emmeans_times, conf)
    return an


def results(an: PainAnalysis, options: PainOptions, seed: int, exclusions: tuple = ()) -> dict:
    """The section's ``results.json``: each block a result's ``to_dict()``, plus flow, definitions and options."""
    summary, resp = an.summary.to_dict(), an.resp.to_dict()
    emm = {k: _ci(v) if isinstance(v, list) else v for k, v in an.emm.to_dict().items()}
    out: dict = {
        "schema": "bkp", "arms": list(an.arms), "visits": _ci(summary["rows"]),
        "quantile_type": summary["quantile_type"], "paired": _ci(an.paired.to_dict()["rows"]),
        "paired_definitions": {
            "difference": "visit - baseline (negative = less pain), NRS points",
            "wilcoxon_statistic": "V = W+, the sum of the ranks of the positive differences (as R wilcox.test)",
            "p_holm": "Holm-adjusted across the follow-up visits of the same arm",
        },
        "mixed_model": an.fit.to_dict(), "emmeans": emm,
        "responders": {"definition": {"mcid_points": options.mcid, "mcid_percent": options.mcid_percent,
                                      "rule": "both"},
                       "ci_method": resp["ci_method"], "difference_method": resp["difference_method"],
                       "rows": _ci(resp["table"]), "difference": _ci(resp["difference"])},
    }
    if an.ancova is not None:
        out["ancova"] = {"visit": options.ancova_visit, **an.ancova.to_dict()}
    if an.imputed is not None:
        out["imputed"] = an.imputed.to_dict()
    opts = {"mcid": float(options.mcid), "mcid_percent": float(options.mcid_percent), "impute": int(options.impute),
            "impute_method": options.impute_method, "seed": int(seed), "random_slope": bool(options.random_slope),
            "ancova_visit": options.ancova_visit, "conf_level": float(options.conf_level)}
    if an.time_fit is not None:
        two = an.two
        out["mixed_model_time"] = {"model": "nrs ~ time * arm + (1 + time | patient)" if two
                                   else "nrs ~ time + (1 + time | patient)", "time_unit": "months",
                                   **an.time_fit.to_dict()}
        out["emmeans_time"] = {k: _ci(v) if isinstance(v, list) else v for k, v in an.time_emm.to_dict().items()}
        opts.update(time_model="continuous", emmeans_times=out["emmeans_time"]["times"])
    out["missingness"] = an.miss.to_dict()
    out["adverse_events"] = _ci(an.ae.to_dict()["table"]) if an.ae is not None else []
    out["flow"] = _flow(an, exclusions)
    out["options"] = opts
    out["warnings"] = list(dict.fromkeys(an.warnings))
    return out


# ----------------------------------------------------------------------------- tables and figures
def frames(an: PainAnalysis) -> dict[str, pd.DataFrame]:
    """The analysis frames written as CSV at full precision (codes and all, for reuse), by table name."""
    out = {"visits": an.summary.to_frame(), "paired": an.paired.to_frame(), "mixed_model": an.fit.to_frame(),
           "emmeans": an.emm.means, "emmeans_vs_baseline": an.emm.vs_baseline,
           **({"emmeans_between_arms": an.emm.between_arms} if an.two else {}), "responders": an.resp.to_frame(),
           **({"responder_differences": an.resp.difference} if an.two else {}),
           "missingness_patterns": an.miss.patterns, "missingness_per_visit": an.miss.per_visit}
    if an.ae is not None:
        out["adverse_events"] = an.ae.to_frame()
    if an.imputed is not None:
        out["imputed"] = imputed_frame(an.imputed)
    if an.time_fit is not None:
        out.update({"mixed_model_time": an.time_fit.to_frame(), "emmeans_time": an.time_emm.means,
                    "emmeans_time_slopes": an.time_emm.slopes})
        if an.two:
            out["emmeans_time_between_arms"] = an.time_emm.between_arms
    return out


def imputed_frame(imp) -> pd.DataFrame:
    """The pooled estimates in one long frame (the imputed table's CSV): paired changes, ANCOVA, contrasts."""
    parts = [imp.paired.rename(columns={"mean_diff": "estimate"}).assign(quantity="change from baseline"),
             imp.ancova.rename(columns={"difference": "estimate"}).assign(quantity="ANCOVA"),
             imp.contrasts.assign(quantity="mixed-model contrast"),
             imp.responder_differences.rename(columns={"risk_difference": "estimate"})
             .assign(quantity="responder difference")]
    out = pd.concat([p for p in parts if len(p)], ignore_index=True)
    first = ["quantity"] + [c for c in ("arm", "visit", "contrast") if c in out]
    return out[first + [c for c in out if c not in first]]


def write_tables(an: PainAnalysis, folder: Path, key: str, labels,
                 qualifier: str | None = None) -> tuple[list[Path], list]:
    """CSV of every frame, and the formatted, labelled Table of each as a record for the other formats;
    ``qualifier`` names the section in every title (a plan's second pain section, e.g. "Pain at each visit:
    CAFE-like two-arm trial"; see :func:`~spinestats.reports.result_tables.section_qualifier`)."""
    from spinestats.reports.output import escape_frame
    from spinestats.reports.pain_tables import section_tables
    from spinestats.reports.result_tables import titled
    from spinestats.reports.tables import TableRecord

    shown = section_tables(an, labels)
    (folder / "tables").mkdir(parents=True, exist_ok=True)
    paths, records = [], []
    for name, frame in frames(an).items():
        rel = Path("tables") / f"{key}_{name}.csv"  # prefixed by the section key: no clash between sections
        escape_frame(frame).to_csv(folder / rel, index=False, lineterminator="\n")
        paths.append(rel)
        if name in shown:  # the CSV keeps the analysis frame; every other format shows this Table
            records.append(TableRecord(rel, dataclasses.replace(shown[name], stem=rel.stem,
                                                                title=titled(shown[name].title, qualifier))))
    return paths, records


def write_figures(an: PainAnalysis, folder: Path, key: str, context: JobContext, labels) -> list[Path]:
    """Trajectory, spaghetti, responders and (two arms) the CONSORT-style flow, in every figure format."""
    from spinestats.reports import pain_figures
    from spinestats.reports.figure_style import DEFAULT_DPIS, DEFAULT_FORMATS, save_figure
    from spinestats.reports.flow_diagram import consort_figure

    arm = ARM if an.two else None
    draws = {
        "trajectory": lambda: pain_figures.trajectory(an.summary, visits=an.visits, labels=labels,
                                                      conf_level=an.fit.conf_level).figure,
        "spaghetti": lambda: pain_figures.spaghetti(an.long, value=NRS, visit=VISIT, subject=ID, visits=an.visits,
                                                    arm=arm, summary=an.summary, labels=labels)[0].figure,
        "responders": lambda: pain_figures.responder_bars(an.resp, labels=labels).figure,
    }
    if an.two:  # CONSORT-style flow of the two-arm trial: patients per arm and with a score at each visit
        draws["consort"] = lambda: pain_figures.consort(an.summary, an.long, visits=an.visits, arm=ARM, subject=ID,
                                                        figure=consort_figure, labels=labels)[0]
    figures = []
    for name, draw in draws.items():
        for p in save_figure(draw(), folder / "figures", f"{key}_{name}",
                             formats=context.figure_formats or DEFAULT_FORMATS, dpis=context.dpis or DEFAULT_DPIS):
            figures.append(Path("figures") / p.name)
    return figures


# ----------------------------------------------------------------------------- methods
def methods(an: PainAnalysis, options: PainOptions, seed: int, labels) -> tuple[str, ...]:
    """The methods sentences: only what ran, at the analysis' confidence level."""
    from spinestats.reports.pain_tables import level_text

    two = an.two
    level = f"{level_text(options.conf_level)}%"
    s = [
        f"Pain (NRS 0-10) is summarised per visit as mean (SD, {level} t interval) and median (quartiles, R type 7).",
        "Each follow-up visit is compared with baseline by the paired t test and the Wilcoxon signed-rank test "
        "(V = sum of positive ranks; exact p without ties or zeros and n < 50, otherwise the normal approximation "
        "with continuity correction), with Cohen's dz, the matched-pairs rank-biserial correlation and Holm's "
        "adjustment across visits.",
        "A linear mixed model (REML) with visit as a categorical factor"
        + (" and its interaction with arm" if two else "")
        + " and a random intercept per patient"
        + (" and a random slope on time (months)" if options.random_slope else "")
        + " uses every observed score, including patients with a single visit; tests, marginal means and "
        "contrasts use Satterthwaite degrees of freedom (as lmerTest/emmeans).",
        *(("A second mixed model treats time since kyphoplasty (months) as a continuous covariate"
           + (" interacting with arm" if two else "")
           + ", with a random intercept and slope on time per patient; marginal means at chosen times, arm "
           "differences and slopes use Satterthwaite degrees of freedom.",) if an.time_fit is not None else ()),
        f"A responder has a reduction of at least {options.mcid:g} points and at least {options.mcid_percent:g}% "
        f"of the baseline score; proportions have Wilson {level} CIs"
        + (" and arm differences Newcombe hybrid-score CIs." if two else "."),
    ]
    if two:
        s.append(f"The score at {labels.value(VISIT, options.ancova_visit)} is compared between arms by ANCOVA "
                 f"adjusted for baseline ({labels.value(ARM, an.arms[1])} \u2212 {labels.value(ARM, an.arms[0])}).")
    s.append(f"Adverse events are given as counts and percentages with exact (Clopper-Pearson) {level} CIs.")
    if an.imputed is not None:
        s.append(f"Missed visits were multiply imputed by chained equations ({options.impute_method}, "
                 f"m = {options.impute}, seed {seed}) and estimates pooled by Rubin's rules with "
                 "Barnard-Rubin degrees of freedom (proportions and their differences pooled on the raw scale); "
                 "the complete-case results are shown alongside.")
    else:
        s.append("The main analysis uses the observed data (complete cases for paired tests).")
    return tuple(s)


#: the section's title when the plan gives none
TITLE = "Pain after balloon kyphoplasty"


# ----------------------------------------------------------------------------- the job
def analyse(inputs: JobInput, options: PainOptions, context: JobContext, *, write: bool = True) -> Section:
    """The pain analysis of one ``bkp`` table: compute, results, tables, figures, methods (``write=False``: numbers only).

    Figures and tables go to ``context.out_dir`` with file names starting with the section key
    (``pain_trajectory.pdf``, ``tables/pain_paired.csv``).
    """
    check_options(options)
    labels = as_labels(context.labels, ["bkp"], strict=False)
    key = context.key or "pain"
    seed = context.seed_or(DEFAULT_SEED)
    frame, exclusions = read_input(inputs)
    an = compute(frame, options, seed=seed, workers=context.workers, scheduler=context.scheduler, labels=labels)
    out = results(an, options, seed, exclusions)
    figures: list[Path] = []
    tables: list[Path] = []
    records: list = []
    if write:
        from spinestats.reports.result_tables import section_qualifier

        tables, records = write_tables(an, context.out_dir, key, labels, section_qualifier(context.title, TITLE))
        figures = write_figures(an, context.out_dir, key, context, labels)
    return Section(key=key, title=context.title or TITLE, results=out,
                   figures=tuple(figures), tables=tuple(tables), warnings=tuple(out["warnings"]),
                   table_records=tuple(records), methods=methods(an, options, seed, labels), references=REFERENCES,
                   figure_captions=captions(key, options))


def captions(key: str, options: PainOptions) -> dict[str, str]:
    """Figure captions that name the analysis' confidence level (the report's default caption says 95%)."""
    from spinestats.reports.pain_tables import level_text

    return {f"{key}_trajectory": f"Mean pain (NRS 0\u201310) over time with {level_text(options.conf_level)}% CIs"}


def run(data=None, out_dir=None, **keywords) -> Section:
    """The pain analysis by keyword: the options of :class:`PainOptions` and the settings of
    :class:`~spinestats.reports.job.JobContext` (``table``, ``seed`` (default 2024), ``labels``, ``key``,
    ``figure_formats``, ``dpis``, ``workers``, ``scheduler``, ...).  ``data``: a DataFrame in the wide or long
    ``bkp`` layout (index = spreadsheet line, as the loader gives it) or a ``LoadedTable``; ``table``: the
    ``LoadedTable`` (its exclusions are counted in ``flow``).  ``out_dir=None``: the numbers only, no files.

    Examples
    --------
    >>> from spinestats.data_schemas.examples import cohort_bkp
    >>> sec = run(cohort_bkp.make())
    >>> sec.results["flow"]["patients"], sec.results["arms"]
    (17, ['BKP'])
    """
    job = analyse if out_dir is not None else functools.partial(analyse, write=False)
    return run_by_keywords(job, PainOptions, data=data, out_dir="." if out_dir is None else out_dir, where="pain",
                           **keywords)

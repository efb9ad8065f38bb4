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
from pathlib import Path

import numpy as np
import pandas as pd

from spinestats.analysis.longitudinal import mixed_model as lmm
from spinestats.analysis.descriptive.adverse_events import adverse_events
from spinestats.analysis.longitudinal.ancova import ancova
from spinestats.analysis.longitudinal.mice import impute as mice_impute
from spinestats.analysis.longitudinal.missingness import missingness
from spinestats.analysis.longitudinal.paired_tests import paired_vs_baseline
from spinestats.analysis.longitudinal.responders import is_responder, responders
from spinestats.analysis.core.result import to_jsonable
from spinestats.analysis.longitudinal.rubin import pool
from spinestats.analysis.longitudinal.visit_summary import summarise_visits
from spinestats.errors import DataError, UsageError
from spinestats.reports.section import Section

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
    num = pd.to_numeric(v, errors="coerce")
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
        d[NRS] = pd.to_numeric(d[NRS]).astype(float)
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
                d[f"nrs_{v}"] = pd.to_numeric(d[f"nrs_{v}"]).astype(float)
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


# ----------------------------------------------------------------------------- analysis
def _flow(wide: pd.DataFrame, long: pd.DataFrame, paired, fit, arms) -> dict:
    follow = [c for c in wide if c.startswith("nrs_") and c != "nrs_baseline"]
    has_base = wide["nrs_baseline"].notna()
    any_follow = wide[follow].notna().any(axis=1) if follow else pd.Series(False, index=wide.index)
    per_arm = {a: int((wide[ARM] == a).sum()) for a in arms}
    pairs = paired.to_frame()
    return {
        "patients": int(len(wide)),
        "per_arm": per_arm,
        "baseline_only": int((has_base & ~any_follow).sum()),
        "no_baseline": int((~has_base).sum()),
        "no_scores": int(wide[[c for c in wide if c.startswith("nrs_")]].isna().all(axis=1).sum()),
        "mixed_model": {"patients": fit.n_patients, "observations": fit.n_obs},
        "paired": [
            {**({"arm": r["arm"]} if "arm" in pairs else {}), "visit": r["visit"], "pairs": int(r["n"]),
             "excluded_no_pair": int(per_arm[r["arm"] if "arm" in pairs else arms[0]] - r["n"])}
            for _, r in pairs.iterrows()
        ],
        "note": ("Patients with only a baseline score are kept in the mixed model and excluded from the paired "
                 "tests and responder counts at the visits they missed."),
    }


def _rows(frame: pd.DataFrame) -> list:
    out = to_jsonable(frame)
    for r in out:
        if "ci_low" in r and "ci_high" in r:
            r["ci"] = [r["ci_low"], r["ci_high"]]
    return out


def _fit(long, arms, random_slope, satterthwaite=True, conf_level=0.95):
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
    return lmm.fit_lmm(design, satterthwaite=satterthwaite, conf_level=conf_level)


def _time_model(long, arms, times, conf_level=0.95, labels=None) -> tuple[dict, dict, list[str], dict]:
    """The continuous-time model (results blocks, flow entry, warnings, table frames)."""
    d = long.loc[long[NRS].notna()].copy()
    final = d[VISIT].eq("final")
    d = d.loc[~final]
    d["time_months"] = d[VISIT].map(MONTHS)
    two = len(arms) == 2
    design = lmm.build_time_design(d, value=NRS, time="time_months", subject=ID, arm=ARM if two else None,
                                   arms=arms if two else None, random_slope=True)
    fit = lmm.fit_lmm(design, conf_level=conf_level)
    if times is None:
        times = sorted(set(d["time_months"]))
    elif isinstance(times, str):
        try:
            times = [float(t) for t in times.split(",") if t.strip()]
        except ValueError as exc:
            raise UsageError(f"--emmeans-times: expected months separated by commas, got {times!r}.") from exc
    emm = lmm.marginal_means_at(fit, times)
    warnings = [f"continuous-time model: {w}" for w in fit.warnings]
    if final.any():
        n_final = int(final.sum())
        warnings.append(f"continuous-time model: {n_final} score{'s' if n_final != 1 else ''} at the last follow-up "
                        f"visit (no fixed time) {'were' if n_final != 1 else 'was'} left out of it.")
    block = {"model": "nrs ~ time * arm + (1 + time | patient)" if two else "nrs ~ time + (1 + time | patient)",
             "time_unit": "months", **fit.to_dict()}
    emm_block = {"df_method": "satterthwaite", "times": list(emm.times), "means": _rows(emm.means),
                 "between_arms": _rows(emm.between_arms), "slopes": _rows(emm.slopes)}
    flow = {"patients": fit.n_patients, "observations": fit.n_obs, "excluded_final": int(final.sum())}
    frames = {"mixed_model_time": fit.to_frame(), "emmeans_time": emm.means,
              "emmeans_time_slopes": emm.slopes}
    if two:
        frames["emmeans_time_between_arms"] = emm.between_arms
    if labels is not None:  # the formatted, labelled tables of the same numbers (the CSV keeps the frames)
        from spinestats.reports.pain_tables import time_model_tables

        frames["_tables"] = time_model_tables(fit, emm, arms, labels)
    return {"mixed_model_time": block, "emmeans_time": emm_block}, flow, warnings, frames


def _emm_rows(fit, pairs):
    """Estimate and variance of the between-arm contrasts from a fit (for pooling)."""
    index = {t: k for k, t in enumerate(fit.terms)}
    est, var, names = [], [], []
    for v in fit.visits:
        L = np.zeros(len(fit.terms))
        if len(fit.arms) == 2:
            need = [f"arm{fit.arms[1]}"] + ([f"arm{fit.arms[1]}:visit{v}"] if v != fit.visits[0] else [])
        else:
            if v == fit.visits[0]:
                continue
            need = [f"visit{v}"]
        if any(t not in index for t in need):
            continue
        for t in need:
            L[index[t]] = 1.0
        est.append(float(L @ fit.estimate))
        var.append(float(L @ fit.vcov @ L))
        names.append(v)
    return names, est, var


def _imputed(wide, arms, visit_cols, opts, ancova_visit) -> dict:
    """Impute the visit columns ``opts["impute"]`` times and pool the estimates by Rubin's rules.

    Pooled quantities and their complete-data df (``dfcom``): paired mean
    differences (variance s^2/n, n - 1), the ANCOVA arm difference (SE^2,
    n - 3), the mixed model's fixed effects and arm (or visit) contrasts
    (SE^2, observations - fixed effects), responder proportions and their
    between-arm differences on the raw scale (p(1-p)/n, n - 1; Wald-type
    pooled intervals, truncated to [0, 1] for proportions).  After
    imputation every patient has every visit, so the paired n is all patients.
    """
    sparse = [v for v, c in visit_cols.items() if v != "baseline" and wide[c].notna().sum() < 2]
    visit_cols = {v: c for v, c in visit_cols.items() if v not in sparse}
    cols = list(visit_cols.values())
    predictors = []
    w = wide.copy()
    if len(arms) == 2:
        w["_arm_bkp"] = (w[ARM] == arms[1]).astype(float)
        predictors = ["_arm_bkp"]
    imp = mice_impute(w, columns=cols, predictors=predictors, m=opts["impute"], method=opts["impute_method"],
                      seed=opts["seed"], workers=opts["workers"], scheduler=opts["scheduler"])
    per = {"paired": [], "ancova": [], "lmm": [], "contrast": [], "resp": []}
    for i in range(imp.m):
        c = imp.complete(w, i)
        long_c = c.melt(id_vars=[ID, ARM], value_vars=cols, var_name=VISIT, value_name=NRS)
        long_c[VISIT] = long_c[VISIT].str[4:]
        rows = []
        for a in arms:
            part = c[c[ARM] == a]
            for v, col in visit_cols.items():
                if v == "baseline":
                    continue
                dd = (part[col] - part["nrs_baseline"]).to_numpy(float)
                rows.append((a, v, dd.mean(), dd.var(ddof=1) / dd.size, dd.size - 1))
                r = is_responder(part["nrs_baseline"], part[col], opts["mcid"], opts["mcid_percent"])
                per["resp"].append((a, v, r.mean(), r.mean() * (1 - r.mean()) / r.size, r.size - 1))
        per["paired"].append(rows)
        if len(arms) == 2 and f"nrs_{ancova_visit}" in c:
            res = ancova(c, outcome=f"nrs_{ancova_visit}", baseline="nrs_baseline", arm=ARM, arms=arms)
            per["ancova"].append((res.difference, res.se**2, res.df))
        fit = _fit(long_c, arms, opts["random_slope"], satterthwaite=False)
        per["lmm"].append((fit.terms, fit.estimate, fit.se**2, fit.n_obs - len(fit.terms)))
        per["contrast"].append(_emm_rows(fit, arms))
    out: dict = {"m": imp.m, "method": imp.method, "maxit": imp.maxit, "seed": imp.seed,
                 "n_missing": imp.n_missing, "pooling": "Rubin's rules, Barnard-Rubin df (mice pool())",
                 "visits_not_imputed": sparse}
    P = np.array([[r[2] for r in rows] for rows in per["paired"]])
    U = np.array([[r[3] for r in rows] for rows in per["paired"]])
    labels = per["paired"][0]
    pooled = pool(P, U, dfcom=np.array([r[4] for r in labels]), names=[f"{r[0]}:{r[1]}" for r in labels])
    out["paired"] = [
        {**({"arm": r[0]} if len(arms) == 2 else {}), "visit": r[1], "mean_diff": pooled.estimate[k],
         "se": pooled.se[k], "ci": [pooled.ci_low[k], pooled.ci_high[k]], "df": pooled.df[k], "t": pooled.t[k],
         "p": pooled.p[k], "fmi": pooled.fmi[k]} for k, r in enumerate(labels)]
    if per["ancova"]:
        a = np.array(per["ancova"])
        pa = pool(a[:, 0], a[:, 1], dfcom=a[0, 2], names=["difference"])
        out["ancova"] = {"visit": ancova_visit, "contrast": f"{arms[1]} - {arms[0]}", "difference": pa.estimate[0],
                         "se": pa.se[0], "ci": [pa.ci_low[0], pa.ci_high[0]], "df": pa.df[0], "p": pa.p[0],
                         "fmi": pa.fmi[0]}
    terms = per["lmm"][0][0]
    pl = pool(np.array([x[1] for x in per["lmm"]]), np.array([x[2] for x in per["lmm"]]), dfcom=per["lmm"][0][3],
              names=terms)
    out["mixed_model"] = {"terms": list(terms), "estimate": pl.estimate, "se": pl.se, "df": pl.df, "p": pl.p,
                          "fmi": pl.fmi}
    names = per["contrast"][0][0]
    pc = pool(np.array([x[1] for x in per["contrast"]]), np.array([x[2] for x in per["contrast"]]),
              dfcom=per["lmm"][0][3], names=names)
    label = f"{arms[1]} - {arms[0]}" if len(arms) == 2 else "visit - baseline"
    out["emmeans_contrasts"] = [{"visit": v, "contrast": label, "estimate": pc.estimate[k], "se": pc.se[k],
                                 "ci": [pc.ci_low[k], pc.ci_high[k]], "df": pc.df[k], "p": pc.p[k]}
                                for k, v in enumerate(names)]
    nlab = len(labels)
    resp = np.array([x[2] for x in per["resp"]]).reshape(imp.m, nlab)
    rvar = np.array([x[3] for x in per["resp"]]).reshape(imp.m, nlab)
    with np.errstate(invalid="ignore", divide="ignore"):
        pr = pool(resp, rvar, dfcom=np.array([x[4] for x in per["resp"][:nlab]]))
    out["responders"] = [{**({"arm": r[0]} if len(arms) == 2 else {}), "visit": r[1], "proportion": pr.estimate[k],
                          "ci": [max(0.0, pr.ci_low[k]), min(1.0, pr.ci_high[k])], "df": pr.df[k]}
                         for k, r in enumerate(labels)]
    if len(arms) == 2:
        half = nlab // 2  # labels: reference arm visits, then the other arm's, same visit order
        rd = resp[:, half:] - resp[:, :half]
        rd_var = rvar[:, half:] + rvar[:, :half]
        dfc = np.array([x[4] for x in per["resp"][:nlab]])
        with np.errstate(invalid="ignore", divide="ignore"):
            pd_ = pool(rd, rd_var, dfcom=dfc[half:] + dfc[:half])
        out["responder_differences"] = [
            {"visit": labels[half + k][1], "contrast": f"{arms[1]} - {arms[0]}", "risk_difference": pd_.estimate[k],
             "ci": [max(-1.0, pd_.ci_low[k]), min(1.0, pd_.ci_high[k])], "df": pd_.df[k], "p": pd_.p[k]}
            for k in range(half)]
    return out


def _methods(arms, opts, fit, imputed: bool, labels=None) -> tuple[str, ...]:
    from spinestats.data_schemas.labels import as_labels

    labels = as_labels(labels, ["bkp"], strict=False)
    two = len(arms) == 2
    level = f"{100 * opts.get('conf_level', 0.95):g}%"
    s = [
        f"Pain (NRS 0-10) is summarised per visit as mean (SD, {level} t interval) and median (quartiles, R type 7).",
        "Each follow-up visit is compared with baseline by the paired t test and the Wilcoxon signed-rank test "
        "(V = sum of positive ranks; exact p without ties or zeros and n < 50, otherwise the normal approximation "
        "with continuity correction), with Cohen's dz, the matched-pairs rank-biserial correlation and Holm's "
        "adjustment across visits.",
        "A linear mixed model (REML) with visit as a categorical factor"
        + (" and its interaction with arm" if two else "")
        + " and a random intercept per patient"
        + (" and a random slope on time (months)" if opts["random_slope"] else "")
        + " uses every observed score, including patients with a single visit; tests, marginal means and "
        "contrasts use Satterthwaite degrees of freedom (as lmerTest/emmeans).",
        *(("A second mixed model treats time since kyphoplasty (months) as a continuous covariate"
           + (" interacting with arm" if two else "")
           + ", with a random intercept and slope on time per patient; marginal means at chosen times, arm "
           "differences and slopes use Satterthwaite degrees of freedom.",) if opts.get("time_model") == "continuous"
          else ()),
        f"A responder has a reduction of at least {opts['mcid']:g} points and at least {opts['mcid_percent']:g}% "
        f"of the baseline score; proportions have Wilson {level} CIs"
        + (" and arm differences Newcombe hybrid-score CIs." if two else "."),
    ]
    if two:
        s.append(f"The score at {labels.value(VISIT, opts['ancova_visit'])} is compared between arms by ANCOVA "
                 f"adjusted for baseline ({labels.value(ARM, arms[1])} \u2212 {labels.value(ARM, arms[0])}).")
    s.append(f"Adverse events are given as counts and percentages with exact (Clopper-Pearson) {level} CIs.")
    if imputed:
        s.append(f"Missed visits were multiply imputed by chained equations ({opts['impute_method']}, "
                 f"m = {opts['impute']}, seed {opts['seed']}) and estimates pooled by Rubin's rules with "
                 "Barnard-Rubin degrees of freedom (proportions and their differences pooled on the raw scale); "
                 "the complete-case results are shown alongside.")
    else:
        s.append("The main analysis uses the observed data (complete cases for paired tests).")
    return tuple(s)


def run(
    data=None,
    *,
    table=None,
    out_dir=None,
    mcid: float = 2.0,
    mcid_percent: float = 30.0,
    impute: int = 0,
    impute_method: str = "pmm",
    seed: int = 2024,
    random_slope: bool = False,
    time_model: str = "factor",
    emmeans_times=None,
    ancova_visit: str = "1m",
    workers: int = 1,
    scheduler: str | None = None,
    figure_formats=None,
    dpis=None,
    key: str = "pain",
    conf_level: float = 0.95,
    labels=None,
) -> Section:
    """Run the pain analysis on a ``bkp`` table; see the module docstring for the options.

    Parameters
    ----------
    data : a ``pandas.DataFrame`` in the wide or long ``bkp`` layout (index =
        spreadsheet line, as the loader gives it), or a ``LoadedTable``.
    table : the ``LoadedTable`` from ``data_schemas.loading.load`` (its
        exclusions are counted in ``flow``); used when ``data`` is None.
    out_dir : folder for ``tables/`` and ``figures/`` (``None``: numbers only); file
        names start with ``key`` (``pain_trajectory.pdf``, ``tables/pain_paired.csv``).
    figure_formats, dpis : figure formats and raster resolutions.
    conf_level : level of the confidence intervals (visit means, paired differences, mixed model,
        responders, ANCOVA, adverse events).
    labels : display labels (:class:`~spinestats.data_schemas.labels.Labels`, a plan's overrides or
        ``None`` for the bkp schema's): visits, arms and terms in the tables, figures and warnings.
    """
    from spinestats.data_schemas.labels import as_labels

    labels = as_labels(labels, ["bkp"], strict=False)
    if not 0 < float(conf_level) < 1:
        raise UsageError(f"confidence level must be between 0 and 1 (e.g. 0.95), got {conf_level!r}.")
    conf_level = float(conf_level)
    exclusions = tuple(getattr(table, "exclusions", ()))  # rows the loader left out, counted in flow
    if data is None:
        data = table
    if data is None:
        raise UsageError("pain analysis: no data given.")
    if hasattr(data, "data") and hasattr(data, "exclusions"):
        exclusions = tuple(data.exclusions)
        if getattr(data, "errors", ()):
            raise DataError("the bkp table has errors:\n" + "\n".join(p.message() for p in data.errors),
                            problems=data.errors)
        data = data.data
    if impute and impute < 2:
        raise UsageError(f"--impute needs at least 2 imputations (20 or more recommended), got {impute}.")
    if ancova_visit not in VISITS or ancova_visit == "baseline":
        raise UsageError(f"ancova visit must be a follow-up visit of {list(VISITS[1:])}, got {ancova_visit!r}.")
    if time_model not in ("factor", "continuous"):
        raise UsageError(f"time model: expected 'factor' or 'continuous', got {time_model!r}.")
    opts = {"mcid": float(mcid), "mcid_percent": float(mcid_percent), "impute": int(impute),
            "impute_method": impute_method, "seed": int(seed), "random_slope": bool(random_slope),
            "ancova_visit": ancova_visit, "conf_level": conf_level, "workers": int(workers), "scheduler": scheduler}
    wide, long = prepare(data)
    arms = _check_arms(wide)
    two = len(arms) == 2
    arm_col = ARM if two else None
    visit_cols = {v: f"nrs_{v}" for v in VISITS if f"nrs_{v}" in wide and wide[f"nrs_{v}"].notna().any()}
    visits = tuple(visit_cols)
    if len(visits) < 2:
        cols = ", ".join(f"nrs_{v}" for v in VISITS[1:])
        raise DataError("no follow-up NRS: the pain analysis compares each follow-up visit with baseline, but "
                        f"no patient has a score after baseline (expected at least one filled column of {cols}, "
                        "or long-layout rows with a follow-up visit).")
    warnings: list[str] = []

    def visit_words(v) -> str:
        return labels.value(VISIT, v)

    summary = summarise_visits(long, value=NRS, visit=VISIT, subject=ID, visits=visits, arm=arm_col,
                               conf_level=conf_level)
    paired = paired_vs_baseline(long, value=NRS, visit=VISIT, subject=ID, visits=visits, arm=arm_col,
                                conf_level=conf_level)
    warnings += paired.warnings
    small = paired.to_frame()
    for _, r in small[small["n"].between(2, 9)].iterrows() if len(small) else []:
        where = visit_words(r["visit"]) + (f" in the {labels.value(ARM, r['arm'])} arm" if two else "")
        warnings.append(f"paired tests at {where}: only {int(r['n'])} patients have a score at baseline and at "
                        "this visit; interpret with caution.")
    fit = _fit(long, arms, random_slope, conf_level=conf_level)
    warnings += fit.warnings
    emm = lmm.marginal_means(fit)
    follow = {v: c for v, c in visit_cols.items() if v != "baseline"}
    resp = responders(wide, visit_columns=follow, baseline="nrs_baseline", arm=arm_col,
                      arms=arms if two else None, mcid=mcid, mcid_percent=mcid_percent, conf_level=conf_level)
    miss = missingness(wide, visit_columns=visit_cols, arm=arm_col)
    events = [e for e in EVENTS if e in wide]
    ae = adverse_events(wide, events=events, arm=arm_col, arms=arms if two else None,
                        conf_level=conf_level) if events else None

    results: dict = {
        "schema": "bkp",
        "arms": list(arms),
        "visits": _rows(summary.to_frame()),
        "quantile_type": summary.quantile_type,
        "paired": _rows(paired.to_frame()),
        "paired_definitions": {
            "difference": "visit - baseline (negative = less pain), NRS points",
            "wilcoxon_statistic": "V = W+, the sum of the ranks of the positive differences (as R wilcox.test)",
            "p_holm": "Holm-adjusted across the follow-up visits of the same arm",
        },
        "mixed_model": fit.to_dict(),
        "emmeans": {"df_method": "satterthwaite", "means": _rows(emm.means),
                    "vs_baseline": _rows(emm.vs_baseline), "between_arms": _rows(emm.between_arms)},
        "responders": {"definition": {"mcid_points": mcid, "mcid_percent": mcid_percent, "rule": "both"},
                       "ci_method": resp.ci_method, "difference_method": resp.difference_method,
                       "rows": _rows(resp.table), "difference": _rows(resp.difference)},
    }
    if two:
        col = f"nrs_{ancova_visit}"
        if col in visit_cols.values():
            a = ancova(wide, outcome=col, baseline="nrs_baseline", arm=ARM, arms=arms, conf_level=conf_level)
            results["ancova"] = {"visit": ancova_visit, **a.to_dict()}
            if a.n_excluded:
                words = visit_words(ancova_visit)
                warnings.append(f"ANCOVA at {words}: {a.n_excluded} patient{'s' if a.n_excluded != 1 else ''} "
                                f"without a score at both baseline and {words} "
                                f"{'were' if a.n_excluded != 1 else 'was'} left out (complete cases).")
        else:
            warnings.append(f"ANCOVA not run: no patient has a score at {visit_words(ancova_visit)}.")
    if impute:
        results["imputed"] = _imputed(wide, arms, visit_cols, opts, ancova_visit)
        if results["imputed"]["visits_not_imputed"]:
            left = [visit_words(v) for v in results["imputed"]["visits_not_imputed"]]
            warnings.append(f"multiple imputation: {_and(left)} {'have' if len(left) != 1 else 'has'} fewer than 2 "
                            "observed scores and " + ("were" if len(left) != 1 else "was")
                            + " left out of the imputed analyses.")
        if impute < 20:
            warnings.append(f"multiple imputation with m = {impute}; at least 20 imputations are recommended.")
    time_flow, time_frames = None, {}
    if time_model == "continuous":
        blocks, time_flow, w, time_frames = _time_model(long, arms, emmeans_times, conf_level, labels)
        results.update(blocks)
        warnings += w
        opts_time = {"time_model": time_model, "emmeans_times": blocks["emmeans_time"]["times"]}
    results["missingness"] = {"n_patients": miss.n_patients, "n_complete": miss.n_complete,
                              "patterns": to_jsonable(miss.patterns), "per_visit": to_jsonable(miss.per_visit)}
    results["adverse_events"] = _rows(ae.table) if ae is not None else []
    flow = _flow(wide, long, paired, fit, arms)
    flow["excluded_by_loader"] = len(exclusions)
    if time_flow is not None:
        flow["mixed_model_time"] = time_flow
    results["flow"] = flow
    results["options"] = {k: v for k, v in opts.items() if k not in ("workers", "scheduler")}
    if time_model == "continuous":
        results["options"].update(opts_time)
    results["warnings"] = list(dict.fromkeys(warnings))

    figures: list[Path] = []
    tables: list[Path] = []
    records: list = []
    if out_dir is not None:
        from spinestats.reports.pain_tables import pain_tables
        from spinestats.reports.tables import TableRecord

        shown = pain_tables(summary_frame=summary.to_frame(), paired_frame=paired.to_frame(), fit=fit, emm=emm,
                            resp=resp, miss=miss, arms=arms, visits=visits, labels=labels,
                            arm_n=flow["per_arm"], conf_level=conf_level, random_slope=bool(random_slope),
                            quantile_type=summary.quantile_type)
        shown.update(time_frames.pop("_tables", {}))
        figures, tables = _write(Path(out_dir), key, summary, resp, long, visits, two, paired, fit, emm, ae, miss,
                                 figure_formats, dpis, extra_frames=time_frames, labels=labels)
        for rel in tables:
            name = rel.stem[len(key) + 1:]
            if name in shown:  # the CSV keeps the analysis frame; every other format shows this Table
                records.append(TableRecord(rel, dataclasses.replace(shown[name], stem=rel.stem)))
    return Section(key=key, title="Pain after balloon kyphoplasty", results=results, figures=tuple(figures),
                   tables=tuple(tables), warnings=tuple(results["warnings"]), table_records=tuple(records),
                   methods=_methods(arms, {**opts, "time_model": time_model}, fit, bool(impute), labels),
                   references=REFERENCES)


def _write(folder: Path, key: str, summary, resp, long, visits, two, paired, fit, emm, ae, miss, figure_formats, dpis,
           extra_frames=None, labels=None):
    from spinestats.reports import pain_figures
    from spinestats.reports.figure_style import DEFAULT_DPIS, DEFAULT_FORMATS, save_figure
    from spinestats.reports.output import escape_frame

    tables = []
    frames = {"visits": summary.to_frame(), "paired": paired.to_frame(), "mixed_model": fit.to_frame(),
              "emmeans": emm.means, "emmeans_vs_baseline": emm.vs_baseline,
              **({"emmeans_between_arms": emm.between_arms} if two else {}), "responders": resp.to_frame(),
              **({"responder_differences": resp.difference} if two else {}),
              "missingness_patterns": miss.patterns, "missingness_per_visit": miss.per_visit}
    if ae is not None:
        frames["adverse_events"] = ae.to_frame()
    frames.update(extra_frames or {})
    (folder / "tables").mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        rel = Path("tables") / f"{key}_{name}.csv"  # prefixed by the section key: no clash between sections
        escape_frame(frame).to_csv(folder / rel, index=False, lineterminator="\n")
        tables.append(rel)
    figures = []
    for stem, draw in (
        (f"{key}_trajectory", lambda: pain_figures.trajectory(summary, visits=visits, labels=labels)),
        (f"{key}_spaghetti", lambda: pain_figures.spaghetti(long, value=NRS, visit=VISIT, subject=ID, visits=visits,
                                                            arm=ARM if two else None, summary=summary,
                                                            labels=labels)[0]),
        (f"{key}_responders", lambda: pain_figures.responder_bars(resp, labels=labels)),
    ):
        fig = draw().figure
        for p in save_figure(fig, folder / "figures", stem, formats=figure_formats or DEFAULT_FORMATS,
                             dpis=dpis or DEFAULT_DPIS):
            figures.append(Path("figures") / p.name)
    if two:  # CONSORT-style flow of the two-arm trial: patients per arm and with a score at each visit
        from spinestats.reports.flow_diagram import consort_figure

        fig, _ = pain_figures.consort(summary, long, visits=visits, arm=ARM, subject=ID, figure=consort_figure,
                                      labels=labels)
        for p in save_figure(fig, folder / "figures", f"{key}_consort", formats=figure_formats or DEFAULT_FORMATS,
                             dpis=dpis or DEFAULT_DPIS):
            figures.append(Path("figures") / p.name)
    return figures, tables

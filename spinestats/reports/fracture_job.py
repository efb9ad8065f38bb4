"""Fracture risk after spinal irradiation: the analysis job behind ``spinestats fracture``.

:func:`run` takes a ``fracture`` table (canonical columns, as the loader
returns them) and returns a :class:`~spinestats.reports.section.Section`
whose ``results`` is exactly the command's ``results.json``.  The
``fracture`` command and the plan runner (``spinestats run``/``demo``) both
call it.

Time is months from the start of irradiation to the fracture (event 1), to
death without fracture (event 2, the competing event), or to the last
follow-up (censored) -- :mod:`spinestats.data_schemas.fracture_events`.

Options
-------
horizon : float, default 12
    Prediction horizon in months (risk model, C/AUC truncation, Brier,
    calibration, decision curve).
covariates : list of str, default ``["sins_total", "modality"]``
    Terms of the multivariable model.  Besides the schema columns, the job
    derives ``sins_total`` (0-18), ``sins_category``, ``sins_7_or_more``
    (indeterminate or unstable, total >= 7) and ``lytic`` (bone lesion
    quality lytic).
model : "finegray" (default), "cox" or "firth"
    The multivariable model reported in ``model``: Fine-Gray
    (subdistribution hazard ratios; risk = cumulative incidence by the
    horizon), cause-specific Cox (hazard ratios, deaths censored) or Firth
    logistic regression of fracture by the horizon (odds ratios, profile
    penalised-likelihood CIs; patients censored fracture-free before the
    horizon left out).  Patients missing a model covariate are left out of
    the model and its validation (counted in ``flow.model_patients``).  The risk model that is validated and saved is Fine-Gray for
    ``finegray`` and ``cox`` (a cause-specific Cox model gives no absolute
    risk with competing deaths), Firth for ``firth``.
univariable : list of str, default sins_total, lytic, baseline_fracture,
    total_dose_gy, age, modality
    Candidate risk factors, each in its own Fine-Gray and cause-specific Cox model.
bootstrap : int, default 200
    Bootstrap replicates of Harrell's optimism correction (0 skips it).
seed : int, default 2024
    Seed of the bootstrap streams.
workers, scheduler : parallel bootstrap (see ``analysis/core/resampling.py``).
group : str, default "modality"
    Grouping of the crude incidence, the CIF and Gray's test.
figure_formats, dpis : figure formats and raster resolutions.

Results keys: ``flow``, ``sins`` (category counts, crude incidence and
Gray's test by SINS category), ``crude``, ``median_time_to_fracture``,
``cif``, ``cif_at`` (by group at 6, 12, 24 months and the horizon),
``cif_at_by_sins`` (by SINS category), ``gray_test``, ``univariable``
(Fine-Gray SHR and cause-specific Cox HR per candidate), ``model`` (the chosen model),
``multivariable`` (Fine-Gray and cause-specific Cox with the same terms),
``events_per_variable``, ``risk_model``, ``c_index``, ``time_auc``,
``brier``, ``calibration``, ``decision_curve``, ``optimism``, ``warnings``,
``options``.  JSON Schema: ``data_schemas/results/fracture.schema.json``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from spinestats.analysis.core.params import check_column
from spinestats.analysis.core.surv_input import event_data
from spinestats.analysis.prediction.brier import brier_arrays, brier_score
from spinestats.analysis.prediction.calibration import calibration, calibration_arrays
from spinestats.analysis.prediction.concordance import concordance, concordance_arrays
from spinestats.analysis.competing_risks.crude_incidence import crude_incidence
from spinestats.analysis.competing_risks.cuminc import cumulative_incidence
from spinestats.analysis.prediction.decision_curve import decision_curve
from spinestats.analysis.competing_risks.finegray import fine_gray
from spinestats.analysis.competing_risks.gray_test import gray_test
from spinestats.analysis.prediction.optimism import optimism_correction
from spinestats.analysis.core.result import to_jsonable
from spinestats.analysis.prediction.risk_model import fit_risk_model, model_to_json, predict_risk
from spinestats.analysis.scores.sins import sins
from spinestats.analysis.prediction.time_auc import time_auc, time_auc_arrays
from spinestats.data_schemas.fracture_events import fracture_events
from spinestats.data_schemas.labels import as_labels
from spinestats.errors import DataError, UsageError
from spinestats.reports.regression_table import with_references
from spinestats.reports.section import Section

TIME, EVENT, RISK = "time_months", "event", "predicted_risk"
DEFAULT_COVARIATES = ("sins_total", "modality")
DEFAULT_UNIVARIABLE = ("sins_total", "lytic", "baseline_fracture", "total_dose_gy", "age", "modality")
MODELS = ("finegray", "cox", "firth")
EPV_MIN = 10

REFERENCES = (
    "Fisher CG, DiPaola CP, Ryken TC, et al. A novel classification system for spinal instability in neoplastic "
    "disease. Spine 2010;35:E1221-9. doi:10.1097/BRS.0b013e3181e16ae2",
    "Gray RJ. A class of K-sample tests for comparing the cumulative incidence of a competing risk. "
    "Ann Stat 1988;16:1141-54. doi:10.1214/aos/1176350951",
    "Fine JP, Gray RJ. A proportional hazards model for the subdistribution of a competing risk. "
    "J Am Stat Assoc 1999;94:496-509. doi:10.1080/01621459.1999.10474144",
    "Heinze G, Schemper M. A solution to the problem of separation in logistic regression. "
    "Stat Med 2002;21:2409-19. doi:10.1002/sim.1047",
    "Wolbers M, Koller MT, Witteman JCM, Steyerberg EW. Prognostic models with competing risks. "
    "Epidemiology 2009;20:555-61. doi:10.1097/EDE.0b013e3181a39056",
    "Uno H, Cai T, Pencina MJ, et al. On the C-statistics for evaluating overall adequacy of risk prediction "
    "procedures with censored survival data. Stat Med 2011;30:1105-17. doi:10.1002/sim.4154",
    "Blanche P, Dartigues JF, Jacqmin-Gadda H. Estimating and comparing time-dependent areas under receiver "
    "operating characteristic curves for censored event times with competing risks. Stat Med 2013;32:5381-97. "
    "doi:10.1002/sim.5958",
    "Harrell FE, Lee KL, Mark DB. Multivariable prognostic models. Stat Med 1996;15:361-87. "
    "doi:10.1002/(SICI)1097-0258(19960229)15:4<361::AID-SIM168>3.0.CO;2-4",
    "Vickers AJ, Elkin EB. Decision curve analysis: a novel method for evaluating prediction models. "
    "Med Decis Making 2006;26:565-74. doi:10.1177/0272989X06295361",
    "Riley RD, Ensor J, Snell KIE, et al. Calculating the sample size required for developing a clinical "
    "prediction model. BMJ 2020;368:m441. doi:10.1136/bmj.m441",
)


SINS_DERIVED = ("sins_total", "sins_category", "sins_7_or_more", "lytic")


def derive_covariates(data: pd.DataFrame) -> pd.DataFrame:
    """A copy with the SINS-derived covariates: ``sins_total``, ``sins_category``, ``sins_7_or_more``, ``lytic``."""
    out = data.copy()
    s = sins(out)
    out["sins_total"] = np.asarray(s.total, dtype=float)
    out["sins_category"] = list(s.category)
    out["sins_7_or_more"] = out["sins_total"] >= 7
    out["lytic"] = pd.to_numeric(out["sins_bone_lesion"]).to_numpy() == 2
    for c in ("baseline_fracture", "vcf", "death"):
        if c in out.columns:
            out[c] = out[c].astype(bool)
    return out


def prepare(data: pd.DataFrame) -> pd.DataFrame:
    """The table with time/event (months; 0 censored, 1 fracture, 2 death) and the derived covariates."""
    out = derive_covariates(data)
    ev = fracture_events(out)
    out[TIME] = ev["time_months"]
    out[EVENT] = ev["event"]
    return out


# --- bootstrap-safe (picklable) fit and measures --------------------------------------------------------------

def _fit(frame: pd.DataFrame, *, covariates: tuple[str, ...], horizon: float, model: str):
    rm, _ = fit_risk_model(frame, time=TIME, event=EVENT, covariates=covariates, horizon=horizon, model=model,
                           profile=False)
    return rm


_CACHE: dict = {}  # arrays of the current model on the frames it is measured on


def _arrays(model, frame: pd.DataFrame):
    """Time, status and predicted risk; computed once per (model, frame) while that model is measured."""
    if _CACHE.get("model") is not model:
        _CACHE.clear()
        _CACHE["model"] = model
    key = id(frame)
    if key not in _CACHE:
        r = predict_risk(model, frame).risk
        _CACHE[key] = (frame, frame[TIME].to_numpy(dtype=float), frame[EVENT].to_numpy(dtype=int), r)
    return _CACHE[key][1:]


def _measure(model, frame: pd.DataFrame, *, name: str, horizon: float) -> float:
    t, st, r = _arrays(model, frame)
    if name in ("harrell", "uno"):
        c = concordance_arrays(t, st, r, weighting=name, tau=horizon if name == "uno" else None)
        return (c[0] + 0.5 * c[2]) / c[3] if c[3] > 0 else float("nan")
    if name == "time_auc":
        return time_auc_arrays(t, st, r, horizon)
    if name == "brier":
        return brier_arrays(t, st, r, horizon)
    a, b, *_ = calibration_arrays(t, st, r, horizon)
    return a if name == "citl" else b


MEASURES = ("harrell", "uno", "time_auc", "brier", "citl", "slope")


def _model_block(kind: str, fit, data: pd.DataFrame, covariates: Sequence[str]) -> dict[str, Any]:
    if kind == "finegray":
        return {"type": "finegray", "scale": "subdistribution hazard ratio", "terms": list(fit.terms),
                "coef": fit.coef, "se": fit.se, "estimate": fit.shr, "lower": fit.shr_lower, "upper": fit.shr_upper,
                "p": fit.p, "n": fit.n, "events": fit.n_event, "competing": fit.n_competing,
                "converged": fit.converged}
    if kind == "firth":
        terms = list(fit.terms[1:])
        return {"type": "firth", "scale": "odds ratio", "terms": terms, "coef": fit.estimate[1:], "se": fit.se[1:],
                "estimate": np.exp(fit.estimate[1:]), "lower": np.exp(fit.lower[1:]), "upper": np.exp(fit.upper[1:]),
                "p": fit.p[1:], "intercept": fit.estimate[0], "n": fit.n, "events": fit.events,
                "converged": fit.converged, "separation": fit.separation, "ci_method": "profile penalised likelihood",
                "p_method": "penalised likelihood ratio"}
    # cause-specific Cox: deaths censored (analysis/survival/cox.py)
    return {"type": "cox", "scale": "cause-specific hazard ratio", "terms": list(fit.terms), "coef": fit.coef,
            "se": fit.se, "estimate": fit.hr, "lower": fit.hr_lower, "upper": fit.hr_upper, "p": fit.p,
            "n": fit.n, "events": fit.n_event, "converged": fit.converged}


def _cox_fit(data: pd.DataFrame, covariates: Sequence[str]):
    from spinestats.analysis.survival.cox import cox_ph

    return cox_ph(data, time=TIME, event=EVENT, covariates=list(covariates), cause=1)


def run(
    data=None,
    *,
    table=None,
    out_dir=None,
    horizon: float = 12.0,
    covariates: Sequence[str] | None = None,
    model: str = "finegray",
    univariable: Sequence[str] | None = None,
    bootstrap: int = 200,
    seed: int = 2024,
    workers: int = 1,
    scheduler: str | None = None,
    group: str = "modality",
    figure_formats=None,
    dpis=None,
    key: str = "fracture",
    labels=None,
) -> Section:
    """Run the fracture analysis on a ``fracture`` table; see the module docstring for the options.

    Parameters
    ----------
    data : a ``pandas.DataFrame`` of the ``fracture`` schema (index =
        spreadsheet line) or a ``LoadedTable``.
    table : the ``LoadedTable`` from ``data_schemas.loading.load`` (used when
        ``data`` is None; its exclusions are counted in ``flow``).
    out_dir : folder for ``figures/``, ``tables/`` and the risk model
        ``<key>_model.json`` (``model.json`` for the default key ``fracture``);
        ``None``: numbers only.  File names start with ``key``.
    """
    if data is None:
        data = table
    if data is None:
        raise UsageError("fracture analysis: no data given.")
    exclusions: tuple = ()
    if hasattr(data, "data") and hasattr(data, "exclusions"):
        exclusions = tuple(data.exclusions)
        if getattr(data, "errors", ()):
            raise DataError("the fracture table has errors:\n" + "\n".join(p.message() for p in data.errors),
                            problems=data.errors)
        data = data.data
    if model not in MODELS:
        raise UsageError(f"--model must be one of {', '.join(MODELS)}; got {model!r}")
    if not horizon or horizon <= 0:
        raise UsageError(f"--horizon must be a positive number of months; got {horizon!r}")
    if bootstrap and bootstrap < 0:
        raise UsageError(f"--bootstrap must be >= 0; got {bootstrap}")
    covariates = tuple(covariates) if covariates else DEFAULT_COVARIATES
    univariable = tuple(univariable) if univariable else DEFAULT_UNIVARIABLE
    d = prepare(data)
    for c in (*covariates, group):
        check_column(d, c, "covariates" if c in covariates else "group", flag="--covariates" if c in covariates else "--group")
    warnings: list[str] = []
    n = len(d)
    counts = d[EVENT].value_counts().reindex([0, 1, 2], fill_value=0)
    flow = {"rows_excluded_by_loader": len(exclusions), "patients": n, "fractures": int(counts[1]),
            "deaths_without_fracture": int(counts[2]), "censored": int(counts[0])}
    if exclusions:
        warnings.append(f"{len(exclusions)} row(s) were excluded when the file was read (see the exclusion log).")

    # incidence ------------------------------------------------------------------------------------------
    crude = crude_incidence(d, time=TIME, event=EVENT, cause=1, group=group)
    ci = cumulative_incidence(d, time=TIME, event=EVENT, cause=1, group=group,
                              times=sorted({6.0, 12.0, 24.0, float(horizon)}))
    warnings.extend(ci.warnings)
    gray = gray_test(d, time=TIME, event=EVENT, group=group, cause=1)
    ci_sins = cumulative_incidence(d, time=TIME, event=EVENT, cause=1, group="sins_category",
                                   times=sorted({6.0, 12.0, 24.0, float(horizon)}))
    cif = {}
    for curve in ci.curves:
        if curve.cause == 1:
            cif[str(curve.group)] = {"time": curve.time, "estimate": curve.estimate, "lower": curve.lower,
                                     "upper": curve.upper, "n_at_risk": curve.n_at_risk, "n_event": curve.n_event}
    table_at = ci.table[ci.table["cause"] == 1].drop(columns=["cause"]).rename(columns={"group": group})

    # risk factors ---------------------------------------------------------------------------------------
    lab = as_labels(labels, ["fracture"], strict=False)
    for c in univariable:
        check_column(d, c, "univariable")
    # text covariates as factors whose first level is the reference (user, schema, else schema order)
    dmod = with_references(d, list(dict.fromkeys([*univariable, *covariates])), lab)
    uni = []
    uni_fits: dict[str, dict[str, Any]] = {"finegray": {}, "cox": {}, "firth": {}}  # for the regression tables
    for c in univariable:
        try:
            f = fine_gray(dmod, time=TIME, event=EVENT, covariates=[c])
        except DataError as exc:
            warnings.append(f"univariable Fine-Gray model of {c}: {exc}")
            continue
        cs = _cox_fit(dmod, [c])
        warnings.extend(f"univariable {c}: {w}" for w in (*f.warnings, *cs.warnings))
        uni_fits["finegray"][c] = _model_block("finegray", f, dmod, [c])
        uni_fits["cox"][c] = _model_block("cox", cs, dmod, [c])
        for j, term in enumerate(f.terms):
            uni.append({"variable": c, "term": term, "shr": f.shr[j], "lower": f.shr_lower[j],
                        "upper": f.shr_upper[j], "p": f.p[j], "cs_hr": cs.hr[j], "cs_lower": cs.hr_lower[j],
                        "cs_upper": cs.hr_upper[j], "cs_p": cs.p[j]})
    uni_firth = []
    if model == "firth":  # univariable Firth models beside the multivariable one (as tbl_uvregression)
        for c in univariable:
            try:
                _, lf = fit_risk_model(dmod, time=TIME, event=EVENT, covariates=[c], horizon=horizon, model="firth")
            except DataError as exc:
                warnings.append(f"univariable Firth model of {c}: {exc}")
                continue
            blk = _model_block("firth", lf, dmod, [c])
            uni_fits["firth"][c] = blk
            for j, term in enumerate(blk["terms"]):
                uni_firth.append({"variable": c, "term": term, "or": blk["estimate"][j], "lower": blk["lower"][j],
                                  "upper": blk["upper"][j], "p": blk["p"][j], "n": blk["n"], "events": blk["events"]})
    complete = d[list(dict.fromkeys(covariates))].notna().all(axis=1).to_numpy()
    dm = dmod[complete].copy()
    flow["model_patients"] = int(complete.sum())
    if not complete.all():
        warnings.append(
            f"{int((~complete).sum())} patient(s) with a missing covariate ({', '.join(covariates)}) were left out of "
            f"the multivariable model and its validation (lines {d.index[~complete].tolist()[:10]}).")
    rm, rfit = fit_risk_model(dm, time=TIME, event=EVENT, covariates=covariates, horizon=horizon,
                              model="firth" if model == "firth" else "finegray")
    warnings.extend(rm.warnings)
    cs_fit = _cox_fit(dm, covariates)
    fg_fit = rfit if model != "firth" else fine_gray(dm, time=TIME, event=EVENT, covariates=list(covariates))
    warnings.extend(cs_fit.warnings)
    multivariable = {"finegray": _model_block("finegray", fg_fit, dm, covariates),
                     "cox": _model_block("cox", cs_fit, dm, covariates)}
    model_block = _model_block("firth", rfit, dm, covariates) if model == "firth" else multivariable[model]
    n_params = len(model_block["terms"])
    model_events = int((dm[EVENT] == 1).sum())
    epv = model_events / n_params if n_params else float("nan")
    epv_block = {"events": model_events, "parameters": n_params, "epv": epv, "adequate": bool(epv >= EPV_MIN)}
    if epv < EPV_MIN:
        advice = ("Firth's penalty reduces the small-sample bias; still prefer fewer variables"
                  if model == "firth" else "Use Firth's penalised regression (--model firth) or fewer variables")
        msg = (f"Only {model_events} fractures for {n_params} model parameters (events per variable "
               f"{epv:.1f} < {EPV_MIN}): the model is likely overfitted and its estimates biased away from 1. "
               f"{advice}, and rely on the optimism-corrected performance.")
        epv_block["message"] = msg
        warnings.append(msg)

    # validation -----------------------------------------------------------------------------------------
    dm[RISK] = predict_risk(rm, dm).risk
    k = dict(time=TIME, event=EVENT, risk=RISK)
    ev = event_data(dm, time=TIME, event=EVENT, extra=(RISK,))  # parsed once, used by every measure below
    harrell = concordance(ev, **k)
    uno = concordance(ev, **k, weighting="uno", tau=horizon)
    auc = time_auc(ev, **k, horizon=horizon)
    brier = brier_score(ev, **k, horizon=horizon)
    cal = calibration(ev, **k, horizon=horizon)  # degenerate fits come back as NaN with their reason
    if auc.cases == 0:
        warnings.append(f"no fracture occurred by the horizon of {horizon:g} months: discrimination and calibration "
                        "at the horizon are undefined; choose a later --horizon.")
    else:
        warnings.extend(cal.warnings)
    dc = decision_curve(ev, **k, horizon=horizon)
    opt_block: dict[str, Any] = {}
    if bootstrap:
        fit_fn = functools.partial(_fit, covariates=covariates, horizon=float(horizon),
                                   model="firth" if model == "firth" else "finegray")
        measures = {m: functools.partial(_measure, name=m, horizon=float(horizon)) for m in MEASURES}
        opt = optimism_correction(dm[[TIME, EVENT, *dict.fromkeys(covariates)]], fit_fn, measures, B=int(bootstrap),
                                  seed=int(seed), workers=workers, scheduler=scheduler)
        opt_block = {m: opt.measures[m].to_dict() for m in MEASURES}
        opt_block["B"] = int(bootstrap)
        opt_block["seed"] = int(seed)
        warnings.extend(opt.warnings)
    if flow["fractures"] < 20:
        warnings.append(f"only {flow['fractures']} fractures: validation measures are imprecise.")

    results: dict[str, Any] = {
        "flow": flow,
        "sins": _sins_block(d),
        "crude": {"overall": _crude(crude.overall),
                  "by_group": {str(g.group): _crude(g) for g in crude.groups}, "group": group},
        "median_time_to_fracture": {"overall": crude.overall.median_time,
                                    "by_group": {str(g.group): g.median_time for g in crude.groups},
                                    "unit": "months", "among": "patients with a fracture"},
        "cif": cif,
        "cif_at": table_at,
        "cif_at_by_sins": ci_sins.table[ci_sins.table["cause"] == 1].drop(columns=["cause"]).rename(
            columns={"group": "sins_category"}),
        "gray_test": {"groups": [str(g) for g in gray.groups], **{k2: v for k2, v in gray.for_cause(1).items()}},
        "univariable": uni,
        **({"univariable_firth": uni_firth} if model == "firth" else {}),
        "model": model_block,
        "multivariable": multivariable,
        "events_per_variable": epv_block,
        "risk_model": {"type": rm.model_type, "horizon": rm.horizon, "terms": list(rm.terms),
                       "coefficients": list(rm.coefficients), "file": _model_file(key) if out_dir else None},
        "c_index": {"harrell": harrell.estimate, "uno": uno.estimate, "tau": horizon,
                    "competing": "Wolbers: deaths stay comparable with every fracture"},
        "time_auc": {"estimate": auc.estimate, "horizon": horizon, "cases": auc.cases,
                     "controls": auc.controls + auc.competing_controls},
        "brier": {"estimate": brier.estimate, "horizon": horizon},
        "calibration": {"citl": cal.citl, "citl_ci": cal.citl_ci, "slope": cal.slope, "slope_ci": cal.slope_ci,
                        "method": cal.method, "n_used": cal.n_used,
                        "censored_before_horizon": cal.censored_before_horizon, "groups": cal.groups},
        "decision_curve": {"threshold": dc.threshold, "model": dc.model, "treat_all": dc.treat_all,
                           "treat_none": dc.treat_none},
        "optimism": opt_block,
        "warnings": list(dict.fromkeys(warnings)),
        "options": {"horizon": float(horizon), "covariates": list(covariates), "model": model,
                    "univariable": list(univariable), "bootstrap": int(bootstrap), "seed": int(seed), "group": group},
    }
    figures: list[Path] = []
    tables: list[Path] = []
    if out_dir is not None:
        figures, tables, fig_warn = _write_outputs(Path(out_dir), key, results, rm, ci, ci_sins, cal, dc,
                                                   figure_formats, dpis, labels)
        conf = {"finegray": fg_fit.conf_level, "cox": cs_fit.conf_level, "firth": getattr(rfit, "level", 0.95)}
        # in the order of the results: incidence, risk factors, calibration
        tables = (_incidence_tables(Path(out_dir), key, results, d, ci, ci_sins, lab, group)
                  + _regression_tables(Path(out_dir), key, results, uni_fits, dmod, dm, lab, cs_fit, conf)
                  + _performance_table(Path(out_dir), key, results) + tables)
        results["warnings"].extend(fig_warn)
    methods = _methods(results, model, horizon, bootstrap)
    return Section(key=key, title="Vertebral compression fracture after irradiation", results=to_jsonable(results),
                   figures=tuple(figures), tables=tuple(tables), warnings=tuple(results["warnings"]),
                   methods=tuple(methods), references=REFERENCES)


def _sins_block(d: pd.DataFrame) -> dict[str, Any]:
    """SINS categories: counts, crude fracture incidence per category and Gray's test across them."""
    counts = {cat: int((d["sins_category"] == cat).sum()) for cat in ("stable", "indeterminate", "unstable")}
    crude = crude_incidence(d, time=TIME, event=EVENT, cause=1, group="sins_category")
    block: dict[str, Any] = {"counts": counts, "mean_total": float(d["sins_total"].mean()),
                             "crude_by_category": {str(g.group): _crude(g) for g in crude.groups}}
    if sum(v > 0 for v in counts.values()) >= 2:
        g = gray_test(d, time=TIME, event=EVENT, group="sins_category", cause=1)
        block["gray_test"] = {"groups": [str(x) for x in g.groups], **g.for_cause(1)}
    return block


def _crude(c) -> dict[str, Any]:
    return {"n": c.n, "events": c.events, "proportion": c.proportion, "ci": list(c.ci), "ci_method": "Clopper-Pearson"}


def _term_labels(rm, labels=None) -> dict[str, str]:
    """Readable names of the model terms by their display labels: ``Modality: SBRT vs CIRT``,
    ``SINS total (per point)``."""
    from spinestats.data_schemas.labels import as_labels

    lab = as_labels(labels, ["fracture"], strict=False)
    out = {}
    for c in rm.coding:
        col = c["column"]
        if c["kind"] == "category":
            out[c["term"]] = f"{lab.variable(col)}: {lab.value(col, c['level'])} vs {lab.value(col, c['reference'])}"
        elif c["kind"] == "boolean":
            out[c["term"]] = f"{lab.variable(col)} (yes vs no)"
        else:
            out[c["term"]] = f"{lab.variable(col)} (per unit)"
    return out


def _model_file(key: str) -> str:
    return "model.json" if key == "fracture" else f"{key}_model.json"


def _write_outputs(out: Path, key: str, results, rm, ci, ci_sins, cal, dc, figure_formats, dpis, labels=None):
    from spinestats.reports import fracture_figures as ff
    from spinestats.reports.figure_style import DEFAULT_DPIS, DEFAULT_FORMATS, save_figure

    formats = tuple(figure_formats) if figure_formats else DEFAULT_FORMATS
    dpis = tuple(dpis) if dpis else DEFAULT_DPIS
    figs, tabs, warns = [], [], []
    (out / _model_file(key)).write_text(model_to_json(rm), encoding="utf-8")
    fdir = out / "figures"
    from spinestats.data_schemas.labels import as_labels
    from spinestats.reports.formatting import format_p

    lab = as_labels(labels, ["fracture"], strict=False)
    sins_p = (results.get("sins", {}).get("gray_test") or {}).get("p")
    builders = {
        f"{key}_cif": lambda: ff.cif_figure(
            ci, horizon=rm.horizon, labels=lab, group=results["options"]["group"], name=f"{key}_cif",
            pvalue=None if results["gray_test"]["p"] is None else f"Gray's test {format_p(results['gray_test']['p'])}"),
        f"{key}_cif_sins": lambda: ff.cif_figure(ci_sins, horizon=rm.horizon, labels=lab, group="sins_category",
                                                 name=f"{key}_cif_sins",
                                                 pvalue=None if sins_p is None else f"Gray's test {format_p(sins_p)}"),
        f"{key}_forest": lambda: ff.forest_figure(results["model"], term_labels=_term_labels(rm, labels)),
        f"{key}_calibration": lambda: ff.calibration_figure(cal),
        f"{key}_decision_curve": lambda: ff.decision_curve_figure(dc),
    }
    for stem, build in builders.items():
        drawn = build()
        figs.extend(p.relative_to(out) for p in save_figure(drawn.figure, fdir, stem, formats=formats, dpis=dpis))
    tdir = out / "tables"
    tdir.mkdir(parents=True, exist_ok=True)
    tabs += _calibration_table(out, key, results)
    return figs, tabs, warns


def _calibration_table(out: Path, key: str, results) -> list[Path]:
    """``<key>_calibration_groups``: mean predicted and observed (Aalen\u2013Johansen) risk by the horizon in groups
    of equal size by predicted risk, as percentages (the CSV keeps the proportions)."""
    from spinestats.reports.tables import Col, Table, write_table

    g = pd.DataFrame(results["calibration"]["groups"])
    h = results["options"]["horizon"]
    data = g.assign(**{f"{c}_pct": 100 * g[c].astype(float) for c in ("predicted", "observed", "lower", "upper")})
    cols = (Col("group", "Risk group", "int"), Col("n", "N", "int"),
            Col("predicted_pct", "Mean predicted risk, %", "num", digits=1),
            Col("observed_pct", "Observed risk, % (95% CI)", "ci", "lower_pct", "upper_pct", digits=1))
    table = Table(data, cols, f"Calibration: predicted and observed risk of fracture by {h:g} months",
                  (f"Patients in {len(g)} groups of equal size by predicted risk (1: lowest); observed risk: "
                   "cumulative incidence (Aalen\u2013Johansen, deaths competing) in each group, with its 95% CI.",),
                  f"{key}_calibration_groups")
    return [p.relative_to(out) for p in write_table(table, out / "tables", table.stem, ("csv",))]


def _incidence_tables(out: Path, key: str, results, d: pd.DataFrame, ci, ci_sins, labels, group: str) -> list[Path]:
    """``<key>_crude_incidence`` (N, fractures, crude incidence with its exact CI and the median time to fracture,
    overall and per group) and the cumulative incidence at 6, 12, 24 months and the horizon as ``tbl_survfit``
    shows it, overall and per group with Gray's p: ``<key>_cif_at_times`` (by ``group``) and ``<key>_cif_by_sins``
    (by SINS category)."""
    import dataclasses

    from spinestats.analysis.survival.survival_table import cuminc_summary
    from spinestats.reports.result_tables import survival_table
    from spinestats.reports.tables import Col, Table, write_table

    tdir = out / "tables"
    written: list[Path] = []
    crude, med = results["crude"], results["median_time_to_fracture"]["by_group"]

    def row(text, c, m, indent=False, heading=False):
        lo, hi = (c["ci"] if c else (np.nan, np.nan))
        return {"characteristic": text, "n": c["n"] if c else np.nan, "events": c["events"] if c else np.nan,
                "percent": 100 * c["proportion"] if c else np.nan, "lower": 100 * lo if c else np.nan,
                "upper": 100 * hi if c else np.nan, "median": np.nan if m is None else m, "_indent": indent,
                "_heading": heading}

    rows = [row("Overall", crude["overall"], results["median_time_to_fracture"]["overall"]),
            row(labels.variable(group), None, None, heading=True)]
    for g in labels.order(group, list(crude["by_group"])):
        rows.append(row(labels.value(group, g), crude["by_group"][g], med.get(g), indent=True))
    data = pd.DataFrame(rows)
    for c in ("n", "events"):
        data[c] = data[c].astype("Int64")
    cols = (Col("characteristic", "Characteristic"), Col("n", "N", "int"), Col("events", "Fractures", "int"),
            Col("percent", "Crude incidence, % (95% CI)", "ci", "lower", "upper", digits=1),
            Col("median", "Median time to fracture, months", "num", digits=1))
    table = Table(data, cols, "Crude incidence of vertebral compression fracture",
                  ("Proportion of patients with a fracture during follow-up, with the exact (Clopper\u2013Pearson) "
                   "95% CI; median time to fracture among the patients with a fracture.",),
                  f"{key}_crude_incidence", indent="_indent")
    written += write_table(table, tdir, table.stem, ("csv",))
    times = tuple(sorted({6.0, 12.0, 24.0, float(results["options"]["horizon"])}))
    overall = cumulative_incidence(d, time=TIME, event=EVENT, cause=1, times=times)
    for stem, grp, cif, gray in ((f"{key}_cif_at_times", group, ci, results["gray_test"]),
                                 (f"{key}_cif_by_sins", "sins_category", ci_sins, results["sins"].get("gray_test"))):
        summ = cuminc_summary(d, time=TIME, event=EVENT, cause=1, censor=0, group=grp, cif_overall=overall,
                              cif_groups=cif, gray=None, times=times)
        if gray and gray.get("p") is not None:  # Gray's test as the analysis computed it (results.json)
            summ = dataclasses.replace(summ, p=float(gray["p"]), test="Gray")
        table = survival_table(summ, labels=labels, endpoint="Cumulative incidence of vertebral compression fracture",
                               group=grp, unit="months", stem=stem,
                               notes=("Deaths without fracture are the competing event.",))
        written += write_table(table, tdir, stem, ("csv",))
    return [p.relative_to(out) for p in written]


def _performance_table(out: Path, key: str, results) -> list[Path]:
    """``<key>_performance``: the risk model's discrimination, accuracy and calibration at the horizon, apparent
    (with the CI where the analysis gives one), the bootstrap optimism and the optimism-corrected value."""
    from spinestats.reports.tables import Col, Table, write_table

    h = results["options"]["horizon"]
    cal, opt = results["calibration"], results.get("optimism") or {}
    rows = [("harrell", "Harrell's C", results["c_index"]["harrell"], None),
            ("uno", f"Uno's C (truncated at {h:g} months)", results["c_index"]["uno"], None),
            ("time_auc", f"Time-dependent AUC at {h:g} months", results["time_auc"]["estimate"], None),
            ("brier", f"Brier score at {h:g} months", results["brier"]["estimate"], None),
            ("citl", "Calibration-in-the-large", cal["citl"], cal.get("citl_ci")),
            ("slope", "Calibration slope", cal["slope"], cal.get("slope_ci"))]
    data = pd.DataFrame([{"measure": label, "apparent": np.nan if v is None else float(v),
                          "lower": float(ci[0]) if ci and ci[0] is not None else np.nan,
                          "upper": float(ci[1]) if ci and ci[1] is not None else np.nan,
                          "optimism": (opt.get(k) or {}).get("optimism", np.nan),
                          "corrected": (opt.get(k) or {}).get("corrected", np.nan)} for k, label, v, ci in rows])
    data[["optimism", "corrected"]] = data[["optimism", "corrected"]].astype(float)
    cols = [Col("measure", "Measure"), Col("apparent", "Apparent (95% CI)", "ci", "lower", "upper", digits=3)]
    kind = {"finegray": "Fine\u2013Gray", "firth": "Firth logistic"}.get(results["risk_model"]["type"], "risk")
    notes = [f"Risk of fracture by {h:g} months from the {kind} "
             "model; C and AUC with deaths handled as in Wolbers et al.; AUC, Brier score and calibration with inverse "
             "probability of censoring weights. Ideal values: C and AUC 1, calibration-in-the-large 0, slope 1."]
    if opt:
        cols += [Col("optimism", "Optimism", "num", digits=3), Col("corrected", "Optimism-corrected", "num", digits=3)]
        notes.append(f"Optimism: Harrell's bootstrap ({opt.get('B')} replicates, seed {opt.get('seed')}); "
                     "corrected = apparent \u2212 optimism.")
    table = Table(data, tuple(cols), f"Performance of the fracture risk model at {h:g} months", tuple(notes),
                  f"{key}_performance")
    return [p.relative_to(out) for p in write_table(table, out / "tables", table.stem, ("csv",))]


#: The regression table of each model: measure, title and what its footnote says about the model.
_REGRESSION = {
    "finegray": ("sHR", "Fine\u2013Gray regression", dict(
        model="Fine\u2013Gray subdistribution hazards regression (deaths without fracture kept in the risk set "
              "with inverse-probability-of-censoring weights, as cmprsk::crr)",
        ties="Breslow", se="robust sandwich SEs")),
    "cox": ("csHR", "cause-specific Cox regression", dict(
        model="Cause-specific Cox regression (deaths without fracture censored)", se="model-based SEs")),
    "firth": ("OR", "Firth logistic regression", dict(
        se="SEs from the penalised information", ci_method="profile penalised-likelihood CIs",
        p_method="penalised likelihood-ratio")),
}


def _regression_tables(out: Path, key: str, results, uni_fits, d: pd.DataFrame, dm: pd.DataFrame, labels,
                       cs_fit, conf_levels: dict[str, float]) -> list[Path]:
    """Univariable and multivariable models side by side (``tbl_uvregression`` merged with ``tbl_regression``):
    ``<key>_finegray`` (sHR), ``<key>_cox`` (cause-specific HR) and, with ``--model firth``, ``<key>_firth`` (OR)."""
    from spinestats.reports.regression_table import factor_levels, model_block, model_note, regression_table, \
        univariable_block
    from spinestats.reports.tables import write_table

    opts = results["options"]
    covs = list(dict.fromkeys([*opts["univariable"], *opts["covariates"]]))
    levels = {**factor_levels(d, covs, labels), **factor_levels(dm, opts["covariates"], labels)}
    multi = dict(results["multivariable"])
    if opts["model"] == "firth":
        multi["firth"] = results["model"]
    written: list[Path] = []
    for kind, m in multi.items():
        measure, name, note = _REGRESSION[kind]
        if kind == "cox":
            note = dict(note, ties=cs_fit.ties.capitalize())
        if kind == "firth":
            note = dict(note, model=f"Firth's penalised logistic regression of fracture by {opts['horizon']:g} "
                                    "months (patients censored fracture-free before then left out)")
        models = {"Univariable": univariable_block(uni_fits[kind]),
                  "Multivariable": model_block(m["terms"], m["estimate"], m["lower"], m["upper"], m["p"], m["n"],
                                               m["events"])}
        stem = f"{key}_{kind}"
        table = regression_table(models, covs, levels, labels=labels, measure=measure,
                                 conf_level=conf_levels[kind], stem=stem,
                                 title=f"Risk factors for vertebral compression fracture: {name}",
                                 notes=[model_note(**note)])
        written += write_table(table, out / "tables", stem, ("csv",))
    return [p.relative_to(out) for p in written]


def _methods(results, model: str, horizon: float, bootstrap: int) -> list[str]:
    m = {"finegray": "a Fine-Gray subdistribution hazards model", "cox": "a cause-specific Cox model",
         "firth": f"Firth's penalised logistic regression of fracture by {horizon:g} months"}[model]
    s = [
        "Time to vertebral compression fracture (VCF) was measured in months from the start of irradiation; death "
        "without fracture was a competing event and patients alive without fracture were censored at last follow-up. "
        "SINS was computed from its six components (stable 0-6, indeterminate 7-12, unstable 13-18).",
        "Crude proportions are given with exact Clopper-Pearson 95% CIs; the cumulative incidence of VCF was "
        "estimated with the Aalen-Johansen estimator and compared between groups with Gray's test.",
        f"Risk factors were examined with {m}; {results['events_per_variable']['events']} fractures gave "
        f"{results['events_per_variable']['epv']:.1f} events per model parameter.",
        f"The risk of VCF by {horizon:g} months was validated with Harrell's and Uno's C (competing deaths "
        "handled as in Wolbers et al.), the time-dependent AUC and Brier score with inverse probability of "
        "censoring weights, calibration-in-the-large and slope, and a decision curve.",
    ]
    if bootstrap:
        s.append(f"Optimism was corrected with Harrell's bootstrap ({bootstrap} replicates, seed "
                 f"{results['options']['seed']}).")
    return s

"""Fracture risk after spinal irradiation: the analysis job behind ``spinestats fracture``.

:func:`analyse` takes a ``fracture`` table (canonical columns, as the loader
returns them), the options (:class:`FractureOptions`) and the run's
:class:`~spinestats.reports.job.JobContext`, and returns a
:class:`~spinestats.reports.section.Section` whose ``results`` is exactly the
command's ``results.json``.  The ``fracture`` command and the plan runner
(``spinestats run``/``demo``) both call it; :func:`run` is the same job by
keyword.  The steps are separate: :func:`compute` (every estimate, from
``spinestats.analysis``), :func:`results_of` (results.json from the results'
``to_dict()``), :func:`write_figures`, :func:`write_tables` and
:func:`methods`.

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
group : str, default "modality"
    Grouping of the crude incidence, the CIF and Gray's test.
conf_level : float, default 0.95
    Confidence level of every CI (crude incidence, CIF, regression models,
    calibration); the Firth risk model's profile CIs are at 0.95 only.

Run settings (:class:`~spinestats.reports.job.JobContext`): ``seed``
(default 2024, the bootstrap streams), ``workers``/``scheduler`` (parallel
bootstrap, see ``analysis/core/resampling.py``), ``figure_formats``/``dpis``,
``labels``, ``key``.

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

import dataclasses
import functools
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from spinestats.analysis.competing_risks.crude_incidence import CrudeIncidence, crude_incidence
from spinestats.analysis.competing_risks.cuminc import cumulative_incidence
from spinestats.analysis.competing_risks.finegray import fine_gray
from spinestats.analysis.competing_risks.gray_test import gray_test
from spinestats.analysis.core.params import check_column
from spinestats.analysis.core.result import Result, to_jsonable
from spinestats.analysis.core.surv_input import event_data
from spinestats.analysis.design.events_per_variable import EPV_MIN, events_per_variable
from spinestats.analysis.prediction.brier import brier_score
from spinestats.analysis.prediction.calibration import calibration
from spinestats.analysis.prediction.concordance import concordance
from spinestats.analysis.prediction.decision_curve import decision_curve
from spinestats.analysis.prediction.horizon_measure import MEASURES, refit_risk_model, risk_model_measure
from spinestats.analysis.prediction.optimism import optimism_correction
from spinestats.analysis.prediction.ratio_summary import RatioSummary, ratio_summary
from spinestats.analysis.prediction.risk_model import fit_risk_model, model_to_json, predict_risk
from spinestats.analysis.prediction.time_auc import time_auc
from spinestats.analysis.scores.sins_covariates import SINS_DERIVED, derive_covariates
from spinestats.analysis.survival.cox import cox_ph
from spinestats.data_schemas.fracture_events import fracture_events
from spinestats.data_schemas.labels import as_labels
from spinestats.errors import DataError, UsageError
from spinestats.reports.job import JobContext, JobInput, JobOptions, run_by_keywords
from spinestats.reports.regression_table import level_text, with_references
from spinestats.reports.section import Section

__all__ = ["FractureOptions", "OPTIONS", "analyse", "run", "prepare", "derive_covariates", "SINS_DERIVED",
           "fit_risk_model", "predict_risk", "MODELS", "TIME", "EVENT", "RISK"]

TIME, EVENT, RISK = "time_months", "event", "predicted_risk"
DEFAULT_COVARIATES = ("sins_total", "modality")
DEFAULT_UNIVARIABLE = ("sins_total", "lytic", "baseline_fracture", "total_dose_gy", "age", "modality")
MODELS = ("finegray", "cox", "firth")

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


TIMES = (6.0, 12.0, 24.0)  # the CIF is reported at these months and at the horizon


def prepare(data: pd.DataFrame) -> pd.DataFrame:
    """The table with time/event (months; 0 censored, 1 fracture, 2 death) and the derived covariates."""
    out = derive_covariates(data)
    ev = fracture_events(out)
    out[TIME] = ev["time_months"]
    out[EVENT] = ev["event"]
    return out


@dataclasses.dataclass(frozen=True)
class FractureOptions(JobOptions):
    """Options of the fracture job (plan type ``fracture``; flags of ``spinestats fracture``).

    Attributes
    ----------
    horizon : prediction horizon in months (risk model, C/AUC truncation, Brier, calibration, decision curve).
    covariates : terms of the multivariable model (empty: ``sins_total``, ``modality``).
    model : ``"finegray"``, ``"cox"`` or ``"firth"`` (see the module docstring).
    univariable : candidate risk factors, each in its own model (empty: the six defaults).
    bootstrap : bootstrap replicates of the optimism correction (0 skips it).
    group : grouping of the crude incidence, the CIF and Gray's test.
    conf_level : confidence level of the CIs.
    """

    horizon: float = 12.0
    covariates: tuple[str, ...] = DEFAULT_COVARIATES
    model: Literal["finegray", "cox", "firth"] = "finegray"
    univariable: tuple[str, ...] = DEFAULT_UNIVARIABLE
    bootstrap: int = 200
    group: str = "modality"
    conf_level: float = 0.95

    def __post_init__(self) -> None:
        if self.model not in MODELS:
            raise UsageError(f"model must be one of {', '.join(MODELS)}; got {self.model!r}")
        if not self.horizon or self.horizon <= 0:
            raise UsageError(f"horizon must be a positive number of months; got {self.horizon!r}")
        if self.bootstrap < 0:
            raise UsageError(f"bootstrap must be >= 0; got {self.bootstrap}")
        if not 0 < self.conf_level < 1:
            raise UsageError(f"conf_level must be between 0 and 1 (e.g. 0.95); got {self.conf_level!r}")
        if self.model == "firth" and self.conf_level != 0.95:
            raise UsageError("conf_level: the Firth risk model's profile-likelihood CIs are at 0.95 only; "
                             "use conf_level 0.95 with model 'firth'")
        object.__setattr__(self, "horizon", float(self.horizon))
        object.__setattr__(self, "covariates", tuple(self.covariates) or DEFAULT_COVARIATES)
        object.__setattr__(self, "univariable", tuple(self.univariable) or DEFAULT_UNIVARIABLE)

    @property
    def risk_model(self) -> str:
        """The validated risk model: Firth for ``firth``, else Fine-Gray (a cause-specific Cox model gives no
        absolute risk with competing deaths)."""
        return "firth" if self.model == "firth" else "finegray"


OPTIONS = FractureOptions


@dataclasses.dataclass(frozen=True)
class Univariable:
    """One candidate risk factor in its own models (Fine-Gray, cause-specific Cox, Firth when asked)."""

    variable: str
    finegray: RatioSummary | None = None
    cox: RatioSummary | None = None
    firth: RatioSummary | None = None


@dataclasses.dataclass(frozen=True)
class FractureFit:
    """Everything :func:`compute` estimated, as result objects (passed on to the tables and figures)."""

    data: pd.DataFrame  # prepared, all patients
    coded: pd.DataFrame  # text covariates as factors with their reference level
    modelled: pd.DataFrame  # complete cases of the model, with the predicted risk
    flow: dict[str, int]
    warnings: tuple[str, ...]
    crude: Any
    crude_sins: Any
    gray_sins: Any
    cif: Any
    cif_sins: Any
    gray: Any
    univariable: tuple[Univariable, ...]
    model: RatioSummary
    multivariable: dict[str, RatioSummary]
    cox_fit: Any  # its ties method names the regression table's footnote
    risk_model: Any
    events_per_variable: dict[str, Any]
    harrell: Any
    uno: Any
    auc: Any
    brier: Any
    calibration: Any
    decision_curve: Any
    optimism: Any


def _input_frame(inputs: JobInput) -> tuple[pd.DataFrame, tuple]:
    """The fracture table and the loader's exclusions (a table with errors is refused with every error)."""
    table = inputs.table if inputs.table is not None else inputs.data
    if table is None:
        raise UsageError("fracture analysis: no data given.")
    if hasattr(table, "data") and hasattr(table, "exclusions"):
        if getattr(table, "errors", ()):
            raise DataError("the fracture table has errors:\n" + "\n".join(p.message() for p in table.errors),
                            problems=table.errors)
        return table.data, tuple(table.exclusions)
    return table, ()


def _univariable(d: pd.DataFrame, options: FractureOptions, warnings: list[str]) -> tuple[Univariable, ...]:
    """Each candidate in its own Fine-Gray and cause-specific Cox model (and Firth model with ``model='firth'``)."""
    out = []
    for c in options.univariable:
        try:
            f = fine_gray(d, time=TIME, event=EVENT, covariates=[c], conf_level=options.conf_level)
        except DataError as exc:
            warnings.append(f"univariable Fine-Gray model of {c}: {exc}")
            continue
        cs = cox_ph(d, time=TIME, event=EVENT, covariates=[c], cause=1, conf_level=options.conf_level)
        warnings.extend(f"univariable {c}: {w}" for w in (*f.warnings, *cs.warnings))
        out.append(Univariable(c, ratio_summary(f), ratio_summary(cs)))
    if options.model != "firth":
        return tuple(out)
    done = {u.variable: u for u in out}
    for c in options.univariable:  # univariable Firth models beside the multivariable one (as tbl_uvregression)
        try:
            _, lf = fit_risk_model(d, time=TIME, event=EVENT, covariates=[c], horizon=options.horizon, model="firth")
        except DataError as exc:
            warnings.append(f"univariable Firth model of {c}: {exc}")
            continue
        done[c] = dataclasses.replace(done.get(c, Univariable(c)), firth=ratio_summary(lf))
    return tuple(done[c] for c in dict.fromkeys(options.univariable) if c in done)


def _epv(model: RatioSummary, events: int, kind: str, warnings: list[str]) -> dict[str, Any]:
    """Events per model parameter (its result's ``to_dict()``), with the advice when below :data:`EPV_MIN`."""
    r = events_per_variable(events, len(model.terms), EPV_MIN)
    block = r.to_dict()
    if r.epv < EPV_MIN:
        advice = ("Firth's penalty reduces the small-sample bias; still prefer fewer variables"
                  if kind == "firth" else "Use Firth's penalised regression (--model firth) or fewer variables")
        block["message"] = (f"Only {r.events} fractures for {r.parameters} model parameters (events per variable "
                            f"{r.epv:.1f} < {EPV_MIN}): the model is likely overfitted and its estimates biased away "
                            f"from 1. {advice}, and rely on the optimism-corrected performance.")
        warnings.append(block["message"])
    return block


def _optimism(dm: pd.DataFrame, options: FractureOptions, context: JobContext, warnings: list[str]):
    """Harrell's bootstrap optimism of the six measures at the horizon (None without ``bootstrap``)."""
    if not options.bootstrap:
        return None
    fit_fn = functools.partial(refit_risk_model, time=TIME, event=EVENT, covariates=options.covariates,
                               horizon=options.horizon, model=options.risk_model)
    measures = {m: functools.partial(risk_model_measure, name=m, horizon=options.horizon, time=TIME, event=EVENT)
                for m in MEASURES}
    opt = optimism_correction(dm[[TIME, EVENT, *dict.fromkeys(options.covariates)]], fit_fn, measures,
                              B=options.bootstrap, seed=context.seed_or(2024), workers=context.workers,
                              scheduler=context.scheduler)
    warnings.extend(opt.warnings)
    return opt


def compute(data: pd.DataFrame, options: FractureOptions, context: JobContext, exclusions: Sequence = ()
            ) -> FractureFit:
    """Every estimate of the fracture analysis (incidence, risk factors, the risk model and its validation)."""
    d = prepare(data)
    covs, group, level, h = options.covariates, options.group, options.conf_level, options.horizon
    for c in (*covs, group):
        check_column(d, c, "covariates" if c in covs else "group", flag="--covariates" if c in covs else "--group")
    for c in options.univariable:
        check_column(d, c, "univariable")
    warnings: list[str] = []
    counts = d[EVENT].value_counts().reindex([0, 1, 2], fill_value=0)
    flow = {"rows_excluded_by_loader": len(exclusions), "patients": len(d), "fractures": int(counts[1]),
            "deaths_without_fracture": int(counts[2]), "censored": int(counts[0])}
    if exclusions:
        warnings.append(f"{len(exclusions)} row(s) were excluded when the file was read (see the exclusion log).")
    times = sorted({*TIMES, h})
    crude = crude_incidence(d, time=TIME, event=EVENT, cause=1, group=group, conf_level=level)
    cif = cumulative_incidence(d, time=TIME, event=EVENT, cause=1, group=group, times=times, conf_level=level)
    warnings.extend(cif.warnings)
    gray = gray_test(d, time=TIME, event=EVENT, group=group, cause=1)
    cif_sins = cumulative_incidence(d, time=TIME, event=EVENT, cause=1, group="sins_category", times=times,
                                    conf_level=level)
    crude_sins = crude_incidence(d, time=TIME, event=EVENT, cause=1, group="sins_category", conf_level=level)
    gray_sins = (gray_test(d, time=TIME, event=EVENT, group="sins_category", cause=1)
                 if d["sins_category"].nunique() >= 2 else None)
    # text covariates as factors whose first level is the reference (user, schema, else schema order)
    lab = as_labels(context.labels, ["fracture"], strict=False)
    dmod = with_references(d, list(dict.fromkeys([*options.univariable, *covs])), lab)
    uni = _univariable(dmod, options, warnings)
    complete = d[list(dict.fromkeys(covs))].notna().all(axis=1).to_numpy()
    dm = dmod[complete].copy()
    flow["model_patients"] = int(complete.sum())
    if not complete.all():
        warnings.append(
            f"{int((~complete).sum())} patient(s) with a missing covariate ({', '.join(covs)}) were left out of "
            f"the multivariable model and its validation (lines {d.index[~complete].tolist()[:10]}).")
    rm, rfit = fit_risk_model(dm, time=TIME, event=EVENT, covariates=covs, horizon=h, model=options.risk_model)
    warnings.extend(rm.warnings)
    cs_fit = cox_ph(dm, time=TIME, event=EVENT, covariates=list(covs), cause=1, conf_level=level)
    fg_fit = fine_gray(dm, time=TIME, event=EVENT, covariates=list(covs), conf_level=level) \
        if options.model == "firth" or level != 0.95 else rfit
    warnings.extend(cs_fit.warnings)
    multivariable = {"finegray": ratio_summary(fg_fit), "cox": ratio_summary(cs_fit)}
    model = ratio_summary(rfit) if options.model == "firth" else multivariable[options.model]
    epv = _epv(model, int((dm[EVENT] == 1).sum()), options.model, warnings)

    dm[RISK] = predict_risk(rm, dm).risk
    k = dict(time=TIME, event=EVENT, risk=RISK)
    ev = event_data(dm, time=TIME, event=EVENT, extra=(RISK,))  # parsed once, used by every measure below
    auc = time_auc(ev, **k, horizon=h)
    cal = calibration(ev, **k, horizon=h, conf_level=level)  # degenerate fits come back as NaN with their reason
    if auc.cases == 0:
        warnings.append(f"no fracture occurred by the horizon of {h:g} months: discrimination and calibration "
                        "at the horizon are undefined; choose a later --horizon.")
    else:
        warnings.extend(cal.warnings)
    fit = FractureFit(d, dmod, dm, flow, (), crude, crude_sins, gray_sins, cif, cif_sins, gray, uni, model,
                      multivariable, cs_fit, rm, epv, concordance(ev, **k), concordance(ev, **k, weighting="uno", tau=h),
                      auc, brier_score(ev, **k, horizon=h), cal, decision_curve(ev, **k, horizon=h),
                      _optimism(dm, options, context, warnings))
    if flow["fractures"] < 20:
        warnings.append(f"only {flow['fractures']} fractures: validation measures are imprecise.")
    return dataclasses.replace(fit, warnings=tuple(warnings))


# --- results.json: built from the results' to_dict() ----------------------------------------------------------

def _pick(result: Result | Mapping[str, Any], *keys: str, **renamed: str) -> dict[str, Any]:
    """Keys of a result's ``to_dict()`` (``renamed``: new key = the result's key)."""
    d = result.to_dict() if isinstance(result, Result) else result
    return {**{k: d[k] for k in keys}, **{new: d[old] for new, old in renamed.items()}}


def _crude(c: CrudeIncidence) -> dict[str, Any]:
    return {**_pick(c, "n", "events", "proportion", "ci"), "ci_method": "Clopper-Pearson"}


def _gray(g) -> dict[str, Any]:
    return {"groups": [str(x) for x in g.groups], **g.for_cause(1)}


def _univariable_rows(uni: Sequence[Univariable], kind: str) -> pd.DataFrame:
    """One row per term: Fine-Gray SHR beside the cause-specific HR, or the Firth OR with N and events."""
    frames = []
    for u in uni:
        if kind == "firth":
            if u.firth is not None:
                f = u.firth.to_frame().rename(columns={"estimate": "or"})
                frames.append(f.assign(n=u.firth.n, events=u.firth.events).assign(variable=u.variable))
        elif u.finegray is not None and u.cox is not None:
            cs = u.cox.to_frame().drop(columns="term").rename(columns=lambda c: "cs_hr" if c == "estimate" else f"cs_{c}")
            frames.append(pd.concat([u.finegray.to_frame().rename(columns={"estimate": "shr"}), cs], axis=1)
                          .assign(variable=u.variable))
    if not frames:
        return pd.DataFrame()
    out = pd.concat(frames, ignore_index=True)
    return out[["variable", *[c for c in out.columns if c != "variable"]]]


def results_of(fit: FractureFit, options: FractureOptions, seed: int, model_file: str | None) -> dict[str, Any]:
    """The section's results.json (every number from a result's ``to_dict()``)."""
    h = options.horizon
    sins = {"counts": {c: int((fit.data["sins_category"] == c).sum()) for c in ("stable", "indeterminate", "unstable")},
            "mean_total": float(fit.data["sins_total"].mean()),
            "crude_by_category": {str(g.group): _crude(g) for g in fit.crude_sins.groups},
            **({"gray_test": _gray(fit.gray_sins)} if fit.gray_sins is not None else {})}
    optimism: dict[str, Any] = {}
    if fit.optimism is not None:
        optimism = {**{m: fit.optimism.measures[m].to_dict() for m in MEASURES}, "B": options.bootstrap, "seed": seed}
    auc = fit.auc.to_dict()
    results = {
        "flow": fit.flow,
        "sins": sins,
        "crude": {"overall": _crude(fit.crude.overall), "by_group": {str(g.group): _crude(g) for g in fit.crude.groups},
                  "group": options.group},
        "median_time_to_fracture": {"overall": fit.crude.overall.to_dict()["median_time"],
                                    "by_group": {str(g.group): g.to_dict()["median_time"] for g in fit.crude.groups},
                                    "unit": "months", "among": "patients with a fracture"},
        "cif": {str(c.group): _pick(c, "time", "estimate", "lower", "upper", "n_at_risk", "n_event")
                for c in fit.cif.curves if c.cause == 1},
        "cif_at": fit.cif.table[fit.cif.table["cause"] == 1].drop(columns=["cause"]).rename(columns={"group": options.group}),
        "cif_at_by_sins": fit.cif_sins.table[fit.cif_sins.table["cause"] == 1].drop(columns=["cause"]).rename(
            columns={"group": "sins_category"}),
        "gray_test": _gray(fit.gray),
        "univariable": _univariable_rows(fit.univariable, "finegray"),
        **({"univariable_firth": _univariable_rows(fit.univariable, "firth")} if options.model == "firth" else {}),
        "model": fit.model.to_dict(),
        "multivariable": {k: s.to_dict() for k, s in fit.multivariable.items()},
        "events_per_variable": fit.events_per_variable,
        "risk_model": {**_pick(fit.risk_model, "horizon", "terms", "coefficients", type="model_type"),
                       "file": model_file},
        "c_index": {"harrell": fit.harrell.to_dict()["estimate"], "uno": fit.uno.to_dict()["estimate"], "tau": h,
                    "competing": "Wolbers: deaths stay comparable with every fracture"},
        "time_auc": {**_pick(auc, "estimate", "horizon", "cases"), "controls": auc["controls"] + auc["competing_controls"]},
        "brier": _pick(fit.brier, "estimate", "horizon"),
        "calibration": _pick(fit.calibration, "citl", "citl_ci", "slope", "slope_ci", "method", "n_used",
                             "censored_before_horizon", "groups"),
        "decision_curve": _pick(fit.decision_curve, "threshold", "model", "treat_all", "treat_none"),
        "optimism": optimism,
        "warnings": list(dict.fromkeys(fit.warnings)),
        "options": {"horizon": h, "covariates": list(options.covariates), "model": options.model,
                    "univariable": list(options.univariable), "bootstrap": options.bootstrap, "seed": seed,
                    "group": options.group, "conf_level": options.conf_level},
    }
    return to_jsonable(results)


def analyse(inputs: JobInput, options: FractureOptions, context: JobContext, *, write: bool = True) -> Section:
    """The fracture analysis: compute, results.json, figures and tables (``write``), methods.

    Writes ``figures/``, ``tables/`` and the risk model ``<key>_model.json``
    (``model.json`` for the default key ``fracture``) into ``context.out_dir``;
    ``write=False`` (:func:`run` without ``out_dir``) gives the numbers only.
    """
    key = context.key or "fracture"
    data, exclusions = _input_frame(inputs)
    seed = context.seed_or(2024)
    fit = compute(data, options, context, exclusions)
    results = results_of(fit, options, seed, _model_file(key) if write else None)
    figures: list[Path] = []
    tables: list[Path] = []
    if write:
        out = Path(context.out_dir)
        (out / _model_file(key)).write_text(model_to_json(fit.risk_model), encoding="utf-8")
        lab = as_labels(context.labels, ["fracture"], strict=False)
        figures = write_figures(out, key, fit, results, options, lab, context)
        tables = write_tables(out, key, fit, results, options, lab)
    return Section(key=key, title=context.title or "Vertebral compression fracture after irradiation",
                   results=results, figures=tuple(figures), tables=tuple(tables), warnings=tuple(results["warnings"]),
                   methods=tuple(methods(results, options)), references=REFERENCES)


def run(data: Any = None, out_dir: str | Path | None = None, **keywords: Any) -> Section:
    """The fracture analysis by keyword: the options of :class:`FractureOptions` and the settings of
    :class:`~spinestats.reports.job.JobContext` (``seed``, ``workers``, ``scheduler``, ``figure_formats``,
    ``dpis``, ``labels``, ``key``).

    ``data`` is a ``pandas.DataFrame`` of the ``fracture`` schema (index =
    spreadsheet line) or a ``LoadedTable``; ``table=`` a ``LoadedTable`` (its
    exclusions are counted in ``flow``).  Without ``out_dir`` nothing is written.

    Examples
    --------
    >>> import spinestats as ss
    >>> sec = run(ss.example("fracture", canonical=True), bootstrap=0)  # doctest: +SKIP
    >>> sec.results["flow"]["patients"]  # doctest: +SKIP
    126
    """
    return run_by_keywords(functools.partial(analyse, write=out_dir is not None), FractureOptions, data=data,
                           out_dir="." if out_dir is None else out_dir, where="fracture", **keywords)


def _term_labels(rm, labels=None) -> dict[str, str]:
    """Readable names of the model terms by their display labels: ``Modality: SBRT vs CIRT``,
    ``SINS total (per point)``."""
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


def write_figures(out: Path, key: str, fit: FractureFit, results: Mapping[str, Any], options: FractureOptions,
                  labels, context: JobContext) -> list[Path]:
    """The CIF by group and by SINS category (with Gray's p), the forest plot of the model, the calibration plot
    and the decision curve, in ``figures/``."""
    from spinestats.reports import fracture_figures as ff
    from spinestats.reports.figure_style import DEFAULT_DPIS, DEFAULT_FORMATS, save_figure
    from spinestats.reports.formatting import format_p

    formats = context.figure_formats or DEFAULT_FORMATS
    dpis = context.dpis or DEFAULT_DPIS
    gray_p, sins_p = results["gray_test"]["p"], (results["sins"].get("gray_test") or {}).get("p")
    h = fit.risk_model.horizon
    builders = {
        f"{key}_cif": lambda: ff.cif_figure(fit.cif, horizon=h, labels=labels, group=options.group, name=f"{key}_cif",
                                           pvalue=None if gray_p is None else f"Gray's test {format_p(gray_p)}"),
        f"{key}_cif_sins": lambda: ff.cif_figure(fit.cif_sins, horizon=h, labels=labels, group="sins_category",
                                                 name=f"{key}_cif_sins",
                                                 pvalue=None if sins_p is None else f"Gray's test {format_p(sins_p)}"),
        f"{key}_forest": lambda: ff.forest_figure(vars(fit.model), term_labels=_term_labels(fit.risk_model, labels),
                                                  conf_level=fit.model.conf_level),
        f"{key}_calibration": lambda: ff.calibration_figure(fit.calibration),
        f"{key}_decision_curve": lambda: ff.decision_curve_figure(fit.decision_curve),
    }
    figures: list[Path] = []
    for stem, build in builders.items():
        drawn = build()
        figures.extend(p.relative_to(out) for p in save_figure(drawn.figure, out / "figures", stem, formats=formats,
                                                                dpis=dpis))
    return figures


def write_tables(out: Path, key: str, fit: FractureFit, results: Mapping[str, Any], options: FractureOptions,
                 labels) -> list[Path]:
    """The tables in the order of the results: incidence, risk factors, performance, calibration groups."""
    (out / "tables").mkdir(parents=True, exist_ok=True)
    return (_incidence_tables(out, key, results, fit, labels, options)
            + _regression_tables(out, key, results, fit, labels)
            + _performance_table(out, key, results, options.conf_level)
            + _calibration_table(out, key, results, options.conf_level))


def _calibration_table(out: Path, key: str, results, conf_level: float) -> list[Path]:
    """``<key>_calibration_groups``: mean predicted and observed (Aalen\u2013Johansen) risk by the horizon in groups
    of equal size by predicted risk, as percentages (the CSV keeps the proportions)."""
    from spinestats.reports.tables import Col, Table, write_table

    g = pd.DataFrame(results["calibration"]["groups"])
    h = results["options"]["horizon"]
    data = g.assign(**{f"{c}_pct": 100 * g[c].astype(float) for c in ("predicted", "observed", "lower", "upper")})
    cols = (Col("group", "Risk group", "int"), Col("n", "N", "int"),
            Col("predicted_pct", "Mean predicted risk, %", "num", digits=1),
            Col("observed_pct", f"Observed risk, % ({level_text(conf_level)} CI)", "ci", "lower_pct", "upper_pct",
                digits=1))
    table = Table(data, cols, f"Calibration: predicted and observed risk of fracture by {h:g} months",
                  (f"Patients in {len(g)} groups of equal size by predicted risk (1: lowest); observed risk: "
                   f"cumulative incidence (Aalen\u2013Johansen, deaths competing) in each group, with its {level_text(conf_level)} "
                   "CI.",),
                  f"{key}_calibration_groups")
    return [p.relative_to(out) for p in write_table(table, out / "tables", table.stem, ("csv",))]


def _incidence_tables(out: Path, key: str, results, fit: FractureFit, labels, options: FractureOptions) -> list[Path]:
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
    d, ci, ci_sins, group = fit.data, fit.cif, fit.cif_sins, options.group
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
            Col("percent", f"Crude incidence, % ({level_text(options.conf_level)} CI)", "ci", "lower", "upper", digits=1),
            Col("median", "Median time to fracture, months", "num", digits=1))
    table = Table(data, cols, "Crude incidence of vertebral compression fracture",
                  ("Proportion of patients with a fracture during follow-up, with the exact (Clopper\u2013Pearson) "
                   f"{level_text(options.conf_level)} CI; median time to fracture among the patients with a fracture.",),
                  f"{key}_crude_incidence", indent="_indent")
    written += write_table(table, tdir, table.stem, ("csv",))
    times = tuple(sorted({*TIMES, options.horizon}))
    overall = cumulative_incidence(d, time=TIME, event=EVENT, cause=1, times=times, conf_level=options.conf_level)
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


def _performance_table(out: Path, key: str, results, conf_level: float) -> list[Path]:
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
    cols = [Col("measure", "Measure"), Col("apparent", f"Apparent ({level_text(conf_level)} CI)", "ci", "lower", "upper", digits=3)]
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


def _regression_tables(out: Path, key: str, results, fit: FractureFit, labels) -> list[Path]:
    """Univariable and multivariable models side by side (``tbl_uvregression`` merged with ``tbl_regression``):
    ``<key>_finegray`` (sHR), ``<key>_cox`` (cause-specific HR) and, with ``--model firth``, ``<key>_firth`` (OR)."""
    from spinestats.reports.regression_table import factor_levels, model_block, model_note, regression_table, \
        univariable_block
    from spinestats.reports.tables import write_table

    opts = results["options"]
    covs = list(dict.fromkeys([*opts["univariable"], *opts["covariates"]]))
    levels = {**factor_levels(fit.coded, covs, labels), **factor_levels(fit.modelled, opts["covariates"], labels)}
    multi = dict(fit.multivariable)
    if opts["model"] == "firth":
        multi["firth"] = fit.model
    written: list[Path] = []
    for kind, m in multi.items():
        measure, name, note = _REGRESSION[kind]
        if kind == "cox":
            note = dict(note, ties=fit.cox_fit.ties.capitalize())
        if kind == "firth":
            note = dict(note, model=f"Firth's penalised logistic regression of fracture by {opts['horizon']:g} "
                                    "months (patients censored fracture-free before then left out)")
        models = {"Univariable": univariable_block({u.variable: vars(getattr(u, kind)) for u in fit.univariable
                                                    if getattr(u, kind) is not None}),
                  "Multivariable": model_block(m.terms, m.estimate, m.lower, m.upper, m.p, m.n, m.events)}
        stem = f"{key}_{kind}"
        table = regression_table(models, covs, levels, labels=labels, measure=measure, conf_level=m.conf_level,
                                 stem=stem, title=f"Risk factors for vertebral compression fracture: {name}",
                                 notes=[model_note(**note)])
        written += write_table(table, out / "tables", stem, ("csv",))
    return [p.relative_to(out) for p in written]


def methods(results: Mapping[str, Any], options: FractureOptions) -> list[str]:
    """The methods paragraph: time scale and SINS, incidence, risk factors, validation, optimism."""
    horizon, level = options.horizon, level_text(options.conf_level)
    m = {"finegray": "a Fine-Gray subdistribution hazards model", "cox": "a cause-specific Cox model",
         "firth": f"Firth's penalised logistic regression of fracture by {horizon:g} months"}[options.model]
    s = [
        "Time to vertebral compression fracture (VCF) was measured in months from the start of irradiation; death "
        "without fracture was a competing event and patients alive without fracture were censored at last follow-up. "
        "SINS was computed from its six components (stable 0-6, indeterminate 7-12, unstable 13-18).",
        f"Crude proportions are given with exact Clopper-Pearson {level} CIs; the cumulative incidence of VCF was "
        "estimated with the Aalen-Johansen estimator and compared between groups with Gray's test.",
        f"Risk factors were examined with {m}; {results['events_per_variable']['events']} fractures gave "
        f"{results['events_per_variable']['epv']:.1f} events per model parameter.",
        f"The risk of VCF by {horizon:g} months was validated with Harrell's and Uno's C (competing deaths "
        "handled as in Wolbers et al.), the time-dependent AUC and Brier score with inverse probability of "
        "censoring weights, calibration-in-the-large and slope, and a decision curve.",
    ]
    if options.bootstrap:
        s.append(f"Optimism was corrected with Harrell's bootstrap ({options.bootstrap} replicates, seed "
                 f"{results['options']['seed']}).")
    return s

"""Survival and local control: the analysis job behind ``spinestats survival``.

:func:`run` returns a :class:`~spinestats.reports.section.Section` whose
``results`` is exactly the command's ``results.json``; the ``survival``
command and the plan runner (``spinestats run`` / ``demo``) both call it.

Two modes
---------
*Column mode* (``time`` and ``event`` given): any table with a follow-up
time and an event code.  ``event_codes`` declares the codes, e.g.
``{"EVENT": [1], "COMPETING": [2], "CENSOR": [0]}``; other codes are refused.
Without competing codes every non-censor code is the event.

*Schema mode* (a ``cirt`` table, no ``time``/``event``): the endpoints are
derived from the dates (:mod:`spinestats.analysis.survival.endpoints`): overall
survival (``os``), local control (``lc``), distant-metastasis-free (``dmfs``)
and progression-free survival (``pfs``).  Local control is reported in both
conventions: Kaplan-Meier with death without recurrence censored (the
``km``/``rates``/``median`` of the ``lc`` block, as the CIRT papers report
it) and cumulative incidence of recurrence with death as a competing event
(``cif``/``gray``/``finegray`` of the same block).  Each figure says which.

Options (:class:`SurvivalOptions`, filled by a plan entry, the ``survival`` command or :func:`run`'s keywords)
-------------------------------------------------------------------------------------------------------
time, event : columns (column mode).
event_codes : dict ``EVENT``/``COMPETING``/``CENSOR`` -> list of codes
    (default: censor 0, every other code an event).
group : grouping column (KM per group, log-rank, Gray's test).  In schema
    mode also the derived ``dose_group`` (ordered: <60, 60-<64, 64-<70,
    >=70 GyE), ``cord_over_limit`` (cord max >= 50 GyE) and
    ``target_under_60``; a categorical column keeps its category order (as
    an R factor), which is the order of the trend test.
strata : stratification column for the log-rank test and Cox model.
covariates : Cox (and, with competing events, Fine-Gray) covariates.
cluster : column of clusters (e.g. centre) for robust Cox SEs.
times : times for the rates (default 24 and 60 in months; given in ``unit``).
unit : "months" (default), "days" or "years" (schema mode: converts the
    dates; column mode: the unit of the time column, for labels only).
conf_type : "log" (default, as R), "log-log" or "plain".
ties : "efron" (default) or "breslow".
rho, gamma : Fleming-Harrington weights of the log-rank test (0, 0 = log-rank).
trend : add the trend test over the ordered groups.
entry : delayed-entry (left-truncation) column, column mode only: subjects
    are at risk after it (``Surv(entry, time, event)``) in the Kaplan-Meier
    curves, rates, medians and the reverse Kaplan-Meier follow-up.  Not with
    covariates or competing codes; the log-rank test is left out (warning).
zph_transform : time transform of the proportional-hazards test, as
    ``cox.zph(fit, transform = ...)``: "km" (default), "rank", "identity"
    or "log".  With ``cluster`` the Cox tests add ``robust_score`` (R's
    ``fit$rscore``).
endpoint : "all" (default) or one of os, lc, dmfs, pfs (schema mode); the
    first one listed is also copied to the top level of the results.
conf_level : level of every CI (Kaplan-Meier, medians, Cox, cumulative incidence, Fine-Gray).
median_lines, events_table, width : figure options (dotted median lines; cumulative events under the
    number at risk; journal column width).

Run-wide settings (``figure_formats``, ``dpis``, ``labels``, ``key``, ``title``) come from the
:class:`~spinestats.reports.job.JobContext`.

Steps
-----
:func:`analyse` parses each endpoint's columns once (:class:`ParsedInputs`, one
:class:`~spinestats.analysis.core.surv_input.EventData` per column set), fits
(:func:`compute_endpoint`, an :class:`EndpointFit` of frozen results per
endpoint), builds ``results`` from the results' ``to_dict()``
(:func:`endpoint_block`), draws (:func:`spinestats.reports.survival_figures.endpoint_figures`),
writes the tables (:func:`spinestats.reports.result_tables.endpoint_tables`) and
writes the methods (:func:`methods`).  No fitted object travels through the
results dict.

Results keys
------------
Column mode: ``mode``, ``unit``, ``event_codes``, ``flow``, ``km``,
``rates``, ``median``, ``quantiles``, ``median_follow_up``, ``logrank``,
``cox``, ``cif``, ``gray``, ``finegray``, ``warnings``, ``options``.
Schema mode adds ``endpoints`` (one such block per endpoint),
``primary_endpoint``, ``headline`` (2- and 5-year OS and LC, KM median OS
and the median observed survival time, each with its CI), ``dose`` and
``conversion``.  The layout is documented in
``data_schemas/results/survival.schema.json``.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from spinestats.analysis.competing_risks.cuminc import CumulativeIncidenceResult, cumulative_incidence
from spinestats.analysis.competing_risks.finegray import FineGrayResult, fine_gray
from spinestats.analysis.competing_risks.gray_test import GrayTestResult, gray_test
from spinestats.analysis.core.params import check_column
from spinestats.analysis.core.result import to_jsonable
from spinestats.analysis.core.surv_input import EventData, event_data
from spinestats.analysis.scores.cirt_dose import DoseSummaryResult, cirt_dose
from spinestats.analysis.survival.cox import CoxModelResult, cox_ph
from spinestats.analysis.survival.cox_zph import CoxZphResult, cox_zph
from spinestats.analysis.survival.endpoints import ENDPOINTS, LABELS, UNITS, derive_endpoints
from spinestats.analysis.survival.kaplan_meier import KaplanMeierResult, kaplan_meier
from spinestats.analysis.survival.logrank import LogRankResult, logrank_test
from spinestats.analysis.survival.median_ci import median_ci
from spinestats.data_schemas.labels import Labels, as_labels
from spinestats.errors import DataError, SpinestatsError, UsageError
from spinestats.reports.job import JobContext, JobInput, JobOptions, run_by_keywords
from spinestats.reports.regression_table import level_text, with_references
from spinestats.reports.result_tables import endpoint_tables, section_qualifier
from spinestats.reports.section import Section
from spinestats.reports.survival_figures import endpoint_figures

KAPLAN_MEIER = ("Kaplan EL, Meier P. Nonparametric estimation from incomplete observations. J Am Stat Assoc "
                "1958;53:457-481. doi:10.1080/01621459.1958.10501452")
BROOKMEYER_CROWLEY = ("Brookmeyer R, Crowley J. A confidence interval for the median survival time. Biometrics "
                      "1982;38:29-41. doi:10.2307/2530286")
SCHEMPER_SMITH = ("Schemper M, Smith TL. A note on quantifying follow-up in studies of failure time. Control Clin "
                  "Trials 1996;17:343-346. doi:10.1016/0197-2456(96)00075-X")
HARRINGTON_FLEMING = ("Harrington DP, Fleming TR. A class of rank test procedures for censored survival data. "
                      "Biometrika 1982;69:553-566. doi:10.1093/biomet/69.3.553")
COX = ("Cox DR. Regression models and life-tables. J R Stat Soc B 1972;34:187-220. "
       "doi:10.1111/j.2517-6161.1972.tb00899.x")
GRAMBSCH_THERNEAU = ("Grambsch PM, Therneau TM. Proportional hazards tests and diagnostics based on weighted "
                     "residuals. Biometrika 1994;81:515-526. doi:10.1093/biomet/81.3.515")
GRAY_1988 = ("Gray RJ. A class of K-sample tests for comparing the cumulative incidence of a competing risk. Ann Stat "
             "1988;16:1141-1154. doi:10.1214/aos/1176350951")
FINE_GRAY = ("Fine JP, Gray RJ. A proportional hazards model for the subdistribution of a competing risk. J Am Stat "
             "Assoc 1999;94:496-509. doi:10.1080/01621459.1999.10474144")
SURVIVAL_PACKAGE = ("Therneau T. A package for survival analysis in R (survival 3.5). "
                    "https://CRAN.R-project.org/package=survival")
CMPRSK = "Gray B. cmprsk: subdistribution analysis of competing risks (2.2). https://CRAN.R-project.org/package=cmprsk"
#: every reference the job can cite, in the order it cites them (:func:`references` keeps those of what ran)
REFERENCES = (KAPLAN_MEIER, BROOKMEYER_CROWLEY, SCHEMPER_SMITH, HARRINGTON_FLEMING, COX, GRAMBSCH_THERNEAU, GRAY_1988,
              FINE_GRAY, SURVIVAL_PACKAGE, CMPRSK)


LIN_WEI = ("Lin DY, Wei LJ. The robust inference for the Cox proportional hazards model. J Am Stat Assoc "
           "1989;84:1074-1078. doi:10.1080/01621459.1989.10478874")
#: the section's title when the plan gives none
TITLE = "Survival and local control"
ZPH_TRANSFORMS = {"km": "Kaplan-Meier transform", "rank": "rank transform", "identity": "untransformed time",
                  "log": "log transform"}


@dataclasses.dataclass(frozen=True)
class SurvivalOptions(JobOptions):
    """Options of the survival job (plan type ``survival``, command ``spinestats survival``).

    Attributes
    ----------
    time, event : follow-up time and event-code columns (column mode); neither for schema mode.
    event_codes : ``"EVENT=1,COMPETING=2,CENSOR=0"`` or a mapping of those names to codes
        (default: 0 censored, every other code an event).
    group : grouping column (Kaplan-Meier per group, log-rank, Gray's test).
    strata : stratification column of the log-rank test and the Cox model.
    covariates : Cox (and, with competing events, Fine-Gray) covariates; a comma-separated text is split.
    cluster : column of clusters (e.g. centre) for robust Cox SEs.
    times : times of the rates, in ``unit`` (default 2 and 5 years); a comma-separated text is split.
    unit : ``"months"``, ``"days"`` or ``"years"``.
    conf_type : Kaplan-Meier CI, ``"log"`` (as R), ``"log-log"`` or ``"plain"``.
    conf_level : level of every confidence interval.
    ties : ``"efron"`` or ``"breslow"`` (Cox).
    rho, gamma : Fleming-Harrington weights of the log-rank test.
    trend : add the trend test over the ordered groups.
    endpoint : ``"all"`` or one of os, lc, dmfs, pfs (schema mode).
    zph_transform : time transform of the proportional-hazards test (km, rank, identity, log).
    entry : delayed-entry column (column mode).
    median_lines : dotted median lines on the Kaplan-Meier figures.
    events_table : cumulative number of events under the number at risk.
    width : figure width, a journal column preset (``"single"`` or ``"double"``).
    """

    time: str | None = None
    event: str | None = None
    event_codes: str | Mapping[str, Any] | None = None
    group: str | None = None
    strata: str | None = None
    covariates: tuple[str, ...] | str = ()
    cluster: str | None = None
    times: tuple[float, ...] | str | None = None
    unit: str = "months"
    conf_type: Literal["log", "log-log", "plain"] = "log"
    conf_level: float = 0.95
    ties: Literal["efron", "breslow"] = "efron"
    rho: float = 0.0
    gamma: float = 0.0
    trend: bool = False
    endpoint: str = "all"
    zph_transform: str = "km"
    entry: str | None = None
    median_lines: bool = True
    events_table: bool = False
    width: str = "single"


OPTIONS = SurvivalOptions

#: the options written back under ``results["options"]`` (a contract of results.json)
RESULT_OPTIONS = ("time", "event", "event_codes", "group", "strata", "covariates", "cluster", "times", "unit",
                  "conf_type", "conf_level", "ties", "rho", "gamma", "trend", "endpoint", "zph_transform")


def resolved(options: SurvivalOptions) -> SurvivalOptions:
    """The options checked, with ``covariates`` and ``times`` as tuples (texts split, default times in ``unit``)."""
    o = options
    if o.unit not in UNITS:
        raise UsageError(f"unit: expected one of {', '.join(UNITS)}, got {o.unit!r}.")
    if o.zph_transform not in ZPH_TRANSFORMS:
        raise UsageError(f"zph_transform: expected one of {', '.join(ZPH_TRANSFORMS)}, got {o.zph_transform!r}.")
    if not 0.0 < float(o.conf_level) < 1.0:
        raise UsageError(f"conf_level: expected a number between 0 and 1 (e.g. 0.95), got {o.conf_level!r}.")
    covs = o.covariates.split(",") if isinstance(o.covariates, str) else list(o.covariates or ())
    if o.times is None:
        times = [24 * UNITS["months"] / UNITS[o.unit], 60 * UNITS["months"] / UNITS[o.unit]]
    elif isinstance(o.times, str):
        try:
            times = [float(t) for t in o.times.split(",") if t.strip()]
        except ValueError as exc:
            raise UsageError(f"times: expected numbers separated by commas, got {o.times!r}.") from exc
    else:
        times = list(o.times)
    return dataclasses.replace(o, covariates=tuple(c.strip() for c in covs if c.strip()),
                               times=tuple(float(t) for t in times))


def parse_event_codes(spec: str | Mapping | None) -> dict[str, list[int]]:
    """``"EVENT=1,COMPETING=2,CENSOR=0"`` (``EVENT=1;3`` for several) -> ``{"EVENT": [1], ...}``."""
    if spec is None:
        return {"EVENT": [], "COMPETING": [], "CENSOR": [0]}
    if isinstance(spec, Mapping):
        out = {k.upper(): [int(v) for v in (vals if isinstance(vals, (list, tuple)) else [vals])] for k, vals in spec.items()}
    else:
        out = {}
        for part in str(spec).split(","):
            if not part.strip():
                continue
            if "=" not in part:
                raise UsageError(f"--event-codes: expected NAME=CODE pairs such as EVENT=1,COMPETING=2,CENSOR=0; got {part!r}.")
            k, v = part.split("=", 1)
            try:
                out[k.strip().upper()] = [int(x) for x in v.replace(";", " ").split()]
            except ValueError as exc:
                raise UsageError(f"--event-codes: codes must be integers, got {v!r}.") from exc
    bad = set(out) - {"EVENT", "COMPETING", "CENSOR"}
    if bad:
        raise UsageError(f"--event-codes: unknown name(s) {sorted(bad)}; use EVENT, COMPETING and CENSOR.")
    out.setdefault("EVENT", [])
    out.setdefault("COMPETING", [])
    out.setdefault("CENSOR", [0])
    if len(out["CENSOR"]) != 1:
        raise UsageError("--event-codes: give exactly one CENSOR code.")
    if len(out["EVENT"]) > 1:
        raise UsageError("--event-codes: give one EVENT code (the event of interest); other events are COMPETING.")
    return out


class ParsedInputs:
    """The time-to-event arrays of one table, each set of columns parsed once and handed to every estimator.

    Calling it with :func:`~spinestats.analysis.core.surv_input.event_data`'s arguments returns the
    :class:`EventData` built the first time they were asked for.  The estimators use an EventData built
    with their own columns as it is; a model with covariates needs its own set (rows missing a
    covariate are left out of the model only), so a table is parsed once per column set, never twice.
    """

    def __init__(self, data: pd.DataFrame) -> None:
        self.data = data
        self.built: dict[tuple, EventData] = {}

    def __call__(self, *, time: str, event: str, censor: int = 0, group: str | None = None,
                 entry: str | None = None, causes: Sequence[int] | None = None, extra: Sequence[str] = ()) -> EventData:
        key = (time, event, group, entry, int(censor), None if causes is None else tuple(causes), tuple(extra))
        if key not in self.built:
            self.built[key] = event_data(self.data, time=time, event=event, group=group, entry=entry, censor=censor,
                                         causes=causes, extra=extra)
        return self.built[key]


@dataclasses.dataclass(frozen=True)
class Endpoint:
    """One endpoint to analyse: its columns and codes, its name (file stem) and its words."""

    stem: str
    label: str
    time: str
    event: str
    cause: int | None
    competing: tuple[int, ...]
    censor: int
    convention: str
    event_label: str = "the event"
    causes: tuple[int, ...] | None = None  # the declared event codes (column mode)
    name: str | None = None  # the block's ``label`` in results.json (default: ``label``)


@dataclasses.dataclass(frozen=True)
class EndpointFit:
    """The frozen results of one endpoint, handed from :func:`compute_endpoint` to the figures, tables and
    :func:`endpoint_block` as Python values (never through the results dict)."""

    endpoint: Endpoint
    data: pd.DataFrame
    km: KaplanMeierResult
    km_overall: KaplanMeierResult  # without groups (the km itself when ungrouped)
    logrank: LogRankResult | None = None
    cox: CoxModelResult | None = None
    cox_error: str | None = None
    zph: CoxZphResult | None = None
    cif: CumulativeIncidenceResult | None = None
    cif_overall: CumulativeIncidenceResult | None = None
    gray: GrayTestResult | None = None
    finegray: FineGrayResult | None = None
    finegray_error: str | None = None
    univariable: Mapping[str, Mapping[str, Any]] = dataclasses.field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    @property
    def grouped(self) -> bool:
        """More than one group was compared."""
        return len(self.km.groups) > 1


def compute_endpoint(parsed: ParsedInputs, ep: Endpoint, o: SurvivalOptions) -> EndpointFit:
    """Every estimate of one endpoint (Kaplan-Meier, log-rank, Cox and PH test, CIF, Gray, Fine-Gray)."""
    warnings: list[str] = []
    kw = dict(time=ep.time, event=ep.event, censor=ep.censor)
    km_kw = dict(conf_type=o.conf_type, conf_level=o.conf_level, times=list(o.times), cause=ep.cause, entry=o.entry,
                 causes=ep.causes)
    km = kaplan_meier(parsed(**kw, group=o.group, entry=o.entry, causes=ep.causes), **kw, group=o.group, **km_kw)
    warnings.extend(km.warnings)
    grouped = o.group is not None and len(km.groups) > 1
    km_overall = kaplan_meier(parsed(**kw, entry=o.entry, causes=ep.causes), **kw, **km_kw) if grouped else km
    lr = None
    if grouped and o.entry is not None:
        warnings.append("the log-rank test is not computed with delayed entry (left truncation); the Kaplan-Meier "
                        "curves and follow-up per group are.")
    elif grouped:
        lr = logrank_test(parsed(**kw, group=o.group, extra=(o.strata,) if o.strata else ()), **kw, group=o.group,
                          strata=o.strata, rho=o.rho, gamma=o.gamma, trend=o.trend, pairwise=len(km.groups) > 2,
                          cause=ep.cause)
    fits: dict[str, Any] = {}
    if o.covariates:
        fits.update(_cox(parsed, ep, o, warnings))
    if ep.competing and ep.cause is not None:
        fits.update(_competing(parsed, ep, o, grouped, warnings))
    warnings = list(dict.fromkeys(warnings))
    univariable = {kind: _univariable(parsed, ep, o, kind, warnings)
                   for kind in ("cox", "finegray") if fits.get(kind) is not None}
    return EndpointFit(ep, parsed.data, km, km_overall, lr, univariable=univariable, warnings=tuple(warnings), **fits)


def _cox(parsed: ParsedInputs, ep: Endpoint, o: SurvivalOptions, warnings: list[str]) -> dict[str, Any]:
    """The Cox model (cause-specific with competing events) and its PH test; a failure is a sentence."""
    kw = dict(time=ep.time, event=ep.event, censor=ep.censor)
    covs = list(o.covariates)
    try:
        fit = cox_ph(parsed(**kw, extra=tuple(covs) + tuple(c for c in (o.strata, o.cluster) if c)), **kw,
                     covariates=covs, ties=o.ties, strata=o.strata, cluster=o.cluster, cause=ep.cause,
                     conf_level=o.conf_level)
    except DataError as exc:
        warnings.append(f"Cox model not fitted: {exc}")
        return {"cox_error": str(exc)}
    warnings.extend(fit.warnings)
    try:
        zph = cox_zph(parsed(**kw, extra=tuple(covs) + ((o.strata,) if o.strata else ())), **kw, covariates=covs,
                      ties=o.ties, strata=o.strata, cause=ep.cause, transform=o.zph_transform, fit=fit)
    except (SpinestatsError, np.linalg.LinAlgError) as exc:
        warnings.append(f"proportional-hazards test not available: {exc}")
        zph = None
    return {"cox": fit, "zph": zph}


def _competing(parsed: ParsedInputs, ep: Endpoint, o: SurvivalOptions, grouped: bool,
               warnings: list[str]) -> dict[str, Any]:
    """Cumulative incidence (by group and overall), Gray's test and the Fine-Gray model."""
    kw = dict(time=ep.time, event=ep.event, censor=ep.censor, cause=ep.cause, causes=ep.causes)
    ed_kw = dict(time=ep.time, event=ep.event, censor=ep.censor, causes=ep.causes)
    cif = cumulative_incidence(parsed(**ed_kw, group=o.group), **kw, group=o.group, times=list(o.times),
                               conf_level=o.conf_level)
    warnings.extend(w for w in cif.warnings if w not in warnings)
    out: dict[str, Any] = {"cif": cif, "cif_overall": cif}
    if grouped:
        out["cif_overall"] = cumulative_incidence(parsed(**ed_kw), **kw, times=list(o.times), conf_level=o.conf_level)
    if o.group is not None and len(cif.groups) > 1:
        out["gray"] = gray_test(parsed(**ed_kw, group=o.group), **kw, group=o.group)
    if o.covariates:
        try:
            fg = fine_gray(parsed(**ed_kw, extra=tuple(o.covariates)), **kw, covariates=list(o.covariates),
                           conf_level=o.conf_level)
        except DataError as exc:
            warnings.append(f"Fine-Gray model not fitted: {exc}")
            out["finegray_error"] = str(exc)
        else:
            warnings.extend(fg.warnings)
            out["finegray"] = fg
    return out


def _univariable(parsed: ParsedInputs, ep: Endpoint, o: SurvivalOptions, kind: str,
                 warnings: list[str]) -> dict[str, Any]:
    """One model per covariate (as gtsummary's tbl_uvregression): its terms, and N and events per covariate."""
    out: dict[str, Any] = {"terms": [], "estimate": [], "lower": [], "upper": [], "p": [], "n": {}, "events": {}}
    kw = dict(time=ep.time, event=ep.event, censor=ep.censor)
    for c in o.covariates:
        try:
            if kind == "cox":
                f = cox_ph(parsed(**kw, extra=(c,) + tuple(x for x in (o.strata, o.cluster) if x)), **kw,
                           covariates=[c], ties=o.ties, strata=o.strata, cluster=o.cluster, cause=ep.cause,
                           conf_level=o.conf_level, concordance=False)  # the table reports no C
                est, lo, hi = f.hr, f.hr_lower, f.hr_upper
            else:
                f = fine_gray(parsed(**kw, causes=ep.causes, extra=(c,)), **kw, covariates=[c], cause=ep.cause,
                              causes=ep.causes, conf_level=o.conf_level)
                est, lo, hi = f.shr, f.shr_lower, f.shr_upper
        except DataError as exc:
            warnings.append(f"univariable model of {c} not fitted: {exc}")
            continue
        for name, values in (("terms", f.terms), ("estimate", est), ("lower", lo), ("upper", hi), ("p", f.p)):
            out[name] += list(values)
        out["n"][c], out["events"][c] = int(f.n), int(f.n_event)
    return out


def _glabel(g: Any) -> str:
    return "all" if g is None else str(g)


def _chunks(records: list, n: int) -> list[list]:
    return [records[i:i + n] for i in range(0, len(records), n)] if n else []


def km_block(km: KaplanMeierResult) -> dict[str, Any]:
    """``km``, ``rates``, ``median``, ``quantiles`` and ``median_follow_up`` by group, from ``km.to_dict()``."""
    d = km.to_dict()
    out: dict[str, Any] = {"km": {}, "rates": {}, "median": {}, "quantiles": {}, "median_follow_up": {}}
    n_curves = len(km.curves)
    rates = _chunks(d["rates"], len(d["rates"]) // n_curves) if d["rates"] else [None] * n_curves
    quants = _chunks(d["quantiles"], len(d["quantiles"]) // n_curves)
    columns = ("time", "n_at_risk", "n_event", "n_censored", "survival", "std_err", "lower", "upper")
    for c, cd, r, q in zip(km.curves, d["curves"], rates, quants):
        g = _glabel(c.group)
        out["km"][g] = [dict(zip(columns, row)) for row in zip(*(cd[k] for k in columns))]
        if r is not None:
            out["rates"][g] = [{k: v for k, v in x.items() if k != "group"} for x in r]
        median = next(x for x in q if x["prob"] == 0.5)
        out["median"][g] = {k: median[k] for k in ("estimate", "lower", "upper")} | {
            "reached": median["estimate"] is not None}
        out["quantiles"][g] = [{k: v for k, v in x.items() if k != "group"} for x in q]
    for group, row in zip(km.median_follow_up["group"], d["median_follow_up"]):
        out["median_follow_up"][_glabel(group)] = {k: row[k] for k in ("estimate", "lower", "upper", "method")} | {
            "range": [row["range_min"], row["range_max"]]}
    return out


def logrank_block(lr: LogRankResult) -> dict[str, Any]:
    """The log-rank test from ``lr.to_dict()``, observed and expected by group label."""
    d = lr.to_dict()
    names = [_glabel(g) for g in lr.groups]
    return {**{k: d[k] for k in ("chisq", "df", "p", "rho", "gamma")}, "observed": dict(zip(names, d["observed"])),
            "expected": dict(zip(names, d["expected"])), "trend": d["trend"], "pairwise": d["pairwise"]}


COX_KEYS = ("terms", "coef", "se", "robust_se", "hr", "hr_lower", "hr_upper", "p", "concordance", "tests", "n",
            "n_event", "ties", "separated", "converged")
FINEGRAY_KEYS = ("terms", "coef", "se", "shr", "shr_lower", "shr_upper", "p", "converged", "n_event", "n_competing")


def cox_block(fit: EndpointFit, transform: str) -> dict[str, Any] | None:
    """The Cox model and its PH test from their ``to_dict()``; ``fitted: false`` with the reason when it failed."""
    if fit.cox_error is not None:
        return {"fitted": False, "reason": fit.cox_error}
    if fit.cox is None:
        return None
    d = fit.cox.to_dict_subset(COX_KEYS)
    model = "cause-specific Cox (other events censored)" if fit.endpoint.cause is not None else "Cox"
    block = {"fitted": True, "model": model, **{k: d[k] for k in COX_KEYS}, "ph_test": None}
    if fit.zph is not None:
        block.update(ph_test=fit.zph.to_dict_subset(("table",))["table"], ph_transform=transform)
    return block


def competing_block(fit: EndpointFit, times: Sequence[float]) -> dict[str, Any]:
    """``cif`` (curve and values at ``times``, by group and cause), ``gray`` and ``finegray``."""
    assert fit.cif is not None
    times = list(times)
    cif: dict[str, Any] = {}
    for c in fit.cif.curves:
        cif.setdefault(_glabel(c.group), {})[str(c.cause)] = {
            "curve": to_jsonable(c.to_frame().drop(columns=["group", "cause"])),
            "at_times": to_jsonable(c.value_at(times).drop(columns=["group", "cause"])) if times else []}
    gray = None
    if fit.gray is not None:
        g = fit.gray.to_dict()
        gray = {str(k): {"statistic": s, "p": p, "df": g["df"]} for k, s, p in zip(g["causes"], g["statistic"], g["p"])}
    finegray = None
    if fit.finegray_error is not None:
        finegray = {"fitted": False, "reason": fit.finegray_error}
    elif fit.finegray is not None:
        d = fit.finegray.to_dict()
        finegray = {k: d[k] for k in FINEGRAY_KEYS}
    return {"cif": cif, "gray": gray, "finegray": finegray}


def endpoint_block(fit: EndpointFit, o: SurvivalOptions) -> dict[str, Any]:
    """One endpoint's results block, built from the results' ``to_dict()``."""
    ep = fit.endpoint
    block: dict[str, Any] = {"label": ep.name or ep.label, "convention": ep.convention, "n": fit.km.n,
                             "n_events": int(sum(int(np.sum(c.n_event)) for c in fit.km.curves))}
    block.update(km_block(fit.km))
    block["logrank"] = logrank_block(fit.logrank) if fit.logrank is not None else None
    block["cox"] = cox_block(fit, o.zph_transform)
    if fit.cif is not None:
        block.update(competing_block(fit, o.times))
    block["warnings"] = list(fit.warnings)
    return block


@dataclasses.dataclass(frozen=True)
class Study:
    """What :func:`analyse` computed: the endpoints' fits and the mode's own results."""

    mode: str
    fits: tuple[EndpointFit, ...]
    results: Mapping[str, Any]  # mode-specific keys of results.json (event codes, headline, dose, ...)
    flow: Mapping[str, int]
    conversion: str | None = None


def column_study(data: pd.DataFrame, o: SurvivalOptions, labels: Labels, key: str, file: str) -> Study:
    """Column mode: one endpoint from ``time``/``event`` with the declared codes."""
    if o.time is None or o.event is None:
        raise UsageError("give both --time and --event (or neither, with --schema cirt).")
    codes = parse_event_codes(o.event_codes)
    if o.entry is not None and (o.covariates or codes["COMPETING"]):
        raise UsageError("--entry (delayed entry) is supported for Kaplan-Meier, rates, medians and reverse "
                         "Kaplan-Meier follow-up only; drop --covariates and COMPETING codes with it.")
    declared = tuple(codes["EVENT"] + codes["COMPETING"]) or None
    from spinestats.data_schemas.column_checks import check_time_event

    for col, flag in ((o.time, "--time"), (o.event, "--event"), (o.group, "--group"), (o.entry, "--entry"),
                      (o.strata, "--strata"), (o.cluster, "--cluster"), *((c, "--covariates") for c in o.covariates)):
        if col is not None:
            check_column(data, col, flag[2:], flag=flag)
    check_time_event(data, time=o.time, event=o.event, unit=o.unit, file=file, allowed=list(declared or []) or None,
                     censor=codes["CENSOR"][0])
    parsed = ParsedInputs(data)
    ed = parsed(time=o.time, event=o.event, censor=codes["CENSOR"][0], group=o.group, entry=o.entry, causes=declared)
    cause = codes["EVENT"][0] if codes["EVENT"] else None
    if cause is None and codes["COMPETING"]:
        raise UsageError("--event-codes: COMPETING given without EVENT; name the event of interest.")
    convention = ("competing events censored in the Kaplan-Meier estimate; cumulative incidence with competing "
                  "events") if codes["COMPETING"] else "Kaplan-Meier"
    ep = Endpoint(key, labels.endpoint(key, default="Event-free survival"), o.time, o.event, cause,
                  tuple(codes["COMPETING"]), codes["CENSOR"][0], convention, causes=declared)
    fit = compute_endpoint(parsed, ep, o)
    flow = {"analysed": int(len(data)) - len(ed.excluded), "excluded_missing": len(ed.excluded)}
    return Study("columns", (fit,), {"event_codes": codes}, flow)


LC_CONVENTION = ("Kaplan-Meier with death without recurrence censored (km, rates, median); cumulative incidence "
                 "of local recurrence with death as a competing event (cif, gray, finegray)")
CONVENTIONS = {"os": "event = death from any cause", "lc": LC_CONVENTION,
               "dmfs": "event = distant metastasis or death, whichever first",
               "pfs": "event = local recurrence, distant metastasis or death, whichever first"}


def schema_study(data: pd.DataFrame, o: SurvivalOptions, labels: Labels, key: str) -> Study:
    """Schema mode: the endpoints derived from the dates of a cirt table, the headline and the dose summary."""
    if o.entry is not None:
        raise UsageError("--entry is for column mode (--time/--event); schema mode times every endpoint from "
                         "the start of treatment.")
    ep_table = derive_endpoints(data, unit=o.unit)
    wanted = list(ENDPOINTS) if o.endpoint == "all" else [o.endpoint]
    if any(e not in ENDPOINTS for e in wanted):
        raise UsageError(f"--endpoint: expected all or one of {', '.join(ENDPOINTS)}, got {o.endpoint!r}.")
    d = ep_table.table.join(data[[c for c in data.columns if c not in ep_table.table.columns]])
    dose = None
    if {"total_dose_gye", "fractions"} <= set(data.columns):  # dose columns usable as --group
        dose = cirt_dose(data, cord="cord_max_dose_gye" if "cord_max_dose_gye" in data.columns else None)
        d = d.join(dose.table[["dose_group", "cord_over_limit", "target_under_60", "bed", "eqd2"]]
                   .loc[:, lambda f: [c for c in f.columns if c not in d.columns]])
    if o.group is not None:
        check_column(d, o.group, "group", flag="--group")
    parsed = ParsedInputs(d)
    fits = tuple(compute_endpoint(parsed, Endpoint(
        f"{key}_{e}", labels.endpoint(e, default=LABELS[e]), f"{e}_time", "lc_status" if e == "lc" else f"{e}_event",
        1 if e == "lc" else None, (2,) if e == "lc" else (), 0, CONVENTIONS[e],
        "local recurrence" if e == "lc" else "the event", name=LABELS[e]), o) for e in wanted)
    results = {"headline": headline(parsed, o, wanted), "dose": dose_block(dose), "warnings": list(ep_table.warnings)}
    return Study("schema", fits, results, {"patients": ep_table.n}, ep_table.conversion)


def headline(parsed: ParsedInputs, o: SurvivalOptions, wanted: Sequence[str]) -> dict[str, Any]:
    """2- and 5-year OS/LC (Kaplan-Meier, all patients), KM median OS and the median observed survival time."""
    f = UNITS["months"] / UNITS[o.unit]
    out: dict[str, Any] = {"unit": o.unit, "conf_type": o.conf_type}
    for e in ("os", "lc"):
        if e not in wanted:
            continue
        kw = dict(time=f"{e}_time", event=f"{e}_event")
        km = kaplan_meier(parsed(**kw), **kw, times=[24 * f, 60 * f], conf_type=o.conf_type,
                          conf_level=o.conf_level).to_dict()
        for years, r in zip((2, 5), km["rates"]):
            out[f"{e}_{years}y"] = {"time": r["time"], "estimate": r["survival"], "lower": r["lower"],
                                    "upper": r["upper"]}
        if e == "os":
            median = next(q for q in km["quantiles"] if q["prob"] == 0.5)
            out["median_os_km"] = {k: median[k] for k in ("estimate", "lower", "upper")}
            m = median_ci(parsed.data["os_time"].to_numpy(), o.conf_level).to_dict()
            out["median_observed_os"] = {k: m[k] for k in ("estimate", "lower", "upper")} | {
                "method": "median of the observed times (death or last follow-up) with the order-statistic CI "
                          f"(coverage >= {level_text(o.conf_level)})"}
    for v in out.values():
        if isinstance(v, dict) and "lower" in v:
            v["ci"] = [v["lower"], v["upper"]]
    return out


#: results.json name -> the dose summary's field
DOSE_KEYS = {"n": "n", "n_at_least_64_in_16": "n_at_least_64_in_16",
             "share_at_least_64_in_16": "share_at_least_64_in_16", "n_cord_max_at_least_50": "n_cord_over_limit",
             "n_target_under_60": "n_target_under_60", "dose_groups": "groups"}


def dose_block(dose: DoseSummaryResult | None) -> dict[str, Any] | None:
    """The CIRT dose summary from its ``to_dict()`` (None without dose columns)."""
    if dose is None:
        return None
    d = dose.to_dict_subset(DOSE_KEYS.values())
    return {name: d[field] for name, field in DOSE_KEYS.items()}


def ran(study: Study) -> dict[str, bool]:
    """Which estimates exist in some endpoint: ``logrank``, ``cox``, ``zph``, ``cif``, ``gray``, ``finegray``."""
    return {kind: any(getattr(f, kind) is not None for f in study.fits)
            for kind in ("logrank", "cox", "zph", "cif", "gray", "finegray")}


def methods(study: Study, o: SurvivalOptions) -> tuple[str, ...]:
    """The methods sentences of what ran (Kaplan-Meier, log-rank, Cox, delayed entry, endpoints, CIF).

    A test or model is described only when some endpoint has its result (an ungrouped analysis has no
    log-rank sentence, a failed Cox model no Cox sentence).
    """
    done = ran(study)
    out = ["Survival was estimated by the Kaplan-Meier method with Greenwood variances and "
           f"{o.conf_type} confidence intervals ({100 * o.conf_level:g}%), medians with the Brookmeyer-Crowley "
           "interval as in R's survival package; median follow-up by the reverse Kaplan-Meier method."]
    if done["logrank"]:
        out.append("Groups were compared with the log-rank test" + (
            f" (Fleming-Harrington weights rho = {o.rho:g}, gamma = {o.gamma:g})" if o.rho or o.gamma else "") + ".")
    if any(f.logrank is not None and getattr(f.logrank, "pairwise", None) is not None
           and len(f.logrank.pairwise) > 0 for f in study.fits):
        out.append("With more than two groups, each pair of groups was also compared with the log-rank test, "
                   "with Holm's step-down adjustment of the p-values (as survminer's pairwise_survdiff).")
    if done["cox"]:
        out.append(f"Hazard ratios were estimated by Cox regression ({o.ties.capitalize()} ties)"
                   + (f", with robust standard errors clustered by {o.cluster}" if o.cluster else "")
                   + ("; proportional hazards were checked on scaled Schoenfeld residuals ("
                      + ZPH_TRANSFORMS[o.zph_transform] + " of time)" if done["zph"] else "") + ".")
        if o.cluster:
            out.append("The global null hypothesis was also tested with the robust (Lin-Wei) score test, "
                       "which allows for the clustering, as R's coxph reports it.")
    if o.entry is not None:
        out.append(f"Follow-up began at {o.entry} (delayed entry, left truncation): patients enter the risk sets "
                   "of the Kaplan-Meier and reverse Kaplan-Meier estimates only after it, as R's "
                   "survfit(Surv(entry, time, status)).")
    if study.mode == "columns" and done["cif"]:
        out.append("Cumulative incidence was estimated by the Aalen-Johansen method with cmprsk's variance "
                   "(log(-log) CIs)" + (", compared with Gray's test" if done["gray"] else "") + ".")
    if study.mode == "schema":
        out.append("Endpoints were timed from the start of carbon-ion radiotherapy (" + str(study.conversion) + "): "
                   "overall survival (death), local control (local recurrence; death without recurrence "
                   "censored for Kaplan-Meier, and a competing event for the cumulative incidence), "
                   "distant-metastasis-free and progression-free survival (first event or death).")
        if done["cif"]:
            out.append("The cumulative incidence of local recurrence was estimated by the Aalen-Johansen method "
                       "with cmprsk's variance and log(-log) CIs (death a competing event)"
                       + (", compared between groups with Gray's test" if done["gray"] else "") + ".")
    if done["finegray"]:
        out.append("Subdistribution hazard ratios were estimated by Fine-Gray regression.")
    return tuple(out)


def references(study: Study, o: SurvivalOptions) -> tuple[str, ...]:
    """The references of what ran, in :data:`REFERENCES` order (Lin-Wei last, with clustered Cox SEs)."""
    done = ran(study)
    wanted = {KAPLAN_MEIER, BROOKMEYER_CROWLEY, SCHEMPER_SMITH, SURVIVAL_PACKAGE}
    for kind, ref in (("logrank", HARRINGTON_FLEMING), ("cox", COX), ("zph", GRAMBSCH_THERNEAU), ("gray", GRAY_1988),
                      ("finegray", FINE_GRAY), ("cif", CMPRSK)):
        if done[kind]:
            wanted.add(ref)
    return tuple(r for r in REFERENCES if r in wanted) + ((LIN_WEI,) if o.cluster and done["cox"] else ())


def captions(study: Study, o: SurvivalOptions, labels: Labels) -> dict[str, str]:
    """The figure captions of every endpoint (KM, CIF, PH test)."""
    by = f" by {labels.name(o.group).lower()}" if o.group else ""
    out = {}
    for fit in study.fits:
        ep = fit.endpoint
        event = "the event" if study.mode == "columns" else (
            "local recurrence" if ep.competing else ep.label.lower())
        out[f"{ep.stem}_km"] = f"{ep.label}: Kaplan\u2013Meier estimate{by}, with number at risk"
        out[f"{ep.stem}_cif"] = f"Cumulative incidence of {event}{by}, competing events accounted for"
        out[f"{ep.stem}_ph_test"] = (f"{ep.label}: proportional-hazards check, as plot(cox.zph): scaled Schoenfeld "
                                     "residuals (points), their smooth with a \u00b12 SE band, a solid line at zero "
                                     "and a dotted line at the Cox coefficient")
    return out


def results(study: Study, o: SurvivalOptions, flow: Mapping[str, int]) -> dict[str, Any]:
    """results.json of the section: the endpoint blocks (from the results' ``to_dict()``), flow and options."""
    options = {k: getattr(o, k) for k in RESULT_OPTIONS} | ({"entry": o.entry} if o.entry is not None else {})
    blocks = {f.endpoint.stem: endpoint_block(f, o) for f in study.fits}
    if study.mode == "columns":
        block = blocks[study.fits[0].endpoint.stem]
        return {"mode": "columns", "unit": o.unit, "event_codes": study.results["event_codes"], "flow": dict(flow),
                **block, "options": options}
    by_name = {stem.rsplit("_", 1)[-1]: b for stem, b in blocks.items()}
    primary = next(iter(by_name))
    top = {k: by_name[primary][k] for k in ("km", "rates", "median", "quantiles", "median_follow_up", "logrank",
                                            "cox", "cif", "gray", "finegray") if k in by_name[primary]}
    warnings = list(study.results["warnings"]) + [f"{e}: {w}" for e, b in by_name.items() for w in b["warnings"]]
    return {"mode": "schema", "unit": o.unit, "conversion": study.conversion, "flow": dict(flow),
            "primary_endpoint": primary, **top, "endpoints": by_name, "headline": study.results["headline"],
            "dose": study.results["dose"], "warnings": warnings, "options": options}


def _input_table(inputs: JobInput) -> tuple[pd.DataFrame, tuple, str]:
    """The DataFrame, the loader's exclusions and the file name (for messages) of the one input."""
    data = inputs.table if inputs.table is not None else inputs.data
    if data is None:
        raise UsageError("survival analysis: no data given.")
    file = getattr(getattr(data, "provenance", None), "file", None) or "data"
    exclusions: tuple = ()
    if hasattr(data, "data") and hasattr(data, "exclusions"):
        if getattr(data, "errors", ()):
            raise DataError("the table has errors:\n" + "\n".join(p.message() for p in data.errors),
                            problems=data.errors)
        exclusions, data = tuple(data.exclusions), data.data
    if not isinstance(data, pd.DataFrame):
        raise UsageError(f"survival analysis expects a table, got {type(data).__name__}.")
    return data, exclusions, str(file)


def analyse(inputs: JobInput, options: SurvivalOptions, context: JobContext, *, write: bool = True) -> Section:
    """Run the survival analysis: parse, compute, results, figures, tables, methods (see the module docstring).

    ``write=False`` computes the numbers only (no figures or tables), as :func:`run` without ``out_dir``.
    """
    data, exclusions, file = _input_table(inputs)
    o = resolved(options)
    labels = as_labels(context.labels, ["cirt"], strict=False)
    labels.check_data(data, where="survival")
    data = with_references(data, list(o.covariates), labels)
    key = context.key or "survival"
    if o.time is not None or o.event is not None:
        study = column_study(data, o, labels, key, file)
    else:
        study = schema_study(data, o, labels, key)
    flow = {"rows": int(len(data) + len(exclusions)), "excluded_at_loading": len(exclusions),
            "analysed": int(len(data)), **study.flow}
    res = results(study, o, flow)
    figures: list[Path] = []
    tables: list[Path] = []
    if write:
        out = Path(context.out_dir)
        kw = {k: v for k, v in (("formats", context.figure_formats), ("dpis", context.dpis)) if v}
        for fit in study.fits:
            figures += endpoint_figures(fit, out, unit=o.unit, group=o.group, covariates=o.covariates, width=o.width,
                                        labels=labels, median_lines=o.median_lines, events_table=o.events_table, **kw)
            tables += endpoint_tables(fit, out, unit=o.unit, group=o.group, covariates=o.covariates,
                                      strata=o.strata, cluster=o.cluster, ties=o.ties, conf_level=o.conf_level,
                                      times=o.times, labels=labels,
                                      qualifier=section_qualifier(context.title, TITLE))
    return Section(key=key, title=context.title or TITLE, results=to_jsonable(res),
                   figures=tuple(figures), tables=tuple(tables), figure_captions=captions(study, o, labels),
                   warnings=tuple(dict.fromkeys(res["warnings"])), methods=methods(study, o),
                   references=references(study, o))


def run(data: Any = None, out_dir: str | Path | None = None, **keywords: Any) -> Section:
    """The survival job by keyword: the options of :class:`SurvivalOptions` and the settings of
    :class:`~spinestats.reports.job.JobContext` (``table``, ``key``, ``title``, ``labels``, ``figure_formats``,
    ``dpis``); without ``out_dir`` the numbers only (no figures or tables).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"t": [2.0, 3.0, 5.0, 8.0], "e": [1, 0, 1, 1]})
    >>> run(d, time="t", event="e", times=[4]).results["rates"]["all"][0]["survival"]
    0.75
    """
    job = analyse if out_dir is not None else functools.partial(analyse, write=False)
    return run_by_keywords(job, SurvivalOptions, data=data, out_dir=out_dir if out_dir is not None else ".",
                           where="survival", **keywords)

"""Validation of any predicted risk against time-to-event data: the job behind ``spinestats validate``.

Column mode: any table with a follow-up time, an event code and either a
column of predicted risks (``risk``: the probability of the event of
interest by the horizon) or a JSON risk model (``model``, as written by
``spinestats fracture``) applied to the table's covariates.  The measures are
those of the fracture job, computed by the same estimators
(:mod:`spinestats.analysis.prediction.concordance`, ``time_auc``, ``brier``,
``calibration``, ``decision_curve``), with competing events handled as
there (``--event-codes EVENT=1,COMPETING=2,CENSOR=0``); the CIs of AUC(t)
and Brier(t) come from :mod:`spinestats.analysis.prediction.validation_se`.

Options
-------
time, event : columns of follow-up time and event code.
event_codes : ``EVENT=1,COMPETING=2,CENSOR=0`` (default: censor 0, and the
    one other code found is the event; with several codes, name the event).
risk : column of predicted risks in [0, 1] (or ``model``: path of a model JSON).
horizon : prediction horizon in ``unit`` (default: the model's horizon).
unit : unit of the time column (``months``, ``days``, ``years``; labels only).
group : optional centre column: per-centre measures and their REML pooling
    (Knapp-Hartung; AUC(t) on the logit scale, Brier and calibration on
    their own scale).
conf_level : confidence level of every interval (0.95).

These are the fields of :class:`ValidateOptions`, filled by the plan entry
(``type: validate``) or by the command's flags; :func:`analyse` is the job
(compute, figures, tables, methods) and :func:`run` the same by keyword.  A
relative ``model`` path that does not exist in the working folder is looked
up beside the data file (the input's path).  The statistics are in
:mod:`spinestats.analysis.prediction.validation_measures` (every measure of
a table from one parse of it) and
:mod:`spinestats.analysis.prediction.pooled_validation` (the pooling across
centres); ``results`` is built from their ``to_dict()``.

Rows are never dropped silently: a missing time or event, a missing or
non-numeric predicted risk, a risk outside [0, 1], a missing centre or a
missing model covariate moves the row to the exclusion log
(``tables/<key>_exclusions.csv``: spreadsheet line and reason; counts by
reason in ``flow``).  A horizon beyond the last follow-up is refused.

``results`` keys (as the fracture job): ``c_index`` (``harrell``, ``uno``,
``tau``), ``time_auc`` (``estimate``, ``ci``, ``horizon``), ``brier``
(``estimate``, ``ci``, ``horizon``), ``calibration`` (``citl``, ``citl_ci``,
``slope``, ``slope_ci``, ``groups``), ``decision_curve``; and ``flow``,
``per_center``, ``pooled``, ``options``, ``warnings``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from spinestats.analysis.core.result import to_jsonable
from spinestats.analysis.core.surv_input import EventData, event_data
from spinestats.analysis.prediction.decision_curve import DecisionCurveResult, decision_curve
from spinestats.analysis.prediction.pooled_validation import C_NAMES, POOLED_NAMES, pool_c_indices, pool_validation
from spinestats.analysis.prediction.validation_measures import ValidationMeasuresResult, validation_measures
from spinestats.data_schemas.risk_model import load_risk_model, model_file
from spinestats.errors import DataError, UsageError
from spinestats.reports.job import JobContext, JobInput, JobOptions, run_by_keywords
from spinestats.reports.section import Section
from spinestats.text_numbers import to_numeric

RISK = "_predicted_risk"
TIME, STATUS = "_time", "_status"
UNITS = ("months", "days", "years")
REFERENCES = (
    "Harrell FE, Lee KL, Mark DB. Multivariable prognostic models. Stat Med 1996;15:361-87. "
    "doi:10.1002/(SICI)1097-0258(19960229)15:4<361::AID-SIM168>3.0.CO;2-4",
    "Uno H, Cai T, Pencina MJ, et al. On the C-statistics for evaluating overall adequacy of risk prediction "
    "procedures with censored survival data. Stat Med 2011;30:1105-17. doi:10.1002/sim.4154",
    "Wolbers M, Koller MT, Witteman JCM, Steyerberg EW. Prognostic models with competing risks. "
    "Epidemiology 2009;20:555-61. doi:10.1097/EDE.0b013e3181a39056",
    "Blanche P, Dartigues JF, Jacqmin-Gadda H. Estimating and comparing time-dependent areas under receiver "
    "operating characteristic curves for censored event times with competing risks. Stat Med 2013;32:5381-97. "
    "doi:10.1002/sim.5958",
    "Van Calster B, McLernon DJ, van Smeden M, et al. Calibration: the Achilles heel of predictive analytics. "
    "BMC Med 2019;17:230. doi:10.1186/s12916-019-1466-7",
    "Vickers AJ, Elkin EB. Decision curve analysis: a novel method for evaluating prediction models. "
    "Med Decis Making 2006;26:565-74. doi:10.1177/0272989X06295361",
    "Debray TPA, Damen JAAG, Snell KIE, et al. A guide to systematic review and meta-analysis of prediction "
    "model performance. BMJ 2017;356:i6460. doi:10.1136/bmj.i6460",
    "Therneau T, Atkinson E. Concordance. Vignette of the R package survival (the infinitesimal jackknife "
    "variance of the concordance).",
)


def load_model(path: str | Path):
    """A risk model JSON, read and checked by :func:`spinestats.data_schemas.risk_model.load_risk_model` (the
    input layer, the same refusals as ``spinestats predict``) and built by the statistics layer.

    Kept here for the callers of its former home; new code calls ``load_risk_model(path, build=model_from_json)``.
    """
    from spinestats.analysis.prediction.risk_model import model_from_json

    return load_risk_model(path, build=model_from_json)


def _codes(event_codes, status: pd.Series) -> tuple[int, int]:
    """``(cause, censor)`` from ``--event-codes`` or the codes present."""
    from spinestats.reports.survival_job import parse_event_codes

    codes = parse_event_codes(event_codes)
    censor = codes["CENSOR"][0]
    if codes["EVENT"]:
        return codes["EVENT"][0], censor
    found = sorted({int(v) for v in status.dropna().unique()} - {censor})
    if len(found) == 1:
        return found[0], censor
    raise UsageError(f"the event column has the codes {found} besides censored ({censor}); name the event of "
                     "interest with --event-codes EVENT=1,COMPETING=2,CENSOR=0.")


def _exclude(df: pd.DataFrame, mask, reason, log: list[dict]) -> pd.DataFrame:
    mask = np.asarray(mask, dtype=bool)
    for line, r in zip(df.index[mask], reason if isinstance(reason, list) else [reason] * int(mask.sum())):
        log.append({"line": int(line) if isinstance(line, (int, np.integer)) else str(line), "reason": r})
    return df[~mask]


@dataclasses.dataclass(frozen=True)
class ValidateOptions(JobOptions):
    """Options of the validation job (plan type ``validate``; ``spinestats validate``).

    Attributes
    ----------
    time, event : columns of follow-up time and event code (required).
    event_codes : ``EVENT=1,COMPETING=2,CENSOR=0`` or a mapping of them (default: censor 0 and the one other
        code found is the event).
    risk : column of predicted risks in [0, 1]; or
    model : a risk model JSON (``spinestats fracture``) applied to the table's covariates (exactly one of the two).
    horizon : prediction horizon in ``unit`` (default: the model's).
    unit : unit of the time column (``months``, ``days``, ``years``; labels only).
    group : centre column: per-centre measures and their REML pooling.
    outcome : name of the event in figure labels.
    conf_level : confidence level of every interval.
    """

    time: str | None = None
    event: str | None = None
    event_codes: str | Mapping[str, Any] | None = None
    risk: str | None = None
    model: Path | None = None
    horizon: float | None = None
    unit: str = "months"
    group: str | None = None
    outcome: str = "event"
    conf_level: float = 0.95


OPTIONS = ValidateOptions


@dataclasses.dataclass(frozen=True)
class Prepared:
    """The rows validated, parsed once (``events``), with the exclusion log and the resolved settings."""

    frame: pd.DataFrame
    events: EventData
    log: tuple[dict, ...]
    horizon: float
    cause: int
    censor: int
    risk_label: str
    rows: int
    loader_excluded: int
    warnings: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class Validation:
    """What the job computed: the prepared rows, the measures overall and by centre, and ``results.json``."""

    prepared: Prepared
    overall: ValidationMeasuresResult
    decision: DecisionCurveResult
    per_centre: tuple[dict, ...]
    results: dict[str, Any]


def _table(inputs: JobInput) -> tuple[pd.DataFrame, int]:
    """The input DataFrame and the number of rows the loader excluded (a table with errors is refused)."""
    data, table = inputs.data, inputs.table
    if hasattr(data, "data") and hasattr(data, "exclusions"):  # a LoadedTable given as data
        table, data = data, data.data
    if data is None:
        raise UsageError("validate: no data given.")
    if getattr(table, "errors", ()):
        raise DataError("the table has errors:\n" + "\n".join(p.message() for p in table.errors),
                        problems=table.errors)
    if not isinstance(data, pd.DataFrame):
        raise UsageError(f"validate expects a table, got {type(data).__name__}.")
    return data, len(tuple(getattr(table, "exclusions", ()) or ()))


def _check(data: pd.DataFrame, o: ValidateOptions) -> None:
    """The options' usage errors, in flag wording (the command line is the first caller)."""
    if o.time is None or o.event is None:
        raise UsageError("validate: give --time and --event (the follow-up time and event code columns).")
    if (o.risk is None) == (o.model is None):
        raise UsageError("validate: give exactly one of --risk COLUMN (predicted risks) or --model MODEL.json.")
    if o.unit not in UNITS:
        raise UsageError(f"--unit: expected one of {', '.join(UNITS)}, got {o.unit!r}.")
    from spinestats.analysis.core.params import check_column

    for col, opt in ((o.time, "--time"), (o.event, "--event"), (o.risk, "--risk"), (o.group, "--group")):
        if col is not None:
            check_column(data, col, opt.lstrip("-"), flag=opt)
    if not 0 < o.conf_level < 1:
        raise UsageError(f"conf_level must lie between 0 and 1; got {o.conf_level}.")


def _model_and_horizon(o: ValidateOptions, data_path: Path | None) -> tuple[Any, float]:
    """The risk model (or None) and the horizon: the model's own, or the one given."""
    rm, horizon = None, o.horizon
    if o.model is not None:
        rm = load_model(model_file(o.model, data_path))
        if horizon is None:
            horizon = rm.horizon
        elif float(horizon) != float(rm.horizon):
            raise UsageError(f"--horizon {horizon:g}: the model predicts the risk by {rm.horizon:g} {rm.time_unit}; "
                             "validate it at its own horizon (omit --horizon).")
    if horizon is None:
        raise UsageError("--horizon: give the prediction horizon (in --unit) of the predicted risks.")
    horizon = float(horizon)
    if not horizon > 0 or not math.isfinite(horizon):
        raise UsageError(f"--horizon must be a positive number; got {horizon!r}.")
    return rm, horizon


def _with_risk(d: pd.DataFrame, o: ValidateOptions, rm: Any, log: list[dict]) -> tuple[pd.DataFrame, str]:
    """The rows with a usable predicted risk (from the model or the column) in ``RISK``; the others to the log."""
    if rm is not None:
        from spinestats.analysis.prediction.risk_model import predict_risk
        from spinestats.analysis.scores.sins import COMPONENTS
        from spinestats.reports.fracture_job import SINS_DERIVED, derive_covariates

        used = list(dict.fromkeys(c["column"] for c in rm.coding))
        if set(used) & set(SINS_DERIVED) and all(c in d.columns for c in COMPONENTS):
            d = _exclude(d, d[list(COMPONENTS)].isna().any(axis=1), "missing SINS component", log)
            d = derive_covariates(d)
        missing_cols = [c for c in used if c not in d.columns]
        if missing_cols:
            raise UsageError(f"--model: the model uses column(s) {missing_cols} that the file does not have.")
        d = _exclude(d, d[used].isna().any(axis=1), f"missing model covariate ({', '.join(used)})", log)
        d[RISK] = predict_risk(rm, d, conf_level=o.conf_level).risk if len(d) else []
        return d, f"model {Path(o.model).name}"
    risk = o.risk
    raw = d[risk]
    num = to_numeric(raw, errors="coerce")
    d = _exclude(d, raw.isna(), f"missing {risk}", log)
    num = num.loc[d.index]
    d = _exclude(d, num.isna(), f"{risk} is not a number", log)
    num = num.loc[d.index].astype(float)
    out = ~np.isfinite(num) | (num < 0) | (num > 1)
    reasons = [f"{risk} {v:g} is outside [0, 1] (a predicted risk is a probability)" for v in num[out]]
    d = _exclude(d, out, reasons, log)
    d[RISK] = num.loc[d.index]
    return d, f"column {risk}"


def prepare(data: pd.DataFrame, o: ValidateOptions, data_path: Path | None = None, loader_excluded: int = 0) -> Prepared:
    """The rows to validate (every other row in the exclusion log with its reason), parsed once into an EventData."""
    rm, horizon = _model_and_horizon(o, data_path)
    log: list[dict] = []
    warnings: list[str] = []
    d = data.copy()
    d[TIME] = to_numeric(d[o.time], errors="coerce")
    d[STATUS] = to_numeric(d[o.event], errors="coerce")
    d = _exclude(d, d[o.time].isna() | d[o.event].isna(), f"missing {o.time} or {o.event}", log)
    d = _exclude(d, d[TIME].isna() | d[STATUS].isna(), f"{o.time} or {o.event} is not a number", log)
    if o.group is not None:
        d = _exclude(d, d[o.group].isna(), f"missing {o.group}", log)
    d, risk_label = _with_risk(d, o, rm, log)
    if log:
        warnings.append(f"{len(log)} row(s) were left out of the validation (see the exclusion log): "
                        + "; ".join(f"{n} {r}" for r, n in pd.Series([e['reason'] for e in log]).value_counts().items())
                        + ".")
    if len(d) == 0:
        raise DataError("no row left to validate: every row is in the exclusion log.")
    cause, censor = _codes(o.event_codes, d[STATUS])
    last = float(d[TIME].max())
    if horizon > last:
        raise UsageError(f"--horizon {horizon:g} {o.unit} lies beyond the last follow-up ({last:g} {o.unit}); "
                         "choose a horizon within the follow-up.")
    # the one parse of the table: every measure below is given this EventData
    events = event_data(d, time=TIME, event=STATUS, censor=censor, extra=(RISK,))  # negative times refused here
    if o.event_codes is not None:
        _check_declared(events.status, sorted({cause, *_competing(o.event_codes)}), censor, o.event)
    if d[RISK].isin([0.0, 1.0]).any():
        warnings.append("some predicted risks are exactly 0 or 1; their logit is taken at 1e-12 from the bound "
                        "for calibration only.")
    return Prepared(d, events, tuple(log), horizon, cause, censor, risk_label, int(len(data)) + loader_excluded,
                    loader_excluded, tuple(warnings))


def _check_declared(status: np.ndarray, causes: list[int], censor: int, event: str) -> None:
    """Refuse an event code outside ``--event-codes`` (checked on the parsed codes, not by a second parse)."""
    allowed = set(causes) | {int(censor)}
    bad = sorted(set(np.asarray(status).tolist()) - allowed)
    if bad:
        raise DataError(f"event column '{event}': found code(s) {bad} outside the declared set {sorted(allowed)} "
                        f"(censor = {censor}); declare them with --event-codes or fix the data.")


def _by_centre(p: Prepared, o: ValidateOptions, warnings: list[str]) -> tuple[list[tuple[str, Any]], dict[str, str]]:
    """Every centre's measures (its own table, parsed once) and the centres that could not be validated."""
    per: list[tuple[str, Any]] = []
    skipped: dict[str, str] = {}
    for c, g in p.frame.groupby(o.group, sort=True):
        try:
            m = validation_measures(g, time=TIME, event=STATUS, risk=RISK, horizon=p.horizon, cause=p.cause,
                                    censor=p.censor, conf_level=o.conf_level, where=f"centre {c}: ")
        except DataError as exc:
            warnings.append(f"centre {c}: not validated ({exc})")
            skipped[str(c)] = str(exc)
            continue
        warnings.extend(m.warnings)
        per.append((str(c), m))
    return per, skipped


def _centre_entry(centre: str, m: ValidationMeasuresResult) -> dict[str, Any]:
    """A centre's entry of ``per_center``: its measures without the calibration groups."""
    entry = m.to_dict()
    entry["calibration"] = {k: v for k, v in entry["calibration"].items() if k != "groups"}
    return {"center": centre, **entry}


def _pooled(per: list[tuple[str, Any]], skipped: dict[str, str], o: ValidateOptions,
            warnings: list[str]) -> dict[str, Any]:
    """``per_center``, ``pooled`` (AUC, Brier, calibration) and ``c_index_pooled`` of the results."""
    out: dict[str, Any] = {"per_center": [_centre_entry(c, m) for c, m in per], "pooled": None}
    if len(per) >= 2:
        pooled = pool_validation(per, conf_level=o.conf_level)
        out["pooled"] = {k: None if v is None else v.to_dict() for k, v in pooled.measures.items()}
        warnings.extend(pooled.warnings)
    else:
        warnings.append("fewer than 2 centres could be validated: nothing was pooled.")
    c_pooled = pool_c_indices(per, skipped, conf_level=o.conf_level)
    out["c_index_pooled"] = {k: v.to_dict() for k, v in c_pooled.measures.items()}
    warnings.extend(c_pooled.warnings)
    return out


def _flow(p: Prepared) -> dict[str, Any]:
    """Rows given, excluded (by reason) and analysed; events, competing events and censorings."""
    st = p.events.status
    reasons = pd.Series([e["reason"] for e in p.log], dtype=object).value_counts()
    return {"rows": p.rows, "excluded_at_loading": p.loader_excluded, "excluded": len(p.log),
            "analysed": int(len(p.frame)), "exclusion_reasons": {str(r): int(n) for r, n in reasons.items()},
            "events": int(np.sum(st == p.cause)), "competing": int(np.sum((st != p.cause) & (st != p.censor))),
            "censored": int(np.sum(st == p.censor)), "last_follow_up": float(p.frame[TIME].max())}


def compute(inputs: JobInput, o: ValidateOptions) -> Validation:
    """Every measure overall and (with ``group``) by centre with their pooling; ``results.json`` of the section."""
    data, loader_excluded = _table(inputs)
    _check(data, o)
    p = prepare(data, o, inputs.paths[0] if inputs.paths else None, loader_excluded)
    warnings = list(p.warnings)
    k = dict(time=TIME, event=STATUS, risk=RISK, horizon=p.horizon, cause=p.cause, censor=p.censor)
    overall = validation_measures(p.events, **k, conf_level=o.conf_level)
    warnings.extend(overall.warnings)
    dc = decision_curve(p.events, **k)
    results: dict[str, Any] = {
        "flow": _flow(p), "risk": p.risk_label, "cause": p.cause, "censor": p.censor, "unit": o.unit,
        **{name: v for name, v in overall.to_dict().items() if name not in ("n", "events_by_horizon")},
        "decision_curve": dc.to_dict(),
    }
    if o.group is not None:
        results.update(_pooled(*_by_centre(p, o, warnings), o, warnings))
    results["options"] = {"time": o.time, "event": o.event, "event_codes": o.event_codes, "risk": o.risk,
                          "model": None if o.model is None else Path(o.model).name, "horizon": p.horizon,
                          "unit": o.unit, "group": o.group, "conf_level": o.conf_level}
    results["warnings"] = list(dict.fromkeys(warnings))
    return Validation(p, overall, dc, tuple(results.get("per_center", ())), to_jsonable(results))


def _section(v: Validation, o: ValidateOptions, context: JobContext, figures=(), tables=()) -> Section:
    return Section(key=context.key or "validate", title=context.title or "Validation of a risk prediction",
                   results=v.results, figures=tuple(figures), tables=tuple(tables),
                   warnings=tuple(v.results["warnings"]),
                   methods=tuple(_methods(v.prepared.horizon, o.unit, v.prepared.risk_label, o.group, o.conf_level)),
                   references=REFERENCES)


def analyse(inputs: JobInput, options: ValidateOptions, context: JobContext) -> Section:
    """Validate the predicted risk (see the module docstring): compute, then figures, tables and methods."""
    v = compute(inputs, options)
    figures = write_figures(v, options, context)
    tables = write_tables(v, options, context)
    return _section(v, options, context, figures, tables)


def _compute_only(inputs: JobInput, options: ValidateOptions, context: JobContext) -> Section:
    """:func:`analyse` without writing files (``run`` without ``out_dir``)."""
    return _section(compute(inputs, options), options, context)


def run(data: Any = None, out_dir: str | Path | None = None, **keywords: Any) -> Section:
    """Validate a predicted risk by keyword: the options of :class:`ValidateOptions` and the settings of
    :class:`~spinestats.reports.job.JobContext` (``key``, ``figure_formats``, ``dpis``, ...); ``table=`` a
    loaded table.  Without ``out_dir`` nothing is written (the results only).
    """
    if out_dir is None:
        return run_by_keywords(_compute_only, ValidateOptions, data=data, where="validate", **keywords)
    return run_by_keywords(analyse, ValidateOptions, data=data, out_dir=out_dir, where="validate", **keywords)


def _competing(event_codes) -> list[int]:
    from spinestats.reports.survival_job import parse_event_codes

    return parse_event_codes(event_codes)["COMPETING"]


def _per_centre_table(per: list[dict], horizon: float, unit: str, conf_level: float):
    """Validation by centre: C-indices, AUC(t) and Brier(t) with their CIs, calibration (a formatted Table)."""
    from spinestats.reports.tables import Col, Table

    lvl = f"{100 * conf_level:g}%"
    nan = float("nan")

    def num(x):
        return nan if x is None else float(x)

    rows = []
    for r in per:
        c, a, b, k = r["c_index"], r["time_auc"], r["brier"], r["calibration"]
        rows.append({"centre": r["center"], "n": r["n"], "events": r["events_by_horizon"],
                     "harrell": num(c["harrell"]), "harrell_lower": num(c["harrell_ci"][0]),
                     "harrell_upper": num(c["harrell_ci"][1]), "harrell_se": num(c["harrell_se"]),
                     "uno": num(c["uno"]), "uno_lower": num(c["uno_ci"][0]), "uno_upper": num(c["uno_ci"][1]),
                     "uno_se": num(c["uno_se"]),
                     "time_auc": num(a["estimate"]), "time_auc_lower": num(a["ci"][0]), "time_auc_upper": num(a["ci"][1]),
                     "brier": num(b["estimate"]), "brier_lower": num(b["ci"][0]), "brier_upper": num(b["ci"][1]),
                     "citl": num(k["citl"]), "citl_lower": num(k["citl_ci"][0]), "citl_upper": num(k["citl_ci"][1]),
                     "slope": num(k["slope"]), "slope_lower": num(k["slope_ci"][0]),
                     "slope_upper": num(k["slope_ci"][1])})
    h = f"{horizon:g} {unit}"
    na = "n.e."
    cols = (Col("centre", "Centre"), Col("n", "Patients", "int"), Col("events", f"Events by {h}", "int"),
            Col("harrell", f"Harrell's C ({lvl} CI)", "ci", "harrell_lower", "harrell_upper", na=na),
            Col("uno", f"Uno's C to {h} ({lvl} CI)", "ci", "uno_lower", "uno_upper", na=na),
            Col("time_auc", f"AUC at {h} ({lvl} CI)", "ci", "time_auc_lower", "time_auc_upper", na=na),
            Col("brier", f"Brier score at {h} ({lvl} CI)", "ci", "brier_lower", "brier_upper", na=na),
            Col("citl", f"Calibration-in-the-large ({lvl} CI)", "ci", "citl_lower", "citl_upper", na=na),
            Col("slope", f"Calibration slope ({lvl} CI)", "ci", "slope_lower", "slope_upper", na=na))
    notes = ("C-indices with Wald CIs from the infinitesimal-jackknife standard error (as R survival concordance); "
             "AUC and Brier score with Wald CIs from the influence function (as riskRegression Score); calibration "
             "from the weighted logistic recalibration.",
             f"{na}, not estimable in that centre (no event, a single patient, no comparable pair or no event-free "
             "patient at the horizon); the reason is given in the warnings.")
    return Table(pd.DataFrame(rows), cols, "Validation by centre", notes, "per_centre")


def _pooled_table(results: dict[str, Any], horizon: float, unit: str, conf_level: float):
    """The pooled measures across centres (a formatted Table), or ``None`` when nothing was pooled."""
    from spinestats.reports.tables import Col, Table

    lvl = f"{100 * conf_level:g}%"
    h = f"{horizon:g} {unit}"
    names = {"harrell": "Harrell's C", "uno": f"Uno's C to {h}", "time_auc": f"AUC at {h}",
             "brier": f"Brier score at {h}", "calibration_citl": "Calibration-in-the-large",
             "calibration_slope": "Calibration slope"}
    blocks = [(n, (results.get("c_index_pooled") or {}).get(n)) for n in C_NAMES]
    blocks += [(n, (results.get("pooled") or {}).get(n)) for n in POOLED_NAMES]
    rows = []
    for name, b in blocks:
        if not b or b.get("estimate") is None:
            continue
        ci, pi = b["ci"], b["prediction_interval"]
        rows.append({"measure": names[name], "k": b["k"], "estimate": b["estimate"], "lower": ci[0], "upper": ci[1],
                     "pi": b["estimate"], "pi_lower": pi[0], "pi_upper": pi[1],
                     "scale": "logit" if b.get("scale") == "logit" else "untransformed",
                     "tau2": b["tau2"], "i2": b["i2"], "q": b.get("q"), "q_p": b.get("q_p"),
                     "p": b.get("p") if name in C_NAMES else None})
    if not rows:
        return None
    cols = (Col("measure", "Measure"), Col("k", "Centres", "int"),
            Col("estimate", f"Pooled ({lvl} CI)", "ci", "lower", "upper"),
            Col("pi", f"{lvl} prediction interval", "ci", "pi_lower", "pi_upper"),
            Col("tau2", "\u03c4\u00b2", "num", digits=3), Col("i2", "I\u00b2 (%)", "pct", digits=1),
            Col("q_p", "p (heterogeneity)", "p"), Col("p", "p (C = 0.5)", "p"))
    notes = ("Random-effects meta-analysis (REML) with the Knapp\u2013Hartung correction; C-indices and AUC pooled on "
             "the logit scale and back-transformed (\u03c4\u00b2 on the logit scale), the others untransformed; the "
             "prediction interval is for the value in a new centre; p (heterogeneity) from Cochran's Q; p (C = 0.5) "
             "tests a pooled C-index of 0.5 (no discrimination).",
             "Centres without a usable estimate are left out of that measure (named in the warnings).")
    return Table(pd.DataFrame(rows), cols, "Validation measures pooled across centres", notes, "pooled")


def write_figures(v: Validation, o: ValidateOptions, context: JobContext) -> list[Path]:
    """The calibration plot (when calibration is defined) and the decision curve, in every format asked for."""
    from spinestats.reports import fracture_figures as ff
    from spinestats.reports.figure_style import DEFAULT_DPIS, DEFAULT_FORMATS, save_figure

    formats = context.figure_formats
    if formats is not None and [f for f in formats if f != "none"] == []:
        return []
    out, key, cal = context.out_dir, context.key or "validate", v.overall.calibration_fit
    builders = {f"{key}_decision_curve": lambda: ff.decision_curve_figure(v.decision, outcome=o.outcome, unit=o.unit)}
    if cal is not None:
        builders[f"{key}_calibration"] = lambda: ff.calibration_figure(cal, outcome=o.outcome, unit=o.unit)
    figs: list[Path] = []
    for stem, build in builders.items():
        drawn = build()
        figs.extend(p.relative_to(out) for p in save_figure(drawn.figure, out / "figures", stem,
                                                            formats=formats or DEFAULT_FORMATS,
                                                            dpis=context.dpis or DEFAULT_DPIS))
    return figs


def write_tables(v: Validation, o: ValidateOptions, context: JobContext) -> list[Path]:
    """The exclusion log and, by centre, the per-centre and pooled tables (CSV; the command adds the formats)."""
    from spinestats.reports.tables import write_table

    out, key, horizon = context.out_dir, context.key or "validate", v.prepared.horizon
    tdir = out / "tables"
    tabs: list[Path] = []
    if v.prepared.log:
        frame = pd.DataFrame(list(v.prepared.log), columns=["line", "reason"]).rename(
            columns={"line": "Line", "reason": "Reason"})
        tabs += write_table(frame, tdir, f"{key}_exclusions", ["csv"], title="Exclusion log")
    if v.per_centre:
        per = list(v.per_centre)
        tabs += write_table(_per_centre_table(per, horizon, o.unit, o.conf_level), tdir, f"{key}_per_centre", ["csv"])
        pooled = _pooled_table(v.results, horizon, o.unit, o.conf_level)
        if pooled is not None:
            tabs += write_table(pooled, tdir, f"{key}_pooled", ["csv"])
    return [p.relative_to(out) for p in tabs]


def _methods(horizon: float, unit: str, risk_label: str, group: str | None, conf_level: float) -> list[str]:
    lvl = f"{100 * conf_level:g}%"
    s = [f"The predicted risk ({risk_label}) of the event by {horizon:g} {unit} was validated with Harrell's C and "
         f"Uno's C truncated at {horizon:g} {unit} (competing events kept comparable with every event, as Wolbers "
         f"et al.; {lvl} Wald CIs from the infinitesimal-jackknife standard error, as R survival's concordance), the time-dependent AUC and Brier score at the horizon with inverse probability of censoring "
         f"weights (Kaplan-Meier of the censoring times; {lvl} Wald CIs from the influence function including the "
         "estimation of the censoring distribution, as riskRegression Score), calibration-in-the-large and the "
         "calibration slope (weighted logistic recalibration) with a grouped calibration plot (Aalen-Johansen "
         "observed risks), and a decision curve.",
         "Rows with a missing or invalid time, event or predicted risk (outside 0-1) were excluded and listed with "
         "their reason in the exclusion log."]
    if group:
        s.append("Measures were computed per centre and pooled by REML random-effects meta-analysis with the "
                 "Knapp-Hartung correction (AUC on the logit scale), as Debray et al.; Harrell's and Uno's C were "
                 "pooled on the logit scale with their infinitesimal-jackknife standard errors (as R survival's "
                 "concordance), leaving out centres where the C-index is undefined or equal to 0 or 1.")
    return s



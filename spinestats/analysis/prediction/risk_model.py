"""A fracture risk model at a horizon: fit, save as JSON, load, predict with a CI.

Models
------
``"finegray"`` (default): Fine-Gray subdistribution hazards
(:func:`spinestats.analysis.competing_risks.finegray.fine_gray`, equal to cmprsk ``crr``).
The risk by the horizon ``h`` is the cumulative incidence of fracture with
death as a competing risk,

.. math::

    F(h \\mid x) = 1 - \\exp\\{-\\Lambda_{c}(h)\\, e^{(x - \\bar x)^\\top\\beta}\\},

with ``Lambda_c`` the baseline cumulative subdistribution hazard at the mean
covariate vector ``x_bar`` of the development data (``crr``'s ``bfitj``
jumps times ``exp(x_bar' beta)``); this equals ``predict.crr``.

``"firth"``: Firth logistic regression of "fracture by ``h``"
(:mod:`spinestats.analysis.prediction.firth`); patients censored before ``h`` without a
fracture have unknown status and are left out (counted in ``excluded``);
those who died fracture-free before ``h`` count as no fracture.  Risk
``expit(x' beta)``.

Confidence interval of a patient's risk (delta method)
------------------------------------------------------
Fine-Gray: on the complementary log-log scale ``g = log Lambda_c(h) + (x -
x_bar)' beta`` with

.. math::

    \\operatorname{Var}(g) \\approx (x-\\bar x)^\\top V (x-\\bar x)
      + \\frac{\\sum_{t_k \\le h} \\Delta\\Lambda_c(t_k)^2 / d_k}{\\Lambda_c(h)^2},

``V`` the sandwich covariance of ``beta`` and the second term the Aalen-type
variance of the baseline (``d_k`` fractures at ``t_k``); the interval is
``1 - exp(-exp(g +- z sd))``.  It ignores the covariance of ``beta`` with the
baseline (smallest at ``x_bar``, which is why the baseline is centred) and
the uncertainty of the censoring weights: an approximation, narrower than a
bootstrap interval in small cohorts.  Firth: ``expit(x' beta +- z sqrt(x' V
x))`` with ``V`` the inverse Fisher information.

The JSON file (schema ``data_schemas/risk_model.schema.json``) holds the
coefficients, covariance, baseline, variable coding, horizon, time unit,
package and schema versions: everything ``predict`` needs, and no patient
data.  Models are never pickled.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd
from spinestats.analysis.core import distributions as stats
from scipy.special import expit

from spinestats import __version__
from spinestats.analysis.core.newton import inverse_information
from spinestats.analysis.competing_risks.finegray import FineGray, fine_gray
from spinestats.analysis.prediction.firth import LogisticResult, logistic_regression
from spinestats.analysis.core.result import Result, to_jsonable
from spinestats.analysis.core.surv_input import design_matrix, event_data, group_levels
from spinestats.errors import DataError, UsageError

SCHEMA_VERSION = 1
FORMAT = "spinestats-risk-model"
MODEL_TYPES = ("finegray", "firth")


@dataclasses.dataclass(frozen=True)
class RiskModelResult(Result):
    """A saved-able risk model (see module docstring).

    Attributes
    ----------
    model_type : ``"finegray"`` or ``"firth"``.
    outcome, cause, horizon, time_unit : what is predicted: the probability of
        ``outcome`` (event code ``cause``) within ``horizon`` ``time_unit``.
    terms, coefficients, covariance : the linear predictor (Firth: intercept first).
    coding : per term ``{"term", "column", "kind", "level"}``; kind is
        ``numeric``, ``boolean`` (level ``true``) or ``category`` (indicator of ``level``).
    center : covariate means (Fine-Gray; zeros for Firth).
    baseline : Fine-Gray ``{"time", "hazard", "events"}`` (jumps of the
        centred baseline cumulative subdistribution hazard); Firth ``{}``.
    n, events : development patients and events; excluded : rows left out.
    """

    model_type: str
    outcome: str
    cause: int
    horizon: float
    time_unit: str
    terms: tuple[str, ...]
    coefficients: tuple[float, ...]
    covariance: tuple[tuple[float, ...], ...]
    coding: tuple[dict, ...]
    center: tuple[float, ...]
    baseline: dict
    n: int
    events: int
    excluded: int
    package_version: str
    schema_version: int
    warnings: tuple[str, ...]

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"term": self.terms, "coefficient": self.coefficients})


#: the former name, kept as an alias
RiskModel = RiskModelResult


@dataclasses.dataclass(frozen=True)
class RiskPredictionResult(Result):
    """Each patient's predicted risk at the horizon with its CI (index = input index)."""

    index: tuple
    risk: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    horizon: float
    conf_level: float

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {"risk": self.risk, "lower": self.lower, "upper": self.upper}, index=pd.Index(self.index)
        )


#: the former name, kept as an alias
RiskPrediction = RiskPredictionResult


def _coding(data: pd.DataFrame, covariates: Sequence[str], names: Sequence[str]) -> tuple[dict, ...]:
    out = []
    for name in names:
        for c in covariates:
            col = data[c]
            if pd.api.types.is_bool_dtype(col) and name == f"{c}TRUE":
                out.append({"term": name, "column": c, "kind": "boolean", "level": True})
                break
            if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col) and name == c:
                out.append({"term": name, "column": c, "kind": "numeric", "level": None})
                break
            if not pd.api.types.is_numeric_dtype(col) and name.startswith(c) and not pd.api.types.is_bool_dtype(col):
                present = group_levels(col.dropna().to_numpy())
                if isinstance(col.dtype, pd.CategoricalDtype):  # a factor: its first level present, as design_matrix
                    present = [lv for lv in col.cat.categories if lv in set(present)]
                reference = str(present[0])
                out.append({"term": name, "column": c, "kind": "category", "level": name[len(c):], "reference": reference})
                break
    return tuple(out)


def design_from_coding(coding: Sequence[dict], data: pd.DataFrame) -> np.ndarray:
    """Design matrix (one column per coded term, no intercept) for new data.

    Raises :class:`DataError` for a missing column, a missing value, or a
    category level the model has not seen.
    """
    cols, problems = [], []
    known: dict[str, set] = {}
    for c in coding:
        if c["kind"] == "category":
            known.setdefault(c["column"], {str(c["reference"])}).add(str(c["level"]))
    raw: dict[str, np.ndarray] = {}
    for c in coding:
        col = c["column"]
        if col not in data.columns:
            problems.append(f"column '{col}' (model term '{c['term']}') is missing")
            continue
        if col not in raw:
            raw[col] = data[col].to_numpy()
        v = raw[col]
        missing = pd.isna(v)
        if missing.any():
            problems.append(f"column '{col}' has missing values at rows {data.index[missing].tolist()[:10]}")
            continue
        if c["kind"] == "numeric":
            if v.dtype.kind not in "iuf":
                try:
                    v = v.astype(float)
                except (TypeError, ValueError):
                    problems.append(f"column '{col}' must be numeric; found {data[col].dtype}")
                    continue
            cols.append(v.astype(float))
        elif c["kind"] == "boolean":
            cols.append(v.astype(bool).astype(float))
        else:
            cols.append((v.astype(str) == str(c["level"])).astype(float))
    for col, levels in known.items():
        if col in raw:
            unseen = set(np.unique(raw[col][~pd.isna(raw[col])].astype(str)).tolist()) - levels
            if unseen:
                problems.append(f"column '{col}' has level(s) {sorted(unseen)} the model does not know; expected one of {sorted(levels)}")
    if problems:
        raise DataError("the data do not fit the model's variable coding:\n  " + "\n  ".join(problems))
    return np.column_stack(cols) if cols else np.zeros((len(data), 0))


def _binary_by_horizon(time: np.ndarray, status: np.ndarray, cause: int, censor: int, horizon: float):
    """y (fracture by horizon) and a mask of known status."""
    y = ((time <= horizon) & (status == cause)).astype(float)
    known = ~((time <= horizon) & (status == censor))
    return y, known


def fit_risk_model(
    data: pd.DataFrame,
    *,
    time: str,
    event: str,
    covariates: Sequence[str],
    horizon: float,
    model: str = "finegray",
    cause: int = 1,
    censor: int = 0,
    time_unit: str = "months",
    outcome: str = "vertebral compression fracture",
    profile: bool = True,
) -> tuple[RiskModel, FineGray | LogisticResult]:
    """Fit a risk model and return it with the underlying fit.

    Parameters
    ----------
    data : one row per patient.
    time, event : follow-up (``time_unit`` from irradiation) and event code
        (``censor``, ``cause`` = fracture, other = competing death).
    covariates : columns (numeric, boolean or categorical).
    horizon : prediction horizon (``time_unit``).
    model : ``"finegray"`` (default) or ``"firth"``.
    profile : Firth only: compute profile-likelihood CIs (skip in bootstrap refits).
    """
    if model not in MODEL_TYPES:
        raise UsageError(f"risk model must be one of {', '.join(MODEL_TYPES)}; got {model!r}")
    if not horizon or horizon <= 0:
        raise UsageError(f"horizon must be > 0; got {horizon!r}")
    covariates = list(covariates)
    # positional selection of complete rows (a bootstrap sample repeats index labels)
    complete = ~data[[time, event, *covariates]].isna().any(axis=1).to_numpy()
    if model == "finegray":
        ed = event_data(data, time=time, event=event, censor=censor, extra=tuple(covariates))
        fit = fine_gray(ed, time=time, event=event, covariates=covariates, cause=cause, censor=censor)  # parse once
        X, names = design_matrix(data[complete], covariates)
        center = X.mean(axis=0)
        beta = np.asarray(fit.coef, dtype=float)
        d_k = _events_at(ed.time[ed.status == cause], np.asarray(fit.uftime, dtype=float))
        baseline = {
            "time": fit.uftime.tolist(),
            "hazard": (np.asarray(fit.bfitj) * np.exp(center @ beta)).tolist(),
            "events": d_k.tolist(),
        }
        rm = RiskModelResult(
            model_type=model, outcome=outcome, cause=int(cause), horizon=float(horizon), time_unit=time_unit,
            terms=tuple(fit.terms), coefficients=tuple(float(b) for b in beta),
            covariance=tuple(tuple(float(v) for v in row) for row in np.asarray(fit.var)),
            coding=_coding(data, covariates, fit.terms), center=tuple(float(c) for c in center),
            baseline=baseline, n=fit.n, events=fit.n_event, excluded=len(fit.excluded),
            package_version=__version__, schema_version=SCHEMA_VERSION, warnings=tuple(fit.warnings),
        )
        return rm, fit
    ed = event_data(data, time=time, event=event, censor=censor, extra=tuple(covariates))
    sub = data[complete]
    y, known = _binary_by_horizon(ed.time, ed.status, cause, censor, horizon)
    X, names = design_matrix(sub, covariates)
    frame = pd.DataFrame(X[known], columns=names, index=sub.index[known])
    frame["__y__"] = y[known]
    fit = logistic_regression(frame, outcome="__y__", covariates=names, method="firth", profile=profile)
    cov = inverse_information(_fisher_info(np.column_stack([np.ones(int(known.sum())), X[known]]), np.asarray(fit.estimate)))
    unknown = int((~known).sum())
    warnings = list(ed.warnings) + list(fit.warnings)
    if unknown:
        warnings.append(
            f"{unknown} patient(s) censored before {horizon:g} {time_unit} without a fracture have unknown "
            "status and were left out of the logistic model."
        )
    rm = RiskModelResult(
        model_type=model, outcome=outcome, cause=int(cause), horizon=float(horizon), time_unit=time_unit,
        terms=tuple(fit.terms), coefficients=tuple(fit.estimate),
        covariance=tuple(tuple(float(v) for v in row) for row in cov),
        coding=_coding(sub, covariates, names), center=tuple(0.0 for _ in names), baseline={},
        n=fit.n, events=fit.events, excluded=len(ed.excluded) + unknown,
        package_version=__version__, schema_version=SCHEMA_VERSION, warnings=tuple(warnings),
    )
    return rm, fit


def _events_at(event_times: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Number of ``event_times`` equal to each of ``times`` (sorted, distinct): one sort, not one pass per time."""
    out = np.zeros(times.size, dtype=int)
    if times.size and event_times.size:
        k = np.searchsorted(times, event_times)
        hit = k < times.size
        hit[hit] = times[k[hit]] == event_times[hit]
        out += np.bincount(k[hit], minlength=times.size)
    return out


def _fisher_info(X: np.ndarray, beta: np.ndarray) -> np.ndarray:
    p = expit(X @ beta)
    return X.T @ (X * (p * (1 - p))[:, None])


def predict_risk(model: RiskModel, data: pd.DataFrame, *, conf_level: float = 0.95) -> RiskPredictionResult:
    """Each row's risk of the event by ``model.horizon`` with a delta-method CI."""
    X = design_from_coding(model.coding, data)
    beta = np.asarray(model.coefficients, dtype=float)
    V = np.asarray(model.covariance, dtype=float)
    z = stats.norm.ppf(0.5 + conf_level / 2)
    if model.model_type == "finegray":
        Xc = X - np.asarray(model.center, dtype=float)
        t = np.asarray(model.baseline["time"], dtype=float)
        jumps = np.asarray(model.baseline["hazard"], dtype=float)
        d = np.asarray(model.baseline["events"], dtype=float)
        upto = t <= model.horizon
        L = float(jumps[upto].sum())
        if L <= 0:
            zero = np.zeros(len(data))
            return RiskPredictionResult(tuple(data.index), zero, zero, zero, model.horizon, conf_level)
        g = np.log(L) + Xc @ beta
        var = np.einsum("ij,jk,ik->i", Xc, V, Xc) + float(np.sum(jumps[upto] ** 2 / d[upto])) / L**2
        sd = np.sqrt(var)

        def f(x):
            return -np.expm1(-np.exp(x))
    elif model.model_type == "firth":
        X1 = np.column_stack([np.ones(len(data)), X])
        g = X1 @ beta
        sd = np.sqrt(np.einsum("ij,jk,ik->i", X1, V, X1))
        f = expit
    else:
        raise DataError(f"unknown model type {model.model_type!r} in the model file")
    return RiskPredictionResult(
        index=tuple(data.index), risk=f(g), lower=f(g - z * sd), upper=f(g + z * sd),
        horizon=model.horizon, conf_level=conf_level,
    )


def _schema() -> dict:
    text = resources.files("spinestats.data_schemas").joinpath("risk_model.schema.json").read_text("utf-8")
    return json.loads(text)


def model_to_json(model: RiskModel) -> str:
    """The model as JSON text (validated against ``risk_model.schema.json``)."""
    doc = {"format": FORMAT, **to_jsonable(model)}
    doc.pop("warnings", None)
    doc["warnings"] = list(model.warnings)
    import jsonschema

    jsonschema.validate(doc, _schema())
    return json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def model_from_json(text: str) -> RiskModelResult:
    """Read a model saved by :func:`model_to_json` (validated; never unpickled)."""
    import jsonschema

    try:
        doc: dict[str, Any] = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"the model file is not valid JSON ({exc}); expected a file written by --save-model") from exc
    try:
        jsonschema.validate(doc, _schema())
    except jsonschema.ValidationError as exc:
        where = "/".join(map(str, exc.absolute_path)) or "(top level)"
        raise UsageError(f"the model file does not match risk_model.schema.json at {where}: {exc.message}") from exc
    if doc["schema_version"] > SCHEMA_VERSION:
        raise UsageError(
            f"the model file has schema version {doc['schema_version']}, newer than this spinestats "
            f"({__version__}) reads ({SCHEMA_VERSION}); upgrade spinestats"
        )
    doc.pop("format")
    return RiskModelResult(
        **{
            **doc,
            "terms": tuple(doc["terms"]),
            "coefficients": tuple(doc["coefficients"]),
            "covariance": tuple(tuple(r) for r in doc["covariance"]),
            "coding": tuple(doc["coding"]),
            "center": tuple(doc["center"]),
            "warnings": tuple(doc["warnings"]),
        }
    )

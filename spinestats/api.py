"""The public Python API: one DataFrame function per statistic.

``import spinestats as ss`` exposes the functions below by their statistical
names.  Every function takes a :class:`pandas.DataFrame` first and the column
names as keywords (``time=``, ``event=``, ``group=``, ``score=``, ...), checks
its options (a wrong option is a :class:`~spinestats.errors.UsageError` naming
the parameter), and returns a frozen ``*Result`` object with ``to_dict()``,
``to_frame()`` and ``summary()``.  The statistics themselves live in
:mod:`spinestats.analysis`; these wrappers only translate the call.

Naming: ``conf_level`` is the confidence level everywhere (the estimators'
older ``level=`` is accepted as an alias); ``p`` is a p-value.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from spinestats.analysis.core.params import (
    check_choice,
    check_column,
    check_columns,
    check_conf_level,
    check_number,
    conf_level_or_alias,
)
from spinestats.analysis.core.result import Result
from spinestats import _PUBLIC
from spinestats.errors import UsageError

# the public names are listed once, in spinestats/__init__.py
__all__ = [name for name, (module, _) in _PUBLIC.items() if module == __name__] + ["WbbResult"]


def _frame(data: Any) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise UsageError(f"data must be a pandas DataFrame; got {type(data).__name__}")
    return data


def _truth(data: pd.DataFrame, truth: str, positive: Any) -> np.ndarray:
    col = data[truth]
    if positive is not None:
        values = set(col.dropna().unique().tolist())
        if positive not in values:
            shown = ", ".join(repr(v) for v in sorted(values, key=str))
            raise UsageError(f"positive={positive!r} is not a value of column {truth!r} (values: {shown})")
        return (col == positive).to_numpy()
    if col.dtype != bool:
        raise UsageError(f"column {truth!r} (truth=) is not True/False; give positive= (the value meaning positive)")
    return col.to_numpy()


# --- survival -------------------------------------------------------------

def kaplan_meier(data: pd.DataFrame, *, time: str, event: str, group: str | None = None,
                 conf_level: float = 0.95, conf_type: str = "log", **options: Any):
    """Kaplan-Meier survival curves with confidence bands (R ``survival::survfit``).

    Parameters
    ----------
    data : one row per patient.
    time, event : follow-up time and event column (event code 1, censored 0;
        other codes need ``cause=``/``causes=``).
    group : optional column; one curve per group.
    conf_level : confidence level in (0, 1).
    conf_type : ``"log"`` (R's default), ``"log-log"`` or ``"plain"``.
    **options : passed to :func:`spinestats.analysis.survival.kaplan_meier.kaplan_meier`
        (``entry=``, ``times=``, ``probs=``, ``censor=``, ``cause=``, ...).

    Returns
    -------
    KaplanMeierResult

    Examples
    --------
    >>> import spinestats as ss
    >>> d = ss.example("fracture")
    >>> km = ss.kaplan_meier(d, time="time", event="death")
    >>> km.n, int(km.curves[0].n_event.sum())
    (126, 115)
    >>> km.quantiles[["prob", "estimate"]].round(2)
       prob  estimate
    0  0.25      6.60
    1  0.50     13.11
    2  0.75     32.03
    """
    from spinestats.analysis.survival.kaplan_meier import kaplan_meier as _km

    data = _frame(data)
    check_column(data, time, "time")
    check_column(data, event, "event")
    if group is not None:
        check_column(data, group, "group")
    check_choice(conf_type, ("log", "log-log", "plain"), "conf_type")
    return _km(data, time=time, event=event, group=group, conf_level=check_conf_level(conf_level),
               conf_type=conf_type, **options)


def logrank(data: pd.DataFrame, *, time: str, event: str, group: str, strata: str | None = None,
            rho: float = 0.0, **options: Any):
    """Log-rank test between groups (R ``survival::survdiff``).

    ``rho`` > 0 gives the Harrington-Fleming G(rho) family; ``strata`` a
    stratified test; ``pairwise=True`` (in ``options``) adds Holm-adjusted
    pairwise tests.

    Examples
    --------
    >>> import spinestats as ss
    >>> d = ss.example("fracture")
    >>> test = ss.logrank(d, time="time", event="death", group="modality")
    >>> test.df, f"{test.p:.2e}"
    (2, '5.41e-09')
    """
    from spinestats.analysis.survival.logrank import logrank_test

    data = _frame(data)
    for col, param in ((time, "time"), (event, "event"), (group, "group")):
        check_column(data, col, param)
    if strata is not None:
        check_column(data, strata, "strata")
    check_number(rho, "rho", low=0)
    return logrank_test(data, time=time, event=event, group=group, strata=strata, rho=rho, **options)


def cox(data: pd.DataFrame, *, time: str, event: str, covariates: Sequence[str], ties: str = "efron",
        strata: str | None = None, conf_level: float = 0.95, **options: Any):
    """Cox proportional hazards model (R ``survival::coxph``).

    Examples
    --------
    >>> import spinestats as ss
    >>> d = ss.example("fracture")
    >>> fit = ss.cox(d, time="time", event="death", covariates=["age"])
    >>> fit.summary()[["term", "p", "hr (CI)"]]
      term          p              hr (CI)
    0  age  p = 0.003  1.027 (1.009–1.044)
    """
    from spinestats.analysis.survival.cox import cox_ph

    data = _frame(data)
    check_column(data, time, "time")
    check_column(data, event, "event")
    check_columns(data, covariates, "covariates")
    if strata is not None:
        check_column(data, strata, "strata")
    check_choice(ties, ("efron", "breslow"), "ties")
    return cox_ph(data, time=time, event=event, covariates=list(covariates), ties=ties, strata=strata,
                  conf_level=check_conf_level(conf_level), **options)


def cox_zph(data: pd.DataFrame, *, time: str, event: str, covariates: Sequence[str], transform: str = "km",
            **options: Any):
    """Proportional-hazards test of a Cox model (R ``survival::cox.zph``).

    Examples
    --------
    >>> import spinestats as ss
    >>> d = ss.example("fracture")
    >>> zph = ss.cox_zph(d, time="time", event="death", covariates=["age"])
    >>> zph.table.round(4)
         term   chisq  df       p
    0     age  0.0016   1  0.9676
    1  GLOBAL  0.0016   1  0.9676
    """
    from spinestats.analysis.survival.cox_zph import cox_zph as _zph

    data = _frame(data)
    check_column(data, time, "time")
    check_column(data, event, "event")
    check_columns(data, covariates, "covariates")
    check_choice(transform, ("km", "rank", "identity", "log"), "transform")
    return _zph(data, time=time, event=event, covariates=list(covariates), transform=transform, **options)


# --- competing risks --------------------------------------------------------

def cumulative_incidence(data: pd.DataFrame, *, time: str, event: str, cause: int = 1, group: str | None = None,
                         conf_level: float = 0.95, **options: Any):
    """Cumulative incidence of one cause under competing risks (R ``cmprsk::cuminc``).

    Examples
    --------
    >>> import spinestats as ss
    >>> d = ss.example("fracture")
    >>> cif = ss.cumulative_incidence(d, time="time", event="event", cause=1)
    >>> [c.cause for c in cif.curves]
    [1, 2]
    >>> round(float(cif.curves[0].estimate[-1]), 4)
    0.119
    """
    from spinestats.analysis.competing_risks.cuminc import cumulative_incidence as _cif

    data = _frame(data)
    check_column(data, time, "time")
    check_column(data, event, "event")
    if group is not None:
        check_column(data, group, "group")
    check_number(cause, "cause", integer=True)
    return _cif(data, time=time, event=event, cause=cause, group=group,
                conf_level=check_conf_level(conf_level), **options)


def gray_test(data: pd.DataFrame, *, time: str, event: str, group: str, cause: int = 1, **options: Any):
    """Gray's test comparing cumulative incidence between groups (R ``cmprsk::cuminc``).

    Examples
    --------
    >>> import spinestats as ss
    >>> d = ss.example("fracture")
    >>> test = ss.gray_test(d, time="time", event="event", group="modality")
    >>> test.causes, [round(p, 4) for p in test.p]
    ((1, 2), [0.0444, 0.0])
    """
    from spinestats.analysis.competing_risks.gray_test import gray_test as _gray

    data = _frame(data)
    for col, param in ((time, "time"), (event, "event"), (group, "group")):
        check_column(data, col, param)
    check_number(cause, "cause", integer=True)
    return _gray(data, time=time, event=event, group=group, cause=cause, **options)


def fine_gray(data: pd.DataFrame, *, time: str, event: str, covariates: Sequence[str], cause: int = 1,
              conf_level: float = 0.95, **options: Any):
    """Fine-Gray subdistribution hazards model (R ``cmprsk::crr``).

    Examples
    --------
    >>> import spinestats as ss
    >>> d = ss.example("fracture")
    >>> fit = ss.fine_gray(d, time="time", event="event", covariates=["age"])
    >>> round(float(fit.shr[0]), 4)
    0.9671
    """
    from spinestats.analysis.competing_risks.finegray import fine_gray as _fg

    data = _frame(data)
    check_column(data, time, "time")
    check_column(data, event, "event")
    check_columns(data, covariates, "covariates")
    check_number(cause, "cause", integer=True)
    return _fg(data, time=time, event=event, covariates=list(covariates), cause=cause,
               conf_level=check_conf_level(conf_level), **options)


# --- diagnostic accuracy -----------------------------------------------------

def roc(data: pd.DataFrame, *, score: str, truth: str, positive: Any = None, weights: str | None = None):
    """Empirical ROC curve of a score against a reference standard (R ``pROC::roc``).

    ``truth`` is a True/False column, or any column with ``positive=`` naming
    the value that means positive.  Higher scores mean positive.

    Examples
    --------
    >>> import spinestats as ss
    >>> d = ss.example("dss")
    >>> curve = ss.roc(d, score="dss", truth="reference", positive="malignant")
    >>> round(curve.auc, 4)
    0.9487
    """
    from spinestats.analysis.diagnostic.roc import roc_curve

    data = _frame(data)
    check_column(data, score, "score")
    check_column(data, truth, "truth")
    w = None if weights is None else data[check_column(data, weights, "weights")].to_numpy()
    return roc_curve(data[score].to_numpy(dtype=float), _truth(data, truth, positive), w)


def delong(data: pd.DataFrame, *, score: str, truth: str, positive: Any = None, score2: str | None = None,
           conf_level: float = 0.95):
    """DeLong AUC with confidence interval, or two paired AUCs compared (R ``pROC::roc.test``).

    Examples
    --------
    >>> import spinestats as ss
    >>> d = ss.example("dss")
    >>> res = ss.delong(d, score="dss", truth="reference", positive="malignant")
    >>> res
    DelongAucResult(auc=0.948718, variance=0.000662674, se=0.0257425, ci=<2 items>, conf_level=0.95, n_positive=20, n_negative=39)
    >>> both = ss.delong(d, score="dss", score2="size_cm", truth="reference", positive="malignant")
    >>> round(both.auc_difference, 4), round(both.p, 4)
    (0.1295, 0.0032)
    """
    from spinestats.analysis.diagnostic.delong import delong_auc, delong_paired

    data = _frame(data)
    check_column(data, score, "score")
    check_column(data, truth, "truth")
    level = check_conf_level(conf_level)
    y = _truth(data, truth, positive)
    if score2 is None:
        return delong_auc(data[score].to_numpy(dtype=float), y, conf_level=level)
    check_column(data, score2, "score2")
    return delong_paired(data[score].to_numpy(dtype=float), data[score2].to_numpy(dtype=float), y,
                         conf_level=level)


def accuracy(data: pd.DataFrame, *, score: str, truth: str, positive: Any, cutoff: Any, method: str = "exact",
             conf_level: float = 0.95, **options: Any):
    """Sensitivity, specificity, predictive values and likelihood ratios at a cut-off (R ``epiR::epi.tests``).

    Examples
    --------
    >>> import spinestats as ss
    >>> d = ss.example("dss")
    >>> acc = ss.accuracy(d, score="dss", truth="reference", positive="malignant", cutoff=3)
    >>> acc.summary().loc[0, ["sensitivity (CI)", "specificity (CI)"]].tolist()
    ['0.900 (0.683–0.988)', '0.846 (0.695–0.941)']
    """
    from spinestats.analysis.diagnostic.accuracy import accuracy_at_cutoff

    data = _frame(data)
    check_column(data, score, "score")
    check_column(data, truth, "truth")
    return accuracy_at_cutoff(data, score=score, truth=truth, positive=positive, cutoff=cutoff, method=method,
                              conf_level=check_conf_level(conf_level), **options)


def optimal_cutoff(data: pd.DataFrame, *, score: str, truth: str, positive: Any = None, method: str = "youden",
                   **options: Any):
    """Optimal cut-off of a score on its ROC curve (R ``pROC::coords(best.method=)``).

    Examples
    --------
    >>> import spinestats as ss
    >>> d = ss.example("dss")
    >>> best = ss.optimal_cutoff(d, score="dss", truth="reference", positive="malignant")
    >>> best.threshold
    (2.5,)
    """
    from spinestats.analysis.diagnostic.cutoff import METHODS
    from spinestats.analysis.diagnostic.cutoff import optimal_cutoff as _cut

    check_choice(method, METHODS, "method")
    curve = roc(data, score=score, truth=truth, positive=positive)
    return _cut(curve, method, **options)


def bootstrap_cutoff(data: pd.DataFrame, *, score: str, truth: str, positive: Any = None, n_boot: int = 2000,
                     seed: int | None = None, method: str = "youden", **options: Any):
    """Bootstrap distribution and optimism of the optimal cut-off.

    ``n_boot`` is the number of resamples (alias ``B``).

    Examples
    --------
    >>> import spinestats as ss
    >>> d = ss.example("dss")
    >>> res = ss.bootstrap_cutoff(d, score="dss", truth="reference", positive="malignant", n_boot=50, seed=1)
    >>> res.B
    50
    """
    from spinestats.analysis.diagnostic.cutoff_bootstrap import bootstrap_cutoff as _boot

    data = _frame(data)
    check_column(data, score, "score")
    check_column(data, truth, "truth")
    n_boot = options.pop("B", n_boot)
    n_boot = check_number(n_boot, "n_boot", low=1, integer=True)
    from spinestats.analysis.diagnostic.cutoff import METHODS

    check_choice(method, METHODS, "method")
    if seed is not None:
        options["seed"] = seed
    return _boot(data[score].to_numpy(dtype=float), _truth(data, truth, positive), B=int(n_boot), method=method,
                 **options)


# --- longitudinal ---------------------------------------------------------

def mixed_model(data: pd.DataFrame, *, value: str, visit: str, subject: str, visits: Sequence[str],
                arm: str | None = None, arms: Sequence[str] | None = None, time: str | None = None,
                conf_level: float = 0.95, satterthwaite: bool = True):
    """Linear mixed model of a repeated outcome, random intercept per subject (R ``lmerTest::lmer``).

    Builds the design and fits it in one call (the two steps are
    :func:`spinestats.analysis.longitudinal.mixed_model.build_design` and ``fit_lmm``).

    Examples
    --------
    >>> import spinestats as ss
    >>> d = ss.example("bkp")
    >>> d = d[d["visit"].isin(["baseline", "1w", "1m"])]
    >>> fit = ss.mixed_model(d, value="nrs", visit="visit", subject="patient_id",
    ...                      visits=["baseline", "1w", "1m"])
    >>> list(fit.terms)
    ['(Intercept)', 'visit1w', 'visit1m']
    """
    from spinestats.analysis.longitudinal.mixed_model import build_design, fit_lmm

    data = _frame(data)
    for col, param in ((value, "value"), (visit, "visit"), (subject, "subject")):
        check_column(data, col, param)
    if arm is not None:
        check_column(data, arm, "arm")
    if time is not None:
        check_column(data, time, "time")
    design = build_design(data, value=value, visit=visit, subject=subject, visits=list(visits), arm=arm,
                          arms=None if arms is None else list(arms), time=time)
    return fit_lmm(design, conf_level=check_conf_level(conf_level), satterthwaite=satterthwaite)


def paired_tests(data: pd.DataFrame, *, value: str, visit: str, subject: str, visits: Sequence[str],
                 baseline: str = "baseline", arm: str | None = None, conf_level: float = 0.95):
    """Paired t and Wilcoxon signed-rank tests of each visit against baseline, Holm-adjusted.

    Examples
    --------
    >>> import spinestats as ss
    >>> d = ss.example("bkp")
    >>> res = ss.paired_tests(d, value="nrs", visit="visit", subject="patient_id",
    ...                       visits=["baseline", "1w", "1m"])
    >>> res.summary()[["visit", "n", "mean_diff", "p_holm"]]
      visit   n mean_diff     p_holm
    0    1w   8    −2.125  p = 0.003
    1    1m  17    −4.824  p < 0.001
    """
    from spinestats.analysis.longitudinal.paired_tests import paired_vs_baseline

    data = _frame(data)
    for col, param in ((value, "value"), (visit, "visit"), (subject, "subject")):
        check_column(data, col, param)
    if arm is not None:
        check_column(data, arm, "arm")
    return paired_vs_baseline(data, value=value, visit=visit, subject=subject, visits=list(visits),
                              baseline=baseline, arm=arm, conf_level=check_conf_level(conf_level))


def mice(data: pd.DataFrame, *, columns: Sequence[str], predictors: Sequence[str] = (), m: int = 20,
         maxit: int = 10, method: str = "pmm", seed: int = 2024, **options: Any):
    """Multiple imputation by chained equations (R ``mice::mice``).

    Examples
    --------
    >>> import spinestats as ss
    >>> d = ss.example("bkp").pivot(index="patient_id", columns="visit", values="nrs")
    >>> imp = ss.mice(d.astype(float), columns=["3m"], predictors=["baseline", "1m"], m=2, seed=1)
    >>> imp.m
    2
    """
    from spinestats.analysis.longitudinal.mice import impute

    data = _frame(data)
    check_columns(data, columns, "columns")
    check_columns(data, predictors, "predictors")
    m = check_number(m, "m", low=1, integer=True)
    maxit = check_number(maxit, "maxit", low=1, integer=True)
    seed = check_number(seed, "seed", low=0, integer=True)
    return impute(data, columns=list(columns), predictors=list(predictors), m=m, maxit=maxit, method=method,
                  seed=seed, **options)


# --- pooling ------------------------------------------------------------------

def meta_reml(data: pd.DataFrame, *, yi: str, vi: str, labels: str | None = None, conf_level: float = 0.95,
              test: str = "z", level: float | None = None, **options: Any):
    """Random-effects meta-analysis by REML (R ``metafor::rma(method="REML")``).

    ``yi`` and ``vi`` are the columns of effect sizes and their variances.
    ``level`` is an alias of ``conf_level``.

    Examples
    --------
    >>> import pandas as pd, spinestats as ss
    >>> d = pd.DataFrame({"yi": [0.1, 0.3, 0.5, 0.2], "vi": [0.02, 0.03, 0.05, 0.04]})
    >>> fit = ss.meta_reml(d, yi="yi", vi="vi")
    >>> round(fit.estimate, 4)
    0.2338
    """
    from spinestats.analysis.pooling.meta_reml import rma_reml

    data = _frame(data)
    check_column(data, yi, "yi")
    check_column(data, vi, "vi")
    lab = None if labels is None else data[check_column(data, labels, "labels")].astype(str).tolist()
    check_choice(test, ("z", "knha"), "test")
    return rma_reml(data[yi].astype(float).tolist(), data[vi].astype(float).tolist(), labels=lab, test=test,
                    conf_level=conf_level_or_alias(conf_level, level), **options)


def reitsma(data: pd.DataFrame, *, tp: str = "tp", fp: str = "fp", fn: str = "fn", tn: str = "tn",
            labels: str | None = None, conf_level: float = 0.95, level: float | None = None,
            correction: float = 0.5):
    """Bivariate random-effects meta-analysis of sensitivity and specificity (R ``mada::reitsma``).

    Examples
    --------
    >>> import pandas as pd, spinestats as ss
    >>> d = pd.DataFrame({"tp": [20, 15, 30, 12], "fp": [5, 8, 4, 6],
    ...                   "fn": [4, 6, 5, 3], "tn": [40, 30, 50, 25]})
    >>> fit = ss.reitsma(d)
    >>> fit.k, round(fit.tau2_sensitivity, 4), round(fit.tau2_fpr, 4)
    (4, 0.0793, 0.1474)
    """
    from spinestats.analysis.pooling.bivariate_meta import reitsma as _reitsma

    data = _frame(data)
    cols = {p: check_column(data, c, p) for p, c in (("tp", tp), ("fp", fp), ("fn", fn), ("tn", tn))}
    lab = None if labels is None else data[check_column(data, labels, "labels")].astype(str).tolist()
    return _reitsma(*(data[cols[p]].tolist() for p in ("tp", "fp", "fn", "tn")), labels=lab,
                    correction=correction, conf_level=conf_level_or_alias(conf_level, level))


# --- agreement ------------------------------------------------------------

def cohen_kappa(data: pd.DataFrame, *, rater1: str, rater2: str, weights: str = "none",
                conf_level: float = 0.95, level: float | None = None, levels: Sequence | None = None):
    """Cohen's kappa, unweighted or weighted, between two raters (R ``psych::cohen.kappa``).

    Examples
    --------
    >>> import spinestats as ss
    >>> d = ss.example("readers")
    >>> k = ss.cohen_kappa(d, rater1="R1", rater2="R2", weights="linear")
    >>> round(k.estimate, 4), round(k.lower, 4), round(k.upper, 4)
    (0.6781, 0.5717, 0.7844)
    """
    from spinestats.analysis.agreement.kappa import cohen_kappa as _kappa

    data = _frame(data)
    check_column(data, rater1, "rater1")
    check_column(data, rater2, "rater2")
    check_choice(weights, ("none", "linear", "quadratic"), "weights")
    return _kappa(data[rater1].tolist(), data[rater2].tolist(), weights=weights, levels=levels,
                  conf_level=conf_level_or_alias(conf_level, level))


def icc(data: pd.DataFrame, *, raters: Sequence[str] | None = None, conf_level: float = 0.95,
        level: float | None = None):
    """Shrout-Fleiss intraclass correlations of a cases-by-raters table (R ``psych::ICC``).

    ``raters`` are the columns holding each rater's rating (all columns when
    omitted).

    Examples
    --------
    >>> import spinestats as ss
    >>> d = ss.example("readers")
    >>> res = ss.icc(d, raters=["R1", "R2", "R3"])
    >>> res.to_frame().loc[:2, ["type", "estimate"]].round(4)
       type  estimate
    0  ICC1    0.8521
    1  ICC2    0.8520
    2  ICC3    0.8510
    """
    from spinestats.analysis.agreement.icc import icc as _icc

    data = _frame(data)
    cols = list(data.columns) if raters is None else check_columns(data, raters, "raters")
    return _icc(data[cols], conf_level=conf_level_or_alias(conf_level, level))


# --- scores -------------------------------------------------------------

def dss(data: pd.DataFrame, *, weights: Mapping[str, float] | None = None, size_threshold_cm: float = 5.0,
        check_column: str | None = "dss"):
    """Dumbbell Scoring System from its four features (size, boundary, lobulation, bone destruction).

    Examples
    --------
    >>> import spinestats as ss
    >>> res = ss.dss(ss.example("dss"))
    >>> res.to_frame()["score"].head(3).tolist()
    [3.0, 0.0, 0.0]
    """
    from spinestats.analysis.scores.dss_score import compute_dss

    check_number(size_threshold_cm, "size_threshold_cm", low=0)
    return compute_dss(_frame(data), weights=weights, size_threshold_cm=size_threshold_cm,
                       check_column=check_column)


def sins(data: pd.DataFrame, *, columns: Mapping[str, str] | None = None):
    """Spinal Instability Neoplastic Score (SINS) total and category from its six components.

    Examples
    --------
    >>> import spinestats as ss
    >>> res = ss.sins(ss.example("fracture"))
    >>> res.total[:3], res.category[:2]
    ((9, 8, 3), ('indeterminate', 'indeterminate'))
    """
    from spinestats.analysis.scores.sins import COMPONENTS
    from spinestats.analysis.scores.sins import sins as _sins

    data = _frame(data)
    for component, column in dict(columns or {}).items():
        check_choice(component, tuple(COMPONENTS), "a key of columns")
        check_column(data, column, f"columns[{component!r}]")
    return _sins(data, columns=columns)


@dataclasses.dataclass(frozen=True)
class WbbResult(Result):
    """Weinstein-Boriani-Biagini staging of each row: zones and the en bloc approach."""

    zones: tuple
    approach: tuple
    counts: dict

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"zones": list(self.zones), "approach": list(self.approach)})


def wbb(data: pd.DataFrame, *, zones: str = "wbb_zones"):
    """En bloc approach from WBB zones, by the review's rules (vertebrectomy, sagittal, posterior).

    Examples
    --------
    >>> import pandas as pd, spinestats as ss
    >>> res = ss.wbb(pd.DataFrame({"wbb_zones": ["4-8", "10-3", "2-5", None]}))
    >>> res.approach
    ('vertebrectomy', 'posterior resection', 'sagittal resection', None)
    """
    from spinestats.analysis.scores.wbb import en_bloc_column

    data = _frame(data)
    check_column(data, zones, "zones")
    approach = en_bloc_column(data[zones])
    counts = {str(k): int(v) for k, v in approach.value_counts(dropna=True).items()}
    return WbbResult(zones=tuple(None if pd.isna(z) else str(z) for z in data[zones]),
                     approach=tuple(approach.tolist()), counts=counts)


# --- input ----------------------------------------------------------------

def load(path: Any, schema: str | None = None, *, mapping: Any = None, sheet: str | None = None,
         encoding: str | None = None, exclude_invalid: bool = False):
    """Read, map, convert and validate a registry export (CSV, XLSX, Parquet, REDCap CSV).

    Returns a ``LoadedTable``: ``.data`` (rows kept, indexed by spreadsheet
    line), ``.exclusions``, ``.problems`` and ``.provenance``.

    Examples
    --------
    >>> import spinestats as ss
    >>> from importlib.resources import files
    >>> table = ss.load(files("spinestats.data_schemas.examples") / "synthetic_dss.csv", "dss")
    >>> table.data.shape
    (59, 9)
    """
    from spinestats.data_schemas.loading import load as _load

    return _load(path, schema, mapping=mapping, sheet=sheet, encoding=encoding, exclude_invalid=exclude_invalid)


_EXAMPLES = ("dss", "fracture", "bkp", "readers")


def example(name: str) -> pd.DataFrame:
    """An analysis-ready DataFrame of a bundled synthetic cohort (not patient data).

    * ``"dss"``: 59 dumbbell tumours, DSS features, ``dss`` and ``reference``.
    * ``"fracture"``: 126 irradiated vertebrae, SINS components, plus ``time``
      (months from irradiation) and ``event`` (0 censored, 1 fracture, 2 death).
    * ``"bkp"``: kyphoplasty pain, long format (``patient_id``, ``arm``,
      ``visit``, ``nrs``).
    * ``"readers"``: one row per case, one column per reader's DSS (R1, R2, R3).

    Examples
    --------
    >>> import spinestats as ss
    >>> ss.example("fracture")[["time", "event"]].shape
    (126, 2)
    """
    from importlib.resources import files

    check_choice(name, _EXAMPLES, "name")
    table = load(files("spinestats.data_schemas.examples") / f"synthetic_{name}.csv", name)
    d = table.data
    if name == "fracture":
        from spinestats.data_schemas.fracture_events import fracture_events

        ev = fracture_events(d)
        d = d.assign(time=ev["time_months"].to_numpy(), event=ev["event"].to_numpy())
    elif name == "bkp":
        visits = ["baseline", "1w", "1m", "3m", "6m", "12m"]
        wide = d.rename(columns={f"nrs_{v}": v for v in visits})
        d = wide.melt(id_vars=["patient_id", "arm"], value_vars=visits, var_name="visit", value_name="nrs")
        d = d.dropna(subset=["nrs"]).astype({"nrs": float}).reset_index(drop=True)
    elif name == "readers":
        d = d.pivot(index="case_id", columns="reader", values="dss").reset_index()
        d.columns.name = None
    return d.reset_index(drop=True) if name in ("dss", "fracture") else d

"""The repeated-measures analysis after multiple imputation, pooled by Rubin's rules.

The visit columns of a wide table (one row per patient) are imputed ``m``
times by chained equations (:func:`spinestats.analysis.longitudinal.mice.impute`,
with the arm as an extra predictor when there are two arms).  In each completed
data set the job's analyses are repeated and each quantity is pooled over the
``m`` sets by Rubin's rules with Barnard-Rubin degrees of freedom
(:func:`spinestats.analysis.longitudinal.rubin.pool`, as mice ``pool()``).
Pooled quantities and their complete-data df (``dfcom``):

* paired mean difference visit - baseline per (arm,) visit: variance
  :math:`s^2/n`, ``dfcom`` :math:`n - 1` (R: ``lm(I(y - y0) ~ 1)`` per set);
* the ANCOVA arm difference at one visit adjusted for baseline: SE², ``dfcom``
  :math:`n - 3` (R: ``lm(y ~ y0 + arm)``);
* the mixed model's fixed effects and its arm contrasts per visit (or, with one
  arm, the visit - baseline contrasts): SE², ``dfcom`` observations - fixed
  effects (model-based SEs without Satterthwaite df);
* responder proportions per (arm,) visit and their between-arm differences, on
  the raw scale: :math:`p(1-p)/n`, ``dfcom`` :math:`n - 1` (sums of both for a
  difference); Wald-type pooled intervals truncated to [0, 1] (proportions) or
  [-1, 1] (differences).

After imputation every patient has every visit, so a paired ``n`` is all
patients of the arm.  Visits with fewer than two observed scores cannot be
imputed and are left out (``visits_not_imputed``).

R equivalent (per quantity)::

    imp <- mice(wide[, c(visits, "arm_bkp")], m = m, method = "pmm")
    fits <- with(imp, lm(nrs_1m ~ nrs_baseline + arm))
    summary(pool(fits), conf.int = TRUE, conf.level = conf_level)

References
----------
van Buuren S, Groothuis-Oudshoorn K. mice: multivariate imputation by chained
equations in R. J Stat Softw 2011;45(3). doi:10.18637/jss.v045.i03
Barnard J, Rubin DB. Small-sample degrees of freedom with multiple
imputation. Biometrika 1999;86:948-955. doi:10.1093/biomet/86.4.948
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from spinestats.analysis.core.result import Result, to_jsonable
from spinestats.analysis.longitudinal import mixed_model as lmm
from spinestats.analysis.longitudinal.ancova import ancova
from spinestats.analysis.longitudinal.mice import impute
from spinestats.analysis.longitudinal.responders import is_responder
from spinestats.analysis.longitudinal.rubin import pool

POOLING = "Rubin's rules, Barnard-Rubin df (mice pool())"


def _listed(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of a frame as JSON-safe dicts, the interval as one ``ci`` pair in place of ``ci_low``/``ci_high``."""
    out = []
    for r in to_jsonable(frame):
        row: dict[str, Any] = {}
        for k, v in r.items():
            if k == "ci_low":
                row["ci"] = [v, r["ci_high"]]
            elif k != "ci_high":
                row[k] = v
        out.append(row)
    return out


@dataclasses.dataclass(frozen=True)
class ImputedAnalysisResult(Result):
    """The analyses pooled over ``m`` imputations.

    Attributes
    ----------
    m, method, maxit, seed : the imputations (see :func:`~spinestats.analysis.longitudinal.mice.impute`).
    n_missing : missing cells per imputed column.
    visits_not_imputed : visits left out (fewer than two observed scores).
    arms : the arms, reference first (one arm: no arm column in the frames).
    paired : (``arm``,) ``visit``, ``mean_diff``, ``se``, ``ci_low``, ``ci_high``, ``df``, ``t``, ``p``, ``fmi``.
    ancova : one row (``visit``, ``contrast``, ``difference``, ``se``, ``ci_low``, ``ci_high``, ``df``, ``p``,
        ``fmi``) or empty (one arm, or the visit not imputed).
    mixed_model : ``term``, ``estimate``, ``se``, ``df``, ``p``, ``fmi``.
    contrasts : ``visit``, ``contrast``, ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``df``, ``p``, ``fmi``.
    responders : (``arm``,) ``visit``, ``proportion``, ``ci_low``, ``ci_high``, ``df``, ``fmi``.
    responder_differences : ``visit``, ``contrast``, ``risk_difference``, ``ci_low``, ``ci_high``, ``df``, ``p``,
        ``fmi`` (two arms).
    conf_level : level of the pooled intervals.
    """

    m: int
    method: str
    maxit: int
    seed: int
    n_missing: Mapping[str, int]
    visits_not_imputed: tuple[str, ...]
    arms: tuple[str, ...]
    paired: pd.DataFrame
    ancova: pd.DataFrame
    mixed_model: pd.DataFrame
    contrasts: pd.DataFrame
    responders: pd.DataFrame
    responder_differences: pd.DataFrame
    conf_level: float = 0.95

    def to_frame(self) -> pd.DataFrame:
        """The pooled mixed-model contrasts (the main estimates)."""
        return self.contrasts.copy()

    def to_dict(self) -> dict[str, Any]:
        """The ``imputed`` block of ``results.json`` (intervals as ``ci`` pairs)."""
        out: dict[str, Any] = {"m": self.m, "method": self.method, "maxit": self.maxit, "seed": self.seed,
                               "n_missing": dict(self.n_missing), "pooling": POOLING,
                               "visits_not_imputed": list(self.visits_not_imputed),
                               "paired": _listed(self.paired)}
        if len(self.ancova):
            out["ancova"] = _listed(self.ancova)[0]
        mm = to_jsonable(self.mixed_model)
        out["mixed_model"] = {"terms": [r["term"] for r in mm],
                              **{k: [r[k] for r in mm] for k in ("estimate", "se", "df", "p", "fmi")}}
        out["emmeans_contrasts"] = [{k: v for k, v in r.items() if k != "fmi"} for r in _listed(self.contrasts)]
        out["responders"] = [{k: v for k, v in r.items() if k != "fmi"} for r in _listed(self.responders)]
        if len(self.arms) == 2:
            out["responder_differences"] = [{k: v for k, v in r.items() if k != "fmi"}
                                            for r in _listed(self.responder_differences)]
        return out


def _contrast_rows(fit: lmm.MixedModelResult) -> tuple[list[str], list[float], list[float]]:
    """Estimate and variance of the arm contrast at each visit (one arm: visit - baseline)."""
    index = {t: k for k, t in enumerate(fit.terms)}
    a, vc = fit.arm_column, fit.visit_column
    est, var, names = [], [], []
    for v in fit.visits:
        L = np.zeros(len(fit.terms))
        if len(fit.arms) == 2:
            need = [f"{a}{fit.arms[1]}"] + ([f"{a}{fit.arms[1]}:{vc}{v}"] if v != fit.visits[0] else [])
        else:
            if v == fit.visits[0]:
                continue
            need = [f"{vc}{v}"]
        if any(t not in index for t in need):
            continue
        for t in need:
            L[index[t]] = 1.0
        est.append(float(L @ fit.estimate))
        var.append(float(L @ fit.vcov @ L))
        names.append(v)
    return names, est, var


def _frame(keys: list[dict[str, Any]], pooled, estimate: str, *, extra: Sequence[str] = ("t",),
           clip: tuple[float, float] | None = None) -> pd.DataFrame:
    lo, hi = np.asarray(pooled.ci_low, float), np.asarray(pooled.ci_high, float)
    if clip is not None:
        lo, hi = np.maximum(clip[0], lo), np.minimum(clip[1], hi)
    cols: dict[str, Any] = {estimate: pooled.estimate, "se": pooled.se, "ci_low": lo, "ci_high": hi,
                            "df": pooled.df}
    for name in extra:
        cols[name] = getattr(pooled, name)
    cols["fmi"] = pooled.fmi
    body = pd.DataFrame(cols)
    return pd.concat([pd.DataFrame(keys, index=body.index), body], axis=1) if keys else body


def imputed_analysis(
    wide: pd.DataFrame,
    *,
    visit_columns: Mapping[str, str],
    baseline: str,
    subject: str,
    arm: str,
    arms: Sequence[str],
    mcid: float,
    mcid_percent: float,
    m: int,
    method: str = "pmm",
    seed: int = 2024,
    ancova_visit: str | None = None,
    visit_order: Sequence[str] | None = None,
    times: Mapping[str, float] | None = None,
    conf_level: float = 0.95,
    workers: int = 1,
    scheduler: str | None = None,
) -> ImputedAnalysisResult:
    """Impute the visit columns ``m`` times and pool the repeated-measures analyses by Rubin's rules.

    Parameters
    ----------
    wide : one row per patient.
    visit_columns : visit -> score column, baseline first (e.g. ``{"baseline": "nrs_baseline", "1m": "nrs_1m"}``).
    baseline : the baseline score column.
    subject, arm : patient and arm columns; ``arms`` the arms present, reference first (one or two).
    mcid, mcid_percent : responder: a reduction of at least ``mcid`` points and ``mcid_percent`` % of baseline.
    m, method, seed, workers, scheduler : the imputations (:func:`~spinestats.analysis.longitudinal.mice.impute`).
    ancova_visit : visit of the two-arm ANCOVA (``None``: none).
    visit_order : every visit level of the mixed model in order (default: ``visit_columns``' order).
    times : visit -> time (months): adds a random slope on time to the mixed model.
    conf_level : level of the pooled intervals.
    """
    arms = tuple(arms)
    two = len(arms) == 2
    sparse = tuple(v for v, c in visit_columns.items() if c != baseline and wide[c].notna().sum() < 2)
    visit_columns = {v: c for v, c in visit_columns.items() if v not in sparse}
    cols = list(visit_columns.values())
    follow = {v: c for v, c in visit_columns.items() if c != baseline}
    w = wide.copy()
    predictors = []
    if two:
        w["_arm_bkp"] = (w[arm] == arms[1]).astype(float)
        predictors = ["_arm_bkp"]
    imp = impute(w, columns=cols, predictors=predictors, m=m, method=method, seed=seed, workers=workers,
                 scheduler=scheduler)
    keys = [{**({"arm": a} if two else {}), "visit": v} for a in arms for v in follow]
    paired_q, paired_u, resp_q, resp_u, dfc = [], [], [], [], []
    anc, lmm_fits, contrasts = [], [], []
    rename = {c: v for v, c in visit_columns.items()}
    for i in range(imp.m):
        c = imp.complete(w, i)
        q, u, rq, ru, dd_ = [], [], [], [], []
        for a in arms:
            part = c[c[arm] == a]
            for col in follow.values():
                d = (part[col] - part[baseline]).to_numpy(float)
                q.append(d.mean())
                u.append(d.var(ddof=1) / d.size)
                r = is_responder(part[baseline], part[col], mcid, mcid_percent)
                rq.append(r.mean())
                ru.append(r.mean() * (1 - r.mean()) / r.size)
                dd_.append(d.size - 1)
        paired_q.append(q)
        paired_u.append(u)
        resp_q.append(rq)
        resp_u.append(ru)
        dfc = dd_
        if two and ancova_visit in follow:
            res = ancova(c, outcome=follow[ancova_visit], baseline=baseline, arm=arm, arms=(arms[0], arms[1]))
            anc.append((res.difference, res.se**2, res.df))
        long_c = c.melt(id_vars=[subject, arm], value_vars=cols, var_name="visit", value_name="_score")
        long_c["visit"] = long_c["visit"].map(rename)  # the model's terms are named visit<level>
        time = None
        if times is not None:
            long_c["_time"] = long_c["visit"].map(times)
            time = "_time"
        design = lmm.build_design(long_c, value="_score", visit="visit", subject=subject,
                                  visits=list(visit_order or visit_columns), arm=arm if two else None,
                                  arms=arms if two else None, time=time)
        fit = lmm.fit_lmm(design, satterthwaite=False)
        lmm_fits.append(fit)
        contrasts.append(_contrast_rows(fit))
    dfcom = np.asarray(dfc, float)
    paired = _frame(keys, pool(paired_q, paired_u, dfcom=dfcom, conf_level=conf_level), "mean_diff",
                    extra=("t", "p"))
    ancova_frame = pd.DataFrame()
    if anc:
        fits = np.array(anc)
        pa = pool(fits[:, 0], fits[:, 1], dfcom=fits[0, 2], conf_level=conf_level)
        ancova_frame = _frame([{"visit": ancova_visit, "contrast": f"{arms[1]} - {arms[0]}"}], pa, "difference",
                              extra=("p",))
    terms = lmm_fits[0].terms
    dfm = lmm_fits[0].n_obs - len(terms)
    pl = pool([f.estimate for f in lmm_fits], [f.se**2 for f in lmm_fits], dfcom=dfm, conf_level=conf_level)
    mixed = pd.DataFrame({"term": list(terms), "estimate": pl.estimate, "se": pl.se, "df": pl.df, "p": pl.p,
                          "fmi": pl.fmi})
    names = contrasts[0][0]
    pc = pool([x[1] for x in contrasts], [x[2] for x in contrasts], dfcom=dfm, conf_level=conf_level)
    label = f"{arms[1]} - {arms[0]}" if two else "visit - baseline"
    contrast_frame = _frame([{"visit": v, "contrast": label} for v in names], pc, "estimate", extra=("p",))
    rq_, ru_ = np.array(resp_q), np.array(resp_u)
    with np.errstate(invalid="ignore", divide="ignore"):
        pr = pool(rq_, ru_, dfcom=dfcom, conf_level=conf_level)
    resp = _frame(keys, pr, "proportion", extra=(), clip=(0.0, 1.0)).drop(columns="se")
    diffs = pd.DataFrame()
    if two:
        half = len(keys) // 2  # reference arm's visits, then the other arm's, same visit order
        with np.errstate(invalid="ignore", divide="ignore"):
            pd_ = pool(rq_[:, half:] - rq_[:, :half], ru_[:, half:] + ru_[:, :half],
                       dfcom=dfcom[half:] + dfcom[:half], conf_level=conf_level)
        diffs = _frame([{"visit": v, "contrast": label} for v in follow], pd_, "risk_difference", extra=("p",),
                       clip=(-1.0, 1.0)).drop(columns="se")
    return ImputedAnalysisResult(m=imp.m, method=imp.method, maxit=imp.maxit, seed=imp.seed,
                                 n_missing=dict(imp.n_missing), visits_not_imputed=sparse, arms=arms, paired=paired,
                                 ancova=ancova_frame, mixed_model=mixed, contrasts=contrast_frame, responders=resp,
                                 responder_differences=diffs, conf_level=conf_level)

"""Multicentre accuracy of a score from each centre's counts per score level.

Each centre contributes its numbers of reference-positive and
reference-negative patients at every score level (patient-level data
reduced by :func:`~spinestats.analysis.pooling.federated.score_counts_table`,
or a site bundle), so the patient-level and the federated analyses call
:func:`multicentre_accuracy` with the same numbers and get the same results.

Per centre, at ``score >= cutoff``: sensitivity and specificity with exact
(Clopper-Pearson) CIs (:func:`~spinestats.analysis.diagnostic.accuracy.accuracy_from_counts`)
and the AUC with its DeLong CI (:func:`~spinestats.analysis.diagnostic.delong.delong_from_counts`).
Pooled:

* sensitivity and specificity, each by a univariate random-effects
  meta-analysis of logit proportions with REML (metafor ``rma(measure="PLO",
  method="REML")``, ``test="z"`` or ``"knha"``; zero cells corrected with
  ``continuity`` as ``to="only0"``) (:func:`~spinestats.analysis.pooling.meta_reml.meta_proportion`);
* the centre AUCs on the logit scale (:func:`~spinestats.analysis.pooling.pooled_auc.pool_auc`);
* sensitivity and specificity jointly by the bivariate model of Reitsma et
  al. with the SROC curve (:func:`~spinestats.analysis.pooling.bivariate_meta.reitsma`;
  three centres or more);
* the summed counts (= the pooled patient-level analysis ignoring centre):
  empirical ROC, AUC with DeLong CI, accuracy at the cutoff, and the
  Youden-optimal cutoff (always exploratory: re-optimised on the data).

:func:`pooled_risk_validation` validates a predicted risk per centre
(C statistic, O:E, calibration-in-the-large and slope,
:func:`~spinestats.analysis.prediction.risk_validation.validate_risk`) and pools
them as metamisc ``valmeta`` (REML with Knapp-Hartung; logit C, log O:E,
identity slope).  :func:`pooled_survival` gives the Kaplan-Meier curves and
the log-rank test of pooled risk-set tables.

References
----------
Viechtbauer W. Conducting meta-analyses in R with the metafor package. J Stat Softw 2010;36(3).
doi:10.18637/jss.v036.i03
Reitsma JB, Glas AS, Rutjes AWS, et al. Bivariate analysis of sensitivity and specificity produces
informative summary measures in diagnostic reviews. J Clin Epidemiol 2005;58:982-990.
doi:10.1016/j.jclinepi.2005.02.022
Debray TPA, Damen JAAG, Snell KIE, et al. A guide to systematic review and meta-analysis of prediction
model performance. BMJ 2017;356:i6460. doi:10.1136/bmj.i6460
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

import numpy as np

from spinestats.analysis.core.params import conf_level_or_alias
from spinestats.analysis.core.result import Result, to_jsonable
from spinestats.analysis.diagnostic.accuracy import accuracy_from_counts
from spinestats.analysis.diagnostic.delong import delong_from_counts
from spinestats.analysis.diagnostic.roc import roc_from_counts
from spinestats.analysis.pooling.bivariate_meta import BivariateResult, reitsma
from spinestats.analysis.pooling.federated import (
    km_from_risk_set,
    logrank_from_risk_sets,
    pool_risk_sets,
    pool_score_counts,
    two_by_two,
)
from spinestats.analysis.pooling.meta_reml import MetaResult, meta_proportion
from spinestats.analysis.pooling.pooled_auc import pool_auc, pool_calibration_slope, pool_oe_ratio
from spinestats.errors import DataError

P = TypeVar("P", bound="PooledProportionResult")


@dataclasses.dataclass(frozen=True)
class PooledProportionResult(Result):
    """A pooled proportion (or AUC) as ``results.json`` reports it: the estimate and CI on the reporting
    scale, heterogeneity, the prediction interval, and the model-scale (logit) estimate and SE."""

    estimate: float
    ci: tuple[float, float]
    tau2: float
    i2: float
    h2: float
    q: float
    q_df: int
    q_p: float
    prediction_interval: tuple[float, float]
    k: int
    method: str
    test: str
    scale: str
    estimate_logit: float
    se_logit: float
    corrected: tuple[str, ...]
    continuity_correction: float

    @classmethod
    def of(cls: type[P], m: MetaResult, **override: Any) -> P:
        """The published summary of a REML meta-analysis on the logit scale."""
        values = dict(estimate=m.estimate, ci=tuple(m.ci), tau2=m.tau2, i2=m.i2, h2=m.h2, q=m.q, q_df=m.q_df,
                      q_p=m.q_p, prediction_interval=tuple(m.prediction_interval), k=m.k, method="REML",
                      test=m.test, scale="logit", estimate_logit=m.estimate_model, se_logit=m.se_model,
                      corrected=tuple(m.corrected), continuity_correction=m.continuity_correction)
        return cls(**{**values, **override})


@dataclasses.dataclass(frozen=True)
class PooledAUCResult(PooledProportionResult):
    """The pooled AUC: a :class:`PooledProportionResult` with Riley's t-based prediction interval."""

    prediction_interval_t: tuple[float, float] | None = None


@dataclasses.dataclass(frozen=True)
class MulticentreAccuracyResult(Result):
    """Per-centre and pooled accuracy of a score at a cutoff (see the module docstring).

    :meth:`to_dict` gives the published keys (``per_center``, ``pooled``,
    ``bivariate``, ``pooled_counts``, ``exploratory``); the fits
    (``meta``: the univariate meta-analyses by measure, ``bivariate``) are
    kept as objects for the figures and the tests of success criteria.
    """

    cutoff: float
    labels: tuple[str, ...]
    per_center: tuple[dict, ...]
    pooled: dict
    bivariate: BivariateResult | None
    pooled_counts: dict
    exploratory: dict
    cells: dict
    accuracy: dict
    meta: dict
    warnings: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """The published keys (the bivariate fit without its centre labels, which ``per_center`` holds)."""
        biv = None if self.bivariate is None else {k: v for k, v in self.bivariate.to_dict().items() if k != "labels"}
        return to_jsonable({"per_center": self.per_center, "pooled": self.pooled, "bivariate": biv,
                            "pooled_counts": self.pooled_counts, "exploratory": self.exploratory})


def _accuracy_dict(cells: Mapping[str, int], conf_level: float) -> dict[str, Any]:
    acc = accuracy_from_counts(cells["tp"], cells["fp"], cells["tn"], cells["fn"], conf_level=conf_level).table.iloc[0]
    return {m: {"estimate": float(acc[m]), "ci": [float(acc[f"{m}_lower"]), float(acc[f"{m}_upper"])]}
            for m in ("sensitivity", "specificity")}


def centre_accuracy(centre: str, table: Mapping[str, Sequence], cutoff: float, conf_level: float = 0.95
                    ) -> tuple[dict[str, Any], list[str]]:
    """One centre's 2x2 cells at ``score >= cutoff``, sensitivity and specificity (exact CIs) and AUC (DeLong)."""
    cells = two_by_two(table["levels"], table["n_pos"], table["n_neg"], cutoff)
    acc = _accuracy_dict(cells, conf_level)
    n_pos, n_neg = int(sum(table["n_pos"])), int(sum(table["n_neg"]))
    row = {"center": centre, "n": n_pos + n_neg, "n_positive": n_pos, "n_negative": n_neg, **cells,
           "sensitivity": acc["sensitivity"]["estimate"], "sensitivity_ci": acc["sensitivity"]["ci"],
           "specificity": acc["specificity"]["estimate"], "specificity_ci": acc["specificity"]["ci"],
           "auc": None, "auc_se": None, "auc_ci": None}
    warnings = []
    try:
        d = delong_from_counts(table["levels"], table["n_pos"], table["n_neg"], conf_level)
        row.update(auc=d.auc, auc_se=d.se, auc_ci=list(d.ci))
    except DataError as exc:
        warnings.append(f"centre {centre}: no AUC ({exc})")
    if n_pos < 10 or n_neg < 10:
        warnings.append(f"centre {centre}: fewer than 10 patients in a reference class; its estimates are imprecise.")
    return row, warnings


def _pooled_auc(per: Sequence[Mapping[str, Any]], test: str, conf_level: float
                ) -> tuple[PooledAUCResult | None, MetaResult | None, list[str]]:
    aucs = [(r["center"], r["auc"], r["auc_se"]) for r in per if r["auc"] is not None and r["auc_se"]]
    if len(aucs) < 2:
        return None, None, []
    try:
        pa = pool_auc([a for _, a, _ in aucs], [s for _, _, s in aucs], labels=[c for c, _, _ in aucs],
                      scale="logit", test=test, conf_level=conf_level)
    except DataError as exc:
        return None, None, [f"pooled AUC not estimated: {exc}"]
    return PooledAUCResult.of(pa.meta, estimate=pa.estimate, ci=tuple(pa.ci),
                              prediction_interval=tuple(pa.prediction_interval),
                              prediction_interval_t=pa.prediction_interval_t), pa.meta, []


def _bivariate(cells: Mapping[str, Any], labels: Sequence[str], continuity: float, conf_level: float
               ) -> tuple[BivariateResult | None, list[str]]:
    if len(labels) < 3:
        return None, ["bivariate model needs at least 3 centres; not fitted."]
    try:
        bv = reitsma(cells["tp"], cells["fp"], cells["fn"], cells["tn"], labels=labels, correction=continuity,
                     conf_level=conf_level)
    except DataError as exc:
        return None, [f"bivariate model not fitted: {exc}"]
    return bv, [f"bivariate: {w}" for w in bv.warnings]


def _summed_counts(counts: Mapping[str, Mapping[str, Sequence]], labels: Sequence[str], cutoff: float,
                   conf_level: float) -> tuple[dict, dict, dict, dict]:
    """The summed counts' ROC, AUC and accuracy, and the Youden-optimal cutoff (exploratory)."""
    lv: Any
    pos: Any
    neg: Any
    lv, pos, neg = pool_score_counts([counts[c] for c in labels])
    roc = roc_from_counts(lv, pos, neg)
    dl = delong_from_counts(lv, pos, neg, conf_level)
    cells = two_by_two(lv, pos, neg, cutoff)
    acc = _accuracy_dict(cells, conf_level)
    pooled_counts = {
        "description": "all centres' counts summed (= the pooled patient-level analysis, ignoring centre)",
        "levels": lv.tolist(), "n_pos": pos.tolist(), "n_neg": neg.tolist(),
        "roc": {"cutoffs": roc.cutoffs.tolist(), "thresholds": roc.thresholds.tolist(),
                "sensitivities": roc.sensitivities.tolist(), "specificities": roc.specificities.tolist()},
        "auc": {"estimate": dl.auc, "se": dl.se, "ci": list(dl.ci), "method": "DeLong"},
        "accuracy": {**cells, **acc, "method": "exact (Clopper-Pearson)"},
    }
    j = roc.sensitivities + roc.specificities - 1
    best = int(np.argmax(j[:-1])) if j.size > 1 else 0
    exploratory = {"label": "exploratory", "youden_cutoff": {
        "cutoff": float(roc.cutoffs[best]), "youden": float(j[best]), "sensitivity": float(roc.sensitivities[best]),
        "specificity": float(roc.specificities[best]),
        "note": "re-optimised on the pooled data: exploratory, not a validation of the prespecified cutoff"}}
    return pooled_counts, exploratory, cells, acc


def multicentre_accuracy(counts: Mapping[str, Mapping[str, Sequence]], *, cutoff: float, test: str = "z",
                         continuity: float = 0.5, conf_level: float = 0.95) -> MulticentreAccuracyResult:
    """Per-centre and pooled accuracy from each centre's counts per score level (see the module docstring).

    ``counts`` maps a centre to ``{"levels", "n_pos", "n_neg"}``.

    Examples
    --------
    >>> t = {"levels": [1, 2, 3, 4], "n_pos": [1, 2, 6, 11], "n_neg": [12, 9, 5, 2]}
    >>> u = {"levels": [1, 2, 3, 4], "n_pos": [2, 1, 7, 10], "n_neg": [10, 10, 3, 3]}
    >>> v = {"levels": [1, 2, 3, 4], "n_pos": [3, 2, 5, 9], "n_neg": [14, 6, 4, 1]}
    >>> r = multicentre_accuracy({"A": t, "B": u, "C": v}, cutoff=3)
    >>> [row["tp"] for row in r.per_center]
    [17, 17, 14]
    >>> round(r.pooled["sensitivity"].estimate, 3), round(r.pooled["specificity"].estimate, 3)
    (0.808, 0.771)

    (R: ``transf.ilogit(coef(rma(xi = c(17, 17, 14), ni = c(20, 20, 19), measure = "PLO",
    method = "REML")))`` = 0.808; specificity ``xi = c(21, 20, 20), ni = c(28, 26, 25)``: 0.771.)
    """
    conf_level = conf_level_or_alias(conf_level)
    labels = sorted(counts)
    if len(labels) < 2:
        raise DataError(f"a multicentre analysis needs at least 2 centres; found {len(labels)} ({', '.join(labels)}).")
    warnings: list[str] = []
    per = []
    for c in labels:
        row, w = centre_accuracy(c, counts[c], cutoff, conf_level)
        per.append(row)
        warnings += w
    cells: dict[str, Any] = {k: np.array([r[k] for r in per]) for k in ("tp", "fp", "tn", "fn")}
    pooled: dict[str, Any] = {}
    meta: dict[str, MetaResult] = {}
    for name, ev, tot in (("sensitivity", cells["tp"], cells["tp"] + cells["fn"]),
                          ("specificity", cells["tn"], cells["tn"] + cells["fp"])):
        if np.any(tot == 0):
            bad = [labels[i] for i in np.flatnonzero(tot == 0)]
            raise DataError(f"centre(s) {', '.join(bad)} have no reference-{'positive' if name == 'sensitivity' else 'negative'} "
                            f"patients: {name} is undefined there; remove them or pool without them.")
        meta[name] = meta_proportion(ev, tot, labels=labels, test=test, add=continuity, conf_level=conf_level)
        pooled[name] = PooledProportionResult.of(meta[name])
        warnings.extend(f"pooled {name}: {w}" for w in meta[name].warnings)
    pooled["auc"], meta_auc, w = _pooled_auc(per, test, conf_level)
    warnings += w
    if meta_auc is not None:
        meta["auc"] = meta_auc
    bivariate, w = _bivariate(cells, labels, continuity, conf_level)
    warnings += w
    pooled_counts, exploratory, sum_cells, acc = _summed_counts(counts, labels, cutoff, conf_level)
    return MulticentreAccuracyResult(cutoff=float(cutoff), labels=tuple(labels), per_center=tuple(per), pooled=pooled,
                                     bivariate=bivariate, pooled_counts=pooled_counts, exploratory=exploratory,
                                     cells=sum_cells, accuracy=acc, meta=meta, warnings=tuple(warnings))


@dataclasses.dataclass(frozen=True)
class PooledRiskValidationResult(Result):
    """A predicted risk validated per centre and pooled (metamisc ``valmeta``)."""

    risk: str
    per_center: tuple[dict, ...]
    pooled: dict
    method: str
    warnings: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """The published keys (``risk``, ``per_center``, ``pooled``, ``method``); warnings go to the section."""
        return to_jsonable({"risk": self.risk, "per_center": self.per_center, "pooled": self.pooled,
                            "method": self.method})


def pooled_risk_validation(risk: Sequence[float], outcome: Sequence[bool], centre: Sequence[Any], *,
                           name: str = "risk", conf_level: float = 0.95) -> PooledRiskValidationResult:
    """Per-centre C statistic, O:E, CITL and slope of a predicted risk, and their pooled values (valmeta).

    Patients without a predicted risk are left out of their centre (with a
    warning); a centre whose risk cannot be validated is skipped (warning).
    """
    import pandas as pd

    from spinestats.analysis.prediction.risk_validation import validate_risk
    from spinestats.text_numbers import to_numeric

    conf_level = conf_level_or_alias(conf_level)
    frame = pd.DataFrame({"risk": to_numeric(pd.Series(list(risk)), errors="coerce"),
                          "outcome": np.asarray(outcome, dtype=bool), "centre": list(centre)})
    warnings: list[str] = []
    rows, fits = [], []
    for c, g in frame.groupby("centre", sort=True):
        ok = g["risk"].notna()
        if (~ok).any():
            warnings.append(f"risk model, centre {c}: {int((~ok).sum())} patient(s) without a predicted risk left out.")
        try:
            r = validate_risk(g.loc[ok, "risk"].to_numpy(), g.loc[ok, "outcome"].to_numpy(), conf_level=conf_level)
        except DataError as exc:
            warnings.append(f"risk model, centre {c}: not validated ({exc})")
            continue
        fits.append((str(c), r))
        warnings.extend(f"risk model, centre {c}: {w}" for w in r.warnings)
        rows.append({"center": str(c), **{k: v for k, v in r.to_dict().items() if k != "warnings"}})
    pooled: dict[str, Any] = {}
    if len(fits) >= 2:
        labels = [c for c, _ in fits]
        for measure, fn in (
            ("c_statistic", lambda: pool_auc([r.c_statistic for _, r in fits], [r.c_se for _, r in fits],
                                             labels=labels, test="knha", conf_level=conf_level)),
            ("calibration_slope", lambda: pool_calibration_slope([r.slope for _, r in fits], [r.slope_se for _, r in fits],
                                                                 labels=labels, test="knha", conf_level=conf_level)),
            ("oe_ratio", lambda: pool_oe_ratio([r.events for _, r in fits], [r.expected for _, r in fits],
                                               [r.n for _, r in fits], labels=labels, test="knha",
                                               conf_level=conf_level)),
        ):
            try:
                pm = fn()
                pooled[measure] = {"estimate": pm.estimate, "ci": list(pm.ci), "tau2": pm.tau2, "i2": pm.i2,
                                   "prediction_interval": list(pm.prediction_interval),
                                   "prediction_interval_t": None if pm.prediction_interval_t is None
                                   else list(pm.prediction_interval_t),
                                   "scale": pm.scale, "test": "knha", "k": pm.k}
            except DataError as exc:
                pooled[measure] = None
                warnings.append(f"risk model: pooled {measure} not estimated ({exc})")
    return PooledRiskValidationResult(
        risk=name, per_center=tuple(rows), pooled=pooled,
        method="as metamisc valmeta: REML with Knapp-Hartung; logit C statistic, log O:E, identity slope",
        warnings=tuple(warnings))


def pooled_survival(groups: Mapping[Any, Sequence[Mapping[str, Sequence]]], *, conf_level: float = 0.95
                    ) -> dict[str, Any]:
    """Kaplan-Meier curves (log CIs) of each group's pooled risk-set tables, and the log-rank test of 2+ groups.

    ``groups`` maps a group to the centres' risk-set tables of that group.
    """
    pooled_tabs: dict[Any, Any] = {g: pool_risk_sets(list(tabs)) for g, tabs in groups.items()}
    curves = {}
    for g, tab in pooled_tabs.items():
        km = km_from_risk_set(tab, group=g, conf_level=conf_level)
        curves[g] = {"time": km.time.tolist(), "n_at_risk": km.n_at_risk.tolist(), "n_event": km.n_event.tolist(),
                     "survival": km.survival.tolist(), "std_err": km.std_err.tolist(),
                     "lower": km.lower.tolist(), "upper": km.upper.tolist(), "conf_type": km.conf_type}
    logrank = logrank_from_risk_sets(pooled_tabs).to_dict() if len(groups) >= 2 else None
    return {"kaplan_meier": curves, "logrank": logrank}


def pooled_success(acc: MulticentreAccuracyResult, success: Mapping[str, Mapping[str, Any]], *, test: str = "z",
                   alpha: float = 0.05, multiplicity: str = "all", continuity: float = 0.5,
                   conf_level: float = 0.95) -> tuple[Any, list[str]]:
    """Prespecified success criteria tested one-sided on the pooled (REML, logit) estimates.

    Sensitivity and specificity are pooled again with the plan's ``test``
    (``z`` or ``knha``) and tested against each criterion's ``null`` by
    :func:`~spinestats.analysis.design.success_criteria.pooled_criterion`; the
    AUC uses the pooled AUC of ``acc`` (a warning when it was pooled with
    another test).  The decision combines the tests by ``multiplicity``
    (:func:`~spinestats.analysis.design.success_criteria.evaluate_criteria`);
    a criterion without a pooled estimate is counted as not met.  Returns
    ``(CriteriaResult or None when nothing could be tested, warnings)``.
    """
    from spinestats.analysis.design.success_criteria import evaluate_criteria, pooled_criterion

    warnings: list[str] = []
    tests = []
    for measure, crit in success.items():
        kw = dict(null=crit["null"], alternative=crit.get("alternative", "greater"), alpha=alpha, measure=measure)
        if measure in ("sensitivity", "specificity"):
            hit, miss = ("tp", "fn") if measure == "sensitivity" else ("tn", "fp")
            ev: Any = np.array([r[hit] for r in acc.per_center])
            m = meta_proportion(ev, ev + np.array([r[miss] for r in acc.per_center]), labels=list(acc.labels),
                                test=test, add=continuity, conf_level=conf_level)
            tests.append(pooled_criterion(m.estimate_model, m.se_model, m.k, test=test, **kw))
        elif measure == "auc" and acc.pooled.get("auc") is not None:
            a = acc.pooled["auc"]
            if test != a.test:
                warnings.append(f"primary endpoint auc: pooled with the '{a.test}' test, not the plan's "
                                f"'{test}'; rerun with --test {test}.")
            tests.append(pooled_criterion(a.estimate_logit, a.se_logit, a.k, test=a.test, **kw))
        else:
            warnings.append(f"primary endpoint {measure}: no pooled estimate, so the criterion could not be tested "
                            "(counted as not met).")
    if not tests:
        return None, warnings
    decision = evaluate_criteria(tests, multiplicity=multiplicity, alpha=alpha)
    if len(tests) < len(success) and multiplicity == "all":
        decision = dataclasses.replace(decision, success=False)
    return decision, warnings

"""The accuracy of one score against a reference standard, as pROC and epiR report it.

Public functions
----------------
``score_accuracy(score, truth, *, labels=("negative", "positive"), direction="higher-is-positive",
method="youden", cost=1.0, prevalence=0.5, min_sensitivity=None, min_specificity=None, ci_method="exact",
conf_level=0.95, target_prevalence=None, cutoffs=None) -> ScoreAccuracyResult``
    One ROC curve (pROC ``roc(direction=)``; with ``"lower-is-positive"`` that of
    the negated score), built once and read by every step: the AUC with its
    DeLong CI (:mod:`~spinestats.analysis.diagnostic.delong`), accuracy at every
    observed cutoff (:func:`~spinestats.analysis.diagnostic.accuracy.accuracy_from_roc`)
    and at the requested ``cutoffs``
    (:func:`~spinestats.analysis.diagnostic.accuracy_at_cutoffs.accuracy_at_cutoffs`),
    the optimal cutoff(s) (:func:`~spinestats.analysis.diagnostic.cutoff.optimal_cutoff`,
    every tie kept) and the score's distribution by class
    (:func:`~spinestats.analysis.diagnostic.score_distribution.score_distribution`).
    Cutoffs are reported in the score's own units ("positive when score >= cutoff",
    or "<=" for a lower-is-positive score).

The statistics and their R equivalents are those of the modules named above;
this module only chains them on one curve.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from spinestats.analysis.core.result import Result, to_jsonable
from spinestats.analysis.diagnostic.accuracy import AccuracyTableResult, accuracy_from_roc
from spinestats.analysis.diagnostic.accuracy_at_cutoffs import accuracy_at_cutoffs
from spinestats.analysis.diagnostic.cutoff import OptimalCutoffResult, optimal_cutoff
from spinestats.analysis.diagnostic.delong import DelongAucResult, delong_from_roc
from spinestats.analysis.diagnostic.roc import (DIRECTIONS, RocCurveResult, low_auc_warning, resolve_direction,
                                                roc_curve)
from spinestats.analysis.diagnostic.score_distribution import ScoreDistributionResult, score_distribution
from spinestats.errors import UsageError

#: the measures a cutoff row of ``to_dict()`` carries (the sample prevalence is the same in every row: left out)
CUTOFF_KEYS = ("cutoff", "tp", "fp", "tn", "fn", "sensitivity", "sensitivity_ci", "specificity", "specificity_ci",
               "ppv", "ppv_ci", "npv", "npv_ci", "lr_pos", "lr_pos_ci", "lr_neg", "lr_neg_ci", "dor", "dor_ci",
               "accuracy", "accuracy_ci", "youden", "youden_ci", "ppv_at_prevalence", "npv_at_prevalence")
CI_METHODS = ("exact", "wilson")


def cutoff_records(table: AccuracyTableResult) -> list[dict[str, Any]]:
    """The rows of an accuracy table as results.json writes them: :data:`CUTOFF_KEYS`, counts as integers."""
    out = []
    for rec in table.records():
        row = {k: rec[k] for k in CUTOFF_KEYS if k in rec}
        row.update({k: int(round(row[k])) for k in ("tp", "fp", "tn", "fn")})
        out.append(row)
    return out


@dataclasses.dataclass(frozen=True)
class ScoreAccuracyResult(Result):
    """A score's accuracy: ROC/DeLong AUC, every cutoff, the optimal and the requested cutoffs, the distribution.

    Attributes
    ----------
    roc : the ROC curve analysed (of the negated score when ``direction == ">"``).
    auc : :class:`~spinestats.analysis.diagnostic.delong.DelongAucResult` (AUC, DeLong SE and CI).
    cutoffs : accuracy at every observed level (score units).
    optimal : the optimal cutoff(s) (score units; ``threshold`` pROC's midpoints).
    requested : accuracy at the requested cutoffs, or None.
    distribution : the score by class (in the score's own units).
    direction : pROC's direction analysed (``"<"`` or ``">"``); ``direction_requested`` as asked.
    ci_method, conf_level, target_prevalence : as given.
    cost, prevalence, min_sensitivity, min_specificity : the cutoff rule's settings.
    warnings : a below-chance AUC, a direction chosen from the data, tied optimal cutoffs.
    """

    roc: RocCurveResult
    auc: DelongAucResult
    cutoffs: AccuracyTableResult
    optimal: OptimalCutoffResult
    requested: AccuracyTableResult | None
    distribution: ScoreDistributionResult
    direction: str
    direction_requested: str
    ci_method: str
    conf_level: float
    target_prevalence: float | None
    cost: float
    prevalence: float
    min_sensitivity: float | None
    min_specificity: float | None
    warnings: tuple[str, ...] = ()

    @property
    def at_most(self) -> bool:
        """True when the test is positive at or below the cutoff (pROC direction ``">"``)."""
        return self.direction == ">"

    def marked(self) -> OptimalCutoffResult:
        """The cutoff(s) a figure marks: the requested ones, else the optimal ones."""
        if self.requested is None:
            return self.optimal
        t = self.requested.table
        return OptimalCutoffResult(method="requested", cutoff=tuple(float(c) for c in t["cutoff"]),
                                   threshold=tuple(float("nan") for _ in range(len(t))),
                                   sensitivity=tuple(float(v) for v in t["sensitivity"]),
                                   specificity=tuple(float(v) for v in t["specificity"]),
                                   criterion=float("nan"), r=1.0)

    def to_dict(self) -> dict[str, Any]:
        """The accuracy keys of a diagnostic section of results.json (schema ``diagnostic.schema.json``)."""
        opt = self.optimal
        tied = len(opt.cutoff) > 1

        def pick(v: tuple) -> Any:
            return list(v) if tied else v[0]

        out: dict[str, Any] = {
            "n": int(self.roc.n_positive + self.roc.n_negative),
            "n_positive": int(self.roc.n_positive),
            "n_negative": int(self.roc.n_negative),
            "auc": self.auc.auc,
            "auc_ci": list(self.auc.ci),
            "auc_se": self.auc.se,
            "auc_ci_method": "DeLong",
            "conf_level": self.conf_level,
            "ci_method": self.ci_method,
            "cutoff_convention": "test positive when score <= cutoff (pROC direction '>'; threshold = midpoint "
                                 "above the cutoff)" if self.at_most else
                                 "test positive when score >= cutoff (pROC threshold = midpoint below the cutoff)",
            "direction": {v: k for k, v in DIRECTIONS.items()}[self.direction],
            "direction_proc": self.direction,
            "direction_requested": self.direction_requested,
            "cutoffs": cutoff_records(self.cutoffs),
            "optimal_cutoff": {"method": opt.method, "cutoff": pick(opt.cutoff), "threshold": pick(opt.threshold),
                               "sensitivity": pick(opt.sensitivity), "specificity": pick(opt.specificity),
                               "tied": tied, "criterion": opt.criterion, "cost": self.cost,
                               "prevalence": self.prevalence, "min_sensitivity": self.min_sensitivity,
                               "min_specificity": self.min_specificity},
            "by_class": self.distribution.to_dict(),
        }
        if self.target_prevalence is not None:
            out["target_prevalence"] = float(self.target_prevalence)
        if self.requested is not None:
            out["requested_cutoffs"] = cutoff_records(self.requested)
        return to_jsonable(out)


def score_accuracy(score, truth, *, labels: tuple[str, str] = ("negative", "positive"),
                   direction: str = "higher-is-positive", method: str = "youden", cost: float = 1.0,
                   prevalence: float = 0.5, min_sensitivity: float | None = None,
                   min_specificity: float | None = None, ci_method: str = "exact", conf_level: float = 0.95,
                   target_prevalence: float | None = None,
                   cutoffs: Sequence[float] | float | None = None) -> ScoreAccuracyResult:
    """The accuracy of ``score`` against the boolean ``truth`` (see module docstring).

    Parameters
    ----------
    score, truth : per-patient scores and reference standard (True = positive), no missing values.
    labels : display labels of the (negative, positive) classes (keys of ``by_class``).
    direction : ``"higher-is-positive"`` (pROC ``"<"``), ``"lower-is-positive"`` (``">"``) or ``"auto"``.
    method, cost, prevalence, min_sensitivity, min_specificity : the cutoff rule (pROC ``coords(x = "best")``).
    ci_method : ``"exact"`` (Clopper-Pearson) or ``"wilson"`` CIs of proportions.
    conf_level : confidence level of every CI.
    target_prevalence : prevalence of the target population for PPV/NPV (Bayes' theorem).
    cutoffs : cutoffs reported in detail (score units).

    Examples
    --------
    >>> r = score_accuracy([0, 1, 2, 4, 5, 6], [False, False, True, False, True, True], cutoffs=[3])
    >>> round(r.auc.auc, 4), r.optimal.cutoff  # two cutoffs tie under Youden's rule: both are kept
    (0.8889, (2.0, 5.0))
    >>> r.to_dict()["requested_cutoffs"][0]["sensitivity"]
    0.6666666666666666
    """
    if ci_method not in CI_METHODS:
        raise UsageError(f"ci_method must be 'exact' or 'wilson', got {ci_method!r}.")
    s = np.asarray(score, dtype=float)
    t = np.asarray(truth, dtype=bool)
    proc = resolve_direction(s, t, direction)
    at_most = proc == ">"
    roc = roc_curve(-s if at_most else s, t)
    auc = delong_from_roc(roc, conf_level)
    opt = optimal_cutoff(roc, method, cost=cost, prevalence=prevalence, min_sensitivity=min_sensitivity,
                         min_specificity=min_specificity)
    every = accuracy_from_roc(roc, method=ci_method, conf_level=conf_level, prevalence=target_prevalence)
    if at_most:  # analysed on -score: cutoffs back in the score's own units ("positive when score <= cutoff")
        opt = dataclasses.replace(opt, cutoff=tuple(-c for c in opt.cutoff), threshold=tuple(-x for x in opt.threshold))
        every = dataclasses.replace(every, table=every.table.assign(cutoff=-every.table["cutoff"]))
    requested = None
    if cutoffs is not None:
        requested = accuracy_at_cutoffs(roc, [float(c) for c in np.atleast_1d(cutoffs)], method=ci_method,
                                        conf_level=conf_level, prevalence=target_prevalence, at_most=at_most)
    warnings = [w for w in (low_auc_warning(auc.auc, proc, str(labels[1])),) if w]
    if DIRECTIONS.get(direction, direction) == "auto":
        warnings.append(f"the direction was chosen from the data (pROC direction = 'auto' took '{proc}'); "
                        "an AUC whose direction is chosen after seeing the data is biased upward, so prespecify "
                        "the direction in a confirmatory analysis.")
    if len(opt.cutoff) > 1:
        ge = "<=" if at_most else ">="
        warnings.append(f"{len(opt.cutoff)} cutoffs tie under the {method} rule: "
                        f"{', '.join(f'{ge} {c:g}' for c in opt.cutoff)}; all are reported.")
    return ScoreAccuracyResult(
        roc=roc, auc=auc, cutoffs=every, optimal=opt, requested=requested,
        distribution=score_distribution(s, t, labels=labels), direction=proc, direction_requested=direction,
        ci_method=ci_method, conf_level=float(conf_level),
        target_prevalence=None if target_prevalence is None else float(target_prevalence), cost=cost,
        prevalence=prevalence, min_sensitivity=min_sensitivity, min_specificity=min_specificity,
        warnings=tuple(warnings))

"""Diagnostic accuracy of a dichotomised score (2x2 table), vectorised over cutoffs.

Public functions
----------------
``accuracy_from_counts(tp, fp, tn, fn, *, cutoff=None, method="exact", conf_level=0.95,
prevalence=None) -> AccuracyTableResult``
    Counts may be scalars or arrays (one 2x2 table per cutoff).
``accuracy_at_cutoff(data, *, score, truth, positive, cutoff, method="exact",
conf_level=0.95, prevalence=None) -> AccuracyTableResult``
    From a DataFrame; a patient is test-positive when ``score >= cutoff`` (``cutoff``
    may be a list).  Missing rows are excluded and recorded (``flow``).
``accuracy_from_roc(roc, *, method="exact", conf_level=0.95, prevalence=None) -> AccuracyTableResult``
    Every operating point of a :class:`~spinestats.analysis.diagnostic.roc.RocCurve`
    (one row per observed level: "positive when score >= level").

Measures (epiR ``epi.tests`` conventions)
-----------------------------------------
Se = TP/(TP+FN), Sp = TN/(TN+FP), PPV = TP/(TP+FP), NPV = TN/(TN+FN), accuracy
= (TP+TN)/n, sample prevalence = (TP+FN)/n: each with an exact Clopper–Pearson CI
(``method="exact"``, epiR ``method = "exact"``) or the Wilson score CI
(``method="wilson"``, R ``prop.test(correct = FALSE)``).

LR+ = Se/(1-Sp), LR- = (1-Se)/Sp, with the log-method CI (Simel et al. 1991;
epiR's formula)

.. math::
    \\exp\\Big(\\log LR_+ \\pm z\\sqrt{\\tfrac{1-Se}{m\\,Se} + \\tfrac{Sp}{n(1-Sp)}}\\Big), \\quad
    \\exp\\Big(\\log LR_- \\pm z\\sqrt{\\tfrac{Se}{m(1-Se)} + \\tfrac{1-Sp}{n\\,Sp}}\\Big),

``m`` = positives, ``n`` = negatives.  Diagnostic odds ratio DOR = TP·TN/(FP·FN)
with Woolf's CI :math:`\\exp(\\log DOR \\pm z\\sqrt{1/TP+1/FP+1/FN+1/TN})`.
Youden's J = Se + Sp - 1, with epiR's interval (the range of J at the Se and
Sp bounds).  Where a count is zero, undefined quantities are NaN (``null`` in
JSON) rather than infinite; no continuity correction is added.

At a user-given prevalence :math:`\\pi` (Bayes' theorem):

.. math::
    PPV_\\pi = \\frac{Se\\,\\pi}{Se\\,\\pi + (1-Sp)(1-\\pi)}, \\qquad
    NPV_\\pi = \\frac{Sp(1-\\pi)}{Sp(1-\\pi) + (1-Se)\\pi}.

References
----------
Simel DL, Samsa GP, Matchar DB. Likelihood ratios with confidence: sample size
estimation for diagnostic test studies. J Clin Epidemiol 1991;44:763-770.
doi:10.1016/0895-4356(91)90128-V

Stevenson M, et al. epiR: Tools for the analysis of epidemiological data
(``epi.tests``). https://CRAN.R-project.org/package=epiR
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd
from spinestats.analysis.core import distributions as stats

from spinestats.analysis.descriptive.proportion_ci import proportion_ci
from spinestats.analysis.core.result import Result, to_jsonable
from spinestats.analysis.diagnostic.roc import RocCurve
from spinestats.analysis.core.score_input import prepare_score_truth
from spinestats.errors import DataError, UsageError

CI_MEASURES = ("sensitivity", "specificity", "ppv", "npv", "accuracy", "prevalence")


@dataclasses.dataclass(frozen=True)
class AccuracyTableResult(Result):
    """Accuracy measures, one row per cutoff (see module docstring for formulas).

    Attributes
    ----------
    table : DataFrame with columns ``cutoff, tp, fp, tn, fn`` and for each measure
        ``<measure>, <measure>_lower, <measure>_upper`` (sensitivity, specificity, ppv,
        npv, accuracy, prevalence, lr_pos, lr_neg, dor, youden), plus
        ``ppv_at_prevalence`` / ``npv_at_prevalence`` when a prevalence is given.
    method : CI method for proportions (``"exact"`` or ``"wilson"``).
    conf_level : confidence level.
    prevalence : the user-given prevalence (or None).
    flow : patient flow when computed from a table (else None).
    warnings : small-sample warnings.
    """

    table: pd.DataFrame
    method: str
    conf_level: float
    prevalence: float | None = None
    flow: dict | None = None
    warnings: tuple = ()

    def to_frame(self) -> pd.DataFrame:
        """The accuracy table (one row per cutoff)."""
        return self.table.copy()

    def records(self) -> list[dict[str, Any]]:
        """One JSON-safe dict per cutoff; CIs as ``[lower, upper]`` under ``<measure>_ci``."""
        out = []
        for row in self.table.to_dict(orient="records"):
            rec: dict[str, Any] = {}
            for k, v in row.items():
                if k.endswith("_lower") or k.endswith("_upper"):
                    continue
                rec[k] = v
                if f"{k}_lower" in row:
                    rec[f"{k}_ci"] = [row[f"{k}_lower"], row[f"{k}_upper"]]
            out.append(to_jsonable(rec))
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "cutoffs": self.records(),
            "method": self.method,
            "conf_level": self.conf_level,
            "prevalence": self.prevalence,
            "flow": to_jsonable(self.flow),
            "warnings": list(self.warnings),
        }


#: the former name, kept as an alias
AccuracyTable = AccuracyTableResult


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        r = num / den
    return np.where(np.isfinite(r), r, np.nan)


def _log_ci(est, var_log, z) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(divide="ignore", invalid="ignore"):
        lo = np.exp(np.log(est) - z * np.sqrt(var_log))
        hi = np.exp(np.log(est) + z * np.sqrt(var_log))
    ok = np.isfinite(est) & (est > 0) & np.isfinite(var_log)
    return np.where(ok, lo, np.nan), np.where(ok, hi, np.nan)


def accuracy_from_counts(
    tp,
    fp,
    tn,
    fn,
    *,
    cutoff=None,
    method: str = "exact",
    conf_level: float = 0.95,
    prevalence: float | None = None,
) -> AccuracyTableResult:
    """Accuracy measures with CIs from 2x2 counts (scalars or arrays, one table per cutoff).

    Parameters
    ----------
    tp, fp, tn, fn : true/false positives/negatives.
    cutoff : optional labels of the rows (the cutoffs).
    method : ``"exact"`` (Clopper–Pearson, default, = epiR ``method="exact"``) or ``"wilson"``.
    conf_level : two-sided confidence level.
    prevalence : optional prevalence in the target population (0-1) for
        ``ppv_at_prevalence`` / ``npv_at_prevalence``.

    Returns
    -------
    AccuracyTable
    """
    a, b, d, c = (np.atleast_1d(np.asarray(v, dtype=float)) for v in (tp, fp, tn, fn))
    a, b, c, d = np.broadcast_arrays(a, b, c, d)
    if np.any((a < 0) | (b < 0) | (c < 0) | (d < 0)) or not np.all(np.isfinite(np.stack([a, b, c, d]))):
        raise DataError("2x2 counts must be finite and >= 0.")
    if prevalence is not None and not (0.0 < float(prevalence) < 1.0):
        raise UsageError(f"prevalence must be strictly between 0 and 1, got {prevalence!r}.")
    z = float(stats.norm.ppf(1 - (1 - conf_level) / 2))
    m1, m0, total = a + c, b + d, a + b + c + d
    tab: dict[str, np.ndarray] = {}
    tab["cutoff"] = np.full(a.shape, np.nan) if cutoff is None else np.broadcast_to(np.asarray(cutoff, dtype=float), a.shape)
    tab.update(tp=a, fp=b, tn=d, fn=c)
    for name, x, n in (
        ("sensitivity", a, m1),
        ("specificity", d, m0),
        ("ppv", a, a + b),
        ("npv", d, c + d),
        ("accuracy", a + d, total),
        ("prevalence", m1, total),
    ):
        r = proportion_ci(x, n, conf_level, method)
        tab[name], tab[f"{name}_lower"], tab[f"{name}_upper"] = r.estimate, r.lower, r.upper
    se, sp = tab["sensitivity"], tab["specificity"]
    lr_pos = _ratio(se, 1 - sp)
    lr_neg = _ratio(1 - se, sp)
    tab["lr_pos"] = lr_pos
    tab["lr_pos_lower"], tab["lr_pos_upper"] = _log_ci(lr_pos, _ratio(1 - se, m1 * se) + _ratio(sp, m0 * (1 - sp)), z)
    tab["lr_neg"] = lr_neg
    tab["lr_neg_lower"], tab["lr_neg_upper"] = _log_ci(lr_neg, _ratio(se, m1 * (1 - se)) + _ratio(1 - sp, m0 * sp), z)
    dor = _ratio(a * d, b * c)
    with np.errstate(divide="ignore"):
        woolf = 1 / a + 1 / b + 1 / c + 1 / d
    tab["dor"] = dor
    tab["dor_lower"], tab["dor_upper"] = _log_ci(dor, woolf, z)
    j = se + sp - 1
    j1 = tab["sensitivity_lower"] + tab["specificity_lower"] - 1
    j2 = tab["sensitivity_upper"] + tab["specificity_upper"] - 1
    tab["youden"], tab["youden_lower"], tab["youden_upper"] = j, np.minimum(j1, j2), np.maximum(j1, j2)
    if prevalence is not None:
        pi = float(prevalence)
        tab["ppv_at_prevalence"] = _ratio(se * pi, se * pi + (1 - sp) * (1 - pi))
        tab["npv_at_prevalence"] = _ratio(sp * (1 - pi), sp * (1 - pi) + (1 - se) * pi)
    return AccuracyTableResult(
        table=pd.DataFrame(tab),
        method=method,
        conf_level=float(conf_level),
        prevalence=None if prevalence is None else float(prevalence),
    )


def accuracy_from_roc(
    roc: RocCurve, *, method: str = "exact", conf_level: float = 0.95, prevalence: float | None = None
) -> AccuracyTableResult:
    """Accuracy at every observed level of a ROC curve ("positive when score >= level").

    The all-negative point (``cutoff = +inf``) is left out: it is no usable cutoff.
    """
    f = roc.to_frame().iloc[:-1]
    return accuracy_from_counts(
        f["tp"], f["fp"], f["tn"], f["fn"], cutoff=f["cutoff"], method=method,
        conf_level=conf_level, prevalence=prevalence,
    )


def accuracy_at_cutoff(
    data: pd.DataFrame,
    *,
    score: str,
    truth: str,
    positive: Any,
    cutoff,
    method: str = "exact",
    conf_level: float = 0.95,
    prevalence: float | None = None,
    min_per_class: int = 10,
) -> AccuracyTableResult:
    """Accuracy of ``score >= cutoff`` against the reference column of ``data``.

    Parameters
    ----------
    data : table with one row per patient (not modified).
    score, truth : column names.
    positive : label of the positive class in ``truth``.
    cutoff : a number or list of numbers; test-positive when ``score >= cutoff``.
    method, conf_level, prevalence : as :func:`accuracy_from_counts`.
    min_per_class : classes smaller than this give a warning.
    """
    st = prepare_score_truth(data, score=score, truth=truth, positive=positive, min_per_class=min_per_class)
    cut = np.atleast_1d(np.asarray(cutoff, dtype=float))
    test_pos = st.score[None, :] >= cut[:, None]
    tp = (test_pos & st.truth).sum(axis=1)
    fp = (test_pos & ~st.truth).sum(axis=1)
    fn = st.truth.sum() - tp
    tn = (~st.truth).sum() - fp
    res = accuracy_from_counts(tp, fp, tn, fn, cutoff=cut, method=method, conf_level=conf_level, prevalence=prevalence)
    return dataclasses.replace(res, flow=st.flow, warnings=st.warnings)

"""Validation measures of several centres pooled by random-effects meta-analysis (REML, Knapp-Hartung).

Each centre's :class:`~.validation_measures.ValidationMeasuresResult` gives
an estimate and its standard error:

* AUC(t): pooled on the logit scale (:func:`~spinestats.analysis.pooling.pooled_auc.pool_auc`,
  variance ``(se / (auc (1 - auc)))^2``), back-transformed;
* Brier(t) and calibration-in-the-large: untransformed
  (:func:`~spinestats.analysis.pooling.meta_reml.rma_reml`);
* the calibration slope: untransformed (``pool_calibration_slope``);
* Harrell's and Uno's C: on the logit scale with their
  infinitesimal-jackknife SEs (:func:`~spinestats.analysis.pooling.pooled_concordance.pool_concordance`),
  with the test of C = 0.5.

The SE of a calibration measure is that of its Wald interval,
``(upper - lower) / (2 z_{1-α/2})``.  A centre enters a pooling only with a
finite estimate and an SE above 0 (an AUC strictly between 0 and 1, which
has a logit); every centre left out is named in the warnings, and a measure
with fewer than two usable centres is not pooled (``None``), with a
sentence.  As Debray et al. (BMJ 2017); the pooled values equal metafor's
``rma(..., method = "REML", test = "knha")`` (``tests/test_validate.py``,
``tests/test_concordance_se.py``).

Reference: Debray TPA, Damen JAAG, Snell KIE, et al. A guide to systematic
review and meta-analysis of prediction model performance. BMJ
2017;356:i6460. doi:10.1136/bmj.i6460
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from spinestats.analysis.core.critical import z_critical
from spinestats.analysis.core.result import Result
from spinestats.analysis.pooling.meta_reml import rma_reml
from spinestats.analysis.pooling.pooled_auc import pool_auc, pool_calibration_slope
from spinestats.analysis.pooling.pooled_concordance import pool_concordance
from spinestats.analysis.prediction.validation_measures import ValidationMeasuresResult
from spinestats.errors import DataError

#: the pooled measures and their names in sentences
POOLED_NAMES = {"time_auc": "AUC(t)", "brier": "Brier(t)", "calibration_citl": "calibration-in-the-large",
                "calibration_slope": "calibration slope"}
C_NAMES = {"harrell": "Harrell's C", "uno": "Uno's C"}
Centres = Sequence[tuple[str, ValidationMeasuresResult]]


def _finite(*xs: Any) -> bool:
    return all(x is not None and math.isfinite(x) for x in xs)


@dataclasses.dataclass(frozen=True)
class PooledMeasureSummaryResult(Result):
    """One measure pooled across centres: estimate, CI and prediction interval, heterogeneity, centres used."""

    estimate: float
    ci: tuple[float, float]
    tau2: float
    i2: float
    prediction_interval: tuple[float, float]
    k: int
    scale: str
    test: str
    method: str
    q: float
    q_df: int
    q_p: float
    centres: tuple[str, ...]

    @classmethod
    def of(cls, pm: Any, scale: str) -> "PooledMeasureSummaryResult":
        """From a pooled measure (its ``meta``) or a meta-analysis result."""
        m = getattr(pm, "meta", pm)
        return cls(pm.estimate, tuple(pm.ci), pm.tau2, pm.i2, tuple(pm.prediction_interval), pm.k, scale, "knha",
                   "REML", m.q, m.q_df, m.q_p, tuple(m.labels))


@dataclasses.dataclass(frozen=True)
class PooledCIndexSummaryResult(Result):
    """A C-index pooled on the logit scale (``None`` values and ``note`` when fewer than 2 centres were usable)."""

    estimate: float | None
    ci: tuple[float, float] | None
    prediction_interval: tuple[float, float] | None
    prediction_interval_t: tuple[float, float] | None
    estimate_logit: float | None
    se_logit: float | None
    tau2: float | None
    tau: float | None
    i2: float | None
    h2: float | None
    q: float | None
    q_df: int | None
    q_p: float | None
    statistic: float | None
    p: float | None
    k: int
    centres: tuple[str, ...]
    excluded: tuple[dict, ...]
    scale: str = "logit"
    test: str = "knha"
    method: str = "REML"
    null: float = 0.5
    note: str | None = None

    @classmethod
    def of(cls, pc: Any) -> "PooledCIndexSummaryResult":
        """From :func:`~spinestats.analysis.pooling.pooled_concordance.pool_concordance`'s result."""
        pm = pc.pooled
        common: dict[str, Any] = dict(k=len(pc.used), centres=tuple(pc.used),
                                      excluded=tuple({"centre": c, "reason": r} for c, r in pc.excluded), note=pc.note)
        if pm is None:
            undefined: dict[str, Any] = dict.fromkeys(_C_VALUES)
            return cls(**undefined, **common)
        m = pm.meta
        return cls(pm.estimate, tuple(pm.ci), tuple(pm.prediction_interval),
                   tuple(pm.prediction_interval_t) if pm.prediction_interval_t else None, m.estimate_model,
                   m.se_model, m.tau2, m.tau, m.i2, m.h2, m.q, m.q_df, m.q_p, m.statistic, m.p_value, **common)


#: the values of a pooled C-index (``None`` when nothing was pooled)
_C_VALUES = ("estimate", "ci", "prediction_interval", "prediction_interval_t", "estimate_logit", "se_logit", "tau2",
             "tau", "i2", "h2", "q", "q_df", "q_p", "statistic", "p")


@dataclasses.dataclass(frozen=True)
class PooledValidationResult(Result):
    """AUC(t), Brier(t) and calibration pooled across centres (``None`` where not poolable), with the sentences."""

    measures: Mapping[str, PooledMeasureSummaryResult | None]
    warnings: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class PooledCIndicesResult(Result):
    """Harrell's and Uno's C pooled across centres, with the sentences."""

    measures: Mapping[str, PooledCIndexSummaryResult]
    warnings: tuple[str, ...]


def _fits(conf_level: float) -> tuple[dict[str, Callable], dict[str, Callable]]:
    """For each measure: whether a centre is usable, and the pooling of the usable ones."""
    z = z_critical(conf_level)

    def se(ci: Sequence[float]) -> float:
        return (ci[1] - ci[0]) / (2 * z)

    usable = {
        "time_auc": lambda r: _finite(r.time_auc.estimate, r.time_auc.se)
        and 0 < r.time_auc.estimate < 1 and r.time_auc.se > 0,
        "brier": lambda r: _finite(r.brier.estimate, r.brier.se) and r.brier.se > 0,
        "calibration_citl": lambda r: _finite(r.calibration.citl, *r.calibration.citl_ci)
        and se(r.calibration.citl_ci) > 0,
        "calibration_slope": lambda r: _finite(r.calibration.slope, *r.calibration.slope_ci)
        and se(r.calibration.slope_ci) > 0,
    }
    k: dict[str, Any] = dict(test="knha", conf_level=conf_level)
    fits = {
        "time_auc": lambda rs, lab: PooledMeasureSummaryResult.of(pool_auc(
            [r.time_auc.estimate for r in rs], [r.time_auc.se for r in rs], labels=lab, **k), "logit"),
        "brier": lambda rs, lab: PooledMeasureSummaryResult.of(rma_reml(
            [r.brier.estimate for r in rs], [r.brier.se ** 2 for r in rs], labels=lab, **k), "identity"),
        "calibration_citl": lambda rs, lab: PooledMeasureSummaryResult.of(rma_reml(
            [r.calibration.citl for r in rs], [se(r.calibration.citl_ci) ** 2 for r in rs], labels=lab, **k),
            "identity"),
        "calibration_slope": lambda rs, lab: PooledMeasureSummaryResult.of(pool_calibration_slope(
            [r.calibration.slope for r in rs], [se(r.calibration.slope_ci) for r in rs], labels=lab, **k),
            "identity"),
    }
    return usable, fits


def pool_validation(centres: Centres, *, conf_level: float = 0.95) -> PooledValidationResult:
    """AUC(t), Brier(t), calibration-in-the-large and slope of ``(centre, measures)`` pooled (REML, Knapp-Hartung).

    Parameters
    ----------
    centres : each centre's label and its :class:`~.validation_measures.ValidationMeasuresResult`.
    conf_level : confidence level of the pooled CI and prediction interval (and of the centres' CIs, from
        which the calibration SEs are taken).
    """
    usable, fits = _fits(conf_level)
    out: dict[str, PooledMeasureSummaryResult | None] = {}
    warnings: list[str] = []
    for name, fit in fits.items():
        rows = [(c, r) for c, r in centres if usable[name](r)]
        left = [c for c, r in centres if not usable[name](r)]
        label = POOLED_NAMES[name]
        out[name] = None
        if len(rows) < 2:
            warnings.append(f"pooled {label} not estimated: {len(rows)} centre{'' if len(rows) == 1 else 's'} with "
                            "a finite estimate and a standard error above 0; a pooling needs at least 2.")
            continue
        try:
            out[name] = fit([r for _, r in rows], [c for c, _ in rows])
        except (DataError, ValueError, ZeroDivisionError, TypeError) as exc:
            warnings.append(f"pooled {label} not estimated ({exc})")
            continue
        if left:
            warnings.append(f"pooled {label}: centre{'' if len(left) == 1 else 's'} {', '.join(left)} left out "
                            "(no finite estimate with a standard error above 0).")
    return PooledValidationResult(out, tuple(warnings))


def _value(x: float) -> float | None:
    return x if _finite(x) else None


def pool_c_indices(centres: Centres, skipped: Mapping[str, str] | None = None, *,
                   conf_level: float = 0.95) -> PooledCIndicesResult:
    """Harrell's and Uno's C of ``(centre, measures)`` pooled on the logit scale (REML, Knapp-Hartung).

    ``skipped`` names the centres that could not be validated at all, with why; they are listed as left out.
    """
    skipped = dict(skipped or {})
    labels = [c for c, _ in centres] + list(skipped)
    out: dict[str, PooledCIndexSummaryResult] = {}
    warnings: list[str] = []
    for w, name in C_NAMES.items():
        notes = [getattr(r.c_index, f"{w}_note") for _, r in centres]
        est = [_value(getattr(r.c_index, w)) for _, r in centres] + [None] * len(skipped)
        se = [_value(getattr(r.c_index, f"{w}_se")) for _, r in centres] + [None] * len(skipped)
        why = notes + [f"not validated ({m})" for m in skipped.values()]
        pc = pool_concordance(est, se, labels, reasons=why, weighting=w, test="knha", conf_level=conf_level)
        out[w] = PooledCIndexSummaryResult.of(pc)
        if pc.excluded and pc.pooled is not None:
            undefined = {c for (c, _), n in zip(centres, notes) if n} | set(skipped)
            warnings.append(f"{name} pooled over {len(pc.used)} of {len(labels)} centres; left out: "
                            + "; ".join(f"centre {c} ({'C undefined, see above' if c in undefined else r.rstrip('.')})"
                                        for c, r in pc.excluded) + ".")
        if pc.note:
            warnings.append(f"{name}: {pc.note}")
        if pc.pooled is not None:
            warnings.extend(f"{name} pooling: {x}" for x in pc.pooled.warnings)
    return PooledCIndicesResult(out, tuple(warnings))

"""Pooling per-centre AUCs and calibration measures (as metamisc ``valmeta``).

Every function turns per-centre estimates into ``(y_i, v_i)`` on a pooling
scale and calls :func:`spinestats.analysis.pooling.meta_reml.rma_reml` (REML), then
back-transforms.

* AUC (c statistic), ``scale="logit"`` (valmeta's default): ``y = logit(AUC)``,
  ``v = SE²/(AUC(1-AUC))²`` (delta method; SE from DeLong); ``scale="raw"``:
  ``y = AUC``, ``v = SE²``.
* Calibration slope: pooled on its own scale, ``v = SE²``.
* Observed/expected ratio: ``y = log(O/E)``, ``v = (1 - O/N)/O`` (Debray et
  al. 2017, valmeta's formula for O, E, N).

Like valmeta (``test="knha"`` by default) we use the Knapp-Hartung
correction by default and give the prediction interval of Riley et al.
(2011), ``μ ± t_{k-2} sqrt(SE² + τ²)`` (``prediction_interval_t``), beside
metafor's (``prediction_interval``).  metamisc is not installed here; the
tests check these formulas against :func:`rma_reml` (itself tested against
metafor) and by hand.

References
----------
Debray TPA, Damen JAAG, Snell KIE, et al. A guide to systematic review and
meta-analysis of prediction model performance. BMJ 2017;356:i6460.
doi:10.1136/bmj.i6460
Riley RD, Higgins JPT, Deeks JJ. Interpretation of random effects
meta-analyses. BMJ 2011;342:d549. doi:10.1136/bmj.d549
Snell KIE, Ensor J, Debray TPA, Moons KGM, Riley RD. Meta-analysis of
prediction model performance across multiple studies: which scale helps
ensure between-study normality for the C-statistic and calibration
measures? Stat Methods Med Res 2018;27:3505-3522. doi:10.1177/0962280217705678
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
from spinestats.analysis.core import distributions as stats

from spinestats.analysis.pooling.meta_reml import MetaResult, rma_reml
from spinestats.analysis.core.params import conf_level_or_alias
from spinestats.analysis.core.result import Result
from spinestats.errors import DataError, UsageError


@dataclasses.dataclass(frozen=True)
class PooledMeasureResult(Result):
    """A pooled performance measure: the meta-analysis and Riley's t-based PI."""

    measure: str
    scale: str
    estimate: float
    ci: tuple[float, float]
    prediction_interval: tuple[float, float]
    prediction_interval_t: tuple[float, float] | None
    tau2: float
    i2: float
    k: int
    meta: MetaResult
    warnings: tuple[str, ...]


#: the former name, kept as an alias
PooledMeasure = PooledMeasureResult


def _riley_pi(meta: MetaResult, back, conf_level: float) -> tuple[float, float] | None:
    k = meta.k
    if k < 3:
        return None
    crit = stats.t.ppf(1 - (1 - conf_level) / 2, k - 2)
    half = crit * np.sqrt(meta.se_model**2 + meta.tau2)
    return (float(back(meta.estimate_model - half)), float(back(meta.estimate_model + half)))


def _finish(name: str, scale: str, meta: MetaResult, back, conf_level: float) -> PooledMeasureResult:
    warnings = list(meta.warnings)
    pi_t = _riley_pi(meta, back, conf_level)
    if pi_t is None:
        warnings.append("fewer than 3 centres: no t-based prediction interval.")
    return PooledMeasureResult(
        measure=name, scale=scale, estimate=float(back(meta.estimate_model)),
        ci=(float(back(meta.ci_model[0])), float(back(meta.ci_model[1]))),
        prediction_interval=(float(back(meta.prediction_interval_model[0])), float(back(meta.prediction_interval_model[1]))),
        prediction_interval_t=pi_t, tau2=meta.tau2, i2=meta.i2, k=meta.k, meta=meta, warnings=tuple(warnings),
    )


def pool_auc(
    auc: Sequence[float], se: Sequence[float], *, labels: Sequence[str] | None = None,
    scale: str = "logit", test: str = "knha", conf_level: float = 0.95, level: float | None = None,
) -> PooledMeasureResult:
    """Pool per-centre AUCs with their (DeLong) standard errors.

    Parameters
    ----------
    auc, se : per-centre AUC and its standard error.
    scale : ``"logit"`` (default) or ``"raw"``.
    test : ``"knha"`` (default, as valmeta) or ``"z"``.
    """
    conf_level = conf_level_or_alias(conf_level, level)  # ``level``: the former name, an alias
    a = np.asarray(auc, dtype=float)
    s = np.asarray(se, dtype=float)
    if np.any((a <= 0) | (a >= 1)) and scale == "logit":
        raise DataError("an AUC of 0 or 1 has no logit; pool on scale='raw' or drop that centre (and say so).")
    if np.any(~np.isfinite(s) | (s <= 0)):
        raise DataError("every AUC needs a finite standard error > 0 (a centre with one class has none).")
    if scale == "logit":
        y, v = np.log(a / (1 - a)), s**2 / (a * (1 - a)) ** 2

        def back(x):
            return 1 / (1 + np.exp(-x))
    elif scale == "raw":
        y, v = a, s**2

        def back(x):
            return x
    else:
        raise UsageError(f"scale must be 'logit' or 'raw'; got {scale!r}.")
    meta = rma_reml(y, v, labels=labels, test=test, conf_level=conf_level)
    return _finish("auc", scale, meta, back, conf_level)


def pool_calibration_slope(
    slope: Sequence[float], se: Sequence[float], *, labels: Sequence[str] | None = None,
    test: str = "knha", conf_level: float = 0.95, level: float | None = None,
) -> PooledMeasureResult:
    """Pool per-centre calibration slopes (identity scale)."""
    conf_level = conf_level_or_alias(conf_level, level)  # ``level``: the former name, an alias
    s = np.asarray(se, dtype=float)
    meta = rma_reml(np.asarray(slope, dtype=float), s**2, labels=labels, test=test, conf_level=conf_level)
    return _finish("calibration_slope", "identity", meta, lambda x: x, conf_level)


def pool_oe_ratio(
    observed: Sequence[float], expected: Sequence[float], n: Sequence[float], *,
    labels: Sequence[str] | None = None, test: str = "knha", conf_level: float = 0.95, level: float | None = None,
) -> PooledMeasureResult:
    """Pool observed/expected event ratios on the log scale (valmeta, O, E, N)."""
    conf_level = conf_level_or_alias(conf_level, level)  # ``level``: the former name, an alias
    o = np.asarray(observed, dtype=float)
    e = np.asarray(expected, dtype=float)
    nn = np.asarray(n, dtype=float)
    if np.any(o <= 0) or np.any(e <= 0) or np.any(o >= nn):
        raise DataError("O:E pooling needs 0 < observed events < N and expected events > 0 in every centre.")
    y = np.log(o / e)
    v = (1 - o / nn) / o
    meta = rma_reml(y, v, labels=labels, test=test, conf_level=conf_level)
    return _finish("oe_ratio", "log", meta, np.exp, conf_level)

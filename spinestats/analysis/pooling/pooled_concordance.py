"""Pooling per-centre C-indices (Harrell's or Uno's) by REML random-effects meta-analysis.

Each centre brings its C-index and the standard error of R survival's
``concordance()`` (:mod:`spinestats.analysis.prediction.concordance`).  The
C-indices are pooled on the logit scale, as the c statistic in Debray et al.
(2017) and metamisc ``valmeta``: ``y = logit(C)``, ``v = SE² / (C(1-C))²``
(delta method), REML for ``tau²`` and, by default, the Knapp-Hartung
correction (:func:`spinestats.analysis.pooling.pooled_auc.pool_auc`, which calls
:func:`spinestats.analysis.pooling.meta_reml.rma_reml`).  The estimate, its CI
and the prediction interval are back-transformed to the C scale; ``tau²``,
``Q`` and the test statistic stay on the logit scale, where ``p`` tests
``logit(C) = 0``, that is pooled ``C = 0.5`` (no discrimination).

A centre enters only when its C-index has a logit and a variance: a centre
whose C is undefined (no event, one patient, no comparable pair), equal to 0
or 1 (every comparable pair ordered one way: the logit is infinite), or whose
standard error is not a finite number above 0 is left out, named, with its
reason.  With fewer than two centres left nothing is pooled and the result
says so (``pooled`` is ``None`` and ``note`` gives the sentence).

Equals metafor ``rma(yi = qlogis(C), sei = SE / (C (1 - C)), method = "REML",
test = "knha")`` (or ``test = "z"``) with ``predict()`` for the prediction
interval.

References
----------
Debray TPA, Damen JAAG, Snell KIE, et al. A guide to systematic review and
meta-analysis of prediction model performance. BMJ 2017;356:i6460.
doi:10.1136/bmj.i6460
Snell KIE, Ensor J, Debray TPA, Moons KGM, Riley RD. Meta-analysis of
prediction model performance across multiple studies: which scale helps
ensure between-study normality for the C-statistic and calibration
measures? Stat Methods Med Res 2018;27:3505-3522. doi:10.1177/0962280217705678
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

from spinestats.analysis.core.result import Result
from spinestats.analysis.pooling.pooled_auc import PooledMeasure, pool_auc


@dataclasses.dataclass(frozen=True)
class PooledConcordanceResult(Result):
    """Per-centre C-indices pooled on the logit scale.

    Attributes
    ----------
    weighting : ``"harrell"`` or ``"uno"`` (a label only).
    used : centres pooled.
    excluded : ``(centre, reason)`` for every centre left out.
    pooled : the meta-analysis (:class:`PooledMeasure`; ``meta`` holds
        ``tau²``, ``I²``, ``Q`` and the test on the logit scale), or ``None``
        when fewer than two centres could be pooled.
    note : the sentence saying why nothing was pooled (``None`` when pooled).
    """

    weighting: str
    used: tuple[str, ...]
    excluded: tuple[tuple[str, str], ...]
    pooled: PooledMeasure | None
    note: str | None


def exclusion_reason(estimate: float | None, se: float | None, reason: str | None = None) -> str | None:
    """Why a centre's C-index cannot enter a logit-scale pooling, or ``None`` when it can."""
    if estimate is None or not math.isfinite(estimate):
        return reason or "the C-index is undefined."
    if estimate <= 0.0 or estimate >= 1.0:
        return (f"C = {estimate:g}: every comparable pair is ordered the same way, so the logit is infinite "
                "and the centre cannot be weighted.")
    if se is None or not math.isfinite(se) or se <= 0:
        return "the C-index has no standard error above 0."
    return None


def pool_concordance(
    estimates: Sequence[float | None],
    ses: Sequence[float | None],
    labels: Sequence[str],
    *,
    reasons: Sequence[str | None] | None = None,
    weighting: str = "harrell",
    test: str = "knha",
    conf_level: float = 0.95,
    level: float | None = None,
) -> PooledConcordanceResult:
    """Pool per-centre C-indices with their standard errors (see the module docstring).

    Parameters
    ----------
    estimates, ses : per-centre C-index and its standard error (``None``/``NaN`` when undefined).
    labels : centre labels.
    reasons : per centre, why its C-index is undefined (as ``ConcordanceResult.reason``).
    weighting : ``"harrell"`` or ``"uno"``; names the measure only.
    test : ``"knha"`` (Knapp-Hartung, default) or ``"z"``.
    conf_level : confidence level of the CI and prediction interval (``level``: alias).
    """
    if level is not None:
        conf_level = level
    why = list(reasons) if reasons is not None else [None] * len(labels)
    used: list[int] = []
    excluded: list[tuple[str, str]] = []
    for i, lab in enumerate(labels):
        r = exclusion_reason(estimates[i], ses[i], why[i])
        if r is None:
            used.append(i)
        else:
            excluded.append((str(lab), r))
    if len(used) < 2:
        note = (f"{len(used)} centre{'' if len(used) == 1 else 's'} with a usable C-index "
                f"(of {len(labels)}): a random-effects pooling needs at least 2, so nothing was pooled.")
        return PooledConcordanceResult(weighting, tuple(str(labels[i]) for i in used), tuple(excluded), None, note)
    pm = pool_auc([float(estimates[i]) for i in used], [float(ses[i]) for i in used],  # type: ignore[arg-type]
                  labels=[str(labels[i]) for i in used], scale="logit", test=test, conf_level=conf_level)
    pm = dataclasses.replace(pm, measure=f"c_index_{weighting}")
    return PooledConcordanceResult(weighting, tuple(str(labels[i]) for i in used), tuple(excluded), pm, None)

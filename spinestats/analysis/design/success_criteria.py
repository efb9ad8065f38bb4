"""Prespecified success criteria: one-sided tests of sensitivity, specificity and other proportions.

A locked plan can state, for each primary measure, a null value ``p0`` and a
one-sided alternative (``greater`` or ``less``).  This module tests them.

**One centre** (:func:`binomial_criterion`): the exact binomial test of
``H0: p <= p0`` against ``H1: p > p0`` (``alternative="greater"``),

.. math::

    p = P(X \\ge x \\mid n, p_0) = \\sum_{k=x}^{n} \\binom{n}{k} p_0^k (1-p_0)^{n-k},

with the matching one-sided Clopper-Pearson bound at level ``1 - alpha``:
the lower bound ``B(alpha; x, n - x + 1)`` (the ``alpha`` quantile of a beta
distribution; 0 when ``x = 0``).  For ``alternative="less"`` the p-value is
``P(X <= x)`` and the upper bound ``B(1 - alpha; x + 1, n - x)`` (1 when
``x = n``).  Both equal R ``binom.test(x, n, p = p0, alternative = ...,
conf.level = 1 - alpha)``; the criterion is met when ``p < alpha``, which is
the same as the bound lying beyond ``p0``.

**Several centres** (:func:`pooled_criterion`): the REML random-effects
estimate on the logit scale (:func:`spinestats.analysis.pooling.meta_reml.meta_proportion`,
as metafor ``rma(measure = "PLO", method = "REML")``) with the statistic
``(mu - logit p0) / SE`` referred to the normal distribution (``test="z"``) or
to ``t`` with ``k - 1`` df (Knapp-Hartung, ``test="knha"``; the SE is then
the Knapp-Hartung SE).  The one-sided bound is
``expit(mu - crit SE)`` (greater) or ``expit(mu + crit SE)`` (less) with
``crit`` the ``1 - alpha`` quantile: metafor's bound of ``rma(..., level =
100 (1 - 2 alpha))``.

**Several criteria** (:func:`evaluate_criteria`): ``multiplicity="all"``
(co-primary endpoints: success only when every criterion is met, each
tested at ``alpha``; no adjustment is needed for this intersection-union
test) or ``"any"`` (success when at least one is met; Holm's step-down
adjustment of the p-values controls the family-wise error rate).

References
----------
Clopper CJ, Pearson ES. The use of confidence or fiducial limits illustrated
in the case of the binomial. Biometrika 1934;26:404-413. doi:10.1093/biomet/26.4.404
Holm S. A simple sequentially rejective multiple test procedure. Scand J Stat
1979;6:65-70.
Berger RL. Multiparameter hypothesis testing and acceptance sampling.
Technometrics 1982;24:295-300. doi:10.1080/00401706.1982.10487790
Viechtbauer W. Conducting meta-analyses in R with the metafor package. J Stat
Softw 2010;36(3). doi:10.18637/jss.v036.i03
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from spinestats.analysis.core import distributions as stats
from scipy.special import expit, logit

from spinestats.analysis.core.multiplicity import holm
from spinestats.analysis.core.result import Result
from spinestats.errors import DataError, UsageError

ALTERNATIVES = ("greater", "less")
MULTIPLICITY = ("all", "any")


@dataclasses.dataclass(frozen=True)
class CriterionResult(Result):
    """The test of one prespecified criterion.

    ``bound`` is the one-sided ``1 - alpha`` confidence bound (lower for
    ``greater``, upper for ``less``); ``p`` the one-sided p-value;
    ``p_adjusted`` the Holm-adjusted p-value (equal to ``p`` under
    ``multiplicity="all"``); ``met`` whether the criterion is met.
    """

    measure: str
    null: float
    alternative: str
    estimate: float
    bound: float
    p: float
    met: bool
    method: str
    alpha: float
    p_adjusted: float
    x: int | None = None
    n: int | None = None
    k: int | None = None


@dataclasses.dataclass(frozen=True)
class CriteriaResult(Result):
    """Every criterion of a plan and the overall decision."""

    criteria: tuple[CriterionResult, ...]
    multiplicity: str
    alpha: float
    success: bool

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([c.to_dict() for c in self.criteria])


def _check(null: float, alternative: str, alpha: float) -> tuple[float, str, float]:
    p0 = float(null)
    if not (0 < p0 < 1) or not math.isfinite(p0):
        raise UsageError(f"the null value of a success criterion must lie strictly between 0 and 1; got {null!r}.")
    if alternative not in ALTERNATIVES:
        raise UsageError(f"alternative must be 'greater' or 'less'; got {alternative!r}.")
    a = float(alpha)
    if not 0 < a < 0.5:
        raise UsageError(f"alpha must lie strictly between 0 and 0.5; got {alpha!r}.")
    return p0, alternative, a


def binomial_criterion(x: int, n: int, *, null: float, alternative: str = "greater", alpha: float = 0.05,
                       measure: str = "proportion") -> CriterionResult:
    """Exact one-sided binomial test of ``x`` successes in ``n`` against ``null`` (R ``binom.test``).

    Parameters
    ----------
    x, n : successes (e.g. true positives) and trials (e.g. reference-positive patients).
    null : the proportion ``p0`` of the null hypothesis, in (0, 1).
    alternative : ``"greater"`` (H1: p > p0) or ``"less"`` (H1: p < p0).
    alpha : one-sided significance level; the bound is at level ``1 - alpha``.
    """
    p0, alt, a = _check(null, alternative, alpha)
    x, n = int(x), int(n)
    if n <= 0 or not 0 <= x <= n:
        raise DataError(f"{measure}: need 0 <= x <= n and n > 0; got x = {x}, n = {n}.")
    if alt == "greater":
        p = float(stats.binom.sf(x - 1, n, p0))
        bound = 0.0 if x == 0 else float(stats.beta.ppf(a, x, n - x + 1))
    else:
        p = float(stats.binom.cdf(x, n, p0))
        bound = 1.0 if x == n else float(stats.beta.ppf(1 - a, x + 1, n - x))
    p = min(1.0, p)
    return CriterionResult(measure=measure, null=p0, alternative=alt, estimate=x / n, bound=bound, p=p,
                           met=bool(p < a), method="exact binomial test, Clopper-Pearson bound", alpha=a,
                           p_adjusted=p, x=x, n=n)


def pooled_criterion(estimate_logit: float, se_logit: float, k: int, *, null: float, alternative: str = "greater",
                     alpha: float = 0.05, test: str = "z", measure: str = "proportion") -> CriterionResult:
    """One-sided test of a REML-pooled logit proportion against ``null``.

    ``estimate_logit`` and ``se_logit`` are metafor's ``b`` and ``se``
    (``MetaResult.estimate_model``/``se_model``; the Knapp-Hartung SE when
    ``test="knha"``); ``k`` the number of centres.
    """
    p0, alt, a = _check(null, alternative, alpha)
    if test not in ("z", "knha"):
        raise UsageError(f"pooling test must be 'z' or 'knha'; got {test!r}.")
    mu, se = float(estimate_logit), float(se_logit)
    if not (math.isfinite(mu) and math.isfinite(se) and se > 0):
        raise DataError(f"{measure}: the pooled estimate has no finite standard error; the criterion cannot be tested.")
    dist = stats.norm if test == "z" else stats.t(k - 1)
    crit = float(dist.ppf(1 - a))
    stat = (mu - float(logit(p0))) / se
    if alt == "greater":
        p, bound = float(dist.sf(stat)), float(expit(mu - crit * se))
    else:
        p, bound = float(dist.cdf(stat)), float(expit(mu + crit * se))
    name = "REML random-effects, Wald z" if test == "z" else "REML random-effects, Knapp-Hartung t"
    return CriterionResult(measure=measure, null=p0, alternative=alt, estimate=float(expit(mu)), bound=bound, p=p,
                           met=bool(p < a), method=name, alpha=a, p_adjusted=p, k=int(k))


def evaluate_criteria(results: Sequence[CriterionResult], *, multiplicity: str = "all",
                      alpha: float = 0.05) -> CriteriaResult:
    """Combine the tests of several criteria (``all``: co-primary; ``any``: Holm)."""
    if multiplicity not in MULTIPLICITY:
        raise UsageError(f"multiplicity must be 'all' or 'any'; got {multiplicity!r}.")
    results = list(results)
    if not results:
        raise UsageError("no success criterion to evaluate.")
    if multiplicity == "all":
        out = tuple(results)
        success = all(r.met for r in out)
    else:
        adj = holm([r.p for r in results])
        out = tuple(dataclasses.replace(r, p_adjusted=float(q), met=bool(q < alpha)) for r, q in zip(results, adj))
        success = any(r.met for r in out)
    return CriteriaResult(criteria=out, multiplicity=multiplicity, alpha=float(alpha), success=bool(success))


def assess_criteria(success: Mapping[str, Mapping[str, Any]], counts: Mapping[str, tuple[int, int]] | None = None,
                  pooled: Mapping[str, tuple[float, float, int]] | None = None, *, alpha: float = 0.05,
                  multiplicity: str = "all", test: str = "z") -> CriteriaResult:
    """Test every criterion of a ``success:`` block.

    ``counts`` maps a measure to ``(x, n)`` (one centre: exact test);
    ``pooled`` maps it to ``(logit estimate, SE, k)`` (several centres).  A
    measure found in ``pooled`` uses the pooled test.
    """
    out = []
    for measure, crit in success.items():
        kw = dict(null=crit["null"], alternative=crit.get("alternative", "greater"), alpha=alpha, measure=measure)
        if pooled is not None and measure in pooled:
            mu, se, k = pooled[measure]
            out.append(pooled_criterion(mu, se, k, test=test, **kw))
        elif counts is not None and measure in counts:
            x, n = counts[measure]
            out.append(binomial_criterion(x, n, **kw))
        else:
            raise DataError(f"success criterion for {measure!r}: this analysis gives no estimate of {measure}.")
    return evaluate_criteria(out, multiplicity=multiplicity, alpha=alpha)

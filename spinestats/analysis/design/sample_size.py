"""Sample size for diagnostic accuracy, AUC, kappa and prediction models.

Every function is a closed form (no simulation); each returns a frozen
result with its inputs, the unrounded and the rounded-up numbers.

* :func:`buderer` — sensitivity and specificity estimated to a CI
  half-width ``d`` at prevalence ``π`` (Buderer 1996; epiR
  ``epi.ssdxsesp``): ``n_Se = z² Se(1-Se) / (d² π)``,
  ``n_Sp = z² Sp(1-Sp) / (d² (1-π))``, ``n = max``.  ``d`` is absolute
  (``error="absolute"``) or relative to the expected value.
* :func:`auc_precision` — total ``n`` for a CI half-width ``d`` of the AUC,
  with the Hanley & McNeil (1982) variance
  ``Var(A) = [A(1-A) + (n₁-1)(Q₁-A²) + (n₀-1)(Q₂-A²)] / (n₁ n₀)``,
  ``Q₁ = A/(2-A)``, ``Q₂ = 2A²/(1+A)``, ``n₁ = nπ``, ``n₀ = n(1-π)``.
* :func:`auc_power` — cases for testing ``AUC = 0.5`` (or the power for
  given numbers) with Obuchowski's binormal variance, exactly as pROC
  ``power.roc.test``: ``A = 1.414 Φ⁻¹(θ)``,
  ``V(θ) = 0.0099 e^{-A²/2} [(5A²+8) + (A²+8)/κ]``, ``V₀ = 0.0792 (1+1/κ)``,
  ``n_cases = (z_α √V₀ + z_β √V(θ))² / (θ-0.5)²`` with ``κ`` = controls per case.
* :func:`kappa_size` — cases for two raters and a binary rating, testing
  ``κ = κ₀`` against ``κ₁`` by the goodness-of-fit method of Donner &
  Eliasziw (1992): cell probabilities ``P₁(κ) = π² + π(1-π)κ``,
  ``P₂(κ) = 2π(1-π)(1-κ)``, ``P₃(κ) = (1-π)² + π(1-π)κ`` and
  ``n = (z_{1-α/s} + z_{1-β})² / Σ_l (P_l(κ₁) - P_l(κ₀))² / P_l(κ₀)``
  (``s`` = 1 or 2 sides).
* :func:`riley_binary` — the minimum sample size for developing a binary
  prediction model (Riley et al. 2019/2020), as pmsampsize ``type="b"``:
  (1) expected shrinkage ``S ≥ 0.9``:
  ``n₁ = P / ((S-1) ln(1 - R²_CS/S))``; (2) optimism in Nagelkerke's R² ≤
  0.05: ``S₂ = R²_CS / (R²_CS + 0.05 max R²_CS)``,
  ``max R²_CS = 1 - exp(2 lnL_null / n)`` with
  ``lnL_null/n = φ ln φ + (1-φ) ln(1-φ)``; (3) the overall risk within ±0.05:
  ``n₃ = (1.96/0.05)² φ(1-φ)``.  The answer is the largest.  (pmsampsize's
  route from a C statistic to R²_CS by simulation is not offered: give
  ``csrsquared`` or ``nagrsquared``.)
* :func:`exact_binomial_size` and :func:`criteria_size` — the patients
  needed for prespecified one-sided success criteria on sensitivity and
  specificity (Flahault et al. 2005): the exact one-sided binomial test of
  ``H0: p <= p0`` at level ``alpha`` rejects when ``X >= k(n)``, ``k(n)`` the
  smallest ``k`` with ``P(X >= k | p0) <= alpha``; its power at the expected
  value ``p1`` is ``P(X >= k(n) | p1)``.  Power is saw-toothed in ``n``
  (Chernick & Liu 2002), so the answer is the smallest ``n`` whose power and
  the power of every larger ``n`` reach ``1 - beta`` (Chu & Cole 2007; MKmisc
  ``power.diagnostic.test``); the first ``n`` reaching it is also reported.
  Cases come from sensitivity, non-cases from specificity, and the total is
  ``max(ceil(n_cases / prev), ceil(n_noncases / (1 - prev)))``.

References
----------
Buderer NMF. Statistical methodology: I. Incorporating the prevalence of
disease into the sample size calculation for sensitivity and specificity.
Acad Emerg Med 1996;3:895-900. doi:10.1111/j.1553-2712.1996.tb03538.x
Hanley JA, McNeil BJ. The meaning and use of the area under a ROC curve.
Radiology 1982;143:29-36. doi:10.1148/radiology.143.1.7063747
Obuchowski NA, McClish DK. Sample size determination for diagnostic accuracy
studies involving binormal ROC curve indices. Stat Med 1997;16:1529-1542.
doi:10.1002/(SICI)1097-0258(19970715)16:13<1529::AID-SIM565>3.0.CO;2-H
Donner A, Eliasziw M. A goodness-of-fit approach to inference procedures for
the kappa statistic. Stat Med 1992;11:1511-1519. doi:10.1002/sim.4780111109
Riley RD, Snell KIE, Ensor J, et al. Minimum sample size for developing a
multivariable prediction model: part II - binary and time-to-event outcomes.
Stat Med 2019;38:1276-1296. doi:10.1002/sim.7992
Riley RD, Ensor J, Snell KIE, et al. Calculating the sample size required for
developing a clinical prediction model. BMJ 2020;368:m441. doi:10.1136/bmj.m441
Flahault A, Cadilhac M, Thomas G. Sample size calculation should be performed
for design accuracy in diagnostic test studies. J Clin Epidemiol
2005;58:859-862. doi:10.1016/j.jclinepi.2004.12.009
Chu H, Cole SR. Sample size calculation using exact methods in diagnostic
test studies. J Clin Epidemiol 2007;60:1201-1202. doi:10.1016/j.jclinepi.2006.09.015
Chernick MR, Liu CY. The saw-toothed behavior of power versus sample size and
software solutions: single binomial proportion using exact methods. Am Stat
2002;56:149-155. doi:10.1198/000313002317572835
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from spinestats.analysis.core import distributions as stats

from spinestats.analysis.core.params import conf_level_or_alias
from spinestats.analysis.core.result import Result
from spinestats.errors import UsageError


def _check_prob(name: str, value: float, *, open_: bool = True) -> float:
    v = float(value)
    ok = (0 < v < 1) if open_ else (0 <= v <= 1)
    if not ok or not math.isfinite(v):
        raise UsageError(f"--{name.replace('_', '-')} must be a proportion strictly between 0 and 1; got {value}.")
    return v


def _ceil(x: float) -> int:
    # guard against 101.00000000000001 becoming 102 through rounding noise
    return int(math.ceil(x - 1e-9))


@dataclasses.dataclass(frozen=True)
class BudererResult(Result):

    _published_keys = {"conf_level": "level"}  # results.json keeps its key

    sensitivity: float
    specificity: float
    prevalence: float
    precision: float
    error: str
    conf_level: float
    n_sensitivity_exact: float
    n_specificity_exact: float
    n_sensitivity: int
    n_specificity: int
    n: int
    n_diseased: int
    method: str = "Buderer 1996 (as epiR epi.ssdxsesp)"


def buderer(
    sensitivity: float, specificity: float, prevalence: float, precision: float, *,
    error: str = "absolute", conf_level: float = 0.95, level: float | None = None,
) -> BudererResult:
    """Sample size to estimate sensitivity and specificity to a CI half-width.

    Parameters
    ----------
    sensitivity, specificity : expected values (proportions).
    prevalence : expected prevalence of the target condition in the sample.
    precision : CI half-width ``d`` (absolute, or relative to the expected
        value when ``error="relative"``).
    conf_level : confidence level.  ``level=`` is an alias (the former name).

    ``n_sensitivity`` equals ``epi.ssdxsesp(test=Se, type="se", Py=π,
    epsilon=d, error=error)``, likewise ``n_specificity``; ``n`` is the larger.
    """
    conf_level = conf_level_or_alias(conf_level, level)  # ``level``: the former name, an alias
    se = _check_prob("sensitivity", sensitivity)
    sp = _check_prob("specificity", specificity)
    pv = _check_prob("prevalence", prevalence)
    d = float(precision)
    if not d > 0:
        raise UsageError(f"--precision must be > 0; got {precision}.")
    if error not in ("absolute", "relative"):
        raise UsageError(f"error must be 'absolute' or 'relative'; got {error!r}.")
    z = stats.norm.ppf(1 - (1 - conf_level) / 2)
    d_se = d if error == "absolute" else pv * d  # epiR: epsilon.a <- Py * epsilon for "relative"
    d_sp = d_se
    n_se = z**2 * se * (1 - se) / (d_se**2 * pv)
    n_sp = z**2 * sp * (1 - sp) / (d_sp**2 * (1 - pv))
    a, b = _ceil(n_se), _ceil(n_sp)
    n = max(a, b)
    return BudererResult(se, sp, pv, d, error, conf_level, float(n_se), float(n_sp), a, b, n, _ceil(n * pv))


@dataclasses.dataclass(frozen=True)
class AUCPrecisionResult(Result):

    _published_keys = {"conf_level": "level"}  # results.json keeps its key

    auc: float
    prevalence: float
    precision: float
    conf_level: float
    n_exact: float
    n: int
    n_cases: int
    n_controls: int
    se_at_n: float
    method: str = "Hanley-McNeil (1982) variance; CI half-width"


def hanley_mcneil_se(auc: float, n_cases: float, n_controls: float) -> float:
    """Hanley & McNeil (1982) standard error of the AUC."""
    a = float(auc)
    q1 = a / (2 - a)
    q2 = 2 * a * a / (1 + a)
    var = (a * (1 - a) + (n_cases - 1) * (q1 - a * a) + (n_controls - 1) * (q2 - a * a)) / (n_cases * n_controls)
    return float(np.sqrt(var))


def auc_precision(auc: float, prevalence: float, precision: float, *, conf_level: float = 0.95, level: float | None = None) -> AUCPrecisionResult:
    """Total sample size for a Wald CI of the AUC of half-width ``precision``.

    Solves ``z · SE_HM(A; nπ, n(1-π)) = d`` for real ``n`` and rounds up;
    ``n_cases = ⌈nπ⌉``, ``n_controls = ⌈n(1-π)⌉``.
    """
    conf_level = conf_level_or_alias(conf_level, level)  # ``level``: the former name, an alias
    a = _check_prob("auc", auc)
    pv = _check_prob("prevalence", prevalence)
    d = float(precision)
    if not 0 < d < 0.5:
        raise UsageError(f"--precision must be between 0 and 0.5; got {precision}.")
    z = stats.norm.ppf(1 - (1 - conf_level) / 2)

    def gap(n: float) -> float:
        return z * hanley_mcneil_se(a, n * pv, n * (1 - pv)) - d

    lo = 2.0 / min(pv, 1 - pv)  # at least two per class
    if gap(lo) <= 0:
        n_exact = lo
    else:
        from scipy import optimize  # only here (the other sample sizes need no root finder)

        hi = lo
        while gap(hi) > 0:
            hi *= 2
        n_exact = optimize.brentq(gap, lo, hi, xtol=1e-12, rtol=1e-14)
    n = _ceil(n_exact)
    return AUCPrecisionResult(a, pv, d, conf_level, float(n_exact), n, _ceil(n * pv), _ceil(n * (1 - pv)),
                              hanley_mcneil_se(a, n * pv, n * (1 - pv)))


@dataclasses.dataclass(frozen=True)
class AUCPowerResult(Result):
    auc: float
    sig_level: float
    power: float
    kappa: float
    alternative: str
    n_cases_exact: float
    n_controls_exact: float
    n_cases: int
    n_controls: int
    method: str = "Obuchowski & McClish (1997), as pROC power.roc.test"


def obuchowski_variance(theta: float, kappa: float) -> float:
    """Obuchowski's binormal variance function of the AUC (pROC ``var.theta.obuchowski``)."""
    a = stats.norm.ppf(theta) * 1.414
    return float(0.0099 * math.exp(-a * a / 2) * ((5 * a * a + 8) + (a * a + 8) / kappa))


def auc_power(
    auc: float, *, power: float | None = 0.8, n_cases: float | None = None, kappa: float = 1.0,
    sig_level: float = 0.05, alternative: str = "two.sided",
) -> AUCPowerResult:
    """Cases and controls to show ``AUC > 0.5`` (or the power for ``n_cases``).

    Parameters
    ----------
    auc : the expected AUC (θ).
    power : the wanted power (give ``n_cases=None``).
    n_cases : number of cases, to compute the power instead (give ``power=None``).
    kappa : controls per case.
    sig_level : significance level; halved for ``"two.sided"`` as pROC does.

    Equals pROC ``power.roc.test(auc=, sig.level=, power=, kappa=)``.
    """
    th = _check_prob("auc", auc)
    if th <= 0.5:
        raise UsageError(f"--auc must exceed 0.5 to have power against AUC = 0.5; got {auc}.")
    if alternative not in ("two.sided", "one.sided"):
        raise UsageError(f"alternative must be 'two.sided' or 'one.sided'; got {alternative!r}.")
    if not kappa > 0:
        raise UsageError(f"--kappa (controls per case) must be > 0; got {kappa}.")
    alpha = sig_level / 2 if alternative == "two.sided" else sig_level
    za = stats.norm.ppf(1 - alpha)
    v0 = 0.0792 * (1 + 1 / kappa)
    va = obuchowski_variance(th, kappa)
    delta = th - 0.5
    if (power is None) == (n_cases is None):
        raise UsageError("give exactly one of power and n_cases.")
    if n_cases is None:
        pw = _check_prob("power", power)
        zb = stats.norm.ppf(pw)
        nd = (za * math.sqrt(v0) + zb * math.sqrt(va)) ** 2 / delta**2
    else:
        nd = float(n_cases)
        zb = (math.sqrt(nd) * delta - za * math.sqrt(v0)) / math.sqrt(va)  # pROC solve.zbeta
        pw = float(stats.norm.cdf(zb))
    return AUCPowerResult(th, sig_level, float(pw), float(kappa), alternative, float(nd), float(kappa * nd),
                          _ceil(nd), _ceil(kappa * nd))


@dataclasses.dataclass(frozen=True)
class KappaSizeResult(Result):
    kappa0: float
    kappa1: float
    prevalence: float
    alpha: float
    power: float
    sides: int
    n_exact: float
    n: int
    method: str = "Donner & Eliasziw (1992) goodness-of-fit, two raters, binary rating"


def kappa_size(
    kappa0: float, kappa1: float, prevalence: float, *, alpha: float = 0.05, power: float = 0.8, sides: int = 2
) -> KappaSizeResult:
    """Cases to distinguish ``κ₁`` from ``κ₀`` (two raters, binary rating).

    Parameters
    ----------
    kappa0 : kappa under the null hypothesis (e.g. 0.4, "fair").
    kappa1 : kappa expected (e.g. 0.8).
    prevalence : proportion rated positive (the same for both raters).
    alpha, power, sides : test size, power and 1 or 2 sides.
    """
    pv = _check_prob("prevalence", prevalence)
    if sides not in (1, 2):
        raise UsageError(f"sides must be 1 or 2; got {sides}.")
    for name, k in (("kappa0", kappa0), ("kappa1", kappa1)):
        if not -1 < k < 1:
            raise UsageError(f"--{name} must lie in (-1, 1); got {k}.")
    if kappa0 == kappa1:
        raise UsageError("kappa0 and kappa1 must differ.")

    def cells(k: float) -> np.ndarray:
        q = pv * (1 - pv)
        return np.array([pv * pv + q * k, 2 * q * (1 - k), (1 - pv) ** 2 + q * k])

    p0, p1 = cells(kappa0), cells(kappa1)
    if np.any(p0 <= 0) or np.any(p1 < 0):
        raise UsageError("the kappa values are impossible at this prevalence (a cell probability is negative).")
    chi = float(np.sum((p1 - p0) ** 2 / p0))
    z = stats.norm.ppf(1 - alpha / sides) + stats.norm.ppf(power)
    n_exact = z * z / chi
    return KappaSizeResult(float(kappa0), float(kappa1), pv, float(alpha), float(power), sides, n_exact, _ceil(n_exact))


@dataclasses.dataclass(frozen=True)
class RileyResult(Result):
    parameters: int
    prevalence: float
    csrsquared: float
    nagrsquared: float
    max_r2_cs: float
    shrinkage_target: float
    criteria: tuple[dict, ...]
    n: int
    events: int
    epp: float
    shrinkage_final: float
    method: str = "Riley et al. 2019/2020, as pmsampsize type='b'"


def riley_binary(
    parameters: int, prevalence: float, *, csrsquared: float | None = None, nagrsquared: float | None = None,
    shrinkage: float = 0.9,
) -> RileyResult:
    """Minimum sample size to develop a binary-outcome prediction model.

    Parameters
    ----------
    parameters : candidate predictor parameters ``P``.
    prevalence : anticipated outcome proportion ``φ``.
    csrsquared : anticipated Cox-Snell R² (or give ``nagrsquared``,
        converted as ``R²_CS = R²_Nag · max R²_CS``).
    shrinkage : target expected uniform shrinkage (0.9).

    Equals pmsampsize ``pmsampsize(type="b", csrsquared=, parameters=,
    prevalence=)``: the criteria, the final ``n``, events ``⌈nφ⌉`` and
    EPP.
    """
    P = int(parameters)
    if P < 1:
        raise UsageError(f"--parameters must be >= 1; got {parameters}.")
    phi = _check_prob("prevalence", prevalence)
    lnl_null_per_n = phi * math.log(phi) + (1 - phi) * math.log(1 - phi)
    max_r2 = 1 - math.exp(2 * lnl_null_per_n)
    if (csrsquared is None) == (nagrsquared is None):
        raise UsageError("give exactly one of --csrsquared and --nagrsquared.")
    r2 = float(csrsquared) if csrsquared is not None else float(nagrsquared) * max_r2
    if not 0 < r2 < max_r2:
        raise UsageError(
            f"the Cox-Snell R² ({r2:.4g}) must lie between 0 and its maximum {max_r2:.4g} at prevalence {phi}."
        )
    if shrinkage <= r2 or not shrinkage < 1:
        raise UsageError(f"--shrinkage must lie between R²_CS ({r2:.4g}) and 1; got {shrinkage}.")

    def n_for(s: float) -> float:
        return P / ((s - 1) * math.log(1 - r2 / s))

    n1e = n_for(shrinkage)
    s2 = r2 / (r2 + 0.05 * max_r2)
    n2e = n_for(s2)
    n3e = (1.96 / 0.05) ** 2 * phi * (1 - phi)
    crit = []
    for i, (label, ne, s) in enumerate(
        [
            ("shrinkage >= %.2f" % shrinkage, n1e, shrinkage),
            ("optimism in Nagelkerke R2 <= 0.05", n2e, s2),
            ("overall risk within +/- 0.05", n3e, None),
        ],
        start=1,
    ):
        n = _ceil(ne)
        crit.append({"criterion": i, "description": label, "n_exact": ne, "n": n, "shrinkage": s,
                     "events": n * phi, "epp": n * phi / P})
    n_final = max(c["n"] for c in crit)
    events = _ceil(n_final * phi)
    s_final = max(shrinkage, s2)
    return RileyResult(P, phi, r2, r2 / max_r2, max_r2, float(shrinkage), tuple(crit), n_final, events,
                       events / P, s_final)


@dataclasses.dataclass(frozen=True)
class ExactBinomialSizeResult(Result):
    """Trials needed for an exact one-sided binomial test (one success criterion).

    ``n`` is saw-tooth safe (every larger ``n`` has the power too);
    ``n_first`` the first ``n`` reaching the power; ``critical`` the number
    of successes needed at ``n``; ``actual_power`` and ``actual_alpha`` the
    exact power and size at ``n``.
    """

    expected: float
    null: float
    alternative: str
    alpha: float
    power: float
    n: int
    n_first: int
    critical: int
    actual_power: float
    actual_alpha: float
    method: str = "exact one-sided binomial test (Flahault 2005; saw-tooth safe as Chu & Cole 2007)"


#: the former name, kept as an alias
ExactBinomialSize = ExactBinomialSizeResult


def exact_binomial_power(n, expected: float, null: float, alpha: float = 0.05, alternative: str = "greater"):
    """``(power, actual alpha, critical count)`` of the exact one-sided binomial test with ``n`` trials.

    ``n`` may be an array.  For ``greater`` the test rejects when
    ``X >= k``; for ``less`` when ``X <= k``.
    """
    n = np.asarray(n, dtype=int)
    if alternative == "greater":
        k = stats.binom.ppf(1 - alpha, n, null) + 1  # smallest k with P(X >= k | p0) <= alpha
        # guard the float comparison inside ppf: step k to the exact boundary
        k = np.where(stats.binom.sf(k - 2, n, null) <= alpha, k - 1, k)
        k = np.where(stats.binom.sf(k - 1, n, null) > alpha, k + 1, k)
        return stats.binom.sf(k - 1, n, expected), stats.binom.sf(k - 1, n, null), k.astype(int)
    k = stats.binom.ppf(alpha, n, null) - 1  # largest k with P(X <= k | p0) <= alpha
    k = np.where(stats.binom.cdf(k + 1, n, null) <= alpha, k + 1, k)
    k = np.where(stats.binom.cdf(k, n, null) > alpha, k - 1, k)
    return stats.binom.cdf(k, n, expected), stats.binom.cdf(k, n, null), k.astype(int)


def exact_binomial_size(expected: float, null: float, *, alpha: float = 0.05, power: float = 0.8,
                        alternative: str = "greater", nmax: int = 10_000) -> ExactBinomialSizeResult:
    """Smallest saw-tooth-safe ``n`` for the exact one-sided test of ``null`` at ``expected``.

    Parameters
    ----------
    expected : the proportion expected in the study (e.g. sensitivity 0.90).
    null : the proportion of the null hypothesis (the minimal acceptable value, e.g. 0.80).
    alpha : one-sided significance level.
    power : required power ``1 - beta``.
    alternative : ``"greater"`` (``expected > null``) or ``"less"``.
    nmax : largest ``n`` considered.
    """
    p1 = _check_prob("expected", expected)
    p0 = _check_prob("null", null)
    a = _check_prob("alpha", alpha)
    target = _check_prob("power", power)
    if alternative not in ("greater", "less"):
        raise UsageError(f"alternative must be 'greater' or 'less'; got {alternative!r}.")
    if (alternative == "greater" and not p1 > p0) or (alternative == "less" and not p1 < p0):
        raise UsageError(f"the expected value {p1:g} must lie on the alternative side ({alternative}) of the "
                         f"null value {p0:g}.")
    ns = np.arange(1, int(nmax) + 1)
    pw, _, _ = exact_binomial_power(ns, p1, p0, a, alternative)
    ok = pw >= target
    if not ok[-1]:
        raise UsageError(f"the power {target:g} is not reached with up to {nmax} patients "
                         f"(expected {p1:g} against null {p0:g}); raise nmax or revisit the criterion.")
    first = int(ns[np.argmax(ok)])
    bad = np.flatnonzero(~ok)
    safe = int(ns[bad[-1] + 1]) if bad.size else 1
    pw_n, a_n, k_n = exact_binomial_power(safe, p1, p0, a, alternative)
    return ExactBinomialSizeResult(p1, p0, alternative, a, target, safe, first, int(k_n), float(pw_n), float(a_n))


@dataclasses.dataclass(frozen=True)
class CriteriaSizeResult(Result):
    """Patients needed for prespecified sensitivity/specificity criteria at a prevalence."""

    prevalence: float
    alpha: float
    alpha_per_test: float
    power: float
    multiplicity: str
    criteria: tuple[ExactBinomialSize, ...]
    measures: tuple[str, ...]
    n_cases: int | None
    n_noncases: int | None
    n: int
    method: str = "Flahault 2005 exact binomial, saw-tooth safe; total = max(cases / prevalence, non-cases / (1 - prevalence))"


#: the former name, kept as an alias
CriteriaSize = CriteriaSizeResult


def criteria_size(criteria: dict, prevalence: float, *, alpha: float = 0.05, power: float = 0.8,
                  multiplicity: str = "all", nmax: int = 10_000) -> CriteriaSizeResult:
    """Patients needed so that each criterion's exact test has the power.

    ``criteria`` maps ``sensitivity``/``specificity`` to a mapping with
    ``null``, ``expected`` and optionally ``alternative`` (the plan's
    ``success:`` block).  Sensitivity is tested among the cases, specificity
    among the non-cases.  With ``multiplicity="any"`` (Holm) each test is
    sized at ``alpha / m`` (Holm's first step, conservative).
    """
    pv = _check_prob("prevalence", prevalence)
    if multiplicity not in ("all", "any"):
        raise UsageError(f"multiplicity must be 'all' or 'any'; got {multiplicity!r}.")
    if not criteria:
        raise UsageError("no success criterion to size.")
    a_test = alpha / len(criteria) if multiplicity == "any" else alpha
    results, measures = [], []
    n_cases = n_non = None
    for measure, c in criteria.items():
        if measure not in ("sensitivity", "specificity"):
            raise UsageError(f"sample size from success criteria covers sensitivity and specificity; got {measure!r}.")
        if c.get("expected") is None:
            raise UsageError(f"success criterion '{measure}': give its expected value (`expected:` in the plan or "
                             f"--expected-{measure}) to compute the sample size.")
        r = exact_binomial_size(c["expected"], c["null"], alpha=a_test, power=power,
                                alternative=c.get("alternative", "greater"), nmax=nmax)
        results.append(r)
        measures.append(measure)
        if measure == "sensitivity":
            n_cases = r.n
        else:
            n_non = r.n
    total = max(_ceil(n_cases / pv) if n_cases else 0, _ceil(n_non / (1 - pv)) if n_non else 0)
    return CriteriaSizeResult(pv, float(alpha), float(a_test), float(power), multiplicity, tuple(results), tuple(measures),
                        n_cases, n_non, total)

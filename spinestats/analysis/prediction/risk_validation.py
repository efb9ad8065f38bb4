"""External validation of a binary risk model in one centre: C statistic, O:E, CITL, slope.

For predicted probabilities ``p_i`` and binary outcomes ``y_i``, with
``lp_i = logit(p_i)``:

* C statistic = AUC of ``p`` with its DeLong CI
  (:func:`spinestats.analysis.diagnostic.delong.delong_auc`);
* O:E = ``Σ y_i / Σ p_i`` with the CI ``exp(log(O/E) ± z sqrt((1 - O/N)/O))``
  (Debray et al. 2017; the variance metamisc ``valmeta`` pools);
* calibration-in-the-large ``a`` in ``logit P(y=1) = a + lp``
  (R ``glm(y ~ offset(lp), family = binomial)``), Wald CI;
* calibration slope ``b`` in ``logit P(y=1) = a + b lp``
  (R ``glm(y ~ lp, family = binomial)``), Wald CI.

The logistic fits are those of :mod:`spinestats.analysis.prediction.calibration` (the
fracture module's calibration, which handles censoring; here every outcome
is known, so all weights are 1), solved by the hardened Newton solver of
:mod:`spinestats.analysis.core.newton`: a centre whose risks are all equal
or perfectly separate its events gets NaN for the affected measure and a
sentence saying why, never a linear-algebra error.  Per-centre results are pooled
across centres with :mod:`spinestats.analysis.pooling.pooled_auc`.

References
----------
Debray TPA, Damen JAAG, Snell KIE, et al. A guide to systematic review and
meta-analysis of prediction model performance. BMJ 2017;356:i6460.
doi:10.1136/bmj.i6460
Van Calster B, McLernon DJ, van Smeden M, et al. Calibration: the Achilles
heel of predictive analytics. BMC Med 2019;17:230. doi:10.1186/s12916-019-1466-7
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
from spinestats.analysis.core import distributions as stats

from spinestats.analysis.prediction.calibration import recalibration_fits, recalibration_sentences
from spinestats.analysis.diagnostic.delong import delong_auc
from spinestats.analysis.core.result import Result
from spinestats.errors import DataError


@dataclasses.dataclass(frozen=True)
class RiskValidationResult(Result):
    """C statistic, O:E, calibration-in-the-large and slope of one centre."""

    n: int
    events: int
    expected: float
    c_statistic: float
    c_se: float
    c_ci: tuple[float, float]
    oe_ratio: float
    oe_ci: tuple[float, float]
    citl: float
    citl_se: float
    citl_ci: tuple[float, float]
    slope: float
    slope_se: float
    slope_ci: tuple[float, float]
    converged: bool
    warnings: tuple[str, ...]


#: the former name, kept as an alias
RiskValidation = RiskValidationResult


def validate_risk(risk: Sequence[float], outcome: Sequence[bool], *, conf_level: float = 0.95) -> RiskValidationResult:
    """Validate predicted risks against binary outcomes (see module docstring)."""
    p = np.asarray(risk, dtype=float)
    y = np.asarray(outcome)
    if p.shape != y.shape:
        raise DataError(f"risk and outcome differ in length ({p.size} and {y.size}).")
    if y.dtype != bool:
        raise DataError(f"the outcome must be boolean (True = event); got {y.dtype}.")
    if not np.all(np.isfinite(p)) or np.any((p <= 0) | (p >= 1)):
        raise DataError("predicted risks must lie strictly between 0 and 1 (their logit is used).")
    n, o = int(y.size), int(y.sum())
    if o == 0 or o == n:
        raise DataError(f"a centre with {'no' if o == 0 else 'only'} events cannot be used to validate calibration.")
    z = float(stats.norm.ppf(1 - (1 - conf_level) / 2))
    lp = np.log(p / (1 - p))
    fits = recalibration_fits(y.astype(float), lp)
    citl, slope = float(fits[0].coef[0]), float(fits[1].coef[1])
    var_citl, var_slope = float(fits[0].cov[0, 0]), float(fits[1].cov[1, 1])
    converged = fits[0].converged and fits[1].converged
    d = delong_auc(p, y, conf_level=conf_level)
    e = float(p.sum())
    oe = o / e
    se_log_oe = np.sqrt((1 - o / n) / o)
    warnings = []
    warnings.extend(recalibration_sentences(*fits))
    if o < 100 or n - o < 100:
        warnings.append(f"{o} events and {n - o} non-events: fewer than the 100 of each recommended for validation.")
    sa, sb = (float(np.sqrt(v)) if v >= 0 else float("nan") for v in (var_citl, var_slope))
    return RiskValidationResult(
        n=n, events=o, expected=e, c_statistic=d.auc, c_se=d.se, c_ci=tuple(d.ci),
        oe_ratio=oe, oe_ci=(float(oe * np.exp(-z * se_log_oe)), float(oe * np.exp(z * se_log_oe))),
        citl=citl, citl_se=sa, citl_ci=(citl - z * sa, citl + z * sa),
        slope=slope, slope_se=sb, slope_ci=(slope - z * sb, slope + z * sb),
        converged=converged, warnings=tuple(warnings),
    )

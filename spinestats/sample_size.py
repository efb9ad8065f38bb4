"""Sample-size calculations (``ss.sample_size.buderer``, ``.auc``, ``.auc_precision``, ``.kappa``, ``.riley``).

Library wrappers over :mod:`spinestats.analysis.design.sample_size`: ``conf_level``
names the confidence level (``level=`` is an alias), and option errors name
the Python parameter.

Examples
--------
>>> import spinestats as ss
>>> ss.sample_size.buderer(sensitivity=0.9, specificity=0.8, prevalence=0.3, precision=0.1).n
116
"""

from __future__ import annotations

from typing import Any

from spinestats.analysis.core.params import check_choice, check_number, conf_level_or_alias

__all__ = ["buderer", "auc", "auc_precision", "kappa", "riley"]


#: the range of a proportion, level or power for :func:`~spinestats.analysis.core.params.check_number`
PROPORTION: dict[str, Any] = {"low": 0, "high": 1, "open_low": True, "open_high": True}
#: the range of a CI half-width or a ratio
POSITIVE: dict[str, Any] = {"low": 0, "open_low": True}


def buderer(*, sensitivity: float, specificity: float, prevalence: float, precision: float,
            error: str = "absolute", conf_level: float = 0.95, level: float | None = None):
    """Patients needed to estimate sensitivity and specificity to a CI half-width (R ``epiR::epi.ssdxsesp``).

    Examples
    --------
    >>> from spinestats import sample_size
    >>> res = sample_size.buderer(sensitivity=0.9, specificity=0.8, prevalence=0.3, precision=0.1)
    >>> res.n_sensitivity, res.n_specificity, res.n
    (116, 88, 116)
    """
    from spinestats.analysis.design.sample_size import buderer as _b

    for name, v in (("sensitivity", sensitivity), ("specificity", specificity), ("prevalence", prevalence)):
        check_number(v, name, **PROPORTION)
    check_number(precision, "precision", **POSITIVE)
    check_choice(error, ("absolute", "relative"), "error")
    return _b(sensitivity, specificity, prevalence, precision, error=error, conf_level=conf_level_or_alias(conf_level, level))


def auc(*, auc: float, power: float | None = 0.8, n_cases: float | None = None, kappa: float = 1.0,
        sig_level: float = 0.05, alternative: str = "two.sided"):
    """Cases and controls to show an AUC above 0.5, or the power for ``n_cases`` (R ``pROC::power.roc.test``).

    Examples
    --------
    >>> from spinestats import sample_size
    >>> sample_size.auc(auc=0.75, power=0.8).n_cases > 0
    True
    """
    from spinestats.analysis.design.sample_size import auc_power

    check_number(auc, "auc", low=0.5, high=1, open_low=True, open_high=True)
    if power is not None:
        check_number(power, "power", **PROPORTION)
    check_number(sig_level, "sig_level", **PROPORTION)
    check_number(kappa, "kappa", **POSITIVE)
    check_choice(alternative, ("two.sided", "one.sided"), "alternative")
    return auc_power(auc, power=power, n_cases=n_cases, kappa=kappa, sig_level=sig_level, alternative=alternative)


def auc_precision(*, auc: float, prevalence: float, precision: float, conf_level: float = 0.95,
                  level: float | None = None):
    """Patients needed to estimate an AUC to a CI half-width (Hanley-McNeil standard error).

    Examples
    --------
    >>> from spinestats import sample_size
    >>> sample_size.auc_precision(auc=0.8, prevalence=0.3, precision=0.1).n > 0
    True
    """
    from spinestats.analysis.design.sample_size import auc_precision as _ap

    check_number(auc, "auc", **PROPORTION)
    check_number(prevalence, "prevalence", **PROPORTION)
    check_number(precision, "precision", **POSITIVE)
    return _ap(auc, prevalence, precision, conf_level=conf_level_or_alias(conf_level, level))


def kappa(*, kappa0: float, kappa1: float, prevalence: float, alpha: float = 0.05, power: float = 0.8,
          sides: int = 2):
    """Cases to distinguish kappa1 from kappa0, two raters, binary rating (Donner & Eliasziw 1992).

    Examples
    --------
    >>> from spinestats import sample_size
    >>> sample_size.kappa(kappa0=0.4, kappa1=0.8, prevalence=0.3).n > 0
    True
    """
    from spinestats.analysis.design.sample_size import kappa_size

    check_number(prevalence, "prevalence", **PROPORTION)
    check_number(alpha, "alpha", **PROPORTION)
    check_number(power, "power", **PROPORTION)
    check_choice(sides, (1, 2), "sides")
    return kappa_size(kappa0, kappa1, prevalence, alpha=alpha, power=power, sides=sides)


def riley(*, parameters: int, prevalence: float, csrsquared: float | None = None,
          nagrsquared: float | None = None, shrinkage: float = 0.9):
    """Minimum sample size to develop a binary-outcome prediction model (R ``pmsampsize``).

    Examples
    --------
    >>> from spinestats import sample_size
    >>> sample_size.riley(parameters=10, prevalence=0.2, csrsquared=0.1).n > 0
    True
    """
    from spinestats.analysis.design.sample_size import riley_binary

    check_number(parameters, "parameters", low=1, integer=True)
    check_number(prevalence, "prevalence", **PROPORTION)
    check_number(shrinkage, "shrinkage", **PROPORTION)
    return riley_binary(int(parameters), prevalence, csrsquared=csrsquared, nagrsquared=nagrsquared,
                        shrinkage=shrinkage)

"""Sample size: the job behind the plan's ``sample_size`` analysis and ``spinestats sample-size``.

One path for both: the plan fills :class:`SampleSizeOptions` from its entry,
each ``sample-size`` sub-command from its flags, and both call
:func:`analyse`, which computes with :mod:`spinestats.analysis.design.sample_size`
(one method per analysis).  The section's ``results`` are the result's
``to_dict()`` with ``method`` (the method's name, e.g. ``buderer``) and
``formula`` (the reference the result states).  The methods sentence states
what was assumed, and the references are given in full
(:mod:`spinestats.reports.sample_size_methods`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from spinestats.errors import UsageError
from spinestats.reports.job import JobContext, JobInput, JobOptions, run_by_keywords
from spinestats.reports.section import Section

METHODS = ("criteria", "buderer", "auc", "auc_power", "kappa", "riley")


@dataclasses.dataclass(frozen=True)
class SampleSizeOptions(JobOptions):
    """Options of the sample-size job (plan type ``sample_size``; ``spinestats sample-size``).

    The defaults are the published DSS figures (sensitivity 0.90, specificity
    0.846, prevalence 20/59 = 0.34).

    Attributes
    ----------
    method : ``buderer`` (sensitivity, specificity, prevalence, precision, error, conf_level),
        ``criteria`` (the success criteria with their ``expected`` values, prevalence, power, alpha,
        multiplicity; exact binomial, Flahault 2005), ``auc`` (auc, prevalence, precision; Hanley-McNeil),
        ``auc_power`` (auc, power, controls_per_case, sig_level; Obuchowski as pROC), ``kappa`` (kappa0,
        kappa1, prevalence, alpha, power, sides; Donner-Eliasziw) or ``riley`` (parameters, prevalence,
        csrsquared or nagrsquared, shrinkage; as pmsampsize).
    sensitivity, specificity : expected values (``buderer``).
    prevalence : expected prevalence of the target condition (proportion rated positive for ``kappa``,
        outcome proportion for ``riley``).
    precision : CI half-width (``buderer``: absolute, or relative with ``error="relative"``; ``auc``).
    error : ``absolute`` or ``relative`` precision (``buderer``, as epiR).
    conf_level : confidence level of the CI (``buderer``, ``auc``).
    auc : expected AUC (``auc``, ``auc_power``).
    power : power of each test (``auc_power``, ``kappa``, ``criteria``).
    controls_per_case : controls per case (``auc_power``; ``None``: (1 − prevalence) / prevalence).
    sig_level : two-sided level of the test against AUC = 0.5 (``auc_power``).
    kappa0, kappa1 : kappa under the null hypothesis and the expected kappa (``kappa``).
    alpha : level of the test (``kappa``: default 0.05; ``criteria``: one-sided, default the plan's alpha).
    sides : one- or two-sided test (``kappa``).
    parameters : candidate predictor parameters (``riley``).
    csrsquared, nagrsquared : anticipated Cox-Snell or Nagelkerke R² (``riley``; give one).
    shrinkage : target expected shrinkage (``riley``).
    criteria : success criteria by measure (``null``, ``expected``, ``alternative``) for ``criteria``
        (``None``: the plan's prespecified ``success:`` block).
    multiplicity : ``all`` (co-primary) or ``any`` (Holm) for ``criteria`` (``None``: the plan's, else all).
    """

    method: Literal["criteria", "buderer", "auc", "auc_power", "kappa", "riley"] = "buderer"
    sensitivity: float = 0.90
    specificity: float = 0.846
    prevalence: float = 0.34
    precision: float = 0.10
    error: Literal["absolute", "relative"] = "absolute"
    conf_level: float = 0.95
    auc: float = 0.85
    power: float = 0.8
    controls_per_case: float | None = None
    sig_level: float = 0.05
    kappa0: float = 0.4
    kappa1: float = 0.8
    alpha: float | None = None
    sides: Literal[1, 2] = 2
    parameters: int = 4
    csrsquared: float | None = None
    nagrsquared: float | None = None
    shrinkage: float = 0.9
    criteria: Mapping[str, Any] | None = None
    multiplicity: Literal["all", "any"] | None = None


OPTIONS = SampleSizeOptions


def _criteria(o: SampleSizeOptions, prespecified: Mapping[str, Any] | None) -> Any:
    """The success-criteria sample size: the options' criteria, else the plan's."""
    from spinestats.analysis.design import sample_size as ss
    from spinestats.data_schemas.plan_lock import parse_prespecified

    pre = parse_prespecified(dict(prespecified), "plan") if prespecified else None
    crit = o.criteria if o.criteria is not None else (pre.success if pre is not None else None)
    if not crit:
        raise UsageError("sample_size method 'criteria' needs the plan's prespecified `success:` criteria.")
    alpha = o.alpha if o.alpha is not None else (pre.alpha if pre is not None else 0.05)
    multiplicity = o.multiplicity or (pre.multiplicity if pre is not None else "all")
    return ss.criteria_size(dict(crit), o.prevalence, alpha=alpha, power=o.power, multiplicity=multiplicity)


def compute(o: SampleSizeOptions, prespecified: Mapping[str, Any] | None = None) -> Any:
    """The sample-size result of ``o.method`` (a frozen Result of :mod:`spinestats.analysis.design.sample_size`)."""
    from spinestats.analysis.design import sample_size as ss

    if o.method == "buderer":
        return ss.buderer(o.sensitivity, o.specificity, o.prevalence, o.precision, error=o.error,
                          conf_level=o.conf_level)
    if o.method == "auc":
        return ss.auc_precision(o.auc, o.prevalence, o.precision, conf_level=o.conf_level)
    if o.method == "auc_power":
        ratio = o.controls_per_case if o.controls_per_case is not None else (1 - o.prevalence) / o.prevalence
        return ss.auc_power(o.auc, power=o.power, kappa=ratio, sig_level=o.sig_level)
    if o.method == "kappa":
        return ss.kappa_size(o.kappa0, o.kappa1, o.prevalence, alpha=0.05 if o.alpha is None else o.alpha,
                             power=o.power, sides=o.sides)
    if o.method == "riley":
        return ss.riley_binary(o.parameters, o.prevalence, csrsquared=o.csrsquared, nagrsquared=o.nagrsquared,
                               shrinkage=o.shrinkage)
    if o.method == "criteria":
        return _criteria(o, prespecified)
    raise UsageError(f"sample_size method {o.method!r}: choose {', '.join(METHODS)}.")


def analyse(inputs: JobInput, options: SampleSizeOptions, context: JobContext) -> Section:
    """The sample size of ``options.method``; a Section whose ``results`` are the result's dict
    with ``method`` (the method's name) and ``formula`` (the reference it follows).  Reads no data."""
    from spinestats.analysis.core.result import to_jsonable

    from spinestats.reports import sample_size_methods

    result = compute(options, context.prespecified)
    results = to_jsonable({**result.to_dict(), "method": options.method, "formula": result.method})
    return Section(key=context.key or "sample_size", title=context.title or "Sample size", results=results,
                   methods=sample_size_methods.methods(options.method, results),
                   references=sample_size_methods.references(options.method))


def run(data: Any = None, out_dir: str | Path = ".", **keywords: Any) -> Section:
    """The sample size by keyword: the options of :class:`SampleSizeOptions` and the settings of
    :class:`~spinestats.reports.job.JobContext` (``prespecified`` for ``criteria``).

    Examples
    --------
    >>> run(method="buderer", sensitivity=0.9, specificity=0.846, prevalence=0.34).results["n"]
    102
    """
    return run_by_keywords(analyse, SampleSizeOptions, data=data, out_dir=out_dir, where="sample_size", **keywords)

"""``spinestats sample-size``: sample size for validation and agreement studies.

Sub-commands: ``criteria`` (exact binomial power for the plan's prespecified
success criteria, Flahault 2005), ``buderer`` (sensitivity and specificity), ``auc`` (AUC
precision, Hanley-McNeil; or power against AUC = 0.5, Obuchowski as pROC),
``kappa`` (Donner-Eliasziw) and ``riley`` (binary prediction model, as
pmsampsize).  Each prints its inputs and outputs, or JSON with ``--json``.
"""

from __future__ import annotations

import json

import click

from spinestats.errors import UsageError


class _Proportion(click.ParamType):
    """A number strictly between 0 and 1 (a probability, level, power or prevalence); NaN refused."""

    name = "proportion"

    def convert(self, value, param, ctx):
        try:
            x = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number; expected a proportion strictly between 0 and 1, e.g. 0.95.",
                      param, ctx)
        if not 0 < x < 1:  # also refuses NaN
            self.fail(f"{value} is not strictly between 0 and 1; give a proportion such as 0.95 (not 95).",
                      param, ctx)
        return x


class _Positive(click.ParamType):
    """A finite number > 0 (a CI half-width, a ratio)."""

    name = "positive number"

    def convert(self, value, param, ctx):
        try:
            x = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number; expected a number > 0.", param, ctx)
        if not (x > 0 and x < float("inf")):
            self.fail(f"{value} is not a finite number > 0.", param, ctx)
        return x


PROPORTION, POSITIVE = _Proportion(), _Positive()


def _compute(**options) -> dict:
    """The sample-size job (the plan's ``sample_size`` analysis) on the flags' options; its results as this
    command prints them (``method``: the formula the result follows, as before the job existed)."""
    from spinestats.reports import sample_size_job
    from spinestats.reports.job import JobContext, JobInput

    opts = sample_size_job.SampleSizeOptions.from_mapping(options, "sample-size")
    res = dict(sample_size_job.analyse(JobInput(), opts, JobContext()).results)
    res["method"] = res.pop("formula")
    return res


def _emit(d: dict, as_json: bool, keys_in: tuple[str, ...], keys_out: tuple[str, ...]) -> None:
    if as_json:
        click.echo(json.dumps(d, indent=2, ensure_ascii=False))
        return
    click.echo(f"method: {d['method']}")
    click.echo("inputs:")
    for k in keys_in:
        click.echo(f"  {k}: {d[k]}")
    click.echo("outputs:")
    for k in keys_out:
        click.echo(f"  {k}: {d[k]}")


@click.group("sample-size")
def command() -> None:
    """Sample size: criteria, buderer, auc, kappa, riley."""


@command.command("criteria")
@click.option("--plan", "plan_path", type=click.Path(dir_okay=False), default=None,
              help="Plan YAML whose prespecified block states the success criteria (null, expected).")
@click.option("--null-sensitivity", type=float, default=None, help="Null sensitivity (H1: sensitivity > null).")
@click.option("--expected-sensitivity", type=float, default=None, help="Expected sensitivity.")
@click.option("--null-specificity", type=float, default=None, help="Null specificity (H1: specificity > null).")
@click.option("--expected-specificity", type=float, default=None, help="Expected specificity.")
@click.option("--prevalence", type=float, required=True, help="Expected prevalence of the target condition.")
@click.option("--power", type=float, default=0.8, show_default=True, help="Power of each test (1 - beta).")
@click.option("--alpha", type=float, default=None, help="One-sided level (default: the plan's alpha, else 0.05).")
@click.option("--multiplicity", type=click.Choice(["all", "any"]), default=None,
              help="all: co-primary; any: Holm (sized at alpha / m). Default: the plan's, else all.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def criteria(plan_path, null_sensitivity, expected_sensitivity, null_specificity, expected_specificity, prevalence,
             power, alpha, multiplicity, as_json) -> None:
    """Patients needed for the prespecified success criteria (exact binomial power, Flahault 2005)."""
    crit: dict = {}
    plan_alpha, plan_mult = 0.05, "all"
    if plan_path is not None:
        from spinestats.data_schemas.plan_lock import read_prespecified

        pre = read_prespecified(plan_path)
        if not pre.success:
            raise UsageError(f"plan {plan_path}: the prespecified block has no `success:` criteria.")
        crit = {m: dict(c) for m, c in pre.success.items()}
        plan_alpha, plan_mult = pre.alpha, pre.multiplicity
    for m, null, exp in (("sensitivity", null_sensitivity, expected_sensitivity),
                         ("specificity", null_specificity, expected_specificity)):
        if null is not None or exp is not None:
            c = crit.setdefault(m, {"alternative": "greater"})
            if null is not None:
                c["null"] = null
            if exp is not None:
                c["expected"] = exp
    if not crit:
        raise UsageError("give --plan PLAN.yaml (prespecified success criteria) or --null-sensitivity/"
                         "--expected-sensitivity and/or --null-specificity/--expected-specificity.")
    for m, c in crit.items():
        if c.get("null") is None:
            raise UsageError(f"success criterion '{m}': give its null value (--null-{m}).")
    d = _compute(method="criteria", criteria=crit, prevalence=prevalence, power=power,
                 alpha=plan_alpha if alpha is None else alpha, multiplicity=multiplicity or plan_mult)
    if as_json:
        click.echo(json.dumps(d, indent=2, ensure_ascii=False))
        return
    click.echo(f"method: {d['method']}")
    click.echo(f"inputs: prevalence {d['prevalence']}, one-sided alpha {d['alpha']} "
               f"({d['alpha_per_test']} per test, multiplicity {d['multiplicity']}), power {d['power']}")
    for m, c in zip(d["measures"], d["criteria"]):
        sign = ">" if c["alternative"] == "greater" else "<"
        who = "cases" if m == "sensitivity" else "non-cases"
        click.echo(f"  {m} {sign} {c['null']} (expected {c['expected']}): {c['n']} {who} "
                   f"(power {c['actual_power']:.3f}, size {c['actual_alpha']:.4f}; success needs >= {c['critical']} "
                   f"correct; first n reaching the power: {c['n_first']})")
    click.echo(f"outputs:\n  n: {d['n']} patients")


@command.command("buderer")
@click.option("--sensitivity", type=PROPORTION, required=True, help="Expected sensitivity.")
@click.option("--specificity", type=PROPORTION, required=True, help="Expected specificity.")
@click.option("--prevalence", type=PROPORTION, required=True, help="Expected prevalence of the target condition.")
@click.option("--precision", type=POSITIVE, required=True, help="CI half-width (absolute unless --relative).")
@click.option("--relative", is_flag=True, help="Precision relative to the expected value (epiR error='relative').")
@click.option("--level", type=PROPORTION, default=0.95, show_default=True, help="Confidence level.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def buderer(sensitivity, specificity, prevalence, precision, relative, level, as_json) -> None:
    """Buderer (1996): n for sensitivity and specificity CIs of a given half-width."""
    d = _compute(method="buderer", sensitivity=sensitivity, specificity=specificity, prevalence=prevalence,
                 precision=precision, error="relative" if relative else "absolute", conf_level=level)
    _emit(d, as_json, ("sensitivity", "specificity", "prevalence", "precision", "error", "level"),
          ("n_sensitivity", "n_specificity", "n", "n_diseased"))


@command.command("auc")
@click.option("--auc", type=PROPORTION, required=True, help="Expected AUC.")
@click.option("--prevalence", type=PROPORTION, default=None, help="Prevalence (with --precision).")
@click.option("--precision", type=POSITIVE, default=None, help="CI half-width of the AUC (Hanley-McNeil).")
@click.option("--power", type=PROPORTION, default=None, help="Power against AUC = 0.5 (Obuchowski, as pROC).")
@click.option("--kappa", "ratio", type=POSITIVE, default=1.0, show_default=True, help="Controls per case (with --power).")
@click.option("--sig-level", type=PROPORTION, default=0.05, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def auc(auc, prevalence, precision, power, ratio, sig_level, as_json) -> None:
    """AUC: n for a CI half-width (--precision), or cases for a power (--power)."""
    if (precision is None) == (power is None):
        raise UsageError("give either --precision (with --prevalence) or --power.")
    if precision is not None:
        if prevalence is None:
            raise UsageError("--precision needs --prevalence.")
        d = _compute(method="auc", auc=auc, prevalence=prevalence, precision=precision)
        _emit(d, as_json, ("auc", "prevalence", "precision", "level"), ("n", "n_cases", "n_controls", "se_at_n"))
    else:
        d = _compute(method="auc_power", auc=auc, power=power, controls_per_case=ratio, sig_level=sig_level)
        _emit(d, as_json, ("auc", "power", "kappa", "sig_level", "alternative"),
              ("n_cases_exact", "n_controls_exact", "n_cases", "n_controls"))


@command.command("kappa")
@click.option("--kappa0", type=float, required=True, help="Kappa under the null hypothesis.")
@click.option("--kappa1", type=float, required=True, help="Expected kappa.")
@click.option("--prevalence", type=PROPORTION, required=True, help="Proportion rated positive.")
@click.option("--alpha", type=PROPORTION, default=0.05, show_default=True)
@click.option("--power", type=PROPORTION, default=0.8, show_default=True)
@click.option("--sides", type=click.Choice(["1", "2"]), default="2", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def kappa(kappa0, kappa1, prevalence, alpha, power, sides, as_json) -> None:
    """Cases for two raters and a binary rating (Donner & Eliasziw 1992)."""
    d = _compute(method="kappa", kappa0=kappa0, kappa1=kappa1, prevalence=prevalence, alpha=alpha, power=power,
                 sides=int(sides))
    _emit(d, as_json, ("kappa0", "kappa1", "prevalence", "alpha", "power", "sides"), ("n_exact", "n"))


@command.command("riley")
@click.option("--parameters", type=int, required=True, help="Candidate predictor parameters.")
@click.option("--prevalence", type=PROPORTION, required=True, help="Outcome proportion.")
@click.option("--csrsquared", type=PROPORTION, default=None, help="Anticipated Cox-Snell R^2.")
@click.option("--nagrsquared", type=PROPORTION, default=None, help="Anticipated Nagelkerke R^2.")
@click.option("--shrinkage", type=PROPORTION, default=0.9, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def riley(parameters, prevalence, csrsquared, nagrsquared, shrinkage, as_json) -> None:
    """Riley et al. (2019/2020) minimum n for a binary prediction model (pmsampsize)."""
    d = _compute(method="riley", parameters=parameters, prevalence=prevalence, csrsquared=csrsquared,
                 nagrsquared=nagrsquared, shrinkage=shrinkage)
    if as_json:
        _emit(d, True, (), ())
        return
    _emit(d, False, ("parameters", "prevalence", "csrsquared", "nagrsquared", "shrinkage_target"),
          ("n", "events", "epp", "shrinkage_final"))
    for c in d["criteria"]:
        click.echo(f"  criterion {c['criterion']} ({c['description']}): n = {c['n']}")

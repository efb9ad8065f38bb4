"""``spinestats sample-size``: sample size for validation and agreement studies.

Sub-commands: ``buderer`` (sensitivity and specificity), ``auc`` (AUC
precision, Hanley-McNeil; or power against AUC = 0.5, Obuchowski as pROC),
``kappa`` (Donner-Eliasziw) and ``riley`` (binary prediction model, as
pmsampsize).  Each prints its inputs and outputs, or JSON with ``--json``.
"""

from __future__ import annotations

import json

import click

from spinestats.analysis import sample_size as ss
from spinestats.analysis.result import to_jsonable
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


def _emit(result, as_json: bool, keys_in: tuple[str, ...], keys_out: tuple[str, ...]) -> None:
    d = to_jsonable(result.to_dict())
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
    """Sample size: buderer, auc, kappa, riley."""


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
    r = ss.buderer(sensitivity, specificity, prevalence, precision, error="relative" if relative else "absolute",
                   level=level)
    _emit(r, as_json, ("sensitivity", "specificity", "prevalence", "precision", "error", "level"),
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
        r = ss.auc_precision(auc, prevalence, precision)
        _emit(r, as_json, ("auc", "prevalence", "precision", "level"), ("n", "n_cases", "n_controls", "se_at_n"))
    else:
        r = ss.auc_power(auc, power=power, kappa=ratio, sig_level=sig_level)
        _emit(r, as_json, ("auc", "power", "kappa", "sig_level", "alternative"),
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
    r = ss.kappa_size(kappa0, kappa1, prevalence, alpha=alpha, power=power, sides=int(sides))
    _emit(r, as_json, ("kappa0", "kappa1", "prevalence", "alpha", "power", "sides"), ("n_exact", "n"))


@command.command("riley")
@click.option("--parameters", type=int, required=True, help="Candidate predictor parameters.")
@click.option("--prevalence", type=PROPORTION, required=True, help="Outcome proportion.")
@click.option("--csrsquared", type=PROPORTION, default=None, help="Anticipated Cox-Snell R^2.")
@click.option("--nagrsquared", type=PROPORTION, default=None, help="Anticipated Nagelkerke R^2.")
@click.option("--shrinkage", type=PROPORTION, default=0.9, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def riley(parameters, prevalence, csrsquared, nagrsquared, shrinkage, as_json) -> None:
    """Riley et al. (2019/2020) minimum n for a binary prediction model (pmsampsize)."""
    r = ss.riley_binary(parameters, prevalence, csrsquared=csrsquared, nagrsquared=nagrsquared, shrinkage=shrinkage)
    if as_json:
        _emit(r, True, (), ())
        return
    _emit(r, False, ("parameters", "prevalence", "csrsquared", "nagrsquared", "shrinkage_target"),
          ("n", "events", "epp", "shrinkage_final"))
    for c in r.criteria:
        click.echo(f"  criterion {c['criterion']} ({c['description']}): n = {c['n']}")

"""The survival job is thin (issue 15): a short ``analyse``, no statistics in the report modules that draw and
tabulate it, no fitted objects in its results, and no CI level written as a constant "95%".

The conf_level checks run the job at 0.90: every CI it reports (Kaplan-Meier, Cox, Fine-Gray) and every
sentence or header naming the level follow it; the HR bounds are exp(coef -/+ z se) with z = qnorm(0.95).
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

ROOT = Path(__file__).resolve().parents[1] / "spinestats"
DRAWING = ("reports/survival_job.py", "reports/step_plot.py", "reports/survival_figures.py",
           "reports/result_tables.py", "reports/cli/survival.py")
#: calls that compute a variance, a quantile of a distribution or a p-value (the estimators' business);
#: (np.quantile of the follow-up times for axis ticks is layout, so quantile is not listed)
STATISTIC_CALLS = {"var", "std", "variance", "sqrt", "ppf", "isf", "cdf", "sf", "z_critical", "norm", "chi2",
                   "binom", "nanvar", "nanstd", "cov"}
PRIVATE_KEYS = {"_fit", "_zph", "_cif", "_gray", "_fg"}


def _tree(rel: str) -> ast.Module:
    return ast.parse((ROOT / rel).read_text(encoding="utf-8"))


def test_analyse_is_at_most_60_lines():
    fn = next(n for n in _tree("reports/survival_job.py").body if isinstance(n, ast.FunctionDef) and n.name == "analyse")
    assert fn.end_lineno - fn.lineno + 1 <= 60


@pytest.mark.parametrize("rel", DRAWING)
def test_no_scipy_and_no_variance_in_the_report_modules(rel):
    bad = []
    for node in ast.walk(_tree(rel)):
        if isinstance(node, ast.Import):
            bad += [a.name for a in node.names if a.name.split(".")[0] in ("scipy", "statsmodels")]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in ("scipy", "statsmodels"):
            bad.append(node.module)
        elif isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in STATISTIC_CALLS:
                bad.append(f"line {node.lineno}: {name}()")
    assert not bad, bad


def test_the_checker_sees_a_variance():
    tree = ast.parse("import numpy as np\nx = np.sqrt(np.var([1, 2]))\nfrom scipy import stats\n")
    calls = {n.func.attr for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)}
    assert {"sqrt", "var"} <= calls & STATISTIC_CALLS


@pytest.mark.parametrize("rel", DRAWING)
def test_no_private_fit_keys_and_no_constant_95_percent(rel):
    tree = _tree(rel)
    keys = []  # dict keys, subscripts and .pop/.get/.setdefault arguments
    for n in ast.walk(tree):
        if isinstance(n, ast.Dict):
            keys += n.keys
        elif isinstance(n, ast.Subscript):
            keys.append(n.slice)
        elif isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in ("pop", "get",
                                                                                               "setdefault"):
            keys += n.args[:1]
    assert not [k.value for k in keys if isinstance(k, ast.Constant) and k.value in PRIVATE_KEYS]
    strings = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    assert not [s for s in strings if "95%" in s or "95 %" in s]  # docstrings included


@pytest.fixture(scope="module")
def at_90(tmp_path_factory):
    from spinestats.reports import survival_job
    from spinestats.reports.tables import table_style

    rng = np.random.default_rng(7)
    n = 150
    d = pd.DataFrame({"t": np.round(rng.exponential(25, n), 1) + 0.5, "s": rng.integers(0, 3, n),
                      "arm": rng.choice(["A", "B"], n), "x": rng.normal(size=n)})
    out = tmp_path_factory.mktemp("surv90")
    with table_style() as written:
        sec = survival_job.run(d, time="t", event="s", event_codes="EVENT=1,COMPETING=2,CENSOR=0", group="arm",
                               covariates=["x"], conf_level=0.9, out_dir=out, figure_formats=["png"], dpis=[40])
    return sec, [w.table for w in written]


def test_every_ci_follows_conf_level(at_90):
    sec, _ = at_90
    r = sec.results
    z = 1.6448536269514722  # R: qnorm(0.95)
    cox = r["cox"]
    assert_allclose(cox["hr_lower"], np.exp(np.asarray(cox["coef"]) - z * np.asarray(cox["se"])), rtol=1e-12)
    assert_allclose(cox["hr_upper"], np.exp(np.asarray(cox["coef"]) + z * np.asarray(cox["se"])), rtol=1e-12)
    fg = r["finegray"]
    assert_allclose(fg["shr_lower"], np.exp(np.asarray(fg["coef"]) - z * np.asarray(fg["se"])), rtol=1e-12)
    # Kaplan-Meier (log CI): exp(log S -/+ z * se(log S))
    km = pd.DataFrame(r["km"]["A"]).dropna()
    km = km[km["survival"] < 1]
    assert_allclose(km["lower"], np.exp(np.log(km["survival"]) - z * km["std_err"]), rtol=1e-9)
    assert r["options"]["conf_level"] == 0.9
    assert any("(90%)" in m for m in sec.methods)


def test_tables_and_headline_name_the_level(at_90):
    sec, tables = at_90
    assert [t.stem for t in tables] == ["survival_survival", "survival_cuminc", "survival_cox", "survival_finegray"]
    for t in tables:
        words = " ".join([c.header for c in t.columns] + list(t.footnotes))
        assert "90%" in words and "95%" not in words, (t.stem, words)
    headers = [c.header for c in tables[0].columns]
    assert "Median, months (90% CI)" in headers and "2-year survival, % (90% CI)" in headers
    from spinestats.data_schemas.examples import cohort_cirt
    from spinestats.reports import survival_job

    h = survival_job.run(cohort_cirt.make(), endpoint="os", conf_level=0.9).results["headline"]
    assert h["median_observed_os"]["method"].endswith("(coverage >= 90%)")
    h95 = survival_job.run(cohort_cirt.make(), endpoint="os").results["headline"]
    assert h95["median_observed_os"]["method"].endswith("(coverage >= 95%)")
    assert h["median_observed_os"]["lower"] >= h95["median_observed_os"]["lower"]  # a narrower interval
    assert h["median_observed_os"]["upper"] <= h95["median_observed_os"]["upper"]
    assert json.dumps(h)  # JSON-safe


def test_options_are_checked_with_the_option_named():
    from spinestats.errors import UsageError
    from spinestats.reports import survival_job

    d = pd.DataFrame({"t": [1.0, 2.0, 3.0], "e": [1, 0, 1]})
    with pytest.raises(UsageError, match="conf_level"):
        survival_job.run(d, time="t", event="e", conf_level=95)
    with pytest.raises(UsageError, match="option 'conf_level' expects a number"):
        survival_job.run(d, time="t", event="e", conf_level="95%")
    with pytest.raises(UsageError, match="Did you mean 'covariates'"):
        survival_job.run(d, time="t", event="e", covariate=["x"])
    with pytest.raises(UsageError, match="option 'ties' expects one of 'efron', 'breslow'"):
        survival_job.run(d, time="t", event="e", ties="exact")


def test_cli_fills_the_options_and_calls_analyse(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from spinestats.reports import survival_job
    from spinestats.reports.cli.main import cli

    seen = {}
    real = survival_job.analyse

    def spy(inputs, options, context, **kw):
        seen.update(options=options, context=context)
        return real(inputs, options, context, **kw)

    monkeypatch.setattr(survival_job, "analyse", spy)
    rng = np.random.default_rng(3)
    d = pd.DataFrame({"t": rng.uniform(1, 40, 60).round(1), "s": rng.integers(0, 2, 60), "a": rng.normal(size=60),
                      "b": rng.choice(["x", "y"], 60), "g": rng.choice(["p", "q"], 60)})
    d.to_csv(tmp_path / "d.csv", index=False)
    res = CliRunner().invoke(cli, ["survival", str(tmp_path / "d.csv"), "--time", "t", "--event", "s", "--group", "g",
                                   "--covariates", "a, b", "--times", "12,24", "--ties", "breslow", "--no-median-lines",
                                   "--figure-format", "png", "--dpi", "50", "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    o = seen["options"]
    assert isinstance(o, survival_job.SurvivalOptions)
    assert (o.time, o.event, o.group, o.covariates, o.times, o.ties, o.median_lines) == (
        "t", "s", "g", ("a", "b"), (12.0, 24.0), "breslow", False)
    assert seen["context"].figure_formats == ("png",) and seen["context"].dpis == (50,)
    out = json.loads((tmp_path / "o" / "results.json").read_text(encoding="utf-8"))
    assert out["options"]["covariates"] == ["a", "b"] and out["cox"]["ties"] == "breslow"


def test_methods_name_the_pairwise_holm_tests_only_when_they_ran(tmp_path):
    """Three groups get pairwise log-rank tests with Holm's adjustment, and the methods say so; two do not."""
    from spinestats.reports import survival_job

    rng = np.random.default_rng(1)
    d = pd.DataFrame({"time": rng.exponential(10, 90).round(1) + 0.1, "status": rng.integers(0, 2, 90),
                      "g": np.repeat(["A", "B", "C"], 30)})
    three = survival_job.run(d, out_dir=tmp_path / "three", time="time", event="status", group="g")
    assert len(three.results["logrank"]["pairwise"]) == 3
    assert [m for m in three.methods if "Holm" in m] == [
        "With more than two groups, each pair of groups was also compared with the log-rank test, "
        "with Holm's step-down adjustment of the p-values (as survminer's pairwise_survdiff)."]
    two = survival_job.run(d[d.g != "C"], out_dir=tmp_path / "two", time="time", event="status", group="g")
    assert not any("Holm" in m for m in two.methods)

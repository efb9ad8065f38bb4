"""Declared means used: the cross-check peers (statsmodels, lifelines, scikit-learn) in the tests, and a methods
paragraph that names only the packages that ran (Holm is NumPy now: statsmodels computes nothing at run time;
Matplotlib is named when a figure was drawn, by a plan or a single command)."""

from pathlib import Path

import numpy as np
import pytest
import pandas as pd
import yaml
from numpy.testing import assert_allclose

from spinestats.analysis.longitudinal import paired_tests
from spinestats.analysis.survival import logrank
from spinestats.analysis.core import multiplicity
from spinestats.analysis.core.multiplicity import holm
from spinestats.analysis.survival.kaplan_meier import kaplan_meier
from spinestats.analysis.survival.logrank import logrank_test
from spinestats.reports.methods_text import methods_paragraph, software_versions
from spinestats.reports.section import Section


def test_holm_equals_r_p_adjust():
    # p.adjust(c(0.01, 0.04, 0.03, 0.005, NA, 0.2, 0.03, 0.0004, 0.6), "holm")   (R 4.2)
    p = [0.01, 0.04, 0.03, 0.005, np.nan, 0.2, 0.03, 0.0004, 0.6]
    r = [0.0599999999999999978, 0.1499999999999999944, 0.1499999999999999944, 0.0350000000000000033, np.nan,
         0.4000000000000000222, 0.1499999999999999944, 0.0032000000000000002, 0.5999999999999999778]
    assert_allclose(holm(p), r, rtol=1e-15, atol=0)
    assert np.isnan(holm([np.nan, np.nan])).all() and holm([]).shape == (0,)


def test_holm_runs_without_statsmodels():
    # NumPy only: no import of statsmodels, and nothing noted for the methods paragraph
    import subprocess
    import sys

    code = ("import sys; from spinestats.analysis.core.multiplicity import holm; print(holm([0.01, 0.04]).tolist(), "
            "sorted(m for m in sys.modules if m.startswith('statsmodels')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[0.02, 0.04] []", out


def test_one_home_for_holm():
    assert logrank.holm is paired_tests.holm is multiplicity.holm


def test_software_versions_name_only_what_ran():
    base = software_versions()
    assert {"Python", "spinestats", "NumPy", "SciPy", "pandas"} <= set(base)
    assert not {"statsmodels", "lifelines", "scikit-learn", "Matplotlib"} & set(base)
    drawn = software_versions(figures=True)
    assert set(drawn) == set(base) | {"Matplotlib"}
    text = methods_paragraph([Section(key="k", title="t", results={})], versions=base).paragraph
    for name in ("statsmodels", "lifelines", "scikit-learn"):
        assert name not in text


def test_software_versions_are_the_installed_ones_from_the_one_provenance_reader():
    """The methods text names the versions every load records (data_schemas.provenance), which are the
    distributions' own (importlib.metadata)."""
    from importlib import metadata

    from spinestats.data_schemas.provenance import package_versions

    drawn = software_versions(figures=True)
    for dist, name in (("numpy", "NumPy"), ("scipy", "SciPy"), ("pandas", "pandas"), ("matplotlib", "Matplotlib")):
        assert drawn[name] == package_versions()[dist] == metadata.version(dist)


def _plan(folder, analyses):
    from spinestats.data_schemas.examples import cohort_cirt

    src = Path(cohort_cirt.__file__)
    folder.mkdir(parents=True)
    (folder / "cirt.csv").write_bytes(src.with_name("synthetic_cirt.csv").read_bytes())
    plan = {"schema_version": 1, "title": "t", "seed": 3, "synthetic": True,
            "data": {"cirt": {"file": "cirt.csv", "schema": "cirt"}}, "analyses": analyses,
            "output": {"figures": {"formats": ["png"], "dpi": [72]}, "tables": {"formats": ["csv"]}}}
    path = folder / "plan.yaml"
    path.write_text(yaml.safe_dump(plan, sort_keys=False), encoding="utf-8")
    return path


def test_methods_paragraph_names_only_what_ran(tmp_path):
    from spinestats.reports.plan_runner import run_plan

    # four dose groups: pairwise log-rank tests with Holm's adjustment, on two workers; Holm is computed with
    # NumPy, so the paragraph names no statsmodels (it did not run)
    with_holm = run_plan(_plan(tmp_path / "a", [{"type": "survival", "data": "cirt", "group": "dose_group"},
                                                {"type": "survival", "key": "plain", "data": "cirt"}]),
                         tmp_path / "a" / "out", workers=2)
    assert with_holm["survival"]["logrank"]["pairwise"]
    without = run_plan(_plan(tmp_path / "b", [{"type": "survival", "data": "cirt"}]), tmp_path / "b" / "out")
    for result in (with_holm, without):
        for name in ("statsmodels", "lifelines", "scikit-learn"):
            assert name not in result["methods"], name
    assert "NumPy" in without["methods"] and "Matplotlib" in without["methods"]  # the figures were drawn


def test_logrank_and_km_agree_with_lifelines():
    # lifelines is a cross-check peer (test extra): the same log-rank chi-square and KM estimates.  It requires
    # pandas<3, so CI's pandas 3 leg runs without it (every other leg runs this test).
    if int(pd.__version__.split(".")[0]) >= 3:  # (under pandas 2 a missing lifelines fails the test)
        pytest.importorskip("lifelines", reason="lifelines cannot be installed beside pandas 3 (it requires pandas<3)")
    from lifelines import KaplanMeierFitter
    from lifelines.statistics import logrank_test as ll_logrank

    rng = np.random.default_rng(14)
    n = 300
    g = rng.integers(0, 2, n)
    t = np.round(rng.exponential(12 / (1 + 0.6 * g)), 1) + 0.1  # ties on purpose
    c = np.round(rng.uniform(2, 30, n), 1)
    d = pd.DataFrame({"time": np.minimum(t, c), "event": (t <= c).astype(int), "g": g})
    ours = logrank_test(d, time="time", event="event", group="g")
    a, b = d[d.g == 0], d[d.g == 1]
    theirs = ll_logrank(a.time, b.time, event_observed_A=a.event, event_observed_B=b.event)
    assert_allclose(ours.chisq, theirs.test_statistic, rtol=1e-10)
    km = kaplan_meier(d, time="time", event="event")
    kmf = KaplanMeierFitter().fit(d.time, d.event)
    curve = km.curves[0]
    assert_allclose(curve.survival, kmf.survival_function_at_times(curve.time).to_numpy(), rtol=1e-12)


# --- statsmodels and SciPy functions weighed against ours (README "Dependencies") -----------------------------

def test_statsmodels_proportion_confint_agrees_with_ours_to_rounding():
    # ours: R binom.test / prop.test(correct = FALSE), e.g. x = 12, n = 15 (R 4.2):
    #   binom.test(12, 15)$conf.int -> 0.519108866193147 0.956687994894163
    #   prop.test(12, 15, correct = FALSE)$conf.int -> 0.548145512848307 0.929524506530184
    from statsmodels.stats.proportion import proportion_confint

    from spinestats.analysis.descriptive.proportion_ci import clopper_pearson, wilson

    assert_allclose(np.ravel(clopper_pearson(12, 15)), [0.519108866193147, 0.956687994894163], rtol=1e-12)
    assert_allclose(np.ravel(wilson(12, 15)), [0.548145512848307, 0.929524506530184], rtol=1e-12)
    rng = np.random.default_rng(7)
    n = rng.integers(1, 300, 2000)
    x = rng.integers(0, n + 1)
    x[:5], x[5:10] = 0, n[5:10]
    for method, ours in (("beta", clopper_pearson), ("wilson", wilson)):
        theirs = np.array(proportion_confint(x, n, alpha=0.05, method=method))
        assert_allclose(np.array(ours(x, n)), theirs, rtol=0, atol=1e-15)


def test_statsmodels_mcnemar_differs_from_r_when_the_discordant_counts_tie():
    # R: mcnemar.test(matrix(c(10, 5, 5, 20), 2, byrow = TRUE)) -> statistic 0, p 1 (no continuity correction
    # when b = c); statsmodels applies it anyway: (|5 - 5| - 1)^2 / 10 = 0.1. So ours stays; elsewhere they agree.
    from statsmodels.stats.contingency_tables import mcnemar as sm_mcnemar

    from spinestats.analysis.diagnostic.score_comparison import mcnemar

    ours = mcnemar(5, 5)
    assert ours.statistic == 0.0 and ours.p == 1.0
    assert sm_mcnemar(np.array([[10, 5], [5, 20]]), exact=False, correction=True).statistic == pytest.approx(0.1)
    for b, c in ((12, 3), (30, 18), (1, 0), (0, 7)):
        table = np.array([[10, b], [c, 20]])
        for exact in (False, True):
            theirs = sm_mcnemar(table, exact=exact, correction=True)
            assert_allclose(mcnemar(b, c, exact=exact).p, theirs.pvalue, rtol=1e-12)


def test_scipy_conditional_odds_ratio_solves_tighter_than_r():
    # R fisher.test(matrix(c(25, 1, 4, 30), 2, byrow = TRUE))$estimate = 157.0681 (uniroot, tol ~1.2e-4);
    # scipy.stats.contingency.odds_ratio(kind = "conditional") solves the same equation tightly: 156.397,
    # 4e-3 apart, outside our 1e-6 tolerance to R, so fisher_exact keeps R's algorithm.
    from scipy.stats.contingency import odds_ratio

    from spinestats.analysis.descriptive.fisher_exact import fisher_test

    ours = fisher_test(25, 1, 4, 30).odds_ratio
    theirs = odds_ratio(np.array([[25, 1], [4, 30]]), kind="conditional").statistic
    assert_allclose(ours, 157.068112623, rtol=1e-6)
    assert 1e-3 < abs(ours / theirs - 1) < 1e-2


def test_single_command_names_matplotlib_when_it_drew(tmp_path):
    """A single command that drew figures names Matplotlib beside NumPy, SciPy and pandas (it said nothing of it)."""
    import re

    from cli_run import cli  # tests/ is on sys.path
    from spinestats.data_schemas.examples import cohort_dss

    src = Path(cohort_dss.__file__).with_name("synthetic_dss.csv")
    assert cli("dss", src, "--out", tmp_path / "d") == 0
    html = (tmp_path / "d" / "report.html").read_text(encoding="utf-8")
    run_with = re.search(r"Analyses were run with spinestats [^(]*\(([^)]*)\)", html).group(1)
    assert [part.split()[0] for part in run_with.split(";")[1].split(",")] == ["NumPy", "SciPy", "pandas", "Matplotlib"]
    assert "statsmodels" not in html

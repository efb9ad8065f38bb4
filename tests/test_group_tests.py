"""Table 1's tests in closed form, Fisher's 2 x 2 p, Holm and average ranks against R, without scipy.stats.

Every reference value comes from tests/r/group_tests.R (base R 4.2); the R call is quoted beside it.
SciPy's and statsmodels' functions, the former implementations, are cross-checks where installed.
"""

import subprocess
import sys
import textwrap

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from spinestats.analysis.core import distributions
from spinestats.analysis.core.multiplicity import holm
from spinestats.analysis.descriptive.fisher_exact import fisher_2x2_p, fisher_exact_p, fisher_test
from spinestats.analysis.descriptive.group_tests import chisq_test, kruskal_wallis, oneway_anova, student_t

A = [2.8, 3.1, 3.1, 4.0, 2.2, 3.5, 3.1, 2.9, 4.4, 3.0]
B = [3.6, 4.1, 3.1, 5.2, 4.0, 4.4, 3.9, 4.0, 5.0, 3.6, 4.8, 4.0]
C = [2.0, 2.8, 3.1, 2.5, 2.2, 2.8, 3.6, 2.0]
T22 = [[12, 5], [7, 15]]
T23 = [[8, 3, 9], [2, 7, 6]]
T33 = [[20, 14, 9], [11, 18, 16], [6, 9, 21]]


def test_student_t_equals_r_t_test():
    # t.test(a, b, var.equal = TRUE): t -3.5209533632969792, df 20, p 0.0021482946894414443
    r = student_t(A, B)
    assert_allclose([r.statistic, r.df, r.p], [-3.5209533632969792, 20, 0.0021482946894414443], rtol=1e-12)
    # t.test(b, c3, var.equal = TRUE): t 5.5882553285319068, df 18, p 2.6473361881734592e-05
    r = student_t(B, C)
    assert_allclose([r.statistic, r.df, r.p], [5.5882553285319068, 18, 2.6473361881734592e-05], rtol=1e-12)


def test_oneway_anova_equals_r_oneway_test_and_aov():
    # oneway.test(y ~ g, var.equal = TRUE): F 16.092719768602311, df 2 and 27, p 2.5032831360180317e-05
    # anova(aov(y ~ g)): F 16.092719768602308, p 2.5032831360180361e-05
    r = oneway_anova(A, B, C)
    assert_allclose([r.statistic, r.df, r.df2, r.p], [16.092719768602311, 2, 27, 2.5032831360180317e-05], rtol=1e-12)
    assert_allclose([r.statistic, r.p], [16.092719768602308, 2.5032831360180361e-05], rtol=1e-12)
    # two groups: F = t^2 and the same p as t.test(a, b, var.equal = TRUE) (p 0.0021482946894414443)
    two = oneway_anova(A, B)
    assert_allclose([two.statistic, two.p], [3.5209533632969792**2, 0.0021482946894414443], rtol=1e-12)


def test_kruskal_wallis_equals_r_with_ties():
    # kruskal.test(y ~ g): chi-squared 16.613986491543159, df 2, p 0.0002467849506347074 (ties within and across)
    r = kruskal_wallis(A, B, C)
    assert_allclose([r.statistic, r.df, r.p], [16.613986491543159, 2, 0.0002467849506347074], rtol=1e-12)
    # kruskal.test(list(a, b)): 8.3306603773584857, p 0.0038981484768034992
    r = kruskal_wallis(A, B)
    assert_allclose([r.statistic, r.p], [8.3306603773584857, 0.0038981484768034992], rtol=1e-12)
    # kruskal.test(list(c(1, 1, 2), c(2, 2, 2, 3))): 3.15, p 0.075926962982557702 (heavy ties)
    r = kruskal_wallis([1, 1, 2], [2, 2, 2, 3])
    assert_allclose([r.statistic, r.p], [3.15, 0.075926962982557702], rtol=1e-12)
    # every value equal: no information (R: NaN)
    r = kruskal_wallis([3, 3], [3, 3, 3])
    assert np.isnan(r.statistic) and np.isnan(r.p)


def test_chisq_test_equals_r_chisq_test():
    # chisq.test(t22): X-squared 4.3221203912186867, p 0.037620016634840062 (Yates)
    r = chisq_test(T22)
    assert_allclose([r.statistic, r.df, r.p], [4.3221203912186867, 1, 0.037620016634840062], rtol=1e-12)
    # chisq.test(t22, correct = FALSE): 5.7695961159583433, p 0.01630578158465017
    r = chisq_test(T22, correct=False)
    assert_allclose([r.statistic, r.p], [5.7695961159583433, 0.01630578158465017], rtol=1e-12)
    # chisq.test(matrix(c(10, 10, 10, 11), 2, byrow = TRUE)): 0, p 1 (|O - E| < 0.5: the correction stops there)
    r = chisq_test([[10, 10], [10, 11]])
    assert r.statistic == 0 and r.p == 1
    # suppressWarnings(chisq.test(t23)): 5.1916666666666673, df 2, p 0.074583697089215695 (no correction)
    r = chisq_test(T23)
    assert_allclose([r.statistic, r.df, r.p], [5.1916666666666673, 2, 0.074583697089215695], rtol=1e-12)
    # ct$expected (column-major): 5.7142857142857144 4.2857142857142856 5.7142857142857144 4.2857142857142856
    #                             8.5714285714285712 6.4285714285714288
    assert_allclose(r.expected.T.ravel(), [5.7142857142857144, 4.2857142857142856, 5.7142857142857144,
                                           4.2857142857142856, 8.5714285714285712, 6.4285714285714288], rtol=1e-14)
    # chisq.test(t33): 15.339065966753456, df 4, p 0.004047248304169148
    r = chisq_test(T33)
    assert_allclose([r.statistic, r.df, r.p], [15.339065966753456, 4, 0.004047248304169148], rtol=1e-12)
    # a zero margin: no test (R: NaN with a warning), not an exception
    r = chisq_test([[0, 0], [3, 4]])
    assert np.isnan(r.statistic) and np.isnan(r.p)


@pytest.mark.parametrize("cells, p", [
    ((3, 1, 1, 3), 0.48571428571428582),       # fisher.test(matrix(c(3, 1, 1, 3), 2, byrow = TRUE))$p.value
    ((12, 5, 7, 15), 0.024841720377823322),    # fisher.test(matrix(c(12, 5, 7, 15), 2, byrow = TRUE))$p.value
    ((0, 9, 6, 4), 0.010835913312693502),      # fisher.test(matrix(c(0, 9, 6, 4), 2, byrow = TRUE))$p.value
    ((41, 59, 18, 82), 0.00058207466869481406),  # fisher.test(matrix(c(41, 59, 18, 82), 2, byrow = TRUE))$p.value
    ((5, 0, 0, 5), 0.0079365079365079395),     # fisher.test(matrix(c(5, 0, 0, 5), 2, byrow = TRUE))$p.value
])
def test_fisher_2x2_p_equals_r(cells, p):
    table = np.reshape(cells, (2, 2))
    assert_allclose(fisher_2x2_p(table), p, rtol=1e-12)
    assert fisher_exact_p(table) == fisher_2x2_p(table) == fisher_test(*cells).p


def test_holm_equals_r_p_adjust_ties_nan_cap_monotone():
    # p.adjust(c(0.02, 0.02, 0.01, NA, 0.5, 0.04, 0.02), "holm"): 0.1 0.1 0.06 NA 0.5 0.1 0.1 (ties, NA not counted)
    got = holm([0.02, 0.02, 0.01, np.nan, 0.5, 0.04, 0.02])
    assert_allclose(got, [0.1, 0.1, 0.06, np.nan, 0.5, 0.1, 0.1], rtol=1e-15)
    # p.adjust(c(0.3, 0.9, 1, 0.25), "holm"): 1 1 1 1 (capped at 1)
    assert_array_equal(holm([0.3, 0.9, 1, 0.25]), [1, 1, 1, 1])
    # p.adjust(c(0.001, 0.2, 0.0105, 0.011), "holm"): 0.004 0.2 0.0315 0.0315 (the running maximum)
    assert_allclose(holm([0.001, 0.2, 0.0105, 0.011]), [0.004, 0.2, 0.0315, 0.0315], rtol=1e-15)
    # p.adjust(0.03, "holm"): 0.03
    assert holm([0.03]).tolist() == [0.03]
    assert np.isnan(holm([np.nan, np.nan])).all() and holm([]).shape == (0,)
    rng = np.random.default_rng(16)
    p = rng.random(40) ** 3
    adjusted = holm(p)
    order = np.argsort(p)
    assert (np.diff(adjusted[order]) >= 0).all() and (adjusted >= p).all() and (adjusted <= 1).all()


def test_holm_is_statsmodels_multipletests_to_the_bit():
    from statsmodels.stats import multitest  # the test extra installs it

    rng = np.random.default_rng(7)
    for p in (rng.random(12), np.round(rng.random(15), 1), rng.random(9) ** 6, np.minimum(1, 2 * rng.random(8))):
        assert_array_equal(holm(p), multitest.multipletests(p, method="holm")[1])


def test_rankdata_is_r_rank_and_scipy_rankdata():
    # rank(c(3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5)): 4.5 1.5 6 1.5 8 11 3 10 8 4.5 8
    x = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5]
    assert_array_equal(distributions.rankdata(x), [4.5, 1.5, 6, 1.5, 8, 11, 3, 10, 8, 4.5, 8])
    import scipy.stats

    rng = np.random.default_rng(3)
    for y in (np.round(rng.normal(size=50), 1), rng.integers(0, 4, 30), np.array([]), np.array([1.0, np.nan, 2.0]),
              np.array([[2, 1], [1, 3]])):
        ours, theirs = distributions.rankdata(y), scipy.stats.rankdata(y)
        assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
        assert_array_equal(ours, theirs)
    assert_array_equal(distributions.rankdata([2, 1, 2], method="min"), [2, 1, 2])  # other methods: scipy.stats


def test_tests_agree_with_scipy_stats():
    # the former implementation (scipy.stats) as a cross-check; on SciPy 1.17 the numbers are identical to the bit,
    # older SciPy versions sum in another order
    import scipy.stats

    rng = np.random.default_rng(11)
    for _ in range(40):
        xs = [np.round(rng.normal(rng.normal(), 1, rng.integers(2, 30)), 1) for _ in range(rng.integers(2, 5))]
        f, k, t = scipy.stats.f_oneway(*xs), scipy.stats.kruskal(*xs), scipy.stats.ttest_ind(xs[0], xs[1])
        ours_f, ours_k, ours_t = oneway_anova(*xs), kruskal_wallis(*xs), student_t(xs[0], xs[1])
        assert_allclose([ours_f.statistic, ours_f.p, ours_k.statistic, ours_k.p, ours_t.statistic, ours_t.p],
                        [f.statistic, f.pvalue, k.statistic, k.pvalue, t.statistic, t.pvalue], rtol=1e-12)
        table = rng.integers(1, 20, size=(rng.integers(2, 4), rng.integers(2, 5)))
        c = scipy.stats.chi2_contingency(table, correction=True)
        assert_allclose([chisq_test(table).statistic, chisq_test(table).p], [c[0], c[1]], rtol=1e-12)
        assert_allclose(chisq_test(table).expected, c[3], rtol=1e-15)


def test_building_table_one_does_not_import_scipy_stats(tmp_path):
    # the demo's two Table 1 analyses, on the bundled cohorts, through the job (tables written), in a fresh process
    code = textwrap.dedent("""
        import sys
        from pathlib import Path
        import pandas as pd
        from spinestats.data_schemas.examples import cohort_dss
        from spinestats.reports import table_one_job
        folder = Path(cohort_dss.__file__).parent
        dss = pd.read_csv(folder / "synthetic_dss.csv", comment="#")
        cafe = pd.read_csv(folder / "synthetic_cafe.csv", comment="#")
        out = Path(sys.argv[1])
        a = table_one_job.run(dss, out / "a", group="reference", variables=["size_cm", "boundary", "lobulated",
                              "bone_destruction", "dss"], nonnormal=["size_cm", "dss"])
        b = table_one_job.run(cafe, out / "b", group="arm", variables=["age", "sex", "nrs_baseline",
                              "levels_treated"], nonnormal=["nrs_baseline"])
        tests = sorted({v["test"] for sec in (a, b) for v in sec.results["variables"]})
        heavy = sorted(m for m in sys.modules if m == "scipy.stats" or m.startswith(("scipy.stats.", "statsmodels")))
        print(tests)
        print(heavy)
    """)
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, check=True)
    tests, heavy = out.stdout.strip().splitlines()[-2:]
    assert heavy == "[]", heavy
    assert "Kruskal-Wallis" in tests and "t-test" in tests and ("chi-squared" in tests or "Fisher" in tests), tests

"""Sample size formulas against R (epiR 2.0.57, pROC 1.18.0) and published examples.

R code: tests/r/sample_size.R.
"""

import math

import pytest
from numpy.testing import assert_allclose
from scipy import stats

from spinestats.analysis.design.sample_size import (
    auc_power,
    auc_precision,
    buderer,
    hanley_mcneil_se,
    kappa_size,
    riley_binary,
)
from spinestats.errors import UsageError


def test_buderer_matches_epir():
    # epi.ssdxsesp(test=0.90, type="se", Py=0.34, epsilon=0.10, error="absolute", nfractional=TRUE) 101.685674665
    # epi.ssdxsesp(test=0.846, type="sp", Py=0.34, epsilon=0.10, error="absolute", nfractional=TRUE) 75.8303971205
    # (nfractional=FALSE: 102 and 76)
    r = buderer(0.90, 0.846, 0.34, 0.10)
    assert_allclose(r.n_sensitivity_exact, 101.685674665, rtol=1e-9)
    assert_allclose(r.n_specificity_exact, 75.8303971205, rtol=1e-9)
    assert (r.n_sensitivity, r.n_specificity, r.n) == (102, 76, 102)


def test_buderer_relative_error_matches_epir():
    # epi.ssdxsesp(test=0.90, type="se", Py=0.34, epsilon=0.05, error="relative") 3519
    assert buderer(0.90, 0.846, 0.34, 0.05, error="relative").n_sensitivity == 3519


def test_buderer_refuses_bad_proportions():
    with pytest.raises(UsageError, match="prevalence"):
        buderer(0.9, 0.8, 1.2, 0.1)


def test_power_roc_test_sample_size_matches_proc():
    # power.roc.test(auc=0.8, sig.level=0.05, power=0.9, kappa=1.95) ncases 12.9061005148 ncontrols 25.1668960038
    r = auc_power(0.8, power=0.9, kappa=1.95)
    assert_allclose([r.n_cases_exact, r.n_controls_exact], [12.9061005148, 25.1668960038], rtol=1e-9)
    assert (r.n_cases, r.n_controls) == (13, 26)
    # power.roc.test(auc=0.8, sig.level=0.05, power=0.8, kappa=1, alternative="one.sided") ncases 9.93371154666
    assert_allclose(auc_power(0.8, power=0.8, alternative="one.sided").n_cases_exact, 9.93371154666, rtol=1e-9)


def test_power_roc_test_power_matches_proc():
    # power.roc.test(auc=0.75, ncases=30, ncontrols=60, sig.level=0.05)$power 0.983110542522
    r = auc_power(0.75, power=None, n_cases=30, kappa=2)
    assert_allclose(r.power, 0.983110542522, rtol=1e-9)


def test_auc_precision_reaches_the_half_width():
    r = auc_precision(0.85, 0.34, 0.05)
    z = stats.norm.ppf(0.975)
    # at the exact n the half-width is d; one fewer patient is not enough
    assert_allclose(z * hanley_mcneil_se(0.85, r.n_exact * 0.34, r.n_exact * 0.66), 0.05, rtol=1e-10)
    assert z * hanley_mcneil_se(0.85, (r.n - 1) * 0.34, (r.n - 1) * 0.66) > 0.05
    assert r.n == 305


def test_hanley_mcneil_by_hand():
    # A = 0.8, 50 cases, 50 controls: Q1 = 0.8/1.2, Q2 = 1.28/1.8
    # SE = sqrt((0.16 + 49*(Q1 - 0.64) + 49*(Q2 - 0.64)) / 2500) = 0.0445021847...
    q1, q2 = 0.8 / 1.2, 1.28 / 1.8
    se = math.sqrt((0.16 + 49 * (q1 - 0.64) + 49 * (q2 - 0.64)) / 2500)
    assert_allclose(hanley_mcneil_se(0.8, 50, 50), se, rtol=1e-12)
    assert round(se, 4) == 0.0445


def test_kappa_size_donner_eliasziw_by_hand():
    # pi = 0.3: P(k) = (0.09 + 0.21k, 0.42(1-k), 0.49 + 0.21k)
    p0 = [0.09 + 0.21 * 0.4, 0.42 * 0.6, 0.49 + 0.21 * 0.4]
    p1 = [0.09 + 0.21 * 0.8, 0.42 * 0.2, 0.49 + 0.21 * 0.8]
    chi = sum((a - b) ** 2 / b for a, b in zip(p1, p0))
    n = (stats.norm.ppf(0.975) + stats.norm.ppf(0.8)) ** 2 / chi
    r = kappa_size(0.4, 0.8, 0.3)
    assert_allclose(r.n_exact, n, rtol=1e-12)
    assert r.n == math.ceil(n) == 48
    assert kappa_size(0.4, 0.8, 0.3, sides=1).n < r.n


def test_riley_pmsampsize_documented_example():
    # pmsampsize(type = "b", csrsquared = 0.288, parameters = 24, prevalence = 0.174)
    # pmsampsize output: criterion 1 = 623, criterion 2 = 662, criterion 3 = 221; final 662,
    # with 116 events and an EPP of 4.8; shrinkage of criterion 2 0.905.
    r = riley_binary(24, 0.174, csrsquared=0.288)
    assert [c["n"] for c in r.criteria] == [623, 662, 221]
    assert r.n == 662 and r.events == 116
    assert round(r.epp, 1) == 4.8
    assert round(r.criteria[1]["shrinkage"], 3) == 0.905
    # max R2_CS at prevalence 0.174 (Riley 2019 eq. 23): 1 - (phi^phi (1-phi)^(1-phi))^2
    phi = 0.174
    assert_allclose(r.max_r2_cs, 1 - (phi**phi * (1 - phi) ** (1 - phi)) ** 2, rtol=1e-12)


def test_riley_nagelkerke_input_is_converted():
    a = riley_binary(24, 0.174, csrsquared=0.288)
    b = riley_binary(24, 0.174, nagrsquared=0.288 / a.max_r2_cs)
    assert b.n == a.n


def test_riley_refuses_impossible_r2():
    with pytest.raises(UsageError, match="maximum"):
        riley_binary(10, 0.05, csrsquared=0.5)

"""The hardened Newton solver: R glm agreement, and an explicit result for every degenerate case."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from spinestats.analysis.core.newton import (
    STATUSES,
    design_rank,
    information_rank,
    inverse_information,
    logistic_fit,
    newton_maximise,
)

# tests/r/core_newton.R
X1 = np.array([-1.2, -0.7, -0.3, 0.0, 0.2, 0.5, 0.9, 1.4, 1.8, 2.3, -0.9, 0.4])
OFF = np.array([0.1, -0.2, 0.0, 0.3, -0.1, 0.2, 0.0, -0.3, 0.1, 0.0, 0.2, -0.1])
W = np.array([1, 2, 1, 0.5, 1.5, 1, 1, 2, 1, 0.5, 1, 1])
Y = np.array([0, 0, 1, 0, 0, 1, 0, 1, 1, 1, 0, 1], dtype=float)
DESIGN = np.column_stack([np.ones(12), X1])


def test_weighted_fit_with_offset_matches_r_glm():
    # f <- glm(y ~ x + offset(o), binomial, weights = w, control = glm.control(epsilon = 1e-14, maxit = 100))
    # coef(f); vcov(f); sum(w * dbinom(y, 1, fitted(f), log = TRUE))
    f = logistic_fit(DESIGN, Y, weights=W, offset=OFF)
    assert f.converged and f.status == "converged" and f.reason == "" and f.sentence("x") == ""
    assert_allclose(f.coef, [-0.659721757228611, 2.095551159684665], rtol=1e-6)
    assert_allclose(f.cov, [[0.63576965605609, -0.32730904579638], [-0.32730904579638, 1.11693675903872]],
                    rtol=1e-6)
    assert_allclose(f.loglik, -5.81271297477544, rtol=1e-9)
    assert f.n == 12 and f.events == 6


def test_zero_weight_rows_are_ignored():
    w = np.append(W, 0.0)
    f = logistic_fit(np.vstack([DESIGN, [1, 50.0]]), np.append(Y, 0.0), weights=w, offset=np.append(OFF, 0.0))
    assert_allclose(f.coef, [-0.659721757228611, 2.095551159684665], rtol=1e-6)
    assert f.n == 12


def _check_degenerate(f, status, reason):
    assert status in STATUSES
    assert f.status == status and not f.converged
    assert np.isnan(f.coef).all() and np.isnan(f.cov).all()
    assert f.reason == reason
    assert f.sentence("The slope") == f"The slope could not be estimated: {reason}."


def test_no_events():
    f = logistic_fit(DESIGN, np.zeros(12), names=("intercept", "age"), unit="patients")
    _check_degenerate(f, "no_events", "none of the 12 patients has the event")


def test_all_events():
    _check_degenerate(logistic_fit(DESIGN, np.ones(12)), "all_events", "all 12 rows have the event")


def test_no_rows_with_weight():
    _check_degenerate(logistic_fit(DESIGN, Y, weights=np.zeros(12)), "no_data", "no rows carry weight")


def test_infinite_offset():
    off = OFF.copy()
    off[[2, 5]] = -np.inf
    _check_degenerate(logistic_fit(DESIGN, Y, offset=off), "nonfinite",
                      "2 of the 12 rows have a missing or infinite predictor or offset")


def test_constant_predictor():
    # glm(y ~ rep(2, 12), binomial): R aliases the predictor (coefficient NA)
    X = np.column_stack([np.ones(12), np.full(12, 2.0)])
    _check_degenerate(logistic_fit(X, Y, names=("the intercept", "dose")), "constant_predictor",
                      "dose takes the same value (2) in all 12 rows, so its coefficient is not identifiable")


def test_tiny_constant_predictor_is_caught_whatever_the_blas():
    # the case of issue 14: every risk clipped to 1e-12, information ~ [[1e-22, -4e-21], [-4e-21, 1e-19]]
    lp = np.full(12, np.log(1e-12))
    f = logistic_fit(np.column_stack([np.ones(12), lp]), Y)
    assert f.status == "constant_predictor" and not f.converged


def test_collinear_predictors():
    X = np.column_stack([np.ones(12), X1, 2 * X1 + 1])
    _check_degenerate(logistic_fit(X, Y, names=("the intercept", "age", "age in other units")), "collinear",
                      "the intercept, age and age in other units are collinear (the design matrix has rank 2 < 3)")


def test_complete_separation():
    # glm(as.numeric(x > 0.3) ~ x, binomial) "converges" with coefficients -64 and 213 and a warning; we say why
    y = (X1 > 0.3).astype(float)
    f = logistic_fit(DESIGN, y, names=("the intercept", "age"))
    _check_degenerate(f, "complete_separation",
                      "age separates the rows with and without the event completely, so the maximum-likelihood "
                      "estimate is infinite")
    assert f.iterations > 0


def test_quasi_complete_separation():
    x = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2, 2], dtype=float)
    y = np.array([0, 0, 0, 0, 1, 0, 1, 1, 1, 1], dtype=float)  # x = 2 always an event, x = 0 never
    f = logistic_fit(np.column_stack([np.ones(10), x]), y, names=("the intercept", "grade"))
    _check_degenerate(f, "quasi_separation",
                      "grade separates the rows with and without the event quasi-completely, so the "
                      "maximum-likelihood estimate is infinite")


def test_non_convergence_is_reported():
    f = logistic_fit(DESIGN, Y, weights=W, offset=OFF, max_iter=2)
    assert f.status == "not_converged" and not f.converged
    assert f.reason == "the iterations did not converge in 2 steps"
    assert np.isfinite(f.coef).all()  # the last iterate is kept, flagged


def test_bad_arguments_are_programming_errors():
    with pytest.raises(ValueError, match="must lie in"):
        logistic_fit(DESIGN, Y * 2)
    with pytest.raises(ValueError, match="do not match"):
        logistic_fit(DESIGN, Y[:5])


def test_rank_helpers_are_scale_free():
    # a covariate in days beside an indicator: badly scaled, not singular
    X = np.column_stack([np.ones(6), [0, 1, 0, 1, 1, 0], [1e6, 2e6, 3.5e6, 4e6, 5e6, 6.5e6]])
    info = X.T @ X
    assert design_rank(X) == 3 and information_rank(info) == 3
    assert np.isfinite(inverse_information(info)).all()
    singular = np.array([[1e-22, -4e-21], [-4e-21, 1.6e-19]])  # exactly rank 1
    assert information_rank(singular) == 1
    assert np.isnan(inverse_information(singular)).all()
    assert information_rank(np.zeros((2, 2))) == 0 and information_rank(np.full((2, 2), np.nan)) == 0


def test_newton_engine_halves_a_step_that_overshoots():
    # maximise l(b) = -log(cosh(b - 3)) from 0: a full Newton step overshoots; halving keeps it monotone
    def ll(b):
        return -float(np.log(np.cosh(b[0] - 3)))

    def score_info(b):
        t = np.tanh(b[0] - 3)
        return np.array([-t]), np.array([[1 - t * t]])

    out = newton_maximise(ll, score_info, np.zeros(1), max_iter=100, step_tol=1e-12)
    assert out.converged and out.stop == "converged"
    assert_allclose(out.beta, [3.0], atol=1e-10)


def test_newton_engine_stops_on_a_singular_information():
    out = newton_maximise(lambda b: 0.0, lambda b: (np.ones(2), np.ones((2, 2))), np.zeros(2))
    assert not out.converged and out.stop == "singular_information"

"""Kaplan-Meier quantiles drop the repeated values of a curve without sorting when the curve is
non-decreasing (issue 16); the kept points are those np.unique(return_index) keeps, for monotone curves
with signed zeros, runs and NaN (as +inf), and for arrays that are not monotone (the sort then decides)."""

import numpy as np
import pytest

from spinestats.analysis.survival.kaplan_meier import _findq, _repeated, km_curve


def by_unique(v):
    _, first = np.unique(v, return_index=True)
    dups = np.ones(v.size, dtype=bool)
    dups[first] = False
    return dups


CASES = [np.array([]), np.array([0.3]), np.array([0.0, -0.0, 0.0, 0.2, 0.2, np.inf, np.inf]),
         np.sort(np.random.default_rng(1).integers(0, 20, 500) / 7.0), np.array([0.0, 0.5, 0.5, 0.3, 0.5]),
         np.array([np.inf, 1.0, 1.0]), np.random.default_rng(2).integers(0, 5, 60).astype(float)]


@pytest.mark.parametrize("v", CASES, ids=range(len(CASES)))
def test_repeats_are_those_unique_drops(v):
    assert np.array_equal(_repeated(v), by_unique(v))


def test_quantiles_of_a_curve_with_ties_and_a_plateau():
    rng = np.random.default_rng(16)
    t = np.round(rng.exponential(12, 400), 0) + 1
    e = rng.random(400) < 0.7
    c = km_curve(t, e)
    x = np.concatenate(([0.0], c.time))
    probs = np.array([0.1, 0.25, 0.5, 0.75, 0.9])
    for curve in (c.survival, c.lower, c.upper):
        y = np.concatenate(([0.0], 1 - curve))
        got = _findq(x, y, probs)
        # the same function with the sort-based repeats
        keep = ~by_unique(np.where(np.isnan(y), np.inf, y))
        assert keep.sum() < y.size  # the curve has repeated values
        assert np.array_equal(got, _findq(x[keep], y[keep], probs), equal_nan=True)

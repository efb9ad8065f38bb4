"""The Cox model's row order (analysis/survival/cox.time_order): numpy's stable sort, by radix passes."""

import numpy as np
import pytest

from spinestats.analysis.survival import cox


def _numpy(time, strata):
    one = strata.size == 0 or strata.min() == strata.max()
    return np.argsort(time, kind="stable") if one else np.lexsort((time, strata))


@pytest.mark.parametrize("seed", range(4))
def test_as_numpys_stable_order(seed):
    rng = np.random.default_rng(seed)
    n = 3000
    cases = [
        rng.integers(0, 40, n) / 7.0,  # many ties
        rng.normal(size=n) * 1e3,  # negatives
        np.concatenate([np.zeros(5), -np.zeros(5), [-1e-300, 1e-300, -np.inf, np.inf], rng.random(n)]),
        rng.random(n) * 1e-310,  # subnormal
    ]
    for time in cases:
        for strata in (np.zeros(time.size, int), rng.integers(0, 3, time.size)):
            cox._LAST_ORDER = None
            got = cox.time_order(time, strata)
            assert np.array_equal(got, _numpy(time, strata))
            assert not got.flags.writeable


def test_nan_and_empty_use_numpys_sort():
    time = np.array([3.0, np.nan, 1.0, 1.0])
    for t in (time, np.zeros(0)):  # NaN: numpy sorts it last
        cox._LAST_ORDER = None
        s = np.zeros(t.size, int)
        assert np.array_equal(cox.time_order(t, s), _numpy(t, s))


def test_the_last_order_is_reused_only_for_the_same_rows():
    rng = np.random.default_rng(5)
    time = rng.integers(0, 50, 500).astype(float)
    strata = rng.integers(0, 2, 500)
    first = cox.time_order(time, strata)
    assert cox.time_order(time.copy(), strata.copy()) is first  # equal content: the same order
    time[0] += 100.0  # the caller changes its array: the kept copy does not follow
    other = cox.time_order(time, strata)
    assert other is not first and np.array_equal(other, _numpy(time, strata))
    assert not np.array_equal(cox.time_order(time, np.zeros(500, int)), other)

"""spinestats.analysis.core.distributions gives scipy.stats's numbers to the last bit, without importing it."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest
from scipy import stats as scipy_stats

from spinestats.analysis.core import distributions as dist

X = np.array([-np.inf, -40.0, -3.7, -1.959963984540054, -1e-12, 0.0, 1e-300, 1e-12, 0.3, 0.5, 0.975, 1.0, 1.0 + 1e-15,
              2.5, 3.841458820694124, 17.0, 1e3, np.inf, np.nan])
Q = np.array([-0.1, 0.0, 1e-300, 1e-16, 1e-8, 0.0125, 0.025, 0.05, 0.3, 0.5, 0.7, 0.95, 0.975, 1 - 1e-12, 1.0, 1.1,
              np.nan])
SHAPES = {
    "norm": [()],
    "t": [(1,), (2.5,), (9,), (58,), (1e6,), (0,), (-1,), (np.nan,)],
    "chi2": [(1,), (2,), (3.5,), (30,), (0,), (-2,)],
    "f": [(1, 1), (3, 17), (2.5, 40), (50, 2), (0, 5), (4, -1)],
    "beta": [(1, 1), (0.5, 0.5), (3, 57), (1e-300, 60), (59, 1), (12.5, 0.2), (0, 1), (2, -1)],
}


def _compare(ours, theirs, method: str, grid: np.ndarray, shape: tuple, scalars: list) -> None:
    """Same values, dtype, sign of zero and warnings as scipy.stats, for the grid and for scalars."""
    with warnings.catch_warnings(record=True) as w_theirs:
        warnings.simplefilter("always")
        want = getattr(theirs, method)(grid, *shape)
    with warnings.catch_warnings(record=True) as w_ours:
        warnings.simplefilter("always")
        got = getattr(ours, method)(grid, *shape)
    assert _same(got, want), (method, shape, got, want)
    # the same warnings too (a job lists the warnings raised while it computes)
    assert [(w.category, str(w.message)) for w in w_ours] == [(w.category, str(w.message)) for w in w_theirs]
    for v in scalars:  # scalars stay NumPy scalars, as scipy.stats returns them
        with np.errstate(all="ignore"):
            w, g = getattr(theirs, method)(v, *shape), getattr(ours, method)(v, *shape)
        assert type(g) is type(w) and _same(g, w), (method, shape, v, g, w)


def _same(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True) \
        and np.array_equal(np.signbit(a), np.signbit(b))


@pytest.mark.parametrize("name", sorted(SHAPES))
@pytest.mark.parametrize("method", ["cdf", "sf", "ppf", "isf"])
def test_every_method_equals_scipy_stats_bit_for_bit(name, method):
    ours, theirs = getattr(dist, name), getattr(scipy_stats, name)
    grid = Q if method in ("ppf", "isf") else X
    for shape in SHAPES[name]:
        _compare(ours, theirs, method, grid, shape, list(grid[[1, 5, 9]]))


K = np.array([-np.inf, -3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 3.0, 7.0, 12.0, 20.0, 59.0, 60.0, 61.0, np.inf, np.nan])
DISCRETE = {
    "binom": [(0, 0.5), (1, 0.3), (20, 0.5), (59, 0.025), (60, 0.0), (60, 1.0), (12.5, 0.5), (-1, 0.5), (10, 1.2)],
    "hypergeom": [(59, 25, 8), (60, 30, 30), (20, 20, 5), (10, 0, 3), (10, 4, 10), (1, 1, 1), (10, 11, 2),
                  (10.5, 4, 3), (0, 0, 0)],
}


@pytest.mark.parametrize("name", sorted(DISCRETE))
@pytest.mark.parametrize("method", ["cdf", "sf", "ppf", "logpmf"])
def test_discrete_methods_equal_scipy_stats_bit_for_bit(name, method):
    ours, theirs = getattr(dist, name), getattr(scipy_stats, name)
    grid = Q if method == "ppf" else K
    for shape in DISCRETE[name]:
        _compare(ours, theirs, method, grid, shape, list(grid[[2, 4, 8]]))
    # integer arrays of counts, as the analyses pass them
    support = np.arange(0, 9)
    assert _same(getattr(ours, method)(support if method != "ppf" else Q, *DISCRETE[name][0]),
                 getattr(theirs, method)(support if method != "ppf" else Q, *DISCRETE[name][0]))


def test_location_scale_broadcasting_and_frozen_distributions():
    q = np.array([[0.025], [0.5], [0.975]])
    assert _same(dist.norm.ppf(q, loc=[1.0, -2.0], scale=[2.0, 0.5]),
                 scipy_stats.norm.ppf(q, loc=[1.0, -2.0], scale=[2.0, 0.5]))
    with np.errstate(divide="ignore"):  # scale 0: nan
        assert _same(dist.norm.cdf(1.3, loc=0.2, scale=0.0), scipy_stats.norm.cdf(1.3, loc=0.2, scale=0.0))
    assert _same(dist.t.sf([1.0, 2.0, 3.0], [[3], [30]]), scipy_stats.t.sf([1.0, 2.0, 3.0], [[3], [30]]))
    frozen, theirs = dist.t(9), scipy_stats.t(9)
    for m in ("cdf", "sf", "ppf", "isf"):
        assert _same(getattr(frozen, m)(0.975), getattr(theirs, m)(0.975))
    assert float(dist.norm.ppf(0.975)) == 1.959963984540054


def test_other_names_come_from_scipy_stats_on_first_use():
    assert dist.poisson is scipy_stats.poisson and dist.binomtest is scipy_stats.binomtest
    assert dist.rankdata is not scipy_stats.rankdata  # its own (tests/test_group_tests.py compares the two)
    with pytest.raises(AttributeError):
        dist.__wrapped__  # noqa: B018


def test_importing_it_does_not_import_scipy_stats():
    import scipy.special

    calls = "d.norm.ppf(0.975); d.chi2.sf(3, 1); d.t(9).ppf(0.975); d.rankdata([3, 1, 3]); "
    if hasattr(scipy.special, "betaincc"):  # SciPy >= 1.12; before it the beta, binomial and hypergeometric
        # functions exist only inside scipy.stats, which then serves them
        calls += ("d.beta.ppf(0.025, 3, 57); d.binom.ppf(0.025, 40, 0.5); d.hypergeom.logpmf([0, 1, 2], 59, 25, 8); "
                  "d.hypergeom.sf(2, 59, 25, 8); ")
    code = f"import sys; from spinestats.analysis.core import distributions as d; {calls}print('scipy.stats' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

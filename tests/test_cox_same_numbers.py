"""The Cox model's sums after the speed work of issue 16 are the same numbers, bit for bit, as the
column-wise formulas they replace (written out here as they were), on data with tied times, Efron and
Breslow, one and several strata, one and three covariates; score residuals from the fit's own
(den, xbar) equal those computed afresh."""

import numpy as np
import pytest

from spinestats.analysis.survival.cox import _Cox


def column_wise_terms(cx: _Cox, b: np.ndarray):
    """fit_terms as written before issue 16: (events x p) arrays, fancy indexing, bincount per column."""
    eta = cx.X @ b
    r = np.exp(eta)
    rxT = cx.XT * r
    P0 = cx._prefix(r)
    P1 = np.zeros((cx.p, cx.n + 1))
    np.cumsum(rxT, axis=1, out=P1[:, 1:])
    s0 = P0[cx.ev_end] - P0[cx.ev_start]
    s1 = (P1[:, cx.ev_end] - P1[:, cx.ev_start]).T
    er = cx._by_block(r[cx.ev_idx])
    erx = cx._by_block(rxT[:, cx.ev_idx].T)
    den = s0 - cx.frac * er[cx.ev_block]
    num = s1 - cx.frac[:, None] * erx[cx.ev_block]
    xbar = num / den[:, None]
    ll = float(eta[cx.ev_idx].sum() - np.log(den).sum())
    U = cx.X[cx.ev_idx].sum(axis=0) - xbar.sum(axis=0)
    inv = 1.0 / den
    c = cx._cum_over_events(inv)
    w = r * c
    ftie = cx._by_block(cx.frac * inv)
    w[cx.ev_idx] -= r[cx.ev_idx] * ftie[cx.block[cx.ev_idx]]
    info = (cx.X * w[:, None]).T @ cx.X - xbar.T @ xbar
    return ll, U, info, den, xbar


def data(n, p, n_strata, seed):
    rng = np.random.default_rng(seed)
    time = np.round(rng.exponential(10, n), 0) + 1  # many tied times
    event = rng.random(n) < 0.6
    X = np.column_stack([rng.normal(size=n), rng.random(n) < 0.4, rng.normal(50, 10, n)])[:, :p]
    strata = rng.integers(0, n_strata, n)
    return time, event, X.astype(float), strata


@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize("p,n_strata", [(1, 1), (3, 1), (3, 3), (1, 2)])
def test_fit_terms_equal_the_column_wise_formulas(ties, p, n_strata):
    time, event, X, strata = data(3000, p, n_strata, seed=16 + p + n_strata)
    cx = _Cox(time, event, X, strata, ties)
    expected_order = np.lexsort((time, strata))
    assert np.array_equal(cx.order, expected_order)
    for b in (np.zeros(p), np.linspace(0.3, -0.02, p)):
        got = cx.fit_terms(b)
        want = column_wise_terms(cx, b)
        assert got[0] == want[0]
        for g, w in zip(got[1:], want[1:]):
            assert g.shape == w.shape and np.array_equal(g, w)
        assert got[4].flags["C_CONTIGUOUS"]
        assert cx.fit_terms(b, need_info=False)[2] is None
        assert np.array_equal(cx.score_residuals(b, (got[3], got[4])), cx.score_residuals(b))

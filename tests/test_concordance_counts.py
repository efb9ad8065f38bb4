"""Harrell's C pair counts (analysis/prediction/concordance.harrell_concordance) against a pair-by-pair count."""

import numpy as np
import pytest

from spinestats.analysis.core.radix_order import float_keys, lex_order, stable_order
from spinestats.analysis.prediction.concordance import _pair_totals, harrell_concordance


def _brute(t, e, x, strata=None):
    """Concordant, discordant and tied-risk pairs counted pair by pair (coxph's comparable pairs)."""
    strata = np.zeros(len(t), int) if strata is None else strata
    conc = disc = tie = 0
    for i in range(len(t)):
        if not e[i]:
            continue
        for j in range(len(t)):
            if strata[j] == strata[i] and (t[j] > t[i] or (t[j] == t[i] and not e[j])):
                conc += x[i] > x[j]
                disc += x[i] < x[j]
                tie += x[i] == x[j]
    return conc, disc, tie


def _counts(t, e, x, strata=None):
    c, n = harrell_concordance(np.asarray(t, float), np.asarray(e, bool), np.asarray(x, float), strata)
    return c, (n["concordant"], n["discordant"], n["tied_risk"])


@pytest.mark.parametrize("seed", range(6))
def test_ties_in_time_and_risk_with_strata(seed):
    rng = np.random.default_rng(seed)
    n = 150
    t = rng.integers(1, 12, n).astype(float)  # many tied times
    e = rng.random(n) < 0.5
    x = rng.integers(0, 6, n).astype(float)  # many tied risks
    s = rng.integers(0, 3, n)
    for strata in (None, s):
        c, got = _counts(t, e, x, strata)
        want = _brute(t, e, x, strata)
        assert got == want
        assert c == pytest.approx((want[0] + want[2] / 2) / sum(want), abs=1e-15)


def test_small_cases_exact():
    # one event at t=1 with risk 4: later rows (2, 3 censored, 4) have risks 3, 1, 2 -> 3 concordant;
    # event at 2 (risk 3): later 1, 2 -> 2 concordant; event at 4: nobody later
    assert _counts([1, 2, 3, 4], [1, 1, 0, 1], [4, 3, 1, 2]) == (1.0, (5, 0, 0))
    # one event, the others censored later with risks above, equal and below it
    assert _counts([1, 2, 3, 4], [1, 0, 0, 0], [2, 3, 2, 1]) == (0.5, (1, 1, 1))
    # tied events at the same time are not comparable; a censoring tied with them is later
    assert _counts([2, 2, 2], [1, 1, 0], [5, 1, 3]) == (0.5, (1, 1, 0))


def test_all_censored_and_single_row():
    c, got = _counts([1, 2, 3], [0, 0, 0], [1, 2, 3])
    assert got == (0, 0, 0) and np.isnan(c)
    c, got = _counts([5.0], [1], [0.3])
    assert got == (0, 0, 0) and np.isnan(c)


def test_one_event_last():
    c, got = _counts([1, 2, 3], [0, 0, 1], [3, 2, 1])
    assert got == (0, 0, 0) and np.isnan(c)  # nobody is at risk after the only event


@pytest.mark.parametrize("seed", range(4))
def test_pair_totals_wide_ranks(seed):
    """Ranks beyond 16 bits (two radix passes) and a zero rank only."""
    rng = np.random.default_rng(seed)
    n = 400
    r = rng.choice(300_000, n)  # not dense: ranks up to 3e5
    r[:40] = r[40:80]  # some ties
    which = rng.random(n) < 0.6
    less = sum(int(np.sum(r[i + 1:] < r[i])) for i in range(n) if which[i])
    eq = sum(int(np.sum(r[i + 1:] == r[i])) for i in range(n) if which[i])
    assert _pair_totals(r, which) == (less, eq)
    assert _pair_totals(np.zeros(5, int), np.ones(5, bool)) == (0, 10)
    assert _pair_totals(np.zeros(0, int), np.zeros(0, bool)) == (0, 0)


@pytest.mark.parametrize("top", [1, 3, 70_000, 2**33, 2**62])
def test_stable_order_is_numpys_stable_argsort(top):
    rng = np.random.default_rng(7)
    key = rng.integers(0, top, 5000)
    key[:1000] = key[1000:2000]
    assert np.array_equal(stable_order(key), np.argsort(key, kind="stable"))


def test_infinite_and_negative_times():
    """Competing events at infinity (Wolbers), negative and signed-zero times: as the pair-by-pair count."""
    rng = np.random.default_rng(11)
    n = 120
    t = rng.integers(-3, 8, n).astype(float)
    t[:10] = np.inf
    t[10:15], t[15:20] = 0.0, -0.0
    e = rng.random(n) < 0.5
    x = rng.integers(0, 4, n).astype(float)
    assert _counts(t, e, x)[1] == _brute(t, e, x)


def test_float_keys_order_as_the_floats():
    x = np.array([3.5, -0.0, 0.0, -2.0, np.inf, -np.inf, 1e-310, -1e-310, 2.0, -2.0])
    k = float_keys(x)
    assert np.array_equal(stable_order(k), np.argsort(x, kind="stable"))
    assert k[1] == k[2] and k[3] == k[9]
    assert float_keys(np.array([1.0, np.nan])) is None


@pytest.mark.parametrize("seed", range(6))
def test_lex_order_is_numpys_lexsort(seed):
    """analysis/core/radix_order.lex_order: the permutation np.lexsort gives (last key primary, ties in row
    order), for booleans, small and 64-bit keys, and float keys."""
    rng = np.random.default_rng(seed)
    n = 3000
    small = rng.integers(0, 5, n)
    wide = rng.integers(0, 1 << 40, n, dtype=np.int64) if seed % 2 else rng.integers(0, 3, n)
    flag = rng.random(n) < 0.3
    t = np.round(rng.exponential(10, n), 1)
    t[:7] = -0.0
    keys = (small, ~flag, float_keys(t), wide)
    assert np.array_equal(lex_order(keys), np.lexsort(keys))
    assert np.array_equal(lex_order((small,)), np.argsort(small, kind="stable"))
    assert np.array_equal(lex_order((small, ~flag, float_keys(t))), np.lexsort((small, ~flag, t)))

"""The shared counting steps of Kaplan-Meier and the log-rank test (``analysis/core/surv_input``).

Issue 16, fourteenth round: these steps make as few arrays of the rows' length as they can (codes shifted
and ranked in place, one count of (time, group, event) cells, group codes in int8, row positions made only
when asked for).  Each test compares them with the plain NumPy/pandas computation they replace, so a
faster step can never give another number.
"""

import warnings

import numpy as np
import pandas as pd
import pytest

from spinestats.analysis.core.surv_input import (EventData, event_data, group_codes, group_levels, time_group_counts,
                                                 unique_inverse)
from spinestats.analysis.survival.kaplan_meier import kaplan_meier, km_curve
from spinestats.analysis.survival.logrank import logrank_test


@pytest.mark.parametrize("lo", [0, 17, -40])
def test_unique_inverse_of_whole_numbers_is_numpys(lo):
    x = (np.random.default_rng(3).integers(0, 3000, 20_000) + lo).astype(float)
    ut, inv = unique_inverse(x)
    ref_u, ref_inv = np.unique(x, return_inverse=True)
    assert np.array_equal(ut, ref_u) and ut.dtype == np.float64
    assert np.array_equal(inv, ref_inv.ravel()) and inv.dtype == np.intp
    assert np.array_equal(x, (np.random.default_rng(3).integers(0, 3000, 20_000) + lo).astype(float))  # x untouched


def test_unique_inverse_of_fractions_and_wide_ranges_is_numpys():
    warnings.simplefilter("error", RuntimeWarning)  # (pytest restores the filters after the test)
    rng = np.random.default_rng(4)
    for x in (rng.integers(0, 3000, 20_000) + 0.5, rng.integers(0, 10**9, 20_000).astype(float),
              np.concatenate([rng.integers(0, 100, 5000).astype(float), [2.0**60]]),
              2.0**63 + 2048.0 * (np.arange(4000) % 2)):  # whole, narrow, beyond int64: hashed, no cast
        ut, inv = unique_inverse(x)
        ref_u, ref_inv = np.unique(x, return_inverse=True)
        assert np.array_equal(ut, ref_u) and np.array_equal(inv, ref_inv.ravel())


def test_time_group_counts_are_the_exits_and_events_of_each_time_and_group():
    rng = np.random.default_rng(5)
    n, ng = 5000, 3
    t = rng.integers(0, 200, n).astype(float)
    g = rng.integers(0, ng, n).astype(np.int8)
    e = rng.random(n) < 0.4
    ut, exits, events = time_group_counts(t, e, g, ng)
    assert np.array_equal(ut, np.unique(t)) and exits.shape == events.shape == (ut.size, ng)
    for k in (0, 7, ut.size - 1):
        for gi in range(ng):
            rows = (t == ut[k]) & (g == gi)
            assert exits[k, gi] == np.sum(rows) and events[k, gi] == np.sum(rows & e)
    assert exits.sum() == n and events.sum() == e.sum()
    one_ut, one_exits, one_events = time_group_counts(t, e, None, 1)  # one group: the totals per time
    assert np.array_equal(one_exits[:, 0], exits.sum(axis=1)) and np.array_equal(one_events[:, 0], events.sum(axis=1))


def test_group_levels_of_small_integer_codes_skip_hashing_but_agree():
    for values in ([0, 1], [1, 3, 5], [2, 2, 9], [-3, 0, 4], [7]):
        g = np.repeat(np.asarray(values, dtype=np.int16), 50)[::-1]
        assert group_levels(g) == sorted(pd.unique(g).tolist())
        assert all(type(v) is int for v in group_levels(g))


def test_group_codes_are_int8_and_index_the_levels():
    g = np.array([5, 3, 5, 9, 3], dtype=np.int64)
    levels, codes = group_codes(g)
    assert levels == [3, 5, 9] and codes.dtype == np.int8 and codes.tolist() == [1, 0, 1, 2, 0]
    levels, codes = group_codes(np.array(["b", "a", "b"], dtype=object))
    assert levels == ["a", "b"] and codes.dtype == np.int8 and codes.tolist() == [1, 0, 1]
    many = np.arange(300)
    levels, codes = group_codes(many)
    assert codes.dtype == np.int16 and np.array_equal(codes, many)


def test_missing_rows_are_found_in_every_kind_of_column_and_only_there():
    d = pd.DataFrame({"t": [1.0, np.nan, 3.0, 4.0, 5.0], "e": pd.array([1, 0, None, 1, 0], dtype="Int64"),
                      "g": [True, False, True, False, True], "x": [1, 2, 3, 4, 5]})
    ed = event_data(d, time="t", event="e", group="g", extra=("x",))
    assert ed.excluded == (1, 2) and ed.index.tolist() == [0, 3, 4]
    assert ed.positions.tolist() == [0, 3, 4]


def test_positions_are_made_only_when_asked_for():
    d = pd.DataFrame({"t": np.arange(1.0, 101.0), "e": np.arange(100) % 2, "g": np.arange(100) % 3})
    ed = event_data(d, time="t", event="e", group="g")
    kaplan_meier(ed, time="t", event="e", group="g")
    logrank_test(ed, time="t", event="e", group="g")
    assert "positions" not in vars(ed)  # neither estimator asked: no array of a million positions for nothing
    assert np.array_equal(ed.positions, np.arange(100)) and "positions" in vars(ed)
    bare = EventData(ed.time, ed.status, ed.group, ed.entry, ed.index, ed.excluded, ed.warnings, ed.censor)
    assert np.array_equal(bare.positions, np.arange(100))


def test_grouped_curves_equal_the_curve_of_each_group_alone():
    rng = np.random.default_rng(6)
    n = 4000
    d = pd.DataFrame({"t": rng.integers(0, 400, n).astype(float), "e": (rng.random(n) < 0.5).astype(int),
                      "g": rng.integers(1, 4, n)})
    d.loc[d["g"] == 3, "e"] = 0  # a group without events
    fit = kaplan_meier(d, time="t", event="e", group="g", times=[50, 200])
    assert any("group 3: no events" in w for w in fit.warnings)
    for lev, cur in zip(fit.groups, fit.curves):
        rows = d[d["g"] == lev]
        alone = km_curve(rows["t"].to_numpy(), rows["e"].to_numpy() > 0, group=lev)
        for field in ("time", "n_at_risk", "n_event", "n_censored", "survival", "std_err", "lower", "upper"):
            assert np.array_equal(getattr(cur, field), getattr(alone, field), equal_nan=True), field
        assert np.array_equal(cur.follow_up, np.sort(rows["t"].to_numpy()))  # the group's exit times, in order
        assert cur.entries.size == len(rows) and not np.any(cur.entries)
        probe = [0, 1, 60, 399, 1000]
        assert np.array_equal(cur.at_risk(probe), alone.at_risk(probe))

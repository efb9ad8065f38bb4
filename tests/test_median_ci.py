"""Median with the order-statistic CI, against R (moved out of reports/survival_job.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spinestats.analysis.survival.median_ci import median_ci

DATA = Path(__file__).parent / "data" / "median_ci_rexp37.csv"


def test_small_sample_against_r():
    # R: x <- sort(c(3,1,4,1,5,9,2,6,5,3)); n <- 10; r <- qbinom(0.025, n, 0.5)
    #    c(median(x), r, x[r], x[n-r+1])   # 3.5 2 1 6
    m = median_ci([3, 1, 4, 1, 5, 9, 2, 6, 5, 3])
    assert (m.estimate, m.r, m.lower, m.upper) == (3.5, 2, 1.0, 6.0)


@pytest.mark.parametrize("level, r, lower, upper", [(0.95, 13, 5.397, 10.545), (0.90, 14, 5.659, 10.352)])
def test_committed_data_against_r(level, r, lower, upper):
    # R: set.seed(1); y <- sort(round(rexp(37, 0.1), 3))   (written to tests/data/median_ci_rexp37.csv)
    #    r <- qbinom((1 - level)/2, 37, 0.5); sprintf("%.10f", c(median(y), y[r], y[37 - r + 1]))
    #    0.95: 7.552 r=13 5.397 10.545;  0.90: 7.552 r=14 5.659 10.352
    y = pd.read_csv(DATA)["time"].to_numpy()
    m = median_ci(y, conf_level=level)
    assert m.r == r and m.n == 37
    assert m.estimate == pytest.approx(7.552, abs=1e-6)
    assert m.lower == pytest.approx(lower, abs=1e-6)
    assert m.upper == pytest.approx(upper, abs=1e-6)


def test_too_few_values_gives_undefined_bounds():
    # R: qbinom(0.025, 5, 0.5) is 0, so x[0] is empty: no interval
    m = median_ci([1.0, 2.0, 3.0, 4.0, 5.0])
    assert m.r == 0 and m.estimate == 3.0
    assert np.isnan(m.lower) and np.isnan(m.upper)

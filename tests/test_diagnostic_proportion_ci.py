"""Exact and Wilson proportion CIs against R.

Reference values from ``tests/r/diagnostic_proportion_ci.R``::

    xs <- c(0, 1, 18, 33, 5, 20, 7); ns <- c(10, 10, 20, 39, 5, 20, 13)
    b <- binom.test(xs[i], ns[i])$conf.int
    w <- prop.test(xs[i], ns[i], correct = FALSE)$conf.int
    sprintf("%.12g", ...)
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from spinestats.analysis.descriptive.proportion_ci import clopper_pearson, proportion_ci, wilson
from spinestats.errors import DataError, UsageError

# (x, n, binom.test lower, upper, prop.test(correct=FALSE) lower, upper)
R_REF = np.array([
    (0, 10, 0, 0.308497107819, 0, 0.277532799863),
    (1, 10, 0.00252857854446, 0.445016117028, 0.0178762130951, 0.404150026795),
    (18, 20, 0.683017285981, 0.98765147283, 0.698966354772, 0.972133518786),
    (33, 39, 0.694720075563, 0.941375737139, 0.702705363511, 0.92752527623),
    (5, 5, 0.478176249895, 1, 0.565517535217, 1),
    (20, 20, 0.831566529017, 1, 0.838874841947, 1),
    (7, 13, 0.25134548227, 0.807767558199, 0.291437957145, 0.767939321905),
])


def test_clopper_pearson_matches_binom_test_vectorised():
    lo, hi = clopper_pearson(R_REF[:, 0], R_REF[:, 1])
    assert_allclose(lo, R_REF[:, 2], rtol=1e-6, atol=1e-12)
    assert_allclose(hi, R_REF[:, 3], rtol=1e-6, atol=1e-12)


def test_wilson_matches_prop_test_uncorrected():
    lo, hi = wilson(R_REF[:, 0], R_REF[:, 1])
    assert_allclose(lo, R_REF[:, 4], rtol=1e-6, atol=1e-12)
    assert_allclose(hi, R_REF[:, 5], rtol=1e-6, atol=1e-12)


def test_conf_level_90():
    # binom.test(18, 20, conf.level = 0.9); prop.test(18, 20, conf.level = 0.9, correct = FALSE)
    lo, hi = clopper_pearson(18, 20, 0.9)
    assert_allclose([lo, hi], [0.717381475114, 0.981934796915], rtol=1e-6)
    lo, hi = wilson(18, 20, 0.9)
    assert_allclose([lo, hi], [0.738336953673, 0.966336776438], rtol=1e-6)


def test_scalar_and_result_object():
    r = proportion_ci(18, 20)
    assert float(r.estimate) == pytest.approx(0.9)
    assert float(r.lower) == pytest.approx(0.683017285981, rel=1e-6)
    frame = r.to_frame()
    assert list(frame["n"]) == [20.0]
    assert r.to_dict()["method"] == "exact"
    w = proportion_ci([18, 0], [20, 0], method="wilson")
    assert np.isnan(w.lower[1]) and np.isnan(w.estimate[1])


def test_bad_counts_raise():
    with pytest.raises(DataError, match="0 <= x <= n"):
        clopper_pearson(5, 3)
    with pytest.raises(DataError):
        wilson(1.5, 3)
    with pytest.raises(UsageError):
        proportion_ci(1, 3, method="agresti")
    with pytest.raises(UsageError):
        proportion_ci(1, 3, conf_level=95)

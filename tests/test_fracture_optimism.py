"""Harrell's bootstrap optimism correction: a hand-run on a small case, and the sign on an overfitted model."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from spinestats.analysis.prediction.firth import logistic_regression
from spinestats.analysis.prediction.optimism import bootstrap_indices, optimism_correction
from spinestats.errors import DataError

SMALL = pd.DataFrame({"x": [1.0, 2, 3, 4, 5, 6], "y": [1.2, 1.9, 3.4, 3.9, 5.3, 5.8]})


def slope_through_origin(frame: pd.DataFrame) -> float:
    return float((frame.x * frame.y).sum() / (frame.x**2).sum())


def mse(b: float, frame: pd.DataFrame) -> float:
    return float(np.mean((frame.y - b * frame.x) ** 2))


def test_hand_run_of_harrells_algorithm():
    # The three bootstrap samples of seed 11 (child streams of SeedSequence(11)), fixed here:
    samples = [[4, 5, 4, 5, 3, 4], [3, 4, 3, 2, 5, 3], [2, 1, 5, 3, 3, 4]]
    assert [s.tolist() for s in bootstrap_indices(11, 6, 3)] == samples
    # Hand-run: apparent = mse(fit(D), D); o_b = mse(fit(D_b), D_b) - mse(fit(D_b), D); corrected = apparent - mean(o_b)
    x, y = SMALL.x.to_numpy(), SMALL.y.to_numpy()
    b = (x @ y) / (x @ x)
    apparent = np.mean((y - b * x) ** 2)
    opts = []
    for s in samples:
        xb, yb = x[s], y[s]
        bb = (xb @ yb) / (xb @ xb)
        opts.append(np.mean((yb - bb * xb) ** 2) - np.mean((y - bb * x) ** 2))
    r = optimism_correction(SMALL, slope_through_origin, {"mse": mse}, B=3, seed=11)
    m = r.measures["mse"]
    assert_allclose(m.apparent, apparent, rtol=1e-12)
    assert_allclose(m.optimism, np.mean(opts), rtol=1e-12)
    assert_allclose(m.corrected, apparent - np.mean(opts), rtol=1e-12)
    assert_allclose(r.per_replicate["mse"], opts, rtol=1e-12)
    # the apparent error is too optimistic (too small): the corrected error is larger
    assert m.optimism < 0 and m.corrected > m.apparent


def _noise_data(seed=5, n=50, p=8):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    y = (rng.uniform(size=n) < 0.4).astype(int)
    return pd.DataFrame(X, columns=[f"x{j}" for j in range(p)]).assign(y=y)


COVS = [f"x{j}" for j in range(8)]


def fit_noise(frame):
    return logistic_regression(frame, outcome="y", covariates=COVS, method="firth", profile=False)


def auc(model, frame):
    lp = frame[COVS].to_numpy() @ np.asarray(model.estimate[1:])
    y = frame["y"].to_numpy()
    pos, neg = lp[y == 1], lp[y == 0]
    return float(np.mean((pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])))


def test_optimism_is_positive_on_an_overfitted_model():
    d = _noise_data()
    r = optimism_correction(d, fit_noise, {"auc": auc}, B=40, seed=3)
    m = r.measures["auc"]
    # 8 pure-noise covariates, 50 patients: the apparent AUC is inflated, the corrected one near 0.5
    assert m.apparent > 0.65
    assert m.optimism > 0.1
    assert m.corrected < m.apparent
    assert abs(m.corrected - 0.5) < 0.15


def test_same_result_for_any_split_of_the_work():
    # each replicate draws from its own child stream, so the split into work items (one per worker)
    # cannot change the result; process-pool runs are covered by analysis/resampling's own tests
    d = _noise_data(n=30, p=3)
    one = optimism_correction(d, slope_like_fit, {"auc": auc3}, B=12, seed=9, chunk_size=12)
    two = optimism_correction(d, slope_like_fit, {"auc": auc3}, B=12, seed=9, chunk_size=5)
    pd.testing.assert_frame_equal(one.per_replicate, two.per_replicate)
    assert one.to_dict() == two.to_dict()


def slope_like_fit(frame):
    return logistic_regression(frame, outcome="y", covariates=["x0", "x1", "x2"], profile=False)


def auc3(model, frame):
    lp = frame[["x0", "x1", "x2"]].to_numpy() @ np.asarray(model.estimate[1:])
    y = frame["y"].to_numpy()
    pos, neg = lp[y == 1], lp[y == 0]
    return float(np.mean((pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])))


def test_failed_replicates_are_counted_not_hidden():
    def fragile(model, frame):
        if len(set(frame.x)) < 4:
            raise ValueError("too few distinct x")
        return mse(model, frame)

    r = optimism_correction(SMALL, slope_through_origin, {"mse": fragile}, B=20, seed=1)
    m = r.measures["mse"]
    assert m.failed > 0 and m.replicates + m.failed == 20
    assert any("failed" in w for w in r.warnings)


def test_b_must_be_positive():
    with pytest.raises(DataError, match="B must be >= 1"):
        optimism_correction(SMALL, slope_through_origin, {"mse": mse}, B=0)

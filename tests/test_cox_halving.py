"""Cox internals that must give the numbers of their former form: step halving (a trial computes the
log-likelihood alone) and the sums by cluster (bincount for np.add.at)."""

import numpy as np
import pandas as pd
import pytest

from spinestats.analysis.survival import cox


def _data(seed: int, n: int = 3000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"t": rng.integers(1, 200, n).astype(float), "e": (rng.random(n) < 0.6).astype(int),
                         "x": rng.integers(0, 2, n), "z": rng.normal(size=n), "s": rng.integers(0, 2, n)})


def test_loglik_is_the_full_terms_number():
    d = _data(3)
    for ties in ("efron", "breslow"):
        for strata in (np.zeros(len(d), int), d["s"].to_numpy()):
            cx = cox._Cox(d["t"].to_numpy(), d["e"].to_numpy().astype(bool), d[["x", "z"]].to_numpy(float), strata,
                          ties)
            for b in (np.zeros(2), np.array([0.3, -0.2]), np.array([-5.0, 4.0])):
                assert cx.loglik(b) == cx.fit_terms(b)[0]


@pytest.mark.parametrize("seed", [10, 19])
def test_halving_gives_the_numbers_of_full_terms(monkeypatch, seed):
    d = _data(seed)
    trials = []
    loglik = cox._Cox.loglik

    def counted(self, b):
        trials.append(b)
        return loglik(self, b)

    monkeypatch.setattr(cox._Cox, "loglik", counted)
    fast = cox.cox_ph(d, time="t", event="e", covariates=["x"])
    assert trials, "this data set makes the last Newton step halve (the log-likelihood falls by rounding)"
    # as before: every trial computed score and information as well
    monkeypatch.setattr(cox._Cox, "loglik", lambda self, b: self.fit_terms(b)[0])
    full = cox.cox_ph(d, time="t", event="e", covariates=["x"])
    for name in ("coef", "se", "var", "p", "hr_lower", "hr_upper"):
        assert np.array_equal(getattr(fast, name), getattr(full, name)), name
    assert (fast.loglik, fast.iterations, fast.tests, fast.concordance) == (
        full.loglik, full.iterations, full.tests, full.concordance)
    assert fast.baseline.equals(full.baseline)


def test_cluster_sums_are_add_at_bit_for_bit():
    rng = np.random.default_rng(2)
    for n, k, p in ((1000, 7, 3), (50, 50, 1), (5, 1, 2)):
        codes = rng.integers(0, k, n)
        codes[0] = k - 1
        values = rng.normal(size=(n, p)) * 10.0 ** rng.integers(-8, 8, (n, 1))
        want = np.zeros((k, p))
        np.add.at(want, codes, values)
        assert np.array_equal(cox._cluster_sums(codes, values), want)

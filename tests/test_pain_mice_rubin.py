"""Rubin's rules against mice ``pool()`` and the MICE imputer's guarantees.

The completed data sets are built inline by :func:`completed_sets` (fixed
seed, independent of our imputer), written to CSV and pooled in R 4.2 with
mice 3.x::

    fits <- lapply(1:5, function(i) lm(y ~ x, data = read.csv(sprintf("rubin_%d.csv", i))))
    pl <- pool(as.mira(fits)); s <- summary(pl, conf.int = TRUE); q <- pl$pooled
    # per term: s$estimate, s$std.error, s$statistic, s$df, s$p.value, s$"2.5 %", s$"97.5 %"
    #           q$ubar, q$b, q$t, q$dfcom, q$riv, q$lambda, q$fmi
    pool(as.mira(fits), dfcom = Inf)$pooled$df
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from spinestats.analysis.longitudinal.mice import impute
from spinestats.analysis.longitudinal.rubin import pool
from spinestats.data_schemas.examples import cohort_bkp, cohort_cafe
from spinestats.errors import DataError, UsageError


def completed_sets(m: int = 5) -> list[pd.DataFrame]:
    """Fixed completed data sets: y ~ x with 8 of 30 y values imputed differently in each set."""
    rng = np.random.default_rng(77)
    x = np.round(rng.normal(5, 2, 30), 2)
    y = np.round(1 + 0.6 * x + rng.normal(0, 1.5, 30), 2)
    miss = np.arange(30) % 4 == 1
    sets = []
    for _ in range(m):
        yy = y.copy()
        yy[miss] = np.round(1 + 0.6 * x[miss] + rng.normal(0, 2.0, miss.sum()), 2)
        sets.append(pd.DataFrame({"x": x, "y": yy}))
    return sets


def ols(d: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    X = np.column_stack([np.ones(len(d)), d["x"]])
    beta, *_ = np.linalg.lstsq(X, d["y"].to_numpy(), rcond=None)
    s2 = ((d["y"] - X @ beta) ** 2).sum() / (len(d) - 2)
    return beta, s2 * np.diag(np.linalg.inv(X.T @ X))


def test_pool_equals_mice_pool():
    fits = [ols(d) for d in completed_sets()]
    p = pool([f[0] for f in fits], [f[1] for f in fits], dfcom=28, names=["(Intercept)", "x"])
    ref = {  # estimate, std.error, statistic, df, p.value, 2.5 %, 97.5 % ; ubar, b, t, dfcom, riv, lambda, fmi
        0: ([1.50123630467, 0.730185772155, 2.05596488171, 13.5434299372, 0.0595923988844, -0.0698240112237,
             3.07229662057], [0.380885362586, 0.126904916059, 0.533171261858, 0.39982082335, 0.285622857355,
                               0.37198670637]),
        1: ([0.549700689887, 0.138288652209, 3.975023844, 15.1823713656, 0.00119365113615, 0.255253482564,
             0.84414789721], [0.0144088807583, 0.00392905880967, 0.0191237513299, 0.32721976472, 0.246545277141,
                               0.329422775099]),
    }
    for k, (summ, pooled) in ref.items():
        got = [p.estimate[k], p.se[k], p.t[k], p.df[k], p.p[k], p.ci_low[k], p.ci_high[k]]
        assert_allclose(got, summ, rtol=1e-6)
        assert_allclose([p.ubar[k], p.b[k], p.se[k] ** 2, p.riv[k], p.lambda_[k], p.fmi[k]], pooled, rtol=1e-6)
    assert p.m == 5
    # pool(as.mira(fits), dfcom = Inf)$pooled$df  (Barnard-Rubin reduces to the old df)
    q = pool([f[0] for f in fits], [f[1] for f in fits], dfcom=np.inf)
    assert_allclose(q.df, [49.0313749864, 65.8061701811], rtol=1e-6)


def test_pool_identities():
    # identical estimates: b = 0, T = ubar, lambda floored for df only, df -> dfobs
    p = pool(np.full(4, 2.0), np.full(4, 0.25), dfcom=20)
    assert p.b[0] == 0 and p.se[0] == pytest.approx(0.5)
    assert p.lambda_[0] == 0.0
    lam = 1e-4
    dfold, dfobs = 3 / lam**2, 21 / 23 * 20 * (1 - lam)
    assert p.df[0] == pytest.approx(dfold * dfobs / (dfold + dfobs))
    with pytest.raises(DataError, match=">= 2"):
        pool([1.0], [0.1])


@pytest.fixture(scope="module")
def cafe():
    w = cohort_cafe.make()
    w["bkp"] = (w["arm"] == "BKP").astype(float)
    return w


COLS = [f"nrs_{v}" for v in ("baseline", "1w", "1m", "3m", "6m", "12m")]


def test_imputations_keep_observed_values_and_use_donors(cafe):
    imp = impute(cafe, columns=COLS, predictors=["bkp"], m=4, maxit=5, seed=11)
    Y = cafe[COLS].to_numpy(dtype=float, na_value=np.nan)  # nullable Int64 with NA (pandas < 2.2)
    obs = ~np.isnan(Y)
    assert imp.completed.shape == (4, len(cafe), len(COLS))
    for i in range(4):
        assert np.array_equal(imp.completed[i][obs], Y[obs])
        assert not np.isnan(imp.completed[i]).any()
        for j in range(len(COLS)):  # pmm imputes observed values only: integers 0-10
            assert set(imp.completed[i][~obs[:, j], j]) <= set(Y[obs[:, j], j])
    assert imp.n_missing == {c: int(cafe[c].isna().sum()) for c in COLS}
    assert not np.array_equal(imp.completed[0], imp.completed[1])  # the chains differ
    filled = imp.complete(cafe, 0)
    assert filled[COLS].notna().all().all() and cafe["nrs_12m"].isna().any()  # input untouched


def test_imputations_identical_for_any_workers(cafe):
    a = impute(cafe, columns=COLS, predictors=["bkp"], m=3, maxit=3, seed=5)
    b = impute(cafe, columns=COLS, predictors=["bkp"], m=3, maxit=3, seed=5, workers=2)
    assert np.array_equal(a.completed, b.completed)
    c = impute(cafe, columns=COLS, predictors=["bkp"], m=3, maxit=3, seed=6)
    assert not np.array_equal(a.completed, c.completed)


def test_norm_method_and_bad_requests(cafe):
    imp = impute(cafe, columns=COLS, predictors=["bkp"], m=2, maxit=2, seed=1, method="norm")
    assert not np.isnan(imp.completed).any()
    with pytest.raises(UsageError, match="m >= 2"):
        impute(cafe, columns=COLS, m=1)
    with pytest.raises(UsageError, match="pmm"):
        impute(cafe, columns=COLS, method="mean")
    bad = cafe.copy()
    bad.loc[:, "nrs_12m"] = np.nan
    with pytest.raises(DataError, match="fewer than 2 observed"):
        impute(bad, columns=COLS)


def test_imputation_recovers_the_complete_data_mean():
    """Identity: with nothing missing, pooling gives the observed estimate with b = 0."""
    w = cohort_bkp.make()
    cols = ["nrs_baseline", "nrs_1m", "nrs_final"]
    imp = impute(w, columns=cols, m=3, maxit=2, seed=2)
    assert np.array_equal(imp.completed[0], w[cols].to_numpy(float))
    d = imp.completed[:, :, 1] - imp.completed[:, :, 0]
    p = pool(d.mean(axis=1), d.var(axis=1, ddof=1) / d.shape[1], dfcom=16)
    assert p.estimate[0] == pytest.approx(37 / 17 - 7.0) and p.b[0] == 0

"""Competing risks (cuminc, Gray's test, Fine-Gray) against R's cmprsk 2.2.

The R code that produced every expected value is written beside it; the
scripts are also in ``tests/r/survival_competing.R``.
"""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from spinestats.analysis.competing_risks.cuminc import cumulative_incidence
from spinestats.analysis.competing_risks.finegray import fine_gray, finegray_predict
from spinestats.analysis.competing_risks.gray_test import gray_test
from spinestats.errors import DataError

# R: d <- data.frame(time=..., status=..., group=...)   (the same table)
CR1 = pd.DataFrame(
    {
        "time": [1, 2, 2, 3, 4, 4, 4, 5, 6, 7, 8, 8, 9, 10, 11, 12, 12, 13, 15, 16, 17, 18, 20, 22, 25,
                 2, 3, 3, 5, 6, 7, 7, 9, 10, 11, 13, 14, 14, 16, 18, 19, 21, 23, 24, 26],
        "status": [1, 2, 0, 1, 1, 2, 0, 0, 1, 2, 1, 1, 0, 2, 1, 0, 1, 2, 1, 0, 2, 1, 0, 1, 0,
                   0, 1, 2, 1, 1, 0, 2, 1, 1, 2, 0, 1, 0, 2, 1, 1, 0, 2, 1, 0],
        "group": ["a"] * 25 + ["b"] * 20,
    }
)


def fg_data(seed=11, n=200):
    """The Fine-Gray test cohort; written to CSV for R with ``to_csv(index=False)``."""
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = rng.integers(0, 2, n)
    x3 = rng.uniform(size=n)
    t = np.round(rng.exponential(5 * np.exp(-0.5 * x1), n), 1) + 0.1
    c = np.round(rng.exponential(8, n), 1) + 0.1
    cause = np.where(rng.uniform(size=n) < 0.6 + 0.1 * x2, 1, 2)
    return pd.DataFrame(
        dict(time=np.minimum(t, c), status=np.where(t <= c, cause, 0), x1=np.round(x1, 3), x2=x2, x3=np.round(x3, 3))
    )


def test_cuminc_estimates_and_variances_match_cmprsk():
    # R: ci <- cuminc(d$time, d$status, d$group)
    #    sprintf("%.12g", ci[["a 1"]]$est)  (the values after each jump)
    r = cumulative_incidence(CR1, time="time", event="status", group="group")
    a1 = r.curve("a", 1)
    assert_allclose(a1.time, [1, 3, 4, 6, 8, 11, 12, 15, 18, 22])
    assert_allclose(
        a1.estimate,
        [0.04, 0.0818181818182, 0.123636363636, 0.170374331551, 0.26385026738, 0.314483065954,
         0.365115864528, 0.422077762923, 0.490432040998, 0.592963458111],
        rtol=1e-10,
    )
    # R: sprintf("%.12g", ci[["a 1"]]$var)
    assert_allclose(
        a1.variance,
        [0.0016, 0.00321570821855, 0.00468151693184, 0.00638047523377, 0.0091430501059, 0.0105232722592,
         0.0116165589998, 0.0129729253885, 0.0152038490383, 0.0215650991956],
        rtol=1e-10,
    )
    # R: sprintf("%.12g", ci[["b 2"]]$est); sprintf("%.12g", ci[["b 2"]]$var)
    b2 = r.curve("b", 2)
    assert_allclose(b2.time, [3, 7, 11, 16, 23])
    assert_allclose(b2.estimate, [0.0526315789474, 0.105263157895, 0.161943319838, 0.233918128655, 0.329884540411], rtol=1e-10)
    assert_allclose(b2.variance, [0.00277008310249, 0.00525657631813, 0.00789751458184, 0.0119982414604, 0.0196521340781], rtol=1e-10)
    # R: ci[["a 2"]]$var (tied competing event and censoring at 2 and 4)
    assert_allclose(
        r.curve("a", 2).variance,
        [0.00160277777778, 0.003222198914, 0.00510137464816, 0.00713402193729, 0.00954480508408, 0.0128549576474],
        rtol=1e-10,
    )


def test_cuminc_timepoints_match_cmprsk():
    # R: tp <- timepoints(ci, c(5, 10, 24, 25, 27))
    r = cumulative_incidence(CR1, time="time", event="status", group="group", times=[5, 10, 24, 25, 27])
    tab = r.table.set_index(["group", "cause", "time"])
    assert_allclose(tab.loc[("a", 1), "estimate"].to_numpy()[:4], [0.1236363636364, 0.263850267380, 0.592963458111, 0.592963458111], rtol=1e-10)
    assert_allclose(tab.loc[("b", 2), "variance"].to_numpy()[:4], [0.00277008310249, 0.00525657631813, 0.0196521340781, 0.0196521340781], rtol=1e-10)
    # 27 lies beyond every follow-up: R gives NA
    assert np.isnan(tab.loc[("a", 1, 27.0), "estimate"])


def test_cuminc_loglog_ci_formula():
    r = cumulative_incidence(CR1, time="time", event="status")
    c = r.curve(cause=1)
    F, V = c.estimate, c.variance
    s = np.sqrt(V) / np.abs(F * np.log(F))
    assert_allclose(c.lower, F ** np.exp(1.959963984540054 * s), rtol=1e-12)
    assert np.all((c.lower < F) & (F < c.upper))


def test_cif_of_all_causes_plus_km_is_one():
    """Identity: sum_k F_k(t) + S(t) = 1 with S the KM of the any-event time."""
    d = fg_data(5, 150)
    r = cumulative_incidence(d, time="time", event="status")
    grid = np.unique(d["time"])
    total = sum(r.curve(cause=k).value_at(grid)["estimate"].to_numpy() for k in r.causes)
    # KM of any event
    t, e = d["time"].to_numpy(), d["status"].to_numpy() != 0
    ut = np.unique(t[e])
    s = np.cumprod([1 - np.sum((t == u) & e) / np.sum(t >= u) for u in ut])
    km = np.array([s[ut <= g][-1] if np.any(ut <= g) else 1.0 for g in grid])
    assert_allclose(total + km, 1.0, atol=1e-12)


def test_cuminc_is_deterministic_with_ties_and_does_not_touch_input():
    d = CR1.copy()
    a = cumulative_incidence(d, time="time", event="status", group="group")
    b = cumulative_incidence(d, time="time", event="status", group="group")
    pd.testing.assert_frame_equal(d, CR1)
    assert a.to_frame().equals(b.to_frame())


def test_gray_test_matches_cmprsk():
    # R: cuminc(d$time, d$status, d$group)$Tests
    #    stat 0.1009195008574 (cause 1), 0.0250113839132 (cause 2); pv 0.750728974977, 0.874338698155
    r = gray_test(CR1, time="time", event="status", group="group")
    assert_allclose(r.statistic, [0.1009195008574, 0.0250113839132], rtol=1e-9)
    assert_allclose(r.p, [0.750728974977, 0.874338698155], rtol=1e-9)
    assert r.df == 1
    # R: cuminc(d$time, d$status, d$group, rho=1)$Tests[,1] -> 0.169936890455 0.043511872601
    r1 = gray_test(CR1, time="time", event="status", group="group", rho=1)
    assert_allclose(r1.statistic, [0.169936890455, 0.043511872601], rtol=1e-9)


def gray_data():
    rng = np.random.default_rng(3)
    n = 300
    return pd.DataFrame({"time": np.round(rng.exponential(10, n), 0) + 1, "status": rng.integers(0, 3, n),
                         "group": rng.integers(0, 3, n), "st": rng.integers(0, 2, n)})


def test_gray_test_three_groups_strata_and_rho():
    d = gray_data()
    # R: d <- read.csv("tests/data/cr2.csv")   (gray_data())
    #    cuminc(d$time, d$status, d$group)$Tests[,1]          -> 2.45520678687 1.0530439486
    #    cuminc(d$time, d$status, d$group, rho=1)$Tests[,1]   -> 2.41450499791 1.02201843845
    #    cuminc(d$time, d$status, d$group, strata=d$st)$Tests[,1] -> 2.41681279268 0.980905756293
    assert_allclose(gray_test(d, time="time", event="status", group="group").statistic, [2.45520678687, 1.0530439486], rtol=1e-10)
    assert_allclose(gray_test(d, time="time", event="status", group="group", rho=1).statistic, [2.41450499791, 1.02201843845], rtol=1e-10)
    assert_allclose(gray_test(d, time="time", event="status", group="group", strata="st").statistic, [2.41681279268, 0.980905756293], rtol=1e-10)
    assert gray_test(d, time="time", event="status", group="group").df == 2


def test_fine_gray_matches_crr():
    d = fg_data()
    # R: d <- read.csv("tests/data/fg1.csv"); f <- crr(d$time, d$status, cbind(x1=d$x1, x2=d$x2, x3=d$x3))
    #    sprintf("%.12g", f$coef); sprintf("%.12g", sqrt(diag(f$var)))
    r = fine_gray(d, time="time", event="status", covariates=["x1", "x2", "x3"])
    assert_allclose(r.coef, [0.483550164643, 0.119995033191, 0.420463750609], rtol=1e-8)
    assert_allclose(r.se, [0.115859593518, 0.20735992384, 0.32278431739], rtol=1e-8)
    # R: f$loglik, f$loglik.null
    assert_allclose([r.loglik, r.loglik_null], [-414.353803259, -424.576584432], rtol=1e-10)
    # R: p <- predict(f, cov1=rbind(c(0,1,0.5))); p[max(which(p[,1] <= 5)), 2] -> 0.452237471603
    assert_allclose(finegray_predict(r, np.array([[0, 1, 0.5]]), 5), [0.452237471603], rtol=1e-9)
    assert_allclose(r.predict_cif(pd.DataFrame({"x1": [0.0], "x2": [1], "x3": [0.5]}), [5]), [[0.452237471603]], rtol=1e-9)
    # R: f2 <- crr(d$time, d$status, cbind(x1=d$x1,x2=d$x2,x3=d$x3), failcode=2)
    r2 = fine_gray(d, time="time", event="status", covariates=["x1", "x2", "x3"], cause=2)
    assert_allclose(r2.coef, [-0.228588016272, -0.369289958476, -0.247730497223], rtol=1e-8)
    assert_allclose(r2.se, [0.173302962861, 0.313903750742, 0.535444559312], rtol=1e-8)


def test_fine_gray_sums_reuse_their_working_arrays_without_changing_what_they_return():
    # _FG keeps the working arrays of its risk-set sums for the whole fit: a result of one iteration
    # must not change when the next iteration overwrites them, and every call must give what a fresh
    # fit's first call gives (the same numbers to the last bit)
    from spinestats.analysis.competing_risks.finegray import _FG

    d = fg_data().sort_values("time", kind="mergesort")
    t, X = d["time"].to_numpy(float), d[["x1", "x2", "x3"]].to_numpy(float)
    st = d["status"].to_numpy()
    b0, b1 = np.zeros(3), np.array([0.48, 0.12, 0.42])
    fg = _FG(t, st, X)
    first = fg.fsv(b0)
    kept = [np.array(v, copy=True) for v in first[2:]]
    second = fg.fsv(b1)
    for before, now in zip(kept, first[2:]):
        np.testing.assert_array_equal(now, before)
    for mine, fresh in zip(second, _FG(t, st, X).fsv(b1)):
        np.testing.assert_array_equal(mine, fresh)
    # and the sums themselves: S(t_k) by their definition, summed row by row over the risk set
    w = np.exp(X @ b1)
    G = fg.G
    k = 3
    tk = fg.uft[k]
    at_risk = t >= tk
    earlier_competing = (t < tk) & (st == 2)
    s0 = w[at_risk].sum() + G[fg.start[k]] * (w[earlier_competing] / G[earlier_competing]).sum()
    assert_allclose(second[3][k], s0, rtol=1e-12)


def test_fine_gray_small_table_and_identity_with_breslow_cox():
    d = CR1.assign(g=(CR1["group"] == "b").astype(float))
    d.loc[d["status"] == 2, "status"] = 0
    # R: d2$status[d2$status==2] <- 0; crr(d2$time, d2$status, cbind(g=...))
    #    coef -0.276710461844, se 0.429814358267
    r = fine_gray(d, time="time", event="status", covariates=["g"])
    assert_allclose([r.coef[0], r.se[0]], [-0.276710461844, 0.429814358267], rtol=1e-9)
    # Without competing events the Fine-Gray likelihood is Cox's (Breslow ties):
    # R: coef(coxph(Surv(time, status==1) ~ g, ties="breslow")) -> -0.276710471005
    tight = fine_gray(d, time="time", event="status", covariates=["g"], gtol=1e-14, maxiter=50)
    assert_allclose(tight.coef, [-0.276710471005], rtol=1e-9)


def test_fine_gray_bad_input():
    d = fg_data()
    with pytest.raises(DataError, match="constant"):
        fine_gray(d.assign(k=1.0), time="time", event="status", covariates=["x1", "k"])
    with pytest.raises(DataError, match="outside the declared set"):
        fine_gray(d.assign(status=d["status"].replace({2: 3})), time="time", event="status", covariates=["x1"], causes=[1, 2])
    with pytest.raises(DataError, match="negative"):
        fine_gray(d.assign(time=-d["time"]), time="time", event="status", covariates=["x1"])
    # a covariate that separates cause-1 events: not converged, said so
    sep = d.assign(s=(d["status"] == 1).astype(float))
    r = fine_gray(sep, time="time", event="status", covariates=["s"])
    assert not r.converged or any("separate" in w for w in r.warnings)


def test_gray_and_cuminc_group_without_events():
    d = CR1.copy()
    d.loc[d["group"] == "b", "status"] = 0
    r = cumulative_incidence(d, time="time", event="status", group="group", times=[10])
    assert r.curve("b", 1).time.size == 0
    assert r.table.query("group == 'b'")["estimate"].eq(0).all()
    assert any("no events" in w for w in r.warnings)
    g = gray_test(d, time="time", event="status", group="group")
    assert np.isfinite(g.statistic[0])


def test_gray_test_with_a_group_without_events_matches_cmprsk():
    d = CR1.copy()
    d.loc[d["group"] == "b", "status"] = 0
    # R: d$status[d$group=="b"] <- 0; cuminc(d$time, d$status, d$group)$Tests -> 8.72179366477, 4.33201159136
    g = gray_test(d, time="time", event="status", group="group")
    assert_allclose(g.statistic, [8.72179366477, 4.33201159136], rtol=1e-9)

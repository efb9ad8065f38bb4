"""Cox regression against R's survival 3.5-3 ``coxph`` (R code beside each value)."""

import time as _time

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from spinestats.analysis.survival.cox import cox_ph, harrell_concordance
from spinestats.errors import DataError, UsageError


def cox_data():
    """Committed for R as tests/data/cox1.csv; 73 tied event times."""
    rng = np.random.default_rng(7)
    n = 150
    x1 = np.round(rng.normal(size=n), 2)
    x2 = rng.integers(0, 2, n)
    ctr = rng.integers(0, 6, n)
    st = rng.integers(0, 2, n)
    t = np.round(rng.exponential(10 * np.exp(-0.5 * x1 - 0.3 * x2)), 0) + 1
    c = np.round(rng.exponential(20, n), 0) + 1
    return pd.DataFrame(dict(time=np.minimum(t, c), status=(t <= c).astype(int), x1=x1, x2=x2, centre=ctr, st=st))


D = cox_data()


def check(r, coef, se, loglik, lr, wald, score, conc, rtol=1e-6):
    """Iterative fit: coefficients and SEs to 1e-6 (R returns its own Newton iterate, converged to ~1e-8)."""
    assert_allclose(r.coef, coef, rtol=rtol)
    assert_allclose(r.robust_se if r.robust_se is not None else r.se, se, rtol=rtol)
    assert_allclose([r.loglik_null, r.loglik], loglik, rtol=1e-10)
    assert_allclose(r.tests["likelihood_ratio"]["statistic"], lr, rtol=1e-6)
    assert_allclose(r.tests["wald"]["statistic"], wald, rtol=1e-6)
    assert_allclose(r.tests["score"]["statistic"], score, rtol=1e-10)
    assert_allclose(r.concordance, conc, rtol=1e-10)


# R: p <- function(f) sprintf("%.12g", c(coef(f), sqrt(diag(f$var)), f$loglik, 2*diff(f$loglik),
#                                        f$wald.test, f$score, f$concordance["concordance"]))


def test_cox_efron_matches_coxph():
    # R: p(coxph(Surv(time, status) ~ x1 + x2, data = d))
    r = cox_ph(D, time="time", event="status", covariates=["x1", "x2"])
    check(r, [0.528646583376, 0.726936654278], [0.124764113546, 0.215642954902], [-368.531355771, -354.561798955],
          27.9391136317, 26.4165381584, 27.1030223111, 0.661239495798)
    assert_allclose(r.hr, np.exp(r.coef))
    assert_allclose(r.hr_lower, np.exp(r.coef - 1.959963984540054 * r.se))


def test_cox_breslow_matches_coxph():
    # R: p(coxph(Surv(time, status) ~ x1 + x2, data = d, ties = "breslow"))
    # R stops its Newton-Raphson at |1 - l_old/l_new| < 1e-9 and returns that iterate; we iterate the
    # same rule from the same start but agree only to ~1e-8 (iterative-fit tolerance is 1e-5).
    r = cox_ph(D, time="time", event="status", covariates=["x1", "x2"], ties="breslow")
    check(r, [0.489308296779, 0.674759015477], [0.123813088615, 0.215296058525], [-373.297532233, -361.024417352],
          24.5462297619, 23.2579345102, 23.8427708049, 0.661239495798, rtol=1e-5)


def test_cox_cluster_robust_se_matches_coxph():
    # R: f <- coxph(Surv(time, status) ~ x1 + x2, data = d, cluster = centre); p(f)  (robust var)
    r = cox_ph(D, time="time", event="status", covariates=["x1", "x2"], cluster="centre")
    check(r, [0.528646583376, 0.726936654278], [0.128018370233, 0.247326426033], [-368.531355771, -354.561798955],
          27.9391136317, 23.5221622998, 27.1030223111, 0.661239495798)
    # R: sqrt(diag(f$naive.var)) -> the model-based SE
    assert_allclose(r.se, [0.124764113546, 0.215642954902], rtol=1e-6)
    # R: coxph(..., robust = TRUE): sqrt(diag(f$var)) -> 0.114945851094 0.20718705932
    rr = cox_ph(D, time="time", event="status", covariates=["x1", "x2"], robust=True)
    assert_allclose(rr.robust_se, [0.114945851094, 0.20718705932], rtol=1e-6)
    # R: coxph(..., ties = "breslow", cluster = centre): robust se 0.121179279753 0.237059649616
    rb = cox_ph(D, time="time", event="status", covariates=["x1", "x2"], ties="breslow", cluster="centre")
    assert_allclose(rb.robust_se, [0.121179279753, 0.237059649616], rtol=1e-5)


def test_cox_strata_matches_coxph():
    # R: p(coxph(Surv(time, status) ~ x1 + x2 + strata(st), data = d))
    r = cox_ph(D, time="time", event="status", covariates=["x1", "x2"], strata="st")
    check(r, [0.517863570671, 0.648498422064], [0.124909454007, 0.22318073002], [-306.796837289, -294.197134456],
          25.1994056654, 23.6605039067, 24.425337509, 0.661654135338)


def test_cox_factor_covariate_treatment_contrasts():
    # R: d$f <- factor(d$centre); p(coxph(Surv(time, status) ~ x1 + f, data = d))
    r = cox_ph(D.assign(f=D["centre"].astype(str)), time="time", event="status", covariates=["x1", "f"])
    assert r.terms == ("x1", "f1", "f2", "f3", "f4", "f5")
    check(r, [0.520065062698, -0.219525489649, 0.210539892731, -0.0772986279087, 0.218194323101, -0.968167614486],
          [0.122312148181, 0.366831154636, 0.38337318843, 0.369021121872, 0.351422839781, 0.457302446494],
          [-368.531355771, -354.646453627], 27.7698042878, 26.5752105703, 27.8526585419, 0.636104441777)


def test_cox_baseline_cumulative_hazard():
    # R: b <- basehaz(coxph(Surv(time,status) ~ x1 + x2, data = d), centered = FALSE)
    #    b$hazard[b$time %in% c(2, 5, 10)] -> 0.0750690634463 0.252617794322 0.825414079212
    r = cox_ph(D, time="time", event="status", covariates=["x1", "x2"])
    bl = r.baseline.set_index("time")["cumhaz"]
    assert_allclose(bl.loc[[2.0, 5.0, 10.0]], [0.0750690634463, 0.252617794322, 0.825414079212], rtol=1e-6)


def test_concordance_counts_by_brute_force():
    rng = np.random.default_rng(1)
    t = rng.integers(1, 15, 80).astype(float)
    e = rng.integers(0, 2, 80).astype(bool)
    x = rng.integers(0, 5, 80).astype(float)
    c, counts = harrell_concordance(t, e, x)
    conc = disc = tie = 0
    for i in range(80):
        if not e[i]:
            continue
        for j in range(80):
            if t[j] > t[i] or (t[j] == t[i] and not e[j]):
                conc += x[i] > x[j]
                disc += x[i] < x[j]
                tie += x[i] == x[j]
    assert (counts["concordant"], counts["discordant"], counts["tied_risk"]) == (conc, disc, tie)
    assert_allclose(c, (conc + tie / 2) / (conc + disc + tie))


def test_cause_specific_cox_censors_other_causes():
    d = D.assign(status=np.where(D["status"] == 1, np.where(D["x2"] == 1, 1, 2), 0))
    r = cox_ph(d, time="time", event="status", covariates=["x1"], cause=1)
    manual = cox_ph(d.assign(status=(d["status"] == 1).astype(int)), time="time", event="status", covariates=["x1"])
    assert_allclose(r.coef, manual.coef, rtol=1e-12)
    assert r.n_event == int((d["status"] == 1).sum())


def test_cox_bad_input():
    with pytest.raises(DataError, match="constant"):
        cox_ph(D.assign(k=3.0), time="time", event="status", covariates=["x1", "k"])
    with pytest.raises(UsageError, match="ties"):
        cox_ph(D, time="time", event="status", covariates=["x1"], ties="exact")
    with pytest.raises(DataError, match="no events"):
        cox_ph(D.assign(status=0), time="time", event="status", covariates=["x1"])
    # perfect separation: all events have s = 1, no censored row has s = 1 -> coefficient drifts to infinity
    # (R: coxph warns "Loglik converged before variable 1; coefficient may be infinite.")
    sep = D.assign(s=D["status"].astype(float))
    r = cox_ph(sep, time="time", event="status", covariates=["s"])
    assert r.separated == ("s",)
    assert any("separates" in w for w in r.warnings)


def test_cox_input_not_modified_and_deterministic():
    d = D.copy()
    a = cox_ph(d, time="time", event="status", covariates=["x1", "x2"], cluster="centre")
    b = cox_ph(d, time="time", event="status", covariates=["x1", "x2"], cluster="centre")
    pd.testing.assert_frame_equal(d, D)
    assert a.to_frame().equals(b.to_frame())


def test_cox_speed_is_linear():
    rng = np.random.default_rng(2)
    n = 20000
    X = rng.normal(size=(n, 5))
    t = rng.exponential(np.exp(-X @ np.full(5, 0.2)))
    d = pd.DataFrame(X, columns=list("abcde")).assign(time=np.round(t, 2) + 0.01, status=rng.integers(0, 2, n))
    t0 = _time.perf_counter()
    cox_ph(d, time="time", event="status", covariates=list("abcde"))
    assert _time.perf_counter() - t0 < 5.0


def test_cox_zph_matches_survival3():
    from spinestats.analysis.survival.cox_zph import cox_zph

    d = D.assign(f=(D["centre"] % 3).astype(str))
    # R: z <- cox.zph(coxph(Surv(time, status) ~ x1 + x2, data = d)); z$table[, "chisq"]
    z = cox_zph(d, time="time", event="status", covariates=["x1", "x2"])
    assert list(z.table["term"]) == ["x1", "x2", "GLOBAL"]
    assert_allclose(z.table["chisq"], [0.898362158745, 1.47152858439, 2.02740090402], rtol=1e-6)
    assert list(z.table["df"]) == [1, 1, 2]
    # R: z$y[1:3, ] (scaled Schoenfeld residuals, first three events) and z$x[1:3] (KM transform)
    assert_allclose(z.residuals[["x1", "x2"]].to_numpy()[:3].T.ravel(),
                    [0.319470933361, -0.59570946012, -0.587097800482, 2.05936206265, -2.29729654486, 1.88160254105],
                    rtol=1e-6)
    assert_allclose(z.x[:3], 0)
    # R: cox.zph(coxph(..., ties = "breslow"))$table[, 1]
    zb = cox_zph(d, time="time", event="status", covariates=["x1", "x2"], ties="breslow")
    assert_allclose(zb.table["chisq"], [0.59982347888, 1.53006625068, 1.90320775738], rtol=1e-6)
    # R: d$f <- factor(d$centre %% 3); cox.zph(coxph(Surv(time, status) ~ x1 + f, data = d))$table
    zf = cox_zph(d, time="time", event="status", covariates=["x1", "f"])
    assert list(zf.table["df"]) == [1, 2, 3]
    assert_allclose(zf.table["chisq"], [1.29698238082, 4.62224894098, 7.46155028116], rtol=1e-6)
    # R: cox.zph(coxph(Surv(time, status) ~ x1 + x2 + strata(st), data = d))$table[, 1]
    zs = cox_zph(d, time="time", event="status", covariates=["x1", "x2"], strata="st")
    assert_allclose(zs.table["chisq"], [0.966777564684, 3.68705414525, 4.6618528103], rtol=1e-6)
    # R: cox.zph(coxph(Surv(time, status) ~ x1 + x2, data = d), transform = "identity")$table[, 1]
    zi = cox_zph(d, time="time", event="status", covariates=["x1", "x2"], transform="identity")
    assert_allclose(zi.table["chisq"], [0.0782821192623, 0.549697314516, 0.991609559558], rtol=1e-6)


def test_duplicated_index_labels_are_fine():
    d = D.set_axis([7] * len(D))
    a = cox_ph(d, time="time", event="status", covariates=["x1", "x2"], cluster="centre", strata="st")
    b = cox_ph(D, time="time", event="status", covariates=["x1", "x2"], cluster="centre", strata="st")
    assert_allclose(a.coef, b.coef, rtol=1e-12)
    assert_allclose(a.robust_se, b.robust_se, rtol=1e-12)


def test_cox_predicted_survival_matches_survfit_newdata():
    from spinestats.analysis.survival.cox import cox_predict_survival

    r = cox_ph(D, time="time", event="status", covariates=["x1", "x2"])
    # R: summary(survfit(f, newdata = data.frame(x1 = 0.5, x2 = 1)), times = 5)$surv -> 0.506256999135
    assert_allclose(cox_predict_survival(r, np.array([0.5, 1.0]), 5.0), [0.506256999135], rtol=1e-6)


def test_zph_smooth_matches_plot_cox_zph():
    """The smooth and +-2 SE band of plot(cox.zph(fit)) (survival 3.5-3, splines::ns, df = 4, nsmo = 40)."""
    from spinestats.analysis.survival.cox_zph import cox_zph, zph_smooth

    z = cox_zph(D, time="time", event="status", covariates=["x1", "x2"])
    # R (tests/r/survival_cox.R, last block):
    # z <- cox.zph(coxph(Surv(time,status)~x1+x2, data=d)); xx <- z$x; nsmo <- 40; df <- 4
    # pred.x <- seq(min(xx), max(xx), length = nsmo); lmat <- ns(c(pred.x, xx), df = df, intercept = TRUE)
    # pmat <- lmat[1:nsmo, ]; xmat <- lmat[-(1:nsmo), ]; qmat <- qr(xmat)
    # bk <- backsolve(qmat$qr[1:df, 1:df], diag(df)); xtx <- bk %*% t(bk)
    # seval <- ((pmat %*% xtx) * pmat) %*% rep(1, df)
    # yhat <- pmat %*% qr.coef(qmat, z$y[, i]); se2 <- 2 * sqrt(z$var[i, i] * seval)   # i = 1, 2
    # cat(yhat[c(1, 10, 25, 40)]); cat(se2[c(1, 10, 25, 40)]); cat(z$var)
    ref = {"x1": ([0.415354139856, 0.324056919595, 0.982411535683, -0.416480975607],
                  [0.65531902441, 0.44476532073, 0.506288262415, 1.27724988625]),
           "x2": ([1.02887307753, 0.894538055862, 0.356348467794, 0.591450437841],
                  [1.13265687392, 0.76873473689, 0.87507131527, 2.20760547077])}
    assert_allclose(z.var.ravel(), [1.41651364663, 0.277749252498, 0.277749252498, 4.23167144388], rtol=1e-6)
    for term, (fit, half) in ref.items():
        sm = zph_smooth(z, term)
        assert sm.x.size == 40 and not sm.rank_deficient
        assert_allclose(sm.x[[0, -1]], [z.x.min(), z.x.max()])
        assert_allclose(sm.fit[[0, 9, 24, 39]], fit, rtol=1e-6)
        assert_allclose((sm.upper - sm.fit)[[0, 9, 24, 39]], half, rtol=1e-6)
        assert_allclose(sm.fit - sm.lower, sm.upper - sm.fit, rtol=1e-12)


def test_cox_without_concordance_changes_no_other_number():
    # the univariable models of the survival table and the PH test's refit skip Harrell's C (issue 16)
    full = cox_ph(D, time="time", event="status", covariates=["x1", "x2"], cluster="centre")
    light = cox_ph(D, time="time", event="status", covariates=["x1", "x2"], cluster="centre", concordance=False)
    assert np.isnan(light.concordance)
    assert_allclose(full.concordance, 0.661239495798, rtol=1e-10)  # R: f$concordance["concordance"]
    a, b = full.to_dict(), light.to_dict()
    assert a.pop("concordance") is not None and b.pop("concordance") is None
    assert a == b  # every other field to the last digit


def test_cox_zph_reuses_the_fitted_model_only_when_it_is_the_same_model():
    from spinestats.analysis.survival.cox_zph import cox_zph

    kw = dict(time="time", event="status", covariates=["x1", "x2"])
    refit = cox_zph(D, **kw)
    clustered = cox_ph(D, **kw, cluster="centre")  # same rows and coefficients, robust variance
    assert cox_zph(D, **kw, fit=clustered) == refit  # every field, to the last digit
    assert_allclose(refit.table["chisq"], [0.898362158745, 1.47152858439, 2.02740090402], rtol=1e-6)  # as above
    # a cluster column with a missing value drops a row from the fit: the PH test refits on its own rows
    holes = D.assign(centre=D["centre"].where(D.index != 3))
    fewer = cox_ph(holes, **kw, cluster="centre")
    assert fewer.n == len(D) - 1
    assert cox_zph(holes, **kw, fit=fewer) == cox_zph(holes, **kw)
    # other ties: refitted
    assert cox_zph(D, **kw, ties="breslow", fit=clustered) == cox_zph(D, **kw, ties="breslow")


def test_cox_baseline_comes_from_the_final_iterate():
    # the baseline hazard reuses the risk-set sums of the last Newton step (issue 16): the same numbers as
    # recomputing them at the fitted coefficients, to the last digit
    from spinestats.analysis.survival.cox import _baseline, _Cox, prepare

    for kw in ({}, {"strata": "st"}, {"ties": "breslow"}):
        r = cox_ph(D, time="time", event="status", covariates=["x1", "x2"], **kw)
        ed, ev, X, _, _, s_codes = prepare(D, time="time", event="status", covariates=["x1", "x2"],
                                           strata=kw.get("strata"))
        cx = _Cox(ed.time, ev, X, s_codes, kw.get("ties", "efron"))
        den = cx.fit_terms(r.coef, need_info=False)[3]
        assert r.baseline.equals(_baseline(cx, den))

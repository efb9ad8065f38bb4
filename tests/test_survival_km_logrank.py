"""Kaplan-Meier and log-rank against R's survival 3.5-3 (R code beside each value)."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from spinestats.analysis.survival.kaplan_meier import kaplan_meier
from spinestats.analysis.survival.logrank import holm, logrank_test
from spinestats.errors import DataError, UsageError

# R: d <- data.frame(time=..., status=..., g=..., entry=...)   (this table)
D = pd.DataFrame(
    dict(
        time=[1, 2, 2, 3, 4, 4, 5, 6, 7, 8, 9, 10, 2, 3, 4, 5],
        status=[1, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 0, 0, 0, 0],
        g=["a"] * 12 + ["c"] * 4,  # group "c" is all censored
        entry=[0, 0, 1, 0, 0, 2, 0, 1, 0, 0, 3, 0, 0, 1, 0, 0],
    )
)
A = D[D["g"] == "a"]


def test_km_survival_and_greenwood_match_survfit():
    # R: f <- survfit(Surv(time, status) ~ 1, data = d[d$g == "a", ]); sprintf("%.12g", f$surv); f$std.err
    c = kaplan_meier(A, time="time", event="status").curve()
    assert_allclose(c.time, np.arange(1, 11))
    assert_allclose(c.n_at_risk, [12, 11, 9, 8, 6, 5, 4, 3, 2, 1])
    assert_allclose(c.n_event, [1, 1, 1, 1, 1, 0, 1, 0, 1, 0])
    assert_allclose(c.n_censored, [0, 1, 0, 1, 0, 1, 0, 1, 0, 1])
    assert_allclose(c.survival, [0.916666666667, 0.833333333333, 0.740740740741, 0.648148148148, 0.54012345679,
                                 0.54012345679, 0.405092592593, 0.405092592593, 0.202546296296, 0.202546296296], rtol=1e-11)
    assert_allclose(c.std_err, [0.0870388279778, 0.129099444874, 0.174801474695, 0.220028858136, 0.285912629567,
                                0.285912629567, 0.406299600147, 0.406299600147, 0.815523981916, 0.815523981916], rtol=1e-11)


@pytest.mark.parametrize(
    "conf_type, lower, upper",
    [
        # R: survfit(..., conf.type = "log"); sprintf("%.12g", f$lower); f$upper
        ("log", [0.77290097369, 0.647036987013, 0.525865823443, 0.421100135271, 0.308406673462, 0.308406673462,
                 0.182688603175, 0.182688603175, 0.0409589706999, 0.0409589706999],
         [1, 1, 1, 0.997615499879, 0.945937211086, 0.945937211086, 0.898249840011, 0.898249840011, 1, 1]),
        # R: survfit(..., conf.type = "log-log")
        ("log-log", [0.538977180571, 0.481714942195, 0.390676127608, 0.309662227017, 0.216561173167, 0.216561173167,
                     0.112893562148, 0.112893562148, 0.0129728385438, 0.0129728385438],
         [0.9878255654, 0.955509365728, 0.908623869404, 0.851797512335, 0.780363562948, 0.780363562948,
          0.687738931224, 0.687738931224, 0.556085767621, 0.556085767621]),
        # R: survfit(..., conf.type = "plain")
        ("plain", [0.760289779248, 0.622474781353, 0.486959559373, 0.368635142357, 0.237449907659, 0.237449907659,
                   0.0825041618898, 0.0825041618898, 0, 0],
         [1, 1, 0.994521922109, 0.927661153939, 0.842797005921, 0.842797005921, 0.727681023295, 0.727681023295,
          0.526295816886, 0.526295816886]),
    ],
)
def test_km_ci_all_conf_types(conf_type, lower, upper):
    c = kaplan_meier(A, time="time", event="status", conf_type=conf_type).curve()
    assert_allclose(c.lower, lower, rtol=1e-10, atol=1e-12)
    assert_allclose(c.upper, upper, rtol=1e-10)


@pytest.mark.parametrize(
    "conf_type, lower, upper",
    # R: quantile(survfit(..., conf.type = ct))  -> $quantile 3 7 9 for every type
    [("log", [2, 4, 7], [np.nan] * 3), ("log-log", [1, 2, 5], [7, np.nan, np.nan]), ("plain", [2, 3, 5], [7, np.nan, np.nan])],
)
def test_km_quantiles_match_quantile_survfit(conf_type, lower, upper):
    q = kaplan_meier(A, time="time", event="status", conf_type=conf_type).quantiles
    assert_allclose(q["estimate"], [3, 7, 9])
    assert_allclose(q["lower"], lower)
    assert_allclose(q["upper"], upper)


def test_km_median_midpoint_when_flat_at_half():
    # R: f5 <- survfit(Surv(c(1,2,3,4,5,6), c(1,1,1,0,1,0)) ~ 1); quantile(f5)
    #    $quantile 2.0 4.0 5.5 ; $lower 1 2 3 ; $upper NA NA NA
    d = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6], "e": [1, 1, 1, 0, 1, 0]})
    r = kaplan_meier(d, time="t", event="e")
    assert_allclose(r.quantiles["estimate"], [2.0, 4.0, 5.5])
    assert_allclose(r.quantiles["lower"], [1, 2, 3])
    assert r.quantiles["upper"].isna().all()
    assert r.median()["estimate"] == 4.0


def test_km_rates_match_summary_times():
    # R: summary(survfit(Surv(time,status) ~ g, data = d, conf.type = "plain"), times = c(0.5, 3, 5.5, 10, 12))
    #  g=a: n.risk 12 9 5 1; n.event 0 3 2 2; survival 1 0.741 0.540 0.203; std.err 0 0.129 0.154 0.165;
    #       lower 1 0.487 0.237 0.000; upper 1 0.995 0.843 0.526   (12 is beyond follow-up: R drops it)
    r = kaplan_meier(D, time="time", event="status", group="g", conf_type="plain", times=[0.5, 3, 5.5, 10, 12])
    a = r.rates[r.rates["group"] == "a"].reset_index(drop=True)
    assert list(a["n_at_risk"][:4]) == [12, 9, 5, 1]
    assert list(a["n_event"][:4]) == [0, 3, 2, 2]
    assert_allclose(a["survival"][:4], [1, 0.740740740741, 0.54012345679, 0.202546296296], rtol=1e-11)
    assert_allclose(a["std_err"][:4], [0, 0.740740740741 * 0.174801474695, 0.54012345679 * 0.285912629567,
                                       0.202546296296 * 0.815523981916], rtol=1e-10)
    assert_allclose(a["lower"][:4], [1, 0.486959559373, 0.237449907659, 0], atol=1e-11)
    assert np.isnan(a["survival"][4])


def test_all_censored_group_median_not_reached():
    # R: summary(survfit(Surv(time,status) ~ g, data=d)) shows group c with survival 1 throughout
    r = kaplan_meier(D, time="time", event="status", group="g")
    c = r.curve("c")
    assert_allclose(c.survival, 1.0)
    assert np.isnan(r.median("c")["estimate"])
    assert any("median is not reached" in w for w in r.warnings)
    assert r.to_dict()["quantiles"][3]["estimate"] is None  # JSON null, not NaN


def test_km_delayed_entry_matches_counting_process_survfit():
    # R: fe <- survfit(Surv(entry, time, status) ~ 1, data = d[d$g == "a", ]); fe$n.risk; fe$surv
    #    n.risk 8 9 8 8 6 5 4 3 2 1; survival 0.875 0.778 0.681 0.595 0.496 ... 0.186 (summary, 3 digits)
    c = kaplan_meier(A, time="time", event="status", entry="entry").curve()
    assert list(c.n_at_risk) == [8, 9, 8, 8, 6, 5, 4, 3, 2, 1]
    expected = np.cumprod(1 - np.array([1, 1, 1, 1, 1, 0, 1, 0, 1, 0]) / np.array([8, 9, 8, 8, 6, 5, 4, 3, 2, 1]))
    assert_allclose(c.survival, expected, rtol=1e-12)
    assert_allclose(c.survival[[0, 1, 4, 9]], [0.875, 0.778, 0.496, 0.186], atol=5e-4)
    # identity: entry 0 everywhere equals no entry column
    z = kaplan_meier(A.assign(entry=0), time="time", event="status", entry="entry").curve()
    assert_allclose(z.survival, kaplan_meier(A, time="time", event="status").curve().survival)


def test_median_follow_up_reverse_km():
    # R: quantile(survfit(Surv(time, 1 - status) ~ 1, data = d[d$g=="a",]), 0.5)$quantile -> 8
    r = kaplan_meier(A, time="time", event="status")
    assert r.median_follow_up.iloc[0]["estimate"] == 8.0


def test_km_bad_input():
    with pytest.raises(DataError, match="negative"):
        kaplan_meier(A.assign(time=A["time"] - 5), time="time", event="status")
    with pytest.raises(UsageError, match="conf_type"):
        kaplan_meier(A, time="time", event="status", conf_type="logit")
    with pytest.raises(DataError, match="outside the declared set"):
        kaplan_meier(A.assign(status=A["status"] * 3), time="time", event="status", causes=[1])
    z = kaplan_meier(A.assign(time=A["time"] - 1), time="time", event="status")
    assert any("time 0" in w for w in z.warnings)


def lr_data():
    """Committed for R as tests/data/lr1.csv."""
    rng = np.random.default_rng(21)
    n = 120
    g = rng.integers(0, 3, n)
    s = rng.integers(0, 2, n)
    t = np.round(rng.exponential(10 / (1 + 0.4 * g)), 0) + 1
    c = np.round(rng.exponential(15, n), 0) + 1
    return pd.DataFrame(dict(time=np.minimum(t, c), status=(t <= c).astype(int), g=g, s=s))


def test_logrank_matches_survdiff():
    d = lr_data()
    # R: x <- survdiff(Surv(time, status) ~ g, data = d); x$chisq; x$obs; x$exp
    r = logrank_test(d, time="time", event="status", group="g", trend=True, pairwise=True)
    assert_allclose(r.chisq, 1.1341819521, rtol=1e-9)
    assert r.df == 2
    assert_allclose(r.observed, [27, 30, 33])
    assert_allclose(r.expected, [30.9868118101, 29.702515774, 29.3106724159], rtol=1e-10)
    # R: s <- 1:3; sum(s*(x$obs-x$exp))^2 / (t(s) %*% x$var %*% s) -> 1.13060154756
    assert_allclose(r.trend["chisq"], 1.13060154756, rtol=1e-9)
    # R: ps <- sapply(pairs, function(p) pchisq(survdiff(..., data = d[d$g %in% p, ])$chisq, 1, lower.tail=FALSE))
    #    p.adjust(ps, "holm") -> 1 0.998831694969 1
    assert_allclose(r.pairwise["p_holm"], [1, 0.998831694969, 1], rtol=1e-9)
    # R: survdiff(Surv(time, status) ~ g, data = d, rho = 1)$chisq
    assert_allclose(logrank_test(d, time="time", event="status", group="g", rho=1).chisq, 2.18497955251, rtol=1e-9)
    # R: survdiff(Surv(time, status) ~ g + strata(s), data = d)$chisq
    assert_allclose(logrank_test(d, time="time", event="status", group="g", strata="s").chisq, 1.05987906501, rtol=1e-9)


def test_holm_matches_p_adjust():
    # R: p.adjust(c(0.01, 0.04, 0.03, 0.5), "holm") -> 0.04 0.09 0.09 0.50
    assert_allclose(holm(np.array([0.01, 0.04, 0.03, 0.5])), [0.04, 0.09, 0.09, 0.5])


def test_logrank_group_without_events():
    r = logrank_test(D, time="time", event="status", group="g")
    assert np.isfinite(r.chisq) and r.observed[1] == 0


def test_fleming_harrington_gamma_matches_direct_r_computation():
    d = lr_data()
    d = d[d["g"].isin([0, 1])]
    # R (tests/r/survival_km_logrank.R, fh()): the FH(rho, gamma) statistic summed directly over event times with
    # w = S(t-)^rho (1 - S(t-))^gamma, S the pooled survfit; fh(d,1,0) equals survdiff(..., rho=1)$chisq
    #   fh(d,0,1) -> 0.173070154861 ; fh(d,1,1) -> 0.340400867225 ; fh(d,1,0) -> 1.2922255509
    for (rho, gamma), expected in [((0, 1), 0.173070154861), ((1, 1), 0.340400867225), ((1, 0), 1.2922255509)]:
        r = logrank_test(d, time="time", event="status", group="g", rho=rho, gamma=gamma)
        assert_allclose(r.chisq, expected, rtol=1e-9)


def test_rates_before_the_first_event_are_one_with_ci_one():
    # R: summary(survfit(Surv(time, status) ~ 1, data = d[d$g=="a",], conf.type = "log-log"), times = c(0.5, 3))
    #    time 0.5: survival 1, lower 1, upper 1; time 3: 0.741 0.391 0.909
    r = kaplan_meier(A, time="time", event="status", conf_type="log-log", times=[0.5, 3]).rates
    assert_allclose(r[["survival", "lower", "upper"]].to_numpy()[0], [1, 1, 1])
    assert_allclose(r[["lower", "upper"]].to_numpy()[1], [0.390676127608, 0.908623869404], rtol=1e-10)


def test_categorical_group_keeps_its_category_order():
    d = lr_data().assign(g=lambda f: pd.Categorical(f["g"].map({0: "low", 1: "mid", 2: "high"}),
                                                     categories=["low", "mid", "high"], ordered=True))
    r = logrank_test(d, time="time", event="status", group="g", trend=True)
    assert r.groups == ("low", "mid", "high")
    # same test as the integer-coded groups 0 < 1 < 2 (R: an ordered factor keeps its level order)
    assert_allclose(r.trend["chisq"], 1.13060154756, rtol=1e-9)
    assert kaplan_meier(d, time="time", event="status", group="g").groups == ("low", "mid", "high")

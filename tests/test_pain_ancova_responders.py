"""ANCOVA, responders (Wilson, Newcombe), adverse events and missingness against R.

R code beside each value (R 4.2, stats).  Closed forms: 1e-6.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from spinestats.analysis.descriptive.adverse_events import adverse_events
from spinestats.analysis.longitudinal.ancova import ancova
from spinestats.analysis.longitudinal.missingness import missingness
from spinestats.analysis.longitudinal.responders import is_responder, newcombe_difference, responders
from spinestats.data_schemas.examples import cohort_bkp, cohort_cafe
from spinestats.errors import DataError, UsageError

ARMS = ("control", "BKP")
WILSON_53_63_LO, WILSON_53_63_HI = 0.731884232182, 0.911429076035  # prop.test(53, 63, correct = FALSE)$conf.int
EXACT_53_63 = [0.727401982507, 0.921166189248]  # binom.test(53, 63)$conf.int
NW_53_63_9_49 = [0.657596371882, 0.487773270693, 0.766972860147]  # nw(53, 63, 9, 49)


@pytest.fixture(scope="module")
def cafe():
    return cohort_cafe.make()


def test_ancova_equals_lm(cafe):
    # w <- read.csv("data_schemas/examples/synthetic_cafe.csv", comment.char = "#")
    # w$arm <- factor(w$arm, levels = c("control", "BKP"))
    # f <- lm(nrs_1m ~ arm + nrs_baseline, data = w); s <- summary(f)$coefficients
    # c(coef(f)["armBKP"], s["armBKP", "Std. Error"], confint(f)["armBKP", ], s["armBKP", "t value"],
    #   f$df.residual, s["armBKP", "Pr(>|t|)"], coef(f)["nrs_baseline"], nobs(f))
    r = ancova(cafe, outcome="nrs_1m", baseline="nrs_baseline", arm="arm", arms=ARMS)
    assert_allclose([r.difference, r.se, *r.ci, r.t, r.df, r.p, r.baseline_slope, r.n],
                    [-2.82276562163, 0.284176611088, -3.38599442615, -2.25953681711, -9.93313844803, 109,
                     6.06450333914e-17, 0.595938319688, 112], rtol=1e-6)
    assert r.n_excluded == len(cafe) - 112
    # f <- lm(nrs_12m ~ arm + nrs_baseline, data = w)
    r = ancova(cafe, outcome="nrs_12m", baseline="nrs_baseline", arm="arm", arms=ARMS)
    assert_allclose([r.difference, r.se, *r.ci, r.t, r.df, r.p, r.n],
                    [-3.34060942274, 0.242793302546, -3.82281787877, -2.8584009667, -13.759067436, 92,
                     4.72321963162e-24, 95], rtol=1e-6)


def test_ancova_needs_two_patients_per_arm(cafe):
    small = pd.concat([cafe[cafe["arm"] == "BKP"], cafe[cafe["arm"] == "control"].head(1)])
    with pytest.raises(DataError, match="at least 2 patients"):
        ancova(small, outcome="nrs_1m", baseline="nrs_baseline", arm="arm", arms=ARMS)


def test_newcombe_hybrid_score_equals_r():
    # nw <- function(x1, n1, x0, n0) { a <- prop.test(x1, n1, correct = FALSE)$conf.int
    #   b <- prop.test(x0, n0, correct = FALSE)$conf.int; p1 <- x1/n1; p0 <- x0/n0; d <- p1 - p0
    #   c(d, d - sqrt((p1 - a[1])^2 + (b[2] - p0)^2), d + sqrt((a[2] - p1)^2 + (p0 - b[1])^2)) }
    assert_allclose(newcombe_difference(30, 63, 7, 49), [0.333333333333, 0.162036373685, 0.474170982049], rtol=1e-6)
    assert_allclose(newcombe_difference(0, 10, 3, 12), [-0.25, -0.532305334934, 0.0708804156994], rtol=1e-6)
    assert_allclose(newcombe_difference(10, 10, 0, 8), [1, 0.573075272263, 1], rtol=1e-6)
    # Newcombe (1998), Table II example (a): 56/70 vs 48/80, method 10: 0.0524 to 0.3339
    d, lo, hi = newcombe_difference(56, 70, 48, 80)
    assert (round(lo, 4), round(hi, 4)) == (0.0524, 0.3339)


def test_responder_rule():
    base = np.array([8, 8, 6, 3, 0, 10])
    fu = np.array([6, 5, 4, 1, 0, 7])
    # 8->6: -2 points, 25 % (no); 8->5: 3, 37.5 % (yes); 6->4: 2, 33 % (yes); 3->1: 2, 67 % (yes);
    # 0->0: cannot improve (no); 10->7: 3, 30 % (yes: both thresholds are inclusive)
    assert list(is_responder(base, fu, 2, 30)) == [False, True, True, True, False, True]
    assert list(is_responder(base, fu, 3, 0)) == [False, True, False, False, False, True]


def test_responder_table_wilson_and_difference(cafe):
    follow = {"1m": "nrs_1m", "12m": "nrs_12m"}
    r = responders(cafe, visit_columns=follow, baseline="nrs_baseline", arm="arm", arms=ARMS)
    t = r.to_frame().set_index(["arm", "visit"])
    for (arm, visit), row in t.iterrows():
        part = cafe[(cafe["arm"] == arm) & cafe["nrs_baseline"].notna() & cafe[follow[visit]].notna()]
        assert row["n"] == len(part)
        assert row["responders"] == is_responder(part["nrs_baseline"], part[follow[visit]], 2, 30).sum()
    x, n = int(t.loc[("BKP", "1m"), "responders"]), int(t.loc[("BKP", "1m"), "n"])
    assert (x, n) == (53, 63)
    # prop.test(53, 63, correct = FALSE)$conf.int
    assert_allclose(t.loc[("BKP", "1m"), ["ci_low", "ci_high"]].astype(float), [WILSON_53_63_LO, WILSON_53_63_HI],
                    rtol=1e-6)
    x0, n0 = int(t.loc[("control", "1m"), "responders"]), int(t.loc[("control", "1m"), "n"])
    assert (x0, n0) == (9, 49)
    diff = r.difference.set_index("visit").loc["1m"]
    assert diff["contrast"] == "BKP - control"
    # nw(53, 63, 9, 49)  (nw: see test_newcombe_hybrid_score_equals_r)
    assert_allclose(diff[["risk_difference", "ci_low", "ci_high"]].astype(float), NW_53_63_9_49, rtol=1e-6)
    # exact intervals: binom.test(53, 63)$conf.int
    e = responders(cafe, visit_columns=follow, baseline="nrs_baseline", arm="arm", arms=ARMS, ci_method="exact")
    row = e.to_frame().set_index(["arm", "visit"]).loc[("BKP", "1m")]
    assert_allclose(row[["ci_low", "ci_high"]].astype(float), EXACT_53_63, rtol=1e-6)


def test_responder_options_are_checked(cafe):
    with pytest.raises(UsageError, match="MCID"):
        responders(cafe, visit_columns={"1m": "nrs_1m"}, baseline="nrs_baseline", mcid_percent=130)
    with pytest.raises(UsageError, match="ci_method"):
        responders(cafe, visit_columns={"1m": "nrs_1m"}, baseline="nrs_baseline", ci_method="wald")


def test_adverse_events_exact_ci():
    bkp = cohort_bkp.make()
    t = adverse_events(bkp, events=["cement_leakage", "added_fixation", "new_fracture"]).to_frame().set_index("event")
    # binom.test(3, 17)$conf.int; binom.test(1, 17)$conf.int
    assert t.loc["cement_leakage", "events"] == 3
    assert_allclose(t.loc["cement_leakage", ["ci_low", "ci_high"]].astype(float),
                    [3.79850680706, 43.4317872844], rtol=1e-6)
    assert t.loc["added_fixation", "events"] == 1  # the review's one crushed vertebra
    assert_allclose(t.loc["added_fixation", ["ci_low", "ci_high"]].astype(float),
                    [0.148817439127, 28.6889396667], rtol=1e-6)


def test_adverse_events_per_arm_and_missing(cafe):
    d = cafe.copy()
    d["cement_leakage"] = d["cement_leakage"].astype(object)
    d.loc[d.index[0], "cement_leakage"] = None
    t = adverse_events(d, events=["cement_leakage"], arm="arm", arms=ARMS).to_frame().set_index("arm")
    assert t.loc["BKP", "n_missing"] == 1 and t.loc["BKP", "n"] == 64
    # binom.test(0, 52)$conf.int
    assert t.loc["control", "events"] == 0
    assert_allclose(t.loc["control", ["ci_low", "ci_high"]].astype(float), [0, 6.84822087033], rtol=1e-6, atol=1e-12)
    d.loc[d.index[1], "cement_leakage"] = "yes"
    with pytest.raises(DataError, match="true/false"):
        adverse_events(d, events=["cement_leakage"])


def test_missingness_patterns(cafe):
    cols = {v: f"nrs_{v}" for v in ("baseline", "1w", "1m", "3m", "6m", "12m")}
    m = missingness(cafe, visit_columns=cols, arm="arm")
    assert m.n_patients == 117
    assert m.patterns["n_patients"].sum() == 117
    assert m.patterns.iloc[0][list(cols)].tolist() == [1] * 6  # complete pattern first
    assert m.n_complete == int(m.patterns.iloc[0]["n_patients"])
    pv = m.per_visit.set_index(["arm", "visit"])
    assert pv.loc[("BKP", "12m"), "missing"] == cafe.loc[cafe["arm"] == "BKP", "nrs_12m"].isna().sum()
    assert (pv["observed"] + pv["missing"]).groupby("arm").first().to_dict() == {"BKP": 65, "control": 52}

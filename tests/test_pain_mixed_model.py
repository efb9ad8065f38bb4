"""The profiled-REML mixed model against lme4/lmerTest/emmeans (R 4.2).

References come from ``tests/r/pain_lmm.R`` (run from the repository root) on
the committed synthetic cohorts ``synthetic_bkp.csv`` and ``synthetic_cafe.csv``;
the random-slope case uses the small data set built inline by
:func:`slope_data` (R code in :func:`test_random_slope_equals_lmer`).
Tolerance 1e-5 (iterative fits); Satterthwaite df are derivatives computed
numerically both in lmerTest (numDeriv) and here (Richardson), also 1e-5.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from spinestats.analysis.longitudinal import mixed_model as mm
from spinestats.data_schemas.examples import cohort_bkp, cohort_cafe

VISITS = ["baseline", "1w", "1m", "3m", "6m", "12m", "final"]
RTOL = 1e-5


def long_of(wide: pd.DataFrame) -> pd.DataFrame:
    cols = [f"nrs_{v}" for v in VISITS if f"nrs_{v}" in wide]
    long = wide.melt(id_vars=["patient_id", "arm"], value_vars=cols, var_name="visit", value_name="nrs")
    long["visit"] = long["visit"].str[4:]
    return long.dropna(subset=["nrs"]).astype({"nrs": float})


@pytest.fixture(scope="module")
def bkp_fit():
    d = mm.build_design(long_of(cohort_bkp.make()), value="nrs", visit="visit", subject="patient_id", visits=VISITS)
    return mm.fit_lmm(d)


@pytest.fixture(scope="module")
def cafe_fit():
    d = mm.build_design(long_of(cohort_cafe.make()), value="nrs", visit="visit", subject="patient_id",
                        visits=VISITS, arm="arm", arms=["control", "BKP"])
    return mm.fit_lmm(d)


def test_bkp_random_intercept_equals_lmer(bkp_fit):
    # m1 <- lmer(nrs ~ visit + (1 | patient_id), data = b, REML = TRUE)  (tests/r/pain_lmm.R)
    assert bkp_fit.terms == ("(Intercept)", "visit1w", "visit1m", "visit3m", "visit6m", "visit12m", "visitfinal")
    # fixef(m1)
    assert_allclose(bkp_fit.estimate, [7, -2.62129767351, -4.82352941176, -5.09971526042, -4.93399068106,
                                       -5.35772592103, -5.17647058824], rtol=RTOL)
    # sqrt(diag(vcov(m1)))
    assert_allclose(bkp_fit.se, [0.494154042855, 0.44245663163, 0.339550315867, 0.422231199409, 0.464691067997,
                                 0.536445066643, 0.339550315867], rtol=RTOL)
    # c(getME(m1, "theta"), sigma(m1), REMLcrit(m1))
    assert_allclose([bkp_fit.theta[0], bkp_fit.sigma, bkp_fit.reml_deviance],
                    [1.79886271575, 0.989950778851, 265.934370519], rtol=RTOL)
    # summary(m1)$coefficients[, "df"]  (lmerTest, Satterthwaite)
    assert_allclose(bkp_fit.df, [23.6170773863, 57.7285668949, 56.9921289849, 57.5735483447, 57.7107039269,
                                 58.112994629, 56.9921289861], rtol=RTOL)
    # summary(m1)$coefficients[, "Pr(>|t|)"]
    assert_allclose(bkp_fit.p, [4.88951777102e-13, 1.84093201571e-07, 2.22988458646e-20, 2.02914355466e-17,
                                3.41852258193e-15, 3.18290233678e-14, 9.0900098024e-22], rtol=1e-4)
    assert bkp_fit.converged and not bkp_fit.singular
    assert bkp_fit.random_sd[0] == pytest.approx(bkp_fit.theta[0] * bkp_fit.sigma)


def test_bkp_emmeans_equal_emmeans(bkp_fit):
    # e <- emmeans(m1, ~ visit, lmer.df = "satterthwaite"); summary(e)
    emm = mm.marginal_means(bkp_fit)
    m = emm.means
    assert list(m["visit"]) == VISITS
    assert_allclose(m["emmean"], [7, 4.37870232649, 2.17647058824, 1.90028473958, 2.06600931894, 1.64227407897,
                                  1.82352941176], rtol=RTOL)
    assert_allclose(m["se"], [0.494154042855, 0.569790901944, 0.494154042855, 0.554231889031, 0.587223628391,
                              0.645497568229, 0.494154042855], rtol=RTOL)
    assert_allclose(m["df"], [23.6170773863, 37.7745810002, 23.6170773901, 34.7894131427, 41.1871140653,
                              51.5749757215, 23.6170773899], rtol=RTOL)
    assert_allclose(m["ci_low"], [5.97924039134, 3.22499486004, 1.15571097958, 0.774890672484, 0.880250740406,
                                  0.346734319892, 0.80276980311], rtol=RTOL)
    assert_allclose(m["ci_high"], [8.02075960866, 5.53240979295, 3.19723019689, 3.02567880667, 3.25176789747,
                                   2.93781383805, 2.84428902042], rtol=RTOL)
    # summary(contrast(e, "trt.vs.ctrl", adjust = "none"), infer = TRUE)
    c = emm.vs_baseline
    assert_allclose(c["estimate"], [-2.62129767351, -4.82352941176, -5.09971526042, -4.93399068106,
                                    -5.35772592103, -5.17647058824], rtol=RTOL)
    assert_allclose(c["df"], [57.7285668949, 56.9921289849, 57.5735483447, 57.7107039269, 58.112994629,
                              56.9921289861], rtol=RTOL)
    assert_allclose(c["p"], [1.84093201571e-07, 2.22988458646e-20, 2.02914355466e-17, 3.41852258193e-15,
                             3.18290233678e-14, 9.0900098024e-22], rtol=1e-4)
    assert emm.between_arms.empty


def test_cafe_arm_by_visit_equals_lmer(cafe_fit):
    # m2 <- lmer(nrs ~ arm * visit + (1 | patient_id), data = c2, REML = TRUE), arm levels control, BKP
    assert cafe_fit.terms[:3] == ("(Intercept)", "armBKP", "visit1w")
    assert cafe_fit.terms[-1] == "armBKP:visit12m"
    assert_allclose(cafe_fit.estimate, [7.57692307692, -0.176923076923, -0.466072280851, -0.750913010119,
                                        -0.734448832864, -0.838734237851, -0.648939512426, -2.42082773423,
                                        -2.75457934563, -2.92607123367, -3.10615707168, -3.32286694035], rtol=RTOL)
    assert_allclose(cafe_fit.se, [0.222453008743, 0.29845202961, 0.216103260672, 0.217447982856, 0.218769272363,
                                  0.217412839138, 0.231681393446, 0.289645315635, 0.290632849595, 0.291639921039,
                                  0.292515989335, 0.306725316731], rtol=RTOL)
    assert_allclose([cafe_fit.theta[0], cafe_fit.sigma, cafe_fit.reml_deviance],
                    [1.08116169221, 1.08922883491, 2220.74085459], rtol=RTOL)
    assert_allclose(cafe_fit.df, [274.796613275, 274.796613143, 530.311854005, 530.751288161, 530.942821785,
                                  530.623748545, 533.82152431, 530.303846468, 530.503416558, 530.65938498,
                                  530.809547808, 533.189234207], rtol=RTOL)


def test_cafe_emmeans_and_between_arm_contrasts(cafe_fit):
    emm = mm.marginal_means(cafe_fit)
    # e2 <- emmeans(m2, ~ arm | visit, lmer.df = "satterthwaite"); summary(e2)  (control, BKP within visit)
    assert_allclose(emm.means["emmean"], [7.57692307692, 7.4, 7.11085079607, 4.51309998492, 6.8260100668,
                                          3.89450764425, 6.84247424406, 3.73947993347, 6.73818883907,
                                          3.45510869047, 6.9279835645, 3.42819354722], rtol=RTOL)
    assert_allclose(emm.means["se"], [0.222453008743, 0.19896801974, 0.224843151729, 0.20069092775, 0.226135907929,
                                      0.200666108001, 0.227406724035, 0.200691075782, 0.226102114605,
                                      0.203421533471, 0.239854313439, 0.208535873988], rtol=RTOL)
    assert_allclose(emm.means["df"], [274.796613275, 274.796612986, 283.94289165, 282.102760601, 288.824893126,
                                      282.059393856, 293.785672735, 282.102980032, 288.77327641, 293.823525722,
                                      341.533212056, 315.847151754], rtol=RTOL)
    # summary(pairs(e2, reverse = TRUE), infer = TRUE)  -> BKP - control per visit
    b = emm.between_arms
    assert set(b["contrast"]) == {"BKP - control"}
    assert_allclose(b["estimate"], [-0.176923076923, -2.59775081115, -2.93150242255, -3.10299431059,
                                    -3.28308014861, -3.49979001728], rtol=RTOL)
    assert_allclose(b["se"], [0.29845202961, 0.301382301008, 0.302331499773, 0.303299729698, 0.304142214282,
                              0.317832192226], rtol=RTOL)
    assert_allclose(b["df"], [274.796613143, 283.12529439, 285.822643585, 288.60654247, 291.020692457,
                              330.234172345], rtol=RTOL)
    assert_allclose(b["p"], [0.553800924546, 4.83994423587e-16, 2.09847136722e-19, 3.64587128681e-21,
                             4.53957261359e-23, 3.1449450127e-24], rtol=1e-4)


def test_cafe_random_slope_singular_fit_is_reported():
    # m3 <- lmer(nrs ~ arm * visit + (1 + time | patient_id), data = c2)   # "boundary (singular) fit"
    wide = cohort_cafe.make()
    long = long_of(wide)
    long["time"] = long["visit"].map({"baseline": 0, "1w": 0.25, "1m": 1, "3m": 3, "6m": 6, "12m": 12})
    d = mm.build_design(long, value="nrs", visit="visit", subject="patient_id", visits=VISITS, arm="arm",
                        arms=["control", "BKP"], time="time")
    fit = mm.fit_lmm(d)
    # fixef(m3); sqrt(diag(vcov(m3))); getME(m3, "theta"); isSingular(m3) == TRUE
    assert_allclose(fit.estimate[:4], [7.57692307692, -0.176923076923, -0.466137555736, -0.751040454026], rtol=RTOL)
    assert_allclose(fit.se[:4], [0.22200107912, 0.297845702395, 0.216096308979, 0.217440983798], rtol=RTOL)
    assert_allclose(fit.theta, [1.07711760408, 0.001195941512, 0.0], rtol=RTOL, atol=1e-6)
    assert_allclose(fit.sigma, 1.08920983058, rtol=RTOL)
    assert_allclose(fit.reml_deviance, 2220.72742435, rtol=1e-9)
    assert fit.singular
    assert any("singular" in w for w in fit.warnings)


def slope_data() -> pd.DataFrame:
    """40 patients, two arms, random intercept and slope; written to CSV for R."""
    rng = np.random.default_rng(606)
    months = {"baseline": 0.0, "1m": 1.0, "3m": 3.0, "6m": 6.0, "12m": 12.0}
    rows = []
    for i in range(40):
        arm = "BKP" if i % 2 else "control"
        b0, b1 = rng.normal(0, 1.5), rng.normal(0, 0.15)
        for v, t in months.items():
            if v != "baseline" and rng.random() < 0.1:
                continue
            mu = 7 - (2.5 if (arm == "BKP" and t > 0) else 0.3 * (t > 0)) + b0 + b1 * t
            rows.append((f"S{i:02d}", arm, v, t, round(mu + rng.normal(0, 0.8), 1)))
    return pd.DataFrame(rows, columns=["patient_id", "arm", "visit", "time", "nrs"])


def test_random_slope_equals_lmer():
    """R, on ``slope_data().to_csv("slope.csv", index=False)``::

        d <- read.csv("slope.csv")
        d$visit <- factor(d$visit, levels = c("baseline","1m","3m","6m","12m"))
        d$arm <- factor(d$arm, levels = c("control","BKP"))
        m <- lmer(nrs ~ arm * visit + (1 + time | patient_id), data = d, REML = TRUE,
                  control = lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12, maxfun = 1e5)))
        fixef(m); sqrt(diag(vcov(m))); getME(m, "theta"); sigma(m); REMLcrit(m)
        summary(m)$coefficients[, "df"]; as.data.frame(VarCorr(m))$sdcor

    With lme4's default optimiser (nloptwrap) the fit stops 2.7e-7 above the
    REML minimum on this flat surface and its SEs differ from the optimum by
    up to 4e-5; the reference therefore uses bobyqa run to convergence, which
    our optimum matches.
    """
    d = mm.build_design(slope_data(), value="nrs", visit="visit", subject="patient_id",
                        visits=["baseline", "1m", "3m", "6m", "12m"], arm="arm", arms=["control", "BKP"], time="time")
    fit = mm.fit_lmm(d)
    assert fit.random_slope and fit.converged and not fit.singular
    assert_allclose(fit.estimate, [7.27, -0.49, -0.733882143218, -0.0684961376209, -0.778936764499,
                                   -0.935942348554, -2.13758177947, -2.88106451138, -1.69448881039,
                                   -1.64767615912], rtol=RTOL)
    assert_allclose(fit.se, [0.362238519243, 0.512282626727, 0.251676781708, 0.288149598873, 0.312062561649,
                             0.480499865213, 0.355775531067, 0.392654076258, 0.443738955555, 0.670059102737],
                    rtol=RTOL)
    assert_allclose(fit.theta, [1.88308730857, 0.00496571199323, 0.190175435247], rtol=1e-4)
    assert_allclose([fit.sigma, fit.reml_deviance], [0.759790853619, 573.953679563], rtol=RTOL)
    # sdcor: SD intercept, SD slope, correlation, residual SD
    assert_allclose([*fit.random_sd, fit.random_cor], [1.43075251362, 0.144542805429, 0.0261023199527], rtol=1e-4)
    assert_allclose(fit.df, [48.4571090419, 48.4571081334, 98.2611771495, 122.287545934, 99.1571533876,
                             40.1464581813, 98.1316912044, 123.501438652, 100.268827733, 39.0278813295], rtol=RTOL)


def test_patient_with_only_baseline_is_kept(bkp_fit):
    """Adding a baseline-only patient adds one observation and one patient to the fit."""
    long = long_of(cohort_bkp.make())
    extra = pd.DataFrame({"patient_id": ["BKP-99"], "arm": ["BKP"], "visit": ["baseline"], "nrs": [8.0]})
    d = mm.build_design(pd.concat([long, extra]), value="nrs", visit="visit", subject="patient_id", visits=VISITS)
    fit = mm.fit_lmm(d)
    assert (fit.n_obs, fit.n_patients) == (bkp_fit.n_obs + 1, bkp_fit.n_patients + 1)
    assert fit.estimate[0] != pytest.approx(bkp_fit.estimate[0], abs=1e-6)


def test_rank_deficient_design_drops_the_empty_interaction():
    long = long_of(cohort_cafe.make())
    long = long[~((long["arm"] == "control") & (long["visit"] == "12m"))]  # no control patient seen at 12m
    d = mm.build_design(long, value="nrs", visit="visit", subject="patient_id", visits=VISITS, arm="arm",
                        arms=["control", "BKP"])
    assert d.dropped == ("armBKP:visit12m",)
    fit = mm.fit_lmm(d)
    assert any("rank deficient" in w for w in fit.warnings)
    b = mm.marginal_means(fit).between_arms
    assert np.isnan(b.loc[b["visit"] == "12m", "estimate"]).all()


def test_unknown_visit_label_is_refused():
    long = long_of(cohort_bkp.make())
    long.loc[long.index[0], "visit"] = "2y"
    with pytest.raises(ValueError, match="not among the schema visits"):
        mm.build_design(long, value="nrs", visit="visit", subject="patient_id", visits=VISITS)


def test_without_satterthwaite_gives_same_fit(bkp_fit):
    d = mm.build_design(long_of(cohort_bkp.make()), value="nrs", visit="visit", subject="patient_id", visits=VISITS)
    fast = mm.fit_lmm(d, satterthwaite=False)
    assert_allclose(fast.estimate, bkp_fit.estimate, rtol=1e-12)
    assert_allclose(fast.se, bkp_fit.se, rtol=1e-12)
    assert np.isnan(fast.df).all()
    with pytest.raises(ValueError, match="Satterthwaite"):
        fast.contrast(np.eye(len(fast.terms))[0])


def test_cafe_contrasts_vs_baseline_per_arm(cafe_fit):
    # cs <- summary(contrast(emmeans(m2, ~ visit | arm, lmer.df = "satterthwaite"), "trt.vs.ctrl",
    #                        adjust = "none"), infer = TRUE)   # rows: control 1w..12m, then BKP 1w..12m
    vb = mm.marginal_means(cafe_fit).vs_baseline
    order = {"control": 0, "BKP": 1}
    vb = vb.assign(_a=vb["arm"].map(order), _v=vb["visit"].map(VISITS.index)).sort_values(["_a", "_v"])
    assert_allclose(vb["estimate"], [-0.466072280851, -0.750913010119, -0.734448832864, -0.838734237851,
                                     -0.648939512426, -2.88690001508, -3.50549235575, -3.66052006653,
                                     -3.94489130953, -3.97180645278], rtol=RTOL)
    assert_allclose(vb["se"], [0.216103260672, 0.217447982856, 0.218769272363, 0.217412839138, 0.231681393446,
                               0.192856914826, 0.192831086745, 0.19285706887, 0.195696860973, 0.201007840282],
                    rtol=RTOL)
    assert_allclose(vb["df"], [530.311854005, 530.751288161, 530.942821785, 530.623748545, 533.82152431,
                               530.293791963, 530.188081927, 530.294483734, 531.038796327, 532.34822196], rtol=RTOL)
    assert_allclose(vb["p"], [0.0314769371965, 0.000597999553627, 0.000843834710711, 0.000128483191082,
                              0.00527920837885, 1.644011099e-42, 9.30860961369e-58, 1.09352577321e-61,
                              1.55209331057e-67, 1.36183393385e-65], rtol=1e-4)
    assert_allclose(vb["ci_low"], [-0.890595767087, -1.17807732336, -1.16420839058, -1.26582974785,
                                   -1.10405857649, -3.26575730742, -3.88429908295, -4.03937766036,
                                   -4.3293262934, -4.36667232481], rtol=RTOL)
    assert_allclose(vb["ci_high"], [-0.0415487946142, -0.323748696881, -0.304689275148, -0.411638727848,
                                    -0.193820448364, -2.50804272273, -3.12668562854, -3.2816624727,
                                    -3.56045632567, -3.57694058075], rtol=RTOL)


def test_failed_convergence_check_is_reported(monkeypatch):
    """With an impossible gradient tolerance the same fit must be flagged, never silently accepted."""
    monkeypatch.setattr(mm, "GRADIENT_TOL", 0.0)
    d = mm.build_design(long_of(cohort_bkp.make()), value="nrs", visit="visit", subject="patient_id", visits=VISITS)
    fit = mm.fit_lmm(d)
    assert fit.converged is False
    assert any("did not converge" in w for w in fit.warnings)
    assert fit.to_dict()["converged"] is False

"""Continuous time in the mixed model, and marginal means with any column names, against lme4/lmerTest/emmeans.

Input: ``tests/data/pain_time.csv`` (60 seeded patients, columns ``id``, ``group``, ``months``,
``pain``; real random slopes).  R code: ``tests/r/pain_lmm_time.R`` (run from the repository root),
quoted beside each value.  Tolerance 1e-5 (iterative fits, numerical Satterthwaite derivatives).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from spinestats.analysis.longitudinal import mixed_model as mm
from spinestats.data_schemas.examples import cohort_cafe
from spinestats.errors import DataError, UsageError

RTOL = 1e-5
D = pd.read_csv(Path(__file__).parent / "data" / "pain_time.csv")


@pytest.fixture(scope="module")
def fit():
    # R: tight <- lmerControl(optimizer = "nloptwrap", optCtrl = list(xtol_abs = 1e-12, ftol_abs = 1e-14,
    #                                                                 xtol_rel = 1e-12, maxeval = 1e5))
    #    m <- lmer(pain ~ months * group + (1 + months | id), data = d, REML = TRUE, control = tight)
    #    (lme4's default tolerance stops ~1e-5 short of the optimum here; its REMLcrit is 8e-9 higher)
    d = mm.build_time_design(D, value="pain", time="months", subject="id", arm="group", arms=["control", "BKP"])
    return mm.fit_lmm(d)


def test_continuous_time_fit_equals_lmer(fit):
    assert fit.terms == ("(Intercept)", "months", "groupBKP", "months:groupBKP")
    # fixef(m); sqrt(diag(vcov(m)))
    assert_allclose(fit.estimate, [7.31497323725, -0.0516766617264, -1.9873366528, -0.100759831632], rtol=RTOL)
    assert_allclose(fit.se, [0.316452202439, 0.0347877066941, 0.448044967201, 0.0493516145137], rtol=RTOL)
    # c(getME(m, "theta"), sigma(m), REMLcrit(m))
    assert_allclose(fit.theta, [1.57522840123, -0.0778286377608, 0.130494745412], rtol=RTOL)
    assert_allclose([fit.sigma, fit.reml_deviance], [1.03048722697, 1133.09259238], rtol=RTOL)
    # summary(m)$coefficients[, "df"] and [, "Pr(>|t|)"]  (lmerTest, Satterthwaite)
    assert_allclose(fit.df, [58.2943565611, 57.8586922611, 58.546864731, 58.9970521805], rtol=RTOL)
    # [, "t value"] and [, "Pr(>|t|)"]; the intercept's p (4.82e-31) lies so far in the tail that the 2.5e-7
    # relative df difference moves it by 1.3e-5, so its t is compared instead of its p
    assert_allclose(fit.t, [23.1155706324, -1.48548630068, -4.43557410145, -2.0416724483], rtol=RTOL)
    assert_allclose(fit.p[1:], [0.142843668624, 4.10752491629e-05, 0.0456636268829], rtol=RTOL)
    assert fit.converged and not fit.singular and fit.random_slope


def test_marginal_means_at_times_equal_emmeans(fit):
    # R: e <- emmeans(m, ~ group | months, at = list(months = c(0, 1, 3, 6, 12)), lmer.df = "satterthwaite")
    e = mm.marginal_means_at(fit, [0, 1, 3, 6, 12])
    m = e.means
    assert list(m["arm"][:2]) == ["control", "BKP"] and list(m["time"][::2]) == [0, 1, 3, 6, 12]
    # summary(e)$emmean, $SE, $df, $lower.CL
    assert_allclose(m["emmean"], [7.31497323725, 5.32763658445, 7.26329657553, 5.17520009109, 7.15994325207,
                                  4.87032710438, 7.00491326689, 4.4130176243, 6.69485329654, 3.49839866415], rtol=RTOL)
    assert_allclose(m["se"], [0.316452202439, 0.317178650298, 0.299800491025, 0.30020561968, 0.276799778941,
                              0.276618932397, 0.273637644489, 0.27293025307, 0.369792389323, 0.369605406857], rtol=RTOL)
    assert_allclose(m["df"], [58.2943565611, 58.7997193687, 58.2373337178, 58.5319288911, 58.44146488,
                              58.3660363867, 59.0330503736, 59.1334093556, 57.3278080249, 59.3066352207], rtol=RTOL)
    assert_allclose(m["ci_low"], [6.68159342569, 4.69291833616, 6.66323275741, 4.57438950602, 6.60595739501,
                                  4.31668807651, 6.457372019, 3.86691122815, 5.95444856537, 2.75889995307], rtol=RTOL)
    # R: cs <- summary(pairs(e, reverse = TRUE), infer = TRUE)   (BKP - control at each time)
    b = e.between_arms
    assert list(b["contrast"].unique()) == ["BKP - control"]
    assert_allclose(b["estimate"], [-1.9873366528, -2.08809648443, -2.2896161477, -2.59189564259, -3.19645463238],
                    rtol=RTOL)
    assert_allclose(b["se"], [0.448044967201, 0.424268486346, 0.391326144517, 0.386482190434, 0.522833212392],
                    rtol=RTOL)
    assert_allclose(b["df"], [58.546864731, 58.3845818072, 58.4039014575, 59.0841627411, 58.3054401477], rtol=RTOL)
    assert_allclose(b["p"], [4.10752491629e-05, 7.37177467521e-06, 2.35013479421e-07, 8.43028336163e-09,
                             8.6942348277e-08], rtol=RTOL)
    assert_allclose(b["ci_high"], [-1.09065553606, -1.23894992785, -1.50640708505, -1.81856961433, -2.15000696792],
                    rtol=RTOL)
    # R: summary(emtrends(m, ~ group, var = "months", lmer.df = "satterthwaite"), infer = TRUE)
    s = e.slopes
    assert_allclose(s["estimate"][:2], [-0.0516766617264, -0.152436493358], rtol=RTOL)
    assert_allclose(s["se"][:2], [0.0347877066941, 0.0350056755124], rtol=RTOL)
    assert_allclose(s["df"][:2], [57.8586922611, 60.1480733543], rtol=RTOL)
    assert_allclose(s["p"][:2], [0.142843668624, 5.26655048662e-05], rtol=RTOL)
    # the slope difference is the interaction coefficient (summary(m)$coefficients["months:groupBKP", ])
    assert_allclose([s["estimate"][2], s["df"][2]], [-0.100759831632, 58.9970521805], rtol=RTOL)


def test_one_arm_continuous_time():
    # R: m1 <- lmer(pain ~ months + (1 + months | id), data = d, REML = TRUE, control = tight)
    f = mm.fit_lmm(mm.build_time_design(D, value="pain", time="months", subject="id"))
    assert f.terms == ("(Intercept)", "months")
    assert_allclose(f.estimate, [6.31811365899, -0.102156653172], rtol=RTOL)
    assert_allclose(f.se, [0.257236983558, 0.0254881843994], rtol=RTOL)
    assert_allclose(f.df, [59.2196739119, 59.5772784367], rtol=RTOL)
    # R: summary(emmeans(m1, ~ months, at = list(months = c(0, 6)), lmer.df = "satterthwaite"))
    m = mm.marginal_means_at(f, [0, 6]).means
    assert_allclose(m["emmean"], [6.31811365899, 5.70517399939], rtol=RTOL)
    assert_allclose(m["se"], [0.257236983558, 0.254578904964], rtol=RTOL)
    # df at 0: summary(m1)$coefficients[1, "df"].  At 6 months emmeans gives 59.514777904, 1.6e-5 away from
    # lmerTest on the same mean: m6 <- lmer(pain ~ I(months - 6) + (1 + months | id), data = d, REML = TRUE,
    # control = tight); summary(m6)$coefficients[1, "df"] -> 59.5138054133, which we compare with
    assert_allclose(m["df"], [59.2196739119, 59.5138054133], rtol=RTOL)


def test_time_design_refusals(fit):
    with pytest.raises(DataError, match="no numeric 'months'"):
        mm.build_time_design(D.assign(months=D["months"].where(D.index != 3)), value="pain", time="months",
                             subject="id")
    with pytest.raises(DataError, match="single value"):
        mm.build_time_design(D.assign(months=1.0), value="pain", time="months", subject="id")
    with pytest.raises(UsageError, match="marginal_means_at"):
        mm.marginal_means(fit)
    with pytest.raises(UsageError, match="finite"):
        mm.marginal_means_at(fit, [np.nan])


# ---------------------------------------------------------------- issue 15: any column names
VISITS = ["baseline", "1w", "1m", "3m", "6m", "12m", "final"]


def _cafe_long() -> pd.DataFrame:
    w = cohort_cafe.make()
    cols = [f"nrs_{v}" for v in VISITS if f"nrs_{v}" in w]
    long = w.melt(id_vars=["patient_id", "arm"], value_vars=cols, var_name="visit", value_name="nrs")
    long["visit"] = long["visit"].str[4:]
    return long.dropna(subset=["nrs"]).astype({"nrs": float})


def test_marginal_means_with_renamed_columns_equal_arm_visit_names():
    long = _cafe_long()
    a = mm.fit_lmm(mm.build_design(long, value="nrs", visit="visit", subject="patient_id", visits=VISITS,
                                   arm="arm", arms=["control", "BKP"]))
    ren = long.rename(columns={"arm": "treatment", "visit": "timepoint", "patient_id": "pid", "nrs": "pain"})
    b = mm.fit_lmm(mm.build_design(ren, value="pain", visit="timepoint", subject="pid", visits=VISITS,
                                   arm="treatment", arms=["control", "BKP"]))
    assert b.terms[1] == "treatmentBKP" and b.terms[2] == "timepoint1w"
    ea, eb = mm.marginal_means(a), mm.marginal_means(b)
    for x, y in ((ea.means, eb.means), (ea.vs_baseline, eb.vs_baseline), (ea.between_arms, eb.between_arms)):
        assert not y.select_dtypes("number").isna().any().any()
        pd.testing.assert_frame_equal(x, y)
    assert len(eb.means) == 12  # 6 visits x 2 arms (no 'final' scores in this cohort)
    # R (tests/r/pain_lmm.R): emmeans(m2, ~ arm | visit): the control baseline mean is fixef(m2)[1]
    assert_allclose(eb.means["emmean"][0], 7.57692307692, rtol=RTOL)


def test_marginal_means_refuse_a_foreign_design():
    long = _cafe_long()
    f = mm.fit_lmm(mm.build_design(long, value="nrs", visit="visit", subject="patient_id", visits=VISITS,
                                   arm="arm", arms=["control", "BKP"]), satterthwaite=True)
    import dataclasses

    wrong = dataclasses.replace(f, visit_column="timepoint")  # terms say "visit...": refused, never NaN
    with pytest.raises(DataError, match="no term 'timepoint1w'"):
        mm.marginal_means(wrong)


def test_pain_job_continuous_time_model():
    from spinestats.reports import pain_job

    sec = pain_job.run(cohort_cafe.make(), time_model="continuous", emmeans_times="0,1,12")
    r = sec.results
    assert r["mixed_model_time"]["terms"] == ["(Intercept)", "time_months", "armBKP", "time_months:armBKP"]
    assert r["emmeans_time"]["times"] == [0.0, 1.0, 12.0]
    assert [(m["arm"], m["time"]) for m in r["emmeans_time"]["means"][:2]] == [("control", 0.0), ("BKP", 0.0)]
    # R (tests/r/pain_lmm_time.R, synthetic_cafe without 'final'): singular fit, as lme4 reports
    #    fixef(lmer(nrs ~ time * arm + (1 + time | patient_id))) -> 7.12354273496 -0.0330423862585 -1.9951758072
    assert_allclose(r["mixed_model_time"]["estimate"][:3], [7.12354273496, -0.0330423862585, -1.9951758072],
                    rtol=1e-6)
    assert r["mixed_model_time"]["singular"] is True
    assert r["flow"]["mixed_model_time"] == {"patients": 117, "observations": 657, "excluded_final": 0}
    assert r["options"]["time_model"] == "continuous"
    assert any("continuous covariate" in m for m in sec.methods)
    # the visit-as-factor model and its keys are unchanged
    plain = pain_job.run(cohort_cafe.make())
    assert plain.results["mixed_model"] == r["mixed_model"] and "mixed_model_time" not in plain.results
    with pytest.raises(UsageError, match="time model"):
        pain_job.run(cohort_cafe.make(), time_model="spline")


def test_pain_cli_time_model(tmp_path):
    import json

    from click.testing import CliRunner

    from spinestats.reports.cli.main import cli

    src = Path(cohort_cafe.__file__).parent / "synthetic_cafe.csv"
    out = tmp_path / "o"
    res = CliRunner().invoke(cli, ["pain", str(src), "--time-model", "continuous", "--emmeans-times", "0,6",
                                   "--figure-format", "png", "--dpi", "72", "--out", str(out)])
    assert res.exit_code == 0, res.output
    r = json.loads((out / "results.json").read_text(encoding="utf-8"))
    r = r.get("pain", r)
    assert r["emmeans_time"]["times"] == [0.0, 6.0] and len(r["emmeans_time"]["between_arms"]) == 2
    t = pd.read_csv(out / "tables" / "pain_emmeans_time_between_arms.csv")
    assert_allclose(t["estimate"], [b["estimate"] for b in r["emmeans_time"]["between_arms"]])
    assert (out / "tables" / "pain_mixed_model_time.csv").exists()
    bad = CliRunner().invoke(cli, ["pain", str(src), "--time-model", "continuous", "--emmeans-times", "0,six",
                                   "--out", str(tmp_path / "p")])
    assert bad.exit_code == 2 and "--emmeans-times" in bad.output

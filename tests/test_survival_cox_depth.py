"""Cox depth: the robust score test and the ``cox.zph`` time transforms, against R's survival 3.x.

Input: ``tests/data/cox1.csv`` (``cox_data()`` of test_survival_cox.py); R code in
``tests/r/survival_cox_depth.R`` and beside each value.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from spinestats.analysis.survival.cox import cox_ph
from spinestats.analysis.survival.cox_zph import cox_zph
from spinestats.errors import UsageError

DATA = Path(__file__).parent / "data"
D = pd.read_csv(DATA / "cox1.csv")
COV = ["x1", "x2"]


def test_robust_score_test_with_cluster_matches_rscore():
    # R: f <- coxph(Surv(time, status) ~ x1 + x2, data = d, cluster = centre)
    #    sprintf("%.12g", c(f$rscore, summary(f)$robscore))  -> 4.3897234696 (df 2, p 0.111373959583)
    r = cox_ph(D, time="time", event="status", covariates=COV, cluster="centre")
    t = r.tests["robust_score"]
    assert_allclose(t["statistic"], 4.3897234696, rtol=1e-6)
    assert t["df"] == 2
    assert_allclose(t["p"], 0.111373959583, rtol=1e-6)
    # the model-based score test is unchanged (R: f$score)
    assert_allclose(r.tests["score"]["statistic"], 27.1030223111, rtol=1e-10)


def test_robust_score_test_variants_match_rscore():
    # R: coxph(Surv(time, status) ~ x1 + x2, data = d, robust = TRUE)$rscore -> 29.9541842163 (p 3.1299077861e-07)
    r = cox_ph(D, time="time", event="status", covariates=COV, robust=True)
    assert_allclose(r.tests["robust_score"]["statistic"], 29.9541842163, rtol=1e-6)
    assert_allclose(r.tests["robust_score"]["p"], 3.1299077861e-07, rtol=1e-6)
    # R: coxph(..., ties = "breslow", cluster = centre)$rscore -> 4.35302398214
    r = cox_ph(D, time="time", event="status", covariates=COV, cluster="centre", ties="breslow")
    assert_allclose(r.tests["robust_score"]["statistic"], 4.35302398214, rtol=1e-6)
    # R: coxph(Surv(time, status) ~ x1 + x2 + strata(st), data = d, cluster = centre)$rscore -> 4.04333349232
    r = cox_ph(D, time="time", event="status", covariates=COV, cluster="centre", strata="st")
    assert_allclose(r.tests["robust_score"]["statistic"], 4.04333349232, rtol=1e-6)
    # R: coxph(Surv(time, status) ~ x1, data = d, cluster = centre)$rscore -> 3.54195499679
    r = cox_ph(D, time="time", event="status", covariates=["x1"], cluster="centre")
    assert_allclose(r.tests["robust_score"]["statistic"], 3.54195499679, rtol=1e-6)
    assert r.tests["robust_score"]["df"] == 1


def test_robust_score_absent_without_robust_and_explicit_when_singular():
    assert "robust_score" not in cox_ph(D, time="time", event="status", covariates=COV).tests
    # one cluster: D0'D0 has rank 1 < 2 terms -> NaN with singular = True, never a LinAlgError
    d = D.assign(one=1)
    t = cox_ph(d, time="time", event="status", covariates=COV, cluster="one").tests["robust_score"]
    assert t["singular"] is True and np.isnan(t["statistic"]) and np.isnan(t["p"])


@pytest.mark.parametrize("transform, chisq, x3", [
    # R: fit <- coxph(Surv(time, status) ~ x1 + x2, data = d)
    #    z <- cox.zph(fit, transform = tr); sprintf("%.12g", z$table[, "chisq"]); z$x[1:3]
    ("km", [0.898362158745, 1.47152858439, 2.02740090402], [0, 0, 0]),
    ("rank", [1.4341849073, 1.58461214334, 2.68393995201], [6.5, 6.5, 6.5]),
    ("identity", [0.0782821192623, 0.549697314516, 0.991609559558], [1, 1, 1]),
    ("log", [0.447238577941, 1.31310652355, 1.54038705287], [0, 0, 0]),
])
def test_cox_zph_each_transform_matches_r(transform, chisq, x3):
    z = cox_zph(D, time="time", event="status", covariates=COV, transform=transform)
    assert z.transform == transform
    assert_allclose(z.table["chisq"], chisq, rtol=1e-6)
    assert_allclose(z.x[:3], x3, atol=1e-12)


def test_survival_job_reports_transform_and_robust_score(tmp_path):
    from spinestats.reports import survival_job

    sec = survival_job.run(D, time="time", event="status", covariates=COV, cluster="centre", zph_transform="rank")
    cox = sec.results["cox"]
    assert cox["ph_transform"] == "rank"
    assert_allclose([r["chisq"] for r in cox["ph_test"]], [1.4341849073, 1.58461214334, 2.68393995201], rtol=1e-6)
    assert_allclose(cox["tests"]["robust_score"]["statistic"], 4.3897234696, rtol=1e-6)
    assert sec.results["options"]["zph_transform"] == "rank"
    text = " ".join(sec.methods)
    assert "rank transform of time" in text and "robust (Lin-Wei) score test" in text
    with pytest.raises(UsageError, match="zph_transform"):
        survival_job.run(D, time="time", event="status", covariates=COV, zph_transform="sqrt")


def test_survival_cli_zph_transform(tmp_path):
    import json

    from click.testing import CliRunner

    from spinestats.reports.cli.main import cli

    f = tmp_path / "d.csv"
    D.to_csv(f, index=False)
    out = tmp_path / "o"
    res = CliRunner().invoke(cli, ["survival", str(f), "--time", "time", "--event", "status", "--covariates", "x1,x2",
                                   "--zph-transform", "log", "--figure-format", "png", "--out", str(out)])
    assert res.exit_code == 0, res.output
    cox = json.loads((out / "results.json").read_text(encoding="utf-8"))
    cox = cox.get("survival", cox)["cox"]
    assert cox["ph_transform"] == "log"
    assert_allclose([r["chisq"] for r in cox["ph_test"]], [0.447238577941, 1.31310652355, 1.54038705287], rtol=1e-6)
    bad = CliRunner().invoke(cli, ["survival", str(f), "--time", "time", "--event", "status", "--zph-transform", "sqrt",
                                   "--out", str(tmp_path / "p")])
    assert bad.exit_code == 2

"""The ratio-scale summary of a regression model (analysis/prediction/ratio_summary.py) against R.

Fine-Gray and cause-specific Cox at a 90% level on tests/data/fracture_cohort.csv: R code in
``tests/r/fracture_ratio_summary.R`` (cmprsk::crr and survival::coxph, ``summary(..., conf.int = 0.90)``).
Firth: the odds ratios are ``exp`` of the brglm2/profile values of tests/test_fracture_firth.py
(``tests/r/fracture_firth.R``) on the same 20 rows.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from spinestats.analysis.competing_risks.finegray import fine_gray
from spinestats.analysis.prediction.firth import logistic_regression
from spinestats.analysis.prediction.ratio_summary import ratio_summary
from spinestats.analysis.survival.cox import cox_ph
from spinestats.errors import UsageError

DATA = Path(__file__).resolve().parent / "data" / "fracture_cohort.csv"


@pytest.fixture(scope="module")
def cohort():
    d = pd.read_csv(DATA)
    d["modality"] = pd.Categorical(d["modality"], categories=["CIRT", "SBRT", "conventional"])
    return d


def test_fine_gray_summary_at_90_percent_matches_crr(cohort):
    s = ratio_summary(fine_gray(cohort, time="time_months", event="event", covariates=["sins_total", "modality"],
                                conf_level=0.90))
    # s <- summary(crr(...), conf.int = 0.90); s$conf.int[, c(1, 3, 4)]; 2 * pnorm(-abs(coef / se))
    assert_allclose(s.estimate, [1.64929426229, 0.305923793386, 0.0987811210168], rtol=1e-5)
    assert_allclose(s.lower, [1.33196200675, 0.107324233357, 0.0277444999443], rtol=1e-5)
    assert_allclose(s.upper, [2.04222909499, 0.872024559901, 0.351698891273], rtol=1e-5)
    assert_allclose(s.p, [0.000117499176885, 0.0629016549307, 0.00271392408504], rtol=1e-5)
    assert (s.type, s.scale, s.conf_level, s.n, s.events) == ("finegray", "subdistribution hazard ratio", 0.90, 126, 15)
    assert s.competing == int((cohort["event"] == 2).sum())
    d = s.to_dict()
    assert set(d) == {"type", "scale", "terms", "coef", "se", "estimate", "lower", "upper", "p", "n", "events",
                      "competing", "converged"}  # results.json keys; the level is stated once, in the options


def test_cause_specific_cox_summary_at_90_percent_matches_coxph(cohort):
    s = ratio_summary(cox_ph(cohort, time="time_months", event="event", covariates=["sins_total", "modality"],
                             cause=1, conf_level=0.90))
    # s <- summary(coxph(Surv(time_months, event == 1) ~ sins_total + modality, ties = "efron"), conf.int = 0.90)
    assert_allclose(s.estimate, [1.62369445991, 0.342033600399, 0.123604769396], rtol=1e-5)
    assert_allclose(s.lower, [1.27033381216, 0.12255576869, 0.0352640556967], rtol=1e-5)
    assert_allclose(s.upper, [2.07534718347, 0.954561217735, 0.433249628144], rtol=1e-5)
    assert_allclose(s.p, [0.00116004919425, 0.0855448739658, 0.00611026651253], rtol=1e-5)
    assert s.type == "cox" and s.competing is None and "competing" not in s.to_dict()


def test_firth_summary_is_the_odds_ratio_without_the_intercept():
    d = pd.DataFrame({
        "y": [0, 0, 1, 1, 0, 1, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 1, 0],
        "x1": [1.2, 0.5, 2.3, 3.1, 0.9, 2.8, 1.5, 0.3, 3.5, 2.2, 1.1, 4.0, 2.9, 1.8, 3.3, 2.5, 3.8, 0.7, 1.9, 2.6],
        "x2": [0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0, 1, 0, 1, 1, 1, 1, 0, 0, 1]})
    s = ratio_summary(logistic_regression(d, outcome="y", covariates=["x1", "x2"]))
    # brglm2 estimates and the profile penalised-likelihood CI of tests/r/fracture_firth.R, exponentiated
    assert_allclose(s.estimate, np.exp([2.11038304484, -1.51130817104]), rtol=1e-6)
    assert_allclose(s.lower, np.exp([0.64974738429, -5.34490334648]), rtol=1e-5)
    assert_allclose(s.upper, np.exp([4.61885498068, 1.12477994661]), rtol=1e-5)
    assert_allclose(s.intercept, -4.0564122878, rtol=1e-6)
    assert s.terms == ("x1", "x2") and s.separation == "none"
    assert s.to_dict()["ci_method"] == "profile penalised likelihood"


def test_other_results_are_refused():
    with pytest.raises(UsageError, match="Fine-Gray, Cox or logistic"):
        ratio_summary(object())  # type: ignore[arg-type]

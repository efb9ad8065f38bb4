"""Firth and ML logistic regression against R (brglm2, glm, a hand-coded profile).

R code: ``tests/r/fracture_firth.R``.  Firth estimates and standard errors
come from brglm2 ``glm(y ~ x1 + x2, binomial, method = "brglmFit", type =
"AS_mean")``.  brglm2 has no profile penalised-likelihood interval, so the
CIs and penalised LR p-values are checked against a direct R computation of
the penalised log-likelihood ``l(b) + 0.5 log det(X'WX)``, profiled with
``optim`` (BFGS, reltol 1e-15) and solved with ``uniroot`` (tol 1e-10) --
the logistf definitions.
"""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from spinestats.analysis.prediction.firth import logistic_regression
from spinestats.analysis.prediction.separation import detect_separation
from spinestats.errors import DataError

D = pd.DataFrame(
    {
        "y": [0, 0, 1, 1, 0, 1, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 1, 0],
        "x1": [1.2, 0.5, 2.3, 3.1, 0.9, 2.8, 1.5, 0.3, 3.5, 2.2, 1.1, 4.0, 2.9, 1.8, 3.3, 2.5, 3.8, 0.7, 1.9, 2.6],
        "x2": [0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0, 1, 0, 1, 1, 1, 1, 0, 0, 1],
    }
)
SEPARATED = pd.DataFrame({"y": [0, 0, 0, 0, 1, 1, 1, 1, 0, 1], "x": [1, 2, 3, 4, 5, 6, 7, 8, 2.5, 9]})


@pytest.fixture(scope="module")
def firth():
    return logistic_regression(D, outcome="y", covariates=["x1", "x2"])


def test_firth_estimates_match_brglm2(firth):
    # coef(glm(y ~ x1 + x2, family=binomial, data=d, method="brglmFit", type="AS_mean"))
    assert_allclose(firth.estimate, [-4.0564122878, 2.11038304484, -1.51130817104], rtol=1e-6)
    # sqrt(diag(vcov(f)))
    assert_allclose(firth.se, [1.73974562134, 0.928306335295, 1.60101271898], rtol=1e-6)
    # pl(coef(f)) with pl = loglik + 0.5 log det(X'WX)
    assert_allclose(firth.loglik, -6.87478872737, rtol=1e-8)


def test_firth_profile_ci_and_penalised_lr_p(firth):
    # uniroot(2*(lmax - prof(r, v)) - qchisq(0.95, 1)) each side; p = pchisq(2*(lmax - prof(r, 0)), 1, lower=FALSE)
    assert_allclose(firth.lower, [-8.52768697924, 0.64974738429, -5.34490334648], rtol=1e-5)
    assert_allclose(firth.upper, [-1.31205065715, 4.61885498068, 1.12477994661], rtol=1e-5)
    assert_allclose(firth.p, [0.00154155663782, 0.00233812190021, 0.285010614475], rtol=1e-5)


def test_ml_matches_glm():
    # coef(glm(y ~ x1 + x2, family=binomial, data=d))
    m = logistic_regression(D, outcome="y", covariates=["x1", "x2"], method="ml")
    assert_allclose(m.estimate, [-5.45428304887, 2.91545086917, -2.22434332875], rtol=1e-6)
    # MASS confint(m): -11.5858758983 1.01715841708 -6.90014363307 | -1.96792951893 6.34702488287 0.963418139839
    # MASS interpolates the profile with a spline; we solve for the exact root, so the
    # bounds agree to about 1e-3 only (documented difference, not a tolerance loosened to pass).
    assert_allclose(m.lower, [-11.5858758983, 1.01715841708, -6.90014363307], atol=2e-3)
    assert_allclose(m.upper, [-1.96792951893, 6.34702488287, 0.963418139839], atol=2e-3)


def test_complete_separation_firth_finite_ml_refused():
    # glm(y ~ x, binomial, s, method="brglmFit", type="AS_mean"): -5.05120046166 1.10454780536
    f = logistic_regression(SEPARATED, outcome="y", covariates=["x"])
    assert_allclose(f.estimate, [-5.05120046166, 1.10454780536], rtol=1e-6)
    assert f.separation == "complete"
    assert np.all(np.isfinite(f.lower)) and np.all(np.isfinite(f.upper))
    assert any("separation" in w for w in f.warnings)
    with pytest.raises(DataError, match="complete separation.*infinite.*Firth"):
        logistic_regression(SEPARATED, outcome="y", covariates=["x"], method="ml")


def test_quasi_complete_separation_detected():
    X = np.column_stack([np.ones(8), [0, 0, 0, 0, 1, 1, 1, 1]])
    y = np.array([0, 1, 0, 1, 1, 1, 1, 1])  # x = 1 -> always 1; x = 0 mixed
    assert detect_separation(X, y).kind == "quasi-complete"
    assert detect_separation(X, np.array([0, 1, 0, 1, 1, 0, 1, 1])).kind == "none"


def test_missing_rows_are_counted_not_silent():
    d = D.copy()
    d.loc[3, "x1"] = np.nan
    r = logistic_regression(d, outcome="y", covariates=["x1", "x2"])
    assert r.n == 19 and r.excluded == (3,)
    assert any("1 row(s)" in w for w in r.warnings)


def test_input_is_not_modified():
    d = D.copy()
    logistic_regression(d, outcome="y", covariates=["x1", "x2"])
    pd.testing.assert_frame_equal(d, D)


def test_constant_outcome_refused():
    with pytest.raises(DataError, match="both events and non-events"):
        logistic_regression(D.assign(y=0), outcome="y", covariates=["x1"])

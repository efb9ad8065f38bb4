"""``Result.plot()`` (issue 15): the report's figure of one result, returned as a matplotlib Figure.

The checks look at what was drawn (axis labels, plotted arrays), not at
pixels: each figure must show the numbers of the result it came from.
"""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from numpy.testing import assert_allclose

import spinestats as ss
from spinestats.analysis.prediction.calibration import calibration
from spinestats.analysis.prediction.decision_curve import decision_curve

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def fracture():
    d = ss.example("fracture")
    return d.assign(risk=1.0 / (1.0 + np.exp(-(d["age"] - 65.0) / 10.0)))


@pytest.fixture(autouse=True)
def _close():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def _lines(ax):
    return [ln for ln in ax.get_lines() if ln.get_drawstyle() == "steps-post"]


def test_kaplan_meier_plot_draws_the_curves(fracture):
    km = ss.kaplan_meier(fracture, time="time", event="death", group="modality")
    fig = km.plot()
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert ax.get_ylabel().replace("\n", " ") == "Survival probability (Kaplan\u2013Meier)"  # wrapped to fit
    assert ax.get_xlabel() == "Months from start of treatment"
    steps = _lines(ax)
    assert [ln.get_label() for ln in steps] == [str(g) for g in km.groups]
    for ln, curve in zip(steps, km.curves):
        y = ln.get_ydata()
        # the step heights are the survival estimates at the event times, from 1
        ev = curve.n_event > 0
        assert y[0] == 1.0
        assert_allclose(np.unique(y[1:]), np.unique(np.r_[curve.survival[ev]]), rtol=1e-12)
    # the number-at-risk table is there, with the result's counts at 0
    texts = [t.get_text() for a in fig.axes for t in a.texts]
    assert "Number at risk" in texts
    assert str(int(km.curves[0].at_risk(np.array([0.0]))[0])) in texts


def test_kaplan_meier_plot_into_given_axes_and_labels(fracture):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    km = ss.kaplan_meier(fracture, time="time", event="death")
    out = km.plot(ax=ax, unit="days", label="Overall survival")
    assert out is fig
    assert ax.get_xlabel() == "Days from start of treatment"
    assert ax.get_ylabel() == "Overall survival (Kaplan\u2013Meier)"
    assert [ln.get_label() for ln in _lines(ax)] == ["All patients"]


def test_cumulative_incidence_plot(fracture):
    cif = ss.cumulative_incidence(fracture, time="time", event="event", group="modality")
    fig = cif.plot(event_label="vertebral fracture")
    ax = fig.axes[0]
    assert ax.get_ylabel() == "Cumulative incidence of\nvertebral fracture"
    steps = _lines(ax)
    ours = [c for c in cif.curves if c.cause == cif.cause]
    assert len(steps) == len(ours)
    for ln, c in zip(steps, ours):
        assert ln.get_ydata()[0] == 0.0
        assert_allclose(ln.get_ydata()[-1], c.estimate[-1], rtol=1e-12)


@pytest.mark.parametrize("kind", ["cox", "fine_gray"])
def test_ratio_forest_plot(fracture, kind):
    if kind == "cox":
        fit = ss.cox(fracture, time="time", event="death", covariates=["age", "modality"])
        ratio, lo, hi = fit.hr, fit.hr_lower, fit.hr_upper
        word = "Cause-specific hazard ratio"
    else:
        fit = ss.fine_gray(fracture, time="time", event="event", covariates=["age", "modality"])
        ratio, lo, hi = fit.shr, fit.shr_lower, fit.shr_upper
        word = "Subdistribution hazard ratio"
    fig = fit.plot(term_labels={"age": "Age (years)"})
    assert isinstance(fig, Figure)
    ax = next(a for a in fig.axes if a.get_xlabel())
    assert ax.get_xlabel().startswith(word) and ax.get_xscale() == "log"
    texts = {t.get_text() for t in fig.findobj(matplotlib.text.Text)}
    assert "Age (years)" in texts
    # the point estimates drawn are the ratios
    xs = np.sort(np.concatenate([np.atleast_1d(c.get_offsets()[:, 0]) for c in ax.collections
                                 if hasattr(c, "get_offsets") and len(c.get_offsets())]
                                + [ln.get_xdata() for ln in ax.get_lines() if ln.get_marker() not in ("None", "", None)]))
    for r in ratio:
        assert np.any(np.isclose(xs, r, rtol=1e-9)), (r, xs)
    assert np.all(lo < ratio) and np.all(ratio < hi)


def test_zph_plot(fracture):
    zph = ss.cox_zph(fracture, time="time", event="death", covariates=["age"])
    fit = ss.cox(fracture, time="time", event="death", covariates=["age"])
    fig = zph.plot(coef=dict(zip(fit.terms, fit.coef)), term_labels={"age": "Age"})
    ax = fig.axes[0]
    assert ax.get_ylabel() == "\u03b2(t) for Age"
    pts = next(ln for ln in ax.get_lines() if ln.get_marker() == "o")
    assert_allclose(pts.get_xdata(), zph.x, rtol=1e-12)
    assert_allclose(pts.get_ydata(), zph.residuals["age"].to_numpy(), rtol=1e-12)


def test_roc_plot():
    curve = ss.roc(ss.example("dss"), score="dss", truth="reference", positive="malignant")
    fig = curve.plot()
    ax = fig.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("1 \u2212 specificity", "Sensitivity")
    line = next(ln for ln in ax.get_lines() if ln.get_label().startswith("AUC"))
    assert line.get_label() == f"AUC {curve.auc:.3f}"
    assert_allclose(line.get_xdata(), 1 - curve.specificities)
    assert_allclose(line.get_ydata(), curve.sensitivities)


def test_meta_forest_plot():
    d = pd.DataFrame({"yi": [0.1, 0.3, 0.5, 0.2], "vi": [0.02, 0.03, 0.05, 0.04]})
    fit = ss.meta_reml(d, yi="yi", vi="vi")
    fig = fit.plot(label="Log odds ratio")
    assert isinstance(fig, Figure)
    texts = [t.get_text().replace("\n", " ") for t in fig.findobj(matplotlib.text.Text)]
    assert "Pooled (random effects, REML)" in texts
    assert f"{fit.estimate:.2f} ({fit.ci[0]:.2f}\u2013{fit.ci[1]:.2f})" in texts  # as the tables write it
    assert [f"study {i}" for i in range(1, 5)] == [t for t in texts if t.startswith("study")]
    assert any(a.get_xlabel() == "Log odds ratio (95% CI)" for a in fig.axes)


def test_calibration_and_decision_curve_plots(fracture):
    k = dict(time="time", event="event", risk="risk", horizon=24.0)
    cal = calibration(fracture, **k)
    fig = cal.plot(outcome="fracture")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "Predicted risk of fracture by 24 months"
    assert ax.get_ylabel() == "Observed cumulative incidence"
    dc = decision_curve(fracture, **k)
    fig = dc.plot(outcome="fracture")
    ax = fig.axes[0]
    assert ax.get_ylabel() == "Net benefit"
    model = next(ln for ln in ax.get_lines() if ln.get_label() == "Model")
    assert_allclose(model.get_xdata(), dc.threshold)
    assert_allclose(model.get_ydata(), dc.model)

"""The shared step-curve plotter: the plotted arrays, not pixels."""

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib import pyplot as plt  # noqa: E402
from numpy.testing import assert_allclose  # noqa: E402

from spinestats.analysis.competing_risks.cuminc import cumulative_incidence  # noqa: E402
from spinestats.analysis.survival.kaplan_meier import kaplan_meier  # noqa: E402
from spinestats.reports.step_plot import (StepCurve, cif_curves, km_curves, plot_step_curves,  # noqa: E402
                                          reverse_km_curves)

D = pd.DataFrame(
    dict(time=[1, 2, 2, 3, 4, 4, 5, 6, 7, 8, 9, 10, 2, 3, 4, 5, 6, 7],
         status=[1, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1, 2, 0, 1, 0, 2],
         g=["a"] * 12 + ["b"] * 6)
)


def test_km_plot_draws_the_estimates_ticks_and_at_risk_table():
    km = kaplan_meier(D, time="time", event="status", group="g", cause=1)
    curves = km_curves(km, risk_times=[0, 2, 4, 6, 8])
    p = plot_step_curves(curves, cumulative_rows=True, pvalue="Log-rank p = 0.5",
                         median_lines=[km.median(g)["estimate"] for g in km.groups])
    a = km.curve("a")
    x, y = p.lines[0]
    ev = a.n_event > 0
    assert_allclose(x[1:-1], a.time[ev])
    assert_allclose(y[1:-1], a.survival[ev])
    assert x[-1] == 10 and y[0] == 1.0
    # censoring ticks sit on the curve at the censored times
    ct, cy = p.ticks[0]
    assert_allclose(ct, [2, 4, 6, 8, 10])
    assert_allclose(cy, [a.survival[a.time == t][0] for t in ct])
    # at-risk table = numbers at risk at the table times (entry < t <= exit)
    assert p.table["Number at risk"][0] == [12, 11, 8, 5, 3]
    assert p.table["Cumulative events"][0] == [0, 2, 4, 5, 6]
    assert p.table["Cumulative censored"][0] == [0, 1, 2, 3, 4]
    assert_allclose(p.table_times, [0, 2, 4, 6, 8])
    assert p.annotations == ["Log-rank p = 0.5"]
    assert p.quantile_lines[0] == (km.median("a")["estimate"], 0.5)
    # CI band drawn from the result's lower/upper
    bx, lo, hi = p.bands[0]
    assert_allclose(lo[1:-1], a.lower[ev])
    plt.close(p.figure)


def test_cif_plot_starts_at_zero_and_uses_cmprsk_estimates():
    cif = cumulative_incidence(D, time="time", event="status", group="g")
    curves = cif_curves(cif, cause=1, risk_times=[0, 5])
    assert [c.label for c in curves] == ["a", "b"] and all(c.start == 0.0 for c in curves)
    p = plot_step_curves(curves, ylabel="Cumulative incidence")
    x, y = p.lines[1]
    assert y[0] == 0.0
    assert_allclose(y[1:-1], cif.curve("b", 1).estimate)
    assert p.table["Number at risk"][1] == [6, 3]  # group b: times 2..7, three with time >= 5
    plt.close(p.figure)


def test_generic_curves_on_a_given_axes_and_reverse_km():
    fig, ax = plt.subplots()
    c = StepCurve(label="x", time=np.array([1.0, 3.0]), estimate=np.array([0.2, 0.5]), start=0.0,
                  censor_times=np.array([2.0]), end_time=4.0, risk_times=np.array([0.0, 2.0]), n_at_risk=np.array([10, 6]))
    p = plot_step_curves([c], ax=ax, ci=False)
    assert p.ax is ax and p.ticks[0][1].tolist() == [0.2]
    assert p.lines[0][0].tolist() == [0, 1, 3, 4]
    km = kaplan_meier(D[D["g"] == "a"], time="time", event="status")
    rc = reverse_km_curves(km, risk_times=[0, 5])
    # reverse KM: censoring is the event; the first drop is at the first censored time (2)
    assert rc[0].time[0] == 2.0
    plt.close(fig)


def test_zph_plot_draws_the_scaled_residuals():
    from spinestats.analysis.survival.cox import cox_ph
    from spinestats.analysis.survival.cox_zph import cox_zph
    from spinestats.reports.survival_figures import plot_zph

    rng = np.random.default_rng(3)
    d = pd.DataFrame({"t": rng.integers(1, 30, 80).astype(float), "e": rng.integers(0, 2, 80), "x": rng.normal(size=80)})
    z = cox_zph(d, time="t", event="e", covariates=["x"])
    fit = cox_ph(d, time="t", event="e", covariates=["x"])
    p = plot_zph(z, dict(zip(fit.terms, fit.coef)))
    x, y = p.points["x"]
    assert_allclose(x, z.x)
    assert_allclose(y, z.residuals["x"])
    assert len(y) == int(d["e"].sum())
    from spinestats.analysis.survival.cox_zph import zph_smooth

    sm = zph_smooth(z, "x")
    drawn = [ln for ln in p.axes[0].get_lines() if ln.get_label() == "Smooth"][0]
    assert_allclose(drawn.get_ydata(), sm.fit)  # the smooth of plot(cox.zph), drawn as computed
    assert [ln.get_ydata()[0] for ln in p.axes[0].get_lines() if ln.get_linestyle() == "-" and len(ln.get_ydata()) == 2][0] == 0.0
    assert "Kaplan\u2013Meier\ntransform" in p.axes[0].get_xlabel() and "months" in p.axes[0].get_xlabel()
    plt.close(p.figure)


def test_group_with_one_patient_and_no_events_still_draws_and_says_so():
    d = pd.concat([D[D["g"] == "a"], pd.DataFrame({"time": [5.0], "status": [0], "g": ["c"]})], ignore_index=True)
    km = kaplan_meier(d, time="time", event="status", group="g", cause=1)
    curves = km_curves(km, risk_times=[0, 2, 4, 6, 8])
    p = plot_step_curves(curves, pvalue="Log-rank p = 0.5")
    labels = [t.get_text() for t in p.ax.get_legend().get_texts()]
    assert labels == ["a", "c (no events)"]
    x, y = p.lines[1]
    assert_allclose(y, 1.0) and x[-1] == 5.0  # flat at 1 up to the single patient's follow-up
    assert p.table["Number at risk"][1] == [1, 1, 1, 0, 0]
    # the test's p-value sits in a corner clear of the legend
    r = p.figure.canvas.get_renderer()
    note = [t for t in p.ax.texts if t.get_text() == "Log-rank p = 0.5"][0]
    assert not note.get_window_extent(r).overlaps(p.ax.get_legend().get_window_extent(r))
    plt.close(p.figure)

"""Figure parts of issue 13 checked on small inputs: the CI band's end, "(no events)", the events
table, legend titles and value labels, long labels wrapped (and the warning that names them), and
the figure lint's own checks failing on figures built to break them."""

import warnings

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib import pyplot as plt  # noqa: E402
from numpy.testing import assert_allclose  # noqa: E402

from figure_lint import lint_figure  # noqa: E402
from spinestats.analysis.competing_risks.cuminc import cumulative_incidence  # noqa: E402
from spinestats.analysis.survival.kaplan_meier import kaplan_meier  # noqa: E402
from spinestats.data_schemas.labels import Labels  # noqa: E402
from spinestats.reports.figure_style import journal_figure  # noqa: E402
from spinestats.reports.placement import FigureTextWarning, fit_texts, wrap_label  # noqa: E402
from spinestats.reports.step_plot import StepCurve, cif_curves, km_curves, plot_step_curves  # noqa: E402
from test_pain_job import _cafe_long_summary  # noqa: E402
from test_survival_plot import D  # noqa: E402  (the small two-group data of the step-plot tests)

pytestmark = pytest.mark.filterwarnings("error:Glyph")  # a missing glyph (boxes for Japanese text) fails


def test_ci_band_ends_where_the_curve_ends():
    km = kaplan_meier(D, time="time", event="status", group="g", cause=1)
    p = plot_step_curves(km_curves(km, risk_times=[0, 5]))
    for (x, _), (bx, lo, hi) in zip(p.lines, p.bands):
        assert bx[-1] == x[-1]  # the last follow-up: not beyond, not before
        assert np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))
    plt.close(p.figure)


def test_ci_band_stops_where_the_ci_is_undefined():
    # survival falls to 0 at t = 3: a log CI is undefined there (NaN, as R), so the band stops at 3
    c = StepCurve(label="x", time=np.array([1.0, 2.0, 3.0]), estimate=np.array([0.6, 0.3, 0.0]),
                  lower=np.array([0.3, 0.1, np.nan]), upper=np.array([0.9, 0.7, np.nan]), end_time=5.0,
                  risk_times=np.array([0.0]), n_at_risk=np.array([5]))
    p = plot_step_curves([c])
    bx, lo, hi = p.bands[0]
    assert_allclose(bx, [0, 1, 2, 3])
    assert_allclose(lo, [1, 0.3, 0.1, 0.1])
    assert_allclose(hi, [1, 0.9, 0.7, 0.7])
    assert p.lines[0][0][-1] == 5.0  # the curve itself goes on to the last follow-up
    plt.close(p.figure)


def test_a_single_curve_without_events_says_so_in_a_legend():
    d = pd.DataFrame({"time": [3.0, 5.0], "status": [0, 0]})
    cif = cumulative_incidence(pd.concat([d, pd.DataFrame({"time": [4.0], "status": [2]})]), time="time",
                               event="status")
    p = plot_step_curves(cif_curves(cif, cause=1, risk_times=[0, 2]), ylabel="Cumulative incidence")
    assert [t.get_text() for t in p.ax.get_legend().get_texts()] == ["All patients (no events)"]
    assert_allclose(p.lines[0][1], 0.0)
    plt.close(p.figure)


def test_events_table_legend_title_and_value_labels():
    labels = Labels("fracture", strict=False)
    d = D.assign(modality=np.where(D["g"] == "a", "conventional", "SBRT"))
    km = kaplan_meier(d, time="time", event="status", group="modality", cause=1)
    shown = {g: labels.value("modality", g) for g in km.groups}
    p = plot_step_curves(km_curves(km, risk_times=[0, 4, 8], labels=shown), events_table=True,
                         legend_title=labels.name("modality"))
    leg = p.ax.get_legend()
    assert leg.get_title().get_text() == "Modality"
    assert sorted(t.get_text() for t in leg.get_texts()) == ["Conventional RT", "SBRT"]
    events = p.table["Cumulative number of events"]
    assert events[km.groups.index("conventional")] == [0, 4, 6]  # group a: events at 1, 2, 3, 4, then 5 and 7
    rows = [t.get_text() for t in p.figure.get_axes()[1].texts]
    assert "Number at risk" in rows and "Cumulative number of events" in rows and "Conventional RT" in rows
    assert rows.index("Cumulative number of events") > rows.index("Number at risk")
    assert not lint_figure(p.figure, "km with events table")
    plt.close(p.figure)


def test_median_lines_are_optional():
    km = kaplan_meier(D, time="time", event="status", group="g", cause=1)
    p = plot_step_curves(km_curves(km, risk_times=[0, 5]), median_lines=None)
    assert p.quantile_lines == []
    plt.close(p.figure)


def test_a_long_label_is_wrapped_and_a_word_that_cannot_fit_is_named_in_a_warning():
    assert wrap_label("Stereotactic body radiotherapy with simultaneous boost", 20) == \
        "Stereotactic body\nradiotherapy with\nsimultaneous boost"
    with pytest.warns(FigureTextWarning, match="figure 'x_km'.*Pneumonoultramicroscopicsilicovolcanoconiosis"):
        out = wrap_label("Pneumonoultramicroscopicsilicovolcanoconiosis arm", 20, "x_km")
    assert out == "Pneumonoultramicrosc\nopicsilicovolcanocon\niosis arm"  # cut, so the layout holds
    assert wrap_label("Pneumonoultramicroscopicsilicovolcanoconiosis", 20).count("\n") == 0  # measuring only
    km = kaplan_meier(D, time="time", event="status", group="g", cause=1)
    long = {"a": "Carbon-ion radiotherapy with a dose of seventy gray or more", "b": "Control"}
    with warnings.catch_warnings():
        warnings.simplefilter("error", FigureTextWarning)  # breakable at spaces: wrapped, no warning
        p = plot_step_curves(km_curves(km, risk_times=[0, 5], labels=long), figure_name="long_km")
    legend = [t.get_text() for t in p.ax.get_legend().get_texts()]
    assert legend[0] == wrap_label(long["a"], 30) and "\n" in legend[0]
    assert not lint_figure(p.figure, "long_km")
    plt.close(p.figure)


def test_a_text_running_off_the_canvas_is_rewrapped_or_named():
    fig, ax = journal_figure("single")
    ax.set_xlabel("A very long axis label that runs well beyond the width of one journal column, really")
    assert fit_texts(fig, "wide") == []
    assert "\n" in ax.get_xlabel()
    fig2, ax2 = journal_figure("single")
    ax2.set_xlabel("X" * 120)
    with pytest.warns(FigureTextWarning, match="figure 'wider'"):
        assert fit_texts(fig2, "wider") == ["X" * 120]
    plt.close("all")


def test_the_lint_catches_lowercase_codes_big_legends_and_hyphens():
    fig, ax = journal_figure("single")
    ax.plot([0, 1], [0, 1], label="stable")
    ax.plot([0, 1], [1, 2], label="Unstable")
    ax.set_xlabel("1 - specificity")
    ax.set_ylim(0, 6)
    ax.legend(loc="upper left", fontsize=9, frameon=False)
    problems = "\n".join(lint_figure(fig, "bad"))
    assert "'stable' does not start with a capital" in problems
    assert "larger than the tick labels" in problems
    assert "hyphen-minus" in problems
    plt.close(fig)


def test_zph_panels_use_term_labels_and_ticks_do_not_collide():
    from spinestats.analysis.survival.cox import cox_ph
    from spinestats.analysis.survival.cox_zph import cox_zph
    from spinestats.reports.survival_figures import plot_zph

    rng = np.random.default_rng(3)
    d = pd.DataFrame({"t": rng.exponential(30, 80).round(1) + 0.5, "e": rng.integers(0, 2, 80),
                      "modality": rng.choice(["CIRT", "SBRT"], 80)})
    z = cox_zph(d, time="t", event="e", covariates=["modality"])
    fit = cox_ph(d, time="t", event="e", covariates=["modality"])
    labels = Labels("fracture", strict=False)
    terms = {t: labels.coefficient_label(t, ["modality"]) for t in fit.terms}
    p = plot_zph(z, dict(zip(fit.terms, fit.coef)), term_labels=terms)
    ax = p.axes[0]
    assert ax.get_title(loc="left").startswith("Modality: SBRT (PH test p = ")
    assert "Modality: SBRT" in ax.get_ylabel().replace("\n", " ")
    ticks = ax.get_xticks()
    assert np.all(np.diff(ticks) >= 0.08 * np.ptp(z.x) - 1e-12)
    assert not lint_figure(p.figure, "ph_test")
    plt.close(p.figure)


def test_pain_figures_take_arm_visit_and_legend_labels_from_the_labelling_system():
    from spinestats.analysis.longitudinal.responders import responders
    from spinestats.reports import pain_figures

    wide, _, visits, s = _cafe_long_summary()
    labels = Labels("bkp", {"arm": {"label": "群", "values": {"BKP": "BKP群", "control": "対照群"}},
                            "visit.1w": "1週後"}, strict=False)
    ax = pain_figures.trajectory(s, visits=visits, labels=labels)
    leg = ax.get_legend()
    assert leg.get_title().get_text() == "群" and [t.get_text() for t in leg.get_texts()] == ["BKP群", "対照群"]
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks[:3] == ["Baseline", "1週後", "1\nmonth"]  # user label, then the schema's visit labels
    rows = [t.get_text() for t in ax.figure.get_axes()[1].texts]
    assert "BKP群" in rows and "対照群" in rows and "BKP" not in rows and "control" not in rows
    assert not lint_figure(ax.figure, "pain_trajectory")
    default = pain_figures.trajectory(s, visits=visits)  # no labels given: the bkp schema's
    assert [t.get_text() for t in default.get_legend().get_texts()] == ["Balloon kyphoplasty", "Control"]
    assert default.get_legend().get_title().get_text() == "Arm"
    resp = responders(wide, visit_columns={v: f"nrs_{v}" for v in visits[1:]}, baseline="nrs_baseline", arm="arm",
                      arms=("control", "BKP"))
    ax = pain_figures.responder_bars(resp, labels=labels)
    assert ax.get_xlabel() == "Visit" and ax.get_xticklabels()[0].get_text() == "1週後"
    assert ax.get_legend().get_title().get_text() == "群"
    assert not lint_figure(ax.figure, "pain_responders")
    plt.close("all")


def test_events_table_and_median_lines_are_plan_and_job_options(tmp_path):
    from spinestats.reports import survival_job
    from spinestats.reports.figure_style import observe_figures
    from spinestats.reports.plan_runner import job_options

    assert {"events_table", "median_lines"} <= set(job_options("survival"))
    seen = {}
    d = D.assign(status=(D["status"] == 1).astype(int))
    for events_table, median_lines in ((True, False), (False, True)):
        with observe_figures(lambda fig, stem, paths: seen.__setitem__((stem, events_table), fig)):
            survival_job.run(d, out_dir=tmp_path / str(events_table), time="time", event="status", group="g",
                             events_table=events_table, median_lines=median_lines, figure_formats=["png"], dpis=[72])
        fig = seen[("survival_km", events_table)]
        rows = [t.get_text() for t in fig.get_axes()[1].texts]
        assert ("Cumulative number of events" in rows) is events_table
        dotted = [ln for ln in fig.get_axes()[0].get_lines() if ln.get_linestyle() == ":"]
        assert bool(dotted) is median_lines
        assert fig.get_axes()[0].get_legend().get_title().get_text() == "G"  # the grouping variable's label

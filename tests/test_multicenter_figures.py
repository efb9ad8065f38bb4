"""Forest plot, SROC and flow diagram draw the numbers of their results; STARD items."""

import numpy as np
from numpy.testing import assert_allclose

from spinestats.analysis.pooling.bivariate_meta import reitsma
from spinestats.analysis.pooling.meta_reml import meta_proportion
from spinestats.analysis.diagnostic.stard import stard_items
from spinestats.reports.flow_diagram import flow_figure
from spinestats.reports.multicenter_figures import forest_plot, sroc_plot

TP = [49, 55, 24, 19, 26, 35, 44, 34, 48, 23]
FN = [10, 4, 1, 9, 6, 7, 8, 5, 11, 11]
FP = [31, 11, 21, 9, 9, 13, 14, 8, 25, 6]
TN = [83, 76, 76, 49, 78, 91, 96, 101, 92, 44]


def test_forest_plot_draws_centres_and_diamond():
    m = meta_proportion(TP, np.add(TP, FN), labels=[f"C{i}" for i in range(10)])
    fig, ax = forest_plot(m, label="Sensitivity")
    centres = [c for c in ax.collections if c.get_label() == "estimate"][0]
    xs = np.asarray(centres.get_offsets())[:, 0]
    assert_allclose(xs, np.array(TP) / (np.array(TP) + np.array(FN)), rtol=1e-12)
    diamond = ax.patches[-1].get_xy()
    assert_allclose([diamond[:, 0].min(), diamond[:, 0].max()], m.ci, rtol=1e-12)
    pi_line = [ln for ln in ax.lines if ln.get_label() == "95% prediction interval"][0]
    assert_allclose(pi_line.get_xdata(), m.prediction_interval, rtol=1e-12)


def test_sroc_plot_draws_curve_and_regions():
    fit = reitsma(TP, FP, FN, TN)
    fig, ax = sroc_plot(fit)
    curve = [ln for ln in ax.lines if ln.get_label().startswith("SROC")][0]
    assert_allclose(curve.get_xdata(), fit.sroc["fpr"])
    assert_allclose(curve.get_ydata(), fit.sroc["sensitivity"])
    pred = [ln for ln in ax.lines if ln.get_label().startswith("95% prediction")][0]
    assert_allclose(pred.get_xdata(), fit.prediction_region["fpr"])


def test_flow_figure_numbers_per_centre_and_total():
    flows = {
        "A": {"n_read": 101, "n_analysed": 100, "n_excluded": 1, "exclusions": [{"reason": "missing reference", "n": 1}]},
        "B": {"n_read": 92, "n_analysed": 90, "n_excluded": 2,
              "exclusions": [{"reason": "size 0", "n": 1}, {"reason": "missing reference", "n": 1}]},
    }
    fig, ax = flow_figure(flows)
    drawn = ax._spinestats_flow
    assert {k: drawn[k] for k in ("n_read", "n_excluded", "n_analysed", "reasons")} == {
        "n_read": 193, "n_excluded": 3, "n_analysed": 190, "reasons": [("Missing reference", 2), ("Size 0", 1)]}
    texts = " ".join(t.get_text() for t in ax.texts)
    assert "Records read from 2 centres\nn = 193" in texts and "Missing reference, n = 2" in texts


def test_stard_items_carry_the_numbers():
    flow = {"n_read": 485, "n_analysed": 480, "n_excluded": 5, "exclusions": [{"reason": "missing reference", "n": 5}]}
    acc = {"sensitivity": {"estimate": 0.9, "ci": [0.8, 0.95]}, "specificity": {"estimate": 0.85, "ci": [0.8, 0.9]}}
    st = stard_items(flow=flow, cells={"tp": 18, "fp": 6, "tn": 33, "fn": 2}, accuracy=acc, cutoff=3,
                     score_name="DSS", positive="malignant", prespecified=True, plan_hash="ab" * 32)
    items = {i["item"]: i for i in st.items}
    assert items["23"]["numbers"] == {"tp": 18, "fp": 6, "tn": 33, "fn": 2}
    assert "prespecified in the locked plan abababababab" in items["12a"]["text"]
    assert items["19"]["numbers"]["n_excluded"] == 5
    assert "4" in st.to_be_completed


def test_stard_histology_counts_are_listed_most_frequent_first_ties_by_name():
    """21a/21b: the numbers in the order the text gives them, whatever order the counts came in (pandas 2
    and 3 order tied value counts differently)."""
    flow = {"n_read": 60, "n_analysed": 60, "n_excluded": 0, "exclusions": []}
    acc = {"sensitivity": {"estimate": 0.9, "ci": [0.8, 0.95]}, "specificity": {"estimate": 0.85, "ci": [0.8, 0.9]}}
    orders = ({"MPNST": 9, "Plasmacytoma": 3, "Hemangiopericytoma": 3, "Extraskeletal Ewing sarcoma": 3},
              {"Hemangiopericytoma": 3, "Extraskeletal Ewing sarcoma": 3, "Plasmacytoma": 3, "MPNST": 9})
    got = []
    for with_ in orders:
        st = stard_items(flow=flow, cells={"tp": 18, "fp": 6, "tn": 33, "fn": 3}, accuracy=acc, cutoff=3,
                         score_name="DSS", positive="malignant", prespecified=True,
                         histology={"with": with_, "without": {"Neurinoma": 30, "Hemangioma": 3}})
        items = {i["item"]: i for i in st.items}
        got.append((list(items["21a"]["numbers"].items()), items["21a"]["text"]))
    assert got[0] == got[1]
    assert got[0][0] == [("MPNST", 9), ("Extraskeletal Ewing sarcoma", 3), ("Hemangiopericytoma", 3), ("Plasmacytoma", 3)]
    assert got[0][1] == "MPNST: 9; Extraskeletal Ewing sarcoma: 3; Hemangiopericytoma: 3; Plasmacytoma: 3"


def test_forest_wraps_a_long_label_and_warns_when_it_cannot_fit():
    import warnings

    import pytest

    from spinestats.reports.forest import FigureTextWarning, ForestRow, forest

    long_ja = "国立がん研究センター中央病院骨軟部腫瘍科・リハビリテーション科"
    rows = [ForestRow(long_ja, 0.8, 0.7, 0.9, "8/10", 50.0), ForestRow("Centre B", 0.7, 0.5, 0.85, "7/10", 50.0)]
    with warnings.catch_warnings():
        warnings.simplefilter("error", FigureTextWarning)
        fig, ax = forest(rows, xlabel="Sensitivity (95% CI)", label_header="Centre", name="forest_sensitivity")
    drawn = [t.get_text() for t in fig.texts if t.get_text().replace("\n", "") == long_ja]
    assert len(drawn) == 1 and "\n" in drawn[0]  # wrapped inside the word (Japanese has no spaces)
    huge = "x" * 600
    with pytest.warns(FigureTextWarning, match=r"figure 'forest_auc': the label 'x{20}"):
        fig2, _ = forest([ForestRow(huge, 0.8, 0.7, 0.9)], xlabel="AUC (95% CI)", name="forest_auc")
    assert any(t.get_text().replace("\n", "") == huge for t in fig2.texts)  # drawn anyway


def _pixels(fig):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    fig.dpi = 100
    canvas.draw()
    return np.asarray(canvas.buffer_rgba()).copy()


def test_flow_figure_has_no_ticks_and_draws_as_a_plain_hidden_axes():
    """The diagram's axes has no tick locations (issue 16: nothing to make or measure when it is laid out);
    the pixels are those of the same diagram on an axes merely hidden (default locators), a CJK reason included."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import AutoLocator

    from spinestats.reports.figure_style import journal_figure

    flow = {"n_read": 12, "n_analysed": 10, "n_excluded": 2,
            "exclusions": [{"reason": "required: 'reference'", "n": 1}, {"reason": "病理 欠損", "n": 1}],
            "index_test": {"name": "DSS", "positive": "DSS \u2265 3", "negative": "DSS < 3",
                           "reference_positive": "Malignant", "reference_negative": "Benign",
                           "tp": 4, "fp": 1, "fn": 1, "tn": 4}}
    fig, ax = flow_figure(flow)
    assert ax.xaxis.get_major_ticks() == [] and ax.yaxis.get_major_ticks() == []
    assert ax.xaxis.get_minor_ticks() == [] and ax.yaxis.get_minor_ticks() == []
    assert not ax.axison
    new = _pixels(fig)
    plt.close(fig)
    ref_fig, ref_ax = journal_figure("onehalf", height_mm=105.0)
    flow_figure(flow, ax=ref_ax)
    for axis in (ref_ax.xaxis, ref_ax.yaxis):  # as before issue 16: hidden, default locators
        axis.set_major_locator(AutoLocator())
    assert len(ref_ax.yaxis.get_major_ticks()) > 0
    ref = _pixels(ref_fig)
    plt.close(ref_fig)
    assert new.shape == ref.shape and np.array_equal(new, ref)


def test_flow_figure_is_measured_after_its_layout_without_a_drawing(monkeypatch):
    """flow_figure lays the diagram out as save_figure does and measures its texts without a draw (issue 16);
    on an axes of a figure with no layout engine the texts are measured on a drawing, as before."""
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    calls = []
    real = Figure.draw_without_rendering
    monkeypatch.setattr(Figure, "draw_without_rendering", lambda self: (calls.append(self), real(self))[1])
    flow = {"n_read": 7, "n_analysed": 6, "n_excluded": 1, "exclusions": [{"reason": "required: 'reference'", "n": 1}]}
    fig, ax = flow_figure(flow, column_labels={"reference": "Reference standard"})
    assert calls == [] and not fig.stale
    assert [t.get_text() for t in ax.texts][:2] == ["Records read\nn = 7", "Excluded, n = 1\nReference standard missing, n = 1"]
    inside = fig.bbox
    renderer = fig.canvas.get_renderer()
    assert all(inside.x0 - 0.5 <= t.get_window_extent(renderer).x0 and t.get_window_extent(renderer).x1 <= inside.x1 + 0.5
               for t in ax.texts if t.get_text())
    plt.close(fig)
    plain = plt.figure(figsize=(4.7, 2.8))
    flow_figure(flow, ax=plain.add_subplot())
    assert calls == [plain]
    plt.close(plain)

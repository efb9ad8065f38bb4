"""Forest plots write the estimate column as the tables do (issue 12): the header "sHR (95% CI)" (the regression
table's measure and parentheses, never "SHR [95% CI]") and each cell "1.50 (0.80–2.81)" from the one CI formatter."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from spinestats.analysis.pooling.meta_reml import meta_proportion
from spinestats.reports import fracture_figures as ff
from spinestats.reports.forest import ForestRow, forest
from spinestats.reports.multicenter_figures import forest_plot

MODEL = {"type": "finegray", "terms": ["sins", "age"], "estimate": [1.5, 0.92], "lower": [0.8, 0.85],
         "upper": [2.81, 0.995]}


def texts(fig):
    return [t.get_text() for t in fig.texts]


@pytest.mark.parametrize("kind, short", [("finegray", "sHR"), ("cox", "csHR"), ("firth", "OR")])
def test_fracture_forest_header_is_the_regression_tables(kind, short):
    ax = ff.forest_figure({**MODEL, "type": kind}, conf_level=0.9)
    shown = texts(ax.figure)
    plt.close(ax.figure)
    assert f"{short} (90% CI)" in shown  # regression_table heads the column "<name>: sHR (90% CI)"
    assert "1.50 (0.80\u20132.81)" in shown and "0.92 (0.85\u20131.00)" in shown
    assert not any("[" in t for t in shown)


def test_regression_table_uses_the_same_measure_names():
    from spinestats.reports.fracture_job import _REGRESSION

    assert {k: v[0] for k, v in _REGRESSION.items()} == {k: v[1] for k, v in ff._RATIO.items()}


def test_multicentre_forest_header_cells_and_prediction_interval_in_parentheses():
    tp, n = [18, 20, 15, 22], [20, 24, 19, 25]
    m = meta_proportion(tp, n, labels=["A", "B", "C", "D"])
    fig, _ = forest_plot(m, label="Sensitivity")
    shown = texts(fig)
    plt.close(fig)
    assert "Sensitivity (95% CI)" in shown
    assert f"{18 / 20:.2f} (" in " ".join(shown)
    lo, hi = m.prediction_interval
    assert f"({lo:.2f}\u2013{hi:.2f})" in shown  # the table's "Pooled (95% PI)" column brackets it so too
    assert not any("[" in t for t in shown)


def test_negative_bounds_read_to_and_true_minus_and_bracket_style_on_request():
    rows = [ForestRow("Change", -0.5, -1.25, 0.25)]
    fig, _ = forest(rows, xlabel="Difference", null=0.0)
    assert "\u22120.50 (\u22121.25 to 0.25)" in texts(fig)
    plt.close(fig)
    fig, _ = forest(rows, xlabel="Difference", null=0.0, ci_style="bracket", estimate_header="Estimate [95% CI]")
    assert "\u22120.50 [\u22121.25, 0.25]" in texts(fig)
    plt.close(fig)
    assert np.isfinite(rows[0].estimate)

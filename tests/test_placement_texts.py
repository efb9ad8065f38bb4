"""fit_texts lists the figure's texts without walking the ticks (placement._texts_but_tick_labels)."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
from matplotlib import pyplot as plt  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from spinestats.reports.placement import _texts_but_tick_labels, fit_texts  # noqa: E402


def _findobj_less_ticks(fig):
    ticks = set()
    for ax in fig.get_axes():
        for axis in (ax.xaxis, ax.yaxis):
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                ticks.update((id(tick.label1), id(tick.label2)))
    return [t for t in fig.findobj(match=Text) if id(t) not in ticks]


def _figure():
    fig, (a, b) = plt.subplots(2, 1, layout="constrained")
    a.plot([0, 1e6], [0, 2e6], label="Line ä")
    a.legend(title="Group")
    a.set_title("Title")
    a.set_xlabel("x")
    a.annotate("note", xy=(0.5, 0.5), xycoords="axes fraction", arrowprops={"arrowstyle": "->"})
    a.minorticks_on()
    b.text(0.1, 0.1, "text in b")
    b.set_ylabel("日本語 label")
    inset = b.inset_axes([0.6, 0.6, 0.3, 0.3])
    inset.set_title("inset")
    fig.suptitle("Suptitle")
    fig.text(0.01, 0.01, "figure note")
    return fig


def test_same_texts_in_the_same_order_as_findobj():
    fig = _figure()
    fig.draw_without_rendering()
    got: list = []
    _texts_but_tick_labels(fig, got, Text, {id(ax) for ax in fig.get_axes()})
    want = _findobj_less_ticks(fig)
    assert [id(t) for t in got] == [id(t) for t in want]
    assert {t.get_text() for t in got} >= {"Line ä", "Group", "Title", "x", "note", "text in b", "日本語 label",
                                            "inset", "Suptitle", "figure note", "0.50"}  # the inset's ticks, as before
    plt.close(fig)


def test_no_tick_is_made_while_listing():
    fig = _figure()
    fig.draw_without_rendering()
    before = [len(ax.xaxis.majorTicks) + len(ax.yaxis.majorTicks) for ax in fig.get_axes()]
    got: list = []
    _texts_but_tick_labels(fig, got, Text, {id(ax) for ax in fig.get_axes()})
    assert [len(ax.xaxis.majorTicks) + len(ax.yaxis.majorTicks) for ax in fig.get_axes()] == before
    plt.close(fig)


def test_fit_texts_wraps_a_long_title_and_not_tick_labels():
    fig, ax = plt.subplots(figsize=(2, 2), layout="constrained")
    ax.plot(np.arange(10) * 1e5)
    ax.set_title("a very long title that cannot possibly fit in the width of this small figure at all", loc="left")
    left = fit_texts(fig, "test")
    assert "\n" in ax.get_title(loc="left")
    assert all("0" != t.strip() for t in left)
    plt.close(fig)

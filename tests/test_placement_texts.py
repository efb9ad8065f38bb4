"""figure_style.figure_texts lists a figure's texts as findobj does without running a tick locator (the
font stack and fit_texts use it; fit_texts leaves the tick labels out)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib import pyplot as plt  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from spinestats.reports.figure_style import apply_font_stack, figure_texts  # noqa: E402
from spinestats.reports.placement import fit_texts  # noqa: E402


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
    every, located = figure_texts(fig), fig.findobj(match=Text)
    unlocated = set()  # ticks an axis has made beyond those at its locator's positions: findobj skips them
    for ax in fig.get_axes():
        for axis in (ax.xaxis, ax.yaxis):
            for made, at in ((axis.majorTicks, axis.get_major_ticks()), (axis.minorTicks, axis.get_minor_ticks())):
                unlocated.update(id(t) for tick in made[len(at):] for t in (tick.label1, tick.label2))
    assert unlocated  # each axis without minor ticks has made one (Matplotlib makes the first when asked)
    assert [id(t) for t in every if id(t) not in unlocated] == [id(t) for t in located]
    assert len(every) == len(located) + len(unlocated)
    got = figure_texts(fig, tick_labels=False)
    want = _findobj_less_ticks(fig)
    assert [id(t) for t in got] == [id(t) for t in want]
    assert {t.get_text() for t in got} >= {"Line ä", "Group", "Title", "x", "note", "text in b", "日本語 label",
                                            "inset", "Suptitle", "figure note", "0.50"}  # the inset's ticks, as before
    plt.close(fig)


def test_no_tick_is_made_while_listing():
    fig = _figure()
    fig.draw_without_rendering()
    ax = fig.get_axes()[0]
    ax.set_xlim(0, 4e6)  # the locator now gives other positions: findobj would make ticks for them
    ax.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(20))
    before = [len(ax.xaxis.majorTicks) + len(ax.yaxis.majorTicks) for ax in fig.get_axes()]
    calls = []
    for axis in (ax.xaxis, ax.yaxis):
        for name in ("get_majorticklocs", "get_minorticklocs"):  # what findobj's walk asks each axis
            setattr(axis, name, lambda own=getattr(axis, name): calls.append(1) or own())
    figure_texts(fig)
    figure_texts(fig, tick_labels=False)
    assert calls == []
    assert [len(ax.xaxis.majorTicks) + len(ax.yaxis.majorTicks) for ax in fig.get_axes()] == before
    fig.findobj(match=Text)
    assert calls  # the spies see findobj run the locators (and make the ticks for their new positions)
    assert [len(ax.xaxis.majorTicks) + len(ax.yaxis.majorTicks) for ax in fig.get_axes()] != before
    plt.close(fig)


def test_the_font_stack_reaches_ticks_made_after_it_was_applied():
    """apply_font_stack sets the ticks an axis has made; a tick made later (the locator gives more
    positions) copies its label from the first tick, so every drawn tick label has the stack, as with
    findobj (which made the ticks first)."""
    from spinestats.reports.figure_style import RC

    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    fig.draw_without_rendering()
    for tick in ax.xaxis.get_major_ticks():
        tick.label1.set_fontfamily("sans-serif")
    made = len(ax.xaxis.majorTicks)
    apply_font_stack(fig)
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(30))
    fig.draw_without_rendering()
    assert len(ax.xaxis.majorTicks) > made
    stack = list(RC["font.family"])
    assert all(tick.label1.get_fontfamily() == stack for tick in ax.xaxis.get_major_ticks())
    plt.close(fig)


def test_fit_texts_wraps_a_long_title_and_not_tick_labels():
    fig, ax = plt.subplots(figsize=(2, 2), layout="constrained")
    ax.plot(np.arange(10) * 1e5)
    ax.set_title("a very long title that cannot possibly fit in the width of this small figure at all", loc="left")
    left = fit_texts(fig, "test")
    assert "\n" in ax.get_title(loc="left")
    assert all("0" != t.strip() for t in left)
    plt.close(fig)

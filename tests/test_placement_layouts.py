"""Placing legends and notes lays a figure out only when it changed: the same placements as laying it
out before every measurement, one layout for a step plot with a legend, a note and texts that fit,
and the marker boxes tested all at once exactly as one Bbox.intersection at a time."""

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib import pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.path import Path  # noqa: E402
from matplotlib.transforms import Bbox  # noqa: E402

from spinestats.reports import placement  # noqa: E402
from spinestats.reports.figure_style import journal_figure  # noqa: E402
from spinestats.reports.step_plot import StepCurve, plot_step_curves  # noqa: E402


@pytest.fixture
def layouts(monkeypatch):
    """The figures laid out for a measurement (one entry per placement._lay_out, which lays a figure
    out without drawing it, or draws it without rendering when it has no layout engine)."""
    calls: list[Figure] = []
    original = placement._lay_out

    def spy(fig):
        calls.append(fig)
        return original(fig)

    monkeypatch.setattr(placement, "_lay_out", spy)
    return calls


def _curves(n: int = 2, seed: int = 1) -> list[StepCurve]:
    rng = np.random.default_rng(seed)
    out = []
    for g in range(n):
        t = np.sort(rng.uniform(0, 60, 40))
        s = np.cumprod(np.full(40, 0.97 - 0.01 * g))
        out.append(StepCurve(label=f"Group {g + 1}", time=t, estimate=s, lower=s - 0.1, upper=np.minimum(s + 0.1, 1),
                             censor_times=t[::3] + 0.5, end_time=70.0, risk_times=np.arange(0, 72, 12.0),
                             n_at_risk=np.arange(6)[::-1] * 5))
    return out


def test_a_step_plot_with_legend_note_and_fitting_texts_is_laid_out_once(layouts):
    p = plot_step_curves(_curves(), pvalue="Log-rank p = 0.012", median_lines=[20.0, 30.0], legend_title="Arm")
    assert len(layouts) == 1
    assert p.ax.get_legend() is not None and p.annotations == ["Log-rank p = 0.012"]
    plt.close(p.figure)


def _placed(force: bool, monkeypatch, width, y_max=None):
    """Where the legend and the note go, with every measurement laid out afresh (force) or not."""
    if force:
        original = placement._renderer

        def always(fig):
            fig.stale = True
            return original(fig)

        monkeypatch.setattr(placement, "_renderer", always)
    fig, ax = journal_figure(width, height_mm=55)
    x = np.linspace(0, 10, 200)
    ax.plot(x, 1 - x / 12, label="A long first series label")
    ax.plot(x, 0.9 - x / 20, label="Second series", marker="|", markevery=7)
    ax.fill_between(x, 0.05, 0.2 + x / 40, alpha=0.2)
    ax.scatter(x[::9], 0.5 + 0.3 * np.sin(x[::9]), s=4)
    ax.set_ylim(0, 1.0)
    loc = placement.place_legend(ax, frameon=False, title="Treatment group", y_max=y_max)
    note = placement.place_note(ax, "Log-rank p = 0.012", fontsize=7)
    placement.fit_texts(fig, "test")
    fig.draw_without_rendering()
    r = fig.canvas.get_renderer()
    out = (loc, ax.get_ylim(), note.get_position(), note.get_ha(), note.get_va(),
           tuple(np.round(ax.get_legend().get_window_extent(r).bounds, 6)))
    plt.close(fig)
    if force:
        monkeypatch.undo()
    return out


@pytest.mark.parametrize("width, y_max", [("single", None), (60.0, None), (45.0, 1.6), ("double", None)])
def test_placements_are_those_of_a_layout_before_every_measurement(monkeypatch, width, y_max):
    assert _placed(False, monkeypatch, width, y_max) == _placed(True, monkeypatch, width, y_max)


def test_a_legend_outside_the_axes_before_placement_makes_the_figure_laid_out_again(layouts):
    fig, ax = journal_figure("single", height_mm=55)
    ax.plot([0, 1], [0, 1], label="a")
    ax.plot([0, 1], [1, 0], label="b")
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.01))  # above the axes: counted in the layout
    placement._renderer(fig)
    assert len(layouts) == 1 and not fig.stale
    loc = placement.place_legend(ax, frameon=False)
    assert loc != "outside"
    assert fig.stale  # the replaced legend was outside the axes: the layout is no longer that of the figure
    placement._renderer(fig)
    assert len(layouts) == 2
    plt.close(fig)


def test_a_note_above_the_axes_makes_the_figure_laid_out_again(layouts):
    fig, ax = journal_figure("single", height_mm=55)
    ax.fill_between([0, 1], [0, 0], [1, 1])  # every corner covered
    note = placement.place_note(ax, "p = 0.5", fontsize=7)
    assert note.get_position() == (1.0, 1.01) and fig.stale
    plt.close(fig)


def _hits_one_by_one(box, paths, boxes):
    inner = Bbox.from_extents(box.x0 + 0.5, box.y0 + 0.5, box.x1 - 0.5, box.y1 - 0.5)
    for b in boxes:
        if Bbox.intersection(inner, Bbox.from_extents(*b)) is not None:
            return True
    return any(len(p.vertices) and p.intersects_bbox(inner, filled=f) for p, f in paths)


def test_marker_boxes_are_hit_as_bbox_intersection_decides():
    rng = np.random.default_rng(7)
    centres = np.round(rng.uniform(0, 100, (300, 2)), 1)
    boxes = placement._marker_boxes(centres, 1.5)
    boxes[::37] = np.nan  # a NaN vertex (a gap in a line) touches nothing
    shapes = placement._Shapes([(Path([[0, 0], [1, 1]]), False)], boxes)
    hits = 0
    for x0, y0, w, h in np.round(rng.uniform([0, 0, 0.5, 0.5], [100, 100, 12, 12], (400, 4)), 1):
        box = Bbox.from_bounds(x0, y0, w, h)
        expected = _hits_one_by_one(box, shapes.paths, shapes.boxes)
        assert placement._hits(box, shapes) is expected
        hits += expected
    assert 50 < hits < 350  # both answers occur
    # touching edges count as a hit, as Bbox.intersection has it
    edge = placement._Shapes([], np.array([[10.0, 10.0, 12.0, 12.0]]))
    assert placement._hits(Bbox.from_extents(11.5, 5.0, 20.0, 20.0), edge) is True
    assert placement._hits(Bbox.from_extents(11.6, 5.0, 20.0, 20.0), edge) is False


def _step_value(x, y, at):
    return np.asarray(y)[np.searchsorted(x, at, side="right") - 1]


def test_step_curves_are_drawn_from_their_steps_only():
    """A point repeating the value before it (a censoring-only time of a cumulative incidence) draws no
    step: the drawn line and band keep only the steps, and draw the same step functions."""
    t = np.arange(1.0, 41.0)
    est = np.repeat(np.linspace(0.05, 0.4, 10), 4)  # a jump every fourth time
    lo, hi = est - 0.03, est + 0.03
    hi[[5, 6]] += 0.01  # the upper bound steps where the estimate does not
    curve = StepCurve(label="A", time=t, estimate=est, lower=lo, upper=hi, start=0.0, end_time=45.0)
    p = plot_step_curves([curve], risk_table=False, censor_ticks=False)
    x, y = p.lines[0]  # the step function as given
    assert len(x) == 42
    dx, dy = p.ax.lines[0].get_data()
    assert len(dx) == 12 and dx[0] == 0.0 and dx[-1] == 45.0  # start, 10 jumps, last follow-up
    grid = np.union1d(x, np.linspace(0, 45, 451))
    assert np.array_equal(_step_value(dx, dy, grid), _step_value(x, y, grid))
    band = p.ax.collections[0].get_paths()[0].vertices
    assert len(band) < 2 * 2 * len(x)  # fewer vertices than the band of every time
    bx, blo, bhi = p.bands[0]
    kept = np.isin(bx, band[:, 0])
    # start, the 10 jumps of the estimate, the upper bound's own step up (t = 6) and back (t = 8), last follow-up
    assert np.flatnonzero(kept).tolist() == sorted([0, *range(1, 41, 4), 6, 8, 41])
    assert np.array_equal(np.unique(band[:, 1]), np.unique(np.concatenate([blo, bhi])))
    plt.close(p.figure)

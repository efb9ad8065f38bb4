"""Placing a legend and a note (a test's p-value) where they cover no data.

survminer puts the p-value in a free corner and the legend outside the
curves; these helpers do the same from the drawn artists: each candidate
position is tried, its window extent compared with every line, band, bar
and marker of the axes, and the first free one kept.  When no corner is
free the legend goes above the plotting area (outside it).  Nothing here
computes a statistic; it only reads the drawn paths.

Laying a figure out (constrained layout and a draw without output) is the
costly part of measuring, so a figure is laid out again only when it has
changed since its last layout (Matplotlib marks a changed figure *stale*).
A legend or a note put inside the plotting area leaves every margin of the
layout as it was (the axes' extent already covers it), so placing it keeps
the figure's layout current: a figure with a legend, a note and texts that
fit is laid out once, here; :func:`~spinestats.reports.figure_style.save_figure`
keeps a layout that is still current.  Texts are measured
through :func:`~spinestats.reports.figure_files.memo_text_metrics`, as when
the figure is saved: a text measured once in a process is not measured again.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.transforms import Bbox

_F = TypeVar("_F", bound=Callable[..., Any])


def _measuring(func: _F) -> _F:
    """``func`` run with :func:`~spinestats.reports.figure_files.memo_text_metrics`."""
    from spinestats.reports.figure_files import memo_text_metrics

    @functools.wraps(func)
    def run(*args: Any, **kwargs: Any) -> Any:
        with memo_text_metrics():
            return func(*args, **kwargs)

    return run  # type: ignore[return-value]


TITLE_CHARS = 22  # a legend title longer than this is broken over lines
LEGEND_LOCS = ("upper right", "lower left", "lower right", "upper left", "center right", "center left")
CORNERS = {  # axes-fraction anchor, ha, va
    "lower left": ((0.03, 0.03), "left", "bottom"),
    "lower right": ((0.97, 0.03), "right", "bottom"),
    "upper right": ((0.97, 0.97), "right", "top"),
    "upper left": ((0.03, 0.97), "left", "top"),
}


def _renderer(fig):
    """The figure's renderer, with the figure laid out as it will be drawn (extents then are final).

    The layout is run only when the figure changed since it was last laid
    out (it is *stale*); measuring does not change it.
    """
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    from spinestats.reports.figure_style import add_synthetic_mark, apply_font_stack, figure_texts, synthetic_marked

    if synthetic_marked() and isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine):
        # the note saving adds grows the figure: added now, the figure is measured as it is saved, and a
        # layout made here is still current when it is saved
        add_synthetic_mark(fig)
    current = not fig.stale
    texts = figure_texts(fig)
    before = [(t.get_fontfamily(), t.get_fontsize()) for t in texts] if current else []
    apply_font_stack(fig, texts)  # texts added after journal_figure (legends, notes) get the Japanese-capable stack
    if current and fig.stale:
        changed = [t for t, b in zip(texts, before) if (t.get_fontfamily(), t.get_fontsize()) != b]
        _keep_layout_legends(fig, changed)
    if fig.stale:
        _lay_out(fig)  # apply the layout first: extents then are final
    return fig.canvas.get_renderer()


def _lay_out(fig) -> None:
    """Lay ``fig`` out as drawing it would, without drawing it, and mark it current.

    With a layout engine (every journal figure) the layout alone is run
    (:func:`~spinestats.reports.figure_style._lay_out`, as :func:`save_figure`
    does): a draw without rendering would walk every artist after it for
    nothing.  A figure without an engine is drawn without rendering.
    """
    from spinestats.reports.figure_style import _lay_out as lay_out

    engine = fig.get_layout_engine()
    if engine is None or type(engine).__name__ == "PlaceHolderLayoutEngine":
        fig.draw_without_rendering()
        return
    lay_out(fig, engine)
    fig.stale = False


def _keep_layout_legends(fig, changed) -> None:
    """The font stack changed only ``changed`` texts of a figure whose layout was current: when they all
    belong to legends that still lie inside their axes (legend text capped at the tick-label size),
    no margin of the layout changed and it stays current."""
    owner = {}
    for ax in fig.get_axes():
        leg = ax.get_legend()
        if leg is not None:
            owner.update({id(t): (leg, ax) for t in [*leg.get_texts(), leg.get_title()]})
    if not changed or any(id(t) not in owner for t in changed):
        return
    renderer = fig.canvas.get_renderer()
    legends = {id(owner[id(t)][0]): owner[id(t)] for t in changed}
    if all(_within(leg.get_window_extent(renderer), ax) for leg, ax in legends.values()):
        fig.stale = False


def _keep_layout(fig, was_current: bool, ax, boxes) -> None:
    """After artists were added inside ``ax`` (window extents ``boxes``) to a figure whose layout was
    current, mark the layout current again: an artist within the axes' own box changes no margin of
    the layout (the axes' extent is the union of its box and its children's), so laying it out again
    would place everything where it is."""
    if was_current and all(_within(b, ax) for b in boxes):
        fig.stale = False


def _within(box: Bbox, ax) -> bool:
    """Whether ``box`` lies within the box of ``ax`` (no tolerance)."""
    a = ax.bbox
    return box.x0 >= a.x0 and box.x1 <= a.x1 and box.y0 >= a.y0 and box.y1 <= a.y1


class _Shapes:
    """The data artists of an axes in display space: paths (with whether each is filled) and the
    boxes of markers and scatter points as an (n, 4) array of x0, y0, x1, y1."""

    def __init__(self, paths: list, boxes: np.ndarray) -> None:
        self.paths = paths
        self.boxes = boxes


def _marker_boxes(xy, r: float) -> np.ndarray:
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    return np.column_stack([xy[:, 0] - r, xy[:, 1] - r, xy[:, 0] + r, xy[:, 1] + r])


def _shapes(ax, skip=()) -> _Shapes:
    """Display-space paths and marker boxes of the data artists of ``ax``."""
    paths = []
    boxes = []
    skip = {id(a) for a in skip}
    for line in ax.get_lines():
        if line.get_visible() and id(line) not in skip and len(line.get_xydata()):
            path = line.get_transform().transform_path(line.get_path())
            paths.append((path, False))
            if line.get_marker() not in (None, "None", "", " ", "none"):
                boxes.append(_marker_boxes(path.vertices, line.get_markersize() * ax.figure.dpi / 72 / 2))
    for coll in ax.collections:
        if not coll.get_visible() or id(coll) in skip:
            continue
        if isinstance(coll, PathCollection):
            boxes.append(_marker_boxes(coll.get_offset_transform().transform(coll.get_offsets()), 3))
            continue
        filled = not isinstance(coll, LineCollection)
        paths += [(coll.get_transform().transform_path(p), filled) for p in coll.get_paths()]
    for patch in ax.patches:
        if patch.get_visible() and id(patch) not in skip:
            paths.append((patch.get_transform().transform_path(patch.get_path()), True))
    return _Shapes(paths, np.concatenate(boxes) if boxes else np.zeros((0, 4)))


def _hits(box: Bbox, shapes: _Shapes) -> bool:
    """Whether ``box`` (less half a pixel all round) touches any path or marker box of ``shapes``.

    Marker boxes are tested all at once, as :meth:`Bbox.intersection` tests
    one (touching edges count; a box with a NaN corner touches nothing)."""
    inner = Bbox.from_extents(box.x0 + 0.5, box.y0 + 0.5, box.x1 - 0.5, box.y1 - 0.5)
    b = shapes.boxes
    if len(b):
        with np.errstate(invalid="ignore"):
            x0 = np.maximum(inner.xmin, np.minimum(b[:, 0], b[:, 2]))
            x1 = np.minimum(inner.xmax, np.maximum(b[:, 0], b[:, 2]))
            y0 = np.maximum(inner.ymin, np.minimum(b[:, 1], b[:, 3]))
            y1 = np.minimum(inner.ymax, np.maximum(b[:, 1], b[:, 3]))
            if np.any((x0 <= x1) & (y0 <= y1)):
                return True
    return any(len(shape.vertices) and shape.intersects_bbox(inner, filled=filled) for shape, filled in shapes.paths)


def _inside(box: Bbox, ax) -> bool:
    a = ax.get_window_extent()
    return box.x0 >= a.x0 - 0.5 and box.x1 <= a.x1 + 0.5 and box.y0 >= a.y0 - 0.5 and box.y1 <= a.y1 + 0.5


@_measuring
def place_legend(ax, *, y_max: float | None = None, **kwargs):
    """Put the legend of ``ax`` in the first corner free of data, else above the axes (see :func:`_place_legend`)."""
    from matplotlib import pyplot as plt

    from spinestats.reports.figure_style import RC

    with plt.rc_context(RC):  # type: ignore[arg-type]  # the legend is measured with the journal font stack it is drawn with
        return _place_legend(ax, y_max=y_max, **kwargs)


def _place_legend(ax, *, y_max: float | None = None, **kwargs):
    """Put the legend of ``ax`` in the first corner free of data, else above the axes.

    With ``y_max`` the y axis may grow (by a quarter of its range at a time,
    up to ``y_max``) to make a free band above the curves, as for cumulative
    incidence curves that stay low.  A ``title`` (the grouping variable's
    label) is drawn left-aligned at the legend's text size.  Returns the
    legend's location name (``"outside"`` when above the plotting area).
    """
    if kwargs.get("title"):
        kwargs["title"] = wrap_label(kwargs["title"], TITLE_CHARS)
        kwargs.setdefault("title_fontsize", kwargs.get("fontsize", 7))
        kwargs.setdefault("alignment", "left")
    fig = ax.figure
    for _ in range(3):
        renderer = _renderer(fig)
        shapes = _shapes(ax)
        # the legend it replaces counts in the current layout: only one inside the axes counted for nothing
        old = ax.get_legend()
        current = old is None or _within(old.get_window_extent(renderer), ax)
        for loc in LEGEND_LOCS:
            leg = ax.legend(loc=loc, **kwargs)
            box = leg.get_window_extent(renderer)
            if not _hits(box, shapes):
                _keep_layout(fig, current, ax, [box])
                return loc
        _keep_layout(fig, current, ax, [box])  # the last one tried, if inside the axes, leaves the layout as it was
        lo, hi = ax.get_ylim()
        new = hi + 0.25 * (hi - lo) if y_max is None else min(hi + 0.25 * (hi - lo), y_max)
        if y_max is None or new <= hi + 1e-12:
            break
        ax.set_ylim(lo, new)
    # above the axes, in as many columns as fit its width
    handles, labels = ax.get_legend_handles_labels()
    renderer = _renderer(fig)
    width = ax.get_window_extent(renderer).width
    for ncol in range(len(labels), 0, -1):
        leg = ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.01), ncol=ncol, borderaxespad=0.0, **kwargs)
        if leg.get_window_extent(renderer).width <= width:
            break
    return "outside"


@_measuring
def place_note(ax, text: str, **kwargs):
    """Write ``text`` in the first axes corner free of data, legend and other texts.

    If no corner is free, the note goes under the legend's corner outside
    the axes' top edge (above the plotting area).  Returns the Text artist.
    """
    fig = ax.figure
    renderer = _renderer(fig)
    shapes = _shapes(ax)
    taken = []
    leg = ax.get_legend()
    if leg is not None:
        taken.append(leg.get_window_extent(renderer))
    taken += [t.get_window_extent(renderer) for t in ax.texts if t.get_visible() and str(t.get_text()).strip()]
    for (xy, ha, va) in CORNERS.values():
        t = ax.text(*xy, text, transform=ax.transAxes, ha=ha, va=va, **kwargs)
        box = t.get_window_extent(renderer)
        if _inside(box, ax) and not _hits(box, shapes) and not any(Bbox.intersection(box, b) is not None for b in taken):
            _keep_layout(fig, True, ax, [box])
            return t
        t.remove()
    # above the axes at the right (the outside legend, if any, starts at the left)
    return ax.text(1.0, 1.01, text, transform=ax.transAxes, ha="right", va="bottom", **kwargs)


class FigureTextWarning(UserWarning):
    """A label that does not fit its figure even after wrapping (the figure is drawn anyway)."""


def wrap_label(text: str, width: int, figure: str | None = None) -> str:
    """``text`` broken at spaces into lines of at most ``width`` characters (existing breaks kept).

    A word longer than ``width`` does not fit even when wrapped: with
    ``figure`` given, a :class:`FigureTextWarning` names the label and the
    figure, and the word is cut over lines so that the figure keeps its
    layout (it is drawn anyway); without ``figure`` the word is kept whole.
    """
    import textwrap
    import warnings

    text = str(text)

    def wrap(cut: bool) -> list[str]:
        out: list[str] = []
        for part in text.split("\n"):
            out += textwrap.wrap(part, width, break_long_words=cut, break_on_hyphens=False) or [part]
        return out

    lines = wrap(False)
    if figure is not None and any(len(line) > width for line in lines):
        warnings.warn(f"figure '{figure}': the label '{text}' is too long for the figure even when wrapped; "
                      "it is drawn anyway (give it a shorter label).", FigureTextWarning, stacklevel=2)
        lines = wrap(True)
    return "\n".join(lines)


def _rewrap(text: str, share: float) -> str:
    """``text`` wrapped to about ``share`` of its longest line's length."""
    longest = max(len(line) for line in text.split("\n"))
    return wrap_label(text, max(6, int(longest * share)))


@_measuring
def fit_texts(fig, name: str) -> list[str]:
    """After layout, wrap every text (or legend) that runs off the canvas; warn for those that still do.

    Returns the texts that do not fit (each also a :class:`FigureTextWarning`
    naming the label and the figure ``name``).
    """
    import warnings

    from spinestats.reports.figure_style import figure_texts

    def outside(box: Bbox) -> bool:
        c = fig.bbox
        return box.x0 < c.x0 - 0.5 or box.x1 > c.x1 + 0.5

    def texts() -> list:  # tick labels are laid out by Matplotlib, and those outside the view are never drawn
        return [t for t in figure_texts(fig, tick_labels=False) if t.get_visible() and str(t.get_text()).strip()]

    for _ in range(3):
        renderer = _renderer(fig)
        bad = [t for t in texts() if outside(t.get_window_extent(renderer))]
        changed = False
        for t in bad:
            box = t.get_window_extent(renderer)
            share = max(0.3, min(0.9, fig.bbox.width / max(box.width, 1.0) * 0.9))
            new = _rewrap(t.get_text(), share)
            if new != t.get_text():
                t.set_text(new)
                changed = True
        if not changed:
            # measuring changes nothing the layout depends on (an annotation re-places itself at the
            # same point while it is measured, which marks it changed): the layout stays current
            fig.stale = False
            break
    renderer = _renderer(fig)
    left = [t.get_text() for t in texts() if outside(t.get_window_extent(renderer))]
    for text in dict.fromkeys(left):  # (stacklevel 3: the caller, past _measuring)
        warnings.warn(f"figure '{name}': the label '{text.replace(chr(10), ' ')}' does not fit the figure width even "
                      "when wrapped; it is drawn anyway (give it a shorter label).", FigureTextWarning, stacklevel=3)
    return left

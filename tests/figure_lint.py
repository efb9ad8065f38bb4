"""The figure lint: what a journal's production office checks, as assertions.

:func:`lint_figure` takes a drawn matplotlib Figure (as :func:`save_figure`
laid it out) and returns a list of problems, each a sentence naming the
figure and the artist.  :func:`lint_tiff` checks a written TIFF file.  The
checks (issue 13):

- every text artist's window extent lies inside the canvas;
- no two text artists overlap, and no legend overlaps a data line, band,
  bar, marker or a text that is not its own;
- every text is at least 7 pt and the figure is no wider than a double
  journal column;
- no "Glyph ... missing" warning while drawing;
- titles, axis labels and legend texts start with a capital (sentence case,
  no raw lowercase codes), and legend text is never larger than the tick labels;
- no ASCII hyphen-minus between two numbers, before a number on an axis, or
  standing alone between spaces (a minus sign or an en dash belongs there);
- TIFF files are RGB (no alpha), LZW-compressed and carry the requested dpi.

Tick labels are checked only for the ticks matplotlib draws (inside the
view limits), and nothing of an axes switched off with ``set_axis_off``.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.legend import Legend
from matplotlib.patches import Patch
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from spinestats.reports.figure_style import RC

MIN_PT = 7.0
MAX_WIDTH_MM = 170.0 + 0.5
TOL_PX = 0.5  # rounding of extents (px at the figure's dpi)

_HYPHEN_BETWEEN_NUMBERS = re.compile(r"\d\s*-\s*\d")
_HYPHEN_ALONE = re.compile(r"(^|\s)-(\s|$)")
_HYPHEN_BEFORE_NUMBER = re.compile(r"(^|[\s(\[])-\d")


def _drawn_tick_labels(ax) -> set[int]:
    out = set()
    if not ax.axison:
        return out
    for axis in (ax.xaxis, ax.yaxis):
        if not axis.get_visible():
            continue
        for tick in axis._update_ticks():  # the ticks matplotlib draws (inside the view)
            for lab in (tick.label1, tick.label2):
                if lab.get_visible():
                    out.add(id(lab))
    return out


def _all_tick_labels(ax) -> set[int]:
    out = set()
    for axis in (ax.xaxis, ax.yaxis):
        for tick in axis.get_major_ticks() + axis.get_minor_ticks():
            out.update((id(tick.label1), id(tick.label2)))
        out.add(id(axis.label))
        out.add(id(axis.offsetText))
    return out


def visible_texts(fig) -> list[Text]:
    """The text artists that a draw of ``fig`` puts on the canvas (non-empty)."""
    drawn_ticks: set[int] = set()
    axis_owned: set[int] = set()
    axis_labels_on: set[int] = set()
    for ax in fig.get_axes():
        drawn_ticks |= _drawn_tick_labels(ax)
        axis_owned |= _all_tick_labels(ax)
        if ax.axison and ax.get_visible():
            for axis in (ax.xaxis, ax.yaxis):
                if axis.get_visible():
                    axis_labels_on.add(id(axis.label))
                    axis_labels_on.add(id(axis.offsetText))
    texts = []
    for t in fig.findobj(match=Text):
        if not t.get_visible() or not str(t.get_text()).strip():
            continue
        if t.axes is not None and not t.axes.get_visible():
            continue
        if id(t) in axis_owned and id(t) not in drawn_ticks and id(t) not in axis_labels_on:
            continue
        leg = _owning_legend(fig, t)
        if leg is not None and not leg.get_visible():
            continue
        texts.append(t)
    return texts


def _legends(fig) -> list[Legend]:
    legs = [ax.get_legend() for ax in fig.get_axes() if ax.get_legend() is not None]
    return [lg for lg in legs + list(fig.legends) if lg.get_visible()]


def _owning_legend(fig, text) -> Legend | None:
    for lg in [ax.get_legend() for ax in fig.get_axes() if ax.get_legend() is not None] + list(fig.legends):
        if text in lg.get_texts() or text is lg.get_title():
            return lg
    return None


def _name(t: Text) -> str:
    s = str(t.get_text()).replace("\n", " ")
    return repr(s if len(s) <= 50 else s[:47] + "...")


def _overlap(a: Bbox, b: Bbox, tol: float = TOL_PX) -> bool:
    return (min(a.x1, b.x1) - max(a.x0, b.x0) > tol) and (min(a.y1, b.y1) - max(a.y0, b.y0) > tol)


def _data_paths(ax, legend_artists: set[int]):
    """(description, display-space path, filled) of every data line, band, bar and marker of ``ax``."""
    out = []
    for line in ax.get_lines():
        if not line.get_visible() or id(line) in legend_artists:
            continue
        xy = line.get_xydata()
        if len(xy) == 0:
            continue
        path = line.get_transform().transform_path(line.get_path())  # steps included (drawstyle)
        desc = f"line {line.get_label()!r}"
        if line.get_linestyle() not in ("None", "", " ", "none") and len(xy) > 1:
            out.append((desc, path, False))
        if line.get_marker() not in (None, "None", "", " ", "none"):
            r = line.get_markersize() * fig_px_per_pt(ax.figure) / 2
            for x, y in path.vertices:
                out.append((desc + " marker", Bbox.from_extents(x - r, y - r, x + r, y + r), True))
    for coll in ax.collections:
        if not coll.get_visible() or id(coll) in legend_artists:
            continue
        desc = f"{type(coll).__name__} {coll.get_label()!r}"
        if isinstance(coll, PathCollection):  # scatter markers
            offsets = coll.get_offset_transform().transform(coll.get_offsets())
            sizes = coll.get_sizes()
            for i, (x, y) in enumerate(offsets):
                s = sizes[i % len(sizes)] if len(sizes) else 36.0
                r = np.sqrt(s) * fig_px_per_pt(ax.figure) / 2
                out.append((desc, Bbox.from_extents(x - r, y - r, x + r, y + r), True))
            continue
        filled = not isinstance(coll, LineCollection)
        for p in coll.get_paths():
            out.append((desc, coll.get_transform().transform_path(p), filled))
    for patch in ax.patches:
        if not patch.get_visible() or id(patch) in legend_artists:
            continue
        if isinstance(patch, Patch):
            out.append((f"{type(patch).__name__} {patch.get_label()!r}",
                        patch.get_transform().transform_path(patch.get_path()), True))
    return out


def fig_px_per_pt(fig) -> float:
    return fig.dpi / 72.0


def _hits(bbox: Bbox, shape, filled: bool) -> bool:
    if isinstance(shape, Bbox):
        return _overlap(bbox, shape, 0.0)
    if len(shape.vertices) == 0:
        return False
    inner = Bbox.from_extents(bbox.x0 + TOL_PX, bbox.y0 + TOL_PX, bbox.x1 - TOL_PX, bbox.y1 - TOL_PX)
    return bool(shape.intersects_bbox(inner, filled=filled))


def lint_figure(fig, name: str = "figure") -> list[str]:
    """Every problem of the drawn figure ``fig`` (empty list: accepted)."""
    problems: list[str] = []
    if not hasattr(fig.canvas, "get_renderer"):  # closed by save_figure: attach a fresh Agg canvas
        FigureCanvasAgg(fig)
    with warnings.catch_warnings(record=True) as caught, plt.rc_context(RC):
        warnings.simplefilter("always")
        fig.canvas.draw()  # as save_figure draws it
    for w in caught:
        if re.search(r"Glyph .* missing", str(w.message)):
            problems.append(f"{name}: {w.message}")
    renderer = fig.canvas.get_renderer()
    canvas = fig.bbox
    width_mm = fig.get_figwidth() * 25.4
    if width_mm > MAX_WIDTH_MM:
        problems.append(f"{name}: {width_mm:.0f} mm wide, more than a double column")
    texts = visible_texts(fig)
    boxes = {}
    for t in texts:
        bb = t.get_window_extent(renderer)
        boxes[id(t)] = bb
        if bb.x0 < canvas.x0 - TOL_PX or bb.y0 < canvas.y0 - TOL_PX or bb.x1 > canvas.x1 + TOL_PX or bb.y1 > canvas.y1 + TOL_PX:
            problems.append(f"{name}: text {_name(t)} is clipped by the canvas edge")
        if t.get_fontsize() < MIN_PT - 1e-9:
            problems.append(f"{name}: text {_name(t)} is {t.get_fontsize():.1f} pt (< {MIN_PT:g} pt)")
        s = str(t.get_text())
        if _HYPHEN_BETWEEN_NUMBERS.search(s) or _HYPHEN_ALONE.search(s) or _HYPHEN_BEFORE_NUMBER.search(s):
            problems.append(f"{name}: text {_name(t)} has an ASCII hyphen-minus where a minus sign or an en dash belongs")
    for i, a in enumerate(texts):
        for b in texts[i + 1:]:
            if _overlap(boxes[id(a)], boxes[id(b)]):
                problems.append(f"{name}: texts {_name(a)} and {_name(b)} overlap")
    problems += _sentence_case(fig, name) + _legend_sizes(fig, name)
    for lg in _legends(fig):
        lb = lg.get_window_extent(renderer)
        if lb.x0 < canvas.x0 - TOL_PX or lb.y0 < canvas.y0 - TOL_PX or lb.x1 > canvas.x1 + TOL_PX or lb.y1 > canvas.y1 + TOL_PX:
            problems.append(f"{name}: legend is clipped by the canvas edge")
        own = set(map(id, lg.get_texts())) | {id(lg.get_title())}
        legend_artists = set(map(id, lg.legend_handles if hasattr(lg, "legend_handles") else lg.legendHandles))
        for t in texts:
            if id(t) not in own and _overlap(lb, boxes[id(t)]):
                problems.append(f"{name}: legend overlaps text {_name(t)}")
        for ax in fig.get_axes():
            for desc, shape, filled in _data_paths(ax, legend_artists):
                if _hits(lb, shape, filled):
                    problems.append(f"{name}: legend overlaps {desc}")
                    break
    return problems


def _headings(fig) -> list[Text]:
    """Titles, axis labels, legend titles and entries: the texts that must be in sentence case."""
    out = [fig._suptitle, fig._supxlabel, fig._supylabel]
    for ax in fig.get_axes():
        if ax.axison:
            out += [ax.xaxis.label, ax.yaxis.label]
        out += [ax.title, ax._left_title, ax._right_title]
    for lg in _legends(fig):
        out += [lg.get_title(), *lg.get_texts()]
    return [t for t in out if t is not None and t.get_visible() and str(t.get_text()).strip()]


def _sentence_case(fig, name: str) -> list[str]:
    """A title, axis label or legend text starting with a lowercase letter (a raw code such as
    "stable" or "cutoff") is not in sentence case."""
    return [f"{name}: {_name(t)} does not start with a capital (sentence case, human label)"
            for t in _headings(fig) if _first(t).isascii() and _first(t).islower()]


def _first(t: Text) -> str:
    return str(t.get_text()).lstrip()[:1]


def _legend_sizes(fig, name: str) -> list[str]:
    """Legend text (entries and title) never larger than the figure's largest tick label."""
    ticks = [lab.get_fontsize() for ax in fig.get_axes() for axis in (ax.xaxis, ax.yaxis)
             for tick in axis.get_major_ticks() for lab in (tick.label1,)]
    if not ticks:
        return []
    limit = max(ticks)
    return [f"{name}: legend text {_name(t)} is {t.get_fontsize():g} pt, larger than the tick labels ({limit:g} pt)"
            for lg in _legends(fig) for t in [lg.get_title(), *lg.get_texts()]
            if str(t.get_text()).strip() and t.get_fontsize() > limit + 1e-9]


def lint_tiff(path: Path, dpi: int) -> list[str]:
    """Problems of a written TIFF file (mode, compression, resolution)."""
    from PIL import Image

    problems = []
    with Image.open(path) as im:
        if im.mode != "RGB":
            problems.append(f"{Path(path).name}: mode {im.mode}, expected RGB")
        if im.info.get("compression") != "tiff_lzw":
            problems.append(f"{Path(path).name}: compression {im.info.get('compression')}, expected LZW")
        got = im.info.get("dpi")
        if got is None or abs(float(got[0]) - dpi) > 0.5 or abs(float(got[1]) - dpi) > 0.5:
            problems.append(f"{Path(path).name}: dpi {got}, expected {dpi}")
    return problems

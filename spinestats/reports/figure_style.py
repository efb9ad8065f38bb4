"""Journal figure presets: sizes, fonts, a colour-blind-safe palette, saving.

Widths follow common journal columns: single 85 mm, one-and-a-half 120 mm,
double 170 mm.  Fonts are at least 7 pt.  Colours are the Okabe-Ito palette
(safe for the common colour-vision deficiencies) and every series also gets
its own line style and marker so figures survive greyscale printing.
Styling is applied inside :func:`journal_figure` through an rc context; we
never change matplotlib's global state on import.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no screen needed
import matplotlib.pyplot as plt  # noqa: E402

from spinestats.reports.figure_files import lean_font_subsets, memo_font_lookups, memo_text_layouts, memo_text_metrics  # noqa: E402

MM_PER_INCH = 25.4
WIDTHS_MM = {"single": 85.0, "onehalf": 120.0, "double": 170.0}

# Okabe & Ito (2008) colour-universal-design palette
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
LINESTYLES = ("-", "--", "-.", ":", (0, (5, 1, 1, 1)), (0, (3, 1, 1, 1, 1, 1)), (0, (1, 1)), (0, (8, 2)))
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")

RC = {
    "font.size": 8,
    "axes.titlesize": 8,
    "axes.labelsize": 8,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "legend.fontsize": 7,
    # Latin text keeps DejaVu Sans; glyphs it lacks (Japanese centre names,
    # group values such as あり/なし) fall back to IPAexGothic, shipped by the
    # matplotlib-fontja package and registered by :func:`register_fonts`.
    "font.family": ["DejaVu Sans", "IPAexGothic"],
    "axes.unicode_minus": True,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.linewidth": 0.6,
    "lines.linewidth": 1.2,
    "pdf.fonttype": 42,  # embed TrueType so journals can edit text
    "ps.fonttype": 42,
    "svg.fonttype": "none",
    "svg.hashsalt": "spinestats",  # deterministic SVG ids
}

CJK_FONT = "IPAexGothic"


@functools.cache
def register_fonts() -> str | None:
    """Make the bundled Japanese face known to matplotlib (once per process).

    The IPAexGothic TrueType file comes with the ``matplotlib-fontja``
    package (IPA Font License, which allows redistribution); its path comes
    from the package's ``get_font_ttf_path()``.  Importing the package runs
    its ``japanize()``, which sets matplotlib's global font family, so the
    import happens inside ``rc_context`` (the rc is restored afterwards) and
    the file is added to the font manager by path.  Returns the font file's
    path, or ``None`` when the package is missing (then Japanese text falls
    back to whatever the system has).
    """
    import matplotlib
    from matplotlib import font_manager

    try:
        with matplotlib.rc_context():  # undo the global font family japanize() sets on import
            import matplotlib_fontja
    except ImportError:
        return None
    path = Path(matplotlib_fontja.get_font_ttf_path())
    if not path.is_file():
        return None
    font_manager.fontManager.addfont(str(path))
    # IPAexGothic has no bold face: bold Latin text is DejaVu Sans Bold, bold Japanese
    # text falls back to the regular weight; matplotlib logs that once per lookup
    logging.getLogger("matplotlib.font_manager").addFilter(_NoCjkBoldNotice())
    return str(path)


class _NoCjkBoldNotice(logging.Filter):
    """Drop matplotlib's notice that the Japanese face has no bold weight (expected)."""

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        return not (msg.startswith("findfont: Failed to find font weight") and CJK_FONT in msg)


DEFAULT_FORMATS = ("pdf", "svg", "png", "tiff")
VECTOR_FORMATS = ("pdf", "svg")
RASTER_FORMATS = ("png", "tiff")
#: raster resolution when neither the plan (``output.figures.dpi``) nor ``--dpi`` asks for another: the
#: 300 dpi most journals ask of halftones; line art goes in the PDF/SVG, or ask for 600 dpi explicitly
DEFAULT_DPIS = (300,)


def series_style(i: int) -> dict:
    """Colour, line style and marker of the ``i``-th series."""
    return {
        "color": PALETTE[i % len(PALETTE)],
        "linestyle": LINESTYLES[i % len(LINESTYLES)],
        "marker": MARKERS[i % len(MARKERS)],
    }


_COLUMN: contextvars.ContextVar[str | float] = contextvars.ContextVar("spinestats_column_width", default="single")


@contextlib.contextmanager
def column_width(width: str | float) -> Iterator[None]:
    """Within the block, a "single"-column figure is ``width`` wide.

    This is how a plan's ``output.figures.width`` journal preset reaches every
    figure: "single" means one column of the chosen journal ("single" 85 mm,
    "onehalf" 120 mm, "double" 170 mm, or a width in mm), while figures laid
    out for a wider space ("onehalf", "double") keep their width.
    """
    if isinstance(width, str) and width not in WIDTHS_MM:
        raise ValueError(f"figure width {width!r}: expected one of {sorted(WIDTHS_MM)} or a width in mm")
    token = _COLUMN.set(width)
    try:
        yield
    finally:
        _COLUMN.reset(token)


#: the note every figure of a run on synthetic data carries (bottom-right corner, grey, tick-label size)
SYNTHETIC_MARK = "Synthetic data"
#: the ``gid`` of the note's Text artist (the figure checks find it by it)
SYNTHETIC_MARK_GID = "spinestats-synthetic-mark"
_SYNTHETIC: contextvars.ContextVar[bool] = contextvars.ContextVar("spinestats_synthetic_mark", default=False)


@contextlib.contextmanager
def synthetic_mark(flag: bool) -> Iterator[None]:
    """Within the block (when ``flag`` is true) every figure :func:`save_figure` writes carries
    a small grey "Synthetic data" note in its bottom-right corner (see :func:`add_synthetic_mark`).

    This is how a plan's ``synthetic: true`` (the job context's ``synthetic``) and a single
    command on a bundled synthetic example reach every figure, including those
    written by worker processes (each :class:`~spinestats.reports.figure_files.FigureTask`
    carries the flag).
    """
    token = _SYNTHETIC.set(bool(flag))
    try:
        yield
    finally:
        _SYNTHETIC.reset(token)


def synthetic_marked() -> bool:
    """Whether figures saved now carry the synthetic-data note (inside :func:`synthetic_mark`)."""
    return _SYNTHETIC.get()


_MARK_PAD_PT = 2.0


def add_synthetic_mark(fig) -> None:
    """Put the "Synthetic data" note in the bottom-right corner of ``fig`` (once).

    A figure laid out by constrained layout (every :func:`journal_figure`;
    the placement helpers add the note before they first lay it out)
    grows by a strip at its bottom, one line of tick-label text high (about
    4 mm), so the note overlaps no axis, tick label, legend or caption; its
    width and everything above the strip stay as they were.  A figure placed by hand (layout
    engine "none", e.g. the forest plot) keeps the note in its bottom-right
    corner when nothing is drawn there, else it grows by such a strip too.
    """
    from matplotlib.layout_engine import ConstrainedLayoutEngine
    from matplotlib.transforms import ScaledTranslation

    if any(t.get_gid() == SYNTHETIC_MARK_GID for t in fig.texts):
        return
    size = float(RC["xtick.labelsize"])
    engine = fig.get_layout_engine()
    if isinstance(engine, ConstrainedLayoutEngine):
        # the figure grows by the strip, and the layout keeps the rest to its former height: axes, legends
        # and texts keep their size and place relative to one another (a legend placed clear of the data stays so)
        height = fig.get_figheight()
        grown = height + (size * 1.3 + _MARK_PAD_PT) / 72.0
        x0, y0, w, h = engine.get()["rect"]
        fig.set_figheight(grown)
        engine.set(rect=(x0, 1.0 - (1.0 - y0) * height / grown, w, h * height / grown))
    pad = _MARK_PAD_PT / 72.0
    text = fig.text(1.0, 0.0, SYNTHETIC_MARK, ha="right", va="bottom", fontsize=size, color="0.45",
                    transform=fig.transFigure + ScaledTranslation(-pad, pad, fig.dpi_scale_trans),
                    gid=SYNTHETIC_MARK_GID, fontfamily=list(RC["font.family"]))
    text.set_in_layout(False)
    if not isinstance(engine, ConstrainedLayoutEngine):
        _free_corner(fig, text, pad)


def _free_corner(fig, text, pad: float) -> None:
    """Keep the note of a hand-placed figure in the bottom-right corner when it touches no other
    text, legend or axes there; else grow the figure by a strip at its bottom for it."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    fig.draw_without_rendering()
    renderer = canvas.get_renderer()
    # an axis counts by the ticks it draws and its label (tick labels outside the view are not drawn)
    axes = [ax for ax in fig.get_axes() if ax.get_visible()]
    axis_texts = {id(t) for ax in axes for axis in (ax.xaxis, ax.yaxis)
                  for t in [axis.label, axis.offsetText]
                  + [lab for tick in axis.get_major_ticks() + axis.get_minor_ticks() for lab in (tick.label1, tick.label2)]}
    others = [t.get_window_extent(renderer) for t in fig.findobj(match=lambda a: hasattr(a, "get_text"))
              if t is not text and id(t) not in axis_texts and t.get_visible() and str(t.get_text()).strip()]
    others += [axis.get_tightbbox(renderer) for ax in axes if ax.axison for axis in (ax.xaxis, ax.yaxis)]
    # the plotting area of each axes that shows its axes (a hidden axes holding text columns counts by its texts)
    others += [ax.bbox for ax in axes if ax.axison]
    others += [lg.get_window_extent(renderer) for lg in fig.legends]
    box = text.get_window_extent(renderer)
    if not any(min(box.x1, b.x1) > max(box.x0, b.x0) and min(box.y1, b.y1) > max(box.y0, b.y0)
               for b in others if b is not None):
        return
    # grow the figure by a strip at the bottom: every axes keeps its size and moves up with the
    # figure-level texts placed in figure coordinates (texts placed by data coordinates follow their axes)
    height = fig.get_figheight()
    strip = (text.get_fontsize() * 1.3 + 2 * _MARK_PAD_PT) / 72.0
    grown = height + strip
    for ax in fig.get_axes():
        x0, y0, w, h = ax.get_position(original=True).bounds
        ax.set_position((x0, (y0 * height + strip) / grown, w, h * height / grown))
    for t in fig.texts:
        if t is not text and t.get_transform() == fig.transFigure:
            t.set_y((t.get_position()[1] * height + strip) / grown)
    fig.set_figheight(grown)


def journal_figure(width: str | float = "single", height_mm: float | None = None, nrows: int = 1, ncols: int = 1, **kwargs):
    """A new figure sized for a journal column, with the journal rc style.

    Parameters
    ----------
    width : "single" (one column: 85 mm, or the preset set by :func:`column_width`),
        "onehalf" (120 mm), "double" (170 mm) or a width in mm.
    height_mm : height in mm (default: 0.75 of the width).
    """
    register_fonts()
    if width == "single":
        width = _COLUMN.get()
    w = WIDTHS_MM[width] if isinstance(width, str) else float(width)
    h = height_mm if height_mm is not None else 0.75 * w
    with plt.rc_context(RC):
        fig, ax = plt.subplots(nrows, ncols, figsize=(w / MM_PER_INCH, h / MM_PER_INCH), **kwargs)
    fig.set_layout_engine("constrained")
    return fig, ax


def figure_texts(fig, tick_labels: bool = True) -> list:
    """The texts of ``fig`` in the order of ``fig.findobj(match=Text)``, without running a tick locator.

    ``findobj`` asks each axis for its ticks at the positions its locator gives
    now, which runs the locator (and makes the ticks missing): most of its cost,
    0.3-0.5 s of CPU over the demo's figures.  Here an axis of the figure's axes
    gives its label, its offset text and (``tick_labels``) the texts of the
    ticks it has made, as many as it has; a tick it makes later copies its
    texts' properties from its first tick (Matplotlib's ``Axis._copy_tick_props``).
    """
    from matplotlib.axis import Axis
    from matplotlib.text import Text

    axes_of = {id(ax) for ax in fig.get_axes()}
    found: list = []

    def walk(artist) -> None:
        if isinstance(artist, Axis) and id(artist.axes) in axes_of:
            children = [artist.label, artist.offsetText]
            if tick_labels:
                children += [*artist.majorTicks, *artist.minorTicks]
        else:
            children = artist.get_children()
        for child in children:
            walk(child)
        if isinstance(artist, Text):
            found.append(artist)

    walk(fig)
    return found


def apply_font_stack(fig, texts: list | None = None) -> None:
    """Give every text of ``fig`` (``texts``: :func:`figure_texts` of it, if
    known) that uses a default face the journal font stack, and cap legend text
    at the tick-label size.

    Texts added after :func:`journal_figure` returned (legends, annotations)
    are created outside its rc context and would use matplotlib's global
    default face, which has no Japanese glyphs; this sets them to the stack
    of :data:`RC` (DejaVu Sans, then IPAexGothic).  A face set on purpose
    (e.g. monospace) is kept.
    """
    stack = list(RC["font.family"])
    defaults = ({"sans-serif"}, {"DejaVu Sans"}, {CJK_FONT})
    for t in figure_texts(fig) if texts is None else texts:
        if set(t.get_fontfamily()) in defaults:
            t.set_fontfamily(stack)
    # one size scale: legend text is never larger than the tick labels
    legends = [ax.get_legend() for ax in fig.get_axes() if ax.get_legend() is not None] + list(fig.legends)
    for lg in legends:
        for t in [*lg.get_texts(), lg.get_title()]:
            if t.get_fontsize() > RC["legend.fontsize"]:
                t.set_fontsize(RC["legend.fontsize"])


_OBSERVERS: list[Callable] = []


@contextlib.contextmanager
def observe_figures(callback: Callable) -> Iterator[None]:
    """Within the block, :func:`save_figure` calls ``callback(fig, stem, paths)``
    after writing each figure (before closing it).

    This is how the figure lint in the tests opens every figure a run draws
    (the Figure objects, laid out as saved).  Figures drawn in worker processes
    are not seen: run with one worker.
    """
    _OBSERVERS.append(callback)
    try:
        yield
    finally:
        _OBSERVERS.remove(callback)


def _write_raster(fig, folder: Path, stem: str, formats, dpi: int) -> list[Path]:
    """Render ``fig`` once at ``dpi`` and write every raster format from that buffer.

    Files are RGB (no alpha channel: several submission systems reject one),
    carry the dpi, and TIFF is LZW-compressed.  PNG is written by
    :func:`~spinestats.reports.png_file.png_bytes` (unfiltered rows deflated at
    zlib level 3: the same pixels, in about half the time of Pillow's encoder).
    """
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    from spinestats.reports.png_file import png_bytes

    old_dpi = fig.dpi
    canvas = FigureCanvasAgg(fig)
    try:
        fig.dpi = dpi
        canvas.draw()
        rgba = np.asarray(canvas.buffer_rgba())
        image = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
        rgb: Image.Image | None = None  # the RGB image, for TIFF
        if int(rgba[:, :, 3].min(initial=255)) == 255:  # opaque (a white figure background): drop alpha
            pixels = rgba[:, :, :3]  # (a view: the PNG writer copies it into its rows)
        else:  # composite onto white
            rgb = Image.new("RGB", image.size, (255, 255, 255))
            rgb.paste(image, mask=image.getchannel("A"))
            pixels = np.asarray(rgb)
        written = []
        for fmt in formats:
            path = folder / f"{stem}_{dpi}dpi.{fmt}"
            if fmt == "tiff":
                if rgb is None:  # Pillow drops the alpha channel in C, at a quarter of the cost of copying the array
                    rgb = image.convert("RGB")
                rgb.save(path, format="TIFF", dpi=(dpi, dpi), compression="tiff_lzw")
            else:
                path.write_bytes(png_bytes(pixels, dpi))
            written.append(path)
    finally:
        fig.dpi = old_dpi
    return written


def figure_paths(folder: Path, stem: str, formats=DEFAULT_FORMATS, dpis=DEFAULT_DPIS) -> list[Path]:
    """The files :func:`save_figure` writes, in the order it returns them."""
    unknown = [f for f in formats if f not in VECTOR_FORMATS + RASTER_FORMATS]
    if unknown:
        raise ValueError(f"figure format(s) {unknown}: expected some of {VECTOR_FORMATS + RASTER_FORMATS}")
    folder = Path(folder)
    return [folder / f"{stem}.{fmt}" if fmt in VECTOR_FORMATS else folder / f"{stem}_{int(dpi)}dpi.{fmt}"
            for fmt in formats for dpi in ((None,) if fmt in VECTOR_FORMATS else dpis)]


def _lay_out(fig, engine) -> None:
    """Run ``fig``'s layout engine as drawing the figure would, without drawing it.

    ``Figure.draw`` applies each axes' aspect ratio, runs the layout engine,
    then paints every artist; ``draw_without_rendering`` does all three with
    painting disabled, walking every artist for nothing.  The layout is all a
    file needs before it is painted.  When Matplotlib lacks the steps used
    here, the figure is drawn without rendering instead.
    """
    get_renderer, draw_artists = getattr(fig, "_get_renderer", None), getattr(fig, "_get_draw_artists", None)
    if get_renderer is None or draw_artists is None:  # pragma: no cover - present in Matplotlib 3.8 to 3.11
        fig.draw_without_rendering()
        return
    draw_artists(get_renderer())  # applies the aspect ratios, as Figure.draw does before its layout
    if fig.axes:
        try:
            engine.execute(fig)
        except ValueError:  # as Figure.draw: a figure too small for its layout keeps its positions
            pass


def _no_layout_engine(fig) -> None:
    """Leave ``fig`` with no layout engine at all (its layout is done and kept).

    ``set_layout_engine("none")`` keeps a placeholder engine, and ``savefig``
    paints a figure that has any engine once more with drawing disabled "so
    that the layout works" before painting the file: with no engine each
    vector file costs one painting pass, not two.
    """
    with plt.rc_context({"figure.autolayout": False, "figure.constrained_layout.use": False}):
        fig.set_layout_engine(None)


def save_figure(fig, folder: Path, stem: str, formats=DEFAULT_FORMATS, dpis=DEFAULT_DPIS) -> list[Path]:
    """Write ``fig`` as ``stem.<fmt>`` (vector) and ``stem_<dpi>dpi.<fmt>`` (raster).

    The figure is laid out once (not at all when it has not changed since
    its last layout); vector formats (pdf, svg) are drawn once each;
    raster formats (png, tiff) are rendered once per dpi and every raster file
    of that dpi is written from the same pixels.  Returns the written paths in
    the order ``formats`` lists them (rasters by dpi).  The figure is closed.

    Inside :func:`spinestats.reports.figure_files.collect_figures` (several
    workers) the figure is handed over to be written by a worker process, and
    the paths it will have are returned.
    """
    from spinestats.reports.figure_files import defer_figure

    folder = Path(folder)
    paths = figure_paths(folder, stem, formats, dpis)
    folder.mkdir(parents=True, exist_ok=True)
    if not _OBSERVERS and defer_figure(fig, folder, stem, tuple(formats), tuple(dpis)):
        plt.close(fig)
        return paths
    register_fonts()
    raster = [f for f in formats if f in RASTER_FORMATS]
    meta = {"pdf": {"CreationDate": None, "Creator": "spinestats"}, "svg": {"Date": None, "Creator": "spinestats"}}
    apply_font_stack(fig)
    with plt.rc_context(RC), memo_font_lookups(), memo_text_metrics(), memo_text_layouts():
        if synthetic_marked():
            add_synthetic_mark(fig)
        # lay the figure out once, then keep that layout for every format and
        # dpi (constrained layout works in figure fractions and points, so it
        # does not depend on the dpi; re-running it per file only costs time);
        # a figure laid out since it last changed (by the placement helpers,
        # spinestats.reports.placement) keeps that layout
        engine = fig.get_layout_engine()
        if engine is not None and type(engine).__name__ != "PlaceHolderLayoutEngine" and fig.stale:
            _lay_out(fig, engine)
        _no_layout_engine(fig)
        if raster:
            for dpi in dpis:
                _write_raster(fig, folder, stem, raster, int(dpi))
        for fmt in formats:
            if fmt in VECTOR_FORMATS:
                with lean_font_subsets():
                    fig.savefig(folder / f"{stem}.{fmt}", format=fmt, metadata=meta[fmt])
        for callback in list(_OBSERVERS):
            callback(fig, stem, list(paths))
    plt.close(fig)
    return paths


MIN_FONT_PT = 7.0


def width_mm(width: str | float) -> float:
    """A journal preset ("single", "onehalf", "double") or a width in mm, as mm."""
    if isinstance(width, str):
        if width not in WIDTHS_MM:
            raise ValueError(f"figure width {width!r} is not a preset; expected one of {', '.join(WIDTHS_MM)} or a number of mm")
        return WIDTHS_MM[width]
    return float(width)


def smallest_font_pt(fig) -> float:
    """The smallest font size (pt) of any visible text in ``fig`` (inf if none)."""
    sizes = [t.get_fontsize() for t in fig.findobj(match=lambda a: hasattr(a, "get_fontsize") and hasattr(a, "get_text"))
             if t.get_visible() and str(t.get_text()).strip()]
    return float(min(sizes)) if sizes else float("inf")


def figure_file_info(path: str | Path) -> dict:
    """Size (mm) and resolution (dpi) of a written figure file.

    PNG and TIFF are read with Pillow (dpi from the file's pHYs/resolution
    tags); PDF from its MediaBox (points); SVG from its ``width``/``height``
    attributes (points).  Returns ``{"format", "width_mm", "height_mm", "dpi"}``
    (``dpi`` is ``None`` for vector formats).
    """
    import re

    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt in ("png", "tif", "tiff"):
        from PIL import Image

        with Image.open(path) as im:
            im.load()
            dpi_x = float(im.info["dpi"][0])
            w_px, h_px = im.size
        return {"format": "tiff" if fmt.startswith("tif") else fmt, "width_mm": w_px / dpi_x * MM_PER_INCH,
                "height_mm": h_px / dpi_x * MM_PER_INCH, "dpi": dpi_x}
    if fmt == "pdf":
        m = re.search(rb"/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*\]", path.read_bytes())
        if m is None:
            raise ValueError(f"{path}: no MediaBox found")
        x0, y0, x1, y1 = (float(v) for v in m.groups())
        return {"format": "pdf", "width_mm": (x1 - x0) / 72 * MM_PER_INCH, "height_mm": (y1 - y0) / 72 * MM_PER_INCH, "dpi": None}
    if fmt == "svg":
        head = path.read_text(encoding="utf-8")[:4000]
        w = re.search(r'<svg[^>]*\swidth="([\d.]+)pt"', head, re.S)
        h = re.search(r'<svg[^>]*\sheight="([\d.]+)pt"', head, re.S)
        if w is None or h is None:
            raise ValueError(f"{path}: no width/height in pt on the <svg> element")
        return {"format": "svg", "width_mm": float(w.group(1)) / 72 * MM_PER_INCH,
                "height_mm": float(h.group(1)) / 72 * MM_PER_INCH, "dpi": None}
    raise ValueError(f"{path}: unknown figure format {fmt!r}")

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
from collections.abc import Iterator
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no screen needed
import matplotlib.pyplot as plt  # noqa: E402

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
    "font.family": "DejaVu Sans",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.linewidth": 0.6,
    "lines.linewidth": 1.2,
    "pdf.fonttype": 42,  # embed TrueType so journals can edit text
    "ps.fonttype": 42,
    "svg.fonttype": "none",
    "svg.hashsalt": "spinestats",  # deterministic SVG ids
}

DEFAULT_FORMATS = ("pdf", "svg", "png", "tiff")
DEFAULT_DPIS = (300, 600)


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


def journal_figure(width: str | float = "single", height_mm: float | None = None, nrows: int = 1, ncols: int = 1, **kwargs):
    """A new figure sized for a journal column, with the journal rc style.

    Parameters
    ----------
    width : "single" (one column: 85 mm, or the preset set by :func:`column_width`),
        "onehalf" (120 mm), "double" (170 mm) or a width in mm.
    height_mm : height in mm (default: 0.75 of the width).
    """
    if width == "single":
        width = _COLUMN.get()
    w = WIDTHS_MM[width] if isinstance(width, str) else float(width)
    h = height_mm if height_mm is not None else 0.75 * w
    with plt.rc_context(RC):
        fig, ax = plt.subplots(nrows, ncols, figsize=(w / MM_PER_INCH, h / MM_PER_INCH), **kwargs)
    fig.set_layout_engine("constrained")
    return fig, ax


def save_figure(fig, folder: Path, stem: str, formats=DEFAULT_FORMATS, dpis=DEFAULT_DPIS) -> list[Path]:
    """Write ``fig`` as ``stem.<fmt>`` (vector) and ``stem_<dpi>dpi.<fmt>`` (raster).

    Vector formats (pdf, svg) are written once; raster formats (png, tiff)
    once per dpi.  Returns the written paths.  The figure is closed.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    meta = {"pdf": {"CreationDate": None, "Creator": "spinestats"}, "svg": {"Date": None, "Creator": "spinestats"}}
    with plt.rc_context(RC):
        # lay the figure out once, then keep that layout for every format and
        # dpi (constrained layout works in figure fractions and points, so it
        # does not depend on the dpi; re-running it per file only costs time)
        engine = fig.get_layout_engine()
        if engine is not None and type(engine).__name__ != "PlaceHolderLayoutEngine":
            fig.draw_without_rendering()
            fig.set_layout_engine("none")
        for fmt in formats:
            if fmt in ("pdf", "svg"):
                path = folder / f"{stem}.{fmt}"
                fig.savefig(path, format=fmt, metadata=meta[fmt])
                written.append(path)
            else:
                for dpi in dpis:
                    path = folder / f"{stem}_{dpi}dpi.{fmt}"
                    kwargs = {"pil_kwargs": {"compression": "tiff_lzw"}} if fmt == "tiff" else {}
                    fig.savefig(path, format=fmt, dpi=dpi, **kwargs)
                    written.append(path)
    plt.close(fig)
    return written


MIN_FONT_PT = 7.0
VECTOR_FORMATS = ("pdf", "svg")
RASTER_FORMATS = ("png", "tiff")


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

"""Journal figure presets: sizes, fonts, a colour-blind-safe palette, saving.

Widths follow common journal columns: single 85 mm, one-and-a-half 120 mm,
double 170 mm.  Fonts are at least 7 pt.  Colours are the Okabe-Ito palette
(safe for the common colour-vision deficiencies) and every series also gets
its own line style and marker so figures survive greyscale printing.
Styling is applied inside :func:`journal_figure` through an rc context; we
never change matplotlib's global state on import.
"""

from __future__ import annotations

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


def journal_figure(width: str | float = "single", height_mm: float | None = None, nrows: int = 1, ncols: int = 1, **kwargs):
    """A new figure sized for a journal column, with the journal rc style.

    Parameters
    ----------
    width : "single" (85 mm), "onehalf" (120 mm), "double" (170 mm) or a width in mm.
    height_mm : height in mm (default: 0.75 of the width).
    """
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

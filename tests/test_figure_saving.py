"""save_figure: one drawing per output (a spy counts the draws), RGB TIFF with dpi, Japanese text embedded."""

from __future__ import annotations

import re

import pytest
import matplotlib
from PIL import Image

from spinestats.reports.figure_style import journal_figure, save_figure


def _figure():
    fig, ax = journal_figure("single")
    ax.plot([0, 1, 2], [0, 1, 0], label="あり")
    ax.set_xlabel("Months from start of treatment")
    ax.set_title("分離手術")
    ax.legend()
    return fig


def test_each_raster_dpi_is_rendered_once_and_shared_by_png_and_tiff(tmp_path, monkeypatch):
    calls = []
    original = matplotlib.figure.Figure.draw

    def spy(self, renderer):
        # matplotlib's layout passes run with drawing disabled (draw_* replaced on the renderer
        # instance) or are cut short by an exception; only complete painting passes are counted
        inner = getattr(renderer, "_renderer", renderer)  # MixedModeRenderer wraps the vector renderer
        painting = all("draw_path" not in getattr(r, "__dict__", {}) for r in (renderer, inner))
        out = original(self, renderer)
        if painting:
            calls.append(type(renderer).__name__)
        return out

    monkeypatch.setattr(matplotlib.figure.Figure, "draw", spy)
    paths = save_figure(_figure(), tmp_path, "fig", formats=("pdf", "svg", "png", "tiff"), dpis=(150, 300))
    assert [p.name for p in paths] == ["fig.pdf", "fig.svg", "fig_150dpi.png", "fig_300dpi.png",
                                       "fig_150dpi.tiff", "fig_300dpi.tiff"]
    # one painting pass per vector format, one Agg render per dpi (not one per dpi and raster format)
    assert sorted(calls) == ["MixedModeRenderer", "MixedModeRenderer", "RendererAgg", "RendererAgg"], calls


def test_tiff_and_png_are_rgb_with_the_requested_dpi(tmp_path):
    paths = save_figure(_figure(), tmp_path, "fig", formats=("png", "tiff"), dpis=(300,))
    for p in paths:
        with Image.open(p) as im:
            assert im.mode == "RGB"
            assert [round(float(v)) for v in im.info["dpi"]] == [300, 300]
            if p.suffix == ".tiff":
                assert im.info["compression"] == "tiff_lzw"
    with Image.open(paths[0]) as a, Image.open(paths[1]) as b:
        assert a.tobytes() == b.tobytes()  # the same pixels


def test_png_holds_exactly_the_pixels_agg_rendered(tmp_path, monkeypatch):
    """The PNG is written by png_file.png_bytes (unfiltered rows, zlib level 3), not Pillow's encoder: other
    bytes, the very pixels Agg rendered, the same as Pillow's PNG of them, and a valid file (CRCs checked)."""
    import io

    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    pillow_png = []
    original = Image.Image.save

    def spy(self, fp, format=None, **params):  # noqa: A002 - Pillow's own name
        if format == "PNG":
            pillow_png.append(params)
        return original(self, fp, format, **params)

    monkeypatch.setattr(Image.Image, "save", spy)
    rendered = []
    draw = FigureCanvasAgg.draw

    def keep(self):
        draw(self)
        rendered.append(np.array(self.buffer_rgba())[:, :, :3])

    monkeypatch.setattr(FigureCanvasAgg, "draw", keep)
    (png,) = save_figure(_figure(), tmp_path, "fig", formats=("png",), dpis=(300,))
    assert pillow_png == [] and len(rendered) == 1
    with Image.open(png) as im:
        im.verify()
    with Image.open(png) as im:
        pixels = np.asarray(im.convert("RGB"))
        assert im.mode == "RGB" and [round(float(v)) for v in im.info["dpi"]] == [300, 300]
        default = io.BytesIO()
        original(im, default, "PNG", dpi=(300, 300))
    assert pixels.shape == rendered[0].shape and np.array_equal(pixels, rendered[0])
    with Image.open(default) as im:
        assert np.array_equal(np.asarray(im.convert("RGB")), pixels)
        assert im.info["dpi"] == Image.open(png).info["dpi"]
    assert png.read_bytes() != default.getvalue()  # another encoder: other bytes, same pixels


def test_japanese_text_is_embedded_as_truetype_in_pdf_and_editable_in_svg(tmp_path):
    pdf, svg = save_figure(_figure(), tmp_path, "fig", formats=("pdf", "svg"))
    raw = pdf.read_bytes()
    assert b"IPAexGothic" in raw and b"DejaVuSans" in raw
    assert b"/Subtype /Type3" not in raw  # TrueType (fonttype 42), not Type 3 outlines
    text = svg.read_text(encoding="utf-8")
    assert "分離手術" in text and re.search(r"font(?:-family)?:[^;\"]*IPAexGothic", text)  # Matplotlib 3.8 writes the "font:" shorthand


def test_a_command_draws_each_figure_once_and_saves_every_format_from_that_drawing(tmp_path, monkeypatch):
    """`spinestats survival` with four formats at two dpis: a spy counts the Figures created and the
    painting passes; each figure is created once and painted once per vector format and once per dpi."""
    from pathlib import Path

    from spinestats.reports.figure_style import observe_figures
    from cli_run import cli  # tests/ is on sys.path

    created, painted = [], {}
    original_init, original_draw = matplotlib.figure.Figure.__init__, matplotlib.figure.Figure.draw

    def init_spy(self, *args, **kwargs):
        created.append(id(self))
        original_init(self, *args, **kwargs)

    def draw_spy(self, renderer):
        inner = getattr(renderer, "_renderer", renderer)
        painting = all("draw_path" not in getattr(r, "__dict__", {}) for r in (renderer, inner))
        out = original_draw(self, renderer)
        if painting:
            painted.setdefault(id(self), []).append(type(renderer).__name__)
        return out

    saved = []
    monkeypatch.setattr(matplotlib.figure.Figure, "__init__", init_spy)
    monkeypatch.setattr(matplotlib.figure.Figure, "draw", draw_spy)
    data = Path(__file__).resolve().parents[1] / "data_schemas" / "examples" / "synthetic_cirt.csv"
    with observe_figures(lambda fig, stem, paths: saved.append((id(fig), stem, [p.name for p in paths]))):
        code = cli("survival", data, "--schema", "cirt", "--endpoint", "all", "--out", tmp_path / "o",
                   *[a for f in ("pdf", "svg", "png", "tiff") for a in ("--figure-format", f)],
                   "--dpi", "72", "--dpi", "100")
    assert code == 0
    stems = [stem for _, stem, _ in saved]
    assert len(stems) >= 3 and len(set(stems)) == len(stems)  # each figure saved once
    # every Figure the command created was saved, once: none is drawn again for another format
    assert sorted(created) == sorted(fid for fid, _, _ in saved)
    for fid, stem, names in saved:
        assert names == [f"{stem}.pdf", f"{stem}.svg", f"{stem}_72dpi.png", f"{stem}_100dpi.png",
                         f"{stem}_72dpi.tiff", f"{stem}_100dpi.tiff"]
        assert all((tmp_path / "o" / "figures" / n).is_file() for n in names)
        # two vector painting passes (PDF, SVG) and one Agg render per dpi shared by PNG and TIFF
        assert sorted(painted[fid]) == ["MixedModeRenderer", "MixedModeRenderer", "RendererAgg", "RendererAgg"], stem


# Output files, folders and privacy: not re-run under the second BLAS kernel (.ci/run).
pytestmark = pytest.mark.outputs


def test_a_transparent_figure_is_composited_onto_white_in_png_and_tiff(tmp_path, monkeypatch):
    """A figure whose background is not opaque is written as RGB composited onto white paper (no alpha
    channel), the same pixels in PNG and TIFF, equal to Pillow's composite of the RGBA buffer Agg rendered;
    a pixel Agg left fully transparent becomes white."""
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    rendered = []
    draw = FigureCanvasAgg.draw

    def keep(self):
        draw(self)
        rendered.append(np.array(self.buffer_rgba()))

    monkeypatch.setattr(FigureCanvasAgg, "draw", keep)
    fig = _figure()
    fig.patch.set_alpha(0.0)
    for ax in fig.axes:
        ax.patch.set_alpha(0.0)
    png, tiff = save_figure(fig, tmp_path, "clear", formats=("png", "tiff"), dpis=(100,))
    assert len(rendered) == 1 and rendered[0][:, :, 3].min() == 0  # Agg left transparent pixels
    with Image.open(png) as a, Image.open(tiff) as b:
        assert a.mode == b.mode == "RGB" and a.tobytes() == b.tobytes()
        pixels = np.asarray(a)
    assert (pixels[0, 0] == 255).all()  # the corner: transparent paper, now white
    assert (pixels.reshape(-1, 3) < 128).all(axis=1).any()  # the dark line and text are kept
    rgba = Image.fromarray(rendered[0], "RGBA")
    white = Image.new("RGB", rgba.size, (255, 255, 255))
    white.paste(rgba, mask=rgba.getchannel("A"))
    assert np.array_equal(np.asarray(white), pixels)

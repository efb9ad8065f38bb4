"""Figure files: lean PDF font subsets keep every glyph; figures written by worker processes are
byte-identical to figures written in the process that drew them."""

from __future__ import annotations

import gc
import importlib.util
from pathlib import Path

import matplotlib.ticker
import pytest
from fontTools import subset as ft_subset
from matplotlib import font_manager

from spinestats.reports import figure_files
from spinestats.reports.figure_files import (
    LAYOUT_TABLES, _LeanSubsetModule, collect_figures, lean_font_subsets, parallel_figures, render_figures,
)
from spinestats.reports.figure_style import figure_paths, journal_figure, save_figure


def _ipaex() -> str:
    spec = importlib.util.find_spec("matplotlib_fontja")
    return str(Path(list(spec.submodule_search_locations)[0]) / "fonts" / "ipaexg.ttf")


def _subset(module, path: str, text: str):
    """Subset ``path`` to the glyphs of ``text`` the way Matplotlib's PDF backend does."""
    options = module.Options(glyph_names=True, recommended_glyphs=True)
    font = module.load_font(path, options)
    gids = {font.getBestCmap()[ord(c)] for c in text}
    gids = {font.getGlyphID(g) for g in gids}
    sub = module.Subsetter(options=options)
    sub.populate(gids=gids)
    sub.subset(font)
    return font


@pytest.mark.parametrize("path, text", [
    (font_manager.findfont("DejaVu Sans"), "Months from start of treatment −12 (95% CI) fi"),
    (_ipaex(), "分離手術あり なし"),
])
def test_lean_subset_keeps_the_same_glyphs_outlines_widths_and_cmap(path, text):
    full = _subset(ft_subset, path, text)
    lean = _subset(_LeanSubsetModule(ft_subset), path, text)
    assert "glyf" in lean and "cmap" in lean and "hmtx" in lean
    assert not [t for t in LAYOUT_TABLES if t in lean]
    # every glyph asked for, with the same outline and advance width, and the same character map;
    # the full subset also keeps glyphs only a layout substitution could reach (e.g. the "ff"
    # ligature), which the PDF never draws: Matplotlib has laid the text out already
    kept = lean.getGlyphOrder()
    assert set(kept) <= set(full.getGlyphOrder())
    assert {lean.getBestCmap()[ord(c)] for c in text} <= set(kept)
    assert all(lean["glyf"][g].compile(lean["glyf"]) == full["glyf"][g].compile(full["glyf"]) for g in kept)
    assert all(lean["hmtx"][g] == full["hmtx"][g] for g in kept)
    assert {c: lean.getBestCmap()[ord(c)] for c in text} == {c: full.getBestCmap()[ord(c)] for c in text}
    # only the layout tables are gone
    assert sorted(set(full.keys()) - set(lean.keys())) == sorted(t for t in LAYOUT_TABLES if t in full)


def test_lean_subsets_are_active_only_inside_the_block():
    from matplotlib.backends import _backend_pdf_ps as helper

    before = helper.subset
    with lean_font_subsets():
        assert isinstance(helper.subset, _LeanSubsetModule)
        assert helper.subset.Options().layout_features == []
    assert helper.subset is before


def _figures(placed: bool = False):
    from spinestats.reports.placement import fit_texts, place_legend

    out = []
    for i in range(3):
        fig, ax = journal_figure("single")
        ax.step([0, 1, 2, 3], [1, 0.8 - 0.1 * i, 0.6, 0.5], where="post", label=f"Group {i + 1}")
        ax.set_xlabel("Months from start of treatment")
        ax.set_ylabel("分離手術 あり")
        if placed:  # laid out by the placement helpers: saved with that layout
            place_legend(ax, frameon=False)
            fit_texts(fig, f"fig{i}")
        else:
            ax.legend()
        out.append(fig)
    # a figure that cannot be serialised (a locally defined function) is written at once
    ax = out[-1].axes[0]
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _pos: f"{v:.0%}"))
    return out


def _write(folder: Path, workers: int, placed: bool = False, synthetic: bool = False) -> dict[str, bytes]:
    from spinestats.reports.figure_style import synthetic_mark

    formats, dpis = ("pdf", "svg", "png", "tiff"), (150,)
    with synthetic_mark(synthetic), parallel_figures(workers):
        paths = [save_figure(fig, folder, f"fig{i}", formats=formats, dpis=dpis)
                 for i, fig in enumerate(_figures(placed))]
    assert paths == [figure_paths(folder, f"fig{i}", formats, dpis) for i in range(3)]
    return {p.name: p.read_bytes() for ps in paths for p in ps}


@pytest.mark.parametrize(("placed", "synthetic"), [(False, False), (True, False), (True, True)])
def test_workers_write_the_same_bytes_as_one_process(tmp_path, placed, synthetic):
    """Also for figures laid out by the placement helpers, which are saved with that layout (a worker
    gets the figure pickled, which marks it changed: FigureTask.laid_out carries the state)."""
    serial = _write(tmp_path / "one", 1, placed, synthetic)
    parallel = _write(tmp_path / "two", 2, placed, synthetic)
    assert len(serial) == 12 and serial.keys() == parallel.keys()
    assert [k for k in serial if serial[k] != parallel[k]] == []


def test_collected_figures_are_written_only_when_rendered(tmp_path):
    figs = _figures()
    with collect_figures() as tasks:
        p0 = save_figure(figs[0], tmp_path, "a", formats=("png",), dpis=(100,))
        p2 = save_figure(figs[2], tmp_path, "c", formats=("png",), dpis=(100,))
    # the serialisable figure waits; the one holding a lambda was written at once
    assert [t.stem for t in tasks] == ["a"]
    assert not p0[0].exists() and p2[0].exists()
    # render_figures returns every warning raised while writing, a ResourceWarning too: collected now, an
    # object another test left unclosed is not finalised by a collection during the write (a rare failure)
    gc.collect()
    assert render_figures(tasks, 1) == []
    assert p0[0].exists()
    assert figure_files._COLLECTED.get() is None


def test_joblib_parallel_still_works_after_the_figure_pool(tmp_path):
    """The plan runner's pool is joblib's own executor: a later joblib.Parallel in the same
    process reuses or replaces it (a plain loky executor there broke joblib's memmapping)."""
    from joblib import Parallel, delayed

    _write(tmp_path / "two", 2)
    assert Parallel(n_jobs=2, backend="loky")(delayed(abs)(-i) for i in range(4)) == [0, 1, 2, 3]


# Output files, folders and privacy: not re-run under the second BLAS kernel (.ci/run).
pytestmark = pytest.mark.outputs


def test_the_japanese_font_comes_from_matplotlib_fontja_without_changing_the_rc():
    """register_fonts() imports matplotlib-fontja for its font file; the rc its import sets is undone."""
    import subprocess
    import sys

    code = ("import matplotlib; before = list(matplotlib.rcParams['font.family']); "
            "from spinestats.reports.figure_style import register_fonts; path = register_fonts(); "
            "import sys; print('matplotlib_fontja' in sys.modules, path.endswith('ipaexg.ttf'), "
            "list(matplotlib.rcParams['font.family']) == before)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True", "True"]


def test_a_font_subset_is_made_once_per_glyph_set_and_the_pdf_bytes_do_not_change(tmp_path, monkeypatch):
    """Two figures showing the same characters share one subset per font; the PDFs are byte-identical
    to those written when every subset is made afresh (as Matplotlib does)."""
    from matplotlib.backends import _backend_pdf_ps as helper

    def draw():
        fig, ax = journal_figure("single")
        ax.plot([0, 1, 2], [1.0, 0.5, 0.2], label="分離手術 あり")
        ax.set_xlabel("Months from start of treatment")
        ax.legend()
        return fig

    monkeypatch.setenv("SPINESTATS_CACHE_DIR", "")  # no subsets kept between runs (tests/test_subset_cache.py)
    made = []
    real = helper.get_glyphs_subset
    monkeypatch.setattr(helper, "get_glyphs_subset", lambda f, g: made.append(set(g)) or real(f, g))
    monkeypatch.setattr(figure_files, "_SUBSETS", {})
    monkeypatch.setattr(figure_files, "_COMMON", {})  # as in a new process, whatever ran before
    save_figure(draw(), tmp_path, "first", formats=("pdf",))
    per_figure = len(made)  # on Matplotlib >= 3.11 with the intermediate subsets of both fonts
    save_figure(draw(), tmp_path, "again", formats=("pdf",))
    # before Matplotlib 3.11 the subset helper takes characters or returns the bare font (no SubsetResults):
    # there the subsets are made afresh per figure, as Matplotlib does, and only the byte identity below applies
    memo = hasattr(helper, "SubsetResults")
    assert per_figure >= 2 and len(made) == (per_figure if memo else 2 * per_figure)
    before = len(made)
    monkeypatch.setattr(figure_files, "_memo_subsets", lambda get, as_file: (get, as_file))
    save_figure(draw(), tmp_path, "plain", formats=("pdf",))
    assert len(made) - before == 2  # Matplotlib's own: one subset of DejaVu Sans and one of IPAexGothic
    first = (tmp_path / "first.pdf").read_bytes()
    assert first == (tmp_path / "again.pdf").read_bytes() == (tmp_path / "plain.pdf").read_bytes()


@pytest.mark.skipif(not hasattr(importlib.import_module("matplotlib.backends._backend_pdf_ps"), "SubsetResults"),
                    reason="the subset memo applies on Matplotlib >= 3.11 (before, subsets are Matplotlib's own)")
@pytest.mark.parametrize("family, weight", [("DejaVu Sans", "normal"), ("DejaVu Sans", "bold")])
def test_a_subset_cut_from_the_common_subset_is_the_subset_of_the_whole_font(family, weight, monkeypatch):
    """Subsets of glyphs of COMMON_TEXT are cut from a per-font intermediate subset: the bytes and the
    glyph index map are those of the whole font's subset; glyphs outside it come from the whole font."""
    import random

    from matplotlib.backends import _backend_pdf_ps as helper

    path = font_manager.findfont(font_manager.FontProperties(family=family, weight=weight))
    fontfile = font_manager.FontPath(path, 0)
    charmap = font_manager.get_font(fontfile).get_charmap()
    monkeypatch.setattr(figure_files, "_COMMON", {})
    monkeypatch.setattr(figure_files, "_SUBSETS", {})
    monkeypatch.setenv("SPINESTATS_CACHE_DIR", "")  # no subsets kept between runs (tests/test_subset_cache.py)
    real_get, as_file = helper.get_glyphs_subset, helper.font_as_file  # Matplotlib's own
    opened = []
    with lean_font_subsets():  # lean options, as in save_figure

        def whole(glyphs):
            with real_get(fontfile, set(glyphs)) as made:
                return as_file(made.font).getvalue(), dict(made.glyph_index_map)

        get, _ = figure_files._memo_subsets(lambda f, g: opened.append(f) or real_get(f, g), as_file)
        rng = random.Random(7)
        common = sorted({charmap[ord(c)] for c in figure_files.COMMON_TEXT if charmap.get(ord(c), 0)})
        texts = [[charmap[ord(c)] for c in "Months from start of treatment −12 (95% CI) ≥ 2 – τ"]]
        texts += [rng.sample(common, k) for k in (1, 12, 45, 90)]
        for glyphs in texts:
            with get(fontfile, set(glyphs)) as cut:
                assert (cut.font.data, cut.glyph_index_map) == whole(glyphs)
        # the whole font was opened once (for the intermediate subset); every subset after it was cut from that
        assert sum(1 for f in opened if f == fontfile) == 1 and len(opened) == 1 + len(texts)
        # a glyph outside COMMON_TEXT (here a Cyrillic letter): the subset comes from the whole font
        outside = [charmap[ord("Ж")], charmap[ord("A")]]
        with get(fontfile, set(outside)) as cut:
            assert (cut.font.data, cut.glyph_index_map) == whole(outside)
        assert opened[-1] == fontfile


def test_font_lookups_are_memoised_only_inside_the_block(monkeypatch):
    """Inside memo_font_lookups the font files of equal font properties are looked up once (the same
    files as Matplotlib finds); a changed property is looked up again; outside, Matplotlib's method is back."""
    from matplotlib.font_manager import FontProperties, fontManager

    from spinestats.reports.figure_files import memo_font_lookups
    from spinestats.reports.figure_style import RC, register_fonts

    register_fonts()
    stack = list(RC["font.family"])
    expected = fontManager._find_fonts_by_props(FontProperties(family=stack, size=7))
    expected_bold = fontManager._find_fonts_by_props(FontProperties(family=stack, size=7, weight="bold"))
    calls = []
    real = type(fontManager).findfont
    monkeypatch.setattr(type(fontManager), "findfont", lambda self, *a, **k: calls.append(a[0]) or real(self, *a, **k))
    with memo_font_lookups():
        found = [fontManager._find_fonts_by_props(FontProperties(family=stack, size=7)) for _ in range(5)]
        assert found == [expected] * 5 and len(calls) == len(stack)  # one findfont per family, once
        prop = FontProperties(family=stack, size=7)
        prop.set_weight("bold")  # a property changed after a lookup is looked up again
        assert fontManager._find_fonts_by_props(prop) == expected_bold and len(calls) == 2 * len(stack)
        found[0].append("x")  # a caller changing the list it got changes no later answer
        assert fontManager._find_fonts_by_props(FontProperties(family=stack, size=7)) == expected
    assert "_find_fonts_by_props" not in vars(fontManager)
    fontManager._find_fonts_by_props(FontProperties(family=stack, size=7))
    assert len(calls) == 3 * len(stack)


def test_the_layout_save_figure_runs_gives_the_files_drawing_the_figure_first_gives(tmp_path, monkeypatch):
    """save_figure lays a figure out without drawing it (figure_style._lay_out): the axes are placed
    as by Matplotlib's draw_without_rendering, and every file is byte for byte the same."""
    from spinestats.reports import figure_style

    def draw():
        fig, axes = journal_figure("double", nrows=1, ncols=2)
        for i, ax in enumerate(axes):
            ax.step([0, 12, 24, 36], [1, 0.8, 0.6 - 0.1 * i, 0.5], where="post", label=f"Group {i + 1}")
            ax.set_xlabel("Months from start of treatment")
            ax.set_ylabel("分離手術 あり")
            ax.set_aspect(30)
            ax.legend(loc="best")
        fig.suptitle("Overall survival")
        return fig

    drawn, laid, fresh = draw(), draw(), draw()
    drawn.draw_without_rendering()
    figure_style._lay_out(laid, laid.get_layout_engine())
    positions = [[ax.get_position().bounds for ax in f.axes] for f in (laid, drawn, fresh)]
    assert positions[0] == positions[1] != positions[2]  # the layout moved the axes, as drawing does
    formats, dpis = ("pdf", "svg", "png", "tiff"), (150,)
    ours = save_figure(draw(), tmp_path / "a", "fig", formats=formats, dpis=dpis)
    monkeypatch.setattr(figure_style, "_lay_out", lambda fig, engine: fig.draw_without_rendering())
    theirs = save_figure(draw(), tmp_path / "b", "fig", formats=formats, dpis=dpis)
    assert [p.read_bytes() for p in ours] == [p.read_bytes() for p in theirs]


def _renderers():
    """One renderer of each kind a figure is measured with: Agg at two dpi, and the vector renderers of
    PDF and SVG (each inside Matplotlib's MixedModeRenderer, as when a file is written)."""
    import io

    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.backends.backend_mixed import MixedModeRenderer
    from matplotlib.backends.backend_pdf import PdfFile, RendererPdf
    from matplotlib.backends.backend_svg import RendererSVG
    from matplotlib.figure import Figure

    fig = Figure(figsize=(3, 2), dpi=72)
    pdf = PdfFile(io.BytesIO())
    out = {"agg 100": RendererAgg(300, 200, 100), "agg 300": RendererAgg(900, 600, 300),
           "pdf": MixedModeRenderer(fig, 216, 144, 72, RendererPdf(pdf, 72, 144, 216)),
           "svg": MixedModeRenderer(fig, 216, 144, 72, RendererSVG(216, 144, io.StringIO(), image_dpi=72))}
    return out, pdf


TEXTS = [("Months from start of treatment", False), ("分離手術 あり", False), ("0.25", False),
         (r"$\chi^2_1$ = 3.2", True), ("Number at risk (censored)", False), ("−0.5 – 1.5", False)]


def test_text_metrics_are_measured_once_per_process_and_kind_of_renderer(monkeypatch):
    """Inside memo_text_metrics a text is measured once for each kind of renderer, dpi, font and rc
    setting, and the size is the one the renderer itself gives; outside, Matplotlib's function is back."""
    from matplotlib import rc_context
    from matplotlib import text as mtext
    from matplotlib.font_manager import FontProperties

    from spinestats.reports import figure_files as ff
    from spinestats.reports.figure_style import RC, register_fonts

    register_fonts()
    monkeypatch.setattr(ff, "_METRICS", {})
    original = mtext._get_text_metrics_with_cache
    calls = []

    def counted(renderer, text, prop, ismath, dpi):
        calls.append((text, dpi))
        return original(renderer, text, prop, ismath, dpi)

    monkeypatch.setattr(mtext, "_get_text_metrics_with_cache", counted)
    with rc_context(RC):
        renderers, pdf = _renderers()
        prop = FontProperties(family=list(RC["font.family"]), size=7)
        expected = {(name, text): r.get_text_width_height_descent(text, prop, ismath)
                    for name, r in renderers.items() for text, ismath in TEXTS}
        for again in range(3):
            fresh, _ = _renderers() if again else (renderers, pdf)  # new renderer objects of the same kinds
            with ff.memo_text_metrics():
                for name, r in fresh.items():
                    for text, ismath in TEXTS:
                        size = mtext._get_text_metrics_with_cache(r, text, prop, ismath, getattr(r, "dpi", 72))
                        assert size == expected[(name, text)], (name, text)
        assert len(calls) == len(renderers) * len(TEXTS)  # measured the first time only
        with ff.memo_text_metrics():  # a larger size, a bolder face, another rc setting: measured again
            r = renderers["agg 100"]
            mtext._get_text_metrics_with_cache(r, "0.25", FontProperties(family=list(RC["font.family"]), size=8), False, 100)
            mtext._get_text_metrics_with_cache(r, "0.25", FontProperties(family=list(RC["font.family"]), size=7,
                                                                         weight="bold"), False, 100)
            unhinted = _renderers()[0]["agg 100"]  # (Matplotlib's own cache of a renderer ignores the rc)
            with rc_context({"text.hinting": "none"}):
                hinted = mtext._get_text_metrics_with_cache(unhinted, "0.25", prop, False, 100)
        assert len(calls) == len(renderers) * len(TEXTS) + 3
        with rc_context({"text.hinting": "none"}):
            assert hinted == _renderers()[0]["agg 100"].get_text_width_height_descent("0.25", prop, False)
        assert hinted != expected[("agg 100", "0.25")]
    assert mtext._get_text_metrics_with_cache is counted  # the block puts back what it found


def test_a_fonts_tables_are_read_once_per_process_and_texts_lay_out_as_without_the_memo(tmp_path, monkeypatch):
    """Inside memo_text_metrics the OS/2 and head tables of a text's font are read once; every text
    is laid out to the same extents as by Matplotlib alone, and outside the block its get_font is back."""
    from matplotlib import rc_context
    from matplotlib import text as mtext

    from spinestats.reports import figure_files as ff
    from spinestats.reports.figure_style import RC, register_fonts

    register_fonts()
    original = getattr(mtext, "get_font", None)
    if original is None:  # Matplotlib < 3.10 lays texts out without reading the tables: nothing is replaced
        with ff.memo_text_metrics():
            assert not hasattr(mtext, "get_font")
        return
    reads = []

    def counted(files, *args, **kwargs):
        font = original(files, *args, **kwargs)

        class Font:
            def get_sfnt_table(self, name):
                reads.append(name)
                return font.get_sfnt_table(name)

            def __getattr__(self, name):
                return getattr(font, name)

        return Font()

    monkeypatch.setattr(mtext, "get_font", counted)
    monkeypatch.setattr(ff, "_TABLES", {})
    with rc_context(RC):
        fig, ax = journal_figure("single")
        texts = [ax.text(0.1, 0.1 * i, t, fontsize=6 + i) for i, (t, _) in enumerate(TEXTS)]
        texts.append(ax.text(0.5, 0.5, "two\nlines 分離", fontweight="bold"))
        renderer = fig.canvas.get_renderer()
        plain = [t.get_window_extent(renderer).bounds for t in texts]
        n_plain = len(reads)
        assert n_plain == 2 * len(texts)  # OS/2 and head, for every layout
        ff._METRICS.clear()
        for _ in range(2):
            with ff.memo_text_metrics():
                assert mtext.get_font is not counted
                memo = [t.get_window_extent(renderer).bounds for t in texts]
            assert memo == plain
        assert mtext.get_font is counted  # the block puts back what it found
    fonts = {tuple(font_manager.fontManager._find_fonts_by_props(t.get_fontproperties())) for t in texts}
    assert len(reads) - n_plain == 2 * len(fonts)  # once per font and table in the blocks
    table = ff._TABLES[next(k for k in ff._TABLES if k[1] == "head")]
    with ff.memo_text_metrics():
        got = mtext.get_font(font_manager.fontManager._find_fonts_by_props(texts[0].get_fontproperties()))
        first = got.get_sfnt_table("head")
        first["unitsPerEm"] = -1  # a caller changing its copy changes nothing read later
        assert got.get_sfnt_table("head")["unitsPerEm"] > 0 and table["unitsPerEm"] > 0
        assert got.family_name == original(font_manager.fontManager._find_fonts_by_props(
            texts[0].get_fontproperties())).family_name  # any other use goes to the font itself


def test_a_text_measured_before_is_drawn_the_same(tmp_path):
    """A figure written while the sizes of its texts are already known gives the same bytes in
    every format as when it is written first."""
    from spinestats.reports import figure_files as ff

    def draw():
        fig, ax = journal_figure("single")
        ax.step([0, 12, 24, 36], [1, 0.8, 0.6, 0.5], where="post", label="分離手術 あり")
        ax.set_xlabel("Months from start of treatment")
        ax.set_ylabel(r"Survival ($\chi^2_1$)")
        ax.legend(loc="lower left")
        return fig

    ff._METRICS.clear()
    first = save_figure(draw(), tmp_path / "first", "km", formats=("pdf", "svg", "png"))
    assert ff._METRICS
    again = save_figure(draw(), tmp_path / "again", "km", formats=("pdf", "svg", "png"))
    for a, b in zip(first, again):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_agg_lays_each_text_out_once_and_draws_the_same_pixels(tmp_path, monkeypatch):
    """Inside memo_text_layouts the Agg renderer shapes a text once per font, size and dpi (rotated, bold,
    Japanese and math text included) and draws exactly the pixels Matplotlib draws; outside the block,
    or on a Matplotlib without the layout step, draw_text is Matplotlib's own."""
    import numpy as np
    from matplotlib import ft2font, rc_context
    from matplotlib.backends import backend_agg

    from spinestats.reports import figure_files as ff
    from spinestats.reports.figure_style import RC, register_fonts

    original = backend_agg.RendererAgg.__dict__["draw_text"]
    if not hasattr(ft2font.FT2Font, "_layout"):  # Matplotlib < 3.11 draws texts without a separate layout
        with ff.memo_text_layouts():
            assert backend_agg.RendererAgg.__dict__["draw_text"] is original
        return
    register_fonts()

    def draw(dpi):
        fig, ax = journal_figure("single")
        ax.plot([0, 12, 24], [1.0, 0.8, 0.6], label="分離手術 あり")
        ax.set_xlabel("Months from start of treatment")
        ax.set_ylabel(r"Survival ($\chi^2_1$)")
        ax.text(6, 0.7, "−12 (95% CI)", rotation=30, fontweight="bold")
        ax.legend(loc="lower left")
        fig.dpi = dpi
        canvas = backend_agg.FigureCanvasAgg(fig)
        canvas.draw()
        return np.asarray(canvas.buffer_rgba()).copy()

    with rc_context(RC):
        plain = [draw(dpi) for dpi in (100, 300)]
        monkeypatch.setattr(ff, "_LAYOUTS", {})
        with ff.memo_text_layouts():
            assert backend_agg.RendererAgg.__dict__["draw_text"] is not original
            with ff.memo_text_layouts():  # a block inside a block changes nothing more
                memo = [draw(dpi) for dpi in (100, 300)]
            kept = len(ff._LAYOUTS)
            again = [draw(dpi) for dpi in (100, 300)]
            assert len(ff._LAYOUTS) == kept  # laid out once: the second drawing finds every text
        assert backend_agg.RendererAgg.__dict__["draw_text"] is original
    for a, b, c in zip(plain, memo, again):
        assert np.array_equal(a, b) and np.array_equal(a, c)
    texts = {k[3] for k in ff._LAYOUTS}
    assert {"Months from start of treatment", "分離手術 あり", "−12 (95% CI)"} <= texts
    assert not any("chi" in t for t in texts)  # math text is drawn as Matplotlib draws it
    assert {k[2] for k in ff._LAYOUTS} == {100, 300}  # one layout per dpi


@pytest.mark.parametrize("synthetic", [False, True])
def test_a_figure_laid_out_by_the_placement_helpers_keeps_that_layout_when_saved(tmp_path, monkeypatch, synthetic):
    """A figure the placement helpers laid out and nothing changed since is saved with that layout (no
    second layout); the synthetic-data note is added before their layout, once.  A figure changed after
    its layout is laid out again when it is saved."""
    from spinestats.reports import figure_style
    from spinestats.reports.placement import fit_texts, place_legend

    laid = []
    real = figure_style._lay_out
    monkeypatch.setattr(figure_style, "_lay_out", lambda fig, engine: laid.append(fig) or real(fig, engine))

    def draw():
        fig, ax = journal_figure("single")
        ax.step([0, 12, 24, 36], [1, 0.8, 0.6, 0.5], where="post", label="Separation surgery")
        ax.step([0, 12, 24, 36], [1, 0.7, 0.4, 0.3], where="post", label="None")
        ax.set_xlabel("Months from start of treatment")
        place_legend(ax, frameon=False)
        fit_texts(fig, "km")
        return fig, ax

    with figure_style.synthetic_mark(synthetic):
        fig, _ = draw()
        assert laid and all(f is fig for f in laid)  # laid out by the placement helpers (the same _lay_out)
        laid.clear()
        height = fig.get_figheight()
        assert not fig.stale
        paths = save_figure(fig, tmp_path, "kept", formats=("svg", "png"))
        assert laid == []  # the placement helpers' layout was kept
        assert fig.get_figheight() == height  # the note, if any, was there before that layout
        svg = paths[0].read_text(encoding="utf-8")
        assert svg.count(figure_style.SYNTHETIC_MARK) == (1 if synthetic else 0)
        fig, ax = draw()
        laid.clear()
        ax.set_title("Overall survival")  # changed after its layout
        save_figure(fig, tmp_path, "changed", formats=("svg",))
        assert laid == [fig]


def test_a_figure_handed_to_a_worker_keeps_the_layout_it_was_saved_with(tmp_path, monkeypatch):
    """Unpickling marks a figure changed; a FigureTask carries whether it was laid out and unchanged, so
    the process writing it keeps that layout as the process that drew it would (no second pass, whose
    axes can move by hundredths of a point), and lays out one that was not."""
    from spinestats.reports import figure_style
    from spinestats.reports.figure_files import collect_figures, render_figure
    from spinestats.reports.placement import fit_texts, place_legend

    laid = []
    real = figure_style._lay_out
    monkeypatch.setattr(figure_style, "_lay_out", lambda fig, engine: laid.append(fig) or real(fig, engine))
    with figure_style.synthetic_mark(True), collect_figures() as tasks:
        for placed in (True, False):
            fig, ax = journal_figure("single")
            ax.step([0, 12, 24], [1, 0.8, 0.6], where="post", label="All patients")
            if placed:
                place_legend(ax, frameon=False)
                fit_texts(fig, "km")
            save_figure(fig, tmp_path, f"placed_{placed}", formats=("png",))
    assert [t.laid_out for t in tasks] == [True, False]
    laid.clear()
    render_figure(tasks[0])
    assert laid == []
    render_figure(tasks[1])
    assert len(laid) == 1


def _transform_nodes(fig):
    """The transforms reachable from ``fig``, in a fixed order (the same for two loads of one pickle)."""
    import gc
    import types

    from matplotlib.transforms import TransformNode

    seen, order, todo = set(), [], [fig]
    while todo:
        obj = todo.pop(0)
        if id(obj) in seen or isinstance(obj, (type, types.ModuleType, types.FunctionType, types.MethodType)):
            continue
        seen.add(id(obj))
        if isinstance(obj, TransformNode):
            order.append(obj)
        todo.extend(o for o in gc.get_referents(obj) if not isinstance(o, (str, bytes, int, float)))
    return order


def test_a_loaded_figures_transforms_are_told_when_the_dpi_changes_whatever_ids_this_process_gives(tmp_path):
    """load_figure keys each transform's parents by their ids in this process.  Matplotlib's own
    unpickling keeps the ids of the process that pickled the figure; a transform made later whose id
    equals one of them replaces a live parent, and the x-axis label is then drawn with the transform of
    the last dpi (here simulated: every old key taken by a new transform)."""
    import pickle
    import weakref

    from matplotlib.transforms import Affine2D

    fig, ax = journal_figure("single")
    ax.plot([0, 12, 24], [1.0, 0.8, 0.6])
    ax.set_xlabel("Months from start of treatment")
    fig.canvas.draw()
    blob = pickle.dumps(fig)
    plain, ours = pickle.loads(blob), figure_files.load_figure(blob)  # noqa: S301 - made here
    old_keys = [list(n._parents) for n in _transform_nodes(plain)]  # the ids of the pickling process
    newcomers = []

    def label_x(loaded):
        nodes = _transform_nodes(loaded)
        stale = [k for node in nodes for k, r in node._parents.items() if r() is not None and k != id(r())]
        label = loaded.axes[0].xaxis.label
        loaded.set_dpi(300)
        label.get_transform().transform((0.5, 0.0))  # the PNG's drawing: matrices cached at 300 dpi
        assert len(nodes) == len(old_keys)
        for node, keys in zip(nodes, old_keys):
            for k in keys:  # what set_children of a new transform whose id() is k does
                newcomers.append(Affine2D())
                node._parents[k] = weakref.ref(newcomers[-1])
        loaded.set_dpi(72)  # the SVG's and PDF's
        return stale, label.get_transform().transform((0.5, 0.0))[0]

    fig.set_dpi(72)
    want = fig.axes[0].transAxes.transform((0.5, 0.0))[0]  # the middle of the axes at 72 dpi
    stale_plain, x_plain = label_x(plain)
    stale_ours, x_ours = label_x(ours)
    assert stale_plain and not stale_ours  # Matplotlib keeps the old keys; load_figure none
    assert x_plain == pytest.approx(want * 300 / 72)  # the fault: drawn at the 300-dpi place
    assert x_ours == pytest.approx(want, rel=1e-12)  # told of the dpi: where it belongs
    assert type(ours).__setstate__ is type(plain).__setstate__  # Matplotlib's unpickling is left as it was

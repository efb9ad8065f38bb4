"""Writing figure files fast: lean PDF font subsets, font files and text sizes looked up once
(:func:`memo_font_lookups`, :func:`memo_text_metrics`), texts shaped once (:func:`memo_text_layouts`), and the pool of worker processes.

A PDF figure embeds a subset of each TrueType font it uses (``pdf.fonttype``
42, so that journals can edit the text).  Matplotlib builds each subset with
fontTools and asks it to keep the OpenType layout tables (GSUB, GPOS, GDEF)
and kerning, and to follow every layout feature to find the glyphs they can
reach.  That is most of the cost of a PDF (about 0.1 s per font per file for
DejaVu Sans, twice that for the Japanese face): the layout tables are large
and are decompiled in pure Python.

A PDF viewer never reads them.  The text of a figure is laid out by
Matplotlib (kerning, ligatures and fallback fonts are resolved before the
PDF is written); the PDF names glyphs by their index and draws them with the
``glyf`` outlines and ``hmtx`` widths.  :func:`lean_font_subsets` therefore
subsets with no layout features and drops the layout and kerning tables.
The glyphs, outlines, hinting, character-to-glyph and ToUnicode maps are the
same, so the page looks the same and its text can still be searched, copied
and edited; the font stays embedded as TrueType.

On Matplotlib 3.11 and later each subset is made once per process and glyph
set, and a subset of glyphs of :data:`COMMON_TEXT` (Latin text, digits,
the signs of our figures) is cut from a small intermediate subset of the
font made once per process, not from the whole font: the bytes are the
same, at a fraction of the cost.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import functools
import io
import pickle
import sys
import warnings as warnings_module
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from spinestats.reports import subset_cache

#: tables a PDF viewer does not read: OpenType layout (glyph substitution and
#: positioning, already applied by Matplotlib), its definitions, and kerning
LAYOUT_TABLES = ("GSUB", "GPOS", "GDEF", "JSTF", "BASE", "kern")


class _LeanSubsetModule:
    """Stands in for ``fontTools.subset`` inside Matplotlib's PDF/PS backend helper."""

    def __init__(self, module: Any) -> None:
        self._module = module

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, name)

    def Options(self, *args: Any, **kwargs: Any) -> Any:  # noqa: N802 - the name fontTools uses
        options = self._module.Options(*args, **kwargs)
        options.layout_features = []
        options.drop_tables = list(options.drop_tables) + [t for t in LAYOUT_TABLES if t not in options.drop_tables]
        return options

    def load_font(self, *args: Any, **kwargs: Any) -> Any:
        """The font without its layout tables: the subsetter drops them anyway, but recent fontTools
        versions first decompile GSUB and GPOS (in pure Python) to check their lookup formats."""
        font = self._module.load_font(*args, **kwargs)
        for tag in LAYOUT_TABLES:
            if tag in font:
                del font[tag]
        return font


#: subsets made in this process: (font file, face, glyph indices) -> (font file bytes, glyph index map); a
#: subset depends on nothing else (fixed options, no timestamp), so figures showing the same characters
#: (tick labels, axis titles of the same kind) share one
_SUBSETS: dict[tuple[str, int, frozenset], tuple[bytes, dict]] = {}
_SUBSETS_MAX = 256

#: the characters of the intermediate subset of each font (see :func:`_memo_subsets`): printable ASCII,
#: Latin-1, Greek, and the punctuation, arrows and mathematical signs of our figures
COMMON_TEXT = "".join(
    [chr(c) for c in range(0x20, 0x7F)] + [chr(c) for c in range(0xA0, 0x100)]
    + [chr(c) for c in range(0x391, 0x3CA)] + [chr(c) for c in range(0x2010, 0x2040)]
    + list("\u2190\u2191\u2192\u2193\u2212\u2213\u2264\u2265\u2248\u2260\u221e\u2202\u2211\u221a"))

#: per font (file, face): the glyph indices of :data:`COMMON_TEXT`, and the intermediate subset of the
#: font to them (font file bytes, glyph index map); None when the font has none of them
_COMMON: dict[tuple[str, int], tuple[frozenset, tuple[bytes, dict] | None]] = {}


class _FontBytes(io.BytesIO):
    """A font file in memory, as Matplotlib's subset helper takes a font file (a face index)."""

    face_index = 0


def _font_key(fontfile: Any) -> tuple[str, int]:
    return str(getattr(fontfile, "path", fontfile)), int(getattr(fontfile, "face_index", 0))


def _common_subset(fontfile: Any, get_subset: Any, as_file: Any) -> tuple[frozenset, tuple[bytes, dict] | None]:
    """The glyphs of :data:`COMMON_TEXT` in ``fontfile`` and its subset to them (made once per process,
    and kept on disk between runs with the other subsets, :mod:`~spinestats.reports.subset_cache`).

    Kept on disk, it spares a later run that shows other characters (another study's numbers and
    labels, whose subsets are not stored yet) the parse of the whole font file: its subsets are cut
    from this one.  It is stored under the key of a subset to these glyphs, which it is.
    """
    key = _font_key(fontfile)
    hit = _COMMON.get(key)
    if hit is None:
        from matplotlib.font_manager import get_font

        charmap = get_font(fontfile).get_charmap()
        glyphs = frozenset(charmap[ord(c)] for c in COMMON_TEXT if charmap.get(ord(c), 0))
        made = None
        if glyphs:
            on_disk = subset_cache.key_of(*key, glyphs)
            made = subset_cache.load(on_disk)
            if made is None:
                with get_subset(fontfile, set(glyphs)) as sub:
                    made = (as_file(sub.font).getvalue(), dict(sub.glyph_index_map))
                subset_cache.store(on_disk, *made)
        hit = _COMMON[key] = (glyphs, made)
    return hit


def _make_subset(fontfile: Any, wanted: frozenset, get_subset: Any, as_file: Any) -> tuple[bytes, dict]:
    """Subset ``fontfile`` to the glyphs ``wanted``: (font file bytes, glyph index map).

    When every glyph wanted is one of :data:`COMMON_TEXT` (the text of most figures), the subset is
    cut from the font's intermediate subset to those glyphs, a small font that loads in a fraction
    of the time of the whole one.  The result is byte for byte the subset of the whole font (the
    subsetter keeps glyphs in their original order, with their names, outlines, hinting and
    metrics, and recomputes the rest from them), which a test checks.
    """
    common, base = _common_subset(fontfile, get_subset, as_file)
    if base is None or not wanted <= common:
        with get_subset(fontfile, set(wanted)) as made:
            return as_file(made.font).getvalue(), dict(made.glyph_index_map)
    data, to_base = base
    with get_subset(_FontBytes(data), {to_base[g] for g in wanted}) as made:
        from_base = made.glyph_index_map
        return as_file(made.font).getvalue(), {g: from_base[b] for g, b in to_base.items() if b in from_base}


class _SubsetFont:
    """Stands for the subset ``TTFont``: :func:`font_as_file` returns its bytes; any other use
    (PostScript output reads the font's tables) opens the font from them."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self._font: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._font is None:
            from fontTools.ttLib import TTFont

            self._font = TTFont(io.BytesIO(self.data))
        return getattr(self._font, name)


@dataclasses.dataclass
class _SubsetResult:
    font: _SubsetFont
    glyph_index_map: dict


def _memo_subsets(get_subset: Any, as_file: Any) -> tuple[Any, Any]:
    """``get_glyphs_subset`` and ``font_as_file`` of Matplotlib's helper, with each subset made once
    (by :func:`_make_subset`)."""

    def get_glyphs_subset(fontfile: Any, glyphs: Any) -> contextlib.AbstractContextManager:
        wanted = frozenset(glyphs)
        key = (*_font_key(fontfile), wanted)
        hit = _SUBSETS.get(key)
        if hit is None:
            on_disk = subset_cache.key_of(*key[:2], wanted)
            hit = subset_cache.load(on_disk)
            if hit is None:
                hit = _make_subset(fontfile, wanted, get_subset, as_file)
                subset_cache.store(on_disk, *hit)
            if len(_SUBSETS) >= _SUBSETS_MAX:
                _SUBSETS.clear()
            _SUBSETS[key] = hit
        return contextlib.nullcontext(_SubsetResult(_SubsetFont(hit[0]), dict(hit[1])))

    def font_as_file(font: Any) -> io.BytesIO:
        return io.BytesIO(font.data) if isinstance(font, _SubsetFont) else as_file(font)

    return get_glyphs_subset, font_as_file


@contextlib.contextmanager
def lean_font_subsets() -> Iterator[None]:
    """Within the block, fonts embedded in PDF (and PostScript) files keep no layout tables.

    Matplotlib's helper module (``matplotlib.backends._backend_pdf_ps``)
    refers to ``fontTools.subset`` as its attribute ``subset``; that name is
    replaced for the duration of the block and restored afterwards.  When a
    Matplotlib version has no such attribute, nothing changes (the files are
    then written as Matplotlib writes them).
    """
    try:
        from matplotlib.backends import _backend_pdf_ps as helper
    except ImportError:  # pragma: no cover - present in every supported Matplotlib
        yield
        return
    original = getattr(helper, "subset", None)
    # (fontTools.subset may be deferred, see collector.light_imports: it is recognised without reading an
    # attribute, which would import it, and isinstance reads __class__ of an object of another type)
    if original is None or not (sys.modules.get("fontTools.subset") is original
                                or (not isinstance(original, _LeanSubsetModule) and hasattr(original, "Options"))):
        yield
        return
    functions: tuple[Any, Any] = (getattr(helper, "get_glyphs_subset", None), getattr(helper, "font_as_file", None))
    # Matplotlib >= 3.11 subsets glyph indices and returns them with the glyph index map (SubsetResults);
    # earlier versions subset characters or return the bare font: there subsets are made as Matplotlib does
    memo = None not in functions and hasattr(helper, "SubsetResults")
    helper.subset = _LeanSubsetModule(original)
    if memo:
        get_subset, as_file = _memo_subsets(*functions)
        setattr(helper, "get_glyphs_subset", get_subset)  # noqa: B010 - Matplotlib's own types differ
        setattr(helper, "font_as_file", as_file)  # noqa: B010
    try:
        yield
    finally:
        helper.subset = original
        if memo:
            setattr(helper, "get_glyphs_subset", functions[0])  # noqa: B010
            setattr(helper, "font_as_file", functions[1])  # noqa: B010


@contextlib.contextmanager
def memo_font_lookups() -> Iterator[None]:
    """Within the block, Matplotlib's font manager finds the font files of each font
    specification once.

    Matplotlib looks up the files of a text's font family list every time it
    lays the text out (``FontManager._find_fonts_by_props``, one ``findfont``
    per family of our two-family stack); writing a figure in four formats
    lays out each tick label a dozen times.  The answer depends only on the
    font properties (compared as Matplotlib compares them, by their hash) and
    the rc settings, which do not change while a figure is written, and on the
    fonts registered, which the block does not add to.  Outside the block
    nothing changes.
    """
    from matplotlib import font_manager

    manager = font_manager.fontManager
    original = manager._find_fonts_by_props
    found: dict[tuple, list] = {}

    def find_fonts_by_props(prop: Any, fontext: Any = "ttf", directory: Any = None,
                            fallback_to_default: bool = True, rebuild_if_missing: bool = True) -> list:
        if not isinstance(prop, font_manager.FontProperties):
            return original(prop, fontext, directory, fallback_to_default, rebuild_if_missing)
        key = (hash(prop), fontext, directory, fallback_to_default, rebuild_if_missing)
        hit = found.get(key)
        if hit is None:
            hit = found[key] = original(prop, fontext, directory, fallback_to_default, rebuild_if_missing)
        return list(hit)

    patched_before = "_find_fonts_by_props" in vars(manager)  # e.g. nested blocks
    setattr(manager, "_find_fonts_by_props", find_fonts_by_props)  # noqa: B010 - an instance attribute, for the block
    try:
        yield
    finally:
        if patched_before:
            setattr(manager, "_find_fonts_by_props", original)  # noqa: B010
        else:
            del manager._find_fonts_by_props  # the class's method shows again


#: the rc settings a text's measured size depends on besides its font properties (hinting, kerning,
#: mathtext, AFM fonts in vector files, and the font lists a generic family such as "sans-serif" stands for)
METRIC_RC = ("text.hinting", "text.hinting_factor", "text.kerning_factor", "text.usetex", "mathtext.fontset",
             "mathtext.default", "mathtext.fallback", "mathtext.rm", "mathtext.it", "mathtext.bf", "mathtext.sf",
             "mathtext.tt", "mathtext.cal", "pdf.use14corefonts", "ps.useafm", "font.family", "font.sans-serif",
             "font.serif", "font.monospace", "font.cursive", "font.fantasy")

#: text sizes measured in this process (see :func:`memo_text_metrics`): key -> (width, height, descent)
_METRICS: dict[tuple, tuple[float, float, float]] = {}
_METRICS_MAX = 100_000
#: a font's SFNT tables read in this process (see :class:`_FontTables`): (font files, table name) -> table
_TABLES: dict[tuple, Any] = {}


def _frozen(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


@contextlib.contextmanager
def memo_text_metrics() -> Iterator[None]:
    """Within the block, each text is measured once per process for each kind of renderer.

    Matplotlib keeps the sizes it measures per renderer object, and every
    figure, every layout and every file format brings a new one: writing the
    demo's figures measured 8,461 texts, of which 1,106 were distinct (tick
    labels, axis titles and legends repeat from figure to figure).  The size
    of a text depends only on the renderer's kind and dpi, the text, its font
    properties (compared as Matplotlib compares them), whether it is math, the
    rc settings of :data:`METRIC_RC` and the fonts registered; with all of
    them in the key a size measured once is the size measured again, to the
    bit.  TeX text is measured as Matplotlib measures it.  Outside the block
    nothing changes; the sizes measured stay for the next block.
    """
    from matplotlib import font_manager, rcParams
    from matplotlib import text as mtext_module

    mtext: Any = mtext_module  # the private function replaced for the block is not in Matplotlib's stubs
    stored: Any = rcParams  # the rc values as stored (a deprecated setting read through rcParams warns)
    original = mtext._get_text_metrics_with_cache
    if getattr(original, "_spinestats_memo", False):  # a block inside a block
        yield
        return

    def measured(renderer: Any, text: Any, fontprop: Any, ismath: Any, dpi: Any) -> Any:
        if ismath == "TeX":
            return original(renderer, text, fontprop, ismath, dpi)
        inner = getattr(renderer, "_renderer", renderer)  # a vector file's renderer draws with its own
        key = (type(inner), getattr(inner, "dpi", None), dpi, text, fontprop.copy(), ismath,
               tuple(_frozen(dict.get(stored, k)) for k in METRIC_RC), len(font_manager.fontManager.ttflist))
        hit = _METRICS.get(key)
        if hit is None:
            hit = original(renderer, text, fontprop, ismath, dpi)
            if len(_METRICS) >= _METRICS_MAX:
                _METRICS.clear()
            _METRICS[key] = hit
        return hit

    measured._spinestats_memo = True  # type: ignore[attr-defined]
    mtext._get_text_metrics_with_cache = measured
    font_of = getattr(mtext, "get_font", None)  # Matplotlib >= 3.10 reads a text's line height from its font
    if font_of is not None:
        mtext.get_font = functools.partial(_FontTables, font_of)
    try:
        yield
    finally:
        mtext._get_text_metrics_with_cache = original
        if font_of is not None:
            mtext.get_font = font_of


class _FontTables:
    """Stands for the font ``get_font(files, ...)`` returns when a text is laid out: its SFNT tables
    are read once per process.

    Matplotlib lays out every text (each tick label, in every format) by reading the
    ``OS/2`` and ``head`` tables of its font, which builds a new dictionary of some forty
    entries each time: the demo read them 18,480 times.  A table is part of the font file
    and is the same at every read; a copy of the one read first is returned.  Any other
    use of the font goes to the font itself.
    """

    def __init__(self, get_font: Any, files: Any, *args: Any, **kwargs: Any) -> None:
        self._open = functools.partial(get_font, files, *args, **kwargs)
        self._key = (tuple(files) if isinstance(files, (list, tuple)) else files, args, tuple(sorted(kwargs.items())))

    def get_sfnt_table(self, name: str) -> Any:
        key = (self._key, name)
        if key not in _TABLES:
            _TABLES[key] = self._open().get_sfnt_table(name)
        table = _TABLES[key]
        return dict(table) if isinstance(table, dict) else table

    def __getattr__(self, name: str) -> Any:
        return getattr(self._open(), name)


#: glyph layouts of texts drawn by Agg in this process (see :func:`memo_text_layouts`): key -> layout items
_LAYOUTS: dict[tuple, list] = {}
_LAYOUTS_MAX = 20_000


@contextlib.contextmanager
def memo_text_layouts() -> Iterator[None]:
    """Within the block, the Agg renderer shapes each text once per process for each font, size and dpi.

    To draw a text, Matplotlib 3.11's Agg renderer first lays its glyphs out
    (``FT2Font._layout``: the shaping library places every glyph, with
    kerning and fallback fonts) and then renders them one by one.  The
    layout takes 0.1-1 ms per text, and the same texts come back in figure
    after figure (tick labels, axis titles, legends): the demo drew 1,012
    texts, 362 of them distinct.  The layout depends only on the font object
    (its files, kerning and hinting factors), its size and dpi (set afresh
    before each text), the text, the hinting flags, its font features and
    its language; with all of them in the key the glyphs are placed where
    Matplotlib places them, and each is rendered as before.  Math and TeX
    text, and other Matplotlib versions, are drawn as Matplotlib draws them.
    Outside the block nothing changes.
    """
    from matplotlib import ft2font
    from matplotlib.backends import backend_agg

    renderer: Any = backend_agg.RendererAgg
    original = renderer.__dict__.get("draw_text")
    if (original is None or getattr(original, "_spinestats_memo", False) or not hasattr(ft2font.FT2Font, "_layout")
            or not hasattr(renderer, "_draw_text_glyphs_and_boxes") or not hasattr(backend_agg, "get_hinting_flag")):
        yield
        return

    def draw_text(self: Any, gc: Any, x: Any, y: Any, s: Any, prop: Any, angle: Any, ismath: Any = False,
                  mtext: Any = None) -> Any:
        if ismath:
            return original(self, gc, x, y, s, prop, angle, ismath, mtext)
        font = self._prepare_font(prop)  # sets the font's size and dpi, as Matplotlib does before laying out
        flags = backend_agg.get_hinting_flag()
        features = mtext.get_fontfeatures() if mtext is not None else None
        language = mtext.get_language() if mtext is not None else None
        size = prop.get_size_in_points()
        # (the key holds the font object itself: no other font can take its id while the layout is kept)
        key = (font, size, self.dpi, s, flags, _frozen(features), _frozen(language))
        items = _LAYOUTS.get(key)
        if items is None:
            items = list(font._layout(s, flags=flags, features=features, language=language))
            if len(_LAYOUTS) >= _LAYOUTS_MAX:
                _LAYOUTS.clear()
            _LAYOUTS[key] = items
        self._draw_text_glyphs_and_boxes(
            gc, x, y, angle, ((item.ft_object, size, item.glyph_index, 0, 1, item.x, item.y) for item in items), [])
        return None

    draw_text._spinestats_memo = True  # type: ignore[attr-defined]
    renderer.draw_text = draw_text
    try:
        yield
    finally:
        renderer.draw_text = original


# -- rendering figures in worker processes -------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class FigureTask:
    """A drawn figure waiting to be written: the Figure as it was when the job saved it.

    ``figure`` is the Figure serialised with :mod:`pickle` by this run
    (Matplotlib figures support it); the bytes only pass between the
    processes of one run and are never written to disk or read from
    elsewhere.
    """

    figure: bytes
    folder: str
    stem: str
    formats: tuple[str, ...]
    dpis: tuple[int, ...]
    synthetic: bool = False  # the run is on synthetic data: the files carry the note (figure_style.synthetic_mark)
    #: the figure was laid out and has not changed since (not *stale*): it is written with that layout, as
    #: :func:`~spinestats.reports.figure_style.save_figure` writes such a figure in the process that drew it
    #: (an unpickled figure is marked changed), so that the files do not depend on the process writing them
    laid_out: bool = False


_COLLECTED: contextvars.ContextVar[list[FigureTask] | None] = contextvars.ContextVar("spinestats_figure_tasks",
                                                                                     default=None)


@contextlib.contextmanager
def collect_figures() -> Iterator[list[FigureTask]]:
    """Within the block, :func:`~spinestats.reports.figure_style.save_figure` returns the
    paths it will write and hands the figure over as a :class:`FigureTask` (in the list
    yielded) instead of writing the files; :func:`render_figures` writes them.

    A figure that cannot be serialised (e.g. it holds a locally defined
    function) is written at once, as without the block.  While figures are
    observed (:func:`~spinestats.reports.figure_style.observe_figures`), every
    figure is written at once.
    """
    tasks: list[FigureTask] = []
    token = _COLLECTED.set(tasks)
    try:
        yield tasks
    finally:
        _COLLECTED.reset(token)


def defer_figure(fig: Any, folder: Path, stem: str, formats: tuple[str, ...], dpis: tuple[int, ...]) -> bool:
    """Hand ``fig`` to the active :func:`collect_figures` block; False when none is active
    or the figure cannot be serialised (the caller then writes it itself)."""
    tasks = _COLLECTED.get()
    if tasks is None:
        return False
    try:
        blob = pickle.dumps(fig, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - any figure that does not serialise is written in this process
        return False
    from spinestats.reports.figure_style import synthetic_marked

    tasks.append(FigureTask(blob, str(folder), stem, tuple(formats), tuple(int(d) for d in dpis),
                            synthetic=synthetic_marked(), laid_out=not fig.stale))
    return True


def _forget(parents: dict, key: int, _ref: Any) -> None:
    """A parent transform was freed: its entry goes (the weak reference's callback)."""
    parents.pop(key, None)


def load_figure(blob: bytes) -> Any:
    """The figure pickled in ``blob`` (bytes made by this run, see :class:`FigureTask`), with the
    links between its transforms keyed as in a figure made in this process.

    A Matplotlib transform keeps the transforms that depend on it (its *parents*, which it
    invalidates when it changes) in a dictionary keyed by their ``id()``.  Unpickling keeps the
    keys of the process that pickled the figure; when a transform made later in this process has
    the same ``id()`` as one of those old keys, registering it replaces the entry of a parent that
    is still in use, which is then never told that the figure's dpi changed.  It happened to the
    x-axis label of a demo figure (``survival_ss_lc_cif``) now and then, with two workers: drawn
    with the 300-dpi transform of the PNG written before, the label stood 4.17 times (300/72) too far
    right in the SVG and PDF.  Here each transform's parents are keyed again by their ids in this
    process as the figure is unpickled.
    """
    import weakref

    from matplotlib.transforms import TransformNode

    original = TransformNode.__dict__.get("__setstate__")
    if original is None:  # pragma: no cover - a Matplotlib whose transforms pickle otherwise
        return pickle.loads(blob)  # noqa: S301 - bytes made by this run (see FigureTask)

    def setstate(self: Any, state: Any) -> None:
        original(self, state)
        parents = getattr(self, "_parents", None)
        if not isinstance(parents, dict):
            return
        rekeyed: dict[int, Any] = {}  # at once, before any transform made later can take an old key
        for ref in list(parents.values()):
            parent = ref() if callable(ref) else None
            if parent is not None:
                rekeyed[id(parent)] = weakref.ref(parent, functools.partial(_forget, rekeyed, id(parent)))
        self._parents = rekeyed

    setattr(TransformNode, "__setstate__", setstate)  # noqa: B010 - for the unpickling below only
    try:
        return pickle.loads(blob)  # noqa: S301 - bytes made by this run (see FigureTask)
    finally:
        setattr(TransformNode, "__setstate__", original)  # noqa: B010


def render_figure(task: FigureTask) -> list[tuple[type[Warning], str]]:
    """Write the files of one :class:`FigureTask` (in whatever process runs it); the
    warnings raised while writing, as (category, message)."""
    from spinestats.reports.figure_style import save_figure, synthetic_mark

    token = _COLLECTED.set(None)
    try:
        with warnings_module.catch_warnings(record=True) as caught, synthetic_mark(task.synthetic):
            warnings_module.simplefilter("always")
            fig = load_figure(task.figure)
            fig.stale = not task.laid_out
            save_figure(fig, Path(task.folder), task.stem, formats=task.formats, dpis=task.dpis)
    finally:
        _COLLECTED.reset(token)
    return [(w.category, str(w.message)) for w in caught]


def figure_executor(workers: int):
    """The pool of worker processes that, beside this process, run a plan's analyses and write
    their figures: ``workers - 1`` processes (this process is the ``workers``-th; at least one).

    It is joblib's reusable loky executor, the one ``joblib.Parallel(backend="loky")`` uses (so
    that a later ``Parallel`` in the same process finds an executor it can reuse); each worker's
    BLAS/OpenMP threads are limited to one, unless the environment sizes them
    (:func:`spinestats.reports.collector.thread_environment`: the numbers then do not depend on
    which process ran an analysis); each worker starts with
    :func:`~spinestats.reports.collector.pool_worker_setup`."""
    from joblib.executor import get_memmapping_executor

    from spinestats.reports.collector import pool_worker_setup, thread_environment

    return get_memmapping_executor(max(1, int(workers) - 1), env=thread_environment(), initializer=pool_worker_setup)


def render_figures(tasks: list[FigureTask], workers: int) -> list[tuple[type[Warning], str]]:
    """Write every task on ``workers`` processes (this one and ``workers - 1`` pool workers); the
    warnings raised, in the order of ``tasks``.

    The files do not depend on the number of workers (each figure is written
    by :func:`~spinestats.reports.figure_style.save_figure` from the same
    drawing); the largest figures start first.
    """
    if workers <= 1 or len(tasks) <= 1:
        return [w for t in tasks for w in render_figure(t)]
    from spinestats.reports.work_sharing import WorkQueue

    pool = figure_executor(workers)
    raised: dict[int, list[tuple[type[Warning], str]]] = {}
    queue = WorkQueue(lambda i: render_figure(tasks[i]), lambda i: pool.submit(render_figure, tasks[i]),
                      workers - 1, raised.__setitem__)
    for i, task in enumerate(tasks):
        queue.add(i, task_cost(task))
    queue.run()
    return [w for i in range(len(tasks)) for w in raised[i]]


def task_cost(task: FigureTask) -> float:
    """A rough relative cost of writing a task (its size, the raster pixels to fill)."""
    return len(task.figure) * (len(task.formats) + sum((d / 300) ** 2 for d in task.dpis))


@contextlib.contextmanager
def parallel_figures(workers: int | None) -> Iterator[None]:
    """Within the block, figures are drawn here and written by ``workers`` processes when
    the block ends (with one worker, as they are saved).  Warnings raised while
    writing are raised again here."""
    if workers is None or int(workers) <= 1:
        yield
        return
    with collect_figures() as tasks:
        yield
    for category, message in render_figures(tasks, int(workers)):
        warnings_module.warn(message, category, stacklevel=3)

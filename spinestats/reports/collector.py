"""Process settings of spinestats' own processes: the garbage collector's thresholds, one
BLAS thread, the C allocator's, and an exit without teardown.

A command (and a plan's pool worker) is a short process that builds hundreds of
thousands of objects (pandas, matplotlib artists) and keeps most of them until
it ends, so Python's default first threshold (700 allocations) makes the
collector walk them again and again: about a tenth of the CPU of
``spinestats demo``.  Reference counting still frees everything at once, and
cycles are still collected, later.  The Python API (a notebook) keeps the
interpreter's own thresholds: only ``spinestats.reports.cli.main.main`` (which
gives the caller's back when it returns) and the pool workers set these.

Each command-line process and each pool worker computes with **one thread** of
the numerical libraries (BLAS, OpenMP), unless the environment sizes them
(``OPENBLAS_NUM_THREADS`` and the others of :data:`THREAD_VARIABLES`).  The
fits multiply long, thin matrices (rows by a few dozen terms at most): a second
BLAS thread has almost nothing to do, and it spins after every call, which
doubled the CPU time of the survival fits of a 100,000-patient plan on two
cores.  One thread also keeps ``results.json`` the same on every machine and
for any ``--workers``: a threaded dot product adds its terms in one partial sum
per thread, so the last digit of a one-term model depended on how many threads
the process had.

A pool worker ends with its objects **frozen** (:func:`pool_worker_setup`
registers :func:`gc.freeze` to run at its exit): the worker still tears its
interpreter down as usual, but the cycle collections of that teardown no longer
walk the hundreds of thousands of objects of pandas and Matplotlib it holds.
The command waits for its workers to end, and that wait fell from 0.6-0.7 s to
under 0.1 s at the end of ``spinestats demo``.

A command-line process and a pool worker import three modules **when they are
first used** rather than when something imports them (:func:`light_imports`):
SciPy 1.17's ``scipy.special`` reads every attribute of NumPy, which imports
``numpy.f2py`` and ``numpy.testing`` (0.08 s of CPU), and Matplotlib's PDF
backend imports ``fontTools.subset`` (0.1 s), which a PDF whose font subsets
come from the cache (:mod:`spinestats.reports.subset_cache`) does not use.
They also skip the property lists Matplotlib writes into the docstring of
every artist class's ``set`` method (0.1-0.15 s at every import of
``matplotlib.pyplot``) and the tables of array-API backends SciPy writes into
its functions' docstrings (0.04-0.06 s at ``import scipy.special``) and the
parameter lists pyarrow copies into its compute functions' docstrings
(79 million instructions, 5 % of ``import pandas``, which imports
``pyarrow.compute``), which only
``help()`` shows, and the fonts Matplotlib draws text with read their files
from memory, each read once (``dss`` makes 16,400 system calls instead of
57,300, and 1 % fewer instructions).

With glibc, a command-line process and a pool worker also **keep the memory they free** for
their next blocks (:func:`keep_freed_memory`) instead of giving it back to the system and
faulting it in again: the 100,000-patient plan with one worker spent about a quarter less system
time.

A command-line process also **ends without tearing the interpreter down**
(:func:`end_process`): its exit handlers run, its output is flushed, and it
exits.  Python's own shutdown then frees every module and object one by one and
walks them with the cycle collector several times; nothing of it reaches a file
or the terminal, and it cost 0.3-0.5 s of CPU after every command (a fifth of a
``spinestats dss``).
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import inspect
import io
import os
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

# the thread rule of every computing process (its home is the analysis layer, whose bootstrap workers follow it)
from spinestats.analysis.core.threads import THREAD_VARIABLES, thread_environment

if TYPE_CHECKING:
    import importlib.machinery
    import types


#: (generation 0, 1, 2) thresholds, as :func:`gc.set_threshold` takes them.  A first threshold of 400,000
#: lets the imports of a command (pandas, SciPy, Matplotlib: some 300,000 objects, all kept) finish before the
#: first collection: ``dss`` made two collections of 0.02-0.03 s each with 100,000 and makes none now; the
#: demo's collections took 0.22 s with 100,000 and 0.20 s now.  Cycles wait longer to be collected: the
#: 100,000-patient plan's peak memory rose from 0.55 to 0.60 GB with one worker.
GC_THRESHOLDS = (400_000, 50, 100)

#: glibc's ``mallopt`` parameters (``malloc.h``): free memory kept at the top of the heap, and the size from
#: which a block is mapped on its own
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
#: a block of this size or larger is mapped on its own and given back to the system when freed (glibc's
#: default starts at 128 KiB and rises with the blocks freed, up to 32 MiB)
MMAP_THRESHOLD = 4 * 2**20
#: free memory at the top of the heap kept for the next blocks rather than given back to the system (glibc's
#: default: twice the mapping threshold, so 256 KiB up to 64 MiB)
TRIM_THRESHOLD = 128 * 2**20


def uses_glibc() -> bool:
    """Whether this process runs on the GNU C library (whose allocator :func:`keep_freed_memory` sets)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        return (os.confstr("CS_GNU_LIBC_VERSION") or "").startswith("glibc")
    except (ValueError, OSError, AttributeError):  # musl and others do not name a GNU C library
        return False


def keep_freed_memory() -> bool:
    """In this process (with glibc's allocator), keep freed memory for the next blocks: up to
    :data:`TRIM_THRESHOLD` at the top of the heap, and blocks below :data:`MMAP_THRESHOLD` taken from
    the heap; True when set, False with another C library (nothing changes there).

    By default glibc gives the top of its heap back to the system whenever more than its trim
    threshold is free there, and maps larger blocks on their own; a plan's arrays of 100,000 rows,
    its 300-dpi canvases and its ``results.json`` text are made and freed over and over, and each new
    page the system hands back costs a page fault and zeroing in the kernel.  The 100,000-patient plan
    with one worker had 236,000-240,000 page faults and 0.85-1.0 s of system time at the machine's
    quieter moments; with these settings 188,000-190,000 and 0.6-0.75 s, at the same peak memory
    (0.63 GB) and with the same files written; its CPU time fell by 0.25-0.45 s (2.5-4.5 %) in
    interleaved runs, although its user time rose by up to 0.2 s (memory taken again from the heap
    is zeroed by ``calloc`` rather than by the kernel).  Blocks of 4 MiB and more are still mapped on
    their own and given back when freed: from that size NumPy asks for huge pages, 2 MiB per fault,
    which only a block mapped on its own gets.  Matplotlib's 300-dpi canvases are such blocks too,
    and the demo with one worker spends 0.05-0.12 s more system time on them (its CPU time is the
    same within the noise); with a threshold of 32 MiB, glibc's largest, the demo spends less and the
    plan more.  Only spinestats' own processes (the console script and the pool workers) set this:
    ``malloc`` of a Python session that imports spinestats stays as it is.  The numbers a process
    computes do not depend on it.
    """
    if not uses_glibc():
        return False
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # pragma: no cover - glibc always has it
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1 and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1


def worker_threads(func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` run with the BLAS thread pools of this process sized as a pool worker's
    (:func:`thread_environment`: as the environment sizes them, else one thread), whatever they were
    when NumPy was loaded; afterwards they are as before.

    A plan's analyses run here and in pool workers.  In a Python session NumPy's BLAS has as many
    threads as the machine has cores, and a threaded product adds its terms in one partial sum per
    thread: an analysis run here then differed in its last digits from the same analysis run in a
    worker (the mixed model of the pain analysis, with NumPy 1.26 on an AMD EPYC), so ``results.json``
    depended on the number of workers.  (A command-line process has one thread from its start:
    :func:`one_thread_per_process`.)
    """
    import functools

    @functools.wraps(func)
    def run(*args: Any, **kwargs: Any) -> Any:
        import contextlib

        from threadpoolctl import ThreadpoolController

        env = thread_environment()
        if any(os.environ.get(var) != env[var] for var in THREAD_VARIABLES):
            # a BLAS loaded from now on would not read the sizes from the environment: SciPy's own (which
            # scipy.optimize loads) is loaded now, so that it is sized below with NumPy's
            import scipy.linalg  # noqa: F401
        controller = ThreadpoolController()
        with contextlib.ExitStack() as sized:
            for api, var in (("openblas", "OPENBLAS_NUM_THREADS"), ("mkl", "MKL_NUM_THREADS"), ("blis", "BLIS_NUM_THREADS")):
                if env[var].strip().isdigit():
                    sized.enter_context(controller.select(internal_api=api).limit(limits=int(env[var])))
            return func(*args, **kwargs)

    return run


def one_thread_per_process() -> bool:
    """Size the numerical libraries' thread pools to one thread in this process (and the processes it
    starts), where the environment does not size them; whether it could.

    The libraries read these variables when they are loaded, so this works only before NumPy is
    imported (a command line's first step); afterwards it changes nothing and says so.
    """
    if "numpy" in sys.modules:
        return False
    os.environ.update(thread_environment())
    return True


#: modules imported when first used in spinestats' own processes (see :func:`light_imports`)
#: (``fontTools.agl``, the Adobe glyph list Matplotlib's ``dviread`` imports for TeX fonts, builds two dictionaries
#: of some 4,500 glyph names when it runs: 0.01-0.02 s of every process that draws a figure)
DEFERRED_MODULES = ("numpy.f2py", "numpy.testing", "fontTools.subset", "fontTools.agl")

_PROPERTY_LIST = ("(the list of properties, which Matplotlib builds here, is not built in spinestats' "
                  "command-line processes)")


@contextlib.contextmanager
def _one_sentence_property_lists(mpl_artist: Any) -> Iterator[None]:
    """Within the block, Matplotlib's ``artist.kwdoc`` (the list of an artist class's properties and
    their accepted values, built from the docstring of every setter) gives :data:`_PROPERTY_LIST`;
    afterwards it is Matplotlib's own function again."""
    kwdoc = mpl_artist.kwdoc
    mpl_artist.kwdoc = lambda _artist: _PROPERTY_LIST  # what Matplotlib's own function appends
    try:
        yield
    finally:
        mpl_artist.kwdoc = kwdoc


def _brief_set_docstrings(module: types.ModuleType) -> None:
    """After ``matplotlib.artist`` is run: the ``set`` method of each Artist class made from now on
    gets its signature as Matplotlib makes it, and its docstring without the list of all the class's
    properties and their accepted values, which Matplotlib builds by reading the docstring of every
    setter of every artist class (0.1-0.15 s of CPU at every ``import matplotlib.pyplot``) and which
    only ``help()`` shows.  Nothing else changes."""
    mpl_artist: Any = module
    artist = getattr(mpl_artist, "Artist", None)
    original = getattr(artist, "_update_set_signature_and_docstring", None)
    if artist is None or original is None or not callable(getattr(mpl_artist, "kwdoc", None)):
        return  # another Matplotlib: as it is
    update = original.__func__

    def brief(cls: Any) -> None:
        with _one_sentence_property_lists(mpl_artist):
            update(cls)

    def when_read(cls: Any) -> None:
        made = cls.__dict__.get("set")
        if callable(made) and not isinstance(made, _UnfinishedSet):
            cls.set = _UnfinishedSet(cls, made, brief)
        else:  # pragma: no cover - not how Matplotlib calls it
            brief(cls)

    artist._update_set_signature_and_docstring = classmethod(when_read)


class _UnfinishedSet:
    """Stands for the ``set`` method Matplotlib makes for an artist class until the method is first
    read (a call, ``inspect.signature``, ``help``): then the method gets its signature (Matplotlib's
    own, from the class's setters) and short docstring, replaces this stand-in, and is returned.

    Matplotlib builds that signature for each of the hundred-odd artist classes it defines by
    reading the signature and docstring of every setter (0.03-0.05 s of CPU per process); most
    classes' ``set`` is never read in a run.  A class with subclasses has its method finished when
    a subclass is made (Matplotlib reads it there)."""

    def __init__(self, owner: type, method: Callable[..., Any], finish: Callable[[Any], None]) -> None:
        self._owner, self._method, self._finish = owner, method, finish

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        owner = self._owner
        if owner.__dict__.get("set") is self:
            setattr(owner, "set", self._method)  # noqa: B010 - the method Matplotlib made
            self._finish(owner)
        return self._method.__get__(obj, objtype if objtype is not None else type(obj))


def _brief_kwdoc_substitutions(module: types.ModuleType) -> None:
    """After ``matplotlib._docstring`` is run: a docstring that names an artist's properties with
    ``%(Line2D:kwdoc)s`` (``Axes.plot``, ``Axes.bar`` and a dozen more, as Matplotlib's modules are
    run) gets the same one sentence as the ``set`` docstrings (above), not the property list
    Matplotlib builds from every setter's docstring (0.02-0.04 s of CPU per process).  Which class is
    meant, and a ``KeyError`` for a name that is no artist class, stay Matplotlib's."""
    loader = getattr(module, "_ArtistKwdocLoader", None)
    missing = getattr(loader, "__missing__", None)
    if loader is None or missing is None:
        return  # another Matplotlib: as it is

    def brief_missing(self: dict, key: str) -> Any:
        import matplotlib.artist  # as Matplotlib's own method imports it

        if not callable(getattr(matplotlib.artist, "kwdoc", None)):  # pragma: no cover - another Matplotlib
            return missing(self, key)
        with _one_sentence_property_lists(matplotlib.artist):
            return missing(self, key)

    loader.__missing__ = brief_missing


_CAPABILITY_TABLE = ("(the table of array-API backends, which SciPy builds here, is not built in spinestats' "
                     "command-line processes)")


class _DocWithoutTable:
    """Stands for SciPy's ``FunctionDoc`` (its numpydoc parser) in ``xp_capabilities``, the decorator
    that adds a table of the array-API backends each function supports to its docstring: the docstring
    stays the function's own, with :data:`_CAPABILITY_TABLE` where the table would be.  Anything else
    asked of it is asked of SciPy's own parser."""

    _parser: Callable[..., Any]  # SciPy's FunctionDoc (set on the class made for it)

    def __init__(self, func: Any, *args: Any, **kwargs: Any) -> None:
        self._func, self._args, self._kwargs = func, args, kwargs
        self._sections: dict[str, list] = {"Notes": []}

    def __getitem__(self, key: str) -> Any:
        return self._sections.setdefault(key, [])

    def __setitem__(self, key: str, value: Any) -> None:
        self._sections[key] = value

    def __str__(self) -> str:
        # the decorator drops the first line (the signature numpydoc writes there)
        return "\n" + inspect.cleandoc(self._func.__doc__ or "") + "\n\n" + _CAPABILITY_TABLE + "\n"

    def __getattr__(self, name: str) -> Any:  # pragma: no cover - not how SciPy 1.17 uses it
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._parser(self._func, *self._args, **self._kwargs), name)


def _brief_capability_notes(module: types.ModuleType) -> None:
    """After ``scipy._lib._array_api`` is run: the functions SciPy decorates with ``xp_capabilities``
    as its modules are run (94 special functions at ``import scipy.special``, more in
    ``scipy.stats``) keep their docstrings, with one sentence for the table of array-API backends,
    which SciPy builds by parsing and rewriting each docstring with its numpydoc parser (0.04-0.06 s
    of CPU per process), and which only ``help()`` shows.  Which backends a function supports stays
    recorded as SciPy records it.  SciPy versions without the decorator are as they are."""
    parser = getattr(module, "FunctionDoc", None)
    if parser is None or not callable(getattr(module, "xp_capabilities", None)):
        return  # another SciPy: as it is
    module.FunctionDoc = type("FunctionDoc", (_DocWithoutTable,), {"_parser": staticmethod(parser)})  # type: ignore[attr-defined]


class _NoParameterList:
    """Stands for pyarrow's vendored numpydoc parser (``pyarrow.vendored.docscrape.NumpyDocString``),
    which ``import pyarrow.compute`` runs on the docstring of each options class, once for every
    compute function it wraps (109 docstrings, 57 of them distinct), to copy the options' parameter
    list into the function's docstring: that list is left out (the docstring still names the options
    class, whose own docstring has it).  Any other section asked of it is asked of pyarrow's own parser."""

    _parser: Callable[..., Any]  # pyarrow's NumpyDocString (set on the class made for it)

    def __init__(self, docstring: str, config: Any = None) -> None:
        self._docstring, self._config, self._parsed = docstring, config, None

    def _full(self) -> Any:
        if self._parsed is None:
            self._parsed = self._parser(self._docstring, config=self._config)
        return self._parsed

    def __getitem__(self, key: str) -> Any:
        return [] if key == "Parameters" else self._full()[key]


def _brief_option_lists(module: types.ModuleType) -> None:
    """After ``pyarrow.vendored.docscrape`` is run (``import pyarrow.compute`` runs it, and pandas
    imports ``pyarrow.compute``): the compute functions pyarrow wraps as ``pyarrow.compute`` is run
    keep their docstrings but for the list of their options' parameters, which pyarrow copies from
    each options class's docstring with its numpydoc parser (79 million instructions, 5 % of
    ``import pandas``, counted by ``callgrind``), and which only ``help()`` shows.  No other module
    uses that parser.  pyarrow versions without it are as they are."""
    parser = getattr(module, "NumpyDocString", None)
    if not isinstance(parser, type):
        return  # another pyarrow: as it is
    module.NumpyDocString = type("NumpyDocString", (_NoParameterList,), {"_parser": staticmethod(parser)})  # type: ignore[attr-defined]


#: a font file larger than this is read from disk as Matplotlib reads it (see :func:`_fonts_read_from_memory`)
FONT_IN_MEMORY_MAX = 32 * 2**20
#: the font files read in this process (see :func:`_fonts_read_from_memory`): path -> contents
_FONT_FILES: dict[str, bytes] = {}
_FONTS_OPENING = threading.local()  # .paths: the files of the fonts this thread is opening now


class _Serving:
    """How many threads are opening fonts now (``io.open`` is :func:`_open_font_from_memory` while
    one is), and the ``io.open`` to give back when the last one is done (which also opens every file
    not served from memory); a lock."""

    def __init__(self) -> None:
        self.threads, self.before, self._lock = 0, io.open, threading.Lock()

    def __enter__(self) -> None:
        self._lock.acquire()

    def __exit__(self, *exc: object) -> None:
        self._lock.release()


_SERVING = _Serving()


def _font_file(path: str) -> bytes | None:
    """The contents of the font file ``path``, read once per process (None: read it from disk)."""
    data = _FONT_FILES.get(path)
    if data is None:
        try:
            if os.path.getsize(path) > FONT_IN_MEMORY_MAX:
                return None
            with _SERVING.before(path, "rb") as file:
                data = _FONT_FILES[path] = file.read()
        except OSError:
            return None  # Matplotlib opens it and reports what is wrong, as ever
    return data


def _open_font_from_memory(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
    """``io.open`` while a thread opens fonts in :func:`_fonts_read_from_memory`: those fonts' files
    are read from memory, every other file as ever."""
    paths = getattr(_FONTS_OPENING, "paths", None)
    if paths and mode == "rb" and not args and not kwargs and isinstance(file, str) and file in paths:
        data = _font_file(file)
        if data is not None:
            served = io.BytesIO(data)  # shares the bytes; FreeType only seeks and reads
            served.name = file
            return served
    return _SERVING.before(file, mode, *args, **kwargs)


def _fonts_read_from_memory(module: types.ModuleType) -> None:
    """After ``matplotlib.font_manager`` is run: a font Matplotlib opens to lay out and draw text
    (``font_manager._get_font``, once per process and list of font files) reads its file from memory,
    where the file is read once per process (up to :data:`FONT_IN_MEMORY_MAX`).

    FreeType reads a font through the file object Matplotlib opens, a seek and a read for each
    request, and shaping a text reads the font's layout tables again: ``spinestats dss`` read
    DejaVu Sans 83 times over (13,000 reads and 28,000 seeks, 63 MB), which a file in memory serves
    without a system call: with it, ``dss`` makes 16,400 system calls instead of 57,300 (``strace -c``),
    1 % fewer instructions (``callgrind``), and the release with it, interleaved 20 times with the one
    before, spent 0.160 s of system time against 0.187 s.  The bytes are the file's, so every glyph, size and
    figure is the same.  Matplotlib 3.10 and later open the file with ``io.open``, which is served
    this way while the fonts are made; with other versions nothing changes."""
    original = getattr(module, "_get_font", None)
    if not callable(original) or getattr(original, "_spinestats_memory", False):
        return  # another Matplotlib, or adjusted already

    def get_font(font_filepaths: Any, *args: Any, **kwargs: Any) -> Any:
        # font_filepaths: (path, face index) pairs (Matplotlib 3.11) or paths
        _FONTS_OPENING.paths = {p if isinstance(p, str) else p[0] for p in font_filepaths}
        with _SERVING:
            if _SERVING.threads == 0:
                _SERVING.before, io.open = io.open, _open_font_from_memory
            _SERVING.threads += 1
        try:
            return original(font_filepaths, *args, **kwargs)
        finally:
            _FONTS_OPENING.paths = None
            with _SERVING:
                _SERVING.threads -= 1
                if _SERVING.threads == 0 and io.open is _open_font_from_memory:
                    io.open = _SERVING.before

    functools.update_wrapper(get_font, original)  # its name, docstring and __wrapped__
    for name in ("cache_clear", "cache_info", "cache_parameters"):  # the lru_cache's own functions
        if hasattr(original, name):
            setattr(get_font, name, getattr(original, name))
    get_font._spinestats_memory = True  # type: ignore[attr-defined]
    module._get_font = get_font  # type: ignore[attr-defined]


#: modules adjusted right after they are run in spinestats' own processes (see :func:`light_imports`)
ADJUSTED_MODULES = {"matplotlib.artist": _brief_set_docstrings, "matplotlib._docstring": _brief_kwdoc_substitutions,
                    "matplotlib.font_manager": _fonts_read_from_memory, "scipy._lib._array_api": _brief_capability_notes,
                    "pyarrow.vendored.docscrape": _brief_option_lists}


class _AdjustingLoader:
    """A module's own loader, then an adjustment of the module it ran."""

    def __init__(self, loader: Any, adjust: Callable[[types.ModuleType], None]) -> None:
        self._loader, self._adjust = loader, adjust

    def create_module(self, spec: Any) -> Any:
        return self._loader.create_module(spec)

    def exec_module(self, module: types.ModuleType) -> None:
        self._loader.exec_module(module)
        self._adjust(module)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)


class _LightImports:
    """A finder that finds the modules of :data:`DEFERRED_MODULES` and (when ``adjust``)
    :data:`ADJUSTED_MODULES` with the other finders, as they would be found, and gives the first a
    loader that runs them when one of their attributes is first read
    (:class:`importlib.util.LazyLoader`), the second a loader that adjusts them after running them."""

    def __init__(self, adjust: bool = True) -> None:
        self.adjust = adjust

    def find_spec(self, name: str, path: Sequence[str] | None = None,
                  target: types.ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        import importlib.util

        if name not in DEFERRED_MODULES and not (self.adjust and name in ADJUSTED_MODULES):
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is None:
                continue
            if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                loader: Any = (importlib.util.LazyLoader(spec.loader) if name in DEFERRED_MODULES
                               else _AdjustingLoader(spec.loader, ADJUSTED_MODULES[name]))
                spec.loader = loader
            return spec
        return None


def light_imports(adjust: bool = True) -> Callable[[], None]:
    """In this process, import the modules of :data:`DEFERRED_MODULES` when they are first used, and
    (``adjust``) adjust the modules of :data:`ADJUSTED_MODULES` after they run (no property lists in
    Matplotlib's docstrings, no backend tables in SciPy's, font files read from memory); returns the
    function that stops it for later imports.

    The console script sets both for the whole process, as does a pool worker.  The command line's
    ``main`` called from Python (a notebook, a test) defers imports only, and stops when it returns:
    a deferred module is the module it always is once used, while Matplotlib's docstrings would
    stay short for the rest of the session.

    An import of a deferred module puts it in ``sys.modules`` as usual, but its code runs when an
    attribute of it is first read (then it is the module it always is).  A module imported already
    stays as it is.  Nothing is imported here.
    """
    if any(isinstance(f, _LightImports) for f in sys.meta_path):
        return lambda: None
    finder = _LightImports(adjust)
    sys.meta_path.insert(0, finder)

    def stop() -> None:
        if finder in sys.meta_path:
            sys.meta_path.remove(finder)

    return stop


def pool_worker_setup() -> None:
    """The settings of a pool worker, run when it starts (its executor's initializer): the
    deferred imports (:func:`light_imports`), garbage-collector thresholds and allocator settings
    (:func:`keep_freed_memory`) of a command line, and :func:`gc.freeze` registered to run at its exit, before the exit handlers registered earlier and the teardown (see above).  Its
    BLAS threads are sized by the environment it starts with (:func:`thread_environment`)."""
    import gc

    light_imports()
    gc.set_threshold(*GC_THRESHOLDS)
    keep_freed_memory()
    atexit.register(gc.freeze)


def exit_status(code: object) -> int:
    """The exit status of ``SystemExit(code)``, as Python gives it (``None``: 0; a number: itself;
    anything else is printed to stderr and gives 1)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def end_process(code: int) -> NoReturn:
    """End this process with exit status ``code`` at once, after what Python does on exit that
    can be seen from outside.

    As on a normal exit, the threads' exit hooks run and the other threads are joined (the pool
    of worker processes is shut down there), then the exit handlers run (:mod:`atexit`:
    temporary folders are removed), then stdout and stderr are flushed; when stdout cannot take
    its last bytes (a reader that closed the pipe) the status is 120, as Python gives.  What is
    skipped is the interpreter's teardown (freeing each module and object, and the cycle
    collections over them); every file a command writes is closed by then.  Only the command
    line's own process uses this: ``main([...])`` called from Python returns as before.
    """
    import threading

    shutdown = getattr(threading, "_shutdown", None)  # what Python calls first on exit, in every supported version
    if shutdown is not None and threading.current_thread() is threading.main_thread():
        shutdown()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            if stream is sys.stdout and code == 0:
                code = 120
    os._exit(code)

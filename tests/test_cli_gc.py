"""The command line runs with the larger garbage-collector thresholds and gives the caller's back."""

import gc
import sys

import pytest

from spinestats.reports.cli import main as cli_main
from spinestats.reports.collector import GC_THRESHOLDS, uses_glibc


def test_a_command_runs_with_the_cli_thresholds_and_restores_the_callers(monkeypatch):
    seen = []

    def fake(**kwargs):
        seen.append(gc.get_threshold())
        return 0

    monkeypatch.setattr(cli_main.cli, "main", fake)
    before = gc.get_threshold()
    assert before != GC_THRESHOLDS
    with pytest.raises(SystemExit) as exit_info:
        cli_main.main(["--help"])
    assert exit_info.value.code == 0
    assert seen == [GC_THRESHOLDS]
    assert gc.get_threshold() == before


def test_the_callers_thresholds_come_back_after_an_error(monkeypatch):
    def boom(**kwargs):
        raise RuntimeError("x")

    monkeypatch.setattr(cli_main.cli, "main", boom)
    before = gc.get_threshold()
    with pytest.raises(SystemExit) as exit_info:
        cli_main.main(["dss"])
    assert exit_info.value.code == 3 and gc.get_threshold() == before


def test_a_pool_worker_starts_with_the_cli_thresholds():
    """Every pool worker (a plan's or a command's figure pool) starts with them
    (spinestats.reports.collector.pool_worker_setup, the executor's initializer)."""
    from spinestats.reports.figure_files import figure_executor

    pool = figure_executor(2)
    assert tuple(pool.submit(gc.get_threshold).result()) == GC_THRESHOLDS


def test_a_pool_worker_freezes_its_objects_when_it_exits():
    """pool_worker_setup registers gc.freeze at exit: the teardown's cycle collections then skip
    the worker's objects (the command waits for its workers to end)."""
    import subprocess
    import sys

    code = ("import atexit, gc\n"
            "from spinestats.reports.collector import pool_worker_setup\n"
            "pool_worker_setup()\n"
            "objects = [[i] for i in range(1000)]\n"
            "assert gc.get_freeze_count() == 0\n"
            "atexit._run_exitfuncs()\n"
            "print(gc.get_freeze_count() >= 1000, tuple(gc.get_threshold()))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.split(None, 1) == ["True", f"{GC_THRESHOLDS}\n"]


def test_a_plan_worker_freezes_what_its_imports_built():
    """warm_up (a plan's first item in a worker) freezes the imported modules' objects, so that the
    pool's once-a-second collections between tasks do not walk them again."""
    from spinestats.reports.figure_files import figure_executor
    from spinestats.reports.plan_runner import warm_up

    pool = figure_executor(2)
    pool.submit(warm_up, ["json", "fractions"]).result()
    assert pool.submit(gc.get_freeze_count).result() > 1000
    garbage = pool.submit(_cycle_collected).result()
    assert garbage is True


def _cycle_collected() -> bool:
    """Whether a reference cycle built after the freeze is still collected."""
    import weakref

    class Node:
        pass

    a, b = Node(), Node()
    a.other, b.other = b, a
    probe = weakref.ref(a)
    del a, b
    gc.collect()
    return probe() is None


_DEFERRED_PROBE = """
import sys
from spinestats.reports.collector import light_imports
import numpy.linalg  # imported before: stays as it is
stop = light_imports()
import numpy.f2py, numpy.testing  # as SciPy >= 1.14's scipy.special does, reading every attribute of NumPy
import scipy.special
kinds = {n: type(sys.modules[n]).__name__ for n in ("numpy.f2py", "numpy.testing", "numpy.linalg")}
print(kinds["numpy.f2py"], kinds["numpy.testing"], kinds["numpy.linalg"])
print(repr(float(scipy.special.ndtri(0.975))))
import numpy.testing
numpy.testing.assert_allclose(1.0, 1.0)  # the first use runs the module
print(type(sys.modules["numpy.testing"]).__name__, hasattr(sys.modules["numpy.f2py"], "run_main"))
stop()
import fontTools.subset  # after stop(): imported at once
print(type(sys.modules["fontTools.subset"]).__name__)
"""

_AGL_PROBE = """
import sys
from spinestats.reports.collector import light_imports
light_imports()
import matplotlib.pyplot as plt, matplotlib.dviread  # Matplotlib >= 3.10's dviread imports fontTools.agl (TeX fonts)
if "fontTools.agl" not in sys.modules:  # older Matplotlib does not import it: imported here as dviread does
    import fontTools.agl  # (a second import statement would read the module's __spec__, which runs it)
print(type(sys.modules["fontTools.agl"]).__name__)
fig, ax = plt.subplots()
ax.plot([0, 1], [0, 1]); ax.set_xlabel("Time (months)")
import io
fig.savefig(io.BytesIO(), format="pdf"); fig.savefig(io.BytesIO(), format="png")
print(type(sys.modules["fontTools.agl"]).__name__)
print(sys.modules["fontTools.agl"].toUnicode("uni00E9"))  # the first use runs it
print(type(sys.modules["fontTools.agl"]).__name__)
"""


def test_deferred_modules_run_when_first_used_and_not_before():
    """After light_imports, importing numpy.f2py and numpy.testing (and scipy.special) leaves them unrun; the first
    use of one runs it; a module imported before, and any import after stop(), is imported as usual."""
    lines = _probe(_DEFERRED_PROBE)
    assert lines[0] == "_LazyModule _LazyModule module"
    assert lines[1] == "1.959963984540054"  # qnorm(0.975) in R: 1.959963984540054
    assert lines[2] == "module True"
    assert lines[3] == "module"


def test_the_adobe_glyph_list_runs_only_when_used():
    """fontTools.agl (which Matplotlib >= 3.10's dviread imports, for TeX fonts only) is imported unrun: a figure
    saved as PDF and PNG leaves it unrun; its first use runs it."""
    assert _probe(_AGL_PROBE)[:4] == ["_LazyModule", "_LazyModule", "\u00e9", "module"]


def test_a_command_defers_the_imports_only_while_it_runs(monkeypatch):
    import sys

    from spinestats.reports.collector import _LightImports

    seen = []
    monkeypatch.setattr(cli_main.cli, "main", lambda **kw: seen.append(
        [f.adjust for f in sys.meta_path if isinstance(f, _LightImports)]) or 0)
    with pytest.raises(SystemExit):
        cli_main.main(["--help"])
    assert seen == [[False]]  # imports deferred; Matplotlib's docstrings left as they are (they would stay)
    assert not any(isinstance(f, _LightImports) for f in sys.meta_path)


_ENTRY_PROBE = """
import atexit, sys
def report():  # run by end_process, before the process ends
    from matplotlib.lines import Line2D
    print(len(Line2D.set.__doc__), flush=True)
atexit.register(report)
sys.argv = ["spinestats", "--version"]
from spinestats.reports.cli.main import entry
entry()
"""


def test_the_console_script_adjusts_matplotlibs_docstrings_for_the_whole_process():
    assert int(_probe(_ENTRY_PROBE)[-1]) < 1000  # Matplotlib's own lists every property


def test_a_pool_worker_defers_the_imports():
    from spinestats.reports.figure_files import figure_executor

    def probe():
        import sys

        from spinestats.reports.collector import _LightImports
        return any(isinstance(f, _LightImports) for f in sys.meta_path)

    pool = figure_executor(2)
    assert pool.submit(probe).result(timeout=120) is True


_ARTIST_PROBE = """
import hashlib, inspect, sys
if sys.argv[1] == "light":
    from spinestats.reports.collector import light_imports
    light_imports()
import matplotlib
matplotlib.use("Agg")
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text
for cls in (Line2D, Text, Axes, Figure, PathCollection):
    print(cls.__name__, list(inspect.signature(cls.set).parameters), len(cls.set.__doc__ or ""))
line = Line2D([0, 1], [0, 1])
line.set(lw=3, color="red")
print(line.get_linewidth(), line.get_color())
from spinestats.reports.figure_style import journal_figure, save_figure
fig, ax = journal_figure("single")
ax.plot([0, 12, 24], [1.0, 0.8, 0.6], label="分離手術 あり")
ax.set_xlabel("Months from start of treatment")
ax.legend()
paths = save_figure(fig, sys.argv[2], "f", formats=("png", "svg", "pdf"))
print([hashlib.sha256(p.read_bytes()).hexdigest() for p in paths])
"""


_UNFINISHED_PROBE = """
import inspect, sys
if sys.argv[1] == "light":
    from spinestats.reports.collector import light_imports
    light_imports()
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.artist import Artist
from matplotlib.patches import Wedge

def subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from subclasses(sub)

unfinished = [c for c in set(subclasses(Artist)) if type(c.__dict__.get("set")).__name__ == "_UnfinishedSet"]
print(len(unfinished) > 40, Wedge in unfinished)
wedge = Wedge((0, 0), 1.0, 0, 90)
wedge.set(alpha=0.5, linewidth=2)  # the first read finishes the method; the call works
print(wedge.get_alpha(), wedge.get_linewidth(), type(Wedge.__dict__["set"]).__name__)
print(" ".join(list(inspect.signature(Wedge.set).parameters)))

class Mine(Wedge):  # a subclass made later gets its own method, as Matplotlib makes it
    def set_flavour(self, value):
        self._flavour = value

mine = Mine((0, 0), 1.0, 0, 90)
mine.set(flavour="plain", alpha=0.25)
print(mine._flavour, mine.get_alpha(), "flavour" in inspect.signature(Mine.set).parameters)
"""


def _probe(code: str, *args: str) -> list[str]:
    """The lines a probe printed, run as a script in a new process with ``args``."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().split("\n")


def test_light_imports_finish_an_artists_set_method_when_it_is_first_read():
    """Under light_imports most artist classes' set() is a stand-in until first read; reading it (a call,
    inspect.signature) gives Matplotlib's method, signature and behaviour; subclasses made later work."""
    light, plain = _probe(_UNFINISHED_PROBE, "light"), _probe(_UNFINISHED_PROBE, "plain")
    assert light[0] == "True True"
    assert plain[0] == "False False"
    assert light[1] == plain[1] == "0.5 2.0 function"
    assert light[2] == plain[2]  # Matplotlib's signature of Wedge.set
    assert "alpha" in light[2].split() and "theta1" in light[2].split()
    assert light[3] == plain[3] == "plain 0.25 True"


def test_light_imports_keep_matplotlibs_set_signatures_and_behaviour_and_the_figures(tmp_path):
    """In a process with light_imports, artists' set() methods have Matplotlib's signatures and work
    as before; only their docstrings are short; a figure's files are byte for byte the same."""
    light, plain = (_probe(_ARTIST_PROBE, mode, str(tmp_path / mode)) for mode in ("light", "plain"))
    for a, b in zip(light[:5], plain[:5]):
        (signature, doc), (signature_plain, doc_plain) = a.rsplit(" ", 1), b.rsplit(" ", 1)
        assert signature == signature_plain  # the class and the keyword parameters Matplotlib gives set()
        assert int(doc) < 1000 < int(doc_plain), signature  # Matplotlib's docstring lists every property
    assert light[5] == plain[5] == "3.0 red"
    assert light[6] == plain[6]  # PNG, SVG and PDF


_KWDOC_PROBE = """
import sys
if sys.argv[1] == "light":
    from spinestats.reports.collector import light_imports
    light_imports()
import matplotlib
matplotlib.use("Agg")
from matplotlib import _docstring
from matplotlib.axes import Axes
print(len(Axes.plot.__doc__), "agg_filter:" in Axes.plot.__doc__, "is not built" in Axes.plot.__doc__)
try:
    _docstring.interpd.params["NoSuchArtist:kwdoc"]
except KeyError:
    print("KeyError")
"""


def test_light_imports_leave_the_property_lists_out_of_matplotlibs_docstrings_only():
    """Docstrings that Matplotlib fills with an artist's property list (``%(Line2D:kwdoc)s`` in
    Axes.plot) get one sentence under light_imports; an unknown artist is still a KeyError."""
    light, plain = _probe(_KWDOC_PROBE, "light"), _probe(_KWDOC_PROBE, "plain")
    (n_light, *flags_light), (n_plain, *flags_plain) = light[0].split(), plain[0].split()
    assert flags_light == ["False", "True"] and flags_plain == ["True", "False"]
    assert int(n_plain) - int(n_light) > 1000
    assert light[1] == plain[1] == "KeyError"


_FONT_PROBE = """
import io, sys, threading
if sys.argv[1] == "light":
    from spinestats.reports.collector import light_imports
    light_imports()
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib import font_manager
path = font_manager.findfont("DejaVu Sans")
opened = []
sys.addaudithook(lambda event, args: opened.append(args[0]) if event == "open" and args[0] == path else None)
sizes = []
for factor in (0, 1, 2):  # each kerning factor is a font of its own
    with matplotlib.rc_context({"text.kerning_factor": factor}):
        font = font_manager.get_font(path)
        font.set_size(10, 72)
        font.set_text("Sensitivity 90 %", 0.0)
        sizes.append(font.get_width_height())
        assert font.fname == path
made = len(opened)  # (the threads below make as many fonts as thread identities: not a fixed number)
threads = [threading.Thread(target=font_manager.get_font, args=([path],)) for _ in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(made, len(opened), io.open is open, matplotlib.__version__)
print(sizes)
fig, ax = plt.subplots(figsize=(2, 1.5))
ax.set_title("Kaplan-Meier 5-year 79 %")
ax.plot([0, 1], [1, 0.79], label="CIRT")
ax.legend()
out = io.BytesIO()
fig.savefig(out, format="png", dpi=100)
print(out.getvalue().hex())
"""


def test_light_imports_read_each_font_file_once_and_draw_the_same_text():
    """Under light_imports the fonts Matplotlib makes to draw text read their file from memory, read
    once per process (Matplotlib >= 3.10 opens it with io.open); sizes and pixels are the same, and
    io.open is the interpreter's own again afterwards, in every thread."""
    light, plain = _probe(_FONT_PROBE, "light"), _probe(_FONT_PROBE, "plain")
    (made_light, n_light, restored_light, version), (made_plain, n_plain, restored_plain, _) = (
        [int(x) if x.isdigit() else x for x in line.split()] for line in (light[0], plain[0]))
    assert restored_light == restored_plain == "True"
    assert made_plain == 3 and n_plain >= 3  # a font per kerning factor (and one per thread) opens the file
    if tuple(int(part) for part in version.split(".")[:2]) >= (3, 10):
        assert made_light == n_light == 1  # the threads' fonts too are served from memory
    else:  # older Matplotlib opens its fonts with the builtin open: as it is
        assert made_light == 3 and n_light >= 3
    assert light[1] == plain[1]
    assert light[2] == plain[2]


_SCIPY_PROBE = """
import sys
if sys.argv[1] == "light":
    from spinestats.reports.collector import light_imports
    light_imports()
import scipy.special
_array_api = sys.modules.get("scipy._lib._array_api")  # SciPy 1.11 has none
doc = scipy.special.ndtr.__doc__
table = getattr(_array_api, "xp_capabilities_table", {})
print(hasattr(_array_api, "xp_capabilities"), "Array API Standard Support" in doc, "is not built" in doc)
print(len(table), sorted(str(v) for f, v in table.items() if getattr(f, "__name__", "") == "ndtr"))
print("Cumulative distribution of the standard normal distribution." in doc, repr(float(scipy.special.ndtr(0.5))))
"""


def test_light_imports_leave_scipys_backend_tables_out_of_its_docstrings_only():
    """SciPy's array-API table (xp_capabilities) is left out of the docstrings under light_imports, with
    a sentence where it would be; the docstring's own text, what SciPy records of each function, and
    the functions are as they are.  A SciPy without the decorator is as it is."""
    light, plain = _probe(_SCIPY_PROBE, "light"), _probe(_SCIPY_PROBE, "plain")
    decorated = plain[0].split()[0] == "True"
    assert plain[0] == ("True True False" if decorated else "False False False")
    assert light[0] == ("True False True" if decorated else plain[0])
    assert light[1] == plain[1]  # the functions and backends SciPy recorded
    assert light[2] == plain[2] == "True 0.6914624612740131"  # Φ(0.5): R's print(pnorm(0.5), digits = 17) gives 0.69146246127401301, the same double


_PYARROW_PROBE = """
import hashlib, inspect, sys
if sys.argv[1] == "light":
    from spinestats.reports.collector import light_imports
    light_imports()
import pyarrow as pa
import pyarrow.compute as pc
names = sorted(n for n in dir(pc) if hasattr(getattr(pc, n), "__arrow_compute_function__"))
text = "".join(f"{n}{inspect.signature(getattr(pc, n))}{getattr(pc, n).__arrow_compute_function__}" for n in names)
print(len(names) > 200, hashlib.sha256(text.encode()).hexdigest())
print(pc.round(pa.array([1.25, 2.5, -0.5]), ndigits=1).to_pylist(), pc.equal(pa.array([1, 2]), 2).to_pylist())
doc = pc.round.__doc__
print("ndigits : int" in doc, "options : pyarrow.compute.RoundOptions, optional" in doc, doc.startswith("Round to a given precision"))
from pyarrow.vendored import docscrape
print(docscrape.NumpyDocString(pc.RoundOptions.__doc__)["Summary"])
"""


def test_light_imports_leave_the_option_lists_out_of_pyarrows_compute_docstrings_only():
    """pyarrow's compute functions (pandas imports pyarrow.compute) keep their docstrings under light_imports but
    for the options' parameter lists (the docstring still names the options class); their names, signatures,
    what pyarrow records of them and their results are as they are."""
    light, plain = _probe(_PYARROW_PROBE, "light"), _probe(_PYARROW_PROBE, "plain")
    assert light[0] == plain[0] and light[0].startswith("True ")
    assert light[1] == plain[1] == "[1.2, 2.5, -0.5] [False, True]"  # round half to even, as pyarrow rounds
    assert plain[2] == "True True True"
    assert light[2] == "False True True"
    assert light[3] == plain[3] == "['Options for rounding numbers.']"  # any other section: pyarrow's own parser


_ALLOCATOR_PROBE = """
import atexit, ctypes, sys


class Info(ctypes.Structure):  # glibc's struct mallinfo2
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]


def check():
    libc = ctypes.CDLL(None)
    libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, (ctypes.c_size_t,)
    libc.free.argtypes = (ctypes.c_void_p,)
    libc.mallinfo2.restype = Info
    for size in (3 * 2**20, 6 * 2**20):  # below and above the mapping threshold
        block = libc.malloc(size)
        ctypes.memset(block, 1, size)
        mapped = libc.mallinfo2().hblkhd >= size
        libc.free(block)
        print(int(mapped), int(libc.mallinfo2().fordblks >= size), flush=True)


if sys.argv[1] == "set":
    from spinestats.reports.collector import keep_freed_memory
    assert keep_freed_memory() is True
if sys.argv[1] == "entry":  # the console script, checked as it ends
    atexit.register(check)
    sys.argv = ["spinestats", "--version"]
    from spinestats.reports.cli.main import entry
    entry()
check()
"""


@pytest.mark.skipif(not uses_glibc(), reason="the allocator settings are glibc's (another C library is left as it is)")
@pytest.mark.parametrize(("mode", "expected"), [
    ("set", ["0 1", "1 0"]),      # keep_freed_memory(): the 3 MiB block from the heap, kept there when freed
    ("entry", ["0 1", "1 0"]),    # the console script sets it
    ("default", ["1 0", "1 0"]),  # a Python session: glibc maps the 3 MiB block too, and gives it back
])
def test_the_allocator_keeps_freed_memory_in_spinestats_processes_only(mode, expected):
    """keep_freed_memory (the console script and every pool worker): a 3 MiB block comes from the heap and stays
    there, free, when freed; a 6 MiB block is mapped on its own and given back.  Python sessions keep glibc's own
    settings."""
    import subprocess

    out = subprocess.run([sys.executable, "-c", _ALLOCATOR_PROBE, mode], capture_output=True, text=True,
                         check=True, timeout=120)
    assert out.stdout.splitlines()[-2:] == expected


def test_a_pool_worker_keeps_freed_memory(monkeypatch):
    """pool_worker_setup applies keep_freed_memory, as the console script does (entry)."""
    from spinestats.reports import collector

    calls = []
    monkeypatch.setattr(collector, "keep_freed_memory", lambda: calls.append("set") or True)
    monkeypatch.setattr(collector, "light_imports", lambda adjust=True: (lambda: None))
    monkeypatch.setattr(collector.atexit, "register", lambda func: None)
    before = gc.get_threshold()
    try:
        collector.pool_worker_setup()
    finally:
        gc.set_threshold(*before)
    assert calls == ["set"]

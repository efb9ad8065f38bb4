"""Font subsets kept on disk between runs (spinestats.reports.subset_cache): the PDFs are byte for byte
those written without the cache; a damaged, foreign or stale file is never used; the cache never stops
a figure; it stays bounded; a PDF from a warm cache does not import fontTools.subset."""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from matplotlib import font_manager

from spinestats.reports import figure_files, subset_cache
from spinestats.reports.figure_style import journal_figure, save_figure

needs_memo = pytest.mark.skipif(
    not hasattr(importlib.import_module("matplotlib.backends._backend_pdf_ps"), "SubsetResults"),
    reason="subsets are kept (in memory and on disk) on Matplotlib >= 3.11; before, Matplotlib makes its own")


def _draw(label="分離手術 あり", xlabel="Months from start of treatment (−12 to 36)", x=(0, 1, 2)):
    fig, ax = journal_figure("single")
    ax.plot(list(x), [1.0, 0.5, 0.2], label=label)
    ax.set_xlabel(xlabel)
    ax.legend()
    return fig


def _fresh_process(monkeypatch):
    """As in a new process: no subset made in memory yet."""
    monkeypatch.setattr(figure_files, "_SUBSETS", {})
    monkeypatch.setattr(figure_files, "_COMMON", {})


def _files(cache: Path) -> list[Path]:
    folder = cache / "font-subsets"
    return sorted(folder.glob("*.subset")) if folder.exists() else []


@needs_memo
def test_pdf_bytes_are_the_same_from_a_cold_cache_a_warm_cache_and_no_cache(tmp_path, monkeypatch):
    made = []
    real = figure_files._make_subset
    monkeypatch.setattr(figure_files, "_make_subset", lambda *a: made.append(a[1]) or real(*a))
    cache = tmp_path / "cache"
    monkeypatch.setenv("SPINESTATS_CACHE_DIR", str(cache))
    _fresh_process(monkeypatch)
    cold = save_figure(_draw(), tmp_path / "cold", "f", formats=("pdf",))[0].read_bytes()
    stored = _files(cache)
    # DejaVu Sans and IPAexGothic: one subset each, both stored, and the intermediate subset of each font
    # to its common characters (figure_files.COMMON_TEXT) that they were cut from
    assert len(made) == 2 and len(stored) == 4
    assert oct((cache / "font-subsets").stat().st_mode & 0o777) == oct(0o700)

    _fresh_process(monkeypatch)
    warm = save_figure(_draw(), tmp_path / "warm", "f", formats=("pdf",))[0].read_bytes()
    assert len(made) == 2  # read back, none made

    monkeypatch.setenv("SPINESTATS_CACHE_DIR", "")  # off
    _fresh_process(monkeypatch)
    plain = save_figure(_draw(), tmp_path / "plain", "f", formats=("pdf",))[0].read_bytes()
    assert len(made) == 4 and _files(cache) == stored
    assert cold == warm == plain


@needs_memo
def test_a_run_showing_other_characters_cuts_its_subsets_from_the_stored_intermediate_ones(tmp_path, monkeypatch):
    """Another study's figure (other numbers, other labels) needs subsets not stored yet: they are cut from
    the fonts' intermediate subsets read from disk, and the whole font files are not parsed again."""
    from matplotlib.backends import _backend_pdf_ps

    monkeypatch.setenv("SPINESTATS_CACHE_DIR", str(tmp_path / "cache"))
    _fresh_process(monkeypatch)
    save_figure(_draw(), tmp_path / "first", "f", formats=("pdf",))
    whole_font_files = []
    real = _backend_pdf_ps.get_glyphs_subset

    def spy(fontfile, glyphs):
        if not isinstance(fontfile, figure_files._FontBytes):  # a font file on disk, parsed whole
            whole_font_files.append(str(getattr(fontfile, "path", fontfile)))
        return real(fontfile, glyphs)

    monkeypatch.setattr(_backend_pdf_ps, "get_glyphs_subset", spy)

    def other_study():
        return _draw("Local control, 5-year 79 % (95 % CI 68–87 %)", "Years from carbon-ion radiotherapy", (0, 7, 9))

    _fresh_process(monkeypatch)  # a new process: nothing in memory
    cut = save_figure(other_study(), tmp_path / "second", "f", formats=("pdf",))[0].read_bytes()
    assert whole_font_files == []
    assert len(_files(tmp_path / "cache")) == 5  # the new DejaVu Sans subset is stored too (no Japanese here)

    monkeypatch.setenv("SPINESTATS_CACHE_DIR", "")  # the same figure without any cache: the same file
    _fresh_process(monkeypatch)
    assert save_figure(other_study(), tmp_path / "plain", "f", formats=("pdf",))[0].read_bytes() == cut
    assert whole_font_files  # (without the cache the whole font is parsed: the spy sees it)


def _stored(tmp_path, monkeypatch, glyphs=frozenset({3, 5, 7})):
    monkeypatch.setenv("SPINESTATS_CACHE_DIR", str(tmp_path / "cache"))
    font = font_manager.findfont("DejaVu Sans")
    key = subset_cache.key_of(font, 0, glyphs)
    subset_cache.store(key, b"\x00\x01font bytes", {3: 1, 5: 2, 7: 3})
    return key, _files(tmp_path / "cache")


def test_a_stored_subset_is_read_back_as_it_was(tmp_path, monkeypatch):
    key, files = _stored(tmp_path, monkeypatch)
    assert len(files) == 1
    assert subset_cache.load(key) == (b"\x00\x01font bytes", {3: 1, 5: 2, 7: 3})


@pytest.mark.parametrize("damage", ["flip a font byte", "cut short", "empty", "another key's file", "a directory"])
def test_a_damaged_or_foreign_file_is_not_used(tmp_path, monkeypatch, damage):
    key, (path,) = _stored(tmp_path, monkeypatch)
    raw = path.read_bytes()
    if damage == "flip a font byte":
        path.write_bytes(raw[:-3] + bytes([raw[-3] ^ 0x20]) + raw[-2:])
    elif damage == "cut short":
        path.write_bytes(raw[:-5])
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "another key's file":  # intact and signed, but stored for other glyphs
        other, _ = _stored(tmp_path, monkeypatch, frozenset({3, 5}))
        shutil.copyfile(subset_cache._file(path.parent, other), path)
    else:
        path.unlink()
        path.mkdir()
    assert subset_cache.load(key) is None


def test_another_font_file_version_or_library_gives_another_key(tmp_path, monkeypatch):
    font = tmp_path / "DejaVuSans.ttf"
    shutil.copyfile(font_manager.findfont("DejaVu Sans"), font)
    glyphs = frozenset({10, 11})
    first = subset_cache.key_of(str(font), 0, glyphs)
    assert first == subset_cache.key_of(str(font), 0, frozenset({11, 10}))
    assert first != subset_cache.key_of(str(font), 1, glyphs)  # another face of a collection
    assert first != subset_cache.key_of(str(font), 0, frozenset({10}))
    st = font.stat()
    os.utime(font, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))  # the font file replaced
    assert first != subset_cache.key_of(str(font), 0, glyphs)
    monkeypatch.setattr(subset_cache, "_versions", lambda: "fontTools 99, Matplotlib 9.9")
    assert subset_cache.key_of(str(font), 0, glyphs) not in (first, None)
    assert subset_cache.key_of(str(tmp_path / "missing.ttf"), 0, glyphs) is None  # not a file: not cached


@needs_memo
def test_a_folder_that_cannot_be_written_does_not_stop_a_figure(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would be")
    monkeypatch.setenv("SPINESTATS_CACHE_DIR", str(blocker))
    _fresh_process(monkeypatch)
    pdf = save_figure(_draw(), tmp_path, "f", formats=("pdf",))[0]
    assert pdf.read_bytes().startswith(b"%PDF") and blocker.read_text().startswith("a file")
    assert subset_cache.load(subset_cache.key_of(font_manager.findfont("DejaVu Sans"), 0, frozenset({3}))) is None


def test_the_least_recently_used_subsets_go_first(tmp_path, monkeypatch):
    monkeypatch.setattr(subset_cache, "MAX_FILES", 4)
    monkeypatch.setenv("SPINESTATS_CACHE_DIR", str(tmp_path / "cache"))
    font = font_manager.findfont("DejaVu Sans")
    keys = [subset_cache.key_of(font, 0, frozenset({g})) for g in range(1, 6)]
    for age, key in enumerate(keys[:4]):
        subset_cache.store(key, b"x", {})
        path = subset_cache._file(tmp_path / "cache" / "font-subsets", key)
        os.utime(path, (1_000_000 + age, 1_000_000 + age))  # stored in this order, long ago
    assert subset_cache.load(keys[0]) is not None  # the oldest, used again: now the most recent
    subset_cache.store(keys[4], b"x", {})  # a fifth: down to three
    left = [k for k in keys if subset_cache.load(k) is not None]
    assert left == [keys[0], keys[3], keys[4]]


def test_the_default_folder_and_the_switch(tmp_path, monkeypatch):
    monkeypatch.delenv("SPINESTATS_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    if sys.platform != "win32":
        assert subset_cache.folder() == tmp_path / "xdg" / "spinestats" / "font-subsets"
    monkeypatch.delenv("XDG_CACHE_HOME")

    def no_home():
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(Path, "home", staticmethod(no_home))
    if sys.platform != "win32":
        assert subset_cache.folder() is None  # no home folder: no cache, and no error
    monkeypatch.setenv("SPINESTATS_CACHE_DIR", str(tmp_path / "mine"))
    assert subset_cache.folder() == tmp_path / "mine" / "font-subsets"
    monkeypatch.setenv("SPINESTATS_CACHE_DIR", " ")
    assert subset_cache.folder() is None
    subset_cache.store(subset_cache.key_of(font_manager.findfont("DejaVu Sans"), 0, frozenset({1})), b"x", {})
    assert not any(tmp_path.rglob("*.subset"))


_PROBE = """
import sys
from spinestats.reports.cli.main import main
try:
    main(["dss", sys.argv[1], "--out", sys.argv[2], "--force"])
except SystemExit as exc:
    assert exc.code in (0, None), exc.code
mod = sys.modules.get("fontTools.subset")
print(type(mod).__name__, "fontTools.subset.cff" in sys.modules)
from fontTools import subset  # any use imports it in full
print(subset.Options().glyph_names, "fontTools.subset.cff" in sys.modules)
"""


@needs_memo
def test_a_pdf_from_a_warm_cache_does_not_import_fontTools_subset(tmp_path):
    from spinestats.data_schemas.examples import cohort_dss

    env = {**os.environ, "SPINESTATS_CACHE_DIR": str(tmp_path / "cache"), "MPLBACKEND": "Agg"}
    export = str(Path(cohort_dss.__file__).with_name("synthetic_dss.csv"))

    def run(out):
        done = subprocess.run([sys.executable, "-c", _PROBE, export, str(tmp_path / out)], env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip().split("\n")[-2:]

    assert run("cold") == ["module True", "False True"]  # subsets made: imported in full
    assert run("warm") == ["_LazyModule False", "False True"]  # read back: not imported until used
    for pdf in sorted((tmp_path / "cold" / "figures").glob("*.pdf")):
        assert pdf.read_bytes() == (tmp_path / "warm" / "figures" / pdf.name).read_bytes()

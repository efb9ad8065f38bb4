"""Shared pytest configuration.

Figures are drawn with the non-interactive Agg backend so tests never need a
screen.  Area-specific fixtures live in the area's own test modules.
"""

import matplotlib

matplotlib.use("Agg")

import os

# Tests never leave a study-key file (.spinestats-key) in the repository: a fixed test key is the
# default; the privacy tests that exercise the key file remove it with monkeypatch.
os.environ.setdefault("SPINESTATS_ID_KEY", "spinestats-test-suite-study-key")

# Font subsets cached by the figures (spinestats.reports.subset_cache) go to a folder of this test
# process, removed at its end, not to the user's cache; the commands the tests start inherit it.
if "SPINESTATS_CACHE_DIR" not in os.environ:
    import atexit
    import shutil
    import tempfile

    _cache = tempfile.mkdtemp(prefix="spinestats-test-cache-")
    os.environ["SPINESTATS_CACHE_DIR"] = _cache
    atexit.register(shutil.rmtree, _cache, True)


import pytest  # noqa: E402


def pytest_configure(config):
    """What pandas 3 deprecates for pandas 4 is an error in our code (CI's pandas 3 leg sees it;
    pandas 2 has no such warning)."""
    import pandas.errors

    if hasattr(pandas.errors, "Pandas4Warning"):
        config.addinivalue_line("filterwarnings", "error::pandas.errors.Pandas4Warning")


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """``spinestats demo`` run once per test session (one worker, in this process) for every demo test.

    Returns the output folder, its ``results.json``, the figures as saved
    (``{stem: (Figure, TIFF problems)}``, for the figure lint) and the
    missing-glyph warnings raised while drawing.  The modules that use it
    share one xdist group (``demo``), so a parallel run draws the demo once.
    """
    import json

    from spinestats.reports.cli.main import main
    from test_figure_lint import _collect

    out = tmp_path_factory.mktemp("demo") / "spinestats-demo"

    def run():
        with pytest.raises(SystemExit) as ex:
            main(["demo", "--out", str(out), "--quiet", "--workers", "1"])
        assert ex.value.code in (0, None)

    figures, glyphs = _collect(run)
    return out, json.loads((out / "results.json").read_text(encoding="utf-8")), figures, glyphs

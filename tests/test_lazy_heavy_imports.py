"""Heavy statistical packages load only in a process that calls them (issue 16, cold start).

Importing ``scipy.stats`` costs about 1.4 s of CPU time, ``scipy.optimize``
0.8 s and ``statsmodels.stats.multitest`` 0.35 s more.  No spinestats module
imports them at module level, so a command pays for one only when a function
that needs it runs; and no runtime code uses statsmodels at all (it is a test
cross-check only).
"""

import ast
import subprocess
import sys
from pathlib import Path

import spinestats

HEAVY = ("scipy.stats", "scipy.optimize", "scipy.integrate", "statsmodels")
ROOT = Path(spinestats.__file__).parent


def test_importing_every_module_loads_no_heavy_statistics_package():
    code = (
        "import importlib, pkgutil, sys, spinestats\n"
        "for m in pkgutil.walk_packages(spinestats.__path__, 'spinestats.'):\n"
        "    importlib.import_module(m.name)\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] == 'statsmodels' or m in {HEAVY!r}))\n"
        "print(len([m for m in sys.modules if m.startswith('spinestats.')]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == "[]", out[0]
    assert int(out[1]) > 100  # every module was imported (the walk found the package)


def test_no_runtime_code_imports_statsmodels():
    bad = []
    for path in ROOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            bad += [f"{path.relative_to(ROOT)}:{node.lineno}" for n in names if n.split(".")[0] == "statsmodels"]
    assert not bad, bad

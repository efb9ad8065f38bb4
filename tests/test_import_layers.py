"""The layers import in one direction only (AST check of every import statement).

``data_schemas`` (input) imports neither ``analysis`` (statistics) nor
``reports`` (presentation); ``analysis`` imports neither ``reports`` nor
``data_schemas``; ``reports`` computes no statistics itself, so it never
imports ``scipy.stats``.  Imports inside functions count as much as
module-level ones.  Shared small pieces (errors, WBB notation, formula
escaping, numbers read from text) live in the top-level ``spinestats`` package.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = {"analysis": "analysis", "data_schemas": "data_schemas", "reports": "reports"}

FORBIDDEN = {
    "data_schemas": ("spinestats.analysis", "spinestats.reports"),
    "analysis": ("spinestats.reports", "spinestats.data_schemas"),
}

#: the single allowed exception, a presentation hook: Result.summary() formats
#: with the report's number formatting (one formatting path); it is imported
#: inside the method, so the statistics never load the report code otherwise.
ALLOWED = {("analysis/core/result.py", "spinestats.reports.formatting")}

#: the second presentation hook (issue 15): ``plot()`` of the results that have a
#: report figure imports ``spinestats.reports.result_plots`` inside the method,
#: so that a notebook draws with the report's own figure code; only these
#: modules, only that module, and only inside a function (checked below).
PLOT_HOOKS = {"analysis/survival/kaplan_meier.py", "analysis/competing_risks/cuminc.py", "analysis/survival/cox.py",
              "analysis/competing_risks/finegray.py", "analysis/survival/cox_zph.py", "analysis/diagnostic/roc.py",
              "analysis/diagnostic/score_distribution.py",
              "analysis/pooling/meta_reml.py", "analysis/pooling/bivariate_meta.py", "analysis/prediction/calibration.py",
              "analysis/prediction/decision_curve.py", "analysis/longitudinal/visit_summary.py",
              "analysis/longitudinal/mixed_model.py"}
ALLOWED |= {(f, "spinestats.reports.result_plots") for f in PLOT_HOOKS}


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every absolute module name imported by ``path``, with its line."""
    rel = path.relative_to(ROOT).with_suffix("").parts
    return _imports_of(path.read_text(encoding="utf-8"), "spinestats." + ".".join(rel[:-1]))


def _imports_of(text: str, package: str) -> list[tuple[int, str]]:
    tree = ast.parse(text)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            found.append((node.lineno, module))
            found += [(node.lineno, f"{module}.{a.name}") for a in node.names]
    return found


def _files(layer: str) -> list[Path]:
    return sorted((ROOT / layer).rglob("*.py"))


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_no_upward_imports(layer):
    bad = []
    for path in _files(layer):
        rel = path.relative_to(ROOT).as_posix()
        for line, module in _imports(path):
            for prefix in FORBIDDEN[layer]:
                if (module == prefix or module.startswith(prefix + ".")) and not any(
                        rel == f and module.startswith(m) for f, m in ALLOWED):
                    bad.append(f"{rel}:{line} imports {module}")
    assert not bad, "\n".join(sorted(set(bad)))


def test_presentation_hooks_are_imported_inside_functions_only():
    """An allowed upward import never runs at module import: the statistics load no report code."""
    bad, seen = [], set()
    for path in _files("analysis"):
        rel = path.relative_to(ROOT).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:  # module level only
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                bad += [f"{rel}:{node.lineno} imports {n} at module level" for n in names if n.startswith("spinestats.reports")]
        for _, module in _imports(path):
            if module.startswith("spinestats.reports.result_plots"):
                seen.add(rel)
    assert not bad, "\n".join(bad)
    assert seen == PLOT_HOOKS  # the list is exact: every hook is used, none unlisted


def test_reports_do_not_import_scipy_stats():
    bad = []
    for path in _files("reports"):
        for line, module in _imports(path):
            if module == "scipy.stats" or module.startswith("scipy.stats.") or module.startswith("statsmodels"):
                bad.append(f"{path.relative_to(ROOT).as_posix()}:{line} imports {module}")
    assert not bad, "\n".join(sorted(set(bad)))


def test_checker_sees_function_level_and_relative_imports():
    text = "def f():\n    from spinestats.analysis.survival import cox\n    from ..reports import tables\n    import scipy.stats\n"
    found = [m for _, m in _imports_of(text, "spinestats.data_schemas")]
    assert "spinestats.analysis.survival.cox" in found
    assert "spinestats.reports.tables" in found
    assert "scipy.stats" in found
    assert [m for _, m in _imports_of("from scipy import stats\n", "spinestats.reports")] == ["scipy", "scipy.stats"]

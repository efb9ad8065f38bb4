"""No import circle inside a layer (AST walk of every import statement, function-level ones included).

A circle (``labels`` imports ``schema``, ``schema`` imports ``labels``) works
only because one side imports inside a function; it hides which module is
the foundation and breaks as soon as someone moves the import to the top.
``data_schemas`` and ``analysis`` each form a graph without cycles.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "spinestats"


def _module_name(path: Path) -> str:
    parts = ("spinestats",) + path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _edges(text: str, module: str, is_package: bool, known: set[str]) -> set[str]:
    """The modules of ``known`` that ``text`` (the source of ``module``) imports, anywhere in the file."""
    package = module if is_package else module.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(text)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
            target = (f"{base}.{node.module}" if node.module else base) if node.level else (node.module or "")
            names = [target] + [f"{target}.{a.name}" for a in node.names]
        for name in names:
            # ``import a.b.c`` runs a, a.b and a.b.c: the deepest known module is the edge that matters
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != module:
                found.add(name)
    return found


def import_graph(layer: str) -> dict[str, set[str]]:
    """Module -> the modules of the same layer it imports."""
    files = {_module_name(p): p for p in sorted((ROOT / layer).rglob("*.py"))}
    known = set(files)
    return {m: _edges(p.read_text(encoding="utf-8"), m, p.name == "__init__.py", known) - {f"spinestats.{layer}"}
            for m, p in files.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


@pytest.mark.parametrize("layer", ["data_schemas", "analysis"])
def test_no_import_cycle_inside_the_layer(layer):
    graph = import_graph(layer)
    assert len(graph) > 10  # the walk found the layer's modules
    assert cycles(graph) == []


def test_data_schemas_labels_builds_on_schema_and_not_the_reverse():
    graph = import_graph("data_schemas")
    assert "spinestats.data_schemas.schema" in graph["spinestats.data_schemas.labels"]
    assert "spinestats.data_schemas.labels" not in graph["spinestats.data_schemas.schema"]


def test_cycle_finder_sees_function_level_and_relative_imports():
    known = {"spinestats.x", "spinestats.x.a", "spinestats.x.b"}
    a = _edges("def f():\n    from .b import thing\n", "spinestats.x.a", False, known)
    b = _edges("import spinestats.x.a.inner\n", "spinestats.x.b", False, known)
    assert a == {"spinestats.x.b"} and b == {"spinestats.x.a"}
    assert cycles({"spinestats.x.a": a, "spinestats.x.b": b}) == [["spinestats.x.a", "spinestats.x.b"]]
    assert cycles({"p": {"q"}, "q": {"r"}, "r": set()}) == []

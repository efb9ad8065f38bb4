"""The one YAML loader for user files (plans, mappings) and the bundled schemas.

:func:`load_yaml` is ``yaml.safe_load`` (no Python objects, ever) with bounds
checked *before* the document is built, so that a hostile file cannot
exhaust memory or time:

* at most :data:`MAX_BYTES` of text;
* anchors and aliases may repeat at most :data:`MAX_ALIAS_NODES` nodes in
  all (the "billion laughs" document, nine levels of ten aliases each,
  would expand to a thousand million nodes and is refused at once);
* no alias may refer to a node that contains it (a recursive document);
* nesting at most :data:`MAX_DEPTH` levels deep.

Each refusal is a :class:`~spinestats.errors.UsageError` naming the file
and the bound, as is text that is not YAML or not UTF-8.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from spinestats.errors import UsageError

#: largest YAML file read (plans and mappings are a few kilobytes)
MAX_BYTES = 5 * 1024 * 1024
#: how many nodes aliases may add in all when the document is expanded
MAX_ALIAS_NODES = 10_000
#: deepest nesting of mappings and lists
MAX_DEPTH = 64

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _expanded_size(root: yaml.Node, where: str) -> int:
    """Number of nodes of the document with every alias expanded (iterative, memoised)."""
    size: dict[int, int] = {}
    open_: set[int] = set()
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, done = stack.pop()
        key = id(node)
        if done:
            open_.discard(key)
            size[key] = 1 + sum(size[id(c)] for c in _children(node))
            continue
        if key in size:
            continue
        if key in open_:
            raise UsageError(f"{where}: an alias refers to a node that contains it (a recursive YAML "
                             "document); write the values out instead.")
        if depth > MAX_DEPTH:
            raise UsageError(f"{where}: nested more than {MAX_DEPTH} levels deep; a plan or mapping needs "
                             "only a few levels.")
        open_.add(key)
        stack.append((node, depth, True))
        stack.extend((c, depth + 1, False) for c in _children(node) if id(c) not in size)
    return size[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def _distinct(root: yaml.Node) -> int:
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.extend(_children(node))
    return len(seen)


def load_yaml(text: str, where: str) -> Any:
    """Parse ``text`` (the content of ``where``, named in messages) as safe, bounded YAML.

    Raises
    ------
    UsageError
        text larger than :data:`MAX_BYTES`, not YAML, more than one
        document, aliases expanding beyond :data:`MAX_ALIAS_NODES` nodes, a
        recursive alias, nesting deeper than :data:`MAX_DEPTH`.
    """
    if len(text) > MAX_BYTES:
        raise UsageError(f"{where}: {len(text):,} characters; a YAML plan or mapping is read up to "
                         f"{MAX_BYTES // (1024 * 1024)} MB.")
    loader = _Loader(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.YAMLError as exc:
            raise UsageError(f"{where}: not valid YAML ({exc}).") from None
        if node is None:
            return None
        total = _expanded_size(node, where)
        extra = total - _distinct(node)
        if extra > MAX_ALIAS_NODES:
            raise UsageError(
                f"{where}: its aliases (*name) would repeat {extra:,} YAML nodes; at most "
                f"{MAX_ALIAS_NODES:,} are allowed (a 'billion laughs' document?). Write the values out "
                "instead of repeating anchors.")
        try:
            return loader.construct_document(node)
        except yaml.YAMLError as exc:
            raise UsageError(f"{where}: not valid YAML ({exc}).") from None
    finally:
        loader.dispose()


def read_yaml_file(path: str | Path, what: str = "YAML file") -> tuple[Any, bytes]:
    """``(document, raw bytes)`` of a UTF-8 (optionally with BOM) YAML file, bounded as :func:`load_yaml`."""
    p = Path(path)
    if not p.is_file():
        raise UsageError(f"{what} {p} does not exist.")
    size = p.stat().st_size
    if size > MAX_BYTES:
        raise UsageError(f"{what} {p.name}: {size:,} bytes; a YAML plan or mapping is read up to "
                         f"{MAX_BYTES // (1024 * 1024)} MB.")
    data = p.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{what} {p.name}: not UTF-8 text (byte {exc.start}); save it as UTF-8.") from None
    return load_yaml(text, f"{what} {p.name}"), data

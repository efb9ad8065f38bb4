"""Which optional numerical packages actually ran in this process.

The methods paragraph names a package only if one of its functions computed
something in the run (a false "analyses were run with statsmodels" is a false
sentence in a manuscript).  A wrapper calls :func:`note_used` right where it
calls the package; :func:`recording` collects the names noted inside a block
(for example one analysis job in a worker process) so that they can be sent
back to the process that writes the methods paragraph.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

_USED: set[str] = set()
_OPEN: list[set[str]] = []


def note_used(distribution: str) -> None:
    """Record that ``distribution`` (its PyPI name, e.g. ``"statsmodels"``) computed something."""
    _USED.add(distribution)
    for block in _OPEN:
        block.add(distribution)


def used_packages() -> frozenset[str]:
    """Every distribution noted in this process so far."""
    return frozenset(_USED)


@contextlib.contextmanager
def recording() -> Iterator[set[str]]:
    """Collect the distributions noted inside the ``with`` block into the yielded set."""
    block: set[str] = set()
    _OPEN.append(block)
    try:
        yield block
    finally:  # by identity: two open blocks may hold equal sets
        del _OPEN[next(i for i, b in enumerate(_OPEN) if b is block)]

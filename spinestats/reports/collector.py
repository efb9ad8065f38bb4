"""The cyclic garbage collector's thresholds for spinestats' own processes.

A command (and a plan's pool worker) is a short process that builds hundreds of
thousands of objects (pandas, matplotlib artists) and keeps most of them until
it ends, so Python's default first threshold (700 allocations) makes the
collector walk them again and again: about a tenth of the CPU of
``spinestats demo``.  Reference counting still frees everything at once, and
cycles are still collected, later.  The Python API (a notebook) keeps the
interpreter's own thresholds: only ``spinestats.reports.cli.main.main`` (which
gives the caller's back when it returns) and the pool workers set these.
"""

from __future__ import annotations

#: (generation 0, 1, 2) thresholds, as :func:`gc.set_threshold` takes them
GC_THRESHOLDS = (100_000, 50, 100)

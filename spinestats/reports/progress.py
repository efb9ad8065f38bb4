"""Progress display for long runs: a bar on a terminal, quiet in logs and CI.

:class:`Reporter` shows a `rich` progress bar on standard error only when
standard error is a terminal, the ``CI`` environment variable is unset and
``--quiet`` was not given.  ``--verbose`` adds one line per step (on a
terminal or not), so a log of a long run shows what ran and how long it
took.  Nothing here touches standard output, which stays free for results.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")


def interactive(stream=None) -> bool:
    """True when ``stream`` (standard error by default) is a terminal outside CI."""
    stream = sys.stderr if stream is None else stream
    if os.environ.get("CI") or os.environ.get("SPINESTATS_NO_PROGRESS"):
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


class Reporter:
    """Progress bars and step messages for one command.

    Parameters
    ----------
    quiet : never show a bar or a message (errors are still raised).
    verbose : print one line per step, with its duration.
    stream : where to write (standard error by default).
    """

    def __init__(self, quiet: bool = False, verbose: bool = False, stream=None) -> None:
        self.stream = sys.stderr if stream is None else stream
        self.quiet = bool(quiet)
        self.verbose = bool(verbose) and not self.quiet
        self.show_bar = not self.quiet and interactive(self.stream)
        self._progress = None
        self._task = None

    def log(self, message: str) -> None:
        """A line for ``--verbose`` runs."""
        if self.verbose:
            print(message, file=self.stream, flush=True)

    @contextmanager
    def steps(self, total: int, description: str = "spinestats") -> Iterator["Reporter"]:
        """A bar of ``total`` steps; call :meth:`advance` after each one."""
        if self.show_bar:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            console = Console(file=self.stream)
            with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                          TimeElapsedColumn(), console=console, transient=False) as progress:
                self._progress = progress
                self._task = progress.add_task(description, total=total)
                try:
                    yield self
                finally:
                    self._progress = self._task = None
        else:
            yield self

    def advance(self, description: str | None = None) -> None:
        """Mark one step done (and optionally rename the bar)."""
        if self._progress is not None:
            self._progress.update(self._task, advance=1, **({"description": description} if description else {}))

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Time one step; logs start and duration when verbose, advances the bar."""
        self.log(f"- {name} ...")
        start, cpu = time.perf_counter(), time.process_time()
        if self._progress is not None:
            self._progress.update(self._task, description=name)
        yield
        self.done(name, time.perf_counter() - start, time.process_time() - cpu, "in this process")
        self.advance()

    def done(self, name: str, seconds: float, cpu: float, note: str) -> None:
        """Log (when verbose) that step ``name`` took ``seconds`` of wall time and ``cpu`` of CPU time;
        ``note`` follows the CPU time."""
        self.log(f"  {name} done in {seconds:.1f} s (CPU {cpu:.1f} s {note})")

    def track(self, items: Iterable[T], total: int, description: str) -> Iterator[T]:
        """Iterate ``items`` with a nested bar (bootstrap replicates, imputations)."""
        if self._progress is None:
            yield from items
            return
        sub = self._progress.add_task(f"  {description}", total=total)
        for item in items:
            yield item
            self._progress.update(sub, advance=1)
        self._progress.remove_task(sub)

"""Sharing a run's work between this process and a pool of worker processes.

With ``--workers N`` a plan runs on ``N`` processes: this one and ``N - 1``
pool workers (:func:`~spinestats.reports.figure_files.figure_executor`).
This process does not wait idle while the pool works: it takes items from
the same queue and runs them itself.  A thread per pool worker sends that
worker the next item as soon as it has finished the previous one, so the
pool never waits for this process either.

Items are taken largest first (by the ``priority`` they were added with);
running an item may add further items (an analysis adds its figures).  The
results do not depend on which process ran an item, only on the item, so
the output is the same for any number of workers.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable
from typing import Any


class WorkQueue:
    """Items to run here and in a pool; see the module docstring.

    Parameters
    ----------
    run_here : ``run_here(item) -> result``, runs an item in this process.
    submit : ``submit(item) -> Future``, sends an item to the pool (None: no pool).
    slots : the number of pool workers (items in flight in the pool at once).
    done : ``done(item, result)``, called (one call at a time) when an item has
        finished, in whichever thread saw it finish; it may call :meth:`add`.
    """

    def __init__(self, run_here: Callable[[Any], Any], submit: Callable[[Any], Any] | None, slots: int,
                 done: Callable[[Any, Any], None]) -> None:
        self._run_here = run_here
        self._submit = submit
        self._slots = max(0, int(slots)) if submit is not None else 0
        self._done = done
        self._heap: list[tuple[Any, int, Any]] = []
        self._order = itertools.count()
        self._running = 0
        self._failure: BaseException | None = None
        self._stopped = False
        self._cond = threading.Condition()
        self._futures: set[Any] = set()

    @property
    def lock(self) -> threading.Condition:
        """Held while ``done`` runs: hold it to read or change what ``done`` changes."""
        return self._cond

    def add(self, item: Any, priority: Any) -> None:
        """Queue ``item``; a larger ``priority`` runs earlier (ties: in the order added)."""
        with self._cond:
            heapq.heappush(self._heap, (_Descending(priority), next(self._order), item))
            self._cond.notify_all()

    def _take(self) -> Any:
        """The next item, or None when everything has run (or a run failed)."""
        with self._cond:
            while not self._heap and self._running and not self._stopped:
                self._cond.wait()
            if self._stopped or not self._heap:
                self._cond.notify_all()
                return None
            self._running += 1
            return heapq.heappop(self._heap)[2]

    def _finish(self, item: Any, result: Any) -> None:
        with self._cond:
            try:
                if not self._stopped:
                    self._done(item, result)
            finally:
                self._running -= 1
                self._cond.notify_all()

    def _fail(self, exc: BaseException) -> None:
        with self._cond:
            if self._failure is None:
                self._failure = exc
            self._stopped = True
            self._running -= 1
            for future in self._futures:
                future.cancel()
            self._cond.notify_all()

    def _feed_pool(self) -> None:
        """One pool worker's feeder: send the next item, wait for it, repeat."""
        while True:
            item = self._take()
            if item is None:
                return
            try:
                future = self._submit(item)  # type: ignore[misc]
                with self._cond:
                    self._futures.add(future)
                result = future.result()
            except BaseException as exc:  # noqa: BLE001 - handed to the calling thread, raised there
                self._fail(exc)
                return
            with self._cond:
                self._futures.discard(future)
            try:
                self._finish(item, result)
            except BaseException as exc:  # noqa: BLE001
                self._fail(exc)
                return

    def run(self) -> None:
        """Run every item (and every item added meanwhile); raise the first failure."""
        feeders = [threading.Thread(target=self._feed_pool, name=f"spinestats-feeder-{i}", daemon=True)
                   for i in range(self._slots)]
        for t in feeders:
            t.start()
        try:
            while True:
                item = self._take()
                if item is None:
                    break
                try:
                    result = self._run_here(item)
                except BaseException as exc:
                    self._fail(exc)
                    raise
                self._finish(item, result)
        except BaseException:
            self.stop()
            raise
        for t in feeders:
            t.join()
        if self._failure is not None:
            raise self._failure

    def stop(self) -> None:
        """Start nothing more and cancel what the pool has not started (Ctrl-C, a failure)."""
        with self._cond:
            self._stopped = True
            for future in self._futures:
                future.cancel()
            self._cond.notify_all()


class _Descending:
    """Orders priorities largest first in a min-heap."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __lt__(self, other: _Descending) -> bool:
        return bool(self.value > other.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Descending) and self.value == other.value

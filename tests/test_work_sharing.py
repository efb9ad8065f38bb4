"""The work queue shared by the main process and the pool (reports/work_sharing.py)."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from spinestats.reports.work_sharing import WorkQueue


def test_every_item_runs_once_here_and_in_the_pool_largest_first_and_added_items_too():
    here, pooled, seen = [], [], []
    lock = threading.Lock()
    started, working_here = threading.Event(), threading.Event()

    def run_here(item):
        here.append(item)
        working_here.set()
        started.wait(5)  # the pool takes an item while this process runs its own
        return item * 10

    def pooled_run(item):
        started.set()
        working_here.wait(5)
        with lock:
            pooled.append(item)
        return item * 10

    with ThreadPoolExecutor(1) as pool:
        def done(item, result):
            seen.append((item, result))
            if item == 5:  # running an item may add more
                queue.add(50, 0)

        queue = WorkQueue(run_here, lambda item: pool.submit(pooled_run, item), 1, done)
        for item, cost in [(1, 1), (5, 5), (3, 3)]:
            queue.add(item, cost)
        queue.run()
    assert sorted(i for i, _ in seen) == [1, 3, 5, 50] and all(r == 10 * i for i, r in seen)
    assert here and pooled and sorted(here + pooled) == [1, 3, 5, 50]
    assert {here[0], pooled[0]} == {5, 3}  # the two largest start first, one here and one in the pool


def test_without_a_pool_everything_runs_here_in_priority_order():
    order = []
    queue = WorkQueue(order.append, None, 3, lambda item, result: None)
    for item, cost in [("a", 1), ("b", 3), ("c", 2), ("d", 3)]:
        queue.add(item, cost)
    queue.run()
    assert order == ["b", "d", "c", "a"]


def test_a_failure_in_the_pool_is_raised_here_and_stops_the_rest():
    ran = []

    def boom(item):
        raise ValueError(f"item {item} failed")

    def run_here(item):
        ran.append(item)
        threading.Event().wait(0.05)

    with ThreadPoolExecutor(1) as pool:
        queue = WorkQueue(run_here, lambda item: pool.submit(boom, item), 1, lambda item, result: None)
        for i in range(20):
            queue.add(i, 20 - i)
        with pytest.raises(ValueError, match="failed"):
            queue.run()
    assert len(ran) < 19  # the queue stopped instead of running everything here


def test_an_interrupt_here_cancels_what_the_pool_has_not_started():
    def run_here(item):
        raise KeyboardInterrupt

    with ThreadPoolExecutor(1) as pool:
        block = threading.Event()
        queue = WorkQueue(run_here, lambda item: pool.submit(block.wait, 5), 1, lambda item, result: None)
        for i in range(5):
            queue.add(i, -i)
        with pytest.raises(KeyboardInterrupt):
            queue.run()
        block.set()


def test_pool_workers_really_run_in_another_process(tmp_path):
    """With the plan runner's pool (loky), items run both in this process and in a worker."""
    from spinestats.reports.figure_files import figure_executor

    pids = []
    pool = figure_executor(2)
    queue = WorkQueue(lambda item: os.getpid(), lambda item: pool.submit(os.getpid), 1,
                      lambda item, result: pids.append(result))
    for i in range(40):
        queue.add(i, 0)
    queue.run()
    assert len(pids) == 40 and os.getpid() in pids and len(set(pids)) == 2

"""The command line runs with the larger garbage-collector thresholds and gives the caller's back."""

import gc

import pytest

from spinestats.reports.cli import main as cli_main
from spinestats.reports.collector import GC_THRESHOLDS


def test_a_command_runs_with_the_cli_thresholds_and_restores_the_callers(monkeypatch):
    seen = []

    def fake(**kwargs):
        seen.append(gc.get_threshold())
        return 0

    monkeypatch.setattr(cli_main.cli, "main", fake)
    before = gc.get_threshold()
    assert before != GC_THRESHOLDS
    with pytest.raises(SystemExit) as exit_info:
        cli_main.main(["--help"])
    assert exit_info.value.code == 0
    assert seen == [GC_THRESHOLDS]
    assert gc.get_threshold() == before


def test_the_callers_thresholds_come_back_after_an_error(monkeypatch):
    def boom(**kwargs):
        raise RuntimeError("x")

    monkeypatch.setattr(cli_main.cli, "main", boom)
    before = gc.get_threshold()
    with pytest.raises(SystemExit) as exit_info:
        cli_main.main(["dss"])
    assert exit_info.value.code == 3 and gc.get_threshold() == before


def test_a_pool_worker_starts_with_the_cli_thresholds():
    """Every pool worker (a plan's or a command's figure pool) starts with them
    (spinestats.reports.collector.pool_worker_setup, the executor's initializer)."""
    from spinestats.reports.figure_files import figure_executor

    pool = figure_executor(2)
    assert tuple(pool.submit(gc.get_threshold).result()) == GC_THRESHOLDS


def test_a_pool_worker_freezes_its_objects_when_it_exits():
    """pool_worker_setup registers gc.freeze at exit: the teardown's cycle collections then skip
    the worker's objects (the command waits for its workers to end)."""
    import subprocess
    import sys

    code = ("import atexit, gc\n"
            "from spinestats.reports.collector import pool_worker_setup\n"
            "pool_worker_setup()\n"
            "objects = [[i] for i in range(1000)]\n"
            "assert gc.get_freeze_count() == 0\n"
            "atexit._run_exitfuncs()\n"
            "print(gc.get_freeze_count() >= 1000, tuple(gc.get_threshold()))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.split(None, 1) == ["True", f"{GC_THRESHOLDS}\n"]


def test_a_plan_worker_freezes_what_its_imports_built():
    """warm_up (a plan's first item in a worker) freezes the imported modules' objects, so that the
    pool's once-a-second collections between tasks do not walk them again."""
    from spinestats.reports.figure_files import figure_executor
    from spinestats.reports.plan_runner import warm_up

    pool = figure_executor(2)
    pool.submit(warm_up, ["json", "fractions"]).result()
    assert pool.submit(gc.get_freeze_count).result() > 1000
    garbage = pool.submit(_cycle_collected).result()
    assert garbage is True


def _cycle_collected() -> bool:
    """Whether a reference cycle built after the freeze is still collected."""
    import weakref

    class Node:
        pass

    a, b = Node(), Node()
    a.other, b.other = b, a
    probe = weakref.ref(a)
    del a, b
    gc.collect()
    return probe() is None

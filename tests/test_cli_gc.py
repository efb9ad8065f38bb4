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


def test_a_pool_worker_warms_up_with_the_cli_thresholds():
    """warm_up (the first item a plan's pool worker runs) sets them in that worker."""
    from spinestats.reports.figure_files import figure_executor
    from spinestats.reports.plan_runner import warm_up

    pool = figure_executor(2)
    pool.submit(warm_up, ["json"]).result()
    assert tuple(pool.submit(gc.get_threshold).result()) == GC_THRESHOLDS

"""Each command-line process and each pool worker computes with one BLAS/OpenMP thread unless the
environment sizes the pools (spinestats.reports.collector): less CPU, and numbers that do not depend
on the machine's cores or on which process ran an analysis."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from spinestats.reports.collector import THREAD_VARIABLES, one_thread_per_process, thread_environment

PROBE = """
import json, os, sys
from spinestats.reports.cli.main import main
try:
    main(["--version"])
except SystemExit:
    pass
import numpy
from threadpoolctl import threadpool_info
blas = sorted({p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"})
print(json.dumps({"env": {v: os.environ.get(v) for v in %r}, "blas": blas}))
"""


def _probe(env_extra: dict[str, str]) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in THREAD_VARIABLES}
    env.update(env_extra)
    out = subprocess.run([sys.executable, "-c", PROBE % (THREAD_VARIABLES,)], env=env, capture_output=True,
                         text=True, check=True, timeout=120)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_command_line_process_computes_with_one_blas_thread():
    seen = _probe({})
    assert seen["env"] == dict.fromkeys(THREAD_VARIABLES, "1")
    assert seen["blas"] == [1]


def test_the_environment_still_decides_when_it_sizes_the_pools():
    seen = _probe({"OPENBLAS_NUM_THREADS": "2", "OMP_NUM_THREADS": "2"})
    assert seen["env"]["OPENBLAS_NUM_THREADS"] == "2" and seen["env"]["OMP_NUM_THREADS"] == "2"
    assert seen["env"]["MKL_NUM_THREADS"] == "1"
    assert seen["blas"] == [2]


def test_after_numpy_is_loaded_nothing_changes(monkeypatch):
    import numpy  # noqa: F401 - loaded, as in this test process

    for var in THREAD_VARIABLES:
        monkeypatch.delenv(var, raising=False)
    assert one_thread_per_process() is False
    assert not any(var in os.environ for var in THREAD_VARIABLES)


def test_thread_environment_keeps_what_the_user_set(monkeypatch):
    for var in THREAD_VARIABLES:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("MKL_NUM_THREADS", "4")
    assert thread_environment() == {**dict.fromkeys(THREAD_VARIABLES, "1"), "MKL_NUM_THREADS": "4"}


def test_a_pool_worker_computes_with_one_thread(monkeypatch):
    from spinestats.reports.figure_files import figure_executor

    for var in THREAD_VARIABLES:
        monkeypatch.delenv(var, raising=False)
    pool = figure_executor(2)
    assert pool.submit(os.getenv, "OPENBLAS_NUM_THREADS").result() == "1"
    assert pool.submit(os.getenv, "OMP_NUM_THREADS").result() == "1"


@pytest.mark.parametrize("value, threads", [(None, 1), ("1", 1), ("4", 4), (" 2 ", 2), ("0", 1), ("-3", 1),
                                            ("four", 1), ("", 1)])
def test_the_bootstrap_workers_blas_threads_follow_the_one_rule(monkeypatch, value, threads):
    """analysis.core.threads is the one home of the rule: the bootstrap workers' BLAS threads are the
    environment's OPENBLAS_NUM_THREADS when it is a positive whole number, else one; the command line's
    and pool workers' environment (reports.collector) is the same rule."""
    from spinestats.analysis.core import threads as rule
    from spinestats.reports import collector

    if value is None:
        monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    else:
        monkeypatch.setenv("OPENBLAS_NUM_THREADS", value)
    assert rule.blas_threads() == threads
    assert collector.thread_environment is rule.thread_environment
    assert collector.THREAD_VARIABLES is rule.THREAD_VARIABLES

"""The survival job computes with one BLAS thread (reports/survival_job.one_blas_thread)."""

import sys

import numpy as np
import pandas as pd
import pytest

from spinestats.reports import survival_job

threadpoolctl = pytest.importorskip("threadpoolctl")  # a test dependency; the fallback is tested below


def _blas_threads() -> list[int]:
    return [lib["num_threads"] for lib in threadpoolctl.threadpool_info() if lib["user_api"] == "blas"]


def test_one_thread_inside_and_restored_after():
    before = _blas_threads()
    with survival_job.one_blas_thread() as limited:
        assert limited is True
        assert _blas_threads() == [1] * len(before)
    assert _blas_threads() == before


def test_restored_after_an_error():
    before = _blas_threads()
    with pytest.raises(ZeroDivisionError), survival_job.one_blas_thread():
        1 / 0
    assert _blas_threads() == before


def test_without_threadpoolctl_the_block_runs_as_configured(monkeypatch):
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)  # import fails as when it is not installed
    before = _blas_threads()
    with survival_job.one_blas_thread() as limited:
        assert limited is False
        assert _blas_threads() == before
        x = np.arange(4.0)
        assert float(x @ x) == 14.0


def test_the_fits_run_with_one_thread(monkeypatch):
    seen = []
    compute = survival_job.column_study

    def spy(*args, **kwargs):
        seen.append(_blas_threads())
        return compute(*args, **kwargs)

    monkeypatch.setattr(survival_job, "column_study", spy)
    d = pd.DataFrame({"t": [2.0, 3.0, 5.0, 8.0, 9.0, 11.0], "e": [1, 0, 1, 1, 0, 1],
                      "x": [0.5, 1.0, 0.2, 0.9, 0.4, 0.1]})
    res = survival_job.run(d, time="t", event="e", covariates="x", times=[4]).results
    assert seen and all(n == 1 for threads in seen for n in threads)
    assert res["rates"]["all"][0]["survival"] == pytest.approx(5 / 6, abs=1e-12)
    assert res["cox"]["n"] == 6

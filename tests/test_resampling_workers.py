"""Resampling gives identical numbers whatever the workers, batching or backend.

The seeded streams come from ``SeedSequence(seed).spawn(n)`` (one child per
replicate), so a bootstrap run in-process, with two joblib ``loky`` workers,
or on a ``dask.distributed.LocalCluster`` must give bit-identical replicates.
These tests check that with a bootstrap-like computation (a stratified
bootstrap of the AUC of an integer 0-6 score drawn through multinomial counts
per score level), and check the batching helpers themselves.
"""

from __future__ import annotations

import numpy as np
import pytest

from spinestats.analysis.core.resampling import (
    chunk_bounds,
    default_batch_size,
    map_replicates,
    parallel_map,
    replicate_seeds,
)


def _auc_from_counts(pos: np.ndarray, neg: np.ndarray) -> float:
    """Mann-Whitney AUC from counts per score level (ties count 1/2)."""
    neg_below = np.concatenate(([0], np.cumsum(neg)[:-1]))
    wins = np.sum(pos * neg_below) + 0.5 * np.sum(pos * neg)
    return float(wins / (pos.sum() * neg.sum()))


def bootstrap_auc_batch(seeds, pos_counts: np.ndarray, neg_counts: np.ndarray) -> list[float]:
    """One stratified bootstrap AUC per seed: resample counts per level within each class."""
    n_pos, n_neg = int(pos_counts.sum()), int(neg_counts.sum())
    out = []
    for s in seeds:
        rng = np.random.default_rng(s)
        p = rng.multinomial(n_pos, pos_counts / n_pos)
        q = rng.multinomial(n_neg, neg_counts / n_neg)
        out.append(_auc_from_counts(p, q))
    return out


def _seeded_sum(item) -> float:
    seed_seq, scale = item
    return float(np.random.default_rng(seed_seq).normal(size=50).sum() * scale)


@pytest.fixture(scope="module")
def score_counts() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(20261127)
    pos = np.bincount(rng.binomial(6, 0.7, size=300), minlength=7)
    neg = np.bincount(rng.binomial(6, 0.3, size=500), minlength=7)
    return pos, neg


@pytest.fixture(scope="module")
def reference(score_counts) -> list[float]:
    pos, neg = score_counts
    return map_replicates(bootstrap_auc_batch, 42, 200, args=(pos, neg), workers=1)


@pytest.fixture(scope="module")
def local_cluster():
    from dask import distributed  # the test extra installs it

    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        yield cluster


def test_reference_is_a_real_bootstrap(reference, score_counts):
    pos, neg = score_counts
    observed = _auc_from_counts(pos, neg)
    values = np.asarray(reference)
    assert values.shape == (200,)
    assert len(np.unique(values)) > 100  # replicates differ from each other
    assert abs(values.mean() - observed) < 0.01  # and centre on the estimate
    # replicate i uses child stream i of SeedSequence(42)
    assert values[7] == bootstrap_auc_batch([replicate_seeds(42, 200)[7]], pos, neg)[0]


@pytest.mark.parametrize("batch_size", [1, 7, 64, 200, 1000])
def test_batching_never_changes_results(reference, score_counts, batch_size):
    pos, neg = score_counts
    got = map_replicates(bootstrap_auc_batch, 42, 200, args=(pos, neg), batch_size=batch_size)
    assert got == reference


def test_joblib_two_workers_identical(reference, score_counts):
    pos, neg = score_counts
    got = map_replicates(bootstrap_auc_batch, 42, 200, args=(pos, neg), workers=2)
    assert got == reference
    got_kw = map_replicates(
        bootstrap_auc_batch, 42, 200, kwargs={"pos_counts": pos, "neg_counts": neg}, workers=2, batch_size=9
    )
    assert got_kw == reference


def test_dask_local_cluster_identical(reference, score_counts, local_cluster):
    pos, neg = score_counts
    address = local_cluster.scheduler_address
    got = map_replicates(bootstrap_auc_batch, 42, 200, args=(pos, neg), scheduler=address)
    assert got == reference
    got_small = map_replicates(bootstrap_auc_batch, 42, 200, args=(pos, neg), scheduler=address, batch_size=3)
    assert got_small == reference


def test_parallel_map_same_on_every_backend(local_cluster):
    items = [(s, 1.5) for s in replicate_seeds(7, 12)]
    serial = parallel_map(_seeded_sum, items)
    assert parallel_map(_seeded_sum, items, workers=2) == serial
    assert parallel_map(_seeded_sum, items, scheduler=local_cluster.scheduler_address) == serial
    # a different seed gives different numbers (the test can fail)
    other = parallel_map(_seeded_sum, [(s, 1.5) for s in replicate_seeds(8, 12)])
    assert other != serial


def test_different_seed_changes_results(reference, score_counts):
    pos, neg = score_counts
    assert map_replicates(bootstrap_auc_batch, 43, 200, args=(pos, neg)) != reference


def test_default_batch_size_and_bounds():
    assert default_batch_size(2000, 1) == 2000
    assert default_batch_size(2000, 2) == 250
    assert default_batch_size(2000, 1, scheduler="tcp://x:1") == 125
    assert default_batch_size(3, 8) == 1
    assert chunk_bounds(10, 4) == [(0, 4), (4, 8), (8, 10)]
    assert chunk_bounds(0, 4) == []


def test_zero_replicates_and_bad_arguments(score_counts):
    pos, neg = score_counts
    assert map_replicates(bootstrap_auc_batch, 1, 0, args=(pos, neg)) == []
    with pytest.raises(ValueError, match="batch_size"):
        map_replicates(bootstrap_auc_batch, 1, 5, args=(pos, neg), batch_size=-1)
    with pytest.raises(ValueError, match="replicates"):
        replicate_seeds(1, -1)


def _wrong_length(seeds):
    return [0.0]


def test_replicate_function_must_return_one_result_per_seed():
    with pytest.raises(RuntimeError, match="one per seed"):
        map_replicates(_wrong_length, 1, 5)


def test_unreachable_scheduler_is_a_usage_error(monkeypatch):
    from spinestats.analysis.core import resampling
    from spinestats.errors import UsageError

    monkeypatch.setattr(resampling, "CONNECT_TIMEOUT", "1s")

    with pytest.raises(UsageError, match="could not connect"):
        parallel_map(_seeded_sum, [(replicate_seeds(1, 1)[0], 1.0)] * 2, scheduler="tcp://127.0.0.1:9")


def _blas_threads(_item):
    import os

    from threadpoolctl import threadpool_info

    return os.environ.get("OPENBLAS_NUM_THREADS"), sorted({p["num_threads"] for p in threadpool_info()
                                                           if p["user_api"] == "blas"})


def test_replicate_workers_compute_with_one_blas_thread_not_cores_per_worker(monkeypatch):
    """joblib gives each loky worker cores // workers BLAS threads; the replicates' workers get this
    process's one thread (or the environment's), whatever the machine's cores."""
    from joblib import _parallel_backends

    from spinestats.analysis.core.resampling import parallel_map
    from spinestats.reports.collector import THREAD_VARIABLES

    for var in THREAD_VARIABLES:  # as in a Python session (a command line sets them)
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(_parallel_backends, "cpu_count", lambda *a, **k: 64)  # a 64-core machine: 32 each
    assert parallel_map(_blas_threads, [0, 1, 2], workers=2) == [("1", [1])] * 3
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")
    assert {env for env, _ in parallel_map(_blas_threads, [0, 1, 2], workers=2)} == {"2"}

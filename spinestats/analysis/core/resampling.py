"""Seeded, worker-independent random streams and parallel maps.

Every resampling method (bootstrap, multiple imputation, simulation) asks
this module for its random streams: ``numpy.random.SeedSequence(seed).spawn``
gives one independent child stream per replicate, so replicate ``i`` draws
the same numbers whether the work runs on one core, ``N`` joblib workers or a
Dask cluster.  Results are therefore identical for any ``workers`` or
``scheduler``.

Two levels are offered:

* :func:`parallel_map` maps a function over work items on the chosen backend
  (in-process, joblib ``loky`` processes, or an existing ``dask.distributed``
  scheduler) and returns the results in item order.
* :func:`map_replicates` runs ``n`` seeded replicates in *batches*: each task
  receives a contiguous block of per-replicate seed sequences, so the
  scheduling overhead is paid once per batch (not once per replicate) while
  replicate ``i`` still uses child stream ``i``.  The batch size therefore
  changes the speed, never the numbers.

References
----------
O'Neill, M. E. (2014). PCG: a family of simple fast space-efficient
statistically good algorithms for random number generation.
NumPy ``SeedSequence`` documentation, "Parallel random number generation".
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")

#: Target number of batches per worker in :func:`map_replicates`: a few per
#: worker balances the load without paying per-replicate task overhead.
BATCHES_PER_WORKER = 4

#: How long to keep trying to reach a ``--scheduler`` before giving up.
CONNECT_TIMEOUT = "20s"


def replicate_seeds(seed: int, n: int) -> list[np.random.SeedSequence]:
    """``n`` independent child seed sequences of ``SeedSequence(seed)``."""
    if n < 0:
        raise ValueError(f"number of replicates must be >= 0, got {n}")
    return np.random.SeedSequence(int(seed)).spawn(int(n))


def chunk_bounds(n: int, chunk_size: int) -> list[tuple[int, int]]:
    """Half-open ``(start, stop)`` ranges covering ``range(n)`` in chunks."""
    return [(s, min(s + chunk_size, n)) for s in range(0, n, max(1, chunk_size))]


def _dask_client(scheduler: str):
    """A ``dask.distributed.Client`` connected to ``scheduler`` (clear error if absent)."""
    try:
        from dask.distributed import Client
    except ImportError as exc:  # pragma: no cover - depends on the install
        from spinestats.errors import UsageError

        raise UsageError(
            "--scheduler needs dask.distributed; install it with "
            "`pip install 'spinestats[dask]'`."
        ) from exc
    try:
        return Client(scheduler, set_as_default=False, timeout=CONNECT_TIMEOUT)
    except OSError as exc:
        from spinestats.errors import UsageError

        raise UsageError(
            f"--scheduler {scheduler}: could not connect to a Dask scheduler there "
            f"({exc}). Expected an address such as tcp://host:8786 of a running "
            "`dask scheduler`."
        ) from exc


def parallel_map(
    func: Callable[..., T],
    items: Sequence[Any],
    *,
    workers: int = 1,
    scheduler: str | None = None,
) -> list[T]:
    """``[func(item) for item in items]``, run locally, with joblib or on Dask.

    Parameters
    ----------
    func : a picklable function of one item.
    items : the work items (for example ``(seed_sequence, chunk)`` pairs).
    workers : local processes (joblib ``loky``); 1 runs in this process.
    scheduler : address of an existing ``dask.distributed`` scheduler
        (``tcp://host:8786``); when given, ``workers`` is ignored.

    The order of the returned list is the order of ``items`` whatever the
    backend, so a caller that seeds each item gets identical results.
    """
    if scheduler:
        with _dask_client(scheduler) as client:
            futures = client.map(func, list(items), pure=False)
            return client.gather(futures)
    if workers is None or workers <= 1 or len(items) <= 1:
        return [func(item) for item in items]
    from joblib import Parallel, delayed, parallel_config

    from spinestats.analysis.core.threads import blas_threads

    # each worker computes with a computing process's BLAS threads (one, unless the environment sets
    # OPENBLAS_NUM_THREADS), not joblib's default of cores / workers: a threaded product's partial sums
    # would make the last digits depend on the machine's cores and the number of workers
    with parallel_config(backend="loky", inner_max_num_threads=blas_threads()):
        return Parallel(n_jobs=int(workers))(delayed(func)(item) for item in items)


def default_batch_size(n: int, workers: int = 1, scheduler: str | None = None) -> int:
    """Replicates per task: one batch in-process, else about 4 batches per worker.

    With a Dask ``scheduler`` the worker count is not known in advance; 16
    batches are used.  The batch size never changes results, only overhead.
    """
    if n <= 0:
        return 1
    if scheduler:
        n_batches = 16
    elif workers is None or workers <= 1:
        return n
    else:
        n_batches = BATCHES_PER_WORKER * int(workers)
    return max(1, math.ceil(n / n_batches))


def _call_batch(
    func: Callable[..., Sequence[Any]], seeds: list[np.random.SeedSequence], *args: Any, **kwargs: Any
) -> list[Any]:
    """``func(seeds, *args, **kwargs)`` as a list, checked to hold one result per seed."""
    out = list(func(seeds, *args, **kwargs))
    if len(out) != len(seeds):
        raise RuntimeError(
            f"replicate function {getattr(func, '__name__', func)!r} returned "
            f"{len(out)} results for a batch of {len(seeds)} seeds; expected one per seed"
        )
    return out


def _run_batch(task: tuple[Callable[..., Sequence[Any]], list[np.random.SeedSequence], tuple, dict]) -> list[Any]:
    func, seeds, args, kwargs = task
    return _call_batch(func, seeds, *args, **kwargs)


def map_replicates(
    func: Callable[..., Sequence[T]],
    seed: int,
    n: int,
    *,
    args: tuple = (),
    kwargs: dict[str, Any] | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    batch_size: int | None = None,
) -> list[T]:
    """Run ``n`` seeded replicates in batches; identical for any backend or batching.

    Replicate ``i`` is computed from child ``i`` of
    ``SeedSequence(seed).spawn(n)`` (see :func:`replicate_seeds`).  The
    replicates are cut into contiguous batches and
    ``func(seeds_of_batch, *args, **kwargs)`` is called once per batch; it
    must return one result per seed, in order, and must use only
    ``numpy.random.default_rng(seeds_of_batch[j])`` for replicate ``j``'s
    randomness.  The concatenated list of results (length ``n``) is returned
    in replicate order, so it does not depend on ``workers``, ``scheduler``
    or ``batch_size``.

    Parameters
    ----------
    func : picklable ``func(seeds: list[SeedSequence], *args, **kwargs) -> sequence``.
    seed : the user's seed (``--seed``).
    n : number of replicates (bootstrap resamples, imputations, simulated trials).
    args, kwargs : extra arguments, the same for every batch (the data arrays).
        With joblib, large NumPy arrays are memory-mapped rather than copied;
        with Dask they are scattered to the workers once.
    workers : local processes (joblib ``loky``); 1 runs in this process.
    scheduler : address of an existing ``dask.distributed`` scheduler;
        when given, ``workers`` is ignored.
    batch_size : replicates per task (default :func:`default_batch_size`).

    Returns
    -------
    list
        ``n`` per-replicate results, replicate order.
    """
    kwargs = dict(kwargs or {})
    seeds = replicate_seeds(seed, n)
    if n == 0:
        return []
    size = int(batch_size) if batch_size is not None else default_batch_size(n, workers, scheduler)
    if size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    bounds = chunk_bounds(n, size)
    if scheduler:
        with _dask_client(scheduler) as client:
            # Send the (possibly large) data once, not once per batch.
            sent_args = client.scatter(list(args), broadcast=True) if args else []
            sent_kwargs = client.scatter(kwargs, broadcast=True) if kwargs else {}
            futures = [
                client.submit(_call_batch, func, seeds[a:b], *sent_args, pure=False, **sent_kwargs)
                for a, b in bounds
            ]
            batches = client.gather(futures)
    else:
        tasks = [(func, seeds[a:b], args, kwargs) for a, b in bounds]
        batches = parallel_map(_run_batch, tasks, workers=workers)
    return [r for batch in batches for r in batch]


"""Seeded, worker-independent random streams and parallel maps.

Every resampling method (bootstrap, multiple imputation, simulation) asks
this module for its random streams: ``numpy.random.SeedSequence(seed).spawn``
gives one independent child stream per replicate, so replicate ``i`` draws
the same numbers whether the work runs on one core, ``N`` joblib workers or a
Dask cluster.  Results are therefore identical for any ``workers`` or
``scheduler``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")


def replicate_seeds(seed: int, n: int) -> list[np.random.SeedSequence]:
    """``n`` independent child seed sequences of ``SeedSequence(seed)``."""
    if n < 0:
        raise ValueError(f"number of replicates must be >= 0, got {n}")
    return np.random.SeedSequence(int(seed)).spawn(int(n))


def chunk_bounds(n: int, chunk_size: int) -> list[tuple[int, int]]:
    """Half-open ``(start, stop)`` ranges covering ``range(n)`` in chunks."""
    return [(s, min(s + chunk_size, n)) for s in range(0, n, max(1, chunk_size))]


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
        try:
            from dask.distributed import Client
        except ImportError as exc:  # pragma: no cover - depends on the install
            from spinestats.errors import UsageError

            raise UsageError(
                "--scheduler needs dask.distributed; install it with "
                "`pip install 'spinestats[dask]'`."
            ) from exc
        with Client(scheduler) as client:
            futures = client.map(func, list(items), pure=False)
            return client.gather(futures)
    if workers is None or workers <= 1 or len(items) <= 1:
        return [func(item) for item in items]
    from joblib import Parallel, delayed

    return Parallel(n_jobs=int(workers), backend="loky")(delayed(func)(item) for item in items)

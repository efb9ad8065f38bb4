"""How many threads the numerical libraries of a computation use: one rule for every process.

A threaded BLAS product adds its terms in one partial sum per thread, so its last digits depend
on the number of threads.  Every process that computes a result (a command line, a pool worker,
a bootstrap worker) therefore sizes the thread pools of NumPy's and SciPy's BLAS, and of the
other libraries below, as the environment sets them, else to one thread; the numbers then do
not depend on the machine's cores or the number of workers.  Nothing here imports NumPy.
"""

from __future__ import annotations

import os

#: the environment variables that size the thread pools of the numerical libraries (as joblib's loky
#: backend limits them in its workers)
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
                    "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS", "NUMBA_NUM_THREADS")


def thread_environment() -> dict[str, str]:
    """The thread variables a computing process runs with: each as the environment sets it, else 1."""
    return {var: os.environ.get(var, "1") for var in THREAD_VARIABLES}


def blas_threads() -> int:
    """The BLAS threads of a computing process (``OPENBLAS_NUM_THREADS`` of :func:`thread_environment`;
    1 when it is not a positive whole number)."""
    threads = thread_environment()["OPENBLAS_NUM_THREADS"].strip()
    return int(threads) if threads.isdigit() and int(threads) > 0 else 1

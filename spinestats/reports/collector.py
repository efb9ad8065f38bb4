"""Process settings of spinestats' own processes: the garbage collector's thresholds and one
BLAS thread.

A command (and a plan's pool worker) is a short process that builds hundreds of
thousands of objects (pandas, matplotlib artists) and keeps most of them until
it ends, so Python's default first threshold (700 allocations) makes the
collector walk them again and again: about a tenth of the CPU of
``spinestats demo``.  Reference counting still frees everything at once, and
cycles are still collected, later.  The Python API (a notebook) keeps the
interpreter's own thresholds: only ``spinestats.reports.cli.main.main`` (which
gives the caller's back when it returns) and the pool workers set these.

Each command-line process and each pool worker computes with **one thread** of
the numerical libraries (BLAS, OpenMP), unless the environment sizes them
(``OPENBLAS_NUM_THREADS`` and the others of :data:`THREAD_VARIABLES`).  The
fits multiply long, thin matrices (rows by a few dozen terms at most): a second
BLAS thread has almost nothing to do, and it spins after every call, which
doubled the CPU time of the survival fits of a 100,000-patient plan on two
cores.  One thread also keeps ``results.json`` the same on every machine and
for any ``--workers``: a threaded dot product adds its terms in one partial sum
per thread, so the last digit of a one-term model depended on how many threads
the process had.
"""

from __future__ import annotations

import os
import sys

#: (generation 0, 1, 2) thresholds, as :func:`gc.set_threshold` takes them
GC_THRESHOLDS = (100_000, 50, 100)

#: the environment variables that size the thread pools of the numerical libraries (as joblib's loky
#: backend limits them in its workers)
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
                    "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS", "NUMBA_NUM_THREADS")


def thread_environment() -> dict[str, str]:
    """The thread variables a spinestats process runs with: each as the environment sets it, else 1."""
    return {var: os.environ.get(var, "1") for var in THREAD_VARIABLES}


def one_thread_per_process() -> bool:
    """Size the numerical libraries' thread pools to one thread in this process (and the processes it
    starts), where the environment does not size them; whether it could.

    The libraries read these variables when they are loaded, so this works only before NumPy is
    imported (a command line's first step); afterwards it changes nothing and says so.
    """
    if "numpy" in sys.modules:
        return False
    os.environ.update(thread_environment())
    return True

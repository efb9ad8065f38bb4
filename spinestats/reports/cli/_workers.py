"""The number of processes ``run`` and ``demo`` use unless ``--workers`` says otherwise."""

from __future__ import annotations

import os

#: Two where the machine has two cores or more: a plan's analyses then run in this process and one
#: worker, longest first, and their figures and tables are shared out between the two
#: (``reports/plan_runner.py``).  Results and files are the same for any number of workers; the
#: 100,000-patient plan of ``benchmarks/`` took 10.9 s with one and about 7 s with two.
DEFAULT_WORKERS = min(2, os.cpu_count() or 1)

"""The end-to-end workload: a 100,000-patient multicentre export and its plan.

``write(folder, n, seed)`` writes ``dss.csv`` (DSS features, 10 centres) and
``cirt.csv`` (CIRT outcomes, 10 centres), each with ``n`` patients, and a
plan ``plan.yaml`` running the DSS accuracy analysis, the multicentre pooling
and the survival analysis on them, with Table 1 and a 2000-replicate
bootstrap of the DSS cutoff, as a consortium would.  Figures are
limited to PNG at 300 dpi and tables to CSV so that the timing measures the
statistics and the report, not the writing of many image formats.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import yaml

import scale

DESCRIPTION = "DSS + CIRT exports, 10 centres; table_one, dss with 2000 bootstrap replicates, multicenter, survival"


class NotReady(Exception):
    """``spinestats run`` (or an analysis the plan names) has not landed yet."""


ANALYSES = [
    {"type": "table_one", "data": "dss", "group": "reference",
     "variables": ["centre", "size_cm", "boundary", "lobulated", "bone_destruction", "dss"],
     "categorical": ["centre", "boundary", "lobulated", "bone_destruction"], "nonnormal": ["size_cm", "dss"]},
    {"type": "dss", "data": "dss", "bootstrap": 2000},
    {"type": "multicenter", "data": "dss"},
    {"type": "survival", "data": "cirt", "group": "separation_surgery",
     "covariates": ["age", "sex", "total_dose_gye"], "cluster": "centre"},
]


def write(folder: Path, n: int, seed: int) -> Path:
    if importlib.util.find_spec("spinestats.reports.cli.run") is None:
        raise NotReady("`spinestats run` (reports/cli/run.py) not available yet")
    folder.mkdir(parents=True, exist_ok=True)
    scale.dss_export(n, seed).to_csv(folder / "dss.csv", index=False)
    scale.cirt_export(n, seed + 1).to_csv(folder / "cirt.csv", index=False)
    plan = {
        "schema_version": 1,
        "title": f"Benchmark: {n:,}-patient multicentre synthetic export",
        "seed": seed,
        "synthetic": True,
        "data": {"dss": {"file": "dss.csv", "schema": "dss"}, "cirt": {"file": "cirt.csv", "schema": "cirt"}},
        "analyses": ANALYSES,
        "output": {"figures": {"formats": ["png"], "dpi": [300]}, "tables": {"formats": ["csv"]}},
    }
    path = folder / "plan.yaml"
    path.write_text(yaml.safe_dump(plan, sort_keys=False), encoding="utf-8")
    return path

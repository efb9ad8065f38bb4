"""The statistical-depth options reach the plan: ``time_model``/``emmeans_times`` (pain), ``zph_transform``
(survival) and ``direction`` (dss, accuracy) are plan options of their analyses."""

import json
from pathlib import Path

import yaml

from spinestats.reports.plan_runner import job_options, run_plan

CAFE = Path(__file__).resolve().parents[1] / "data_schemas" / "examples" / "synthetic_cafe.csv"


def test_new_options_are_plan_options():
    assert {"zph_transform"} <= set(job_options("survival"))
    assert {"direction"} <= set(job_options("accuracy"))
    assert {"direction"} <= set(job_options("dss"))
    assert {"time_model", "emmeans_times"} <= set(job_options("pain"))


def test_plan_with_continuous_time_model(tmp_path):
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "cafe.csv").write_bytes(CAFE.read_bytes())
    plan = {"schema_version": 1, "title": "CAFE-like trial", "seed": 7, "synthetic": True,
            "data": {"cafe": {"file": "cafe.csv", "schema": "bkp"}},
            "analyses": [{"type": "pain", "data": "cafe", "time_model": "continuous", "emmeans_times": [0, 12]}],
            "output": {"tables": {"formats": ["csv"]}, "figures": {"formats": ["png"], "dpi": [72]}}}
    path = folder / "plan.yaml"
    path.write_text(yaml.safe_dump(plan, sort_keys=False), encoding="utf-8")
    run_plan(path, tmp_path / "out")
    r = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    pain = r["analyses"]["pain"] if "analyses" in r else r["pain"]
    assert pain["emmeans_time"]["times"] == [0.0, 12.0]
    assert pain["options"]["time_model"] == "continuous"

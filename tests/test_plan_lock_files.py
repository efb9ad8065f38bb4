"""`spinestats plan lock` hashes the mapping and schema files a plan refers to, so `plan verify`
reports a mapping edited after locking (issue 14)."""

import json
import subprocess
import sys

from spinestats.data_schemas.plan_lock import referenced_files

PLAN = """\
schema_version: 1
title: prospective DSS validation
data:
  site_a: {file: site_a.csv, schema: dss, mapping: maps/site_a.yaml}
analyses:
  - {type: dss, data: site_a}
prespecified:
  score: dss
  cutoff: 3
  positive: malignant
"""


def run(*args):
    return subprocess.run([sys.executable, "-m", "spinestats", *map(str, args)], capture_output=True, text=True)


def study(tmp_path):
    (tmp_path / "maps").mkdir()
    (tmp_path / "maps" / "site_a.yaml").write_text("columns:\n  Size (cm): size_cm\n", encoding="utf-8")
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN, encoding="utf-8")
    return plan


def test_lock_records_mapping_and_schema_hashes(tmp_path):
    import hashlib

    plan = study(tmp_path)
    r = run("plan", "lock", plan)
    assert r.returncode == 0, r.stderr
    lock = json.loads((tmp_path / "plan.lock.json").read_text())
    mapping_sha = hashlib.sha256((tmp_path / "maps" / "site_a.yaml").read_bytes()).hexdigest()
    assert lock["files"]["mapping maps/site_a.yaml"] == mapping_sha
    assert set(lock["files"]) == {"mapping maps/site_a.yaml", "schema dss"}
    assert lock["files"] == referenced_files(plan)
    assert run("plan", "verify", plan).returncode == 0


def test_verify_reports_a_changed_mapping_file(tmp_path):
    plan = study(tmp_path)
    assert run("plan", "lock", plan).returncode == 0
    (tmp_path / "maps" / "site_a.yaml").write_text("columns:\n  Size (mm): size_cm\nunits: {size_cm: mm}\n",
                                                   encoding="utf-8")
    r = run("plan", "verify", plan)
    assert r.returncode == 1
    assert "no longer matches its lock" in r.stderr and "mapping maps/site_a.yaml: changed" in r.stderr
    assert "matches its lock (sha256" not in r.stdout


def test_verify_reports_a_deleted_mapping_file(tmp_path):
    plan = study(tmp_path)
    assert run("plan", "lock", plan).returncode == 0
    (tmp_path / "maps" / "site_a.yaml").unlink()
    r = run("plan", "verify", plan)
    assert r.returncode == 1 and "mapping maps/site_a.yaml: cannot be read" in r.stderr


def test_a_lock_without_files_still_checks_the_plan(tmp_path):
    plan = study(tmp_path)
    assert run("plan", "lock", plan).returncode == 0
    lock_path = tmp_path / "plan.lock.json"
    lock = json.loads(lock_path.read_text())
    del lock["files"]  # written by an older spinestats
    lock_path.write_text(json.dumps(lock))
    assert run("plan", "verify", plan).returncode == 0

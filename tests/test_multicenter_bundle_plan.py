"""Site bundles (schema, version, checksum) and locked plans (hash, verify)."""

import json

import pytest

from spinestats.data_schemas.plan_lock import lock_plan, plan_hash, read_prespecified, verify_plan
from spinestats.data_schemas.site_bundle import checksum, make_bundle, read_bundle, write_bundle
from spinestats.errors import DataError, UsageError

PAYLOAD = {
    "data_schema": "dss",
    "plan_hash": None,
    "suppression": {"min_cell": None, "exact": True},
    "flow": {"n_read": 5, "n_analysed": 4, "n_excluded": 1, "exclusions": [{"reason": "missing reference", "n": 1}]},
    "score": {"name": "dss", "positive": "malignant", "levels": [0, 3, 5], "n_pos": [0, 1, 1], "n_neg": [2, 0, 0]},
}

PLAN = """\
# DSS prospective validation
prespecified:
  score: dss
  cutoff: 3
  positive: malignant
  primary_measures: [sensitivity, specificity]
  target_precision: {sensitivity: 0.10, specificity: 0.10}
"""


def test_bundle_round_trip(tmp_path):
    b = make_bundle("Centre A", PAYLOAD)
    path = write_bundle(b, tmp_path / "a.json")
    back = read_bundle(path)
    assert back == b
    assert back["checksum"]["value"] == checksum(b)
    text = path.read_text(encoding="utf-8")
    assert "patient_id" not in text and "DSS-" not in text


def test_tampered_bundle_is_refused(tmp_path):
    path = write_bundle(make_bundle("Centre A", PAYLOAD), tmp_path / "a.json")
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["payload"]["score"]["n_pos"][2] = 7
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(DataError, match="checksum mismatch - the file was changed"):
        read_bundle(path)


def test_other_schema_version_is_refused(tmp_path):
    b = make_bundle("Centre A", PAYLOAD)
    b["bundle_schema_version"] = 2
    b["checksum"]["value"] = checksum(b)
    path = tmp_path / "v2.json"
    path.write_text(json.dumps(b), encoding="utf-8")
    with pytest.raises(DataError, match="bundle schema version 2 .* reads version 1"):
        read_bundle(path)


def test_bundle_with_rows_is_refused_by_schema(tmp_path):
    b = make_bundle("Centre A", PAYLOAD)
    b["payload"]["rows"] = [{"patient_id": "X"}]
    b["checksum"]["value"] = checksum(b)
    path = tmp_path / "rows.json"
    path.write_text(json.dumps(b), encoding="utf-8")
    with pytest.raises(DataError, match="not a valid site bundle"):
        read_bundle(path)


def test_not_a_bundle(tmp_path):
    p = tmp_path / "x.json"
    p.write_text("{}", encoding="utf-8")
    with pytest.raises(DataError, match="not a spinestats site bundle"):
        read_bundle(p)
    with pytest.raises(UsageError, match="no such file"):
        read_bundle(tmp_path / "missing.json")


def test_plan_hash_ignores_comments_and_order(tmp_path):
    a = tmp_path / "a.yaml"
    a.write_text(PLAN, encoding="utf-8")
    b = tmp_path / "b.yaml"
    b.write_text("prespecified:\n  positive: malignant   # the target\n  cutoff: 3\n  score: dss\n"
                 "  target_precision: {specificity: 0.10, sensitivity: 0.10}\n"
                 "  primary_measures: [sensitivity, specificity]\n", encoding="utf-8")
    assert plan_hash(a) == plan_hash(b)
    c = tmp_path / "c.yaml"
    c.write_text(PLAN.replace("cutoff: 3", "cutoff: 4"), encoding="utf-8")
    assert plan_hash(c) != plan_hash(a)


def test_lock_and_verify(tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN, encoding="utf-8")
    lock = lock_plan(plan)
    assert (tmp_path / "plan.lock.json").is_file()
    assert lock["plan_hash"] == plan_hash(plan) == verify_plan(plan)
    assert read_prespecified(plan).cutoff == 3.0
    with pytest.raises(UsageError, match="already locked"):
        lock_plan(plan)
    plan.write_text(PLAN.replace("cutoff: 3", "cutoff: 4"), encoding="utf-8")
    with pytest.raises(DataError, match="no longer matches its lock"):
        verify_plan(plan)


def test_prespecified_block_is_checked(tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text("prespecified:\n  score: dss\n  positive: malignant\n", encoding="utf-8")
    with pytest.raises(UsageError, match="missing cutoff"):
        read_prespecified(plan)
    plan.write_text("prespecified:\n  score: dss\n  cutoff: 3\n  positive: m\n  primary_measures: [youden]\n",
                    encoding="utf-8")
    with pytest.raises(UsageError, match="unknown primary measure"):
        read_prespecified(plan)

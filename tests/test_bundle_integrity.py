"""Forged, inconsistent or altered site bundles are refused by `spinestats pool` (issue 14).

Each test writes the bundle as a centre (or an attacker) would, with a valid checksum
(anyone can recompute it), then runs the CLI: exit 1, a message naming the bundle file
and the field, and no output folder."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from spinestats.data_schemas import privacy
from spinestats.data_schemas.examples import cohort_multicenter
from spinestats.data_schemas.site_bundle import check_consistency, checksum, make_bundle, read_bundle, signature
from spinestats.errors import DataError

KEY = "the-key-all-sites-share-0123456789"
EXAMPLES = Path(cohort_multicenter.__file__).parent / "multicenter"


def payload(n_pos=(0, 2, 3), n_neg=(4, 1, 0), levels=(0, 3, 5), excluded=1):
    n = sum(n_pos) + sum(n_neg)
    return {
        "data_schema": "dss", "plan_hash": None, "suppression": {"min_cell": None, "exact": True},
        "flow": {"n_read": n + excluded, "n_analysed": n, "n_excluded": excluded,
                 "exclusions": [{"reason": "missing reference", "n": excluded}] if excluded else []},
        "score": {"name": "dss", "positive": "malignant", "levels": list(levels), "n_pos": list(n_pos),
                  "n_neg": list(n_neg)},
    }


def forge(path: Path, bundle: dict) -> Path:
    bundle.pop("signature", None)
    bundle["checksum"]["value"] = checksum(bundle)  # a forger recomputes the checksum
    path.write_text(json.dumps(bundle), encoding="utf-8")
    return path


def pool(*bundles, out, key=None, extra=()):
    env = dict(os.environ)
    env.pop(privacy.KEY_ENV, None)
    if key:
        env[privacy.KEY_ENV] = key
    return subprocess.run([sys.executable, "-m", "spinestats", "pool", *map(str, bundles), "--figure-formats", "none",
                           "--out", str(out), *extra], capture_output=True, text=True, env=env)


@pytest.fixture
def good(tmp_path):
    paths = []
    for c, (p, n) in {"Centre A": ((1, 6, 9), (12, 5, 1)), "Centre B": ((0, 5, 8), (10, 6, 2))}.items():
        b = make_bundle(c, payload(p, n))
        path = tmp_path / f"{c[-1]}.json"
        path.write_text(json.dumps(b), encoding="utf-8")
        paths.append(path)
    return paths


def assert_refused(r, path, field, tmp_path):
    assert r.returncode == 1, r.stderr
    assert str(path) in r.stderr and field in r.stderr, r.stderr
    assert "Internal error" not in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "pooled").exists()


def test_good_bundles_pool(good, tmp_path):
    r = pool(*good, out=tmp_path / "pooled")
    assert r.returncode == 0, r.stderr
    assert "signatures were not verified" in r.stderr  # no key: said plainly


def test_flow_that_does_not_add_up(good, tmp_path):
    b = json.loads(good[0].read_text())
    b["payload"]["flow"].update(n_read=1170, n_analysed=270, n_excluded=0, exclusions=[])
    b["payload"]["score"]["n_neg"][0] += 270 - 39
    forge(good[0], b)
    r = pool(*good, out=tmp_path / "pooled")
    assert_refused(r, good[0], "payload.flow: n_read 1170 != n_analysed 270 + n_excluded 0", tmp_path)


def test_inflated_counts(good, tmp_path):
    b = json.loads(good[1].read_text())
    b["payload"]["score"]["n_pos"][2] = 34_000_066
    forge(good[1], b)
    r = pool(*good, out=tmp_path / "pooled")
    assert_refused(r, good[1], "payload.score: the counts add up to 34000089 patients, the flow's n_analysed is 31",
                   tmp_path)


def test_duplicated_levels(good, tmp_path):
    b = json.loads(good[0].read_text())
    b["payload"]["score"]["levels"] = [0, 3, 3]
    forge(good[0], b)
    assert_refused(pool(*good, out=tmp_path / "pooled"), good[0], "payload.score.levels: level(s) [3] listed more than once",
                   tmp_path)


def test_mismatched_array_lengths(good, tmp_path):
    b = json.loads(good[0].read_text())
    b["payload"]["score"]["n_pos"].append(0)
    forge(good[0], b)
    assert_refused(pool(*good, out=tmp_path / "pooled"), good[0],
                   "payload.score: levels, n_pos and n_neg have lengths 3, 4, 3", tmp_path)


def test_non_integer_counts(good, tmp_path):
    b = json.loads(good[0].read_text())
    b["payload"]["score"]["n_neg"][1] = 5.0  # JSON Schema calls 5.0 an integer; a count is not a float
    forge(good[0], b)
    assert_refused(pool(*good, out=tmp_path / "pooled"), good[0], "payload.score.n_neg[1]: 5.0 is not a count", tmp_path)


def test_survival_risk_sets_must_shrink_by_their_exits(tmp_path):
    p = payload(excluded=0)
    p.pop("score")
    p["flow"].update(n_read=5, n_analysed=5)
    p["survival"] = {"time_unit": "months", "group_variable": None,
                     "groups": {"all": {"time": [1.0, 2.0, 4.0], "n_at_risk": [5, 4, 9], "n_event": [1, 1, 1],
                                        "n_censored": [0, 1, 1]}}}
    problems = check_consistency(p)
    assert "payload.survival.groups['all'].n_at_risk[2]: 9, expected 2 (the previous 4 at risk minus 1 events and 1 censored)" in problems
    p["survival"]["groups"]["all"]["n_event"].pop()
    assert check_consistency(p) == ["payload.survival.groups['all']: time, n_at_risk, n_event and n_censored have "
                                    "lengths 3, 3, 2, 3; expected equal lengths"]


def test_signed_bundle_altered_after_export_is_refused(tmp_path):
    """site-summary signs with the shared key; pool verifies; editing + recomputing the checksum is caught."""
    env = dict(os.environ, **{privacy.KEY_ENV: KEY})
    bundles = []
    for name in ("centre_A.csv", "centre_D.csv"):
        out = tmp_path / f"{name}.json"
        r = subprocess.run([sys.executable, "-m", "spinestats", "site-summary", str(EXAMPLES / name), "--schema", "dss",
                            "--out", str(out)], capture_output=True, text=True, env=env)
        assert r.returncode == 0, r.stderr
        doc = json.loads(out.read_text())
        assert doc["signature"]["algorithm"] == "hmac-sha256" and doc["signature"]["value"] == signature(doc, KEY)
        assert KEY not in out.read_text()
        bundles.append(out)
    assert pool(*bundles, out=tmp_path / "ok", key=KEY).returncode == 0
    doc = json.loads(bundles[0].read_text())
    doc["payload"]["score"]["n_pos"][-1] += 1
    doc["payload"]["score"]["n_neg"][0] -= 1  # still consistent: only the signature can tell
    doc["checksum"]["value"] = checksum(doc)
    bundles[0].write_text(json.dumps(doc), encoding="utf-8")
    r = pool(*bundles, out=tmp_path / "pooled", key=KEY)
    assert_refused(r, bundles[0], "signature mismatch - the bundle was altered after export", tmp_path)
    # stripping the signature does not help: with the key, unsigned bundles are refused
    doc.pop("signature")
    doc["checksum"]["value"] = checksum(doc)
    bundles[0].write_text(json.dumps(doc), encoding="utf-8")
    r = pool(*bundles, out=tmp_path / "pooled", key=KEY)
    assert_refused(r, bundles[0], "not signed", tmp_path)
    r = pool(*bundles, out=tmp_path / "pooled", key=KEY, extra=("--allow-unsigned",))
    assert r.returncode == 0 and "1 bundle(s) not signed" in r.stderr
    # a different key: refused
    with pytest.raises(DataError, match="signature mismatch"):
        read_bundle(bundles[1], key="another-study-key-000000000")


def test_site_summary_never_overwrites_its_input(tmp_path):
    data = tmp_path / "centre_A.csv"
    data.write_bytes((EXAMPLES / "centre_A.csv").read_bytes())
    before = data.read_bytes()
    r = subprocess.run([sys.executable, "-m", "spinestats", "site-summary", str(data), "--schema", "dss",
                        "--out", str(data), "--force"], capture_output=True, text=True)
    assert r.returncode == 2 and "is an input of this run" in r.stderr and data.read_bytes() == before


# Output files, folders and privacy: not re-run under the second BLAS kernel (.ci/run).
pytestmark = pytest.mark.outputs


def test_schema_check_built_once_refuses_as_jsonschema_validate():
    """The bundle validator is built once per process (issue 16) and refuses what
    ``jsonschema.validate`` refuses, naming the same field and message."""
    import copy

    import jsonschema

    from spinestats.data_schemas import site_bundle

    good_bundle = make_bundle("Centre A", payload())
    broken = []
    for change in (lambda b: b.pop("centre"), lambda b: b.__setitem__("extra", 1),
                   lambda b: b["payload"]["flow"].__setitem__("n_read", "eighty"),
                   lambda b: b["payload"]["suppression"].pop("exact"),
                   lambda b: b["payload"]["flow"]["exclusions"].append({"reason": "x"})):
        b = copy.deepcopy(good_bundle)
        change(b)
        broken.append(b)
    for b in broken:
        with pytest.raises(jsonschema.ValidationError) as direct:
            jsonschema.validate(b, site_bundle.bundle_json_schema())
        loc = " > ".join(str(x) for x in direct.value.absolute_path) or "top level"
        with pytest.raises(DataError) as ours:
            site_bundle._validate(b, "site bundle B.json")
        assert str(ours.value) == f"site bundle B.json: not a valid site bundle ({loc}: {direct.value.message})."
    site_bundle._validate(good_bundle, "ok")  # a valid bundle passes
    assert site_bundle._validator.cache_info().currsize == 1 and site_bundle._validator.cache_info().hits >= len(broken)

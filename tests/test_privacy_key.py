"""The study key behind the pseudonyms (issue 14): never derived from what outputs publish,
created once per study with owner-only permissions, stable for a given key, and no raw ID
in any message."""

import os
import stat
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from spinestats.data_schemas import privacy
from spinestats.data_schemas.examples import cohort_dss
from spinestats.data_schemas.loading import load
from spinestats.errors import DataError

CSV = Path(cohort_dss.__file__).with_name("synthetic_dss.csv")


@pytest.fixture
def no_env_key(monkeypatch):
    monkeypatch.delenv(privacy.KEY_ENV, raising=False)
    monkeypatch.delenv(privacy.LEGACY_KEY_ENV, raising=False)


def run(*args, env=None, cwd=None):
    e = dict(os.environ)
    e.pop(privacy.KEY_ENV, None)
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "spinestats", *args], capture_output=True, text=True, env=e, cwd=cwd)


def dss_with_duplicate(folder: Path) -> Path:
    d = pd.read_csv(CSV, dtype=str, comment="#")  # header on line 1, row i on line i + 2
    d.loc[5, "patient_id"] = "HOSP-7734219"
    d.loc[9, "patient_id"] = "HOSP-7734219"
    path = folder / "dss.csv"
    d.to_csv(path, index=False)
    return path


def test_key_file_created_on_first_use_owner_only_and_reused(tmp_path, no_env_key):
    sub = tmp_path / "data"
    sub.mkdir()
    k1 = privacy.study_key(sub)
    assert k1.source == "new file" and k1.path == (sub / ".spinestats-key").resolve()
    assert stat.S_IMODE(os.stat(k1.path).st_mode) == 0o600
    assert len(k1.secret) == 64 and int(k1.secret, 16) >= 0
    k2 = privacy.study_key(sub)
    assert k2.secret == k1.secret and k2.source == "file"
    deeper = sub / "site_a"
    deeper.mkdir()
    assert privacy.study_key(deeper).secret == k1.secret  # the nearest parent's key is found
    assert not (deeper / ".spinestats-key").exists()


def test_key_order_option_then_environment_then_file(tmp_path, monkeypatch):
    (tmp_path / ".spinestats-key").write_text("f" * 64)
    monkeypatch.setenv(privacy.KEY_ENV, "e" * 20)
    assert privacy.study_key(tmp_path, "o" * 20).secret == "o" * 20
    assert privacy.study_key(tmp_path).secret == "e" * 20
    monkeypatch.delenv(privacy.KEY_ENV)
    assert privacy.study_key(tmp_path).secret == "f" * 64
    with pytest.raises(Exception, match="too short"):
        privacy.study_key(tmp_path, "short")


def test_pseudonyms_stable_for_a_key_and_differ_between_keys():
    a = privacy.pseudonymise(["HOSP-1", 17], "k" * 20)
    assert a == privacy.pseudonymise(["HOSP-1", "17"], "k" * 20)  # compared as text
    assert a != privacy.pseudonymise(["HOSP-1", 17], "j" * 20)
    # HMAC-SHA256 as defined (Python's hmac is the reference): P- + first 10 hex digits
    import hashlib
    import hmac
    assert a[0] == "P-" + hmac.new(b"k" * 20, b"HOSP-1", hashlib.sha256).hexdigest()[:10]


def test_duplicate_id_message_shows_line_and_pseudonym_never_the_id(tmp_path, no_env_key):
    path = dss_with_duplicate(tmp_path)
    r = run("dss", str(path), "--out", str(tmp_path / "o"), "--figure-format", "svg")
    assert r.returncode == 0, r.stderr  # both rows excluded, with their reasons
    secret = (tmp_path / ".spinestats-key").read_text().strip()
    pseud = privacy.pseudonymise(["HOSP-7734219"], secret)[0]
    assert "(line 7)." in r.stderr and "also on line 11" in r.stderr and pseud in r.stderr
    outputs = "".join(p.read_text(errors="replace") for p in (tmp_path / "o").rglob("*") if p.is_file())
    assert pseud in outputs
    assert "HOSP-7734219" not in r.stderr + r.stdout + outputs
    # the same with check --format json
    r = run("check", str(path), "--schema", "dss", "--format", "json")
    assert "HOSP-7734219" not in r.stdout + r.stderr and pseud in r.stdout


def test_exclusion_reasons_carry_the_pseudonym(tmp_path):
    path = dss_with_duplicate(tmp_path)
    key = "an-explicit-study-key-1234"
    t = load(path, schema="dss", exclude_invalid=True, id_key=key)
    reasons = " ".join(e.reason for e in t.exclusions)
    assert "HOSP-7734219" not in reasons and privacy.pseudonymise(["HOSP-7734219"], key)[0] in reasons
    assert {e.line for e in t.exclusions} == {7, 11}
    assert not (tmp_path / ".spinestats-key").exists()  # an explicit key writes no file
    with pytest.raises(DataError) as err:
        load(path, schema="dss", id_key=key)
    assert "HOSP-7734219" not in str(err.value) and all("HOSP" not in str(p.value) for p in err.value.problems)


def test_clean_data_creates_no_key_file(tmp_path, no_env_key):
    (tmp_path / "dss.csv").write_bytes(CSV.read_bytes())
    load(tmp_path / "dss.csv", schema="dss")
    assert not (tmp_path / ".spinestats-key").exists()


def test_key_is_not_derived_from_the_input_hash(tmp_path, no_env_key):
    """The old default key was the input's SHA-256, which provenance publishes."""
    import hashlib

    path = dss_with_duplicate(tmp_path)
    t = load(path, schema="dss", exclude_invalid=True)
    secret = (tmp_path / ".spinestats-key").read_text().strip()
    assert secret != t.provenance.sha256 and secret != hashlib.sha256(path.read_bytes()).hexdigest()
    published = privacy.pseudonymise(["HOSP-7734219"], t.provenance.sha256)[0]
    assert published not in " ".join(e.reason for e in t.exclusions)


def test_global_id_key_option_and_environment_give_the_same_pseudonyms(tmp_path):
    path = dss_with_duplicate(tmp_path)
    key = "shared-by-all-sites-0123456789"
    a = run("--id-key", key, "check", str(path), "--schema", "dss", "--format", "json")
    b = run("check", str(path), "--schema", "dss", "--format", "json", env={privacy.KEY_ENV: key})
    p = privacy.pseudonymise(["HOSP-7734219"], key)[0]
    assert p in a.stdout and a.stdout == b.stdout
    assert not (tmp_path / ".spinestats-key").exists()


def test_init_writes_a_private_study_key_found_by_the_study_data(tmp_path, no_env_key):
    r = run("init", str(tmp_path / "proj"))
    assert r.returncode == 0, r.stderr
    key_file = tmp_path / "proj" / ".spinestats-key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600 and "study key" in r.stdout
    assert ".spinestats-key" in (tmp_path / "proj" / "README.md").read_text()
    path = dss_with_duplicate(tmp_path / "proj" / "exports")  # data in a sub-folder use the project's key
    t = load(path, schema="dss", exclude_invalid=True)
    secret = key_file.read_text().strip()
    assert privacy.pseudonymise(["HOSP-7734219"], secret)[0] in t.exclusions[0].reason
    assert not (tmp_path / "proj" / "exports" / ".spinestats-key").exists()


def test_init_force_never_deletes_the_study_key(tmp_path, no_env_key):
    assert run("init", str(tmp_path / "proj")).returncode == 0
    secret = (tmp_path / "proj" / ".spinestats-key").read_text()
    r = run("init", str(tmp_path / "proj"), "--force")
    assert r.returncode == 2 and ".spinestats-key" in r.stderr
    assert (tmp_path / "proj" / ".spinestats-key").read_text() == secret


# Output files, folders and privacy: not re-run under the second BLAS kernel (.ci/run).
pytestmark = pytest.mark.outputs

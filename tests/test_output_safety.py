"""Output folders: --force replaces only what spinestats wrote, never an input, the working
folder or a parent of an input; a second concurrent run into the same folder is refused;
symlinked and unwritable folders get a clear message (issue 14)."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from spinestats.data_schemas.examples import cohort_dss
from spinestats.reports.output import MARKER, OutputDir
from spinestats.errors import UsageError

CSV = Path(cohort_dss.__file__).with_name("synthetic_dss.csv")


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "spinestats", *args], capture_output=True, text=True, cwd=cwd)


@pytest.fixture
def study(tmp_path):
    folder = tmp_path / "study"
    folder.mkdir()
    shutil.copy(CSV, folder / "dss.csv")
    (folder / "notes.txt").write_text("my thesis draft")
    return folder


def test_force_into_the_folder_holding_the_input_deletes_nothing(study):
    before = (study / "dss.csv").read_bytes()
    r = run("dss", str(study / "dss.csv"), "--out", str(study), "--force", "--figure-format", "svg")
    assert r.returncode == 2, r.stderr
    assert "contains an input of this run" in r.stderr and "Traceback" not in r.stderr
    assert (study / "dss.csv").read_bytes() == before
    assert (study / "notes.txt").read_text() == "my thesis draft"
    assert sorted(p.name for p in study.iterdir()) == ["dss.csv", "notes.txt"]


def test_force_into_a_parent_of_the_input_is_refused(study):
    sub = study / "data"
    sub.mkdir()
    shutil.move(study / "dss.csv", sub / "dss.csv")
    r = run("dss", str(sub / "dss.csv"), "--out", str(study), "--force", "--figure-format", "svg")
    assert r.returncode == 2 and "contains an input of this run" in r.stderr
    assert (sub / "dss.csv").is_file() and (study / "notes.txt").is_file()


def test_out_dot_force_refuses_the_working_folder(study):
    r = run("dss", "dss.csv", "--out", ".", "--force", "--figure-format", "svg", cwd=study)
    assert r.returncode == 2
    assert "is the working folder" in r.stderr
    assert sorted(p.name for p in study.iterdir()) == ["dss.csv", "notes.txt"]
    # also when the input lives elsewhere
    other = study.parent / "elsewhere"
    other.mkdir()
    (other / "draft.docx").write_text("thesis")
    r = run("dss", str(study / "dss.csv"), "--out", ".", "--force", "--figure-format", "svg", cwd=other)
    assert r.returncode == 2 and "is the working folder" in r.stderr
    assert (other / "draft.docx").read_text() == "thesis"


def test_force_refuses_a_folder_without_the_marker(study, tmp_path):
    out = tmp_path / "old"
    out.mkdir()
    (out / "results.json").write_text("{}")
    r = run("dss", str(study / "dss.csv"), "--out", str(out), "--force", "--figure-format", "svg")
    assert r.returncode == 2 and MARKER in r.stderr and "no spinestats marker" in r.stderr
    assert (out / "results.json").read_text() == "{}"


def test_force_replaces_a_folder_spinestats_wrote_but_not_a_users_file_in_it(study, tmp_path):
    out = tmp_path / "out"
    assert run("dss", str(study / "dss.csv"), "--out", str(out), "--figure-format", "svg").returncode == 0
    marker = json.loads((out / MARKER).read_text())
    assert marker["written_by"] == "spinestats" and "results.json" in marker["files"]
    assert all((out / f).is_file() for f in marker["files"])
    r = run("dss", str(study / "dss.csv"), "--out", str(out), "--force", "--figure-format", "svg")
    assert r.returncode == 0, r.stderr
    (out / "figures" / "my_edit.txt").write_text("a reviewer's note")
    r = run("dss", str(study / "dss.csv"), "--out", str(out), "--force", "--figure-format", "svg")
    assert r.returncode == 2 and "figures/my_edit.txt" in r.stderr
    assert (out / "figures" / "my_edit.txt").read_text() == "a reviewer's note"


def test_a_second_concurrent_run_is_refused_and_a_stale_lock_is_taken_over(study, tmp_path):
    out = tmp_path / "out"
    lock = tmp_path / ".out.spinestats-lock"
    lock.write_text(f"{os.getppid()}\n")  # a live process holds the folder
    r = run("dss", str(study / "dss.csv"), "--out", str(out), "--figure-format", "svg")
    assert r.returncode == 2 and "another spinestats run" in r.stderr and f"process {os.getppid()}" in r.stderr
    assert not out.exists()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock.write_text(f"{dead.pid}\n")  # its process is gone: a stale lock
    r = run("dss", str(study / "dss.csv"), "--out", str(out), "--figure-format", "svg")
    assert r.returncode == 0, r.stderr
    assert (out / "results.json").is_file() and not lock.exists()


def test_lock_is_held_while_writing_and_released_after(tmp_path):
    out = tmp_path / "o"
    with OutputDir(out, inputs=[]) as od:
        assert (tmp_path / ".o.spinestats-lock").read_text().strip() == str(os.getpid())
        with pytest.raises(UsageError, match="another spinestats run"):
            with OutputDir(out, inputs=[]):
                pass
        od.write_text("a.txt", "x")
    assert not (tmp_path / ".o.spinestats-lock").exists()
    assert json.loads((out / MARKER).read_text())["files"] == ["a.txt"]


def test_symlinked_output_folder_gets_a_clear_message(study, tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real)
    r = run("dss", str(study / "dss.csv"), "--out", str(link), "--figure-format", "svg")
    assert r.returncode == 2 and "symbolic link" in r.stderr and "Internal error" not in r.stderr


def test_unwritable_output_folder_gets_a_clear_message(study, tmp_path, monkeypatch):
    # (the test machine may run as root, who can write anywhere: the permission answer is simulated)
    real_access = os.access
    locked = tmp_path / "ro"
    locked.mkdir()
    monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == locked else real_access(p, mode))
    with pytest.raises(UsageError, match="permission denied"):
        OutputDir(locked / "out", inputs=[])
    (locked / "out").mkdir()
    with pytest.raises(UsageError, match="permission denied"):
        OutputDir(locked / "out", inputs=[])
    monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == locked / "out" else real_access(p, mode))
    with pytest.raises(UsageError, match="not writable"):
        OutputDir(locked / "out", inputs=[])


def test_a_plan_run_refuses_the_folder_of_its_data(tmp_path):
    shutil.copy(CSV, tmp_path / "dss.csv")
    plan = tmp_path / "plan.yaml"
    plan.write_text("schema_version: 1\ntitle: t\nseed: 1\ndata:\n  d: {file: dss.csv, schema: dss}\n"
                    "analyses:\n  - {type: table_one, data: d, group: sex, variables: [age]}\n", encoding="utf-8")
    r = run("run", str(plan), "--out", str(tmp_path), "--force")
    assert r.returncode == 2 and "contains an input" in r.stderr, r.stderr
    assert (tmp_path / "dss.csv").is_file() and plan.is_file()


# Output files, folders and privacy: not re-run under the second BLAS kernel (.ci/run).
pytestmark = pytest.mark.outputs


def test_text_is_written_as_a_text_file_writes_it(tmp_path, monkeypatch):
    """OutputDir.write_text and write_json encode the whole text at once: the bytes are those of
    Path.write_text (UTF-8, this system's line ends), and CRLF where the system ends lines so."""
    text = "Größe ≥ 5 cm – 2 Punkte\n腫瘍径\n{\"p\": 0.0341}\n"
    ref = tmp_path / "ref.txt"
    ref.write_text(text, encoding="utf-8")
    out = tmp_path / "o"
    with OutputDir(out, inputs=[]) as od:
        od.write_text("a.txt", text)
        od.write_json("r.json", {"label": "≥ 3 points", "n": 59})
    assert (out / "a.txt").read_bytes() == ref.read_bytes() == text.encode("utf-8")
    assert json.loads((out / "r.json").read_text(encoding="utf-8")) == {"label": "≥ 3 points", "n": 59}
    monkeypatch.setattr(os, "linesep", "\r\n")
    with OutputDir(tmp_path / "w", inputs=[]) as od:
        od.write_text("a.txt", text)
    assert (tmp_path / "w" / "a.txt").read_bytes() == text.replace("\n", "\r\n").encode("utf-8")

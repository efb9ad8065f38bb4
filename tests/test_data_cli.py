"""The check, example and schema commands: exit codes 0/1/2, no traceback, inputs untouched."""

from __future__ import annotations

import contextlib
import csv
import importlib
import io
import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from spinestats.data_schemas.loading import load
from spinestats.reports.cli.main import main

DSS = ("patient_id,centre,histology,reference,size_cm,boundary,lobulated,bone_destruction,dss\n"
       "P1,A,Neurinoma,benign,3.2,distinct,no,no,0\n"
       "P2,A,MPNST,malignant,6.0,indistinct,yes,yes,6\n")
BAD = DSS + "P2,A,=cmd|' /C calc'!A0,maybe,0,distinct,no,no,0\n"


class Ran:
    def __init__(self, returncode: int, stdout: str, stderr: str) -> None:
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def run(*args: str) -> Ran:
    """``spinestats ARGS`` in this process (the outer contract is tested once in a subprocess below)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    return Ran(code, out.getvalue(), err.getvalue())


def run_subprocess(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "spinestats", *args], capture_output=True, text=True)


def invoke(name: str, *args: str):
    """Run one of this area's commands directly (independent of the other commands' modules)."""
    module = importlib.import_module(f"spinestats.reports.cli.{name}")
    return CliRunner().invoke(module.command, list(args), catch_exceptions=False)


@pytest.fixture
def files(tmp_path):
    good = tmp_path / "good.csv"
    good.write_text(DSS, encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text(BAD, encoding="utf-8")
    return good, bad


def test_check_in_a_subprocess_exit_codes_without_traceback(files, tmp_path):
    _, bad = files
    r = run_subprocess("check", str(bad), "--schema", "dss", "--format", "json")
    assert r.returncode == 1 and json.loads(r.stdout)["valid"] is False and "Traceback" not in r.stderr


def test_check_exit_codes_and_no_traceback(files, tmp_path):
    good, bad = files
    r = run("check", str(good), "--schema", "dss")
    assert r.returncode == 0 and "VALID" in r.stdout, r.stderr
    before = bad.read_bytes()
    r = run("check", str(bad), "--schema", "dss")
    assert r.returncode == 1 and "INVALID" in r.stdout
    assert "bad.csv, line 4, column 'reference': value 'maybe' - unknown code" in r.stdout
    assert "line 4, column 'size_cm': value '0' - out of range" in r.stdout
    import os

    from spinestats.data_schemas.privacy import KEY_ENV, pseudonymise

    p2 = pseudonymise(["P2"], os.environ[KEY_ENV])[0]  # shown as its pseudonym, never the raw ID
    assert f"line 4, column 'patient_id': value '{p2}' - duplicate ID" in r.stdout and "'P2'" not in r.stdout
    assert "formula-like cell" in r.stdout  # a warning, listed too
    assert bad.read_bytes() == before  # the input file is never modified
    for args in (("check", str(tmp_path / "missing.csv"), "--schema", "dss"),
                 ("check", str(good), "--schema", "dsss"),
                 ("check", str(good)),
                 ("check", str(good), "--schema", "dss", "--mapping", str(tmp_path / "nomap.yaml"))):
        r = run(*args)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert "Traceback" not in r.stderr and "Traceback" not in r.stdout
    assert "Did you mean 'dss'?" in run("check", str(good), "--schema", "dsss").stderr


def test_check_json_has_problems_and_provenance(files):
    _, bad = files
    r = run("check", str(bad), "--schema", "dss", "--format", "json")
    assert r.returncode == 1
    report = json.loads(r.stdout)
    assert report["valid"] is False and report["rows_read"] == 3 and report["rows_invalid"] == 2
    p = next(p for p in report["problems"] if p["rule"] == "unknown code")
    assert (p["line"], p["column"], p["value"], p["severity"]) == (4, "reference", "maybe", "error")
    assert "benign, malignant" in p["expected"]
    assert report["provenance"]["sha256"] == load(bad, "dss", exclude_invalid=True).provenance.sha256
    assert report["provenance"]["versions"]["pandas"]
    assert [e["line"] for e in report["exclusions"]] == [3, 4]


def test_check_file_level_problem_is_exit_1_with_json(tmp_path):
    empty = tmp_path / "header.csv"
    empty.write_text("patient_id,reference\n", encoding="utf-8")
    r = run("check", str(empty), "--schema", "dss", "--format", "json")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    report = json.loads(r.stdout)
    assert report["valid"] is False and report["problems"][0]["rule"] == "empty file"


def test_example_writes_csv_and_xlsx_and_refuses_overwrite(tmp_path):
    out = tmp_path / "dss.csv"
    r = run("example", "dss", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert out.read_text(encoding="utf-8").startswith("# SYNTHETIC DATA")
    assert load(out, "dss").provenance.rows_read == 59
    r = run("example", "dss", "--out", str(out))
    assert r.returncode == 2 and "--force" in r.stderr
    assert run("example", "dss", "--out", str(out), "--force").returncode == 0
    xlsx = tmp_path / "dss.xlsx"
    assert run("example", "dss", "--out", str(xlsx)).returncode == 0
    t = load(xlsx, "dss")
    assert t.provenance.rows_read == 59 and t.data.index[0] == 3  # comment row 1, header row 2
    r = run("example", "nonesuch", "--out", str(tmp_path / "x.csv"))
    assert r.returncode == 2 and "bundled examples:" in r.stderr and "Traceback" not in r.stderr


def test_example_xlsx_escapes_formula_like_text(tmp_path, monkeypatch):
    import openpyxl

    from spinestats.reports.cli import example

    target = tmp_path / "x.xlsx"
    example.to_xlsx(b"# SYNTHETIC\nid,note,n\nA,=HYPERLINK(1),-3\n", target)
    ws = openpyxl.load_workbook(target).active
    assert [c.value for c in ws[3]] == ["A", "'=HYPERLINK(1)", -3]


@pytest.mark.parametrize("name", ["dss", "cirt", "fracture", "bkp", "readers"])
def test_schema_formats(name):
    md = invoke("schema", name)
    assert md.exit_code == 0 and f"# Schema `{name}`" in md.output
    assert ("patient_id" in md.output) or ("case_id" in md.output)
    js = json.loads(invoke("schema", name, "--format", "json").output)
    assert js["name"] == name and js["columns"][0]["name"] in ("patient_id", "case_id")
    rows = list(csv.DictReader(io.StringIO(invoke("schema", name, "--format", "csv").output)))
    assert rows[0]["name"] in ("patient_id", "case_id")
    rc = list(csv.reader(io.StringIO(invoke("schema", name, "--format", "redcap").output)))
    assert rc[0][:5] == ["Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label"]
    assert len(rc[0]) == 18
    types = {r[3] for r in rc[1:]}
    assert types <= {"text", "radio", "yesno", "checkbox", "dropdown", "notes"}
    validations = {r[7] for r in rc[1:]}
    assert validations <= {"", "integer", "number", "date_ymd"}


def test_schema_unknown_is_usage_error():
    r = run("schema", "dsss")
    assert r.returncode == 2 and "Did you mean 'dss'?" in r.stderr and "Traceback" not in r.stderr


def test_schema_out_file(tmp_path):
    out = tmp_path / "dict.csv"
    assert run("schema", "cirt", "--format", "redcap", "--out", str(out)).returncode == 0
    assert out.read_text(encoding="utf-8").startswith('Variable / Field Name,Form Name')
    assert run("schema", "cirt", "--format", "redcap", "--out", str(out)).returncode == 2

"""Hostile or unlucky input met as a user meets it (a file or a plan, then the CLI).

Each test asserts the exit code (1 invalid data, 2 usage), a message naming
what is wrong (file, spreadsheet line, column, value, what was expected) and
that no traceback or "Internal error" reached the user.
"""

from __future__ import annotations

import contextlib
import io
import time
from pathlib import Path

import pytest

from spinestats.reports.cli.main import main

DSS_HEADER = "patient_id,reference,size_cm,boundary,lobulated,bone_destruction\n"


class Ran:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    @property
    def text(self) -> str:
        return self.out + self.err


def run(*args: object) -> Ran:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main([str(a) for a in args])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    r = Ran(code, out.getvalue(), err.getvalue())
    assert "Traceback" not in r.text and "Internal error" not in r.text, r.text
    return r


def dss_csv(tmp_path: Path, rows: int = 3) -> Path:
    p = tmp_path / "dss.csv"
    body = "".join(f"P{i},{'malignant' if i % 2 else 'benign'},{2 + i % 5},distinct,no,no\n" for i in range(rows))
    p.write_text(DSS_HEADER + body, encoding="utf-8")
    return p


# -- YAML: one safe, bounded loader ----------------------------------------------------------------

LAUGHS = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(8))


def test_billion_laughs_mapping_is_refused_quickly(tmp_path):
    data = dss_csv(tmp_path)
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(LAUGHS + "columns: *i\n", encoding="utf-8")
    t0 = time.perf_counter()
    r = run("check", data, "--schema", "dss", "--mapping", mapping)
    assert time.perf_counter() - t0 < 10
    assert r.code == 2
    assert "mapping mapping.yaml" in r.err and "aliases" in r.err and "at most 10,000" in r.err


def test_billion_laughs_plan_is_refused(tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text("schema_version: 1\n" + LAUGHS.replace("a:", "x_a:", 1), encoding="utf-8")
    r = run("run", plan, "--out", tmp_path / "out")
    assert r.code == 2
    assert "plan.yaml" in r.err and "billion laughs" in r.err
    assert not (tmp_path / "out").exists()
    r = run("plan", "lock", plan)
    assert r.code == 2 and "aliases" in r.err


def test_recursive_alias_is_refused(tmp_path):
    data = dss_csv(tmp_path)
    mapping = tmp_path / "m.yaml"
    mapping.write_text("missing: &x [a, *x]\n", encoding="utf-8")
    r = run("check", data, "--schema", "dss", "--mapping", mapping)
    assert r.code == 2 and "refers to a node that contains it" in r.err


def test_a_few_aliases_still_work(tmp_path):
    data = dss_csv(tmp_path)
    mapping = tmp_path / "m.yaml"
    mapping.write_text("missing: &m [不明, '-']\ncodes:\n  boundary: &b {明瞭: distinct}\n", encoding="utf-8")
    r = run("check", data, "--schema", "dss", "--mapping", mapping)
    assert r.code == 0, r.text

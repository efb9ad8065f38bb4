"""`spinestats run` / `init`: plan validation, bad input, determinism, safe output."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from spinestats.data_schemas.plan import read_plan
from spinestats.errors import UsageError
from spinestats.reports.plan_runner import run_plan

EXAMPLES = Path(__file__).resolve().parents[1] / "data_schemas" / "examples"
CAFE = EXAMPLES / "synthetic_cafe.csv"


class Ran:
    def __init__(self, returncode, stdout, stderr):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


@pytest.fixture()
def cli(capsys):
    """The command line, run in this process (fast); exit code, stdout and stderr."""
    from spinestats.reports.cli.main import main

    def call(*args):
        capsys.readouterr()
        with pytest.raises(SystemExit) as exc:
            main([str(a) for a in args])
        out = capsys.readouterr()
        return Ran(exc.value.code, out.out, out.err)

    return call


def subprocess_cli(*args):
    return subprocess.run([sys.executable, "-m", "spinestats", *args], capture_output=True, text=True)


def write_plan(folder: Path, **changes) -> Path:
    plan = {
        "schema_version": 1,
        "title": "CAFE-like trial",
        "seed": 7,
        "synthetic": True,
        "data": {"cafe": {"file": "cafe.csv", "schema": "bkp"}},
        "analyses": [{"type": "table_one", "data": "cafe", "group": "arm",
                      "variables": ["age", "sex", "nrs_baseline", "cement_leakage"], "nonnormal": ["nrs_baseline"]},
                     {"type": "table_one", "key": "by_sex", "data": "cafe", "group": "sex", "variables": ["age"]}],
        "output": {"tables": {"formats": ["csv", "docx"]}},
    }
    plan.update(changes)
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / "cafe.csv").exists():
        (folder / "cafe.csv").write_bytes(CAFE.read_bytes())
    path = folder / "plan.yaml"
    path.write_text(yaml.safe_dump(plan, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("run")
    plan = write_plan(base / "p")
    a = run_plan(plan, base / "a")
    b = run_plan(plan, base / "b", workers=2)
    return base, a, b


def test_relative_paths_resolve_against_the_plan_folder(tmp_path):
    plan = read_plan(write_plan(tmp_path / "x"))
    assert plan.data["cafe"].file == (tmp_path / "x" / "cafe.csv").resolve()
    assert plan.output.table_formats == ("csv", "docx") and plan.output.figure_formats == ("pdf", "svg", "png", "tiff")


def test_results_are_byte_identical_apart_from_one_timestamp(two_runs):
    base, a, b = two_runs
    ta = (base / "a" / "results.json").read_text(encoding="utf-8").splitlines()
    tb = (base / "b" / "results.json").read_text(encoding="utf-8").splitlines()
    diff = [(x, y) for x, y in zip(ta, tb) if x != y]
    assert len(ta) == len(tb)
    assert all('"generated_at"' in x for x, _ in diff) and len(diff) <= 1
    assert sum('"generated_at"' in line for line in ta) == 1


def test_output_folder_layout_and_contents(two_runs):
    base, a, _ = two_runs
    out = base / "a"
    assert sorted(p.name for p in out.iterdir()) == [".spinestats-output.json", "figures", "methods.md", "report.html", "results.json", "tables"]
    assert sorted(p.name for p in (out / "tables").iterdir()) == ["by_sex.csv", "by_sex.docx", "table_one.csv", "table_one.docx"]
    assert a["table_one"]["n"] == {"BKP": 65, "control": 52}  # CAFE: 65 BKP and 52 control
    assert a["provenance"]["inputs"]["cafe"]["rows_read"] == 117
    assert a["provenance"]["inputs"]["cafe"]["file"] == "cafe.csv"  # never an absolute path
    assert "CAFE-0" not in (out / "results.json").read_text(encoding="utf-8")  # no patient IDs
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "SYNTHETIC DATA" in html and a["plan_hash"] in html
    assert "standardised mean differences" in a["methods"]
    assert not list(base.glob(".a.partial-*"))


def test_missing_file_is_refused_before_anything(tmp_path, cli):
    plan = write_plan(tmp_path / "p", data={"cafe": {"file": "nowhere.csv", "schema": "bkp"}})
    r = cli("run", str(plan), "--out", str(tmp_path / "out"))
    assert r.returncode == 2, r.stderr
    assert "nowhere.csv does not exist" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "out").exists()


def test_unknown_analysis_type_suggests_the_closest(tmp_path):
    plan = write_plan(tmp_path / "p", analyses=[{"type": "table_on", "data": "cafe"}])
    with pytest.raises(UsageError, match="unknown analysis type 'table_on'. Did you mean 'table_one'"):
        run_plan(plan, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_unknown_option_suggests_the_closest(tmp_path, cli):
    plan = write_plan(tmp_path / "p", analyses=[{"type": "table_one", "data": "cafe", "group": "arm",
                                                  "varables": ["age"]}])
    r = cli("run", str(plan), "--out", str(tmp_path / "out"))
    assert r.returncode == 2
    assert "unknown option 'varables'. Did you mean 'variables'?" in r.stderr


def test_unknown_plan_key_and_data_name(tmp_path):
    with pytest.raises(UsageError, match="unknown key 'analysis'. Did you mean 'analyses'"):
        read_plan(write_plan(tmp_path / "a", analysis=[]))
    bad = [{"type": "table_one", "data": "caffe", "group": "arm", "variables": ["age"]}]
    with pytest.raises(UsageError, match="data 'caffe' is not defined.*Did you mean 'cafe'"):
        read_plan(write_plan(tmp_path / "b", analyses=bad))
    with pytest.raises(UsageError, match=r"output > style > p_values"):
        read_plan(write_plan(tmp_path / "c", output={"style": {"p_values": "lancet"}}))


def test_plan_for_another_schema_version(tmp_path, cli):
    plan = write_plan(tmp_path / "p", schema_version=2)
    r = cli("run", str(plan), "--out", str(tmp_path / "out"))
    assert r.returncode == 2
    assert "written for plan schema version 2" in r.stderr and "reads version 1" in r.stderr


def test_non_empty_output_folder_refused_unless_force(tmp_path, cli):
    plan = write_plan(tmp_path / "p")
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    r = cli("run", str(plan), "--out", str(out))
    assert r.returncode == 2 and "not empty" in r.stderr and "--force" in r.stderr
    assert (out / "keep.txt").read_text() == "mine"
    r = cli("run", str(plan), "--out", str(out), "--force")  # a file spinestats did not write: kept
    assert r.returncode == 2 and "no spinestats marker" in r.stderr and (out / "keep.txt").read_text() == "mine"
    (out / "keep.txt").unlink()
    assert cli("run", str(plan), "--out", str(out)).returncode == 0
    r = cli("run", str(plan), "--out", str(out), "--force")
    assert r.returncode == 0, r.stderr
    assert (out / "report.html").is_file()


def test_a_failing_analysis_leaves_no_report(tmp_path, cli):
    plan = write_plan(tmp_path / "p", analyses=[{"type": "table_one", "data": "cafe", "group": "arm",
                                                  "variables": ["no_such_column"]}])
    r = cli("run", str(plan), "--out", str(tmp_path / "out"))
    assert r.returncode == 2 and "no_such_column" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "out").exists()
    assert not list(tmp_path.glob(".out.partial-*"))


def test_quiet_outside_a_terminal_and_verbose_logs(tmp_path, cli):
    plan = write_plan(tmp_path / "p")
    r = subprocess_cli("run", str(plan), "--out", str(tmp_path / "o1"))
    assert r.returncode == 0 and r.stderr == ""  # no progress bar in logs/CI (a real process, not a TTY)
    r = cli("run", str(plan), "--out", str(tmp_path / "o2"), "--verbose")
    assert "table_one (table_one) done in" in r.stderr and "by_sex (table_one) done in" in r.stderr
    r = cli("run", str(plan), "--out", str(tmp_path / "o3"), "--quiet")
    assert r.stdout == "" and r.stderr == ""


def test_input_files_are_not_modified(tmp_path):
    plan = write_plan(tmp_path / "p")
    before = (tmp_path / "p" / "cafe.csv").read_bytes(), plan.read_bytes()
    run_plan(plan, tmp_path / "out")
    assert ((tmp_path / "p" / "cafe.csv").read_bytes(), plan.read_bytes()) == before


def test_init_scaffolds_a_commented_plan_and_templates(tmp_path, cli):
    from spinestats.data_schemas.mapping import load_mapping

    r = cli("init", str(tmp_path / "proj"))
    assert r.returncode == 0, r.stderr
    proj = tmp_path / "proj"
    text = (proj / "plan.yaml").read_text(encoding="utf-8")
    assert "# seed of every bootstrap" in text and "- type: table_one" in text
    plan = read_plan(proj / "plan.yaml")  # valid as written; all files exist
    assert set(plan.data) == {"dss", "cirt", "fracture", "bkp", "readers"}
    for name in plan.data:
        assert load_mapping(proj / "mappings" / f"{name}.yaml").schema == name
        assert (proj / "exports" / f"{name}.csv").read_text(encoding="utf-8").startswith(
            "patient_id," if name != "readers" else "case_id,")
    assert "size_cm: cm" in (proj / "mappings" / "dss.yaml").read_text(encoding="utf-8")
    r = cli("init", str(proj))
    assert r.returncode == 2 and "not empty" in r.stderr


def test_prespecified_block_is_checked_and_a_changed_locked_plan_is_a_deviation(tmp_path):
    from spinestats.data_schemas.plan_lock import lock_plan

    with pytest.raises(UsageError, match="prespecified"):
        read_plan(write_plan(tmp_path / "bad", prespecified={"score": "dss", "cutof": 3, "positive": "malignant"}))
    block = {"score": "dss", "cutoff": 3, "positive": "malignant"}
    plan = write_plan(tmp_path / "p", prespecified=block)
    lock_plan(plan)
    ok = run_plan(plan, tmp_path / "o1")
    assert ok["plan_lock"]["locked"] is True and ok["plan_lock"]["matches"] is True
    assert ok["plan_hash"] == ok["plan_lock"]["locked_hash"]
    assert not any("plan deviation" in w.lower() for w in ok["warnings"])
    write_plan(tmp_path / "p", prespecified=dict(block, cutoff=4))  # changed after locking
    changed = run_plan(plan, tmp_path / "o2")
    assert changed["plan_lock"]["matches"] is False
    assert any(w.startswith("Plan deviation: the plan was changed after it was locked") for w in changed["warnings"])
    assert "Plan deviation: the plan was changed" in (tmp_path / "o2" / "report.html").read_text(encoding="utf-8")


def test_job_csv_tables_are_also_written_in_the_other_formats(tmp_path):
    from docx import Document
    from openpyxl import load_workbook

    from spinestats.reports.plan_runner import complete_table_formats
    from spinestats.reports.section import Section

    (tmp_path / "tables").mkdir()
    pd.DataFrame({"measure": ["-diff", "auc"], "estimate": [-0.25, 0.95], "n": [10, 59]}).to_csv(
        tmp_path / "tables" / "acc.csv", index=False)
    text = (tmp_path / "tables" / "acc.csv").read_text().replace("-diff", "'-diff")  # as escape_frame writes it
    (tmp_path / "tables" / "acc.csv").write_text(text)
    sec = complete_table_formats(Section("k", "K", {}, tables=(Path("tables/acc.csv"),)), tmp_path, ("csv", "xlsx", "docx", "md"))
    assert [p.as_posix() for p in sec.tables] == ["tables/acc.csv", "tables/acc.xlsx", "tables/acc.docx", "tables/acc.md"]
    ws = load_workbook(tmp_path / "tables" / "acc.xlsx").active
    assert ws.title == "acc" and ws["A1"].value == "Acc"  # named sheet, title row
    assert [c.value for c in ws[3]] == ["Measure", "Estimate", "N"]
    assert [c.value for c in ws[4]] == ["'-diff", -0.25, 10]  # numbers stay numbers; text formula-escaped once
    assert ws["B4"].number_format == '0.00;"\u2212"0.00' and ws["C4"].number_format == "0"  # a true minus
    cells = [[c.text for c in r.cells] for r in Document(str(tmp_path / "tables" / "acc.docx")).tables[0].rows]
    assert cells[0] == ["Measure", "Estimate", "N"]
    assert cells[1] == ["-diff", "\u22120.25", "10"] and cells[2] == ["auc", "0.95", "59"]


def test_manuscript_copies_are_formatted_by_the_style():
    from spinestats.reports.tables import manuscript_frame

    frame = pd.DataFrame({"term": ["sins", "lytic"], "shr": [1.4123, 4.03], "lower": [1.17, 1.15], "upper": [1.69, 14.14],
                          "p": [0.0004, 0.0312], "wilcoxon_p_holm": [0.06, 1.0], "n": [30, 30],
                          "mean_diff": [-2.125, 0.5], "ci_low": [-3.26, -0.1], "ci_high": [-0.99, 1.1]})
    m = manuscript_frame(frame, "nejm", "dash", 2)
    assert list(m.columns) == ["Term", "sHR (95% CI)", "p", "p (Wilcoxon, Holm)", "N", "Mean change (95% CI)"]
    assert m["sHR (95% CI)"].tolist() == ["1.41 (1.17\u20131.69)", "4.03 (1.15\u201314.14)"]
    assert m["p"].tolist() == ["<0.001", "0.03"] and m["p (Wilcoxon, Holm)"].tolist() == ["0.06", ">0.99"]
    assert m["Mean change (95% CI)"].tolist() == ["\u22122.13 (\u22123.26 to \u22120.99)", "0.50 (\u22120.10 to 1.10)"]
    assert m["N"].tolist() == ["30", "30"]
    assert frame["shr"].iloc[0] == 1.4123  # input untouched


def test_progress_bar_only_on_a_terminal_outside_ci(monkeypatch):
    import io

    from spinestats.reports.progress import Reporter

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("SPINESTATS_NO_PROGRESS", raising=False)
    term = Terminal()
    rep = Reporter(stream=term)
    assert rep.show_bar
    with rep.steps(2, "analyses"):
        with rep.step("dss"):
            pass
        with rep.step("survival"):
            pass
    assert "2/2" in term.getvalue()
    monkeypatch.setenv("CI", "true")
    assert not Reporter(stream=Terminal()).show_bar
    assert not Reporter(stream=io.StringIO()).show_bar
    monkeypatch.delenv("CI")
    quiet = Terminal()
    r = Reporter(stream=quiet, quiet=True, verbose=True)
    with r.steps(1):
        with r.step("x"):
            pass
    assert quiet.getvalue() == "" and not r.show_bar


def test_raw_identifiers_in_an_output_refuse_the_run(tmp_path):
    from spinestats.reports.plan_runner import LoadedInput, scan_identifiers

    class T:
        data = pd.DataFrame({"patient_id": ["CAFE-001", "CAFE-002"]})

    inputs = {"cafe": LoadedInput("cafe", Path("x"), T(), {})}
    assert scan_identifiers('{"id": "CAFE-002"}', inputs) == ["cafe:patient_id"]
    assert scan_identifiers("a,CAFE-001,b\n", inputs) == ["cafe:patient_id"]
    assert scan_identifiers('{"id": "P-3a9f0c1b2d", "title": "CAFE-0012 trial"}', inputs) == []


DSS = Path(__file__).resolve().parents[1] / "data_schemas" / "examples" / "synthetic_dss.csv"


def _svg_width_mm(path: Path) -> float:
    import re

    head = path.read_text(encoding="utf-8")[:2000]
    pt = float(re.search(r'<svg[^>]*\swidth="([0-9.]+)pt"', head).group(1))
    return pt * 25.4 / 72  # matplotlib writes SVG sizes in points


@pytest.mark.parametrize("width, expected_mm", [("single", 85.0), ("double", 170.0), (90, 90.0)])
def test_the_plans_column_width_preset_reaches_the_figures(tmp_path, width, expected_mm):
    """output.figures.width sets what one journal column is; a single-column ROC figure follows it."""
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "dss.csv").write_bytes(DSS.read_bytes())
    plan = write_plan(
        folder,
        data={"dss": {"file": "dss.csv", "schema": "dss"}},
        analyses=[{"type": "dss", "data": "dss"}],
        output={"figures": {"formats": ["svg"], "width": width}, "tables": {"formats": ["csv"]}},
    )
    run_plan(plan, tmp_path / "out")
    assert _svg_width_mm(tmp_path / "out" / "figures" / "dss_roc.svg") == pytest.approx(expected_mm, abs=0.01)


def test_an_unknown_column_width_is_refused(tmp_path, cli):
    plan = write_plan(tmp_path / "p", output={"figures": {"width": "triple"}})
    ran = cli("run", str(plan), "--out", str(tmp_path / "out"))
    assert ran.returncode == 2
    assert "output > figures > width: 'triple' is not allowed" in ran.stderr
    assert "one of 'single', 'onehalf', 'double'; or number from 30 to 250" in ran.stderr


def test_sort_warnings_keeps_numerical_warnings_and_leaves_out_what_is_not_about_the_numbers():
    from spinestats.reports.placement import FigureTextWarning
    from spinestats.reports.plan_runner import sort_warnings

    text, numeric = sort_warnings([
        (RuntimeWarning, "divide by zero encountered in log"),
        (FigureTextWarning, "The label was shortened."),
        (UserWarning, "Glyph 12501 (\\N{KATAKANA LETTER HU}) missing from font(s) DejaVu Sans."),
        (RuntimeWarning, "More than 20 figures have been opened. Figures created through the pyplot interface ..."),
        (ResourceWarning, "unclosed file <_io.BufferedReader name='x.ttf'>"),
        (UserWarning, "More than 20 figures have been opened."),  # the pattern counts only as Matplotlib raises it
    ])
    assert text == ["The label was shortened."]
    assert numeric == {"RuntimeWarning: divide by zero encountered in log",
                       "UserWarning: More than 20 figures have been opened."}


def test_figures_left_open_in_the_session_leave_results_json_as_it_is(tmp_path):
    """A notebook holding as many pyplot figures as Matplotlib's figure.max_open_warning (20): the first
    figure an analysis then makes raises Matplotlib's "More than 20 figures have been opened" warning, which
    says nothing about the numbers and stays out of results.json (it was listed there as the analysis's
    numerical warning, so the file depended on what the session held)."""
    import matplotlib.pyplot as plt

    plan = write_plan(tmp_path / "p", analyses=[{"type": "pain", "data": "cafe"}],
                      output={"figures": {"formats": ["png"], "dpi": [72]}, "tables": {"formats": ["csv"]}})
    run_plan(plan, tmp_path / "a")
    plt.close("all")
    opened = [plt.figure() for _ in range(plt.rcParams["figure.max_open_warning"])]
    try:
        with pytest.warns(RuntimeWarning, match="figures have been opened"):  # the warning is raised ...
            plt.close(plt.figure())
        run_plan(plan, tmp_path / "b")
    finally:
        for fig in opened:
            plt.close(fig)
    ta = (tmp_path / "a" / "results.json").read_text(encoding="utf-8").splitlines()
    tb = (tmp_path / "b" / "results.json").read_text(encoding="utf-8").splitlines()
    assert [x for x, y in zip(ta, tb) if x != y and '"generated_at"' not in x] == [] and len(ta) == len(tb)
    assert "figures have been opened" not in "\n".join(tb)  # ... and left out


def test_longest_first_scheduling_keeps_the_plan_order_and_the_numbers(tmp_path):
    """With workers the pain analysis (long) is sent before Table 1 (short); results.json is unchanged."""
    from spinestats.reports.plan_runner import EXPECTED_COST

    assert EXPECTED_COST["pain"] > EXPECTED_COST["table_one"]  # so the order of the work really changes here
    plan = write_plan(tmp_path / "p", analyses=[
        {"type": "table_one", "data": "cafe", "group": "arm", "variables": ["age"]},
        {"type": "pain", "data": "cafe"}],
        output={"figures": {"formats": ["png"], "dpi": [72]}, "tables": {"formats": ["csv"]}})
    a = run_plan(plan, tmp_path / "a")
    b = run_plan(plan, tmp_path / "b", workers=2)
    ta = (tmp_path / "a" / "results.json").read_text(encoding="utf-8").splitlines()
    tb = (tmp_path / "b" / "results.json").read_text(encoding="utf-8").splitlines()
    assert [x for x, y in zip(ta, tb) if x != y and '"generated_at"' not in x] == [] and len(ta) == len(tb)
    assert [k for k in b if k in ("table_one", "pain")] == ["table_one", "pain"] == [k for k in a if k in ("table_one", "pain")]
    assert a["pain"]["mixed_model"] == b["pain"]["mixed_model"] and a["table_one"]["n"] == b["table_one"]["n"]


def test_plan_with_non_text_data_names_gets_a_clear_error(tmp_path):
    """YAML keys need not be text: errors under ``false:`` and ``"":`` are ordered without
    comparing a boolean with a text (found by test_random_plans_never_crash)."""
    plan = tmp_path / "p.yaml"
    plan.write_text('schema_version: 1\ndata:\n  false: {file: 3}\n  "": {file: 4}\n'
                    'analyses: [{type: dss, data: x}]\n', encoding="utf-8")
    with pytest.raises(UsageError, match="is not of type 'string'"):
        read_plan(plan)


def test_a_plan_computes_here_with_the_blas_threads_of_its_workers(tmp_path, monkeypatch):
    """run_plan called from Python (where NumPy's BLAS has a thread per core) runs its analyses with
    the BLAS threads of a pool worker (one, as the environment does not size them), SciPy's BLAS
    included, and gives the session its threads back: an analysis gives the same digits here as in a
    worker (test_longest_first_scheduling_keeps_the_plan_order_and_the_numbers)."""
    from threadpoolctl import threadpool_info, threadpool_limits

    from spinestats.reports import plan_runner
    from spinestats.reports.collector import THREAD_VARIABLES

    def blas():
        return {p["filepath"]: p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"}

    for var in THREAD_VARIABLES:
        monkeypatch.delenv(var, raising=False)
    seen = []
    real = plan_runner.call_job
    monkeypatch.setattr(plan_runner, "call_job", lambda *a, **k: seen.append(blas()) or real(*a, **k))
    plan = write_plan(tmp_path / "p", analyses=[{"type": "pain", "data": "cafe"}],
                      output={"figures": {"formats": ["png"], "dpi": [72]}, "tables": {"formats": ["csv"]}})
    with threadpool_limits(limits=2, user_api="blas"):  # a session on a two-core machine
        before = blas()
        assert set(before.values()) == {2}
        run_plan(plan, tmp_path / "a")
        after = blas()
    import scipy.linalg  # noqa: F401 - loads SciPy's BLAS, if run_plan had not

    assert len(seen) == 1 and set(seen[0]) == set(blas())  # NumPy's and SciPy's BLAS, both loaded before
    assert set(seen[0].values()) == {1}  # and both computing with one thread, as in a worker
    assert {path: after[path] for path in before} == before  # the session's own threads again


def test_a_job_run_from_python_computes_with_the_blas_threads_of_a_worker(monkeypatch):
    """Each job's run() (run_by_keywords) computes with one BLAS thread, as the command line and a pool
    worker do, and gives the session its threads back."""
    from threadpoolctl import threadpool_info, threadpool_limits

    from spinestats.reports.collector import THREAD_VARIABLES
    from spinestats.reports.job import JobOptions, run_by_keywords

    def blas(*_args):
        return {p["filepath"]: p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"}

    for var in THREAD_VARIABLES:
        monkeypatch.delenv(var, raising=False)
    with threadpool_limits(limits=2, user_api="blas"):
        inside = run_by_keywords(blas, JobOptions)
        after = blas()
    assert inside and set(inside.values()) == {1}
    assert set(after.values()) == {2}


def test_unescape_frame_gives_back_what_escape_frame_was_given():
    """Reading a written table back (the other formats are made from the CSV) removes exactly the apostrophes
    escape_frame added, for object and pandas string columns and the headers, and no other."""
    from spinestats.formula_escape import escape_frame, unescape_frame

    frame = pd.DataFrame({"=sum": ["-diff", "'kept", "+1", "@x", "plain", None],
                          "s": pd.array(["=A1", "b", "\tt", "'=already", "c", None], dtype="string"),
                          "x": [-1.5, 2.0, 3.0, 4.0, 5.0, 6.0]})
    escaped = escape_frame(frame)
    assert list(escaped.columns) == ["'=sum", "s", "x"]
    assert escaped["'=sum"].tolist()[:4] == ["'-diff", "'kept", "'+1", "'@x"]
    assert escaped["s"].tolist()[:4] == ["'=A1", "b", "'\tt", "''=already"]  # its own apostrophe kept
    back = unescape_frame(escaped.copy())
    assert list(back.columns) == ["=sum", "s", "x"]
    assert back["=sum"].tolist() == frame["=sum"].tolist()
    assert back["s"].tolist() == frame["s"].tolist()
    assert back["x"].tolist() == frame["x"].tolist()

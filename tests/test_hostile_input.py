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


# -- XLSX: bounded before anything is built ---------------------------------------------------------

def _workbook(path: Path, rows: list[list[object]]) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def _rewrite_sheet(src: Path, dst: Path, edit) -> Path:
    import zipfile

    with zipfile.ZipFile(src) as zi, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zo:
        for name in zi.namelist():
            data = zi.read(name)
            if name == "xl/worksheets/sheet1.xml":
                data = edit(data.decode("utf-8")).encode("utf-8")
            zo.writestr(name, data)
    return dst


DSS_ROWS = [["patient_id", "reference", "size_cm", "boundary", "lobulated", "bone_destruction"],
            ["P1", "benign", 3, "distinct", "no", "no"], ["P2", "malignant", 6, "indistinct", "yes", "yes"]]


@pytest.fixture
def good_xlsx(tmp_path):
    return _workbook(tmp_path / "good.xlsx", DSS_ROWS)


def test_xlsx_with_a_huge_declared_dimension_is_refused_at_once(tmp_path, good_xlsx):
    import re

    bomb = _rewrite_sheet(good_xlsx, tmp_path / "dim.xlsx",
                          lambda x: re.sub(r'<dimension ref="[^"]+"', '<dimension ref="A1:XFD1048576"', x))
    assert bomb.stat().st_size < 10_000
    t0 = time.perf_counter()
    r = run("check", bomb, "--schema", "dss")
    assert time.perf_counter() - t0 < 15
    assert r.code == 1
    assert "dim.xlsx: value '1,048,576 rows x 16,384 columns' - sheet too large" in r.out
    assert "at most 5,000,000 cells" in r.out and "save the sheet as CSV" in r.out


def test_xlsx_row_bomb_is_refused(tmp_path, good_xlsx):
    bomb = _rewrite_sheet(good_xlsx, tmp_path / "rows.xlsx", lambda x: x.replace(
        "</sheetData>", '<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'))
    r = run("dss", bomb, "--out", tmp_path / "out")
    assert r.code == 1
    assert "rows.xlsx, sheet 'Sheet': it holds at least 1,048,576 rows x 6 columns" in r.err
    assert not (tmp_path / "out" / "results.json").exists()


def test_xlsx_dimension_declared_too_small_loses_no_row(tmp_path):
    import re

    rows = DSS_ROWS + [[f"P{i}", "benign", 2, "distinct", "no", "no"] for i in range(3, 9)]
    src = _workbook(tmp_path / "src.xlsx", rows)
    lying = _rewrite_sheet(src, tmp_path / "small.xlsx", lambda x: re.sub(r'<dimension ref="[^"]+"', '<dimension ref="A1:B2"', x))
    r = run("check", lying, "--schema", "dss")
    assert r.code == 0 and "rows read 8, valid 8" in r.out


def test_xlsx_zip_bomb_is_refused_before_unpacking(tmp_path, good_xlsx, monkeypatch):
    import zipfile

    from spinestats.data_schemas import reading

    monkeypatch.setattr(reading, "XLSX_MAX_UNPACKED", 1024 * 1024)  # the same check, at a testable scale
    bomb = tmp_path / "zip.xlsx"
    with zipfile.ZipFile(good_xlsx) as zi, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zo:
        for name in zi.namelist():
            zo.writestr(name, zi.read(name))
        zo.writestr("xl/media/padding.bin", b"\0" * (2 * 1024 * 1024))
    r = run("check", bomb, "--schema", "dss")
    assert r.code == 1
    assert "zip.xlsx: value '2 MB unpacked' - workbook too large" in r.out and "zip bomb" in r.out


def test_xlsx_formula_without_cached_value_is_reported(tmp_path):
    book = _workbook(tmp_path / "formulas.xlsx", DSS_ROWS + [["P3", "benign", "=SUM(1,2)", "distinct", "no", "no"]])
    r = run("check", book, "--schema", "dss")
    assert r.code == 1
    assert ("formulas.xlsx, line 4, column 'size_cm': value '=SUM(1,2)' - formula without a value" in r.out)
    assert "open and save the file in Excel" in r.out
    r = run("dss", book, "--out", tmp_path / "out")
    assert r.code == 1 and "1 formula cell without a stored result" in r.err


def test_xlsx_formula_with_cached_value_is_read(tmp_path, good_xlsx):
    book = _rewrite_sheet(good_xlsx, tmp_path / "cached.xlsx", lambda x: x.replace(
        '<c r="C2" t="n"><v>3</v></c>', '<c r="C2"><f>1+2</f><v>3</v></c>'))
    assert b"<f>1+2</f>" in __import__("zipfile").ZipFile(book).read("xl/worksheets/sheet1.xml")
    from spinestats.data_schemas.loading import load

    t = load(book, "dss")
    assert t.data.loc[2, "size_cm"] == 3.0


def test_file_larger_than_the_memory_limit_is_refused_before_reading(tmp_path, monkeypatch):
    from spinestats.data_schemas import reading

    assert 0 < reading.max_input_bytes() <= 2 * 1024 ** 3
    monkeypatch.setattr(reading, "max_input_bytes", lambda: 1024 * 1024)  # a small machine
    big = tmp_path / "big.csv"
    big.write_text(DSS_HEADER + "P1,benign,3,distinct,no,no\n" * 60_000, encoding="utf-8")
    r = run("check", big, "--schema", "dss")
    assert r.code == 1
    assert "big.csv: value '2 MB' - file too large: expected a file of at most 1 MB on this machine" in r.out
    r = run("dss", big, "--out", tmp_path / "out")
    assert r.code == 1 and f"({big.stat().st_size:,} bytes); this machine reads input files up to 1 MB" in r.err


# -- column mode of survival: times and event codes checked cell by cell -----------------------------

def _surv_csv(tmp_path: Path, extra: str = "", name: str = "surv.csv") -> Path:
    rows = "".join(f"{3 + (i * 7) % 60},{i % 2},{'AB'[i % 2]}\n" for i in range(20))  # lines 2-21
    p = tmp_path / name
    p.write_text("time,status,grp\n" + rows + extra, encoding="utf-8")
    return p


def _survival(tmp_path: Path, f: Path, *more: str) -> Ran:
    return run("survival", f, "--time", "time", "--event", "status", "--out", tmp_path / "out",
               "--figure-format", "png", "--dpi", "100", *more)


def test_date_typed_as_a_survival_time_is_refused_with_line_and_value(tmp_path):
    f = _surv_csv(tmp_path, "20240101,1,A\n")
    t0 = time.perf_counter()
    r = _survival(tmp_path, f)
    assert time.perf_counter() - t0 < 30
    assert r.code == 1
    assert ("surv.csv, line 22, column 'time': value 20240101 - implausible time: expected a follow-up time of "
            "at most 100 years (1,200 months") in r.err
    assert "looks like a date typed as a number (YYYYMMDD)" in r.err
    assert not (tmp_path / "out").exists()


def test_huge_infinite_and_text_times_are_refused_all_at_once(tmp_path):
    f = _surv_csv(tmp_path, "1e12,1,A\n1e300,0,B\ninf,1,A\nabc,0,B\n1e400,1,A\n")
    r = _survival(tmp_path, f)
    assert r.code == 1
    assert "5 problems on 5 rows" in r.err
    assert "line 22, column 'time': value '1e12' - implausible time" in r.err
    assert "line 23, column 'time': value '1e300' - implausible time" in r.err
    assert "line 24, column 'time': value 'inf' - not a finite number" in r.err
    assert "line 25, column 'time': value 'abc' - not a number: expected a follow-up time in months" in r.err
    assert "line 26, column 'time': value '1e400' - not a finite number" in r.err


def test_unit_decides_what_is_plausible(tmp_path):
    f = _surv_csv(tmp_path, "36000,1,A\n")  # 98.6 years in days: plausible; the risk table stays small
    r = _survival(tmp_path, f, "--unit", "days")
    assert r.code == 0, r.text
    r = _survival(tmp_path, f, "--unit", "months", "--force")
    assert r.code == 1 and "value 36000 - implausible time" in r.err


def test_event_codes_name_line_and_value(tmp_path):
    f = _surv_csv(tmp_path, "5,1.5,A\n6,あり,B\n7,なし,B\n8,3,A\n")
    r = _survival(tmp_path, f, "--event-codes", "EVENT=1,CENSOR=0")
    assert r.code == 1
    assert "surv.csv, line 22, column 'status': value '1.5' - not an integer: expected an integer event code (0, 1)" in r.err
    assert "line 23, column 'status': value 'あり' - not an event code" in r.err and "write 1 for あり" in r.err
    assert "line 24, column 'status': value 'なし' - not an event code" in r.err
    assert "line 25, column 'status': value '3' - undeclared event code: expected one of the declared codes 0, 1" in r.err


def test_survival_flow_reconciles_with_missing_values(tmp_path):
    import json

    f = _surv_csv(tmp_path, ",1,A\n5,,B\n6,1,\n")
    r = _survival(tmp_path, f, "--group", "grp")
    assert r.code == 0, r.text
    flow = json.loads((tmp_path / "out" / "results.json").read_text())["flow"]
    assert flow == {"rows": 23, "excluded_at_loading": 0, "excluded_missing": 3, "analysed": 20}
    assert flow["rows"] == flow["excluded_at_loading"] + flow["excluded_missing"] + flow["analysed"]
    assert "survival: 20 rows analysed" in r.out


def test_risk_table_grid_comes_from_axis_ticks_whatever_the_range():
    import numpy as np

    from spinestats.reports.step_plot import MAX_RISK_COLUMNS, risk_grid

    assert risk_grid(60.0, (6, 12, 24)).tolist() == [0, 12, 24, 36, 48, 60]  # round multiples as before
    for end in (36000.0, 20240101.0, 1e12, 1e300):
        grid = risk_grid(end, (6, 12, 24, 36, 48, 60, 120))
        assert 2 <= len(grid) <= MAX_RISK_COLUMNS and grid[0] == 0 and grid[-1] <= end
    assert risk_grid(float("inf"), (12,)).tolist() == [0.0] and np.all(risk_grid(0.0, (12,)) == 0)


# -- encodings: detected with charset-normalizer, a declared one is authoritative ---------------------

CENTRES = "patient_id,centre,reference,size_cm,boundary,lobulated,bone_destruction\n" + "".join(
    f"P{i},{c},benign,3,distinct,no,no\n" for i, c in enumerate(["Hôpital Saint-Éloi", "Zürich Universität",
                                                                 "Clínica Niño Jesús", "Genève"]))
JA = "患者ID,施設,参照,腫瘍径,境界,分葉,骨破壊\n" + "".join(
    f"P{i},{c},benign,3,distinct,no,no\n" for i, c in enumerate(["東京大学病院", "放射線医学総合研究所", "千葉"]))
JA_MAP = ("columns: {患者ID: patient_id, 施設: centre, 参照: reference, 腫瘍径: size_cm, 境界: boundary, "
          "分葉: lobulated, 骨破壊: bone_destruction}\n")


def _centres(tmp_path: Path, text: str, encoding: str, mapping: str | None = None, *declared: str):
    from spinestats.data_schemas.loading import load

    f = tmp_path / f"export_{encoding}.csv"
    f.write_bytes(text.encode(encoding))
    m = None
    if mapping:
        m = tmp_path / "ja.yaml"
        m.write_text(mapping, encoding="utf-8")
    args = ["check", f, "--schema", "dss", *(["--mapping", m] if m else []), *declared]
    return run(*args), load(f, "dss", mapping=m, encoding=declared[1] if declared else None)


def test_latin1_file_is_read_as_western_text_not_cp932(tmp_path):
    r, t = _centres(tmp_path, CENTRES, "latin-1")
    assert r.code == 0 and "encoding cp1252" in r.out
    assert list(t.data["centre"]) == ["Hôpital Saint-Éloi", "Zürich Universität", "Clínica Niño Jesús", "Genève"]


@pytest.mark.parametrize("encoding, shown", [("cp932", "cp932"), ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"),
                                             ("utf-16", "utf-16")])
def test_japanese_headers_in_every_usual_encoding(tmp_path, encoding, shown):
    text = JA.replace(",", "\t") if encoding == "utf-16" else JA
    r, t = _centres(tmp_path, text, encoding, JA_MAP)
    assert r.code == 0, r.text
    assert f"encoding {shown}" in r.out
    assert list(t.data["centre"]) == ["東京大学病院", "放射線医学総合研究所", "千葉"]
    assert not [p for p in t.warnings if p.rule == "encoding detected"]


def test_uncertain_detection_says_which_encoding_was_used(tmp_path):
    short = DSS_HEADER.replace("patient_id", "患者ID") + "P1,benign,3,distinct,no,no\n"  # also decodes as cp1252
    f = tmp_path / "short.csv"
    f.write_bytes(short.encode("cp932"))
    m = tmp_path / "m.yaml"
    m.write_text("columns: {患者ID: patient_id}\n", encoding="utf-8")
    r = run("check", f, "--schema", "dss", "--mapping", m)
    assert r.code == 0 and "VALID" in r.out and "encoding cp932" in r.out
    assert "short.csv: value 'cp932' - encoding detected" in r.out and "also decodes as cp1252" in r.out
    assert "--encoding" in r.out


def test_declared_encoding_is_authoritative(tmp_path):
    r, t = _centres(tmp_path, CENTRES, "latin-1", None, "--encoding", "latin-1")
    assert r.code == 0 and "encoding latin-1" in r.out
    assert t.data["centre"].iloc[0] == "Hôpital Saint-Éloi"
    f = tmp_path / "export_latin-1.csv"
    r = run("check", f, "--schema", "dss", "--encoding", "cp932")
    assert r.code == 1 and "export_latin-1.csv, line 3: value" in r.out and "expected text in the declared encoding cp932" in r.out


# -- nothing lost: plausible ranges, REDCap choices -----------------------------------------------------

def test_tumour_size_in_mm_inside_a_cm_column_is_warned(tmp_path):
    f = tmp_path / "sizes.csv"
    f.write_text(DSS_HEADER + "P1,benign,3.2,distinct,no,no\nP2,malignant,32,indistinct,yes,yes\n"
                 "P3,benign,61,distinct,no,no\n", encoding="utf-8")
    r = run("check", f, "--schema", "dss")
    assert r.code == 1  # 61 is beyond the hard bound (50 cm): an error
    assert "sizes.csv, line 4, column 'size_cm': value '61' - out of range" in r.out
    assert ("sizes.csv, line 3, column 'size_cm': value '32' - implausible value: expected a value from 0 to 20 cm "
            "(the plausible range; kept, please check it) - a value this large looks like millimetres") in r.out
    more = "".join(f"P{i},{'malignant' if i % 2 else 'benign'},{1 + i % 9},distinct,no,no\n" for i in range(3, 30))
    f.write_text(DSS_HEADER + "P1,benign,3.2,distinct,no,no\nP2,malignant,32,indistinct,yes,yes\n" + more,
                 encoding="utf-8")
    r = run("check", f, "--schema", "dss")
    assert r.code == 0 and "1 warning" in r.out and "line 3, column 'size_cm': value '32' - implausible value" in r.out
    r = run("dss", f, "--out", tmp_path / "out")
    assert r.code == 0
    assert "warning: sizes.csv, line 3, column 'size_cm': value '32' - implausible value" in r.err


def test_plausible_ranges_are_declared_in_the_schema():
    from spinestats.data_schemas.schema import get_schema

    assert get_schema("dss").column("size_cm").plausible == (0.0, 20.0)
    assert get_schema("readers").column("size_cm").plausible == (0.0, 20.0)
    assert get_schema("cirt").column("age").plausible is None


CIRT_RAW = ("patient_id,site,diagnosis_date,treatment_date,local_recurrence,local_recurrence_date,"
            "distant_metastasis,distant_metastasis_date,death,death_date,last_follow_up_date,total_dose_gye,"
            "fractions,separation_surgery")
CIRT_ROW = "C{i},lumbar,2020-01-01,2020-02-01,0,,0,,0,,2022-01-01,64,16,1"


def test_unknown_redcap_checkbox_choice_in_a_raw_export_is_an_error(tmp_path):
    header = CIRT_RAW + "".join(f",wbb_zones___{z}" for z in range(1, 14))
    rows = [CIRT_ROW.format(i=1) + "".join(f",{int(4 <= z <= 8)}" for z in range(1, 14)),
            CIRT_ROW.format(i=2) + "".join(f",{int(z in (5, 13))}" for z in range(1, 14))]
    f = tmp_path / "redcap.csv"
    f.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    r = run("check", f, "--schema", "cirt")
    assert r.code == 1
    assert "redcap.csv, line 3, column 'wbb_zones___13': value '1' - unknown checkbox choice" in r.text
    assert "'13' is not one" in r.text and "WBB zones 1-12" in r.text


def test_unknown_redcap_checkbox_choice_in_a_label_export_is_an_error(tmp_path):
    from spinestats.data_schemas.redcap import data_dictionary
    from spinestats.data_schemas.schema import get_schema

    d = data_dictionary(get_schema("cirt"))
    dictionary = tmp_path / "dict.csv"
    d.to_csv(dictionary, index=False)
    labels = dict(zip(d["Variable / Field Name"], d["Field Label"]))
    names = CIRT_RAW.split(",")
    header = [labels[n] for n in names] + [f"{labels['wbb_zones']} (choice=Zone {z})" for z in (4, 5, 13)]
    rows = ["C1,lumbar,2020-01-01,2020-02-01,No,,No,,No,,2022-01-01,64,16,Yes,Checked,Checked,Unchecked",
            "C2,lumbar,2020-01-01,2020-02-01,No,,No,,No,,2022-01-01,64,16,Yes,Unchecked,Checked,Checked"]
    f = tmp_path / "labels.csv"
    f.write_text(",".join(f'"{h}"' for h in header) + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    m = tmp_path / "m.yaml"
    m.write_text(f"redcap: {{dictionary: {dictionary.name}, export: labels}}\n", encoding="utf-8")
    r = run("check", f, "--schema", "cirt", "--mapping", m)
    assert r.code == 1, r.text
    assert ("labels.csv, line 3, column 'Wbb zones (choice=Zone 13)': value 'Checked' - unknown checkbox choice: "
            "expected a choice of checkbox field wbb_zones (1 (Zone 1)") in r.text
    f.write_text(f.read_text(encoding="utf-8").replace("Checked\n", "Unchecked\n"), encoding="utf-8")
    r = run("check", f, "--schema", "cirt", "--mapping", m)  # nothing ticked in the unknown choice: nothing lost
    assert r.code == 0, r.text


# -- internal errors that are the user's: clear usage (2) or data (1) errors -------------------------

def test_pain_without_follow_up_visits(tmp_path):
    f = tmp_path / "bkp.csv"
    f.write_text("patient_id,arm,nrs_baseline,nrs_1m\nB1,BKP,7,\nB2,BKP,8,\nB3,control,6,\nB4,control,5,\n",
                 encoding="utf-8")
    r = run("pain", f, "--out", tmp_path / "out")
    assert r.code == 1
    assert "no follow-up NRS" in r.err and "nrs_1w, nrs_1m" in r.err
    assert not (tmp_path / "out" / "results.json").exists()


@pytest.mark.parametrize("args, message", [
    (("buderer", "--sensitivity", "0.9", "--specificity", "0.8", "--prevalence", "0.3", "--precision", "0.1",
      "--level", "1.5"), "Invalid value for '--level': 1.5 is not strictly between 0 and 1"),
    (("buderer", "--sensitivity", "0.9", "--specificity", "0.8", "--prevalence", "0.3", "--precision", "0.1",
      "--level", "nan"), "Invalid value for '--level': nan is not strictly between 0 and 1"),
    (("buderer", "--sensitivity", "90", "--specificity", "0.8", "--prevalence", "0.3", "--precision", "0.1"),
     "Invalid value for '--sensitivity': 90 is not strictly between 0 and 1; give a proportion such as 0.95 (not 95)"),
    (("auc", "--auc", "0.8", "--power", "0.8", "--sig-level", "0"), "Invalid value for '--sig-level'"),
    (("kappa", "--kappa0", "0.4", "--kappa1", "0.8", "--prevalence", "0.3", "--alpha", "1"),
     "Invalid value for '--alpha'"),
    (("buderer", "--sensitivity", "0.9", "--specificity", "0.8", "--prevalence", "0.3", "--precision", "-1"),
     "Invalid value for '--precision': -1 is not a finite number > 0"),
])
def test_sample_size_with_a_bad_level(args, message):
    r = run("sample-size", *args)
    assert r.code == 2 and message in r.err


def test_dpi_zero_is_a_usage_error(tmp_path):
    r = run("survival", _surv_csv(tmp_path), "--time", "time", "--event", "status", "--out", tmp_path / "out",
            "--dpi", "0")
    assert r.code == 2 and "Invalid value for '--dpi': 0 is not in the range 50<=x<=2400" in r.err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("mapping, message", [
    ('delimiter: ";;"\n', "delimiter must be one character such as ',', ';' or a tab"),
    ("delimiter: 5\n", "delimiter must be one character"),
    ('dates: "%Q-%m-%d"\n', "dates '%Q-%m-%d' does not give the year, month and day"),
    ('dates: "%Y-%m-%d %"\n', "dates '%Y-%m-%d %' is not a usable date format"),
    ("encoding: [utf-8]\n", "'encoding' must be a single text or number, not a list"),
    ("encoding: klingon\n", "Unknown encoding 'klingon'"),
    ("missing: [{a: 1}]\n", "each 'missing' entry must be a single text or number, not a mapping"),
    ("redcap: {dictonary: d.csv}\n", "unknown redcap key 'dictonary'"),
])
def test_bad_mapping_values_are_usage_errors(tmp_path, mapping, message):
    m = tmp_path / "bad_mapping.yaml"
    m.write_text(mapping, encoding="utf-8")
    r = run("check", dss_csv(tmp_path), "--schema", "dss", "--mapping", m)
    assert r.code == 2 and "bad_mapping.yaml" in r.err and message in r.err


def test_a_strftime_date_format_in_a_mapping_still_works(tmp_path):
    from spinestats.data_schemas.loading import load

    import re

    text = (Path(__file__).parents[1] / "data_schemas" / "examples" / "synthetic_cirt.csv").read_text(encoding="utf-8")
    iso = tmp_path / "iso.csv"
    iso.write_text(text, encoding="utf-8")
    f = tmp_path / "cirt.csv"
    f.write_text(re.sub(r"(\d{4})-(\d{2})-(\d{2})", r"\3.\2.\1", text), encoding="utf-8")
    m = tmp_path / "dates.yaml"
    m.write_text('dates: "%d.%m.%Y"\n', encoding="utf-8")
    t = load(f, "cirt", mapping=m)
    assert t.data["treatment_date"].equals(load(iso, "cirt").data["treatment_date"])


def test_parquet_with_time_zone_aware_dates(tmp_path):
    import pandas as pd

    src = Path(__file__).parents[1] / "data_schemas" / "examples" / "synthetic_cirt.csv"
    d = pd.read_csv(src, comment="#")
    for c in [c for c in d.columns if c.endswith("_date")]:
        d[c] = pd.to_datetime(d[c]).dt.tz_localize("Asia/Tokyo")
    f = tmp_path / "tz.parquet"
    d.to_parquet(f)
    r = run("check", f, "--schema", "cirt")
    assert r.code == 0, r.text
    assert "column 'treatment_date': value 'Asia/Tokyo' - time zone dropped" in r.out
    from spinestats.data_schemas.loading import load

    t = load(f, "cirt")
    assert str(t.data["treatment_date"].dtype) == "datetime64[ns]"
    assert t.data["treatment_date"].iloc[0] == pd.Timestamp(d["treatment_date"].iloc[0].tz_localize(None))


def test_ragged_rows_in_check_name_every_line(tmp_path):
    f = tmp_path / "ragged.csv"
    f.write_text("# exported 2024\n" + DSS_HEADER + 'P1,benign,3,distinct,no,"two\nlines"\n'
                 "P2,benign,3,distinct,no,no,extra,more\nP3,benign,3,distinct,no,no\nP4,benign,3,distinct,no,no,,\n",
                 encoding="utf-8")
    r = run("check", f, "--schema", "dss")
    assert r.code == 1
    assert ("ragged.csv, line 5: value 'extra,more' - table shape: expected 6 cells as in the header (line 2); "
            "this row has 8") in r.out
    assert "ragged.csv, line 7: value ',' - table shape" in r.out and "the extra cells are empty" in r.out


def test_multicenter_positive_1_reads_a_clean_0_1_reference_as_accuracy_does(tmp_path):
    import csv
    import json

    src = Path(__file__).parents[1] / "data_schemas" / "examples" / "synthetic_multicenter.csv"
    rows = list(csv.DictReader(line for line in src.read_text(encoding="utf-8").splitlines() if not line.startswith("#")))
    coded, labelled = tmp_path / "coded.csv", tmp_path / "labelled.csv"
    coded.write_text("centre,dss,malignant\n" + "".join(
        f"{r['centre']},{r['dss']},{int(r['reference'] == 'malignant')}\n" for r in rows), encoding="utf-8")
    labelled.write_text("centre,dss,reference\n" + "".join(
        f"{r['centre']},{r['dss']},{r['reference']}\n" for r in rows), encoding="utf-8")
    r = run("multicenter", coded, "--center", "centre", "--score", "dss", "--truth", "malignant", "--positive", "1",
            "--out", tmp_path / "a", "--figure-formats", "none")
    assert r.code == 0, r.text
    r2 = run("multicenter", labelled, "--center", "centre", "--score", "dss", "--truth", "reference",
             "--positive", "malignant", "--out", tmp_path / "b", "--figure-formats", "none")
    assert r2.code == 0, r2.text
    a = json.loads((tmp_path / "a" / "results.json").read_text(encoding="utf-8"))
    b = json.loads((tmp_path / "b" / "results.json").read_text(encoding="utf-8"))
    assert a["per_center"] == b["per_center"] and a["pooled"] == b["pooled"]
    assert sum(c["n_positive"] for c in a["per_center"]) == sum(r["reference"] == "malignant" for r in rows) == 163
    r3 = run("multicenter", coded, "--center", "centre", "--score", "dss", "--truth", "malignant", "--positive", "2",
             "--out", tmp_path / "c", "--figure-formats", "none")
    assert r3.code == 2 and "--positive '2': not a value of 'malignant' (values: 0, 1)" in r3.err
    coded.write_text(coded.read_text(encoding="utf-8") + "Centre A (synthetic),4,unclear\n", encoding="utf-8")
    r4 = run("multicenter", coded, "--center", "centre", "--score", "dss", "--truth", "malignant", "--positive", "1",
             "--out", tmp_path / "d", "--figure-formats", "none")
    assert r4.code == 1 and f"coded.csv, line {len(rows) + 2}, column 'malignant': value 'unclear' - third" in r4.err


def test_accuracy_column_mode_names_line_and_value(tmp_path):
    f = tmp_path / "acc.csv"
    f.write_text("score,truth\n1,0\n2,1\nabc,1\n3,\n4,maybe\ninf,1\n5,0\n", encoding="utf-8")
    r = run("accuracy", f, "--score", "score", "--truth", "truth", "--positive", "1", "--out", tmp_path / "out")
    assert r.code == 1
    assert "acc.csv: 3 problems on 3 rows in the score and reference columns" in r.err
    assert "acc.csv, line 4, column 'score': value 'abc' - not a number" in r.err
    assert "acc.csv, line 6, column 'truth': value 'maybe' - third reference label" in r.err
    assert "acc.csv, line 7, column 'score': value 'inf' - not a finite number" in r.err
    assert not (tmp_path / "out" / "results.json").exists()


def test_schema_mode_follow_up_over_100_years_is_a_mistyped_year(tmp_path):
    f = tmp_path / "cirt.csv"
    f.write_text(CIRT_RAW + "\n" + CIRT_ROW.format(i=1) + "\n"
                 + CIRT_ROW.format(i=2).replace("2020-01-01,2020-02-01", "1920-01-01,1920-02-01") + "\n",
                 encoding="utf-8")
    r = run("check", f, "--schema", "cirt")
    assert r.code == 1
    assert ("cirt.csv, line 3, column 'last_follow_up_date': value '2022-01-01' - follow_up_plausible: expected a "
            "last follow-up within 100 years of treatment_date (1920-02-01, column 'treatment_date'); 102 years "
            "suggests a mistyped year") in r.out


def test_xlsx_with_a_document_type_declaration_is_refused(tmp_path, good_xlsx):
    doctype = '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'

    def edit(x: str) -> str:
        head, sep, rest = x.partition("?>") if x.startswith("<?xml") else ("", "", x)
        return head + sep + doctype + rest

    book = _rewrite_sheet(good_xlsx, tmp_path / "dtd.xlsx", edit)
    r = run("check", book, "--schema", "dss")
    assert r.code == 1 and "dtd.xlsx" in r.out and "document type declaration" in r.out


def test_running_out_of_memory_is_a_clear_data_error(tmp_path, monkeypatch):
    from spinestats.data_schemas import loading

    def exhausted(*_args, **_kwargs):
        raise MemoryError

    monkeypatch.setattr(loading, "_load_schema", exhausted)  # memory runs out while checking the rows
    data = dss_csv(tmp_path, rows=40)
    r = run("check", data, "--schema", "dss")
    assert r.code == 1 and "MemoryError" not in r.text
    assert "dss.csv: value '0 MB' - out of memory" in r.out
    r = run("dss", data, "--out", tmp_path / "out")
    assert r.code == 1
    assert f"dss.csv: 0 MB ({data.stat().st_size:,} bytes); the machine ran out of memory while reading" in r.err
    assert "input files are accepted up to" in r.err

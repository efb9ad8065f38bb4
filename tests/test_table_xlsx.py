"""The XLSX written directly (reports/table_xlsx.py) shows what the openpyxl-built workbook showed
(tests/xlsx_reference.py, the writer spinestats used before): every cell's value, type, number format,
font and alignment, the merged ranges, column widths, sheet name and properties, read back through
openpyxl; the package is valid (every part well-formed XML, every part typed and related); and
writing a table imports neither openpyxl nor python-docx."""

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from lxml import etree
from test_office_zip import CASES as DOCX_CASES
from xlsx_compare import differences, shown
from xlsx_reference import write_xlsx_reference

from spinestats.reports import tables
from spinestats.reports.tables import Col, Table, TableStyle, write_docx, write_xlsx

EXAMPLES = Path(__file__).resolve().parents[1] / "spinestats" / "data_schemas" / "examples"


def _hostile() -> pd.DataFrame:
    """Text a spreadsheet would run (formulas), XML specials, CJK, outer spaces, line breaks and tabs."""
    return pd.DataFrame({
        "Label": ["=HYPERLINK(\"http://x\")", "+1+1", "-2-3", "@SUM(A1)", "a & b < c > d \"q\" 'a'",
                  "年齢 − 高齢 (歳)", "  outer  ", "line\r\nbreak\ttab", "\u2003≥ 65"],
        "n": [1, 2, 3, 4, 5, 6, 7, 8, 9],
    })


def _numbers() -> Table:
    """Counts, decimals, APA p-values, negatives (true minus), NaN/None, huge and tiny numbers, percentages."""
    data = pd.DataFrame({
        "name": ["a", "b", "c", "d", None, "f"],
        "count": [3, None, 1_000_000, -4, 0, float("nan")],
        "est": [1.5, -2.25, float("nan"), 0.0, 1e20, -1e-9],
        "p": [0.012, 0.5, 0.0001, 1.0, None, 0.049999],
        "pct": [12.345, 0.0, 100.0, None, 33.333333, 7.0],
        "lo": [1.0, -3.0, None, -0.5, 1.0, -1.0], "hi": [2.0, -1.0, None, 0.5, 2.0, 1.0],
    })
    cols = (Col("name", "Name"), Col("count", "N", "int"), Col("est", "Estimate", "num"),
            Col("p", "p", "p"), Col("pct", "Share (%)", "pct", digits=1),
            Col("est", "Estimate (95% CI)", "ci", "lo", "hi", na="NA"))
    return Table(data, cols, "Numbers", ("A footnote & <b>not markup</b>",), "numbers")


def _grouped() -> Table:
    data = pd.DataFrame({"c": ["Modality", "CIRT", "SBRT"], "n1": [40, None, None], "h1": [None, 1.5, 0.5],
                         "n2": [38, None, None], "h2": [None, 1.2, 0.6], "ind": [False, True, True]})
    cols = (Col("c", "Characteristic"), Col("n1", "Univariable: N", "int", group="Univariable"),
            Col("h1", "Univariable: HR", "num", group="Univariable"), Col("n2", "Multivariable: N", "int", group="Multivariable"),
            Col("h2", "Multivariable: HR", "num", group="Multivariable"))
    return Table(data, cols, "Table 2. Spans", (), "spans", indent="ind")


CASES = {
    **{f"docx case: {k}": v for k, v in DOCX_CASES.items()},
    "formula-escaped, XML specials, CJK": (_hostile, {"title": "=1+2 & <title>"}),
    "numbers, NaN/None": (_numbers, {}),
    "numbers, APA style": (_numbers, {"style": TableStyle(p_style="apa", digits=3)}),
    "spans and indent": (_grouped, {}),
    "empty table": (lambda: pd.DataFrame({"Name": pd.Series([], dtype=object), "n": pd.Series([], dtype=int)}), {}),
    "empty table, titled": (lambda: pd.DataFrame({"Name": pd.Series([], dtype=object)}), {"title": "Nothing"}),
}
STEMS = ("t", "a_sheet_name_longer_than_thirty_one_characters_in_all", "bad[chars]:*?\\here")


@pytest.mark.parametrize("stem", STEMS)
@pytest.mark.parametrize("case", list(CASES))
def test_direct_xlsx_shows_what_the_openpyxl_workbook_showed(tmp_path, case, stem):
    make, kw = CASES[case]
    (tmp_path / "ours").mkdir()
    (tmp_path / "ref").mkdir()
    write_xlsx(make(), tmp_path / "ours" / f"{stem}.xlsx", **kw)
    write_xlsx_reference(make(), tmp_path / "ref" / f"{stem}.xlsx", **kw)
    assert differences(tmp_path / "ours" / f"{stem}.xlsx", tmp_path / "ref" / f"{stem}.xlsx") == []


def test_the_comparison_sees_a_difference(tmp_path):
    """The oracle comparison is not vacuous: a changed number format, font or value is reported."""
    write_xlsx(_numbers(), tmp_path / "a.xlsx")
    write_xlsx_reference(_numbers(), tmp_path / "b.xlsx", style=TableStyle(digits=3))
    found = differences(tmp_path / "a.xlsx", tmp_path / "b.xlsx")
    assert any(line.startswith("C4:") and "'0.00'" in line and "'0.000'" in line for line in found), found


def test_values_formats_and_styles_as_written(tmp_path):
    write_xlsx(_numbers(), tmp_path / "numbers.xlsx")
    s = shown(tmp_path / "numbers.xlsx")
    cells = s["cells"]
    assert s["sheet"] == "numbers" and s["title"] == "Numbers" and s["creator"] == "spinestats"
    assert cells["A1"][0] == ("str", "Numbers") and cells["A1"][3][0] is True  # bold title
    assert cells["B3"][0] == ("str", "N") and cells["B3"][4] == "right" and cells["A3"][4] is None
    assert cells["B4"][0] == ("number", 3.0) and cells["B4"][2] == "0"
    assert cells["C5"][0] == ("number", -2.25) and cells["C5"][2] == '0.00;"\u2212"0.00'
    assert cells["D6"][0] == ("str", "<0.001") and cells["D6"][4] == "right"
    assert cells["C8"][0] == ("number", 1e20)
    assert "B5" not in cells or cells["B5"][0] == ("NoneType", None)  # a missing count: an empty cell
    assert cells["A11"][0] == ("str", "A footnote & <b>not markup</b>") and cells["A11"][3] == (False, True, 9.0, "Calibri")
    assert s["widths"]["F"] == len("100000000000000000000.00 (1.00–2.00)") + 2  # the widest text, 2 to spare
    assert s["widths"]["A"] == 8  # at least 8


def test_floats_read_back_exactly(tmp_path):
    import openpyxl

    values = [0.1 + 0.2, 2.9897330595482545, -1.5668749431204267, 1e-300, 123456789.12345679]
    data = pd.DataFrame({"v": values})
    write_xlsx(Table(data, (Col("v", "Value", "num", digits=17),)), tmp_path / "f.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "f.xlsx").active
    got = [ws.cell(row=2 + i, column=1).value for i in range(len(values))]
    numbers = [g for g in got if isinstance(g, float)]
    assert numbers and all(v in values for v in numbers)  # each number stored is the float itself


def test_characters_xml_cannot_hold_are_removed_before_formula_escaping(tmp_path):
    """openpyxl refuses a cell holding a control character (IllegalCharacterError); the direct writer
    removes it, then escapes what would run as a formula; the DOCX removes it too."""
    import openpyxl

    bad = pd.DataFrame({"Label": ["\x01=1+2", "ok\x0b\x1f\ufffe", "tab\tkept"], "n": [1, 2, 3]})
    clean = pd.DataFrame({"Label": ["=1+2", "ok", "tab\tkept"], "n": [1, 2, 3]})
    with pytest.raises(openpyxl.utils.exceptions.IllegalCharacterError):
        write_xlsx_reference(bad, tmp_path / "refused.xlsx")
    (tmp_path / "ours").mkdir()
    (tmp_path / "ref").mkdir()
    write_xlsx(bad, tmp_path / "ours" / "t.xlsx", title="Title\x07")
    write_xlsx_reference(clean, tmp_path / "ref" / "t.xlsx", title="Title")
    assert differences(tmp_path / "ours" / "t.xlsx", tmp_path / "ref" / "t.xlsx") == []
    assert shown(tmp_path / "ours" / "t.xlsx")["cells"]["A4"][0] == ("str", "'=1+2")
    write_docx(bad, tmp_path / "t.docx", title="Title\x07")
    from docx import Document

    assert [c.text for c in Document(str(tmp_path / "t.docx")).tables[0].columns[0].cells] == \
        ["Label", "=1+2", "ok", "tab\tkept"]


def _check_package(path: Path) -> None:
    """Every member well-formed XML, typed in [Content_Types].xml, and every relationship target present."""
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
        names = z.namelist()
        assert names[0] == "[Content_Types].xml"
        parts = {n: etree.fromstring(z.read(n)) for n in names}
    ct = "{http://schemas.openxmlformats.org/package/2006/content-types}"
    types = parts["[Content_Types].xml"]
    defaults = {el.get("Extension") for el in types.iter(ct + "Default")}
    overrides = {el.get("PartName")[1:] for el in types.iter(ct + "Override")}
    assert overrides <= set(names)
    assert all(n in overrides or n.rsplit(".", 1)[-1] in defaults for n in names if n != "[Content_Types].xml")
    for n in names:
        if n.endswith(".rels"):
            base = n.replace("_rels/", "").removesuffix(".rels")
            folder = base.rsplit("/", 1)[0] if "/" in base else ""
            for rel in parts[n]:
                target = rel.get("Target")
                full = target[1:] if target.startswith("/") else (f"{folder}/{target}" if folder else target)
                assert full in names, (n, target)


@pytest.mark.parametrize("case", ["numbers, NaN/None", "spans and indent", "empty table"])
def test_the_package_is_valid(tmp_path, case):
    make, kw = CASES[case]
    write_xlsx(make(), tmp_path / "t.xlsx", **kw)
    _check_package(tmp_path / "t.xlsx")
    pd.testing.assert_frame_equal(pd.read_excel(tmp_path / "t.xlsx", header=None, dtype=object),
                                  pd.read_excel(tmp_path / "t.xlsx", header=None, dtype=object, engine="openpyxl"))


def test_every_table_of_a_dss_run_shows_the_same_and_its_docx_is_byte_identical(tmp_path, monkeypatch):
    """Every table the dss command writes, written both ways as it is written."""
    import docx_reference

    from spinestats.reports.cli.main import main

    pairs = []
    ours_xlsx, ours_docx = tables.write_xlsx, tables.write_docx

    def both(kind, ours, reference):
        def write(t, path, **kw):
            ours(t, path, **kw)
            folder = tmp_path / "pairs" / f"{len(pairs)}"
            (folder / "ref").mkdir(parents=True)
            reference(t, folder / "ref" / Path(path).name, **kw)
            (folder / Path(path).name).write_bytes(Path(path).read_bytes())
            pairs.append((kind, folder / Path(path).name, folder / "ref" / Path(path).name))
        return write

    monkeypatch.setattr(tables, "write_xlsx", both("xlsx", ours_xlsx, write_xlsx_reference))
    monkeypatch.setattr(tables, "write_docx", both("docx", ours_docx, docx_reference.write_docx_reference))
    with pytest.raises(SystemExit) as done:
        main(["dss", str(EXAMPLES / "synthetic_dss.csv"), "--out", str(tmp_path / "out"), "--force"])
    assert done.value.code in (0, None)
    kinds = [k for k, _, _ in pairs]
    assert kinds.count("xlsx") >= 3 and kinds.count("xlsx") == kinds.count("docx")
    for kind, ours, ref in pairs:
        if kind == "xlsx":
            assert differences(ours, ref) == [], ours.name
        else:
            assert ours.read_bytes() == ref.read_bytes(), ours.name


def test_dss_imports_neither_openpyxl_nor_python_docx(tmp_path):
    """The dss command on the bundled example writes its XLSX and DOCX tables without importing either
    library (reading an XLSX input still uses openpyxl)."""
    code = ("import sys, json\nfrom spinestats.reports.cli.main import main\n"
            f"sys.argv = ['spinestats', 'dss', {str(EXAMPLES / 'synthetic_dss.csv')!r}, '--out', "
            f"{str(tmp_path / 'out')!r}, '--force']\n"
            "try:\n    main()\nexcept SystemExit as e:\n    assert e.code in (0, None), e.code\n"
            "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    imported = set(json.loads(r.stdout.strip().splitlines()[-1]))
    assert {"spinestats", "pandas", "lxml"} <= imported  # the list is read correctly
    assert not imported & {"openpyxl", "docx"}, sorted(imported & {"openpyxl", "docx"})
    written = sorted(p.suffix for p in (tmp_path / "out").rglob("*") if p.suffix in (".xlsx", ".docx"))
    assert ".xlsx" in written and ".docx" in written


@pytest.mark.parametrize("stem, sheet", [("'quoted'", "quoted"), ("x" * 40, "x" * 31), ("a[1]:b", "a_1__b"), ("'", "table"),
                                         ("ctrl\x01name", "ctrlname")])
def test_sheet_names_excel_accepts(tmp_path, stem, sheet):
    t = Table(pd.DataFrame({"a": ["x"]}), (Col("a", "A"),), stem=stem)
    write_xlsx(t, tmp_path / "t.xlsx")  # the sheet is named after the Table's stem
    assert shown(tmp_path / "t.xlsx")["sheet"] == sheet

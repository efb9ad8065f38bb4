"""A table's DOCX, built in one pass (reports/table_docx.py) without importing python-docx, holds exactly the
parts python-docx's object model and its own save write; both the DOCX and the XLSX (reports/table_xlsx.py)
carry a fixed date, so they are the same bytes on every run."""

import io
import zipfile

import pandas as pd
import pytest
from docx import Document
import docx_reference
from docx_reference import write_docx_reference

from spinestats.reports import office_zip, table_docx
from spinestats.reports.tables import Col, Table, TableStyle, write_docx, write_xlsx


def _table():
    return pd.DataFrame({"Variable": ["Age, years", "年齢 − 高齢"], "n": [10, 20], "HR (95% CI)": ["1.2 (0.9–1.5)", "0.8 (0.5–1.1)"]})


def _spanned():
    data = pd.DataFrame({"a": ["Age", "\u2003≥ 65", "Sex"], "b": [1.5, 2.25, None], "c": [0.012, 0.5, 0.0001],
                         "d": [3, 4, 5], "e": [1.5, -2.5, 0.8], "f": [0.2, 0.3, 0.4]})
    cols = (Col("a", "Characteristic"), Col("b", "Univariable: HR", "num", group="Univariable"),
            Col("c", "Univariable: p", "p", group="Univariable"), Col("d", "N", "int"),
            Col("e", "Multivariable: HR", "num", group="Multivariable"), Col("f", "Multivariable: p", "p", group="Multivariable"))
    return Table(data, cols, "Table 3. Cox models", ("HR: hazard ratio.", "  a footnote with outer spaces "), "cox")


def _awkward():
    """Cells python-docx writes specially: tabs and line breaks (own elements), outer and em spaces
    (xml:space="preserve"), empty cells (a run without text)."""
    return pd.DataFrame({"Label": [" lead", "tab\there", "line\r\nbreak", "", "trail ", "\u2003level"],
                         "Value": ["1", "", "x\ty", "\n", "2 ", "3"]})


_WIDE = pd.DataFrame({f"A long column header number {i}": ["0.123 (0.100–0.200)"] * 3 for i in range(9)})
CASES = {
    "plain": (_table, {"title": "Table 2. Test"}),
    "untitled": (_table, {}),
    "spanned, footnotes": (_spanned, {}),
    "spanned, letter": (_spanned, {"style": TableStyle(paper="letter")}),
    "landscape": (lambda: _WIDE, {"title": "Wide", "note": "Landscape because nine CIs do not fit."}),
    "awkward text": (_awkward, {"title": " Title\twith a tab", "note": ["", "line\nbreak"]}),
    "no rows": (lambda: _table().iloc[:0], {"title": "Empty"}),
    "single column": (lambda: pd.DataFrame({"Only": ["a", "b"]}), {}),
}


def _parts(path):
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
        return [(i.filename, z.read(i.filename)) for i in z.infolist()]


@pytest.mark.parametrize("case", list(CASES))
def test_one_pass_docx_is_the_object_model_docx_byte_for_byte(tmp_path, case):
    make, kw = CASES[case]
    write_docx(make(), tmp_path / "fast.docx", **kw)
    write_docx_reference(make(), tmp_path / "model.docx", **kw)
    assert _parts(tmp_path / "fast.docx") == _parts(tmp_path / "model.docx")
    assert (tmp_path / "fast.docx").read_bytes() == (tmp_path / "model.docx").read_bytes()


def test_same_members_and_bytes_as_python_docx_save(tmp_path, monkeypatch):
    write_docx(_table(), tmp_path / "fast.docx", title="Table 2. Test")
    monkeypatch.setattr(docx_reference, "save_docx", lambda doc, path: doc.save(str(path)))
    write_docx_reference(_table(), tmp_path / "plain.docx", title="Table 2. Test")
    assert _parts(tmp_path / "fast.docx") == _parts(tmp_path / "plain.docx")
    assert [c.text for c in Document(str(tmp_path / "fast.docx")).tables[0].rows[2].cells] == \
        ["年齢 − 高齢", "20", "0.8 (0.5–1.1)"]


def test_large_parts_compressed_once_and_files_reproducible(tmp_path, monkeypatch):
    write_docx(_table(), tmp_path / "a.docx", title="T")  # the template is ready
    calls = []
    real = office_zip.zlib.compressobj
    monkeypatch.setattr(office_zip.zlib, "compressobj", lambda *a: calls.append(a) or real(*a))
    write_docx(_table(), tmp_path / "other.docx", title="Another title")
    assert len(calls) == 2  # document.xml and core.xml; styles, theme ... are compressed once per process
    write_docx(_table(), tmp_path / "b.docx", title="T")
    assert len(table_docx._template()["members"]) == len(_parts(tmp_path / "a.docx"))
    assert (tmp_path / "a.docx").read_bytes() == (tmp_path / "b.docx").read_bytes()
    assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in zipfile.ZipFile(tmp_path / "a.docx").infolist())


def test_xlsx_file_is_reproducible(tmp_path):
    write_xlsx(_spanned(), tmp_path / "a.xlsx")
    write_xlsx(_spanned(), tmp_path / "b.xlsx")
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()
    with zipfile.ZipFile(tmp_path / "a.xlsx") as z:
        assert z.testzip() is None
        assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in z.infolist())
        core = z.read("docProps/core.xml")
    assert core.count(b"2000-01-01T00:00:00Z") == 2  # created and modified: the table's fixed date
    import openpyxl

    sheet = openpyxl.load_workbook(io.BytesIO((tmp_path / "a.xlsx").read_bytes())).active
    assert sheet["C5"].value == 0.012 and sheet["C5"].number_format == "0.000"


def test_shipped_template_is_python_docx_default(tmp_path):
    """The template spinestats ships (python-docx is a test extra) is python-docx's own default.docx, byte for
    byte, and its licence travels with it."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("docx")
    installed = Path(next(iter(spec.submodule_search_locations))) / "templates" / "default.docx"
    shipped = table_docx._template_path()
    assert shipped.name == "docx_default.docx" and shipped.read_bytes() == installed.read_bytes()
    licence = (shipped.parent / "LICENSE-python-docx.txt").read_text(encoding="utf-8")
    assert "docx_default.docx" in licence and "The MIT License" in licence

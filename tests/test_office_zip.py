"""A DOCX saved by office_zip.save_docx holds exactly the parts python-docx's own save writes."""

import zipfile

import pandas as pd
from docx import Document

from spinestats.reports import office_zip
from spinestats.reports.tables import write_docx


def _table():
    return pd.DataFrame({"Variable": ["Age, years", "年齢 − 高齢"], "n": [10, 20], "HR (95% CI)": ["1.2 (0.9–1.5)", "0.8 (0.5–1.1)"]})


def test_same_members_and_bytes_as_python_docx_save(tmp_path, monkeypatch):
    write_docx(_table(), tmp_path / "fast.docx", title="Table 2. Test")
    monkeypatch.setattr(office_zip, "save_docx", lambda doc, path: doc.save(str(path)))
    write_docx(_table(), tmp_path / "plain.docx", title="Table 2. Test")
    fast, plain = zipfile.ZipFile(tmp_path / "fast.docx"), zipfile.ZipFile(tmp_path / "plain.docx")
    assert fast.testzip() is None
    assert fast.namelist() == plain.namelist()
    for name in plain.namelist():
        assert fast.read(name) == plain.read(name), name
    assert [c.text for c in Document(str(tmp_path / "fast.docx")).tables[0].rows[2].cells] == \
        ["年齢 − 高齢", "20", "0.8 (0.5–1.1)"]


def test_large_parts_compressed_once_and_files_reproducible(tmp_path, monkeypatch):
    calls = []
    real = office_zip.zlib.compressobj
    monkeypatch.setattr(office_zip.zlib, "compressobj", lambda *a: calls.append(a) or real(*a))
    office_zip._DEFLATED.clear()
    write_docx(_table(), tmp_path / "a.docx", title="T")
    first = len(calls)
    write_docx(_table(), tmp_path / "b.docx", title="T")
    cached = [k for k in office_zip._DEFLATED if k[0] == "word/styles.xml"]
    assert len(cached) == 1 and len(calls) - first < first  # styles, theme ... not compressed again
    assert (tmp_path / "a.docx").read_bytes() == (tmp_path / "b.docx").read_bytes()
    assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in zipfile.ZipFile(tmp_path / "a.docx").infolist())

"""Spanning headers ("Univariable" over N / events / HR / p), as gtsummary's tbl_merge prints them."""

import zipfile

import pandas as pd
from docx import Document
from openpyxl import load_workbook

from spinestats.reports.html_report import frame_html
from spinestats.reports.tables import Col, Table, to_latex, to_markdown, write_docx, write_xlsx


def _table() -> Table:
    data = pd.DataFrame({"characteristic": ["Modality", "CIRT", "SBRT"],
                         "u_n": [40, None, None], "u_hr": [None, None, 0.5], "u_lo": [None, None, 0.25],
                         "u_hi": [None, None, 1.0], "m_hr": [None, None, 0.6], "m_lo": [None, None, 0.3],
                         "m_hi": [None, None, 1.2], "_indent": [False, True, True]})
    cols = (Col("characteristic", "Characteristic"),
            Col("u_n", "Univariable: N", "int", group="Univariable"),
            Col("u_hr", "Univariable: HR (95% CI)", "ci", "u_lo", "u_hi", group="Univariable"),
            Col("m_hr", "Multivariable: HR (95% CI)", "ci", "m_lo", "m_hi", group="Multivariable"))
    return Table(data, cols, "Table 2. Risk factors", ("HR: hazard ratio.",), "risk", indent="_indent")


def test_spans_and_sub_headers():
    t = _table()
    assert t.spans() == [("Univariable", 1, 2), ("Multivariable", 3, 3)]
    assert t.sub_headers() == ["Characteristic", "N", "HR (95% CI)", "HR (95% CI)"]


def test_html_prints_a_spanning_row_above_the_short_headers():
    t = _table()
    html = frame_html(t.format(), t.numeric_columns(), journal=True, spans=t.spans(), headers=t.sub_headers())
    assert '<th class="span" colspan="2" scope="colgroup">Univariable</th>' in html
    assert '<th class="span" colspan="1" scope="colgroup">Multivariable</th>' in html
    assert html.count("<tr>") == 2 + 3 and "Univariable: N" not in html


def test_latex_multicolumn_and_cmidrule():
    tex = to_latex(_table())
    assert "\\multicolumn{2}{c}{Univariable}" in tex and "\\cmidrule(lr){2-3}" in tex
    assert "\\cmidrule(lr){4-4}" in tex and "& N & HR (95\\% CI)" in tex


def test_markdown_keeps_the_full_headers():
    md = to_markdown(_table())
    assert "| Characteristic | Univariable: N | Univariable: HR (95% CI) | Multivariable: HR (95% CI) |" in md


def test_docx_has_a_merged_spanning_cell_and_two_header_rows(tmp_path):
    write_docx(_table(), tmp_path / "t.docx")
    grid = Document(str(tmp_path / "t.docx")).tables[0]
    first = [c.text for c in grid.rows[0].cells]
    assert first == ["", "Univariable", "Univariable", "Multivariable"]  # a merged cell repeats across its columns
    assert [c.text for c in grid.rows[1].cells] == ["Characteristic", "N", "HR (95% CI)", "HR (95% CI)"]
    xml = zipfile.ZipFile(tmp_path / "t.docx").read("word/document.xml").decode()
    assert 'w:gridSpan w:val="2"' in xml
    assert grid.rows[4].cells[2].text == "0.50 (0.25\u20131.00)"


def test_xlsx_merges_the_spanning_cells(tmp_path):
    write_xlsx(_table(), tmp_path / "t.xlsx")
    ws = load_workbook(tmp_path / "t.xlsx").active
    assert ws["B3"].value == "Univariable" and "B3:C3" in {str(r) for r in ws.merged_cells.ranges}
    assert ws["D3"].value == "Multivariable"
    assert [ws.cell(row=4, column=j).value for j in range(1, 5)] == ["Characteristic", "N", "HR (95% CI)",
                                                                      "HR (95% CI)"]
    assert ws["B5"].value == 40

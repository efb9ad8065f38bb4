"""Table.rows: the strings of Table.format as tuples, formatted once per write_table for every format."""

import pandas as pd

from spinestats.reports import tables
from spinestats.reports.tables import Col, Table, TableStyle, column_widths_mm, write_table


def _table():
    data = pd.DataFrame({"term": ["Age", "\u2003≥ 65", "Sex"], "hr": [1.5, None, 0.25], "lower": [1.1, None, 0.1],
                         "upper": [2.0, None, 0.6], "p": [0.0123, None, 0.0004], "n": [10, 20, 30],
                         "_reference:hr": [False, True, False], "_heading": [False, False, False]})
    cols = (Col("term", "Characteristic"), Col("hr", "HR (95% CI)", "ci", "lower", "upper"), Col("p", "p", "p"),
            Col("n", "N", "int"), Col("missing_column", "Absent", "num"))
    return Table(data, cols, "Table 2. Models", ("HR: hazard ratio.",), "models")


def test_rows_are_the_formatted_frame_row_by_row():
    t = _table()
    for style in (TableStyle(), TableStyle("nejm", "to", 1), TableStyle("apa")):
        frame = t.format(style)
        assert t.rows(style) == list(frame.itertuples(index=False, name=None))
        assert list(frame.columns) == [c.header for c in t.columns]
    assert t.rows()[1] == ("\u2003≥ 65", "\u2014", "", "20", "")  # the reference level, its p left empty
    assert t.rows()[2][1:3] == ("0.25 (0.10\u20130.60)", "<0.001")
    empty = Table(t.data.iloc[:0], t.columns)
    assert empty.rows() == [] and empty.format().shape == (0, 5)


def test_duplicate_headers_show_the_same_strings_as_the_frame():
    t = Table(pd.DataFrame({"a": [1, 2], "b": [3, 4]}), (Col("a", "N", "int"), Col("b", "N", "int")))
    assert t.rows() == list(t.format().itertuples(index=False, name=None)) == [("3", "3"), ("4", "4")]


def test_column_widths_from_a_frame_and_from_columns_agree():
    frame = _table().format()
    by_frame = column_widths_mm(frame)
    assert by_frame == tables._column_widths(list(frame.columns), [list(frame[c]) for c in frame.columns])
    assert by_frame[0] == min(max(len("\u2003≥ 65") + 1, len("Characteristic")), 40) * 1.6 + 3.8


def test_the_table_is_formatted_once_for_all_its_formats(tmp_path, monkeypatch):
    calls = []
    real = Table._format
    monkeypatch.setattr(Table, "_format", lambda self, style: calls.append(style) or real(self, style))
    write_table(_table(), tmp_path, "models", ("csv", "xlsx", "docx", "md", "tex"))
    assert len(calls) == 1
    assert "| Age | 1.50 (1.10\u20132.00) | 0.012 | 10 |  |" in (tmp_path / "models.md").read_text(encoding="utf-8")

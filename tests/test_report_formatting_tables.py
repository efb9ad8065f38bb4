"""Number formatting conventions, table writers and figure files (sizes, dpi, fonts)."""

import math

import numpy as np
import pandas as pd
import pytest

from spinestats.errors import UsageError
from spinestats.reports.figure_style import (
    MIN_FONT_PT, figure_file_info, journal_figure, save_figure, series_style, smallest_font_pt, width_mm,
)
from spinestats.reports.formatting import (
    fmt_number, format_ci, format_mean_sd, format_median_iqr, format_n_percent, format_p, format_percent,
    round_half_up,
)
from spinestats.reports.tables import TABLE_FORMATS, to_latex, to_markdown, write_table


@pytest.mark.parametrize(
    "p, style, expected",
    [
        (0.0004, "default", "p < 0.001"), (0.0004, "nejm", "P<0.001"), (0.0004, "apa", "p < .001"),
        (0.0123, "default", "p = 0.012"), (0.0123, "nejm", "P=0.01"), (0.0123, "apa", "p = .012"),
        (0.0049, "nejm", "P=0.005"), (0.125, "default", "p = 0.125"), (0.125, "nejm", "P=0.13"),
        (0.9999, "nejm", "P>0.99"), (1.0, "default", "p = 1.000"), (0.0009995, "default", "p < 0.001"),
    ],
)
def test_p_value_conventions(p, style, expected):
    assert format_p(p, style) == expected


def test_p_value_edges():
    assert format_p(0.0004, prefix=False) == "<0.001"
    assert format_p(0.042, prefix=False) == "0.042"
    assert format_p(float("nan")) == "\u2014" and format_p(None) == "\u2014"
    with pytest.raises(ValueError):
        format_p(1.5)
    with pytest.raises(UsageError, match="nejm"):
        format_p(0.1, "lancet")


def test_ci_conventions():
    assert format_ci(0.83, 0.75, 0.9) == "0.83 (0.75\u20130.90)"
    assert format_ci(0.83, 0.75, 0.9, style="to") == "0.83 (0.75 to 0.90)"
    assert format_ci(0.83, 0.75, 0.9, style="bracket") == "0.83 [0.75, 0.90]"
    # a negative bound would read as a minus sign after a dash: " to " instead
    assert format_ci(-0.1, -0.3, 0.2) == "-0.10 (-0.30 to 0.20)"
    assert format_ci(1.234, None, None, 1) == "1.2"


def test_rounding_is_half_away_from_zero_not_bankers():
    assert round(0.125, 2) == 0.12  # Python's binary round-half-even
    assert round_half_up(0.125, 2) == 0.13
    assert round_half_up(84.615, 1) == 84.6
    assert round_half_up(-2.5, 0) == -3
    assert fmt_number(2.675, 2) == "2.68"
    assert fmt_number(-0.0001, 2) == "0.00"


def test_counts_means_medians():
    assert format_n_percent(18, 20) == "18 (90.0%)"
    assert format_n_percent(33, 39) == "33 (84.6%)"
    assert format_percent(0.7895, 0) == "79%"
    assert format_mean_sd(7, 2.3) == "7.0 \u00b1 2.3"
    assert format_median_iqr(5.5, 4, 6) == "5.5 [4.0, 6.0]"


@pytest.fixture()
def table():
    return pd.DataFrame({
        "Measure": ["Sensitivity", "Specificity", "=HYPERLINK(\"x\")", "a|b"],
        "Estimate": ["90.0% (68.3\u201398.8)", "84.6% (69.5\u201394.1)", "-1", "x_y"],
        "n": [20, 39, 7, 1],
        "p": [0.001, np.nan, 0.5, 1.0],
    })


def test_docx_opens_and_holds_values(tmp_path, table):
    from docx import Document

    paths = write_table(table, tmp_path, "acc", ["docx"], title="Table 2. Accuracy", note="Exact CIs.")
    doc = Document(str(paths[0]))
    t = doc.tables[0]
    cells = [[c.text for c in row.cells] for row in t.rows]
    assert cells[0] == ["Measure", "Estimate", "N", "p"]  # human headers
    assert cells[1] == ["Sensitivity", "90.0% (68.3\u201398.8)", "20", "0.001"]
    assert cells[2][3] == ""  # NaN is an empty cell, not "nan"
    assert doc.paragraphs[0].text == "Table 2. Accuracy"
    assert doc.core_properties.author == "spinestats"


def test_xlsx_is_formula_safe_and_typed(tmp_path, table):
    from openpyxl import load_workbook

    path = write_table(table, tmp_path, "acc", ["xlsx"])[0]
    ws = load_workbook(path).active
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    assert rows[0] == ["Measure", "Estimate", "N", "p"]
    assert rows[1][2] == 20 and isinstance(rows[1][2], int) and ws.cell(2, 3).number_format == "0"
    assert rows[1][3] == 0.001 and ws.cell(2, 4).number_format == "0.000"  # a p-value that prints as a number
    assert rows[3][0] == "'=HYPERLINK(\"x\")"  # never executed as a formula
    assert rows[3][1] == "'-1"
    assert rows[2][3] is None


def test_csv_md_tex(tmp_path, table):
    paths = write_table(table, tmp_path, "acc", TABLE_FORMATS)
    assert [p.suffix for p in paths] == [".csv", ".xlsx", ".docx", ".md", ".tex"]
    csv = pd.read_csv(paths[0], dtype=str, keep_default_na=False)
    assert csv.loc[2, "Measure"] == "'=HYPERLINK(\"x\")"
    md = to_markdown(table)
    assert "| a\\|b |" in md and md.splitlines()[1] == "|---|---|---:|---:|"
    tex = to_latex(table, title="Accuracy 100%")
    assert r"\caption{Accuracy 100\%}" in tex and r"x\_y" in tex and "68.3--98.8" in tex
    with pytest.raises(UsageError, match="pptx"):
        write_table(table, tmp_path, "acc", ["pptx"])


@pytest.mark.parametrize("width", ["single", "double"])
def test_figure_files_have_requested_size_and_dpi(tmp_path, width):
    fig, ax = journal_figure(width, height_mm=60)
    for i in range(3):
        ax.plot(np.arange(5), np.arange(5) * (i + 1), label=f"s{i}", **series_style(i))
    ax.set_xlabel("Months after CIRT")
    ax.legend()
    assert smallest_font_pt(fig) >= MIN_FONT_PT
    paths = save_figure(fig, tmp_path, "fig", formats=("pdf", "svg", "png", "tiff"), dpis=(300, 600))
    assert sorted(p.name for p in paths) == sorted(
        ["fig.pdf", "fig.svg", "fig_300dpi.png", "fig_600dpi.png", "fig_300dpi.tiff", "fig_600dpi.tiff"])
    for p in paths:
        info = figure_file_info(p)
        # raster sizes are whole pixels: within one pixel at the file's dpi
        tol = 0.2 if info["dpi"] is None else MM_PX(info["dpi"])
        assert abs(info["width_mm"] - width_mm(width)) <= tol, (p.name, info)
        assert abs(info["height_mm"] - 60) <= tol, (p.name, info)
        if info["dpi"] is not None:
            assert round(info["dpi"]) == int(p.stem.split("_")[-1].removesuffix("dpi"))


def MM_PX(dpi):
    return 25.4 / dpi * 1.01


def test_series_styles_differ_in_greyscale():
    styles = [series_style(i) for i in range(4)]
    assert len({str(s["linestyle"]) for s in styles}) == 4 and len({s["marker"] for s in styles}) == 4
    assert styles[0]["color"] == "#0072B2"  # Okabe-Ito blue
    with pytest.raises(ValueError, match="single"):
        width_mm("triple")


def test_table_width_counts_wrapped_headers_and_labels_but_never_wraps_numbers():
    from spinestats.reports.tables import _CELL_PAD_MM, _CHAR_MM, table_width_mm

    def mm(chars):
        return chars * _CHAR_MM + _CELL_PAD_MM

    # a multi-word header wraps: the CI cell (16 characters) sets the width, not the 27-character header
    assert table_width_mm(pd.DataFrame({"2-year survival, % (95% CI)": ["45.2 (30.1\u201360.3)"]})) == pytest.approx(mm(16))
    # a third of the header when that is wider than the body and than its longest word
    assert table_width_mm(pd.DataFrame({"Wide column number 11": ["1.5"]})) == pytest.approx(mm(7))  # 21 / 3
    assert table_width_mm(pd.DataFrame({"Cumulative": ["1"]})) == pytest.approx(mm(10))  # one word never wraps
    # numbers never wrap, however long
    assert table_width_mm(pd.DataFrame({"HR": ["123.45 (100.00\u2013150.00)"]})) == pytest.approx(mm(22))
    # a label up to 16 characters stays on one line; a longer one takes two lines; the indent counts two
    label = "Tumour boundary: Indistinct boundary, n (%)"
    assert table_width_mm(pd.DataFrame({"Characteristic": [label]})) == pytest.approx(mm(22))
    assert table_width_mm(pd.DataFrame({"Characteristic": ["\u2003Lumbar"]})) == pytest.approx(mm(14))
    assert table_width_mm(pd.DataFrame({"X": [label]}), text_columns=[False]) == pytest.approx(mm(40))  # capped


@pytest.mark.parametrize("p_style", ["default", "nejm", "apa"])
def test_xlsx_numbers_are_numbers_displayed_as_every_format_shows_them(tmp_path, p_style):
    """Counts, estimates and p-values printing as plain numbers are numeric XLSX cells whose number format
    displays the Markdown string exactly (true minus included); "<0.001", ">0.99" and CIs stay text."""
    from openpyxl import load_workbook

    from spinestats.reports.tables import Col, Table, TableStyle, to_markdown

    from test_report_labels_styles import _shown

    data = pd.DataFrame({"term": ["a", "b", "c", "d", "e", "f"],
                         "n": [12, 0, 7, 3, 5, 9],
                         "diff": [-0.254, 1.005, -0.0001, 12.5, 0.0, np.nan],
                         "hr": [0.5, 1.25, 2.0, 0.8, 1.0, 1.1], "lo": [0.25, 1.0, 1.5, 0.4, 0.5, 0.9],
                         "hi": [1.0, 1.5, 3.0, 1.6, 2.0, 1.3],
                         "p": [0.0001, 0.0234, 0.0049, 0.996, 1.0, 0.05]})
    table = Table(data, (Col("term", "Term"), Col("n", "N", "int"), Col("diff", "Mean change", "num"),
                         Col("hr", "HR (95% CI)", "ci", "lo", "hi"), Col("p", "p", "p")), "T", (), "t")
    style = TableStyle(p_style=p_style)
    md = [[c.strip() for c in ln.strip("|").split(" | ")] for ln in to_markdown(table, style=style).splitlines()
          if ln.startswith("| ")][1:]
    write_table(table, tmp_path, "t", ["xlsx"], style=style)
    ws = load_workbook(tmp_path / "t.xlsx").active
    body = [list(r) for r in ws.iter_rows(min_row=4, max_row=9)]
    shown = [[_shown(c) if c.value is not None else "" for c in r] for r in body]
    assert shown == md
    for r in body:
        assert r[1].data_type == "n" and r[1].number_format == "0"
        assert r[3].data_type == "s"  # an estimate with its CI is text
    kinds = [(r[4].data_type, r[4].number_format) for r in body]
    assert kinds[0] == ("s", "General")  # "<0.001" is not a number
    expected = {"default": ["0.000"] * 5, "nejm": ["0.00", "0.000", None, None, "0.00"],
                "apa": [".000", ".000", ".000", "0.000", ".000"]}[p_style]
    for (kind, number_format), want in zip(kinds[1:], expected):
        assert (kind, number_format) == (("s", "General") if want is None else ("n", want))
    assert [r[4].value for r in body[1:3]] == [0.0234, 0.0049]  # full precision, not the rounded string
    diff = [r[2] for r in body]
    assert [c.value for c in diff[:5]] == [-0.254, 1.005, -0.0001, 12.5, 0.0]  # full precision kept
    assert [c.number_format for c in diff[:5]] == ['0.00;"\u2212"0.00', "0.00", "0.00;0.00", "0.00", "0.00"]
    assert shown[0][2] == "\u22120.25" and shown[2][2] == "0.00" and diff[5].value is None

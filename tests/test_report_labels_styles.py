"""Labels reach every human-facing format and figure; p-value styles reach every format; DOCX layout."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spinestats.reports.plan_runner import run_plan

EXAMPLES = Path(__file__).resolve().parents[1] / "data_schemas" / "examples"


def _plan(folder: Path, extra: str = "", style: str = "default", pain: bool = False) -> Path:
    text = (
        "schema_version: 1\ntitle: Labels test\nseed: 1\n"
        f"data:\n  cirt: {{file: {(EXAMPLES / 'synthetic_cirt.csv').as_posix()}, schema: cirt}}\n"
        + (f"  cafe: {{file: {(EXAMPLES / 'synthetic_cafe.csv').as_posix()}, schema: bkp}}\n" if pain else "")
        + "analyses:\n  - {type: survival, data: cirt, group: site, covariates: [site, sex], endpoint: os}\n"
        + ("  - {type: pain, data: cafe}\n" if pain else "") +
        "output:\n  figures: {formats: [svg], dpi: [100]}\n  tables: {formats: [csv, xlsx, docx, md, tex]}\n"
        f"  style: {{p_values: {style}, ci: dash, digits: 2}}\n" + extra
    )
    path = folder / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _docx_text(path: Path) -> str:
    from docx import Document

    doc = Document(str(path))
    return "\n".join([p.text for p in doc.paragraphs] + [c.text for t in doc.tables for r in t.rows for c in r.cells])


def _shown(cell) -> str:
    """What a spreadsheet displays in ``cell``: text as is; a number by its number format (written here
    independently of spinestats: sections "positive;negative", a quoted literal, "0" for a leading zero,
    one decimal per "0" after the point, halves rounded away from zero)."""
    from decimal import ROUND_HALF_UP, Decimal

    if cell.data_type != "n" or isinstance(cell.value, bool):
        return str(cell.value)
    sections = cell.number_format.split(";")
    section = sections[1] if cell.value < 0 and len(sections) > 1 else sections[0]
    literal = re.match(r'^"([^"]*)"', section)
    section = section[literal.end():] if literal else section
    assert re.fullmatch(r"0?(\.0+)?", section), cell.number_format
    decimals = len(section.split(".")[1]) if "." in section else 0
    text = str(Decimal(repr(abs(float(cell.value)))).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))
    if not section.startswith("0") and text.startswith("0."):
        text = text[1:]
    sign = "-" if cell.value < 0 and len(sections) == 1 else ""
    return sign + (literal.group(1) if literal else "") + text


def _xlsx_text(path: Path) -> str:
    from openpyxl import load_workbook

    return "\n".join(_shown(c) for ws in load_workbook(path).worksheets for r in ws.iter_rows() for c in r
                     if c.value is not None)


@pytest.fixture(scope="module")
def renamed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("labels")
    plan = _plan(folder, "labels:\n  site: 部位\n  site.thoracic: Thoracic spine\n  sex.female: Women\n"
                         "  arm: Treatment group\n  arm.BKP: Kyphoplasty\n  arm.control: 非手術\n  visit.1w: Week 1\n"
                         "reference:\n  site: lumbar\nendpoint_labels:\n  os: Survival after CIRT\n", pain=True)
    run_plan(plan, folder / "out")
    return folder / "out"


def test_renamed_variable_and_value_in_every_format_and_figure(renamed):
    tables = renamed / "tables"
    for suffix, read in ((".md", lambda p: p.read_text(encoding="utf-8")), (".tex", lambda p: p.read_text(encoding="utf-8")),
                         (".docx", _docx_text), (".xlsx", _xlsx_text), (".csv", lambda p: p.read_text(encoding="utf-8"))):
        for stem in ("survival_os_survival", "survival_os_cox"):
            text = read(tables / f"{stem}{suffix}")
            assert "部位" in text and "Thoracic spine" in text, (stem, suffix)
    html = (renamed / "report.html").read_text(encoding="utf-8")
    assert "部位" in html and "Thoracic spine" in html and "Women" in html and "Survival after CIRT" in html
    svgs = [p for p in (renamed / "figures").glob("*.svg") if p.stem.endswith("_km")]
    assert svgs
    for svg in svgs:  # text is kept as text in SVG (svg.fonttype none): the legend shows the value labels
        text = svg.read_text(encoding="utf-8")
        assert "Thoracic spine" in text and "Survival after CIRT" in text, svg.name
    # the pain section: a renamed variable (arm) and values (BKP, 1w) in every format and every figure
    for suffix, read in ((".md", lambda p: p.read_text(encoding="utf-8")), (".tex", lambda p: p.read_text(encoding="utf-8")),
                         (".docx", _docx_text), (".xlsx", _xlsx_text)):
        for stem in ("pain_visits", "pain_paired", "pain_emmeans_vs_baseline", "pain_responders"):
            text = read(tables / f"{stem}{suffix}")
            assert "Kyphoplasty" in text and "Week 1" in text and "Balloon" not in text, (stem, suffix)
        text = read(tables / f"pain_mixed_model{suffix}")
        assert "Treatment group: Kyphoplasty \u00d7 Visit: Week 1" in text.replace("$\\times$", "\u00d7"), suffix
    assert "Treatment group: Kyphoplasty \u00d7 Visit: Week 1" in html
    assert not re.search(r"Balloon kyphoplasty(?! versus)", html)  # only in the cited trial's title
    pain_svgs = sorted((renamed / "figures").glob("pain_*.svg"))
    assert {p.stem for p in pain_svgs} == {"pain_trajectory", "pain_spaghetti", "pain_responders", "pain_consort"}
    for svg in pain_svgs:
        text = svg.read_text(encoding="utf-8")
        assert "Kyphoplasty" in text and "Balloon" not in text, svg.name
        if svg.stem != "pain_spaghetti":  # the spaghetti plot names arms only (one panel each)
            assert "Week" in text, svg.name
    assert "非手術" in (renamed / "figures" / "pain_trajectory.svg").read_text(encoding="utf-8")
    results = json.loads((renamed / "results.json").read_text(encoding="utf-8"))
    assert not any("numerical warning" in w or "Glyph" in w for w in results["warnings"]), results["warnings"]
    # the reference level set in the plan is the model's reference row
    md = (tables / "survival_os_cox.md").read_text(encoding="utf-8")
    rows = [ln for ln in md.splitlines() if ln.startswith("| ")]
    assert rows[1].startswith("| 部位 |")
    assert re.search(r"\| \u2003Lumbar \|[^|]*\|[^|]*\| \u2014 \|", rows[2]), rows[2]


def test_no_raw_names_or_concatenated_terms_in_the_report(renamed):
    html = (renamed / "report.html").read_text(encoding="utf-8")
    visible = re.sub(r"<details>.*?</details>", "", html, flags=re.S)  # the results.json dump keeps its keys
    visible = re.sub(r"<[^>]+>", " ", re.sub(r'(src|href)="[^"]*"', "", visible))
    for raw in ("siteThoracic", "sitethoracic", "sexfemale", "separation_surgeryTRUE", "n_event", "median_lower",
                "at_0_lower", ">True<", ">False<"):
        assert raw not in visible, raw


@pytest.mark.parametrize("style, expect", [("default", "0.745"), ("nejm", "0.74"), ("apa", ".745")])
def test_p_value_style_changes_html_docx_xlsx_and_md(tmp_path, style, expect):
    run_plan(_plan(tmp_path, style=style), tmp_path / "out")
    out = tmp_path / "out"
    # the log-rank p across tumour sites is 0.7445 (see results.json)
    p = pd.read_csv(out / "tables" / "survival_os_survival.csv")["p"].dropna().iloc[0]
    assert abs(p - 0.7445105769562983) < 1e-9
    cell = f"| {expect} |"
    assert cell in (out / "tables" / "survival_os_survival.md").read_text(encoding="utf-8")
    assert expect in _docx_text(out / "tables" / "survival_os_survival.docx").split("\n")
    assert expect in _xlsx_text(out / "tables" / "survival_os_survival.xlsx").split("\n")
    # XLSX: the p-value is a number whose number format displays exactly the string the other formats show
    from openpyxl import load_workbook

    ws = load_workbook(out / "tables" / "survival_os_survival.xlsx").active
    cells = [c for r in ws.iter_rows() for c in r if c.data_type == "n" and c.value is not None and _shown(c) == expect]
    assert cells and all(abs(c.value - 0.7445105769562983) < 1e-12 for c in cells)
    assert {c.number_format for c in cells} == {{"default": "0.000", "nejm": "0.00", "apa": ".000"}[style]}
    assert f'<td class="num">{expect}</td>' in (out / "report.html").read_text(encoding="utf-8")
    others = {"default": "0.745", "nejm": "0.74", "apa": ".745"}
    for other, text in others.items():
        if other != style and text != expect and not expect.endswith(text) and not text.endswith(expect):
            assert f"| {text} |" not in (out / "tables" / "survival_os_survival.md").read_text(encoding="utf-8")


def test_docx_three_rules_title_and_landscape_for_a_wide_table(tmp_path):
    from docx import Document
    from docx.enum.section import WD_ORIENT

    from spinestats.reports.tables import TableStyle, write_table

    narrow = pd.DataFrame({"measure": ["Sensitivity"], "estimate": [0.9], "lower": [0.7], "upper": [0.98]})
    wide = pd.DataFrame({f"sensitivity_at_cutoff_{i}": np.linspace(0.1, 0.9, 3) for i in range(12)})
    write_table(narrow, tmp_path, "narrow", ["docx"], title="Table 2. Accuracy", note="Exact CIs.")
    write_table(wide, tmp_path, "wide", ["docx"], title="Table 3. Wide", style=TableStyle(paper="letter"))
    n = Document(str(tmp_path / "narrow.docx"))
    w = Document(str(tmp_path / "wide.docx"))
    assert n.paragraphs[0].text == "Table 2. Accuracy" and n.paragraphs[0].runs[0].bold
    assert n.paragraphs[-1].text == "Exact CIs."  # footnote below the table
    assert n.sections[0].orientation == WD_ORIENT.PORTRAIT and round(n.sections[0].page_width.mm) == 210  # A4
    assert w.sections[0].orientation == WD_ORIENT.LANDSCAPE and round(w.sections[0].page_height.mm) == 216  # Letter
    for doc in (n, w):
        xml = doc.tables[0]._tbl.xml
        for side in ("left", "right", "insideV"):
            assert not re.search(rf'<w:{side} w:val="single"', xml), side  # no vertical rules
        assert "Table Grid" not in xml
        rows = doc.tables[0].rows
        top = rows[0].cells[0]._tc.xml
        assert re.search(r'<w:top w:val="single"', top) and re.search(r'<w:bottom w:val="single"', top)
        assert re.search(r'<w:bottom w:val="single"', rows[-1].cells[0]._tc.xml)
        if len(rows) > 2:
            assert not re.search(r'w:val="single"', rows[1].cells[0]._tc.xml)  # body rows: no rules


def test_single_commands_write_formatted_tables_and_a_report(tmp_path):
    from spinestats.reports.cli.main import main

    out = tmp_path / "surv"
    with pytest.raises(SystemExit) as exit_:
        main(["survival", str(EXAMPLES / "synthetic_cirt.csv"), "--schema", "cirt", "--group", "site", "--endpoint", "os",
              "--label", "site=Spinal level", "--label", "site.thoracic=Thoracic spine", "--reference", "site=lumbar",
              "--figure-format", "svg", "--dpi", "100", "--out", str(out)])
    assert exit_.value.code == 0
    for suffix in ("csv", "xlsx", "docx", "md"):
        assert (out / "tables" / f"survival_os_survival.{suffix}").is_file(), suffix
    md = (out / "tables" / "survival_os_survival.md").read_text(encoding="utf-8")
    assert "| Spinal level |" in md and "Thoracic spine" in md
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Table 1. Overall survival by spinal level" in html and 'class="table-scroll"' in html

    out = tmp_path / "agree"
    with pytest.raises(SystemExit) as exit_:
        main(["agreement", str(EXAMPLES / "synthetic_readers.csv"), "--schema", "readers", "--out", str(out)])
    assert exit_.value.code == 0
    assert (out / "tables" / "agreement.docx").is_file() and "Cohen" in (out / "report.html").read_text(encoding="utf-8")

    with pytest.raises(SystemExit) as exit_:
        main(["survival", str(EXAMPLES / "synthetic_cirt.csv"), "--schema", "cirt", "--label", "sitee=x",
              "--out", str(tmp_path / "bad")])
    assert exit_.value.code == 2 and not (tmp_path / "bad").exists()

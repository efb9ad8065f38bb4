"""Synthetic data are marked: every figure carries a small "Synthetic data" note, every table file a
footnote (issue 12), in plan runs (``synthetic: true``, also when worker processes write the figures)
and in single commands on a bundled synthetic example (its first line is ``# SYNTHETIC DATA``)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from spinestats.data_schemas.loading import load
from spinestats.reports.cli.main import cli
from spinestats.reports.figure_style import SYNTHETIC_MARK, SYNTHETIC_MARK_GID, journal_figure, save_figure, synthetic_mark
from spinestats.reports.plan_runner import run_plan
from spinestats.reports.tables import SYNTHETIC_NOTE

EXAMPLES = Path(__file__).resolve().parents[1] / "data_schemas" / "examples"


def _plan(folder: Path, synthetic: bool) -> Path:
    text = (
        f"schema_version: 1\ntitle: Synthetic mark\nseed: 1\nsynthetic: {'true' if synthetic else 'false'}\n"
        f"data:\n  cirt: {{file: {(EXAMPLES / 'synthetic_cirt.csv').as_posix()}, schema: cirt}}\n"
        f"  dss: {{file: {(EXAMPLES / 'synthetic_dss.csv').as_posix()}, schema: dss}}\n"
        "analyses:\n  - {type: survival, data: cirt, group: site, endpoint: os}\n"
        "  - {type: dss, data: dss, bootstrap: 0}\n"
        "output:\n  figures: {formats: [svg, png], dpi: [100]}\n  tables: {formats: [csv, md]}\n"
    )
    path = folder / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _marked(svg: Path) -> bool:
    return SYNTHETIC_MARK in svg.read_text(encoding="utf-8")


@pytest.mark.parametrize("workers", [1, 2])
def test_plan_run_on_synthetic_data_marks_every_figure_and_table(tmp_path, workers):
    out = tmp_path / "out"
    run_plan(_plan(tmp_path, True), out, workers=workers)
    svgs = sorted((out / "figures").glob("*.svg"))
    assert len(svgs) >= 3
    assert [s.name for s in svgs if not _marked(s)] == []
    mds = sorted((out / "tables").glob("*.md"))
    assert mds and all(SYNTHETIC_NOTE in m.read_text(encoding="utf-8") for m in mds)


def test_plan_run_on_real_data_has_no_mark(tmp_path):
    out = tmp_path / "out"
    run_plan(_plan(tmp_path, False), out)
    svgs = sorted((out / "figures").glob("*.svg"))
    assert len(svgs) >= 3
    assert [s.name for s in svgs if _marked(s)] == []
    assert not any(SYNTHETIC_NOTE in m.read_text(encoding="utf-8") for m in (out / "tables").glob("*.md"))


def test_the_mark_keeps_the_figure_width_and_the_drawing_above_it(tmp_path):
    """The figure grows by one strip at the bottom; the axes keep their size (a legend placed clear of
    the data stays clear) and the note lies below everything else."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    def drawn(mark: bool):
        fig, ax = journal_figure()
        ax.plot([0, 1], [0, 1])
        ax.set_xlabel("Months from start of treatment")
        with synthetic_mark(mark):
            save_figure(fig, tmp_path, f"f{int(mark)}", formats=("png",), dpis=(100,))
        FigureCanvasAgg(fig).draw()
        return fig, ax

    plain, plain_ax = drawn(False)
    marked, marked_ax = drawn(True)
    assert marked.get_figwidth() == pytest.approx(plain.get_figwidth())
    assert 0.1 < marked.get_figheight() - plain.get_figheight() < 0.2  # about 4 mm
    assert marked_ax.bbox.width == pytest.approx(plain_ax.bbox.width)
    assert marked_ax.bbox.height == pytest.approx(plain_ax.bbox.height)
    notes = [t for t in marked.texts if t.get_gid() == SYNTHETIC_MARK_GID]
    assert [t.get_text() for t in notes] == [SYNTHETIC_MARK]
    assert not [t for t in plain.texts if t.get_gid() == SYNTHETIC_MARK_GID]
    renderer = marked.canvas.get_renderer()
    note = notes[0].get_window_extent(renderer)
    assert note.y1 < marked_ax.xaxis.get_tightbbox(renderer).y0  # below the axis label
    assert note.x1 <= marked.bbox.x1 and note.y0 >= 0  # inside the canvas, bottom-right
    assert note.x0 > marked.bbox.width / 2
    assert notes[0].get_fontsize() == 7.0


def test_loader_sees_the_synthetic_marker(tmp_path):
    assert load(EXAMPLES / "synthetic_dss.csv", schema="dss").synthetic is True
    plain = tmp_path / "dss.csv"
    plain.write_text("".join((EXAMPLES / "synthetic_dss.csv").read_text(encoding="utf-8").splitlines(True)[1:]),
                     encoding="utf-8")
    assert load(plain, schema="dss").synthetic is False
    other = tmp_path / "other.csv"  # a comment line that is not the marker
    other.write_text("# exported 2026-01-01\n" + plain.read_text(encoding="utf-8"), encoding="utf-8")
    assert load(other, schema="dss").synthetic is False


def test_loader_sees_the_marker_in_an_xlsx_example(tmp_path):
    result = CliRunner().invoke(cli, ["example", "dss", "--out", str(tmp_path / "dss.xlsx")])
    assert result.exit_code == 0, result.output
    assert load(tmp_path / "dss.xlsx", schema="dss").synthetic is True


def test_single_command_on_a_bundled_synthetic_example_marks_figures_and_tables(tmp_path):
    out = tmp_path / "dss"
    result = CliRunner().invoke(cli, ["dss", str(EXAMPLES / "synthetic_dss.csv"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    svgs = sorted((out / "figures").glob("*.svg"))
    assert {s.stem for s in svgs} >= {"dss_roc", "dss_score_distribution"}
    assert [s.name for s in svgs if not _marked(s)] == []
    mds = sorted((out / "tables").glob("*.md"))
    assert mds and all(SYNTHETIC_NOTE in m.read_text(encoding="utf-8") for m in mds)
    assert "synthetic" in (out / "report.html").read_text(encoding="utf-8").lower()


def test_single_command_on_the_same_data_without_the_marker_is_unmarked(tmp_path):
    plain = tmp_path / "dss.csv"
    shutil.copy(EXAMPLES / "synthetic_dss.csv", plain)
    plain.write_text("".join(plain.read_text(encoding="utf-8").splitlines(True)[1:]), encoding="utf-8")
    out = tmp_path / "dss"
    result = CliRunner().invoke(cli, ["dss", str(plain), "--out", str(out)])
    assert result.exit_code == 0, result.output
    svgs = sorted((out / "figures").glob("*.svg"))
    assert svgs and [s.name for s in svgs if _marked(s)] == []
    assert not any(SYNTHETIC_NOTE in m.read_text(encoding="utf-8") for m in (out / "tables").glob("*.md"))

"""Every command that draws figures takes ``--figure-format`` (issue 12); ``multicenter`` and ``pool`` keep
their former ``--figure-formats`` (comma-separated) as a hidden alias (a contract)."""

import subprocess
import sys
from pathlib import Path

import click
import pytest

from cli_run import cli  # tests/ is on sys.path
from spinestats.data_schemas.examples import cohort_multicenter as cm
from spinestats.reports.cli._figure_format import figure_formats_given

HERE = Path(cm.__file__).resolve().parent / "multicenter"
FILES = [HERE / "centre_A.csv", HERE / "centre_D.csv", HERE / "centre_E.csv"]


def help_text(command):
    return subprocess.run([sys.executable, "-m", "spinestats", command, "--help"], capture_output=True, text=True,
                          check=True).stdout


@pytest.mark.parametrize("command", ["multicenter", "pool"])
def test_help_documents_figure_format_and_hides_the_alias(command):
    text = help_text(command)
    assert "--figure-format [pdf|svg|png|tiff|none]" in text and "default: pdf, svg, png" in text
    assert "--figure-formats" not in text


def test_formats_of_both_flags_in_order_once_and_the_default():
    assert figure_formats_given((), None, ("pdf", "svg", "png")) == ("pdf", "svg", "png")
    assert figure_formats_given(("png",), None, ("pdf",)) == ("png",)
    assert figure_formats_given((), "png, tiff", ("pdf",)) == ("png", "tiff")
    assert figure_formats_given(("svg",), "png,svg", ("pdf",)) == ("svg", "png")
    assert figure_formats_given((), "none", ("pdf",)) == ("none",)
    with pytest.raises(click.BadParameter, match="'jpeg': expected pdf, svg, png, tiff, none"):
        figure_formats_given((), "png,jpeg", ("pdf",))


def figures(folder):
    return sorted(p.suffix for p in (folder / "figures").glob("*") if p.is_file())


def test_multicenter_writes_the_format_asked_by_either_flag(tmp_path):
    assert cli("multicenter", "--schema", "dss", *FILES, "--figure-format", "svg", "--out", tmp_path / "new") == 0
    assert figures(tmp_path / "new") and set(figures(tmp_path / "new")) == {".svg"}
    assert cli("multicenter", "--schema", "dss", *FILES, "--figure-formats", "none", "--out", tmp_path / "old") == 0
    assert (tmp_path / "old" / "results.json").is_file() and not list((tmp_path / "old").rglob("*.svg"))
    assert not list((tmp_path / "old").rglob("*.png")) and not list((tmp_path / "old").rglob("*.pdf"))
    assert cli("multicenter", "--schema", "dss", *FILES, "--figure-formats", "jpeg", "--out", tmp_path / "bad") == 2

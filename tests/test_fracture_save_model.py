"""``fracture --save-model`` never replaces an input of the run, even with --force (issue 14)."""

import shutil
from pathlib import Path

import pytest

from spinestats.data_schemas.examples import cohort_fracture
from spinestats.reports.cli.main import main

CSV = Path(cohort_fracture.__file__).with_name("synthetic_fracture.csv")


def test_save_model_onto_the_input_is_refused_and_the_input_is_untouched(tmp_path, capsys):
    data = tmp_path / "fracture.csv"
    shutil.copyfile(CSV, data)
    before = data.read_bytes()
    with pytest.raises(SystemExit) as exc:
        main(["fracture", str(data), "--out", str(tmp_path / "out"), "--save-model", str(data), "--force",
              "--figure-format", "svg"])
    assert exc.value.code == 2
    assert "is an input of this run" in capsys.readouterr().err
    assert data.read_bytes() == before


def test_save_model_writes_the_model_beside_the_outputs(tmp_path):
    saved = tmp_path / "models" / "fracture_model.json"
    with pytest.raises(SystemExit) as exc:
        main(["fracture", str(CSV), "--out", str(tmp_path / "out"), "--save-model", str(saved), "--figure-format", "svg"])
    assert exc.value.code == 0
    assert saved.read_text(encoding="utf-8") == (tmp_path / "out" / "model.json").read_text(encoding="utf-8")
    assert not list(saved.parent.glob("*.partial"))

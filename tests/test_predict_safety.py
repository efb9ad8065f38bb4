"""`spinestats predict` against tampered model files, its own input and interrupted writes (issue 14).

The model checks are :func:`spinestats.data_schemas.risk_model.load_risk_model`;
each refusal names the field and exits 1."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from spinestats.analysis.prediction.risk_model import model_to_json
from spinestats.data_schemas.examples import cohort_fracture
from spinestats.data_schemas.loading import load
from spinestats.analysis.prediction.risk_model import model_from_json
from spinestats.data_schemas.risk_model import load_risk_model
from spinestats.errors import DataError
from spinestats.reports import fracture_job

CSV = Path(cohort_fracture.__file__).with_name("synthetic_fracture.csv")


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    base = tmp_path_factory.mktemp("models")
    d = fracture_job.prepare(load(CSV, schema="fracture").data)
    out = {}
    for kind in ("finegray", "firth"):
        rm, _ = fracture_job.fit_risk_model(d, time="time_months", event="event",
                                            covariates=["sins_total", "modality"], horizon=12.0, model=kind)
        p = base / f"{kind}.json"
        p.write_text(model_to_json(rm), encoding="utf-8")
        out[kind] = p
    return out


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "spinestats", *args], capture_output=True, text=True, cwd=cwd)


def tampered(tmp_path, source, change):
    doc = json.loads(source.read_text())
    change(doc)
    p = tmp_path / "tampered.json"
    p.write_text(json.dumps(doc), encoding="utf-8")  # json.dumps writes NaN/Infinity as Python does
    return p


def _set(path, value):
    def change(doc):
        node = doc
        for k in path[:-1]:
            node = node[k]
        node[path[-1]] = value
    return change


CASES = [
    ("nan coefficient", "finegray", _set(["coefficients", 0], float("nan")), "coefficients[0]: nan is not a finite number"),
    ("infinite coefficient", "firth", _set(["coefficients", 1], float("inf")), "coefficients[1]: inf is not a finite number"),
    ("infinite covariance", "finegray", _set(["covariance", 0, 0], float("-inf")), "covariance[0][0]: -inf is not a finite number"),
    ("wrong shape", "finegray", lambda d: d.__setitem__("covariance", [[1.0]]), "covariance: 1 rows of lengths [1]; expected a 3 x 3 matrix"),
    ("ragged", "firth", lambda d: d["covariance"][1].pop(), "covariance: 4 rows of lengths [3, 4]; expected a 4 x 4 matrix"),
    ("not symmetric", "finegray", _set(["covariance", 0, 1], 0.5), "covariance: not symmetric"),
    ("negative definite", "finegray",
     lambda d: d.__setitem__("covariance", (-np.eye(3)).tolist()), "covariance: not positive semi-definite (smallest eigenvalue -1)"),
    ("no baseline", "finegray", lambda d: d.__setitem__("baseline", {}), "baseline: time, hazard, events missing"),
    ("baseline key missing", "finegray", lambda d: d.pop("baseline"), "'baseline' is a required property"),
    ("baseline lengths", "finegray", lambda d: d["baseline"]["hazard"].pop(), "baseline: time, hazard and events have lengths"),
    ("coefficients vs terms", "finegray", lambda d: d["coefficients"].append(0.1), "coefficients: 4 value(s) for 3 term(s)"),
]


@pytest.mark.parametrize("name,kind,change,message", CASES, ids=[c[0] for c in CASES])
def test_tampered_model_is_refused_naming_the_field(tmp_path, models, name, kind, change, message):
    model = tampered(tmp_path, models[kind], change)
    with pytest.raises(DataError) as err:
        load_risk_model(model)
    assert message in str(err.value) and str(model) in str(err.value)
    r = run("predict", str(model), str(CSV), "--output", str(tmp_path / "p.csv"))
    assert r.returncode == 1, r.stderr
    assert message in r.stderr and "Traceback" not in r.stderr and "Internal error" not in r.stderr
    assert not (tmp_path / "p.csv").exists() and not list(tmp_path.glob(".p.csv*"))


def test_all_problems_are_listed_at_once(tmp_path, models):
    def change(d):
        d["covariance"][0][1] = 7.0
        d["baseline"] = {"time": [1.0]}
    with pytest.raises(DataError) as err:
        load_risk_model(tampered(tmp_path, models["finegray"], change))
    assert "2 problem(s)" in str(err.value) and "not symmetric" in str(err.value) and "hazard, events missing" in str(err.value)


def test_untampered_models_load(models):
    assert load_risk_model(models["finegray"], build=model_from_json).model_type == "finegray"
    assert len(load_risk_model(models["firth"], build=model_from_json).coefficients) == 4  # intercept, sins_total, two modality levels


def test_not_json_is_a_data_error(tmp_path):
    p = tmp_path / "m.json"
    p.write_text("{not json", encoding="utf-8")
    r = run("predict", str(p), str(CSV), "--output", str(tmp_path / "p.csv"))
    assert r.returncode == 1 and "not valid JSON" in r.stderr


def test_predict_never_overwrites_its_input_even_with_force(tmp_path, models):
    data = tmp_path / "patients.csv"
    shutil.copy(CSV, data)
    before = data.read_bytes()
    for target in (str(data), str(tmp_path / "." / "patients.csv")):
        r = run("predict", str(models["finegray"]), str(data), "--output", target, "--force",
                "--id-key", "a-study-key-for-the-test")
        assert r.returncode == 2 and "is an input of this run" in r.stderr
        assert data.read_bytes() == before
    link = tmp_path / "hard.csv"
    os.link(data, link)  # the same file under another name
    r = run("predict", str(models["finegray"]), str(data), "--output", str(link), "--force",
            "--id-key", "a-study-key-for-the-test")
    assert r.returncode == 2 and "is an input of this run" in r.stderr and data.read_bytes() == before
    model_before = models["finegray"].read_bytes()
    r = run("predict", str(models["finegray"]), str(data), "--output", str(models["finegray"]), "--force",
            "--id-key", "a-study-key-for-the-test")
    assert r.returncode == 2 and models["finegray"].read_bytes() == model_before


def test_predict_writes_atomically(tmp_path, models, monkeypatch):
    """A write that fails half-way leaves the old file untouched and no partial file."""
    from spinestats.reports.output import write_file_atomically

    out = tmp_path / "pred.csv"
    out.write_text("old,content\n")
    real_fdopen = os.fdopen

    class Boom:
        def __init__(self, fh):
            self.fh = fh

        def __enter__(self):
            return self

        def __exit__(self, *a):
            self.fh.close()

        def write(self, text):
            self.fh.write(text[: len(text) // 2])
            raise KeyboardInterrupt  # killed mid-write

    monkeypatch.setattr(os, "fdopen", lambda fd, *a, **k: Boom(real_fdopen(fd, *a, **k)))
    with pytest.raises(KeyboardInterrupt):
        write_file_atomically(out, "patient,risk\n" + "P-0,0.5\n" * 1000)
    monkeypatch.undo()
    assert out.read_text() == "old,content\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pred.csv"]
    write_file_atomically(out, "patient,risk\nP-0,0.5\n")
    assert out.read_text() == "patient,risk\nP-0,0.5\n"
    r = run("predict", str(models["finegray"]), str(CSV), "--output", str(out), "--force",
            "--id-key", "a-study-key-for-the-test")
    assert r.returncode == 0, r.stderr
    assert out.read_text().count("\n") == 127 and sorted(p.name for p in tmp_path.iterdir()) == ["pred.csv"]


# Output files, folders and privacy: not re-run under the second BLAS kernel (.ci/run).
pytestmark = pytest.mark.outputs

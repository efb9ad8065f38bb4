"""The fracture job on the job mechanism (issue 15): options, a thin analyse(), results from to_dict(), conf_level.

The numbers themselves are checked against R in tests/test_fracture_*.py, tests/test_ratio_summary.py and
tests/test_horizon_measure.py; here: the job's shape and that the confidence level reaches every CI and text.
"""

import ast
import inspect
import json
from pathlib import Path

import pytest
from numpy.testing import assert_allclose

from spinestats.analysis.competing_risks.crude_incidence import crude_incidence
from spinestats.data_schemas.examples import cohort_fracture
from spinestats.errors import UsageError
from spinestats.reports import fracture_job
from spinestats.reports.fracture_job import FractureOptions


def test_analyse_is_thin():
    tree = ast.parse(inspect.getsource(fracture_job))
    fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "analyse")
    assert fn.end_lineno - fn.lineno + 1 <= 60
    assert fracture_job.OPTIONS is FractureOptions


def test_options_are_checked_with_library_wording():
    o = FractureOptions.from_mapping({"bootstrap": 100, "covariates": ["sins_total", "age"], "horizon": 24})
    assert o.covariates == ("sins_total", "age") and o.horizon == 24.0 and isinstance(o.horizon, float)
    assert FractureOptions(covariates=()).covariates == fracture_job.DEFAULT_COVARIATES
    with pytest.raises(UsageError, match="unknown option 'horizn'.*Did you mean 'horizon'"):
        FractureOptions.from_mapping({"horizn": 12})
    with pytest.raises(UsageError, match="option 'model' expects one of 'finegray', 'cox', 'firth'"):
        FractureOptions.from_mapping({"model": "logistic"})
    with pytest.raises(UsageError, match="option 'conf_level' expects a number"):
        FractureOptions.from_mapping({"conf_level": "95%"})
    with pytest.raises(UsageError, match="conf_level must be between 0 and 1"):
        FractureOptions(conf_level=95)
    with pytest.raises(UsageError, match="horizon must be a positive"):
        FractureOptions(horizon=0)
    with pytest.raises(UsageError, match="0.95 only"):
        FractureOptions(model="firth", conf_level=0.9)


def _keys(value, where=""):
    if isinstance(value, dict):
        for k, v in value.items():
            yield f"{where}/{k}"
            yield from _keys(v, f"{where}/{k}")
    elif isinstance(value, list):
        for v in value:
            yield from _keys(v, where)


@pytest.fixture(scope="module")
def at_90(tmp_path_factory):
    from spinestats.reports.tables import table_style

    out = tmp_path_factory.mktemp("fracture90")
    data = cohort_fracture.make()
    with table_style() as written:
        sec = fracture_job.run(data=data, out_dir=out, bootstrap=0, conf_level=0.9, figure_formats=["png"])
    return out, data, sec, {r.path.stem: [c.header for c in r.table.columns] + list(r.table.footnotes) for r in written}


def test_results_are_json_without_private_keys(at_90):
    _, _, sec, _ = at_90
    json.dumps(sec.results, allow_nan=False)
    private = [k for k in _keys(sec.results) if k.rsplit("/", 1)[1].startswith("_")]
    assert private == []
    assert sec.results["options"]["conf_level"] == 0.9 and sec.results["risk_model"]["file"] == "model.json"


def test_conf_level_reaches_the_estimates_tables_and_methods(at_90):
    out, data, sec, headers = at_90
    d = fracture_job.prepare(data)
    want = crude_incidence(d, time="time_months", event="event", cause=1, conf_level=0.9).overall.ci
    assert_allclose(sec.results["crude"]["overall"]["ci"], want, rtol=1e-12)
    default = fracture_job.run(data=data, bootstrap=0)
    assert sec.results["model"]["estimate"] == default.results["model"]["estimate"]
    assert sec.results["model"]["lower"][0] > default.results["model"]["lower"][0]  # a 90% CI is narrower
    assert default.results["risk_model"]["file"] is None  # nothing written without out_dir
    text = " ".join(sec.methods)
    assert "Clopper-Pearson 90% CIs" in text and "95%" not in text
    assert "Clopper-Pearson 95% CIs" in " ".join(default.methods)
    flat = " ".join(h for row in headers.values() for h in row)
    assert "95%" not in flat and "90% CI" in flat
    for stem in ("fracture_crude_incidence", "fracture_performance", "fracture_calibration_groups",
                 "fracture_finegray", "fracture_cox"):
        assert any("90% CI" in h for h in headers[stem]), (stem, headers[stem])


def test_forest_plot_says_the_level(at_90):
    import matplotlib.pyplot as plt

    from spinestats.reports import fracture_figures as ff

    _, _, sec, _ = at_90
    ax = ff.forest_figure(sec.results["model"], conf_level=0.9)
    texts = [ax.get_xlabel()] + [t.get_text() for a in ax.figure.axes for t in a.texts]
    assert "Subdistribution hazard ratio (90% CI), log scale" in texts
    assert not any("95%" in t for t in texts)
    plt.close(ax.figure)


def test_cli_fills_the_options_from_its_flags(tmp_path, capsys):
    from spinestats.reports.cli.main import main

    src = Path(fracture_job.__file__).parents[1] / "data_schemas" / "examples" / "synthetic_fracture.csv"
    with pytest.raises(SystemExit) as ok:
        main(["fracture", str(src), "--out", str(tmp_path / "o"), "--bootstrap", "0", "--conf-level", "0.9",
              "--horizon", "24", "--figure-format", "png"])
    assert ok.value.code == 0
    r = json.loads((tmp_path / "o" / "results.json").read_text(encoding="utf-8"))
    r = r.get("fracture", r)
    assert r["options"]["conf_level"] == 0.9 and r["options"]["horizon"] == 24.0 and r["options"]["seed"] == 2024
    with pytest.raises(SystemExit) as exc:
        main(["fracture", str(src), "--out", str(tmp_path / "p"), "--horizon", "0"])
    assert exc.value.code == 2 and "--horizon must be a positive" in capsys.readouterr().err

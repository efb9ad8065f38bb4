"""spinestats sample-size: inputs and outputs printed, JSON valid against the schema."""

import json
from pathlib import Path

import jsonschema

from spinestats.data_schemas.examples import cohort_readers
from cli_run import cli  # tests/ is on sys.path

SCHEMA = json.loads((Path(cohort_readers.__file__).resolve().parents[1] / "results" / "sample_size.schema.json").read_text())



def test_buderer_text_and_json(capsys):
    assert cli("sample-size", "buderer", "--sensitivity", 0.9, "--specificity", 0.846, "--prevalence", 0.34,
               "--precision", 0.1) == 0
    out = capsys.readouterr().out
    assert "n_sensitivity: 102" in out and "n_specificity: 76" in out and "n: 102" in out and "prevalence: 0.34" in out
    assert cli("sample-size", "buderer", "--sensitivity", 0.9, "--specificity", 0.846, "--prevalence", 0.34,
               "--precision", 0.1, "--json") == 0
    doc = json.loads(capsys.readouterr().out)
    jsonschema.validate(doc, SCHEMA)
    assert (doc["n_sensitivity"], doc["n_specificity"], doc["n"]) == (102, 76, 102)


def test_other_methods_json(capsys):
    for args in (["auc", "--auc", 0.8, "--power", 0.9, "--kappa", 1.95],
                 ["auc", "--auc", 0.85, "--prevalence", 0.34, "--precision", 0.05],
                 ["kappa", "--kappa0", 0.4, "--kappa1", 0.8, "--prevalence", 0.3],
                 ["riley", "--parameters", 24, "--prevalence", 0.174, "--csrsquared", 0.288]):
        assert cli("sample-size", *args, "--json") == 0
        jsonschema.validate(json.loads(capsys.readouterr().out), SCHEMA)


def test_bad_input_is_a_usage_error(capsys):
    assert cli("sample-size", "buderer", "--sensitivity", 1.2, "--specificity", 0.8, "--prevalence", 0.3,
               "--precision", 0.1) == 2
    assert "sensitivity" in capsys.readouterr().err
    assert cli("sample-size", "auc", "--auc", 0.8) == 2

"""spinestats agreement: long (readers schema) and wide layouts, and a reader scoring a case twice."""

import json
from pathlib import Path

import jsonschema
import pandas as pd
from numpy.testing import assert_allclose

from spinestats.analysis.agreement.icc import icc
from spinestats.analysis.agreement.kappa import cohen_kappa
from spinestats.data_schemas.examples import cohort_readers as cr
from cli_run import cli  # tests/ is on sys.path

EXAMPLES = Path(cr.__file__).resolve().parent
SCHEMA = json.loads((EXAMPLES.parent / "results" / "agreement.schema.json").read_text())



def test_long_layout_readers_schema(tmp_path):
    assert cli("agreement", EXAMPLES / "synthetic_readers.csv", "--schema", "readers", "--out", tmp_path / "a") == 0
    res = json.loads((tmp_path / "a" / "results.json").read_text(encoding="utf-8"))
    jsonschema.validate(res, SCHEMA)
    wide = cr.make().pivot(index="case_id", columns="reader", values="dss")
    assert_allclose(res["kappa"]["estimate"], cohen_kappa(wide.R1, wide.R2).estimate, rtol=1e-12)
    assert_allclose(res["weighted_kappa"]["quadratic"]["estimate"],
                    cohen_kappa(wide.R1, wide.R2, weights="quadratic", levels=list(range(7))).estimate, rtol=1e-12)
    ref = icc(wide.to_numpy(dtype=float))
    assert [e["type"] for e in res["icc"]] == ["ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k"]
    assert_allclose(res["icc"][1]["estimate"], ref.get("ICC2")["estimate"], rtol=1e-12)
    assert res["fleiss_kappa"]["n_raters"] == 3
    assert set(res["features"]) == {"boundary", "lobulated", "bone_destruction", "size_cm"}
    size = cr.make().pivot(index="case_id", columns="reader", values="size_cm").to_numpy(dtype=float)
    got = {e["type"]: e["estimate"] for e in res["features"]["size_cm"]["icc"]}
    assert_allclose(got["ICC2"], icc(size).get("ICC2")["estimate"], rtol=1e-12)


def test_wide_layout(tmp_path):
    wide = cr.make().pivot(index="case_id", columns="reader", values="dss").reset_index()
    p = tmp_path / "wide.csv"
    wide.to_csv(p, index=False)
    assert cli("agreement", p, "--case", "case_id", "--raters", "R1,R2", "--out", tmp_path / "w") == 0
    res = json.loads((tmp_path / "w" / "results.json").read_text(encoding="utf-8"))
    jsonschema.validate(res, SCHEMA)
    assert res["layout"] == "wide" and res["raters"] == ["R1", "R2"] and res["n_cases"] == 59
    assert_allclose(res["weighted_kappa"]["linear"]["estimate"],
                    cohen_kappa(wide.R1, wide.R2, weights="linear", levels=list(range(7))).estimate, rtol=1e-12)


def test_reader_scoring_a_case_twice_is_refused(tmp_path, capsys):
    d = cr.make()
    d = pd.concat([d, d.iloc[[4]]], ignore_index=True)  # R2 reads CASE-002 twice
    p = tmp_path / "dup.csv"
    d.to_csv(p, index=False)
    code = cli("agreement", p, "--schema", "readers", "--out", tmp_path / "never")
    err = capsys.readouterr().err
    assert code == 1
    # the loader's readers-schema rule catches it first, naming the lines
    assert "one_score_per_reader" in err and "each reader scores each case once" in err and "Traceback" not in err


def test_job_refuses_repeated_reading_in_a_dataframe():
    import pytest

    from spinestats.errors import DataError
    from spinestats.reports.agreement_job import run

    d = cr.make()
    d = pd.concat([d, d.iloc[[4]]], ignore_index=True)
    with pytest.raises(DataError, match=r"reader 'R2' scored the case of line 4 more than once \(lines 4, 177\)") as err:
        run(d)
    assert "CASE-002" not in str(err.value)  # no raw case ID in a message


def test_wide_layout_needs_raters(tmp_path, capsys):
    p = tmp_path / "w.csv"
    pd.DataFrame({"case": [1, 2], "a": [1, 2], "b": [1, 2]}).to_csv(p, index=False)
    assert cli("agreement", p, "--case", "case", "--out", tmp_path / "x") == 2
    assert "--raters" in capsys.readouterr().err


def test_conf_level_reaches_results_table_header(tmp_path):
    """The agreement table heads its intervals at the analysis' level (it said 95% whatever the level)."""
    from spinestats.reports.agreement_job import run
    from spinestats.reports.section_tables import agreement_tables

    wide = cr.make().pivot(index="case_id", columns="reader", values="dss").reset_index()
    res = run(wide, out_dir=tmp_path, case="case_id", raters=["R1", "R2"], conf_level=0.90).results
    jsonschema.validate(json.loads(json.dumps(res)), SCHEMA)
    assert res["conf_level"] == 0.90
    ci = icc(wide[["R1", "R2"]].to_numpy(dtype=float), conf_level=0.90).get("ICC2")
    assert_allclose(res["icc"][1]["lower"], ci["lower"], rtol=1e-12)
    (table,) = agreement_tables(res)
    assert [c.header for c in table.columns] == ["Measure read and statistic", "Estimate (90% CI)", "p"]


def test_pain_trajectory_caption_names_the_level():
    from spinestats.reports.pain_job import PainOptions, captions

    assert captions("pain", PainOptions(conf_level=0.9)) == {
        "pain_trajectory": "Mean pain (NRS 0\u201310) over time with 90% CIs"}
    assert captions("pain_cafe", PainOptions())["pain_cafe_trajectory"].endswith("with 95% CIs")

"""The display-label system (data_schemas/labels.py): defaults, overrides, references and refusals."""

from __future__ import annotations

import pytest

from spinestats.data_schemas.labels import Labels, parse_cli_labels
from spinestats.errors import DataError, UsageError


def test_schema_defaults_units_and_values():
    lab = Labels(["dss", "fracture", "bkp", "cirt"])
    assert lab.variable("size_cm") == "Tumour size (cm)"
    assert lab.variable("nrs") == "Pain (NRS 0\u201310)"
    assert lab.value("boundary", "indistinct") == "Indistinct boundary"
    assert lab.value("sex", "male") == "Male"
    assert lab.value("lobulated", True) == "Yes" and lab.value("lobulated", False) == "No"
    assert lab.term("modality", "SBRT") == "Modality: SBRT"
    assert lab.coefficient_label("modalitySBRT", ["modality", "age"]) == "Modality: SBRT"
    assert lab.coefficient_label("separation_surgeryTRUE", ["separation_surgery"]) == "Separation surgery: Yes"
    assert lab.coefficient_label("age", ["age"]) == "Age (years)"
    assert lab.endpoint("os") == "Overall survival"
    assert lab.value("visit", "1w") == "1 week"


def test_reference_declared_then_schema_order_never_alphabetical():
    lab = Labels(["fracture", "cirt"])
    assert lab.reference("modality") == "CIRT"          # declared in fracture.yaml
    assert lab.levels("site") == ("cervical", "thoracic", "lumbar", "sacral")
    assert lab.reference("site", ["thoracic", "lumbar"]) == "thoracic"  # first present in schema order
    assert lab.ordered_levels("site", ["sacral", "lumbar", "thoracic"]) == ["thoracic", "lumbar", "sacral"]
    lab = Labels(["fracture"], reference={"modality": "conventional"})
    assert lab.ordered_levels("modality", ["SBRT", "CIRT", "conventional"]) == ["conventional", "CIRT", "SBRT"]


def test_overrides_plan_style_and_japanese():
    lab = Labels(["dss"], labels={"size_cm": "腫瘍径", "boundary": {"values": {"indistinct": "不明瞭"}},
                                  "boundary.distinct": "明瞭"}, endpoint_labels={"os": "全生存"})
    assert lab.variable("size_cm") == "腫瘍径 (cm)"
    assert lab.term("boundary", "indistinct") == "Tumour boundary: 不明瞭"
    assert lab.value("boundary", "distinct") == "明瞭"
    assert lab.endpoint("os") == "全生存"


def test_cli_options():
    labels, refs = parse_cli_labels(["sex=Sex", "modality.SBRT=Stereotactic"], ["modality=conventional"])
    assert labels == {"sex": "Sex", "modality.SBRT": "Stereotactic"} and refs == {"modality": "conventional"}
    with pytest.raises(UsageError, match="NAME=TEXT"):
        parse_cli_labels(["sex"])


def test_unknown_variable_and_level_name_closest_and_levels():
    with pytest.raises(UsageError, match=r"unknown variable 'size_mm'\. Did you mean 'size_cm'\?"):
        Labels(["dss"], labels={"size_mm": "Size"})
    with pytest.raises(UsageError, match=r"unknown level 'indistinkt'.*'indistinct'.*Levels of boundary: distinct, indistinct"):
        Labels(["dss"], labels={"boundary.indistinkt": "x"})
    with pytest.raises(UsageError, match=r"unknown reference 'sbrt'.*'SBRT'.*CIRT, SBRT, conventional"):
        Labels(["fracture"], reference={"modality": "sbrt"})


def test_collisions_name_both():
    with pytest.raises(UsageError, match=r"'CIRT' and 'SBRT' would both read 'CIRT'"):
        Labels(["fracture"], labels={"modality.SBRT": "CIRT"})
    with pytest.raises(UsageError, match=r"'lobulated'.*'bone_destruction'|'bone_destruction'.*'lobulated'"):
        Labels(["dss"], labels={"lobulated": "Bone destruction"})
    with pytest.raises(UsageError, match=r"'centre' and 'histology' both read"):  # same after case/space folding
        Labels(["dss"], labels={"centre": "Site of care", "histology": " site of  CARE"})


def test_reference_absent_from_data_names_levels_present():
    import pandas as pd

    lab = Labels(["fracture"], reference={"modality": "conventional"})
    with pytest.raises(DataError, match=r"reference level 'conventional' of modality does not occur.*levels present: CIRT, SBRT"):
        lab.check_data(pd.DataFrame({"modality": ["SBRT", "CIRT", "SBRT"]}))


def test_plan_labels_validated_before_anything_runs(tmp_path):
    from spinestats.data_schemas.plan import read_plan

    (tmp_path / "d.csv").write_text("x\n1\n", encoding="utf-8")
    base = "schema_version: 1\ndata:\n  d: {file: d.csv, schema: fracture}\nanalyses:\n  - {type: survival, data: d}\n"
    (tmp_path / "ok.yaml").write_text(base + "labels:\n  modality.conventional: Conventional\nreference:\n  modality: SBRT\n"
                                      "endpoint_labels:\n  os: 全生存\n", encoding="utf-8")
    plan = read_plan(tmp_path / "ok.yaml")
    lab = plan.labels_for(["d"])
    assert lab.value("modality", "conventional") == "Conventional" and lab.reference("modality") == "SBRT"
    assert lab.endpoint("os") == "全生存"
    (tmp_path / "bad.yaml").write_text(base + "reference:\n  modalty: SBRT\n", encoding="utf-8")
    with pytest.raises(UsageError, match="Did you mean 'modality'"):
        read_plan(tmp_path / "bad.yaml")


def test_interaction_and_intercept_terms():
    lab = Labels(["bkp"])
    assert lab.coefficient_label("armBKP:visit1w", ["arm", "visit"]) == "Arm: Balloon kyphoplasty \u00d7 Visit: 1 week"
    assert lab.coefficient_label("(Intercept)", ["arm"]) == "Intercept"


@pytest.mark.parametrize("extra, code, needles", [
    ("labels:\n  site.thorasic: Thoracic spine\n", 2,
     ["unknown level 'thorasic'", "Did you mean 'thoracic'?", "Levels of site: cervical, thoracic, lumbar, sacral"]),
    ("labels:\n  sitte: Level\n", 2, ["unknown variable 'sitte'", "Did you mean 'site'?"]),
    ("reference:\n  sex: femal\n", 2, ["unknown reference 'femal'", "Did you mean 'female'?", "Levels of sex: male, female"]),
    ("labels:\n  site.lumbar: Thoracic\n  site.thoracic: thoracic\n", 2, ["'thoracic' and 'lumbar'", "would both read"]),
    ("reference:\n  site: sacral\n", 1,
     ["reference level 'sacral' of site does not occur", "levels present: cervical, thoracic, lumbar"]),
])
def test_bad_labels_or_reference_in_a_plan_stop_the_run_before_anything_is_written(tmp_path, capsys, extra, code,
                                                                                   needles):
    """`spinestats run` refuses the plan with the closest match, the levels (present), or both colliding names,
    exits 1 (data) or 2 (usage), and writes no output folder and runs no analysis."""
    from pathlib import Path

    from cli_run import cli

    examples = Path(__file__).resolve().parents[1] / "data_schemas" / "examples"
    plan = tmp_path / "plan.yaml"
    plan.write_text("schema_version: 1\ntitle: Bad labels\nseed: 1\n"
                    f"data:\n  cirt: {{file: {(examples / 'synthetic_cirt.csv').as_posix()}, schema: cirt}}\n"
                    "analyses:\n  - {type: survival, data: cirt, group: site, covariates: [site, sex], endpoint: os}\n"
                    + extra, encoding="utf-8")
    assert cli("run", plan, "--out", tmp_path / "out") == code
    err = " ".join(capsys.readouterr().err.split())
    for needle in needles:
        assert needle in err, (needle, err)
    assert "Traceback" not in err and not (tmp_path / "out").exists()


def test_fallback_label_puts_a_unit_suffix_in_parentheses():
    from spinestats.data_schemas.labels import humanise

    assert humanise("size_cm") == "Size (cm)"
    assert humanise("dose_gye") == "Dose (GyE)"
    assert humanise("separation_surgery") == "Separation surgery"
    assert humanise("cm") == "Cm"  # a lone unit word is a name, not a unit
    assert humanise("分離手術") == "分離手術"


def test_column_mode_columns_take_labels_from_the_command_line(tmp_path):
    """`--label` works for a column of the file read in column mode (Japanese names included)."""
    import json

    import numpy as np
    import pandas as pd

    from cli_run import cli  # tests/ is on sys.path

    rng = np.random.default_rng(3)
    n = 30
    pd.DataFrame({"期間_月": np.round(rng.exponential(30, n), 1) + 0.5, "イベント": rng.integers(0, 2, n),
                  "分離手術": np.where(np.arange(n) % 2 == 0, "あり", "なし")}).to_csv(tmp_path / "s.csv", index=False)
    out = tmp_path / "out"
    code = cli("survival", tmp_path / "s.csv", "--time", "期間_月", "--event", "イベント",
               "--group", "分離手術", "--label", "分離手術=Surgery before CIRT",
               "--label", "分離手術.あり=With separation surgery", "--out", out)
    assert code == 0
    md = "\n".join(p.read_text(encoding="utf-8") for p in (out / "tables").glob("*.md"))
    assert "With separation surgery" in md and "Surgery before CIRT" in md
    assert json.loads((out / "results.json").read_text(encoding="utf-8"))["flow"]["analysed"] == n

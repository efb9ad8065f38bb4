"""End to end: spinestats multicenter / site-summary / pool / plan on the bundled multicentre set."""

import json
from pathlib import Path

import jsonschema
import pandas as pd
import pytest

from spinestats.data_schemas.examples import cohort_multicenter as cm
from cli_run import cli  # tests/ is on sys.path

HERE = Path(cm.__file__).resolve().parent / "multicenter"
SCHEMA = json.loads((Path(cm.__file__).resolve().parents[1] / "results" / "multicenter.schema.json").read_text())
FILES = [HERE / "centre_A.csv", HERE / "centre_B.csv", HERE / "centre_C.xlsx", HERE / "centre_D.csv",
         HERE / "centre_E.csv", HERE / "centre_F.csv"]
MAP_B = f"centre_B.csv={HERE / 'mapping_centre_B.yaml'}"
PLAN = "prespecified:\n  score: dss\n  cutoff: 3\n  positive: malignant\n  primary_measures: [sensitivity, specificity]\n"



@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("mc")
    plan = tmp / "plan.yaml"
    plan.write_text(PLAN, encoding="utf-8")
    assert cli("multicenter", "--schema", "dss", *FILES, "--mapping", MAP_B, "--plan", plan,
               "--figure-formats", "png", "--out", tmp / "mc") == 0
    bundles = []
    for f in FILES:
        out = tmp / f"site_{f.stem}.json"
        extra = ["--mapping", HERE / "mapping_centre_B.yaml"] if f.stem == "centre_B" else []
        assert cli("site-summary", f, "--schema", "dss", *extra, "--plan", plan, "--out", out) == 0
        bundles.append(out)
    assert cli("pool", *bundles, "--plan", plan, "--figure-formats", "none", "--out", tmp / "pool") == 0
    return {"tmp": tmp, "plan": plan, "bundles": bundles,
            "mc": json.loads((tmp / "mc" / "results.json").read_text(encoding="utf-8")),
            "pool": json.loads((tmp / "pool" / "results.json").read_text(encoding="utf-8"))}


def test_results_follow_the_schema_and_the_cohort(runs):
    res = runs["mc"]
    jsonschema.validate(res, SCHEMA)
    jsonschema.validate(runs["pool"], SCHEMA)
    assert res["mode"] == "patient-level" and res["synthetic"] is True
    assert len(res["per_center"]) == 6
    for row in res["per_center"]:
        code = row["center"].split()[1]
        n, n_mal, sens, spec = cm.CENTRES[code]
        assert row["n"] == n and row["tp"] == round(n_mal * sens) and row["tn"] == round((n - n_mal) * spec)
    assert res["flow"]["overall"]["n_excluded"] == 5 and res["flow"]["overall"]["n_analysed"] == 480
    assert res["cutoff_status"] == "prespecified" and len(res["plan_hash"]) == 64
    # every run also pools its own in-memory site bundles and compares (federated = patient-level)
    assert res["federated_check"]["identical"] is True
    assert len(res["federated_check"]["bundles"]) == 6
    assert (runs["tmp"] / "mc" / res["federated_check"]["bundles"][0]).is_file()
    assert (runs["tmp"] / "mc" / "figures" / "sroc_300dpi.png").is_file()
    assert (runs["tmp"] / "mc" / "figures" / "flow_diagram_300dpi.png").is_file()
    items = {i["item"] for i in res["stard"]}
    assert {"12a", "16", "19", "23", "24"} <= items


def test_federated_pool_equals_patient_level(runs):
    a, b = runs["mc"], runs["pool"]
    assert b["mode"] == "federated" and b["federated_exact"] is True
    for key in ("per_center", "pooled", "bivariate", "pooled_counts", "exploratory", "cutoff_status", "plan_hash"):
        assert a[key] == b[key], key


def test_pool_writes_the_formatted_multicentre_tables_and_report(runs):
    out = runs["tmp"] / "pool"
    for stem in ("multicenter_per_center", "multicenter_pooled", "multicenter_bivariate"):
        assert all((out / "tables" / f"{stem}.{ext}").is_file() for ext in ("csv", "xlsx", "docx", "md")), stem
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Pooled accuracy across centres (random-effects meta-analysis)" in html and "I\u00b2 (%)" in html
    a = (runs["tmp"] / "mc" / "tables" / "multicenter_pooled.md").read_text(encoding="utf-8")
    assert (out / "tables" / "multicenter_pooled.md").read_text(encoding="utf-8") == a  # federated = patient-level


def test_bundles_hold_no_rows_ids_or_dates(runs):
    for p in runs["bundles"]:
        text = p.read_text(encoding="utf-8")
        assert "MCA-" not in text and "patient_id" not in text and "2026-" not in text


def test_tampered_bundle_is_refused_by_pool(runs, capsys):
    doc = json.loads(runs["bundles"][0].read_text(encoding="utf-8"))
    doc["payload"]["score"]["n_pos"][-1] += 1
    bad = runs["tmp"] / "tampered.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    code = cli("pool", bad, *runs["bundles"][1:], "--out", runs["tmp"] / "never")
    err = capsys.readouterr().err
    assert code == 1 and "checksum mismatch" in err and "Traceback" not in err
    assert not (runs["tmp"] / "never").exists()


def test_other_cutoff_is_exploratory(runs, tmp_path):
    table = tmp_path / "all.csv"
    cm.make().to_csv(table, index=False)
    assert cli("multicenter", table, "--center", "centre", "--score", "dss", "--truth", "reference",
               "--positive", "malignant", "--cutoff", "4", "--plan", runs["plan"], "--figure-formats", "none",
               "--out", tmp_path / "out") == 0
    res = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    assert res["cutoff"] == 4 and res["cutoff_status"] == "exploratory"
    assert any("differs from the plan" in w for w in res["warnings"])
    assert res["exploratory"]["label"] == "exploratory"


def test_zero_cell_centre_gets_stated_continuity_correction(tmp_path):
    d = cm.make()
    # centre F: make every malignant tumour test positive (sensitivity 1: a zero cell)
    f = (d["centre"] == cm.centre_label("F")) & (d["reference"] == "malignant")
    d.loc[f, ["size_cm", "boundary", "lobulated", "bone_destruction", "dss"]] = [6.0, "indistinct", True, True, 6]
    table = tmp_path / "zero.csv"
    d.to_csv(table, index=False)
    assert cli("multicenter", table, "--center", "centre", "--score", "dss", "--truth", "reference",
               "--positive", "malignant", "--figure-formats", "none", "--out", tmp_path / "out") == 0
    res = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    sens = res["pooled"]["sensitivity"]
    assert sens["corrected"] == [cm.centre_label("F")] and sens["continuity_correction"] == 0.5
    assert any("zero cell in Centre F" in w and "0.5 added" in w for w in res["warnings"])


def test_plan_lock_cli_and_changed_plan(runs, tmp_path, capsys):
    plan = tmp_path / "p.yaml"
    plan.write_text(PLAN, encoding="utf-8")
    assert cli("plan", "lock", plan) == 0
    assert (tmp_path / "p.lock.json").is_file()
    assert cli("plan", "verify", plan) == 0
    plan.write_text(PLAN.replace("cutoff: 3", "cutoff: 2"), encoding="utf-8")
    capsys.readouterr()
    assert cli("plan", "verify", plan) == 1
    assert "no longer matches its lock" in capsys.readouterr().err


def test_bundle_of_other_version_is_refused_by_pool(runs, capsys):
    from spinestats.data_schemas.site_bundle import checksum

    doc = json.loads(runs["bundles"][0].read_text(encoding="utf-8"))
    doc["bundle_schema_version"] = 99
    doc["checksum"]["value"] = checksum(doc)
    p = runs["tmp"] / "v99.json"
    p.write_text(json.dumps(doc), encoding="utf-8")
    assert cli("pool", p, *runs["bundles"][1:], "--out", runs["tmp"] / "never2") == 1
    assert "bundle schema version 99" in capsys.readouterr().err


def test_survival_bundles_pool_to_patient_level(tmp_path):
    import numpy as np

    from spinestats.analysis.survival.kaplan_meier import km_curve
    from spinestats.analysis.survival.logrank import logrank_test

    rng = np.random.default_rng(5)
    frames = []
    bundles = []
    for c in "XYZ":
        n = 40
        df = pd.DataFrame({"months": np.round(rng.exponential(24, n)) + 1, "died": rng.random(n) < 0.6,
                           "arm": rng.choice(["a", "b"], n)})
        frames.append(df)
        p = tmp_path / f"{c}.csv"
        df.to_csv(p, index=False)
        out = tmp_path / f"{c}.json"
        assert cli("site-summary", p, "--time", "months", "--event", "died", "--group", "arm", "--centre", c,
                   "--out", out) == 0
        bundles.append(out)
    assert cli("pool", *bundles, "--figure-formats", "none", "--out", tmp_path / "pool") == 0
    res = json.loads((tmp_path / "pool" / "results.json").read_text(encoding="utf-8"))["survival"]
    allp = pd.concat(frames, ignore_index=True)
    for g in ("a", "b"):
        sub = allp[allp.arm == g]
        km = km_curve(sub["months"].to_numpy(), sub["died"].to_numpy())
        np.testing.assert_allclose(res["kaplan_meier"][g]["survival"], km.survival, rtol=1e-9)
        np.testing.assert_allclose(np.array(res["kaplan_meier"][g]["upper"], dtype=float), km.upper, rtol=1e-9)
    lr = logrank_test(allp, time="months", event="died", group="arm")
    np.testing.assert_allclose(res["logrank"]["chisq"], lr.chisq, rtol=1e-9)

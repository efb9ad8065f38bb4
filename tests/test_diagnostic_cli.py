"""``spinestats dss`` / ``spinestats accuracy`` end to end, the job, the schema and the figures.

R references are the ones of ``tests/test_diagnostic_roc.py`` (pROC/epiR on the
bundled DSS cohort, ``tests/r/diagnostic_reference.R``) and::

    binom.test(18, 20)$conf.int  -> 0.683017285981 0.98765147283
    binom.test(33, 39)$conf.int  -> 0.694720075563 0.941375737139
"""

import hashlib
import json
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from spinestats.analysis.diagnostic.cutoff_bootstrap import bootstrap_cutoff
from spinestats.analysis.diagnostic.auc_bootstrap import bootstrap_auc
from spinestats.analysis.diagnostic.cutoff import optimal_cutoff
from spinestats.analysis.diagnostic.roc import roc_from_counts
from spinestats.data_schemas.examples import cohort_dss
from spinestats.reports import diagnostic_job
from cli_run import cli  # tests/ is on sys.path
from spinestats.reports.diagnostic_figures import cutoff_stability_figure, roc_figure, score_distribution_figure

CSV = Path(cohort_dss.__file__).with_name("synthetic_dss.csv")
SCHEMA = json.loads((Path(cohort_dss.__file__).parents[1] / "results" / "diagnostic.schema.json").read_text())



@pytest.fixture(scope="module")
def dss_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("dss") / "out"
    digest = hashlib.sha256(CSV.read_bytes()).hexdigest()
    code = cli("dss", str(CSV), "--bootstrap", "300", "--seed", "7", "--figure-format", "pdf", "--figure-format", "svg",
               "--figure-format", "png", "--dpi", "60", "--out", str(out))
    assert code == 0
    assert hashlib.sha256(CSV.read_bytes()).hexdigest() == digest  # input untouched
    return out, json.loads((out / "results.json").read_text(encoding="utf-8"))


def test_dss_reproduces_published_figures(dss_run):
    _, r = dss_run
    jsonschema.validate(r, SCHEMA)
    assert (r["n"], r["n_positive"], r["n_negative"]) == (59, 20, 39)
    at3 = r["requested_cutoffs"][0]
    assert at3["cutoff"] == 3 and (at3["tp"], at3["fn"], at3["tn"], at3["fp"]) == (18, 2, 33, 6)
    assert round(at3["sensitivity"], 3) == 0.900 and round(at3["specificity"], 3) == 0.846
    assert_allclose(at3["sensitivity_ci"], [0.683017285981, 0.98765147283], rtol=1e-6)
    assert_allclose(at3["specificity_ci"], [0.694720075563, 0.941375737139], rtol=1e-6)
    # pROC: auc(r) 0.948717948718; ci.auc(r, method = "delong") 0.898263651689 0.999172245747
    assert r["auc"] == pytest.approx(0.948717948718, rel=1e-6)
    assert_allclose(r["auc_ci"], [0.898263651689, 0.999172245747], rtol=1e-6)
    assert r["by_class"]["benign"]["median"] == 0 and r["by_class"]["malignant"]["median"] == 5.5
    assert r["optimal_cutoff"]["cutoff"] == 3 and r["optimal_cutoff"]["tied"] is False
    assert [c["cutoff"] for c in r["cutoffs"]] == [0, 1, 2, 3, 4, 5, 6]
    assert len(r["features"]) == 4 and all(f["p_fisher"] < 0.05 for f in r["features"])
    assert r["flow"] == {"n_read": 59, "n_analysed": 59, "n_excluded": 0, "exclusions": []}
    assert r["bootstrap"]["cutoff_validation"]["B"] == 300


def test_dss_output_files(dss_run):
    out, _ = dss_run
    figs = {p.name for p in (out / "figures").iterdir()}
    for stem in ("dss_roc", "dss_score_distribution", "dss_cutoff_stability"):
        assert {f"{stem}.pdf", f"{stem}.svg", f"{stem}_60dpi.png"} <= figs
    assert (out / "tables" / "dss_cutoffs.csv").exists() and (out / "methods.md").exists()
    text = (out / "results.json").read_text(encoding="utf-8")
    assert "DSS-0" not in text  # no patient IDs in the output


def test_same_seed_same_results(tmp_path, dss_run):
    # (worker independence of the replicates: tests/test_diagnostic_bootstrap.py)
    _, first = dss_run
    code = cli("dss", str(CSV), "--bootstrap", "300", "--seed", "7", "--figure-format", "svg",
               "--out", str(tmp_path / "b"))
    assert code == 0
    assert json.loads((tmp_path / "b" / "results.json").read_text()) == first


def test_force_and_existing_folder(tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    (out / "x.txt").write_text("keep")
    assert cli("dss", str(CSV), "--figure-format", "svg", "--out", str(out)) == 2
    # --force replaces only what spinestats wrote: a folder with a file of the user's is refused
    assert cli("dss", str(CSV), "--figure-format", "svg", "--out", str(out), "--force") == 2
    assert (out / "x.txt").read_text() == "keep"
    (out / "x.txt").unlink()
    assert cli("dss", str(CSV), "--figure-format", "svg", "--out", str(out)) == 0
    assert cli("dss", str(CSV), "--figure-format", "svg", "--out", str(out)) == 2
    assert cli("dss", str(CSV), "--figure-format", "svg", "--out", str(out), "--force") == 0


def cont_frame():
    rng = np.random.default_rng(7)
    n = 150
    truth = rng.random(n) < 0.4
    x1 = rng.normal(0, 1, n) + 1.0 * truth
    x2 = np.round(x1 * 0.6 + rng.normal(0, 1, n) + 0.3 * truth)
    return pd.DataFrame({"status": np.where(truth, "case", "control"), "x1": x1, "x2": x2})


def test_accuracy_command_with_compare(tmp_path):
    f = tmp_path / "markers.csv"
    cont_frame().to_csv(f, index=False, float_format="%.17g")
    code = cli("accuracy", str(f), "--score", "x1", "--truth", "status", "--positive", "case", "--compare", "x2",
               "--figure-format", "svg", "--out", str(tmp_path / "o"))
    assert code == 0
    r = json.loads((tmp_path / "o" / "results.json").read_text())
    jsonschema.validate(r, SCHEMA)
    # roc.test(r1, r2, method = "delong", paired = TRUE): Z 2.29089812179, p 0.0219693066479,
    # conf.int 0.0139955538017 0.179773443159; auc(r1) 0.766717325228
    d = r["delong_paired"]
    assert_allclose([d["z"], d["p"], *d["ci"]], [2.29089812179, 0.0219693066479, 0.0139955538017, 0.179773443159], rtol=1e-6)
    assert r["auc"] == pytest.approx(0.766717325228, rel=1e-6)
    # coords(r1, "best", best.method = "youden") threshold 0.0982877432082, se 0.839285714286
    assert r["optimal_cutoff"]["threshold"] == pytest.approx(0.0982877432082, rel=1e-6)
    assert r["optimal_cutoff"]["sensitivity"] == pytest.approx(0.839285714286, rel=1e-6)
    assert "mcnemar" in r and r["mcnemar"]["sensitivity_test"]["b"] >= 0


def test_accuracy_bad_inputs(tmp_path, capsys):
    f = tmp_path / "t.csv"
    pd.DataFrame({"s": [1, 2, 3, 4, None, 6, 2, 1, 5, 3, 2, 4],
                  "y": ["p", "n", "p", "p", "n", "p", "n", "n", "p", "n", "n", "p"]}).to_csv(f, index=False)
    assert cli("accuracy", str(f), "--score", "s", "--truth", "y", "--positive", "yes", "--out", str(tmp_path / "a")) == 1
    assert "labels present: n, p" in capsys.readouterr().err
    assert cli("accuracy", str(f), "--score", "nope", "--truth", "y", "--positive", "p", "--out", str(tmp_path / "b")) == 2
    assert "column 'nope' (--score) not in the data" in capsys.readouterr().err
    code = cli("accuracy", str(f), "--score", "s", "--truth", "y", "--positive", "p", "--figure-format", "svg",
               "--out", str(tmp_path / "c"))
    assert code == 0
    r = json.loads((tmp_path / "c" / "results.json").read_text())
    assert r["flow"]["n_read"] == 12 and r["flow"]["n_excluded"] == 1
    assert r["flow"]["exclusions"][0]["lines"] == [6]  # spreadsheet line of the missing score
    assert any("fewer than 10" in w for w in r["warnings"])
    g = tmp_path / "one.csv"
    pd.DataFrame({"s": [1, 2, 3], "y": ["p", "p", "p"]}).to_csv(g, index=False)
    assert cli("accuracy", str(g), "--score", "s", "--truth", "y", "--positive", "p", "--out", str(tmp_path / "d")) == 1
    assert "only one class" in capsys.readouterr().err
    h = tmp_path / "const.csv"
    pd.DataFrame({"s": [2, 2, 2, 2], "y": ["p", "n", "p", "n"]}).to_csv(h, index=False)
    assert cli("accuracy", str(h), "--score", "s", "--truth", "y", "--positive", "p", "--out", str(tmp_path / "e")) == 1
    assert "constant" in capsys.readouterr().err


def test_job_excludes_missing_features_and_counts_them(tmp_path):
    df = cohort_dss.make()
    df.index = df.index + 3
    df.loc[[5, 9], "size_cm"] = np.nan
    sec = diagnostic_job.run(df, tmp_path, figure_formats=("svg",))
    r = sec.results
    assert r["n"] == 57 and r["flow"]["n_excluded"] == 2
    assert r["flow"]["exclusions"][0]["lines"] == [5, 9]
    assert any("excluded" in w for w in sec.warnings)
    assert sec.figures and all((tmp_path / p).exists() for p in sec.figures)


def test_figures_plot_the_result_numbers():
    LEVELS = np.arange(7)
    roc = roc_from_counts(LEVELS, [0, 1, 1, 1, 2, 5, 10], [22, 6, 5, 1, 3, 2, 0])
    opt = optimal_cutoff(roc)
    fig, ax = roc_figure(roc, optimal=opt)
    x, y = ax.lines[0].get_data()
    assert_allclose(x, 1 - roc.specificities)
    assert_allclose(y, roc.sensitivities)
    assert_allclose(ax.lines[2].get_data()[1], [0.9])
    fig, ax = score_distribution_figure(roc, labels=("benign", "malignant"), cutoff=3)
    heights = [p.get_height() for p in ax.patches]
    assert heights[:7] == [22, 6, 5, 1, 3, 2, 0] and heights[7:] == [0, 1, 1, 1, 2, 5, 10]
    s = np.repeat(LEVELS, [22, 6, 5, 1, 3, 2, 0]).tolist() + np.repeat(LEVELS, [0, 1, 1, 1, 2, 5, 10]).tolist()
    t = np.r_[np.zeros(39, bool), np.ones(20, bool)]
    boot = bootstrap_cutoff(np.array(s, float), t, B=100, seed=1)
    fig, ax = cutoff_stability_figure(boot)
    assert sum(p.get_height() for p in ax.patches) == pytest.approx(100.0)
    band = bootstrap_auc(np.array(s, float), t, B=100, seed=1)
    fig, ax = roc_figure(roc, band=band)
    assert len(ax.collections) == 1
    import matplotlib.pyplot as plt

    plt.close("all")


def test_unpaired_delong_between_two_centres(tmp_path):
    """DSS cohort (centre A) vs the continuous marker x1 (centre B) as two independent cohorts.

    u <- roc.test(r1, r, method = "delong", paired = FALSE)   # r1: x1, r: DSS
    D -3.87663232022, df 206.571312445, p 0.000142266219214 (groups sorted: "A-dss" first, so the sign flips)
    """
    dss = cohort_dss.make()
    c = cont_frame()
    frame = pd.concat([
        pd.DataFrame({"score": dss["dss"].astype(float), "y": dss["reference"], "centre": "A-dss"}),
        pd.DataFrame({"score": c["x1"], "y": np.where(c["status"] == "case", "malignant", "benign"), "centre": "B-x1"}),
    ], ignore_index=True)
    sec = diagnostic_job.run(frame, tmp_path, score="score", truth="y", positive="malignant", unpaired_by="centre",
                             figure_formats=("svg",))
    u = sec.results["delong_unpaired"]
    assert u["groups"] == ["A-dss", "B-x1"] and u["n"] == [59, 150]
    assert_allclose([u["statistic"], u["df"], u["p"]], [3.87663232022, 206.571312445, 0.000142266219214], rtol=1e-6)
    jsonschema.validate(sec.results, SCHEMA)

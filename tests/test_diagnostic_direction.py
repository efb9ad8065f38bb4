"""ROC direction (pROC ``direction``) and the AUC < 0.5 warning, against pROC.

Input: ``tests/data/roc_direction.csv`` (80 patients, integer scores, lower in the
malignant class); R code in ``tests/r/diagnostic_direction.R`` and beside each value.
"""

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from numpy.testing import assert_allclose

from spinestats.analysis.diagnostic.roc import resolve_direction
from spinestats.errors import UsageError
from spinestats.reports import diagnostic_job
from spinestats.reports.cli.main import cli

D = pd.read_csv(Path(__file__).parent / "data" / "roc_direction.csv")
KW = dict(score="score", truth="status", positive="malignant", figure_formats=["png"], dpis=[72])


def run(tmp_path, **kw):
    return diagnostic_job.run(D, out_dir=tmp_path, **KW, **kw)


def test_default_direction_warns_below_half(tmp_path):
    # R: r <- roc(d$status, d$score, levels = c("benign", "malignant"), direction = "<")
    #    r$auc; ci.auc(r, method = "delong")  -> 0.395348837209 (0.270585278737, 0.520112395681)
    s = run(tmp_path)
    r = s.results
    assert r["direction"] == "higher-is-positive" and r["direction_proc"] == "<"
    assert_allclose(r["auc"], 0.395348837209, rtol=1e-9)
    assert_allclose(r["auc_ci"], [0.270585278737, 0.520112395681], rtol=1e-9)
    assert any("below 0.5" in w and "--direction lower-is-positive" in w for w in s.warnings)


@pytest.mark.parametrize("direction", ["lower-is-positive", "auto", ">"])
def test_lower_is_positive_matches_proc(tmp_path, direction):
    # R: r <- roc(d$status, d$score, levels = c("benign", "malignant"), direction = ">")   (auto picks ">" too)
    #    r$auc; ci.auc(r, method = "delong"); sqrt(var(r))
    #    -> 0.604651162791 (0.479887604319, 0.729414721263), se 0.0636560464662
    s = run(tmp_path, direction=direction, cutoff=[8])
    r = s.results
    assert r["direction_proc"] == ">" and r["direction"] == "lower-is-positive"
    assert r["direction_requested"] == direction
    assert_allclose(r["auc"], 0.604651162791, rtol=1e-9)
    assert_allclose(r["auc_ci"], [0.479887604319, 0.729414721263], rtol=1e-9)
    assert_allclose(r["auc_se"], 0.0636560464662, rtol=1e-9)
    assert not any("below 0.5" in w for w in s.warnings)
    assert any("chosen from the data" in w for w in s.warnings) == (direction == "auto")
    # R: coords(r, "best", best.method = "youden") -> threshold 8.5, sensitivity 0.3513514, specificity 0.8372093
    #    (pROC ">": positive when score < 8.5, i.e. score <= 8 in the score's own units)
    opt = r["optimal_cutoff"]
    assert opt["cutoff"] == 8 and opt["threshold"] == 8.5
    assert_allclose([opt["sensitivity"], opt["specificity"]], [0.351351351351, 0.837209302326], rtol=1e-9)
    # R: coords(r, 8.5, input = "threshold", ret = c("sensitivity", "specificity")) -> 0.351351351351 0.837209302326
    req = r["requested_cutoffs"][0]
    assert req["cutoff"] == 8
    assert_allclose([req["sensitivity"], req["specificity"]], [0.351351351351, 0.837209302326], rtol=1e-9)
    assert req["tp"] == int((D.loc[D.status == "malignant", "score"] <= 8).sum())
    assert r["cutoff_convention"].startswith("test positive when score <= cutoff")
    # every cutoff row in the score's own units, counted as "positive when score <= cutoff"
    for row in r["cutoffs"]:
        if abs(row["cutoff"]) != float("inf"):
            assert row["fp"] == int((D.loc[D.status == "benign", "score"] <= row["cutoff"]).sum())
    assert "direction = '>'" in s.methods[0] and "at or below it" in s.methods[0]


def test_direction_refusals(tmp_path):
    with pytest.raises(UsageError, match="direction"):
        resolve_direction([1, 2], [True, False], "down")
    with pytest.raises(UsageError, match="bootstrap"):
        run(tmp_path, direction="lower-is-positive", bootstrap=10)
    # auto with higher scores in the positives stays "<" (pROC: median(controls) <= median(cases))
    assert resolve_direction([1, 2, 3, 4], [False, False, True, True], "auto") == "<"


def test_accuracy_cli_direction(tmp_path):
    f = tmp_path / "d.csv"
    D.to_csv(f, index=False)
    res = CliRunner().invoke(cli, ["accuracy", str(f), "--score", "score", "--truth", "status", "--positive",
                                   "malignant", "--direction", "lower-is-positive", "--figure-format", "png",
                                   "--dpi", "72", "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    r = json.loads((tmp_path / "o" / "results.json").read_text(encoding="utf-8"))
    r = r.get("accuracy", r)
    assert_allclose(r["auc"], 0.604651162791, rtol=1e-9)
    bad = CliRunner().invoke(cli, ["accuracy", str(f), "--score", "score", "--truth", "status", "--positive",
                                   "malignant", "--direction", "down", "--out", str(tmp_path / "p")])
    assert bad.exit_code == 2

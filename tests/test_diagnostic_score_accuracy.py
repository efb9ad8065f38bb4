"""The diagnostic job's statistics in ``analysis/diagnostic``: the score by class, accuracy at given cutoffs
(either direction) and the whole accuracy result, against R; and the job is thin.

Inputs: ``tests/data/roc_direction.csv`` (80 patients, integer scores) and ``tests/data/diagnostic_cont.csv``
(150 patients, continuous score ``x1``).  R code: ``tests/r/diagnostic_score_distribution.R`` (epiR 2.0.57,
pROC 1.18.0) and beside each value.
"""

import ast
import inspect
from pathlib import Path

import matplotlib
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from spinestats.analysis.diagnostic.accuracy_at_cutoffs import accuracy_at_cutoffs
from spinestats.analysis.diagnostic.roc import roc_curve
from spinestats.analysis.diagnostic.score_accuracy import CUTOFF_KEYS, score_accuracy
from spinestats.analysis.diagnostic.score_distribution import score_distribution
from spinestats.reports import diagnostic_job

matplotlib.use("Agg")

DATA = Path(__file__).parent / "data"
D = pd.read_csv(DATA / "roc_direction.csv")
MALIGNANT = (D["status"] == "malignant").to_numpy()
C = pd.read_csv(DATA / "diagnostic_cont.csv")


def test_score_distribution_integer_score_matches_r_quantile_type7():
    # R: x <- d$score[d$status == cl]; quantile(x, c(.25, .5, .75), type = 7); min(x); max(x)
    #    malignant 37: 8 9 10, 6 14;  benign 43: 9 10 11, 5 14
    r = score_distribution(D["score"], MALIGNANT, labels=("benign", "malignant"))
    assert r.to_dict() == {"malignant": {"n": 37, "median": 9.0, "q1": 8.0, "q3": 10.0, "min": 6.0, "max": 14.0},
                           "benign": {"n": 43, "median": 10.0, "q1": 9.0, "q3": 11.0, "min": 5.0, "max": 14.0}}
    assert list(r.to_dict()) == ["malignant", "benign"]  # positive class first
    # R: table(d$score, d$status)
    assert r.levels.tolist() == [5, 6, 7, 8, 9, 10, 11, 12, 13, 14]
    assert r.n_pos.tolist() == [0, 2, 4, 7, 6, 10, 2, 3, 2, 1]
    assert r.n_neg.tolist() == [1, 1, 4, 1, 7, 13, 8, 4, 3, 1]


def test_score_distribution_continuous_score_matches_r():
    # R: x <- c2$x1[c2$truth == cl]; quantile(x, c(.25, .5, .75), type = 7); min(x); max(x)
    r = score_distribution(C["x1"], C["truth"].to_numpy() == 1, labels=("0", "1")).to_dict()
    assert r["1"]["n"] == 56 and r["0"]["n"] == 94
    assert_allclose([r["1"][k] for k in ("q1", "median", "q3", "min", "max")],
                    [0.325513318313, 0.92045322834, 1.37965711918, -1.61355946335, 2.8790083071], rtol=1e-9)
    assert_allclose([r["0"][k] for k in ("q1", "median", "q3", "min", "max")],
                    [-0.760831844177, -0.0436261118027, 0.677607842587, -3.2514384155, 2.02516098688], rtol=1e-9)


# R: tab <- rows test +/-, columns disease +/-; epi.tests(tab, method = "exact", conf.level = conf)$detail
EPIR_GE_7_5 = {"tp": 31, "fn": 6, "fp": 37, "tn": 6,
               "sensitivity": (0.837837837838, 0.679862924132, 0.938074278667),
               "specificity": (0.139534883721, 0.0529765738668, 0.279324800314),
               "ppv": (0.455882352941, 0.334515702929, 0.581214954104),
               "npv": (0.5, 0.210944638239, 0.789055361761),
               "lr_pos": (0.973703433163, 0.808471168184, 1.17270524054),
               "lr_neg": (1.16216216216, 0.409643734863, 3.29706224267),
               "dor": (0.837837837838, 0.245359731435, 2.86099205606),
               "youden": (-0.0226272784412, -0.267160502001, 0.217399078981)}
EPIR_LE_8 = {"tp": 13, "fn": 24, "fp": 7, "tn": 36,
             "sensitivity": (0.351351351351, 0.202099815284, 0.525388744374),
             "specificity": (0.837209302326, 0.692989127635, 0.931947905539),
             "ppv": (0.65, 0.407811465467, 0.846090795215),
             "npv": (0.6, 0.465405437311, 0.724378421264),
             "lr_pos": (2.1583011583, 0.963101065124, 4.83673423134),
             "lr_neg": (0.774774774775, 0.590673546336, 1.01625670449),
             "dor": (2.78571428571, 0.970875822349, 7.99299344262),
             "youden": (0.188560653677, -0.104911057081, 0.457336649913)}
EPIR_LE_8_90 = {"sensitivity": (0.351351351351, 0.221909145582, 0.499548629062),
                "specificity": (0.837209302326, 0.715873994001, 0.921015682173),
                "lr_pos": (2.1583011583, 1.0965119606, 4.24825634129),
                "dor": (2.78571428571, 1.1501684636, 6.74701517838)}


def _check(row: pd.Series, expected: dict) -> None:
    for k, v in expected.items():
        if isinstance(v, tuple):
            assert_allclose([row[k], row[f"{k}_lower"], row[f"{k}_upper"]], v, rtol=1e-9, err_msg=k)
        else:
            assert row[k] == v, k


def test_accuracy_at_cutoff_between_levels_matches_epir():
    # R: acc(d$score >= 7.5, m): a cutoff that is no observed level
    roc = roc_curve(D["score"], MALIGNANT)
    t = accuracy_at_cutoffs(roc, [7.5, 9]).table
    assert t["cutoff"].tolist() == [7.5, 9.0]
    _check(t.iloc[0], EPIR_GE_7_5)


def test_accuracy_at_cutoff_lower_is_positive_matches_epir():
    # R: acc(d$score <= 8, m) and acc(d$score <= 8, m, conf = 0.9): the curve of the negated score (pROC ">")
    roc = roc_curve(-D["score"], MALIGNANT)
    t = accuracy_at_cutoffs(roc, 8, at_most=True).table
    assert t["cutoff"].tolist() == [8.0]  # in the score's own units
    _check(t.iloc[0], EPIR_LE_8)
    _check(accuracy_at_cutoffs(roc, 8, at_most=True, conf_level=0.9).table.iloc[0], EPIR_LE_8_90)


def test_score_accuracy_lower_is_positive_against_proc_and_epir():
    # R: roc(d$status, d$score, levels = c("benign", "malignant"), direction = ">"); ci.auc(r, method = "delong")
    #    -> 0.604651162791 (0.479887604319, 0.729414721263)  [tests/r/diagnostic_direction.R]
    r = score_accuracy(D["score"], MALIGNANT, labels=("benign", "malignant"), direction="lower-is-positive",
                       cutoffs=[8])
    assert r.at_most and r.direction == ">"
    assert_allclose([r.auc.auc, *r.auc.ci], [0.604651162791, 0.479887604319, 0.729414721263], rtol=1e-9)
    d = r.to_dict()
    assert d["direction"] == "lower-is-positive" and d["direction_proc"] == ">"
    req = d["requested_cutoffs"][0]
    assert req["cutoff"] == 8 and (req["tp"], req["fn"], req["fp"], req["tn"]) == (13, 24, 7, 36)
    assert_allclose([req["sensitivity"], *req["sensitivity_ci"]], EPIR_LE_8["sensitivity"], rtol=1e-9)
    assert all(isinstance(req[k], int) for k in ("tp", "fp", "tn", "fn"))
    assert set(req) <= set(CUTOFF_KEYS) and "prevalence" not in req
    # the distribution stays in the score's units (not negated)
    assert d["by_class"]["malignant"]["median"] == 9.0
    assert r.marked().cutoff == (8.0,) and r.marked().sensitivity[0] == pytest.approx(13 / 37)


def test_score_accuracy_ties_are_all_reported_with_a_warning():
    score = [1, 2, 3, 4]
    truth = [False, True, False, True]
    r = score_accuracy(score, truth)
    d = r.to_dict()["optimal_cutoff"]
    assert d["tied"] is True and d["cutoff"] == [2.0, 4.0]
    assert any("cutoffs tie under the youden rule" in w for w in r.warnings)


def test_score_distribution_plot_draws_the_report_figure():
    r = score_distribution(D["score"], MALIGNANT, labels=("benign", "malignant"))
    fig = r.plot(cutoff=9, score_label="Score")
    ax = fig.axes[0]
    heights = [p.get_height() for p in ax.patches]
    assert heights[:10] == r.n_neg.tolist() and heights[10:20] == r.n_pos.tolist()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Benign", "Malignant"]
    assert any(t.get_text() == "Cutoff \u2265 9" for t in ax.texts)
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_conf_level_reaches_figure_methods_and_tables(tmp_path):
    sec = diagnostic_job.run(D, tmp_path, score="score", truth="status", positive="malignant", conf_level=0.9,
                             cutoff=[9], figure_formats=["svg"])
    assert sec.results["conf_level"] == 0.9
    assert "90% DeLong CI" in sec.methods[0] and "95%" not in " ".join(sec.methods)
    svg = (tmp_path / "figures" / "dss_roc.svg").read_text(encoding="utf-8")
    assert "90% CI" in svg and "95%" not in svg
    one, two = diagnostic_job.cutoff_tables(pd.read_csv(tmp_path / "tables" / "dss_cutoffs.csv"), "t",
                                            conf_level=0.9)
    headers = [c.header for t in (one, two) for c in t.columns]
    assert "Sensitivity (90% CI)" in headers and "LR+ (90% CI)" in headers
    assert not [h for h in headers if "95%" in h]


def test_results_are_built_from_to_dict(tmp_path):
    """The accuracy keys of the section are exactly ScoreAccuracyResult.to_dict(); no private keys."""
    sec = diagnostic_job.run(D, tmp_path, score="score", truth="status", positive="malignant", cutoff=[9],
                             figure_formats=["svg"])
    acc = score_accuracy(D["score"], MALIGNANT, labels=("benign", "malignant"), cutoffs=[9])
    for k, v in acc.to_dict().items():
        assert sec.results[k] == v, k
    assert not [k for k in sec.results if k.startswith("_")]


def test_options_dataclass_and_plan_types():
    from spinestats.reports.plan_runner import job_function, options_class

    assert diagnostic_job.OPTIONS is diagnostic_job.DiagnosticOptions
    assert options_class("dss") is options_class("accuracy") is diagnostic_job.DiagnosticOptions
    assert job_function("dss") is diagnostic_job.analyse
    names = set(diagnostic_job.DiagnosticOptions.names())
    assert {"score", "truth", "positive", "cutoff", "method", "cost", "prevalence", "min_sensitivity",
            "min_specificity", "ci_method", "conf_level", "target_prevalence", "compare", "compare_cutoff",
            "mcnemar_exact", "unpaired_by", "bootstrap", "weights", "direction", "min_per_class"} <= names


def test_wrong_option_type_names_the_option(tmp_path):
    from spinestats.errors import UsageError

    with pytest.raises(UsageError, match="option 'conf_level' expects a number; got '95%'"):
        diagnostic_job.run(D, tmp_path, score="score", truth="status", positive="malignant", conf_level="95%")
    with pytest.raises(UsageError, match="option 'ci_method' expects one of 'exact', 'wilson'"):
        diagnostic_job.run(D, tmp_path, score="score", truth="status", positive="malignant", ci_method="wald")


def test_analyse_is_thin():
    """analyse() is at most 60 lines (compute, figures, tables and methods are separate functions)."""
    tree = ast.parse(inspect.getsource(diagnostic_job))
    node = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "analyse")
    assert node.end_lineno - node.lineno + 1 <= 60
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
                and "95%" in n.value]


def test_messages_name_the_option_in_python_and_the_flag_on_the_command_line(tmp_path, capsys):
    from cli_run import cli  # tests/ is on sys.path

    from spinestats.errors import UsageError

    with pytest.raises(UsageError, match=r"^direction= lower-is-positive cannot yet be combined with bootstrap="):
        diagnostic_job.run(D, tmp_path, score="score", truth="status", positive="malignant",
                           direction="lower-is-positive", bootstrap=10)
    with pytest.raises(UsageError, match=r"column 'nope' \(compare=\) not in the data"):
        diagnostic_job.run(D, tmp_path, score="score", truth="status", positive="malignant", compare="nope")
    f = tmp_path / "d.csv"
    D.to_csv(f, index=False)
    code = cli("accuracy", str(f), "--score", "score", "--truth", "status", "--positive", "malignant",
               "--direction", "lower-is-positive", "--bootstrap", "10", "--out", str(tmp_path / "o"))
    assert code == 2
    assert ("--direction lower-is-positive cannot yet be combined with --bootstrap, --compare or --unpaired-by"
            in capsys.readouterr().err)
    assert cli("accuracy", str(f), "--score", "score", "--truth", "status", "--positive", "malignant",
               "--compare", "nope", "--out", str(tmp_path / "p")) == 2
    assert "column 'nope' (--compare) not in the data" in capsys.readouterr().err


@pytest.mark.parametrize("module", ["spinestats.analysis.diagnostic.score_distribution",
                                    "spinestats.analysis.diagnostic.accuracy_at_cutoffs",
                                    "spinestats.analysis.diagnostic.score_accuracy",
                                    "spinestats.reports.diagnostic_job"])
def test_docstring_examples_run(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_flow_diagram_follows_the_direction(tmp_path, monkeypatch):
    """A lower-is-positive score is test positive at or below the cutoff: the flow diagram says so, with the
    cells of that rule (epiR counts at score <= 8: TP 13, FP 7, FN 24, TN 36)."""
    from spinestats.reports import flow_diagram

    drawn = {}
    real = flow_diagram.flow_figure

    def spy(flow, **kw):
        drawn.update(flow)
        return real(flow, **kw)

    monkeypatch.setattr(flow_diagram, "flow_figure", spy)
    diagnostic_job.run(D, tmp_path, score="score", truth="status", positive="malignant",
                       direction="lower-is-positive", cutoff=[8], figure_formats=["svg"])
    test = drawn["index_test"]
    assert (test["positive"], test["negative"]) == ("Score \u2264 8", "Score > 8")
    assert (test["tp"], test["fp"], test["fn"], test["tn"]) == (13, 7, 24, 36)

"""Issue 15 for the multicentre and sample-size jobs: options dataclasses, thin ``analyse``, one sample-size
path, the SROC ``plot()``, and CI levels that follow ``conf_level``."""

from __future__ import annotations

import ast
import inspect
import json
import textwrap

import matplotlib
import numpy as np
import pytest
from matplotlib.figure import Figure
from numpy.testing import assert_allclose

from cli_run import cli  # tests/ is on sys.path
from spinestats.analysis.pooling.bivariate_meta import reitsma
from spinestats.analysis.pooling.multicentre_accuracy import multicentre_accuracy
from spinestats.data_schemas.examples import cohort_multicenter as cm
from spinestats.errors import UsageError
from spinestats.reports import multicenter_job, sample_size_job
from spinestats.reports.job import JobContext, JobInput
from spinestats.reports.plan_runner import job_function, options_class

matplotlib.use("Agg")

TP = [49, 55, 24, 19, 26, 35, 44, 34, 48, 23]
FN = [10, 4, 1, 9, 6, 7, 8, 5, 11, 11]
FP = [31, 11, 21, 9, 9, 13, 14, 8, 25, 6]
TN = [83, 76, 76, 49, 78, 91, 96, 101, 92, 44]


@pytest.fixture(autouse=True)
def _close():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.mark.parametrize("module", [multicenter_job, sample_size_job])
def test_analyse_is_at_most_60_lines(module):
    tree = ast.parse(textwrap.dedent(inspect.getsource(module)))
    fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "analyse")
    assert fn.end_lineno - fn.lineno + 1 <= 60


def test_plan_types_call_the_jobs_analyse():
    assert job_function("multicenter") is multicenter_job.analyse
    assert job_function("sample_size") is sample_size_job.analyse
    assert options_class("multicenter") is multicenter_job.MulticenterOptions
    assert options_class("sample_size") is sample_size_job.SampleSizeOptions


def test_options_refuse_unknown_and_wrong_types():
    with pytest.raises(UsageError, match=r"unknown option 'cuttof'. Did you mean 'cutoff'\?"):
        multicenter_job.MulticenterOptions.from_mapping({"cuttof": 3})
    with pytest.raises(UsageError, match=r"option 'test' expects one of 'z', 'knha' or nothing"):
        multicenter_job.MulticenterOptions.from_mapping({"test": "t"})
    with pytest.raises(UsageError, match=r"option 'method' expects one of 'criteria', 'buderer'"):
        sample_size_job.SampleSizeOptions.from_mapping({"method": "budrer"})


def test_results_come_from_the_accuracy_result():
    """The per-centre and pooled keys of results.json are the analysis result's to_dict(), nothing hand-copied."""
    sec = multicenter_job.run(cm.make(), figure_formats=["none"], federated=False)
    counts, _, _ = multicenter_job.centre_counts(cm.make(), center="centre", score="dss", truth="reference",
                                                 positive="malignant")
    acc = multicentre_accuracy(counts, cutoff=3, test="z").to_dict()
    for key in ("per_center", "pooled", "bivariate", "pooled_counts", "exploratory"):
        assert json.dumps(sec.results[key], sort_keys=True) == json.dumps(acc[key], sort_keys=True), key
    assert not [k for k in sec.results if k.startswith("_")]
    assert sec.results["pooled"]["sensitivity"]["estimate"] == pytest.approx(0.87908655701195, rel=1e-6)  # metafor


def test_conf_level_reaches_methods_and_figures(tmp_path):
    sec = multicenter_job.run(cm.make(), out_dir=tmp_path, figure_formats=["svg"], federated=False, conf_level=0.9)
    text = " ".join(sec.methods)
    assert "90% CIs" in text and "90% prediction interval" in text and "90% confidence and prediction" in text
    assert "95%" not in text
    svg = (tmp_path / "figures" / "forest_sensitivity.svg").read_text(encoding="utf-8")
    assert "90% CI" in svg and "95%" not in svg
    sroc = (tmp_path / "figures" / "sroc.svg").read_text(encoding="utf-8")
    assert "90% confidence region" in sroc and "95%" not in sroc
    # and the numbers are the 90% ones
    res = sec.results["pooled"]["sensitivity"]
    at95 = multicenter_job.run(cm.make(), figure_formats=["none"], federated=False).results["pooled"]["sensitivity"]
    assert res["estimate"] == pytest.approx(at95["estimate"], rel=1e-12)
    assert at95["ci"][0] < res["ci"][0] < res["ci"][1] < at95["ci"][1]


def test_cli_and_keyword_run_give_the_same_section(tmp_path):
    """spinestats multicenter fills MulticenterOptions and calls analyse: same results as the keyword run."""
    d = cm.make()
    path = tmp_path / "mc.csv"
    d.to_csv(path, index=False)
    assert cli("multicenter", path, "--score", "dss", "--truth", "reference", "--positive", "malignant",
               "--center", "centre", "--figure-formats", "none", "--out", tmp_path / "out") == 0
    got = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    section = multicenter_job.analyse(JobInput.of(data=d), multicenter_job.MulticenterOptions(),
                                      JobContext(out_dir=tmp_path / "kw", figure_formats=("none",)))
    for key in ("per_center", "pooled", "pooled_counts", "exploratory", "stard"):  # (warnings are reworded)
        assert json.dumps(got[key], sort_keys=True) == json.dumps(section.results[key], sort_keys=True), key
    assert got["bivariate"]["sroc_auc"] == section.results["bivariate"]["sroc_auc"]


def test_pool_goes_through_analyse_with_bundles():
    """Bundles made by the patient-level run, pooled by analyse: the same per-centre and pooled results."""
    from spinestats.data_schemas.site_bundle import make_bundle

    d = cm.make()
    patient = multicenter_job.run(d, figure_formats=["none"], federated=False)
    counts, _, _ = multicenter_job.centre_counts(d, center="centre", score="dss", truth="reference",
                                                 positive="malignant")
    bundles = []
    for c in sorted(counts):
        flow = patient.results["flow"]["per_center"][c]
        payload = {"data_schema": None, "plan_hash": None, "suppression": {"min_cell": None, "exact": True},
                   "flow": {k: flow[k] for k in ("n_read", "n_analysed", "n_excluded")} | {"exclusions": []},
                   "score": {"name": "dss", "positive": "malignant", **counts[c]}}
        bundles.append(make_bundle(c, payload, created_by="test"))
    pooled = multicenter_job.analyse(JobInput(data=tuple(bundles)), multicenter_job.MulticenterOptions(),
                                     JobContext(figure_formats=("none",), table_formats=("none",)))
    assert pooled.results["mode"] == "federated" and pooled.title == "Multicentre validation (federated)"
    for key in multicenter_job.FEDERATED_KEYS:
        assert json.dumps(pooled.results[key], sort_keys=True) == json.dumps(patient.results[key], sort_keys=True)


def test_sroc_plot_method_draws_the_fit():
    fit = reitsma(TP, FP, FN, TN, conf_level=0.9)
    fig = fit.plot()
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    curve = next(ln for ln in ax.lines if ln.get_label().startswith("SROC"))
    assert_allclose(curve.get_xdata(), fit.sroc["fpr"])
    assert_allclose(curve.get_ydata(), fit.sroc["sensitivity"])
    conf = next(ln for ln in ax.lines if ln.get_label() == "90% confidence region")
    assert_allclose(conf.get_xdata(), fit.confidence_region["fpr"])
    points = next(c for c in ax.collections if c.get_label() == "Centre")
    assert_allclose(np.asarray(points.get_offsets())[:, 1], fit.study_sensitivity)
    assert ax.get_xlabel() == "False positive rate (1 \u2212 specificity)"


# --- one sample-size path ------------------------------------------------------------


def test_sample_size_cli_runs_the_plans_job(monkeypatch, capsys):
    calls = []
    real = sample_size_job.analyse

    def spy(inputs, options, context):
        calls.append(options)
        return real(inputs, options, context)

    monkeypatch.setattr(sample_size_job, "analyse", spy)
    assert cli("sample-size", "kappa", "--kappa0", "0.4", "--kappa1", "0.8", "--prevalence", "0.3", "--json") == 0
    doc = json.loads(capsys.readouterr().out)
    assert [o.method for o in calls] == ["kappa"]
    section = real(JobInput(), sample_size_job.SampleSizeOptions(method="kappa", prevalence=0.3), JobContext())
    assert section.results["n"] == doc["n"] and section.results["formula"] == doc["method"]
    assert section.results["method"] == "kappa"


def test_plan_defaults_are_the_published_dss_figures():
    """The demo's sample_size entry (no options): Buderer at 0.90 / 0.846 / 0.34 / 0.10 (epiR epi.ssdxsesp: 102)."""
    sec = sample_size_job.run()
    assert (sec.results["n_sensitivity"], sec.results["n_specificity"], sec.results["n"]) == (102, 76, 102)
    assert sec.results["method"] == "buderer" and sec.methods[0].startswith("The sample size was computed by "
                                                                             "Buderer's method (Buderer 1996)")
    assert sec.references[0].startswith("Buderer NMF.") and "Acad Emerg Med 1996;3:895-900" in sec.references[0]


def test_criteria_from_the_plan_or_the_options():
    pre = {"score": "dss", "cutoff": 3, "positive": "malignant",
           "success": {"sensitivity": {"null": 0.8, "expected": 0.9}, "specificity": {"null": 0.7, "expected": 0.85}}}
    from_plan = sample_size_job.run(method="criteria", prevalence=0.34, prespecified=pre).results
    given = sample_size_job.run(method="criteria", prevalence=0.34, criteria=pre["success"]).results
    assert from_plan["n"] == given["n"] == 277 and from_plan["n_cases"] == 94  # test_success_criteria
    with pytest.raises(UsageError, match="needs the plan's prespecified `success:` criteria"):
        sample_size_job.run(method="criteria")


def test_library_sample_size_checks_name_the_parameter():
    import spinestats as ss

    with pytest.raises(UsageError, match=r"^precision must be a number > 0; got -1$"):
        ss.sample_size.buderer(sensitivity=0.9, specificity=0.8, prevalence=0.3, precision=-1)
    with pytest.raises(UsageError, match=r"^prevalence must be a number in \(0, 1\); got 1$"):
        ss.sample_size.kappa(kappa0=0.4, kappa1=0.8, prevalence=1)
    with pytest.raises(UsageError, match=r"^parameters must be a whole number >= 1; got 0$"):
        ss.sample_size.riley(parameters=0, prevalence=0.2, csrsquared=0.1)


def test_plan_template_lists_the_options_of_the_dataclass():
    """``spinestats init``: a job with an options dataclass shows its options and defaults, not analyse's arguments."""
    from spinestats.reports.cli.init import plan_template

    text = plan_template()
    block = text[text.index("# - type: multicenter"):text.index("# - type: agreement")]
    assert "#   cutoff: null" in block and "#   conf_level: 0.95" in block and "#   federated: true" in block
    assert "inputs: REQUIRED" not in text and "context: REQUIRED" not in text
    assert "#   method: buderer" in text[text.index("# - type: sample_size"):]

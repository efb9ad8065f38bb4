"""The validate and agreement jobs on the job mechanism (issue 15): options, thin analyse, parse once, conf_level.

R references: the kappa values are psych ``cohen.kappa`` on the three raters of ``tests/r/agreement_pairs.R``
(R code beside them); the validation values are those of ``tests/r/validate.R`` (``tests/test_validate.py``).
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
from pathlib import Path

import pandas as pd
import pytest
from numpy.testing import assert_allclose

from spinestats.analysis.agreement.kappa import cohen_kappa
from spinestats.analysis.agreement.rater_agreement import rater_agreement
from spinestats.errors import UsageError
from spinestats.reports import agreement_job, validate_job
from spinestats.reports.job import JobContext, JobInput
from test_parse_once import spy  # noqa: F401  (the spy fixture: counts the parses of each table)

DATA = Path(__file__).parent / "data" / "melanoma_risk.csv"
CODES = "EVENT=1,COMPETING=2,CENSOR=0"
K = dict(time="time", event="status", event_codes=CODES, horizon=60, risk="risk")

R1 = [5, 4, 4, 6, 4, 5, 5, 0, 0, 2, 2, 6, 6, 1, 3, 5, 0, 5, 0, 3, 5, 2, 2, 1, 5]
R2 = [6, 4, 4, 6, 4, 5, 6, 1, 0, 2, 1, 6, 6, 0, 3, 4, 0, 5, 0, 4, 5, 2, 2, 1, 5]
R3 = [6, 4, 4, 6, 4, 6, 5, 1, 0, 3, 1, 6, 6, 0, 4, 6, 0, 5, 0, 3, 6, 2, 2, 1, 5]
X = pd.DataFrame({"R1": R1, "R2": R2, "R3": R3})
# R (psych): x <- cbind(R1 = r1, R2 = r2, R3 = r3); W <- 1 - abs(outer(1:7, 1:7, "-"))/6
#    q <- cohen.kappa(x); l <- cohen.kappa(x, w = W)
#    q[["R1 R2"]]$kappa -> 0.670433145009; l[["R1 R2"]]$weighted.kappa -> 0.882154882155
#    q[["R1 R2"]]$weighted.kappa -> 0.968129666727; q$av.kappa -> 0.639368466089; l$av.wt -> 0.868407060556
FIRST = {"none": 0.670433145009, "linear": 0.882154882155, "quadratic": 0.968129666727}
LIGHT = {"none": 0.639368466089, "linear": 0.868407060556}


@pytest.fixture(scope="module")
def mel():
    d = pd.read_csv(DATA)
    d.index = d.index + 2
    return d


def _function_lines(module, name: str) -> int:
    tree = ast.parse(inspect.getsource(module))
    node = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name)
    return node.end_lineno - node.lineno + 1


@pytest.mark.parametrize("module", [validate_job, agreement_job])
def test_analyse_is_thin_and_the_job_has_options(module):
    assert _function_lines(module, "analyse") <= 60
    assert dataclasses.is_dataclass(module.OPTIONS) and "conf_level" in module.OPTIONS.names()
    assert list(inspect.signature(module.analyse).parameters) == ["inputs", "options", "context"]


def test_options_refuse_unknown_names_and_wrong_types():
    with pytest.raises(UsageError, match=r"unknown option 'horizn'\. Did you mean 'horizon'\?"):
        validate_job.ValidateOptions.from_mapping({"horizn": 60})
    with pytest.raises(UsageError, match=r"option 'conf_level' expects a number; got '95%'"):
        agreement_job.AgreementOptions.from_mapping({"conf_level": "95%"})
    with pytest.raises(UsageError, match=r"unknown argument 'rater'\. Did you mean 'raters'\?"):
        agreement_job.run(X.assign(case=range(25)), case="case", rater=["R1", "R2"])
    o = agreement_job.AgreementOptions.from_mapping({"raters": ["R1", "R2"]})
    assert o.raters == ("R1", "R2") and o.rater_list() == ["R1", "R2"]
    assert agreement_job.AgreementOptions(raters="R1, R2,R3").rater_list() == ["R1", "R2", "R3"]


def test_rater_agreement_matches_psych_and_publishes_the_contract_keys():
    r = rater_agreement(X, measure="dss")
    assert_allclose([r.kappa.estimate, r.weighted_kappa["linear"].estimate, r.weighted_kappa["quadratic"].estimate],
                    [FIRST["none"], FIRST["linear"], FIRST["quadratic"]], rtol=1e-9)
    assert_allclose([r.kappa.light, r.weighted_kappa["linear"].light], [LIGHT["none"], LIGHT["linear"]], rtol=1e-9)
    d = r.to_dict()
    assert list(d) == ["measure", "n_cases", "raters", "excluded", "kappa", "weighted_kappa", "fleiss_kappa", "icc"]
    assert list(d["kappa"]) == ["rater1", "rater2", "estimate", "se", "lower", "upper", "n", "pairwise", "light"]
    assert list(d["fleiss_kappa"]) == ["estimate", "se", "z", "p_value", "n_raters", "se_note"]
    two = rater_agreement(X[["R1", "R2"]], measure="dss").to_dict()
    assert "pairwise" not in two["kappa"] and "light" not in two["kappa"]
    size = rater_agreement(X.astype(float), measure="size_cm", kappas=False)
    assert "kappa" not in size.to_dict() and len(size.to_dict()["icc"]) == 6
    nominal = rater_agreement(X.astype(str), measure="feature", ordinal=False, numeric=False).to_dict()
    assert nominal["weighted_kappa"] is None and nominal["icc"] is None


def test_agreement_follows_conf_level():
    d = X.assign(case=range(len(X)))
    r90 = agreement_job.run(d, case="case", raters=["R1", "R2"], reader="none", conf_level=0.90).results
    k = cohen_kappa(R1, R2, levels=sorted(set(R1) | set(R2)), conf_level=0.90)
    assert_allclose([r90["kappa"]["lower"], r90["kappa"]["upper"]], [k.lower, k.upper], rtol=1e-12)
    r95 = agreement_job.run(d, case="case", raters=["R1", "R2"], reader="none").results
    assert r95["kappa"]["upper"] - r95["kappa"]["lower"] > r90["kappa"]["upper"] - r90["kappa"]["lower"]


def test_wide_from_long_keeps_its_former_home():
    from spinestats.analysis.agreement.ratings import wide_from_long

    assert agreement_job.wide_from_long is wide_from_long


def test_validate_parses_each_table_once(mel, spy):  # noqa: F811 (the imported fixture)
    res = validate_job.run(mel, group="centre", **K).results
    ours = [(spec, n) for (_, spec), n in spy.items() if spec[0] == validate_job.TIME]
    # the whole table and each of the 3 centres, each parsed once for its seven measures (before: 6 parses of
    # the whole table and 5 of each centre, plus one for the check of the event codes, now done on the parse);
    # the estimators' helpers parse their own small tables (the censoring distribution), not counted here
    assert [n for _, n in ours] == [1, 1, 1, 1]
    assert all(spec[-1] == (validate_job.RISK,) for spec, _ in ours)
    assert_allclose(res["time_auc"]["estimate"], 0.763805459035857, rtol=1e-9)  # tests/r/validate.R


def test_validate_follows_conf_level(mel, tmp_path):
    sec = validate_job.run(mel, group="centre", conf_level=0.90, out_dir=tmp_path, figure_formats=["none"], **K)
    text = " ".join(sec.methods)
    assert "90% Wald CIs" in text and "95%" not in text
    assert (tmp_path / "tables" / "validate_per_centre.csv").is_file()
    headers = [c.header for c in validate_job._per_centre_table(sec.results["per_center"], 60, "months", 0.90).columns]
    headers += [c.header for c in validate_job._pooled_table(sec.results, 60, "months", 0.90).columns]
    assert "AUC at 60 months (90% CI)" in headers and "90% prediction interval" in headers
    assert not any("95" in h for h in headers)
    ref = validate_job.run(mel, **K).results["time_auc"]
    r90 = sec.results["time_auc"]
    assert r90["ci"][1] - r90["ci"][0] < ref["ci"][1] - ref["ci"][0]
    assert r90["se"] == pytest.approx(ref["se"], rel=1e-12)


def test_validate_cli_and_keyword_run_agree(mel, tmp_path):
    """The command fills ValidateOptions from its flags; the plan's data path resolves a relative model."""
    sec = validate_job.analyse(JobInput.of(data=mel), validate_job.ValidateOptions(**K),
                               JobContext(out_dir=tmp_path, figure_formats=("none",)))
    assert sec.results == validate_job.run(mel, **K).results
    assert sec.figures == ()


def test_plan_finds_a_relative_model_beside_the_data(mel, tmp_path):
    """The plan runner passes the data file as the input's path; a relative model is looked up beside it."""
    import json

    from spinestats.analysis.prediction.risk_model import fit_risk_model, model_to_json, predict_risk
    from spinestats.data_schemas.risk_model import model_file
    from spinestats.reports.plan_runner import run_plan

    folder = tmp_path / "data"
    folder.mkdir()
    rm, _ = fit_risk_model(mel, time="time", event="status", covariates=["thick", "ulcer"], horizon=60,
                           model="finegray", profile=False)
    (folder / "model.json").write_text(model_to_json(rm), encoding="utf-8")
    mel.to_csv(folder / "mel.csv", index=False)
    assert model_file("model.json", folder / "mel.csv") == folder / "model.json"
    assert model_file("model.json") == Path("model.json")
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        "schema_version: 1\ntitle: Validation\ndata:\n  mel: {file: " + json.dumps(str(folder / "mel.csv")) + "}\n"
        "analyses:\n  - {type: validate, data: mel, time: time, event: status, event_codes: '" + CODES + "',\n"
        "     model: model.json}\noutput:\n  figures: {formats: [png], dpi: [72]}\n  tables: {formats: [csv]}\n",
        encoding="utf-8")
    run_plan(plan, tmp_path / "out")
    doc = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))["validate"]
    ref = validate_job.run(mel.assign(p=predict_risk(rm, mel).risk), **{**K, "risk": "p"}).results
    assert doc["options"]["model"] == "model.json" and doc["time_auc"]["horizon"] == 60
    assert doc["time_auc"]["estimate"] == pytest.approx(ref["time_auc"]["estimate"], rel=1e-12)

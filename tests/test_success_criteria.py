"""Prespecified success criteria: exact binomial and REML pooled one-sided tests, plan lock, report, sample size.

References (R 4.x, metafor 3.8-1; run with Rscript, values printed with %.15g):

    b <- binom.test(145, 163, p = 0.8, alternative = "greater")        # p, conf.int
    b <- binom.test(263, 317, p = 0.7, alternative = "greater")
    b <- binom.test(20, 30, p = 0.8, alternative = "less", conf.level = 0.975)
    b <- binom.test(24, 30, p = 0.8, alternative = "greater")
    p.adjust(c(0.03, 0.01, 0.04), "holm")                              # 0.06 0.03 0.06

    library(metafor)
    # sensitivity of the synthetic multicentre cohort (data_schemas/examples/cohort_multicenter.py,
    # per-centre true positives and reference-positive patients at DSS >= 3)
    xi <- c(32, 27, 23, 21, 21, 21); ni <- c(34, 30, 28, 24, 25, 22)
    for (tst in c("knha", "z")) {
      res <- rma(measure = "PLO", xi = xi, ni = ni, method = "REML", test = tst, level = 90)
      st <- (res$b[1] - qlogis(0.8)) / res$se
      p <- if (tst == "z") pnorm(st, lower.tail = FALSE) else pt(st, df = res$k - 1, lower.tail = FALSE)
      print(c(plogis(res$b[1]), plogis(res$ci.lb), p))   # one-sided 95% lower bound = lower end of the 90% CI
    }
    tn <- c(50, 42, 48, 39, 44, 40); nn <- c(66, 60, 52, 46, 50, 43)   # specificity, null 0.7
    res <- rma(measure = "PLO", xi = tn, ni = nn, method = "REML", test = "knha", level = 90)

Sample size (Flahault et al., J Clin Epidemiol 2005;58:859-862, exact binomial method): published values
from Chu H, Cole SR. J Clin Epidemiol 2007;60:1201-1202, who recomputed Flahault's table with the exact
method: expected sensitivity 0.95 with acceptable lower limit 0.85 (delta 0.10), alpha 0.05, power 0.95:
Flahault's table gives 93 cases (power 0.957 at n = 93, actual size 0.0496), but power is saw-toothed and
n = 102 (power 0.968, size 0.0471) is the smallest n from which every larger n keeps the power; and their
n2 column: sensitivity 0.99 with delta 0.14, 0.13, 0.12 -> 40, 43, 47; sensitivity 0.98 with delta 0.13,
0.11 -> 50, 58 (the same values are the examples of MKmisc::power.diagnostic.test).
Base-R check of one of them:
    k <- qbinom(0.95, 93, 0.85) + 1; pbinom(k - 1, 93, 0.95, lower.tail = FALSE)   # 0.956785...

Provenance of "Flahault's table gives 93": it is Chu & Cole's (2007, p. 1201) reading of Flahault's table,
a secondary source.  Flahault et al.'s own Tables (Ncases for expected sensitivities 0.60-0.99 and acceptable
lower 95% limits 0.50-0.98, power 0.95) could not be found in any stored source (abstract only), so no cell is
tested against the 2005 paper itself.  Known discrepancies between that table and an exact computation: it
gives the first n whose power reaches 1 - beta, which is not saw-tooth safe (93 vs 102 here; ``n_first`` vs
``n`` of exact_binomial_size), and its Appendix formulas carry typesetting errors (equation A1's numerator
should be squared; in A2 and A3 the second exponent should be n - i, as the MKpower documentation notes).
"""

import json
from pathlib import Path

import jsonschema
import pytest
from numpy.testing import assert_allclose

from spinestats.analysis.design.sample_size import criteria_size, exact_binomial_power, exact_binomial_size
from spinestats.analysis.design.success_criteria import (
    binomial_criterion,
    evaluate_criteria,
    holm,
    pooled_criterion,
)
from spinestats.analysis.pooling.meta_reml import meta_proportion
from spinestats.data_schemas.examples import cohort_multicenter as cm
from spinestats.data_schemas.plan_lock import lock_plan, read_prespecified
from spinestats.errors import UsageError
from spinestats.reports.cli.main import main
from spinestats.reports.multicenter_job import run

PLAN = """prespecified:
  score: dss
  cutoff: 3
  positive: malignant
  primary_measures: [sensitivity, specificity]
  pooling: {method: REML, test: knha}
  success:
    sensitivity: {null: 0.80, alternative: greater, expected: 0.90}
    specificity: {null: 0.70, alternative: greater, expected: 0.85}
  alpha: 0.05
  multiplicity: all
"""


@pytest.mark.parametrize("x, n, p0, alt, level, p, lo, hi", [
    (145, 163, 0.8, "greater", 0.95, 0.00170264883880752, 0.840650100694773, 1.0),
    (263, 317, 0.7, "greater", 0.95, 8.17322512423208e-08, 0.791073564587548, 1.0),
    (20, 30, 0.8, "less", 0.975, 0.0610871482886557, 0.0, 0.827125778473961),
    (24, 30, 0.8, "greater", 0.95, 0.60696991972574, 0.642990885438347, 1.0),
])
def test_exact_binomial_matches_binom_test(x, n, p0, alt, level, p, lo, hi):
    r = binomial_criterion(x, n, null=p0, alternative=alt, alpha=1 - level, measure="sensitivity")
    assert_allclose(r.p, p, rtol=1e-6)
    assert_allclose(r.bound, lo if alt == "greater" else hi, rtol=1e-6)
    assert r.estimate == x / n
    assert r.met == (p < 1 - level)


def test_pooled_bound_matches_metafor():
    xi, ni = [32, 27, 23, 21, 21, 21], [34, 30, 28, 24, 25, 22]
    for test, (est, lo, p) in {"knha": (0.87908655701195, 0.825201263783, 0.0192618175711432),
                               "z": (0.87908655701195, 0.827461690429271, 0.00908373459870101)}.items():
        m = meta_proportion(xi, ni, test=test)
        r = pooled_criterion(m.estimate_model, m.se_model, m.k, null=0.8, test=test)
        assert_allclose([r.estimate, r.bound, r.p], [est, lo, p], rtol=1e-5)
        assert r.met


def test_holm_matches_p_adjust_and_multiplicity():
    assert_allclose(holm([0.03, 0.01, 0.04]), [0.06, 0.03, 0.06])
    a = binomial_criterion(24, 30, null=0.8)          # p 0.607: not met
    b = binomial_criterion(145, 163, null=0.8)        # p 0.0017: met
    assert not evaluate_criteria([a, b], multiplicity="all").success
    anyr = evaluate_criteria([a, b], multiplicity="any")
    assert anyr.success and anyr.criteria[1].p_adjusted == pytest.approx(2 * b.p)


def test_multicentre_primary_endpoint(tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN, encoding="utf-8")
    sec = run(cm.make(), plan=plan, out_dir=tmp_path / "out", figure_formats=["none"], federated=False)
    schema = json.loads((Path(cm.__file__).resolve().parents[1] / "results" / "multicenter.schema.json")
                        .read_text(encoding="utf-8"))
    jsonschema.validate(sec.results, schema)
    pe = {e["measure"]: e for e in sec.results["primary_endpoint"]}
    assert set(pe) == {"sensitivity", "specificity"}
    for key in ("measure", "null", "alternative", "estimate", "bound", "p", "met"):
        assert key in pe["sensitivity"]
    # metafor values above (Knapp-Hartung, the plan's pooling test)
    assert_allclose([pe["sensitivity"]["estimate"], pe["sensitivity"]["bound"], pe["sensitivity"]["p"]],
                    [0.87908655701195, 0.825201263783, 0.0192618175711432], rtol=1e-5)
    assert_allclose([pe["specificity"]["estimate"], pe["specificity"]["bound"], pe["specificity"]["p"]],
                    [0.84269592124519, 0.750650594453852, 0.0167805483433044], rtol=1e-5)
    assert pe["sensitivity"]["met"] is True and sec.results["primary_endpoint_decision"]["success"] is True
    table = (tmp_path / "out" / "tables" / "primary_endpoint.csv").read_text(encoding="utf-8")
    assert "Sensitivity,> 0.8," in table and "Met" in table and "True" not in table
    assert any("plan hash " + sec.results["plan_hash"] in m and "sensitivity > 0.8" in m for m in sec.methods)


def test_other_cutoff_reports_no_primary_endpoint(tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN, encoding="utf-8")
    sec = run(cm.make(), plan=plan, cutoff=4, figure_formats=["none"], federated=False)
    assert sec.results["primary_endpoint"] is None
    assert any("not the prespecified one" in w for w in sec.warnings)


@pytest.mark.parametrize("bad, message", [
    ("null: 1.2", "null must lie strictly between 0 and 1"),
    ("null: 0", "null must lie strictly between 0 and 1"),
])
def test_lock_refuses_null_outside_unit_interval(tmp_path, bad, message):
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN.replace("null: 0.80", bad), encoding="utf-8")
    with pytest.raises(UsageError, match=message):
        lock_plan(plan)
    assert not (tmp_path / "plan.lock.json").exists()


def test_lock_refuses_criterion_not_primary(tmp_path, capsys):
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN.replace("[sensitivity, specificity]", "[sensitivity]"), encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        main(["plan", "lock", str(plan)])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "'specificity' is not listed in primary_measures" in err and "Traceback" not in err


def test_lock_records_the_criteria(tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN, encoding="utf-8")
    lock = lock_plan(plan)
    assert lock["prespecified"]["success"]["sensitivity"] == {"null": 0.8, "alternative": "greater", "expected": 0.9}
    assert read_prespecified(plan).multiplicity == "all"


def test_flahault_published_values():
    pw, size, _ = exact_binomial_power([93, 102], 0.95, 0.85)
    assert_allclose(pw, [0.957, 0.968], atol=5e-4)        # Chu & Cole 2007, p. 1201
    assert_allclose(size, [0.0496, 0.0471], atol=5e-5)
    assert_allclose(pw[0], 0.956785868, rtol=1e-6)      # base R, above
    r = exact_binomial_size(0.95, 0.85, power=0.95)
    assert (r.n_first, r.n) == (93, 102)                  # Flahault's 93; saw-tooth safe 102
    for sens, delta, n in ((0.99, 0.14, 40), (0.99, 0.13, 43), (0.99, 0.12, 47), (0.98, 0.13, 50), (0.98, 0.11, 58)):
        assert exact_binomial_size(sens, round(sens - delta, 10), power=0.95).n == n


def test_criteria_sample_size_from_plan(tmp_path, capsys):
    r = criteria_size({"sensitivity": {"null": 0.8, "expected": 0.9}, "specificity": {"null": 0.7, "expected": 0.85}},
                      0.34)
    assert (r.n_cases, r.n_noncases) == (94, 57)
    assert r.n == max(-(-94 // 0.34), -(-57 // 0.66)) == 277
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN, encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        main(["sample-size", "criteria", "--plan", str(plan), "--prevalence", "0.34", "--json"])
    assert exc.value.code == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["n"] == 277 and doc["n_cases"] == 94
    # any (Holm): each test sized at alpha / 2
    assert criteria_size({"sensitivity": {"null": 0.8, "expected": 0.9}}, 0.34, multiplicity="any").alpha_per_test == 0.05


def test_single_centre_plan_reports_exact_tests_first(tmp_path):
    """One centre (the dss analysis of a plan): exact binomial tests at the prespecified cutoff.

    binom.test(18, 20, p = 0.8, alternative = "greater"): p 0.206084718948474, lower 0.717381475114139
    binom.test(33, 39, p = 0.7, alternative = "greater"): p 0.0292772860422506, lower 0.718763920100994
    """
    from spinestats.data_schemas.examples import cohort_dss
    from spinestats.reports.plan_runner import run_plan

    data = Path(cohort_dss.__file__).resolve().parent / "synthetic_dss.csv"
    plan = tmp_path / "plan.yaml"
    plan.write_text("schema_version: 1\ntitle: DSS\nsynthetic: true\ndata:\n  dss: {file: " + json.dumps(str(data))
                    + ", schema: dss}\nanalyses:\n  - {type: dss, data: dss}\noutput:\n"
                    "  figures: {formats: [png], dpi: [72]}\n  tables: {formats: [csv]}\n" + PLAN, encoding="utf-8")
    run_plan(plan, tmp_path / "out")
    doc = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    pe = {e["measure"]: e for e in doc["dss"]["primary_endpoint"]}
    assert_allclose([pe["sensitivity"]["p"], pe["sensitivity"]["bound"]], [0.206084718948474, 0.717381475114139],
                    rtol=1e-9)
    assert_allclose([pe["specificity"]["p"], pe["specificity"]["bound"]], [0.0292772860422506, 0.718763920100994],
                    rtol=1e-9)
    assert (pe["sensitivity"]["met"], pe["specificity"]["met"]) == (False, True)
    assert doc["dss"]["primary_endpoint_decision"]["success"] is False  # co-primary: both must be met
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    section = html[html.index('<section id="sec-dss"'):]
    assert section.index("primary endpoint") < section.index("<figure")
    assert "Not met" in section

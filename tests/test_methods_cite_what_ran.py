"""Methods cite only what ran (issue 12): the survival job's log-rank, Cox, PH-test, Gray and Fine-Gray references
and sentences appear only when that result exists; the sample-size job states its assumptions per method and
returns the full reference of each method."""

import numpy as np
import pandas as pd
import pytest

from spinestats.reports import sample_size_job, survival_job
from spinestats.reports import sample_size_methods as ssm
from spinestats.reports.methods_text import methods_paragraph

VERSIONS = {"Python": "3", "spinestats": "0"}
CODES = "EVENT=1,COMPETING=2,CENSOR=0"


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(12)
    n = 80
    return pd.DataFrame({"t": np.round(rng.exponential(20, n), 1) + 0.5, "s": rng.integers(0, 3, n),
                         "e": rng.integers(0, 2, n), "arm": rng.choice(["A", "B"], n), "x": rng.normal(size=n)})


def authors(refs):
    """The first author's surname of each reference."""
    return [r.split(" ", 1)[0] for r in refs]


def test_km_only_cites_km_brookmeyer_schemper_and_survival(data):
    sec = survival_job.run(data, time="t", event="e")
    assert authors(sec.references) == ["Kaplan", "Brookmeyer", "Schemper", "Therneau"]
    text = " ".join(sec.methods)
    assert "log-rank" not in text and "Cox" not in text and "Gray" not in text and "Schoenfeld" not in text
    assert sec.results["logrank"] is None and sec.results["cox"] is None


def test_group_and_covariate_add_logrank_cox_and_ph_test(data):
    sec = survival_job.run(data, time="t", event="e", group="arm", covariates="x")
    assert authors(sec.references) == [
        "Kaplan", "Brookmeyer", "Schemper", "Harrington", "Cox", "Grambsch", "Therneau"]
    text = " ".join(sec.methods)
    assert "Groups were compared with the log-rank test." in text
    assert "Hazard ratios were estimated by Cox regression (Efron ties); proportional hazards were checked on " \
           "scaled Schoenfeld residuals (Kaplan-Meier transform of time)." in text


def test_a_failed_cox_model_is_neither_described_nor_cited(data):
    sec = survival_job.run(data.assign(k=1.0), time="t", event="e", covariates="k")
    assert sec.results["cox"]["fitted"] is False
    assert authors(sec.references) == ["Kaplan", "Brookmeyer", "Schemper", "Therneau"]
    assert "Cox" not in " ".join(sec.methods)


def test_competing_risks_cite_gray_and_fine_gray_only_when_they_ran(data):
    ungrouped = survival_job.run(data, time="t", event="s", event_codes=CODES)
    assert ungrouped.results["gray"] is None and ungrouped.results["finegray"] is None
    assert authors(ungrouped.references) == ["Kaplan", "Brookmeyer", "Schemper", "Therneau",
                                                                  "Gray"]
    assert "cmprsk" in ungrouped.references[-1]
    assert ("Cumulative incidence was estimated by the Aalen-Johansen method with cmprsk's variance (log(-log) CIs)."
            in ungrouped.methods)
    assert "Fine-Gray" not in " ".join(ungrouped.methods) and "Gray's test" not in " ".join(ungrouped.methods)
    full = survival_job.run(data, time="t", event="s", event_codes=CODES, group="arm", covariates="x")
    assert authors(full.references) == [
        "Kaplan", "Brookmeyer", "Schemper", "Harrington", "Cox", "Grambsch", "Gray", "Fine", "Therneau", "Gray"]
    assert "Subdistribution hazard ratios were estimated by Fine-Gray regression." in full.methods
    assert any("compared with Gray's test" in m for m in full.methods)


def test_schema_mode_without_group_cites_no_tests(data):
    from pathlib import Path

    from spinestats.data_schemas.examples import cohort_cirt
    from spinestats.data_schemas.loading import load

    cirt = load(Path(cohort_cirt.__file__).parent / "synthetic_cirt.csv", schema="cirt")
    sec = survival_job.run(table=cirt)
    assert sec.results["logrank"] is None and sec.results["cox"] is None and sec.results.get("finegray") is None
    cited = " ".join(sec.references)
    for absent in ("Harrington", "Cox DR", "Grambsch", "Fine JP", "K-sample"):
        assert absent not in cited
    assert "cmprsk" in cited  # the cumulative incidence of local recurrence ran


@pytest.mark.parametrize("method, keywords, sentence, refs", [
    ("buderer", {}, "The sample size was computed by Buderer's method [1], as epiR epi.ssdxsesp computes it, to "
     "estimate sensitivity and specificity with 95% confidence intervals of an absolute half-width of 0.1, assuming "
     "a sensitivity of 0.9, a specificity of 0.846 and a prevalence of 0.34: 102 patients for sensitivity and 76 "
     "for specificity, so 102 patients in total, 35 of them expected to have the condition.",
     ["Buderer NMF. Statistical methodology: I. Incorporating the prevalence of disease into the sample size "
      "calculation for sensitivity and specificity. Acad Emerg Med 1996;3:895-900. "
      "doi:10.1111/j.1553-2712.1996.tb03538.x"]),
    ("auc", {"auc": 0.8, "precision": 0.08, "prevalence": 0.3}, "with the Hanley\u2013McNeil variance [1] to "
     "estimate an expected area under the ROC curve of 0.8 with a 95% confidence interval of half-width 0.08 at a "
     "prevalence of 0.3:", ["Hanley JA, McNeil BJ. The meaning and use of the area under a receiver operating "
                            "characteristic (ROC) curve. Radiology 1982;143:29-36. "
                            "doi:10.1148/radiology.143.1.7063747"]),
    ("auc_power", {"auc": 0.75, "controls_per_case": 2.0}, "binormal variance [1], as pROC power.roc.test computes "
     "it [2], to show that an expected area under the ROC curve of 0.75 exceeds 0.5 with a power of 0.8 at a "
     "two-sided significance level of 0.05, with 2 controls per case:", ["Obuchowski", "Robin"]),
    ("kappa", {"kappa0": 0.4, "kappa1": 0.7, "prevalence": 0.3}, "goodness-of-fit method [1] to distinguish an "
     "expected kappa of 0.7 from a kappa of 0.4 (two raters, binary rating, 0.3 of ratings positive) with a power "
     "of 0.8 at a two-sided significance level of 0.05:", ["Donner"]),
    ("riley", {"parameters": 6, "prevalence": 0.2, "csrsquared": 0.15}, "by the criteria of Riley et al. [1, 2], as "
     "pmsampsize computes them, assuming 6 candidate predictor parameters, an outcome proportion of 0.2, an "
     "anticipated Cox\u2013Snell R\u00b2 of 0.15", ["Riley", "Riley"]),
    ("criteria", {"criteria": {"sensitivity": {"null": 0.7, "expected": 0.9}}}, "by the exact one-sided binomial "
     "test at a one-sided level of 0.05 [1], taking the smallest size from which the saw-toothed power stays above "
     "the target [2, 3]: sensitivity (null value 0.7, expected 0.9):", ["Flahault", "Chernick", "Chu"]),
])
def test_sample_size_methods_state_assumptions_and_cite_in_full(method, keywords, sentence, refs):
    sec = sample_size_job.run(method=method, **keywords)
    assert sec.references == ssm.REFERENCES[method]
    if refs[0].endswith(")") or "doi:" in refs[0]:
        assert list(sec.references) == refs
    else:
        assert authors(sec.references) == refs
    assert all("doi:10." in r for r in sec.references)  # full references, not a name and a year
    text = methods_paragraph([sec], versions=VERSIONS).by_section[sec.key]
    assert sentence in text
    counted = {"auc_power": f"{sec.results.get('n_cases')} cases", "kappa": f"{sec.results.get('n')} subjects"}
    assert counted.get(method, f"{sec.results.get('n')} patients") in text
    # every reference cited in the text, none left as "Name 1996"
    assert "1996)" not in text and "et al. 20" not in text


def test_sample_size_n_in_the_sentence_is_the_result():
    sec = sample_size_job.run(method="kappa", kappa0=0.4, kappa1=0.7, prevalence=0.3)
    assert sec.methods[0].endswith(f": {sec.results['n']} subjects.")
    sec = sample_size_job.run(method="auc_power", auc=0.75, controls_per_case=2.0)
    assert sec.methods[0].endswith(f": {sec.results['n_cases']} cases and {sec.results['n_controls']} controls.")


def test_auc_precision_follows_conf_level_and_says_so():
    from spinestats.analysis.design.sample_size import auc_precision

    sec = sample_size_job.run(method="auc", auc=0.8, precision=0.08, prevalence=0.3, conf_level=0.9)
    assert sec.results["n"] == auc_precision(0.8, 0.3, 0.08, conf_level=0.9).n < auc_precision(0.8, 0.3, 0.08).n
    assert "with a 90% confidence interval of half-width 0.08" in sec.methods[0]

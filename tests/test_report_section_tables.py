"""Tables of the sections whose jobs write none: reader agreement and sample size (every cell is the section's
own result, in words, with readable headers; the numbers stay numbers in the CSV)."""

import pandas as pd
import pytest
from numpy.testing import assert_allclose

from spinestats.data_schemas.examples import cohort_readers
from spinestats.reports import agreement_job
from spinestats.reports.sample_size_job import run as run_sample_size
from spinestats.reports.section_tables import agreement_tables, sample_size_tables
from spinestats.reports.tables import table_width_mm


@pytest.fixture(scope="module")
def agreement():
    return agreement_job.run(table=None, data=cohort_readers.make()).results


def test_agreement_table_groups_statistics_under_each_measure_with_every_pair_and_light(agreement):
    (t,) = agreement_tables(agreement)
    shown = t.format()
    assert list(shown.columns) == ["Measure read and statistic", "Estimate (95% CI)", "p"]
    first = shown["Measure read and statistic"].tolist()
    assert first[0] == "DSS total (0\u20136)" and shown.iloc[0, 1:].tolist() == ["", ""]  # a heading row, no numbers
    assert first[1] == "\u2003Cohen's \u03ba, R1 vs R2"  # statistics indented under it
    k = agreement["kappa"]
    assert shown.iloc[1, 1] == "{:.2f} ({:.2f}\u2013{:.2f})".format(k["estimate"], k["lower"], k["upper"])
    # every pair of the weighted kappas, and Light's mean of each kind
    for kind in ("linear", "quadratic"):
        w = agreement["weighted_kappa"][kind]
        for pair in w["pairwise"]:
            assert f"\u2003Weighted \u03ba ({kind}), {pair['rater1']} vs {pair['rater2']}" in first
        i = first.index(f"\u2003Weighted \u03ba ({kind}), mean of the pairs (Light)")
        assert shown.iloc[i, 1] == f"{w['light']:.2f}"
    # the ICCs in words (Shrout-Fleiss forms), with their numbers
    icc = {r["type"]: r for r in agreement["icc"]}
    i = first.index("\u2003ICC(2,k): mean of 3 readers, absolute agreement")
    assert_allclose(t.data.loc[i, ["estimate", "lower", "upper"]].astype(float),
                    [icc["ICC2k"]["estimate"], icc["ICC2k"]["lower"], icc["ICC2k"]["upper"]])
    assert not any(x.strip() in ("ICC1", "ICC2k") for x in first)
    # each feature is a heading once
    for name in ("Tumour boundary", "Lobulated shape", "Bone destruction", "Tumour size (cm)"):
        assert first.count(name) == 1
    assert table_width_mm(shown) <= 170.0  # fits a portrait A4 page
    csv = t.csv_frame()
    assert {"feature", "statistic", "estimate", "lower", "upper", "p"} <= set(csv.columns)
    assert not any(str(c).startswith("_") for c in csv.columns)


@pytest.mark.parametrize("method, expect", [
    ("buderer", {"Expected sensitivity": "90%", "Expected specificity": "84.6%", "Prevalence": "34%",
                 "Confidence level": "95%", "Patients needed": "102", "Of whom with the condition": "35"}),
    ("auc", {"Expected AUC": "0.85", "Patients needed": "78", "Patients with the condition": "27"}),
    ("kappa", {"\u03ba under the null hypothesis": "0.4", "Expected \u03ba": "0.8", "Power": "80%", "Patients needed": "46"}),
    ("riley", {"Criterion 1 (shrinkage \u2265 0.90): patients": "229", "Patients needed": "345", "Events needed": "118"}),
])
def test_sample_size_table_for_every_method_in_words(method, expect):
    res = run_sample_size(method=method, nagrsquared=0.2).results
    (t,) = sample_size_tables(res)
    shown = dict(zip(*t.format().T.values))
    for k, v in expect.items():
        assert shown[k] == v, (k, shown)
    assert not any("_" in k for k in shown)
    assert t.title.startswith("Sample size") and t.footnotes
    assert pd.api.types.is_float_dtype(t.csv_frame()["value"])
    assert_allclose(t.data.set_index("quantity").loc["Patients needed", "value"], res["n"])

"""Federated pooling equals the pooled patient-level analysis (to 1e-9).

Identity tests: no R needed, the reference is our own patient-level
analysis (itself tested against pROC and survival in the diagnostic and
survival helpers' tests).
"""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from spinestats.analysis.diagnostic.accuracy import accuracy_at_cutoff, accuracy_from_counts
from spinestats.analysis.diagnostic.delong import delong_auc, delong_from_counts
from spinestats.analysis.pooling.federated import (
    km_from_risk_set,
    logrank_from_risk_sets,
    pool_risk_sets,
    pool_score_counts,
    risk_set_table,
    score_counts_table,
    suppress_risk_set,
    suppress_score_counts,
    two_by_two,
)
from spinestats.analysis.survival.kaplan_meier import km_curve
from spinestats.analysis.survival.logrank import logrank_test
from spinestats.analysis.diagnostic.roc import roc_curve, roc_from_counts
from spinestats.errors import DataError

EXACT = 1e-9


@pytest.fixture(scope="module")
def sites():
    rng = np.random.default_rng(2026)
    out = []
    for c, n in enumerate([40, 75, 120, 33, 90, 60]):
        truth = rng.random(n) < 0.3 + 0.05 * c
        score = np.clip(np.round(rng.normal(1 + 3 * truth, 1.4)), 0, 6).astype(int)
        time = np.round(rng.exponential(20 + 10 * truth, n), 0) + 1  # ties across sites
        event = rng.random(n) < 0.7
        out.append(pd.DataFrame({"centre": f"C{c}", "score": score, "truth": truth, "time": time,
                                 "event": event, "group": np.where(truth, "malignant", "benign")}))
    return out


def test_pooled_roc_auc_delong_equal_patient_level(sites):
    allp = pd.concat(sites, ignore_index=True)
    tables = [score_counts_table(s["score"], s["truth"].to_numpy()) for s in sites]
    lv, pos, neg = pool_score_counts(tables)
    fed_roc = roc_from_counts(lv, pos, neg)
    pat_roc = roc_curve(allp["score"].to_numpy(), allp["truth"].to_numpy())
    assert_allclose(fed_roc.sensitivities, pat_roc.sensitivities, rtol=EXACT, atol=EXACT)
    assert_allclose(fed_roc.specificities, pat_roc.specificities, rtol=EXACT, atol=EXACT)
    a = delong_from_counts(lv, pos, neg)
    b = delong_auc(allp["score"].to_numpy(), allp["truth"].to_numpy())
    assert_allclose([a.auc, a.variance, *a.ci], [b.auc, b.variance, *b.ci], rtol=EXACT, atol=EXACT)


def test_pooled_sens_spec_equal_patient_level(sites):
    allp = pd.concat(sites, ignore_index=True)
    tables = [score_counts_table(s["score"], s["truth"].to_numpy()) for s in sites]
    lv, pos, neg = pool_score_counts(tables)
    cells = two_by_two(lv, pos, neg, 3)
    fed = accuracy_from_counts(cells["tp"], cells["fp"], cells["tn"], cells["fn"]).table.iloc[0]
    pat = accuracy_at_cutoff(allp, score="score", truth="truth", positive=True, cutoff=3).table.iloc[0]
    for col in ("sensitivity", "sensitivity_lower", "sensitivity_upper", "specificity",
                "specificity_lower", "specificity_upper"):
        assert_allclose(fed[col], pat[col], rtol=EXACT)


def test_pooled_km_equals_patient_level(sites):
    allp = pd.concat(sites, ignore_index=True)
    for g in ("benign", "malignant"):
        tabs = [risk_set_table(s.loc[s.group == g, "time"], s.loc[s.group == g, "event"].to_numpy()) for s in sites]
        fed = km_from_risk_set(pool_risk_sets(tabs))
        sub = allp[allp.group == g]
        pat = km_curve(sub["time"].to_numpy(), sub["event"].to_numpy())
        assert_allclose(fed.time, pat.time, rtol=0)
        assert np.array_equal(fed.n_at_risk, pat.n_at_risk)
        for f in ("survival", "std_err", "lower", "upper"):
            assert_allclose(getattr(fed, f), getattr(pat, f), rtol=EXACT, atol=EXACT)


def test_pooled_logrank_equals_patient_level(sites):
    allp = pd.concat(sites, ignore_index=True)
    groups = {}
    for g in ("benign", "malignant"):
        tabs = [risk_set_table(s.loc[s.group == g, "time"], s.loc[s.group == g, "event"].to_numpy()) for s in sites]
        groups[g] = pool_risk_sets(tabs)
    fed = logrank_from_risk_sets(groups)
    pat = logrank_test(allp, time="time", event="event", group="group")
    assert_allclose([fed.chisq, fed.p], [pat.chisq, pat.p], rtol=EXACT)
    assert_allclose(fed.observed, pat.observed, rtol=EXACT)
    assert_allclose(fed.expected, pat.expected, rtol=EXACT)


def test_score_suppression_keeps_boundary_cutoffs_exact():
    t = {"levels": [0, 1, 2, 3, 4, 5, 6], "n_pos": [0, 1, 2, 6, 5, 8, 9], "n_neg": [20, 6, 2, 1, 3, 0, 1]}
    s = suppress_score_counts(t, 5)
    # every non-zero count >= 5
    assert all(v == 0 or v >= 5 for v in s["n_pos"] + s["n_neg"])
    assert sum(s["n_pos"]) == sum(t["n_pos"]) and sum(s["n_neg"]) == sum(t["n_neg"])
    for cut in s["levels"]:
        assert two_by_two(s["levels"], s["n_pos"], s["n_neg"], cut) == two_by_two(t["levels"], t["n_pos"], t["n_neg"], cut)


def test_risk_set_suppression_preserves_totals():
    rng = np.random.default_rng(3)
    time = rng.integers(1, 40, 50).astype(float)
    event = rng.random(50) < 0.6
    t = risk_set_table(time, event)
    s = suppress_risk_set(t, 3)
    assert all(v == 0 or v >= 3 for v in s["n_event"] + s["n_censored"])
    assert sum(s["n_event"]) == sum(t["n_event"]) and s["n_at_risk"][0] == 50


def test_non_integer_score_is_refused():
    with pytest.raises(DataError, match="integer score"):
        score_counts_table([0.5, 1.0], np.array([True, False]))

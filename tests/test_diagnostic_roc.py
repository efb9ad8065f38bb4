"""ROC, DeLong, cutoffs and 2x2 accuracy against pROC 1.18.0 / epiR 2.0.57.

Every expected value comes from ``tests/r/diagnostic_reference.R`` (R 4.2); the
R line that produced it is quoted beside it.  Data:

* ``DSS``: the bundled 59-patient DSS cohort as counts per level 0..6 (heavy ties)::

      pos <- c(0, 1, 1, 1, 2, 5, 10); neg <- c(22, 6, 5, 1, 3, 2, 0)
      score <- c(rep(0:6, pos), rep(0:6, neg)); truth <- c(rep(TRUE, 20), rep(FALSE, 39))
      r <- roc(truth, score, levels = c(FALSE, TRUE), direction = "<")

* ``cont``: a continuous marker ``x1`` and a rounded second score ``x2`` on the
  same 150 patients, from ``numpy.random.default_rng(7)`` (see :func:`cont`), written
  to CSV with ``%.17g`` and read by R::

      r1 <- roc(d$truth, d$x1, levels = c(0, 1), direction = "<")
      r2 <- roc(d$truth, d$x2, levels = c(0, 1), direction = "<")
"""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from spinestats.analysis.diagnostic.accuracy import accuracy_at_cutoff, accuracy_from_counts, accuracy_from_roc
from spinestats.analysis.diagnostic.cutoff import optimal_cutoff
from spinestats.analysis.diagnostic.delong import (
    delong_auc,
    delong_from_counts,
    delong_paired,
    delong_unpaired,
)
from spinestats.analysis.diagnostic.roc import roc_curve, roc_from_counts
from spinestats.errors import DataError, UsageError

LEVELS = np.arange(7)
POS = np.array([0, 1, 1, 1, 2, 5, 10])
NEG = np.array([22, 6, 5, 1, 3, 2, 0])


def dss_rows():
    score = np.concatenate([np.repeat(LEVELS, POS), np.repeat(LEVELS, NEG)]).astype(float)
    truth = np.concatenate([np.ones(POS.sum(), bool), np.zeros(NEG.sum(), bool)])
    return score, truth


def cont():
    rng = np.random.default_rng(7)
    n = 150
    truth = rng.random(n) < 0.4
    x1 = rng.normal(0, 1, n) + 1.0 * truth
    x2 = np.round(x1 * 0.6 + rng.normal(0, 1, n) + 0.3 * truth)
    return truth, x1, x2


# ---------------------------------------------------------------- ROC curve
def test_dss_roc_points_match_proc():
    roc = roc_from_counts(LEVELS, POS, NEG)
    # p(r$thresholds); p(r$sensitivities); p(r$specificities)
    assert_allclose(roc.thresholds, [-np.inf, 0.5, 1.5, 2.5, 3.5, 4.5, 5.5, np.inf])
    assert_allclose(roc.sensitivities, [1, 1, 0.95, 0.9, 0.85, 0.75, 0.5, 0], rtol=1e-12)
    assert_allclose(
        roc.specificities,
        [0, 0.564102564103, 0.717948717949, 0.846153846154, 0.871794871795, 0.948717948718, 1, 1],
        rtol=1e-6,
    )
    assert_allclose(roc.cutoffs, [0, 1, 2, 3, 4, 5, 6, np.inf])


def test_dss_auc_and_delong_ci():
    # p(auc(r), ci.auc(r, method = "delong")[c(1, 3)], var(r, method = "delong"))
    # 0.948717948718, 0.898263651689, 0.999172245747, 0.00066267431399
    d = delong_from_counts(LEVELS, POS, NEG)
    assert d.auc == pytest.approx(0.948717948718, rel=1e-6)
    assert_allclose(d.ci, [0.898263651689, 0.999172245747], rtol=1e-6)
    assert d.variance == pytest.approx(0.00066267431399, rel=1e-6)


def test_counts_equal_expanded_rows_and_weights():
    score, truth = dss_rows()
    a = delong_auc(score, truth)
    b = delong_from_counts(LEVELS, POS, NEG)
    assert abs(a.auc - b.auc) < 1e-12 and abs(a.variance - b.variance) < 1e-12
    assert_allclose(a.ci, b.ci, rtol=0, atol=1e-12)
    # frequency weights: one row per (level, class) with the count as weight
    s = np.concatenate([LEVELS, LEVELS]).astype(float)
    t = np.concatenate([np.ones(7, bool), np.zeros(7, bool)])
    w = np.concatenate([POS, NEG])
    c = delong_auc(s, t, weights=w)
    assert abs(c.auc - a.auc) < 1e-12 and abs(c.variance - a.variance) < 1e-12
    r1, r2 = roc_curve(score, truth), roc_from_counts(LEVELS[::-1], POS[::-1], NEG[::-1])
    assert_allclose(r1.sensitivities, r2.sensitivities, atol=1e-12)
    assert_allclose(r1.specificities, r2.specificities, atol=1e-12)


def test_continuous_marker_auc_ci_var():
    truth, x1, x2 = cont()
    # p(auc(r1), ci.auc(r1, method = "delong")[c(1, 3)], var(r1, method = "delong"))
    d1 = delong_auc(x1, truth)
    assert_allclose(
        [d1.auc, *d1.ci, d1.variance],
        [0.766717325228, 0.689766527239, 0.843668123217, 0.00154145224186],
        rtol=1e-6,
    )
    # the same for r2 (rounded score, ties)
    d2 = delong_auc(x2, truth)
    assert_allclose(
        [d2.auc, *d2.ci, d2.variance],
        [0.669832826748, 0.585337397147, 0.754328256349, 0.00185853290553],
        rtol=1e-6,
    )


def test_auc_equals_sklearn_on_random_ties():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(3)
    t = rng.random(500) < 0.3
    s = rng.integers(0, 5, 500) + t
    assert delong_auc(s, t).auc == pytest.approx(roc_auc_score(t, s), abs=1e-14)


# ---------------------------------------------------------------- DeLong tests
def test_paired_delong_matches_roc_test():
    truth, x1, x2 = cont()
    # t <- roc.test(r1, r2, method = "delong", paired = TRUE)
    # p(t$statistic, t$p.value, t$conf.int): 2.29089812179, 0.0219693066479, 0.0139955538017, 0.179773443159
    r = delong_paired(x1, x2, truth)
    assert_allclose([r.z, r.p, *r.ci], [2.29089812179, 0.0219693066479, 0.0139955538017, 0.179773443159], rtol=1e-6)
    assert r.auc_difference == pytest.approx(0.766717325228 - 0.669832826748, rel=1e-6)
    same = delong_paired(x1, x1, truth)
    assert same.z == 0.0 and same.p == 1.0


def test_unpaired_delong_matches_roc_test():
    truth, x1, _ = cont()
    # u <- roc.test(r1, r, method = "delong", paired = FALSE)
    # p(u$statistic, u$parameter, u$p.value): -3.87663232022, 206.571312445, 0.000142266219214
    u = delong_unpaired(roc_curve(x1, truth), roc_from_counts(LEVELS, POS, NEG))
    assert_allclose([u.statistic, u.df, u.p], [-3.87663232022, 206.571312445, 0.000142266219214], rtol=1e-6)


# ---------------------------------------------------------------- cutoffs
def test_dss_youden_and_topleft_give_3():
    roc = roc_from_counts(LEVELS, POS, NEG)
    # coords(r, "best", best.method = "youden"): threshold 2.5, se 0.9, sp 0.8461538
    for method in ("youden", "closest_topleft"):
        o = optimal_cutoff(roc, method)
        assert o.cutoff == (3.0,) and o.threshold == (2.5,)
        assert_allclose([o.sensitivity[0], o.specificity[0]], [0.9, 33 / 39], rtol=1e-12)
    # coords(r, "best", best.method = "youden", best.weights = c(2, 0.2)): threshold 4.5
    assert optimal_cutoff(roc, "youden", cost=2, prevalence=0.2).threshold == (4.5,)
    # coords(r, "best", best.method = "closest.topleft", best.weights = c(0.5, 0.4)): threshold 4.5
    assert optimal_cutoff(roc, "closest_topleft", cost=0.5, prevalence=0.4).threshold == (4.5,)


def test_constrained_cutoffs():
    roc = roc_from_counts(LEVELS, POS, NEG)
    o = optimal_cutoff(roc, "min_sensitivity", min_sensitivity=0.95)
    assert o.cutoff == (2.0,) and o.sensitivity == (0.95,)
    o = optimal_cutoff(roc, "min_specificity", min_specificity=0.9)
    assert o.cutoff == (5.0,) and o.sensitivity == (0.75,)
    with pytest.raises(UsageError):
        optimal_cutoff(roc, "min_sensitivity")
    with pytest.raises(UsageError):
        optimal_cutoff(roc, "max_accuracy")


def test_continuous_cutoffs_match_coords():
    truth, x1, x2 = cont()
    # coords(r1, "best", best.method = "youden"): 0.0982877432082 0.839285714286 0.627659574468
    o = optimal_cutoff(roc_curve(x1, truth), "youden")
    assert_allclose([o.threshold[0], o.sensitivity[0], o.specificity[0]],
                    [0.0982877432082, 0.839285714286, 0.627659574468], rtol=1e-6)
    # coords(r1, "best", best.method = "closest.topleft"): 0.299803902941 0.785714285714 0.659574468085
    o = optimal_cutoff(roc_curve(x1, truth), "closest_topleft")
    assert_allclose([o.threshold[0], o.sensitivity[0], o.specificity[0]],
                    [0.299803902941, 0.785714285714, 0.659574468085], rtol=1e-6)
    # coords(r2, "best", best.method = "youden"): 0.5 0.553571428571 0.702127659574
    o = optimal_cutoff(roc_curve(x2, truth), "youden")
    assert_allclose([o.threshold[0], o.sensitivity[0], o.specificity[0]], [0.5, 0.553571428571, 0.702127659574], rtol=1e-6)


def test_tied_youden_reports_all():
    # coords(rt, "best", best.method = "youden") -> thresholds 1.5, 2.5, 3.5
    roc = roc_curve([2, 3, 4, 4, 1, 1, 2, 3], np.array([1, 1, 1, 1, 0, 0, 0, 0], bool))
    o = optimal_cutoff(roc, "youden")
    assert o.threshold == (1.5, 2.5, 3.5) and o.cutoff == (2.0, 3.0, 4.0)
    assert o.sensitivity == (1.0, 0.75, 0.5) and o.specificity == (0.5, 0.75, 1.0)
    assert len(o.to_frame()) == 3


# ---------------------------------------------------------------- 2x2 accuracy
# epi.tests(c(18, 6, 2, 33), method = "exact")$detail  (est, lower, upper)
EPI_EXACT = {
    "prevalence": (0.338983050847, 0.220811698634, 0.473929114452),
    "sensitivity": (0.9, 0.683017285981, 0.98765147283),
    "specificity": (0.846153846154, 0.694720075563, 0.941375737139),
    "accuracy": (0.864406779661, 0.750195967664, 0.939596486039),
    "dor": (49.5, 9.04072101955, 271.023737454),
    "youden": (0.746153846154, 0.377737361544, 0.929027209969),
    "ppv": (0.75, 0.532887197577, 0.902269590525),
    "npv": (0.942857142857, 0.808428593655, 0.993003236372),
    "lr_pos": (5.85, 2.76226595875, 12.3892849244),
    "lr_neg": (0.118181818182, 0.0315207929428, 0.443102499804),
}
# epi.tests(c(18, 6, 2, 33), method = "wilson")$detail
EPI_WILSON = {
    "prevalence": (0.338983050847, 0.231376536856, 0.466275294331),
    "sensitivity": (0.9, 0.698966354772, 0.972133518786),
    "specificity": (0.846153846154, 0.702705363511, 0.92752527623),
    "accuracy": (0.864406779661, 0.754603391935, 0.929658253275),
    "ppv": (0.75, 0.551005559948, 0.880006337714),
    "npv": (0.942857142857, 0.813929425798, 0.984186838143),
    "youden": (0.746153846154, 0.401671718282, 0.899658795016),
}


@pytest.mark.parametrize("method,ref", [("exact", EPI_EXACT), ("wilson", EPI_WILSON)])
def test_accuracy_matches_epi_tests(method, ref):
    t = accuracy_from_counts(18, 6, 33, 2, cutoff=3, method=method).to_frame().iloc[0]
    for name, (est, lo, hi) in ref.items():
        assert_allclose([t[name], t[f"{name}_lower"], t[f"{name}_upper"]], [est, lo, hi], rtol=1e-6, err_msg=name)


def test_accuracy_at_prevalence_and_vectorised_roc_table():
    t = accuracy_from_counts(18, 6, 33, 2, prevalence=0.1).to_frame().iloc[0]
    se, sp = 0.9, 33 / 39
    assert t["ppv_at_prevalence"] == pytest.approx(se * 0.1 / (se * 0.1 + (1 - sp) * 0.9), rel=1e-12)
    assert t["npv_at_prevalence"] == pytest.approx(sp * 0.9 / (sp * 0.9 + (1 - se) * 0.1), rel=1e-12)
    tab = accuracy_from_roc(roc_from_counts(LEVELS, POS, NEG)).to_frame()
    assert list(tab["cutoff"]) == [0, 1, 2, 3, 4, 5, 6]
    row = tab.set_index("cutoff").loc[3]
    assert (row.tp, row.fp, row.tn, row.fn) == (18, 6, 33, 2)
    assert row["sensitivity_lower"] == pytest.approx(0.683017285981, rel=1e-6)
    # zero cells give NaN (null), not inf: at cutoff 0 specificity is 0 so LR+ = 1, LR- undefined
    r0 = tab.set_index("cutoff").loc[0]
    assert r0["lr_pos"] == pytest.approx(1.0) and np.isnan(r0["lr_neg"])


def test_accuracy_at_cutoff_from_frame_counts_and_records():
    score, truth = dss_rows()
    df = pd.DataFrame({"dss": score, "ref": np.where(truth, "malignant", "benign")})
    before = df.copy()
    res = accuracy_at_cutoff(df, score="dss", truth="ref", positive="malignant", cutoff=[3, 4])
    pd.testing.assert_frame_equal(df, before)
    rec = res.records()
    assert rec[0]["tp"] == 18 and rec[0]["tn"] == 33
    assert_allclose(rec[0]["sensitivity_ci"], [0.683017285981, 0.98765147283], rtol=1e-6)
    assert rec[1]["cutoff"] == 4 and res.flow["n_analysed"] == 59


# ---------------------------------------------------------------- bad input
def test_bad_input_messages():
    score, truth = dss_rows()
    with pytest.raises(DataError, match="only one class"):
        delong_auc(score[truth], truth[truth])
    with pytest.raises(DataError, match="constant"):
        roc_curve(np.ones(10), np.arange(10) < 5)
    with pytest.raises(DataError, match="missing"):
        roc_curve(np.r_[score[:-1], np.nan], truth)
    with pytest.raises(DataError, match="boolean"):
        roc_curve(score, truth.astype(int))
    df = pd.DataFrame({"dss": score, "ref": np.where(truth, "malignant", "benign")})
    with pytest.raises(DataError, match="labels present: benign, malignant"):
        accuracy_at_cutoff(df, score="dss", truth="ref", positive="Malignant", cutoff=3)
    with pytest.raises(UsageError, match=r"column 'DSS' \(score=\) not in the data; did you mean 'dss'\?"):
        accuracy_at_cutoff(df, score="DSS", truth="ref", positive="malignant", cutoff=3)


def test_missing_scores_are_excluded_and_counted():
    score, truth = dss_rows()
    df = pd.DataFrame({"dss": score, "ref": np.where(truth, "malignant", "benign")}, index=np.arange(59) + 3)
    df.loc[[4, 10], "dss"] = np.nan
    df.loc[7, "ref"] = None
    res = accuracy_at_cutoff(df, score="dss", truth="ref", positive="malignant", cutoff=3)
    assert res.flow["n_read"] == 59 and res.flow["n_analysed"] == 56 and res.flow["n_excluded"] == 3
    reasons = {e["reason"]: e for e in res.flow["exclusions"]}
    assert reasons["score (dss) missing"]["lines"] == [4, 10]
    assert reasons["reference standard (ref) missing"]["n"] == 1
    assert any("excluded" in w for w in res.warnings)


def test_small_class_warning():
    df = pd.DataFrame({"s": [1, 2, 3, 4, 5, 6, 7, 8, 2, 9], "y": ["n"] * 8 + ["p"] * 2})
    res = accuracy_at_cutoff(df, score="s", truth="y", positive="p", cutoff=5)
    assert any("only 2 patients in the positive class" in w for w in res.warnings)
    assert any("only 8 patients in the negative class" in w for w in res.warnings)


def test_numeric_positive_label_given_as_text():
    df = pd.DataFrame({"s": [1, 2, 3, 4, 5, 6], "y": [1.0, 0.0, 1.0, np.nan, 0.0, 1.0]})
    res = accuracy_at_cutoff(df, score="s", truth="y", positive="1", cutoff=3, min_per_class=1)
    row = res.to_frame().iloc[0]
    assert (row.tp, row.fn, row.fp, row.tn) == (2, 1, 1, 1)
    assert res.flow["exclusions"][0]["lines"] == [3]


def test_single_patient_class_gives_undefined_ci_not_error():
    # pROC ci.auc(method = "delong") returns NA when a class has one patient
    d = delong_auc([1, 2, 3, 4], np.array([False, False, False, True]))
    assert d.auc == 1.0 and np.isnan(d.variance) and np.isnan(d.ci[0]) and np.isnan(d.ci[1])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_counts_equal_rows_random_tables(seed):
    """Identity: a table of counts per level gives what its expanded rows give (1e-12)."""
    rng = np.random.default_rng(seed)
    levels = np.sort(rng.choice(np.linspace(-3, 3, 40), size=12, replace=False))
    n_pos = rng.integers(0, 15, levels.size)
    n_neg = rng.integers(0, 15, levels.size)
    n_pos[0] += 1
    n_neg[-1] += 1
    score = np.concatenate([np.repeat(levels, n_pos), np.repeat(levels, n_neg)])
    truth = np.concatenate([np.ones(n_pos.sum(), bool), np.zeros(n_neg.sum(), bool)])
    perm = rng.permutation(score.size)
    a = delong_auc(score[perm], truth[perm])
    b = delong_from_counts(levels, n_pos, n_neg)
    assert abs(a.auc - b.auc) < 1e-12 and abs(a.variance - b.variance) < 1e-12
    ta = accuracy_from_roc(roc_curve(score[perm], truth[perm])).to_frame()
    tb = accuracy_from_roc(roc_from_counts(levels, n_pos, n_neg)).to_frame()
    pd.testing.assert_frame_equal(ta, tb, check_exact=False, rtol=1e-12, atol=1e-12)
    df = pd.DataFrame({"s": score[perm], "y": np.where(truth[perm], "pos", "neg")})
    tc = accuracy_at_cutoff(df, score="s", truth="y", positive="pos", cutoff=tb["cutoff"]).to_frame()
    pd.testing.assert_frame_equal(tc, tb, check_exact=False, rtol=1e-12, atol=1e-12, check_dtype=False)

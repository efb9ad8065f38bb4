"""Bootstrap validation of the cutoff, bootstrap AUC CI, McNemar and score comparison.

McNemar references (R 4.2, ``tests/r/diagnostic_mcnemar.R``)::

    m <- matrix(v, 2, byrow = TRUE); a <- mcnemar.test(m); b <- mcnemar.test(m, correct = FALSE)
    e <- binom.test(m[1, 2], m[1, 2] + m[2, 1])$p.value
    sprintf("%.12g", c(a$statistic, a$p.value, b$statistic, b$p.value, e))
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from spinestats.analysis.diagnostic.auc_bootstrap import bootstrap_auc, bootstrap_auc_from_counts
from spinestats.analysis.diagnostic.cutoff import optimal_cutoff
from spinestats.analysis.diagnostic.cutoff_bootstrap import bootstrap_cutoff, bootstrap_cutoff_from_counts
from spinestats.analysis.diagnostic.delong import delong_auc
from spinestats.analysis.core.resampling import replicate_seeds
from spinestats.analysis.diagnostic.roc import roc_curve
from spinestats.analysis.diagnostic.score_comparison import compare_scores, mcnemar

LEVELS = np.arange(7)
POS = np.array([0, 1, 1, 1, 2, 5, 10])
NEG = np.array([22, 6, 5, 1, 3, 2, 0])


def dss_rows():
    score = np.concatenate([np.repeat(LEVELS, POS), np.repeat(LEVELS, NEG)]).astype(float)
    truth = np.concatenate([np.ones(20, bool), np.zeros(39, bool)])
    return score, truth


def test_index_bootstrap_equals_brute_force_replicates():
    """Vectorised replicates equal a plain per-replicate loop on the same random streams."""
    score, truth = dss_rows()
    B, seed = 40, 11
    res = bootstrap_cutoff(score, truth, B=B, seed=seed)
    pos, neg = score[truth], score[~truth]
    optimism = []
    for b, ss in enumerate(replicate_seeds(seed, B)):
        rng = np.random.default_rng(ss)
        ip = rng.integers(0, pos.size, pos.size)
        iq = rng.integers(0, neg.size, neg.size)
        s_b = np.concatenate([pos[ip], neg[iq]])
        t_b = np.concatenate([np.ones(pos.size, bool), np.zeros(neg.size, bool)])
        o = optimal_cutoff(roc_curve(s_b, t_b), "youden")
        cuts = np.array(o.cutoff)
        assert res.replicate_cutoff[b] == pytest.approx(np.mean(cuts[np.isfinite(cuts)]))
        assert res.inbag_sensitivity[b] == pytest.approx(np.mean(o.sensitivity))
        oob_p = np.setdiff1d(np.arange(pos.size), ip)
        oob_n = np.setdiff1d(np.arange(neg.size), iq)
        se_o = np.mean([(pos[oob_p] >= c).mean() for c in cuts])
        sp_o = np.mean([(neg[oob_n] < c).mean() for c in cuts])
        assert res.oob_sensitivity[b] == pytest.approx(se_o)
        assert res.oob_specificity[b] == pytest.approx(sp_o)
        j_orig = np.mean([(pos >= c).mean() + (neg < c).mean() - 1 for c in cuts])
        optimism.append(np.mean(o.sensitivity) + np.mean(o.specificity) - 1 - j_orig)
    assert res.youden_optimism == pytest.approx(np.mean(optimism), rel=1e-12)


def test_bootstrap_reproducible_and_worker_independent():
    score, truth = dss_rows()
    a = bootstrap_cutoff(score, truth, B=200, seed=5)
    b = bootstrap_cutoff(score, truth, B=200, seed=5, workers=2)
    assert_allclose(a.frequency, b.frequency, rtol=0, atol=0)
    assert_allclose(a.oob_sensitivity, b.oob_sensitivity, rtol=0, atol=0)
    assert a.summary() == b.summary()
    c = bootstrap_cutoff(score, truth, B=200, seed=6)
    assert not np.array_equal(a.frequency, c.frequency)


def test_counts_and_arrays_give_identical_bootstrap():
    score, truth = dss_rows()
    a = bootstrap_cutoff(score, truth, B=300, seed=3, oob=False)
    b = bootstrap_cutoff_from_counts(LEVELS, POS, NEG, B=300, seed=3)
    assert a.summary() == b.summary() and a.oob_sensitivity is None
    assert_allclose(a.frequency.sum(), 1.0, rtol=1e-12)
    c = bootstrap_auc(score, truth, B=300, seed=3)
    d = bootstrap_auc_from_counts(LEVELS, POS, NEG, B=300, seed=3)
    assert c.ci == d.ci and np.array_equal(c.se_lower, d.se_lower)


def test_harrell_optimism_is_consistent():
    score, truth = dss_rows()
    r = bootstrap_cutoff(score, truth, B=400, seed=1)
    assert r.apparent_cutoff == (3.0,)
    assert r.youden_apparent == pytest.approx(0.9 + 33 / 39 - 1)
    assert r.youden_corrected == pytest.approx(r.youden_apparent - r.youden_optimism)
    # choosing the cutoff on the resample can only flatter it
    assert r.youden_optimism > 0
    assert np.nanmean(r.oob_sensitivity + r.oob_specificity) < np.mean(r.inbag_sensitivity + r.inbag_specificity)
    assert abs(r.auc_optimism) < 0.01


def test_tied_cutoffs_split_weight():
    # every cutoff ties at J = 0.5 on the data; the apparent optimum lists all three
    s = np.array([2, 3, 4, 4, 1, 1, 2, 3], float)
    t = np.array([1, 1, 1, 1, 0, 0, 0, 0], bool)
    r = bootstrap_cutoff(s, t, B=300, seed=2)
    assert r.apparent_cutoff == (2.0, 3.0, 4.0)
    assert r.n_tied_replicates > 0
    assert r.frequency.sum() == pytest.approx(1.0)


def test_bootstrap_auc_ci_close_to_delong():
    score, truth = dss_rows()
    bt = bootstrap_auc(score, truth, B=2000, seed=20160501)
    dl = delong_auc(score, truth)
    assert bt.ci[0] < dl.auc < bt.ci[1]
    assert abs(bt.ci[0] - dl.ci[0]) < 0.03
    band = bt.to_frame()
    assert (band["sensitivity_lower"] <= band["sensitivity_upper"]).all()
    assert band["sensitivity_upper"].iloc[0] == 1.0


# (b, c) -> corrected X2, p; uncorrected X2, p; exact p   (mcnemar.test / binom.test)
R_MCNEMAR = [
    ((6, 1), (2.28571428571, 0.130570018116, 3.57142857143, 0.0587817213554, 0.125)),
    ((2, 0), (0.5, 0.479500122187, 2, 0.15729920705, 0.5)),
    ((3, 3), (0, 1, 0, 1, 1)),
]


@pytest.mark.parametrize("bc,ref", R_MCNEMAR)
def test_mcnemar_matches_r(bc, ref):
    a = mcnemar(*bc)
    u = mcnemar(*bc, correct=False)
    e = mcnemar(*bc, exact=True)
    assert_allclose([a.statistic, a.p, u.statistic, u.p, e.p], ref, rtol=1e-6, atol=1e-12)


def test_mcnemar_no_discordant_pairs_is_undefined():
    r = mcnemar(0, 0)  # mcnemar.test(matrix(c(7, 0, 0, 4), 2)) -> NaN
    assert np.isnan(r.statistic) and np.isnan(r.p)


def test_compare_scores_counts_discordant_pairs():
    score, truth = dss_rows()
    other = np.where(score >= 4, 1.0, 0.0)
    r = compare_scores(score, other, truth, cutoff1=3, cutoff2=1)
    # among malignant: DSS>=3 but DSS<4 -> one patient (level 3); the reverse never
    assert (r.mcnemar_sensitivity.b, r.mcnemar_sensitivity.c) == (1, 0)
    # among benign: correct on test 1 (DSS<3) but not test 2 (DSS>=4): none; reverse: level 3 -> 1
    assert (r.mcnemar_specificity.b, r.mcnemar_specificity.c) == (0, 1)
    assert r.sensitivity1 == pytest.approx(0.9) and r.specificity2 == pytest.approx(34 / 39)
    assert r.delong.auc1 == pytest.approx(0.948717948718, rel=1e-9)


def test_batching_changes_nothing(monkeypatch):
    """Small memory batches (forced here) give the same replicates as one batch."""
    import spinestats.analysis.diagnostic.count_bootstrap as cb

    score, truth = dss_rows()
    a = bootstrap_cutoff(score, truth, B=120, seed=9)
    b_auc = bootstrap_auc(score, truth, B=120, seed=9)
    monkeypatch.setattr(cb, "MAX_BATCH_CELLS", 7 * 25)  # 25 replicates per batch
    assert cb.batch_size_for(120, 7) == 25
    b = bootstrap_cutoff(score, truth, B=120, seed=9)
    c_auc = bootstrap_auc(score, truth, B=120, seed=9)
    assert np.array_equal(a.oob_sensitivity, b.oob_sensitivity) and a.summary() == b.summary()
    assert np.array_equal(b_auc.replicate_auc, c_auc.replicate_auc)


def test_many_levels_counts_equal_arrays():
    """Above MULTINOMIAL_MAX_LEVELS the counts are drawn by patient resampling; still identical."""
    rng = np.random.default_rng(4)
    t = rng.random(300) < 0.4
    s = np.round(rng.normal(size=300) + t, 2)
    from spinestats.analysis.diagnostic.roc import score_counts

    lv, p, q = score_counts(s, t)
    assert lv.size > 64
    a = bootstrap_auc(s, t, B=200, seed=3)
    b = bootstrap_auc_from_counts(lv, p.astype(int), q.astype(int), B=200, seed=3)
    assert np.array_equal(a.replicate_auc, b.replicate_auc)
    assert abs(np.mean(a.replicate_auc) - delong_auc(s, t).auc) < 0.01


def _assert_counts_by_definition(seeds, levels, L, inbags, oobs):
    """Each replicate's in-bag and out-of-bag counts are those of drawing patient indices (positives,
    then negatives, from the replicate's own generator) and counting the drawn patients' levels."""
    for i, ss in enumerate(seeds):
        g = np.random.default_rng(ss)
        for lev, inbag, oob in zip(levels, inbags, oobs):
            idx = g.integers(0, lev.size, lev.size)
            drawn = np.zeros(lev.size, dtype=bool)
            drawn[idx] = True
            assert np.array_equal(inbag[i], np.bincount(lev[idx], minlength=L))
            assert np.array_equal(oob[i], np.bincount(lev[~drawn], minlength=L))


def test_index_counts_equal_indexing_the_levels_by_the_draws():
    """draw_index_counts sums draws per patient by level (issue 16); the counts are those of drawing
    patient indices and counting their levels, replicate by replicate, in-bag and out-of-bag."""
    from spinestats.analysis.diagnostic.count_bootstrap import draw_index_counts

    rng = np.random.default_rng(16)
    L = 7
    lp, lq = rng.integers(0, L, 500), rng.integers(1, L - 1, 800)  # levels 0 and 6 without negatives
    lp[:3] = 6
    seeds = replicate_seeds(5, 40)
    P, Q, Po, Qo = draw_index_counts(seeds, lp, lq, L)
    _assert_counts_by_definition(seeds, (lp, lq), L, (P, Q), (Po, Qo))
    assert P.dtype == Q.dtype == Po.dtype == np.int64 and (P.sum(axis=1) == 500).all() and (Q[:, [0, 6]] == 0).all()
    P2, Q2, Po2, Qo2 = draw_index_counts(seeds, lp, lq, L, out_of_bag=False)
    assert np.array_equal(P2, P) and np.array_equal(Q2, Q) and not Po2.any() and not Qo2.any()


def test_index_counts_many_levels_equal_indexing_the_levels_by_the_draws():
    """Above SLICE_MAX_LEVELS (a continuous score) the per-level sums come from cumulative sums;
    the counts are still those of counting the drawn patients' levels, in-bag and out-of-bag,
    with levels absent from a class and a level count that is not a multiple of anything."""
    from spinestats.analysis.diagnostic import count_bootstrap as cb

    rng = np.random.default_rng(61)
    L = 3 * cb.SLICE_MAX_LEVELS + 5
    lp, lq = rng.integers(0, L, 400), rng.integers(2, L - 7, 900)
    seeds = replicate_seeds(7, 25)
    P, Q, Po, Qo = cb.draw_index_counts(seeds, lp, lq, L)
    _assert_counts_by_definition(seeds, (lp, lq), L, (P, Q), (Po, Qo))
    assert (Q[:, :2] == 0).all() and (Qo[:, L - 7:] == 0).all() and Po.sum() > 0

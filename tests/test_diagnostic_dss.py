"""DSS from features, per-feature Fisher comparison, and the bundled 59-patient cohort.

Fisher references (R 4.2, ``tests/r/diagnostic_fisher.R``)::

    tabs <- list(c(17, 3, 8, 31), c(18, 2, 5, 34), c(14, 6, 9, 30), c(15, 5, 6, 33),
                 c(3, 2, 1, 9), c(5, 0, 2, 10))
    for (v in tabs) { f <- fisher.test(matrix(v, 2, byrow = TRUE))
      cat(sprintf("%.12g", c(f$p.value, f$estimate, f$conf.int)), sep = ", ") }
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from spinestats.analysis.scores.dss_score import DSS_WEIGHTS, compute_dss
from spinestats.analysis.diagnostic.feature_comparison import compare_features
from spinestats.analysis.descriptive.fisher_exact import fisher_test, r_uniroot
from spinestats.data_schemas.examples import cohort_dss
from spinestats.errors import DataError, UsageError

CSV = Path(cohort_dss.__file__).with_name("synthetic_dss.csv")

# (a, b, c, d) -> p, conditional MLE OR, CI lower, upper   (fisher.test)
R_FISHER = [
    ((17, 3, 8, 31), (2.91275153172e-06, 20.4330758278, 4.46440407479, 135.455208175)),
    ((18, 2, 5, 34), (7.70046013284e-09, 54.0900742452, 9.20984842415, 609.013508652)),
    ((14, 6, 9, 30), (0.000714528226846, 7.45650176434, 2.00814767781, 31.562717257)),
    ((15, 5, 6, 33), (1.03024603611e-05, 15.4153995988, 3.71096302896, 78.3111244036)),
    ((3, 2, 1, 9), (0.0769230769231, 10.6592046845, 0.553631641329, 778.879718196)),
    ((5, 0, 2, 10), (0.00339366515837, np.inf, 2.16409328197, np.inf)),
]


@pytest.mark.parametrize("cells,ref", R_FISHER)
def test_fisher_matches_r(cells, ref):
    r = fisher_test(*cells)
    got = np.array([r.p, r.odds_ratio, *r.ci])
    fin = np.isfinite(ref)
    assert_allclose(got[fin], np.array(ref)[fin], rtol=1e-6)
    assert np.all(np.isinf(got[~fin]))


def test_r_uniroot_agrees_with_r():
    # sprintf("%.12g", uniroot(function(x) x^3 - 2, c(0, 2))$root) -> 1.25993383506
    # (the true root is 1.25992104989: R stops at tol = eps^0.25, and so do we)
    assert r_uniroot(lambda x: x**3 - 2, 0, 2) == pytest.approx(1.25993383506, rel=1e-9)


def test_cohort_reproduces_published_aggregates():
    df = cohort_dss.make()
    assert len(df) == 59
    assert df["reference"].value_counts().to_dict() == {"benign": 39, "malignant": 20}
    hist = df.groupby("reference")["histology"].value_counts().to_dict()
    assert hist[("benign", "Neurinoma")] == 37 and hist[("malignant", "MPNST")] == 11
    assert hist[("malignant", "Malignant lymphoma")] == 3
    assert sum(v for (ref, _), v in hist.items() if ref == "malignant") == 20
    score = compute_dss(df).score
    assert (score == df["dss"]).all()
    med = score.groupby(df["reference"]).median()
    assert med["benign"] == 0 and med["malignant"] == 5.5
    pos = score >= 3
    assert int((pos & (df["reference"] == "malignant")).sum()) == 18
    assert int((~pos & (df["reference"] == "benign")).sum()) == 33
    # every feature more common in malignant tumours, each significant by Fisher (Table 2)
    feats = compare_features(compute_dss(df).features, (df["reference"] == "malignant").to_numpy()).table
    assert (feats["positive_pct"] > feats["negative_pct"]).all()
    assert (feats["p_fisher"] < 0.05).all()
    # and these are exactly the R-referenced tables above
    got = set(map(tuple, feats[["positive_with", "positive_n", "negative_with", "negative_n"]]
                  .assign(positive_n=lambda f: f.positive_n - f.positive_with,
                          negative_n=lambda f: f.negative_n - f.negative_with).to_numpy()))
    assert got == {cells for cells, _ in R_FISHER[:4]}


def test_committed_csv_equals_generator():
    lines = CSV.read_text(encoding="utf-8").splitlines()
    assert lines[0] == cohort_dss.HEADER_COMMENT
    on_disk = pd.read_csv(CSV, comment="#")
    pd.testing.assert_frame_equal(on_disk, cohort_dss.make(), check_dtype=False)


def test_variant_weights_and_missing_features():
    df = cohort_dss.make().head(6).copy()
    df.loc[df.index[0], "size_cm"] = np.nan
    res = compute_dss(df, check_column=None)
    assert np.isnan(res.score.iloc[0]) and res.missing_lines == (df.index[0],)
    # a variant without the size feature: the missing size no longer matters
    w = dict(DSS_WEIGHTS, size_ge_5cm=0)
    v = compute_dss(df, weights=w)
    assert not v.score.isna().any()
    f = res.features.iloc[1:]
    expected = 2 * f.indistinct_boundary.astype(int) + f.lobulated.astype(int) + f.bone_destruction.astype(int)
    assert_allclose(v.score.iloc[1:], expected)
    with pytest.raises(UsageError, match="unknown DSS features"):
        compute_dss(df, weights={"size": 2})


def test_precomputed_dss_disagreement_is_refused():
    df = cohort_dss.make().head(5).copy()
    df.loc[2, "dss"] = 6 if df.loc[2, "dss"] != 6 else 0
    with pytest.raises(DataError, match=r"disagrees .* \[2\]"):
        compute_dss(df)
    df2 = cohort_dss.make().head(3).copy()
    df2.loc[0, "boundary"] = "fuzzy"
    with pytest.raises(DataError, match="distinct"):
        compute_dss(df2)

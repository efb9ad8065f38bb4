"""Table 1 (analysis/descriptive/table_one.py) against base-R formulas.

tableone is not installed in R here, so every reference is computed with the
base-R function tableone itself calls (t.test/oneway.test, kruskal.test,
chisq.test, fisher.test) or its SMD formula; the whole script is
tests/r/report_table_one.R and each value's line is quoted beside it.
"""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from spinestats.analysis.descriptive.table_one import fisher_exact_2xk, table_one
from spinestats.errors import DataError, UsageError

AGE = [61, 54, 70, 48, 66, 59, 73, 52, 64, 57, 45, 50, 62, 39, 58, 47, 55, 41, 60, 49, 53, 44]
DOSE = [64, 64, 70.4, 64, 57.6, 64, 64, 70.4, 64, 64, 64, 57.6, 57.6, 64, 52.8, 57.6, 64, 64, 52.8, 57.6, 64, 57.6]
SEX = ["male", "female", "male", "male", "female", "male", "male", "female", "male", "male",
       "female", "female", "male", "female", "female", "male", "female", "female", "male", "female", "female", "male"]
SITE = ["cervical", "thoracic", "lumbar", "lumbar", "thoracic", "sacral", "lumbar", "thoracic", "cervical", "lumbar",
        "thoracic", "thoracic", "cervical", "lumbar", "thoracic", "cervical", "thoracic", "lumbar", "thoracic", "thoracic",
        "cervical", "thoracic"]


@pytest.fixture()
def frame():
    return pd.DataFrame({"grp": ["A"] * 10 + ["B"] * 12, "age": AGE, "dose": DOSE, "sex": SEX, "site": SITE})


def by_name(result, name):
    return next(v for v in result.variables if v.variable == name)


def test_continuous_normal_matches_t_test(frame):
    r = table_one(frame, group="grp", variables=["age"])
    v = by_name(r, "age")
    # t.test(age[A], age[B], var.equal = TRUE): t 3.07491648889, p 0.00597496694639
    assert_allclose(v.statistic, 3.07491648889, rtol=1e-9)
    assert_allclose(v.p_value, 0.00597496694639, rtol=1e-9)
    assert v.df == 20
    # abs(mean(A) - mean(B)) / sqrt((var(A) + var(B)) / 2) = 1.31220249295
    assert_allclose(v.smd, 1.31220249295, rtol=1e-9)
    # mean(age[A]), sd(age[A]), mean(age[B]), sd(age[B]): 60.4 7.9888811621 50.25 7.47267750481
    assert_allclose([v.stats["A"]["mean"], v.stats["A"]["sd"], v.stats["B"]["mean"], v.stats["B"]["sd"]],
                    [60.4, 7.9888811621, 50.25, 7.47267750481], rtol=1e-9)


def test_continuous_nonnormal_matches_kruskal_and_quantile_type7(frame):
    r = table_one(frame, group="grp", variables=["dose"], nonnormal=["dose"])
    v = by_name(r, "dose")
    # kruskal.test(dose ~ factor(grp)): chi-squared 6.51415745856, p 0.0107019013471
    assert_allclose([v.statistic, v.p_value], [6.51415745856, 0.0107019013471], rtol=1e-9)
    # quantile(dose[A], c(.5, .25, .75)) = 64 64 64; quantile(dose[B], ...) = 57.6 57.6 64
    assert_allclose([v.stats["A"][k] for k in ("median", "q1", "q3")], [64, 64, 64])
    assert_allclose([v.stats["B"][k] for k in ("median", "q1", "q3")], [57.6, 57.6, 64])
    # the SMD stays the mean/SD one, as tableone: 1.28922477868
    assert_allclose(v.smd, 1.28922477868, rtol=1e-9)


def test_binary_categorical_chisq_fisher_smd(frame):
    v = by_name(table_one(frame, group="grp", variables=["sex"]), "sex")
    # chisq.test(table(grp, sex), correct = TRUE): X-squared 1.65, p 0.198958931092
    assert_allclose([v.statistic, v.p_value], [1.65, 0.198958931092], rtol=1e-9)
    # abs(pA - pB) / sqrt((pA(1-pA) + pB(1-pB)) / 2) with p = P(male): 0.78873821332
    assert_allclose(v.smd, 0.78873821332, rtol=1e-9)
    assert v.stats["A"]["counts"] == {"female": 3, "male": 7}
    assert_allclose(v.stats["B"]["percent"]["male"], 100 * 4 / 12)
    ve = by_name(table_one(frame, group="grp", variables=["sex"], exact=["sex"]), "sex")
    # fisher.test(table(grp, sex))$p.value = 0.198380566802
    assert_allclose(ve.p_value, 0.198380566802, rtol=1e-9)


def test_multilevel_categorical_yang_dalton_smd_and_exact(frame):
    v = by_name(table_one(frame, group="grp", variables=["site"]), "site")
    assert v.levels == ("cervical", "lumbar", "sacral", "thoracic")
    # suppressWarnings(chisq.test(table(grp, site))): X-squared 3.31222222222, df 3, p 0.34594515849
    assert_allclose([v.statistic, v.df, v.p_value], [3.31222222222, 3, 0.34594515849], rtol=1e-9)
    # sqrt(t(d) %*% MASS::ginv(S) %*% d) (see tests/r/report_table_one.R) = 0.827799527879
    assert_allclose(v.smd, 0.827799527879, rtol=1e-9)
    ve = by_name(table_one(frame, group="grp", variables=["site"], exact=["site"]), "site")
    # fisher.test(table(grp, site))$p.value = 0.39132075355 (2 x 4 table, exact enumeration)
    assert_allclose(ve.p_value, 0.39132075355, rtol=1e-9)


def test_three_groups_anova_and_mean_pairwise_smd(frame):
    frame = frame.assign(g3=["A"] * 7 + ["B"] * 7 + ["C"] * 8)
    v = by_name(table_one(frame, group="g3", variables=["age"]), "age")
    # oneway.test(age ~ g3, var.equal = TRUE): F 3.53321387179, p 0.0495889361632
    assert_allclose([v.statistic, v.p_value], [3.53321387179, 0.0495889361632], rtol=1e-9)
    # mean of the three pairwise SMDs = 0.860689398544
    assert_allclose(v.smd, 0.860689398544, rtol=1e-9)


def test_fisher_2xk_identity_with_scipy_2x2():
    from scipy.stats import fisher_exact

    t = np.array([[7, 3], [4, 8]])
    assert_allclose(fisher_exact_2xk(t), fisher_exact(t).pvalue, rtol=1e-12)


def test_missing_values_are_counted_not_silent(frame):
    frame = frame.copy()
    frame.loc[0, "age"] = np.nan
    frame.loc[3, "sex"] = None
    frame.loc[21, "grp"] = None
    before = frame.copy()
    r = table_one(frame, group="grp", variables=["age", "sex"])
    pd.testing.assert_frame_equal(frame, before)  # input untouched
    assert r.n_group_missing == 1 and r.n == {"A": 10, "B": 11}
    assert by_name(r, "age").n_missing == {"A": 1, "B": 0}
    assert by_name(r, "age").stats["A"]["n"] == 9
    assert by_name(r, "sex").n_missing == {"A": 1, "B": 0}
    assert any("missing 'grp'" in w for w in r.warnings)


def test_bad_requests_say_what_is_wrong(frame):
    with pytest.raises(UsageError, match="agee"):
        table_one(frame, group="grp", variables=["agee"])
    with pytest.raises(UsageError, match="categorical"):
        table_one(frame, group="grp", variables=["sex"], nonnormal=["sex"])
    with pytest.raises(DataError, match="at least two"):
        table_one(frame.assign(grp="A"), group="grp", variables=["age"])


def test_to_frame_is_long_and_tidy(frame):
    f = table_one(frame, group="grp", variables=["age", "sex"]).to_frame()
    assert list(f["group"]) == ["A", "B", "A", "A", "B", "B"]
    assert f.loc[(f.variable == "sex") & (f.group == "A") & (f.level == "male"), "count"].item() == 7


def test_table_one_upgrades_overall_schema_order_missing_letters_and_automatic_exact(tmp_path):
    """Overall column, labels with units, levels in schema order (not alphabetical), a Missing row only where
    values are missing, the test as a footnote letter, and Fisher's exact test chosen automatically when an
    expected count is below 5 (no contradictory warning)."""
    from spinestats.reports import table_one_job

    # R: g <- c(rep("A", 8), rep("B", 7)); s <- c("lumbar","lumbar","thoracic","cervical","lumbar","thoracic",
    #    "lumbar","lumbar","thoracic","thoracic","sacral","thoracic","cervical","thoracic","thoracic")
    #    fisher.test(table(g, s))$p.value  -> 0.037296037296
    site = ["lumbar", "lumbar", "thoracic", "cervical", "lumbar", "thoracic", "lumbar", "lumbar", "thoracic",
            "thoracic", "sacral", "thoracic", "cervical", "thoracic", "thoracic"]
    d = pd.DataFrame({"arm": ["BKP"] * 8 + ["control"] * 7, "site": site,
                      "age": [60.0, 61, 62, None, 64, 65, 66, 67, 70, 71, 72, 73, 74, 75, 76]})
    sec = table_one_job.run(d, tmp_path, group="arm", variables=["age", "site"], title="Table 1. By arm")
    assert sec.warnings == ()  # no "consider exact" left behind
    site_v = next(v for v in sec.results["variables"] if v["variable"] == "site")
    assert site_v["test"].startswith("Fisher's exact") and abs(site_v["p_value"] - 0.037296037296) < 1e-9
    md = (tmp_path / "tables" / "table_one.md").read_text(encoding="utf-8")
    rows = [ln for ln in md.splitlines() if ln.startswith("| ")]
    assert rows[0] == "| Characteristic | Overall (n = 15) | Balloon kyphoplasty (n = 8) | Control (n = 7) | p | Test | SMD |"
    names = [r.split(" | ")[0][2:] for r in rows[1:]]
    assert names == ["Age (years), mean (SD)", "\u2003Missing", "Tumour site, n (%)", "\u2003Cervical", "\u2003Thoracic",
                     "\u2003Lumbar", "\u2003Sacral"]  # schema order, not alphabetical; Missing only for age
    assert rows[3].split(" | ")[4:6] == ["0.037", "d"]
    assert "d, Fisher's exact test" in md and "Missing" not in rows[3]

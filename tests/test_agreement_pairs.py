"""Weighted kappa for every pair of raters and Light's mean, against psych ``cohen.kappa``.

Data: the three raters of tests/r/agreement.R (written out below); R code in
``tests/r/agreement_pairs.R`` and beside each value.
"""

import pandas as pd
import pytest
from numpy.testing import assert_allclose

from spinestats.analysis.agreement.kappa import cohen_kappa, pairwise_kappa
from spinestats.reports import agreement_job

R1 = [5, 4, 4, 6, 4, 5, 5, 0, 0, 2, 2, 6, 6, 1, 3, 5, 0, 5, 0, 3, 5, 2, 2, 1, 5]
R2 = [6, 4, 4, 6, 4, 5, 6, 1, 0, 2, 1, 6, 6, 0, 3, 4, 0, 5, 0, 4, 5, 2, 2, 1, 5]
R3 = [6, 4, 4, 6, 4, 6, 5, 1, 0, 3, 1, 6, 6, 0, 4, 6, 0, 5, 0, 3, 6, 2, 2, 1, 5]
X = pd.DataFrame({"R1": R1, "R2": R2, "R3": R3})

# R: x <- cbind(R1 = r1, R2 = r2, R3 = r3); W <- 1 - abs(outer(1:7, 1:7, "-"))/6
#    q <- cohen.kappa(x); l <- cohen.kappa(x, w = W)
#    q[[p]]$kappa, l[[p]]$weighted.kappa, q[[p]]$weighted.kappa for p in "R1 R2", "R1 R3", "R2 R3"
PAIRS = {
    "none": [0.670433145009, 0.581005586592, 0.666666666667],
    "linear": [0.882154882155, 0.852265265923, 0.870801033592],
    "quadratic": [0.968129666727, 0.960821870103, 0.958305537025],
}
# R: q$av.kappa -> 0.639368466089; q$av.wt -> 0.962419024618; l$av.wt -> 0.868407060556
#    mean(sapply(pairs, function(p) l[[p]]$weighted.kappa)) -> 0.868407060556 (Light's kappa by hand)
LIGHT = {"none": 0.639368466089, "linear": 0.868407060556, "quadratic": 0.962419024618}


@pytest.mark.parametrize("weights", ["none", "linear", "quadratic"])
def test_pairwise_kappa_matches_psych(weights):
    pk = pairwise_kappa(X, weights=weights)
    assert [(a, b) for a, b, _ in pk.pairs] == [("R1", "R2"), ("R1", "R3"), ("R2", "R3")]
    assert_allclose([k.estimate for _, _, k in pk.pairs], PAIRS[weights], rtol=1e-9)
    assert_allclose(pk.light, LIGHT[weights], rtol=1e-9)
    # each pair equals the two-rater function
    assert pk.pairs[2][2].estimate == cohen_kappa(R2, R3, weights=weights, levels=list(range(7))).estimate
    assert list(pk.to_frame()["rater2"]) == ["R2", "R3", "R3"]


def test_agreement_job_reports_every_pair_and_light():
    d = X.assign(case=range(len(X)))
    sec = agreement_job.run(d, case="case", raters=["R1", "R2", "R3"], reader="no_such_column")
    r = sec.results
    for w in ("linear", "quadratic"):
        wk = r["weighted_kappa"][w]
        assert_allclose(wk["estimate"], PAIRS[w][0], rtol=1e-9)  # first pair kept at the top level
        assert [(p["rater1"], p["rater2"]) for p in wk["pairwise"]] == [("R1", "R2"), ("R1", "R3"), ("R2", "R3")]
        assert_allclose([p["estimate"] for p in wk["pairwise"]], PAIRS[w], rtol=1e-9)
        assert_allclose(wk["light"], LIGHT[w], rtol=1e-9)
    assert_allclose(r["kappa"]["light"], LIGHT["none"], rtol=1e-9)
    assert "Light's kappa" in " ".join(sec.methods)
    assert len(sec.warnings) == len(set(sec.warnings))


def test_two_raters_have_no_pairwise_block():
    d = X[["R1", "R2"]].assign(case=range(len(X)))
    r = agreement_job.run(d, case="case", raters=["R1", "R2"], reader="no_such_column").results
    assert "pairwise" not in r["weighted_kappa"]["linear"] and "light" not in r["kappa"]


def test_agreement_cli_writes_every_pair(tmp_path):
    from click.testing import CliRunner

    from spinestats.reports.cli.main import cli

    f = tmp_path / "r.csv"
    X.assign(case=range(len(X))).to_csv(f, index=False)
    res = CliRunner().invoke(cli, ["agreement", str(f), "--case", "case", "--raters", "R1,R2,R3",
                                   "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    assert "Light's kappa (mean of the 3 reader pairs) 0.639" in res.output
    t = pd.read_csv(tmp_path / "o" / "tables" / "kappa_pairs.csv")
    assert list(t["weights"].unique()) == ["unweighted", "linear", "quadratic"] and len(t) == 9
    assert_allclose(t.loc[t.weights == "linear", "estimate"], PAIRS["linear"], rtol=1e-9)

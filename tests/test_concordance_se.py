"""Standard errors of Harrell's and Uno's C and their pooling across centres, against R.

References from ``tests/r/validate_concordance_se.R`` (R 4.2.2, survival 3.4, metafor 3.8), which reads

* ``tests/data/validation.csv`` (60 patients, whole-month times and two-decimal risks: ties in both;
  ``_validation_data`` of ``tests/test_fracture_validation.py``),
* ``tests/data/melanoma_risk.csv`` (riskRegression's Melanoma with three pseudo-centres, ``tests/r/validate.R``),
* ``tests/data/concordance_centres.csv`` (``centres_data`` below: four centres of 40-55 patients whose risk
  carries more or less noise, so the Cs differ between centres, and four degenerate centres: E no event,
  F one patient, G no comparable pair, H every pair concordant).

The R code of each value, in short (``t2``: a competing death moved to 1e6, censored, as Wolbers et al.)::

    fit <- concordance(Surv(t2, status == 1) ~ risk, data = d, reverse = TRUE)             # Harrell
    fit <- concordance(Surv(t2, status == 1) ~ risk, data = d, reverse = TRUE,
                       timewt = "n/G2", ymax = tau)                                       # Uno
    c(fit$concordance, sqrt(fit$var)); fit$dfbeta  (influence = 1)
    m <- rma(yi = qlogis(C), sei = SE / (C * (1 - C)), method = "REML", test = "knha",
             control = list(threshold = 1e-12)); predict(m)

Our C-index is R's with ``reverse = TRUE`` (a higher predicted risk means an earlier event).
"""

import json
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from spinestats.analysis.pooling.pooled_concordance import pool_concordance
from spinestats.analysis.prediction.concordance import concordance, concordance_influence
from spinestats.reports import validate_job

DATA = Path(__file__).parent / "data"
K = dict(time="time", event="status", risk="risk")
CODES = "EVENT=1,COMPETING=2,CENSOR=0"


def centres_data() -> pd.DataFrame:
    """Four centres with differing discrimination and four degenerate ones (``concordance_centres.csv``)."""
    rng = np.random.default_rng(20261202)
    parts = []
    for centre, n, noise in (("A", 50, 0.3), ("B", 45, 2.5), ("C", 40, 0.8), ("D", 55, 1.5)):
        x = rng.normal(size=n)
        t = np.round(rng.exponential(24 * np.exp(-0.9 * x)), 0) + 1
        c = np.round(rng.uniform(6, 48, size=n), 0)
        death = rng.uniform(size=n) < 0.2
        status = np.where(t <= c, np.where(death, 2, 1), 0)
        risk = np.round(1 / (1 + np.exp(-(x + noise * rng.normal(size=n) - 1))), 3)
        parts.append(pd.DataFrame({"centre": centre, "time": np.minimum(t, c), "status": status, "risk": risk}))
    parts += [
        pd.DataFrame({"centre": "E", "time": [3.0, 8, 15, 22, 30], "status": 0,             # no event
                      "risk": [0.1, 0.4, 0.2, 0.3, 0.5]}),
        pd.DataFrame({"centre": "F", "time": [7.0], "status": [1], "risk": [0.6]}),        # one patient
        pd.DataFrame({"centre": "G", "time": [2.0, 4, 9], "status": [0, 0, 1],             # no comparable pair
                      "risk": [0.2, 0.3, 0.7]}),
        pd.DataFrame({"centre": "H", "time": [2.0, 5, 14, 20, 26], "status": [1, 1, 0, 2, 0],  # C = 1, SE 0
                      "risk": [0.9, 0.6, 0.1, 0.3, 0.2]}),
    ]
    return pd.concat(parts, ignore_index=True)


@pytest.fixture(scope="module")
def val():
    return pd.read_csv(DATA / "validation.csv")


@pytest.fixture(scope="module")
def mel():
    return pd.read_csv(DATA / "melanoma_risk.csv")


@pytest.fixture(scope="module")
def centres():
    return pd.read_csv(DATA / "concordance_centres.csv")


@pytest.mark.parametrize("kw, c, se", [
    # concordance(Surv(time, status == 1) ~ risk, data = v, reverse = TRUE)       (death as censoring)
    (dict(competing="censor"), 0.669325153374233, 0.0561031284928204),
    # concordance(Surv(t2, status == 1) ~ risk, data = v, reverse = TRUE)         (Wolbers)
    (dict(), 0.61198738170347, 0.0599908294293621),
    # concordance(Surv(time, status == 1) ~ risk, data = v, reverse = TRUE, ymax = 12)
    (dict(tau=12, competing="censor"), 0.730113636363636, 0.0603808910127599),
    # concordance(Surv(t2, status == 1) ~ risk, data = v, reverse = TRUE, timewt = "n/G2", ymax = 12)
    (dict(weighting="uno", tau=12), 0.700299428681544, 0.064388531487033),
    # concordance(Surv(time, status == 1) ~ risk, data = v, reverse = TRUE, timewt = "n/G2", ymax = 12)
    (dict(weighting="uno", tau=12, competing="censor"), 0.719323931394427, 0.0607216991346646),
])
def test_se_with_tied_times_and_risks_matches_survival(val, kw, c, se):
    r = concordance(val, **K, **kw)
    assert_allclose([r.estimate, r.se], [c, se], rtol=1e-9)
    assert r.variance == pytest.approx(se**2, rel=1e-9) and r.reason is None
    assert_allclose(r.ci, [c - 1.959963984540054 * se, c + 1.959963984540054 * se], rtol=1e-9)


@pytest.mark.parametrize("kw, head, ss", [
    # concordance(Surv(t2, status == 1) ~ risk, data = v, reverse = TRUE, influence = 1)$dfbeta[1:5]; sum(dfbeta^2)
    (dict(), [0.00408004856252923, -0.000597080277443302, -0.0109182762955813, -0.00564406717816544,
              0.00571206798754093], 0.00359889961562282),
    # ... timewt = "n/G2", ymax = 12, influence = 1
    (dict(weighting="uno", tau=12), [0.00386993169771054, -0.00256207370462827, -0.0213078362815466,
                                     -0.00853831116645276, 0.00556682143319717], 0.00414588298705664),
])
def test_dfbeta_matches_survival(val, kw, head, ss):
    est, dfbeta = concordance_influence(val["time"], val["status"], val["risk"], **kw)
    assert_allclose(dfbeta[:5], head, rtol=1e-9)
    assert_allclose(np.sum(dfbeta**2), ss, rtol=1e-9)
    assert est == pytest.approx(concordance(val, **K, **kw).estimate, rel=1e-12)


def test_dfbeta_is_the_derivative_in_the_case_weight(val):
    # the infinitesimal jackknife: d C / d w_k, checked by a finite difference on one patient's weight
    # (a weight of 1 + h for patient k is that patient counted 1 + h times in every pair it belongs to)
    from spinestats.analysis.prediction.concordance import _pairs, _prepare

    t, st, r = val["time"].to_numpy(), val["status"].to_numpy(), val["risk"].to_numpy()
    _, dfbeta = concordance_influence(t, st, r)
    tt, cens, rr, ev, w = _prepare(t, st, r, "harrell", None, "infinite")
    totals, share = _pairs(tt, cens, rr, ev, w, per_patient=True)
    h = 1e-7
    for k in (0, 2, 7):
        bumped = totals + h * share[:, k]
        c = (bumped[0] + 0.5 * bumped[2]) / bumped.sum()
        base = (totals[0] + 0.5 * totals[2]) / totals.sum()
        assert (c - base) / h == pytest.approx(dfbeta[k], rel=1e-5)


def test_melanoma_overall_se_matches_survival(mel):
    h = concordance(mel, **K)
    u = concordance(mel, **K, weighting="uno", tau=60)
    # concordance(Surv(t2, status == 1) ~ risk, data = d, reverse = TRUE) and timewt = "n/G2", ymax = 60
    assert_allclose([h.estimate, h.se], [0.743039506988005, 0.0323412092055783], rtol=1e-9)
    assert_allclose([u.estimate, u.se], [0.763695749299503, 0.0337570153219546], rtol=1e-9)


# per centre A, B, C of melanoma_risk.csv: Harrell C, SE, Uno C (tau 60), SE (survival, as above)
MEL_CENTRES = {
    "A": [0.783625730994152, 0.0607282074405816, 0.816475905738572, 0.0639535504324027],
    "B": [0.690541781450872, 0.052428373784265, 0.706571745248044, 0.0531522783702388],
    "C": [0.760650224215247, 0.0579586142913273, 0.771182949113618, 0.0620653640129832],
}
# rma(yi = qlogis(C), sei = SE / (C (1 - C)), method = "REML", test = test, control = list(threshold = 1e-12));
# predict(m): plogis(b, ci.lb, ci.ub, pi.lb, pi.ub), then b, se, tau2, I2, QE, QEp, zval, pval
MEL_POOLED = {
    ("harrell", "knha"): [0.733916530834871, 0.592279036301931, 0.839670120318113, 0.592279036301931,
                          0.839670120318113, 1.01458525052692, 0.149022114910127, 0, 0, 1.52237587990329,
                          0.467111197232333, 6.80828648243785, 0.0208997402046889],
    ("uno", "knha"): [0.74842956516431, 0.587101778665537, 0.861584262122051, 0.587101778665537,
                      0.861584262122051, 1.09025408879557, 0.17158182815698, 0, 0, 1.69505843687934,
                      0.428472286589462, 6.3541349367026, 0.0238840262651123],
}
# concordance_centres.csv, centres A-D (tau 24)
CC_CENTRES = {
    "A": [0.801081730769231, 0.0463319426111687, 0.803633524406443, 0.0484536896204054],
    "B": [0.513552068473609, 0.0649009472460239, 0.533871829221771, 0.065170662606844],
    "C": [0.634268537074148, 0.0709690601778764, 0.637055445253113, 0.0737906108234253],
    "D": [0.589285714285714, 0.0528937974254839, 0.587167314080096, 0.052083649368843],
    "H": [1, 0, 1, 0],
}
CC_POOLED = {
    ("harrell", "knha"): [0.640164437677884, 0.41852409656643, 0.814722204956862, 0.223704184594413,
                          0.916549690246922, 0.576077921452658, 0.284345091927775, 0.246305884137336,
                          77.7716666221462, 12.7670382787948, 0.00516846522313754, 2.02598159000045,
                          0.13586949033011],
    ("uno", "knha"): [0.644265795381514, 0.430178840931853, 0.81290178232297, 0.24348739716414, 0.910642813572722,
                      0.593927530949091, 0.274961137194096, 0.219079275899258, 74.9394331051079, 11.160080881214,
                      0.0108910148205979, 2.16004173175148, 0.119570973063836],
    ("harrell", "z"): [0.640164437677884, 0.505715685614684, 0.755708235828506, 0.367501982933878,
                       0.84489423490419, 0.576077921452658, 0.282257320750302, 0.246305884137336, 77.7716666221462,
                       12.7670382787948, 0.00516846522313754, 2.04096715692375, 0.0412540917139206],
    ("uno", "z"): [0.644265795381514, 0.51538219982435, 0.755156695746333, 0.38538856314955, 0.839510873983459,
                   0.593927530949091, 0.271627087816395, 0.219079275899258, 74.9394331051079, 11.160080881214,
                   0.0108910148205979, 2.18655486727654, 0.0287750351555318],
}


def _schema_valid(res):
    schema = json.loads((Path(validate_job.__file__).resolve().parents[1] / "data_schemas" / "results"
                         / "validate.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(json.loads(json.dumps(res)), schema)


def _flat(pc):
    m = pc.pooled.meta
    return [pc.pooled.estimate, *pc.pooled.ci, *pc.pooled.prediction_interval, m.estimate_model, m.se_model,
            m.tau2, m.i2, m.q, m.q_p, m.statistic, m.p_value]


def _check_pooled(got, want):
    got, want = np.asarray(got, float), np.asarray(want, float)
    # tau2 and I2 (positions 7, 8) may be exactly 0: compare them absolutely; the rest relatively (REML: 1e-5)
    assert_allclose(got[[7, 8]], want[[7, 8]], rtol=1e-5, atol=1e-8)
    keep = [i for i in range(len(want)) if i not in (7, 8)]
    assert_allclose(got[keep], want[keep], rtol=1e-5)


@pytest.mark.parametrize("test", ["knha", "z"])
@pytest.mark.parametrize("weighting", ["harrell", "uno"])
def test_pooling_heterogeneous_centres_matches_metafor(weighting, test):
    j = 0 if weighting == "harrell" else 2
    labs = list("ABCD")
    pc = pool_concordance([CC_CENTRES[c][j] for c in labs], [CC_CENTRES[c][j + 1] for c in labs], labs,
                          weighting=weighting, test=test)
    assert pc.used == tuple(labs) and pc.excluded == () and pc.note is None
    _check_pooled(_flat(pc), CC_POOLED[(weighting, test)])


@pytest.mark.parametrize("weighting", ["harrell", "uno"])
def test_validate_per_centre_se_and_pooled_c_match_r(mel, weighting):
    res = validate_job.run(mel, time="time", event="status", event_codes=CODES, risk="risk", horizon=60,
                           group="centre").results
    j = 0 if weighting == "harrell" else 2
    for row in res["per_center"]:
        want = MEL_CENTRES[row["center"]]
        assert_allclose([row["c_index"][weighting], row["c_index"][f"{weighting}_se"]], want[j:j + 2], rtol=1e-9)
    p = res["c_index_pooled"][weighting]
    got = [p["estimate"], *p["ci"], *p["prediction_interval"], p["estimate_logit"], p["se_logit"], p["tau2"], p["i2"],
           p["q"], p["q_p"], p["statistic"], p["p"]]
    _check_pooled(got, MEL_POOLED[(weighting, "knha")])
    assert p["k"] == 3 and p["centres"] == ["A", "B", "C"] and p["excluded"] == [] and p["note"] is None
    assert p["scale"] == "logit" and p["test"] == "knha" and p["method"] == "REML" and p["q_df"] == 2
    # the whole-cohort block keeps its keys and gains the SE (survival, as above)
    assert_allclose(res["c_index"][f"{weighting}_se"], 0.0323412092055783 if j == 0 else 0.0337570153219546,
                    rtol=1e-9)


def test_degenerate_centres_are_named_and_left_out(centres):
    res = validate_job.run(centres, time="time", event="status", event_codes=CODES, risk="risk", horizon=24,
                           group="centre").results
    per = {r["center"]: r["c_index"] for r in res["per_center"]}
    for c, want in CC_CENTRES.items():
        assert_allclose([per[c]["harrell"], per[c]["harrell_se"], per[c]["uno"], per[c]["uno_se"]], want,
                        rtol=1e-9, atol=1e-15)
    # R: NaN for E (no event) and G (no comparable pair); an error for F (one patient); here a sentence each
    assert per["E"]["harrell"] is None and per["E"]["harrell_note"].startswith("no event of interest")
    assert per["E"]["uno_note"].startswith("no event of interest by time 24")
    assert per["F"]["harrell"] is None and per["F"]["harrell_note"].startswith("only 1 patient")
    assert per["G"]["harrell"] is None and per["G"]["uno_note"].startswith("no comparable pair")
    for w, j in (("harrell", 0), ("uno", 2)):
        p = res["c_index_pooled"][w]
        assert p["centres"] == list("ABCD") and [e["centre"] for e in p["excluded"]] == list("EFGH")
        assert p["excluded"][3]["reason"].startswith("C = 1: every comparable pair is ordered the same way")
        got = [p["estimate"], *p["ci"], *p["prediction_interval"], p["estimate_logit"], p["se_logit"], p["tau2"],
               p["i2"], p["q"], p["q_p"], p["statistic"], p["p"]]
        _check_pooled(got, CC_POOLED[(w, "knha")])
    name = {"harrell": "Harrell's C", "uno": "Uno's C"}
    for w in ("harrell", "uno"):
        assert any(x.startswith(f"{name[w]} pooled over 4 of 8 centres; left out: centre E (C undefined")
                   for x in res["warnings"])
    assert "centre F: Harrell's C not estimated: only 1 patient: a C-index needs pairs of patients." in res["warnings"]
    _schema_valid(res)
    # the other measures are pooled over their usable centres instead of failing as a whole
    assert res["pooled"]["time_auc"]["centres"] == list("ABCD")
    assert "F" not in res["pooled"]["brier"]["centres"]


def test_fewer_than_two_usable_centres_says_so(centres):
    sub = centres[centres["centre"].isin(["A", "E", "F", "H"])]
    res = validate_job.run(sub, time="time", event="status", event_codes=CODES, risk="risk", horizon=24,
                           group="centre").results
    p = res["c_index_pooled"]["harrell"]
    assert p["estimate"] is None and p["ci"] is None and p["k"] == 1 and p["centres"] == ["A"]
    assert p["note"] == ("1 centre with a usable C-index (of 4): a random-effects pooling needs at least 2, "
                         "so nothing was pooled.")
    assert f"Harrell's C: {p['note']}" in res["warnings"]
    _schema_valid(res)


def test_single_patient_and_no_event_never_raise():
    one = pd.DataFrame({"time": [5.0], "status": [1], "risk": [0.3]})
    r = concordance(one, **K)
    assert np.isnan(r.estimate) and np.isnan(r.se) and r.reason.startswith("only 1 patient")
    none = pd.DataFrame({"time": [5.0, 6, 7], "status": [0, 2, 0], "risk": [0.3, 0.2, 0.1]})
    r = concordance(none, **K, weighting="uno", tau=6)
    assert np.isnan(r.estimate) and r.reason == "no event of interest by time 6: a C-index needs at least one event."
    est, dfbeta = concordance_influence(none["time"], none["status"], none["risk"])
    assert np.isnan(est) and np.isnan(dfbeta).all()


def test_uno_single_event_after_tau_has_no_pair(val):
    # events after tau carry weight 0 (R: timewt[etime > ymax] <- 0): no event by tau, so undefined
    r = concordance(val, **K, weighting="uno", tau=0.5)
    assert np.isnan(r.estimate) and r.reason.startswith("no event of interest by time 0.5")


def test_cli_tables_and_report_show_the_pooled_c(tmp_path):
    from cli_run import cli  # tests/ is on sys.path

    out = tmp_path / "out"
    assert cli("validate", DATA / "concordance_centres.csv", "--time", "time", "--event", "status", "--event-codes",
               CODES, "--risk", "risk", "--horizon", 24, "--group", "centre", "--figure-format", "png", "--dpi", 72,
               "--out", out) == 0
    pooled = (out / "tables" / "validate_pooled.md").read_text(encoding="utf-8")
    # R (above): Harrell 0.640 (0.419-0.815), PI 0.224-0.917, tau2 0.246, I2 77.8%, Q p 0.005, p 0.136
    assert "| Harrell's C | 4 | 0.64 (0.42\u20130.81) | 0.64 (0.22\u20130.92) | 0.246 | 77.8 | 0.005 | 0.136 |" in pooled
    assert "| Uno's C to 24 months | 4 | 0.64 (0.43\u20130.81) |" in pooled
    per = (out / "tables" / "validate_per_centre.md").read_text(encoding="utf-8")
    assert "| F | 1 | 1 | n.e. | n.e. |" in per and "| A | 50 | 24 | 0.80 (0.71\u20130.89) |" in per
    assert not (out / "tables" / "validate_per_center.csv").exists()  # no multicentre-accuracy table here
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Validation measures pooled across centres" in html and "Accuracy in each centre" not in html
    doc = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert doc["c_index_pooled"]["harrell"]["k"] == 4


def test_plan_type_validate_pools_c(tmp_path):
    from spinestats.reports.plan_runner import run_plan

    plan = tmp_path / "plan.yaml"
    plan.write_text(
        "schema_version: 1\ntitle: Validation\ndata:\n  cc: {file: " + json.dumps(str(DATA / "concordance_centres.csv"))
        + "}\nanalyses:\n  - {type: validate, data: cc, time: time, event: status, event_codes: '" + CODES + "',\n"
        "     risk: risk, horizon: 24, group: centre}\noutput:\n  figures: {formats: [png], dpi: [72]}\n"
        "  tables: {formats: [csv]}\n", encoding="utf-8")
    run_plan(plan, tmp_path / "out")
    doc = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))["validate"]
    p = doc["c_index_pooled"]["uno"]
    assert_allclose([p["estimate"], *p["ci"]], CC_POOLED[("uno", "knha")][:3], rtol=1e-5)
    assert [e["centre"] for e in p["excluded"]] == list("EFGH")
    assert (tmp_path / "out" / "tables" / "validate_pooled.csv").is_file()

"""Reverse Kaplan-Meier follow-up with delayed entry, against R's survival 3.x.

Input: ``tests/data/km_entry.csv`` (120 subjects, 60% with delayed entry, two groups);
R code in ``tests/r/survival_reverse_km_entry.R`` and beside each value.
"""

from pathlib import Path

import numpy as np
import pandas as pd
from numpy.testing import assert_allclose

from spinestats.analysis.survival.kaplan_meier import kaplan_meier
from spinestats.analysis.survival.reverse_km import follow_up_quantiles, reverse_km
from spinestats.reports.step_plot import reverse_km_curves

D = pd.read_csv(Path(__file__).parent / "data" / "km_entry.csv")


def test_follow_up_quantiles_with_entry_match_survfit():
    # R: r <- survfit(Surv(entry, time, 1 - status) ~ 1, data = d); quantile(r, c(0.25, 0.5, 0.75))
    #    -> quantile 14.4 25.6 37; lower 9.2 19.7 34.9; upper 19.7 34.6 42.3
    km = kaplan_meier(D, time="time", event="status", entry="entry")
    q = follow_up_quantiles(km.curves[0])
    assert_allclose(q["estimate"], [14.4, 25.6, 37.0], rtol=1e-12)
    assert_allclose(q["lower"], [9.2, 19.7, 34.9], rtol=1e-12)
    assert_allclose(q["upper"], [19.7, 34.6, 42.3], rtol=1e-12)
    mfu = km.median_follow_up.iloc[0]
    assert_allclose([mfu["estimate"], mfu["lower"], mfu["upper"]], [25.6, 19.7, 34.6], rtol=1e-12)
    # R: s <- summary(r, times = c(12, 24)); s$surv -> 0.789189460506 0.513437133699; s$n.risk -> 48 36
    rates = reverse_km(km.curves[0]).rates([12, 24])
    assert_allclose(rates["survival"], [0.789189460506, 0.513437133699], rtol=1e-9)
    assert list(rates["n_at_risk"]) == [48, 36]


def test_grouped_and_pooled_follow_up_with_entry():
    # R: rg <- survfit(Surv(entry, time, 1 - status) ~ group, data = d); quantile(rg, c(0.25, 0.5, 0.75))
    #    A: 6.6 19.7 36.7 (lower 5.3 6.6 22.7; upper 20.3 36.7 48.7)
    #    B: 15.8 28.6 37.4 (lower 12 22.2 32.4; upper 25.6 35.9 NA)
    km = kaplan_meier(D, time="time", event="status", entry="entry", group="group")
    qa, qb = (follow_up_quantiles(c) for c in km.curves)
    assert_allclose(qa["estimate"], [6.6, 19.7, 36.7])
    assert_allclose(qa["lower"], [5.3, 6.6, 22.7])
    assert_allclose(qa["upper"], [20.3, 36.7, 48.7])
    assert_allclose(qb["estimate"], [15.8, 28.6, 37.4])
    assert_allclose(qb["lower"], [12.0, 22.2, 32.4])
    assert_allclose(qb["upper"][:2], [25.6, 35.9])
    assert np.isnan(qb["upper"][2])
    # the pooled ("all") row uses the counting-process risk sets: equal to the ungrouped fit
    # R: quantile(survfit(Surv(entry, time, 1 - status) ~ 1, data = d), 0.5) -> 25.6 (19.7, 34.6);
    #    ignoring entry gives 32.4 (29, 36.9), which the pooled row used to report
    allrow = km.median_follow_up.set_index("group").loc["all"]
    assert_allclose([allrow["estimate"], allrow["lower"], allrow["upper"]], [25.6, 19.7, 34.6])


def test_reverse_curves_for_the_figure_keep_delayed_entry():
    km = kaplan_meier(D, time="time", event="status", entry="entry")
    (curve,) = reverse_km_curves(km, risk_times=[12, 24])
    # R: summary(survfit(Surv(entry, time, 1 - status) ~ 1, data = d), times = c(12, 24))$n.risk -> 48 36
    assert list(curve.n_at_risk) == [48, 36]


def test_without_entry_unchanged():
    # entry 0 for everybody is the same as no entry column
    a = kaplan_meier(D, time="time", event="status", group="group").median_follow_up
    b = kaplan_meier(D.assign(e0=0.0), time="time", event="status", group="group", entry="e0").median_follow_up
    pd.testing.assert_frame_equal(a, b)
    # R: quantile(survfit(Surv(time, 1 - status) ~ 1, data = d), 0.5) -> 32.4 (29, 36.9)
    k = kaplan_meier(D, time="time", event="status")
    assert_allclose(follow_up_quantiles(k.curves[0], [0.5])[["estimate", "lower", "upper"]].to_numpy()[0],
                    [32.4, 29.0, 36.9])


def test_survival_job_and_cli_with_entry(tmp_path):
    import json

    import pytest
    from click.testing import CliRunner

    from spinestats.errors import UsageError
    from spinestats.reports import survival_job
    from spinestats.reports.cli.main import cli

    sec = survival_job.run(D, time="time", event="status", entry="entry", times=[24])
    r = sec.results
    # R: k <- survfit(Surv(entry, time, status) ~ 1, data = d); quantile(k, 0.5) -> 20.3;
    #    summary(k, times = 24)$surv -> 0.443251347904
    (med,) = r["median"].values()
    assert_allclose(med["estimate"], 20.3)
    (rate,) = r["rates"].values()
    assert_allclose(rate[0]["survival"], 0.443251347904, rtol=1e-9)
    # R: quantile(survfit(Surv(entry, time, 1 - status) ~ 1, data = d), 0.5) -> 25.6 (19.7, 34.6)
    (fu,) = r["median_follow_up"].values()
    assert_allclose([fu["estimate"], fu["lower"], fu["upper"]], [25.6, 19.7, 34.6])
    assert r["options"]["entry"] == "entry" and any("delayed entry" in m for m in sec.methods)
    g = survival_job.run(D, time="time", event="status", entry="entry", group="group")
    assert g.results["logrank"] is None and any("log-rank test is not computed" in w for w in g.warnings)
    with pytest.raises(UsageError, match="--entry"):
        survival_job.run(D.assign(x=1.0), time="time", event="status", entry="entry", covariates=["x"])
    f = tmp_path / "d.csv"
    D.to_csv(f, index=False)
    res = CliRunner().invoke(cli, ["survival", str(f), "--time", "time", "--event", "status", "--entry", "entry",
                                   "--figure-format", "png", "--dpi", "72", "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    out = json.loads((tmp_path / "o" / "results.json").read_text(encoding="utf-8"))
    out = out.get("survival", out)
    assert_allclose(list(out["median_follow_up"].values())[0]["estimate"], 25.6)


def test_reverse_kaplan_meier_result_by_group_with_entry():
    from spinestats.analysis.survival.reverse_km import ReverseKaplanMeierResult, reverse_kaplan_meier

    # R: rg <- survfit(Surv(entry, time, 1 - status) ~ group, data = d); quantile(rg, c(0.25, 0.5, 0.75))
    #    A: 6.6 19.7 36.7 (lower 5.3 6.6 22.7; upper 20.3 36.7 48.7)
    #    B: 15.8 28.6 37.4 (lower 12 22.2 32.4; upper 25.6 35.9 NA)
    r = reverse_kaplan_meier(D, time="time", event="status", entry="entry", group="group")
    assert isinstance(r, ReverseKaplanMeierResult) and r.groups == ("A", "B")
    q = r.quantiles.set_index(["group", "prob"])
    assert_allclose(q.loc["A"]["estimate"], [6.6, 19.7, 36.7], rtol=1e-12)
    assert_allclose(q.loc["A"]["lower"], [5.3, 6.6, 22.7], rtol=1e-12)
    assert_allclose(q.loc["A"]["upper"], [20.3, 36.7, 48.7], rtol=1e-12)
    assert_allclose(q.loc["B"]["estimate"], [15.8, 28.6, 37.4], rtol=1e-12)
    assert_allclose(q.loc["B"]["lower"], [12.0, 22.2, 32.4], rtol=1e-12)
    assert_allclose(q.loc["B"]["upper"].to_numpy()[:2], [25.6, 35.9], rtol=1e-12)
    assert np.isnan(q.loc["B"]["upper"].to_numpy()[2])
    # from a fitted forward result: the same numbers, no refit
    km = kaplan_meier(D, time="time", event="status", entry="entry", group="group")
    assert reverse_kaplan_meier(km) == r
    # R: summary(survfit(Surv(entry, time, 1 - status) ~ 1, data = d), times = c(12, 24))$surv
    #    -> 0.789189460506 0.513437133699, n.risk 48 36
    whole = reverse_kaplan_meier(D, time="time", event="status", entry="entry")
    rates = whole.curves[0].rates([12, 24])
    assert_allclose(rates["survival"], [0.789189460506, 0.513437133699], rtol=1e-9)
    (curve,) = reverse_km_curves(whole, risk_times=[12, 24])  # the figure draws the result it is given
    assert list(curve.n_at_risk) == [48, 36]
    assert_allclose(curve.value_at([12, 24]), [0.789189460506, 0.513437133699], rtol=1e-9)


def test_reverse_kaplan_meier_small_example_and_usage():
    import pytest

    from spinestats.analysis.survival.reverse_km import reverse_kaplan_meier
    from spinestats.errors import UsageError

    # R: d <- data.frame(t = c(2, 3, 5, 8), e = c(1, 0, 1, 0))
    #    quantile(survfit(Surv(t, 1 - e) ~ 1, data = d), c(0.25, 0.5, 0.75))
    #    -> quantile 3 8 8; lower 3 3 NA; upper NA NA NA
    r = reverse_kaplan_meier(pd.DataFrame({"t": [2.0, 3.0, 5.0, 8.0], "e": [1, 0, 1, 0]}), time="t", event="e")
    assert r.quantiles["estimate"].tolist() == [3.0, 8.0, 8.0]
    assert r.quantiles["lower"].tolist()[:2] == [3.0, 3.0] and np.isnan(r.quantiles["lower"].iloc[2])
    assert r.quantiles["upper"].isna().all()
    with pytest.raises(UsageError, match="time and event"):
        reverse_kaplan_meier(D)

"""The survival job, command, endpoints, CIRT cohorts and dose flags."""

import json
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from numpy.testing import assert_allclose

from spinestats.analysis.scores.cirt_dose import cirt_dose
from spinestats.analysis.survival.endpoints import derive_endpoints
from spinestats.analysis.survival.kaplan_meier import kaplan_meier
from spinestats.data_schemas.examples import cohort_cirt, cohort_cirt_ss
from spinestats.data_schemas.loading import load
from spinestats.errors import DataError, UsageError
from spinestats.reports import survival_job
from spinestats.reports.cli.main import cli

EXAMPLES = Path(cohort_cirt.__file__).parent
SCHEMA = json.loads((EXAMPLES.parent / "results" / "survival.schema.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def cirt():
    return load(EXAMPLES / "synthetic_cirt.csv", schema="cirt")


@pytest.fixture(scope="module")
def cirt_ss():
    return load(EXAMPLES / "synthetic_cirt_ss.csv", schema="cirt")


@pytest.fixture(scope="module")
def cirt_results(cirt):
    return survival_job.run(table=cirt).results


def test_committed_cohorts_equal_generators(cirt, cirt_ss):
    made = cohort_cirt.make()
    assert len(made) == len(cirt.data) == 47
    assert list(made["patient_id"]) == list(cirt.data["patient_id"])
    assert_allclose(made["total_dose_gye"], cirt.data["total_dose_gye"])
    assert list(cohort_cirt_ss.make()["patient_id"]) == list(cirt_ss.data["patient_id"])
    first = (EXAMPLES / "synthetic_cirt.csv").read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# SYNTHETIC DATA")
    assert not cirt.problems and not cirt_ss.problems


def test_cirt_cohort_reproduces_published_figures(cirt_results):
    h = cirt_results["headline"]
    # 5-year local control 79%, 5-year overall survival 52% (Kaplan-Meier, 47 patients)
    assert round(h["lc_5y"]["estimate"], 2) == 0.79
    assert round(h["os_5y"]["estimate"], 2) == 0.52
    assert h["lc_5y"]["lower"] < h["lc_5y"]["estimate"] < h["lc_5y"]["upper"]
    assert h["os_5y"]["lower"] < h["os_5y"]["estimate"] < h["os_5y"]["upper"]
    # "median survival time 44 months": the median observed survival time (see cohort_cirt's docstring)
    m = h["median_observed_os"]
    assert round(m["estimate"]) == 44 and m["lower"] < m["estimate"] < m["upper"]
    # the KM median cannot be 44 when S(60) = 0.52: it lies beyond 5 years
    assert h["median_os_km"]["estimate"] > 60
    # >90% at >= 64 GyE in 16 fractions
    assert cirt_results["dose"]["n"] == 47 and cirt_results["dose"]["share_at_least_64_in_16"] > 0.9
    assert cirt_results["flow"]["patients"] == 47


def test_cirt_ss_two_year_local_control_is_seven_eighths(cirt_ss):
    r = survival_job.run(table=cirt_ss, endpoint="lc").results
    lc2 = r["headline"]["lc_2y"]
    assert lc2["estimate"] == 0.875
    # log CI as survfit: exp(log(7/8) -+ 1.96 * sqrt(1/(8*7)))
    se = np.sqrt(1 / (8 * 7))
    assert_allclose(lc2["lower"], 0.875 * np.exp(-1.959963984540054 * se), rtol=1e-12)
    assert lc2["upper"] == 1.0
    assert (cirt_ss.data["cord_max_dose_gye"] < 50).all() and cirt_ss.data["separation_surgery"].all()


def test_results_follow_the_json_schema(cirt_results, cirt_ss):
    jsonschema.validate(cirt_results, SCHEMA)
    assert set(cirt_results["endpoints"]) == {"os", "lc", "dmfs", "pfs"}
    lc = cirt_results["endpoints"]["lc"]
    assert "death without recurrence censored" in lc["convention"] and "competing" in lc["convention"]
    assert set(lc["cif"]["all"]) == {"1", "2"}
    assert cirt_results["km"] == cirt_results["endpoints"]["os"]["km"]
    jsonschema.validate(survival_job.run(table=cirt_ss).results, SCHEMA)


def test_endpoints_from_dates():
    d = pd.DataFrame(
        {
            "treatment_date": pd.to_datetime(["2020-01-01", "2020-01-01", "2020-01-01"]),
            "local_recurrence": [True, False, False],
            "local_recurrence_date": pd.to_datetime(["2020-07-01", None, None]),
            "distant_metastasis": [False, True, False],
            "distant_metastasis_date": pd.to_datetime([None, "2020-04-01", None]),
            "death": [False, True, False],
            "death_date": pd.to_datetime([None, "2021-01-01", None]),
            "last_follow_up_date": pd.to_datetime(["2022-01-01", "2021-01-01", "2021-01-01"]),
        },
        index=[2, 3, 4],
    )
    e = derive_endpoints(d).table
    assert_allclose(e["os_time"], np.array([731, 366, 366]) / 30.4375)
    assert list(e["os_event"]) == [False, True, False]
    assert_allclose(e["lc_time"], np.array([182, 366, 366]) / 30.4375)
    assert list(e["lc_event"]) == [True, False, False]  # death without recurrence censored (KM convention)
    assert list(e["lc_status"]) == [1, 2, 0]  # death competing (cumulative incidence convention)
    assert_allclose(e["dmfs_time"], np.array([731, 91, 366]) / 30.4375)
    assert list(e["pfs_event"]) == [True, True, False]
    assert_allclose(e["pfs_time"], np.array([182, 91, 366]) / 30.4375)
    assert_allclose(derive_endpoints(d, unit="years").table["os_time"], np.array([731, 366, 366]) / 365.25)
    assert derive_endpoints(d, unit="days").table["os_time"].tolist() == [731, 366, 366]
    # an event after the last follow-up is refused, naming the line
    bad = d.copy()
    bad.loc[2, "local_recurrence_date"] = pd.Timestamp("2023-01-01")
    with pytest.raises(DataError, match="after last_follow_up_date on line\\(s\\) 2"):
        derive_endpoints(bad)
    bad = d.copy()
    bad.loc[3, "death_date"] = pd.NaT
    with pytest.raises(DataError, match="death is yes but death_date is empty on line\\(s\\) 3"):
        derive_endpoints(bad)
    with pytest.raises(UsageError, match="unit"):
        derive_endpoints(d, unit="weeks")


def test_dose_flags_and_equivalents():
    d = pd.DataFrame({"total_dose_gye": [64.0, 57.6, 70.4], "fractions": [16, 16, 16], "cord_max_dose_gye": [45, 50, 52]})
    r = cirt_dose(d)
    assert list(r.table["cord_over_limit"]) == [False, True, True]
    assert list(r.table["target_under_60"]) == [False, True, False]
    # BED = D (1 + d / (a/b)); EQD2 = D (d + a/b) / (2 + a/b), a/b = 3
    assert_allclose(r.table["bed"][0], 64 * (1 + 4 / 3))
    assert_allclose(r.table["eqd2"][0], 64 * 7 / 5)
    assert r.n_at_least_64_in_16 == 2
    assert list(r.table["dose_group"]) == ["64-<70 GyE", "<60 GyE", ">=70 GyE"]


def test_column_mode_with_competing_events_group_and_covariates(tmp_path):
    rng = np.random.default_rng(4)
    n = 120
    d = pd.DataFrame({"t": np.round(rng.exponential(20, n), 1) + 0.5, "s": rng.integers(0, 3, n),
                      "arm": rng.choice(["A", "B"], n), "x": rng.normal(size=n), "centre": rng.integers(0, 4, n)})
    sec = survival_job.run(d, time="t", event="s", event_codes="EVENT=1,COMPETING=2,CENSOR=0", group="arm",
                           covariates="x", cluster="centre", times=[12, 24], out_dir=tmp_path, figure_formats=["png"],
                           dpis=[72])
    r = sec.results
    jsonschema.validate(r, SCHEMA)
    assert set(r["km"]) == {"A", "B"} and r["logrank"]["df"] == 1
    assert set(r["gray"]) == {"1", "2"} and r["finegray"]["terms"] == ["x"]
    assert r["cox"]["robust_se"] is not None and r["cox"]["ph_test"][-1]["term"] == "GLOBAL"
    assert any(str(f).endswith("survival_cif_72dpi.png") for f in sec.figures)
    assert any(str(f).endswith("survival_ph_test_72dpi.png") for f in sec.figures)
    # same data and options: identical results
    again = survival_job.run(d, time="t", event="s", event_codes="EVENT=1,COMPETING=2,CENSOR=0", group="arm",
                             covariates="x", cluster="centre", times=[12, 24]).results
    assert json.dumps(again, sort_keys=True) == json.dumps(r, sort_keys=True)


def test_column_mode_bad_input():
    d = pd.DataFrame({"t": [1.0, 2, 3, 4], "s": [1, 0, 3, 1], "g": ["a", "a", "b", "b"]})
    with pytest.raises(DataError, match="undeclared event code"):
        survival_job.run(d, time="t", event="s", event_codes="EVENT=1,COMPETING=2,CENSOR=0")
    with pytest.raises(UsageError, match="NAME=CODE"):
        survival_job.run(d, time="t", event="s", event_codes="EVENT:1")
    with pytest.raises(DataError, match="negative"):
        survival_job.run(d.assign(t=[-1.0, 2, 3, 4]), time="t", event="s")
    with pytest.raises(UsageError, match="both --time and --event"):
        survival_job.run(d, time="t")
    # a group without events: median not reached (null), no crash
    r = survival_job.run(d.assign(s=[1, 0, 0, 0]), time="t", event="s", group="g").results
    assert r["median"]["b"]["estimate"] is None and r["median"]["b"]["reached"] is False
    # a constant covariate: documented result (not fitted, reason given)
    r = survival_job.run(d.assign(s=[1, 0, 1, 1], k=1.0), time="t", event="s", covariates=["k"]).results
    assert r["cox"]["fitted"] is False and "constant" in r["cox"]["reason"]


def test_cli_schema_mode_and_errors(tmp_path):
    runner = CliRunner()
    out = tmp_path / "out"
    res = runner.invoke(cli, ["survival", str(EXAMPLES / "synthetic_cirt_ss.csv"), "--schema", "cirt",
                              "--endpoint", "lc", "--out", str(out), "--figure-format", "png", "--dpi", "72"])
    assert res.exit_code == 0, res.output
    r = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert r["headline"]["lc_2y"]["estimate"] == 0.875
    assert (out / "figures" / "survival_lc_km_72dpi.png").exists() and (out / "figures" / "survival_lc_cif_72dpi.png").exists()
    assert "CIRTSS-" not in (out / "results.json").read_text(encoding="utf-8")  # no patient IDs in the output
    res = runner.invoke(cli, ["survival", str(EXAMPLES / "synthetic_cirt_ss.csv"), "--out", str(tmp_path / "x")])
    assert res.exit_code != 0 and "--time and --event" in str(res.exception or res.output)


def test_dose_groups_in_order_for_the_trend_test(cirt):
    r = survival_job.run(table=cirt, endpoint="os", group="dose_group", trend=True).results
    assert list(r["km"]) == ["<60 GyE", "60-<64 GyE", "64-<70 GyE", ">=70 GyE"]  # dose order, not text order
    assert r["logrank"]["df"] == 3 and r["logrank"]["trend"]["scores"] == [1.0, 2.0, 3.0, 4.0]
    lc = survival_job.run(table=cirt, endpoint="lc", group="cord_over_limit").results
    assert set(lc["gray"]) == {"1", "2"} and set(lc["km"]) == {"False", "True"}
    jsonschema.validate(lc, SCHEMA)

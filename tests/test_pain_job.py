"""The pain job and the ``spinestats pain`` command: numbers, flow, bad input, figures."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import pytest

from spinestats.data_schemas.examples import cohort_bkp, cohort_cafe
from spinestats.errors import DataError, UsageError
from spinestats.reports import pain_figures, pain_job
from spinestats.reports.cli.main import main
from spinestats.reports.figure_style import journal_figure
from spinestats.reports.output import dumps_results

EXAMPLES = Path(cohort_bkp.__file__).parent
SCHEMA = json.loads((EXAMPLES.parent / "results" / "pain.schema.json").read_text(encoding="utf-8"))


def run_cli(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    out = capsys.readouterr()
    return exc.value.code, out.out, out.err


@pytest.fixture(scope="module")
def bkp_section():
    return pain_job.run(cohort_bkp.make())


@pytest.fixture(scope="module")
def cafe_section():
    return pain_job.run(cohort_cafe.make(), impute=5, seed=3)


def test_demo_reproduces_the_review(bkp_section):
    r = bkp_section.results
    rows = {v["visit"]: v for v in r["visits"]}
    got = [(rows[v]["n"], round(rows[v]["mean"], 1), round(rows[v]["sd"], 1)) for v in ("baseline", "1m", "final")]
    assert got == [(17, 7.0, 2.3), (17, 2.2, 2.1), (17, 1.8, 1.9)]
    assert r["arms"] == ["BKP"] and "ancova" not in r and "imputed" not in r
    paired = {p["visit"]: p for p in r["paired"]}
    assert paired["1m"]["n"] == 17 and paired["1m"]["mean_diff"] == pytest.approx(37 / 17 - 7)
    assert paired["1m"]["ci"] == [paired["1m"]["ci_low"], paired["1m"]["ci_high"]]
    assert r["mixed_model"]["converged"] is True and r["mixed_model"]["terms"][0] == "(Intercept)"
    fix = {(e["event"]): e for e in r["adverse_events"]}
    assert fix["added_fixation"]["events"] == 1
    jsonschema.validate(r, SCHEMA)
    assert "paired tests at 12 months: only 5 patients have a score at baseline and at this visit; interpret with " \
           "caution." in r["warnings"]


def test_two_arm_results(cafe_section):
    r = cafe_section.results
    jsonschema.validate(r, SCHEMA)
    assert r["arms"] == ["control", "BKP"]
    assert r["ancova"]["arm"] == "BKP" and r["ancova"]["reference"] == "control"
    assert r["ancova"]["difference"] == pytest.approx(-2.82276562163, rel=1e-6)  # lm, see test_pain_ancova_*
    imp = r["imputed"]
    assert imp["m"] == 5 and imp["method"] == "pmm"
    assert imp["ancova"]["difference"] == pytest.approx(r["ancova"]["difference"], abs=0.3)
    assert len(imp["mixed_model"]["terms"]) == len(r["mixed_model"]["terms"])
    assert {p["arm"] for p in r["paired"]} == {"BKP", "control"}
    between = {b["visit"]: b for b in r["emmeans"]["between_arms"]}
    assert between["12m"]["estimate"] == pytest.approx(-3.49979001728, rel=1e-5)  # emmeans pairs(), see LMM tests
    diffs = r["responders"]["difference"]
    assert diffs and all(d["contrast"] == "BKP - control" for d in diffs)


def test_results_are_reproducible_and_input_untouched():
    data = cohort_cafe.make()
    before = data.copy()
    a = dumps_results(pain_job.run(data, impute=2, seed=9).results)
    b = dumps_results(pain_job.run(data, impute=2, seed=9).results)  # any workers: see test_pain_mice_rubin
    assert a == b
    pd.testing.assert_frame_equal(data, before)


def test_long_layout_gives_the_same_numbers(bkp_section):
    wide = cohort_bkp.make()
    cols = [c for c in wide if c.startswith("nrs_")]
    long = wide.melt(id_vars=["patient_id", "arm"], value_vars=cols, var_name="visit", value_name="nrs")
    long["visit"] = long["visit"].str[4:]
    long = long.dropna(subset=["nrs"])
    r = pain_job.run(long).results
    assert r["visits"] == bkp_section.results["visits"]
    assert r["paired"] == bkp_section.results["paired"]
    assert r["mixed_model"]["estimate"] == bkp_section.results["mixed_model"]["estimate"]


def test_baseline_only_patient_is_counted_in_flow(bkp_section):
    d = cohort_bkp.make()
    d = d.reindex(range(18))  # an 18th patient with a baseline score only
    d.loc[17, ["patient_id", "arm", "nrs_baseline"]] = ["BKP-18", "BKP", 9]
    r = pain_job.run(d).results
    flow = r["flow"]
    assert flow["patients"] == 18 and flow["baseline_only"] == 1
    assert flow["mixed_model"]["patients"] == 18  # kept in the mixed model
    pairs = {p["visit"]: p for p in flow["paired"]}
    assert pairs["1m"] == {"visit": "1m", "pairs": 17, "excluded_no_pair": 1}  # excluded from paired tests
    assert {p["visit"]: p["n"] for p in r["paired"]}["1m"] == 17


@pytest.mark.parametrize("value,needle", [(11, "whole number from 0 to 10"), (4.5, "whole number from 0 to 10"),
                                          ("x", "whole number from 0 to 10")])
def test_bad_nrs_in_a_dataframe_is_refused(value, needle):
    d = cohort_bkp.make().astype({"nrs_1m": object})
    d.loc[3, "nrs_1m"] = value
    with pytest.raises(DataError, match=needle) as exc:
        pain_job.run(d)
    assert "nrs_1m" in str(exc.value) and "line 3" in str(exc.value)


def test_unknown_visit_is_refused():
    d = cohort_bkp.make().rename(columns={"nrs_12m": "nrs_24m"})
    with pytest.raises(DataError, match="nrs_24m"):
        pain_job.run(d)
    long = pd.DataFrame({"patient_id": ["A", "A", "B", "B"], "visit": ["baseline", "2y", "baseline", "1m"],
                         "nrs": [7, 3, 8, 2]})
    with pytest.raises(DataError, match="'2y'"):
        pain_job.run(long)


def test_arm_with_one_patient_is_refused():
    d = cohort_cafe.make()
    d = pd.concat([d[d["arm"] == "BKP"], d[d["arm"] == "control"].head(1)])
    with pytest.raises(DataError, match="at least 2 patients"):
        pain_job.run(d)
    with pytest.raises(DataError, match="not arms of the bkp schema"):
        pain_job.run(cohort_cafe.make().replace({"arm": {"control": "sham"}}))


def test_bad_options_are_usage_errors():
    with pytest.raises(UsageError, match="--impute"):
        pain_job.run(cohort_bkp.make(), impute=1)
    with pytest.raises(UsageError, match="random-slope"):
        pain_job.run(cohort_bkp.make(), random_slope=True)  # 'final' has no time


def test_random_slope_runs_without_final_visit():
    r = pain_job.run(cohort_cafe.make(), random_slope=True).results
    assert r["mixed_model"]["random_slope"] is True
    assert r["mixed_model"]["singular"] is True and any("singular" in w for w in r["warnings"])


def test_cli_end_to_end(tmp_path, capsys):
    from click.testing import CliRunner

    from spinestats.reports.cli import pain as pain_cli

    out = tmp_path / "out"
    res = CliRunner().invoke(pain_cli.command, [  # the command itself: independent of other commands' modules
        str(EXAMPLES / "synthetic_cafe.csv"), "--impute", "3", "--seed", "4", "--mcid", "3",
        "--figure-format", "png", "--dpi", "72", "--out", str(out)], catch_exceptions=False)
    assert res.exit_code == 0 and "117 patients" in res.output
    r = json.loads((out / "results.json").read_text(encoding="utf-8"))
    jsonschema.validate(r, SCHEMA)
    assert r["responders"]["definition"]["mcid_points"] == 3.0 and r["imputed"]["m"] == 3
    assert sorted(p.name for p in (out / "figures").iterdir()) == [  # two arms: the CONSORT-style flow too
        "pain_consort_72dpi.png", "pain_responders_72dpi.png", "pain_spaghetti_72dpi.png", "pain_trajectory_72dpi.png"]
    assert (out / "tables" / "pain_paired.csv").exists() and (out / "methods.md").exists()
    assert "CAFE-0" not in (out / "results.json").read_text(encoding="utf-8")  # no patient IDs in outputs
    code, _, err = run_cli(["pain", str(EXAMPLES / "synthetic_cafe.csv"), "--out", str(out)], capsys)
    assert code == 2 and "--force" in err


def test_cli_bad_nrs_message_reaches_the_user(tmp_path, capsys):
    lines = (EXAMPLES / "synthetic_bkp.csv").read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace("BKP-02,BKP,66,female,4,", "BKP-02,BKP,66,female,11,")
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, _, err = run_cli(["pain", str(bad), "--out", str(tmp_path / "o")], capsys)
    assert code == 1
    assert "line 4" in err and "nrs_baseline" in err and "11" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def _cafe_long_summary():
    """The two-arm cohort in long form and its visit summary (what the pain figures draw)."""
    from spinestats.analysis.longitudinal.visit_summary import summarise_visits

    wide = cohort_cafe.make()
    long = wide.melt(id_vars=["patient_id", "arm"], value_vars=[c for c in wide if c.startswith("nrs_")],
                     var_name="visit", value_name="nrs")
    long["visit"] = long["visit"].str[4:]
    visits = ["baseline", "1w", "1m", "3m", "6m", "12m"]
    return wide, long, visits, summarise_visits(long, value="nrs", visit="visit", subject="patient_id", visits=visits,
                                                arm="arm")


def test_figures_show_the_result_numbers(bkp_section, cafe_section):
    wide, long, visits, s = _cafe_long_summary()
    _, ax = journal_figure()
    pain_figures.trajectory(s, visits=visits, ax=ax)
    lines = [ln for ln in ax.get_lines() if ln.get_linestyle() not in ("None", "")]
    assert len(lines) == 2 and lines[0].get_linestyle() != lines[1].get_linestyle()
    x0, y0 = lines[0].get_data()
    x1, _ = lines[1].get_data()
    t = s.to_frame()
    np.testing.assert_allclose(y0, t.loc[t["arm"] == "BKP", "mean"])
    assert np.all(np.asarray(x1) - np.asarray(x0) == pytest.approx(pain_figures.OFFSET))
    # real time: sqrt(months) of each visit (1 week = 0.25 months), arms offset around it
    np.testing.assert_allclose((np.asarray(x0) + np.asarray(x1)) / 2, np.sqrt([0, 0.25, 1, 3, 6, 12]))
    axes = pain_figures.spaghetti(long, value="nrs", visit="visit", subject="patient_id", visits=visits, arm="arm",
                                  summary=s)
    assert [a.get_title(loc="left") for a in axes] == ["Balloon kyphoplasty (n = 65)", "Control (n = 52)"]  # a panel per arm
    patient_lines = [ln for a in axes for ln in a.get_lines() if ln.get_label() != "Mean" and ln.get_linestyle() == "-"]
    assert len(patient_lines) == 117
    mean_bkp = [ln for ln in axes[0].get_lines() if ln.get_label() == "Mean"][0]
    np.testing.assert_allclose(mean_bkp.get_ydata(), t.loc[t["arm"] == "BKP", "mean"])
    from spinestats.analysis.longitudinal.responders import responders

    resp = responders(wide, visit_columns={v: f"nrs_{v}" for v in visits[1:]}, baseline="nrs_baseline", arm="arm",
                      arms=("control", "BKP"))
    _, ax = journal_figure()
    pain_figures.responder_bars(resp, ax=ax)
    heights = [p.get_height() for p in ax.patches]
    by_arm = resp.table.set_index("arm")["proportion"]
    np.testing.assert_allclose(heights, 100 * np.concatenate([by_arm["BKP"], by_arm["control"]]))  # legend order
    from matplotlib.colors import to_hex

    bkp_bar = ax.patches[0]  # bars: BKP visits, then control visits (the same order in every figure)
    assert to_hex(bkp_bar.get_facecolor()) == to_hex(lines[0].get_color())  # one colour per arm in every figure


def test_imputed_ancova_is_rubin_over_the_completed_sets(cafe_section):
    """results["imputed"]["ancova"] = Rubin's rules over the ANCOVA of each completed data set."""
    from spinestats.analysis.longitudinal.ancova import ancova
    from spinestats.analysis.longitudinal.mice import impute
    from spinestats.analysis.longitudinal.rubin import pool

    wide = cohort_cafe.make()
    wide["_arm_bkp"] = (wide["arm"] == "BKP").astype(float)
    cols = [f"nrs_{v}" for v in ("baseline", "1w", "1m", "3m", "6m", "12m")]
    imp = impute(wide, columns=cols, predictors=["_arm_bkp"], m=5, seed=3)
    fits = [ancova(imp.complete(wide, i), outcome="nrs_1m", baseline="nrs_baseline", arm="arm",
                   arms=("control", "BKP")) for i in range(5)]
    p = pool([f.difference for f in fits], [f.se**2 for f in fits], dfcom=fits[0].df)
    got = cafe_section.results["imputed"]["ancova"]
    assert got["difference"] == pytest.approx(p.estimate[0], rel=1e-12)
    assert got["se"] == pytest.approx(p.se[0], rel=1e-12)
    assert got["df"] == pytest.approx(p.df[0], rel=1e-12)
    assert all(f.n == 117 for f in fits)  # every patient counts after imputation
    rd = cafe_section.results["imputed"]["responder_differences"]
    assert [r["visit"] for r in rd] == ["1w", "1m", "3m", "6m", "12m"]


def test_imputation_leaves_out_a_visit_seen_once():
    d = cohort_bkp.make()
    seen = d["nrs_12m"].first_valid_index()
    d.loc[d.index != seen, "nrs_12m"] = pd.NA  # 12m: one patient seen
    r = pain_job.run(d, impute=2, seed=1).results
    assert r["imputed"]["visits_not_imputed"] == ["12m"]
    assert "multiple imputation: 12 months has fewer than 2 observed scores and was left out of the imputed " \
           "analyses." in r["warnings"]
    assert any("m = 2" in w for w in r["warnings"])
    assert "12m" not in {p["visit"] for p in r["imputed"]["paired"]}
    assert "visit12m" in r["mixed_model"]["terms"]  # the complete-case model still uses it


def test_loader_exclusions_are_counted_in_flow(tmp_path):
    from spinestats.data_schemas.loading import load

    lines = (EXAMPLES / "synthetic_bkp.csv").read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace("BKP-02,BKP,66,female,4,", "BKP-02,BKP,66,female,14,")
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    table = load(bad, schema="bkp", exclude_invalid=True)
    r = pain_job.run(table.data, table=table).results
    assert r["flow"]["excluded_by_loader"] == 1 and r["flow"]["patients"] == 16


def test_consort_flow_of_the_two_arm_trial(cafe_section):
    """The CONSORT-style diagram carries the patients per arm and per visit of the visit summary."""
    from spinestats.reports.flow_diagram import consort_figure

    _, long, visits, s = _cafe_long_summary()
    fig, ax = pain_figures.consort(s, long, visits=visits, arm="arm", subject="patient_id", figure=consort_figure)
    drawn = ax._spinestats_flow
    assert drawn["allocated"] == {"Balloon kyphoplasty": 65, "Control": 52}
    t = s.to_frame()
    assert drawn["visits"]["Control"]["12 months"] == int(t[(t["arm"] == "control") & (t["visit"] == "12m")]["n"].iloc[0])
    assert drawn["visits"]["Balloon kyphoplasty"]["Baseline"] == 65
    import matplotlib.pyplot as plt

    plt.close(fig)

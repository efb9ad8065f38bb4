"""The bundled synthetic fracture cohort: published aggregates, R references, bad dates.

R code: ``tests/r/fracture_cohort.R`` (cmprsk 2.2, R 4.2) on the prepared cohort.
"""

from pathlib import Path

import pandas as pd
import pytest
from numpy.testing import assert_allclose

from spinestats.analysis.competing_risks.crude_incidence import crude_incidence
from spinestats.analysis.competing_risks.cuminc import cumulative_incidence
from spinestats.analysis.competing_risks.finegray import fine_gray, finegray_predict
from spinestats.analysis.competing_risks.gray_test import gray_test
from spinestats.data_schemas.examples import cohort_fracture
from spinestats.data_schemas.examples.generate import csv_text
from spinestats.data_schemas.fracture_events import fracture_events
from spinestats.data_schemas.loading import load
from spinestats.errors import DataError
from spinestats.reports.fracture_job import prepare

CSV = Path(cohort_fracture.__file__).with_name("synthetic_fracture.csv")


@pytest.fixture(scope="module")
def cohort():
    return prepare(load(CSV, schema="fracture").data)


def test_committed_file_is_the_generator_output():
    assert CSV.read_text(encoding="utf-8") == csv_text(cohort_fracture.make())
    assert CSV.read_text(encoding="utf-8").startswith("# SYNTHETIC DATA: reconstructed from published aggregates")


def test_published_counts(cohort):
    c = crude_incidence(cohort, time="time_months", event="event", group="modality")
    got = {g.group: (g.n, g.events) for g in c.groups}
    assert got == {"CIRT": (30, 7), "SBRT": (36, 5), "conventional": (60, 3)}
    by = {g.group: g for g in c.groups}
    assert round(by["CIRT"].proportion * 100) == 23           # "23%"
    assert round(by["SBRT"].proportion * 100, 1) == 13.9      # "13.9%"
    assert 0.03 <= by["conventional"].proportion <= 0.05      # "3-5%"
    # median time to fracture among the CIRT fractures: "about 7 months"
    # R: median(d$time_months[d$event==1 & d$modality=="CIRT"]) = 6.99794661191
    assert_allclose(by["CIRT"].median_time, 6.99794661191, rtol=1e-9)
    assert round(by["CIRT"].median_time, 1) == 7.0


def test_crude_exact_ci_matches_binom_test(cohort):
    c = crude_incidence(cohort, time="time_months", event="event", group="modality")
    # binom.test(7, 30)$conf.int etc.
    ref = {"CIRT": (0.099337864958, 0.422836522978), "SBRT": (0.0466776606031, 0.294974948111),
           "conventional": (0.0104323296443, 0.139243246721)}
    for g in c.groups:
        assert_allclose(g.ci, ref[g.group], rtol=1e-9)
    assert_allclose(c.overall.ci, (0.0681845480075, 0.188740495228), rtol=1e-9)  # binom.test(15, 126)


def test_deaths_compete_and_sins_is_associated(cohort):
    counts = cohort["event"].value_counts()
    assert counts[2] > counts[1]  # many die before any fracture
    assert cohort.loc[cohort.event == 1, "sins_total"].mean() > cohort.loc[cohort.event != 1, "sins_total"].mean() + 1


def test_cif_and_gray_match_cuminc(cohort):
    ci = cumulative_incidence(cohort, time="time_months", event="event", group="modality", times=[6, 12, 24])
    tab = ci.table[ci.table["cause"] == 1].set_index(["group", "time"])["estimate"]
    # timepoints(cuminc(time, event, modality), c(6,12,24))$est, cause 1 rows
    ref = {("CIRT", 6): 0.1, ("SBRT", 6): 0.111111111111, ("conventional", 6): 0.0333333333333,
           ("CIRT", 12): 0.166666666667, ("SBRT", 12): 0.138888888889, ("conventional", 12): 0.05,
           ("CIRT", 24): 0.233333333333, ("SBRT", 24): 0.138888888889, ("conventional", 24): 0.05}
    for k, v in ref.items():
        assert_allclose(tab[k], v, rtol=1e-9)
    g = gray_test(cohort, time="time_months", event="event", group="modality").for_cause(1)
    # cuminc(...)$Tests[1, ]: 6.22866859707 0.0444080598202 2
    assert_allclose([g["statistic"], g["p"]], [6.22866859707, 0.0444080598202], rtol=1e-6)


def test_fine_gray_on_cohort_matches_crr(cohort):
    d = cohort.assign(modality=pd.Categorical(cohort["modality"], ["CIRT", "SBRT", "conventional"]))
    fit = fine_gray(d, time="time_months", event="event", covariates=["sins_total", "modality"])
    # crr(time, event, model.matrix(~ sins_total + modality)[, -1])$coef and sqrt(diag($var))
    assert_allclose(fit.coef, [0.500347476588, -1.18441924927, -2.31484877531], rtol=1e-5)
    assert_allclose(fit.se, [0.129916987648, 0.636823569988, 0.77202546325], rtol=1e-5)
    # predict(m, X[1:3, ]) at the last failure time <= 12
    assert_allclose(finegray_predict(fit, d.iloc[:3], 12.0), [0.581238039917, 0.410082622672, 0.0423252105051], rtol=1e-5)
    u = fine_gray(d, time="time_months", event="event", covariates=["sins_total"])
    assert_allclose([u.coef[0], u.se[0]], [0.3430409622, 0.0930512678198], rtol=1e-5)


def test_fracture_before_irradiation_refused_by_loader(tmp_path):
    d = cohort_fracture.make().head(5).copy()
    d.loc[0, ["vcf", "vcf_date"]] = [True, "2010-01-01"]
    f = tmp_path / "bad.csv"
    f.write_text(csv_text(d), encoding="utf-8")
    with pytest.raises(DataError, match=r"line 3, column 'vcf_date'.*vcf_date on or after irradiation_date"):
        load(f, schema="fracture")


def test_fracture_before_irradiation_refused_for_a_dataframe():
    d = load(CSV, schema="fracture").data.head(4).copy()
    d.loc[d.index[0], ["vcf", "vcf_date"]] = [True, pd.Timestamp("2000-01-01")]
    with pytest.raises(DataError, match="before irradiation_date"):
        fracture_events(d)


def test_event_needs_date_for_a_dataframe():
    d = load(CSV, schema="fracture").data.head(4).copy()
    d.loc[d.index[1], ["death", "death_date"]] = [True, pd.NaT]
    with pytest.raises(DataError, match="death is yes but death_date is empty"):
        fracture_events(d)

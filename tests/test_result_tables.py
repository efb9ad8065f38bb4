"""Survival table (tbl_survfit-like) and regression table (tbl_regression-like): every cell against R.

R 4.x, survival 3.5 and cmprsk 2.2; the R code that produced each value is written beside it.  The data:

    time   <- c(31,93,3,7,22,31,96,16,100,28,1,7,19,11,22,9,42,57,30,11,10,61,64,71,5,114,29,57,8,11,31,18,22,6,7,131)
    status <- c(2,0,1,2,1,0,1,1,0,1,1,1,1,0,2,2,1,2,0,1,2,1,1,1,1,1,1,1,1,2,2,1,2,0,1,2)   # 1 event, 2 competing
    g      <- (modality, below)
    age    <- (below)
    d <- data.frame(time, status, g, age); d$ev <- as.integer(d$status == 1)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from spinestats.data_schemas.labels import Labels
from spinestats.reports import survival_job
from spinestats.reports.tables import TableStyle, table_style

TIME = [31, 93, 3, 7, 22, 31, 96, 16, 100, 28, 1, 7, 19, 11, 22, 9, 42, 57, 30, 11, 10, 61, 64, 71, 5, 114, 29, 57, 8,
        11, 31, 18, 22, 6, 7, 131]
STATUS = [2, 0, 1, 2, 1, 0, 1, 1, 0, 1, 1, 1, 1, 0, 2, 2, 1, 2, 0, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 1, 2, 0, 1, 2]
G = ["conventional", "conventional", "conventional", "CIRT", "SBRT", "conventional", "conventional", "conventional",
     "CIRT", "conventional", "CIRT", "SBRT", "conventional", "conventional", "conventional", "CIRT", "conventional",
     "CIRT", "conventional", "conventional", "conventional", "CIRT", "SBRT", "CIRT", "CIRT", "SBRT", "SBRT",
     "conventional", "conventional", "conventional", "CIRT", "SBRT", "conventional", "CIRT", "SBRT", "conventional"]
AGE = [82, 66, 69, 79, 63, 73, 76, 46, 37, 50, 49, 78, 80, 35, 59, 76, 41, 74, 40, 58, 75, 50, 52, 48, 70, 47, 84, 57,
       58, 60, 64, 62, 60, 84, 75, 74]
D = pd.DataFrame({"time": TIME, "status": STATUS, "modality": G, "age": [float(a) for a in AGE]})
EV = D.assign(status=(D["status"] == 1).astype(int))  # R: d$ev


def _tables(tmp_path, data=D, **kw):
    with table_style(TableStyle()) as written:
        sec = survival_job.run(data, out_dir=tmp_path, time="time", event="status", figure_formats=["svg"], dpis=[72],
                               times=[12, 24], labels=Labels(["fracture"]), **kw)
    return sec, {r.path.stem: r.table for r in written}


def test_survival_table_every_cell_matches_survfit_and_survdiff(tmp_path):
    sec, t = _tables(tmp_path, event_codes="EVENT=1,CENSOR=0,COMPETING=2", group="modality")
    assert "tables/survival_survival.csv" in [p.as_posix() for p in sec.tables]
    f = t["survival_survival"].data
    assert f["characteristic"].tolist() == ["Overall", "Modality", "CIRT", "SBRT", "Conventional RT"]  # schema order
    rows = f.drop(index=1).reset_index(drop=True)
    # R: summary(survfit(Surv(time, ev) ~ 1, d))$table[c("records","events")]; summary(survfit(... ~ g))$table
    assert rows["n"].tolist() == [36, 10, 7, 19]
    assert rows["events"].tolist() == [20, 4, 7, 9]
    # R: ...$table[, c("median","0.95LCL","0.95UCL")]  (overall 57, 28, NA; CIRT 71, 61, NA; SBRT 22, 7, NA;
    #    conventional 57, 28, NA)
    assert_allclose(rows["median"], [57, 71, 22, 57])
    assert_allclose(rows["median_lower"], [28, 61, 7, 28])
    assert rows["median_upper"].isna().all()
    # R: s <- summary(survfit(Surv(time, ev) ~ 1, d), times = c(12, 24)); sprintf("%.15g", c(s$surv, s$lower, s$upper))
    # R: the same by g (strata CIRT, conventional, SBRT)
    surv12 = [0.797828249336870, 0.8, 0.714285714285714, 0.838815789473684]
    low12 = [0.674205613160416, 0.586817701233814, 0.447090947927774, 0.687121612574253]
    up12 = [0.944118386164315, 1, 1, 1]
    surv24 = [0.659075510321762, 0.8, 0.428571428571429, 0.709767206477733]
    low24 = [0.512260345518516, 0.586817701233814, 0.182191623088315, 0.522763122683230]
    up24 = [0.847968288207447, 1, 1, 0.963666841695843]
    for col, ref in (("at_0", surv12), ("at_0_lower", low12), ("at_0_upper", up12), ("at_1", surv24),
                     ("at_1_lower", low24), ("at_1_upper", up24)):
        assert_allclose(rows[col], 100 * np.array(ref), rtol=1e-9, err_msg=col)  # shown as %
    # R: sd <- survdiff(Surv(time, ev) ~ g, d); pchisq(sd$chisq, 2, lower.tail = FALSE)  -> 0.366789553369944
    assert_allclose(f.loc[1, "p"], 0.366789553369944, rtol=1e-9)
    shown = t["survival_survival"].format()
    assert shown.iloc[0].tolist() == ["Overall", "36", "20", "57.0 (28.0\u2013NR)", "79.8 (67.4\u201394.4)",
                                      "65.9 (51.2\u201384.8)", ""]
    assert shown.iloc[1, -1] == "0.367" and shown.columns[3] == "Median, months (95% CI)"


def test_cumulative_incidence_table_matches_cmprsk(tmp_path):
    _, t = _tables(tmp_path, event_codes="EVENT=1,CENSOR=0,COMPETING=2", group="modality")
    f = t["survival_cuminc"].data
    rows = f.drop(index=1).reset_index(drop=True)
    # R: table(d$g, d$status): CIRT 2/4/4, conventional 4/9/6, SBRT 0/7/0
    assert rows["events"].tolist() == [20, 4, 7, 9] and rows["competing"].tolist() == [10, 4, 0, 6]
    # R: tp <- timepoints(cuminc(d$time, d$status, d$g, cencode = 0), c(12, 24)); tp$est["CIRT 1", ] ...
    #    (overall: timepoints(cuminc(d$time, d$status, cencode = 0), c(12, 24))$est["1 1", ])
    assert_allclose(rows["at_0"], 100 * np.array([0.197916666666667, 0.2, 0.285714285714286, 0.157894736842105]), rtol=1e-9)
    assert_allclose(rows["at_1"], 100 * np.array([0.317481884057971, 0.2, 0.571428571428571, 0.271255060728745]), rtol=1e-9)
    # R: z <- qnorm(0.975); e^exp(-z*sqrt(v)/(e*log(e))) and e^exp(z*sqrt(v)/(e*log(e))) with v = tp$var[...]
    assert_allclose(rows["at_0_lower"], 100 * np.array([0.0857322699382, 0.0263884705818, 0.0320901909145, 0.0370757151129]), rtol=1e-9)
    assert_allclose(rows["at_1_upper"], 100 * np.array([0.475705849462, 0.490352486767, 0.856913573305, 0.486959658827]), rtol=1e-9)
    # R: cuminc(...)$Tests["1", "pv"]  -> 0.0616187466876764 (Gray's test, cause 1)
    assert_allclose(f.loc[1, "p"], 0.0616187466876764, rtol=1e-6)
    assert "Gray's test" in " ".join(t["survival_cuminc"].footnotes)


def test_regression_table_three_level_factor_reference_rows_and_labels(tmp_path):
    sec, t = _tables(tmp_path, EV, event_codes="EVENT=1,CENSOR=0", covariates=["modality", "age"])
    tab = t["survival_cox"]
    shown = tab.format()
    # default reference: the schema's declared one (CIRT), then schema order, never alphabetical
    assert shown["Characteristic"].tolist() == ["Modality", "\u2003CIRT", "\u2003SBRT", "\u2003Conventional RT", "Age (years)"]
    assert shown["Univariable: HR (95% CI)"].iloc[1] == "\u2014" and shown["Multivariable: HR (95% CI)"].iloc[1] == "\u2014"
    assert "Multivariable: p" in shown.columns and "Univariable: N" in shown.columns
    assert any("Efron ties" in n and "model-based SEs" in n for n in tab.footnotes)
    assert not any(x in " ".join(shown.to_numpy().ravel()) for x in ("modalitySBRT", "modalityconventional"))

    lab = Labels(["fracture"], reference={"modality": "conventional"})
    with table_style(TableStyle()) as written:
        survival_job.run(EV, out_dir=tmp_path / "conv", time="time", event="status", event_codes="EVENT=1,CENSOR=0",
                         covariates=["modality", "age"], figure_formats=["svg"], dpis=[72], labels=lab)
    f = {r.path.stem: r.table for r in written}["survival_cox"].data
    assert f["characteristic"].tolist() == ["Modality", "Conventional RT", "CIRT", "SBRT", "Age (years)"]
    # R: d$g <- factor(g, levels = c("conventional", "CIRT", "SBRT"))
    #    summary(coxph(Surv(time, ev) ~ g + age, d))$conf.int[, c(1, 3, 4)]; $coefficients[, 5]
    assert_allclose(f["m1_estimate"].iloc[[2, 3, 4]], [0.93853790740004, 1.94220649291564, 1.00603592539968], rtol=1e-5)
    assert_allclose(f["m1_lower"].iloc[[2, 3, 4]], [0.271939663850998, 0.699222747340169, 0.973101477363939], rtol=1e-5)
    assert_allclose(f["m1_p"].iloc[[2, 3, 4]], [0.920055802100578, 0.202822840240022, 0.723071962615769], rtol=1e-5)
    # R: summary(coxph(Surv(time, ev) ~ g, d))$conf.int; summary(coxph(Surv(time, ev) ~ age, d))$conf.int
    assert_allclose(f["m0_estimate"].iloc[[2, 3, 4]], [0.881136785836972, 1.864465073818827, 1.003872470139695], rtol=1e-5)
    assert_allclose(f["m0_p"].iloc[[2, 3, 4]], [0.834862882789160, 0.221356031600119, 0.807348485483365], rtol=1e-5)
    assert f["m0_n"].iloc[0] == 36 and f["m0_events"].iloc[0] == 20


def test_reference_absent_from_data_is_refused(tmp_path):
    from spinestats.errors import DataError

    lab = Labels(["fracture"], reference={"modality": "conventional"})
    with pytest.raises(DataError, match="levels present: CIRT, SBRT"):
        survival_job.run(EV[EV["modality"] != "conventional"], time="time", event="status", covariates=["modality"],
                         labels=lab)

"""Parse input once (issue 15): estimators take a checked EventData as well as a DataFrame.

A job builds the time-to-event arrays of a table once and hands them to every
validation measure; an estimator given an EventData built with the same
columns and options uses it as it is.  The spy counts the real parses
(``surv_input._parse``) per table and set of columns.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import pytest

import spinestats as ss
from spinestats.analysis.core import surv_input
from spinestats.analysis.core.surv_input import EventData, event_data
from spinestats.analysis.prediction.brier import brier_score
from spinestats.analysis.prediction.calibration import calibration
from spinestats.analysis.prediction.concordance import concordance
from spinestats.analysis.prediction.decision_curve import decision_curve
from spinestats.analysis.prediction.time_auc import time_auc
from spinestats.analysis.survival.kaplan_meier import kaplan_meier
from spinestats.analysis.survival.cox import cox_ph
from spinestats.analysis.competing_risks.cuminc import cumulative_incidence


@pytest.fixture
def spy(monkeypatch):
    calls: Counter = Counter()
    real = surv_input._parse
    parsed = []  # every table parsed is kept until the test ends, so that no two share an id()

    def counting(data, **kw):
        parsed.append(data)
        calls[(id(data), kw["spec"])] += 1
        return real(data, **kw)

    monkeypatch.setattr(surv_input, "_parse", counting)
    return calls


@pytest.fixture(scope="module")
def frame():
    d = ss.example("fracture")
    return d.assign(risk=d["age"] / 100.0)  # a predicted probability in (0, 1)


def test_measures_given_event_data_parse_once_and_agree(frame, spy):
    k = dict(time="time", event="event", risk="risk")
    ed = event_data(frame, time="time", event="event", extra=("risk",))
    results = [concordance(ed, **k), concordance(ed, **k, weighting="uno", tau=24.0),
               time_auc(ed, **k, horizon=24.0), brier_score(ed, **k, horizon=24.0),
               calibration(ed, **k, horizon=24.0), decision_curve(ed, **k, horizon=24.0)]
    of_frame = lambda: sum(n for (src, _), n in spy.items() if src == id(frame))  # noqa: E731
    assert of_frame() == 1  # (helpers parse their own small tables, e.g. the censoring distribution)
    # the same numbers as from the DataFrame (which parses each time)
    again = [concordance(frame, **k), concordance(frame, **k, weighting="uno", tau=24.0),
             time_auc(frame, **k, horizon=24.0), brier_score(frame, **k, horizon=24.0),
             calibration(frame, **k, horizon=24.0), decision_curve(frame, **k, horizon=24.0)]
    assert results == again
    assert of_frame() == 1 + 6


def test_survival_estimators_accept_event_data(frame, spy):
    ed = event_data(frame, time="time", event="death", group="modality")
    assert kaplan_meier(ed, time="time", event="death", group="modality") == kaplan_meier(
        frame, time="time", event="death", group="modality")
    assert spy[(id(frame), ed.spec)] == 2  # the EventData once, the DataFrame call once; the KM of ed none
    # another set of columns: the source table is checked for them (the result never depends on the input kind)
    assert cox_ph(ed, time="time", event="death", covariates=["age"]) == cox_ph(
        frame, time="time", event="death", covariates=["age"])
    ec = event_data(frame, time="time", event="event", causes=(1, 2))
    assert cumulative_incidence(ec, time="time", event="event", causes=(1, 2)) == cumulative_incidence(
        frame, time="time", event="event", causes=(1, 2))
    assert len(ed) == len(frame) and list(ed.columns) == list(frame.columns)


def test_fracture_job_parses_its_validation_table_once(spy):
    from spinestats.data_schemas.examples import cohort_fracture
    from spinestats.reports import fracture_job

    fracture_job.run(data=cohort_fracture.make(), bootstrap=0)
    risk = [(key, n) for key, n in spy.items() if fracture_job.RISK in key[1][-1]]
    assert risk and all(n == 1 for _, n in risk), risk  # was 6: two concordances, AUC, Brier, calibration, DCA
    assert len(risk) == 1


def test_event_data_without_source_is_refused():
    ed = event_data(pd.DataFrame({"t": [1.0, 2.0], "e": [1, 0]}), time="t", event="e")
    bare = EventData(ed.time, ed.status, ed.group, ed.entry, ed.index, ed.excluded, ed.warnings, ed.censor)
    from spinestats.errors import UsageError

    with pytest.raises(UsageError, match="no source table"):
        event_data(bare, time="t", event="e", group="g")
    assert np.array_equal(event_data(ed, time="t", event="e").time, [1.0, 2.0])


def test_fracture_bootstrap_measures_parse_no_table(spy):
    from spinestats.data_schemas.examples import cohort_fracture
    from spinestats.reports import fracture_job

    fracture_job.run(data=cohort_fracture.make(), bootstrap=3, seed=5)
    risk = [n for key, n in spy.items() if fracture_job.RISK in key[1][-1]]
    # the apparent measures parse the validation table once; the 3 x 2 x 6 bootstrap measures work on arrays
    # (analysis/prediction/horizon_measure.py) and parse no table
    assert risk == [1]


def test_survival_job_parses_each_column_set_once(spy, tmp_path):
    """Column mode with groups, covariates, clusters and competing events: every (table, columns) parsed once;
    Kaplan-Meier, the cumulative incidence and Gray's test share one parse (was: each estimator its own,
    the PH test two more, the tables' overall fits again)."""
    from spinestats.reports import survival_job

    rng = np.random.default_rng(4)
    n = 120
    d = pd.DataFrame({"t": np.round(rng.exponential(20, n), 1) + 0.5, "s": rng.integers(0, 3, n),
                      "arm": rng.choice(["A", "B"], n), "x": rng.normal(size=n), "centre": rng.integers(0, 4, n)})
    survival_job.run(d, time="t", event="s", event_codes="EVENT=1,COMPETING=2,CENSOR=0", group="arm",
                     covariates=["x"], cluster="centre", times=[12, 24], out_dir=tmp_path, figure_formats=["png"],
                     dpis=[40])
    assert spy and all(n == 1 for n in spy.values()), spy
    specs = {spec for _, spec in spy}
    assert specs == {
        ("t", "s", "arm", None, 0, (1, 2), ()),  # the flow's count, KM by group, CIF by group, Gray's test
        ("t", "s", "arm", None, 0, None, ()),  # the log-rank test (it takes no declared codes)
        ("t", "s", None, None, 0, (1, 2), ()),  # the overall KM and CIF of the tables
        ("t", "s", None, None, 0, None, ("x", "centre")),  # Cox with its cluster (multivariable and univariable)
        ("t", "s", None, None, 0, None, ("x",)),  # the PH test refits without the cluster
        ("t", "s", None, None, 0, (1, 2), ("x",)),  # Fine-Gray (multivariable and univariable)
    }


def test_survival_job_schema_mode_parses_each_endpoint_once(spy):
    from spinestats.data_schemas.examples import cohort_cirt
    from spinestats.reports import survival_job

    survival_job.run(cohort_cirt.make(), group="dose_group")
    assert spy and all(n == 1 for n in spy.values()), spy
    specs = {spec for _, spec in spy}
    # per endpoint: grouped KM/log-rank (and CIF/Gray for lc) in one parse, the overall KM in another;
    # the headline's local control uses the yes/no column (lc_event), a set of its own
    assert len(specs) == 4 * 2 + 1, sorted(specs, key=str)

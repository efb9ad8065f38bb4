"""Events per variable (analysis/design/events_per_variable.py) on tests/data/fracture_cohort.csv.

R: ``X <- model.matrix(~ sins_total + modality, d)[, -1]; m <- cmprsk::crr(d$time_months, d$event, X);
sum(d$event == 1) / length(m$coef)`` -> 15 events, 3 coefficients, EPV 5.
"""

import math
from pathlib import Path

import pandas as pd
import pytest

from spinestats.analysis.competing_risks.finegray import fine_gray
from spinestats.analysis.design.events_per_variable import EPV_MIN, events_per_variable
from spinestats.errors import UsageError


def test_epv_of_the_fine_gray_model_matches_r():
    d = pd.read_csv(Path(__file__).resolve().parent / "data" / "fracture_cohort.csv")
    fit = fine_gray(d, time="time_months", event="event", covariates=["sins_total", "modality"])
    r = events_per_variable(int(fit.n_event), len(fit.terms))
    assert (r.events, r.parameters, r.epv, r.adequate) == (15, 3, 5.0, False)
    assert r.to_dict() == {"events": 15, "parameters": 3, "epv": 5.0, "adequate": False}


def test_threshold_and_degenerate_counts():
    assert events_per_variable(EPV_MIN * 2, 2).adequate and not events_per_variable(19, 2).adequate
    none = events_per_variable(4, 0)  # no parameters: undefined, not adequate, never a ZeroDivisionError
    assert math.isnan(none.epv) and none.adequate is False and none.to_dict()["epv"] is None
    with pytest.raises(UsageError, match=">= 0"):
        events_per_variable(-1, 2)

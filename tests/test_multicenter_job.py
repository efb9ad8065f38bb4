"""The multicentre job: reproducible, leaves its input alone, refuses what it cannot analyse."""

import pytest

from spinestats.data_schemas.examples import cohort_multicenter as cm
from spinestats.errors import DataError, UsageError
from spinestats.reports.multicenter_job import run
from spinestats.reports.output import dumps_results


def test_same_data_same_results_and_input_untouched():
    d = cm.make()
    before = d.copy()
    a = run(d, figure_formats=["none"])
    b = run(d, figure_formats=["none"])
    assert dumps_results(a.results) == dumps_results(b.results)
    assert d.equals(before)


def test_positive_label_must_exist():
    with pytest.raises(UsageError, match="--positive 'Malignant': not a value"):
        run(cm.make(), positive="Malignant", figure_formats=["none"])


def test_centre_without_reference_positives_is_refused():
    d = cm.make()
    d = d[~((d["centre"] == cm.centre_label("F")) & (d["reference"] == "malignant"))]
    with pytest.raises(DataError, match="no reference-positive patients"):
        run(d, figure_formats=["none"], federated=False)


def test_single_centre_is_refused():
    d = cm.make()
    with pytest.raises(DataError, match="at least 2 centres"):
        run(d[d["centre"] == cm.centre_label("A")], figure_formats=["none"], federated=False)


def test_missing_values_are_excluded_and_counted():
    d = cm.make().astype({"dss": "float"})
    d.loc[d.index[:3], "dss"] = float("nan")
    res = run(d, figure_formats=["none"], federated=False).results
    assert res["flow"]["overall"]["n_excluded"] == 3
    assert res["flow"]["overall"]["n_analysed"] == 477
    assert {e["reason"] for e in res["flow"]["overall"]["exclusions"]} == {"missing dss"}

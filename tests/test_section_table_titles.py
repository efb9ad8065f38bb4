"""A plan that runs the same analysis twice never prints two tables with one title (issue 12): a section titled
by the plan (not the job's default) names itself in its tables' titles ("Overall survival: CIRT after separation
surgery"); the default section keeps the plain titles."""

from pathlib import Path

import pytest

from spinestats.data_schemas.examples import cohort_bkp, cohort_cirt
from spinestats.data_schemas.loading import load
from spinestats.reports import pain_job, survival_job
from spinestats.reports.result_tables import section_qualifier, titled
from spinestats.reports.tables import table_style

CIRT = Path(cohort_cirt.__file__).parent / "synthetic_cirt_ss.csv"


def test_qualifier_and_title_rules():
    assert section_qualifier(None, "Survival and local control") is None
    assert section_qualifier("Survival and local control", "Survival and local control") is None
    assert section_qualifier("CIRT after separation surgery", "Survival") == "CIRT after separation surgery"
    assert section_qualifier("Pain: CAFE-like two-arm trial", "Pain") == "CAFE-like two-arm trial"
    assert section_qualifier("Table 1. Trial: arms", "x") == "Table 1. Trial: arms"  # a long lead is kept
    assert titled("Overall survival", "CIRT after separation surgery") == "Overall survival: CIRT after separation surgery"
    assert titled("Difference in pain between arms: B \u2212 A", "CAFE") == ("Difference in pain between arms: "
                                                                            "B \u2212 A \u2013 CAFE")
    assert titled("Overall survival", None) == "Overall survival"


def _survival_titles(tmp_path, title):
    table = load(CIRT, schema="cirt")
    with table_style() as records:
        survival_job.run(table=table, out_dir=tmp_path, endpoint="os", title=title, figure_formats=["png"],
                         dpis=[72])
    return [r.table.title for r in records]


def test_a_titled_survival_section_names_itself_in_its_tables(tmp_path):
    assert _survival_titles(tmp_path / "a", None) == ["Overall survival"]
    assert _survival_titles(tmp_path / "b", "CIRT after separation surgery") == [
        "Overall survival: CIRT after separation surgery"]


@pytest.fixture(scope="module")
def pain_titles(tmp_path_factory):
    out = {}
    for title in (None, "Pain: CAFE-like two-arm trial"):
        sec = pain_job.run(cohort_bkp.make(), out_dir=tmp_path_factory.mktemp("pain"), title=title,
                           figure_formats=["png"], dpis=[72])
        out[title] = [r.table.title for r in sec.table_records]
    return out


def test_a_titled_pain_section_names_itself_in_its_tables(pain_titles):
    plain, named = pain_titles[None], pain_titles["Pain: CAFE-like two-arm trial"]
    assert len(plain) == len(named) > 3
    assert "Change in pain from baseline at each visit" in plain
    assert "Change in pain from baseline at each visit: CAFE-like two-arm trial" in named
    assert all(n.startswith(p) and n.endswith("CAFE-like two-arm trial") for p, n in zip(plain, named))
    assert not set(plain) & set(named)

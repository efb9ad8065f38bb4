"""Job options: one dataclass per job, filled by the plan and by keywords, checked before anything runs."""

from __future__ import annotations

import textwrap

import pandas as pd
import pytest

from spinestats.errors import UsageError
from spinestats.reports import plan_runner, table_one_job
from spinestats.reports.job import JobContext, JobInput, run_by_keywords
from spinestats.reports.table_one_job import TableOneOptions


def test_options_from_mapping_refuses_unknown_wrong_type_and_missing_at_once():
    with pytest.raises(UsageError) as err:
        TableOneOptions.from_mapping({"groop": "arm", "summary_digits": "2"}, "plan p.yaml, analysis 't1'")
    text = str(err.value)
    assert text.startswith("plan p.yaml, analysis 't1': ")
    assert "unknown option 'groop'. Did you mean 'group'?" in text
    assert "option 'summary_digits' expects a whole number; got '2'." in text
    assert "option 'variables' is required (a list of texts)." in text


def test_lists_become_tuples_and_bools_are_not_numbers():
    opts = TableOneOptions.from_mapping({"group": "arm", "variables": ["age", "sex"]})
    assert opts.variables == ("age", "sex") and opts.summary_digits == 1
    with pytest.raises(UsageError, match="'summary_digits' expects a whole number; got True"):
        TableOneOptions.from_mapping({"group": "arm", "variables": ["age"], "summary_digits": True})


def test_keyword_form_splits_options_from_settings(tmp_path):
    d = pd.DataFrame({"arm": ["A", "A", "B", "B"], "age": [60.0, 70.0, 65.0, 75.0]})
    sec = table_one_job.run(d, tmp_path, group="arm", variables=["age"], key="t1", table_formats=["csv"])
    assert sec.key == "t1" and sec.tables == (tmp_path.joinpath("tables/t1.csv").relative_to(tmp_path),)
    with pytest.raises(UsageError, match="unknown argument 'variabels'. Did you mean 'variables'"):
        run_by_keywords(table_one_job.analyse, TableOneOptions, data=d, out_dir=tmp_path, group="arm",
                        variabels=["age"])


def test_context_defaults_and_single_frame():
    ctx = JobContext(figure_formats=["png"], dpis=[300])
    assert ctx.figure_formats == ("png",) and ctx.dpis == (300,) and ctx.seed_or(7) == 7
    assert JobContext(seed=3).seed_or(7) == 3
    with pytest.raises(UsageError, match="exactly one data table; it was given 2"):
        JobInput.of(data={"a": pd.DataFrame(), "b": pd.DataFrame()}).frame


def test_plan_refuses_a_wrongly_typed_option_before_running(tmp_path):
    (tmp_path / "d.csv").write_text("arm,age\nA,60\nB,70\n", encoding="utf-8")
    plan = tmp_path / "plan.yaml"
    plan.write_text(textwrap.dedent("""\
        schema_version: 1
        title: t
        data:
          d: {file: d.csv}
        analyses:
          - {type: table_one, key: t1, data: d, group: arm, variables: age}
        """), encoding="utf-8")
    with pytest.raises(UsageError, match=r"plan plan.yaml, analysis 't1' \(table_one\): option 'variables' expects a list"):
        plan_runner.run_plan(plan, tmp_path / "out")
    assert not (tmp_path / "out").exists()

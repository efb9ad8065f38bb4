"""SINS calculator: totals, categories and refusal of invalid components."""

import numpy as np
import pandas as pd
import pytest

from spinestats.analysis.scores.sins import COMPONENTS, sins, sins_category
from spinestats.errors import DataError


def _frame(**over):
    base = {k: [0, max(v), 1 if 1 in v else 0] for k, v in COMPONENTS.items()}
    base.update(over)
    return pd.DataFrame(base, index=[2, 3, 4])


def test_totals_and_categories():
    r = sins(_frame())
    # row 1 all zero; row 2 every maximum: 3+3+2+4+3+3 = 18; row 3: 1+1+1+0+1+1 = 5
    assert r.total == (0, 18, 5)
    assert r.category == ("stable", "unstable", "stable")
    assert r.counts == {"stable": 2, "indeterminate": 0, "unstable": 1}
    assert r.to_frame().index.tolist() == [2, 3, 4]


@pytest.mark.parametrize("total, cat", [(0, "stable"), (6, "stable"), (7, "indeterminate"), (12, "indeterminate"), (13, "unstable"), (18, "unstable")])
def test_category_boundaries(total, cat):
    assert sins_category(total) == cat


def test_every_combination_total_within_0_18():
    import itertools

    totals = {sum(c) for c in itertools.product(*COMPONENTS.values())}
    assert min(totals) == 0 and max(totals) == 18


def test_invalid_component_message_names_component_value_and_allowed_set():
    with pytest.raises(DataError) as exc:
        sins(_frame(sins_pain=[0, 2, 3], sins_alignment=[0, 4, 5]))
    msg = str(exc.value)
    assert "sins_pain" in msg and "value 2" in msg and "{0, 1, 3}" in msg and "row 3" in msg
    assert "sins_alignment" in msg and "value 5" in msg and "{0, 2, 4}" in msg
    assert len(exc.value.problems) == 2


def test_missing_and_text_values_refused():
    with pytest.raises(DataError, match="sins_collapse.*nan"):
        sins(_frame(sins_collapse=[0, np.nan, 1]))
    with pytest.raises(DataError, match="'lytic'"):
        sins(_frame(sins_bone_lesion=[0, "lytic", 1]))


def test_missing_column_refused():
    with pytest.raises(DataError, match="sins_location.*missing"):
        sins(_frame().drop(columns="sins_location"))


def test_total_out_of_range_refused():
    with pytest.raises(DataError, match="between 0 and 18"):
        sins_category(np.array([5, 19]))

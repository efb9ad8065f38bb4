"""Sentences in results with long lists (issue 16): a long curve or table of records that cannot hold a
sentence is copied without a step per value, and the results are exactly those of the step-by-step walk."""

from __future__ import annotations

import json
import random
from collections import OrderedDict
from typing import Any

import pytest

from spinestats.data_schemas.labels import Labels
from spinestats.reports import warning_text
from spinestats.reports.warning_text import results_sentences


@pytest.fixture()
def step_by_step(monkeypatch):
    """``results_sentences`` with the shortcut switched off: every value walked one by one."""

    def walk(results, labels=None):
        with monkeypatch.context() as m:
            m.setattr(warning_text, "_no_sentences", lambda values: False)
            return results_sentences(results, labels)

    return walk


EXCLUSION = {"reason": "required: 'size_cm' = '' (expected a value)", "n": 1, "lines": [7]}


def test_a_long_table_with_an_exclusion_record_gains_its_message():
    lab = Labels(["dss"])
    rows = [{"t": float(i), "n": i} for i in range(20)] + [dict(EXCLUSION)]
    out = results_sentences({"rows": rows}, lab)["rows"]
    assert out[:20] == rows[:20]
    assert out[20]["message"] == "1 row excluded: Tumour size (cm) missing (line 7)."
    assert "message" not in rows[20]  # the input is not changed


def test_a_long_table_with_warnings_in_its_records_gets_sentences():
    rows = [{"t": 1.0, "warnings": ["only 3 row(s)", "only 3 rows"]}] + [{"t": 2.0, "warnings": []}] * 12
    out = results_sentences({"rows": rows})["rows"]
    assert out[0] == {"t": 1.0, "warnings": ["Only 3 rows."]} and out[1:] == [{"t": 2.0, "warnings": []}] * 12


def test_long_curves_and_tables_are_copies_with_the_same_values():
    curve = [0.5, None, 3, True, "x"] * 10
    rows = [{"time": float(i), "n_at_risk": 100 - i, "group": "a", "ci": None} for i in range(50)]
    res = {"curve": curve, "rows": rows, "nested": [[1.0] * 20, {"warnings": ["dropped ['a', 'b']"]}]}
    out = results_sentences(res)
    assert out == {"curve": curve, "rows": rows, "nested": [[1.0] * 20, {"warnings": ["Dropped a and b."]}]}
    assert out["curve"] is not curve and out["rows"] is not rows
    assert all(a is not b for a, b in zip(out["rows"], rows))
    out["rows"][0]["time"] = -1.0
    assert rows[0]["time"] == 0.0


def _random(rng: random.Random, depth: int = 0) -> Any:
    r = rng.random()
    if depth < 4 and r < 0.2:
        keys = rng.sample(["a", "n", "reason", "warnings", "message", "exclusions", "t"], rng.randint(0, 4))
        d = {k: _random(rng, depth + 1) for k in keys}
        if rng.random() < 0.3:
            d.update(reason="required: 'x'", n=rng.randint(0, 3))
        if rng.random() < 0.2:
            d["warnings"] = ["only 3 row(s)", "only 3 rows"]
        return OrderedDict(d) if rng.random() < 0.1 else d
    if depth < 4 and r < 0.4:  # a long list: records, leaves, or a mixture
        kind = rng.random()
        n = rng.randint(0, 14)
        if kind < 0.4:
            return [{"t": rng.random(), "n": i, **({"reason": "x", "n": 1} if rng.random() < 0.05 else {}),
                     **({"warnings": ["a"]} if rng.random() < 0.05 else {})} for i in range(n)]
        if kind < 0.7:
            return [rng.choice([1, 2.5, None, True, "s", (1, 2)]) for _ in range(n)]
        return [_random(rng, depth + 1) for _ in range(n)]
    return rng.choice([1, 2.5, None, True, "s", "only 3 row(s)", (1, [2])])


@pytest.mark.parametrize("seed", range(40))
def test_random_results_equal_the_step_by_step_walk(seed, step_by_step):
    rng = random.Random(seed)
    for _ in range(10):
        res = {"r": _random(rng)}
        fast, slow = results_sentences(res), step_by_step(res)
        assert fast == slow
        assert json.dumps(fast, default=repr) == json.dumps(slow, default=repr)
        assert _types(fast) == _types(slow)


def _types(value: Any) -> Any:
    if isinstance(value, dict):
        return (type(value).__name__, {k: _types(v) for k, v in value.items()})
    if isinstance(value, list):
        return ("list", [_types(v) for v in value])
    return type(value).__name__

"""``results.json`` text: ``dumps_indented`` / ``dumps_results`` give exactly the characters of
``json.dumps(..., indent=..., ensure_ascii=False, allow_nan=False)`` (issue 16: the fast paths for lists of
numbers and for tables' records, written by the C encoder and placed by one ``%``)."""

from __future__ import annotations

import json
import random
from typing import Any

import numpy as np
import pandas as pd
import pytest

from spinestats.analysis.core.result import to_jsonable
from spinestats.reports.output import dumps_indented, dumps_plain, dumps_results


def _reference(value: Any, indent: int = 2) -> str:
    return json.dumps(value, indent=indent, ensure_ascii=False, allow_nan=False)


EDGE = {
    "empty": [[], {}, [[]], [{}], {"a": []}, {"a": {}}, [[[], {}], {"b": [[]]}]],
    "floats": [-0.0, 0.0, 5e-324, 1.7976931348623157e308, 1e16, 1e-7, 0.1, 1 / 3, -2.5e-300, 123456789.125],
    "ints": [0, -1, 2**53 + 1, 10**30, -(10**40), True, False, None],
    "text": ["", "\u6b7b\u4ea1", "\u5c40\u6240\u5236\u5fa1\u7387 (%)", "Kaplan\u2013Meier \u2212 2", "caf\u00e9",
             "\U0001f600", "tab\there", "nul\x00bell\x07esc\x1b", "line\nbreak\r\n", 'quote " and \\ back',
             "\u2028\u2029", "\x7f", "%s %d %%", ", ", "[1, 2]"],
    "keys": {"": 1, "\u6b7b\u4ea1": 2.5, 'q"k': None, "k\\": True, "x, y": [1], "%s": {"%d": 3}, "\n": "v"},
    "records": [{"time": 0.5, "n": 10, "flag": True, "ci": None}, {"time": 1.5, "n": 9, "flag": False, "ci": -0.0}],
    "records_pct": [{"50%": 1, "%s": 2.5, "a%%b": None}] * 3,
    "records_reordered": [{"a": 1, "b": 2}, {"b": 3, "a": 4}],
    "records_other_keys": [{"a": 1, "b": 2}, {"a": 3, "c": 4}],
    "records_more_keys": [{"a": 1}, {"a": 2, "b": 3}],
    "records_with_text": [{"a": 1, "label": "x, y"}, {"a": 2, "label": "\u6b7b\u4ea1"}],
    "records_nested": [{"a": [1, 2]}, {"a": [3]}],
    "records_one": [{"only": 1.25}],
    "records_empty_dict": [{}, {}],
    "list_mixed": [1, "two", [3.5], {"k": "v, w"}, None, [{"r": 1}], [[1, 2], [3, 4]]],
    "tuple": (1, 2.5, (3, "x")),
}


@pytest.mark.parametrize("indent", [0, 1, 2, 4])
def test_edge_cases_equal_json_dumps(indent):
    assert dumps_indented(EDGE, indent=indent) == _reference(EDGE, indent)
    for key, value in EDGE.items():
        assert dumps_indented(value, indent=indent) == _reference(value, indent), key


def test_records_with_keys_in_another_order_keep_each_value_under_its_key():
    text = dumps_indented([{"a": 1, "b": 2}, {"b": 3, "a": 4}])
    assert json.loads(text) == [{"a": 1, "b": 2}, {"b": 3, "a": 4}]
    assert text == '[\n  {\n    "a": 1,\n    "b": 2\n  },\n  {\n    "b": 3,\n    "a": 4\n  }\n]'


def test_a_large_table_of_records_and_a_long_curve():
    rng = np.random.default_rng(16)
    n = 20_000
    records = pd.DataFrame({"time": rng.exponential(12, n), "n_at_risk": np.arange(n)[::-1],
                            "event": rng.integers(0, 2, n).astype(bool), "lower": rng.normal(size=n)})
    records.loc[::9, "lower"] = np.nan
    doc = to_jsonable({"km": {"False": records, "True": records.iloc[:10]}, "curve": rng.normal(size=n) * 1e-9,
                       "counts": rng.integers(-(2**62), 2**62, n)})
    assert dumps_results(doc) == _reference(doc) + "\n"
    assert dumps_plain(doc) == dumps_results(doc)


def test_numpy_values_nan_and_infinity_through_to_jsonable():
    raw = {"scalars": [np.float64(np.nan), np.float32(np.inf), np.float64(-np.inf), np.int64(-(2**63)),
                       np.uint64(2**64 - 1), np.bool_(True), np.float32(0.1), np.float64(-0.0), np.int8(-7)],
           "arrays": {"f": np.array([1.5, np.nan, np.inf, -0.0]), "i": np.arange(5, dtype=np.int16),
                      "b": np.array([True, False]), "m": np.eye(2), "s": np.array(["\u6b7b\u4ea1", "x"]),
                      "empty": np.array([]), "f16": np.array([0.1], dtype=np.float16)},
           "frame": pd.DataFrame({"x": [1.0, np.nan], "y": ["a", None]}), 5: "int key", 2.5: "float key"}
    text = dumps_results(raw)
    plain = json.loads(text)
    assert text == _reference(plain) + "\n"
    assert plain["scalars"] == [None, None, None, -(2**63), 2**64 - 1, True, float(np.float32(0.1)), -0.0, -7]
    assert "-0.0" in text and "NaN" not in text and "Infinity" not in text
    assert plain["arrays"]["f"] == [1.5, None, None, -0.0] and plain["arrays"]["m"] == [[1.0, 0.0], [0.0, 1.0]]
    assert plain["frame"] == [{"x": 1.0, "y": "a"}, {"x": None, "y": None}]
    assert plain["5"] == "int key" and plain["2.5"] == "float key"


def test_what_json_refuses_is_refused_the_same_way():
    for bad in ({"x": [float("nan")]}, [{"a": float("inf")}, {"a": 1}], {"a": float("-inf")}):
        with pytest.raises(ValueError, match="Out of range float"):
            dumps_indented(bad)
    with pytest.raises(TypeError):
        dumps_indented([{"a": object()}, {"a": 1}])
    assert dumps_indented({1: [2], None: {3: 4}}) == _reference({1: [2], None: {3: 4}})


def _random(rng: random.Random, depth: int = 0) -> Any:
    r = rng.random()
    if depth < 4 and r < 0.2:
        keys = [rng.choice(["a", "b", "c", "\u6b7b", "%s", 'q"', ""]) for _ in range(rng.randint(0, 4))]
        return {k: _random(rng, depth + 1) for k in keys}
    if depth < 4 and r < 0.3:  # records: same keys, sometimes reordered, sometimes not scalar
        keys = rng.sample(["t", "n", "x%", "\u6b7b"], rng.randint(1, 4))
        rows = []
        for _ in range(rng.randint(1, 5)):
            row_keys = keys if rng.random() < 0.75 else rng.sample(keys, len(keys))
            rows.append({k: _leaf(rng) if rng.random() < 0.95 else [_leaf(rng)] for k in row_keys})
        return rows
    if depth < 4 and r < 0.45:
        return [_random(rng, depth + 1) for _ in range(rng.randint(0, 5))]
    if depth < 4 and r < 0.55:
        return [_leaf(rng) for _ in range(rng.randint(0, 8))]
    return _leaf(rng)


def _leaf(rng: random.Random) -> Any:
    return rng.choice([None, True, False, 0, -3, 2**70, 0.5, -0.0, 1e-300, 1e300, 1 / 7, "", "s, t", "\u6b7b\u4ea1",
                       "\x01\n", '"', rng.random(), rng.randint(-10**6, 10**6)])


@pytest.mark.parametrize("seed", range(50))
def test_random_documents_equal_json_dumps(seed):
    rng = random.Random(seed)
    for _ in range(10):
        doc = _random(rng)
        indent = rng.choice([0, 1, 2, 3])
        assert dumps_indented(doc, indent=indent) == _reference(doc, indent), doc

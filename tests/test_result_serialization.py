"""Serialising results: the vectorised ``to_jsonable`` and the fast ``results.json`` writer give
exactly what the element-by-element conversion and ``json.dumps`` gave (issue 16)."""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from spinestats.analysis.core.result import Result, to_jsonable
from spinestats.reports.html_report import results_excerpt
from spinestats.reports.output import dumps_indented, dumps_results


def elementwise(value: Any) -> Any:
    """The conversion as it was before it was vectorised: one Python call per element."""
    if isinstance(value, Result):
        return value.to_dict()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: elementwise(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): elementwise(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [elementwise(v) for v in value]
    if isinstance(value, pd.DataFrame):
        return [elementwise(r) for r in value.to_dict(orient="records")]
    if isinstance(value, pd.Series):
        return elementwise(value.tolist())
    if isinstance(value, np.ndarray):
        return elementwise(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return f if math.isfinite(f) else None
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (pd.Timestamp,)):
        return value.isoformat()
    if value is pd.NA or value is pd.NaT:
        return None
    return str(value)


@dataclasses.dataclass(frozen=True)
class _Big(Result):
    curve: np.ndarray
    counts: np.ndarray
    flags: np.ndarray
    matrix: np.ndarray
    table: pd.DataFrame
    series: pd.Series
    nested: dict
    scalar: float
    label: str


def _big(n: int = 50_000) -> _Big:
    rng = np.random.default_rng(16)
    curve = rng.normal(size=n)
    curve[::7] = np.nan
    curve[3::11] = np.inf
    curve[5::13] = -np.inf
    curve[1] = -0.0
    curve[2] = 5e-324
    curve[4] = 1.7976931348623157e308
    matrix = rng.normal(size=(40, 30)).astype(np.float32)
    matrix[0, 0] = np.nan
    table = pd.DataFrame({
        "time": np.round(rng.exponential(12, n // 5), 3), "n_at_risk": np.arange(n // 5, dtype=np.int64)[::-1],
        "event": rng.integers(0, 2, n // 5).astype(bool), "group": rng.choice(["a", "b", None], n // 5),
        "uint": np.arange(n // 5, dtype=np.uint16), 3: rng.normal(size=n // 5)})
    table.loc[::9, "time"] = np.nan
    table.loc[::17, 3] = np.inf
    mixed = np.array([np.int64(3), np.float64("nan"), np.bool_(True), None, "x", np.float32(0.1), (1, 2)],
                     dtype=object)
    nested = {1: [np.int32(2), np.float64(np.nan), np.bool_(False), (np.uint8(7), [np.inf, -np.inf])],
              "deep": {"arr": np.array([[1, 2], [3, 4]], dtype=np.int8), "empty": np.array([]),
                       "zero_d": np.array(np.nan), "zero_d_int": np.array(np.int64(5)),
                       "obj": mixed, "when": pd.Timestamp("2026-12-03T06:00"), "na": pd.NA, "nat": pd.NaT,
                       "f16": np.array([1.5, np.nan], dtype=np.float16),
                       "frame_empty": pd.DataFrame({"a": []}), "strings": np.array(["x", "y"]),
                       "dates": np.array(["2026-01-01", "NaT"], dtype="datetime64[D]"),
                       "int_na": pd.Series([1, None], dtype="Int64"),
                       "cat": pd.DataFrame({"c": pd.Categorical(["u", "v", "u"])}),
                       "dup": pd.DataFrame([[1, 2.5]], columns=["k", "k"])}}
    return _Big(curve=curve, counts=rng.integers(-5, 10**12, n), flags=rng.integers(0, 2, n).astype(bool),
                matrix=matrix, table=table, series=pd.Series(curve[:1000]), nested=nested,
                scalar=np.float64(np.nan), label="Kaplan\u2013Meier")


@pytest.mark.filterwarnings("ignore:DataFrame columns are not unique")
def test_large_array_result_equals_elementwise_conversion() -> None:
    big = _big()
    new = to_jsonable(big)
    old = {f.name: elementwise(getattr(big, f.name)) for f in dataclasses.fields(big)}
    assert new == old
    # same Python types, element by element (== would call 1 == 1.0 == True equal)
    text_new = json.dumps(new, ensure_ascii=False, allow_nan=False)
    assert text_new == json.dumps(old, ensure_ascii=False, allow_nan=False)
    assert type(new["counts"][0]) is int and type(new["flags"][0]) is bool and type(new["curve"][6]) is float
    assert new["curve"][0] is None and new["curve"][3] is None and new["curve"][5] is None
    assert new["table"][0]["time"] is None and new["table"][0]["3"] is None
    assert new["nested"]["1"][1] is None and new["nested"]["deep"]["zero_d"] is None
    assert new["nested"]["deep"]["obj"] == [3, None, True, None, "x", float(np.float32(0.1)), [1, 2]]
    assert new["scalar"] is None


@pytest.mark.parametrize("value", [
    np.array([np.nan, np.inf, -np.inf]), np.array([], dtype=np.int64), np.array([[True, False]]),
    pd.Series([0.5, np.nan]), pd.DataFrame({"x": [1, 2]}, index=[5, 9]), [np.float64(1.25), (np.int16(-3),)],
    # plain Python leaves converted inline in dicts and lists (issue 16)
    {"a": float("nan"), 1: [float("inf"), -float("inf"), -0.0, 1e308, True, None, "s", 3, (2.5, float("nan"))],
     "b": {"c": [{"d": float("-inf"), "e": np.float64("nan")}], 2.5: False}},
])
def test_small_values_equal_elementwise(value: Any) -> None:
    assert json.dumps(to_jsonable(value)) == json.dumps(elementwise(value))


@pytest.mark.filterwarnings("ignore:DataFrame columns are not unique")
def test_results_json_text_equals_json_dumps() -> None:
    doc = to_jsonable({"section": _big(3_000), "empty": {}, "none": [], "records": [{"a": 1, "b%": None}] * 3,
                       "ragged": [{"a": 1}, {"b": 2}], "mixed": [1, "two", [3.5], {"k": "v, w"}],
                       "keys": {"x, y": 1.0, "\u6b7b\u4ea1": -0.0, "q\"": True}, "top": "a\nb"})
    assert dumps_results(doc) == json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    assert dumps_indented(doc, indent=4) == json.dumps(doc, indent=4, ensure_ascii=False, allow_nan=False)
    for scalar in (1.5, None, "s", True, 7):
        assert dumps_indented(scalar) == json.dumps(scalar, indent=2)


def test_unusual_values_give_what_json_dumps_gives() -> None:
    assert dumps_indented({1: [2]}) == json.dumps({1: [2]}, indent=2)  # a key that is not a string
    with pytest.raises(ValueError, match="Out of range float"):
        dumps_indented({"x": [float("nan")]})
    with pytest.raises(TypeError):
        dumps_indented({"x": [object()]})


def test_report_excerpt_is_the_cut_json_text() -> None:
    doc = {"curve": list(range(100_000)), "when": pd.Timestamp("2026-12-03"), "x": float("nan")}
    full = json.dumps(doc, indent=1, ensure_ascii=False, default=str)
    assert results_excerpt(doc) == full[:200_000] + "\n... (truncated; see results.json)"
    small = {"a": [1, 2], "b": "\u6b7b\u4ea1"}
    assert results_excerpt(small) == json.dumps(small, indent=1, ensure_ascii=False, default=str)


@pytest.mark.filterwarnings("ignore:DataFrame columns are not unique")
def test_to_dict_subset_converts_the_named_fields() -> None:
    big = _big(2_000)
    full = big.to_dict()
    assert big.to_dict_subset(("label", "scalar", "curve")) == {k: full[k] for k in ("curve", "scalar", "label")}
    assert list(big.to_dict_subset(["label", "curve"])) == ["curve", "label"]  # to_dict's order
    with pytest.raises(KeyError, match="has no key nope"):
        big.to_dict_subset(("nope",))


def test_to_dict_subset_of_a_result_with_its_own_to_dict() -> None:
    from spinestats.analysis.survival.kaplan_meier import kaplan_meier

    km = kaplan_meier(pd.DataFrame({"t": [2.0, 3.0, 5.0, 8.0], "e": [1, 0, 1, 1]}), time="t", event="e",
                      times=[4.0])
    full = km.to_dict()
    assert km.to_dict_subset(["rates", "curves"]) == {"curves": full["curves"], "rates": full["rates"]}
    assert km.to_dict_subset(["rates"])["rates"][0]["survival"] == 0.75


@pytest.mark.parametrize("value", [
    # long lists (the copied-as-is path) next to the same values in short ones
    [1.5] * 9 + [float("nan")], [float("inf")] + [0.5] * 12, [-float("inf"), *range(10)], list(range(20)) + [2**80],
    [True, False, None, "x", 1, 2.5, -0.0, 10**40, "\u6b7b\u4ea1"] * 2, tuple(range(12)), [(1, 2)] * 10,
    [np.float64(1.0)] * 9 + [np.int64(3)], [np.nan] * 10,
    # records: plain, with a NaN, a numpy value, a nested list, a key that is not a string, keys reordered
    [{"t": float(i), "n": i, "ok": i % 2 == 0, "g": "a", "x": None} for i in range(12)],
    [{"t": float(i), "n": i} for i in range(11)] + [{"t": float("nan"), "n": 0}],
    [{"t": float(i), "n": np.int64(i)} for i in range(12)],
    [{"t": [float(i)], "n": i} for i in range(12)],
    [{1: 2.5, "n": i} for i in range(12)],
    [{"a": i, "b": -i} if i % 2 else {"b": -i, "a": i} for i in range(12)],
    [{}] * 10, [{"t": 1.0}] * 9 + [[1.0]], [{"t": 1.0}] * 9 + [None],
])
def test_long_lists_and_records_equal_elementwise(value: Any) -> None:
    new, old = to_jsonable(value), elementwise(value)
    assert json.dumps(new) == json.dumps(old)
    assert [type(v) for v in new] == [type(v) for v in old]
    if isinstance(value, list) and new and isinstance(new[0], dict):
        assert all(a is not b for a, b in zip(new, value) if isinstance(b, dict))  # copies, never the caller's dicts
    assert new is not value


def test_a_converted_long_list_is_a_copy() -> None:
    plain = {"curve": [0.5] * 100, "records": [{"t": 1.0, "n": 2}] * 50}
    out = to_jsonable(plain)
    assert out == plain and out["curve"] is not plain["curve"] and out["records"] is not plain["records"]
    out["curve"][0] = 9.0
    out["records"][0]["t"] = 9.0
    assert plain["curve"][0] == 0.5 and plain["records"][0]["t"] == 1.0

"""results.json is scanned for raw IDs by its strings, not by its (large) text.

`run_plan` scans ``json_strings(plain)`` (every key and string value of the converted results, each once)
instead of the serialized ``results.json``, and reads each input's IDs once for all outputs
(``known_identifiers``).  An ID counts when it is a whole JSON string, or a CSV/Markdown cell inside one;
an ID that only starts a longer text, and a JSON number, do not.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pandas as pd
import pytest

from spinestats.reports import plan_runner
from spinestats.reports.output import dumps_results
from spinestats.reports.plan_runner import LoadedInput, json_strings, known_identifiers, run_plan, scan_identifiers

from test_report_run import write_plan
from test_scan_identifiers import _by_pattern, _inputs, random_ids, random_text


def _hit(value, ids, col="patient_id") -> bool:
    inputs = _inputs(ids, col)
    return scan_identifiers(json_strings(value), inputs, known_identifiers(inputs)) == [f"x:{col}"]


def test_json_strings_are_every_key_and_string_value_once():
    value = {"a": [1, 2.5, None, True, "s1", {"k": "s2", "n": 3}], "b": {"c": [[["deep"]], []], "d": {}},
             "e": "s1", "f": [], "g": [0.5, -0.0, 1e300]}
    assert json_strings(value) == {"a", "b", "c", "d", "e", "f", "g", "k", "n", "s1", "s2", "deep"}
    assert json_strings([]) == set() and json_strings({}) == set() and json_strings("only") == {"only"}
    assert json_strings([1, 2.0, None, False]) == set()
    records = [{"t": 1.0, "label": "r1", "sub": [{"deep": "d1"}, "s"]}, {"t": 2.0, "label": "r2", "sub": []},
               {"u": None, "sub": {"k": ["d2"]}}]
    assert json_strings(records) == {"t", "label", "sub", "u", "r1", "r2", "deep", "d1", "s", "k", "d2"}
    assert json_strings([{"t": 1.0}] * 5) == {"t"} and json_strings([{}, {}]) == set()


@pytest.mark.parametrize("value, hit", [
    ({"patient": "CAFE-001"}, True),                      # a whole JSON string
    ({"rows": [{"id": "x", "n": 1}, {"id": "CAFE-002", "n": 2}]}, True),  # deep in records
    ({"CAFE-001": 3}, True),                              # an object key is a JSON string too
    ({"x": [[["CAFE-001"]]]}, True),
    ({"title": "CAFE-0012 trial"}, False),                # an ID that only starts a longer text
    ({"title": "CAFE-001x"}, False),
    ({"title": "see CAFE-001"}, False),
    ({"list": "CAFE-001,CAFE-003"}, True),                # a CSV cell inside a string
    ({"md": "| x | CAFE-001 |"}, True),                   # a Markdown cell inside a string
    ({"md": "| x | CAFE-001x |"}, False),
    ({"s": "A, B 1"}, True),                              # an ID holding a comma, whole
    ({"s": "x A, B 1"}, False),
    ({"s": 'say Q"uote'}, False),
    ({"s": 'Q"uote'}, True),                              # an ID holding a quote, whole
    ({"s": "Q\"uote,tail"}, True),
    ({"s": "多発性-01234"}, True),                          # non-ASCII ID
    ({"s": "多発性-012345"}, False),
    ({"n": 12345, "x": [12345, 12345.0]}, False),         # a number is not an ID (counts would collide)
    ({"n": "12345"}, True),                               # ... a numeric-looking ID written as a string is
    ({"short": "abc"}, False),                            # IDs under 5 characters are not looked for
])
def test_whole_json_strings_count(value, hit):
    ids = ["CAFE-001", "CAFE-002", "CAFE-003", "A, B 1", 'Q"uote', "多発性-01234", "12345", "abc"]
    assert _hit(value, ids) is hit


def test_an_id_with_a_line_end_or_a_backslash_is_found_as_a_whole_string():
    # in the JSON text these are escaped (\n, \\), so only the strings themselves show them whole
    assert _hit({"s": "P0\n123"}, ["P0\n123"])
    assert _hit({"s": "P0\\123"}, ["P0\\123"])
    assert not _hit({"s": "xP0\n123"}, ["P0\n123"])
    # two strings are never read as one: no ID is found across them, whatever their order
    assert not _hit({"a": "P0", "b": "123"}, ["P0\n123"])
    assert not _hit(["ab", "cd"], ["ab\ncd", "ab,cd", 'ab"cd'])


def test_case_ids_and_several_inputs_are_named():
    class T:
        data = pd.DataFrame({"patient_id": ["PAT-00001", "PAT-00002"], "case_id": ["CASE-0001", None]})

    class U:
        data = pd.DataFrame({"patient_id": [10001, 10002]})  # numeric IDs are compared as text

    inputs = {"a": LoadedInput("a", Path("a"), T(), {}), "b": LoadedInput("b", Path("b"), U(), {}),
              "folder": LoadedInput("folder", Path("f"), None, {})}
    known = known_identifiers(inputs)
    assert [k.label for k in known] == ["a:patient_id", "a:case_id", "b:patient_id"]
    assert known[0].ids == {"PAT-00001", "PAT-00002"} and known[1].ids == {"CASE-0001"}
    assert known[2].ids == {"10001", "10002"} and all(k.odd is None for k in known)
    assert scan_identifiers(json_strings({"x": ["CASE-0001", "10002"]}), inputs, known) == ["a:case_id", "b:patient_id"]
    assert scan_identifiers(json_strings({"x": [10002, "PAT-000011"]}), inputs, known) == []
    # the same answers without the IDs read beforehand, and for the text of a CSV table
    assert scan_identifiers("n,id\n3,10002\n", inputs) == ["b:patient_id"]
    assert scan_identifiers("n,id\n3,100021\n", inputs, known) == []


def test_no_ids_and_short_ids_only():
    assert known_identifiers(_inputs([]))[0].ids == frozenset()
    assert scan_identifiers(json_strings({"a": "abc"}), _inputs(["abc", None])) == []
    assert known_identifiers(_inputs(["abc", "abcde"]))[0].ids == {"abcde"}


ALPHABET = ['"', "\n", ",", "|", " ", "P", "1", "2", "-", "a", "\\", "é"]


def _random_value(rng, ids, depth=0):
    r = rng.random()
    if depth < 3 and r < 0.25:
        return {_random_text(rng, ids): _random_value(rng, ids, depth + 1) for _ in range(rng.randint(0, 3))}
    if depth < 3 and r < 0.5:
        return [_random_value(rng, ids, depth + 1) for _ in range(rng.randint(0, 4))]
    if r < 0.65:
        return rng.choice([1, 2.5, None, True, 12345, -0.0])
    return _random_text(rng, ids)


def _random_text(rng, ids):
    return random_text(rng, ids, ALPHABET, longest=3, pieces=4)


@pytest.mark.parametrize("seed", range(60))
def test_the_strings_scan_is_the_pattern_over_each_string(seed):
    """Definition: an ID counts when the one pattern finds it in one of the value's strings."""
    rng = random.Random(seed)
    ids = random_ids(rng, ALPHABET)
    for _ in range(20):
        value = _random_value(rng, ids)
        expected = any(_by_pattern(s, ids) for s in json_strings(value))
        assert _hit(value, ids) is expected, (value, ids)


@pytest.mark.parametrize("seed", range(40))
def test_the_strings_scan_finds_what_the_scan_of_results_json_finds(seed):
    """For IDs and strings without a quote, line end or backslash (which JSON escapes), scanning the strings
    gives the answer the scan of the whole results.json text gave."""
    rng = random.Random(seed)
    plain = [c for c in ALPHABET if c not in ('"', "\n", "\\")]
    ids = [i.strip() or "P1" for i in random_ids(rng, plain, plain_from=2)]
    for _ in range(20):
        value = _random_value(rng, ids)
        if any(c in s for s in json_strings(value) for c in '"\n\\'):
            continue
        text = dumps_results(value)
        assert _hit(value, ids) is (scan_identifiers(text, _inputs(ids)) == ["x:patient_id"]), (value, ids)


def _leaking_run(tmp_path, monkeypatch, results=None, table=None):
    original = plan_runner.place_section

    def leak(section, key, root, labels):
        section = original(section, key, root, labels)
        if table is not None and key == "by_sex":
            (root / "tables" / "leak.csv").write_text(table, encoding="utf-8")
        if results is not None and key == "by_sex":
            import dataclasses

            section = dataclasses.replace(section, results=dict(section.results, extra=results))
        return section

    monkeypatch.setattr(plan_runner, "place_section", leak)
    return run_plan(write_plan(tmp_path / "p"), tmp_path / "out")


@pytest.mark.parametrize("results, table", [
    ({"deep": [{"patients": ["x", "CAFE-004"]}]}, None),
    ({"CAFE-004": 1}, None),
    (None, "id,n\nCAFE-007,1\n"),
    (None, "| id | n |\n|---|---|\n| CAFE-007 | 1 |\n"),
])
def test_a_run_whose_output_holds_a_raw_id_is_refused(tmp_path, monkeypatch, results, table):
    with pytest.raises(RuntimeError, match=r"raw identifiers \(cafe:patient_id\) would be written to "
                       + ("results.json" if results else "tables/leak.csv")):
        _leaking_run(tmp_path, monkeypatch, results, table)
    assert not (tmp_path / "out").exists()


def test_a_run_with_numbers_and_longer_texts_like_ids_is_not_refused(tmp_path, monkeypatch):
    out = _leaking_run(tmp_path, monkeypatch, {"note": "CAFE-0041 is not an ID", "n": [1, 2, 3]},
                       "id,n\nCAFE-0071,1\n")
    assert out["by_sex"]["extra"]["note"] == "CAFE-0041 is not an ID"
    written = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    assert written["by_sex"]["extra"] == {"note": "CAFE-0041 is not an ID", "n": [1, 2, 3]}

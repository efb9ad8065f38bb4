"""The fast paths of validation give what the plain ones give: the same table, problems and lines.

The chunked pyarrow reader (large CSVs) is compared with the exact reader on the layouts it must
tell apart (blank lines, records of empty cells as Excel writes them, multi-line quoted cells); the
column checks that work on distinct values are compared with a row-by-row statement of the rule.
"""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest

from spinestats.data_schemas import conversion, identifiers, loading, reading
from spinestats.data_schemas.loading import load
from spinestats.errors import DataError

from test_data_formats import CIRT_HEADER, _both_paths, _cirt_rows


def _same(exact, fast):
    if isinstance(exact, tuple):
        assert isinstance(fast, tuple) and exact == fast
    else:
        pd.testing.assert_frame_equal(exact.data, fast.data)
        assert exact.exclusions == fast.exclusions and exact.provenance == fast.provenance


@pytest.mark.parametrize("layout", ["empty records at the end", "empty records inside", "blank line CRLF",
                                    "blank line last", "blank line before the header",
                                    "blank line inside a quoted cell", "no line end at the end"])
def test_chunked_reader_tells_blank_lines_from_records_of_empty_cells(tmp_path, monkeypatch, layout):
    rows = _cirt_rows(120)
    rows[7] = rows[7].replace("lumbar", "neck")  # line 9 (header on line 1): an unknown code
    nl = "\r\n" if layout == "blank line CRLF" else "\n"
    head = CIRT_HEADER
    if layout == "empty records at the end":  # what Excel writes below a table
        rows += ["," * 20] * 3
    elif layout == "empty records inside":
        rows[60] += "\n" + "," * 20
    elif layout == "blank line CRLF":
        rows[60] += "\r\n"
    elif layout == "blank line last":
        rows[-1] += "\n"
    elif layout == "blank line before the header":
        head = "# export\n\n" + CIRT_HEADER
    elif layout == "blank line inside a quoted cell":
        rows[30] = rows[30].replace(",chordoma,", ',"chordoma\n\nsecond paragraph",')
    path = tmp_path / "cirt.csv"
    end = "" if layout == "no line end at the end" else nl
    path.write_bytes((head + nl + nl.join(rows) + end).encode("utf-8"))
    exact, fast = _both_paths(path, monkeypatch, exclude_invalid=True)
    _same(exact, fast)
    assert [e.line for e in fast.exclusions] == [9 + (2 if layout == "blank line before the header" else 0)]
    if layout.startswith("empty records"):
        assert fast.provenance.blank_rows == (3 if layout.endswith("end") else 1)
        assert fast.provenance.rows_read == 120
    exact, fast = _both_paths(path, monkeypatch)
    _same(exact, fast)


def test_chunked_reader_declines_blank_lines_and_keeps_records_of_empty_cells(tmp_path, monkeypatch):
    rows = _cirt_rows(50)
    path = tmp_path / "cirt.csv"
    path.write_text(CIRT_HEADER + "\n" + "\n".join(rows) + "\n" + ",,,,,,,,,,,,,,,,,,,,\n", encoding="utf-8")
    raw = reading._read_large(path, path.name, ".csv", None, None)
    assert raw is not None and raw.blank_rows == 1 and len(raw.frame) == 50
    path.write_text(CIRT_HEADER + "\n" + "\n".join(rows[:20]) + "\n\n" + "\n".join(rows[20:]) + "\n", encoding="utf-8")
    assert reading._read_large(path, path.name, ".csv", None, None) is None  # the exact reader reads it
    assert reading._blank_line(path)


def test_chunked_reader_categories_pass_pandas_checks(tmp_path):
    rows = _cirt_rows(300)
    path = tmp_path / "cirt.csv"
    path.write_text(CIRT_HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    raw = reading._read_large(path, path.name, ".csv", None, None)
    for name in raw.frame.columns:
        col = raw.frame[name]
        checked = pd.Categorical.from_codes(col.cat.codes.to_numpy(), categories=list(col.cat.categories))
        assert col.tolist() == list(checked) == [r.split(",")[CIRT_HEADER.split(",").index(name)] for r in rows]
        assert col.cat.categories.is_unique and not col.cat.categories.hasnans
    assert raw.frame["patient_id"].cat.codes.dtype == np.int16  # 300 distinct IDs
    assert raw.frame["sex"].cat.codes.dtype == np.int8


def _holds_any_by_rule(joined: str, tokens) -> bool:
    return any(t in joined.split("\x00") for t in tokens)


def test_missing_tokens_among_many_distinct_texts_match_the_rule():
    rnd = random.Random(16)
    words = ["NA", "N/A", "", ".", "NAN", "xNA", "NAx", "1.5", "null", "nul", "なし", "NA\u3000", "P0001"]
    tokens = sorted(conversion.MISSING_TOKENS) + ["なし", "1.5"]
    for _ in range(3000):
        joined = "\x00".join(rnd.choice(words) for _ in range(rnd.randint(1, 8)))
        chosen = frozenset(rnd.sample(tokens, rnd.randint(0, 5)))
        assert conversion._holds_any(joined, chosen) == _holds_any_by_rule(joined, chosen), (joined, chosen)
    many = "\x00".join(f"{i / 10:.1f}" for i in range(20_000))  # many short texts: the search with NULs
    assert not conversion._holds_any(many, conversion.MISSING_TOKENS)
    assert conversion._holds_any(many + "\x00.", conversion.MISSING_TOKENS)


def test_a_missing_token_among_thousands_of_ids_is_missing(tmp_path):
    rows = _cirt_rows(1500)
    rows[700] = rows[700].replace("C00700", "N/A", 1)
    path = tmp_path / "cirt.csv"
    path.write_text(CIRT_HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(DataError) as e:
        load(path, "cirt")
    (p,) = [q for q in e.value.problems if q.severity == "error"]
    assert (p.line, p.column, p.rule) == (702, "patient_id", "required")


def test_mapping_code_outside_the_schema_is_named_with_its_line(tmp_path):
    path = tmp_path / "dss.csv"
    path.write_text("patient_id,centre,histology,reference,size_cm,boundary,lobulated,bone_destruction,dss\n"
                    + "".join(f"P{i},A,x,{code},3,distinct,no,no,0\n" for i, code in
                              enumerate(["1", "3", "2", "NA", "benign", "9"], start=1)), encoding="utf-8")
    mapping = {"codes": {"reference": {1: "benign", 2: "malignant", 3: "borderline"}}}
    with pytest.raises(DataError) as e:
        load(path, "dss", mapping=mapping)
    shown = [(p.line, p.column, p.value, p.rule, p.expected) for p in e.value.problems]
    assert shown == [
        (3, "reference", "3", "unknown code", "a mapping code that gives one of benign, malignant"),
        (5, "reference", "NA", "required", "a value (category one of benign, malignant)"),
        (7, "reference", "9", "unknown code",
         "one of benign, malignant (or the mapping's codes: 1=benign, 2=malignant, 3=borderline)"),
    ]
    t = load(path, "dss", mapping=mapping, exclude_invalid=True)
    assert t.data["reference"].tolist() == ["benign", "malignant", "benign"]
    assert [x.line for x in t.exclusions] == [3, 5, 7]


def test_personal_data_sample_is_the_first_filled_cells():
    n = 5 * loading.PERSONAL_SAMPLE
    values = np.full(n, None, dtype=object)
    values[3 * loading.PERSONAL_SAMPLE:] = "x"  # the prefix looked at first holds too few
    values[7] = "y"
    for s in (pd.Series(values), pd.Series(values[::-1].copy()), pd.Series(values[:100])):
        expected = np.flatnonzero(s.notna().to_numpy())[:loading.PERSONAL_SAMPLE]
        assert np.array_equal(loading._first_filled(s), expected)


def test_personal_values_count_repeated_texts():
    names = ["Taro Yamada", "Hanako Sato", "Ichiro Suzuki", "Jiro Tanaka"]
    assert identifiers.personal_values(names * 1) == "personal names"
    assert identifiers.personal_values(names * 2) is None  # repeated: coded values, not names
    assert identifiers.personal_values(["1950-01-02"] * 3 + ["benign"] * 2) == "dates (of birth?)"
    assert identifiers.personal_values(["1950-01-02"] * 2 + ["benign"] * 3) is None


def test_parquet_text_read_as_dictionaries_keeps_missing_cells_empty(tmp_path):
    rows = [r.split(",") for r in _cirt_rows(40)]
    frame = pd.DataFrame(rows, columns=CIRT_HEADER.split(","))
    frame["age"] = frame["age"].astype(float)
    frame.loc[4, "site"] = None                                  # line 6: a missing text cell
    frame.loc[7, "site"] = "neck"                                # line 9: an unknown code
    frame["centre"] = frame["centre"].astype("category")        # stored as a dictionary column
    frame.index = frame.index + 100                              # the pandas index is stored too
    path = tmp_path / "cirt.parquet"
    frame.to_parquet(path)
    with pytest.raises(DataError) as e:
        load(path, "cirt")
    shown = [(p.line, p.column, p.value, p.rule) for p in e.value.problems if p.severity == "error"]
    assert shown == [(6, "site", "", "required"), (9, "site", "neck", "unknown code")]
    t = load(path, "cirt", exclude_invalid=True)
    assert len(t.data) == 38 and t.data["centre"].tolist()[:3] == ["C0", "C1", "C2"]
    assert list(t.data.columns) == CIRT_HEADER.split(",")

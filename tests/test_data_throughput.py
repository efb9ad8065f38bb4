"""The shortcuts that make validating a large export faster give what the plain steps give.

* The chunked reader's ID column: when every ID is distinct, its encoding is found by sorting (no
  hashing); with a repeated ID, by hashing as before.  Both give ``dictionary_encode``'s codes and
  texts, wherever the repeat lies (first piece, a middle one, the last).
* Package versions are read from each distribution's metadata header: the same text as
  ``importlib.metadata.version``.
* Date columns without a "/" skip the replacement of "/" by "-"; texts with it still parse.
"""

from __future__ import annotations

from importlib import metadata

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from spinestats.data_schemas import cross_rules, provenance, reading
from spinestats.data_schemas.loading import load
from spinestats.errors import DataError

from test_data_formats import CIRT_HEADER, _both_paths, _cirt_rows


def _finish_high(parts: list) -> tuple[np.ndarray, np.ndarray]:
    col = reading._Column()
    col.high, col.parts, col.rows = True, list(parts), sum(len(p) for p in parts)
    return col.finish(pa.default_memory_pool())


@pytest.mark.parametrize("repeat", [None, (0, 3), (40, 41), (5, 99), (98, 99)])
def test_distinct_ids_encoded_as_dictionary_encode_does(repeat):
    ids = [f"P{i:05d}" for i in range(100)]
    if repeat is not None:
        ids[repeat[1]] = ids[repeat[0]]  # a repeated ID in the first, a middle or the last piece
    parts = [pa.array(ids[i:i + 17], pa.string()) for i in range(0, 100, 17)]
    codes, texts = _finish_high(parts)
    enc = pc.dictionary_encode(pa.array(ids, pa.string()))
    assert texts.tolist() == enc.dictionary.to_pylist()
    assert codes.tolist() == enc.indices.to_pylist()
    assert reading._all_distinct(parts, None) is (repeat is None)


@pytest.mark.parametrize("ids", [
    [f"P{i:07d}" for i in range(1000)],  # in order: one pass
    [f"P{i:07d}" for i in range(1000)][::-1],  # reversed: sorted
    [str(i) for i in range(1, 1001)],  # numbered without leading zeros: "10" < "2", sorted
    [f"P{i:07d}" for i in range(500)] + ["P0000499"] + [f"P{i:07d}" for i in range(500, 1000)],  # a twin next to it
    [f"P{i:07d}" for i in range(1000)] + ["P0000000"],  # the first again, at the end
    ["患者001", "患者002", "患者010", "患者011"],  # in order as UTF-8 bytes
    ["患者002", "患者001", "患者002"],
    ["a", "a\u0000", "a\u0001", "b"],  # a text and its extensions
])
def test_all_distinct_agrees_with_a_set_in_order_or_not(ids):
    rng = np.random.default_rng(len(ids))
    cuts = np.sort(rng.choice(np.arange(1, len(ids)), size=min(3, len(ids) - 1), replace=False))
    parts = [pa.array(chunk.tolist(), pa.string()) for chunk in np.split(np.array(ids, dtype=object), cuts)]
    assert reading._all_distinct(parts, None) is (len(set(ids)) == len(ids))


def test_all_distinct_on_empty_and_single_and_equal_texts():
    assert reading._all_distinct([], None)
    assert reading._all_distinct([pa.array(["x"], pa.string())], None)
    assert not reading._all_distinct([pa.array(["", "a"], pa.string()), pa.array([""], pa.string())], None)
    assert reading._all_distinct([pa.array(["a", "a ", " a", "A"], pa.string())], None)  # only equal texts repeat
    codes, texts = _finish_high([pa.array(["b", "a"], pa.string()), pa.array(["c"], pa.string())])
    assert texts.tolist() == ["b", "a", "c"] and codes.tolist() == [0, 1, 2]


@pytest.mark.parametrize("where", ["first", "middle", "last"])
def test_chunked_reader_names_a_repeated_id_wherever_it_lies(tmp_path, monkeypatch, where):
    rows = _cirt_rows(300)
    i = {"first": 1, "middle": 150, "last": 299}[where]
    rows[i] = rows[i].replace(f"C{i:05d}", "C00000")  # the ID of line 2 again
    path = tmp_path / "cirt.csv"
    path.write_text(CIRT_HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    exact, fast = _both_paths(path, monkeypatch)
    assert isinstance(exact, tuple) and exact == fast
    dup = [(p.line, p.column, p.value, p.rule) for p in fast if p.rule == "duplicate ID"]
    assert [d[0] for d in dup] == [2, i + 2] and {d[1] for d in dup} == {"patient_id"}


def test_chunked_reader_keeps_distinct_ids_in_file_order(tmp_path, monkeypatch):
    rows = _cirt_rows(300)
    path = tmp_path / "cirt.csv"
    path.write_text(CIRT_HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    monkeypatch.setattr(reading, "CHUNK_BYTES", 997)
    raw = reading._read_large(path, path.name, ".csv", None, None)
    ids = raw.frame["patient_id"]
    assert ids.cat.categories.tolist() == [r.split(",")[0] for r in rows]
    assert ids.cat.codes.tolist() == list(range(300)) and ids.cat.codes.dtype == np.int16
    exact, fast = _both_paths(path, monkeypatch)
    assert fast.data.equals(exact.data) and fast.data["patient_id"].tolist() == [r.split(",")[0] for r in rows]


def test_package_versions_are_those_importlib_metadata_gives():
    found = provenance.package_versions()
    assert list(found) == ["python", *provenance.PACKAGES]
    for name in provenance.PACKAGES:
        try:
            assert found[name] == metadata.version(name), name
        except metadata.PackageNotFoundError:
            assert found[name] == "not installed"
    assert found["pandas"] == __import__("pandas").__version__


@pytest.mark.parametrize("cell, ok", [("2019/02/03", True), (" 2019/02/03", True), ("2019-2-3", True),
                                      ("2019-02-30", False), ("2019/13/01", False)])
def test_dates_with_and_without_slashes_parse_as_before(tmp_path, cell, ok):
    rows = _cirt_rows(6)
    rows[2] = rows[2].replace("2019-01-03", cell)  # line 4: diagnosis date
    path = tmp_path / "cirt.csv"
    path.write_text(CIRT_HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    if ok:
        t = load(path, "cirt")
        assert str(t.data.at[4, "diagnosis_date"].date()) == "2019-02-03"
    else:
        with pytest.raises(DataError) as err:
            load(path, "cirt")
        (p,) = err.value.problems
        assert (p.line, p.column, p.value, p.rule) == (4, "diagnosis_date", cell, "unparseable date")


def _whole_table(path, monkeypatch):
    """The Parquet file read as one table (the reading before columns were read one at a time)."""
    with monkeypatch.context() as m:
        m.setattr(reading, "_parquet_by_column", lambda *a: None)
        return reading.read_table(path)


def _same_raw(a, b):
    assert list(a.frame.columns) == list(b.frame.columns) and a.frame.index.equals(b.frame.index)
    assert a.duplicate_columns == b.duplicate_columns
    for c in a.frame.columns:
        x, y = a.frame[c], b.frame[c]
        assert str(x.dtype) == str(y.dtype), c
        pd.testing.assert_series_equal(x.astype(object), y.astype(object), check_names=True)


def _parquet_frame(n: int = 300) -> pd.DataFrame:
    rows = [r.split(",") for r in _cirt_rows(n)]
    frame = pd.DataFrame(rows, columns=CIRT_HEADER.split(","))
    frame["age"] = frame["age"].astype(float)
    frame["fractions"] = frame["fractions"].astype("Int64")
    frame.loc[3, "fractions"] = pd.NA                                    # a nullable integer with a gap
    frame["separation_surgery"] = frame["separation_surgery"] == "yes"   # a bool column
    frame["treatment_date"] = pd.to_datetime(frame["treatment_date"]).dt.tz_localize("Asia/Tokyo")
    frame.loc[5, "histology"] = None                                     # a missing text cell
    frame["centre"] = frame["centre"].astype("category")
    return frame


@pytest.mark.parametrize("variant", ["plain", "stored index", "repeated ID", "missing ID", "no pandas metadata"])
def test_parquet_read_by_column_gives_the_whole_tables_frame(tmp_path, monkeypatch, variant):
    frame = _parquet_frame()
    if variant == "stored index":
        frame.index = frame.index * 2 + 7
    elif variant == "repeated ID":
        frame.loc[250, "patient_id"] = frame.loc[10, "patient_id"]
    elif variant == "missing ID":
        frame.loc[0, "patient_id"] = None
    path = tmp_path / "x.parquet"
    if variant == "no pandas metadata":
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None), path)
    else:
        frame.to_parquet(path)
    fast = reading.read_table(path)
    _same_raw(fast, _whole_table(path, monkeypatch))
    ids = fast.frame["patient_id"]
    assert isinstance(ids.dtype, pd.CategoricalDtype) and ids.cat.categories.is_unique
    assert ids.tolist() == ["" if pd.isna(v) else v for v in frame["patient_id"]]  # (pandas 3: NaN, not None)
    if variant in ("plain", "stored index", "no pandas metadata"):
        assert ids.cat.codes.tolist() == list(range(300))  # distinct IDs: encoded by sorting, in file order
    assert str(fast.frame["fractions"].dtype) == ("Int64" if variant != "no pandas metadata" else "float64")


def test_parquet_load_by_column_equals_the_whole_table_load(tmp_path, monkeypatch):
    frame = _parquet_frame()
    frame["treatment_date"] = frame["treatment_date"].dt.tz_localize(None)
    frame.loc[7, "site"] = "neck"                                 # line 9: an unknown code
    frame.loc[20, "patient_id"] = frame.loc[2, "patient_id"]      # lines 4 and 22: a repeated ID
    path = tmp_path / "cirt.parquet"
    frame.to_parquet(path)
    fast = load(path, "cirt", exclude_invalid=True)
    with monkeypatch.context() as m:
        m.setattr(reading, "_parquet_by_column", lambda *a: None)
        whole = load(path, "cirt", exclude_invalid=True)
    pd.testing.assert_frame_equal(fast.data, whole.data)
    assert list(map(repr, fast.problems)) == list(map(repr, whole.problems))  # (a missing value is NaN)
    assert fast.exclusions == whole.exclusions
    assert [e.line for e in fast.exclusions] == [4, 5, 9, 22]  # line 5: the fractions gap


def test_parquet_with_a_repeated_column_name_is_refused_as_before(tmp_path):
    table = pa.Table.from_arrays([pa.array(["a", "b"]), pa.array([1.0, None]), pa.array([1.5, 2.0])],
                                 names=["x", "y", "y"])
    path = tmp_path / "dup.parquet"
    pq.write_table(table, path)
    assert reading._parquet_by_column(path, ["x"]) is None  # not read by name: the whole table, as before
    with pytest.raises(DataError) as err:
        reading.read_table(path)
    assert str(err.value).startswith("dup.parquet: cannot be read as Parquet (") and err.value.problems[0].rule == "parquet"


@pytest.mark.parametrize("days, refused", [(36524, False), (36525, False), (36526, True), (36890, True), (-40000, False)])
def test_follow_up_over_100_years_found_as_whole_days_over_365_25_per_year(days, refused):
    start = pd.Timestamp("1900-03-01")
    df = pd.DataFrame({"treatment_date": [start, start, pd.NaT],
                       "last_follow_up_date": [start + pd.Timedelta(days, unit="D"), pd.NaT, start]}, index=[5, 6, 7])
    found = cross_rules.follow_up("f.csv", df, "cirt", {"last_follow_up_date": "fu"})
    by_rule = [(p.line, p.column, p.value) for p in found]
    assert by_rule == ([(5, "fu", (start + pd.Timedelta(days, unit="D")).date().isoformat())] if refused else [])
    assert refused == (days / 365.25 > 100)
    if refused:
        assert f"{days / 365.25:.0f} years suggests a mistyped year" in found[0].expected


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_date_rules_read_dates_of_any_resolution(unit):
    """pandas 3 makes dates of microseconds (and pandas 2 keeps a column's own unit): the date rules read
    whole days from any of them, not nanoseconds from every one."""
    start = np.datetime64("1900-03-01", unit)
    df = pd.DataFrame({"treatment_date": np.array([start, start], dtype=f"datetime64[{unit}]"),
                       "last_follow_up_date": np.array([start + np.timedelta64(36526, "D"),
                                                        start + np.timedelta64(36525, "D")], dtype=f"datetime64[{unit}]"),
                       "diagnosis_date": np.array([start + np.timedelta64(1, "D"), start], dtype=f"datetime64[{unit}]")},
                      index=[5, 6])
    assert str(df["treatment_date"].dtype) == f"datetime64[{unit}]"
    found = cross_rules.follow_up("f.csv", df, "cirt", {"last_follow_up_date": "fu"})
    # by hand: 1900-03-01 to 2000-03-01 is 100 x 365 days + 25 leap days (1904-2000; 1900 is not one) = 36525,
    # so 36526 days is 2000-03-02 (100.0027 years: refused) and 36525 days exactly 100 years (kept)
    assert [(p.line, p.value) for p in found] == [(5, "2000-03-02")]
    order = cross_rules.date_order("f.csv", df, "cirt", {})
    assert [(p.line, p.rule, p.value) for p in order] == [(5, "dates_in_order", "1900-03-01")]


@pytest.mark.parametrize("layout", ["BOM", "CRLF", "quoted line breaks"])
@pytest.mark.parametrize("where", [1, 150, 299])
def test_chunked_reader_ids_and_bad_cells_with_bom_crlf_and_quoted_line_breaks(tmp_path, monkeypatch, layout, where):
    rows = _cirt_rows(300)
    rows[where] = rows[where].replace(f"C{where:05d}", "C00000").replace(",64,16,", ",640,16,")
    if layout == "quoted line breaks":
        rows[100] = rows[100].replace(",chordoma,", ',"chordoma\nsecond line, with a comma",')
    nl = "\r\n" if layout == "CRLF" else "\n"
    data = (CIRT_HEADER + nl + nl.join(rows) + nl).encode("utf-8")
    path = tmp_path / "cirt.csv"
    path.write_bytes((b"\xef\xbb\xbf" if layout == "BOM" else b"") + data)
    exact, fast = _both_paths(path, monkeypatch)
    assert isinstance(exact, tuple) and exact == fast
    shown = [(p.line, p.column, p.value, p.rule) for p in fast]
    pseudonym = shown[0][2]  # an ID is shown by its pseudonym, never as written
    assert pseudonym.startswith("P-") and "C00000" not in str(shown)
    assert sorted(shown, key=str) == sorted([
        (2, "patient_id", pseudonym, "duplicate ID"), (where + 2, "total_dose_gye", "640", "out of range"),
        (where + 2, "patient_id", pseudonym, "duplicate ID"), (where + 2, "total_dose_gye", 640.0, "dose_plausible")], key=str)
    exact, fast = _both_paths(path, monkeypatch, exclude_invalid=True)
    pd.testing.assert_frame_equal(exact.data, fast.data)
    assert fast.provenance == exact.provenance and fast.provenance.encoding == ("utf-8-sig" if layout == "BOM" else "utf-8")

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
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from spinestats.data_schemas import provenance, reading
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

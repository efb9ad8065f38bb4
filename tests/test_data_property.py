"""Property: random malformed tables never crash load() and never lose a row silently."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spinestats.data_schemas.loading import LoadedTable, load
from spinestats.data_schemas.schema import get_schema
from spinestats.errors import SpinestatsError

SCHEMAS = ("dss", "cirt", "readers", "bkp", "fracture")

valid_like = st.sampled_from([
    "", "NA", "yes", "no", "1", "0", "Y", "あり", "なし", "benign", "malignant", "distinct", "indistinct",
    "lumbar", "CIRT", "SBRT", "2020-01-01", "2020/02/30", "2021-06-01", "43831", "3.5", "64", "16", "-1",
    "1e400", "nan", "inf", "=1+1", "@SUM(A1)", "+3", "4-8", "10-3", "13", "A-C", "F", "P1", "P2", "baseline",
    "1m", "  7 ", "１２", "\t", "R1",
])
# a bare carriage return is a line break to CSV readers (old Mac files): keep cells on one line
cell = st.one_of(valid_like, st.text(max_size=8).map(lambda s: s.replace("\r", " ")), st.integers(-5, 100).map(str),
                 st.floats(allow_nan=True, allow_infinity=True).map(repr))


@st.composite
def tables(draw):
    schema = get_schema(draw(st.sampled_from(SCHEMAS)))
    names = list(schema.names) + [c.name for c in schema.long_columns]
    cols = draw(st.lists(st.sampled_from(names + ["extra", "name", "メモ"]), min_size=1, max_size=12, unique=True))
    n = draw(st.integers(0, 8))
    rows = [[draw(cell) for _ in cols] for _ in range(n)]
    comment = draw(st.booleans())
    return schema.name, cols, rows, comment


def _csv_line(fields) -> str:
    # csv.writer's QUOTE_MINIMAL by hand: Python 3.10's csv module cannot write a NUL character at all
    out = ['"' + f.replace('"', '""') + '"' if any(c in f for c in ',"\r\n') else f for f in map(str, fields)]
    return '""' if out == [""] else ",".join(out)


def write(cols, rows, comment) -> bytes:
    lines = (["# SYNTHETIC"] if comment else []) + [_csv_line(cols)] + [_csv_line(r) for r in rows]
    return "".join(line + "\n" for line in lines).encode("utf-8")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables(), st.booleans())
def test_load_never_crashes_and_never_loses_a_row(table, exclude_invalid):
    schema, cols, rows, comment = table
    data = write(cols, rows, comment)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "random.csv"
        path.write_bytes(data)
        try:
            t = load(path, schema, exclude_invalid=exclude_invalid)
        except SpinestatsError:
            return
        finally:
            assert path.read_bytes() == data  # the input is never modified
    assert isinstance(t, LoadedTable)
    prov = t.provenance
    assert prov.rows_read == len(t.data) + len(t.exclusions) == prov.rows_kept + prov.rows_excluded
    assert prov.rows_read + prov.blank_rows == len(rows)
    lines = sorted(list(t.data.index) + [e.line for e in t.exclusions])
    assert len(set(lines)) == len(lines)  # every row is in exactly one place
    if not exclude_invalid:
        assert t.exclusions == () and t.errors == ()
    assert "name" not in t.data.columns  # a direct identifier never comes through


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_schema_less(data):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "junk.csv"
        path.write_bytes(data)
        try:
            t = load(path)
        except SpinestatsError:
            return
    assert t.provenance.rows_read == len(t.data)

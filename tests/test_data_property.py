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


# -- mapping files and plans: random or malformed YAML never gives an unhandled exception ------------

import yaml  # noqa: E402

from spinestats.data_schemas.mapping import KEYS as MAPPING_KEYS  # noqa: E402

DSS_CSV = ("patient_id,reference,size_cm,boundary,lobulated,bone_destruction,腫瘍径,境界\n"
           "P1,benign,3.2,distinct,no,no,32,明瞭\nP2,malignant,6,indistinct,yes,yes,61,不明瞭\n")

scalar = st.one_of(st.none(), st.booleans(), st.integers(-3, 70), st.floats(allow_nan=True, allow_infinity=True),
                   st.sampled_from(["", "mm", "cm", "months", "GyE", "iso", "excel", "%d.%m.%Y", "%Q", "%Y-%m",
                                    ";", ",;", "\t", '"', "utf-8", "cp932", "klingon", "size_cm", "boundary",
                                    "patient_id", "腫瘍径", "境界", "明瞭", "distinct", "malignant", "wide", "long",
                                    "raw", "labels", "Sheet1", "dss", "cirt", "missing.csv"]),
                   st.text(max_size=6))
yaml_value = st.recursive(scalar, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.one_of(scalar.filter(lambda x: x is not None), inner.filter(
        lambda x: isinstance(x, (str, int, bool)))), inner, max_size=4)), max_leaves=12)


@st.composite
def mapping_docs(draw):
    keys = draw(st.lists(st.sampled_from(list(MAPPING_KEYS) + ["colums", "extra"]), max_size=6, unique=True))
    return {k: draw(yaml_value) for k in keys}


malformed_yaml = st.sampled_from([
    "columns: [", "{a: 1", "a: &x [*x]", "- - - ", "columns:\n  - a\n - b", "? [a]\n: b", "!!python/object:os.system x",
    "a: !!binary AAAA", "%YAML 9.9\n---\na: 1", "---\na: 1\n---\nb: 2", "\t columns: {}", "columns: {a: b, a: c}",
    "x: " + "[" * 80 + "]" * 80, "a: &a [1]\nb: *a\nc: *b",
])


def _doc_text(draw_doc, raw):
    if raw is not None:
        return raw
    try:
        return yaml.safe_dump(draw_doc, allow_unicode=True)
    except yaml.YAMLError:
        return "{}"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mapping_docs(), st.one_of(st.none(), malformed_yaml, st.text(max_size=40)), st.sampled_from([None, "dss"]))
def test_random_mapping_files_never_crash(doc, raw, schema):
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "export.csv"
        data.write_text(DSS_CSV, encoding="utf-8")
        mapping = Path(tmp) / "mapping.yaml"
        mapping.write_text(_doc_text(doc, raw), encoding="utf-8")
        try:
            t = load(data, schema, mapping=mapping, exclude_invalid=True)
        except SpinestatsError:
            return
    assert t.provenance.rows_read == len(t.data) + len(t.exclusions) == 2


@st.composite
def plan_docs(draw):
    doc: dict = {}
    if draw(st.booleans()):
        doc["schema_version"] = draw(st.sampled_from([1, 1, 1, 2, "1", None]))
    if draw(st.booleans()):
        doc["title"] = draw(yaml_value)
    if draw(st.booleans()):
        doc["seed"] = draw(st.one_of(st.integers(-5, 2**40), yaml_value))
    entry = st.fixed_dictionaries({"file": st.sampled_from(["export.csv", "missing.csv", "", "."])},
                                  optional={"schema": st.sampled_from(["dss", "cirt", "nope", None]),
                                            "mapping": st.sampled_from(["mapping.yaml", "none.yaml", ""]),
                                            "sheet": scalar, "encoding": scalar, "extra": scalar})
    if draw(st.booleans()):
        doc["data"] = draw(st.one_of(st.dictionaries(st.sampled_from(["dss", "x", ""]), entry, max_size=2), yaml_value))
    analysis = st.fixed_dictionaries({"type": st.sampled_from(["dss", "survival", "table_one", "nope", ""])},
                                     optional={"data": st.sampled_from(["dss", "x", ["dss"], None]),
                                               "key": scalar, "title": scalar, "bootstrap": scalar,
                                               "cutoff": scalar, "unknown_option": scalar})
    if draw(st.booleans()):
        doc["analyses"] = draw(st.one_of(st.lists(analysis, max_size=3), yaml_value))
    if draw(st.booleans()):
        doc["output"] = draw(st.one_of(st.fixed_dictionaries({}, optional={
            "figures": st.fixed_dictionaries({}, optional={"formats": yaml_value, "dpi": yaml_value,
                                                           "width": scalar}),
            "tables": yaml_value, "style": yaml_value}), yaml_value))
    if draw(st.booleans()):
        doc["prespecified"] = draw(st.one_of(st.fixed_dictionaries(
            {"score": scalar, "cutoff": scalar, "positive": scalar},
            optional={"primary_measures": yaml_value, "target_precision": yaml_value, "pooling": yaml_value,
                      "conf_level": scalar}), yaml_value))
    return doc


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan_docs(), st.one_of(st.none(), malformed_yaml, st.text(max_size=40)), mapping_docs())
def test_random_plans_never_crash(doc, raw, mapping_doc):
    from spinestats.data_schemas.plan_lock import plan_hash
    from spinestats.reports.plan_runner import check_plan, load_inputs

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "export.csv").write_text(DSS_CSV, encoding="utf-8")
        (folder / "mapping.yaml").write_text(_doc_text(mapping_doc, None), encoding="utf-8")
        plan = folder / "plan.yaml"
        plan.write_text(_doc_text(doc, raw), encoding="utf-8")
        try:
            plan_hash(plan)
            checked, _, unavailable = check_plan(plan, allow_missing=True)
            names = [n for n, e in checked.data.items() if e.file.is_file()]
            load_inputs(checked, names)
        except SpinestatsError:
            return

"""load(): schema rules and bad-input classes; every message names line, column and value."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spinestats.data_schemas.loading import load, require_columns
from spinestats.data_schemas.schema import get_schema
from spinestats.errors import DataError, SpinestatsError, UsageError
from spinestats.reports.output import OutputDir

DSS_HEADER = "patient_id,centre,histology,reference,size_cm,boundary,lobulated,bone_destruction,dss"
DSS_ROWS = [
    "P1,A,Neurinoma,benign,3.2,distinct,no,no,0",
    "P2,A,MPNST,malignant,6.0,indistinct,yes,yes,6",
    "P3,B,Neurinoma,benign,5.1,distinct,0,1,3",
]
CIRT_HEADER = ("patient_id,site,diagnosis_date,treatment_date,local_recurrence,local_recurrence_date,"
               "distant_metastasis,distant_metastasis_date,death,death_date,last_follow_up_date,"
               "total_dose_gye,fractions,separation_surgery")
CIRT_OK = "C1,lumbar,2019-12-01,2020-01-10,yes,2021-03-01,no,,yes,2022-05-01,2022-05-01,64,16,no"
FRACTURE_HEADER = ("patient_id,modality,total_dose_gy,fractions,sins_location,sins_pain,sins_bone_lesion,"
                   "sins_alignment,sins_collapse,sins_posterolateral,irradiation_date,vcf,vcf_date,death,"
                   "death_date,last_follow_up_date,baseline_fracture")
FRACTURE_OK = "F1,CIRT,64,16,2,1,2,0,0,1,2020-01-01,yes,2020-08-01,no,,2022-01-01,no"


def write(tmp_path: Path, text: str, name: str = "export.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def csv_text(header: str, rows: list[str], comment: str | None = None) -> str:
    lines = ([comment] if comment else []) + [header] + rows
    return "\n".join(lines) + "\n"


def only_problem(exc: DataError, rule: str):
    hits = [p for p in exc.problems if p.rule == rule]
    assert len(hits) >= 1, [p.message() for p in exc.problems]
    return hits


# -- a valid file -----------------------------------------------------------------------------------

def test_valid_dss_types_and_spreadsheet_line_numbers(tmp_path):
    path = write(tmp_path, csv_text(DSS_HEADER, DSS_ROWS, comment="# SYNTHETIC"))
    t = load(path, "dss")
    # the comment is line 1, the header line 2, so the first data row is line 3
    assert list(t.data.index) == [3, 4, 5]
    assert t.data["lobulated"].dtype == bool and t.data["bone_destruction"].tolist() == [False, True, True]
    assert t.data["size_cm"].tolist() == [3.2, 6.0, 5.1]
    assert str(t.data["dss"].dtype) == "Int64"
    assert t.data["reference"].tolist() == ["benign", "malignant", "benign"]
    assert t.exclusions == () and t.errors == ()
    prov = t.provenance
    assert prov.rows_read == 3 and prov.rows_kept == 3 and prov.schema == "dss" and prov.schema_version == 1
    assert prov.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert prov.encoding == "utf-8"
    for pkg in ("python", "spinestats", "numpy", "pandas", "scipy", "matplotlib", "charset-normalizer"):
        assert prov.versions[pkg]
    assert "statsmodels" not in prov.versions  # a test-time cross-check: it computes nothing in a run


def test_dates_are_datetimes_and_categories_canonical(tmp_path):
    path = write(tmp_path, csv_text(CIRT_HEADER, [CIRT_OK.replace("lumbar", "Lumbar")]))
    t = load(path, "cirt")
    assert t.data.at[2, "site"] == "lumbar"
    assert t.data["treatment_date"].dtype == "datetime64[ns]"
    assert t.data.at[2, "treatment_date"] == pd.Timestamp("2020-01-10")
    assert pd.isna(t.data.at[2, "distant_metastasis_date"])


# -- file-level problems -------------------------------------------------------------------------------

def test_unknown_schema_suggests_the_closest():
    with pytest.raises(UsageError, match=r"Unknown schema 'crit'.*dss, cirt, fracture, bkp, readers.*'cirt'"):
        get_schema("crit")


def test_missing_file_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="File not found"):
        load(tmp_path / "absent.csv", "dss")


def test_empty_file(tmp_path):
    with pytest.raises(DataError, match=r"export.csv: the file is empty") as e:
        load(write(tmp_path, ""), "dss")
    assert e.value.problems[0].rule == "empty file"


def test_header_only_names_the_header_line(tmp_path):
    with pytest.raises(DataError, match=r"header \(line 2\) but no data rows"):
        load(write(tmp_path, "# synthetic\n" + DSS_HEADER + "\n"), "dss")


def test_comment_only_file(tmp_path):
    with pytest.raises(DataError, match="only comment lines"):
        load(write(tmp_path, "# nothing here\n# at all\n"), "dss")


def test_missing_column_suggests_closest_and_mapping(tmp_path):
    text = csv_text(DSS_HEADER.replace("size_cm", "size"), DSS_ROWS)
    with pytest.raises(DataError) as e:
        load(write(tmp_path, text), "dss")
    (p,) = only_problem(e.value, "missing column")
    assert p.value == "size_cm" and p.line == 1
    assert "closest column in the file is 'size'" in p.expected and "mapping" in p.expected
    assert "size_cm" in str(e.value)


def test_wrong_encoding_names_the_line(tmp_path):
    text = csv_text(DSS_HEADER, [DSS_ROWS[0], "P2,福島,MPNST,malignant,6.0,indistinct,yes,yes,6"])
    path = write(tmp_path, text, encoding="cp932")
    with pytest.raises(DataError) as e:
        load(path, "dss", encoding="utf-8")
    assert "line 3" in str(e.value) and "cp932" in str(e.value)
    assert e.value.problems[0].line == 3 and e.value.problems[0].rule == "encoding"
    # undeclared: detected as CP932
    assert load(path, "dss").provenance.encoding == "cp932"


def test_undecodable_in_any_encoding(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes((DSS_HEADER + "\n").encode() + b"P1,\x81\x20\x81,x,benign,1,distinct,no,no,0\n")
    with pytest.raises(DataError, match=r"bad.csv, line 2: bytes .* not UTF-8, and no other encoding spinestats detects"):
        load(path, "dss")


# -- row rules -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "row, column, value, rule, expected",
    [
        ("P9,A,x,benighn,3,distinct,no,no,0", "reference", "benighn", "unknown code", "benign, malignant"),
        ("P9,A,x,benign,3,distinct,maybe,no,0", "lobulated", "maybe", "unknown code", "yes/no"),
        ("P9,A,x,benign,3.O,distinct,no,no,0", "size_cm", "3.O", "not a number", "number"),
        ("P9,A,x,benign,=1+1,distinct,no,no,0", "size_cm", "=1+1", "not a number", "number"),
        ("P9,A,x,benign,0,distinct,no,no,0", "size_cm", "0", "out of range", "> 0"),
        ("P9,A,x,benign,3,distinct,no,no,2.5", "dss", "2.5", "not an integer", "whole number"),
        ("P9,A,x,benign,3,distinct,no,no,7", "dss", "7", "out of range", "<= 6"),
        ("P9,A,x,,3,distinct,no,no,0", "reference", "", "required", "a value"),
    ],
)
def test_row_rule_messages_name_line_column_value(tmp_path, row, column, value, rule, expected):
    path = write(tmp_path, csv_text(DSS_HEADER, DSS_ROWS + [row]))
    with pytest.raises(DataError) as e:
        load(path, "dss")
    hits = [p for p in e.value.problems if p.rule == rule]
    assert len(hits) == 1, [p.message() for p in e.value.problems]
    p = hits[0]
    assert (p.line, p.column, p.value) == (5, column, value)
    assert expected in p.expected
    msg = p.message()
    assert "export.csv, line 5" in msg and f"column '{column}'" in msg and repr(value) in msg
    assert msg in str(e.value)


def test_mixed_units_hint(tmp_path):
    path = write(tmp_path, csv_text(DSS_HEADER, DSS_ROWS + ["P9,A,x,benign,55,distinct,no,no,2"]))
    with pytest.raises(DataError) as e:
        load(path, "dss")
    (p,) = only_problem(e.value, "out of range")
    assert (p.line, p.column, p.value) == (5, "size_cm", "55")
    assert "millimetres in a centimetre column" in p.expected and "units: {size_cm: mm}" in p.expected


def _pseudonym(value):
    """The pseudonym messages show for an ID, under the test session's study key (tests/conftest.py)."""
    import os

    from spinestats.data_schemas.privacy import KEY_ENV, pseudonymise

    return pseudonymise([value], os.environ[KEY_ENV])[0]


def test_duplicate_id_names_both_lines(tmp_path):
    path = write(tmp_path, csv_text(DSS_HEADER, DSS_ROWS + ["P1,B,x,benign,1,distinct,no,no,0"]))
    with pytest.raises(DataError) as e:
        load(path, "dss")
    hits = only_problem(e.value, "duplicate ID")
    # the value is the ID's pseudonym (the study key of the test session), never the raw ID
    p1 = _pseudonym("P1")
    assert [(p.line, p.column, p.value) for p in hits] == [(2, "patient_id", p1), (5, "patient_id", p1)]
    assert "also on line 5" in hits[0].expected and "also on line 2" in hits[1].expected


def test_dss_disagreeing_with_features(tmp_path):
    path = write(tmp_path, csv_text(DSS_HEADER, DSS_ROWS + ["P9,A,x,malignant,5.5,indistinct,yes,no,3"]))
    with pytest.raises(DataError) as e:
        load(path, "dss")
    (p,) = only_problem(e.value, "dss_matches_features")
    assert (p.line, p.column, p.value) == (5, "dss", 3) and "DSS 5 from the features" in p.expected


def test_cirt_impossible_date_order(tmp_path):
    bad = "C2,sacral,2020-03-01,2020-01-10,no,,no,,no,,2021-01-01,64,16,no"
    path = write(tmp_path, csv_text(CIRT_HEADER, [CIRT_OK, bad]))
    with pytest.raises(DataError) as e:
        load(path, "cirt")
    (p,) = only_problem(e.value, "dates_in_order")
    assert (p.line, p.column, p.value) == (3, "treatment_date", "2020-01-10")
    assert "diagnosis_date (2020-03-01" in p.expected


def test_cirt_nothing_after_death(tmp_path):
    bad = "C2,sacral,2020-01-01,2020-01-10,yes,2021-06-01,no,,yes,2021-01-01,2021-01-01,64,16,no"
    path = write(tmp_path, csv_text(CIRT_HEADER, [CIRT_OK, bad]))
    with pytest.raises(DataError) as e:
        load(path, "cirt")
    rules = {(p.rule, p.column) for p in e.value.problems}
    assert ("nothing_after_death", "local_recurrence_date") in rules
    p = [p for p in e.value.problems if p.rule == "nothing_after_death"][0]
    assert p.line == 3 and p.value == "2021-06-01"


def test_event_flag_without_date_and_date_without_flag(tmp_path):
    no_date = "C2,sacral,2020-01-01,2020-01-10,yes,,no,,no,,2021-01-01,64,16,no"
    no_flag = "C3,sacral,2020-01-01,2020-01-10,no,,no,2020-06-01,no,,2021-01-01,64,16,no"
    path = write(tmp_path, csv_text(CIRT_HEADER, [CIRT_OK, no_date, no_flag]))
    with pytest.raises(DataError) as e:
        load(path, "cirt")
    hits = only_problem(e.value, "event_needs_date")
    assert [(p.line, p.column, p.value) for p in hits] == [
        (3, "local_recurrence", "yes"), (4, "distant_metastasis_date", "2020-06-01")]
    assert "local_recurrence_date" in hits[0].expected


def test_unparseable_date_is_not_also_a_missing_date(tmp_path):
    row = "C2,sacral,2020-01-01,2020-01-10,yes,2021-02-30,no,,no,,2022-01-01,64,16,no"
    with pytest.raises(DataError) as e:
        load(write(tmp_path, csv_text(CIRT_HEADER, [CIRT_OK, row])), "cirt")
    assert [(p.rule, p.line, p.column, p.value) for p in e.value.problems] == [
        ("unparseable date", 3, "local_recurrence_date", "2021-02-30")]


def test_dose_plausible(tmp_path):
    row = "C2,sacral,2020-01-01,2020-01-10,no,,no,,no,,2022-01-01,64,2,no"
    with pytest.raises(DataError) as e:
        load(write(tmp_path, csv_text(CIRT_HEADER, [CIRT_OK, row])), "cirt")
    (p,) = only_problem(e.value, "dose_plausible")
    assert (p.line, p.column, p.value) == (3, "total_dose_gye", 64.0) and "= 32" in p.expected


def test_fracture_before_irradiation_and_sins_allowed(tmp_path):
    early = "F2,SBRT,24,2,2,1,2,0,0,1,2020-01-01,yes,2019-12-01,no,,2021-01-01,no"
    sins = "F3,SBRT,24,2,2,2,2,0,0,1,2020-01-01,no,,no,,2021-01-01,no"
    with pytest.raises(DataError) as e:
        load(write(tmp_path, csv_text(FRACTURE_HEADER, [FRACTURE_OK, early, sins])), "fracture")
    (p,) = only_problem(e.value, "dates_in_order")
    assert (p.line, p.column, p.value) == (3, "vcf_date", "2019-12-01") and "irradiation_date" in p.expected
    (p,) = only_problem(e.value, "not allowed")
    assert (p.line, p.column, p.value) == (4, "sins_pain", "2") and "0, 1, 3" in p.expected


def test_reader_scoring_a_case_twice(tmp_path):
    text = "case_id,reader,size_cm,boundary,lobulated,bone_destruction\nK1,R1,3,distinct,no,no\nK1,R2,3,distinct,no,no\nK1,R1,4,distinct,no,no\n"
    with pytest.raises(DataError) as e:
        load(write(tmp_path, text), "readers")
    hits = only_problem(e.value, "one_score_per_reader")
    k1 = _pseudonym("K1")  # the case ID is shown as its pseudonym, the reader as is
    assert [(p.line, p.value) for p in hits] == [(2, f"{k1} / R1"), (4, f"{k1} / R1")]
    assert hits[0].column == "case_id + reader"


def test_bkp_nrs_and_long_duplicates(tmp_path):
    text = "patient_id,visit,nrs\nB1,baseline,7\nB1,1m,2\nB1,1m,3\nB2,baseline,10.5\nB3,baseline,11\n"
    with pytest.raises(DataError) as e:
        load(write(tmp_path, text), "bkp")
    got = {(p.rule, p.line, p.value) for p in e.value.problems}
    b1 = _pseudonym("B1")
    assert {("one_row_per_visit", 3, f"{b1} / 1m"), ("one_row_per_visit", 4, f"{b1} / 1m"),
            ("not an integer", 5, "10.5"), ("out of range", 6, "11")} <= got


# -- nothing lost ------------------------------------------------------------------------------------

def test_exclusions_keep_every_row_accounted_for(tmp_path):
    rows = DSS_ROWS + ["P1,B,x,benign,1,distinct,no,no,0", "P8,A,x,unsure,1,distinct,no,no,0", "P9,A,x,benign,2,distinct,no,no,0"]
    t = load(write(tmp_path, csv_text(DSS_HEADER, rows)), "dss", exclude_invalid=True)
    assert t.provenance.rows_read == 6 == len(t.data) + len(t.exclusions)
    assert [e.line for e in t.exclusions] == [2, 5, 6]
    assert "duplicate ID" in t.exclusions[0].reason and f"'{_pseudonym('P1')}'" in t.exclusions[0].reason
    assert "'P1'" not in t.exclusions[0].reason
    assert t.exclusions[2].rules == ("unknown code",) and t.exclusions[2].centre == "A"
    assert list(t.data.index) == [3, 4, 7]
    assert t.data["lobulated"].dtype == bool
    assert t.provenance.rows_excluded == 3


def test_error_message_lists_all_problems_with_a_cap(tmp_path):
    rows = [f"P{i},A,x,bogus,1,distinct,no,no,0" for i in range(120)]
    with pytest.raises(DataError) as e:
        load(write(tmp_path, csv_text(DSS_HEADER, rows)), "dss")
    assert len(e.value.problems) == 120
    text = str(e.value)
    assert "120 problems on 120 rows" in text and "... and 70 more problems" in text
    assert "line 2, column 'reference': value 'bogus'" in text


# -- privacy and provenance -----------------------------------------------------------------------------

def test_direct_identifiers_are_dropped_with_a_warning(tmp_path):
    header = DSS_HEADER + ",patient name,生年月日,電話番号,MRN,address"
    rows = [r + ",Taro Yamada,1950-01-01,0240-00-0000,123456,Fukushima" for r in DSS_ROWS]
    path = write(tmp_path, csv_text(header, rows))
    before = path.read_bytes()
    t = load(path, "dss")
    dropped = {"patient name", "生年月日", "電話番号", "MRN", "address"}
    assert dropped.isdisjoint(t.data.columns)
    assert set(t.provenance.columns_dropped) == dropped
    assert {p.column for p in t.warnings if p.rule == "direct identifier"} == dropped
    assert not (t.data.astype(str) == "Taro Yamada").any().any()
    assert path.read_bytes() == before


def test_formula_like_text_is_warned_and_escaped_on_output(tmp_path):
    rows = DSS_ROWS[:2] + ["P3,A,=HYPERLINK(\"x\"),benign,1,distinct,no,no,0"]
    t = load(write(tmp_path, csv_text(DSS_HEADER, rows)), "dss")
    (p,) = [p for p in t.warnings if p.rule == "formula-like cell"]
    assert (p.line, p.column, p.value) == (4, "histology", '=HYPERLINK("x")')
    with OutputDir(tmp_path / "out") as out:
        out.write_csv("data.csv", t.data)
    assert "'=HYPERLINK" in (tmp_path / "out" / "data.csv").read_text()


# -- schema-less mode -------------------------------------------------------------------------------------

def test_schema_less_keeps_names_and_require_columns_suggests(tmp_path):
    path = write(tmp_path, "score,Truth,name\n3,1,A\n5,0,B\nNA,1,C\n")
    t = load(path)
    assert list(t.data.columns) == ["score", "Truth"]  # 'name' is a direct identifier
    assert t.data["score"].dtype == float and np.isnan(t.data.at[4, "score"])
    assert t.provenance.schema is None and t.provenance.rows_read == 3
    require_columns(t, ["score", "Truth"])
    with pytest.raises(DataError, match=r"'truth' - did you mean 'Truth'\?") as e:
        require_columns(t, ["score", "truth"])
    assert e.value.problems[0].value == "truth"


def test_user_errors_are_spinestats_errors(tmp_path):
    assert issubclass(DataError, SpinestatsError) and issubclass(UsageError, SpinestatsError)
    with pytest.raises(UsageError, match="unsupported file type"):
        load(write(tmp_path, "x", name="data.sav"), "dss")


def test_duplicate_header_and_ragged_rows(tmp_path):
    with pytest.raises(DataError) as e:
        load(write(tmp_path, csv_text(DSS_HEADER + ",size_cm", [r + ",4" for r in DSS_ROWS])), "dss")
    (p,) = e.value.problems
    assert (p.rule, p.line, p.column) == ("duplicate column", 1, "size_cm")
    with pytest.raises(DataError, match=r"1 row with more cells than the header.s 9 columns \(header on line 1\):\n  export.csv, line 5"):
        load(write(tmp_path, csv_text(DSS_HEADER, DSS_ROWS + [DSS_ROWS[0] + ",extra,cells"])), "dss")


def test_units_in_the_mapping_are_converted(tmp_path):
    # age recorded in months, size in mm: converted to the schema's years and cm
    header = "patient_id,modality,total_dose_gy,fractions,age,sins_location,sins_pain,sins_bone_lesion," \
             "sins_alignment,sins_collapse,sins_posterolateral,irradiation_date,vcf,vcf_date,death,death_date," \
             "last_follow_up_date,baseline_fracture"
    row = "F1,SBRT,2400,2,738,2,1,2,0,0,1,2020-01-01,no,,no,,2022-01-01,no"
    t = load(write(tmp_path, csv_text(header, [row])), "fracture",
             mapping={"units": {"age": "months", "total_dose_gy": "cGy"}})
    assert t.data.at[2, "age"] == pytest.approx(61.5, rel=1e-12)  # 738 months / 12
    assert t.data.at[2, "total_dose_gy"] == 24.0


def test_codes_per_column_and_missing_tokens(tmp_path):
    rows = ["P1,A,x,2,3,1,Y,N,", "P2,A,x,1,6,2,Y,Y,", "P3,A,x,9,6,2,Y,Y,"]
    mapping = {"codes": {"reference": {1: "benign", 2: "malignant"}, "boundary": {1: "distinct", 2: "indistinct"}}}
    with pytest.raises(DataError) as e:
        load(write(tmp_path, csv_text(DSS_HEADER, rows)), "dss", mapping=mapping)
    (p,) = e.value.problems
    assert (p.line, p.column, p.value, p.rule) == (4, "reference", "9", "unknown code")
    assert "1=benign, 2=malignant" in p.expected
    t = load(write(tmp_path, csv_text(DSS_HEADER, rows[:2])), "dss", mapping=mapping)
    assert t.data["reference"].tolist() == ["malignant", "benign"]
    assert t.data["dss"].isna().all()


def test_schema_less_large_path_and_leading_zero_ids(tmp_path, monkeypatch):
    from spinestats.data_schemas import reading

    path = write(tmp_path, "id,score,truth\n001,0.5,1\n002,1.5,0\n010,,1\n")
    monkeypatch.setattr(reading, "LARGE_CSV_BYTES", 0)  # the pyarrow path gives the same table
    t = load(path)
    assert t.data["id"].tolist() == ["001", "002", "010"]
    assert t.data["score"].dtype == float and t.data["score"].isna().tolist() == [False, False, True]
    assert t.data["truth"].tolist() == [1.0, 0.0, 1.0]


def test_pseudonymise_the_schemas_identifier_columns(tmp_path):
    from spinestats.data_schemas.privacy import pseudonymise, pseudonymise_columns

    t = load(write(tmp_path, csv_text(DSS_HEADER, DSS_ROWS)), "dss")
    assert get_schema("dss").identifiers() == ("patient_id",)
    assert get_schema("readers").identifiers() == ("case_id",)
    out = pseudonymise_columns(t.data, get_schema("dss").identifiers(), key="k")
    assert out["patient_id"].tolist() == pseudonymise(["P1", "P2", "P3"], "k")
    assert all(v.startswith("P-") and len(v) == 12 for v in out["patient_id"])
    assert t.data["patient_id"].tolist() == ["P1", "P2", "P3"]  # the loaded table is untouched


def test_missing_mapped_column_says_what_the_mapping_named(tmp_path):
    with pytest.raises(DataError) as e:
        load(write(tmp_path, csv_text(DSS_HEADER.replace("size_cm", "腫瘍"), DSS_ROWS)), "dss",
             mapping={"columns": {"腫瘍径": "size_cm"}})
    (p,) = e.value.problems
    assert p.rule == "missing column" and p.value == "size_cm"
    assert "the mapping names '腫瘍径' for it, but the file has no such column" in p.expected


def test_reader_dss_disagreeing_with_the_readers_features(tmp_path):
    text = ("case_id,reader,size_cm,boundary,lobulated,bone_destruction,dss\n"
            "K1,R1,5.2,indistinct,yes,no,5\nK1,R2,5.2,indistinct,yes,no,4\nK2,R1,,distinct,no,no,3\n")
    with pytest.raises(DataError) as e:
        load(write(tmp_path, text), "readers")
    (p,) = e.value.problems  # K2 has no size, so its DSS cannot be checked
    assert (p.rule, p.line, p.column, p.value) == ("dss_matches_features", 3, "dss", 4)


def _ids_csv(tmp_path, ids):
    path = tmp_path / "ids.csv"
    path.write_text("patient_id,reference,size_cm,boundary,lobulated,bone_destruction\n"
                    + "".join(f"{i},benign,3,distinct,no,no\n" for i in ids), encoding="utf-8")
    return path


@pytest.mark.parametrize("n", [50, 3000])  # few distinct IDs, and more than the C-scan threshold
def test_id_column_checks_with_many_distinct_values(tmp_path, n):
    ids = [f"P{i}" for i in range(n)]
    ids[7] = " P3 "   # line 9: strips to P3, a duplicate of line 5
    ids[20] = "NA"    # line 22: a missing token in a required column
    ids[30] = "=1+2"  # line 32: formula-like text, kept with a warning
    t = load(_ids_csv(tmp_path, ids), "dss", exclude_invalid=True, id_key="0123456789abcdef0123")
    assert [e.line for e in t.exclusions] == [5, 9, 22]
    assert [p.rule for p in t.errors] == ["duplicate ID", "duplicate ID", "required"]
    assert "also on line 9" in t.errors[0].expected and "also on line 5" in t.errors[1].expected
    warn = [p for p in t.problems if p.rule == "formula-like cell"]
    assert [(p.line, p.column) for p in warn] == [(32, "patient_id")]
    assert t.data.at[32, "patient_id"] == "=1+2" and t.data.at[3, "patient_id"] == "P1"
    assert t.provenance.rows_read == n and len(t.data) == n - 3


def test_id_column_without_problems_keeps_every_id(tmp_path):
    ids = [f"P{i:05d}" for i in range(2500)]
    t = load(_ids_csv(tmp_path, ids), "dss")
    assert t.data["patient_id"].tolist() == ids and not t.errors


def test_missing_token_among_many_ids_without_whitespace_is_required(tmp_path):
    ids = [f"P{i:05d}" for i in range(2500)]
    ids[20], ids[40] = "NA", ""  # lines 22 and 42: missing in a required column (found by the C scan)
    t = load(_ids_csv(tmp_path, ids), "dss", exclude_invalid=True)
    assert [(p.line, p.rule, p.column) for p in t.errors] == [(22, "required", "patient_id"),
                                                              (42, "required", "patient_id")]

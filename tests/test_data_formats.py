"""Reading exports as they really are: CP932 + Japanese mapping, BOM, XLSX, Excel dates, Parquet, REDCap."""

from __future__ import annotations

import datetime as dt
from importlib import resources
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from spinestats.data_schemas import reading
from spinestats.data_schemas.bkp_layout import bkp_to_long, bkp_to_wide
from spinestats.data_schemas.loading import load
from spinestats.data_schemas.mapping import load_mapping
from spinestats.data_schemas.redcap import HEADER, data_dictionary
from spinestats.data_schemas.schema import get_schema
from spinestats.errors import DataError, UsageError

EXAMPLE_MAPPING = Path(str(resources.files("spinestats.data_schemas.examples").joinpath("mapping_dss_ja.yaml")))

JA_EXPORT = (
    "患者ID,施設,組織型,良悪性,腫瘍径,境界,分葉状,骨破壊,DSS,患者氏名,カルテ番号\n"
    "J-1,福島,神経鞘腫,良性,32,明瞭,なし,なし,0,山田太郎,0012345\n"
    "J-2,福島,MPNST,悪性,61,不明瞭,あり,あり,6,佐藤花子,0012346\n"
    "J-3,会津,神経鞘腫,良性,不明,明瞭,なし,あり,,鈴木一郎,0012347\n"
)


def test_cp932_japanese_headers_via_the_shipped_mapping(tmp_path):
    path = tmp_path / "registry.csv"
    path.write_bytes(JA_EXPORT.encode("cp932"))
    t = load(path, "dss", mapping=EXAMPLE_MAPPING, exclude_invalid=True)
    assert t.provenance.encoding == "cp932" and t.provenance.mapping == "mapping_dss_ja.yaml"
    assert t.data["patient_id"].tolist() == ["J-1", "J-2"]
    assert t.data["size_cm"].tolist() == [3.2, 6.1]  # mm -> cm, exactly
    assert t.data["boundary"].tolist() == ["distinct", "indistinct"]
    assert t.data["reference"].tolist() == ["benign", "malignant"]
    assert t.data["lobulated"].tolist() == [False, True]
    assert {"患者氏名", "カルテ番号"} == set(t.provenance.columns_dropped)
    # 不明 is declared missing; size is required, so line 4 is excluded naming the column as in the file
    (ex,) = t.exclusions
    assert ex.line == 4 and "required: '腫瘍径'" in ex.reason
    assert t.source_columns["size_cm"] == "腫瘍径"


def test_japanese_code_unknown_names_the_file_column(tmp_path):
    path = tmp_path / "registry.csv"
    path.write_bytes(JA_EXPORT.replace("不明瞭", "やや不明瞭").encode("cp932"))
    with pytest.raises(DataError) as e:
        load(path, "dss", mapping=EXAMPLE_MAPPING)
    p = [p for p in e.value.problems if p.rule == "unknown code"][0]
    assert (p.line, p.column, p.value) == (3, "境界", "やや不明瞭")
    assert "明瞭=distinct" in p.expected


def test_mapping_errors_are_usage_errors(tmp_path):
    with pytest.raises(UsageError, match=r"unknown key 'colums' \(did you mean 'columns'\?\)"):
        load_mapping({"colums": {}})
    path = tmp_path / "x.csv"
    path.write_text("a\n1\n")
    with pytest.raises(UsageError, match=r"'size_mm', which is not a column of schema 'dss' \(did you mean 'size_cm'\?\)"):
        load(path, "dss", mapping={"columns": {"a": "size_mm"}})
    with pytest.raises(UsageError, match="unit 'inch'"):
        load_mapping({"units": {"size_cm": "inch"}})


def test_utf8_bom(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffscore,truth\n1,0\n".encode("utf-8"))
    t = load(path)
    assert list(t.data.columns) == ["score", "truth"] and t.provenance.encoding == "utf-8-sig"


def test_tsv_and_yes_no_codes(tmp_path):
    path = tmp_path / "x.tsv"
    path.write_text("case_id\treader\tlobulated\tbone_destruction\nK1\tR1\tY\tはい\nK2\tR1\tN\t有\n", encoding="utf-8")
    t = load(path, "readers")
    assert t.provenance.format == "tsv"
    assert t.data["lobulated"].tolist() == [True, False] and t.data["bone_destruction"].tolist() == [True, True]


def _workbook(path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active.title = "notes"
    wb.active.append(["not the data"])
    ws = wb.create_sheet("登録")
    ws.append(["# SYNTHETIC"])
    ws.append(["patient_id", "modality", "total_dose_gy", "fractions", "sins_location", "sins_pain",
               "sins_bone_lesion", "sins_alignment", "sins_collapse", "sins_posterolateral", "irradiation_date",
               "vcf", "vcf_date", "death", "death_date", "last_follow_up_date", "baseline_fracture"])
    ws.append(["F1", "CIRT", 64.0, 16, 2, 1, 2, 0, 0, 1, 43831, 1, 44000, 0, None, 44500, 0])
    ws.append(["F2", "SBRT", 24, 2, 2, 3, 2, 0, 0, 1, dt.datetime(2020, 1, 1), 0, None, 0, None, "2021-01-01", 0])
    ws.append([None] * 4)
    ws.append(["F3", "SBRT", 24, 2, 2, 3, 2, 0, 0, 1, 43831, 0, None, 0, None, 2958466, 0])
    wb.save(path)


def test_xlsx_sheet_and_excel_serial_dates(tmp_path):
    path = tmp_path / "fracture.xlsx"
    _workbook(path)
    t = load(path, "fracture", sheet="登録", mapping={"dates": "excel"}, exclude_invalid=True)
    assert t.provenance.sheet == "登録" and t.provenance.format == "xlsx"
    # Excel serial 43831 is 2020-01-01 (1900 date system); R: as.Date(43831, origin = "1899-12-30")
    assert t.data.at[3, "irradiation_date"] == pd.Timestamp("2020-01-01")
    assert t.data.at[3, "vcf_date"] == pd.Timestamp("2020-06-18")
    assert t.data.at[4, "irradiation_date"] == pd.Timestamp("2020-01-01")
    # the blank spreadsheet row 5 is not a record; row 6 has an out-of-range serial
    (ex,) = t.exclusions
    assert ex.line == 6 and "unparseable date: 'last_follow_up_date' = '2958466'" in ex.reason
    assert t.provenance.rows_read == 3


def test_xlsx_serials_without_declaration_are_refused(tmp_path):
    path = tmp_path / "fracture.xlsx"
    _workbook(path)
    with pytest.raises(DataError) as e:
        load(path, "fracture", sheet="登録")
    p = e.value.problems[0]
    assert (p.line, p.column, p.value, p.rule) == (3, "irradiation_date", "43831", "unparseable date")
    assert "dates: excel" in p.expected


def test_xlsx_unknown_sheet_lists_sheets(tmp_path):
    path = tmp_path / "fracture.xlsx"
    _workbook(path)
    with pytest.raises(UsageError, match=r"no sheet 'Data'; the workbook's sheets are: 'notes', '登録'"):
        load(path, "fracture", sheet="Data")


def test_parquet_keeps_types_and_counts_lines(tmp_path):
    path = tmp_path / "pain.parquet"
    pd.DataFrame({"patient_id": ["B1", "B1", "B2"], "visit": ["baseline", "1m", "baseline"],
                  "nrs": [7, 2, 11]}).to_parquet(path)
    with pytest.raises(DataError) as e:
        load(path, "bkp")
    (p,) = e.value.problems
    assert (p.line, p.column, p.value, p.rule) == (4, "nrs", 11, "out of range")
    t = load(path, "bkp", exclude_invalid=True)
    assert t.layout == "long" and t.data["arm"].tolist() == ["BKP", "BKP"]


def test_large_csv_path_gives_the_same_table(tmp_path, monkeypatch):
    rows = [f"P{i},A,x,{'benign' if i % 3 else 'malignant'},{1 + i % 7}.5,distinct,no,no,{2 if i % 7 >= 4 else 0}"
            for i in range(300)]
    rows[17] = rows[17].replace("distinct", "fuzzy")
    path = tmp_path / "big.csv"
    path.write_text("# c\npatient_id,centre,histology,reference,size_cm,boundary,lobulated,bone_destruction,dss\n"
                    + "\n".join(rows) + "\n", encoding="utf-8")
    small = load(path, "dss", exclude_invalid=True)
    monkeypatch.setattr(reading, "LARGE_CSV_BYTES", 0)
    large = load(path, "dss", exclude_invalid=True)
    pd.testing.assert_frame_equal(small.data, large.data)
    assert small.exclusions == large.exclusions and small.exclusions[0].line == 20


def test_redcap_raw_export_built_from_our_dictionary_loads_without_mapping(tmp_path):
    d = data_dictionary(get_schema("cirt"))
    assert tuple(d.columns) == HEADER and HEADER[:5] == (
        "Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label")
    assert d.iloc[0]["Variable / Field Name"] == "patient_id"
    zones = "".join(f",{int(4 <= z <= 8)}" for z in range(1, 13))
    header = ("patient_id,redcap_event_name,site,diagnosis_date,treatment_date,local_recurrence,"
              "local_recurrence_date,distant_metastasis,distant_metastasis_date,death,death_date,"
              "last_follow_up_date,total_dose_gye,fractions,separation_surgery"
              + "".join(f",wbb_zones___{z}" for z in range(1, 13))
              + "".join(f",wbb_layers___{x}" for x in "abcde") + ",cirt_complete")
    row = "C1,baseline_arm_1,lumbar,2020-01-01,2020-02-01,0,,0,,0,,2022-01-01,64,16,1" + zones + ",1,1,0,0,0,2"
    bad = "C2,baseline_arm_1,lumbar,2020-01-01,2020-02-01,0,,0,,0,,2022-01-01,64,16,1" + zones + ",1,2,0,0,0,2"
    path = tmp_path / "redcap.csv"
    path.write_text(header + "\n" + row + "\n", encoding="utf-8")
    t = load(path)  # schema-less still works
    t = load(path, "cirt")
    assert t.data.at[2, "wbb_zones"] == "4;5;6;7;8" and t.data.at[2, "wbb_layers"] == "A;B"
    assert t.data["separation_surgery"].tolist() == [True]
    assert t.data["redcap_event_name"].tolist() == ["baseline_arm_1"]  # REDCap bookkeeping kept as text
    path.write_text(header + "\n" + row + "\n" + bad + "\n", encoding="utf-8")
    with pytest.raises(DataError) as e:
        load(path, "cirt")
    (p,) = e.value.problems
    assert (p.line, p.column, p.value) == (3, "wbb_layers___b", "2")


def test_redcap_label_export_with_dictionary(tmp_path):
    d = data_dictionary(get_schema("dss"))
    dictionary = tmp_path / "dict.csv"
    d.to_csv(dictionary, index=False)
    labels = dict(zip(d["Variable / Field Name"], d["Field Label"]))
    cols = [labels[c] for c in ("patient_id", "reference", "size_cm", "boundary", "lobulated", "bone_destruction")]
    path = tmp_path / "labels.csv"
    path.write_text(",".join(f'"{c}"' for c in cols) + ",Complete?\nD1,malignant,6,indistinct,Yes,No,Complete\n",
                    encoding="utf-8")
    t = load(path, "dss", mapping={"redcap": {"dictionary": str(dictionary), "export": "labels"}})
    row = t.data.loc[2]
    assert (row["reference"], row["size_cm"], row["boundary"], row["lobulated"], row["bone_destruction"]) == (
        "malignant", 6.0, "indistinct", True, False)


def test_bkp_wide_long_round_trip():
    wide = pd.DataFrame({"patient_id": ["B1", "B2"], "arm": ["BKP", "control"],
                         "nrs_baseline": pd.array([7, 8], dtype="Int64"), "nrs_1m": pd.array([2, None], dtype="Int64"),
                         "nrs_final": pd.array([1, 6], dtype="Int64")})
    long = bkp_to_long(wide)
    assert long[["patient_id", "visit", "nrs"]].astype(str).values.tolist() == [
        ["B1", "baseline", "7"], ["B1", "1m", "2"], ["B1", "final", "1"], ["B2", "baseline", "8"], ["B2", "final", "6"]]
    back = bkp_to_wide(long)
    pd.testing.assert_frame_equal(back, wide)
    with pytest.raises(DataError, match="several rows for visit"):
        bkp_to_wide(pd.concat([long, long.iloc[:1]]))


def test_excel_unicode_text_utf16_tab_delimited(tmp_path):
    path = tmp_path / "export.txt"
    path.write_bytes("case_id\treader\tboundary\nK1\tR1\t明瞭\n".encode("utf-16"))
    t = load(path, "readers", mapping={"codes": {"boundary": {"明瞭": "distinct"}}})
    assert t.provenance.encoding == "utf-16" and t.provenance.format == "tsv"
    assert t.data["boundary"].tolist() == ["distinct"]


def test_excel_serials_before_march_1900_are_refused():
    from spinestats.data_schemas.conversion import Converter
    from spinestats.data_schemas.schema import Column

    conv = Converter("f.csv", date_format="excel")
    raw = pd.Series(["60", "61", "43831", "2020/01/05"], index=[2, 3, 4, 5])
    d = conv.date(raw, Column("d", "date"), "Date")
    assert pd.isna(d[2]) and d[3] == pd.Timestamp("1900-03-01") and d[4] == pd.Timestamp("2020-01-01")
    assert d[5] == pd.Timestamp("2020-01-05")
    (p,) = conv.problems
    assert (p.line, p.column, p.value, p.rule) == (2, "Date", "60", "unparseable date")


def test_bound_messages_say_the_unit_was_converted(tmp_path):
    path = tmp_path / "registry.csv"
    path.write_bytes(JA_EXPORT.replace(",32,", ",0,").replace(",61,", ",610,").encode("cp932"))
    with pytest.raises(DataError) as e:
        load(path, "dss", mapping=EXAMPLE_MAPPING)
    zero, big = [p for p in e.value.problems if p.rule == "out of range"]
    assert (zero.line, zero.column, zero.value) == (2, "腫瘍径", "0")
    assert zero.expected == "a value > 0 cm (the file's values are in mm, converted to cm)"
    assert (big.line, big.value) == (3, "610") and "<= 50 cm (the file's values are in mm" in big.expected


def _cirt_rows(n: int) -> list[str]:
    rows = []
    for i in range(n):
        dead = i % 4 == 0
        rows.append(f"C{i:05d},C{i % 3},chordoma,{'lumbar' if i % 2 else 'sacral'},{40 + i % 30}.5,"
                    f"{'male' if i % 3 else 'female'},2019-01-{1 + i % 20:02d},2019-02-{1 + i % 20:02d},no,,no,,"
                    f"{'yes' if dead else 'no'},{'2021-05-01' if dead else ''},2021-05-01,64,16,30.0,no,4-8,A-C")
    return rows


CIRT_HEADER = ("patient_id,centre,histology,site,age,sex,diagnosis_date,treatment_date,local_recurrence,"
               "local_recurrence_date,distant_metastasis,distant_metastasis_date,death,death_date,"
               "last_follow_up_date,total_dose_gye,fractions,cord_max_dose_gye,separation_surgery,wbb_zones,wbb_layers")


def _both_paths(path, monkeypatch, **kw):
    """The table through the exact reader and through the chunked pyarrow reader (tiny chunks)."""
    monkeypatch.setattr(reading, "LARGE_CSV_BYTES", 10 ** 12)
    exact = _load_or_error(path, **kw)
    monkeypatch.setattr(reading, "LARGE_CSV_BYTES", 0)
    monkeypatch.setattr(reading, "CHUNK_BYTES", 997)  # many pieces: dictionaries merged across them
    fast = _load_or_error(path, **kw)
    monkeypatch.setattr(reading, "CHUNK_BYTES", 101)  # pieces shorter than the header line
    assert _load_or_error(path, **kw) == fast if isinstance(fast, tuple) else True
    return exact, fast


def _load_or_error(path, **kw):
    try:
        return load(path, "cirt", **kw)
    except DataError as e:
        return e.problems


def test_chunked_reader_gives_the_exact_readers_table_and_problems(tmp_path, monkeypatch):
    rows = _cirt_rows(400)
    rows[9] = rows[9].replace(",64,16,", ",640,16,")          # line 12 (comment, header): out of range
    rows[199] = rows[199].replace("lumbar", "neck")            # line 202: unknown code
    rows[201] = rows[201].replace("C00201", "C00007")          # duplicate ID with line 10
    rows[300] = rows[300].replace("2019-02-01", "2019-13-01")  # unparseable date (if present)
    path = tmp_path / "cirt.csv"
    path.write_text("# export\n" + CIRT_HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    exact, fast = _both_paths(path, monkeypatch)
    assert isinstance(exact, tuple) and exact == fast
    shown = {(p.line, p.column, p.value, p.rule) for p in exact}
    assert (12, "total_dose_gye", "640", "out of range") in shown
    assert (202, "site", "neck", "unknown code") in shown
    exact, fast = _both_paths(path, monkeypatch, exclude_invalid=True)
    pd.testing.assert_frame_equal(exact.data, fast.data)
    assert exact.exclusions == fast.exclusions and exact.provenance == fast.provenance
    assert fast.provenance.rows_read == 400 and fast.data.index[0] == 3


def test_chunked_reader_keeps_spreadsheet_rows_after_a_multi_line_cell(tmp_path, monkeypatch):
    rows = _cirt_rows(60)
    rows[4] = rows[4].replace(",chordoma,", ',"chordoma\nsecond line, with a comma",')  # one row, two lines
    rows[31] = rows[31].replace("lumbar", "neck")  # spreadsheet row 33 (text line 34)
    path = tmp_path / "cirt.csv"
    path.write_text(CIRT_HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8-sig")
    exact, fast = _both_paths(path, monkeypatch, exclude_invalid=True)
    pd.testing.assert_frame_equal(exact.data, fast.data)
    assert exact.exclusions == fast.exclusions
    assert [e.line for e in fast.exclusions] == [33]
    assert fast.data.at[6, "histology"] == "chordoma\nsecond line, with a comma"
    assert fast.provenance.encoding == "utf-8-sig"


@pytest.mark.parametrize("damage", ["blank line", "ragged row", "short row", "cp932", "all-empty record",
                                    "bad UTF-8 late", "CR line ends", "quote late"])
def test_chunked_reader_falls_back_to_the_exact_reader(tmp_path, monkeypatch, damage):
    rows = _cirt_rows(80)
    text = CIRT_HEADER + "\n" + "\n".join(rows) + "\n"
    if damage == "blank line":
        text = text.replace(rows[10] + "\n", rows[10] + "\n\n")
    elif damage == "ragged row":
        text = text.replace(rows[10], rows[10] + ",extra")
    elif damage == "short row":
        text = text.replace(rows[10], rows[10].rsplit(",", 1)[0])
    elif damage == "all-empty record":
        text = text.replace(rows[10] + "\n", rows[10] + "\n" + "," * 20 + "\n")
    elif damage == "CR line ends":
        text = text.replace("\n", "\r")
    elif damage == "quote late":  # a multi-line quoted cell after many unquoted pieces
        text = text.replace(rows[70], rows[70].replace(",chordoma,", ',"chordoma\nspans, lines",'))
    data = text.replace("chordoma", "脊索腫").encode("cp932" if damage == "cp932" else "utf-8")
    if damage == "bad UTF-8 late":
        data = data.replace(rows[75].encode(), rows[75].encode().replace(b"lumbar", b"lumb\xff"))
    path = tmp_path / "cirt.csv"
    path.write_bytes(data)
    exact, fast = _both_paths(path, monkeypatch, exclude_invalid=True)
    if isinstance(exact, tuple):
        assert exact == fast
    else:
        pd.testing.assert_frame_equal(exact.data, fast.data)
        assert exact.exclusions == fast.exclusions and exact.provenance == fast.provenance

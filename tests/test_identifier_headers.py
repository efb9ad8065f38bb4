"""Direct-identifier columns are recognised by their headers (English and Japanese) and dropped;
mapped fields whose values look like names or birth dates are warned about without echoing
them (issue 14)."""

import subprocess
import sys

import pandas as pd
import pytest

from spinestats.data_schemas.examples import cohort_dss
from spinestats.data_schemas.identifiers import looks_like_identifier, personal_values
from spinestats.data_schemas.loading import load

IDENTIFIER_HEADERS = [
    # Japanese
    "氏名", "姓", "名", "カナ", "フリガナ", "ﾌﾘｶﾞﾅ", "ふりがな", "患者ID", "患者ＩＤ", "診察券番号", "電話", "電話番号", "携帯",
    "携帯電話", "住所", "郵便番号", "〒", "生年月日", "患者氏名", "氏名カナ", "氏名（カナ）", "カルテ番号", "カルテNo",
    "保険証番号", "患者名", "名前", "連絡先", "メールアドレス", "旧姓", "誕生日",
    # English
    "first_name", "Last Name", "given name", "Family-Name", "surname", "Forename", "Initials", "DOB", "birth_date",
    "Date of Birth", "address", "home_address", "Street", "ZIP", "zip_code", "postcode", "Post Code", "phone", "Tel",
    "mobile", "cell_phone", "fax", "e-mail", "Email Address", "MRN", "hospital number", "Hospital No", "NHS number",
    "NHS No", "SSN", "social_security_number", "patient_name", "Name", "middle_name", "passport_no",
    "Insurance number", "national_id",
]
#: look-alikes that name a thing, not a person, and must stay
KEPT_HEADERS = ["histology_name", "drug_name", "centre_name", "center_name", "hospital_name", "site_name",
                "redcap_event_name", "病名", "施設名", "診断名", "術式名", "性別", "年齢", "patient_id", "case_id",
                "mobility_score", "cell_type", "size_cm", "reference", "dss", "boundary", "birads"]


def test_more_than_30_identifier_headers_are_recognised():
    assert len(IDENTIFIER_HEADERS) >= 30
    assert [h for h in IDENTIFIER_HEADERS if not looks_like_identifier(h)] == []


def test_look_alikes_are_kept():
    assert [h for h in KEPT_HEADERS if looks_like_identifier(h)] == []


def test_every_identifier_column_is_dropped_on_load_and_named_in_a_warning(tmp_path):
    d = pd.read_csv(cohort_dss.__file__.replace("cohort_dss.py", "synthetic_dss.csv"), comment="#", dtype=str).head(12)
    for i, h in enumerate(IDENTIFIER_HEADERS):
        d[h] = [f"SECRET{i:02d}-{j}" for j in range(len(d))]
    d["histology_name"] = "x"
    path = tmp_path / "wide.csv"
    d.to_csv(path, index=False, encoding="utf-8")
    t = load(path, schema="dss")
    assert not set(IDENTIFIER_HEADERS) & set(t.data.columns)
    assert "histology_name" in t.data.columns
    assert set(t.provenance.columns_dropped) == set(IDENTIFIER_HEADERS)
    assert {p.column for p in t.warnings if p.rule == "direct identifier"} == set(IDENTIFIER_HEADERS)
    assert not t.data.astype(str).apply(lambda c: c.str.contains("SECRET")).any().any()


@pytest.mark.parametrize("values,kind", [
    (["Taro Yamada", "Hanako Suzuki", "John Smith", "Mary O'Brien", "YAMADA Taro"], "personal names"),
    (["山田 太郎", "鈴木\u3000花子", "佐藤 一郎", "ヤマダ タロウ"], "personal names"),
    (["1948-03-02", "1951/11/30", "昭和23年3月2日", "S23.3.2"], "dates (of birth?)"),
    (["Malignant myoepithelioma", "Chordoma", "Ewing Sarcoma", "Ewing Sarcoma", "Chordoma", "Chordoma"], None),
    (["Tokyo Hospital", "Tokyo Hospital", "Osaka Centre", "Osaka Centre", "Tokyo Hospital"], None),  # repeat: codes
    (["distinct", "indistinct", "distinct"], None),
    (["骨肉腫", "脊索腫", "軟骨肉腫"], None),
])
def test_personal_value_patterns(values, kind):
    assert personal_values(values) == kind


def test_birth_dates_in_a_date_field():
    assert personal_values((), date_field=True, years=[1944, 1950, 1961, 2001]) == "birth dates"
    assert personal_values((), date_field=True, years=[1996, 2004, 2010, 1968]) is None


def test_a_name_column_mapped_onto_a_field_is_warned_about_and_never_echoed(tmp_path):
    d = pd.read_csv(cohort_dss.__file__.replace("cohort_dss.py", "synthetic_dss.csv"), comment="#", dtype=str).head(20)
    names = ["Zebulon Quixotic", "Hanako Suzuki", "Ichiro Tanaka", "Maria Gonzalez", "John Smith"] * 4
    names = [f"{n.split()[0]} {n.split()[1]}{'abcdefghijklmnopqrst'[i]}" for i, n in enumerate(names)]
    d["氏名"] = names
    d = d.drop(columns=["boundary"])
    path = tmp_path / "mapped.csv"
    d.to_csv(path, index=False)
    mapping = tmp_path / "m.yaml"
    mapping.write_text("columns:\n  氏名: boundary\n", encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "spinestats", "check", str(path), "--schema", "dss", "--mapping",
                        str(mapping)], capture_output=True, text=True)
    assert r.returncode == 1  # the names are not boundary codes
    out = r.stdout + r.stderr
    assert "look like personal names" in out and "氏名" in out
    assert "Zebulon" not in out and "Quixotic" not in out and "Suzuki" not in out
    r = subprocess.run([sys.executable, "-m", "spinestats", "dss", str(path), "--mapping", str(mapping), "--out",
                        str(tmp_path / "o"), "--figure-format", "svg"], capture_output=True, text=True)
    outputs = "".join(p.read_text(errors="replace") for p in (tmp_path / "o").rglob("*") if p.is_file()) \
        if (tmp_path / "o").exists() else ""
    assert "Zebulon" not in r.stdout + r.stderr + outputs and "Suzuki" not in r.stdout + r.stderr + outputs


def test_demo_cohorts_raise_no_personal_data_warning():
    from pathlib import Path

    folder = Path(cohort_dss.__file__).parent
    for name, schema in [("synthetic_dss.csv", "dss"), ("synthetic_cirt.csv", "cirt"), ("synthetic_fracture.csv", "fracture"),
                         ("synthetic_bkp.csv", "bkp"), ("synthetic_readers.csv", "readers"),
                         ("synthetic_multicenter.csv", "dss")]:
        t = load(folder / name, schema=schema, exclude_invalid=True)
        assert [p for p in t.warnings if p.rule == "looks like personal data"] == [], name


# Output files, folders and privacy: not re-run under the second BLAS kernel (.ci/run).
pytestmark = pytest.mark.outputs

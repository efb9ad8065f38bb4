"""Japanese era (wareki) and 年月日 dates, read when the mapping declares ``dates: japanese_era``."""

import datetime as dt

import pandas as pd
import pytest

from spinestats.data_schemas.conversion import Converter
from spinestats.data_schemas.examples import cohort_cirt
from spinestats.data_schemas.japanese_dates import parse
from spinestats.data_schemas.loading import load
from spinestats.data_schemas.schema import Column
from spinestats.errors import DataError


@pytest.mark.parametrize("text, iso", [
    # era boundaries: Heisei ended 2019-04-30, Reiwa began 2019-05-01; Showa 64 ended 1989-01-07
    ("H31.4.30", "2019-04-30"), ("R1.5.1", "2019-05-01"), ("S64.1.7", "1989-01-07"), ("H1.1.8", "1989-01-08"),
    ("平成31年4月30日", "2019-04-30"), ("令和元年5月1日", "2019-05-01"), ("昭和64年1月7日", "1989-01-07"),
    ("平成元年1月8日", "1989-01-08"), ("大正15年12月24日", "1926-12-24"), ("S1.12.25", "1926-12-25"),
    ("T1.7.30", "1912-07-30"), ("H31年4月30日", "2019-04-30"), ("r2/2/29", "2020-02-29"), ("Ｈ３１．４．３０", "2019-04-30"),
    ("2015年7月29日", "2015-07-29"), ("２０１５年７月２９日", "2015-07-29"), ("2015/7/29", "2015-07-29"),
])
def test_valid_japanese_dates(text, iso):
    d, note = parse(text)
    assert d == dt.date.fromisoformat(iso) and note is None


@pytest.mark.parametrize("text, reason", [
    ("H1.1.7", "Heisei began on 1989-01-08"),     # still Showa 64
    ("R1.4.30", "Reiwa began on 2019-05-01"),     # still Heisei 31
    ("S64.1.8", "Showa ended on 1989-01-07"),
    ("T15.12.25", "Taisho ended on 1926-12-24"),
    ("H31.2.29", "not a calendar date"),          # 2019 is no leap year
    ("2015年2月30日", "not a calendar date"),
    ("H0.1.1", "year 0 does not exist"),
    ("X3.1.1", "not a date"),
    ("平成", "not a date"),
])
def test_invalid_japanese_dates(text, reason):
    d, why = parse(text)
    assert d is None and reason in why


def test_heisei_overflow_is_read_and_listed():
    # H32.7.3: Heisei counted on past its end (2019-04-30), as some hospital systems write; 1988 + 32 = 2020
    d, note = parse("H32.7.3")
    assert d == dt.date(2020, 7, 3) and "read as 2020-07-03" in note
    conv = Converter("f.csv", date_format="japanese_era")
    raw = pd.Series(["H32.7.3", "R2.7.3", "H1.1.7", None], index=[2, 3, 4, 5])
    out = conv.date(raw, Column("d", "date"), "診断日")
    assert out[2] == out[3] == pd.Timestamp("2020-07-03") and pd.isna(out[4]) and pd.isna(out[5])
    warn, err = sorted(conv.problems, key=lambda p: p.severity, reverse=True)
    assert (warn.line, warn.severity, warn.rule) == (2, "warning", "Heisei date after the era ended")
    assert (err.line, err.severity, err.value) == (4, "error", "H1.1.7")
    assert "Heisei began on 1989-01-08" in err.expected


def test_wareki_alias_and_undeclared_hint():
    conv = Converter("f.csv", date_format="wareki")
    assert conv.date(pd.Series(["R1.5.1"], index=[2]), Column("d", "date"), "d")[2] == pd.Timestamp("2019-05-01")
    # without the declaration the date is refused and the hint names the mapping option
    conv = Converter("f.csv")
    out = conv.date(pd.Series(["2019-05-01", "H31.4.30"], index=[2, 3]), Column("d", "date"), "d")
    assert out[2] == pd.Timestamp("2019-05-01") and pd.isna(out[3])
    (p,) = conv.problems
    assert p.line == 3 and "dates: japanese_era" in p.expected
    # a plain typo gets no Japanese hint
    conv = Converter("f.csv")
    conv.date(pd.Series(["2019-13-45"], index=[2]), Column("d", "date"), "d")
    assert "japanese_era" not in conv.problems[0].expected


def _wareki(ts) -> str:
    if pd.isna(ts):
        return ""
    d = ts.date()
    for letter, first, offset in (("R", dt.date(2019, 5, 1), 2018), ("H", dt.date(1989, 1, 8), 1988),
                                  ("S", dt.date(1926, 12, 25), 1925)):
        if d >= first:
            return f"{letter}{d.year - offset}.{d.month}.{d.day}"
    raise AssertionError(d)


def test_cirt_export_with_wareki_dates_loads_like_iso(tmp_path):
    iso = tmp_path / "iso.csv"
    jp = tmp_path / "jp.csv"
    df = cohort_cirt.make().head(12)
    df.to_csv(iso, index=False)
    a = load(iso, "cirt")
    dates = [c for c in df.columns if c.endswith("_date")]
    w = df.copy()
    for c in dates:
        w[c] = pd.to_datetime(df[c]).map(_wareki)
    w.to_csv(jp, index=False)
    b = load(jp, "cirt", mapping={"dates": "japanese_era"})
    pd.testing.assert_frame_equal(a.data, b.data)
    with pytest.raises(DataError) as e:
        load(jp, "cirt")
    assert all("dates: japanese_era" in p.expected for p in e.value.problems if p.rule == "unparseable date")


@pytest.mark.parametrize("values, fragment", [
    (["31.12.2020", "2.1.2021"], 'declare dates: "%d.%m.%Y"'),
    (["12/31/2020"], 'declare dates: "%m/%d/%Y"'),
    (["05/06/2020"], 'dates: "%d/%m/%Y" (day first) or dates: "%m/%d/%Y" (month first)'),
    (["平成31年4月30日"], "dates: japanese_era"),
])
def test_unparsed_date_hint_names_the_mapping_option(values, fragment):
    conv = Converter("f.csv")
    conv.date(pd.Series(values, index=range(2, 2 + len(values))), Column("d", "date"), "d")
    assert conv.problems and all(fragment in p.expected for p in conv.problems)
    # and the named declaration reads them
    fmt = fragment.split('"')[1] if '"' in fragment else "japanese_era"
    ok = Converter("f.csv", date_format=fmt)
    out = ok.date(pd.Series(values, index=range(2, 2 + len(values))), Column("d", "date"), "d")
    assert out.notna().all() and not ok.problems

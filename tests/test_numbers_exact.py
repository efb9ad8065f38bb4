"""Numbers read from text are the doubles nearest to their decimal text (correctly rounded).

A Python program writes a double as the shortest text that reads back as the same double
(``repr``: up to 17 significant digits).  pandas' ``to_numeric`` reads such a text a unit in
the last place off for about four in ten random doubles; the loader must give back the very
double that was written, from CSV as from Parquet, with or without a schema, and so must the
commands that parse a column a user's table holds as text (``to_numeric``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spinestats.data_schemas import reading
from spinestats.data_schemas.loading import load
from spinestats.text_numbers import numbers, to_numeric

CIRT_HEADER = ("patient_id,site,diagnosis_date,treatment_date,local_recurrence,local_recurrence_date,"
               "distant_metastasis,distant_metastasis_date,death,death_date,last_follow_up_date,"
               "total_dose_gye,fractions,separation_surgery,age,cord_max_dose_gye")


def _doubles(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.uniform(18, 88, n)


def test_the_shortest_texts_of_doubles_read_back_as_themselves():
    """pandas 2's parser reads about 4 in 10 of these texts a unit in the last place off."""
    x = _doubles(400, 11)
    text = np.array([repr(float(v)) for v in x], dtype=object)
    assert np.array_equal(numbers(text), x)
    assert all(float(t) == v for t, v in zip(text, numbers(text)))  # Python's own reading


def test_which_texts_are_numbers_is_unchanged():
    text = np.array(["1_000", "NAN", "0x1A", "1.5e", "1e400", "inf", "-Infinity", "+5", ".5", "5.", "-0", None,
                     "0.30000000000000004", "٣", "0.0000000000000000000000000000000000000000000000001e-270"],
                    dtype=object)
    got = numbers(text)
    assert np.isnan(got[[0, 1, 2, 3, 4, 11, 13]]).all()  # not numbers, as pandas decides
    assert got[5] == np.inf and got[6] == -np.inf
    assert got[7:10].tolist() == [5.0, 0.5, 5.0]
    assert got[10] == 0.0 and np.signbit(got[10])  # pandas' sign of zero is kept
    assert got[12] == 0.1 + 0.2
    assert got[14] == 1e-319  # pandas reads this subnormal as 0.0


@pytest.mark.parametrize("large", [False, True], ids=["exact reader", "pyarrow reader"])
def test_schema_columns_read_back_the_written_doubles(tmp_path, monkeypatch, large):
    if large:
        monkeypatch.setattr(reading, "LARGE_CSV_BYTES", 0)
    n = 300
    age = _doubles(n, 5)
    cord = _doubles(n, 6) / 2
    rows = [f"C{i},lumbar,2019-12-01,2020-01-10,no,,no,,no,,2022-05-01,64,16,no,{float(age[i])!r},{float(cord[i])!r}"
            for i in range(n)]
    path = tmp_path / "cirt.csv"
    path.write_text(CIRT_HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    t = load(path, "cirt")
    assert np.array_equal(t.data["age"].to_numpy(), age)
    assert np.array_equal(t.data["cord_max_dose_gye"].to_numpy(), cord)
    # the same rows as Parquet (stored as doubles) give the same table
    pq = tmp_path / "cirt.parquet"
    pd.read_csv(path, dtype=str, keep_default_na=False).to_parquet(pq, index=False)
    from_pq = load(pq, "cirt")
    assert np.array_equal(from_pq.data["age"].to_numpy(), age)


def test_schema_less_columns_read_back_the_written_doubles(tmp_path):
    x = _doubles(500, 7) * 1e-3
    path = tmp_path / "any.csv"
    pd.DataFrame({"x": x, "k": np.arange(500)}).to_csv(path, index=False)
    t = load(path)
    assert np.array_equal(t.data["x"].to_numpy(), x)
    assert t.data["k"].tolist() == list(range(500))


def test_a_unit_conversion_starts_from_the_exact_value(tmp_path):
    from spinestats.data_schemas.conversion import Converter
    from spinestats.data_schemas.schema import get_schema

    col = next(c for c in get_schema("dss").columns if c.name == "size_cm")
    raw = pd.Series(["61.000000000000007", "0.30000000000000004"], index=[2, 3], dtype=object)
    got = Converter("f.csv").number(raw, col, "size", "mm").to_numpy()
    assert got.tolist() == [float("61.000000000000007") / 10, float("0.30000000000000004") / 10]


def test_an_excel_serial_just_before_midnight_stays_on_its_day():
    """41861.999999999994780 is a moment before the end of day 41861 (2014-08-10); pandas' parser
    reads it as 41862.0, a day late."""
    from spinestats.data_schemas.conversion import EXCEL_ORIGIN, Converter
    from spinestats.data_schemas.schema import get_schema

    col = next(c for c in get_schema("cirt").columns if c.name == "treatment_date")
    text = "41861.999999999994780"
    raw = pd.Series([text, "41862"], index=[2, 3], dtype=object)
    got = Converter("f.csv", date_format="excel").date(raw, col, "start")
    assert got.tolist() == [pd.Timestamp("2014-08-10"), pd.Timestamp("2014-08-11")]
    assert EXCEL_ORIGIN + pd.Timedelta(41861, unit="D") == pd.Timestamp("2014-08-10")


def test_xlsx_numbers_read_back_exactly(tmp_path):
    """An XLSX cell holds a double (openpyxl stores 16 significant digits); the reader shows it as its
    shortest text (``repr``), which must read back as the double the cell holds."""
    import openpyxl

    x = _doubles(600, 8) / 7
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["x", "k"])
    for i, v in enumerate(x):
        ws.append([float(v), i])
    path = tmp_path / "any.xlsx"
    wb.save(path)
    stored = np.array([r[0] for r in openpyxl.load_workbook(path).active.iter_rows(min_row=2, values_only=True)])
    t = load(path)
    assert np.array_equal(t.data["x"].to_numpy(), stored)


def test_to_numeric_keeps_pandas_decisions_and_types_and_reads_each_text_exactly():
    x = _doubles(400, 12) / 3
    texts = [repr(float(v)) for v in x] + ["x", None, " 1.5 ", "1e400"]
    col = pd.Series(texts, index=range(10, 10 + len(texts)), name="risk", dtype=object)
    got = to_numeric(col, errors="coerce")
    theirs = pd.to_numeric(col, errors="coerce")
    assert (got.index.equals(col.index), got.name, got.dtype) == (True, "risk", np.dtype(float))
    assert np.array_equal(got.to_numpy()[:400], x)
    if int(pd.__version__.split(".")[0]) < 3:  # what the commands read before (pandas 3's parser is exact)
        assert not np.array_equal(theirs.to_numpy()[:400], x)
    assert np.isnan(got.to_numpy()[[400, 401, 403]]).all() and got.iloc[402] == 1.5
    # whole numbers stay integers; numbers stay as they are; pandas' string type keeps its nullable floats
    assert to_numeric(pd.Series(["3", "4"], dtype=object)).dtype == np.int64
    assert to_numeric(pd.Series([0.5, 2.0])).tolist() == [0.5, 2.0]
    s = to_numeric(pd.Series(["0.30000000000000004", None], dtype="string"), errors="coerce")
    assert s.dtype == "Float64" and s.iloc[0] == 0.1 + 0.2 and s.isna().iloc[1]
    assert to_numeric(pd.Series(pd.Categorical(["0.30000000000000004", "2"]))).iloc[0] == 0.1 + 0.2
    with pytest.raises(ValueError):
        to_numeric(pd.Series(["0.5", "x"], dtype=object))


def test_validate_reads_a_risk_column_held_as_text_exactly():
    """A risk column with one cell that is not a number stays text in a schema-less load; the
    validation excludes that row and reads every other risk as the double written."""
    from spinestats.reports.validate_job import RISK, ValidateOptions, prepare

    n = 60
    risk = _doubles(n, 13) / 100
    data = pd.DataFrame({"months": np.arange(1, n + 1, dtype=float), "event": np.arange(n) % 2,
                         "p": [repr(float(v)) for v in risk]}, index=pd.RangeIndex(2, n + 2))
    data["p"] = data["p"].astype(object)
    data.loc[5, "p"] = "unknown"
    p = prepare(data, ValidateOptions(time="months", event="event", risk="p", horizon=12))
    kept = data.index != 5
    assert [e["reason"] for e in p.log] == ["p is not a number"]
    assert np.array_equal(p.frame[RISK].to_numpy(), risk[kept])

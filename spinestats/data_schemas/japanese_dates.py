"""Japanese dates: era (wareki) dates and 年月日 Gregorian dates, read when the mapping declares them.

A mapping with ``dates: japanese_era`` (or ``wareki``) reads, besides ISO
``YYYY-MM-DD`` / ``YYYY/MM/DD``:

* era dates with the era name: ``平成31年4月30日``, ``令和元年5月1日``
  (元 = year 1), ``昭和64年1月7日``, ``大正15年12月24日``;
* abbreviated era dates: ``H31.4.30``, ``R1.5.1``, ``S64.1.7``, ``T15.12.24``
  (separators ``.``, ``/`` or ``-``; upper or lower case; ``H31年4月30日`` too);
* Gregorian dates written with 年月日: ``2015年7月29日``.

Full-width digits and letters (``Ｈ３１．４．３０``) are read as their ASCII
forms (Unicode NFKC), and spaces are ignored.

Eras (first day; Gregorian year = offset + era year):
大正 T 1912-07-30 (1911), 昭和 S 1926-12-25 (1925), 平成 H 1989-01-08 (1988),
令和 R 2019-05-01 (2018).

Decisions
---------
* A date before its era began is refused (``H1.1.7``: Showa 64 still ran,
  write ``S64.1.7``; ``R1.4.30``: write ``H31.4.30``), as is a date that is
  not in the calendar (``H31.2.30``) or an unknown era letter.
* **Heisei overflow is accepted.**  The Reiwa era was announced a month
  before it began, and many hospital systems kept counting Heisei years
  (``H31.5.1``, ``H32.7.3`` for 2020-07-03).  Such a date maps to one
  Gregorian day without ambiguity, so it is read (H32.7.3 -> 2020-07-03) and
  listed as a warning, never silently.  Overflow of the other eras (``S65``,
  ``T16``) is refused: no system wrote those, so they are more likely typing
  errors.

Mapping keys: ``dates: japanese_era`` or ``dates: wareki``.
"""

from __future__ import annotations

import datetime as _dt
import re
import unicodedata

import pandas as pd

FORMAT_NAMES = ("japanese_era", "wareki")

#: letter -> (kanji, English name, first day, Gregorian offset)
ERAS = {
    "T": ("大正", "Taisho", _dt.date(1912, 7, 30), 1911),
    "S": ("昭和", "Showa", _dt.date(1926, 12, 25), 1925),
    "H": ("平成", "Heisei", _dt.date(1989, 1, 8), 1988),
    "R": ("令和", "Reiwa", _dt.date(2019, 5, 1), 2018),
}
_BY_KANJI = {v[0]: k for k, v in ERAS.items()}
#: the era that follows each (its first day ends the previous era)
_NEXT = {"T": "S", "S": "H", "H": "R"}
HEISEI_END = _dt.date(2019, 4, 30)

EXPECTED = ("a Japanese date: an era date such as 平成31年4月30日, 令和元年5月1日 or H31.4.30 / R1.5.1 / S64.1.7 "
            "(T, S, H, R), a date such as 2015年7月29日, or YYYY-MM-DD")
HINT = ("this column holds Japanese dates (e.g. H31.4.30, 平成31年4月30日 or 2015年7月29日): "
        "declare dates: japanese_era in the mapping to read them")

_KANJI_ERA = re.compile(r"^(大正|昭和|平成|令和)(元|\d{1,2})年(\d{1,2})月(\d{1,2})日$")
_LETTER_ERA = re.compile(r"^([TSHR])(元|\d{1,2})(?:[./-](\d{1,2})[./-](\d{1,2})|年(\d{1,2})月(\d{1,2})日)$")
_GREGORIAN_KANJI = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$")
_ISO = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$")
_LOOKS = re.compile(r"(大正|昭和|平成|令和|\d年\d{1,2}月|^[TSHR]\d{1,2}[./-]\d{1,2}[./-]\d{1,2}$)")


def _normalise(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).upper()


def parse(text: str) -> tuple[_dt.date | None, str | None]:
    """One date text -> (date, None), (date, overflow note) for Heisei overflow, or (None, reason)."""
    s = _normalise(str(text))
    m = _KANJI_ERA.match(s)
    if m:
        era, y, mo, d = _BY_KANJI[m.group(1)], m.group(2), m.group(3), m.group(4)
    else:
        m = _LETTER_ERA.match(s)
        if m:
            era, y = m.group(1), m.group(2)
            mo, d = (m.group(3), m.group(4)) if m.group(3) else (m.group(5), m.group(6))
        else:
            m = _GREGORIAN_KANJI.match(s) or _ISO.match(s)
            if not m:
                return None, "not a date"
            try:
                return _dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))), None
            except ValueError:
                return None, "not a calendar date"
    year = 1 if y == "元" else int(y)
    kanji, name, first, offset = ERAS[era]
    if year < 1:
        return None, f"{name} year 0 does not exist (the first year is 元年 = 1)"
    try:
        date = _dt.date(offset + year, int(mo), int(d))
    except ValueError:
        return None, "not a calendar date"
    if date < first:
        return None, f"{name} began on {first.isoformat()}; this day belongs to the previous era"
    nxt = _NEXT.get(era)
    if nxt and date >= ERAS[nxt][2]:
        if era == "H":
            return date, (f"a Heisei date after the era ended on {HEISEI_END.isoformat()} (as some hospital systems "
                          f"write them), read as {date.isoformat()}")
        last = ERAS[nxt][2] - _dt.timedelta(days=1)
        return None, f"{name} ended on {last.isoformat()}; write the date in the {ERAS[nxt][1]} era"
    return date, None


def parse_series(text: pd.Series) -> tuple[pd.Series, list[tuple[pd.Series, str, str, str]]]:
    """Distinct date texts (None = missing) -> (datetime64 dates, problems).

    ``problems`` lists ``(mask, rule, expected, severity)``: one error entry
    per distinct reason a text was refused, and one warning entry for Heisei
    overflow dates (read, but listed).
    """
    dates, reasons, overflow = [], [], []
    for v in text.tolist():
        if v is None or (isinstance(v, float) and v != v):
            dates.append(None)
            reasons.append(None)
            overflow.append(False)
            continue
        d, why = parse(v)
        dates.append(d)
        reasons.append(why if d is None else None)
        overflow.append(d is not None and why is not None)
    out = pd.Series(pd.to_datetime(pd.Series(dates, dtype=object), errors="coerce").to_numpy(), index=text.index)
    why = pd.Series(reasons, index=text.index, dtype=object)
    problems = [(why == r, "unparseable date", f"{EXPECTED} ({r})", "error") for r in dict.fromkeys(why.dropna())]
    over = pd.Series(overflow, index=text.index)
    if over.any():
        problems.append((over, "Heisei date after the era ended",
                         f"read as the Gregorian year 1988 + the Heisei year (H32.7.3 = 2020-07-03); Heisei ended on "
                         f"{HEISEI_END.isoformat()} and later dates are Reiwa (R)", "warning"))
    return out, problems


def looks_japanese(text: pd.Series) -> bool:
    """True when any of the texts looks like a Japanese era or 年月日 date (for the hint)."""
    return any(isinstance(v, str) and _LOOKS.search(_normalise(v)) for v in text.tolist())

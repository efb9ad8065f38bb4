"""The input of the agreement estimators: a cases x raters table of one rating.

Reader studies arrive in two layouts, and both become the same
cases-by-raters table before any statistic is computed:

* long (one row per case and reader, as the ``readers`` schema):
  :func:`wide_from_long` pivots one rating, refusing a reader who scored a
  case twice (naming the lines);
* wide (one row per case, one column per rater): :func:`wide_ratings` takes
  the rater columns, refusing a case that appears on two rows.

Boolean ratings become the integer codes 0/1 (:func:`as_codes`), so that
every estimator sees categories it can order.  Nothing is dropped here: the
estimators keep the complete cases and count the others.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from spinestats.analysis.core.params import check_column
from spinestats.errors import DataError, UsageError


def wide_from_long(data: pd.DataFrame, *, case: str, reader: str, measure: str,
                   readers: Sequence[str] | None = None) -> pd.DataFrame:
    """Cases x readers table of one rating of a long table; refuses a reader who scored a case twice.

    Examples
    --------
    >>> d = pd.DataFrame({"case": [1, 1, 2, 2], "reader": ["A", "B", "A", "B"], "dss": [3, 4, 1, 1]})
    >>> wide_from_long(d, case="case", reader="reader", measure="dss").to_numpy().tolist()
    [[3, 4], [1, 1]]
    """
    for col in (case, reader, measure):
        check_column(data, col, "column")
    dup = data.duplicated([case, reader], keep=False)
    if dup.any():
        d = data.loc[dup, [case, reader]]
        first = d.iloc[0]
        lines = [str(i) for i in d.index[(d[case] == first[case]) & (d[reader] == first[reader])]]
        raise DataError(
            f"reader {first[reader]!r} scored the case of line {lines[0]} more than once (lines {', '.join(lines)}); "
            f"{int(dup.sum())} rows are such repeats. Each reader must score each case once: keep one reading "
            "per reader and case (e.g. the first, blinded one)."
        )
    wide = data.pivot(index=case, columns=reader, values=measure)
    if readers:
        missing = [r for r in readers if r not in wide.columns]
        if missing:
            raise UsageError(f"readers {missing} not found; readers are {', '.join(map(str, wide.columns))}.")
        wide = wide[list(readers)]
    return wide


def wide_ratings(data: pd.DataFrame, *, case: str, raters: Sequence[str]) -> pd.DataFrame:
    """Cases x raters table of a wide table (one row per case); refuses a case on more than one row.

    Examples
    --------
    >>> d = pd.DataFrame({"id": [1, 2], "R1": [0, 1], "R2": [0, 0]})
    >>> list(wide_ratings(d, case="id", raters=["R1", "R2"]).columns)
    ['R1', 'R2']
    """
    for col in [case, *raters]:
        check_column(data, col, "column")
    dup = data[case].duplicated(keep=False)
    if dup.any():
        first = data.loc[dup, case].iloc[0]
        same = data.index[dup & (data[case] == first)]
        raise DataError(f"the case of line {same[0]} appears on more than one row "
                        f"(lines {', '.join(map(str, same[:5]))}); the wide layout has one row per case.")
    return data.set_index(case)[list(raters)]


def as_codes(s: pd.Series) -> pd.Series:
    """Boolean ratings as the integer codes 0/1 (missing stays missing); other ratings unchanged."""
    if s.dtype == bool or str(s.dtype) == "boolean":
        return s.astype(object).map(lambda v: None if pd.isna(v) else int(bool(v)))
    return s

"""Numbers written as text, each read as the double nearest to it: the one place that does so.

pandas' parser decides which texts are numbers, and its rule stays the rule everywhere
(``" 1.5 "`` is one, ``"1,5"`` is not); the value of each accepted text comes from a correctly
rounded conversion, as Python's ``float`` and the C library's ``strtod`` give it.  pandas' own
parser can be a unit in the last place off for texts of 16 or more significant digits: the sum
0.1 + 0.2, which Python writes as ``0.30000000000000004``, would not read back as the same double,
and a CSV and a Parquet file of the same data would differ in the last bit.

The loader (``spinestats.data_schemas``) reads every schema column through :func:`numbers`;
the analyses and reports that take a column a user's DataFrame may hold as text use
:func:`to_numeric`.  Both live outside those layers, so each can use them.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd


def numbers(texts: np.ndarray) -> np.ndarray:
    """The numbers written in ``texts`` (text, or ``None``), NaN where a text is not one.

    A number too large for a double is not one (pandas 2 says so; pandas 3 reads it as infinity),
    while ``inf`` and ``infinity`` are.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    # (a copy: under pandas' copy-on-write the array of a float Series is read-only)
    nums = pd.to_numeric(pd.Series(texts, dtype=object), errors="coerce").to_numpy(dtype=float, na_value=np.nan,
                                                                                    copy=True)
    for i in np.flatnonzero(np.isinf(nums)):
        if str(texts[i]).strip().lstrip("+-").lower() not in ("inf", "infinity"):
            nums[i] = np.nan
    redo = np.flatnonzero(np.isfinite(nums))  # (an infinite value is one either way)
    if redo.size == 0:
        return nums
    sub = np.asarray(texts, dtype=object)[redo]
    try:
        exact = pc.cast(pa.array(sub, type=pa.string(), from_pandas=True), pa.float64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):  # a text only pandas reads: each one by Python
        exact = np.array([_exact(x, v) for x, v in zip(sub, nums[redo])], dtype=float)
    # a zero keeps pandas' sign ("-0" is 0.0 in a column of whole numbers, -0.0 among decimals); a tiny
    # number pandas took for zero gets its value
    nums[redo] = np.where(exact == 0, nums[redo], exact)
    return nums


def _exact(text: object, value: float) -> float:
    """The correctly rounded value of one number's text (pandas' ``value`` when Python cannot read it)."""
    try:
        return float(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return value


def to_numeric(values: pd.Series, errors: Literal["coerce", "raise"] = "raise") -> pd.Series:
    """:func:`pandas.to_numeric` of a column, with each number written as text read by :func:`numbers`.

    The result is pandas' own (its type, index and name; whole numbers stay integers, which pandas
    reads exactly), but for the values of the texts it read as floating-point numbers.  With
    ``errors="raise"`` a text that is not a number raises :class:`ValueError`, as pandas does.
    """
    out = pd.to_numeric(values, errors=errors)
    if not isinstance(out, pd.Series) or out.dtype.kind != "f" or values.dtype.kind in "biufcmM":
        return out  # numbers already, or whole numbers only: nothing was read inexactly
    nums = out.to_numpy(dtype=float, na_value=np.nan)
    raw = values.to_numpy(dtype=object)
    at = np.flatnonzero(~np.isnan(nums) & np.fromiter((isinstance(x, str) for x in raw), dtype=bool, count=len(raw)))
    if at.size == 0:
        return out
    exact = numbers(raw[at])
    if errors == "raise" and np.isnan(exact).any():
        raise ValueError(f"Unable to parse string {raw[at][np.isnan(exact)][0]!r}: a number too large for a double")
    nums = nums.copy()
    nums[at] = exact
    return pd.Series(nums, index=out.index, name=out.name).astype(out.dtype)

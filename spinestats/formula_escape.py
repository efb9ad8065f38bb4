"""Formula-safe text cells for CSV/XLSX tables.

A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return is run as a formula by spreadsheet programs (CSV injection); such
cells are prefixed with ``'``.  Used by every table the reports write and by
the generator of the bundled synthetic exports, so it lives outside both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _escaped(text: str) -> bool:
    """Whether :func:`escape_formula` prefixes ``text``: it starts like a formula, after any apostrophes
    (so that a text already starting with ``'=`` keeps its own apostrophe when read back)."""
    return text.lstrip("'").startswith(FORMULA_PREFIXES)


def escape_formula(value: Any) -> Any:
    """Prefix a text cell that a spreadsheet would run as a formula with ``'``.

    Numbers are left alone (``-3`` is a number, not a formula); only strings
    are escaped.
    """
    if isinstance(value, str) and _escaped(value):
        return "'" + value
    return value


def unescape_formula(value: Any) -> Any:
    """The text :func:`escape_formula` was given (its apostrophe removed); anything else as it is."""
    if isinstance(value, str) and value.startswith("'") and _escaped(value[1:]):
        return value[1:]
    return value


def _text_columns(frame: pd.DataFrame) -> list:
    """The columns that can hold text: object columns, and pandas' string columns (pandas 3's ``str``)."""
    import pandas as pd

    return [c for c in frame.columns if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c])]


def escape_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and headers are formula-safe."""
    out = frame.copy()
    for col in _text_columns(out):
        out[col] = out[col].map(escape_formula)
    out.columns = [escape_formula(str(c)) for c in out.columns]
    return out


def unescape_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (changed in place and returned) as it was before :func:`escape_frame`."""
    for col in _text_columns(frame):
        frame[col] = frame[col].map(unescape_formula)
    frame.columns = [unescape_formula(str(c)) for c in frame.columns]
    return frame

"""Words shared by the input, statistics and report layers.

Small, dependency-light pieces that every layer reads the same way, kept in
the top-level package so that ``data_schemas`` and ``analysis`` never import
each other: the names of the survival endpoints, and how a reference-standard
cell is matched against the "positive" value a user gives.
"""

from __future__ import annotations

from typing import Any

#: display names of the survival endpoints derived from a CIRT export
ENDPOINT_LABELS = {
    "os": "Overall survival",
    "lc": "Local control",
    "dmfs": "Distant-metastasis-free survival",
    "pfs": "Progression-free survival",
}


def label_matches(values, positive: Any):
    """Rows of the pandas Series ``values`` equal to ``positive``, comparing as strings when types differ.

    ``1`` given on the command line matches a numeric 0/1 (or 1.0) column, so
    every command reads a reference column the same way (multicenter as accuracy).
    """
    import pandas as pd

    direct = values == positive
    if direct.any():
        return direct
    try:
        target = float(str(positive).strip())
        numeric = pd.to_numeric(values, errors="coerce")
        if numeric.notna().any() and (numeric == target).any():
            return (numeric == target).fillna(False).astype(bool)
    except ValueError:
        pass
    return values.astype(str).str.strip() == str(positive).strip()

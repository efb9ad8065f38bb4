"""The frozen result objects every analysis returns.

A result is a frozen dataclass.  :meth:`Result.to_dict` gives plain JSON-safe
Python (``NaN`` and infinities become ``None``; NumPy scalars become Python
numbers; nested results, tuples and DataFrames are converted recursively), and
:meth:`Result.to_frame` gives a tidy table.  Subclasses override
``to_frame`` when their natural table is not the one-row summary.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pandas as pd


def to_jsonable(value: Any) -> Any:
    """Convert ``value`` into JSON-safe Python, recursively.

    Non-finite floats become ``None`` so that ``results.json`` is valid JSON
    (``NaN`` is not); a reader sees ``null`` where a quantity is undefined.
    """
    if isinstance(value, Result):
        return value.to_dict()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, pd.DataFrame):
        return [to_jsonable(r) for r in value.to_dict(orient="records")]
    if isinstance(value, pd.Series):
        return to_jsonable(value.tolist())
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return f if math.isfinite(f) else None
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (pd.Timestamp,)):
        return value.isoformat()
    if value is pd.NA or value is pd.NaT:
        return None
    return str(value)


@dataclasses.dataclass(frozen=True)
class Result:
    """Base class of every analysis result (a frozen dataclass)."""

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-safe dictionary of every field."""
        return {f.name: to_jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}

    def to_frame(self) -> pd.DataFrame:
        """One-row table of the scalar fields (override for tabular results)."""
        row = {
            k: v
            for k, v in self.to_dict().items()
            if v is None or isinstance(v, (int, float, str, bool))
        }
        return pd.DataFrame([row])

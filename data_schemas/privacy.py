"""Keeping direct identifiers out of every output.

Patient IDs in per-patient outputs are replaced by keyed pseudonyms
(HMAC-SHA256), stable for the same key so a centre can link its own rows, and
meaningless to anyone without the key.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas


def pseudonymise(ids: Iterable[object], key: str) -> list[str]:
    """Replace each ID by ``"P-"`` plus 10 hex digits of HMAC-SHA256(key, id).

    Parameters
    ----------
    ids : patient (or case) identifiers, any type; compared as text.
    key : secret key; the same key always gives the same pseudonym.
    """
    k = key.encode("utf-8")
    return ["P-" + hmac.new(k, str(i).encode("utf-8"), hashlib.sha256).hexdigest()[:10] for i in ids]


def pseudonymise_columns(frame: "pandas.DataFrame", columns: Iterable[str], key: str) -> "pandas.DataFrame":
    """A copy of ``frame`` with each of ``columns`` (that it has) replaced by :func:`pseudonymise`.

    Use before writing any per-patient table; the columns to replace are the
    schema's identifier columns (``Schema.identifiers()``: patient_id,
    case_id).  Missing values stay missing.  ``frame`` is not modified.
    """
    out = frame.copy()
    for col in columns:
        if col in out.columns:
            values = out[col]
            present = values.notna().to_numpy()
            replaced = values.astype(object).copy()
            replaced[present] = pseudonymise(values[present].tolist(), key)
            out[col] = replaced
    return out

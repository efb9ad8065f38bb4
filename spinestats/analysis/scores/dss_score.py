"""The Dumbbell Scoring System (DSS), or any weighted sum of binary features.

Public functions
----------------
``dss_features(data, *, size_threshold_cm=5.0) -> DataFrame``
    The four binary DSS features from the canonical ``dss`` schema columns:
    ``size_ge_5cm`` = ``size_cm >= size_threshold_cm``, ``indistinct_boundary``
    = ``boundary == "indistinct"``, ``lobulated``, ``bone_destruction``.
    A feature is missing (``<NA>``) where its source value is missing.
``compute_dss(data, *, weights=DSS_WEIGHTS, size_threshold_cm=5.0, check_column="dss") -> DssScoreResult``
    The weighted sum :math:`DSS = \\sum_k w_k x_k` (Table 2 points: size
    >= 5 cm, 2; indistinct boundary, 2; irregular lobulated shape, 1;
    osteolytic bone destruction, 1; range 0-6).  ``weights`` may change the weights (a
    variant score) or leave features out (weight 0).  A patient with a missing
    feature that carries weight gets a missing score (NaN) and is listed in
    ``missing_lines``; it is never scored as if the feature were absent.  If the
    table already has a precomputed ``dss`` column and the default weights
    are used, it must equal the computed score; disagreements raise
    :class:`DataError` naming the lines.

References
----------
Matsumoto Y, et al. Dumbbell scoring system: a new method for the differential
diagnosis of malignant and benign spinal dumbbell tumors. Spine
2016;41:E1230-E1236. doi:10.1097/BRS.0000000000001601
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np
import pandas as pd

from spinestats.analysis.core.result import Result
from spinestats.errors import DataError, UsageError
from spinestats.text_numbers import to_numeric

#: Table 2 of Matsumoto et al. (2016): feature -> points
DSS_WEIGHTS: dict[str, float] = {
    "size_ge_5cm": 2.0,
    "indistinct_boundary": 2.0,
    "lobulated": 1.0,
    "bone_destruction": 1.0,
}

FEATURE_LABELS: dict[str, str] = {
    "size_ge_5cm": "Tumour size >= 5 cm",
    "indistinct_boundary": "Indistinct boundary",
    "lobulated": "Irregular lobulated shape",
    "bone_destruction": "Osteolytic bone destruction",
}

SOURCE_COLUMNS = ("size_cm", "boundary", "lobulated", "bone_destruction")


@dataclasses.dataclass(frozen=True)
class DssScoreResult(Result):
    """Scores and the features behind them.

    Attributes
    ----------
    score : Series (float; NaN where a weighted feature is missing), index as ``data``.
    features : DataFrame of the binary features (nullable boolean).
    weights : the weights used.
    missing_lines : index labels whose score is missing.
    """

    score: pd.Series
    features: pd.DataFrame
    weights: dict
    missing_lines: tuple

    def to_frame(self) -> pd.DataFrame:
        """Features and score, one row per patient."""
        out = self.features.copy()
        out["score"] = self.score
        return out


#: the former name, kept as an alias
DssScore = DssScoreResult


def dss_features(data: pd.DataFrame, *, size_threshold_cm: float = 5.0) -> pd.DataFrame:
    """Binary DSS features from the canonical ``dss`` columns (see module docstring)."""
    absent = [c for c in SOURCE_COLUMNS if c not in data.columns]
    if absent:
        raise UsageError(
            f"DSS needs the columns {', '.join(SOURCE_COLUMNS)}; missing: {', '.join(absent)} "
            "(use --mapping to map your export's column names)."
        )
    size = to_numeric(data["size_cm"], errors="coerce")
    boundary = data["boundary"].astype("string").str.strip().str.lower()
    bad_boundary = boundary.notna() & ~boundary.isin(["distinct", "indistinct"])
    if bad_boundary.any():
        raise DataError(
            "boundary must be 'distinct' or 'indistinct'; found "
            f"{sorted(set(boundary[bad_boundary]))} on lines {list(data.index[bad_boundary][:10])}."
        )
    feats = pd.DataFrame(index=data.index)
    feats["size_ge_5cm"] = pd.array(np.where(size.isna(), None, size >= size_threshold_cm), dtype="boolean")
    feats["indistinct_boundary"] = pd.array(np.where(boundary.isna(), None, boundary == "indistinct"), dtype="boolean")
    for col in ("lobulated", "bone_destruction"):
        feats[col] = data[col].astype("boolean")
    return feats


def compute_dss(
    data: pd.DataFrame,
    *,
    weights: Mapping[str, float] | None = None,
    size_threshold_cm: float = 5.0,
    check_column: str | None = "dss",
) -> DssScoreResult:
    """DSS (or a variant with other weights) for every patient (see module docstring).

    Parameters
    ----------
    data : table with the canonical ``dss`` schema columns (not modified).
    weights : feature -> points; default :data:`DSS_WEIGHTS`.  Unknown feature names are refused.
    size_threshold_cm : size cutoff in cm for the size feature (default 5).
    check_column : a precomputed score column to check against (only with the default weights).

    Returns
    -------
    DssScore
    """
    w = dict(DSS_WEIGHTS if weights is None else weights)
    unknown = set(w) - set(DSS_WEIGHTS)
    if unknown:
        raise UsageError(f"unknown DSS features {sorted(unknown)}; known: {', '.join(DSS_WEIGHTS)}.")
    feats = dss_features(data, size_threshold_cm=size_threshold_cm)
    used = [k for k, v in w.items() if v != 0]
    x = feats[used].astype("Float64")
    missing = x.isna().any(axis=1).to_numpy()
    total = (x.fillna(0.0) * pd.Series({k: w[k] for k in used})).sum(axis=1).astype(float).to_numpy()
    score = pd.Series(np.where(missing, np.nan, total), index=data.index, name="score")
    if check_column and weights is None and check_column in data.columns and size_threshold_cm == 5.0:
        given = to_numeric(data[check_column], errors="coerce").astype(float)
        differ = given.notna() & score.notna() & (given != score)
        if differ.any():
            lines = list(data.index[differ][:20])
            raise DataError(
                f"the precomputed {check_column!r} column disagrees with the DSS computed from the features "
                f"(2*size>=5cm + 2*indistinct + lobulated + bone destruction) on {int(differ.sum())} lines: {lines}."
            )
    return DssScoreResult(
        score=score,
        features=feats,
        weights=w,
        missing_lines=tuple(data.index[missing].tolist()),
    )

"""One door for diagnostic-score input: a score column and a reference standard.

Public functions
----------------
``prepare_score_truth(data, *, score, truth, positive, min_per_class=10) -> ScoreTruth``
    Checks a DataFrame's score and reference columns once, at the edge, and
    returns plain arrays plus a record of every excluded row and every warning.
``check_arrays(score, truth, weights=None) -> (score, truth, weights)``
    The same checks for arrays (used by the array-level estimators): finite
    scores, a boolean reference standard, both classes present, a score that
    is not constant, non-negative frequency weights.

Rules (nothing silent)
----------------------
* A row whose score or reference standard is missing is excluded and listed
  (reason, count and index labels — the spreadsheet line numbers when the
  table came from :func:`spinestats.data_schemas.loading.load`).
* The positive label must exist in the reference column; otherwise the error
  names the labels that do exist.
* Only one class present, or a constant score: :class:`DataError`.
* Fewer than ``min_per_class`` patients in a class: a warning (not an error).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from spinestats.analysis.core.params import check_column
from spinestats.analysis.core.result import Result
from spinestats.errors import DataError
from spinestats.text_numbers import to_numeric
from spinestats.vocabulary import label_matches


@dataclasses.dataclass(frozen=True)
class ScoreTruth(Result):
    """Checked score and reference arrays.

    Attributes
    ----------
    score : float array of the analysed rows.
    truth : bool array, True for the positive class (e.g. malignant).
    index : index labels of the analysed rows.
    n_read : rows in the input table.
    exclusions : list of ``{"reason", "n", "lines"}`` dicts.
    warnings : plain-language warnings (small classes).
    positive : the positive label as given.
    labels : the reference labels found (as strings).
    """

    score: np.ndarray
    truth: np.ndarray
    index: np.ndarray
    n_read: int
    exclusions: tuple
    warnings: tuple
    positive: Any
    labels: tuple

    @property
    def flow(self) -> dict:
        """Patient flow: ``{n_read, n_analysed, n_excluded, exclusions}``."""
        n_exc = int(sum(e["n"] for e in self.exclusions))
        return {
            "n_read": int(self.n_read),
            "n_analysed": int(self.score.size),
            "n_excluded": n_exc,
            "exclusions": [dict(e) for e in self.exclusions],
        }


#: public name: every command reads a reference column the same way (multicenter as accuracy)
_label_matches = label_matches


def class_size_warnings(n_pos: float, n_neg: float, min_per_class: int = 10) -> tuple[str, ...]:
    """Warnings for classes smaller than ``min_per_class`` patients."""
    out = []
    for name, k in (("positive", n_pos), ("negative", n_neg)):
        if k < min_per_class:
            out.append(
                f"only {int(k)} patients in the {name} class (fewer than {min_per_class}); "
                "accuracy estimates and their CIs are very imprecise."
            )
    return tuple(out)


def check_arrays(score, truth, weights=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Check a score array and a boolean reference array (and optional frequency weights).

    Raises
    ------
    DataError
        Missing or infinite scores, non-boolean truth, one class only, a constant score,
        negative or non-finite weights, or arrays of different lengths.
    """
    s = np.asarray(score, dtype=float).ravel()
    t = np.asarray(truth)
    if t.dtype != bool:
        uniq = np.unique(t[~pd.isna(t)]) if t.dtype == object else np.unique(t)
        if t.dtype.kind in "iuf" and set(np.asarray(uniq).tolist()) <= {0, 1}:
            raise DataError(
                "truth must be boolean (True = positive class), but found numeric 0/1 values; "
                "convert with `truth == 1` so the positive class is explicit."
            )
        raise DataError(f"truth must be boolean (True = positive class), but found {t.dtype} values.")
    t = t.ravel()
    if s.size != t.size:
        raise DataError(f"score and truth differ in length: {s.size} scores, {t.size} truth values.")
    if weights is None:
        w = np.ones(s.size)
    else:
        w = np.asarray(weights, dtype=float).ravel()
        if w.size != s.size:
            raise DataError(f"weights have length {w.size}, expected {s.size}.")
        if not np.all(np.isfinite(w)) or np.any(w < 0):
            raise DataError("frequency weights must be finite and >= 0.")
    bad = ~np.isfinite(s)
    if bad.any():
        raise DataError(
            f"{int(bad.sum())} scores are missing or infinite; exclude them first "
            "(prepare_score_truth does this and records the exclusion)."
        )
    n_pos = float(w[t].sum())
    n_neg = float(w[~t].sum())
    if n_pos == 0 or n_neg == 0:
        present = "positive" if n_pos > 0 else "negative"
        raise DataError(
            f"only one class present ({present} only, n = {int(n_pos + n_neg)}); "
            "ROC and accuracy need both positive and negative patients."
        )
    used = s if weights is None else s[w > 0]
    if used.min() == used.max():
        raise DataError(
            f"the score is constant (every analysed patient has {used[0]:g}); "
            "it cannot discriminate, so ROC/AUC are not defined."
        )
    return s, t, w


def prepare_score_truth(
    data: pd.DataFrame,
    *,
    score: str,
    truth: str,
    positive: Any,
    min_per_class: int = 10,
) -> ScoreTruth:
    """Take a score and reference column from ``data``, excluding (and recording) missing rows.

    Parameters
    ----------
    data : the table (not modified).
    score : name of the numeric score column (higher = more likely positive).
    truth : name of the reference-standard column.
    positive : the label in ``truth`` that marks the positive class (e.g. ``"malignant"``).
    min_per_class : classes smaller than this get a warning.

    Returns
    -------
    ScoreTruth
    """
    check_column(data, score, "score")
    check_column(data, truth, "truth")
    raw_score = data[score]
    ref = data[truth]
    if raw_score.dtype == bool:
        num = raw_score.astype(float)
    else:
        num = to_numeric(raw_score, errors="coerce")
    not_numeric = num.isna() & raw_score.notna()
    if not_numeric.any():
        examples = ", ".join(repr(v) for v in raw_score[not_numeric].unique()[:3])
        raise DataError(
            f"score column {score!r} must be numeric, but {int(not_numeric.sum())} values are not "
            f"(e.g. {examples}); lines {list(data.index[not_numeric][:10])}."
        )
    labels = tuple(sorted({str(v) for v in ref.dropna().unique()}))
    is_pos = _label_matches(ref, positive)
    if not is_pos.any():
        raise DataError(
            f"positive label {positive!r} not found in column {truth!r}; "
            f"labels present: {', '.join(labels) if labels else '(none)'}."
        )
    exclusions = []
    miss_ref = ref.isna()
    miss_score = num.isna() & ~miss_ref
    inf_score = np.isinf(num.to_numpy(dtype=float, na_value=np.nan)) & ~miss_ref.to_numpy()
    for mask, reason in (
        (miss_ref.to_numpy(), f"reference standard ({truth}) missing"),
        (miss_score.to_numpy(), f"score ({score}) missing"),
        (inf_score, f"score ({score}) infinite"),
    ):
        if mask.any():
            exclusions.append({"reason": reason, "n": int(mask.sum()), "lines": [_plain(i) for i in data.index[mask]]})
    keep = ~(miss_ref.to_numpy() | miss_score.to_numpy() | inf_score)
    s, t, _ = check_arrays(num.to_numpy(dtype=float, na_value=np.nan)[keep], is_pos.to_numpy(dtype=bool)[keep])
    warnings = class_size_warnings(t.sum(), (~t).sum(), min_per_class)
    for e in exclusions:
        warnings = warnings + (f"{e['n']} patients excluded: {e['reason']} (lines {e['lines'][:20]}).",)
    return ScoreTruth(
        score=s,
        truth=t,
        index=data.index.to_numpy()[keep],
        n_read=int(len(data)),
        exclusions=tuple(exclusions),
        warnings=warnings,
        positive=positive,
        labels=labels,
    )


def _plain(v: Any) -> Any:
    if isinstance(v, (np.integer,)):
        return int(v)
    return v if isinstance(v, (int, str)) else str(v)

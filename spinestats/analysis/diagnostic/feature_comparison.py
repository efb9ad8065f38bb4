"""Per-feature comparison of positive vs negative patients (the analysis behind DSS Table 2).

Public functions
----------------
``compare_features(features, truth, *, labels=None, conf_level=0.95) -> FeatureComparisonResult``
    ``features``: DataFrame of binary (boolean) features, one column per feature;
    ``truth``: boolean array/Series, True = positive class (e.g. malignant).
    For each feature: the number with the feature among positives and among
    negatives, Fisher's exact two-sided p, the conditional-MLE odds ratio with
    its exact CI (both as R ``fisher.test``), and the sample odds ratio
    ``ad/(bc)`` with Woolf's CI.  Patients with the feature missing are left
    out *of that feature only* and counted in ``n_missing``.

The odds ratio is the odds of having the feature among positives divided by
the odds among negatives; the 2x2 table passed to R is
``matrix(c(pos_with, pos_without, neg_with, neg_without), 2, byrow = TRUE)``.
See :mod:`spinestats.analysis.descriptive.fisher_exact` for the formulas and references.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from spinestats.analysis.descriptive.fisher_exact import fisher_test
from spinestats.analysis.core.result import Result, to_jsonable
from spinestats.errors import DataError


@dataclasses.dataclass(frozen=True)
class FeatureComparisonResult(Result):
    """One row per feature (see module docstring); ``table`` is the tidy DataFrame."""

    table: pd.DataFrame
    conf_level: float
    odds_ratio_kind: str = "conditional MLE with exact CI (R fisher.test); sample OR with Woolf CI"

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def to_dict(self) -> dict:
        return {
            "features": to_jsonable(self.table),
            "conf_level": self.conf_level,
            "odds_ratio_kind": self.odds_ratio_kind,
        }


#: the former name, kept as an alias
FeatureComparison = FeatureComparisonResult


def compare_features(features: pd.DataFrame, truth, *, labels: dict | None = None,
                     conf_level: float = 0.95) -> FeatureComparisonResult:
    """Counts, Fisher's exact p and odds ratios per binary feature (see module docstring).

    Parameters
    ----------
    features : DataFrame of boolean (or nullable boolean) columns.
    truth : boolean, True for the positive class; same length as ``features``.
    labels : optional column -> readable label.
    conf_level : confidence level of the odds-ratio CIs.
    """
    t = np.asarray(truth)
    if t.dtype != bool or t.size != len(features):
        raise DataError(f"truth must be boolean with one value per row ({len(features)}), got {t.dtype} x {t.size}.")
    rows = []
    for col in features.columns:
        s = features[col]
        try:
            f = s.astype("boolean")
        except (TypeError, ValueError) as exc:
            raise DataError(f"feature {col!r} must be boolean (yes/no), found values {sorted(map(str, s.unique()))[:5]}.") from exc
        ok = f.notna().to_numpy()
        fv = f.fillna(False).to_numpy(dtype=bool)
        a = int((fv & t & ok).sum())
        b = int((~fv & t & ok).sum())
        c = int((fv & ~t & ok).sum())
        d = int((~fv & ~t & ok).sum())
        ft = fisher_test(a, b, c, d, conf_level)
        rows.append({
            "feature": col,
            "label": (labels or {}).get(col, col),
            "positive_with": a,
            "positive_n": a + b,
            "positive_pct": 100 * a / (a + b) if a + b else np.nan,
            "negative_with": c,
            "negative_n": c + d,
            "negative_pct": 100 * c / (c + d) if c + d else np.nan,
            "n_missing": int((~ok).sum()),
            "p_fisher": ft.p,
            "odds_ratio": ft.odds_ratio,
            "odds_ratio_lower": ft.ci[0],
            "odds_ratio_upper": ft.ci[1],
            "sample_odds_ratio": ft.sample_odds_ratio,
            "sample_odds_ratio_lower": ft.sample_ci[0],
            "sample_odds_ratio_upper": ft.sample_ci[1],
        })
    return FeatureComparisonResult(table=pd.DataFrame(rows), conf_level=float(conf_level))

"""ANCOVA of a follow-up score on arm, adjusted for the baseline score.

Model (ordinary least squares, as R ``lm(y_followup ~ arm + y_baseline)``):

.. math:: y_{i,\\text{fu}} = \\beta_0 + \\delta\\, [\\text{arm}_i = B] + \\gamma\\, y_{i,0} + \\varepsilon_i.

:math:`\\hat\\delta` is the baseline-adjusted difference between arm ``B``
and the reference arm, with :math:`\\mathrm{SE} = \\sqrt{s^2 [(X^\\top X)^{-1}]_{\\delta\\delta}}`,
a t interval on :math:`n - 3` df and a two-sided t test.  Patients without
both scores are excluded (counted in ``n_excluded``).

Reference: Vickers AJ, Altman DG. Analysing controlled trials with baseline
and follow up measurements. BMJ 2001;323:1123-1124. doi:10.1136/bmj.323.7321.1123
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from spinestats.analysis.core import distributions as stats

from spinestats.analysis.core.result import Result
from spinestats.errors import DataError


@dataclasses.dataclass(frozen=True)
class AncovaResult(Result):
    """Baseline-adjusted arm difference (``arm`` - ``reference``), NRS points."""

    arm: str
    reference: str
    outcome: str
    difference: float
    se: float
    ci: tuple[float, float]
    t: float
    df: float
    p: float
    baseline_slope: float
    n: int
    n_per_arm: dict
    n_excluded: int
    conf_level: float


def ancova(
    data: pd.DataFrame,
    *,
    outcome: str,
    baseline: str,
    arm: str,
    arms: tuple[str, str],
    conf_level: float = 0.95,
) -> AncovaResult:
    """Fit ``outcome ~ arm + baseline`` on a wide table (one row per patient).

    Parameters
    ----------
    outcome, baseline : score columns (follow-up and baseline), NRS points.
    arm : arm column; ``arms = (reference, other)``.
    """
    present = set(data[arm].dropna().unique())
    if not present <= set(arms):
        raise DataError(f"ANCOVA: arms {sorted(present)} found; expected {list(arms)}.")
    d = data.loc[data[arm].isin(arms), [outcome, baseline, arm]]
    cc = d.dropna()
    counts = {a: int((cc[arm] == a).sum()) for a in arms}
    if min(counts.values()) < 2:
        raise DataError(f"ANCOVA on {outcome}: each arm needs at least 2 patients with both scores; got {counts}.")
    X = np.column_stack([np.ones(len(cc)), (cc[arm] == arms[1]).to_numpy(float), cc[baseline].to_numpy(float)])
    y = cc[outcome].to_numpy(float)
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    df = len(y) - 3
    s2 = float(((y - X @ beta) ** 2).sum() / df)
    se = float(np.sqrt(s2 * np.linalg.inv(X.T @ X)[1, 1]))
    t = float(beta[1] / se)
    q = stats.t.ppf(0.5 + conf_level / 2, df)
    return AncovaResult(arm=arms[1], reference=arms[0], outcome=outcome, difference=float(beta[1]), se=se,
                        ci=(float(beta[1] - q * se), float(beta[1] + q * se)), t=t, df=float(df),
                        p=float(2 * stats.t.sf(abs(t), df)), baseline_slope=float(beta[2]), n=len(y),
                        n_per_arm=counts, n_excluded=int(len(d) - len(cc)), conf_level=conf_level)

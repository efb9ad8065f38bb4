"""Responders: a clinically important reduction of pain from baseline.

A patient responds at a visit when the reduction
:math:`\\Delta = y_0 - y_v` is at least ``mcid`` points **and** at least
``mcid_percent`` % of the baseline score (defaults 2 points and 30 %,
Farrar et al. 2001).  A baseline of 0 cannot improve: not a responder.
Patients without both scores are not counted at that visit (``n`` is the
denominator).

Per visit and arm: the proportion with a Wilson score (or exact
Clopper-Pearson) interval from :mod:`spinestats.analysis.descriptive.proportion_ci`.
Between two arms: the risk difference :math:`p_B - p_A` with Newcombe's
hybrid score interval (method 10, from the two Wilson intervals
:math:`(l_i, u_i)`; :func:`spinestats.analysis.descriptive.proportion_ci.newcombe_difference`):

.. math::
    L = \\hat d - \\sqrt{(\\hat p_B - l_B)^2 + (u_A - \\hat p_A)^2},\\quad
    U = \\hat d + \\sqrt{(u_B - \\hat p_B)^2 + (\\hat p_A - l_A)^2}.

References
----------
Farrar JT, Young JP, LaMoreaux L, et al. Clinical importance of changes in
chronic pain intensity measured on an 11-point numerical pain rating scale.
Pain 2001;94:149-158. doi:10.1016/S0304-3959(01)00349-9
Newcombe RG. Interval estimation for the difference between independent
proportions: comparison of eleven methods. Stat Med 1998;17:873-890.
doi:10.1002/(SICI)1097-0258(19980430)17:8<873::AID-SIM779>3.0.CO;2-I
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import pandas as pd

from spinestats.analysis.descriptive.proportion_ci import clopper_pearson, newcombe_difference, wilson
from spinestats.analysis.core.result import Result
from spinestats.errors import UsageError


@dataclasses.dataclass(frozen=True)
class RespondersResult(Result):
    """Responder proportions per (arm,) visit and risk differences between arms.

    ``table`` columns: (``arm``,) ``visit``, ``responders``, ``n``,
    ``proportion``, ``ci_low``, ``ci_high``.  ``difference`` (two arms):
    ``visit``, ``contrast``, ``risk_difference``, ``ci_low``, ``ci_high``
    (Newcombe hybrid score).
    """

    table: pd.DataFrame
    difference: pd.DataFrame
    mcid: float
    mcid_percent: float
    ci_method: str
    difference_method: str = "newcombe-wilson"
    conf_level: float = 0.95

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()


#: the former name, kept as an alias
Responders = RespondersResult


def is_responder(baseline: np.ndarray, followup: np.ndarray, mcid: float, mcid_percent: float) -> np.ndarray:
    """Boolean responder flag (NaN inputs give False; the caller masks them)."""
    red = np.asarray(baseline, float) - np.asarray(followup, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(np.asarray(baseline, float) > 0, 100.0 * red / np.asarray(baseline, float), -np.inf)
    return (red >= mcid) & (pct >= mcid_percent)


def responders(
    wide: pd.DataFrame,
    *,
    visit_columns: dict[str, str],
    baseline: str,
    arm: str | None = None,
    arms: Sequence[str] | None = None,
    mcid: float = 2.0,
    mcid_percent: float = 30.0,
    ci_method: str = "wilson",
    conf_level: float = 0.95,
) -> RespondersResult:
    """Responder proportions per visit (and arm) from a wide table.

    Parameters
    ----------
    wide : one row per patient.
    visit_columns : follow-up visit label -> score column (NRS points).
    baseline : baseline score column.
    arm, arms : arm column and its levels (reference first) for two arms.
    mcid : minimal reduction in points; mcid_percent : minimal reduction in %
        of baseline.
    ci_method : "wilson" or "exact".
    """
    if mcid < 0 or not 0 <= mcid_percent <= 100:
        raise UsageError(f"MCID must be >= 0 points and 0-100 %; got {mcid} points, {mcid_percent} %.")
    ci = {"wilson": wilson, "exact": clopper_pearson}.get(ci_method)
    if ci is None:
        raise UsageError(f"ci_method must be 'wilson' or 'exact', got {ci_method!r}.")
    levels = [None] if arm is None else list(arms or sorted(wide[arm].dropna().unique()))
    rows, diffs = [], []
    for v, col in visit_columns.items():
        counts = {}
        for a in levels:
            part = wide if a is None else wide.loc[wide[arm] == a]
            ok = part[baseline].notna() & part[col].notna()
            x = int(is_responder(part.loc[ok, baseline], part.loc[ok, col], mcid, mcid_percent).sum())
            n = int(ok.sum())
            counts[a] = (x, n)
            lo, hi = ci(x, n, conf_level)
            row = {} if a is None else {"arm": a}
            row.update({"visit": v, "responders": x, "n": n, "proportion": x / n if n else np.nan,
                        "ci_low": float(lo), "ci_high": float(hi)})
            rows.append(row)
        if len(levels) == 2 and all(c[1] > 0 for c in counts.values()):
            (x0, n0), (x1, n1) = counts[levels[0]], counts[levels[1]]
            d, lo, hi = newcombe_difference(x1, n1, x0, n0, conf_level)
            diffs.append({"visit": v, "contrast": f"{levels[1]} - {levels[0]}", "risk_difference": d,
                          "ci_low": lo, "ci_high": hi})
    return RespondersResult(table=pd.DataFrame(rows), difference=pd.DataFrame(diffs), mcid=mcid,
                      mcid_percent=mcid_percent, ci_method=ci_method, conf_level=conf_level)

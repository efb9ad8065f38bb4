"""Descriptive statistics of a score per visit (and per arm).

For each visit (and arm) with at least one observed value: ``n``, mean,
standard deviation (``ddof = 1``, as R ``sd``), the t interval of the mean
(:math:`\\bar x \\pm t_{n-1, 0.975}\\, s/\\sqrt n`, as R ``t.test(x)$conf.int``), median and the first and
third quartiles.  Quartiles use R's default ``quantile(type = 7)``
(linear interpolation between order statistics,
:math:`Q(p) = x_{(\\lfloor h \\rfloor)} + (h - \\lfloor h \\rfloor)(x_{(\\lfloor h \\rfloor + 1)} - x_{(\\lfloor h \\rfloor)})`,
:math:`h = (n - 1)p + 1`), which is also NumPy's default ``"linear"`` method.

Reference: Hyndman RJ, Fan Y. Sample quantiles in statistical packages.
Am Stat 1996;50:361-365. doi:10.1080/00031305.1996.10473566
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from typing import Any

import numpy as np
import pandas as pd
from spinestats.analysis.core import distributions as stats

from spinestats.analysis.core.result import Result


@dataclasses.dataclass(frozen=True)
class VisitSummaryResult(Result):
    """Per-visit descriptives; ``table`` has one row per visit (and arm).

    Columns of ``table``: ``arm`` (when ``arm`` was given), ``visit``, ``n``,
    ``n_missing``, ``mean``, ``sd``, ``ci_low``, ``ci_high``, ``median``, ``q1``,
    ``q3``.
    ``quantile_type`` is 7 (R's default).
    """

    table: pd.DataFrame
    quantile_type: int = 7
    conf_level: float = 0.95

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def plot(self, ax: Any = None, *, visits: Any = None, labels: Any = None) -> Any:
        """Mean score with its t interval per visit (and arm), as the pain report's trajectory figure; returns the
        matplotlib ``Figure``.  ``visits``: their order (default: the table's); ``labels``: display labels.

        Examples
        --------
        >>> import spinestats as ss
        >>> from spinestats.analysis.longitudinal.visit_summary import summarise_visits
        >>> long = ss.example("bkp")  # patient_id, arm, visit, nrs
        >>> fig = summarise_visits(long, value="nrs", visit="visit", subject="patient_id",
        ...                        visits=["baseline", "1m", "final"]).plot()
        >>> fig.axes[0].get_ylabel()
        'Mean Pain NRS (0–10), 95% CI'
        """
        from spinestats.reports.result_plots import plot_pain_trajectory  # presentation hook, loaded on use

        return plot_pain_trajectory(self, ax=ax, visits=visits, labels=labels)

    def to_dict(self) -> dict:
        return {"quantile_type": self.quantile_type, "rows": super().to_dict()["table"]}


#: the former name, kept as an alias
VisitSummary = VisitSummaryResult


def summarise_visits(
    data: pd.DataFrame,
    *,
    value: str,
    visit: str,
    subject: str,
    visits: Sequence[str],
    arm: str | None = None,
    conf_level: float = 0.95,
) -> VisitSummaryResult:
    """Describe ``value`` per visit (and per arm) in a long table.

    Parameters
    ----------
    data : long table, one row per subject and visit (missing values as NaN).
    value : score column (e.g. NRS 0-10 points).
    visit : visit label column; ``visits`` gives their order.
    subject : patient column (used to count missed visits).
    arm : optional arm column; one block of rows per arm.

    Returns
    -------
    VisitSummary. ``n_missing`` counts patients of the arm without a value
    at that visit (no row, or an empty value).
    """
    groups = [(None, data)] if arm is None else list(data.groupby(arm, sort=True, observed=True))
    rows = []
    for arm_value, part in groups:
        n_patients = part[subject].nunique()
        for v in visits:
            x = part.loc[part[visit] == v, value].to_numpy(dtype=float, na_value=np.nan)  # nullable Int64 (pandas < 2.2)
            x = x[~np.isnan(x)]
            n = x.size
            mean = float(x.mean()) if n else np.nan
            half = stats.t.ppf(0.5 + conf_level / 2, n - 1) * x.std(ddof=1) / np.sqrt(n) if n > 1 else np.nan
            row = {} if arm is None else {"arm": arm_value}
            row.update({
                "visit": v,
                "n": int(n),
                "n_missing": int(n_patients - n),
                "mean": mean,
                "sd": float(x.std(ddof=1)) if n > 1 else np.nan,
                "ci_low": mean - half,
                "ci_high": mean + half,
                "median": float(np.median(x)) if n else np.nan,
                "q1": float(np.quantile(x, 0.25, method="linear")) if n else np.nan,
                "q3": float(np.quantile(x, 0.75, method="linear")) if n else np.nan,
            })
            rows.append(row)
    return VisitSummaryResult(table=pd.DataFrame(rows), conf_level=conf_level)

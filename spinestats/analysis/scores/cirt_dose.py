"""Dose flags, dose groups and fractionation equivalents for carbon-ion radiotherapy.

Flags (review, section 3): spinal-cord maximum >= 50 GyE (about the cord's
tolerance; above it, radiation myelitis is a risk) and a target dose below
60 GyE (60-70 GyE is considered necessary for sarcoma control).

Fractionation equivalents of a dose :math:`D` (GyE = Gy(RBE)) given in
:math:`n` fractions of :math:`d = D/n`, for a tissue with
:math:`\\alpha/\\beta`:

.. math::

    \\mathrm{BED} = D\\Big(1 + \\frac{d}{\\alpha/\\beta}\\Big),\\qquad
    \\mathrm{EQD2} = D\\,\\frac{d + \\alpha/\\beta}{2 + \\alpha/\\beta}.

These linear-quadratic conversions apply to the RBE-weighted dose and are
approximate for carbon ions (the RBE itself depends on dose per fraction);
they are offered for comparison with photon series, not for planning.

References
----------
Fowler JF (1989). The linear-quadratic formula and progress in fractionated
radiotherapy. Br J Radiol 62:679-694. doi:10.1259/0007-1285-62-740-679
Matsumoto K et al. (2013). Impact of carbon ion radiotherapy for primary
spinal sarcoma. Cancer 119:3496-3503. doi:10.1002/cncr.28177
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from spinestats.analysis.core.params import check_column
from spinestats.analysis.core.result import Result
from spinestats.errors import DataError, UsageError

CORD_LIMIT_GYE = 50.0
TARGET_MIN_GYE = 60.0
DOSE_GROUPS = ("<60 GyE", "60-<64 GyE", "64-<70 GyE", ">=70 GyE")  # ordered (an ordered categorical in tables)


@dataclasses.dataclass(frozen=True)
class DoseSummaryResult(Result):
    """Per-patient dose table and counts.

    ``table`` columns: ``total_dose_gye``, ``fractions``, ``dose_per_fraction``,
    ``bed``, ``eqd2``, ``cord_max_dose_gye``, ``cord_over_limit``,
    ``target_under_60``, ``dose_group``.
    """

    table: pd.DataFrame
    alpha_beta: float
    n: int
    n_cord_over_limit: int
    n_target_under_60: int
    n_at_least_64_in_16: int
    share_at_least_64_in_16: float
    groups: dict

    def to_frame(self) -> pd.DataFrame:
        return self.table


#: the former name, kept as an alias
DoseSummary = DoseSummaryResult


def dose_group(total: np.ndarray) -> np.ndarray:
    """Dose groups used in the reports: ``<60 GyE``, ``60-<64 GyE``, ``64-<70 GyE``, ``>=70 GyE``."""
    bins = [-np.inf, 60, 64, 70, np.inf]
    labels = np.array(DOSE_GROUPS)
    return labels[np.digitize(total, bins[1:-1], right=False)]


def cirt_dose(data: pd.DataFrame, *, total: str = "total_dose_gye", fractions: str = "fractions",
              cord: str | None = "cord_max_dose_gye", alpha_beta: float = 3.0) -> DoseSummaryResult:
    """Dose flags, groups and BED/EQD2 (``alpha_beta`` in Gy; 3 as for late-responding tissue).

    Parameters
    ----------
    data : one row per patient.
    total : total prescribed dose column (GyE).
    fractions : number of fractions column.
    cord : spinal-cord maximum dose column (GyE), or None.
    alpha_beta : alpha/beta ratio (Gy) for BED/EQD2.
    """
    if alpha_beta <= 0:
        raise UsageError(f"alpha_beta: expected a positive number of Gy, got {alpha_beta}.")
    for c, param in zip((total, fractions) + ((cord,) if cord else ()), ("total", "fractions", "cord")):
        check_column(data, c, param)
    D = data[total].to_numpy(dtype=float)
    n = data[fractions].to_numpy(dtype=float)
    if np.any(~np.isfinite(D)) or np.any(~np.isfinite(n)) or np.any(n < 1) or np.any(D <= 0):
        raise DataError(f"'{total}' and '{fractions}' must be positive numbers on every row.")
    d = D / n
    cm = data[cord].to_numpy(dtype=float) if cord else np.full(D.size, np.nan)
    table = pd.DataFrame(
        {
            "total_dose_gye": D,
            "fractions": n.astype(int),
            "dose_per_fraction": d,
            "bed": D * (1 + d / alpha_beta),
            "eqd2": D * (d + alpha_beta) / (2 + alpha_beta),
            "cord_max_dose_gye": cm,
            "cord_over_limit": np.where(np.isnan(cm), False, cm >= CORD_LIMIT_GYE),
            "target_under_60": D < TARGET_MIN_GYE,
            "dose_group": pd.Categorical(dose_group(D), categories=DOSE_GROUPS, ordered=True),
        },
        index=data.index,
    )
    hi = int(np.sum((D >= 64) & (n == 16)))
    return DoseSummaryResult(
        table=table,
        alpha_beta=float(alpha_beta),
        n=int(D.size),
        n_cord_over_limit=int(table["cord_over_limit"].sum()),
        n_target_under_60=int(table["target_under_60"].sum()),
        n_at_least_64_in_16=hi,
        share_at_least_64_in_16=hi / D.size if D.size else float("nan"),
        groups={str(k): int(v) for k, v in table["dose_group"].value_counts(sort=False).items() if v},
    )

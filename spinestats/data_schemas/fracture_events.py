"""From a ``fracture`` export's dates to (time, event) for competing-risk analysis.

Time zero is the start of irradiation (``irradiation_date``); times are in
months (1 month = 365.25/12 days, as :mod:`spinestats.data_schemas.conversion`).
The event code is

* ``1`` vertebral compression fracture (VCF) at ``vcf_date``;
* ``2`` death without a prior fracture at ``death_date`` (the competing event);
* ``0`` censored at ``last_follow_up_date`` (alive and fracture-free).

A fracture is the first event even if the patient died later: follow-up for
the fracture ends at the fracture.  The loader's ``dates_in_order`` and
``event_needs_date`` rules already refuse inconsistent rows; the same checks
are repeated here, with the row's line, so a DataFrame built by hand is held
to the same rules.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from spinestats.errors import DataError

DAYS_PER_MONTH = 365.25 / 12
CENSORED, FRACTURE, DEATH = 0, 1, 2
EVENT_LABELS = {CENSORED: "censored", FRACTURE: "fracture", DEATH: "death"}


def fracture_events(data: pd.DataFrame) -> pd.DataFrame:
    """``time_months`` and ``event`` (0/1/2) for each row of a ``fracture`` table.

    Raises
    ------
    DataError
        if a fracture or death flag lacks its date, or an end date falls before
        ``irradiation_date`` (e.g. a fracture before irradiation); every
        offending line is listed.
    """
    need = ["irradiation_date", "vcf", "vcf_date", "death", "death_date", "last_follow_up_date"]
    missing = [c for c in need if c not in data.columns]
    if missing:
        raise DataError(f"fracture data: column(s) {missing} missing; expected the 'fracture' schema columns")
    start = pd.to_datetime(data["irradiation_date"])
    vcf = data["vcf"].astype(bool).to_numpy()
    death = data["death"].astype(bool).to_numpy()
    vcf_date = pd.to_datetime(data["vcf_date"])
    death_date = pd.to_datetime(data["death_date"])
    last = pd.to_datetime(data["last_follow_up_date"])
    problems = []
    for label in data.index[vcf & vcf_date.isna().to_numpy()]:
        problems.append(f"line {label}: vcf is yes but vcf_date is empty (event_needs_date)")
    for label in data.index[death & death_date.isna().to_numpy()]:
        problems.append(f"line {label}: death is yes but death_date is empty (event_needs_date)")
    end = np.where(vcf, vcf_date, np.where(death, death_date, last))
    end = pd.to_datetime(pd.Series(end, index=data.index))
    days = (end - start).dt.days.to_numpy(dtype=float)
    for label, d, is_vcf in zip(data.index, days, vcf):
        if np.isfinite(d) and d < 0:
            what = "vcf_date (fracture) is before irradiation_date" if is_vcf else "end of follow-up is before irradiation_date"
            problems.append(f"line {label}: {what} (dates_in_order); a fracture before irradiation is a baseline fracture, record it in baseline_fracture")
    if np.any(start.isna()):
        problems.extend(f"line {label}: irradiation_date is empty" for label in data.index[start.isna().to_numpy()])
    if problems:
        raise DataError("fracture data: dates cannot be used:\n  " + "\n  ".join(problems), problems=tuple(problems))
    event = np.where(vcf, FRACTURE, np.where(death, DEATH, CENSORED))
    return pd.DataFrame({"time_months": days / DAYS_PER_MONTH, "event": event}, index=data.index)

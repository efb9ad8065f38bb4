"""Time-to-event endpoints after carbon-ion radiotherapy, derived from dates (``cirt`` schema).

Time zero is ``treatment_date`` (start of CIRT).  For each patient:

* **OS** (overall survival): event = death; time to death, else to last follow-up.
* **LC** (local control): event = local recurrence; time to recurrence,
  else to death or last follow-up.  Two conventions, both returned:

  - ``lc_event`` (Kaplan-Meier convention): death without recurrence is
    *censored* at death;
  - ``lc_status`` (competing-risk convention): 1 = local recurrence,
    2 = death without recurrence (competing event), 0 = censored; analysed
    with the Aalen-Johansen cumulative incidence.

* **DMFS** (distant-metastasis-free survival): event = distant metastasis or
  death, whichever first.
* **PFS** (progression-free survival): event = local recurrence, distant
  metastasis or death, whichever first.

Units: months by default, ``months = days / (365.25 / 12)`` (30.4375 days);
``years = days / 365.25``; or days.  The conversion is stated in the result.

Checks (each a :class:`DataError` naming the spreadsheet lines): an event
flagged without its date, an event or follow-up date before the start of
CIRT, and an event dated after the last follow-up (or after death).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from spinestats.analysis.core.result import Result
from spinestats.errors import DataError, UsageError
from spinestats.vocabulary import ENDPOINT_LABELS

UNITS = {"months": 365.25 / 12, "days": 1.0, "years": 365.25}
CONVERSION = {
    "months": "months = days / 30.4375 (365.25 / 12)",
    "days": "days (no conversion)",
    "years": "years = days / 365.25",
}
ENDPOINTS = ("os", "lc", "dmfs", "pfs")
LABELS = ENDPOINT_LABELS
REQUIRED = ("treatment_date", "local_recurrence", "local_recurrence_date", "distant_metastasis",
            "distant_metastasis_date", "death", "death_date", "last_follow_up_date")


@dataclasses.dataclass(frozen=True)
class EndpointsResult(Result):
    """Per-patient endpoint table and the unit it is in.

    ``table`` has, per endpoint ``e`` in ``os, lc, dmfs, pfs``, columns
    ``e_time`` and ``e_event`` (bool), plus ``lc_status`` (0/1/2, competing-risk
    coding), indexed like the input (spreadsheet line numbers for loaded data).
    """

    table: pd.DataFrame
    unit: str
    conversion: str
    n: int
    warnings: tuple[str, ...]

    def to_frame(self) -> pd.DataFrame:
        return self.table


#: the former name, kept as an alias
Endpoints = EndpointsResult


def _lines(mask: pd.Series) -> str:
    idx = list(mask[mask].index[:10])
    return ", ".join(map(str, idx)) + (" ..." if int(mask.sum()) > 10 else "")


def derive_endpoints(data: pd.DataFrame, *, unit: str = "months") -> EndpointsResult:
    """Derive OS, LC (both conventions), DMFS and PFS from a ``cirt`` table.

    Parameters
    ----------
    data : canonical ``cirt`` columns (dates as datetime64, flags as bool),
        e.g. ``load(path, schema="cirt").data``; the index names rows in messages.
    unit : ``"months"`` (default), ``"days"`` or ``"years"``.

    Returns
    -------
    Endpoints
    """
    if unit not in UNITS:
        raise UsageError(f"unit: expected one of {', '.join(UNITS)}, got {unit!r}.")
    missing = [c for c in REQUIRED if c not in data.columns]
    if missing:
        raise UsageError(f"cirt endpoints need the columns {', '.join(missing)}; load the file with --schema cirt.")
    d = data
    dates = {c: pd.to_datetime(d[c]) for c in REQUIRED if c.endswith("_date")}
    flags = {}
    for c in ("local_recurrence", "distant_metastasis", "death"):
        col = d[c]
        if col.isna().any():
            raise DataError(f"column '{c}': missing yes/no value on line(s) {_lines(col.isna())}.")
        flags[c] = col.astype(bool)
    start, lfu = dates["treatment_date"], dates["last_follow_up_date"]
    problems = []
    if start.isna().any():
        problems.append(f"treatment_date missing on line(s) {_lines(start.isna())}")
    if lfu.isna().any():
        problems.append(f"last_follow_up_date missing on line(s) {_lines(lfu.isna())}")
    for flag, date in (("local_recurrence", "local_recurrence_date"), ("distant_metastasis", "distant_metastasis_date"),
                       ("death", "death_date")):
        no_date = flags[flag] & dates[date].isna()
        if no_date.any():
            problems.append(f"{flag} is yes but {date} is empty on line(s) {_lines(no_date)}")
        after = flags[flag] & (dates[date] > lfu)
        if after.any():
            problems.append(f"{date} is after last_follow_up_date on line(s) {_lines(after)} "
                            "(an event after the last follow-up: correct the dates)")
        before = flags[flag] & (dates[date] < start)
        if before.any():
            problems.append(f"{date} is before treatment_date on line(s) {_lines(before)}")
    before = lfu < start
    if before.any():
        problems.append(f"last_follow_up_date is before treatment_date on line(s) {_lines(before)}")
    dead = flags["death"]
    for flag, date in (("local_recurrence", "local_recurrence_date"), ("distant_metastasis", "distant_metastasis_date")):
        late = dead & flags[flag] & (dates[date] > dates["death_date"])
        if late.any():
            problems.append(f"{date} is after death_date on line(s) {_lines(late)}")
    if problems:
        raise DataError("cannot derive the endpoints: " + "; ".join(problems) + ".")
    f = UNITS[unit]

    def span(end: pd.Series) -> np.ndarray:
        return ((end - start).dt.days.to_numpy()) / f

    end_os = dates["death_date"].where(dead, lfu)
    lr, dm = flags["local_recurrence"], flags["distant_metastasis"]
    end_lc = dates["local_recurrence_date"].where(lr, end_os)
    first_dm_or_death = pd.concat([dates["distant_metastasis_date"].where(dm), dates["death_date"].where(dead)],
                                  axis=1).min(axis=1)
    end_dmfs = first_dm_or_death.where(dm | dead, lfu)
    first_any = pd.concat([dates["local_recurrence_date"].where(lr), dates["distant_metastasis_date"].where(dm),
                           dates["death_date"].where(dead)], axis=1).min(axis=1)
    end_pfs = first_any.where(lr | dm | dead, lfu)
    table = pd.DataFrame(
        {
            "os_time": span(end_os),
            "os_event": dead.to_numpy(),
            "lc_time": span(end_lc),
            "lc_event": lr.to_numpy(),
            "lc_status": np.where(lr, 1, np.where(dead, 2, 0)),
            "dmfs_time": span(end_dmfs),
            "dmfs_event": (dm | dead).to_numpy(),
            "pfs_time": span(end_pfs),
            "pfs_event": (lr | dm | dead).to_numpy(),
        },
        index=d.index,
    )
    warnings = []
    zero = (table["os_time"] == 0)
    if zero.any():
        warnings.append(f"{int(zero.sum())} patient(s) have no follow-up after the start of CIRT (time 0).")
    return EndpointsResult(table=table, unit=unit, conversion=CONVERSION[unit], n=int(len(table)), warnings=tuple(warnings))

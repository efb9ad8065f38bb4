"""The mapping option that would read an unparsed date column (for the error message's hint).

Looks at the texts that failed and names the ``dates:`` declaration that
reads them: ``japanese_era`` for era or 年月日 dates (H31.4.30, 平成31年4月30日,
2015年7月29日), a strftime format for day-first or month-first dates
(``"%d.%m.%Y"``, ``"%d/%m/%Y"``, ``"%m/%d/%Y"``; when every value could be
either, both are named, since only the user knows which was meant).
"""

from __future__ import annotations

import re

import pandas as pd

from spinestats.data_schemas.japanese_dates import HINT as JAPANESE_HINT
from spinestats.data_schemas.japanese_dates import looks_japanese

_DMY = re.compile(r"^(\d{1,2})([./-])(\d{1,2})\2(\d{4})$")


def format_hint(texts: pd.Series) -> str | None:
    """A sentence naming the ``dates:`` option that reads ``texts`` (distinct failed texts), or None."""
    if looks_japanese(texts):
        return JAPANESE_HINT
    found = [m for m in (_DMY.match(str(v).strip()) for v in texts.dropna().tolist()) if m]
    if not found:
        return None
    sep = found[0].group(2)
    first = [int(m.group(1)) for m in found]
    second = [int(m.group(3)) for m in found]
    day_first = f'dates: "%d{sep}%m{sep}%Y"'
    month_first = f'dates: "%m{sep}%d{sep}%Y"'
    if any(a > 12 for a in first) and all(b <= 12 for b in second):
        return f"these look like day-first dates (e.g. {found[0].group(0)}): declare {day_first} in the mapping"
    if any(b > 12 for b in second) and all(a <= 12 for a in first):
        return f"these look like month-first dates (e.g. {found[0].group(0)}): declare {month_first} in the mapping"
    return (f"dates such as {found[0].group(0)} are read with {day_first} (day first) or {month_first} "
            "(month first) in the mapping; declare the one your export uses")

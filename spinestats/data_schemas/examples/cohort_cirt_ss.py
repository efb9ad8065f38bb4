"""Synthetic CIRT after separation surgery (CIRT-SS) cohort: 8 patients, ``cirt`` schema.

SYNTHETIC DATA reconstructed from the published aggregates of the review
(Matsumoto, Fukushima J Med Sci, section 3; ref. 14, Matsumoto Y et al.,
Int J Clin Oncol 2019, doi:10.1007/s10147-019-01505-y); not patient data.

Published: in the initial CIRT-SS group the 2-year local control was 87.5%
and no radiation myelitis was observed.

:func:`make` builds 8 patients, all with separation surgery: one local
recurrence at 14 months and nobody censored (or dead) before 2 years, so the
Kaplan-Meier local control at 24 months is exactly 7/8 = 87.5%.  The cord
maximum stays below 50 GyE for everyone (the point of the separation), the
target gets 64-70.4 GyE in 16 fractions.  One patient is the review's
Fig. 6 case (49-year-old man, T11/12 malignant peripheral nerve sheath
tumour).  Deterministic for a given seed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DAYS_PER_MONTH = 365.25 / 12

# months from CIRT: (last follow-up, local recurrence or None, distant metastasis or None, died)
COURSE = [
    (26.0, 14.0, None, False),
    (38.5, None, None, False),
    (31.0, None, 20.0, True),
    (44.0, None, None, False),
    (29.5, None, None, False),
    (52.0, None, 33.0, False),
    (27.0, None, None, False),
    (35.0, None, None, False),
]
HISTOLOGY = ["malignant peripheral nerve sheath tumour", "chondrosarcoma", "osteosarcoma", "Ewing sarcoma",
             "chordoma", "undifferentiated pleomorphic sarcoma", "osteosarcoma", "chondrosarcoma"]
SITE = ["thoracic", "cervical", "lumbar", "thoracic", "lumbar", "thoracic", "cervical", "lumbar"]


def make(seed: int = 2019) -> pd.DataFrame:
    """The 8-patient CIRT-SS cohort (canonical ``cirt`` columns), deterministic for ``seed``."""
    rng = np.random.default_rng(seed)
    n = len(COURSE)
    tdate = pd.Timestamp("2014-04-01") + pd.to_timedelta(np.sort(rng.integers(0, 3 * 365, n)), unit="D")

    def at(months):
        return [None if m is None else (t + pd.Timedelta(round(m * DAYS_PER_MONTH), unit="D")).date()
                for t, m in zip(tdate, months)]

    lfu = at([c[0] for c in COURSE])
    died = [c[3] for c in COURSE]
    ages = rng.integers(18, 75, n)
    ages[0] = 49  # the Fig. 6 case
    sex = rng.choice(["male", "female"], n)
    sex[0] = "male"
    return pd.DataFrame(
        {
            "patient_id": [f"CIRTSS-{i + 1:02d}" for i in range(n)],
            "centre": "Centre B",
            "histology": HISTOLOGY,
            "site": SITE,
            "age": ages,
            "sex": sex,
            "diagnosis_date": [(t - pd.Timedelta(int(d), unit="D")).date() for t, d in zip(tdate, rng.integers(30, 120, n))],
            "treatment_date": [t.date() for t in tdate],
            "local_recurrence": [c[1] is not None for c in COURSE],
            "local_recurrence_date": at([c[1] for c in COURSE]),
            "distant_metastasis": [c[2] is not None for c in COURSE],
            "distant_metastasis_date": at([c[2] for c in COURSE]),
            "death": died,
            "death_date": [d if x else None for d, x in zip(lfu, died)],
            "last_follow_up_date": lfu,
            "total_dose_gye": rng.choice([64.0, 67.2, 70.4], n),
            "fractions": 16,
            "cord_max_dose_gye": np.round(rng.uniform(36, 46, n), 1),
            "separation_surgery": True,
            "wbb_zones": ["10-3", "4-8", "9-2", "1-5", "4-9", "10-2", "8-12", "3-6"],
            "wbb_layers": ["B-E", "A-D", "B-E", "C-E", "A-C", "B-E", "A-E", "B-D"],
        }
    )

"""Synthetic CAFE-like two-arm trial: 65 BKP vs 52 non-surgical control.

SYNTHETIC DATA reconstructed from the published aggregates quoted by the
review (Matsumoto, Fukushima J Med Sci, section 5(2)(b); Berenson et al.,
Lancet Oncol 2011;12:225-235, doi:10.1016/S1470-2045(11)70008-0); not
patient data.

Published: 117 patients with tumour-related vertebral fractures randomised
to BKP (65) or control (52); pain improved only with BKP and the benefit
lasted 12 months.  :func:`make` builds a wide ``bkp`` table with exactly 65
and 52 patients, NRS integers 0-10 at baseline, 1 week and 1, 3, 6 and 12
months, a patient random intercept, a lasting improvement of about 3.5
points in the BKP arm and almost none in the control arm, and a few missed
visits (more at later visits).  Deterministic for a given seed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

N_ARM = {"BKP": 65, "control": 52}
VISITS = ("baseline", "1w", "1m", "3m", "6m", "12m")
MEANS = {  # expected NRS per visit
    "BKP": (7.4, 4.4, 3.9, 3.8, 3.7, 3.6),
    "control": (7.3, 7.0, 6.8, 6.7, 6.6, 6.6),
}
MISSING = (0.0, 0.03, 0.04, 0.06, 0.08, 0.11)  # chance of a missed visit


def make(seed: int = 20110301) -> pd.DataFrame:
    """The CAFE-like trial in the ``bkp`` schema's wide layout."""
    rng = np.random.default_rng(seed)
    frames = []
    start = 1
    for arm, n in N_ARM.items():
        u = rng.normal(0.0, 1.2, n)  # patient level
        nrs = {}
        for k, visit in enumerate(VISITS):
            y = np.clip(np.rint(MEANS[arm][k] + u + rng.normal(0.0, 1.1, n)), 0, 10).astype(int)
            col = pd.Series(y, dtype="Int64")
            missed = rng.random(n) < MISSING[k]
            col[missed] = pd.NA
            nrs[f"nrs_{visit}"] = col
        frame = pd.DataFrame({
            "patient_id": [f"CAFE-{start + i:03d}" for i in range(n)],
            "arm": arm,
            "age": np.rint(rng.normal(64, 11, n)).clip(30, 90).astype(int),
            "sex": np.where(rng.random(n) < 0.6, "female", "male"),
            **nrs,
            "levels_treated": rng.choice([1, 1, 2, 3], n),
            "cement_leakage": (rng.random(n) < 0.05) if arm == "BKP" else np.zeros(n, dtype=bool),
            "new_fracture": rng.random(n) < (0.06 if arm == "BKP" else 0.04),
            "added_fixation": np.zeros(n, dtype=bool),
        })
        start += n
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)

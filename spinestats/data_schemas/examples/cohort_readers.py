"""Synthetic two- (three-) reader scoring of the DSS imaging features.

SYNTHETIC DATA, not patient data.  The 59 dumbbell tumours of the bundled
DSS cohort (``cohort_dss``) are "re-read" by three readers (R1, R2, R3); each
reader measures the size with error (SD 0.3 cm) and misreads each binary
feature with a small probability (boundary 8%, lobulated shape 12%, bone
destruction 6%), so agreement is high but imperfect, as in inter-observer
studies of imaging scores.  Long layout per the ``readers`` schema: one row
per case and reader (``case_id, reader, size_cm, boundary, lobulated,
bone_destruction, dss``).  Readers R1 and R2 read every case; R3 reads every
case too, for Fleiss' kappa.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from spinestats.data_schemas.examples import cohort_dss

DEFAULT_SEED = 20261128
READERS = ("R1", "R2", "R3")
FLIP = {"boundary": 0.08, "lobulated": 0.12, "bone_destruction": 0.06}
SIZE_SD_CM = 0.3
COLUMNS = ["case_id", "reader", "size_cm", "boundary", "lobulated", "bone_destruction", "dss"]


def make(seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """Long table: 59 cases x 3 readers = 177 rows."""
    rng = np.random.default_rng(seed)
    truth = cohort_dss.make().reset_index(drop=True)
    rows = []
    for i, case in truth.iterrows():
        cid = f"CASE-{i + 1:03d}"
        for reader in READERS:
            size = round(max(0.5, float(case["size_cm"]) + rng.normal(0, SIZE_SD_CM)), 1)
            indistinct = (case["boundary"] == "indistinct") ^ (rng.random() < FLIP["boundary"])
            lob = bool(case["lobulated"]) ^ bool(rng.random() < FLIP["lobulated"])
            bone = bool(case["bone_destruction"]) ^ bool(rng.random() < FLIP["bone_destruction"])
            dss = 2 * (size >= 5) + 2 * indistinct + lob + bone
            rows.append({"case_id": cid, "reader": reader, "size_cm": size,
                         "boundary": "indistinct" if indistinct else "distinct",
                         "lobulated": lob, "bone_destruction": bone, "dss": int(dss)})
    return pd.DataFrame(rows, columns=COLUMNS)

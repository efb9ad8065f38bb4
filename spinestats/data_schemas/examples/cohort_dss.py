"""Synthetic spinal dumbbell tumour cohort (59 patients) for the Dumbbell Scoring System.

SYNTHETIC DATA reconstructed from the published aggregates of the review
(Matsumoto, Fukushima J Med Sci, section 1; original study Spine 2016;41:E1230);
not patient data.

Published aggregates reproduced exactly:

* Table 1 histologies: benign 39 (Neurinoma 37, Ganglioneuroma 1, Hemangioma 1);
  malignant 20 (MPNST 11, malignant lymphoma 3, extraskeletal Ewing sarcoma,
  hemangiopericytoma, hemangioendothelioma, malignant myoepithelioma,
  neuroblastoma, plasmacytoma 1 each).
* Table 2 points: size >= 5 cm, 2; indistinct boundary, 2; irregular lobulated
  shape, 1; osteolytic bone destruction, 1 (DSS 0-6).
* Median DSS 0 (benign) and 5.5 (malignant); at DSS >= 3, 18/20 malignant
  test-positive (sensitivity 0.900) and 33/39 benign test-negative
  (specificity 0.846).
* Every feature is more common in malignant tumours, each significant by
  Fisher's exact test (the published Table 2 claim; per-feature counts were not
  published, so the ones below are a plausible reconstruction).
* DSS >= 3 is the unique Youden-optimal (and closest-to-top-left) cutoff, as the
  paper chose it from the ROC curve (J = 0.746 at >= 3; 0.722 at >= 4; 0.668 at >= 2).

The DSS distribution and the feature pattern at each level are fixed
(``PATTERNS``); the seed only draws tumour sizes within the right side of 5 cm
and the order of patients and histologies.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DEFAULT_SEED = 20160501
HEADER_COMMENT = (
    "# SYNTHETIC DATA: reconstructed from published aggregates "
    "(Matsumoto, Fukushima J Med Sci); not patient data."
)

#: (reference, size >= 5 cm, indistinct boundary, lobulated, bone destruction, number of patients)
PATTERNS: tuple[tuple[str, bool, bool, bool, bool, int], ...] = (
    # malignant (20): DSS 1:1, 2:1, 3:1, 4:2, 5:5, 6:10 -> median 5.5, 18/20 >= 3
    ("malignant", True, True, True, True, 10),  # 6
    ("malignant", True, True, True, False, 3),  # 5
    ("malignant", True, True, False, True, 2),  # 5
    ("malignant", True, True, False, False, 1),  # 4
    ("malignant", False, True, True, True, 1),  # 4
    ("malignant", False, True, False, True, 1),  # 3
    ("malignant", True, False, False, False, 1),  # 2
    ("malignant", False, False, False, True, 1),  # 1
    # benign (39): DSS 0:22, 1:6, 2:5, 3:1, 4:3, 5:2 -> median 0, 33/39 < 3
    ("benign", False, False, False, False, 22),  # 0
    ("benign", False, False, True, False, 4),  # 1
    ("benign", False, False, False, True, 2),  # 1
    ("benign", True, False, False, False, 3),  # 2
    ("benign", False, True, False, False, 1),  # 2
    ("benign", False, False, True, True, 1),  # 2
    ("benign", True, False, True, False, 1),  # 3
    ("benign", True, True, False, False, 1),  # 4
    ("benign", True, False, True, True, 1),  # 4
    ("benign", False, True, True, True, 1),  # 4
    ("benign", True, True, True, False, 1),  # 5
    ("benign", True, True, False, True, 1),  # 5
)

HISTOLOGY = {
    "benign": (("Neurinoma", 37), ("Ganglioneuroma", 1), ("Hemangioma", 1)),
    "malignant": (
        ("MPNST", 11),
        ("Malignant lymphoma", 3),
        ("Extraskeletal Ewing sarcoma", 1),
        ("Hemangiopericytoma", 1),
        ("Hemangioendothelioma", 1),
        ("Malignant myoepithelioma", 1),
        ("Neuroblastoma", 1),
        ("Plasmacytoma", 1),
    ),
}

COLUMNS = [
    "patient_id", "centre", "histology", "reference", "size_cm", "boundary",
    "lobulated", "bone_destruction", "dss",
]


def make(seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """The 59-patient synthetic DSS cohort (canonical ``dss`` schema columns).

    Parameters
    ----------
    seed : seed of the size and order draws (the published aggregates do not depend on it).

    Returns
    -------
    DataFrame with columns ``patient_id, centre, histology, reference, size_cm,
    boundary, lobulated, bone_destruction, dss`` (centre "Fukushima (synthetic)").
    """
    rng = np.random.default_rng(seed)
    rows = []
    for ref, big, indistinct, lob, bone, k in PATTERNS:
        for _ in range(k):
            rows.append({"reference": ref, "big": big, "indistinct": indistinct, "lobulated": lob, "bone_destruction": bone})
    df = pd.DataFrame(rows)
    # sizes (cm, 1 decimal): 5.0-11.9 when >= 5 cm, 1.5-4.9 otherwise
    big_sizes = np.round(rng.uniform(5.0, 11.9, len(df)), 1)
    small_sizes = np.round(rng.uniform(1.5, 4.9, len(df)), 1)
    df["size_cm"] = np.where(df["big"], big_sizes, small_sizes)
    df["boundary"] = np.where(df["indistinct"], "indistinct", "distinct")
    df["histology"] = ""
    for ref, hist in HISTOLOGY.items():
        labels = np.array([name for name, k in hist for _ in range(k)], dtype=object)
        idx = np.flatnonzero(df["reference"].to_numpy() == ref)
        df.loc[idx, "histology"] = labels[rng.permutation(labels.size)]
    df = df.iloc[rng.permutation(len(df))].reset_index(drop=True)
    df["dss"] = (
        2 * (df["size_cm"] >= 5).astype(int)
        + 2 * (df["boundary"] == "indistinct").astype(int)
        + df["lobulated"].astype(int)
        + df["bone_destruction"].astype(int)
    )
    df["patient_id"] = [f"DSS-{i + 1:03d}" for i in range(len(df))]
    df["centre"] = "Fukushima (synthetic)"
    return df[COLUMNS]


def write(path, seed: int = DEFAULT_SEED) -> None:
    """Write :func:`make` to ``path`` as UTF-8 CSV with the SYNTHETIC comment line."""
    df = make(seed)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(HEADER_COMMENT + "\n")
        df.to_csv(fh, index=False, lineterminator="\n")


if __name__ == "__main__":  # pragma: no cover
    from pathlib import Path

    write(Path(__file__).with_name("synthetic_dss.csv"))

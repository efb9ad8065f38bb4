"""Synthetic prospective multicentre validation of the Dumbbell Scoring System.

SYNTHETIC DATA, not patient data.  The review calls for "multicenter
prospective validation"; this set imitates one: 6 centres, 480 patients with
a spinal dumbbell tumour, the four DSS imaging features and the histological
reference standard.  Per class, the DSS distribution of every centre is the
one of the original single-centre series (Matsumoto et al. 2016, as
reconstructed in ``cohort_dss``: malignant 1:1, 2:1, 3:1, 4:2, 5:5, 6:10 of
20; benign 0:22, 1:6, 2:5, 3:1, 4:3, 5:2 of 39) truncated at the cutoff:
each centre has a fixed number of test positives per class (``CENTRES``), so
the pooled accuracy at DSS >= 3 (145/163 = 89.0%, 263/317 = 83.0%) is close to
the published 90% / 84.6%, with between-centre heterogeneity.

:func:`make` gives the clean combined table (canonical ``dss`` columns;
480 rows).  :func:`write` writes, into ``<folder>/multicenter/``, the centre
exports *as centres would send them*:

* ``centre_A.csv`` ... ``centre_F``: UTF-8 CSVs with canonical headers, except
* ``centre_B.csv``: CP932 (Shift-JIS) with Japanese headers and codes and the
  size in millimetres, read with ``mapping_centre_B.yaml``;
* ``centre_C.xlsx``: an Excel workbook (sheet ``export``);
* missing values and rows that must be excluded (a missing reference
  standard, a size of 0, a precomputed DSS that disagrees with the features):
  :data:`MESSY_ROWS` lists them; each centre file has ``n`` clean rows plus
  its messy rows.

The same seed gives the same rows; the XLSX workbook's content is
deterministic but its zip timestamps are not.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from spinestats.text_numbers import to_numeric

DEFAULT_SEED = 20261127
HEADER_COMMENT = (
    "# SYNTHETIC DATA: reconstructed from published aggregates "
    "(Matsumoto, Fukushima J Med Sci); not patient data."
)

#: centre label -> (patients, malignant, target sensitivity, target specificity) at DSS >= 3.
#: Test-positive counts are round(n * target) exactly; the centres differ as in a real
#: multicentre study (a threshold effect: A and B read "positive" more readily than C).
CENTRES: dict[str, tuple[int, int, float, float]] = {
    "A": (100, 34, 0.94, 0.76),
    "B": (90, 30, 0.90, 0.70),
    "C": (80, 28, 0.82, 0.92),
    "D": (70, 24, 0.88, 0.85),
    "E": (75, 25, 0.84, 0.88),
    "F": (65, 22, 0.96, 0.93),
}
FORMAT = {"A": "csv", "B": "cp932", "C": "xlsx", "D": "csv", "E": "csv", "F": "csv"}

#: published single-centre DSS distributions (cohort_dss): score -> count
MALIGNANT_DSS = {1: 1, 2: 1, 3: 1, 4: 2, 5: 5, 6: 10}
BENIGN_DSS = {0: 22, 1: 6, 2: 5, 3: 1, 4: 3, 5: 2}

#: feature patterns (size>=5, indistinct, lobulated, bone destruction) giving each score
PATTERNS = {
    0: [(0, 0, 0, 0)],
    1: [(0, 0, 1, 0), (0, 0, 0, 1)],
    2: [(1, 0, 0, 0), (0, 1, 0, 0), (0, 0, 1, 1)],
    3: [(1, 0, 1, 0), (0, 1, 0, 1), (1, 0, 0, 1), (0, 1, 1, 0)],
    4: [(1, 1, 0, 0), (1, 0, 1, 1), (0, 1, 1, 1)],
    5: [(1, 1, 1, 0), (1, 1, 0, 1)],
    6: [(1, 1, 1, 1)],
}

#: rows that a careful analysis must exclude: centre -> list of (problem, row overrides)
MESSY_ROWS: dict[str, list[tuple[str, dict]]] = {
    "A": [("missing reference standard", {"reference": None})],
    "B": [("size recorded as 0", {"size_cm": 0.0})],
    "D": [("precomputed DSS disagrees with the features", {"dss_offset": 1}),
          ("missing reference standard", {"reference": None})],
    "E": [("missing tumour size", {"size_cm": None})],
}

BENIGN_HISTOLOGY = (("Neurinoma", 0.9), ("Ganglioneuroma", 0.05), ("Hemangioma", 0.05))
MALIGNANT_HISTOLOGY = (("MPNST", 0.5), ("Malignant lymphoma", 0.15), ("Extraskeletal Ewing sarcoma", 0.1),
                       ("Hemangiopericytoma", 0.1), ("Plasmacytoma", 0.15))

COLUMNS = ["patient_id", "centre", "histology", "reference", "size_cm", "boundary", "lobulated",
           "bone_destruction", "dss"]

JA_HEADERS = {"patient_id": "患者ID", "centre": "施設", "histology": "組織型", "reference": "良悪性",
              "size_cm": "腫瘍径", "boundary": "境界", "lobulated": "分葉状", "bone_destruction": "骨破壊",
              "dss": "DSS"}
JA_CODES = {"reference": {"benign": "良性", "malignant": "悪性"},
            "boundary": {"distinct": "明瞭", "indistinct": "不明瞭"}}
MAPPING_B = """\
# Mapping of centre B's export (Excel CSV in CP932, Japanese headers and codes, size in mm)
schema: dss
encoding: cp932
columns:
  患者ID: patient_id
  施設: centre
  組織型: histology
  良悪性: reference
  腫瘍径: size_cm
  境界: boundary
  分葉状: lobulated
  骨破壊: bone_destruction
  DSS: dss
units:
  size_cm: mm
codes:
  reference: {良性: benign, 悪性: malignant}
  boundary: {明瞭: distinct, 不明瞭: indistinct}
  lobulated: {あり: true, なし: false}
  bone_destruction: {あり: true, なし: false}
missing: [不明, 未記入]
"""


def centre_label(code: str) -> str:
    return f"Centre {code} (synthetic)"


def _scores(rng: np.random.Generator, dist: dict[int, int], n_high: int, n_low: int) -> np.ndarray:
    """``n_high`` scores >= 3 and ``n_low`` scores < 3 from the published distribution, truncated."""
    out = []
    for count, keep in ((n_high, lambda v: v >= 3), (n_low, lambda v: v < 3)):
        levels = np.array([v for v in dist if keep(v)], dtype=int)
        p = np.array([dist[v] for v in levels], dtype=float)
        out.append(rng.choice(levels, size=count, p=p / p.sum()))
    return np.concatenate(out)


def _centre_rows(rng: np.random.Generator, code: str) -> pd.DataFrame:
    n, n_mal, sens, spec = CENTRES[code]
    n_ben = n - n_mal
    tp, tn = int(round(n_mal * sens)), int(round(n_ben * spec))
    ref = np.array(["malignant"] * n_mal + ["benign"] * n_ben)
    score = np.concatenate([_scores(rng, MALIGNANT_DSS, tp, n_mal - tp),
                            _scores(rng, BENIGN_DSS, n_ben - tn, tn)])
    rows = []
    for r, s in zip(ref, score):
        opts = PATTERNS[int(s)]
        size_ge5, indistinct, lob, bone = opts[int(rng.integers(len(opts)))]
        size = round(float(rng.uniform(5.0, 9.5) if size_ge5 else rng.uniform(1.5, 4.9)), 1)
        names, probs = zip(*(MALIGNANT_HISTOLOGY if r == "malignant" else BENIGN_HISTOLOGY))
        hist = str(rng.choice(names, p=np.array(probs) / sum(probs)))
        rows.append({"centre": centre_label(code), "histology": hist, "reference": r, "size_cm": size,
                     "boundary": "indistinct" if indistinct else "distinct", "lobulated": bool(lob),
                     "bone_destruction": bool(bone), "dss": int(s)})
    df = pd.DataFrame(rows)
    df = df.iloc[rng.permutation(len(df))].reset_index(drop=True)
    if code == "F":  # an optional column with gaps: histology not yet recorded (kept, not excluded)
        df.loc[df.index % 15 == 0, "histology"] = None
    df.insert(0, "patient_id", [f"MC{code}-{i + 1:03d}" for i in range(len(df))])
    return df[COLUMNS]


def _clean(seed: int) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    return {code: _centre_rows(rng, code) for code in CENTRES}


def make(seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """The clean combined table: 480 patients from 6 centres (canonical ``dss`` columns)."""
    return pd.concat(_clean(seed).values(), ignore_index=True)


def centre_exports(seed: int = DEFAULT_SEED) -> dict[str, pd.DataFrame]:
    """Each centre's export before encoding: the clean rows plus its messy rows (canonical names)."""
    out = {}
    for code, df in _clean(seed).items():
        extra = []
        for i, (_, change) in enumerate(MESSY_ROWS.get(code, [])):
            row = df.iloc[i % len(df)].to_dict()
            row["patient_id"] = f"MC{code}-X{i + 1:02d}"
            for k, v in change.items():
                if k == "dss_offset":
                    row["dss"] = int(row["dss"]) + v if int(row["dss"]) + v <= 6 else int(row["dss"]) - v
                else:
                    row[k] = v
            extra.append(row)
        if extra:
            df = pd.concat([df.astype(object), pd.DataFrame(extra, columns=COLUMNS, dtype=object)], ignore_index=True)
        out[code] = df
    return out


def _to_japanese(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out["size_cm"] = (to_numeric(out["size_cm"]) * 10).round(0)
    for col, codes in JA_CODES.items():
        out[col] = out[col].map(lambda v, c=codes: c.get(v, "未記入") if isinstance(v, str) else "未記入")
    for col in ("lobulated", "bone_destruction"):
        out[col] = out[col].map({True: "あり", False: "なし"})
    return out.rename(columns=JA_HEADERS)


def write(folder: str | Path, seed: int = DEFAULT_SEED) -> list[Path]:
    """Write the centre exports and mappings into ``<folder>/multicenter/``; returns the paths."""
    target = Path(folder) / "multicenter"
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for code, df in centre_exports(seed).items():
        fmt = FORMAT[code]
        if fmt == "csv":
            p = target / f"centre_{code}.csv"
            text = HEADER_COMMENT + "\n" + df.to_csv(index=False, lineterminator="\n")
            p.write_text(text, encoding="utf-8", newline="")
        elif fmt == "cp932":
            p = target / f"centre_{code}.csv"
            text = HEADER_COMMENT + "\r\n" + _to_japanese(df).to_csv(index=False, lineterminator="\r\n")
            p.write_bytes(text.encode("cp932"))
            m = target / f"mapping_centre_{code}.yaml"
            m.write_text(MAPPING_B, encoding="utf-8", newline="")
            written.append(m)
        else:
            p = target / f"centre_{code}.xlsx"
            with pd.ExcelWriter(p, engine="openpyxl") as xw:
                df.to_excel(xw, sheet_name="export", index=False)
                props = xw.book.properties
                import datetime as _dt

                fixed = _dt.datetime(2026, 1, 1)
                props.created = fixed
                props.modified = fixed
                props.creator = "spinestats synthetic generator"
        written.append(p)
    readme = target / "README.txt"
    readme.write_text(
        "SYNTHETIC DATA: a simulated prospective multicentre validation of the Dumbbell Scoring System; "
        "not patient data.\n"
        "centre_B.csv is CP932 with Japanese headers (use mapping_centre_B.yaml); centre_C.xlsx is Excel.\n"
        "Some rows are deliberately invalid (missing reference, size 0, DSS disagreeing with features).\n",
        encoding="utf-8", newline="")
    written.append(readme)
    return written

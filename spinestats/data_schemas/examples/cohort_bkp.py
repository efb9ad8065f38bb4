"""Synthetic balloon-kyphoplasty series (17 patients), one arm, wide layout.

SYNTHETIC DATA reconstructed from the published aggregates of the review
(Matsumoto, Fukushima J Med Sci, section 5(2)(b)); not patient data.

Published: 17 consecutive patients with tumour-related vertebral fractures;
pain NRS 7 +/- 2.3 (SD) before BKP, 2.2 +/- 2.1 at 1 month and 1.8 +/- 1.9 at
the final observation; one crushed vertebra needed added posterior fixation
with percutaneous pedicle screws.

:func:`make` reproduces these exactly at one-decimal precision with integer
NRS values 0-10 (baseline sum 119 -> mean 7.0; 1 month sum 37 -> 2.18;
final sum 31 -> 1.82).  The 1 week, 3, 6 and 12 month visits are filled for
a few patients only (sparse, as in a retrospective chart review).  The
construction is deterministic: a seeded draw, then a deterministic repair
of sums and SDs by single-point moves.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

N_PATIENTS = 17
TARGETS = {  # visit: (sum of NRS, SD interval [lo, hi) that rounds to the published SD)
    "baseline": (119, (2.25, 2.35)),
    "1m": (37, (2.05, 2.15)),
    "final": (31, (1.85, 1.95)),
}
SPARSE = {"1w": 8, "3m": 9, "6m": 7, "12m": 5}  # visit: number of patients seen


def fit_integers(rng: np.random.Generator, n: int, total: int, sd_range: tuple[float, float],
                 centre: float) -> np.ndarray:
    """Integers 0-10 with the given sum and an SD (ddof=1) inside ``sd_range``.

    Starts from a seeded normal draw around ``centre`` and repairs it with
    deterministic +1/-1 moves (the move that brings the SD closest to the
    middle of ``sd_range`` while keeping the sum).
    """
    x = np.clip(np.rint(rng.normal(centre, np.mean(sd_range), n)), 0, 10).astype(int)
    while x.sum() != total:  # fix the sum one point at a time
        if x.sum() < total:
            i = int(np.argmin(np.where(x < 10, x, 99)))
            x[i] += 1
        else:
            i = int(np.argmax(np.where(x > 0, x, -1)))
            x[i] -= 1
    target = float(np.mean(sd_range))
    for _ in range(1000):
        sd = x.std(ddof=1)
        if sd_range[0] <= sd < sd_range[1]:
            return x
        best, best_gap = None, abs(sd - target)
        for i in range(n):
            for j in range(n):
                if i == j or x[i] >= 10 or x[j] <= 0:
                    continue
                y = x.copy()
                y[i] += 1
                y[j] -= 1
                gap = abs(y.std(ddof=1) - target)
                if gap < best_gap - 1e-12:
                    best, best_gap = y, gap
        if best is None:
            break
        x = best
    raise RuntimeError("could not reach the published SD")  # pragma: no cover


def pair_by_rank(rng: np.random.Generator, anchor: np.ndarray, values: np.ndarray, noise: float) -> np.ndarray:
    """Arrange ``values`` so that they follow the ranks of ``anchor`` loosely."""
    order = np.argsort(anchor + rng.normal(0, noise, anchor.size), kind="stable")
    out = np.empty_like(values)
    out[order] = np.sort(values, kind="stable")
    return out


def make(seed: int = 20240517) -> pd.DataFrame:
    """The 17-patient BKP series in the ``bkp`` schema's wide layout."""
    rng = np.random.default_rng(seed)
    base = fit_integers(rng, N_PATIENTS, *TARGETS["baseline"], centre=7.0)
    m1 = pair_by_rank(rng, base, fit_integers(rng, N_PATIENTS, *TARGETS["1m"], centre=2.2), 2.0)
    final = pair_by_rank(rng, m1, fit_integers(rng, N_PATIENTS, *TARGETS["final"], centre=1.8), 1.5)
    df = pd.DataFrame({
        "patient_id": [f"BKP-{i + 1:02d}" for i in range(N_PATIENTS)],
        "arm": "BKP",
        "age": np.rint(rng.normal(66, 9, N_PATIENTS)).clip(35, 88).astype(int),
        "sex": np.where(rng.random(N_PATIENTS) < 0.5, "female", "male"),
        "nrs_baseline": base,
    })
    sparse: dict[str, pd.Series] = {}
    for visit, k in SPARSE.items():
        seen = np.sort(rng.choice(N_PATIENTS, size=k, replace=False))
        # between baseline and 1 month at 1 week, between 1 month and final later on
        if visit == "1w":
            vals = np.rint(0.45 * base + 0.55 * m1 + rng.normal(0, 1.0, N_PATIENTS))
        else:
            vals = np.rint(0.5 * m1 + 0.5 * final + rng.normal(0, 0.8, N_PATIENTS))
        col = pd.Series(pd.NA, index=range(N_PATIENTS), dtype="Int64")
        col.iloc[seen] = np.clip(vals[seen], 0, 10).astype(int)
        sparse[visit] = col
    df["nrs_1w"] = sparse["1w"]
    df["nrs_1m"] = m1
    df["nrs_3m"] = sparse["3m"]
    df["nrs_6m"] = sparse["6m"]
    df["nrs_12m"] = sparse["12m"]
    df["nrs_final"] = final
    df["levels_treated"] = rng.choice([1, 1, 1, 2, 2, 3], N_PATIENTS)
    leak = np.zeros(N_PATIENTS, dtype=bool)
    leak[rng.choice(N_PATIENTS, size=3, replace=False)] = True
    df["cement_leakage"] = leak
    df["new_fracture"] = False
    fix = np.zeros(N_PATIENTS, dtype=bool)
    crushed = int(np.argmax(final))  # the one crushed vertebra: among the worst final pain
    fix[crushed] = True
    df["added_fixation"] = fix
    df.loc[crushed, "new_fracture"] = True
    return df

"""Synthetic fracture-after-irradiation cohort (126 patients), ``fracture`` schema.

SYNTHETIC DATA reconstructed from the published aggregates of the review
(Matsumoto, Fukushima J Med Sci, section 3; refs. 15, 16); not patient data.

Published: vertebral compression fracture (VCF) in 23% of 30 primary spinal
tumours after carbon-ion radiotherapy (CIRT), median about 7 months; about
13.9% after SBRT; 3-5% after conventional radiotherapy.

:func:`make` reproduces these counts exactly:

=============  ========  =========  ==========  ===============================
modality       patients  fractures  proportion  fracture times (months)
=============  ========  =========  ==========  ===============================
CIRT           30        7          23.3%       median 7.0 (range 2.5-22)
SBRT           36        5          13.9%       median 3.0
conventional   60        3          5.0%        median 4.0
=============  ========  =========  ==========  ===============================

Death is the competing event: CIRT patients (primary sarcomas) live long
(exponential survival with a 5-year survival of about 52%, as the review's
CIRT series); SBRT and conventional patients (metastases) have median
survivals of about 18 and 9 months.  SINS components are drawn per modality
and the fractures go to the patients with the highest SINS plus noise, so
SINS (lytic lesions, baseline collapse, malalignment) is associated with
fracture.  Irradiation 2012-2022, administrative end of follow-up
2024-12-31; dates obey the schema rules (irradiation <= fracture <= last
follow-up; last follow-up = date of death for the dead).  The construction
is deterministic for a given seed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DAYS_PER_MONTH = 365.25 / 12
END = pd.Timestamp("2024-12-31")

# modality: (patients, fracture times in months (their count = fractures), median survival in months)
ARMS = {
    "CIRT": (30, (2.5, 4.0, 5.5, 7.0, 9.0, 13.0, 22.0), 63.3),
    "SBRT": (36, (1.5, 2.0, 3.0, 4.5, 8.0), 18.0),
    "conventional": (60, (2.0, 4.0, 6.0), 9.0),
}
# per modality, probabilities of each component's points (same order as the schema's allowed values)
SINS_PROBS = {
    "CIRT": {
        "sins_location": ((0, 1, 2, 3), (0.35, 0.15, 0.3, 0.2)),
        "sins_pain": ((0, 1, 3), (0.3, 0.5, 0.2)),
        "sins_bone_lesion": ((0, 1, 2), (0.1, 0.3, 0.6)),
        "sins_alignment": ((0, 2, 4), (0.8, 0.17, 0.03)),
        "sins_collapse": ((0, 1, 2, 3), (0.45, 0.35, 0.15, 0.05)),
        "sins_posterolateral": ((0, 1, 3), (0.4, 0.4, 0.2)),
    },
    "SBRT": {
        "sins_location": ((0, 1, 2, 3), (0.05, 0.45, 0.3, 0.2)),
        "sins_pain": ((0, 1, 3), (0.25, 0.5, 0.25)),
        "sins_bone_lesion": ((0, 1, 2), (0.2, 0.3, 0.5)),
        "sins_alignment": ((0, 2, 4), (0.8, 0.17, 0.03)),
        "sins_collapse": ((0, 1, 2, 3), (0.4, 0.35, 0.2, 0.05)),
        "sins_posterolateral": ((0, 1, 3), (0.5, 0.35, 0.15)),
    },
    "conventional": {
        "sins_location": ((0, 1, 2, 3), (0.05, 0.45, 0.3, 0.2)),
        "sins_pain": ((0, 1, 3), (0.2, 0.5, 0.3)),
        "sins_bone_lesion": ((0, 1, 2), (0.3, 0.3, 0.4)),
        "sins_alignment": ((0, 2, 4), (0.75, 0.2, 0.05)),
        "sins_collapse": ((0, 1, 2, 3), (0.4, 0.3, 0.2, 0.1)),
        "sins_posterolateral": ((0, 1, 3), (0.45, 0.35, 0.2)),
    },
}
DOSES = {  # modality: ((total Gy, fractions), ...) drawn uniformly
    "CIRT": ((64.0, 16), (70.4, 16), (67.2, 16)),
    "SBRT": ((24.0, 2), (27.0, 3), (30.0, 5), (24.0, 1)),
    "conventional": ((30.0, 10), (20.0, 5), (8.0, 1)),
}
SITES = {
    "CIRT": (("sacral", "lumbar", "thoracic", "cervical"), (0.5, 0.25, 0.2, 0.05)),
    "SBRT": (("thoracic", "lumbar", "cervical", "sacral"), (0.5, 0.3, 0.15, 0.05)),
    "conventional": (("thoracic", "lumbar", "cervical", "sacral"), (0.5, 0.3, 0.1, 0.1)),
}
COLUMNS = [
    "patient_id", "centre", "modality", "total_dose_gy", "fractions", "age", "site",
    "sins_location", "sins_pain", "sins_bone_lesion", "sins_alignment", "sins_collapse", "sins_posterolateral",
    "irradiation_date", "vcf", "vcf_date", "death", "death_date", "last_follow_up_date", "baseline_fracture",
]


def _date(start: pd.Timestamp, months: float) -> pd.Timestamp:
    return start + pd.Timedelta(int(round(months * DAYS_PER_MONTH)), unit="D")


def make(seed: int = 20240715) -> pd.DataFrame:
    """The 126-patient cohort (canonical ``fracture`` columns; dates as ISO text)."""
    rng = np.random.default_rng(seed)
    rows = []
    pid = 0
    for modality, (n, fx_times, median_surv) in ARMS.items():
        comps = {c: rng.choice(v, size=n, p=p) for c, (v, p) in SINS_PROBS[modality].items()}
        total = np.sum(list(comps.values()), axis=0)
        latent = total + rng.normal(0, 3.5, n)
        fractured = np.zeros(n, bool)
        fractured[np.argsort(-latent, kind="stable")[: len(fx_times)]] = True
        fx_order = rng.permutation(len(fx_times))
        fx_month = np.full(n, np.nan)
        fx_month[np.flatnonzero(fractured)] = np.asarray(fx_times)[fx_order]
        # irradiation dates: early enough that every fracture is observed before the end of follow-up
        start_days = rng.integers(0, (pd.Timestamp("2022-06-30") - pd.Timestamp("2012-01-01")).days, n)
        starts = [pd.Timestamp("2012-01-01") + pd.Timedelta(int(d), unit="D") for d in start_days]
        surv = rng.exponential(median_surv / np.log(2), n) + 0.5
        loss = rng.uniform(0, 1, n) < 0.1  # lost to follow-up early
        loss_month = rng.uniform(3, 60, n)
        doses = rng.integers(0, len(DOSES[modality]), n)
        sites = rng.choice(SITES[modality][0], size=n, p=SITES[modality][1])
        ages = np.clip(np.rint(rng.normal(52 if modality == "CIRT" else 66, 12, n)), 18, 92)
        centres = rng.choice(["Centre A", "Centre B"], size=n, p=(0.6, 0.4))
        for i in range(n):
            pid += 1
            start = starts[i]
            admin = (END - start).days / DAYS_PER_MONTH
            if fractured[i]:
                surv[i] = max(surv[i], fx_month[i] + 1.0)
                loss[i] = False
            end = min(admin, loss_month[i] if loss[i] else np.inf)
            died = surv[i] <= end
            last = surv[i] if died else end
            gy, fr = DOSES[modality][doses[i]]
            rows.append(
                {
                    "patient_id": f"FX-{pid:03d}",
                    "centre": centres[i],
                    "modality": modality,
                    "total_dose_gy": gy,
                    "fractions": fr,
                    "age": int(ages[i]),
                    "site": sites[i],
                    **{c: int(comps[c][i]) for c in comps},
                    "irradiation_date": start.date().isoformat(),
                    "vcf": bool(fractured[i]),
                    "vcf_date": _date(start, fx_month[i]).date().isoformat() if fractured[i] else "",
                    "death": bool(died),
                    "death_date": _date(start, surv[i]).date().isoformat() if died else "",
                    "last_follow_up_date": _date(start, last).date().isoformat(),
                    "baseline_fracture": bool(comps["sins_collapse"][i] >= 2),
                }
            )
    return pd.DataFrame(rows, columns=COLUMNS)

"""Synthetic carbon-ion radiotherapy cohort: 47 primary spinal sarcomas, ``cirt`` schema.

SYNTHETIC DATA reconstructed from the published aggregates of the review
(Matsumoto, Fukushima J Med Sci, section 3; ref. 12, Matsumoto K et al.,
Cancer 2013;119:3496); not patient data.

Published: 47 patients; more than 90% received >= 64 GyE in 16 fractions;
median survival time 44 months; 5-year local control 79%; 5-year survival 52%.

What :func:`make` reproduces, with spinestats' own estimators (months =
days / 30.4375, time zero = start of CIRT):

* 47 patients, 43 (91.5%) at 64.0 or 70.4 GyE in 16 fractions; 4 at
  52.8-60.8 GyE (two of them below 60 GyE); 3 with a spinal-cord maximum
  >= 50 GyE;
* Kaplan-Meier 5-year overall survival 52% (rounds to 0.52);
* Kaplan-Meier 5-year local control 79% (rounds to 0.79; death without
  recurrence censored, the convention of the paper);
* "median survival time 44 months": the median *observed* survival time
  (median time from CIRT to death or last follow-up) rounds to 44 months.

Why not the Kaplan-Meier median: a KM median of 44 months means
:math:`S(44) \\le 0.5`, which forces :math:`S(60) \\le 0.5` and contradicts
the 52% 5-year survival quoted in the same sentence.  The two published
numbers can hold together only if "median survival time" is the median of
the observed times, so that is the figure reproduced (and reported by the
survival job as ``published.median_observed_os``); the KM median OS of this
cohort lies beyond 5 years.

Construction: accrual 1996-2011, administrative end of follow-up
2012-12-31, exponential times to local recurrence, distant metastasis and
death (plus some loss to follow-up); the first candidate, over sub-seeds
``(seed, k)``, whose estimates round to the published figures is kept, so the
output is deterministic for a given seed.  Dates obey the schema rules
(diagnosis <= CIRT <= events <= last follow-up; last follow-up = death date
for the dead).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DAYS_PER_MONTH = 365.25 / 12
N = 47
HISTOLOGY = (["osteosarcoma"] * 14 + ["chondrosarcoma"] * 9 + ["malignant peripheral nerve sheath tumour"] * 6
             + ["Ewing sarcoma"] * 5 + ["undifferentiated pleomorphic sarcoma"] * 5 + ["rhabdomyosarcoma"] * 3
             + ["leiomyosarcoma"] * 3 + ["synovial sarcoma"] * 2)
SITES = ["cervical"] * 5 + ["thoracic"] * 20 + ["lumbar"] * 22
ZONES = ["4-8", "5-9", "2-5", "8-11", "3-9", "10-3", "4-9", "1-4"]
LAYERS = ["A-C", "A-D", "B-D", "A;B;C", "B-E", "A-B"]
ADMIN_END = pd.Timestamp("2012-12-31")
# First sub-seed k whose candidate matches the published figures, found by running the search from k = 0;
# starting there gives the same cohort without repeating the rejected candidates (make() checks it again).
FIRST_MATCH = {2013: 1610}


def _km_at(time: np.ndarray, event: np.ndarray, t: float) -> float:
    """Product-limit survival at ``t``, for the generator's calibration only.

    The same arithmetic as :func:`spinestats.analysis.survival.kaplan_meier.km_curve`
    (so the committed CSV does not change), written here because the input
    layer does not import the statistics layer.
    """
    time = np.asarray(time, dtype=float)
    event = np.asarray(event, dtype=bool)
    ut, inv = np.unique(time, return_inverse=True)
    d = np.bincount(inv, weights=event, minlength=ut.size)
    exits = np.bincount(inv, minlength=ut.size)
    nrisk = time.size - np.concatenate(([0], np.cumsum(exits)[:-1]))
    surv = np.cumprod(np.where(nrisk > 0, 1 - d / np.where(nrisk > 0, nrisk, 1), 1.0))
    k = np.searchsorted(ut, t, side="right") - 1
    return float(surv[k]) if k >= 0 else 1.0


def _candidate(rng: np.random.Generator) -> pd.DataFrame:
    start = pd.Timestamp("1996-06-01")
    accrual_days = (pd.Timestamp("2011-06-30") - start).days
    tdate = start + pd.to_timedelta(np.sort(rng.integers(0, accrual_days, N)), unit="D")
    potential = (ADMIN_END - tdate).days.to_numpy().astype(float)
    lost = np.where(rng.uniform(size=N) < 0.25, rng.uniform(6, 60, N) * DAYS_PER_MONTH, np.inf)
    cens = np.minimum(potential, lost)
    death = rng.exponential(60 / -np.log(0.50), N) * DAYS_PER_MONTH
    lr = rng.exponential(60 / -np.log(0.80), N) * DAYS_PER_MONTH
    dm = rng.exponential(60 / -np.log(0.62), N) * DAYS_PER_MONTH
    death = np.maximum(np.round(death), 30)
    lr = np.maximum(np.round(lr), 60)
    dm = np.maximum(np.round(dm), 45)
    cens = np.floor(cens)
    died = death <= cens
    end = np.where(died, death, cens)
    has_lr = lr < end
    has_dm = dm < end
    return pd.DataFrame({"tdate": tdate, "end": end, "died": died, "lr": np.where(has_lr, lr, np.nan),
                         "dm": np.where(has_dm, dm, np.nan)})


def _published_ok(c: pd.DataFrame) -> bool:
    m = DAYS_PER_MONTH
    os_t = c["end"].to_numpy() / m
    os_e = c["died"].to_numpy()
    lc_t = np.where(c["lr"].notna(), c["lr"], c["end"]) / m
    lc_e = c["lr"].notna().to_numpy()
    return (round(_km_at(os_t, os_e, 60.0), 2) == 0.52 and round(_km_at(lc_t, lc_e, 60.0), 2) == 0.79
            and round(float(np.median(os_t))) == 44)


def make(seed: int = 2013) -> pd.DataFrame:
    """The 47-patient CIRT cohort (canonical ``cirt`` columns), deterministic for ``seed``."""
    for k in range(FIRST_MATCH.get(seed, 0), 100000):
        rng = np.random.default_rng([seed, k])
        c = _candidate(rng)
        if _published_ok(c):
            break
    else:  # pragma: no cover - the search always succeeds for the default seed
        raise RuntimeError("no candidate cohort matched the published figures")
    rng = np.random.default_rng([seed, k, 1])
    day = pd.to_timedelta
    tdate = c["tdate"]
    dose = np.array([64.0] * 30 + [70.4] * 13 + [52.8, 57.6, 60.8, 60.8])
    rng.shuffle(dose)
    cord = np.round(rng.uniform(30, 49.5, N), 1)
    cord[rng.choice(N, 3, replace=False)] = [50.4, 51.2, 52.0]
    died = c["died"].to_numpy()
    end = tdate + day(c["end"], unit="D")
    out = pd.DataFrame(
        {
            "patient_id": [f"CIRT-{i + 1:03d}" for i in range(N)],
            "centre": "Centre A",
            "histology": rng.permutation(HISTOLOGY),
            "site": rng.permutation(SITES),
            "age": rng.integers(14, 81, N),
            "sex": rng.choice(["male", "female"], N, p=[0.6, 0.4]),
            "diagnosis_date": (tdate - day(rng.integers(21, 150, N), unit="D")).dt.date,
            "treatment_date": tdate.dt.date,
            "local_recurrence": c["lr"].notna().to_numpy(),
            "local_recurrence_date": (tdate + day(c["lr"], unit="D")).dt.date,
            "distant_metastasis": c["dm"].notna().to_numpy(),
            "distant_metastasis_date": (tdate + day(c["dm"], unit="D")).dt.date,
            "death": died,
            "death_date": end.where(died).dt.date,
            "last_follow_up_date": end.dt.date,
            "total_dose_gye": dose,
            "fractions": 16,
            "cord_max_dose_gye": cord,
            "separation_surgery": False,
            "wbb_zones": rng.choice(ZONES, N),
            "wbb_layers": rng.choice(LAYERS, N),
        }
    )
    return out.astype({"local_recurrence_date": object, "distant_metastasis_date": object, "death_date": object})

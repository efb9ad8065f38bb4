"""The bundled BKP and CAFE-like cohorts reproduce the published aggregates.

Review (Matsumoto, Fukushima J Med Sci), section 5(2)(b): 17 patients, NRS
7 +/- 2.3 before BKP, 2.2 +/- 2.1 at 1 month, 1.8 +/- 1.9 at the final
observation, one crushed vertebra needing added fixation; CAFE: 65 BKP vs 52
control, pain improved only with BKP, lasting 12 months.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spinestats.data_schemas.examples import cohort_bkp, cohort_cafe
from spinestats.data_schemas.loading import load

EXAMPLES = Path(cohort_bkp.__file__).parent
COMMENT = ("# SYNTHETIC DATA: reconstructed from published aggregates (Matsumoto, Fukushima J Med Sci); "
           "not patient data.")


def r1(x: float) -> float:
    """Round half away from zero to one decimal, as published tables do."""
    return float(np.floor(x * 10 + 0.5) / 10)


def test_bkp_reproduces_published_nrs():
    d = cohort_bkp.make()
    assert len(d) == 17 and d["patient_id"].is_unique
    for col, (mean, sd) in {"nrs_baseline": (7.0, 2.3), "nrs_1m": (2.2, 2.1), "nrs_final": (1.8, 1.9)}.items():
        x = d[col].astype(float)
        assert x.notna().sum() == 17
        assert (r1(x.mean()), r1(x.std(ddof=1))) == (mean, sd), col
    nrs = d.filter(like="nrs_").stack().dropna().astype(float)  # (pandas 3 stacks missing cells too)
    assert ((nrs >= 0) & (nrs <= 10) & (nrs == np.round(nrs))).all()
    for sparse in ("nrs_1w", "nrs_3m", "nrs_6m", "nrs_12m"):
        assert 0 < d[sparse].notna().sum() < 17
    assert d["added_fixation"].sum() == 1  # the one crushed vertebra
    assert set(d["arm"]) == {"BKP"}


def test_cafe_reproduces_trial_design():
    d = cohort_cafe.make()
    assert d["arm"].value_counts().to_dict() == {"BKP": 65, "control": 52}
    change = (d["nrs_12m"] - d["nrs_baseline"]).groupby(d["arm"]).mean()
    assert change["BKP"] < -3 and change["control"] > -1.5  # BKP improves and lasts 12 months
    change1 = (d["nrs_1m"] - d["nrs_baseline"]).groupby(d["arm"]).mean()
    assert change1["BKP"] < -3 and change1["control"] > -1.5
    missing = d.filter(like="nrs_").isna().mean()
    assert missing["nrs_baseline"] == 0 and 0 < missing.max() < 0.2  # a few missed visits


@pytest.mark.parametrize("name,module", [("bkp", cohort_bkp), ("cafe", cohort_cafe)])
def test_committed_csv_equals_generator(name, module):
    path = EXAMPLES / f"synthetic_{name}.csv"
    assert path.read_text(encoding="utf-8").splitlines()[0] == COMMENT
    table = load(path, schema="bkp")
    assert not table.errors
    made = module.make()
    got = table.data.reset_index(drop=True)
    for col in [c for c in made if c.startswith("nrs_")] + ["patient_id", "arm"]:
        assert got[col].astype(str).tolist() == made[col].astype(str).tolist(), col


def test_generators_are_deterministic():
    pd.testing.assert_frame_equal(cohort_bkp.make(), cohort_bkp.make())
    pd.testing.assert_frame_equal(cohort_cafe.make(), cohort_cafe.make())
    assert not cohort_cafe.make(seed=1).equals(cohort_cafe.make())

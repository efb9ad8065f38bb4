"""SINS-derived covariates (analysis/scores/sins_covariates.py) on the bundled fracture cohort.

The total is the sum of the six component points (R: ``rowSums(d[, components])``), the category its
Fisher et al. (2010) band, ``lytic`` the bone-lesion component 2; the input is not modified.
"""

import numpy as np

from spinestats.analysis.scores.sins import COMPONENTS
from spinestats.analysis.scores.sins_covariates import SINS_DERIVED, derive_covariates
from spinestats.data_schemas.examples import cohort_fracture


def test_derived_columns_follow_their_definitions():
    d = cohort_fracture.make()
    before = d.copy()
    out = derive_covariates(d)
    total = d[list(COMPONENTS)].astype(float).sum(axis=1).to_numpy()
    assert np.array_equal(out["sins_total"].to_numpy(), total)
    bands = np.select([total <= 6, total <= 12], ["stable", "indeterminate"], "unstable")
    assert out["sins_category"].tolist() == bands.tolist()
    assert out["sins_7_or_more"].tolist() == (total >= 7).tolist()
    assert out["lytic"].tolist() == (d["sins_bone_lesion"].astype(int) == 2).tolist()
    assert set(SINS_DERIVED) <= set(out.columns) and out["baseline_fracture"].dtype == bool
    assert d.equals(before)  # a copy; the input keeps its columns and values


def test_fracture_job_and_predict_use_the_same_derivation():
    from spinestats.reports import fracture_job
    from spinestats.reports.cli import predict  # noqa: F401  (imports the derivation lazily, from analysis)

    assert fracture_job.derive_covariates is derive_covariates and fracture_job.SINS_DERIVED is SINS_DERIVED

"""The project's real resamplers give identical results for any workers or backend.

Each resampling method (multiple imputation, optimism correction, the
bootstrap of the cutoff, the bootstrap CI of the AUC) is run in-process, with two joblib workers and on a
``dask.distributed.LocalCluster`` with two worker processes; the results must
be bit-identical, because every replicate draws from its own child of
``SeedSequence(seed).spawn`` (``analysis/core/resampling.py``).  Every method has
landed: a module or function that goes missing fails its test (no skip hides it).
"""

from __future__ import annotations

import importlib
import json

import numpy as np
import pandas as pd
import pytest


def _need(module: str, name: str):
    """``module.name``: an ImportError or AttributeError fails the test."""
    return getattr(importlib.import_module(module), name)


@pytest.fixture(scope="module")
def cluster_address():
    from dask import distributed  # the test extra installs it

    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        yield cluster.scheduler_address


# --------------------------------------------------------------------------- multiple imputation


@pytest.fixture(scope="module")
def pain_wide() -> pd.DataFrame:
    rng = np.random.default_rng(9)
    n = 60
    base = np.clip(np.round(rng.normal(7, 2, n)), 0, 10)
    m1 = np.clip(np.round(base - 4 + rng.normal(0, 2, n)), 0, 10)
    m3 = np.clip(np.round(m1 - 0.5 + rng.normal(0, 1.5, n)), 0, 10)
    frame = pd.DataFrame({"baseline": base, "m1": m1, "m3": m3, "age": rng.normal(65, 10, n)})
    frame.loc[rng.random(n) < 0.2, "m1"] = np.nan
    frame.loc[rng.random(n) < 0.3, "m3"] = np.nan
    return frame


def test_mice_same_for_any_workers_and_cluster(pain_wide, cluster_address):
    impute = _need("spinestats.analysis.longitudinal.mice", "impute")
    kw = dict(columns=["baseline", "m1", "m3"], predictors=["age"], m=6, maxit=3, seed=11)
    serial = impute(pain_wide, **kw).completed
    assert serial.shape == (6, len(pain_wide), 3)
    missing = pain_wide[["m1", "m3"]].isna().to_numpy()
    imputed_cells = serial[:, :, 1:][:, missing]
    assert not np.isnan(imputed_cells).any()
    assert np.ptp(imputed_cells, axis=0).max() > 0  # imputations differ from each other
    np.testing.assert_array_equal(impute(pain_wide, **kw, workers=2).completed, serial)
    np.testing.assert_array_equal(impute(pain_wide, **kw, scheduler=cluster_address).completed, serial)
    assert not np.array_equal(impute(pain_wide, **{**kw, "seed": 12}).completed, serial)


# --------------------------------------------------------------------------- optimism correction


def fit_logistic(frame: pd.DataFrame) -> np.ndarray:
    """Logistic regression of ``y`` on ``x1, x2`` by Newton-Raphson (module level: picklable)."""
    X = np.column_stack([np.ones(len(frame)), frame["x1"], frame["x2"]])
    y = frame["y"].to_numpy(float)
    beta = np.zeros(3)
    for _ in range(25):
        p = 1 / (1 + np.exp(-(X @ beta)))
        step = np.linalg.solve(X.T @ (X * (p * (1 - p))[:, None]), X.T @ (y - p))
        beta = beta + step
        if np.abs(step).max() < 1e-10:
            break
    return beta


def auc_measure(beta: np.ndarray, frame: pd.DataFrame) -> float:
    """Mann-Whitney AUC of the linear predictor (ties count 1/2)."""
    lp = beta[0] + beta[1] * frame["x1"].to_numpy() + beta[2] * frame["x2"].to_numpy()
    y = frame["y"].to_numpy() == 1
    pos, neg = lp[y], lp[~y]
    return float(((pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum())
                 / (pos.size * neg.size))


def brier_measure(beta: np.ndarray, frame: pd.DataFrame) -> float:
    lp = beta[0] + beta[1] * frame["x1"].to_numpy() + beta[2] * frame["x2"].to_numpy()
    return float(np.mean((1 / (1 + np.exp(-lp)) - frame["y"].to_numpy()) ** 2))


@pytest.fixture(scope="module")
def dev_data() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    n = 120
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(-0.5 + 0.9 * x1 - 0.4 * x2)))).astype(int)
    return pd.DataFrame({"x1": x1, "x2": x2, "y": y})


def test_optimism_same_for_any_workers_and_cluster(dev_data, cluster_address):
    optimism_correction = _need("spinestats.analysis.prediction.optimism", "optimism_correction")
    measures = {"auc": auc_measure, "brier": brier_measure}
    kw = dict(B=40, seed=3, chunk_size=7)
    serial = optimism_correction(dev_data, fit_logistic, measures, **kw)
    per = serial.per_replicate.to_numpy()
    assert per.shape == (40, 2) and np.isfinite(per).all()
    assert serial.measures["auc"].optimism > 0  # refitting on the resample is optimistic
    for other in (
        optimism_correction(dev_data, fit_logistic, measures, **kw, workers=2),
        optimism_correction(dev_data, fit_logistic, measures, **kw, scheduler=cluster_address),
        optimism_correction(dev_data, fit_logistic, measures, B=40, seed=3, chunk_size=40),
    ):
        np.testing.assert_array_equal(other.per_replicate.to_numpy(), per)
        assert other.measures["auc"].corrected == serial.measures["auc"].corrected


# --------------------------------------------------------------------------- bootstrap of the cutoff


@pytest.mark.parametrize("oob", [True, False], ids=["index-resampling", "multinomial-counts"])
def test_cutoff_bootstrap_same_for_any_workers_and_cluster(cluster_address, oob):
    bootstrap_cutoff = _need("spinestats.analysis.diagnostic.cutoff_bootstrap", "bootstrap_cutoff")
    rng = np.random.default_rng(21)
    truth = rng.random(300) < 0.4
    score = rng.binomial(6, np.where(truth, 0.65, 0.35)).astype(float)
    kw = dict(B=120, seed=8, method="youden", oob=oob)
    serial = bootstrap_cutoff(score, truth, **kw)
    assert serial.inbag_sensitivity.shape == (120,)
    assert np.ptp(serial.inbag_sensitivity) > 0  # replicates differ
    fields = ["inbag_sensitivity", "inbag_specificity", "frequency", "replicate_cutoff"]
    if oob:
        fields += ["oob_sensitivity", "oob_specificity"]
    for other in (bootstrap_cutoff(score, truth, **kw, workers=2),
                  bootstrap_cutoff(score, truth, **kw, scheduler=cluster_address)):
        for name in fields:
            np.testing.assert_array_equal(getattr(other, name), getattr(serial, name), err_msg=name)
        assert other.youden_corrected == serial.youden_corrected
    different = bootstrap_cutoff(score, truth, **{**kw, "seed": 9})
    assert not np.array_equal(different.inbag_sensitivity, serial.inbag_sensitivity)


# --------------------------------------------------------------------------- bootstrap CI of the AUC


def test_auc_bootstrap_same_for_any_workers_and_cluster(cluster_address):
    bootstrap_auc = _need("spinestats.analysis.diagnostic.auc_bootstrap", "bootstrap_auc")
    rng = np.random.default_rng(33)
    truth = rng.random(200) < 0.35
    score = np.round(rng.normal(size=200) + 0.8 * truth, 2)
    kw = dict(B=150, seed=6)
    serial = bootstrap_auc(score, truth, **kw)
    assert serial.replicate_auc.shape == (150,) and np.ptp(serial.replicate_auc) > 0
    assert serial.ci[0] < serial.auc < serial.ci[1]
    for other in (bootstrap_auc(score, truth, **kw, workers=2),
                  bootstrap_auc(score, truth, **kw, scheduler=cluster_address)):
        np.testing.assert_array_equal(other.replicate_auc, serial.replicate_auc)
        np.testing.assert_array_equal(other.se_median, serial.se_median)
        assert other.ci == serial.ci
    assert not np.array_equal(bootstrap_auc(score, truth, B=150, seed=7).replicate_auc, serial.replicate_auc)


# --------------------------------------------------------------------------- whole commands


def _run_cli(argv: list[str]) -> None:
    from spinestats.reports.cli.main import main

    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 0, f"spinestats {' '.join(argv)} exited with {exit_info.value.code}"


def test_accuracy_command_results_identical_for_any_workers(tmp_path, cluster_address):
    rng = np.random.default_rng(4)
    truth = rng.random(150) < 0.4
    table = pd.DataFrame({
        "score": rng.binomial(6, np.where(truth, 0.65, 0.35)),
        "histology": np.where(truth, "malignant", "benign"),
    })
    table.to_csv(tmp_path / "scores.csv", index=False)
    base = ["accuracy", str(tmp_path / "scores.csv"), "--score", "score", "--truth", "histology",
            "--positive", "malignant", "--bootstrap", "60", "--seed", "5", "--figure-format", "png", "--dpi", "72"]
    texts = []
    for extra, name in (([], "w1"), (["--workers", "2"], "w2"), (["--scheduler", cluster_address], "dask")):
        _run_cli(base + extra + ["--out", str(tmp_path / name)])
        texts.append((tmp_path / name / "results.json").read_text(encoding="utf-8"))
    boot = json.loads(texts[0])["bootstrap"]["cutoff_validation"]  # the replicates ran, and are the ones compared
    assert (boot["B"], boot["seed"]) == (60, 5)
    assert sum(c["frequency"] for c in boot["cutoff_distribution"]) == pytest.approx(1.0)
    assert texts[1] == texts[0]
    assert texts[2] == texts[0]

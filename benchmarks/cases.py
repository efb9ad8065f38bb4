"""The benchmark workloads: data generators, spinestats calls and reference calls.

Each :class:`Workload` generates its data from a fixed seed (``numpy.random.
default_rng``), names the R script in ``benchmarks/workloads/`` that times
the R reference on the same rows (written to a temporary CSV), and gives
*setup* functions for spinestats and for the Python peers.  A setup function
receives the generated ``DataFrame``, prepares its inputs (untimed: this is the
"reading" step) and returns a zero-argument callable; the runner times only
that callable.  The callable returns a dict of check values (named as the R
script's ``VALUE`` lines) so every run also shows that the implementations
agree on the numbers they were timed on.

A spinestats function that has not landed yet raises :class:`NotAvailable`
and the runner prints a "not available yet" row instead of failing.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

Setup = Callable[[pd.DataFrame], Callable[[], dict[str, float]]]


class NotAvailable(Exception):
    """The implementation to time is not installed or has not landed yet."""


def need(module: str, *names: str) -> Any:
    """Import ``module`` and return the attributes ``names`` (NotAvailable if missing)."""
    try:
        mod = importlib.import_module(module)
    except ImportError as exc:
        raise NotAvailable(f"{module} not available yet ({exc.__class__.__name__}: {exc})") from None
    missing = [n for n in names if not hasattr(mod, n)]
    if missing:
        raise NotAvailable(f"{module} lacks {', '.join(missing)} (not available yet)")
    got = tuple(getattr(mod, n) for n in names)
    return got[0] if len(got) == 1 else got


@dataclasses.dataclass(frozen=True)
class Workload:
    """One benchmark workload.

    Attributes
    ----------
    name : short name (``--only NAME``).
    title : what is computed.
    n : rows in the full run (``quick_n`` in ``--quick`` runs, when given).
    generate : ``generate(n, seed) -> DataFrame`` (the rows R reads too).
    spinestats : setup of the spinestats call.
    r_script : file in ``benchmarks/workloads/`` timing the R reference.
    r_label : what the R script runs (shown in the table).
    target : spinestats/R time ratio to meet (``None``: informative only).
    peers : ``{label: setup}`` for Python peers, timed and shown as ratios.
    ref_repeats : cap on R repeats (``crr`` takes ~95 s at n = 10,000).
    ref_n_quick : in ``--quick`` runs, R is timed at this smaller n (and
        spinestats at both sizes); nothing is extrapolated.
    r_env : environment variables for the R script.
    peer_target : ratio to the fastest Python peer to meet (a row of its own;
        the single peer rows stay informative).
    """

    name: str
    title: str
    n: int
    generate: Callable[[int, int], pd.DataFrame]
    spinestats: Setup
    r_script: str | None
    r_label: str
    target: float | None
    peers: dict[str, Setup] = dataclasses.field(default_factory=dict)
    ref_repeats: int | None = None
    ref_n_quick: int | None = None
    r_env: dict[str, str] = dataclasses.field(default_factory=dict)
    peer_target: float | None = None
    size_label: Callable[[int], str] = lambda n: f"n = {n:,}"


# --------------------------------------------------------------------------- data


def gen_auc(n: int, seed: int) -> pd.DataFrame:
    """Continuous marker: positives (30 %) shifted by 1 SD; no ties."""
    rng = np.random.default_rng(seed)
    truth = (rng.random(n) < 0.3).astype(np.int8)
    score = rng.normal(size=n) + 1.0 * truth
    return pd.DataFrame({"truth": truth, "score": score})


def gen_score06(n: int, seed: int) -> pd.DataFrame:
    """Integer 0-6 score (like DSS): Binomial(6, 0.35) negatives, Binomial(6, 0.65) positives."""
    rng = np.random.default_rng(seed)
    truth = (rng.random(n) < 0.4).astype(np.int8)
    score = rng.binomial(6, 0.35 + 0.3 * truth)
    return pd.DataFrame({"truth": truth, "score": score})


def gen_km(n: int, seed: int) -> pd.DataFrame:
    """Two groups, exponential survival (median ~ 690 / 550 days), uniform censoring; whole days (ties)."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 2, size=n).astype(np.int8)
    t_event = rng.exponential(1000.0 * np.where(group == 1, 0.8, 1.0))
    t_cens = rng.uniform(30, 3650, size=n)
    time = np.ceil(np.minimum(t_event, t_cens)).astype(np.int64)
    status = (t_event <= t_cens).astype(np.int8)
    return pd.DataFrame({"time": time, "status": status, "group": group})


def _covariates(rng: np.random.Generator, n: int, p: int) -> np.ndarray:
    X = rng.normal(size=(n, p))
    X[:, -2:] = (X[:, -2:] > 0.3).astype(float)  # two binary covariates
    return np.round(X, 6)


def gen_cox(n: int, seed: int, p: int = 10) -> pd.DataFrame:
    """``p`` covariates (2 binary), exponential hazard ``exp(x'beta)``, whole days (ties -> Efron matters)."""
    rng = np.random.default_rng(seed)
    X = _covariates(rng, n, p)
    beta = np.linspace(-0.4, 0.4, p)
    t_event = rng.exponential(800.0 * np.exp(-(X @ beta)))
    t_cens = rng.uniform(30, 2000, size=n)
    frame = pd.DataFrame(X, columns=[f"x{j + 1}" for j in range(p)])
    frame.insert(0, "status", (t_event <= t_cens).astype(np.int8))
    frame.insert(0, "time", np.ceil(np.minimum(t_event, t_cens)).astype(np.int64))
    return frame


def gen_finegray(n: int, seed: int, p: int = 5) -> pd.DataFrame:
    """Two causes (1 = event of interest, 2 = competing) and censoring (0), ``p`` covariates, whole days."""
    rng = np.random.default_rng(seed)
    X = _covariates(rng, n, p)
    b1, b2 = np.linspace(-0.3, 0.5, p), np.linspace(0.2, -0.2, p)
    t1 = rng.exponential(1200.0 * np.exp(-(X @ b1)))
    t2 = rng.exponential(1500.0 * np.exp(-(X @ b2)))
    tc = rng.uniform(30, 2500, size=n)
    t = np.minimum(np.minimum(t1, t2), tc)
    status = np.where(t == t1, 1, np.where(t == t2, 2, 0)).astype(np.int8)
    frame = pd.DataFrame(X, columns=[f"x{j + 1}" for j in range(p)])
    frame.insert(0, "status", status)
    frame.insert(0, "time", np.ceil(t).astype(np.int64))
    return frame


VISITS = ("v0", "v1", "v2", "v3", "v4", "v5")


def gen_mixed(n_patients: int, seed: int) -> pd.DataFrame:
    """Pain NRS-like outcome, 6 visits per patient, random intercept SD 1.5, residual SD 1.5."""
    rng = np.random.default_rng(seed)
    means = np.array([7.0, 3.5, 2.8, 2.4, 2.2, 2.0])
    b = rng.normal(0, 1.5, size=n_patients)
    ids = np.repeat(np.arange(1, n_patients + 1), len(VISITS))
    vis = np.tile(np.arange(len(VISITS)), n_patients)
    y = means[vis] + b[ids - 1] + rng.normal(0, 1.5, size=ids.size)
    return pd.DataFrame({"id": ids, "visit": np.array(VISITS)[vis], "y": np.round(y, 4)})


# --------------------------------------------------------------------------- AUC + DeLong


def ss_auc(frame: pd.DataFrame):
    delong_auc = need("spinestats.analysis.diagnostic.delong", "delong_auc")
    score, truth = frame["score"].to_numpy(float), frame["truth"].to_numpy() == 1

    def call():
        r = delong_auc(score, truth)
        return {"auc": r.auc, "ci_lower": r.ci[0], "ci_upper": r.ci[1]}

    return call


def peer_sklearn_auc(frame: pd.DataFrame):
    from sklearn.metrics import roc_auc_score

    score, truth = frame["score"].to_numpy(float), frame["truth"].to_numpy()
    return lambda: {"auc": float(roc_auc_score(truth, score))}


# --------------------------------------------------------------------------- Youden bootstrap


def ss_youden_boot(frame: pd.DataFrame, replicates: int = 2000, oob: bool = False):
    """``bootstrap_cutoff(..., oob=False)``: multinomial counts per score level (the issue's method).

    pROC resamples patients with its own random stream, so the medians of
    the bootstrap sensitivity and specificity agree with ``ci.coords``' only
    up to Monte-Carlo error (about 1e-3 with 2000 replicates).
    """
    fn = need("spinestats.analysis.diagnostic.cutoff_bootstrap", "bootstrap_cutoff")
    score, truth = frame["score"].to_numpy(float), frame["truth"].to_numpy() == 1

    def call():
        r = fn(score, truth, B=replicates, seed=1, method="youden", oob=oob)
        return {"sensitivity_median": float(np.median(r.inbag_sensitivity)),
                "specificity_median": float(np.median(r.inbag_specificity))}

    return call


# --------------------------------------------------------------------------- survival


def ss_km_logrank(frame: pd.DataFrame):
    km = need("spinestats.analysis.survival.kaplan_meier", "kaplan_meier")
    lr = need("spinestats.analysis.survival.logrank", "logrank_test")

    def call():
        fit = km(frame, time="time", event="status", group="group", times=[365])
        test = lr(frame, time="time", event="status", group="group")
        rates = fit.rates.set_index("group")
        return {
            "logrank_chisq": test.chisq,
            "surv365_g0": rates.loc[0, "survival"],
            "surv365_g1": rates.loc[1, "survival"],
            "lower365_g0": rates.loc[0, "lower"],
            "upper365_g0": rates.loc[0, "upper"],
        }

    return call


def peer_lifelines_km(frame: pd.DataFrame):
    from lifelines import KaplanMeierFitter
    from lifelines.statistics import logrank_test

    t, e, g = frame["time"].to_numpy(float), frame["status"].to_numpy(), frame["group"].to_numpy()
    m = g == 0

    def call():
        f0 = KaplanMeierFitter().fit(t[m], e[m])
        f1 = KaplanMeierFitter().fit(t[~m], e[~m])
        test = logrank_test(t[m], t[~m], e[m], e[~m])
        return {
            "logrank_chisq": float(test.test_statistic),
            "surv365_g0": float(f0.survival_function_at_times(365).iloc[0]),
            "surv365_g1": float(f1.survival_function_at_times(365).iloc[0]),
        }

    return call


def peer_statsmodels_km(frame: pd.DataFrame):
    from statsmodels.duration.survfunc import SurvfuncRight, survdiff

    t, e, g = frame["time"].to_numpy(float), frame["status"].to_numpy(), frame["group"].to_numpy()
    m = g == 0

    def call():
        f0, f1 = SurvfuncRight(t[m], e[m]), SurvfuncRight(t[~m], e[~m])
        chisq, _ = survdiff(t, e, g)
        s0 = f0.surv_prob[np.searchsorted(f0.surv_times, 365, side="right") - 1]
        s1 = f1.surv_prob[np.searchsorted(f1.surv_times, 365, side="right") - 1]
        return {"logrank_chisq": float(chisq), "surv365_g0": float(s0), "surv365_g1": float(s1)}

    return call


def _xcols(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c.startswith("x")]


def ss_cox(frame: pd.DataFrame):
    cox_ph = need("spinestats.analysis.survival.cox", "cox_ph")
    xs = _xcols(frame)

    def call():
        r = cox_ph(frame, time="time", event="status", covariates=xs, ties="efron")
        out = {f"coef_{x}": float(b) for x, b in zip(r.terms, r.coef)}
        out.update({f"se_{x}": float(v) for x, v in zip(r.terms, r.se)})
        return out

    return call


def peer_lifelines_cox(frame: pd.DataFrame):
    from lifelines import CoxPHFitter

    xs = _xcols(frame)
    d = frame[["time", "status", *xs]]

    def call():
        f = CoxPHFitter().fit(d, duration_col="time", event_col="status")
        out = {f"coef_{x}": float(f.params_[x]) for x in xs}
        out.update({f"se_{x}": float(f.standard_errors_[x]) for x in xs})
        return out

    return call


def peer_statsmodels_cox(frame: pd.DataFrame):
    from statsmodels.duration.hazard_regression import PHReg

    xs = _xcols(frame)
    t, e, X = frame["time"].to_numpy(float), frame["status"].to_numpy(), frame[xs].to_numpy(float)

    def call():
        f = PHReg(t, X, status=e, ties="efron").fit()
        out = {f"coef_{x}": float(b) for x, b in zip(xs, f.params)}
        out.update({f"se_{x}": float(s) for x, s in zip(xs, f.bse)})
        return out

    return call


def ss_finegray(frame: pd.DataFrame):
    fg = need("spinestats.analysis.competing_risks.finegray", "fine_gray")
    xs = _xcols(frame)

    def call():
        r = fg(frame, time="time", event="status", covariates=xs, cause=1)
        out = {f"coef_{x}": float(b) for x, b in zip(r.terms, r.coef)}
        out.update({f"se_{x}": float(v) for x, v in zip(r.terms, r.se)})
        return out

    return call


# --------------------------------------------------------------------------- mixed model


def ss_mixed(frame: pd.DataFrame):
    build_design, fit_lmm = need("spinestats.analysis.longitudinal.mixed_model", "build_design", "fit_lmm")

    def call():
        design = build_design(frame, value="y", visit="visit", subject="id", visits=VISITS)
        r = fit_lmm(design)
        out = {f"coef_{i}": float(b) for i, b in enumerate(r.estimate)}
        out.update({f"se_{i}": float(s) for i, s in enumerate(r.se)})
        out["var_id"] = float(r.random_sd[0] ** 2)
        out["var_resid"] = float(r.sigma**2)
        return out

    return call


def peer_statsmodels_mixed(frame: pd.DataFrame):
    import statsmodels.formula.api as smf

    def call():
        f = smf.mixedlm("y ~ C(visit)", frame, groups=frame["id"]).fit(reml=True)
        k = len(VISITS)
        out = {f"coef_{i}": float(f.fe_params.iloc[i]) for i in range(k)}
        out.update({f"se_{i}": float(f.bse_fe.iloc[i]) for i in range(k)})
        out["var_id"] = float(f.cov_re.iloc[0, 0])
        out["var_resid"] = float(f.scale)
        return out

    return call


# --------------------------------------------------------------------------- registry

WORKLOADS: tuple[Workload, ...] = (
    Workload(
        name="auc_delong",
        title="AUC with DeLong CI, continuous marker",
        n=1_000_000,
        generate=gen_auc,
        spinestats=ss_auc,
        r_script="auc_delong.R",
        r_label="pROC roc + ci.auc(delong)",
        target=0.5,
        peers={"scikit-learn roc_auc_score (AUC only, no CI)": peer_sklearn_auc},
    ),
    Workload(
        name="youden_bootstrap",
        title="stratified bootstrap (2000) of the Youden cutoff, 0-6 score",
        n=10_000,
        generate=gen_score06,
        spinestats=ss_youden_boot,
        r_script="youden_bootstrap.R",
        r_label='pROC ci.coords(x="best", youden, boot.stratified)',
        target=0.1,
    ),
    Workload(
        name="km_logrank",
        title="Kaplan-Meier (2 groups, log CI) + log-rank",
        n=1_000_000,
        generate=gen_km,
        spinestats=ss_km_logrank,
        r_script="km_logrank.R",
        r_label="survival survfit + survdiff",
        target=0.5,
        peers={"lifelines KM + logrank_test": peer_lifelines_km, "statsmodels SurvfuncRight + survdiff": peer_statsmodels_km},
        peer_target=0.8,
    ),
    Workload(
        name="cox_efron",
        title="Cox PH, Efron ties, 10 covariates",
        n=100_000,
        generate=gen_cox,
        spinestats=ss_cox,
        r_script="cox_efron.R",
        r_label='survival coxph(ties="efron")',
        target=0.5,
        peers={"lifelines CoxPHFitter": peer_lifelines_cox, "statsmodels PHReg(efron)": peer_statsmodels_cox},
        peer_target=0.8,
        size_label=lambda n: f"{n:,} x 10",
    ),
    Workload(
        name="finegray",
        title="Fine-Gray regression, 5 covariates",
        n=10_000,
        generate=gen_finegray,
        spinestats=ss_finegray,
        r_script="finegray.R",
        r_label="cmprsk crr",
        target=0.02,
        ref_repeats=1,
        ref_n_quick=2_000,
        size_label=lambda n: f"{n:,} x 5",
    ),
    Workload(
        name="mixed_model",
        title="LMM, random intercept, visit factor (REML)",
        n=5_000,
        generate=gen_mixed,
        spinestats=ss_mixed,
        r_script="mixed_model.R",
        r_label="lme4 lmer(REML)",
        target=1.0,
        peers={"statsmodels MixedLM(reml)": peer_statsmodels_mixed},
        size_label=lambda n: f"{n:,} patients x 6 visits",
    ),
)

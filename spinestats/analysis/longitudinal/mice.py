"""Multiple imputation of missed visits by chained equations (MICE).

The wide score matrix (one column per visit) is imputed ``m`` times.  Each
imputation is an independent chain of ``maxit`` sweeps; in every sweep each
incomplete visit is regressed on all other visits (current values) and on
the extra predictors (e.g. an arm indicator), and its missing values are
redrawn, as R ``mice``:

* Bayesian linear regression draw (mice ``.norm.draw``): with ridge
  :math:`\\kappa = 10^{-5}`, :math:`V = (X^\\top X + \\kappa\\,\\mathrm{diag}(X^\\top X))^{-1}`,
  :math:`\\hat\\beta = V X^\\top y`, :math:`\\sigma_* = \\sqrt{\\mathrm{RSS}/g}` with
  :math:`g \\sim \\chi^2_{n_{obs} - p}`, :math:`\\beta_* = \\hat\\beta + \\sigma_* C^\\top z`
  (:math:`C^\\top C = V`, :math:`z \\sim N(0, I)`).
* ``method="pmm"`` (default; keeps the NRS on its integer 0-10 scale):
  predictive mean matching, type-1 matching -- observed cases predicted with
  :math:`\\hat\\beta`, missing cases with :math:`\\beta_*`; the value of one of
  the ``donors`` (5) closest observed cases is taken at random.
* ``method="norm"``: :math:`X_{mis}\\beta_* + \\sigma_* \\varepsilon`.

Starting values are random draws from the observed values of the visit.
Chain ``i`` draws from child stream ``i`` of ``SeedSequence(seed)`` (see
:mod:`spinestats.analysis.core.resampling`), so the imputations are identical for
any ``workers`` or ``scheduler``.  The random numbers differ from R's, so the
completed data sets are not R's; the pooling step (:mod:`.rubin`) is tested
against mice ``pool()`` on fixed completed data sets.

References
----------
van Buuren S, Groothuis-Oudshoorn K. mice: multivariate imputation by chained
equations in R. J Stat Softw 2011;45(3). doi:10.18637/jss.v045.i03
Little RJA. Missing-data adjustments in large surveys. J Bus Econ Stat
1988;6:287-296. doi:10.1080/07350015.1988.10509663
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import pandas as pd

from spinestats.analysis.core.resampling import map_replicates
from spinestats.analysis.core.result import Result
from spinestats.errors import DataError, UsageError

RIDGE = 1e-5


@dataclasses.dataclass(frozen=True)
class ImputationsResult(Result):
    """``m`` completed copies of the imputed columns.

    ``completed`` has shape (m, n_rows, n_columns) in the order of
    ``columns``; observed cells are unchanged in every copy.
    """

    columns: tuple[str, ...]
    index: tuple
    completed: np.ndarray
    n_missing: dict
    m: int
    maxit: int
    method: str
    seed: int

    def complete(self, data: pd.DataFrame, i: int) -> pd.DataFrame:
        """A copy of ``data`` with the ``i``-th imputation filled in."""
        out = data.copy()
        out.loc[list(self.index), list(self.columns)] = self.completed[i]
        return out

    def to_dict(self) -> dict:
        return {"columns": list(self.columns), "n_missing": self.n_missing, "m": self.m, "maxit": self.maxit,
                "method": self.method, "seed": self.seed}


#: the former name, kept as an alias
Imputations = ImputationsResult


def _draw(X: np.ndarray, y: np.ndarray, rng: np.random.Generator):
    """Bayesian regression draw; returns (beta_hat, beta_star, sigma_star)."""
    xtx = X.T @ X
    xtx = xtx + RIDGE * np.diag(np.diag(xtx))
    v = np.linalg.inv(xtx)
    coef = v @ (X.T @ y)
    rss = float(((y - X @ coef) ** 2).sum())
    df = max(len(y) - X.shape[1], 1)
    sigma = np.sqrt(rss / rng.chisquare(df))
    chol = np.linalg.cholesky((v + v.T) / 2)
    beta = coef + sigma * (chol @ rng.standard_normal(X.shape[1]))
    return coef, beta, sigma


def _chain(item) -> np.ndarray:
    seed_seq, Y, extra, method, maxit, donors = item
    rng = np.random.default_rng(seed_seq)
    Y = Y.copy()
    miss = np.isnan(Y)
    todo = [j for j in range(Y.shape[1]) if miss[:, j].any()]
    for j in todo:
        Y[miss[:, j], j] = rng.choice(Y[~miss[:, j], j], size=int(miss[:, j].sum()))
    for _ in range(maxit):
        for j in todo:
            X = np.column_stack([np.ones(Y.shape[0]), np.delete(Y, j, axis=1), extra])
            obs = ~miss[:, j]
            coef, beta, sigma = _draw(X[obs], Y[obs, j], rng)
            Xm = X[~obs]
            if method == "norm":
                Y[~obs, j] = Xm @ beta + sigma * rng.standard_normal(Xm.shape[0])
            else:
                yhat_obs = X[obs] @ coef
                yhat_mis = Xm @ beta
                dist = np.abs(yhat_obs[None, :] - yhat_mis[:, None])
                k = min(donors, int(obs.sum()))
                nearest = np.argsort(dist, axis=1, kind="stable")[:, :k]
                pick = nearest[np.arange(nearest.shape[0]), rng.integers(0, k, size=nearest.shape[0])]
                Y[~obs, j] = Y[obs, j][pick]
    return Y


def _chains(seeds, Y: np.ndarray, extra: np.ndarray, method: str, maxit: int, donors: int) -> list[np.ndarray]:
    """One imputation chain per seed sequence (a batch for :func:`map_replicates`)."""
    return [_chain((s, Y, extra, method, maxit, donors)) for s in seeds]


def impute(
    data: pd.DataFrame,
    *,
    columns: Sequence[str],
    predictors: Sequence[str] = (),
    m: int = 20,
    maxit: int = 10,
    method: str = "pmm",
    donors: int = 5,
    seed: int = 2024,
    workers: int = 1,
    scheduler: str | None = None,
) -> ImputationsResult:
    """Impute the missing cells of ``columns`` ``m`` times.

    Parameters
    ----------
    data : wide table, one row per patient.
    columns : score columns to impute (each also predicts the others).
    predictors : complete numeric columns used as extra predictors only.
    m : number of imputations (>= 2; 20 or more recommended).
    maxit : sweeps per chain.
    method : "pmm" or "norm".
    seed, workers, scheduler : see :mod:`spinestats.analysis.core.resampling`.
    """
    if m < 2:
        raise UsageError(f"multiple imputation needs m >= 2 imputations, got {m}.")
    if method not in ("pmm", "norm"):
        raise UsageError(f"imputation method must be 'pmm' or 'norm', got {method!r}.")
    Y = data[list(columns)].to_numpy(dtype=float, na_value=np.nan)  # nullable Int64 with NA (pandas < 2.2)
    extra = data[list(predictors)].to_numpy(dtype=float) if predictors else np.empty((len(data), 0))
    if np.isnan(extra).any():
        raise DataError(f"imputation predictors {list(predictors)} must be complete.")
    n_obs = (~np.isnan(Y)).sum(axis=0)
    empty = [c for c, k in zip(columns, n_obs) if k < 2]
    if empty:
        raise DataError(f"cannot impute {empty}: fewer than 2 observed values.")
    # Chain i uses child i of SeedSequence(seed); Y and extra are sent to the workers once.
    chains = map_replicates(
        _chains, seed, m, args=(Y, extra, method, maxit, donors), workers=workers, scheduler=scheduler
    )
    completed = np.stack(chains)
    return ImputationsResult(columns=tuple(columns), index=tuple(data.index), completed=completed,
                       n_missing={c: int(np.isnan(Y[:, k]).sum()) for k, c in enumerate(columns)}, m=m,
                       maxit=maxit, method=method, seed=seed)

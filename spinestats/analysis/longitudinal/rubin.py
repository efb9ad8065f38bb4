"""Rubin's rules for pooling estimates from multiply imputed data sets.

For one scalar estimate from :math:`m` completed data sets with estimates
:math:`\\hat q_\\ell` and squared standard errors :math:`u_\\ell`:

.. math::
    \\bar q = \\frac1m\\sum \\hat q_\\ell,\\quad \\bar u = \\frac1m\\sum u_\\ell,\\quad
    b = \\frac{1}{m-1}\\sum (\\hat q_\\ell - \\bar q)^2,\\quad
    T = \\bar u + (1 + 1/m)\\, b.

Barnard-Rubin degrees of freedom, as mice ``pool()`` (its
``barnard.rubin``): :math:`\\lambda = (1 + 1/m) b / T` (floored at 1e-4 for the df),
:math:`\\nu_{old} = (m - 1)/\\lambda^2`,
:math:`\\nu_{obs} = \\frac{\\nu_{com} + 1}{\\nu_{com} + 3}\\nu_{com}(1 - \\lambda)`,
:math:`\\nu = \\nu_{old}\\nu_{obs}/(\\nu_{old} + \\nu_{obs})`; relative increase in
variance :math:`r = (1 + 1/m) b / \\bar u`; fraction of missing information
:math:`\\gamma = (r + 2/(\\nu + 3))/(1 + r)`.  Interval
:math:`\\bar q \\pm t_{\\nu, 1-\\alpha/2}\\sqrt T`; two-sided t test of 0.
An infinite ``dfcom`` gives :math:`\\nu = \\nu_{old}`, as mice does.

References
----------
Rubin DB. Multiple Imputation for Nonresponse in Surveys. Wiley, 1987.
doi:10.1002/9780470316696
Barnard J, Rubin DB. Small-sample degrees of freedom with multiple
imputation. Biometrika 1999;86:948-955. doi:10.1093/biomet/86.4.948
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from spinestats.analysis.core import distributions as stats

from spinestats.analysis.core.result import Result
from spinestats.errors import DataError

@dataclasses.dataclass(frozen=True)
class PooledResult(Result):
    """Pooled estimates (arrays, one entry per pooled quantity)."""

    names: tuple[str, ...]
    estimate: np.ndarray
    se: np.ndarray
    df: np.ndarray
    t: np.ndarray
    p: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    ubar: np.ndarray
    b: np.ndarray
    riv: np.ndarray
    lambda_: np.ndarray
    fmi: np.ndarray
    m: int
    conf_level: float = 0.95

    def to_frame(self) -> pd.DataFrame:
        d = self.to_dict()
        return pd.DataFrame({k: d[k] for k in ("names", "estimate", "se", "df", "t", "p", "ci_low", "ci_high",
                                               "ubar", "b", "riv", "lambda_", "fmi")}).rename(
            columns={"names": "term", "lambda_": "lambda"})


#: the former name, kept as an alias
Pooled = PooledResult


def pool(estimates, variances, dfcom=np.inf, *, names=None, conf_level: float = 0.95) -> PooledResult:
    """Pool ``m x k`` estimates and squared SEs by Rubin's rules.

    Parameters
    ----------
    estimates, variances : arrays of shape (m,) or (m, k): one row per
        completed data set.
    dfcom : complete-data degrees of freedom (scalar or length k); ``inf``
        gives the large-sample df of Rubin (1987), as in mice.
    names : labels of the k quantities.
    """
    q = np.asarray(estimates, dtype=float)
    u = np.asarray(variances, dtype=float)
    q = q[:, None] if q.ndim == 1 else q
    u = u[:, None] if u.ndim == 1 else u
    m = q.shape[0]
    if m < 2 or q.shape != u.shape:
        raise DataError(f"Rubin's rules need >= 2 completed data sets with matching shapes; got {q.shape}, {u.shape}.")
    dfc = np.broadcast_to(np.asarray(dfcom, dtype=float), q.shape[1:])
    qbar, ubar = q.mean(axis=0), u.mean(axis=0)
    b = q.var(axis=0, ddof=1)
    t_ = ubar + (1 + 1 / m) * b
    with np.errstate(divide="ignore", invalid="ignore"):
        lam = (1 + 1 / m) * b / t_
        lam_df = np.maximum(lam, 1e-4)  # mice floors lambda for the df only
        riv = (1 + 1 / m) * b / ubar
        dfold = (m - 1) / lam_df**2
        dfobs = (dfc + 1) / (dfc + 3) * dfc * (1 - lam_df)
        df = np.where(np.isinf(dfc), dfold, dfold * dfobs / (dfold + dfobs))
        fmi = (riv + 2 / (df + 3)) / (1 + riv)
        se = np.sqrt(t_)
        tt = qbar / se
    p = 2 * stats.t.sf(np.abs(tt), df)
    crit = stats.t.ppf(0.5 + conf_level / 2, df)
    k = q.shape[1]
    return PooledResult(names=tuple(names) if names is not None else tuple(str(i) for i in range(k)), estimate=qbar,
                  se=se, df=df, t=tt, p=p, ci_low=qbar - crit * se, ci_high=qbar + crit * se, ubar=ubar, b=b,
                  riv=riv, lambda_=lam, fmi=fmi, m=m, conf_level=conf_level)

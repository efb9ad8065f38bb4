"""The six Shrout-Fleiss intraclass correlations with F-based CIs (as psych ``ICC``).

For ``n`` cases (targets) rated by the same ``k`` raters (judges), the
two-way ANOVA of ``Y_ij`` gives the mean squares ``MSB`` (between cases,
``n-1`` df), ``MSJ`` (between judges, ``k-1`` df), ``MSE`` (residual,
``(n-1)(k-1)`` df) and ``MSW = (SS_J + SS_E)/(n(k-1))`` (within cases).

* ICC1  = (MSB - MSW)/(MSB + (k-1) MSW)          one-way random, single
* ICC2  = (MSB - MSE)/(MSB + (k-1) MSE + k (MSJ - MSE)/n)   two-way random, single (absolute)
* ICC3  = (MSB - MSE)/(MSB + (k-1) MSE)          two-way mixed, single (consistency)
* ICC1k = (MSB - MSW)/MSB; ICC2k = (MSB - MSE)/(MSB + (MSJ - MSE)/n); ICC3k = (MSB - MSE)/MSB

CIs: for ICC1/ICC1k and ICC3/ICC3k from ``F = MSB/MSW`` (resp. ``MSB/MSE``)
with ``F_L = F / F_{1-α/2}(df1, df2)``, ``F_U = F · F_{1-α/2}(df2, df1)``;
for ICC2/ICC2k the Satterthwaite approximation of Shrout & Fleiss (1979), all
exactly as psych 2.2.9 ``ICC(x, lmer=FALSE)`` (the ANOVA route; psych's
default ``lmer=TRUE`` estimates the variance components by lme4 and differs
by about 1e-8, see PEERS.md).

References
----------
Shrout PE, Fleiss JL. Intraclass correlations: uses in assessing rater
reliability. Psychol Bull 1979;86:420-428. doi:10.1037/0033-2909.86.2.420
McGraw KO, Wong SP. Forming inferences about some intraclass correlation
coefficients. Psychol Methods 1996;1:30-46. doi:10.1037/1082-989X.1.1.30
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from spinestats.analysis.core import distributions as stats

from spinestats.analysis.core.params import conf_level_or_alias
from spinestats.analysis.core.result import Result
from spinestats.errors import DataError

TYPES = ("ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k")


@dataclasses.dataclass(frozen=True)
class ICCResult(Result):
    """The six ICCs: one entry per ``type`` with estimate, F, df, p and CI."""

    _published_keys = {"conf_level": "level"}  # results.json keeps its key

    entries: tuple[dict, ...]
    n_cases: int
    n_raters: int
    msb: float
    msj: float
    mse: float
    msw: float
    conf_level: float
    warnings: tuple[str, ...]

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(list(self.entries))

    def get(self, type_: str) -> dict:
        """The entry of one ICC type (``"ICC2"`` ...)."""
        for e in self.entries:
            if e["type"] == type_:
                return e
        raise KeyError(type_)


def icc(ratings: pd.DataFrame | np.ndarray, *, conf_level: float = 0.95, level: float | None = None) -> ICCResult:
    """Shrout-Fleiss ICCs of a cases-by-raters table of numeric ratings.

    Parameters
    ----------
    ratings : one row per case, one column per rater; numeric, no missing
        values (psych refuses missing values in its ANOVA route too).
    conf_level : confidence level (psych ``alpha = 1 - conf_level``).  ``level=`` is an alias (the former name).
    """
    conf_level = conf_level_or_alias(conf_level, level)  # ``level``: the former name, an alias
    x = np.asarray(ratings, dtype=float)
    if x.ndim != 2 or x.shape[1] < 2 or x.shape[0] < 2:
        raise DataError(f"ICC needs a cases x raters table with >= 2 cases and >= 2 raters; got shape {x.shape}.")
    if not np.all(np.isfinite(x)):
        raise DataError("ratings contain missing or non-finite values; every case must be rated by every rater.")
    n, k = x.shape
    grand = x.mean()
    ss_b = k * np.sum((x.mean(axis=1) - grand) ** 2)
    ss_j = n * np.sum((x.mean(axis=0) - grand) ** 2)
    ss_t = np.sum((x - grand) ** 2)
    ss_e = ss_t - ss_b - ss_j
    df_b, df_j, df_e = n - 1, k - 1, (n - 1) * (k - 1)
    msb, msj, mse = ss_b / df_b, ss_j / df_j, ss_e / df_e
    msw = (ss_j + ss_e) / (df_j + df_e)
    alpha = 1 - conf_level
    icc1 = (msb - msw) / (msb + (k - 1) * msw)
    icc2 = (msb - mse) / (msb + (k - 1) * mse + k * (msj - mse) / n)
    icc3 = (msb - mse) / (msb + (k - 1) * mse)
    icc1k = (msb - msw) / msb
    icc2k = (msb - mse) / (msb + (msj - mse) / n)
    icc3k = (msb - mse) / msb
    f11 = msb / msw
    d11n, d11d = n - 1, n * (k - 1)
    p11 = stats.f.sf(f11, d11n, d11d)
    f21 = msb / mse
    d21n, d21d = n - 1, (n - 1) * (k - 1)
    p21 = stats.f.sf(f21, d21n, d21d)
    f1l = f11 / stats.f.ppf(1 - alpha / 2, d11n, d11d)
    f1u = f11 * stats.f.ppf(1 - alpha / 2, d11d, d11n)
    f3l = f21 / stats.f.ppf(1 - alpha / 2, d21n, d21d)
    f3u = f21 * stats.f.ppf(1 - alpha / 2, d21d, d21n)
    fj = msj / mse
    vn = (k - 1) * (n - 1) * (k * icc2 * fj + n * (1 + (k - 1) * icc2) - k * icc2) ** 2
    vd = (n - 1) * k**2 * icc2**2 * fj**2 + (n * (1 + (k - 1) * icc2) - k * icc2) ** 2
    v = vn / vd
    fu2 = stats.f.ppf(1 - alpha / 2, n - 1, v)
    fl2 = stats.f.ppf(1 - alpha / 2, v, n - 1)
    l2 = n * (msb - fu2 * mse) / (fu2 * (k * msj + (k * n - k - n) * mse) + n * msb)
    u2 = n * (fl2 * msb - mse) / (k * msj + (k * n - k - n) * mse + n * fl2 * msb)
    rows = [
        ("ICC1", icc1, f11, d11n, d11d, p11, (f1l - 1) / (f1l + k - 1), (f1u - 1) / (f1u + k - 1)),
        ("ICC2", icc2, f21, d21n, d21d, p21, l2, u2),
        ("ICC3", icc3, f21, d21n, d21d, p21, (f3l - 1) / (f3l + k - 1), (f3u - 1) / (f3u + k - 1)),
        ("ICC1k", icc1k, f11, d11n, d11d, p11, 1 - 1 / f1l, 1 - 1 / f1u),
        ("ICC2k", icc2k, f21, d21n, d21d, p21, l2 * k / (1 + l2 * (k - 1)), u2 * k / (1 + u2 * (k - 1))),
        ("ICC3k", icc3k, f21, d21n, d21d, p21, 1 - 1 / f3l, 1 - 1 / f3u),
    ]
    entries = tuple(
        {"type": t, "estimate": float(e), "F": float(f), "df1": int(a), "df2": int(b), "p": float(p),
         "lower": float(lo), "upper": float(hi)}
        for t, e, f, a, b, p, lo, hi in rows
    )
    warnings = []
    if n < 30:
        warnings.append(f"only {n} cases: ICC confidence intervals are wide.")
    return ICCResult(entries, n, k, float(msb), float(msj), float(mse), float(msw), conf_level, tuple(warnings))

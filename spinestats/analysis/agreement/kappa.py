"""Cohen's kappa for two raters, unweighted and weighted (as psych ``cohen.kappa``).

With the ``c x c`` table of proportions ``p_ij`` (rater 1 in rows), margins
``r_i = Σ_j p_ij`` and ``c_j = Σ_i p_ij``, agreement weights ``w_ij``:

* unweighted: ``p_o = Σ_i p_ii``, ``p_c = Σ_i r_i c_i``,
  ``κ = (p_o - p_c)/(1 - p_c)``;
* weighted: ``p_o^w = Σ w_ij p_ij``, ``p_c^w = Σ w_ij r_i c_j``,
  ``κ_w = (p_o^w - p_c^w)/(1 - p_c^w)``; quadratic weights
  ``w_ij = 1 - (i-j)^2/(c-1)^2``, linear ``w_ij = 1 - |i-j|/(c-1)``.

Variances are the large-sample (non-null) variances of Fleiss, Cohen &
Everitt (1969):

.. math::

    Var(κ_w) = \frac{Σ_{ij} p_{ij}[w_{ij}(1-p_c) - (w̄_{i.} + w̄_{.j})(1-p_o)]^2
               - (p_o p_c - 2 p_c + p_o)^2}{n (1-p_c)^4},

``w̄_i. = Σ_j c_j w_ij``, ``w̄_.j = Σ_i r_i w_ij`` (identity weights give
the unweighted kappa's variance).  The CI is ``κ ± z_{1-α/2} sqrt(Var)``;
bounds beyond ±1 are set to ±1 (as psych, with a warning).

Agreement with psych 2.2.9: kappa, weighted kappa and the *unweighted*
variance equal psych.  psych's *weighted* variance uses
``rowSums(w * rs)`` (``r_i Σ_j w_ij``) where the formula needs
``Σ_i r_i w_ij``; it can come out negative, which psych then sets to 0
(a zero-width CI).  We use the published formula and test it against the
delta-method variance of the multinomial cell proportions instead.

The categories are the sorted union of the values both raters used (psych's
default), unless ``levels`` is given; for weighted kappa the order of the
categories is their sorted order (so give ``levels`` for ordered text codes).

References
----------
Cohen J. Weighted kappa. Psychol Bull 1968;70:213-220. doi:10.1037/h0026256
Fleiss JL, Cohen J, Everitt BS. Large sample standard errors of kappa and
weighted kappa. Psychol Bull 1969;72:323-327. doi:10.1037/h0028106
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import pandas as pd
from spinestats.analysis.core import distributions as stats

from spinestats.analysis.core.params import conf_level_or_alias
from spinestats.analysis.core.result import Result
from spinestats.errors import DataError, UsageError


@dataclasses.dataclass(frozen=True)
class KappaResult(Result):
    """Cohen's kappa (``weights="none"``) or weighted kappa."""

    _published_keys = {"conf_level": "level"}  # results.json keeps its key

    weights: str
    estimate: float
    se: float
    lower: float
    upper: float
    conf_level: float
    n: int
    categories: tuple
    observed_agreement: float
    chance_agreement: float
    warnings: tuple[str, ...]


def _table(r1: np.ndarray, r2: np.ndarray, levels: Sequence | None) -> tuple[np.ndarray, list]:
    labels = list(levels) if levels is not None else sorted(set(r1.tolist()) | set(r2.tolist()))
    index = {lab: i for i, lab in enumerate(labels)}
    unknown = sorted({x for x in np.concatenate([r1, r2]).tolist() if x not in index}, key=str)
    if unknown:
        raise DataError(f"ratings {unknown} are not among the levels {labels}.")
    c = len(labels)
    tab = np.zeros((c, c))
    np.add.at(tab, ([index[x] for x in r1], [index[x] for x in r2]), 1.0)
    return tab, labels


def weight_matrix(c: int, weights: str) -> np.ndarray:
    """Agreement weights: ``none`` (identity), ``linear`` or ``quadratic``."""
    i, j = np.indices((c, c))
    if weights == "none":
        return (i == j).astype(float)
    d = np.abs(i - j) / max(c - 1, 1)
    if weights == "linear":
        return 1.0 - d
    if weights == "quadratic":
        return 1.0 - d**2
    raise UsageError(f"weights must be 'none', 'linear' or 'quadratic', got {weights!r}.")


def cohen_kappa(
    rater1: Sequence,
    rater2: Sequence,
    *,
    weights: str = "none",
    levels: Sequence | None = None,
    conf_level: float = 0.95, level: float | None = None,
) -> KappaResult:
    """Cohen's kappa of two raters' ratings of the same cases, with its CI.

    Parameters
    ----------
    rater1, rater2 : ratings of the same ``n`` cases (no missing values:
        drop incomplete cases before, with a record of how many).
    weights : ``"none"``, ``"linear"`` or ``"quadratic"``.
    levels : the ordered categories (default: sorted union of the values).
    conf_level : confidence level.  ``level=`` is an alias (the former name).

    The estimate equals psych ``cohen.kappa(cbind(r1, r2), w=W)`` (``W`` the weight
    matrix; psych's default ``w`` is quadratic).
    """
    conf_level = conf_level_or_alias(conf_level, level)  # ``level``: the former name, an alias
    r1 = np.asarray(rater1, dtype=object)
    r2 = np.asarray(rater2, dtype=object)
    if r1.shape != r2.shape:
        raise DataError(f"the two raters rated different numbers of cases ({r1.size} and {r2.size}).")
    if any(pd.isna(x) for x in np.concatenate([r1, r2])):
        raise DataError("ratings contain missing values; drop incomplete cases first (and report how many).")
    n = int(r1.size)
    if n < 2:
        raise DataError(f"kappa needs at least 2 rated cases; got {n}.")
    tab, labels = _table(r1, r2, levels)
    x = tab / n
    c = x.shape[0]
    rs = x.sum(axis=1)
    cs = x.sum(axis=0)
    w = weight_matrix(c, weights)
    warnings: list[str] = []
    po = float(np.sum(w * x))
    pc = float(np.sum(w * np.outer(rs, cs)))
    est = (po - pc) / (1 - pc) if pc < 1 else float("nan")
    w_row = w @ cs  # w̄_i. = Σ_j c_j w_ij
    w_col = rs @ w  # w̄_.j = Σ_i r_i w_ij
    dev = w * (1 - pc) - (w_row[:, None] + w_col[None, :]) * (1 - po)
    var = (np.sum(x * dev**2) - (po * pc - 2 * pc + po) ** 2) / (n * (1 - pc) ** 4)
    if not np.isfinite(var) or var < 0:
        warnings.append("the variance of kappa could not be estimated (no variation); set to 0 as psych does.")
        var = 0.0
    z = stats.norm.ppf(1 - (1 - conf_level) / 2)
    se = float(np.sqrt(var))
    lo, hi = est - z * se, est + z * se
    if lo < -1 or hi > 1:
        warnings.append("a confidence bound beyond ±1 was set to ±1 (as psych).")
        lo, hi = max(lo, -1.0), min(hi, 1.0)
    if n < 30:
        warnings.append(f"only {n} cases: the large-sample CI of kappa is approximate.")
    return KappaResult(
        weights=weights, estimate=float(est), se=se, lower=float(lo), upper=float(hi), conf_level=conf_level,
        n=n, categories=tuple(labels), observed_agreement=po, chance_agreement=pc,
        warnings=tuple(warnings),
    )


@dataclasses.dataclass(frozen=True)
class PairwiseKappaResult(Result):
    """Cohen's kappa (or weighted kappa) of every pair of raters, with Light's mean.

    ``pairs`` holds ``(rater1, rater2, KappaResult)`` for each pair in column
    order; ``light`` is the mean of the pairwise estimates (Light 1971), as
    psych ``cohen.kappa``'s ``av.kappa`` / ``av.wt``.  No CI is given for the
    mean: the pairs share raters and cases, so their estimates are not
    independent.
    """

    weights: str
    pairs: tuple
    light: float
    n: int
    categories: tuple

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{"rater1": a, "rater2": b, "weights": self.weights, "estimate": k.estimate, "se": k.se,
                              "lower": k.lower, "upper": k.upper, "n": k.n} for a, b, k in self.pairs])


def pairwise_kappa(
    ratings: pd.DataFrame,
    *,
    weights: str = "none",
    levels: Sequence | None = None,
    conf_level: float = 0.95, level: float | None = None,
) -> PairwiseKappaResult:
    """Kappa of every pair of rater columns of ``ratings`` (complete cases) and Light's mean.

    Parameters
    ----------
    ratings : cases x raters, no missing values (drop incomplete cases first).
    weights : ``"none"``, ``"linear"`` or ``"quadratic"``.
    levels : the ordered categories shared by all pairs (default: the sorted
        union of every rater's values, so each pair is weighted on the same scale).
    conf_level : confidence level of each pair's CI.  ``level=`` is an alias (the former name).

    Each pair equals psych ``cohen.kappa(x)[["R1 R2"]]``; the mean equals its
    ``av.kappa`` (unweighted) or ``av.wt`` (weighted) when every category is
    used by each pair.

    Reference: Light RJ. Measures of response agreement for qualitative data.
    Psychol Bull 1971;76:365-377. doi:10.1037/h0031643
    """
    conf_level = conf_level_or_alias(conf_level, level)  # ``level``: the former name, an alias
    cols = list(ratings.columns)
    if len(cols) < 2:
        raise DataError(f"pairwise kappa needs at least 2 raters; found {cols}.")
    if levels is None:
        vals = ratings.to_numpy(dtype=object).ravel().tolist()
        levels = sorted(set(vals), key=lambda v: (str(type(v)), v))
    pairs = []
    for i, a in enumerate(cols):
        for b in cols[i + 1:]:
            k = cohen_kappa(ratings[a].tolist(), ratings[b].tolist(), weights=weights, levels=levels, conf_level=conf_level)
            pairs.append((str(a), str(b), k))
    return PairwiseKappaResult(weights=weights, pairs=tuple(pairs),
                               light=float(np.mean([k.estimate for _, _, k in pairs])),
                               n=int(len(ratings)), categories=tuple(levels))

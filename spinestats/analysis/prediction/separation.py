"""Detecting (quasi-)complete separation in a binary regression.

A logistic regression's maximum-likelihood estimate does not exist (some
coefficients run to +/- infinity) when a linear combination of the covariates
separates events from non-events.  Following Konis (2007), with
``s_i = 2 y_i - 1`` the data are

* *completely separated* if some ``beta`` gives ``s_i x_i' beta > 0`` for every row;
* *quasi-completely separated* if some ``beta != 0`` gives
  ``s_i x_i' beta >= 0`` for every row, with equality for some rows.

Both are decided with two small linear programmes (``scipy.optimize.linprog``):
maximise ``sum_i s_i x_i' beta`` subject to ``s_i x_i' beta >= 0`` and
``-1 <= beta_j <= 1`` (positive optimum: separation of some kind), and
maximise ``t`` subject to ``s_i x_i' beta >= t``, ``t <= 1`` (positive optimum:
complete separation).

References
----------
Albert A, Anderson JA. On the existence of maximum likelihood estimates in
logistic regression models. Biometrika 1984;71:1-10. doi:10.1093/biomet/71.1.1
Konis K. Linear programming algorithms for detecting separated data in binary
logistic regression models. DPhil thesis, University of Oxford, 2007.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from spinestats.analysis.core.result import Result

_EPS = 1e-8


@dataclasses.dataclass(frozen=True)
class SeparationResult(Result):
    """Outcome of the separation check.

    Attributes
    ----------
    separated : any separation (complete or quasi-complete) found.
    kind : ``"complete"``, ``"quasi-complete"`` or ``"none"``.
    direction : a separating direction ``beta`` (design-matrix columns), or empty.
    """

    separated: bool
    kind: str
    direction: tuple[float, ...]


def detect_separation(X: np.ndarray, y: np.ndarray) -> SeparationResult:
    """Check a design matrix ``X`` (n x p, with intercept column) and 0/1 ``y``.

    See the module docstring for the linear programmes used.
    """
    from scipy.optimize import linprog  # imported on use: 0.8 s CPU a process that checks no design never pays

    X = np.asarray(X, dtype=float)
    s = 2.0 * np.asarray(y, dtype=float) - 1.0
    A = s[:, None] * X  # rows a_i = s_i x_i
    n, p = A.shape
    scale = np.maximum(np.abs(A).max(axis=0), 1.0)
    As = A / scale
    # 1) any separation: max sum(A beta) s.t. A beta >= 0, |beta| <= 1
    res = linprog(-As.sum(axis=0), A_ub=-As, b_ub=np.zeros(n), bounds=[(-1, 1)] * p, method="highs")
    if not res.success or -res.fun <= _EPS * n:
        return SeparationResult(False, "none", ())
    direction = tuple(float(v) for v in res.x / scale)
    # 2) complete: max t s.t. A beta >= t, t <= 1
    c = np.zeros(p + 1)
    c[-1] = -1.0
    A_ub = np.hstack([-As, np.ones((n, 1))])
    res2 = linprog(c, A_ub=A_ub, b_ub=np.zeros(n), bounds=[(-1, 1)] * p + [(None, 1)], method="highs")
    if res2.success and -res2.fun > _EPS:
        return SeparationResult(True, "complete", tuple(float(v) for v in res2.x[:-1] / scale))
    return SeparationResult(True, "quasi-complete", direction)

"""The distribution of a score in each class of the reference standard.

Public functions
----------------
``score_distribution(score, truth, *, labels=("negative", "positive")) -> ScoreDistributionResult``
    Per class (positive first): n, median, first and third quartiles, minimum
    and maximum, and the number of patients of each class at each observed
    score level (what the report's score-distribution figure draws).

Quartiles are R's default sample quantiles (``quantile(x, type = 7)``): for
``p`` in (0.25, 0.5, 0.75) and the sorted values :math:`x_{(1)} \\le \\dots \\le x_{(n)}`,
:math:`h = (n - 1)p`, :math:`Q(p) = x_{(\\lfloor h \\rfloor + 1)} + (h - \\lfloor h \\rfloor)
(x_{(\\lfloor h \\rfloor + 2)} - x_{(\\lfloor h \\rfloor + 1)})`.

References
----------
Hyndman RJ, Fan Y. Sample quantiles in statistical packages. Am Stat 1996;50:361-365.
doi:10.1080/00031305.1996.10473566
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from spinestats.analysis.core.result import Result
from spinestats.analysis.core.score_input import check_arrays
from spinestats.errors import DataError


@dataclasses.dataclass(frozen=True)
class ScoreDistributionResult(Result):
    """A score's distribution by class.

    Attributes
    ----------
    classes : the class labels, positive first (``(positive, negative)``).
    n, median, q1, q3, min, max : per class, in the order of ``classes``
        (quartiles as R ``quantile(type = 7)``; ``NaN`` for an empty class).
    levels : sorted distinct score values.
    n_pos, n_neg : patients of the positive / negative class at each level.
    """

    classes: tuple[str, str]
    n: tuple[int, int]
    median: tuple[float, float]
    q1: tuple[float, float]
    q3: tuple[float, float]
    min: tuple[float, float]
    max: tuple[float, float]
    levels: np.ndarray
    n_pos: np.ndarray
    n_neg: np.ndarray

    def to_dict(self) -> dict[str, Any]:
        """``{class: {n, median, q1, q3, min, max}}``, positive class first (results.json's ``by_class``)."""
        return {c: {"n": int(self.n[i]), "median": float(self.median[i]), "q1": float(self.q1[i]),
                    "q3": float(self.q3[i]), "min": float(self.min[i]), "max": float(self.max[i])}
                for i, c in enumerate(self.classes)}

    def to_frame(self) -> pd.DataFrame:
        """One row per class: class, n, median, q1, q3, min, max."""
        return pd.DataFrame({"class": self.classes, "n": self.n, "median": self.median, "q1": self.q1,
                             "q3": self.q3, "min": self.min, "max": self.max})

    def plot(self, ax: Any = None, *, cutoff: float | None = None, at_most: bool = False,
             legend_title: str | None = None, score_label: str = "Score") -> Any:
        """Patients at each score level by class, as the diagnostic report draws it; returns the ``Figure``.

        ``cutoff`` draws the cutoff ("positive when score >= cutoff", or <= with ``at_most``).
        """
        from spinestats.reports.result_plots import plot_score_distribution  # presentation hook, loaded on use

        return plot_score_distribution(self, ax=ax, cutoff=cutoff, at_most=at_most, legend_title=legend_title,
                                       score_label=score_label)


#: the short name
ScoreDistribution = ScoreDistributionResult


def score_distribution(score, truth, *, labels: tuple[str, str] = ("negative", "positive")
                       ) -> ScoreDistributionResult:
    """The score's summaries and counts per class (see module docstring).

    Parameters
    ----------
    score : numeric scores (no missing values).
    truth : boolean reference standard (True = positive).
    labels : display labels of the (negative, positive) classes.

    Examples
    --------
    >>> d = score_distribution([0, 1, 2, 4, 5, 6], [False, False, False, True, True, True],
    ...                        labels=("benign", "malignant"))
    >>> d.to_dict()["malignant"]
    {'n': 3, 'median': 5.0, 'q1': 4.5, 'q3': 5.5, 'min': 4.0, 'max': 6.0}
    """
    s, t, _ = check_arrays(score, truth)
    if len(labels) != 2:
        raise DataError(f"labels must name the two classes (negative, positive); got {labels!r}.")
    stats: dict[str, list[float]] = {k: [] for k in ("n", "median", "q1", "q3", "min", "max")}
    for mask in (t, ~t):
        x = s[mask]
        if x.size:
            q1, med, q3 = np.percentile(x, [25, 50, 75])  # linear interpolation = R type 7
            lo, hi = float(x.min()), float(x.max())
        else:
            q1 = med = q3 = lo = hi = float("nan")
        for k, v in (("n", int(mask.sum())), ("median", float(med)), ("q1", float(q1)), ("q3", float(q3)),
                     ("min", lo), ("max", hi)):
            stats[k].append(v)
    levels, inverse = np.unique(s, return_inverse=True)
    n_pos = np.bincount(inverse, weights=t.astype(float), minlength=levels.size)
    n_neg = np.bincount(inverse, weights=(~t).astype(float), minlength=levels.size)
    return ScoreDistributionResult(classes=(str(labels[1]), str(labels[0])),
                                   **{k: tuple(v) for k, v in stats.items()},  # type: ignore[arg-type]
                                   levels=levels.astype(float), n_pos=n_pos, n_neg=n_neg)

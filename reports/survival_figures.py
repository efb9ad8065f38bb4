"""Survival figures other than step curves: the proportional-hazards diagnostic plot.

:func:`plot_zph` draws, for each covariate, the scaled Schoenfeld residuals
of a :class:`~spinestats.analysis.cox_zph.CoxZph` result against the
transformed time (Kaplan-Meier transform by default), with the Cox
coefficient as a horizontal reference line and the per-term test in the
panel title - the plot of R's ``plot(cox.zph(fit))`` without its spline
smooth (no statistics are computed here).  Step curves (KM, CIF, reverse
KM) go through :mod:`spinestats.reports.step_plot`.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from spinestats.reports.figure_style import PALETTE, journal_figure


@dataclasses.dataclass
class ZphPlot:
    """The figure and, per term, the plotted (x, residual) arrays."""

    figure: object
    axes: list
    points: dict[str, tuple[np.ndarray, np.ndarray]]


def plot_zph(zph, coef: dict[str, float], *, width: str = "single") -> ZphPlot:
    """One panel per design column: scaled Schoenfeld residuals against transformed time.

    Parameters
    ----------
    zph : a ``CoxZph`` result.
    coef : the Cox coefficients by term name (the reference lines).
    """
    terms = list(zph.residuals.columns)
    fig, axes = journal_figure(width, height_mm=45 * len(terms), nrows=len(terms), ncols=1, squeeze=False)
    axes = [a[0] for a in axes]
    tests = {r["term"]: r for _, r in zph.table.iterrows()}
    points = {}
    for ax, term in zip(axes, terms):
        y = zph.residuals[term].to_numpy()
        ax.plot(zph.x, y, linestyle="none", marker="o", markersize=2.5, color=PALETTE[0], alpha=0.7)
        ax.axhline(coef.get(term, 0.0), color="0.4", linestyle="--", linewidth=0.8)
        ax.set_ylabel(f"Beta(t) for {term}")
        base = next((t for t in tests if term.startswith(t)), None)
        if base is not None:
            ax.set_title(f"{term}: PH test p = {tests[base]['p']:.3g}", loc="left")
        points[term] = (np.asarray(zph.x), y)
    axes[-1].set_xlabel("Time (" + zph.transform + " transform)")
    return ZphPlot(figure=fig, axes=axes, points=points)

"""Multicentre figures: forest plots with the pooled diamond, and the SROC plot.

Builders take a result object and an optional ``Axes`` and return
``(fig, ax)``; they draw only numbers already in the result (tests inspect
the plotted data).  Saving goes through
:func:`spinestats.reports.figure_style.save_figure`.
"""

from __future__ import annotations

import numpy as np
from matplotlib.patches import Polygon

from spinestats.analysis.bivariate_meta import BivariateResult
from spinestats.analysis.meta_reml import MetaResult
from spinestats.reports.figure_style import PALETTE, journal_figure


def forest_plot(meta: MetaResult, *, label: str = "Estimate", ax=None, show_prediction: bool = True):
    """Forest plot of per-centre estimates (95% CI) and the pooled diamond.

    The per-centre intervals are Wald intervals on the model scale (those the
    meta-analysis weights), back-transformed; the diamond spans the pooled CI
    and a line under it the prediction interval.  Weights (%) are printed on
    the right.
    """
    if ax is None:
        fig, ax = journal_figure("single", height_mm=max(45.0, 9.0 * (meta.k + 3)))
    else:
        fig = ax.figure
    frame = meta.to_frame()
    k = len(frame)
    ys = np.arange(k, 0, -1) + 1.0
    ax.errorbar(frame["estimate"], ys, xerr=[frame["estimate"] - frame["lower"], frame["upper"] - frame["estimate"]],
                fmt="none", ecolor=PALETTE[7], elinewidth=0.8, capsize=0)
    sizes = 10 + 60 * frame["weight_percent"].to_numpy() / max(frame["weight_percent"].max(), 1e-12)
    ax.scatter(frame["estimate"], ys, s=sizes, marker="s", color=PALETTE[0], zorder=3, label="centre")
    lo, hi = meta.ci
    diamond = Polygon([[lo, 0.5], [meta.estimate, 0.8], [hi, 0.5], [meta.estimate, 0.2]], closed=True,
                      facecolor=PALETTE[1], edgecolor=PALETTE[1], label="pooled (95% CI)")
    ax.add_patch(diamond)
    if show_prediction:
        p_lo, p_hi = meta.prediction_interval
        ax.plot([p_lo, p_hi], [0.0, 0.0], color=PALETTE[1], linewidth=1.0, linestyle="--",
                label="95% prediction interval")
    ax.axvline(meta.estimate, color=PALETTE[1], linewidth=0.5, linestyle=":")
    ax.set_yticks(list(ys) + [0.5])
    ax.set_yticklabels(list(frame["label"]) + ["Pooled (REML)"])
    for y, w in zip(ys, frame["weight_percent"]):
        ax.annotate(f"{w:.1f}%", xy=(1.0, y), xycoords=("axes fraction", "data"), xytext=(2, 0),
                    textcoords="offset points", va="center", fontsize=7)
    ax.set_ylim(-0.6, k + 1.6)
    ax.set_xlabel(label)
    ax.set_title(f"{label}: I² = {meta.i2:.0f}%, τ² = {meta.tau2:.3f}", fontsize=7)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, fontsize=7, frameon=False)
    return fig, ax


def sroc_plot(fit: BivariateResult, *, ax=None):
    """Summary ROC: centres (size ∝ n is not known here: equal markers), summary point,
    Rutter-Gatsonis SROC curve, confidence and prediction regions."""
    if ax is None:
        fig, ax = journal_figure("single", height_mm=85.0)
    else:
        fig = ax.figure
    ax.scatter(fit.study_fpr, fit.study_sensitivity, s=14, facecolors="none", edgecolors=PALETTE[7],
               label="centre")
    if fit.sroc["sensitivity"]:
        ax.plot(fit.sroc["fpr"], fit.sroc["sensitivity"], color=PALETTE[0], label="SROC (Rutter-Gatsonis)")
    ax.plot(fit.confidence_region["fpr"], fit.confidence_region["sensitivity"], color=PALETTE[1],
            linestyle="--", label="95% confidence region")
    ax.plot(fit.prediction_region["fpr"], fit.prediction_region["sensitivity"], color=PALETTE[2],
            linestyle=":", label="95% prediction region")
    ax.scatter([fit.false_positive_rate["estimate"]], [fit.sensitivity["estimate"]], marker="D", s=22,
               color=PALETTE[1], zorder=4, label="summary point")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("False positive rate (1 - specificity)")
    ax.set_ylabel("Sensitivity")
    ax.set_aspect("equal")
    ax.legend(loc="lower right", fontsize=7, frameon=False)
    return fig, ax

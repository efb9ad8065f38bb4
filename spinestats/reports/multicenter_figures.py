"""Multicentre figures: forest plots with the pooled diamond, and the SROC plot.

Builders take a result object and an optional ``Axes`` and return
``(fig, ax)``; they draw only numbers already in the result (tests inspect
the plotted data).  Saving goes through
:func:`spinestats.reports.figure_style.save_figure`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from spinestats.analysis.pooling.bivariate_meta import BivariateResult
from spinestats.analysis.core.critical import z_critical
from spinestats.analysis.pooling.meta_reml import MetaResult
from spinestats.reports.figure_style import PALETTE, journal_figure
from spinestats.reports.forest import ForestRow, ForestSummary, forest, num
from spinestats.reports.placement import fit_texts, place_legend
from spinestats.reports.regression_table import level_text


_COUNT_HEADER = {"Sensitivity": "TP/(TP+FN)", "Specificity": "TN/(TN+FP)", "AUC": "n"}


def forest_plot(meta: MetaResult, *, label: str = "Estimate", ax=None, show_prediction: bool = True,
                counts: Mapping[str, str] | None = None, logit: bool = False, name: str = "forest",
                conf_level: float = 0.95):
    """Forest plot of per-centre estimates (CIs at ``conf_level``), the pooled diamond and its numbers.

    Drawn by :func:`spinestats.reports.forest.forest` on the reporting scale
    (0–1): the per-centre intervals are the Wald intervals on the model scale
    (those the meta-analysis weights), back-transformed; the diamond spans the
    pooled CI, the line under it the prediction interval; the heterogeneity
    line gives Q, its p, τ² (on the model scale, named) and I².
    ``logit=True`` says that a generic meta-analysis was fitted on logit
    values (the pooled AUC); proportions (``measure="PLO"``) are always.
    ``counts`` maps a centre to its events/N text.  ``ax`` is not supported
    (the component lays out its own columns) and must be ``None``.
    """
    if ax is not None:
        raise ValueError("forest_plot lays out its own text columns; it draws a new figure (ax must be None)")
    on_logit = logit or meta.measure == "PLO"

    def back(x):
        x = np.asarray(x, dtype=float)
        return 1.0 / (1.0 + np.exp(-x)) if on_logit else x

    z = z_critical(conf_level)
    lvl = level_text(conf_level)
    y = np.asarray(meta.yi, dtype=float)
    se = np.sqrt(np.asarray(meta.vi, dtype=float))
    rows = [ForestRow(label=str(lab), estimate=float(back(yi)), lower=float(back(yi - z * s)), upper=float(back(yi + z * s)),
                      count=(counts or {}).get(str(lab), ""), weight=float(w))
            for lab, yi, s, w in zip(meta.labels, y, se, meta.weights)]
    summary = ForestSummary(
        label="Pooled (random effects, REML)", estimate=float(back(meta.estimate_model)),
        lower=float(back(meta.ci_model[0])), upper=float(back(meta.ci_model[1])),
        prediction=(float(back(meta.prediction_interval_model[0])), float(back(meta.prediction_interval_model[1])))
        if show_prediction else None,
        q=meta.q, q_df=meta.q_df, q_p=meta.q_p, tau2=meta.tau2, tau2_scale="logit" if on_logit else "", i2=meta.i2,
        prediction_label=f"{lvl} prediction interval")
    return forest(rows, summary=summary, xlabel=f"{label} ({lvl} CI)",
                  label_header="Centre", count_header=_COUNT_HEADER.get(label, "n") if counts else "",
                  estimate_header=f"{label} ({lvl} CI)", name=name)


def sroc_plot(fit: BivariateResult, *, ax=None):
    """Summary ROC: centres, summary point, Rutter-Gatsonis SROC curve, confidence and prediction regions.

    When the between-centre correlation is at its boundary (|ρ| > 0.999, the
    fit says so in its warnings) the prediction region is degenerate: it is
    not drawn and a note under the plot says why.  The axes are framed to
    the data (centres, curve, regions) within 0–1.
    """
    if ax is None:
        fig, ax = journal_figure("single", height_mm=92.0)
    else:
        fig = ax.figure
    degenerate = abs(float(fit.rho)) > 0.999
    lvl = level_text(fit.confidence_region.get("level", 0.95))
    ax.scatter(fit.study_fpr, fit.study_sensitivity, s=14, facecolors="none", edgecolors=PALETTE[7],
               label="Centre")
    xs = [np.asarray(fit.study_fpr, float), np.asarray(fit.confidence_region["fpr"], float)]
    ys = [np.asarray(fit.study_sensitivity, float), np.asarray(fit.confidence_region["sensitivity"], float)]
    if fit.sroc["sensitivity"]:
        ax.plot(fit.sroc["fpr"], fit.sroc["sensitivity"], color=PALETTE[0], label="SROC (Rutter\u2013Gatsonis)")
    ax.plot(fit.confidence_region["fpr"], fit.confidence_region["sensitivity"], color=PALETTE[1],
            linestyle="--", label=f"{lvl} confidence region")
    if not degenerate:
        ax.plot(fit.prediction_region["fpr"], fit.prediction_region["sensitivity"], color=PALETTE[2],
                linestyle=":", label=f"{lvl} prediction region")
        xs.append(np.asarray(fit.prediction_region["fpr"], float))
        ys.append(np.asarray(fit.prediction_region["sensitivity"], float))
    ax.scatter([fit.false_positive_rate["estimate"]], [fit.sensitivity["estimate"]], marker="D", s=22,
               color=PALETTE[1], zorder=4, label="Summary point")
    x_all, y_all = np.concatenate(xs), np.concatenate(ys)
    x_all, y_all = x_all[np.isfinite(x_all)], y_all[np.isfinite(y_all)]
    ax.set_xlim(max(0.0, np.floor(x_all.min() * 10 - 0.5) / 10), min(1.0, np.ceil(x_all.max() * 10 + 0.5) / 10))
    ax.set_ylim(max(0.0, np.floor(y_all.min() * 10 - 0.5) / 10), min(1.0, np.ceil(y_all.max() * 10 + 0.5) / 10))
    ax.set_xlabel("False positive rate (1 \u2212 specificity)")
    ax.set_ylabel("Sensitivity")
    if degenerate:
        ax.set_title(f"No prediction region: the between-centre\ncorrelation is at its boundary (\u03c1 = {num(fit.rho)}),"
                     "\ntoo few centres to estimate it.", loc="left", fontsize=7)
    place_legend(ax, frameon=False, fontsize=7)
    fit_texts(fig, "summary ROC")
    return fig, ax

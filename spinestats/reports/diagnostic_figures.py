"""Figures of the diagnostic-score analysis (they read result objects; no statistics here).

Public functions
----------------
``roc_figure(roc, *, band=None, optimal=None, delong=None, ax=None) -> (fig, ax)``
    Empirical ROC curve (:class:`~spinestats.analysis.diagnostic.roc.RocCurve`) as a step
    polyline of sensitivity against 1 - specificity, with the bootstrap band of
    sensitivity at fixed specificities (:class:`~spinestats.analysis.diagnostic.auc_bootstrap.AucBootstrap`,
    as pROC ``ci.se``) shaded, and the chosen cutoff(s)
    (:class:`~spinestats.analysis.diagnostic.cutoff.OptimalCutoff`) marked and labelled.
``score_distribution_figure(roc, *, labels=("negative", "positive"), cutoff=None, ax=None) -> (fig, ax)``
    Number of patients at each score level by class (side-by-side bars, from the
    counts stored in the ROC result), with the cutoff drawn as a line at ``cutoff - 0.5``
    for integer scores ("positive when score >= cutoff").
``cutoff_stability_figure(boot, *, ax=None) -> (fig, ax)``
    Share of bootstrap replicates selecting each cutoff
    (:class:`~spinestats.analysis.diagnostic.cutoff_bootstrap.CutoffBootstrap`), the apparent cutoff highlighted.

All figures use :func:`spinestats.reports.figure_style.journal_figure`, the
Okabe-Ito palette, and are saved with :func:`~spinestats.reports.figure_style.save_figure`.
Tests inspect the plotted arrays (``ax.lines``, ``ax.patches``), not pixels.
"""

from __future__ import annotations

import numpy as np

from spinestats.reports.figure_style import PALETTE, journal_figure
from spinestats.reports.placement import fit_texts, place_legend
from spinestats.reports.regression_table import level_text


def _axes(ax, **kwargs):
    if ax is None:
        return journal_figure("single", **kwargs)
    return ax.figure, ax


def roc_figure(roc, *, band=None, optimal=None, delong=None, ax=None, at_most=False):
    """ROC curve with optional CI band and marked cutoff (see module docstring; ``at_most``: positive when score <= cutoff)."""
    sign = "\u2264" if at_most else "\u2265"
    fig, ax = _axes(ax, height_mm=85.0)
    fpr = 1.0 - np.asarray(roc.specificities)
    tpr = np.asarray(roc.sensitivities)
    if band is not None:
        bx = 1.0 - np.asarray(band.specificities)
        ax.fill_between(bx, band.se_lower, band.se_upper, color=PALETTE[5], alpha=0.35, linewidth=0,
                        label=f"{level_text(band.conf_level)} bootstrap band (B = {band.B})", step=None)
    label = f"AUC {roc.auc:.3f}"
    if delong is not None:
        label += f" ({level_text(delong.conf_level)} CI {delong.ci[0]:.3f}\u2013{delong.ci[1]:.3f})"
    ax.plot(fpr, tpr, color=PALETTE[0], linewidth=1.2, label=label)
    ax.plot([0, 1], [0, 1], color="0.6", linewidth=0.6, linestyle=":")
    if optimal is not None:
        ox = 1.0 - np.asarray(optimal.specificity)
        oy = np.asarray(optimal.sensitivity)
        ax.plot(ox, oy, linestyle="none", marker="o", markersize=4, color=PALETTE[1],
                label="Cutoff " + ", ".join(f"{sign} {c:g}" for c in optimal.cutoff))
        for x, y, c in zip(ox, oy, optimal.cutoff):
            ax.annotate(f"{sign} {c:g}", (x, y), xytext=(4, -8), textcoords="offset points", fontsize=7)
    ax.set_xlim(-0.01, 1.01)
    ax.set_ylim(-0.01, 1.01)
    ax.set_aspect("equal")
    ax.set_xlabel("1 \u2212 specificity")
    ax.set_ylabel("Sensitivity")
    place_legend(ax, frameon=False, fontsize=7)
    fit_texts(fig, "ROC curve")
    return fig, ax


def score_distribution_figure(roc, *, labels=("negative", "positive"), cutoff=None, ax=None, at_most=False,
                              legend_title=None, score_label="Score"):
    """Patients per score level by class (see module docstring; ``at_most``: positive when score <= cutoff).

    ``labels`` are the classes' display labels (a lowercase code is shown with a
    capital, "benign" as "Benign"); ``legend_title`` names the reference
    standard, ``score_label`` the score on the x axis.
    """
    sign = "\u2264" if at_most else "\u2265"
    labels = tuple(_sentence(str(lab)) for lab in labels)
    fig, ax = _axes(ax)
    levels = np.asarray(roc.levels, dtype=float)
    pos = np.asarray(roc.n_pos)
    neg = np.asarray(roc.n_neg)
    integer = np.all(levels == np.round(levels)) and levels.size <= 30
    if integer:
        width = 0.4
        ax.bar(levels - width / 2, neg, width=width, color=PALETTE[0], label=labels[0])
        ax.bar(levels + width / 2, pos, width=width, color=PALETTE[1], label=labels[1], hatch="//", edgecolor="white")
        ax.set_xticks(levels)
        if cutoff is not None:
            _cutoff_line(ax, float(cutoff) + (0.5 if at_most else -0.5), f"Cutoff {sign} {cutoff:g}")
    else:
        bins = np.histogram_bin_edges(levels, bins=min(30, max(5, levels.size // 5)), weights=None)
        ax.hist(levels, bins=bins, weights=neg, color=PALETTE[0], alpha=0.7, label=labels[0])
        ax.hist(levels, bins=bins, weights=pos, color=PALETTE[1], alpha=0.7, label=labels[1])
        if cutoff is not None:
            _cutoff_line(ax, float(cutoff), f"Cutoff {sign} {cutoff:g}")
    ax.set_xlabel(score_label)
    ax.set_ylabel("Patients")
    place_legend(ax, frameon=False, fontsize=7, title=legend_title)
    fit_texts(fig, "score distribution")
    return fig, ax


def _cutoff_line(ax, x: float, text: str) -> None:
    """The cutoff as a dashed line labelled at its top, above the plotting area (not a legend entry:
    the legend lists the reference-standard classes)."""
    from matplotlib.transforms import blended_transform_factory

    ax.axvline(x, color="0.2", linestyle="--", linewidth=0.8, label="_cutoff")
    ax.text(x, 1.01, text, transform=blended_transform_factory(ax.transData, ax.transAxes), ha="center",
            va="bottom", fontsize=7)


def _sentence(text: str) -> str:
    """A label with a capital first letter ("benign" -> "Benign"); other text as given."""
    return text[:1].upper() + text[1:] if text[:1].islower() else text


def cutoff_stability_figure(boot, *, ax=None):
    """Bootstrap distribution of the selected cutoff (see module docstring)."""
    fig, ax = _axes(ax)
    cut = np.asarray(boot.cutoffs, dtype=float)
    freq = np.asarray(boot.frequency, dtype=float)
    keep = np.isfinite(cut) & (freq > 0)
    apparent = set(boot.apparent_cutoff)
    colours = [PALETTE[1] if c in apparent else PALETTE[0] for c in cut[keep]]
    bars = ax.bar(np.arange(keep.sum()), 100 * freq[keep], color=colours, width=0.7)
    for bar, c in zip(bars, cut[keep]):
        if c in apparent:
            bar.set_hatch("//")
            bar.set_edgecolor("white")
    ax.set_xticks(np.arange(keep.sum()), [f"\u2265 {c:g}" for c in cut[keep]])
    ax.set_xlabel(f"Cutoff selected in the resamples ({boot.method.replace('_', ' ')})\n"
                  "orange, hatched: the cutoff chosen on the data")
    ax.set_ylabel(f"Replicates (%), B = {boot.B}")
    fit_texts(fig, "cutoff stability")
    return fig, ax

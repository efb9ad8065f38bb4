"""Figures of the fracture analysis: CIF by group, forest plot, calibration, decision curve.

Every builder takes result objects (never raw data), draws on ``ax`` (a new
journal-sized figure when ``None``) and returns the ``Axes``; tests read the
plotted arrays back.  No statistics are computed here.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from spinestats.analysis.prediction.calibration import CalibrationResult
from spinestats.analysis.competing_risks.cuminc import CumulativeIncidence
from spinestats.analysis.prediction.decision_curve import DecisionCurve
from spinestats.reports.figure_style import RC, journal_figure, series_style
from spinestats.reports.forest import num
from spinestats.reports.placement import fit_texts, place_legend


def _journal_style(builder):
    """Draw inside the journal rc style, so labels and legends get the journal font sizes."""

    @functools.wraps(builder)
    def wrapped(*args, **kwargs):
        with plt.rc_context(RC):
            return builder(*args, **kwargs)

    return wrapped


@_journal_style
def cif_figure(ci: CumulativeIncidence, *, horizon: float | None = None, risk_times: Sequence[float] | None = None,
               pvalue: str | None = None, title: str | None = None, ax=None, labels=None, group: str | None = None,
               name: str = "fracture cumulative incidence"):
    """Cumulative incidence of fracture per group with CI bands and the at-risk table.

    Drawn by the project's one step-curve plotter
    (:func:`spinestats.reports.step_plot.plot_step_curves`); returns its
    :class:`~spinestats.reports.step_plot.StepPlot` (the arrays drawn).
    With ``labels`` (:class:`~spinestats.data_schemas.labels.Labels`) and the
    grouping variable ``group``, the groups are drawn in the variable's order
    with their value labels, under a legend titled with its label.
    """
    from spinestats.reports import step_plot

    shown = None
    if labels is not None and group is not None:
        shown = {g: labels.value(group, g) for g in ci.groups}
    curves = step_plot.cif_curves(ci, cause=1, labels=shown)
    if risk_times is None:
        end = max(c.steps()[0][-1] for c in curves)
        risk_times = step_plot.default_risk_times(curves, step=24.0 if end > 96 else None)
    times = risk_times
    curves = step_plot.cif_curves(ci, cause=1, risk_times=times, labels=shown)
    if shown is not None:
        order = [shown[g] for g in labels.order(group, list(ci.groups))]
        curves.sort(key=lambda c: order.index(c.label) if c.label in order else len(order))
    top = max(float(np.nanmax(c.upper)) if c.upper is not None and c.upper.size else 0.0 for c in curves)
    sp = step_plot.plot_step_curves(curves, ax=ax, xlabel="Months from irradiation",
                                    ylabel="Cumulative incidence of vertebral fracture", ylim=(0.0, min(1.02, max(0.1, top * 1.1))),
                                    pvalue=pvalue, title=title, risk_times=times, figure_name=name,
                                    legend_title=labels.name(group) if shown is not None else None,
                                    reference_lines=() if horizon is None else
                                    [(horizon, f"Prediction horizon ({horizon:g} months)")])
    return sp


def _float(value) -> float:
    """A number of a results block (``None`` in results.json) as a float (NaN when undefined)."""
    return float("nan") if value is None else float(value)


#: model type -> (axis wording, the short name the regression tables head the column with)
_RATIO = {"finegray": ("Subdistribution hazard ratio", "sHR"), "cox": ("Cause-specific hazard ratio", "csHR"),
          "firth": ("Odds ratio", "OR")}


def forest_figure(model: Mapping, *, ax=None, label: str | None = None, term_labels: Mapping[str, str] | None = None,
                  conf_level: float = 0.95):
    """Forest plot of (sub)hazard or odds ratios with their CIs (log axis, line at 1).

    ``model`` is the ``results["model"]`` block: ``terms``, ``estimate``,
    ``lower``, ``upper`` (ratios) and ``type``; ``term_labels`` gives
    readable names for the terms.  Drawn by the one forest component
    (:func:`spinestats.reports.forest.forest`) with a text column of
    "sHR (95% CI)" as the regression table heads it (the level from ``conf_level``); returns the ``Axes``
    (``ax`` must be ``None``).  Undefined values (``None`` or NaN) are drawn as missing.
    """
    from spinestats.reports.forest import ForestRow, forest
    from spinestats.reports.regression_table import level_text

    if ax is not None:
        raise ValueError("forest_figure lays out its own text columns; it draws a new figure (ax must be None)")
    long, short = _RATIO.get(model.get("type", ""), ("Ratio", "Ratio"))
    level = level_text(conf_level)
    rows = [ForestRow(label=(term_labels or {}).get(t, t), estimate=_float(e), lower=_float(lo), upper=_float(hi))
            for t, e, lo, hi in zip(model["terms"], model["estimate"], model["lower"], model["upper"])]
    _, ax = forest(rows, xlabel=label or f"{long} ({level} CI), log scale", log=True, null=1.0,
                   label_header="Predictor", estimate_header=f"{short} ({level} CI)", name="fracture forest",
                   width="single")
    return ax


@_journal_style
def calibration_figure(cal: CalibrationResult, *, ax=None, outcome: str = "VCF", unit: str = "months"):
    """Observed (Aalen-Johansen, with CI) against mean predicted risk per group, with the ideal line."""
    if ax is None:
        _, ax = journal_figure("single", height_mm=80)
    g = cal.groups
    top = float(np.nanmax([g["upper"].max(), g["predicted"].max(), 0.05])) * 1.05
    ax.plot([0, top], [0, top], color="0.5", linestyle="--", linewidth=0.8, label="Ideal")
    st = series_style(0)
    ax.errorbar(g["predicted"], g["observed"], yerr=[g["observed"] - g["lower"], g["upper"] - g["observed"]],
                fmt=st["marker"], color=st["color"], markersize=4, capsize=2, linewidth=0.8,
                label=f"Groups (CITL {num(cal.citl)}, slope {num(cal.slope)})")
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    ax.set_xlabel(f"Predicted risk of {outcome} by {cal.horizon:g} {unit}")
    ax.set_ylabel("Observed cumulative incidence")
    place_legend(ax, frameon=False)
    fit_texts(ax.figure, "calibration")
    return ax


@_journal_style
def decision_curve_figure(dc: DecisionCurve, *, ax=None, outcome: str = "VCF", unit: str = "months"):
    """Net benefit of the model, treat-all and treat-none against the threshold probability."""
    if ax is None:
        _, ax = journal_figure("single", height_mm=70)
    for i, (name, values) in enumerate((("Model", dc.model), ("Treat all", dc.treat_all), ("Treat none", dc.treat_none))):
        st = series_style(i)
        ax.plot(dc.threshold, values, color=st["color"], linestyle=st["linestyle"], label=name)
    finite = np.concatenate([dc.model[np.isfinite(dc.model)], [0.0]])
    ax.set_ylim(min(-0.02, -0.25 * float(np.max(finite))), float(np.max(finite)) * 1.15 + 1e-3)
    ax.set_xlabel(f"Threshold probability ({outcome} by {dc.horizon:g} {unit})")
    ax.set_ylabel("Net benefit")
    place_legend(ax, frameon=False)
    fit_texts(ax.figure, "decision curve")
    return ax

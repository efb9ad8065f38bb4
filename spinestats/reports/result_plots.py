"""``Result.plot()``: the report's figures for one result, in a notebook.

Each result class that has a figure in the report (Kaplan-Meier, cumulative
incidence, Cox and Fine-Gray forest, ``cox.zph``, ROC, score distribution, meta-analysis forest,
summary ROC of the bivariate model, calibration, decision curve, pain trajectory) has a ``plot()`` method that imports this module
when it is called (the statistics never load the presentation code
otherwise) and draws with the very functions the report uses:
:func:`spinestats.reports.step_plot.plot_step_curves`,
:func:`spinestats.reports.forest.forest`,
:func:`spinestats.reports.survival_figures.plot_zph`,
:func:`spinestats.reports.diagnostic_figures.roc_figure`,
:func:`spinestats.reports.diagnostic_figures.score_distribution_figure`,
:func:`spinestats.reports.multicenter_figures.forest_plot`,
:func:`spinestats.reports.multicenter_figures.sroc_plot`,
:mod:`spinestats.reports.fracture_figures` and
:func:`spinestats.reports.pain_figures.trajectory` (the visit summary and the mixed model's means).  Every function returns the
matplotlib ``Figure``; nothing is computed here, only drawn.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _risk_grid(curves: Any) -> Any:
    """The at-risk times: every 12 months, every 24 beyond 8 years of follow-up (as the fracture CIF figure)."""
    from spinestats.reports.step_plot import default_risk_times

    end = max((c.steps()[0][-1] for c in curves), default=0.0)
    return default_risk_times(curves, step=24.0 if end > 96 else None)


def plot_kaplan_meier(km: Any, *, ax: Any = None, unit: str = "months", label: str = "Survival probability",
                      risk_times: Any = None, labels: Mapping | None = None) -> Any:
    """KM curves with CI bands, censoring ticks, medians and the at-risk table (the survival report's figure)."""
    from spinestats.reports.step_plot import km_curves, plot_step_curves

    names = dict(labels) if labels else None
    if risk_times is None:
        risk_times = _risk_grid(km_curves(km, labels=names))
    curves = km_curves(km, risk_times=risk_times, labels=names)
    meds = [km.median(g)["estimate"] for g in km.groups]
    plot = plot_step_curves(curves, ax=ax, xlabel=f"{unit.capitalize()} from start of treatment",
                            ylabel=f"{label} (Kaplan\u2013Meier)", median_lines=meds)
    return plot.figure


def plot_cumulative_incidence(cif: Any, *, ax: Any = None, unit: str = "months", event_label: str = "the event",
                              risk_times: Any = None, labels: Mapping | None = None) -> Any:
    """Cumulative incidence of the cause of interest per group, with the at-risk table (the report's figure)."""
    from spinestats.reports.step_plot import cif_curves, plot_step_curves

    names = dict(labels) if labels else None
    if risk_times is None:
        risk_times = _risk_grid(cif_curves(cif, labels=names))
    plot = plot_step_curves(cif_curves(cif, risk_times=risk_times, labels=names), ax=ax,
                            xlabel=f"{unit.capitalize()} from start of treatment",
                            ylabel=f"Cumulative incidence of\n{event_label}", ylim=(0, 1.02))
    return plot.figure


def plot_ratios(fit: Any, *, kind: str, term_labels: Mapping[str, str] | None = None) -> Any:
    """Forest plot of the hazard (``kind="cox"``) or subdistribution hazard (``"finegray"``) ratios."""
    from spinestats.reports.fracture_figures import forest_figure

    if kind == "cox":
        ratio, lower, upper = fit.hr, fit.hr_lower, fit.hr_upper
    else:
        ratio, lower, upper = fit.shr, fit.shr_lower, fit.shr_upper
    model = {"type": kind, "terms": list(fit.terms), "estimate": list(ratio), "lower": list(lower),
             "upper": list(upper)}
    return forest_figure(model, term_labels=term_labels).figure


def plot_zph(zph: Any, *, coef: Mapping[str, float] | None = None, unit: str = "months",
             term_labels: Mapping[str, str] | None = None) -> Any:
    """beta(t) against time per term, as R ``plot(cox.zph)`` (the survival report's PH figure)."""
    from spinestats.reports.survival_figures import plot_zph as _plot

    return _plot(zph, dict(coef or {}), unit=unit, term_labels=term_labels).figure


def plot_roc(curve: Any, *, ax: Any = None) -> Any:
    """The ROC curve with its AUC (the diagnostic report's figure, without band or cutoff)."""
    from spinestats.reports.diagnostic_figures import roc_figure

    fig, _ = roc_figure(curve, ax=ax)
    return fig


def plot_score_distribution(dist: Any, *, ax: Any = None, cutoff: float | None = None, at_most: bool = False,
                            legend_title: str | None = None, score_label: str = "Score") -> Any:
    """Patients at each score level by class, with the cutoff (the diagnostic report's score-distribution figure)."""
    from spinestats.reports.diagnostic_figures import score_distribution_figure

    fig, _ = score_distribution_figure(dist, labels=(dist.classes[1], dist.classes[0]), cutoff=cutoff, ax=ax,
                                       at_most=at_most, legend_title=legend_title, score_label=score_label)
    return fig


def plot_meta(meta: Any, *, label: str = "Estimate", show_prediction: bool = True) -> Any:
    """Forest plot of the studies, the pooled diamond, its prediction interval and heterogeneity."""
    from spinestats.reports.multicenter_figures import forest_plot

    out = forest_plot(meta, label=label, show_prediction=show_prediction)
    return out[0] if isinstance(out, tuple) else out.figure


def plot_sroc(fit: Any, *, ax: Any = None) -> Any:
    """The summary ROC of a bivariate (Reitsma) fit: centres, summary point, SROC curve and regions."""
    from spinestats.reports.multicenter_figures import sroc_plot

    fig, _ = sroc_plot(fit, ax=ax)
    return fig


def plot_calibration(cal: Any, *, ax: Any = None, outcome: str = "the event", unit: str = "months") -> Any:
    """Observed against predicted risk per group with the ideal line (the fracture report's figure)."""
    from spinestats.reports.fracture_figures import calibration_figure

    return calibration_figure(cal, ax=ax, outcome=outcome, unit=unit).figure


def plot_decision_curve(dc: Any, *, ax: Any = None, outcome: str = "the event", unit: str = "months") -> Any:
    """Net benefit of the model, treat-all and treat-none (the fracture report's figure)."""
    from spinestats.reports.fracture_figures import decision_curve_figure

    return decision_curve_figure(dc, ax=ax, outcome=outcome, unit=unit).figure



def _visit_order(frame: Any, visits: Any) -> list:
    return list(visits) if visits is not None else list(dict.fromkeys(frame["visit"]))


def plot_pain_trajectory(summary: Any, *, ax: Any = None, visits: Any = None, labels: Any = None) -> Any:
    """Mean score with its t interval per visit and arm, at the visits' real times (the pain report's figure)."""
    from spinestats.reports.pain_figures import trajectory

    return trajectory(summary, visits=_visit_order(summary.to_frame(), visits), ax=ax, labels=labels,
                      conf_level=getattr(summary, "conf_level", 0.95)).figure


def plot_marginal_means(emm: Any, *, ax: Any = None, labels: Any = None, conf_level: float = 0.95) -> Any:
    """The mixed model's estimated means per visit and arm, drawn by the pain report's trajectory figure."""
    from spinestats.reports.pain_figures import trajectory

    return trajectory(emm, visits=_visit_order(emm.to_frame(), None), ax=ax, labels=labels, conf_level=conf_level,
                      mean="emmean").figure

"""Survival figures other than step curves: the proportional-hazards diagnostic plot.

:func:`plot_zph` draws what R's ``plot(cox.zph(fit))`` draws: for each
term, one panel of the scaled Schoenfeld residuals (beta(t)) against time,
the natural-spline smooth with its ±2 SE band
(:func:`spinestats.analysis.survival.cox_zph.zph_smooth`, computed in analysis/),
a zero line and the Cox coefficient as a dashed line, with the per-term
test in the panel title.  The x axis is spaced by the time transform (the
Kaplan-Meier transform by default, as R) and labelled in the time unit, the
transform stated in its label.  Step curves (KM, CIF, reverse KM) go
through :mod:`spinestats.reports.step_plot`.

:func:`endpoint_figures` draws and writes the figures of one endpoint of the
survival job (Kaplan-Meier, cumulative incidence, PH check) from its fitted
results; it computes nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from spinestats.analysis.survival.cox_zph import zph_smooth
from spinestats.reports.figure_style import PALETTE, journal_figure, save_figure
from spinestats.reports.formatting import format_p
from spinestats.reports.placement import fit_texts, wrap_label
from spinestats.reports.step_plot import cif_curves, km_curves, plot_step_curves, risk_grid

MIN_TICK_GAP = 0.08  # least distance between two time ticks, as a share of the axis

TRANSFORM_TEXT = {"km": "spaced by the Kaplan\u2013Meier\ntransform", "rank": "spaced by rank",
                  "identity": "linear", "log": "log scale"}


@dataclasses.dataclass
class ZphPlot:
    """The figure and, per term, the plotted (x, residual) arrays."""

    figure: object
    axes: list
    points: dict[str, tuple[np.ndarray, np.ndarray]]


def _time_ticks(zph, unit: str) -> tuple[list[float], list[str]]:
    """Positions (transformed) and labels (time) of round times within the follow-up."""
    t = np.asarray(zph.time, dtype=float)
    xx = np.asarray(zph.x, dtype=float)
    order = np.argsort(t, kind="stable")
    t, xx = t[order], xx[order]
    end = float(t.max()) if t.size else 0.0
    step = {"months": 12.0, "days": 365.0, "years": 1.0}.get(unit, 0.0)
    if not step or end / step > 8:
        step = float(np.ceil(end / 6 / (step or 1.0)) * (step or 1.0)) or 1.0
    times = np.arange(0.0, end + 1e-9, step)
    times = times[(times >= t.min()) & (times <= end)] if t.size else times
    if times.size < 2:
        times = np.unique(np.round(np.quantile(t, [0.1, 0.5, 0.9]), 1))
    pos = np.interp(times, t, xx)
    # the transform crowds late times together: keep a tick only where its label has room
    span = float(np.ptp(xx)) if xx.size else 0.0
    keep: list[int] = []
    for i, x in enumerate(pos):
        if not keep or x - pos[keep[-1]] >= MIN_TICK_GAP * span:
            keep.append(i)
    return [float(pos[i]) for i in keep], [f"{times[i]:g}" for i in keep]


def plot_zph(zph, coef: dict[str, float], *, width: str = "single", term_labels: Mapping[str, str] | None = None,
             unit: str = "months") -> ZphPlot:
    """One panel per design column: beta(t) against time, as ``plot(cox.zph)``.

    Parameters
    ----------
    zph : a ``CoxZph`` result.
    coef : the Cox coefficients by term name (dashed reference lines).
    term_labels : human names of the terms (default: the term names).
    unit : the time unit of the axis labels.
    """
    terms = list(zph.residuals.columns)
    fig, axes = journal_figure(width, height_mm=48 * len(terms) + 6, nrows=len(terms), ncols=1, squeeze=False)
    axes = [a[0] for a in axes]
    tests = {r["term"]: r for _, r in zph.table.iterrows()}
    points = {}
    ticks, tick_labels = _time_ticks(zph, unit)
    for ax, term in zip(axes, terms):
        name = (term_labels or {}).get(term, term)
        y = zph.residuals[term].to_numpy()
        sm = zph_smooth(zph, term)
        ax.plot(zph.x, y, linestyle="none", marker="o", markersize=2.0, color="0.45", alpha=0.7)
        ax.fill_between(sm.x, sm.lower, sm.upper, color=PALETTE[0], alpha=0.15, linewidth=0)
        ax.plot(sm.x, sm.fit, color=PALETTE[0], linewidth=1.2, label="Smooth")
        ax.plot(sm.x, sm.lower, color=PALETTE[0], linewidth=0.6, linestyle="--")
        ax.plot(sm.x, sm.upper, color=PALETTE[0], linewidth=0.6, linestyle="--")
        ax.axhline(0.0, color="0.3", linewidth=0.6)
        ax.axhline(coef.get(term, 0.0), color=PALETTE[1], linestyle=":", linewidth=0.8)
        ax.set_ylabel(wrap_label(f"\u03b2(t) for {name}", 28, "proportional-hazards test"))
        base = next((t for t in tests if term.startswith(t)), None)
        title = name + (f" (PH test {format_p(tests[base]['p'])})" if base is not None else "")
        ax.set_title(wrap_label(title, 60, "proportional-hazards test"), loc="left", fontsize=8)
        ax.set_xticks(ticks, tick_labels)
        points[term] = (np.asarray(zph.x), y)
    axes[-1].set_xlabel(f"Time ({unit}; {TRANSFORM_TEXT.get(zph.transform, zph.transform + ' transform')})")
    fit_texts(fig, "proportional-hazards test")
    return ZphPlot(figure=fig, axes=axes, points=points)


#: at-risk table steps per time unit (round multiples: 6, 12, 24 ... months; 1, 2, 5 years; 30 ... days)
RISK_STEPS = {"months": (6, 12, 24, 36, 48, 60, 120), "years": (0.5, 1, 2, 5, 10),
              "days": (30, 90, 180, 365, 730, 1826)}


def risk_times(follow_up: Any, unit: str) -> np.ndarray:
    """At most 8 at-risk table columns at round multiples of the time unit, up to the longest follow-up."""
    values = np.asarray(follow_up, dtype=float)
    end = float(np.nanmax(values)) if values.size else 0.0
    return risk_grid(end, RISK_STEPS[unit])


def endpoint_figures(fit: Any, out_dir: Path, *, unit: str, group: str | None, covariates: Sequence[str],
                     width: str, labels: Any, median_lines: bool = True, events_table: bool = False,
                     formats: Sequence[str] | None = None, dpis: Sequence[int] | None = None) -> list[Path]:
    """The Kaplan-Meier figure, the cumulative-incidence figure (competing events) and the PH check (Cox) of one
    endpoint of the survival job (``fit``: its :class:`~spinestats.reports.survival_job.EndpointFit`), written to
    ``out_dir/figures/<stem>_km`` etc.; returns the paths relative to ``out_dir``."""
    ep, km, lr = fit.endpoint, fit.km, fit.logrank
    folder = Path(out_dir) / "figures"
    kw = {k: v for k, v in (("formats", formats), ("dpis", dpis)) if v}
    rt = risk_times(fit.data[ep.time], unit)
    glabels = {g: labels.value(group, g) for g in km.groups} if group is not None else None
    title = labels.name(group) if group is not None else None
    xlabel = f"{unit.capitalize()} from start of treatment"
    p = f"Log-rank {format_p(lr.p)}" if lr is not None and np.isfinite(lr.p) else None
    meds = [km.median(g)["estimate"] for g in km.groups] if median_lines else None
    plot = plot_step_curves(km_curves(km, risk_times=list(rt), labels=glabels), xlabel=xlabel,
                            ylabel=f"{ep.label} (Kaplan\u2013Meier)", pvalue=p, median_lines=meds, width=width,
                            legend_title=title, events_table=events_table, figure_name=f"{ep.stem}_km")
    written = save_figure(plot.figure, folder, f"{ep.stem}_km", **kw)
    if fit.cif is not None:
        gray = fit.gray.for_cause(ep.cause) if fit.gray is not None and ep.cause in fit.gray.causes else None
        note = f"Gray's test {format_p(gray['p'])}" if gray is not None and np.isfinite(gray["p"]) else None
        plot = plot_step_curves(cif_curves(fit.cif, risk_times=list(rt), labels=glabels), xlabel=xlabel,
                                ylabel=f"Cumulative incidence of\n{ep.event_label}", ylim=(0, 1.02), width=width,
                                pvalue=note, legend_title=title, events_table=events_table,
                                figure_name=f"{ep.stem}_cif")
        written += save_figure(plot.figure, folder, f"{ep.stem}_cif", **kw)
    if fit.zph is not None and fit.cox is not None:
        terms = {t: labels.coefficient_label(t, list(covariates)) for t in fit.cox.terms}
        zp = plot_zph(fit.zph, dict(zip(fit.cox.terms, fit.cox.coef)), width=width, unit=unit, term_labels=terms)
        written += save_figure(zp.figure, folder, f"{ep.stem}_ph_test", **kw)
    return [w.relative_to(out_dir) for w in written]

"""The one step-curve plotter: Kaplan-Meier, cumulative incidence and reverse Kaplan-Meier.

Every step curve of spinestats goes through :func:`plot_step_curves`, which
takes a list of :class:`StepCurve` (plain numbers: jump times, values, CI,
censoring times, numbers at risk) and draws

* the step functions (right-continuous, extended to the last follow-up),
* pointwise CI bands (optional),
* censoring ticks (``|``) on the curves,
* a number-at-risk table aligned under the x axis (the columns sit at the
  x-axis ticks), optionally with cumulative events and censored rows as
  survminer's ``risk.table`` / ``cumevents`` / ``cumcensor``,
* the p-value and median (or any quantile) lines when asked.

Converters build the curves from result objects: :func:`km_curves`,
:func:`cif_curves` (one cause, every group; used for CIF by SINS category
by the fracture report) and :func:`reverse_km_curves`.  The function
returns a :class:`StepPlot` that keeps the step functions drawn (every time
given, though the drawn line and band keep only the points where they step,
which draws the same figure), so tests inspect numbers rather than pixels.
No statistics are computed here beyond reading values off the step functions.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from spinestats.reports.figure_style import RC, journal_figure, series_style
from spinestats.reports.placement import fit_texts, place_legend, place_note, wrap_label

#: most characters of a legend line / an at-risk table row label before it is wrapped
LEGEND_CHARS = 30
ROW_CHARS = 18


@dataclasses.dataclass(frozen=True)
class StepCurve:
    """One step curve to draw.

    Attributes
    ----------
    label : legend label (e.g. ``"CIRT-SS"``).
    time : jump times (ascending).
    estimate : value from each jump time on.
    lower, upper : CI at the same times (or None).
    start : value before the first jump (1 for survival, 0 for incidence).
    censor_times : times of censored observations (ticks; duplicates allowed).
    end_time : last follow-up time (the curve is drawn up to it).
    risk_times : times of the at-risk table columns.
    n_at_risk : numbers at risk at ``risk_times``.
    n_events, n_censored : cumulative events / censored at ``risk_times`` (optional rows).
    """

    label: str
    time: np.ndarray
    estimate: np.ndarray
    lower: np.ndarray | None = None
    upper: np.ndarray | None = None
    start: float = 1.0
    censor_times: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    end_time: float | None = None
    risk_times: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    n_at_risk: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, int))
    n_events: np.ndarray | None = None
    n_censored: np.ndarray | None = None

    def value_at(self, t: Sequence[float]) -> np.ndarray:
        """The step function's value at ``t`` (right-continuous)."""
        k = np.searchsorted(self.time, np.asarray(t, dtype=float), side="right") - 1
        return np.where(k >= 0, self.estimate[np.clip(k, 0, None)] if self.time.size else self.start, self.start)

    def steps(self) -> tuple[np.ndarray, np.ndarray]:
        """x, y of the drawn step line (``drawstyle='steps-post'``), from 0 to ``end_time``."""
        end = self.end_time if self.end_time is not None else (self.time[-1] if self.time.size else 0.0)
        x = np.concatenate(([0.0], self.time, [max(end, self.time[-1] if self.time.size else 0.0)]))
        y = np.concatenate(([self.start], self.estimate, [self.estimate[-1] if self.estimate.size else self.start]))
        return x, y


@dataclasses.dataclass
class StepPlot:
    """What :func:`plot_step_curves` drew: the figure, axes and the plotted arrays."""

    figure: object
    ax: object
    curves: list[StepCurve]
    lines: list[tuple[np.ndarray, np.ndarray]]
    bands: list[tuple[np.ndarray, np.ndarray, np.ndarray]]
    ticks: list[tuple[np.ndarray, np.ndarray]]
    table: dict[str, list[list[int]]]
    table_times: np.ndarray
    annotations: list[str]
    quantile_lines: list[tuple[float, float]]


#: most columns of an at-risk table
MAX_RISK_COLUMNS = 9


def risk_grid(end: float, steps: Sequence[float]) -> np.ndarray:
    """At-risk table times from 0 to ``end``: multiples of the first of ``steps`` giving at most
    :data:`MAX_RISK_COLUMNS` columns, else the axis ticks matplotlib would choose; never more
    than a few columns, whatever the time range (a date typed as a time cannot make millions)."""
    end = float(end)
    if not np.isfinite(end) or end <= 0:
        return np.zeros(1)
    for step in steps:
        if step > 0 and end / step <= MAX_RISK_COLUMNS - 1:
            return np.arange(0.0, end + 1e-9, float(step))
    from matplotlib.ticker import MaxNLocator

    ticks = MaxNLocator(nbins=MAX_RISK_COLUMNS - 1, steps=[1, 2, 2.5, 5, 10]).tick_values(0.0, end)
    return ticks[(ticks >= 0) & (ticks <= end * (1 + 1e-9))]


def default_risk_times(curves: Sequence[StepCurve], step: float | None = None) -> np.ndarray:
    """Table times: multiples of 12 (months) up to the longest follow-up, or of ``step`` (see :func:`risk_grid`)."""
    end = max((c.steps()[0][-1] for c in curves), default=0.0)
    if step is None:
        step = 12.0 if end > 24 else (6.0 if end > 6 else max(end / 4, 1.0))
    if np.isfinite(end) and end / step <= 3 * MAX_RISK_COLUMNS:
        return np.arange(0.0, end + 1e-9, step)
    return risk_grid(end, ())


def _km_step(c, rt: np.ndarray, labels: dict | None) -> StepCurve:
    ev = c.n_event > 0
    ce, cc = c.events_before(rt)
    return StepCurve(
        label=_label(c.group, labels),
        time=c.time[ev], estimate=c.survival[ev], lower=c.lower[ev], upper=c.upper[ev], start=1.0,
        censor_times=np.repeat(c.time, c.n_censored), end_time=float(c.time[-1]) if c.time.size else 0.0,
        risk_times=rt, n_at_risk=c.at_risk(rt), n_events=ce, n_censored=cc)


def km_curves(km, risk_times: Sequence[float] | None = None, labels: dict | None = None) -> list[StepCurve]:
    """Step curves from a :class:`~spinestats.analysis.survival.kaplan_meier.KaplanMeier` result."""
    rt = np.asarray(risk_times if risk_times is not None else [], dtype=float)
    return [_km_step(c, rt, labels) for c in km.curves]


def reverse_km_curves(reverse, risk_times: Sequence[float] | None = None, labels: dict | None = None) -> list[StepCurve]:
    """Reverse Kaplan-Meier (follow-up) curves to draw, from a
    :class:`~spinestats.analysis.survival.reverse_km.ReverseKaplanMeierResult` (numbers at risk those of the
    forward curve, so delayed entry is kept).  A forward Kaplan-Meier result is first turned into its reverse
    by :func:`~spinestats.analysis.survival.reverse_km.reverse_kaplan_meier` (the estimate is computed there)."""
    from spinestats.analysis.survival.reverse_km import ReverseKaplanMeierResult, reverse_kaplan_meier

    if not isinstance(reverse, ReverseKaplanMeierResult):
        reverse = reverse_kaplan_meier(reverse)
    rt = np.asarray(risk_times if risk_times is not None else [], dtype=float)
    return [_km_step(c, rt, labels) for c in reverse.curves]


def cif_curves(cif, cause: int | None = None, risk_times: Sequence[float] | None = None,
               labels: dict | None = None) -> list[StepCurve]:
    """Step curves of one cause (default: the cause of interest), one per group, from a CumulativeIncidence."""
    cause = cif.cause if cause is None else cause
    out = []
    for c in cif.curves:
        if c.cause != cause:
            continue
        rt = np.asarray(risk_times if risk_times is not None else [], dtype=float)
        n_ev = np.array([int(c.n_event[c.time <= t].sum()) for t in rt], dtype=int)
        n_cen = np.array([int(np.sum(c.censor_times <= t)) for t in rt], dtype=int)
        out.append(StepCurve(
            label=_label(c.group, labels), time=c.time, estimate=c.estimate, lower=c.lower, upper=c.upper,
            start=0.0, censor_times=c.censor_times, end_time=c.max_time, risk_times=rt, n_at_risk=c.at_risk(rt),
            n_events=n_ev, n_censored=n_cen))
    return out


def _label(group, labels: dict | None) -> str:
    if labels and group in labels:
        return str(labels[group])
    return "All patients" if group is None else str(group)


def plot_step_curves(
    curves: Sequence[StepCurve],
    *,
    ax=None,
    xlabel: str = "Months from start of treatment",
    ylabel: str = "Survival probability",
    ci: bool = True,
    censor_ticks: bool = True,
    risk_table: bool = True,
    cumulative_rows: bool = False,
    risk_times: Sequence[float] | None = None,
    pvalue: str | None = None,
    median_lines: Sequence[float | None] | None = None,
    median_level: float = 0.5,
    ylim: tuple[float, float] = (0.0, 1.02),
    title: str | None = None,
    width: str | float = "single",
    reference_lines: Sequence[tuple[float, str]] = (),
    events_table: bool = False,
    legend_title: str | None = None,
    figure_name: str | None = None,
) -> StepPlot:
    """Draw step curves with CI bands, censoring ticks and an aligned at-risk table.

    Parameters
    ----------
    curves : the curves (see the converters).
    ax : an existing Axes, or None for a new journal-sized figure.
    ci, censor_ticks : draw CI bands / censoring ticks.
    risk_table : draw the number-at-risk rows under the x axis (at ``risk_times``,
        default the curves' own ``risk_times`` or multiples of 12).
    events_table : also draw the "Cumulative number of events" rows (survminer's
        ``cumevents``: events up to each table time), under the numbers at risk.
    cumulative_rows : also draw cumulative events and censored rows.
    legend_title : the legend's title (the grouping variable's label).
    figure_name : how warnings name the figure (default: the y label).
    pvalue : text such as ``"Log-rank p = 0.012"`` written in the plot.
    median_lines : the medians (or other quantiles) of the curves, as the
        analysis reported them (None = not reached); dotted lines are drawn
        at ``median_level`` to each one and down to the x axis (None: no lines).

    A label too long for the figure is wrapped (legend and table rows); one
    that still cannot fit is drawn anyway and a
    :class:`~spinestats.reports.placement.FigureTextWarning` names it and the figure.
    A curve without events is drawn flat and its legend entry ends "(no events)".
    The CI band stops where the curve stops (at the last follow-up), or earlier
    where the CI is undefined (a survival of 0 on the log scale).
    reference_lines : ``(time, legend text)`` of vertical dotted lines (e.g. a
        prediction horizon), explained in the legend.
    """
    from matplotlib import pyplot as plt
    from matplotlib.transforms import blended_transform_factory

    curves = list(curves)
    row_names = ["Number at risk"] + (["Cumulative number of events"] if events_table and not cumulative_rows else []) \
        + (["Cumulative events", "Cumulative censored"] if cumulative_rows else [])
    # rows of the table: a header per block, then one row per curve (as many lines as its wrapped label)
    name = figure_name or ylabel.replace("\n", " ")
    row_labels = [wrap_label(c.label, ROW_CHARS, name) for c in curves]
    heights = [1] + [row.count("\n") + 1 for row in row_labels]
    n_rows = len(row_names) * sum(heights) if risk_table and curves else 0
    if ax is None:
        if n_rows:
            table_mm = 3.6 * n_rows + 4
            fig, (ax, tax) = journal_figure(width, height_mm=62 + table_mm, nrows=2,
                                            gridspec_kw={"height_ratios": [62, table_mm]})
        else:
            fig, ax = journal_figure(width, height_mm=62)
            tax = None
    else:
        fig = ax.figure
        # the caller's axes: put the table in an inset under it (leave room with the layout)
        tax = ax.inset_axes([0, -0.2 - 0.06 * n_rows, 1, 0.06 * n_rows]) if n_rows else None
    lines, bands, ticks, qlines = [], [], [], []
    no_events = [c.time.size == 0 or bool(np.all(np.asarray(c.estimate) == c.start)) for c in curves]
    legend_labels = [wrap_label(f"{c.label} (no events)" if none else c.label, LEGEND_CHARS, name)
                     for c, none in zip(curves, no_events)]
    with plt.rc_context(RC):
        for i, c in enumerate(curves):
            st = series_style(i)
            x, y = c.steps()
            keep = _steps_kept(y)
            ax.plot(x[keep], y[keep], drawstyle="steps-post", color=st["color"], linestyle=st["linestyle"],
                    label=legend_labels[i])
            lines.append((x, y))
            band = _band(c, x) if ci else None
            if band is not None:
                bx, lo, hi = band
                keep = _steps_kept(lo) | _steps_kept(hi)  # a step of either bound stays
                ax.fill_between(bx[keep], lo[keep], hi[keep], step="post", color=st["color"], alpha=0.15,
                                linewidth=0)
                bands.append(band)
            if censor_ticks and len(c.censor_times):
                ct = np.unique(np.asarray(c.censor_times, dtype=float))
                cy = c.value_at(ct)
                ax.plot(ct, cy, linestyle="none", marker="|", markersize=5, color=st["color"])
                ticks.append((ct, cy))
            if median_lines is not None and i < len(median_lines) and median_lines[i] is not None \
                    and np.isfinite(median_lines[i]):
                tq = float(median_lines[i])
                ax.plot([0, tq, tq], [median_level, median_level, 0], linestyle=":", color="0.4", linewidth=0.8)
                qlines.append((tq, median_level))
        ax.set_xlabel(xlabel)
        ax.set_ylabel(_wrap_axis_label(ylabel, 34))
        ax.set_ylim(*ylim)
        ax.set_xlim(left=0)
        if title:
            ax.set_title(title)
        notes = []
        table: dict[str, list[list[int]]] = {}
        times = np.zeros(0)
        if tax is not None:
            times = np.asarray(risk_times if risk_times is not None else (
                curves[0].risk_times if len(curves[0].risk_times) else default_risk_times(curves)), dtype=float)
            ax.set_xticks(times)
            tax.set_xlim(ax.get_xlim())
            tax.set_ylim(n_rows - 0.5, -0.5)
            tax.axis("off")
            trans = blended_transform_factory(tax.transAxes, tax.transData)
            row = 0.0
            for row_name in row_names:
                tax.text(0, row, row_name, transform=trans, ha="left", va="center", fontweight="bold", fontsize=7)
                row += 1
                rows = []
                for i, c in enumerate(curves):
                    vals = _row(c, row_name, times)
                    rows.append([int(v) for v in vals])
                    y_row = row + (heights[i + 1] - 1) / 2
                    tax.text(-0.07, y_row, row_labels[i], transform=trans, ha="right", va="center", fontsize=7,
                             color=series_style(i)["color"], linespacing=1.0)
                    for t, v in zip(times, vals):
                        tax.text(t, y_row, str(int(v)), ha="center", va="center", fontsize=7)
                    row += heights[i + 1]
                table[row_name] = rows
        for t_ref, text in reference_lines:
            ax.axvline(float(t_ref), color="0.5", linewidth=0.6, linestyle=":", label=text)
        # legend and test last, where the drawn curves leave room (survminer's free corner)
        if len(curves) > 1 or reference_lines or any(no_events):
            place_legend(ax, frameon=False, y_max=1.02 if ylim[1] < 1.0 else None, title=legend_title)
        if pvalue:
            place_note(ax, pvalue, fontsize=7)
            notes.append(pvalue)
        fit_texts(fig, name)
    return StepPlot(figure=fig, ax=ax, curves=curves, lines=lines, bands=bands, ticks=ticks, table=table,
                    table_times=times, annotations=notes, quantile_lines=qlines)


def _steps_kept(y: np.ndarray) -> np.ndarray:
    """The points of a right-continuous step function (``drawstyle='steps-post'``) that draw it: the
    first and last, and every point whose value differs from the one before (a point that repeats the
    value before it draws no step; dropping it leaves the drawn line the same).  NaN values are kept."""
    y = np.asarray(y, dtype=float)
    keep = np.ones(y.size, dtype=bool)
    if y.size > 2:
        keep[1:-1] = ~(y[1:-1] == y[:-2])
    return keep


def _band(c: StepCurve, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """x, lower, upper of the CI band on the curve's step positions ``x`` (0, jump times, last follow-up).

    The band ends where the curve ends; where the CI becomes undefined (NaN,
    e.g. a survival of 0 with a log CI) it stops at that time instead of
    being drawn with made-up values."""
    if c.lower is None or c.upper is None or not c.time.size:
        return None
    lo = np.concatenate(([c.start], np.asarray(c.lower, float), [np.asarray(c.lower, float)[-1]]))
    hi = np.concatenate(([c.start], np.asarray(c.upper, float), [np.asarray(c.upper, float)[-1]]))
    bad = ~(np.isfinite(lo) & np.isfinite(hi))
    if bad.any():
        k = int(np.argmax(bad))  # first undefined position: the band runs up to that time, no further
        x, lo, hi = x[:k + 1], np.append(lo[:k], lo[k - 1]), np.append(hi[:k], hi[k - 1])
    return np.asarray(x, float), lo, hi


def _wrap_axis_label(text: str, width: int) -> str:
    """An axis label broken into lines of at most ``width`` characters (existing breaks kept)."""
    import textwrap

    return "\n".join(textwrap.fill(part, width, break_long_words=False) for part in str(text).split("\n"))


def _row(c: StepCurve, name: str, times: np.ndarray) -> np.ndarray:
    """Values of one at-risk-table row at ``times`` (from the curve's own counts when the times match)."""
    same = len(c.risk_times) == len(times) and np.allclose(c.risk_times, times)
    if name == "Number at risk":
        if same:
            return np.asarray(c.n_at_risk)
        raise ValueError("risk_times differ from the curves' risk_times; build the curves with these times.")
    if name in ("Cumulative events", "Cumulative number of events"):
        if same and c.n_events is not None:
            return np.asarray(c.n_events)
    if name == "Cumulative censored":
        if same and c.n_censored is not None:
            return np.asarray(c.n_censored)
    raise ValueError(f"curve {c.label!r} has no '{name}' counts at these times.")

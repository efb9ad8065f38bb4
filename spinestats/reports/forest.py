"""One forest-plot component (metafor ``forest()`` as the reference).

:func:`forest` draws rows of estimates with their 95% CIs on the reporting
scale (proportions and AUC on 0–1, ratios on a log axis) and, beside the
plot, text columns: the row label, events/N (or n), "estimate (95% CI)" (written as the tables write it,
:func:`~spinestats.reports.formatting.format_ci`) and
the weight, each under a header.  An optional summary row is drawn as a
diamond with its numbers, the prediction interval as a line through it and a
heterogeneity line (Q, df, p, τ² with its scale, I²) under it.  The
per-centre forests of the multicentre analysis, the fracture model forest
and any subgroup forest are all drawn by it.

Nothing is computed here: rows carry numbers from the analysis results.  A
label too long for its column is wrapped; if it still does not fit, the
figure is drawn and a :class:`FigureTextWarning` names the label and the
figure.  The drawn numbers are kept in ``ax._spinestats_forest`` for tests.
"""

from __future__ import annotations

import dataclasses
import textwrap
import warnings
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Polygon
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from spinestats.reports.figure_style import MM_PER_INCH, PALETTE, RC, journal_figure
from spinestats.reports.formatting import fmt_number, format_ci, format_p
from spinestats.reports.placement import FigureTextWarning  # noqa: F401  (one warning class for every figure)

MINUS = "\u2212"


def num(value: float | None, digits: int = 2) -> str:
    """A number for a figure: fixed decimals and a true minus sign (U+2212)."""
    return fmt_number(value, digits).replace("-", MINUS)


def ci_text(estimate: float | None, lower: float | None, upper: float | None, digits: int = 2,
            style: str = "dash") -> str:
    """An estimate with its CI as the tables write it (``format_ci``: "0.83 (0.75\u20130.90)"), true minus signs."""
    return format_ci(estimate, lower, upper, digits, style).replace("-", MINUS)


def interval_text(lower: float | None, upper: float | None, digits: int = 2, style: str = "dash") -> str:
    """An interval alone, bracketed as :func:`ci_text` brackets it ("(0.61\u20130.95)")."""
    return ci_text(0.0, lower, upper, digits, style).split(" ", 1)[1]


@dataclasses.dataclass(frozen=True)
class ForestRow:
    """One row: a label, the estimate with its CI (reporting scale), optional counts and weight (%)."""

    label: str
    estimate: float
    lower: float
    upper: float
    count: str = ""
    weight: float | None = None


@dataclasses.dataclass(frozen=True)
class ForestSummary:
    """The pooled row: estimate, CI, prediction interval and the heterogeneity statistics."""

    label: str
    estimate: float
    lower: float
    upper: float
    prediction: tuple[float, float] | None = None
    q: float | None = None
    q_df: int | None = None
    q_p: float | None = None
    tau2: float | None = None
    tau2_scale: str = ""
    i2: float | None = None
    count: str = ""
    prediction_label: str = "95% prediction interval"  # the interval's level in words (the pooled fit's conf_level)

    def heterogeneity(self) -> str:
        if self.q is None:
            return ""
        scale = f" ({self.tau2_scale} scale)" if self.tau2_scale else ""
        return (f"Heterogeneity: Q = {num(self.q, 2)}, df = {self.q_df}, {format_p(self.q_p)}; "
                f"τ² = {num(self.tau2, 3)}{scale}; I² = {num(self.i2, 0)}%")


def _measure(fig, text: str, fontsize: float, weight: str = "normal") -> float:
    """Width of ``text`` in inches at ``fontsize``."""
    t = fig.text(0, 0, text, fontsize=fontsize, fontweight=weight)
    w = t.get_window_extent(fig.canvas.get_renderer()).width / fig.dpi
    t.remove()
    return float(w)


def _fit(fig, text: str, width_in: float, fontsize: float, figure_name: str) -> str:
    """``text`` wrapped to ``width_in``; warns (naming it) when even wrapping cannot fit it."""
    if _measure(fig, text, fontsize) <= width_in:
        return text
    for breaking in (False, True):  # words first; then inside words (Japanese has no spaces)
        for chars in range(max(len(text) - 1, 1), 5, -1):
            wrapped = textwrap.fill(text, chars, break_long_words=breaking)
            if wrapped.count("\n") < 3 and max(_measure(fig, ln, fontsize) for ln in wrapped.split("\n")) <= width_in:
                return wrapped
    warnings.warn(f"figure {figure_name!r}: the label {text!r} is too long for the figure width even wrapped; "
                  "it was drawn as it is", FigureTextWarning, stacklevel=3)
    return textwrap.fill(text, 6, break_long_words=False)


def forest(rows: Sequence[ForestRow], **kwargs):
    """Draw a forest plot with text columns; returns ``(fig, ax)`` (see :func:`_forest`)."""
    with plt.rc_context(RC):
        return _forest(rows, **kwargs)


def _forest(rows: Sequence[ForestRow], *, xlabel: str, summary: ForestSummary | None = None, log: bool = False,
           xlim: tuple[float, float] | None = None, null: float | None = None, label_header: str = "",
           count_header: str = "", estimate_header: str = "Estimate (95% CI)", weight_header: str = "Weight",
           digits: int = 2, ci_style: str = "dash", title: str | None = None, width: str | float = "onehalf", name: str = "forest"):
    """Draw a forest plot with text columns; returns ``(fig, ax)`` (``ax`` holds the estimates).

    Parameters
    ----------
    rows : the rows, top to bottom.
    xlabel : axis label (with the measure and its unit).
    summary : the pooled row, or ``None``.
    log : log axis (ratios); ``null`` draws a reference line (1 for ratios).
    xlim : axis limits (default: the data, or 0–1 when every value is a proportion).
    label_header, count_header, estimate_header, weight_header : column headers (the estimate's as the tables
        head it, e.g. "sHR (95% CI)").
    digits, ci_style : decimals and CI style of the estimate column, as the tables' (``format_ci``).
    width : journal width preset or mm.
    name : the figure's name, used in warnings.
    """
    rows = list(rows)
    k = len(rows)
    has_count = any(r.count for r in rows) or bool(summary and summary.count)
    has_weight = any(r.weight is not None for r in rows)
    fig, ax = journal_figure(width, height_mm=50.0)
    fig.set_layout_engine("none")
    w_in = fig.get_figwidth()
    fs = 7.0
    fmt_ci = lambda e, lo, hi: ci_text(e, lo, hi, digits, ci_style)  # noqa: E731
    est_texts = [fmt_ci(r.estimate, r.lower, r.upper) for r in rows]
    if summary is not None:
        est_texts.append(fmt_ci(summary.estimate, summary.lower, summary.upper))
    weight_texts = [("" if r.weight is None else f"{num(r.weight, 1)}%") for r in rows]
    count_texts = [r.count for r in rows]
    pad = 2.5 / MM_PER_INCH
    col_est = max([_measure(fig, t, fs) for t in est_texts] + [_measure(fig, estimate_header, fs, "bold")])
    col_w = max([_measure(fig, t, fs) for t in weight_texts] + [_measure(fig, weight_header, fs, "bold")]) if has_weight else 0.0
    col_n = max([_measure(fig, t, fs) for t in count_texts] + [_measure(fig, count_header, fs, "bold")]) if has_count else 0.0
    min_plot = 35.0 / MM_PER_INCH
    margin = 2.0 / MM_PER_INCH
    col_lab_want = max([_measure(fig, r.label, fs) for r in rows] + [_measure(fig, label_header, fs, "bold")]
                       + ([_measure(fig, summary.label, fs, "bold") - col_n - pad] if summary is not None else []))
    fixed = 2 * margin + col_est + col_w + col_n + pad * (1 + has_weight + has_count + 1)
    col_lab = min(col_lab_want, max(w_in - fixed - min_plot, 15.0 / MM_PER_INCH))
    labels = [_fit(fig, r.label, col_lab, fs, name) for r in rows]
    plot_w = max(w_in - fixed - col_lab, min_plot)
    # x positions (inches from the left)
    x_lab = margin
    x_n = x_lab + col_lab + pad + col_n  # right-aligned
    x_plot = x_n + pad if has_count else x_lab + col_lab + pad
    x_est = x_plot + plot_w + pad
    x_w = x_est + col_est + pad + col_w  # right-aligned
    wide = x_plot - pad - x_lab  # the summary rows' labels may use the count column too
    sum_label = _fit(fig, summary.label, wide, fs, name) if summary is not None else ""
    het = _fit(fig, summary.heterogeneity(), w_in - 2 * margin, fs, name) if summary is not None else ""
    # rows top to bottom in row units (a wrapped label takes more height)
    heights = [max(1.0, 0.75 * (lab.count("\n") + 1)) for lab in labels]
    y_rows, cursor = [], 0.0
    for h in heights:
        y_rows.append(-(cursor + h / 2))
        cursor += h
    y_rows = np.array(y_rows, dtype=float)
    y_head = 0.6
    y_sum = -(cursor + 0.6 + 0.375 * sum_label.count("\n"))
    cursor = -y_sum + 0.5 + 0.375 * sum_label.count("\n")
    y_pi = -(cursor + 0.6) if summary is not None and summary.prediction is not None else None
    cursor = -y_pi + 0.5 if y_pi is not None else cursor
    y_het = -(cursor + 0.6 + 0.375 * het.count("\n")) if het else None
    ymin = (y_het if y_het is not None else (y_pi if y_pi is not None else (y_sum if summary is not None else -cursor + 0.4))) - 0.7
    ymax = y_head + 0.6
    row_mm = 4.6
    title_mm = 6.0 if title else 0.0
    bottom_mm, top_mm = 12.0, 1.5 + title_mm
    h_in = (bottom_mm + top_mm + row_mm * (ymax - ymin)) / MM_PER_INCH
    fig.set_size_inches(w_in, h_in)
    bottom, top = bottom_mm / MM_PER_INCH, top_mm / MM_PER_INCH
    ax.set_position([x_plot / w_in, bottom / h_in, plot_w / w_in, (h_in - bottom - top) / h_in])
    ax.set_ylim(ymin, ymax)
    est = np.array([r.estimate for r in rows], dtype=float)
    lo = np.array([r.lower for r in rows], dtype=float)
    hi = np.array([r.upper for r in rows], dtype=float)
    ax.hlines(y_rows, lo, hi, color=PALETTE[7], linewidth=0.8)
    wts = np.array([np.nan if r.weight is None else r.weight for r in rows], dtype=float)
    if np.isfinite(wts).any():
        sizes = 8 + 40 * np.nan_to_num(wts) / max(np.nanmax(wts), 1e-12)
    else:
        sizes = np.full(k, 16.0)
    ax.scatter(est, y_rows, s=sizes, marker="s", color=PALETTE[0], zorder=3, label="estimate")
    values = list(lo) + list(hi) + list(est)
    if summary is not None:
        d = Polygon([[summary.lower, y_sum], [summary.estimate, y_sum + 0.35], [summary.upper, y_sum],
                     [summary.estimate, y_sum - 0.35]], closed=True, facecolor=PALETTE[1], edgecolor=PALETTE[1])
        ax.add_patch(d)
        values += [summary.lower, summary.upper]
        if summary.prediction is not None:
            p_lo, p_hi = summary.prediction
            ax.plot([p_lo, p_hi], [y_pi, y_pi], color=PALETTE[1], linewidth=1.0, label=summary.prediction_label)
            ax.plot([p_lo, p_lo], [y_pi - 0.2, y_pi + 0.2], color=PALETTE[1], linewidth=1.0)
            ax.plot([p_hi, p_hi], [y_pi - 0.2, y_pi + 0.2], color=PALETTE[1], linewidth=1.0)
            values += [p_lo, p_hi]
        ax.vlines(summary.estimate, y_sum, 0.0, color=PALETTE[1], linewidth=0.5, linestyle=":")
    if null is not None:
        ax.vlines(null, ymin + 0.2, 0.0, color="0.4", linewidth=0.6, linestyle="--")
    finite = np.array([v for v in values if np.isfinite(v)], dtype=float)
    if log:
        ax.set_xscale("log")
        if xlim is None:
            lo_v, hi_v = float(finite.min()), float(finite.max())
            if null is not None:
                lo_v, hi_v = min(lo_v, null), max(hi_v, null)
            xlim = (lo_v / 1.15, hi_v * 1.15)
        decades = np.log10(xlim[1] / xlim[0])
        subs = (1.0, 2.0, 5.0) if decades <= 1.3 else ((1.0, 3.0) if decades <= 2.3 else (1.0,))
        ax.xaxis.set_major_locator(LogLocator(base=10, subs=subs))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}".replace("-", MINUS)))
    elif xlim is None:
        if finite.size and finite.min() >= 0 and finite.max() <= 1:  # a proportion: framed to the data within 0-1
            xlim = (max(0.0, np.floor(finite.min() * 10 - 0.2) / 10), min(1.0, np.ceil(finite.max() * 10 + 0.2) / 10))
        else:
            span = float(finite.max() - finite.min()) or 1.0
            xlim = (float(finite.min()) - 0.05 * span, float(finite.max()) + 0.05 * span)
    ax.set_xlim(*xlim)
    ax.set_yticks([])
    ax.spines["left"].set_visible(False)
    ax.set_xlabel(xlabel)
    # text columns, in figure x and data y
    from matplotlib.transforms import blended_transform_factory

    tr = blended_transform_factory(fig.transFigure, ax.transData)
    hdr = {"fontsize": fs, "fontweight": "bold", "va": "center", "transform": tr}
    body = {"fontsize": fs, "va": "center", "transform": tr}
    if label_header:
        fig.text(x_lab / w_in, y_head, label_header, ha="left", **hdr)
    if has_count and count_header:
        fig.text(x_n / w_in, y_head, count_header, ha="right", **hdr)
    fig.text(x_est / w_in, y_head, estimate_header, ha="left", **hdr)
    if has_weight:
        fig.text(x_w / w_in, y_head, weight_header, ha="right", **hdr)
    for y, lab, r, et, wt in zip(y_rows, labels, rows, est_texts, weight_texts):
        fig.text(x_lab / w_in, y, lab, ha="left", **body)
        if has_count:
            fig.text(x_n / w_in, y, r.count, ha="right", **body)
        fig.text(x_est / w_in, y, et, ha="left", **body)
        if has_weight:
            fig.text(x_w / w_in, y, wt, ha="right", **body)
    if summary is not None:
        bold = {**body, "fontweight": "bold"}
        fig.text(x_lab / w_in, y_sum, sum_label, ha="left", **bold)
        if has_count and summary.count:
            fig.text(x_n / w_in, y_sum, summary.count, ha="right", **bold)
        fig.text(x_est / w_in, y_sum, est_texts[-1], ha="left", **bold)
        if has_weight:
            fig.text(x_w / w_in, y_sum, "100%", ha="right", **bold)
        if summary.prediction is not None:
            fig.text(x_lab / w_in, y_pi, summary.prediction_label, ha="left", **body)
            fig.text(x_est / w_in, y_pi, interval_text(*summary.prediction, digits, ci_style),
                     ha="left", **body)
        if het:
            fig.text(x_lab / w_in, y_het, het, ha="left", **body)
    if title:
        fig.suptitle(title, fontsize=8, x=margin / w_in, ha="left", y=1 - 1.5 / MM_PER_INCH / h_in, va="top")
    ax._spinestats_forest = {"estimate": est, "lower": lo, "upper": hi, "labels": [r.label for r in rows],
                             "summary": None if summary is None else dataclasses.asdict(summary)}
    return fig, ax


"""STARD participant flow diagram drawn from the exclusion log.

API: :func:`flow_figure` takes one flow dict or a mapping ``{centre: flow}``
(one column of boxes per centre, plus the total), where a flow is::

    {"n_read": 480, "n_analysed": 475, "n_excluded": 5,
     "exclusions": [{"reason": "required: reference", "n": 2, "lines": [103], "centre": "A"}, ...]}

and returns ``(fig, ax)``; :func:`save_flow_figure` saves it through
:func:`spinestats.reports.figure_style.save_figure`.  Only counts and
reasons are drawn (``lines`` are never shown).  The numbers drawn are kept
in ``ax._spinestats_flow`` for tests and the report.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from pathlib import Path

from spinestats.reports.figure_style import PALETTE, journal_figure, save_figure


def _box(ax, x, y, text, color=PALETTE[0], fontsize=7.0):
    return ax.text(x, y, text, ha="center", va="center", fontsize=fontsize,
                   bbox={"boxstyle": "round,pad=0.3", "facecolor": "white", "edgecolor": color, "linewidth": 0.8},
                   transform=ax.transAxes)


def _arrow(ax, upper, lower):
    """An arrow from the bottom of box ``upper`` to the top of box ``lower``, whatever their heights."""
    ax.annotate("", xy=(0.5, 1.0), xycoords=lower, xytext=(0.5, 0.0), textcoords=upper,
                arrowprops={"arrowstyle": "->", "linewidth": 0.6, "color": PALETTE[7],
                            "shrinkA": 4, "shrinkB": 4})


def _reasons(flow: Mapping) -> list[tuple[str, int]]:
    agg: dict[str, int] = {}
    for e in flow.get("exclusions", []):
        agg[str(e["reason"])] = agg.get(str(e["reason"]), 0) + int(e["n"])
    return sorted(agg.items(), key=lambda kv: (-kv[1], kv[0]))


def flow_figure(flows: Mapping, *, title: str = "Participant flow (STARD 2015)", ax=None):
    """Draw the flow diagram (see module docstring)."""
    if "n_read" in flows:
        columns = {"All": flows}
    else:
        columns = dict(flows)
        if len(columns) > 1:
            total = {"n_read": sum(int(f["n_read"]) for f in columns.values()),
                     "n_analysed": sum(int(f["n_analysed"]) for f in columns.values()),
                     "n_excluded": sum(int(f["n_excluded"]) for f in columns.values()),
                     "exclusions": [e for f in columns.values() for e in f.get("exclusions", [])]}
            columns["All centres"] = total
    n = len(columns)
    if ax is None:
        fig, ax = journal_figure("double" if n > 3 else "single", height_mm=95.0)
    else:
        fig = ax.figure
    ax.set_axis_off()
    drawn = {}
    width = 1.0 / n
    wrap = max(10, int(125 / n))  # characters per line at 7 pt, by column width
    fs = 7.0  # journals' minimum
    for i, (name, f) in enumerate(columns.items()):
        x = width * (i + 0.5)
        reasons = _reasons(f)
        top = _box(ax, x, 0.88, textwrap.fill(str(name), wrap) + f"\nrecords read\nn = {int(f['n_read'])}", fontsize=fs)
        excl = "\n".join(textwrap.fill(f"{r.replace('_', ' ')}: {k}", wrap, break_long_words=False) for r, k in reasons[:6]) or "none"
        if len(reasons) > 6:
            excl += f"\n(+{len(reasons) - 6} more reasons)"
        middle = _box(ax, x, 0.53, f"Excluded n = {int(f['n_excluded'])}\n{excl}", color=PALETTE[1], fontsize=fs)
        bottom = _box(ax, x, 0.12, f"Analysed\nn = {int(f['n_analysed'])}", color=PALETTE[2], fontsize=fs)
        _arrow(ax, top, middle)
        _arrow(ax, middle, bottom)
        drawn[name] = {"n_read": int(f["n_read"]), "n_excluded": int(f["n_excluded"]),
                       "n_analysed": int(f["n_analysed"]), "reasons": reasons}
    ax.set_title(title, fontsize=8)
    ax._spinestats_flow = drawn
    return fig, ax


def save_flow_figure(flows: Mapping, folder: Path, stem: str = "flow_diagram", formats=None, dpis=None) -> list[Path]:
    """Draw and save the flow diagram; returns the written paths."""
    fig, _ = flow_figure(flows)
    kwargs = {}
    if formats is not None:
        kwargs["formats"] = formats
    if dpis is not None:
        kwargs["dpis"] = dpis
    return save_figure(fig, folder, stem, **kwargs)

"""Figures of pain after kyphoplasty: trajectories, spaghetti plot, responders.

Each builder takes a result (or the long data it plots), draws on ``ax`` (a
new journal-sized figure when ``None``) and returns the ``Axes``.  Visits are
placed at equally spaced categorical positions in schema order (the "final"
visit has no fixed time).  Arms are offset horizontally and drawn with
distinct colours, line styles and markers (Okabe-Ito, greyscale-safe).  No
statistic is computed here: means and CIs come from
:class:`~spinestats.analysis.visit_summary.VisitSummary`, proportions from
:class:`~spinestats.analysis.responders.Responders`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from spinestats.reports.figure_style import journal_figure, series_style
from spinestats.reports.placement import place_legend

OFFSET = 0.08  # horizontal offset between arms, in visit units
ARM_STYLE = {"BKP": 0, "control": 1, None: 0}  # the same colour, line style and marker per arm in every figure
NRS_LABEL = "Pain NRS (0\u201310)"


def _axes(ax, width="single"):
    if ax is None:
        _, ax = journal_figure(width)
    return ax


def _arms(frame: pd.DataFrame) -> list:
    return list(dict.fromkeys(frame["arm"])) if "arm" in frame else [None]


def trajectory(summary, *, visits: Sequence[str], ax=None):
    """Mean NRS with its 95 % t interval per visit and arm (error bars)."""
    ax = _axes(ax)
    t = summary.to_frame()
    arms = _arms(t)
    pos = {v: k for k, v in enumerate(visits)}
    for i, a in enumerate(arms):
        part = t if a is None else t[t["arm"] == a]
        part = part[part["n"] > 0]
        x = part["visit"].map(pos).to_numpy(float) + (i - (len(arms) - 1) / 2) * OFFSET
        y = part["mean"].to_numpy(float)
        err = np.vstack([y - part["ci_low"].to_numpy(float), part["ci_high"].to_numpy(float) - y])
        st = series_style(ARM_STYLE.get(a, i))
        ax.errorbar(x, y, yerr=err, color=st["color"], linestyle=st["linestyle"], marker=st["marker"],
                    markersize=3.5, capsize=2, label=a if a is not None else "BKP", gid=f"arm:{a}")
    ax.set_xticks(range(len(visits)), list(visits))
    ax.set_xlabel("Visit")
    ax.set_ylabel(f"Mean {NRS_LABEL}, 95% CI")
    ax.set_ylim(0, 10)
    if len(arms) > 1:
        place_legend(ax, frameon=False)
    return ax


def spaghetti(long: pd.DataFrame, *, value: str, visit: str, subject: str, visits: Sequence[str],
              arm: str | None = None, ax=None):
    """One thin line per patient through the observed visits (colour = arm)."""
    ax = _axes(ax)
    pos = {v: k for k, v in enumerate(visits)}
    d = long.loc[long[value].notna()].copy()
    d["_x"] = d[visit].map(pos)
    arms = list(dict.fromkeys(d[arm])) if arm else [None]
    for i, a in enumerate(arms):
        st = series_style(ARM_STYLE.get(a, i))
        part = d if a is None else d[d[arm] == a]
        for k, (_, g) in enumerate(part.sort_values("_x").groupby(subject, sort=True)):
            ax.plot(g["_x"], g[value], color=st["color"], linestyle=st["linestyle"], linewidth=0.6, alpha=0.5,
                    marker=".", markersize=2, label=(a if a is not None else None) if k == 0 else None)
    ax.set_xticks(range(len(visits)), list(visits))
    ax.set_xlabel("Visit")
    ax.set_ylabel(NRS_LABEL)
    ax.set_ylim(-0.3, 10.3)
    if arm and len(arms) > 1:
        place_legend(ax, frameon=False)
    return ax


def responder_bars(result, ax=None):
    """Responder proportion (%) with its CI per visit, bars side by side per arm."""
    ax = _axes(ax)
    t = result.to_frame()
    arms = _arms(t)
    visits = list(dict.fromkeys(t["visit"]))
    width = 0.8 / len(arms)
    for i, a in enumerate(arms):
        part = t if a is None else t[t["arm"] == a]
        x = np.arange(len(visits)) + (i - (len(arms) - 1) / 2) * width
        y = 100 * part["proportion"].to_numpy(float)
        err = np.vstack([y - 100 * part["ci_low"].to_numpy(float), 100 * part["ci_high"].to_numpy(float) - y])
        k = ARM_STYLE.get(a, i)
        st = series_style(k)
        ax.bar(x, y, width=width * 0.95, color=st["color"], hatch=("", "//", "..", "xx")[k % 4],
               edgecolor="black", linewidth=0.4, label=a if a is not None else "BKP", gid=f"arm:{a}")
        ax.errorbar(x, y, yerr=err, fmt="none", ecolor="black", elinewidth=0.6, capsize=1.5)
    ax.set_xticks(range(len(visits)), visits)
    ax.set_xlabel("Visit")
    ax.set_ylabel(f"Responders, % (\u2265 {result.mcid:g} points and \u2265 {result.mcid_percent:g}%)")
    ax.set_ylim(0, 110)  # room above a 100% bar and its CI
    ax.set_yticks(range(0, 101, 20))
    if len(arms) > 1:
        place_legend(ax, frameon=False)
    return ax

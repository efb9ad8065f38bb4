"""Figures of pain after kyphoplasty: trajectories, spaghetti plot, responders.

Each builder takes a result (or the long data it plots) and returns the
``Axes`` it drew on (a new journal-sized figure when ``ax`` is ``None``).
Visits sit at their real time on a square-root time axis in months (so that
one week and one month stay apart from baseline while twelve months fits),
labelled with the visit's name in words ("1 week", "3 months"); the "final"
visit has no fixed time and is drawn apart, after a gap.  Under the axis a
row per arm gives the number of patients with a score at each visit, as a
risk table does.  Arms keep the same colour, line style, marker and legend
position in every figure (Okabe-Ito, greyscale-safe).  No statistic is
computed here: means and CIs come from
:class:`~spinestats.analysis.longitudinal.visit_summary.VisitSummary`, proportions from
:class:`~spinestats.analysis.longitudinal.responders.Responders`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.transforms import blended_transform_factory

from spinestats.reports.figure_style import journal_figure, series_style
from spinestats.reports.placement import fit_texts, place_legend, wrap_label

OFFSET = 0.035  # horizontal offset between arms, in sqrt-month units
ARM_ORDER = ("BKP", "control")  # legend order in every figure
ARM_STYLE = {"BKP": 0, "control": 1, None: 0}  # the same colour, line style and marker per arm in every figure
ARM_LABEL = {"BKP": "Balloon kyphoplasty", "control": "Control", None: "Balloon kyphoplasty"}
NRS_LABEL = "Pain NRS (0\u201310)"
#: visit -> (months from the procedure, label in words); "final" has no fixed time
VISIT_TIME = {"baseline": (0.0, "Baseline"), "1w": (0.25, "1 week"), "1m": (1.0, "1 month"), "3m": (3.0, "3 months"),
              "6m": (6.0, "6 months"), "12m": (12.0, "12 months")}
FINAL_GAP = 0.8  # sqrt-months between the last timed visit and "final"
TIME_LABEL = "Time after kyphoplasty\n(months, square-root scale)"


def _labels(labels):
    """The display labels (arm, visit and score names): the given ones, else the bkp schema's."""
    from spinestats.data_schemas.labels import as_labels

    return as_labels(labels, ["bkp"], strict=False)


def _arm(a, labels) -> str:
    """An arm's label ("Balloon kyphoplasty", "Control"); one arm without a column is the BKP arm."""
    if a is None:
        return ARM_LABEL[None]
    return labels.value("arm", a) if labels is not None else ARM_LABEL.get(a, str(a))


def _positions(visits: Sequence[str]) -> dict[str, float]:
    """x of each visit: sqrt(months); "final" (or any untimed visit) after a gap."""
    pos = {v: float(np.sqrt(VISIT_TIME[v][0])) for v in visits if v in VISIT_TIME}
    last = max(pos.values(), default=0.0)
    for v in visits:
        if v not in pos:
            last += FINAL_GAP
            pos[v] = last
    return pos


def _visit_label(v: str, labels=None) -> str:
    if labels is not None:
        return labels.value("visit", v)
    return VISIT_TIME[v][1] if v in VISIT_TIME else ("Last follow-up" if v == "final" else str(v))


def _tick(v: str, labels) -> str:
    """A visit's tick label on two lines ("1\nweek")."""
    return _visit_label(v, labels).replace(" ", "\n", 1)


def _score(labels) -> str:
    """The score's label with its scale ("Pain NRS (0\u201310)" by default)."""
    return NRS_LABEL if labels is None or labels.name("nrs") == "Pain (NRS 0\u201310)" else labels.variable("nrs")


def _axes(ax, width="onehalf"):
    if ax is None:
        _, ax = journal_figure(width)
    return ax


def _arms(frame: pd.DataFrame, column: str = "arm") -> list:
    if column not in frame:
        return [None]
    present = list(dict.fromkeys(frame[column]))
    return sorted(present, key=lambda a: (ARM_ORDER.index(a) if a in ARM_ORDER else len(ARM_ORDER), str(a)))


def _time_axis(ax, visits: Sequence[str], pos: Mapping[str, float], labels=None) -> None:
    ax.set_xticks([pos[v] for v in visits], [_tick(v, labels) for v in visits])
    untimed = [v for v in visits if v not in VISIT_TIME]
    if untimed:
        timed = [pos[v] for v in visits if v in VISIT_TIME]
        ax.axvline((max(timed, default=0.0) + min(pos[v] for v in untimed)) / 2, color="0.75", linewidth=0.6,
                   linestyle=(0, (2, 2)))
    ax.set_xlim(min(pos.values()) - 0.25, max(pos.values()) + 0.25)
    last = _visit_label(untimed[0], labels).lower() if untimed else ""
    ax.set_xlabel(TIME_LABEL if not untimed else TIME_LABEL[:-1] + f";\n{last} at no fixed time)")


def _n_rows(tax, counts: Mapping, visits: Sequence[str], pos: Mapping[str, float], xlim, labels=None) -> None:
    """Patients with a score per visit and arm, in rows of the table axes ``tax`` (like a risk table)."""
    arms = list(counts)
    tax.set_xlim(*xlim)
    tax.set_ylim(len(arms) + 0.5, -0.5)
    tax.axis("off")
    lab = blended_transform_factory(tax.transAxes, tax.transData)
    tax.text(0.0, 0, "Patients with a score", transform=lab, ha="left", va="center", fontsize=7, fontweight="bold")
    for i, a in enumerate(arms):
        st = series_style(ARM_STYLE.get(a, i))
        tax.text(-0.02, i + 1, wrap_label(_arm(a, labels), 24, "pain trajectory"), transform=lab, ha="right",
                 va="center", fontsize=7, color=st["color"], linespacing=1.0)
        for v in visits:
            tax.text(pos[v], i + 1, str(int(counts[a].get(v, 0))), ha="center", va="center", fontsize=7)


def _counts(t: pd.DataFrame, arms: list) -> dict:
    return {a: dict(zip((t if a is None else t[t["arm"] == a])["visit"], (t if a is None else t[t["arm"] == a])["n"]))
            for a in arms}


def trajectory(summary, *, visits: Sequence[str], ax=None, labels=None, conf_level: float | None = None,
               mean: str = "mean"):
    """Mean NRS with its t interval per visit and arm, at the visits' real times.

    With ``ax=None`` the number of patients with a score per visit and arm is
    written in rows under the axis (a second, table axes).  ``labels``: the
    display labels (:class:`~spinestats.data_schemas.labels.Labels`; default the
    bkp schema's) of the arms, visits and score.  ``conf_level``: the intervals' level named on the
    y axis (default: the summary's own, else 0.95).  ``mean="emmean"`` draws a mixed model's estimated means
    (:class:`~spinestats.analysis.longitudinal.mixed_model.MarginalMeansResult`: no counts under the axis).
    """
    from spinestats.reports.pain_tables import level_text

    labels = _labels(labels)
    level = level_text(conf_level if conf_level is not None else getattr(summary, "conf_level", 0.95))
    t = summary.to_frame()
    counted = "n" in t
    if not counted:
        t = t.assign(n=np.where(t[mean].notna(), 1, 0))
    arms = _arms(t)
    tax = None
    if ax is None and not counted:
        _, ax = journal_figure("onehalf", height_mm=70)
    elif ax is None:
        rows_mm = 4.0 * (len(arms) + 1) + 2
        _, (ax, tax) = journal_figure("onehalf", height_mm=70 + rows_mm, nrows=2,
                                      gridspec_kw={"height_ratios": [70, rows_mm]})
    pos = _positions(visits)
    for i, a in enumerate(arms):
        part = t if a is None else t[t["arm"] == a]
        part = part[part["n"] > 0]
        x = part["visit"].map(pos).to_numpy(float) + (i - (len(arms) - 1) / 2) * OFFSET
        y = part[mean].to_numpy(float)
        err = np.vstack([y - part["ci_low"].to_numpy(float), part["ci_high"].to_numpy(float) - y])
        st = series_style(ARM_STYLE.get(a, i))
        timed = part["visit"].isin(list(VISIT_TIME)).to_numpy()
        ax.errorbar(x[timed], y[timed], yerr=err[:, timed], color=st["color"], linestyle=st["linestyle"],
                    marker=st["marker"], markersize=3.5, capsize=2, label=wrap_label(_arm(a, labels), 30, "pain trajectory"),
                    gid=f"arm:{a}")
        if (~timed).any():  # the final visit: not joined to the timed ones
            ax.errorbar(x[~timed], y[~timed], yerr=err[:, ~timed], color=st["color"], linestyle="none",
                        marker=st["marker"], markersize=3.5, capsize=2, gid=f"arm:{a}:final")
    _time_axis(ax, visits, pos, labels)
    ax.set_ylabel(wrap_label(f"{'Mean' if counted else 'Estimated mean'} {_score(labels)}, {level}% CI", 32,
                             "pain trajectory"))
    ax.set_ylim(0, 10)
    if tax is not None:
        _n_rows(tax, _counts(t, arms), visits, pos, ax.get_xlim(), labels)
    if len(arms) > 1:
        place_legend(ax, frameon=False, title=labels.name("arm"))
    fit_texts(ax.figure, "pain trajectory")
    return ax


def spaghetti(long: pd.DataFrame, *, value: str, visit: str, subject: str, visits: Sequence[str],
              arm: str | None = None, summary=None, ax=None, labels=None):
    """One thin translucent line per patient, one panel per arm, with the arm's mean (from ``summary``) over them.

    ``ax`` may be one Axes (a single arm) or ``None`` (a new figure with one
    panel per arm, sharing the y axis); returns the list of panel Axes.
    """
    labels = _labels(labels)
    pos = _positions(visits)
    d = long.loc[long[value].notna()].copy()
    d["_x"] = d[visit].map(pos)
    arms = _arms(d, arm) if arm else [None]
    if ax is None:
        _, axes = journal_figure("onehalf" if len(arms) == 1 else "double", height_mm=75.0, ncols=len(arms),
                                 sharey=True, squeeze=False)
        axes = list(axes[0])
    else:
        axes = [ax] if len(arms) == 1 else None
        if axes is None:
            raise ValueError("several arms are drawn in one panel each: pass ax=None")
    means = summary.to_frame() if summary is not None else None
    for i, (a, pax) in enumerate(zip(arms, axes)):
        st = series_style(ARM_STYLE.get(a, i))
        part = d if a is None else d[d[arm] == a]
        for _, g in part.sort_values("_x").groupby(subject, sort=True):
            g = g[g[visit].isin(list(VISIT_TIME))]
            pax.plot(g["_x"], g[value], color=st["color"], linewidth=0.4, alpha=0.25)
        fin = part[~part[visit].isin(list(VISIT_TIME))]
        if len(fin):
            pax.plot(fin["_x"], fin[value], linestyle="none", marker="o", markersize=1.5, color=st["color"], alpha=0.25)
        if means is not None:
            m = means if a is None or "arm" not in means else means[means["arm"] == a]
            m = m[(m["n"] > 0) & m["visit"].isin(list(VISIT_TIME))]
            pax.plot(m["visit"].map(pos), m["mean"], color="black", linewidth=1.4, marker=st["marker"], markersize=3,
                     label="Mean")
        _time_axis(pax, visits, pos, labels)
        pax.set_title(wrap_label(_arm(a, labels) + f" (n = {part[subject].nunique()})", 40, "pain spaghetti plot"),
                      loc="left", fontsize=8)
        pax.set_ylim(-0.3, 10.3)
    axes[0].set_ylabel(_score(labels))
    if len(axes) > 1:
        for pax in axes[1:]:
            pax.tick_params(labelleft=False)
            pax.set_xlabel("")
        axes[0].set_xlabel("")
        axes[0].figure.supxlabel(axes[1].get_xlabel() or TIME_LABEL, fontsize=8)
    fit_texts(axes[0].figure, "pain spaghetti plot")
    return axes


def responder_bars(result, ax=None, labels=None):
    """Responder proportion (%) with its CI per visit, bars side by side per arm."""
    labels = _labels(labels)
    ax = _axes(ax)
    t = result.to_frame()
    arms = _arms(t)
    visits = list(dict.fromkeys(t["visit"]))
    width = 0.8 / len(arms)
    for i, a in enumerate(arms):
        part = t if a is None else t[t["arm"] == a]
        x = np.arange(len(visits)) + (i - (len(arms) - 1) / 2) * width
        part = part.set_index("visit").reindex(visits)
        y = 100 * part["proportion"].to_numpy(float)
        err = np.vstack([y - 100 * part["ci_low"].to_numpy(float), 100 * part["ci_high"].to_numpy(float) - y])
        k = ARM_STYLE.get(a, i)
        st = series_style(k)
        ax.bar(x, y, width=width * 0.95, color=st["color"], hatch=("", "//", "..", "xx")[k % 4],
               edgecolor="black", linewidth=0.4, label=wrap_label(_arm(a, labels), 30, "responders"), gid=f"arm:{a}")
        ax.errorbar(x, y, yerr=err, fmt="none", ecolor="black", elinewidth=0.6, capsize=1.5)
    ax.set_xticks(range(len(visits)), [_tick(v, labels) for v in visits])
    ax.set_xlabel(labels.name("visit"))
    ax.set_ylabel(f"Responders, % (\u2265 {result.mcid:g} points and \u2265 {result.mcid_percent:g}%)")
    ax.set_ylim(0, 112)  # room above a 100% bar and its CI
    ax.set_yticks(range(0, 101, 20))
    if len(arms) > 1:
        place_legend(ax, frameon=False, title=labels.name("arm"))
    fit_texts(ax.figure, "responders")
    return ax


def consort(summary, long: pd.DataFrame, *, visits: Sequence[str], arm: str, subject: str, figure, labels=None):
    """The CONSORT-style flow of a two-arm trial from the visit summary (n per visit) and the long data (patients per arm).

    ``figure`` is :func:`spinestats.reports.flow_diagram.consort_figure`; returns its ``(fig, ax)``.
    """
    labels = _labels(labels)
    t = summary.to_frame()
    arms = _arms(t)
    allocated = long.groupby(arm)[subject].nunique()
    per_arm = {_arm(a, labels): {"allocated": int(allocated.get(a, 0))} for a in arms}
    counts = _counts(t, arms)
    rows = [(_visit_label(v, labels), {_arm(a, labels): int(counts[a].get(v, 0)) for a in arms}) for v in visits]
    return figure(per_arm, rows)

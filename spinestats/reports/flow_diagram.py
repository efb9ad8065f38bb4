"""STARD 2015 participant flow diagram drawn from the exclusion log and the 2×2 table.

API: :func:`flow_figure` takes one flow dict or a mapping ``{centre: flow}``
(then the diagram is drawn for all centres together, each exclusion reason
summed over centres), where a flow is::

    {"n_read": 480, "n_analysed": 475, "n_excluded": 5,
     "exclusions": [{"reason": "required: 'reference'", "n": 2, "lines": [103], "centre": "A"}, ...],
     "index_test": {"name": "DSS", "positive": "DSS ≥ 3", "negative": "DSS < 3",
                    "reference_positive": "Malignant", "reference_negative": "Benign",
                    "tp": 18, "fp": 6, "fn": 2, "tn": 33}}          # optional

STARD 2015 layout: records read; excluded records to the side, with human
reasons and counts ("Reference standard missing, n = 2"); records analysed;
index test positive and negative; the reference standard result in each
arm, which are the four cells of the 2×2 table.  Loader rule names are
turned into sentences by :func:`human_reason` with the column labels the
caller passes (the schema's human text); ``lines`` are never drawn.

:func:`consort_figure` is the CONSORT-style variant for a two-arm trial
(patients per arm, followed up at each visit).  Both return ``(fig, ax)``;
the numbers drawn are kept in ``ax._spinestats_flow`` for tests.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path

from spinestats.reports.figure_style import PALETTE, journal_figure, save_figure
from spinestats.reports.placement import fit_texts, wrap_label

#: loader rule name -> sentence ({col} is the column's human label)
RULE_TEXT = {
    "required": "{col} missing",
    "out of range": "{col} out of range",
    "not allowed": "{col} not an allowed value",
    "type": "{col} not readable",
    "dss_matches_features": "Recorded DSS does not match its imaging features",
    "unique_ids": "Repeated patient ID",
    "duplicate": "Repeated patient ID",
}


def schema_column_labels(schema: str) -> dict[str, str]:
    """Human text of a schema's columns for exclusion reasons: its ``label`` when the
    schema has one, else its description up to the first stop ("Reference standard from histology")."""
    from spinestats.data_schemas.schema import get_schema

    out = {}
    for c in get_schema(schema).columns:
        label = getattr(c, "label", None)
        out[c.name] = str(label) if label else (re.split(r"[.:;(]", c.description, maxsplit=1)[0].strip() or c.name)
    return out


def human_reason(reason: str, column_labels: Mapping[str, str] | None = None) -> str:
    """A loader reason such as ``"required: 'reference'"`` as a sentence ("Reference standard missing").

    The rule names come before the colon (several joined by commas), the
    column in quotes after it; a reason with no known rule is returned with
    underscores replaced and its first letter capitalised.
    """
    labels = dict(column_labels or {})
    text = str(reason).split(" = ")[0].strip()  # the value and what was expected are the log's, not the figure's
    m = re.match(r"^(?P<rules>[^:]+?)(?::\s*'(?P<col>[^']*)')?$", text)
    if m is None:
        return text[:1].upper() + text[1:]
    col = m.group("col")
    col_text = labels.get(col, col.replace("_", " ")) if col else "A value"
    parts = []
    for rule in (r.strip() for r in m.group("rules").split(",")):
        tmpl = RULE_TEXT.get(rule)
        parts.append(tmpl.format(col=col_text) if tmpl else rule.replace("_", " "))
    out = "; ".join(dict.fromkeys(parts))
    return out[:1].upper() + out[1:]


def _blank_axes(ax) -> None:
    """Hide the axes of a diagram and give it no ticks at all.

    A hidden axis draws nothing, yet Matplotlib still makes and measures its
    ticks when it places the title and lays the figure out; with no tick
    locations there is nothing to make, and the drawing is the same.
    """
    from matplotlib.ticker import NullLocator

    ax.set_axis_off()
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(NullLocator())
        axis.set_minor_locator(NullLocator())


def _box(ax, x, y, text, color=PALETTE[0], fontsize=7.0, ha="center"):
    return ax.text(x, y, text, ha=ha, va="center", fontsize=fontsize, linespacing=1.3,
                   bbox={"boxstyle": "square,pad=0.4", "facecolor": "white", "edgecolor": color, "linewidth": 0.8},
                   transform=ax.transAxes)


def _arrow(ax, start, end):
    ax.annotate("", xy=end, xycoords="axes fraction", xytext=start, textcoords="axes fraction",
                arrowprops={"arrowstyle": "->", "linewidth": 0.6, "color": PALETTE[7], "shrinkA": 0, "shrinkB": 0})


def _total(flows: Mapping) -> dict:
    if "n_read" in flows:
        return dict(flows)
    cols = list(flows.values())
    out = {"n_read": sum(int(f["n_read"]) for f in cols), "n_analysed": sum(int(f["n_analysed"]) for f in cols),
           "n_excluded": sum(int(f["n_excluded"]) for f in cols),
           "exclusions": [e for f in cols for e in f.get("exclusions", [])]}
    tests = [f.get("index_test") for f in cols]
    if tests and all(tests):
        out["index_test"] = {**tests[0], **{k: sum(int(t[k]) for t in tests) for k in ("tp", "fp", "fn", "tn")}}
    return out


def _reasons(flow: Mapping, column_labels) -> list[tuple[str, int]]:
    agg: dict[str, int] = {}
    for e in flow.get("exclusions", []):
        r = human_reason(str(e["reason"]), column_labels)
        agg[r] = agg.get(r, 0) + int(e["n"])
    return sorted(agg.items(), key=lambda kv: (-kv[1], kv[0]))


def flow_figure(flows: Mapping, *, title: str = "Participant flow (STARD 2015)",
                column_labels: Mapping[str, str] | None = None, ax=None):
    """Draw the STARD diagram (see module docstring); ``ax`` must be ``None`` or an empty Axes."""
    f = _total(flows)
    n_centres = 1 if "n_read" in flows else len(flows)
    test = f.get("index_test")
    if ax is None:
        fig, ax = journal_figure("onehalf", height_mm=105.0 if test else 70.0)
    else:
        fig = ax.figure
    _blank_axes(ax)
    reasons = _reasons(f, column_labels)
    wrap = 34
    excl_lines = [textwrap.fill(f"{r}, n = {k}", wrap, subsequent_indent="  ") for r, k in reasons[:8]]
    if len(reasons) > 8:
        excl_lines.append(f"Other reasons, n = {sum(k for _, k in reasons[8:])}")
    centres = f" from {n_centres} centres" if n_centres > 1 else ""
    rows = (0.93, 0.72, 0.50, 0.30, 0.09) if test else (0.86, 0.50, 0.14)
    x_main = 0.30
    _box(ax, x_main, rows[0], f"Records read{centres}\nn = {int(f['n_read'])}")
    excl_text = f"Excluded, n = {int(f['n_excluded'])}" + ("\n" + "\n".join(excl_lines) if excl_lines else "")
    y_excl = (rows[0] + rows[1]) / 2 if test else rows[1]
    _box(ax, 0.60, y_excl, excl_text, color=PALETTE[1], ha="left")
    _arrow(ax, (x_main, y_excl), (0.60, y_excl))
    analysed_y = rows[1] if test else rows[2]
    name = f"\nIndex test: {test['name']}" if test else ""
    _box(ax, x_main, analysed_y, f"Analysed\nn = {int(f['n_analysed'])}{name}", color=PALETTE[2])
    _arrow(ax, (x_main, rows[0] - 0.05), (x_main, analysed_y + 0.06))
    drawn = {"n_read": int(f["n_read"]), "n_excluded": int(f["n_excluded"]), "n_analysed": int(f["n_analysed"]),
             "reasons": reasons, "texts": [excl_text]}
    if test:
        tp, fp, fn, tn = (int(test[k]) for k in ("tp", "fp", "fn", "tn"))
        arms = ((0.25, True, test["positive"], tp, fp), (0.75, False, test["negative"], fn, tn))
        for x, pos_arm, label, a, b in arms:
            _box(ax, x, rows[2], f"Index test {'positive' if pos_arm else 'negative'}\n{label}\nn = {a + b}")
            _arrow(ax, (x_main, analysed_y - 0.06), (x, rows[2] + 0.065))
            _box(ax, x, rows[3], f"Reference standard\nperformed, n = {a + b}", color=PALETTE[7])
            _arrow(ax, (x, rows[2] - 0.065), (x, rows[3] + 0.05))
            cells = (("TP" if pos_arm else "FN", test["reference_positive"], a, -0.12, PALETTE[0]),
                     ("FP" if pos_arm else "TN", test["reference_negative"], b, 0.12, PALETTE[5]))
            for cell, ref, n, dx, colour in cells:
                _box(ax, x + dx, rows[4], f"{ref}\n({cell}) n = {n}", color=colour)
                _arrow(ax, (x, rows[3] - 0.05), (x + dx, rows[4] + 0.05))
        drawn.update(tp=tp, fp=fp, fn=fn, tn=tn)
    ax.set_title(wrap_label(title, 90), fontsize=8, loc="left")
    ax._spinestats_flow = drawn
    fit_texts(fig, title)  # laid out, then measured, without a draw (placement._renderer)
    return fig, ax


def consort_figure(per_arm: Mapping[str, Mapping[str, int]], visits: Sequence[tuple[str, Mapping[str, int]]], *,
                   n_read: int | None = None, excluded: Sequence[tuple[str, int]] = (),
                   title: str = "Participant flow (CONSORT)"):
    """CONSORT-style flow of a two-arm trial.

    ``per_arm`` maps an arm's label to ``{"allocated": n, "analysed": n}``;
    ``visits`` lists ``(visit label, {arm: patients with a score})``;
    ``excluded`` lists ``(human reason, n)`` of records not analysed.
    """
    arms = list(per_arm)
    height = 45.0 + 4.2 * (len(visits) + 1)
    fig, ax = journal_figure("onehalf", height_mm=height)
    _blank_axes(ax)
    total = sum(int(v["allocated"]) for v in per_arm.values())
    _box(ax, 0.5, 1 - 8 / height, f"Patients enrolled\nn = {n_read if n_read is not None else total}")
    if excluded:
        _box(ax, 0.80, 1 - 8 / height, "Excluded\n" + "\n".join(f"{r}, n = {k}" for r, k in excluded),
             color=PALETTE[1], ha="left")
    y_alloc = 1 - 27 / height
    half_follow = 4.2 * (len(visits) + 1) / 2 / height
    y_follow = 2.0 / height + half_follow
    drawn = {"allocated": {}, "visits": {}}
    for i, arm in enumerate(arms):
        x = (i + 0.5) / len(arms)
        _box(ax, x, y_alloc, f"Allocated to {arm}\nn = {int(per_arm[arm]['allocated'])}", color=PALETTE[i % 2])
        _arrow(ax, (0.5, 1 - 14 / height), (x, y_alloc + 6 / height))
        drawn["allocated"][arm] = int(per_arm[arm]["allocated"])
        lines = [f"{v}: n = {int(c.get(arm, 0))}" for v, c in visits]
        _box(ax, x, y_follow, "Followed up (score recorded)\n" + "\n".join(lines), color=PALETTE[7])
        _arrow(ax, (x, y_alloc - 6 / height), (x, y_follow + half_follow + 1.5 / height))
        drawn["visits"][arm] = {v: int(c.get(arm, 0)) for v, c in visits}
    ax.set_title(wrap_label(title, 90), fontsize=8, loc="left")
    ax._spinestats_flow = drawn
    fit_texts(fig, title)  # laid out, then measured, without a draw (placement._renderer)
    return fig, ax


def save_flow_figure(flows: Mapping, folder: Path, stem: str = "flow_diagram", formats=None, dpis=None,
                     column_labels: Mapping[str, str] | None = None) -> list[Path]:
    """Draw and save the flow diagram; returns the written paths."""
    fig, _ = flow_figure(flows, column_labels=column_labels)
    kwargs = {}
    if formats is not None:
        kwargs["formats"] = formats
    if dpis is not None:
        kwargs["dpis"] = dpis
    return save_figure(fig, folder, stem, **kwargs)

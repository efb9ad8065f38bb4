"""Multicentre validation: the job behind the plan's ``multicenter`` analysis, ``spinestats multicenter``
and ``spinestats pool``.

:func:`analyse` takes patient rows (one table with a centre column, or one
table per centre file) or verified site bundles, reduces every centre to
its counts per score level and class (:func:`patient_level`,
:func:`from_bundles`), and computes from those counts alone
(:func:`spinestats.analysis.pooling.multicentre_accuracy.multicentre_accuracy`),
so the federated and the patient-level analyses give identical numbers.
The steps are separate: :func:`compute` (every number), :func:`write_figures`,
:func:`write_primary_table` and :func:`methods`.  The options are
:class:`MulticenterOptions`; :func:`run` and :func:`run_pooled` call the job
by keyword.

``results`` keys: ``mode``, ``score``, ``positive``, ``cutoff``,
``cutoff_status``, ``plan_hash``, ``prespecified``, ``per_center``,
``pooled`` (``sensitivity``, ``specificity``, ``auc``: ``estimate``, ``ci``,
``tau2``, ``i2``, ``h2``, ``q``, ``q_p``, ``prediction_interval``, ...),
``bivariate``, ``primary_endpoint`` (with a plan whose ``prespecified:``
block states ``success`` criteria: one entry per measure with ``measure``,
``null``, ``alternative``, ``estimate``, ``bound``, ``p``, ``met``; see
:func:`primary_endpoint`), ``pooled_counts`` (ROC, AUC with DeLong CI and accuracy of
the summed counts = the pooled patient-level analysis), ``exploratory``
(Youden-optimal cutoff of the pooled counts, always exploratory), ``flow``,
``stard``, ``federated_exact``, ``survival`` (bundles with risk-set tables),
``warnings``, ``synthetic``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from spinestats.analysis.core.result import to_jsonable
from spinestats.analysis.core.score_input import label_matches
from spinestats.analysis.diagnostic.stard import stard_items
from spinestats.analysis.pooling.federated import score_counts_table
from spinestats.analysis.pooling.multicentre_accuracy import (
    MulticentreAccuracyResult,
    multicentre_accuracy,
    pooled_risk_validation,
    pooled_success,
    pooled_survival,
)
from spinestats.data_schemas.plan_lock import parse_prespecified, read_prespecified
from spinestats.data_schemas.plan_lock import plan_hash as compute_plan_hash
from spinestats.errors import DataError, UsageError
from spinestats.reports.job import JobContext, JobInput, JobOptions, run_by_keywords
from spinestats.reports.section import Section
from spinestats.text_numbers import to_numeric

DEFAULT_CUTOFF = 3.0
SYNTHETIC_MARK = "(synthetic)"
REFERENCES = (
    "Viechtbauer W. Conducting meta-analyses in R with the metafor package. J Stat Softw 2010;36(3). "
    "doi:10.18637/jss.v036.i03",
    "Reitsma JB, Glas AS, Rutjes AWS, et al. Bivariate analysis of sensitivity and specificity produces "
    "informative summary measures in diagnostic reviews. J Clin Epidemiol 2005;58:982-990. "
    "doi:10.1016/j.jclinepi.2005.02.022",
    "Harbord RM, Deeks JJ, Egger M, Whiting P, Sterne JAC. A unification of models for meta-analysis of "
    "diagnostic accuracy studies. Biostatistics 2007;8:239-251. doi:10.1093/biostatistics/kxl004",
    "DeLong ER, DeLong DM, Clarke-Pearson DL. Comparing the areas under two or more correlated receiver "
    "operating characteristic curves. Biometrics 1988;44:837-845. doi:10.2307/2531595",
    "Bossuyt PM, Reitsma JB, Bruns DE, et al. STARD 2015. BMJ 2015;351:h5527. doi:10.1136/bmj.h5527",
    "Debray TPA, Damen JAAG, Snell KIE, et al. A guide to systematic review and meta-analysis of prediction "
    "model performance. BMJ 2017;356:i6460. doi:10.1136/bmj.i6460",
)


def exclusion_reason(reason: str, rules: Sequence[str] = ()) -> str:
    """Short reason of a loader exclusion: the rule and column, without the value.

    A reason naming a non-ASCII file column (e.g. a Japanese header) is
    shortened to its rule names, so figures need no CJK font.
    """
    short = reason.split(" = ")[0].strip()
    if not short.isascii():
        short = ", ".join(rules) if rules else "invalid value"
    return short


def flow_from_exclusions(n_read: int, exclusions: Sequence[Any], n_analysed: int, centre: str | None = None) -> dict:
    """A flow dict (flow diagram / STARD) from loader exclusions."""
    agg: dict[tuple[str, str | None], list[int]] = {}
    for e in exclusions:
        key = (exclusion_reason(getattr(e, "reason", str(e)), getattr(e, "rules", ())), getattr(e, "centre", None) or centre)
        agg.setdefault(key, []).append(int(getattr(e, "line", 0)))
    rows = [{"reason": r, "n": len(lines), "lines": sorted(lines), "centre": c}
            for (r, c), lines in sorted(agg.items(), key=lambda kv: (str(kv[0][1]), kv[0][0]))]
    return {"n_read": int(n_read), "n_analysed": int(n_analysed), "n_excluded": int(n_read - n_analysed),
            "exclusions": rows}


def resolve_plan(plan: str | Path | None, prespecified: Mapping | None, plan_hash: str | None):
    """``(Prespecified | None, plan_hash | None)`` from a plan file or the runner's values."""
    if plan is not None:
        return read_prespecified(plan), compute_plan_hash(plan)
    if prespecified:
        return parse_prespecified(prespecified, "plan"), plan_hash
    return None, plan_hash


def _score_series(df: pd.DataFrame, score: str) -> pd.Series:
    if score in df.columns and df[score].notna().any():
        return to_numeric(df[score], errors="coerce")
    if score == "dss":
        from spinestats.analysis.scores.dss_score import compute_dss

        return compute_dss(df).score
    from spinestats.analysis.core.params import check_column

    check_column(df, score, "score", flag="--score")
    raise AssertionError("unreachable: check_column raised")


def centre_counts(
    data: pd.DataFrame, *, center: str, score: str, truth: str, positive: Any
) -> tuple[dict[str, dict], list[dict], pd.DataFrame]:
    """Per-centre counts per score level and class, the rows excluded here, and the used rows."""
    from spinestats.analysis.core.params import check_column

    for col, opt in ((center, "--center"), (truth, "--truth")):
        check_column(data, col, opt.lstrip("-"), flag=opt)
    df = data.copy()
    df["_score"] = _score_series(df, score)
    labels = {str(int(v)) if isinstance(v, float) and v.is_integer() else str(v) for v in df[truth].dropna()}
    is_positive = label_matches(df[truth], positive)  # as accuracy reads it: "1" matches a 0/1 (or 1.0) column
    if not is_positive.any():
        raise UsageError(f"--positive {positive!r}: not a value of {truth!r} (values: {', '.join(sorted(labels))}).")
    df["_truth"] = is_positive.to_numpy(dtype=bool)
    excluded = []
    for col, reason in ((center, f"missing {center}"), (truth, f"missing {truth}"), ("_score", f"missing {score}")):
        bad = df[col].isna()
        for line in df.index[bad]:
            excluded.append({"line": int(line) if isinstance(line, (int, np.integer)) else None, "reason": reason,
                             "centre": None if pd.isna(df.at[line, center]) else str(df.at[line, center])})
        df = df[~bad]
    out = {}
    for c, g in df.groupby(center, sort=True):
        out[str(c)] = score_counts_table(g["_score"].to_numpy(), g["_truth"].to_numpy())
    return out, excluded, df


def primary_endpoint(prespec, status: str, acc: MulticentreAccuracyResult, *, continuity: float,
                     conf_level: float) -> tuple[list[dict] | None, dict | None, list[str]]:
    """The prespecified success criteria tested on the pooled (REML) estimates
    (:func:`spinestats.analysis.pooling.multicentre_accuracy.pooled_success`), as results.json reports them.

    Only criteria of the plan are tested, and only at the plan's cutoff: at
    another cutoff the criteria are not reported as primary (``None`` and a warning).
    """
    if status != "prespecified":
        return None, None, ["the success criteria of the plan were not tested: the cutoff is not the prespecified one, "
                            "so no result of this run is a primary endpoint."]
    decision, warnings = pooled_success(acc, prespec.success, test=prespec.pooling_test, alpha=prespec.alpha,
                                        multiplicity=prespec.multiplicity, continuity=continuity,
                                        conf_level=conf_level)
    if decision is None:
        return [], {"success": False, "multiplicity": prespec.multiplicity, "alpha": prespec.alpha}, warnings
    entries = [{k: v for k, v in c.to_dict().items() if k not in ("x", "n")} for c in decision.criteria]
    return entries, {"success": bool(decision.success), "multiplicity": prespec.multiplicity, "alpha": prespec.alpha,
                     "bound_level": 1 - prespec.alpha, "test": prespec.pooling_test}, warnings


def single_centre_endpoint(prespecified: Mapping | None, score_name: str, score, truth,
                           ) -> tuple[list[dict] | None, dict | None, list[str], Any]:
    """The prespecified success criteria of one centre: exact binomial tests at the plan's cutoff.

    ``score`` and ``truth`` are the analysed patients' scores and reference
    classes (True = target condition).  Returns ``(entries, decision,
    warnings, prespec)``; ``entries`` is None when the plan states no
    criteria or prespecifies another score.
    """
    from spinestats.analysis.design.success_criteria import binomial_criterion, evaluate_criteria

    if not prespecified:
        return None, None, [], None
    prespec = parse_prespecified(prespecified, "plan")
    if not prespec.success:
        return None, None, [], prespec
    if prespec.score.lower() != str(score_name).lower():
        return None, None, [f"the plan's success criteria concern the score {prespec.score!r}, not {score_name!r}: "
                            "not reported as primary."], prespec
    score, truth = np.asarray(score, dtype=float), np.asarray(truth, dtype=bool)
    pos = score >= prespec.cutoff
    counts = {"sensitivity": (int(np.sum(pos & truth)), int(np.sum(truth))),
              "specificity": (int(np.sum(~pos & ~truth)), int(np.sum(~truth)))}
    tests, warnings = [], []
    for measure, crit in prespec.success.items():
        if measure not in counts:
            warnings.append(f"primary endpoint {measure}: tested on pooled multicentre estimates only; not tested here.")
            continue
        x, n = counts[measure]
        tests.append(binomial_criterion(x, n, null=crit["null"], alternative=crit.get("alternative", "greater"),
                                        alpha=prespec.alpha, measure=measure))
    if not tests:
        return [], {"success": False, "multiplicity": prespec.multiplicity, "alpha": prespec.alpha}, warnings, prespec
    decision = evaluate_criteria(tests, multiplicity=prespec.multiplicity, alpha=prespec.alpha)
    entries = [{"measure": c.measure, "null": c.null, "alternative": c.alternative, "estimate": c.estimate,
                "bound": c.bound, "p": c.p, "met": c.met, "p_adjusted": c.p_adjusted, "method": c.method,
                "alpha": c.alpha, "x": c.x, "n": c.n} for c in decision.criteria]
    success = decision.success and not (len(tests) < len(prespec.success) and prespec.multiplicity == "all")
    return entries, {"success": bool(success), "multiplicity": prespec.multiplicity, "alpha": prespec.alpha,
                     "bound_level": 1 - prespec.alpha, "cutoff": prespec.cutoff,
                     "test": "exact binomial"}, warnings, prespec


def _criterion_text(measure: str, crit: Mapping[str, Any]) -> str:
    sign = ">" if crit.get("alternative", "greater") == "greater" else "<"
    return f"{measure} {sign} {crit['null']:g}"


def write_primary_table(results: Mapping[str, Any], out_dir, prefix: str = "") -> tuple[Path, ...]:
    """The "Primary endpoint" table (CSV; the plan runner adds the other formats)."""
    entries = results.get("primary_endpoint")
    if out_dir is None or not entries:
        return ()
    from spinestats.reports.tables import write_table

    level = round(100 * (1 - entries[0]["alpha"]))
    rows = []
    for e in entries:
        side = "lower" if e["alternative"] == "greater" else "upper"
        rows.append({"Measure": e["measure"].capitalize() if e["measure"] != "auc" else "AUC",
                     "Criterion (H1)": ("> " if e["alternative"] == "greater" else "< ") + f"{e['null']:g}",
                     "Estimate": e["estimate"], f"One-sided {level}% {side} bound": e["bound"], "p": e["p"],
                     **({"Holm-adjusted p": e["p_adjusted"]}
                        if results["primary_endpoint_decision"]["multiplicity"] == "any" else {}),
                     "Result": "Met" if e["met"] else "Not met"})
    frame = pd.DataFrame(rows)
    out = Path(out_dir)
    written = write_table(frame, out / "tables", f"{prefix}primary_endpoint", ["csv"], title="Primary endpoint")
    return tuple(p.relative_to(out) for p in written)


def primary_methods(prespec, plan_hash: str | None, pooled: bool = True) -> tuple[str, ...]:
    """Sentences quoting the prespecified criteria and the plan hash."""
    if prespec is None or not prespec.success:
        return ()
    crits = "; ".join(_criterion_text(m, c) for m, c in prespec.success.items())
    combine = ("every criterion had to be met (co-primary endpoints, each tested at the one-sided level)"
               if prespec.multiplicity == "all" else
               "at least one criterion had to be met, with Holm's adjustment of the p-values")
    test = "a Wald z test" if prespec.pooling_test == "z" else "a Knapp-Hartung t test with k - 1 df"
    h = f" (plan hash {plan_hash})" if plan_hash else ""
    how = (f"on the REML random-effects pooled estimate (logit scale) with {test}" if pooled else
           "with the exact one-sided binomial test")
    bound = "confidence bound" if pooled else "Clopper-Pearson bound"
    return (f"The primary endpoint was prespecified in the locked analysis plan{h}: {crits}, at score >= "
            f"{prespec.cutoff:g}, one-sided alpha = {prespec.alpha:g}; {combine}.",
            f"Each criterion was tested {how}, reported with its one-sided {100 * (1 - prespec.alpha):g}% {bound}.")


def write_figures(acc: MulticentreAccuracyResult | None, out_dir: Path | None, flows: Mapping | None,
                  figure_formats=None, dpis=None, prefix: str = "", conf_level: float = 0.95,
                  score: str = "dss", positive: str = "malignant") -> tuple[Path, ...]:
    """Forest plots, SROC and flow diagrams (all centres, then one per centre, numbered in the
    centres' order) into ``out_dir/figures`` (relative paths returned).

    ``prefix`` (the analysis key when it is not ``multicenter``) keeps the
    files of two multicentre analyses in one plan apart.
    """
    if out_dir is None or (figure_formats is not None and [f for f in figure_formats if f != "none"] == []):
        return ()
    from spinestats.reports.figure_style import save_figure
    from spinestats.reports.flow_diagram import flow_figure, schema_column_labels
    from spinestats.reports.multicenter_figures import forest_plot, sroc_plot

    out_dir = Path(out_dir)
    folder = out_dir / "figures"
    formats = tuple(figure_formats) if figure_formats else ("pdf", "svg", "png")
    dp = tuple(dpis) if dpis else (300,)
    written: list[Path] = []
    per = {str(r["center"]): r for r in acc.per_center} if acc is not None else {}
    for key, label in (("sensitivity", "Sensitivity"), ("specificity", "Specificity"), ("auc", "AUC")):
        if acc is not None and key in acc.meta:
            fig, _ = forest_plot(acc.meta[key], label=label, counts=_forest_counts(per, label),
                                 logit=(label == "AUC"), name=f"{prefix}forest_{label.lower()}", conf_level=conf_level)
            written += save_figure(fig, folder, f"{prefix}forest_{label.lower()}", formats=formats, dpis=dp)
    if acc is not None and acc.bivariate is not None:
        fig, _ = sroc_plot(acc.bivariate)
        written += save_figure(fig, folder, f"{prefix}sroc", formats=formats, dpis=dp)
    if flows:
        stard = {"score": score, "cutoff": acc.cutoff, "positive": positive} if acc is not None else None
        drawn = _with_index_test(flows, per, stard)
        fig, _ = flow_figure(drawn, column_labels=schema_column_labels("dss"))
        written += save_figure(fig, folder, f"{prefix}flow_diagram", formats=formats, dpis=dp)
        if "n_read" not in drawn and len(drawn) > 1:  # and one STARD diagram per centre
            for k, (centre, flow) in enumerate(drawn.items(), start=1):
                fig, _ = flow_figure(flow, column_labels=schema_column_labels("dss"),
                                     title=f"Participant flow (STARD 2015), {centre}")
                written += save_figure(fig, folder, f"{prefix}flow_diagram_centre_{k}", formats=formats, dpis=dp)
    return tuple(p.relative_to(out_dir) for p in written)


def centre_flow_captions(flows: Mapping | None, prefix: str = "") -> dict[str, str]:
    """Captions of the per-centre STARD diagrams that :func:`write_figures` draws (numbered in the centres' order)."""
    if not flows or "n_read" in flows or len(flows) < 2:
        return {}
    return {f"{prefix}flow_diagram_centre_{k}": f"Participant flow (STARD 2015) at {c}: rows read, excluded (with "
            "reasons), index test and reference standard" for k, c in enumerate(flows, start=1)}


def _with_index_test(flows: Mapping, per: Mapping[str, Mapping], stard: Mapping | None) -> dict:
    """The flows with each centre's 2x2 cells (index test at the cutoff against the reference standard)."""
    if not stard or not per or "n_read" in flows or set(flows) - set(per):
        return dict(flows)
    score = "DSS" if stard["score"] == "dss" else str(stard["score"])
    positive = str(stard["positive"])
    test = {"name": score, "positive": f"{score} \u2265 {float(stard['cutoff']):g}",
            "negative": f"{score} < {float(stard['cutoff']):g}",
            "reference_positive": positive[:1].upper() + positive[1:], "reference_negative": f"Not {positive}"}
    return {c: {**f, "index_test": {**test, **{k: int(per[c][k]) for k in ("tp", "fp", "fn", "tn")}}}
            for c, f in flows.items()}


def _forest_counts(per: Mapping[str, Mapping], label: str) -> dict[str, str]:
    """The events/N text of each centre for the forest of ``label``."""
    out = {}
    for c, r in per.items():
        if label == "Sensitivity":
            out[c] = f"{r['tp']}/{r['tp'] + r['fn']}"
        elif label == "Specificity":
            out[c] = f"{r['tn']}/{r['tn'] + r['fp']}"
        else:
            out[c] = str(r['n'])
    return out


def _methods(test: str, cutoff: float, continuity: float, conf_level: float = 0.95) -> tuple[str, ...]:
    from spinestats.reports.regression_table import level_text

    kh = " with the Knapp-Hartung correction" if test == "knha" else ""
    lvl = level_text(conf_level)
    return (
        f"Sensitivity and specificity at score >= {cutoff:g} were estimated per centre with exact "
        f"(Clopper-Pearson) {lvl} CIs and the AUC with DeLong CIs.",
        f"Centre estimates were pooled on the logit scale by random-effects meta-analysis with REML{kh} "
        f"(between-centre variance tau^2, I^2, Cochran's Q and a {lvl} prediction interval); centres with a zero "
        f"cell received a continuity correction of {continuity:g}.",
        "Sensitivity and specificity were also pooled jointly with the bivariate random-effects model of "
        f"Reitsma et al. (REML), with the summary ROC curve (Rutter-Gatsonis parametrisation) and {lvl} confidence "
        "and prediction regions; centre AUCs were pooled on the logit scale.",
        "Results at a cutoff other than the prespecified one, and the Youden-optimal cutoff, are labelled exploratory.",
    )


# --------------------------------------------------------------------------- the job
@dataclasses.dataclass(frozen=True)
class MulticenterOptions(JobOptions):
    """Options of the multicentre job (plan type ``multicenter``; ``spinestats multicenter`` and ``pool``).

    Attributes
    ----------
    center, score, truth : column names (defaults: the ``dss`` schema's ``centre``, ``dss``, ``reference``;
        a missing ``dss`` column is computed from the four features with the Table 2 weights).
    positive : the reference label of the target condition.
    cutoff : test positive when ``score >= cutoff`` (``None``: the plan's prespecified cutoff, else 3); a cutoff
        other than the plan's makes every cutoff-based result exploratory.
    test : ``"z"`` (metafor default) or ``"knha"`` for the univariate pooling (``None``: the plan's
        ``pooling.test``, else ``"z"``).
    continuity : correction added to the cells of a centre with a zero cell (metafor ``to="only0"``;
        bivariate: all centres, as mada).
    conf_level : confidence level of every CI, region and prediction interval.
    plan : a plan YAML with a ``prespecified:`` block (its hash is ``plan_hash``); without it the run's
        prespecified block and plan hash (``spinestats run``) are used.
    federated : also make each centre's site bundle (written to ``bundles/``), pool the bundles and check
        that the federated results equal the patient-level ones (``federated_check``).
    risk : column of predicted probabilities of a risk model: adds ``risk_model`` (per centre C statistic,
        O:E, calibration-in-the-large and slope; pooled as metamisc ``valmeta``).
    """

    center: str = "centre"
    score: str = "dss"
    truth: str = "reference"
    positive: str | int | float = "malignant"
    cutoff: float | None = None
    test: Literal["z", "knha"] | None = None
    continuity: float = 0.5
    conf_level: float = 0.95
    plan: Path | None = None
    federated: bool = True
    risk: str | None = None


OPTIONS = MulticenterOptions
FEDERATED_KEYS = ("per_center", "pooled", "bivariate", "pooled_counts", "exploratory", "cutoff_status")


@dataclasses.dataclass(frozen=True)
class CentreData:
    """What the analysis takes from its input: each centre's counts per score level and the participant flow."""

    mode: str  # "patient-level" or "federated"
    counts: dict[str, Any]
    flows: dict[str, Any]
    overall: dict[str, Any]
    score: str
    positive: str
    exact: bool = True
    synthetic: bool = False
    histology: dict | None = None
    used: Any = None  # the analysed rows (patient-level)
    bundles: tuple = ()  # the site bundles (federated)
    warnings: tuple[str, ...] = ()


def _frames(inputs: JobInput) -> tuple[dict[str, Any], dict[str, pd.DataFrame]]:
    """The loaded tables (for their exclusions) and the frames, by file or data name."""
    table = inputs.table
    name = inputs.paths[0].name if len(inputs.paths) == 1 else "data"
    loaded = dict(table) if isinstance(table, Mapping) else ({name: table} if table is not None else {})
    if inputs.data is None:
        raise UsageError("multicenter: no data given.")
    frames = dict(inputs.data) if isinstance(inputs.data, Mapping) else {next(iter(loaded), name): inputs.data}
    return loaded, frames


def _combined(frames: Mapping[str, pd.DataFrame], center: str) -> pd.DataFrame:
    """One frame of every file; a file without a centre column is one centre, named after the file."""
    from spinestats.analysis.core.params import check_column

    parts = []
    for name, df in frames.items():
        df = df.copy()
        if center not in df.columns:
            if len(frames) == 1:
                check_column(df, center, "center", flag="--center")
            df[center] = str(name)
        df["_file"] = str(name)
        parts.append(df)
    return pd.concat(parts, ignore_index=False) if len(parts) > 1 else parts[0]


def _centre_flows(counts, excluded_here, loaded, frames, center) -> dict[str, dict]:
    """Each centre's flow: rows read, loader exclusions and the rows excluded here, by reason (counts only)."""
    flows: dict[str, dict] = {}
    for c in sorted(set(counts) | {e["centre"] for e in excluded_here if e["centre"]}):
        n_an = int(sum(counts[c]["n_pos"]) + sum(counts[c]["n_neg"])) if c in counts else 0
        flows[c] = {"n_read": n_an, "n_analysed": n_an, "n_excluded": 0, "exclusions": []}
    for name, t in loaded.items():
        cen_of_file = None
        if name in frames and center in frames[name].columns:
            vals = frames[name][center].dropna().astype(str).unique()
            cen_of_file = vals[0] if len(vals) == 1 else None
        for e in t.exclusions:
            c = getattr(e, "centre", None) or cen_of_file or str(name)
            f = flows.setdefault(c, {"n_read": 0, "n_analysed": 0, "n_excluded": 0, "exclusions": []})
            f["exclusions"].append({"reason": exclusion_reason(e.reason, getattr(e, "rules", ())), "n": 1,
                                    "lines": [e.line], "centre": c})
    for e in excluded_here:
        c = e["centre"] or "unknown centre"
        f = flows.setdefault(c, {"n_read": 0, "n_analysed": 0, "n_excluded": 0, "exclusions": []})
        f["exclusions"].append({"reason": e["reason"], "n": 1, "lines": [e["line"]], "centre": c})
    for c, f in flows.items():
        agg: dict[str, dict] = {}
        for e in f["exclusions"]:
            a = agg.setdefault(e["reason"], {"reason": e["reason"], "n": 0, "lines": [], "centre": c})
            a["n"] += e["n"]
            a["lines"] += [x for x in e["lines"] if x is not None]
        f["exclusions"] = sorted(agg.values(), key=lambda a: a["reason"])
        f["n_excluded"] = sum(a["n"] for a in f["exclusions"])
        f["n_read"] = f["n_analysed"] + f["n_excluded"]
    return flows


def _overall(flows: Mapping[str, Mapping]) -> dict[str, Any]:
    return {"n_read": sum(f["n_read"] for f in flows.values()),
            "n_analysed": sum(f["n_analysed"] for f in flows.values()),
            "n_excluded": sum(f["n_excluded"] for f in flows.values()),
            "exclusions": [e for f in flows.values() for e in f["exclusions"]]}


def patient_level(inputs: JobInput, o: MulticenterOptions, prespec) -> CentreData:
    """Patient rows (one frame, or one per centre file) reduced to counts per centre, with the flow."""
    loaded, frames = _frames(inputs)
    combined = _combined(frames, o.center)
    if prespec is not None and prespec.positive != str(o.positive):
        raise UsageError(f"--positive {o.positive!r} differs from the plan's prespecified positive label "
                         f"{prespec.positive!r}.")
    counts, excluded_here, used = centre_counts(combined, center=o.center, score=o.score, truth=o.truth,
                                                positive=o.positive)
    flows = _centre_flows(counts, excluded_here, loaded, frames, o.center)
    histology = None
    if "histology" in used.columns:
        histology = {k: used.loc[used["_truth"] == v, "histology"].dropna().astype(str).value_counts().to_dict()
                     for k, v in (("with", True), ("without", False))}
    synthetic = bool(used[o.center].astype(str).str.contains(SYNTHETIC_MARK, regex=False).any())
    return CentreData("patient-level", counts, flows, _overall(flows), o.score, str(o.positive),
                      synthetic=synthetic, histology=histology, used=used)


def is_bundles(data: Any) -> bool:
    """True for a list of site bundles (``spinestats pool``)."""
    return isinstance(data, (list, tuple)) and all(isinstance(b, Mapping) and "payload" in b for b in data)


def from_bundles(bundles: Sequence[Mapping[str, Any]], plan_hash: str | None = None) -> CentreData:
    """Verified site bundles as centre counts and flows."""
    if len(bundles) < 2:
        raise UsageError(f"pool needs at least 2 site bundles; got {len(bundles)}.")
    centres = [b["centre"] for b in bundles]
    dup = sorted({c for c in centres if centres.count(c) > 1})
    if dup:
        raise DataError(f"two bundles claim the same centre: {', '.join(dup)}; each centre must send one bundle.")
    warnings = []
    plan_hashes = {b["payload"].get("plan_hash") for b in bundles} - {None}
    if plan_hash and plan_hashes and plan_hashes != {plan_hash}:
        warnings.append("some bundles were made under another plan hash than the plan given.")
    flows = {b["centre"]: b["payload"]["flow"] for b in bundles}
    overall = {**_overall(flows), "exclusions": [dict(e, centre=c) for c, f in flows.items() for e in f["exclusions"]]}
    scored = [b for b in bundles if "score" in b["payload"]]
    if scored and len(scored) != len(bundles):
        raise DataError("some bundles have score counts and some do not; pool bundles of the same kind.")
    names = {b["payload"]["score"]["name"] for b in scored}
    positives = {b["payload"]["score"]["positive"] for b in scored}
    if len(names) > 1 or len(positives) > 1:
        raise DataError(f"bundles summarise different scores or positive labels: {sorted(names)}, {sorted(positives)}.")
    return CentreData("federated", {b["centre"]: b["payload"]["score"] for b in scored}, flows, overall,
                      names.pop() if names else "", positives.pop() if positives else "",
                      exact=all(b["payload"]["suppression"]["exact"] for b in bundles),
                      synthetic=any(b.get("synthetic") for b in bundles), bundles=tuple(bundles),
                      warnings=tuple(warnings))


def settle(o: MulticenterOptions, prespec) -> tuple[float, str]:
    """The cutoff and pooling test: the options', else the plan's, else 3 and ``z``."""
    cutoff = o.cutoff if o.cutoff is not None else (prespec.cutoff if prespec is not None else DEFAULT_CUTOFF)
    test = o.test if o.test is not None else (prespec.pooling_test if prespec is not None else "z")
    return float(cutoff), test


def accuracy_results(data: CentreData, o: MulticenterOptions, prespec, plan_hash: str | None
                     ) -> tuple[dict[str, Any], MulticentreAccuracyResult, list[str]]:
    """Per-centre and pooled accuracy at the cutoff, its status under the plan, the primary endpoint and STARD."""
    cutoff, test = settle(o, prespec)
    acc = multicentre_accuracy(data.counts, cutoff=cutoff, test=test, continuity=o.continuity,
                               conf_level=o.conf_level)
    warnings = list(acc.warnings)
    if prespec is None:
        status = "not prespecified (no plan)"
    else:
        status = "prespecified" if cutoff == prespec.cutoff else "exploratory"
        if status == "exploratory":
            warnings.append(f"cutoff {cutoff:g} differs from the plan's prespecified cutoff {prespec.cutoff:g}: "
                            "every cutoff-based result is exploratory.")
    results: dict[str, Any] = {
        "score": data.score, "positive": data.positive, "cutoff": cutoff, "cutoff_rule": "score >= cutoff",
        "cutoff_status": status, "plan_hash": plan_hash, "prespecified": None if prespec is None else prespec.to_dict(),
        **acc.to_dict(), "federated_exact": bool(data.exact)}
    if prespec is not None and prespec.success:
        results["primary_endpoint"], results["primary_endpoint_decision"], w = primary_endpoint(
            prespec, status, acc, continuity=o.continuity, conf_level=o.conf_level)
        warnings.extend(w)
    results["stard"] = list(stard_items(
        flow=data.overall, cells=acc.cells, accuracy=acc.accuracy, cutoff=cutoff, score_name=data.score,
        positive=data.positive, prespecified=status == "prespecified", plan_hash=plan_hash,
        histology=data.histology, conf_level=o.conf_level).items)
    if not data.exact:
        warnings.append("small-cell suppression in at least one site bundle: pooled results are approximate.")
    return results, acc, warnings


def compute(data: CentreData, o: MulticenterOptions, prespec, plan_hash: str | None, context: JobContext
            ) -> tuple[dict[str, Any], MulticentreAccuracyResult | None, list[str]]:
    """Every number of the section: ``(results, accuracy fit, warnings)``."""
    results: dict[str, Any] = {}
    acc = None
    warnings = list(data.warnings)
    if data.counts:
        results, acc, w = accuracy_results(data, o, prespec, plan_hash)
        warnings += w
    if data.mode == "federated":
        results.update(_federated_extras(data, o, plan_hash))
    else:
        results["flow"] = _public_flow(data)
        results["mode"] = data.mode
        results["synthetic"] = data.synthetic
    if o.risk is not None and data.used is not None:
        from spinestats.analysis.core.params import check_column

        check_column(data.used, o.risk, "risk", flag="--risk")
        rv = pooled_risk_validation(data.used[o.risk], data.used["_truth"], data.used[o.center], name=o.risk,
                                    conf_level=o.conf_level)
        results["risk_model"] = rv.to_dict()
        warnings.extend(rv.warnings)
    if o.federated and data.mode == "patient-level":
        results["federated_check"] = federated_check(data, results, o, prespec, plan_hash, context)
        if not results["federated_check"]["identical"]:
            warnings.append("the federated (site-bundle) results differ from the patient-level ones: please report this.")
    results["conf_level"] = o.conf_level  # the level of every CI, region and interval (the tables' headers)
    results["warnings"] = warnings
    return results, acc, warnings


def _public_flow(data: CentreData) -> dict[str, Any]:
    """The flow without line numbers: results.json keeps counts and reasons only, never per-patient lines."""
    def strip(f):
        return {k: v for k, v in f.items() if k != "exclusions"} | {
            "exclusions": [{k: v for k, v in e.items() if k != "lines"} for e in f["exclusions"]]}
    return {"overall": strip(data.overall), "per_center": {c: strip(f) for c, f in data.flows.items()}}


def _federated_extras(data: CentreData, o: MulticenterOptions, plan_hash: str | None) -> dict[str, Any]:
    """Pooled survival of the bundles' risk sets, the flow and the bundles' identities."""
    out: dict[str, Any] = {}
    surv = [b for b in data.bundles if "survival" in b["payload"]]
    if surv:
        groups = sorted({g for b in surv for g in b["payload"]["survival"]["groups"]})
        pooled = pooled_survival({g: [b["payload"]["survival"]["groups"][g] for b in surv
                                      if g in b["payload"]["survival"]["groups"]] for g in groups},
                                 conf_level=o.conf_level)
        out["survival"] = {"time_unit": surv[0]["payload"]["survival"]["time_unit"], **pooled, "exact": data.exact}
    out["plan_hash"] = plan_hash
    out["flow"] = {"overall": data.overall, "per_center": data.flows}
    out["mode"] = data.mode
    out["bundles"] = [{"centre": b["centre"], "checksum": b["checksum"]["value"],
                       "spinestats_version": b["spinestats_version"]} for b in data.bundles]
    out["federated_exact"] = data.exact
    out["synthetic"] = data.synthetic
    return out


def federated_check(data: CentreData, results: Mapping[str, Any], o: MulticenterOptions, prespec,
                    plan_hash: str | None, context: JobContext) -> dict[str, Any]:
    """Make every centre's bundle, pool them, and compare with the patient-level results."""
    import json

    from spinestats.data_schemas.site_bundle import make_bundle, write_bundle

    bundles = []
    for c in sorted(data.counts):
        f = data.flows.get(c, {"n_read": 0, "n_analysed": 0, "n_excluded": 0, "exclusions": []})
        payload = {"data_schema": None, "plan_hash": plan_hash, "suppression": {"min_cell": None, "exact": True},
                   "flow": {"n_read": f["n_read"], "n_analysed": f["n_analysed"], "n_excluded": f["n_excluded"],
                            "exclusions": [{"reason": e["reason"], "n": e["n"]} for e in f["exclusions"]]},
                   "score": {"name": data.score, "positive": data.positive, **data.counts[c]}}
        bundles.append(make_bundle(c, payload, created_by="spinestats multicenter (federated check)",
                                   synthetic=data.synthetic))
    pooled, _, _ = accuracy_results(from_bundles(bundles, plan_hash), o, prespec, plan_hash)
    ours, theirs = to_jsonable({k: results[k] for k in FEDERATED_KEYS}), to_jsonable(pooled)
    same = all(json.dumps(ours[k], sort_keys=True) == json.dumps(theirs[k], sort_keys=True) for k in FEDERATED_KEYS)
    written = []
    if _writes(context):
        key = context.key or "multicenter"
        folder = "bundles" if key == "multicenter" else f"{key}_bundles"
        for i, b in enumerate(bundles, start=1):
            written.append(str(write_bundle(b, Path(context.out_dir) / folder / f"site_{i:02d}.json", force=True)
                               .relative_to(Path(context.out_dir))))
    return {"identical": bool(same), "compared": list(FEDERATED_KEYS), "bundles": written,
            "checksums": [b["checksum"]["value"] for b in bundles]}


def _writes(context: JobContext) -> bool:
    """False when the run writes no files: ``table_formats=["none"]`` (a keyword run without ``out_dir``)."""
    return tuple(context.table_formats or ()) != ("none",)


NOTHING_WRITTEN = {"table_formats": ("none",), "figure_formats": ("none",)}


def methods(o: MulticenterOptions, prespec, plan_hash: str | None, data: CentreData) -> tuple[str, ...]:
    """The methods sentences: the prespecified criteria, then the per-centre and pooled estimation."""
    cutoff, test = settle(o, prespec) if data.counts else (float(o.cutoff or DEFAULT_CUTOFF), o.test or "z")
    return primary_methods(prespec, plan_hash) + _methods(test, cutoff, o.continuity, o.conf_level)


def analyse(inputs: JobInput, options: MulticenterOptions, context: JobContext) -> Section:
    """Multicentre validation of a score from patient rows or site bundles (see the module docstring)."""
    key = context.key or "multicenter"
    prefix = "" if key == "multicenter" else f"{key}_"
    prespec, phash = resolve_plan(options.plan, context.prespecified, context.plan_hash)
    data = from_bundles(inputs.data, phash) if is_bundles(inputs.data) else patient_level(inputs, options, prespec)
    results, acc, warnings = compute(data, options, prespec, phash, context)
    out_dir = context.out_dir if _writes(context) else None
    figures = write_figures(acc, out_dir, data.flows, context.figure_formats, context.dpis, prefix, options.conf_level,
                            data.score, data.positive)
    tables = write_primary_table(results, out_dir, prefix)
    default_title = "Multicentre validation" + (" (federated)" if data.mode == "federated" else "")
    return Section(key=key, title=context.title or default_title, results=to_jsonable(results), figures=figures,
                   tables=tables, warnings=tuple(warnings), figure_captions=centre_flow_captions(data.flows, prefix),
                   methods=methods(options, prespec, phash, data), references=REFERENCES)


def run(data: Any = None, out_dir: str | Path | None = None, *, table: Any = None, tables: Any = None,
        **keywords: Any) -> Section:
    """Multicentre validation by keyword: the options of :class:`MulticenterOptions` and the settings of
    :class:`~spinestats.reports.job.JobContext` (``key``, ``figure_formats``, ``prespecified``, ``plan_hash``, ...).

    ``data`` is a DataFrame (one row per patient, a centre column), a dict of DataFrames (one per centre
    file; the centre is the ``center`` column or the dict key), a ``LoadedTable`` or a list of site bundles;
    ``table``/``tables`` the ``LoadedTable`` objects (their exclusions feed the flow diagram).  Without
    ``out_dir`` nothing is written.
    """
    if tables is not None:
        table = dict(tables) if isinstance(tables, Mapping) else {f"file {i + 1}": t for i, t in enumerate(tables)}
    if hasattr(data, "data") and hasattr(data, "exclusions"):
        data, table = None, {"data": data}
    elif isinstance(table, Mapping) or table is None:
        pass
    else:
        table = {"data": table}
    if out_dir is None:
        keywords.update(NOTHING_WRITTEN)
    return run_by_keywords(analyse, MulticenterOptions, data=data, table=table, out_dir=out_dir or ".",
                           where="multicenter", **keywords)


def run_pooled(bundles: Sequence[Mapping[str, Any]], *, out_dir: str | Path | None = None, **keywords: Any) -> Section:
    """Per-centre and pooled results from verified site bundles (``spinestats pool``), by keyword."""
    if out_dir is None:
        keywords.update(NOTHING_WRITTEN)
    return run_by_keywords(analyse, MulticenterOptions, data=tuple(bundles), out_dir=out_dir or ".", where="pool",
                           **keywords)

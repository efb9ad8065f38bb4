"""Multicentre validation: the job behind ``spinestats multicenter`` and ``spinestats pool``.

:func:`run` (patient-level data) and :func:`run_pooled` (site bundles) reduce
every centre to its counts per score level and class and call the same
:func:`analyse_centres`, so the federated and the patient-level analyses
give identical numbers.

Options of :func:`run`
----------------------
center, score, truth : column names (defaults: the ``dss`` schema's
    ``centre``, ``dss``, ``reference``; a missing ``dss`` column is computed
    from the four features with the Table 2 weights).
positive : the reference label of the target condition (``malignant``).
cutoff : test positive when ``score >= cutoff``; default the plan's
    prespecified cutoff, else 3 (the published DSS cutoff).  A cutoff other
    than the plan's makes every cutoff-based result ``exploratory``.
test : ``"z"`` (metafor default) or ``"knha"`` for the univariate pooling
    (default the plan's ``pooling.test``, else ``"z"``).
continuity : correction added to the cells of a centre with a zero cell
    (default 0.5, metafor ``to="only0"``; bivariate: all centres, as mada).
conf_level : 0.95.
plan : path of a plan YAML with a ``prespecified:`` block (its hash is
    ``plan_hash``); or ``prespecified`` (a dict) and ``plan_hash`` from the
    plan runner.
risk : optional column of predicted probabilities of a risk model: adds
    ``risk_model`` (per centre: C statistic, O:E, calibration-in-the-large and
    slope with CIs; pooled as metamisc ``valmeta``).
federated : also make each centre's site bundle (in memory; written to
    ``out_dir/bundles/`` when there is an output folder), pool the bundles
    and check that the federated results equal the patient-level ones
    (``federated_check``).
figure_formats, dpis : figures to write (default pdf, svg, png at 300 dpi;
    ``["none"]`` writes no figures).

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

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from spinestats.analysis.diagnostic.accuracy import accuracy_from_counts
from spinestats.analysis.pooling.bivariate_meta import reitsma
from spinestats.analysis.diagnostic.delong import delong_from_counts
from spinestats.analysis.pooling.federated import (
    km_from_risk_set,
    logrank_from_risk_sets,
    pool_risk_sets,
    pool_score_counts,
    score_counts_table,
    two_by_two,
)
from spinestats.analysis.pooling.meta_reml import meta_proportion
from spinestats.analysis.pooling.pooled_auc import pool_auc, pool_calibration_slope, pool_oe_ratio
from spinestats.analysis.core.result import to_jsonable
from spinestats.analysis.diagnostic.roc import roc_from_counts
from spinestats.analysis.core.score_input import label_matches
from spinestats.analysis.diagnostic.stard import stard_items
from spinestats.data_schemas.plan_lock import parse_prespecified, plan_hash as compute_plan_hash, read_prespecified
from spinestats.errors import DataError, SpinestatsError, UsageError
from spinestats.reports.section import Section

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


# --------------------------------------------------------------------------- helpers
def _meta_dict(m) -> dict[str, Any]:
    return {
        "estimate": m.estimate, "ci": list(m.ci), "tau2": m.tau2, "i2": m.i2, "h2": m.h2, "q": m.q,
        "q_df": m.q_df, "q_p": m.q_p, "prediction_interval": list(m.prediction_interval), "k": m.k,
        "method": "REML", "test": m.test, "scale": "logit", "estimate_logit": m.estimate_model,
        "se_logit": m.se_model, "corrected": list(m.corrected),
        "continuity_correction": m.continuity_correction,
    }


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
        return pd.to_numeric(df[score], errors="coerce")
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


# --------------------------------------------------------------------------- core
def analyse_centres(
    counts: Mapping[str, Mapping[str, Sequence]],
    *,
    cutoff: float,
    score_name: str = "dss",
    positive: str = "malignant",
    test: str = "z",
    continuity: float = 0.5,
    conf_level: float = 0.95,
    prespec=None,
    plan_hash: str | None = None,
    cutoff_given: bool = False,
    flow: Mapping | None = None,
    histology: Mapping | None = None,
    exact: bool = True,
) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """Per-centre and pooled accuracy from counts per score level (see module docstring).

    Returns ``(results, objects, warnings)``; ``objects`` holds the result
    objects the figures need (``meta_sensitivity``, ``meta_specificity``,
    ``meta_auc``, ``bivariate``).
    """
    warnings: list[str] = []
    labels = sorted(counts)
    if len(labels) < 2:
        raise DataError(f"a multicentre analysis needs at least 2 centres; found {len(labels)} ({', '.join(labels)}).")
    per = []
    for c in labels:
        t = counts[c]
        cells = two_by_two(t["levels"], t["n_pos"], t["n_neg"], cutoff)
        acc = accuracy_from_counts(cells["tp"], cells["fp"], cells["tn"], cells["fn"], conf_level=conf_level).table.iloc[0]
        row = {"center": c, "n": int(sum(t["n_pos"]) + sum(t["n_neg"])), "n_positive": int(sum(t["n_pos"])),
               "n_negative": int(sum(t["n_neg"])), **cells,
               "sensitivity": float(acc["sensitivity"]), "sensitivity_ci": [float(acc["sensitivity_lower"]), float(acc["sensitivity_upper"])],
               "specificity": float(acc["specificity"]), "specificity_ci": [float(acc["specificity_lower"]), float(acc["specificity_upper"])],
               "auc": None, "auc_se": None, "auc_ci": None}
        try:
            d = delong_from_counts(t["levels"], t["n_pos"], t["n_neg"], conf_level)
            row.update(auc=d.auc, auc_se=d.se, auc_ci=list(d.ci))
        except DataError as exc:
            warnings.append(f"centre {c}: no AUC ({exc})")
        if row["n_positive"] < 10 or row["n_negative"] < 10:
            warnings.append(f"centre {c}: fewer than 10 patients in a reference class; its estimates are imprecise.")
        per.append(row)
    # counts for the forest plots' text columns and the STARD diagram's 2x2 boxes
    objects: dict[str, Any] = {"per_centre": per, "stard": {"score": score_name, "cutoff": cutoff, "positive": positive}}
    pooled: dict[str, Any] = {}
    tp = np.array([r["tp"] for r in per])
    fp = np.array([r["fp"] for r in per])
    tn = np.array([r["tn"] for r in per])
    fn = np.array([r["fn"] for r in per])
    for name, ev, tot in (("sensitivity", tp, tp + fn), ("specificity", tn, tn + fp)):
        if np.any(tot == 0):
            bad = [labels[i] for i in np.flatnonzero(tot == 0)]
            raise DataError(f"centre(s) {', '.join(bad)} have no reference-{'positive' if name == 'sensitivity' else 'negative'} "
                            f"patients: {name} is undefined there; remove them or pool without them.")
        m = meta_proportion(ev, tot, labels=labels, test=test, add=continuity, level=conf_level)
        pooled[name] = _meta_dict(m)
        objects[f"meta_{name}"] = m
        warnings.extend(f"pooled {name}: {w}" for w in m.warnings)
    aucs = [(r["center"], r["auc"], r["auc_se"]) for r in per if r["auc"] is not None and r["auc_se"]]
    if len(aucs) >= 2:
        try:
            pa = pool_auc([a for _, a, _ in aucs], [s for _, _, s in aucs], labels=[c for c, _, _ in aucs],
                          scale="logit", test=test, level=conf_level)
            pooled["auc"] = {**_meta_dict(pa.meta), "estimate": pa.estimate, "ci": list(pa.ci),
                             "prediction_interval": list(pa.prediction_interval),
                             "prediction_interval_t": None if pa.prediction_interval_t is None else list(pa.prediction_interval_t)}
            objects["meta_auc"] = pa.meta
        except DataError as exc:
            pooled["auc"] = None
            warnings.append(f"pooled AUC not estimated: {exc}")
    else:
        pooled["auc"] = None
    bivariate: dict[str, Any] | None
    if len(labels) >= 3:
        try:
            bv = reitsma(tp, fp, fn, tn, labels=labels, correction=continuity, level=conf_level)
            objects["bivariate"] = bv
            bivariate = {k: v for k, v in bv.to_dict().items() if k not in ("labels",)}
            warnings.extend(f"bivariate: {w}" for w in bv.warnings)
        except DataError as exc:
            bivariate = None
            warnings.append(f"bivariate model not fitted: {exc}")
    else:
        bivariate = None
        warnings.append("bivariate model needs at least 3 centres; not fitted.")
    lv, pos, neg = pool_score_counts([counts[c] for c in labels])
    roc = roc_from_counts(lv, pos, neg)
    dl = delong_from_counts(lv, pos, neg, conf_level)
    cells = two_by_two(lv, pos, neg, cutoff)
    acc = accuracy_from_counts(cells["tp"], cells["fp"], cells["tn"], cells["fn"], conf_level=conf_level).table.iloc[0]
    acc_d = {"sensitivity": {"estimate": float(acc["sensitivity"]), "ci": [float(acc["sensitivity_lower"]), float(acc["sensitivity_upper"])]},
             "specificity": {"estimate": float(acc["specificity"]), "ci": [float(acc["specificity_lower"]), float(acc["specificity_upper"])]}}
    pooled_counts = {
        "description": "all centres' counts summed (= the pooled patient-level analysis, ignoring centre)",
        "levels": lv.tolist(), "n_pos": pos.tolist(), "n_neg": neg.tolist(),
        "roc": {"cutoffs": roc.cutoffs.tolist(), "thresholds": roc.thresholds.tolist(),
                "sensitivities": roc.sensitivities.tolist(), "specificities": roc.specificities.tolist()},
        "auc": {"estimate": dl.auc, "se": dl.se, "ci": list(dl.ci), "method": "DeLong"},
        "accuracy": {**cells, **acc_d, "method": "exact (Clopper-Pearson)"},
    }
    j = roc.sensitivities + roc.specificities - 1
    best = int(np.argmax(j[:-1])) if j.size > 1 else 0
    exploratory = {"label": "exploratory", "youden_cutoff": {
        "cutoff": float(roc.cutoffs[best]), "youden": float(j[best]), "sensitivity": float(roc.sensitivities[best]),
        "specificity": float(roc.specificities[best]),
        "note": "re-optimised on the pooled data: exploratory, not a validation of the prespecified cutoff"}}
    if prespec is not None:
        status = "prespecified" if (float(cutoff) == prespec.cutoff) else "exploratory"
        if status == "exploratory":
            warnings.append(f"cutoff {cutoff:g} differs from the plan's prespecified cutoff {prespec.cutoff:g}: "
                            "every cutoff-based result is exploratory.")
    else:
        status = "not prespecified (no plan)"
    results: dict[str, Any] = {
        "score": score_name, "positive": positive, "cutoff": float(cutoff), "cutoff_rule": "score >= cutoff",
        "cutoff_status": status, "plan_hash": plan_hash,
        "prespecified": None if prespec is None else prespec.to_dict(),
        "per_center": per, "pooled": pooled, "bivariate": bivariate, "pooled_counts": pooled_counts,
        "exploratory": exploratory, "federated_exact": bool(exact),
    }
    if prespec is not None and prespec.success:
        results["primary_endpoint"], results["primary_endpoint_decision"], w = primary_endpoint(
            prespec, status, pooled=pooled, objects=objects, labels=labels, tp=tp, fp=fp, tn=tn, fn=fn,
            continuity=continuity, conf_level=conf_level)
        warnings.extend(w)
    if flow is not None:
        results["stard"] = list(stard_items(
            flow=flow, cells=cells, accuracy=acc_d, cutoff=float(cutoff), score_name=score_name, positive=positive,
            prespecified=status == "prespecified", plan_hash=plan_hash, histology=histology,
            conf_level=conf_level).items)
    if not exact:
        warnings.append("small-cell suppression in at least one site bundle: pooled results are approximate.")
    return results, objects, warnings


def primary_endpoint(prespec, status: str, *, pooled, objects, labels, tp, fp, tn, fn, continuity: float,
                     conf_level: float) -> tuple[list[dict] | None, dict | None, list[str]]:
    """The prespecified success criteria tested on the pooled (REML) estimates.

    Each criterion of the locked plan's ``success:`` block is tested one-sided
    against its ``null`` with the plan's pooling test (``z`` or ``knha``)
    (:func:`spinestats.analysis.design.success_criteria.pooled_criterion`); the
    decision combines them by the plan's ``multiplicity``.  Only criteria of
    the plan are tested, and only at the plan's cutoff: at another cutoff the
    criteria are not reported as primary (``None`` and a warning).
    """
    from spinestats.analysis.design.success_criteria import evaluate_criteria, pooled_criterion

    if status != "prespecified":
        return None, None, ["the success criteria of the plan were not tested: the cutoff is not the prespecified one, "
                            "so no result of this run is a primary endpoint."]
    warnings: list[str] = []
    tests = []
    for measure, crit in prespec.success.items():
        kw = dict(null=crit["null"], alternative=crit.get("alternative", "greater"), alpha=prespec.alpha,
                  measure=measure)
        if measure in ("sensitivity", "specificity"):
            ev, tot = (tp, tp + fn) if measure == "sensitivity" else (tn, tn + fp)
            m = meta_proportion(ev, tot, labels=labels, test=prespec.pooling_test, add=continuity, level=conf_level)
            tests.append(pooled_criterion(m.estimate_model, m.se_model, m.k, test=prespec.pooling_test, **kw))
        elif measure == "auc" and pooled.get("auc"):
            a = pooled["auc"]
            if prespec.pooling_test != a["test"]:
                warnings.append(f"primary endpoint auc: pooled with the '{a['test']}' test, not the plan's "
                                f"'{prespec.pooling_test}'; rerun with --test {prespec.pooling_test}.")
            tests.append(pooled_criterion(a["estimate_logit"], a["se_logit"], a["k"], test=a["test"], **kw))
        else:
            warnings.append(f"primary endpoint {measure}: no pooled estimate, so the criterion could not be tested "
                            "(counted as not met).")
    if not tests:
        return [], {"success": False, "multiplicity": prespec.multiplicity, "alpha": prespec.alpha}, warnings
    decision = evaluate_criteria(tests, multiplicity=prespec.multiplicity, alpha=prespec.alpha)
    untested = len(tests) < len(prespec.success)
    entries = [{"measure": c.measure, "null": c.null, "alternative": c.alternative, "estimate": c.estimate,
                "bound": c.bound, "p": c.p, "met": c.met, "p_adjusted": c.p_adjusted, "method": c.method,
                "alpha": c.alpha, "k": c.k} for c in decision.criteria]
    success = decision.success and not (untested and prespec.multiplicity == "all")
    return entries, {"success": bool(success), "multiplicity": prespec.multiplicity, "alpha": prespec.alpha,
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


def write_figures(objects: Mapping[str, Any], out_dir: Path | None, flows: Mapping | None,
                  figure_formats=None, dpis=None, prefix: str = "") -> tuple[Path, ...]:
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
    per = {str(r["center"]): r for r in objects.get("per_centre", [])}
    for key, label in (("meta_sensitivity", "Sensitivity"), ("meta_specificity", "Specificity"), ("meta_auc", "AUC")):
        if key in objects:
            fig, _ = forest_plot(objects[key], label=label, counts=_forest_counts(per, label),
                                 logit=(label == "AUC"), name=f"{prefix}forest_{label.lower()}")
            written += save_figure(fig, folder, f"{prefix}forest_{label.lower()}", formats=formats, dpis=dp)
    if "bivariate" in objects:
        fig, _ = sroc_plot(objects["bivariate"])
        written += save_figure(fig, folder, f"{prefix}sroc", formats=formats, dpis=dp)
    if flows:
        drawn = _with_index_test(flows, per, objects.get("stard"))
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


def _methods(test: str, cutoff: float, continuity: float) -> tuple[str, ...]:
    kh = " with the Knapp-Hartung correction" if test == "knha" else ""
    return (
        f"Sensitivity and specificity at score >= {cutoff:g} were estimated per centre with exact "
        "(Clopper-Pearson) 95% CIs and the AUC with DeLong CIs.",
        f"Centre estimates were pooled on the logit scale by random-effects meta-analysis with REML{kh} "
        f"(between-centre variance tau^2, I^2, Cochran's Q and a 95% prediction interval); centres with a zero "
        f"cell received a continuity correction of {continuity:g}.",
        "Sensitivity and specificity were also pooled jointly with the bivariate random-effects model of "
        "Reitsma et al. (REML), with the summary ROC curve (Rutter-Gatsonis parametrisation) and 95% confidence "
        "and prediction regions; centre AUCs were pooled on the logit scale.",
        "Results at a cutoff other than the prespecified one, and the Youden-optimal cutoff, are labelled exploratory.",
    )


def risk_model_results(used: pd.DataFrame, *, center: str, risk: str, test: str,
                       conf_level: float = 0.95) -> tuple[dict[str, Any], list[str]]:
    """Per-centre C statistic, O:E, CITL and slope of a risk column, and their pooled values (valmeta)."""
    from spinestats.analysis.prediction.risk_validation import validate_risk

    from spinestats.analysis.core.params import check_column

    check_column(used, risk, "risk", flag="--risk")
    warnings: list[str] = []
    rows, fits = [], []
    for c, g in used.groupby(center, sort=True):
        pr = pd.to_numeric(g[risk], errors="coerce")
        ok = pr.notna()
        if (~ok).any():
            warnings.append(f"risk model, centre {c}: {int((~ok).sum())} patient(s) without a predicted risk left out.")
        try:
            r = validate_risk(pr[ok].to_numpy(), g.loc[ok, "_truth"].to_numpy(), conf_level=conf_level)
        except DataError as exc:
            warnings.append(f"risk model, centre {c}: not validated ({exc})")
            continue
        fits.append((str(c), r))
        warnings.extend(f"risk model, centre {c}: {w}" for w in r.warnings)
        rows.append({"center": str(c), **{k: v for k, v in r.to_dict().items() if k != "warnings"}})
    pooled: dict[str, Any] = {}
    if len(fits) >= 2:
        labels = [c for c, _ in fits]
        for name, fn in (
            ("c_statistic", lambda: pool_auc([r.c_statistic for _, r in fits], [r.c_se for _, r in fits],
                                             labels=labels, test="knha", level=conf_level)),
            ("calibration_slope", lambda: pool_calibration_slope([r.slope for _, r in fits], [r.slope_se for _, r in fits],
                                                                 labels=labels, test="knha", level=conf_level)),
            ("oe_ratio", lambda: pool_oe_ratio([r.events for _, r in fits], [r.expected for _, r in fits],
                                               [r.n for _, r in fits], labels=labels, test="knha", level=conf_level)),
        ):
            try:
                pm = fn()
                pooled[name] = {"estimate": pm.estimate, "ci": list(pm.ci), "tau2": pm.tau2, "i2": pm.i2,
                                "prediction_interval": list(pm.prediction_interval),
                                "prediction_interval_t": None if pm.prediction_interval_t is None else list(pm.prediction_interval_t),
                                "scale": pm.scale, "test": "knha", "k": pm.k}
            except DataError as exc:
                pooled[name] = None
                warnings.append(f"risk model: pooled {name} not estimated ({exc})")
    return {"risk": risk, "per_center": rows, "pooled": pooled,
            "method": "as metamisc valmeta: REML with Knapp-Hartung; logit C statistic, log O:E, identity slope"}, warnings


# --------------------------------------------------------------------------- jobs
def run(
    data=None,
    *,
    table=None,
    tables=None,
    out_dir=None,
    center: str = "centre",
    score: str = "dss",
    truth: str = "reference",
    positive: str = "malignant",
    cutoff: float | None = None,
    test: str | None = None,
    continuity: float = 0.5,
    conf_level: float = 0.95,
    plan: str | Path | None = None,
    prespecified: Mapping | None = None,
    plan_hash: str | None = None,
    federated: bool = True,
    risk: str | None = None,
    figure_formats=None,
    dpis=None,
    key: str = "multicenter",
    title: str | None = None,
) -> Section:
    """Multicentre validation of a score from patient-level data (see the module docstring).

    ``data`` is a DataFrame (one row per patient, a centre column), a dict of
    DataFrames (one per centre file; the centre is the ``center`` column or
    the dict key) or a ``LoadedTable``; ``table``/``tables`` the
    ``LoadedTable`` objects (their exclusions feed the flow diagram).
    """
    loaded = {}
    if tables:
        loaded = dict(tables) if isinstance(tables, Mapping) else {f"file {i + 1}": t for i, t in enumerate(tables)}
    elif table is not None:
        loaded = dict(table) if isinstance(table, Mapping) else {"data": table}
    if data is None and loaded:
        data = {k: t.data for k, t in loaded.items()}
    if hasattr(data, "data") and hasattr(data, "exclusions"):
        loaded = {"data": data}
        data = data.data
    if data is None:
        raise UsageError("multicenter: no data given.")
    frames = data if isinstance(data, Mapping) else {"data": data}
    parts = []
    for name, df in frames.items():
        df = df.copy()
        if center not in df.columns:
            if len(frames) == 1:
                from spinestats.analysis.core.params import check_column

                check_column(df, center, "center", flag="--center")
            df[center] = str(name)
        df["_file"] = str(name)
        parts.append(df)
    combined = pd.concat(parts, ignore_index=False) if len(parts) > 1 else parts[0]
    prespec, phash = resolve_plan(plan, prespecified, plan_hash)
    if cutoff is None:
        cutoff = prespec.cutoff if prespec is not None else DEFAULT_CUTOFF
    if test is None:
        test = prespec.pooling_test if prespec is not None else "z"
    if prespec is not None and prespec.positive != str(positive):
        raise UsageError(f"--positive {positive!r} differs from the plan's prespecified positive label {prespec.positive!r}.")
    counts, excluded_here, used = centre_counts(combined, center=center, score=score, truth=truth, positive=positive)
    # flow per centre: loader exclusions + rows excluded here
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
    overall = {"n_read": sum(f["n_read"] for f in flows.values()),
               "n_analysed": sum(f["n_analysed"] for f in flows.values()),
               "n_excluded": sum(f["n_excluded"] for f in flows.values()),
               "exclusions": [e for f in flows.values() for e in f["exclusions"]]}
    histology = None
    if "histology" in used.columns:
        histology = {k: used.loc[used["_truth"] == v, "histology"].dropna().astype(str).value_counts().to_dict()
                     for k, v in (("with", True), ("without", False))}
    results, objects, warnings = analyse_centres(
        counts, cutoff=float(cutoff), score_name=score, positive=str(positive), test=test, continuity=continuity,
        conf_level=conf_level, prespec=prespec, plan_hash=phash, flow=overall, histology=histology)
    # per-patient lines are never written: the flow in results.json keeps counts and reasons only
    results["flow"] = {"overall": {k: v for k, v in overall.items() if k != "exclusions"} | {
        "exclusions": [{k: v for k, v in e.items() if k != "lines"} for e in overall["exclusions"]]},
        "per_center": {c: {k: v for k, v in f.items() if k != "exclusions"} | {
            "exclusions": [{k: v for k, v in e.items() if k != "lines"} for e in f["exclusions"]]} for c, f in flows.items()}}
    results["mode"] = "patient-level"
    results["synthetic"] = bool(used[center].astype(str).str.contains(SYNTHETIC_MARK, regex=False).any())
    if risk is not None:
        results["risk_model"], w = risk_model_results(used, center=center, risk=risk, test=test, conf_level=conf_level)
        warnings.extend(w)
    if federated:
        results["federated_check"] = _federated_check(
            counts, flows, results, score=score, positive=str(positive), cutoff=float(cutoff), test=test,
            continuity=continuity, conf_level=conf_level, prespec=prespec, plan_hash=phash, out_dir=out_dir,
            synthetic=results["synthetic"], folder="bundles" if key == "multicenter" else f"{key}_bundles")
        if not results["federated_check"]["identical"]:
            warnings.append("the federated (site-bundle) results differ from the patient-level ones: please report this.")
    results["warnings"] = warnings
    prefix = "" if key == "multicenter" else f"{key}_"
    figures = write_figures(objects, out_dir, flows, figure_formats, dpis, prefix)
    tables = write_primary_table(results, out_dir, prefix)
    return Section(key=key, title=title or "Multicentre validation", results=to_jsonable(results), figures=figures,
                   tables=tables, warnings=tuple(warnings), figure_captions=centre_flow_captions(flows, prefix),
                   methods=primary_methods(prespec, phash) + _methods(test, float(cutoff), continuity),
                   references=REFERENCES)


FEDERATED_KEYS = ("per_center", "pooled", "bivariate", "pooled_counts", "exploratory", "cutoff_status")


def _federated_check(counts, flows, results, *, score, positive, cutoff, test, continuity, conf_level, prespec,
                     plan_hash, out_dir, synthetic, folder: str = "bundles") -> dict[str, Any]:
    """Make every centre's bundle, pool them, and compare with the patient-level results."""
    import json

    from spinestats.data_schemas.site_bundle import make_bundle, write_bundle

    bundles = []
    for c in sorted(counts):
        f = flows.get(c, {"n_read": 0, "n_analysed": 0, "n_excluded": 0, "exclusions": []})
        payload = {"data_schema": None, "plan_hash": plan_hash, "suppression": {"min_cell": None, "exact": True},
                   "flow": {"n_read": f["n_read"], "n_analysed": f["n_analysed"], "n_excluded": f["n_excluded"],
                            "exclusions": [{"reason": e["reason"], "n": e["n"]} for e in f["exclusions"]]},
                   "score": {"name": score, "positive": positive, **counts[c]}}
        bundles.append(make_bundle(c, payload, created_by="spinestats multicenter (federated check)",
                                   synthetic=synthetic))
    pooled = run_pooled(bundles, cutoff=cutoff, test=test, continuity=continuity, conf_level=conf_level,
                        prespecified=None if prespec is None else prespec.to_dict(), plan_hash=plan_hash,
                        figure_formats=["none"]).results
    ours = to_jsonable({k: results[k] for k in FEDERATED_KEYS})
    same = all(json.dumps(ours[k], sort_keys=True) == json.dumps(pooled[k], sort_keys=True) for k in FEDERATED_KEYS)
    written = []
    if out_dir is not None:
        for i, b in enumerate(bundles, start=1):
            written.append(str(write_bundle(b, Path(out_dir) / folder / f"site_{i:02d}.json", force=True)
                               .relative_to(Path(out_dir))))
    return {"identical": bool(same), "compared": list(FEDERATED_KEYS), "bundles": written,
            "checksums": [b["checksum"]["value"] for b in bundles]}


def run_pooled(
    bundles: Sequence[Mapping[str, Any]],
    *,
    out_dir=None,
    cutoff: float | None = None,
    test: str | None = None,
    continuity: float = 0.5,
    conf_level: float = 0.95,
    plan: str | Path | None = None,
    prespecified: Mapping | None = None,
    plan_hash: str | None = None,
    figure_formats=None,
    dpis=None,
    key: str = "multicenter",
) -> Section:
    """Per-centre and pooled results from verified site bundles (``spinestats pool``)."""
    if len(bundles) < 2:
        raise UsageError(f"pool needs at least 2 site bundles; got {len(bundles)}.")
    centres = [b["centre"] for b in bundles]
    dup = sorted({c for c in centres if centres.count(c) > 1})
    if dup:
        raise DataError(f"two bundles claim the same centre: {', '.join(dup)}; each centre must send one bundle.")
    prespec, phash = resolve_plan(plan, prespecified, plan_hash)
    plan_hashes = {b["payload"].get("plan_hash") for b in bundles} - {None}
    warnings: list[str] = []
    if phash and plan_hashes and plan_hashes != {phash}:
        warnings.append("some bundles were made under another plan hash than the plan given.")
    exact = all(b["payload"]["suppression"]["exact"] for b in bundles)
    flows = {b["centre"]: b["payload"]["flow"] for b in bundles}
    overall = {"n_read": sum(f["n_read"] for f in flows.values()), "n_analysed": sum(f["n_analysed"] for f in flows.values()),
               "n_excluded": sum(f["n_excluded"] for f in flows.values()),
               "exclusions": [dict(e, centre=c) for c, f in flows.items() for e in f["exclusions"]]}
    results: dict[str, Any] = {}
    objects: dict[str, Any] = {}
    scored = [b for b in bundles if "score" in b["payload"]]
    if scored:
        if len(scored) != len(bundles):
            raise DataError("some bundles have score counts and some do not; pool bundles of the same kind.")
        names = {b["payload"]["score"]["name"] for b in scored}
        positives = {b["payload"]["score"]["positive"] for b in scored}
        if len(names) > 1 or len(positives) > 1:
            raise DataError(f"bundles summarise different scores or positive labels: {sorted(names)}, {sorted(positives)}.")
        if cutoff is None:
            cutoff = prespec.cutoff if prespec is not None else DEFAULT_CUTOFF
        if test is None:
            test = prespec.pooling_test if prespec is not None else "z"
        counts = {b["centre"]: b["payload"]["score"] for b in scored}
        results, objects, w = analyse_centres(
            counts, cutoff=float(cutoff), score_name=names.pop(), positive=positives.pop(), test=test,
            continuity=continuity, conf_level=conf_level, prespec=prespec, plan_hash=phash, flow=overall, exact=exact)
        warnings += w
    surv = [b for b in bundles if "survival" in b["payload"]]
    if surv:
        groups = sorted({g for b in surv for g in b["payload"]["survival"]["groups"]})
        pooled_tabs = {g: pool_risk_sets([b["payload"]["survival"]["groups"][g] for b in surv
                                          if g in b["payload"]["survival"]["groups"]]) for g in groups}
        curves = {}
        for g, tab in pooled_tabs.items():
            km = km_from_risk_set(tab, group=g, conf_level=conf_level)
            curves[g] = {"time": km.time.tolist(), "n_at_risk": km.n_at_risk.tolist(), "n_event": km.n_event.tolist(),
                         "survival": km.survival.tolist(), "std_err": km.std_err.tolist(),
                         "lower": km.lower.tolist(), "upper": km.upper.tolist(), "conf_type": km.conf_type}
        lr = logrank_from_risk_sets(pooled_tabs).to_dict() if len(groups) >= 2 else None
        results["survival"] = {"time_unit": surv[0]["payload"]["survival"]["time_unit"], "kaplan_meier": curves,
                               "logrank": lr, "exact": exact}
    results.setdefault("plan_hash", phash)
    results["flow"] = {"overall": overall, "per_center": flows}
    results["mode"] = "federated"
    results["bundles"] = [{"centre": b["centre"], "checksum": b["checksum"]["value"],
                           "spinestats_version": b["spinestats_version"]} for b in bundles]
    results["federated_exact"] = exact
    results["synthetic"] = any(b.get("synthetic") for b in bundles)
    results["warnings"] = warnings
    prefix = "" if key == "multicenter" else f"{key}_"
    figures = write_figures(objects, out_dir, flows, figure_formats, dpis, prefix)
    tables = write_primary_table(results, out_dir, prefix)
    return Section(key=key, title="Multicentre validation (federated)", results=to_jsonable(results), figures=figures,
                   tables=tables, warnings=tuple(warnings), figure_captions=centre_flow_captions(flows, prefix),
                   methods=primary_methods(prespec, phash) + _methods(test or "z", float(cutoff or DEFAULT_CUTOFF),
                                                                      continuity),
                   references=REFERENCES)

"""Diagnostic-score job: DSS (or any score) accuracy, ROC/DeLong, cutoffs, bootstrap, comparison.

``run`` is called by ``spinestats dss``, ``spinestats accuracy`` and the plan
runner (analysis types ``dss`` and ``accuracy``), so the numbers are always
the same.  It writes figures to ``figures/`` and tables to ``tables/`` under
``out_dir`` and returns a :class:`~spinestats.reports.section.Section` whose
``results`` is exactly what the commands write as ``results.json`` (schema:
``data_schemas/results/diagnostic.schema.json``).

Options (all keyword arguments of :func:`run`)
----------------------------------------------
score : column of the score; ``None`` (the ``dss`` analysis) computes the DSS
    from the features (``size_cm``, ``boundary``, ``lobulated``, ``bone_destruction``).
truth, positive : reference-standard column and its positive label
    (default ``reference`` / ``malignant``).
cutoff : cutoff(s) reported in detail ("positive when score >= cutoff");
    default 3 for the DSS, none for other scores.
method : cutoff rule: ``youden`` (default), ``closest_topleft``, ``min_sensitivity``,
    ``min_specificity``; ``cost``/``prevalence`` are pROC's ``best.weights``;
    ``min_sensitivity``/``min_specificity`` the constraint.
ci_method : ``exact`` (Clopper-Pearson, default) or ``wilson``.
target_prevalence : prevalence for PPV/NPV in a target population (optional).
compare, compare_cutoff : a second score column on the same patients (paired
    DeLong; McNemar at ``cutoff`` vs ``compare_cutoff``, default the second score's
    Youden cutoff); ``mcnemar_exact`` for exact McNemar p-values.
unpaired_by : a column with exactly two groups (e.g. ``centre``: development vs
    validation); their AUCs are compared with the unpaired DeLong test (pROC's D).
bootstrap : number of stratified bootstrap replicates (0 = none): cutoff
    stability, in-/out-of-bag accuracy, Harrell optimism, bootstrap AUC CI and the ROC band.
seed, workers, scheduler : bootstrap seed and where replicates run (results do
    not depend on ``workers``/``scheduler``).
weights : DSS feature weights for a variant score (default Table 2).
direction : which way the score points: ``higher-is-positive`` (default,
    pROC ``direction = "<"``), ``lower-is-positive`` (pROC ``">"``: test
    positive when score <= cutoff; cutoffs are reported in the score's own
    units) or ``auto`` (pROC's median rule).  An AUC below 0.5 gives a
    warning that the score may run the other way.  ``lower-is-positive``
    is not combined with ``bootstrap``, ``compare`` or ``unpaired_by``
    (negate the score column for those).
min_per_class : fewer patients than this in a class gives a warning (default 10).
figure_formats, dpis : figure files (default pdf, svg, png at 300 dpi).
Tables are written as CSV (formula-safe); the plan runner adds the other formats.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from spinestats.analysis.core.params import check_column
from spinestats.analysis.diagnostic.accuracy import accuracy_from_counts, accuracy_from_roc
from spinestats.analysis.diagnostic.auc_bootstrap import bootstrap_auc_from_counts
from spinestats.analysis.diagnostic.cutoff import OptimalCutoff, optimal_cutoff
from spinestats.analysis.diagnostic.cutoff_bootstrap import bootstrap_cutoff
from spinestats.analysis.diagnostic.delong import delong_from_roc, delong_unpaired
from spinestats.analysis.scores.dss_score import FEATURE_LABELS, compute_dss
from spinestats.analysis.diagnostic.feature_comparison import compare_features
from spinestats.analysis.core.result import to_jsonable
from spinestats.analysis.diagnostic.roc import DIRECTIONS, RocCurve, low_auc_warning, resolve_direction, roc_curve
from spinestats.analysis.diagnostic.score_comparison import compare_scores
from spinestats.analysis.core.score_input import prepare_score_truth
from spinestats.errors import UsageError
from spinestats.reports.diagnostic_figures import cutoff_stability_figure, roc_figure, score_distribution_figure
from spinestats.reports.figure_style import DEFAULT_DPIS, save_figure
from spinestats.reports.section import Section
from spinestats.reports.tables import Col, Table, write_table

DSS_COLUMN = "DSS"
DEFAULT_FIGURE_FORMATS = ("pdf", "svg", "png")
REFERENCES = (
    "Matsumoto Y, et al. Dumbbell scoring system: a new method for the differential diagnosis of malignant and "
    "benign spinal dumbbell tumors. Spine 2016;41:E1230-E1236. doi:10.1097/BRS.0000000000001601",
    "DeLong ER, DeLong DM, Clarke-Pearson DL. Comparing the areas under two or more correlated receiver operating "
    "characteristic curves: a nonparametric approach. Biometrics 1988;44:837-845. doi:10.2307/2531595",
    "Sun X, Xu W. Fast implementation of DeLong's algorithm for comparing the areas under correlated receiver "
    "operating characteristic curves. IEEE Signal Process Lett 2014;21:1389-1393. doi:10.1109/LSP.2014.2337313",
    "Clopper CJ, Pearson ES. The use of confidence or fiducial limits illustrated in the case of the binomial. "
    "Biometrika 1934;26:404-413. doi:10.1093/biomet/26.4.404",
    "Robin X, et al. pROC: an open-source package for R and S+ to analyze and compare ROC curves. BMC "
    "Bioinformatics 2011;12:77. doi:10.1186/1471-2105-12-77",
    "Harrell FE, Lee KL, Mark DB. Multivariable prognostic models. Stat Med 1996;15:361-387. "
    "doi:10.1002/(SICI)1097-0258(19960229)15:4<361::AID-SIM168>3.0.CO;2-4",
)


def _load_exclusions(table) -> tuple[int | None, list[dict]]:
    if table is None:
        return None, []
    groups: dict[str, list] = {}
    for e in table.exclusions:
        groups.setdefault(e.reason, []).append(e.line)
    rows_read = int(table.provenance.rows_read) if getattr(table, "provenance", None) is not None else None
    return rows_read, [{"reason": r, "n": len(lines), "lines": lines} for r, lines in groups.items()]


def _class_summary(score: np.ndarray, truth: np.ndarray, labels: tuple[str, str]) -> dict:
    out = {}
    for name, mask in ((labels[1], truth), (labels[0], ~truth)):
        s = score[mask]
        q1, med, q3 = np.percentile(s, [25, 50, 75])  # R quantile type 7
        out[name] = {"n": int(mask.sum()), "median": float(med), "q1": float(q1), "q3": float(q3),
                     "min": float(s.min()), "max": float(s.max())}
    return out


def _flow_diagram(flow: dict, results: dict, cutoff: float, is_dss: bool, fdir: Path, key: str, formats, dpis,
                  score_label: str | None = None) -> list[Path]:
    """The STARD flow diagram of this run: reads, exclusions with reasons, and the 2x2 cells at ``cutoff``."""
    from spinestats.reports.flow_diagram import flow_figure, schema_column_labels

    drawn = dict(flow)
    cells = next((r for r in results.get("requested_cutoffs", []) + results.get("cutoffs", [])
                  if np.isfinite(cutoff) and np.isclose(r["cutoff"], cutoff)), None)
    if cells is not None:
        score = score_label or str(results["score"])
        pos, neg = str(results["positive"]), str(results.get("negative") or f"not {results['positive']}")
        drawn["index_test"] = {"name": score, "positive": f"{score} \u2265 {cutoff:g}", "negative": f"{score} < {cutoff:g}",
                               "reference_positive": pos[:1].upper() + pos[1:], "reference_negative": neg[:1].upper() + neg[1:],
                               **{k: int(cells[k]) for k in ("tp", "fp", "fn", "tn")}}
    fig, _ = flow_figure(drawn, column_labels=schema_column_labels("dss") if is_dss else {})
    return save_figure(fig, fdir, f"{key}_flow_diagram", formats, dpis)


def _cutoff_entry(acc_row: dict) -> dict:
    keys = ("cutoff", "tp", "fp", "tn", "fn", "sensitivity", "sensitivity_ci", "specificity", "specificity_ci",
            "ppv", "ppv_ci", "npv", "npv_ci", "lr_pos", "lr_pos_ci", "lr_neg", "lr_neg_ci", "dor", "dor_ci",
            "accuracy", "accuracy_ci", "youden", "youden_ci", "ppv_at_prevalence", "npv_at_prevalence")
    out = {k: acc_row[k] for k in keys if k in acc_row}
    for k in ("tp", "fp", "tn", "fn"):
        out[k] = int(round(out[k]))
    return out


def _at_cutoffs(roc: RocCurve, cutoffs: Sequence[float], ci_method: str, conf_level: float,
                target_prevalence: float | None) -> list[dict]:
    cut = np.asarray(cutoffs, dtype=float)
    at_or_above = roc.levels[None, :] >= cut[:, None]
    tp = (at_or_above * roc.n_pos).sum(axis=1)
    fp = (at_or_above * roc.n_neg).sum(axis=1)
    acc = accuracy_from_counts(tp, fp, roc.n_negative - fp, roc.n_positive - tp, cutoff=cut, method=ci_method,
                               conf_level=conf_level, prevalence=target_prevalence)
    return [_cutoff_entry(r) for r in acc.records()]


def _optimal_dict(opt: OptimalCutoff, extra: Mapping[str, Any]) -> dict:
    tied = len(opt.cutoff) > 1
    pick = (lambda v: list(v)) if tied else (lambda v: v[0])
    return {"method": opt.method, "cutoff": pick(opt.cutoff), "threshold": pick(opt.threshold),
            "sensitivity": pick(opt.sensitivity), "specificity": pick(opt.specificity),
            "tied": tied, "criterion": opt.criterion, **extra}


def _unpaired(df: pd.DataFrame, st, column: str, conf_level: float) -> dict:
    check_column(df, column, "unpaired_by", flag="--unpaired-by")
    groups = df.loc[st.index, column]
    present = groups.notna().to_numpy()
    names = sorted(map(str, groups[present].unique()))
    if len(names) != 2:
        raise UsageError(f"--unpaired-by {column!r} must have exactly two groups among the analysed patients; found {names}.")
    g = groups.astype(str).to_numpy()
    rocs = [roc_curve(st.score[present & (g == n)], st.truth[present & (g == n)]) for n in names]
    u = delong_unpaired(rocs[0], rocs[1], conf_level)
    return {"column": column, "groups": names, "n": [int(r.n_positive + r.n_negative) for r in rocs],
            "n_missing_group": int((~present).sum()), "auc1": u.auc1, "auc2": u.auc2,
            "auc_difference": u.auc_difference, "se": u.se, "statistic": u.statistic, "df": u.df, "p": u.p}


def cutoff_tables(frame: pd.DataFrame, stem: str, *, conf_level: float = 0.95, score: str = "score",
                  ge_sign: str = "\u2265", ci_note: str = "", prevalence: float | None = None) -> tuple:
    """The cutoff table split in two so that each fits a portrait page (A4 or Letter):

    * ``stem``: cutoff, TP/FP/FN/TN, sensitivity and specificity with their CIs, Youden's index (its CSV keeps
      every column of the analysis, the CIs of all measures included);
    * ``stem_predictive``: cutoff, PPV and NPV (at the target prevalence when one is given) and LR+ and LR\u2212,
      each with its CI.

    The CI level in the headers is ``conf_level``'s.
    """
    from spinestats.reports.regression_table import level_text

    lv = level_text(conf_level)
    cut = Col("cutoff", f"Cutoff ({ge_sign})", "num",
              digits=0 if all(float(c).is_integer() for c in frame["cutoff"]) else 2)

    def ci(key: str, header: str) -> Col:
        lo, hi = f"{key}_lower", f"{key}_upper"
        if lo in frame.columns and hi in frame.columns:
            return Col(key, f"{header} ({lv} CI)", "ci", lo, hi)
        return Col(key, header, "num")

    first = [cut, Col("tp", "TP", "int"), Col("fp", "FP", "int"), Col("fn", "FN", "int"), Col("tn", "TN", "int"),
             ci("sensitivity", "Sensitivity"), ci("specificity", "Specificity"), Col("youden", "Youden index", "num")]
    first = [c for c in first if c.key in frame.columns]
    at_prev = prevalence is not None and "ppv_at_prevalence" in frame.columns
    second = [cut] + ([Col("ppv_at_prevalence", "PPV", "num"), Col("npv_at_prevalence", "NPV", "num")] if at_prev
                      else [ci("ppv", "PPV"), ci("npv", "NPV")]) + [ci("lr_pos", "LR+"), ci("lr_neg", "LR\u2212")]
    second = [c for c in second if c.key in frame.columns]
    keep = [k for c in second for k in (c.key, c.lower, c.upper) if k]
    counts = "TP, FP, FN, TN: true and false positives and negatives"
    where = f"positive when score {ge_sign} cutoff"
    notes = tuple(n for n in (ci_note,) if n)
    one = Table(frame, tuple(first), f"Accuracy of {score} at each cutoff ({where}): sensitivity and specificity",
                (f"{counts}; Youden index: sensitivity + specificity \u2212 1.",) + notes, stem)
    prev = (f"PPV and NPV at a prevalence of {100 * prevalence:.10g}% (Bayes' theorem; no CI)"
            if at_prev else "PPV and NPV at the prevalence of the sample")
    two = Table(frame[list(dict.fromkeys(keep))], tuple(second),
                f"Accuracy of {score} at each cutoff ({where}): predictive values and likelihood ratios",
                (f"{prev}; LR+ and LR\u2212: positive and negative likelihood ratios (blank where undefined).",)
                + notes, f"{stem}_predictive")
    return one, two


def feature_table(frame: pd.DataFrame, stem: str, *, conf_level: float = 0.95, positive: str = "Malignant",
                  negative: str = "Benign") -> Table:
    """The per-feature table with readable headers that fits a portrait page: feature, n/N (%) with the feature
    among the malignant and the benign, Fisher's exact p and the odds ratio with its CI (the CSV keeps every
    column, the sample odds ratio included)."""
    from spinestats.reports.formatting import fmt_number
    from spinestats.reports.regression_table import level_text

    f = frame.reset_index(drop=True).copy()

    def npct(a, n, pct) -> str:
        if pd.isna(a) or pd.isna(n):
            return ""
        return f"{int(a)}/{int(n)}" + ("" if pd.isna(pct) else f" ({fmt_number(float(pct), 1)}%)")

    f["_pos"] = [npct(a, n, p) for a, n, p in zip(f["positive_with"], f["positive_n"], f["positive_pct"])]
    f["_neg"] = [npct(a, n, p) for a, n, p in zip(f["negative_with"], f["negative_n"], f["negative_pct"])]
    name = "label" if "label" in f.columns else "feature"
    # n/N (%) cells are text; kind "num" passes text through and aligns it right with the numbers
    cols = [Col(name, "Feature"), Col("_pos", f"{positive}, n/N (%)", "num"), Col("_neg", f"{negative}, n/N (%)", "num"),
            Col("p_fisher", "p", "p"),
            Col("odds_ratio", f"Odds ratio ({level_text(conf_level)} CI)", "ci", "odds_ratio_lower", "odds_ratio_upper")]
    if f["n_missing"].fillna(0).gt(0).any():
        cols.insert(3, Col("n_missing", "Missing", "int"))
    notes = ["n/N (%): patients with the feature among those with the diagnosis; p: Fisher's exact test; "
             "odds ratio: conditional maximum-likelihood estimate with its exact CI (R fisher.test)."]
    return Table(f, tuple(cols), f"DSS features: {negative.lower()} vs {positive.lower()}", tuple(notes), stem)


def run(
    data: pd.DataFrame | None = None,
    out_dir: str | Path = ".",
    *,
    table=None,
    score: str | None = None,
    truth: str = "reference",
    positive: Any = "malignant",
    cutoff: float | Sequence[float] | None = None,
    method: str = "youden",
    cost: float = 1.0,
    prevalence: float = 0.5,
    min_sensitivity: float | None = None,
    min_specificity: float | None = None,
    ci_method: str = "exact",
    conf_level: float = 0.95,
    target_prevalence: float | None = None,
    compare: str | None = None,
    compare_cutoff: float | None = None,
    mcnemar_exact: bool = False,
    unpaired_by: str | None = None,
    bootstrap: int = 0,
    seed: int = 20160501,
    workers: int = 1,
    scheduler: str | None = None,
    weights: Mapping[str, float] | None = None,
    direction: str = "higher-is-positive",
    min_per_class: int = 10,
    figure_formats: Sequence[str] | None = None,
    dpis: Sequence[int] | None = None,
    key: str = "dss",
    title: str | None = None,
    prespecified: Mapping[str, Any] | None = None,
    plan_hash: str | None = None,
    labels=None,
) -> Section:
    """Run the diagnostic analysis and write its figures and tables (options: module docstring).

    Parameters
    ----------
    data : one row per patient (canonical ``dss`` columns for the DSS); or give ``table``.
    out_dir : output folder (``figures/``, ``tables/`` are written below it).
    table : a :class:`~spinestats.data_schemas.loading.LoadedTable` (its exclusions enter ``flow``).

    Returns
    -------
    Section
    """
    if table is not None:
        df = table.data
    elif data is not None:
        df = data
    else:
        raise UsageError("the diagnostic analysis needs data (a table with one row per patient).")
    if ci_method not in ("exact", "wilson"):
        raise UsageError(f"ci_method must be 'exact' or 'wilson', got {ci_method!r}.")
    if bootstrap < 0:
        raise UsageError(f"--bootstrap must be >= 0, got {bootstrap}.")
    out_dir = Path(out_dir)
    is_dss = score is None
    work = pd.DataFrame(index=df.index)
    check_column(df, truth, "truth", flag="--truth")
    work[truth] = df[truth]
    dss = None
    if is_dss:
        dss = compute_dss(df, weights=weights)
        score_name = DSS_COLUMN
        work[score_name] = dss.score
        if cutoff is None:
            cutoff = 3.0
    else:
        check_column(df, score, "score", flag="--score")
        score_name = score
        work[score_name] = df[score]
    pre_exclusions: list[dict] = []
    if compare is not None:
        check_column(df, compare, "compare", flag="--compare")
        comp = pd.to_numeric(df[compare], errors="coerce")
        bad = comp.isna() & df[compare].notna()
        if bad.any():
            raise UsageError(f"--compare column {compare!r} must be numeric; lines {list(df.index[bad][:10])} are not.")
        miss = comp.isna()
        if miss.any():
            pre_exclusions.append({"reason": f"comparison score ({compare}) missing", "n": int(miss.sum()),
                                   "lines": [int(i) if isinstance(i, (int, np.integer)) else str(i) for i in df.index[miss]]})
            work = work.loc[~miss]
    st = prepare_score_truth(work, score=score_name, truth=truth, positive=positive, min_per_class=min_per_class)
    negatives = tuple(lab for lab in st.labels if lab != str(positive))
    neg_label = negatives[0] if len(negatives) == 1 else "negative"
    class_labels = (neg_label, str(positive))

    proc_direction = resolve_direction(st.score, st.truth, direction)
    reverse = proc_direction == ">"
    if reverse and (bootstrap or compare is not None or unpaired_by is not None):
        raise UsageError("--direction lower-is-positive cannot yet be combined with --bootstrap, --compare or "
                         "--unpaired-by; negate the score column (higher = more likely positive) for those.")
    ge = "<=" if reverse else ">="
    ge_sign = "\u2264" if reverse else "\u2265"
    roc = roc_curve(-st.score if reverse else st.score, st.truth)
    dl = delong_from_roc(roc, conf_level)
    opt = optimal_cutoff(roc, method, cost=cost, prevalence=prevalence, min_sensitivity=min_sensitivity,
                         min_specificity=min_specificity)
    all_cut = accuracy_from_roc(roc, method=ci_method, conf_level=conf_level, prevalence=target_prevalence)
    if reverse:  # analysed on -score: cutoffs back in the score's own units ("positive when score <= cutoff")
        opt = dataclasses.replace(opt, cutoff=tuple(-c for c in opt.cutoff), threshold=tuple(-t for t in opt.threshold))
        all_cut = dataclasses.replace(all_cut, table=all_cut.table.assign(cutoff=-all_cut.table["cutoff"]))
    warnings = list(st.warnings)
    low = low_auc_warning(dl.auc, proc_direction, str(positive))
    if low:
        warnings.append(low)
    if DIRECTIONS.get(direction, direction) == "auto":
        warnings.append(f"the direction was chosen from the data (pROC direction = 'auto' took '{proc_direction}'); "
                        "an AUC whose direction is chosen after seeing the data is biased upward, so prespecify "
                        "the direction in a confirmatory analysis.")

    rows_read, load_exc = _load_exclusions(table)
    flow = st.flow
    exclusions = load_exc + pre_exclusions + flow["exclusions"]
    n_read = rows_read if rows_read is not None else int(len(df))
    flow = {"n_read": n_read, "n_analysed": flow["n_analysed"],
            "n_excluded": int(sum(e["n"] for e in exclusions)), "exclusions": exclusions}
    for e in load_exc + pre_exclusions:
        warnings.append(f"{e['n']} rows excluded: {e['reason']} (lines {e['lines'][:20]}).")
    if len(opt.cutoff) > 1:
        warnings.append(f"{len(opt.cutoff)} cutoffs tie under the {method} rule: "
                        f"{', '.join(f'{ge} {c:g}' for c in opt.cutoff)}; all are reported.")

    results: dict[str, Any] = {
        "analysis": "dss" if is_dss else "accuracy",
        "score": score_name,
        "truth": truth,
        "positive": str(positive),
        "negative": neg_label,
        "n": int(st.score.size),
        "n_positive": int(st.truth.sum()),
        "n_negative": int((~st.truth).sum()),
        "auc": dl.auc,
        "auc_ci": list(dl.ci),
        "auc_se": dl.se,
        "auc_ci_method": "DeLong",
        "conf_level": conf_level,
        "ci_method": ci_method,
        "cutoff_convention": "test positive when score <= cutoff (pROC direction '>'; threshold = midpoint above the "
                             "cutoff)" if reverse else
                             "test positive when score >= cutoff (pROC threshold = midpoint below the cutoff)",
        "direction": {v: k for k, v in DIRECTIONS.items()}[proc_direction],
        "direction_proc": proc_direction,
        "direction_requested": direction,
        "cutoffs": [_cutoff_entry(r) for r in all_cut.records()],
        "optimal_cutoff": _optimal_dict(opt, {"cost": cost, "prevalence": prevalence,
                                              "min_sensitivity": min_sensitivity, "min_specificity": min_specificity}),
        "by_class": _class_summary(st.score, st.truth, class_labels),
    }
    if target_prevalence is not None:
        results["target_prevalence"] = float(target_prevalence)
    requested = None
    if cutoff is not None:
        cuts = [float(c) for c in np.atleast_1d(cutoff)]
        results["requested_cutoffs"] = _at_cutoffs(roc, [-c for c in cuts] if reverse else cuts, ci_method,
                                                   conf_level, target_prevalence)
        if reverse:
            for r in results["requested_cutoffs"]:
                r["cutoff"] = -r["cutoff"]
        requested = OptimalCutoff(method="requested", cutoff=tuple(cuts), threshold=tuple(float("nan") for _ in cuts),
                                  sensitivity=tuple(r["sensitivity"] for r in results["requested_cutoffs"]),
                                  specificity=tuple(r["specificity"] for r in results["requested_cutoffs"]),
                                  criterion=float("nan"), r=1.0)
    tables: list[Path] = []
    tdir = out_dir / "tables"
    t_formats = ("csv",)  # the plan runner writes the manuscript formats from these
    ci_name = "exact Clopper\u2013Pearson" if ci_method == "exact" else "Wilson"
    ci_note = (f"CIs: {ci_name} for proportions, "
               "log method for likelihood ratios, Woolf for the diagnostic odds ratio.")
    from spinestats.data_schemas.labels import as_labels

    score_label = as_labels(labels, ["dss"], strict=False).name(score_name)  # "DSS", "SINS total", "My score"
    for t in cutoff_tables(all_cut.to_frame(), f"{key}_cutoffs", conf_level=conf_level, score=score_label,
                           ge_sign=ge_sign, ci_note=ci_note, prevalence=target_prevalence):
        tables += write_table(t, tdir, t.stem, t_formats)
    if is_dss:
        feats = compare_features(dss.features.loc[st.index], st.truth, labels=FEATURE_LABELS, conf_level=conf_level)
        results["dss_weights"] = dict(dss.weights)
        results["features"] = to_jsonable(feats.table)
        results["features_odds_ratio"] = feats.odds_ratio_kind
        tables += write_table(feature_table(feats.to_frame(), f"{key}_features", conf_level=conf_level), tdir,
                              f"{key}_features", t_formats)

    band = None
    boot = None
    if bootstrap:
        boot = bootstrap_cutoff(st.score, st.truth, B=bootstrap, seed=seed, method=method, cost=cost,
                                prevalence=prevalence, min_sensitivity=min_sensitivity,
                                min_specificity=min_specificity, oob=True, workers=workers, scheduler=scheduler)
        band = bootstrap_auc_from_counts(roc.levels, roc.n_pos.astype(int), roc.n_neg.astype(int), B=bootstrap,
                                         seed=seed, conf_level=conf_level, workers=workers, scheduler=scheduler)
        results["bootstrap"] = {"cutoff_validation": boot.summary(), "auc": band.summary()}
        if boot.n_oob_undefined:
            warnings.append(f"{boot.n_oob_undefined} of {bootstrap} bootstrap replicates had no out-of-bag patient "
                            "of one class; their out-of-bag accuracy is left out of the means.")
        tables += write_table(pd.DataFrame(results["bootstrap"]["cutoff_validation"]["cutoff_distribution"]), tdir,
                              f"{key}_bootstrap_cutoffs", t_formats,
                              title=f"Cutoff selected in {bootstrap} stratified bootstrap resamples")

    methods = []
    if compare is not None:
        comp_scores = pd.to_numeric(df.loc[st.index, compare], errors="coerce").to_numpy(dtype=float)
        c1 = float(np.atleast_1d(cutoff)[0]) if cutoff is not None else float(opt.cutoff[0])
        c2 = compare_cutoff
        if c2 is None:
            c2 = optimal_cutoff(roc_curve(comp_scores, st.truth), method, cost=cost, prevalence=prevalence,
                                min_sensitivity=min_sensitivity, min_specificity=min_specificity).cutoff[0]
        cmp = compare_scores(st.score, comp_scores, st.truth, cutoff1=c1, cutoff2=float(c2), exact=mcnemar_exact,
                             conf_level=conf_level)
        d = cmp.delong
        results["delong_paired"] = {"score1": score_name, "score2": compare, "auc1": d.auc1, "auc2": d.auc2,
                                    "auc_difference": d.auc_difference, "se": d.se, "z": d.z, "p": d.p,
                                    "ci": list(d.ci)}
        results["mcnemar"] = {
            "cutoff1": cmp.cutoff1, "cutoff2": cmp.cutoff2,
            "sensitivity1": cmp.sensitivity1, "sensitivity2": cmp.sensitivity2,
            "specificity1": cmp.specificity1, "specificity2": cmp.specificity2,
            "sensitivity_test": cmp.mcnemar_sensitivity.to_dict(),
            "specificity_test": cmp.mcnemar_specificity.to_dict(),
            "continuity_correction": True, "exact": bool(mcnemar_exact),
        }
        methods.append(
            f"The AUCs of {score_name} and {compare} were compared with DeLong's paired test, and their sensitivity "
            f"and specificity at fixed cutoffs with McNemar's test ({'exact binomial' if mcnemar_exact else 'with continuity correction, as R mcnemar.test'})."
        )

    if unpaired_by is not None:
        results["delong_unpaired"] = _unpaired(df, st, unpaired_by, conf_level)
        methods.append(f"The AUCs of the two {unpaired_by} groups were compared with DeLong's unpaired test, as pROC "
                       "roc.test(paired = FALSE).")

    fig_formats = tuple(figure_formats) if figure_formats else DEFAULT_FIGURE_FORMATS
    fig_dpis = tuple(dpis) if dpis else DEFAULT_DPIS
    fdir = out_dir / "figures"
    figures: list[Path] = []
    fig, _ = roc_figure(roc, band=band, optimal=requested or opt, delong=dl, at_most=reverse)
    figures += save_figure(fig, fdir, f"{key}_roc", fig_formats, fig_dpis)
    from spinestats.data_schemas.labels import as_labels

    shown_labels = as_labels(labels, ["dss"], strict=False)
    shown = roc_curve(st.score, st.truth) if reverse else roc  # the distribution in the score's own units
    fig, _ = score_distribution_figure(shown, labels=tuple(shown_labels.value(truth, c) for c in class_labels),
                                       cutoff=(requested or opt).cutoff[0] if np.isfinite((requested or opt).cutoff[0]) else None,
                                       at_most=reverse, legend_title=shown_labels.name(truth),
                                       score_label="DSS score" if is_dss else shown_labels.variable(score_name))
    figures += save_figure(fig, fdir, f"{key}_score_distribution", fig_formats, fig_dpis)
    if boot is not None:
        fig, _ = cutoff_stability_figure(boot)
        figures += save_figure(fig, fdir, f"{key}_cutoff_stability", fig_formats, fig_dpis)

    # the success criteria of a locked plan: exact one-sided binomial tests at its cutoff (one centre);
    # without a prespecified block the multicentre module (and the pooling it imports) is not loaded
    endpoint = None
    if prespecified:
        from spinestats.reports.multicenter_job import primary_methods, single_centre_endpoint, write_primary_table

        endpoint, decision, endpoint_warnings, prespec = single_centre_endpoint(prespecified, score_name, st.score,
                                                                                st.truth)
        warnings.extend(endpoint_warnings)
        if endpoint is not None:
            results["primary_endpoint"], results["primary_endpoint_decision"] = endpoint, decision
            results["plan_hash"] = plan_hash
            tables += [out_dir / p for p in write_primary_table(results, out_dir, f"{key}_")]

    figures += _flow_diagram(flow, results, (requested or opt).cutoff[0], is_dss, fdir, key, fig_formats, fig_dpis,
                             score_label=None if is_dss else shown_labels.variable(score_name))
    results["flow"] = flow
    results["warnings"] = warnings
    pct = 100 * conf_level
    score_desc = ("The Dumbbell Scoring System (DSS) was computed from the imaging features with the published weights "
                  "(size >= 5 cm 2, indistinct boundary 2, irregular lobulated shape 1, osteolytic bone destruction 1) "
                  "[Matsumoto 2016]. Each feature was compared between benign and malignant tumours with Fisher's exact "
                  "test (conditional maximum-likelihood odds ratio with exact CI, as R fisher.test). "
                  if is_dss else "")
    methods.insert(0, (
        f"{score_desc}Diagnostic accuracy of {score_name} against {truth} ({positive} = positive) was summarised by the "
        f"empirical ROC curve and its AUC with a {pct:.0f}% DeLong CI computed with the fast algorithm of Sun and Xu "
        f"[DeLong 1988; Sun 2014], as pROC"
        + (" with direction = '>' (lower scores indicate the positive class)" if reverse else "")
        + f". At each cutoff (positive when the score is at or {'below' if reverse else 'above'} it), sensitivity, "
        f"specificity, PPV and NPV are given with {'exact Clopper-Pearson' if ci_method == 'exact' else 'Wilson score'} "
        f"CIs, and likelihood ratios with log-method CIs, as epiR epi.tests. The optimal cutoff was chosen by the "
        f"{method.replace('_', ' ')} criterion (all tied cutoffs reported)."
    ))
    if endpoint is not None:
        methods[0:0] = primary_methods(prespec, plan_hash, pooled=False)
    if bootstrap:
        methods.append(
            f"Cutoff stability and optimism were assessed with {bootstrap} stratified bootstrap resamples (seed {seed}): "
            "the cutoff was re-selected in each resample, with in-bag and out-of-bag sensitivity and specificity, "
            "and Youden's J was corrected for optimism by Harrell's method; the bootstrap percentile CI of the AUC "
            "and a pointwise band of sensitivity at fixed specificities are also given."
        )
    rel = tuple(p.relative_to(out_dir) for p in figures)
    return Section(
        key=key,
        title=title or ("Dumbbell Scoring System: diagnostic accuracy" if is_dss else f"Diagnostic accuracy of {score_name}"),
        results=to_jsonable(results),
        figures=rel,
        tables=tuple(p.relative_to(out_dir) for p in tables),
        warnings=tuple(warnings),
        methods=tuple(methods),
        references=REFERENCES,
    )

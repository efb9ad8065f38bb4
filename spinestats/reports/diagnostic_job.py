"""Diagnostic-score job: DSS (or any score) accuracy, ROC/DeLong, cutoffs, bootstrap, comparison.

:func:`analyse` is called by ``spinestats dss``, ``spinestats accuracy`` and the
plan runner (analysis types ``dss`` and ``accuracy``, which differ only in
their default key), so the numbers are always the same; :func:`run` is the
same job by keyword.  It writes figures to ``figures/`` and tables to
``tables/`` under the context's ``out_dir`` and returns a
:class:`~spinestats.reports.section.Section` whose ``results`` is exactly what
the commands write as ``results.json`` (schema:
``data_schemas/results/diagnostic.schema.json``), built from the results'
``to_dict()``.  The options are :class:`DiagnosticOptions`; the bootstrap
seed is the context's (default 20160501).

Messages name the options as the Python API spells them (``unpaired_by=``);
the commands map them to their flags (``--unpaired-by``).

The steps: :func:`prepare` (columns, DSS, patients analysed and excluded),
:func:`compute` (the statistics, all in :mod:`spinestats.analysis.diagnostic`),
:func:`results_of`, :func:`write_tables`, :func:`draw_figures` and
:func:`methods_of`.  Tables are written as CSV (formula-safe); the plan runner
and the commands add the other formats.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from spinestats.analysis.core.params import check_column
from spinestats.analysis.core.result import to_jsonable
from spinestats.analysis.core.score_input import prepare_score_truth
from spinestats.analysis.diagnostic.auc_bootstrap import AucBootstrapResult, bootstrap_auc_from_counts
from spinestats.analysis.diagnostic.cutoff import optimal_cutoff
from spinestats.analysis.diagnostic.cutoff_bootstrap import CutoffBootstrapResult, bootstrap_cutoff
from spinestats.analysis.diagnostic.delong import delong_unpaired
from spinestats.analysis.diagnostic.feature_comparison import FeatureComparisonResult, compare_features
from spinestats.analysis.diagnostic.roc import roc_curve
from spinestats.analysis.diagnostic.score_accuracy import ScoreAccuracyResult, score_accuracy
from spinestats.analysis.scores.dss_score import FEATURE_LABELS, DssScoreResult, compute_dss
from spinestats.errors import UsageError
from spinestats.reports.job import JobContext, JobInput, JobOptions, run_by_keywords
from spinestats.reports.section import Section
from spinestats.reports.tables import Col, Table, write_table
from spinestats.text_numbers import to_numeric

DSS_COLUMN = "DSS"
DEFAULT_SEED = 20160501
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


@dataclasses.dataclass(frozen=True)
class DiagnosticOptions(JobOptions):
    """Options of the diagnostic job (plan types ``dss`` and ``accuracy``; ``spinestats dss``/``accuracy``).

    Attributes
    ----------
    score : column of the score; ``None`` (the ``dss`` analysis) computes the DSS
        from the features (``size_cm``, ``boundary``, ``lobulated``, ``bone_destruction``).
    truth, positive : reference-standard column and its positive label.
    cutoff : cutoff(s) reported in detail ("positive when score >= cutoff");
        default 3 for the DSS, none for other scores.
    method : cutoff rule: ``youden``, ``closest_topleft``, ``min_sensitivity`` or ``min_specificity``.
    cost, prevalence : pROC's ``best.weights`` (relative cost of a false negative, prevalence).
    min_sensitivity, min_specificity : the constraint of the ``min_*`` rules.
    ci_method : ``exact`` (Clopper-Pearson) or ``wilson`` CIs of proportions.
    conf_level : level of every CI (figures, tables and methods say it).
    target_prevalence : prevalence for PPV/NPV in a target population.
    compare, compare_cutoff : a second score column on the same patients (paired
        DeLong; McNemar at ``cutoff`` vs ``compare_cutoff``, default the second
        score's optimal cutoff); ``mcnemar_exact`` for exact McNemar p-values.
    unpaired_by : a column with exactly two groups (e.g. ``centre``) whose AUCs are
        compared with the unpaired DeLong test (pROC's D).
    bootstrap : stratified bootstrap replicates (0 = none): cutoff stability,
        in-/out-of-bag accuracy, Harrell optimism, bootstrap AUC CI and the ROC band.
    weights : DSS feature weights for a variant score (default Table 2).
    direction : ``higher-is-positive`` (pROC ``"<"``), ``lower-is-positive``
        (``">"``: positive when score <= cutoff; not combined with ``bootstrap``,
        ``compare`` or ``unpaired_by``) or ``auto`` (pROC's median rule).
    min_per_class : fewer patients than this in a class gives a warning.
    """

    score: str | None = None
    truth: str = "reference"
    positive: Any = "malignant"
    cutoff: float | tuple[float, ...] | None = None
    method: str = "youden"
    cost: float = 1.0
    prevalence: float = 0.5
    min_sensitivity: float | None = None
    min_specificity: float | None = None
    ci_method: Literal["exact", "wilson"] = "exact"
    conf_level: float = 0.95
    target_prevalence: float | None = None
    compare: str | None = None
    compare_cutoff: float | None = None
    mcnemar_exact: bool = False
    unpaired_by: str | None = None
    bootstrap: int = 0
    weights: Mapping[str, Any] | None = None
    direction: str = "higher-is-positive"
    min_per_class: int = 10


OPTIONS = DiagnosticOptions


@dataclasses.dataclass(frozen=True)
class Prepared:
    """The patients analysed: score and reference per patient, the comparison column, the flow."""

    frame: pd.DataFrame
    st: Any  # spinestats.analysis.core.score_input.ScoreTruth
    score_name: str
    dss: DssScoreResult | None
    class_labels: tuple[str, str]
    flow: dict
    exclusion_warnings: tuple[str, ...]

    @property
    def is_dss(self) -> bool:
        return self.dss is not None


@dataclasses.dataclass(frozen=True)
class Computed:
    """The statistics of one run (result objects; nothing formatted)."""

    accuracy: ScoreAccuracyResult
    features: FeatureComparisonResult | None = None
    cutoff_bootstrap: CutoffBootstrapResult | None = None
    auc_bootstrap: AucBootstrapResult | None = None
    comparison: Any = None  # ScoreComparisonResult
    unpaired: dict | None = None


def _load_exclusions(table) -> tuple[int | None, list[dict]]:
    if table is None:
        return None, []
    groups: dict[str, list] = {}
    for e in table.exclusions:
        groups.setdefault(e.reason, []).append(e.line)
    rows_read = int(table.provenance.rows_read) if getattr(table, "provenance", None) is not None else None
    return rows_read, [{"reason": r, "n": len(lines), "lines": lines} for r, lines in groups.items()]


def prepare(inputs: JobInput, o: DiagnosticOptions) -> Prepared:
    """The analysed patients: the score (the DSS computed when ``score`` is None), the reference standard,
    rows without a comparison score excluded, and the flow from rows read to patients analysed."""
    if inputs.data is None:
        raise UsageError("the diagnostic analysis needs data (a table with one row per patient).")
    df = inputs.frame
    if o.bootstrap < 0:
        raise UsageError(f"bootstrap= must be >= 0, got {o.bootstrap}.")
    work = pd.DataFrame(index=df.index)
    check_column(df, o.truth, "truth")
    work[o.truth] = df[o.truth]
    dss = None
    if o.score is None:
        dss = compute_dss(df, weights=o.weights)
        score_name = DSS_COLUMN
        work[score_name] = dss.score
    else:
        check_column(df, o.score, "score")
        score_name = o.score
        work[score_name] = df[o.score]
    pre: list[dict] = []
    if o.compare is not None:
        check_column(df, o.compare, "compare")
        comp = to_numeric(df[o.compare], errors="coerce")
        bad = comp.isna() & df[o.compare].notna()
        if bad.any():
            raise UsageError(f"compare= column {o.compare!r} must be numeric; lines "
                             f"{list(df.index[bad][:10])} are not.")
        if comp.isna().any():
            miss = comp.isna()
            pre.append({"reason": f"comparison score ({o.compare}) missing", "n": int(miss.sum()),
                        "lines": [int(i) if isinstance(i, (int, np.integer)) else str(i) for i in df.index[miss]]})
            work = work.loc[~miss]
    st = prepare_score_truth(work, score=score_name, truth=o.truth, positive=o.positive,
                             min_per_class=o.min_per_class)
    negatives = tuple(lab for lab in st.labels if lab != str(o.positive))
    rows_read, load_exc = _load_exclusions(inputs.table)
    exclusions = load_exc + pre + st.flow["exclusions"]
    flow = {"n_read": rows_read if rows_read is not None else int(len(df)), "n_analysed": st.flow["n_analysed"],
            "n_excluded": int(sum(e["n"] for e in exclusions)), "exclusions": exclusions}
    said = tuple(f"{e['n']} rows excluded: {e['reason']} (lines {e['lines'][:20]})." for e in load_exc + pre)
    return Prepared(df, st, score_name, dss, (negatives[0] if len(negatives) == 1 else "negative", str(o.positive)),
                    flow, said)


def _unpaired(p: Prepared, column: str, conf_level: float) -> dict:
    """Unpaired DeLong test of the AUCs of the two groups in ``column`` (group sizes and missing first)."""
    check_column(p.frame, column, "unpaired_by")
    groups = p.frame.loc[p.st.index, column]
    present = groups.notna().to_numpy()
    names = sorted(map(str, groups[present].unique()))
    if len(names) != 2:
        raise UsageError(f"unpaired_by= column {column!r} must have exactly two groups among the analysed "
                         f"patients; found {names}.")
    g = groups.astype(str).to_numpy()
    rocs = [roc_curve(p.st.score[present & (g == n)], p.st.truth[present & (g == n)]) for n in names]
    return {"column": column, "groups": names, "n": [int(r.n_positive + r.n_negative) for r in rocs],
            "n_missing_group": int((~present).sum()), **delong_unpaired(rocs[0], rocs[1], conf_level).to_dict()}


def _comparison(p: Prepared, o: DiagnosticOptions, acc: ScoreAccuracyResult):
    """Paired DeLong and McNemar of the score against ``compare`` (imported only when asked for)."""
    from spinestats.analysis.diagnostic.score_comparison import compare_scores

    other = to_numeric(p.frame.loc[p.st.index, o.compare], errors="coerce").to_numpy(dtype=float)
    c1 = float(np.atleast_1d(o.cutoff)[0]) if o.cutoff is not None else float(acc.optimal.cutoff[0])
    c2 = o.compare_cutoff
    if c2 is None:
        c2 = optimal_cutoff(roc_curve(other, p.st.truth), o.method, cost=o.cost, prevalence=o.prevalence,
                            min_sensitivity=o.min_sensitivity, min_specificity=o.min_specificity).cutoff[0]
    return compare_scores(p.st.score, other, p.st.truth, cutoff1=c1, cutoff2=float(c2), exact=o.mcnemar_exact,
                          conf_level=o.conf_level)


def compute(p: Prepared, o: DiagnosticOptions, context: JobContext) -> Computed:
    """Every statistic of the run, from :mod:`spinestats.analysis.diagnostic` (one ROC curve, built once)."""
    cutoffs = o.cutoff if o.cutoff is not None else (3.0 if p.is_dss else None)
    acc = score_accuracy(p.st.score, p.st.truth, labels=p.class_labels, direction=o.direction, method=o.method,
                         cost=o.cost, prevalence=o.prevalence, min_sensitivity=o.min_sensitivity,
                         min_specificity=o.min_specificity, ci_method=o.ci_method, conf_level=o.conf_level,
                         target_prevalence=o.target_prevalence, cutoffs=cutoffs)
    if acc.at_most and (o.bootstrap or o.compare is not None or o.unpaired_by is not None):
        raise UsageError("direction= lower-is-positive cannot yet be combined with bootstrap=, compare= or "
                         "unpaired_by=; negate the score column (higher = more likely positive) for those.")
    out = Computed(acc)
    if p.dss is not None:
        out = dataclasses.replace(out, features=compare_features(p.dss.features.loc[p.st.index], p.st.truth,
                                                                 labels=FEATURE_LABELS, conf_level=o.conf_level))
    if o.bootstrap:
        seed, roc = context.seed_or(DEFAULT_SEED), acc.roc
        rule = dict(method=o.method, cost=o.cost, prevalence=o.prevalence, min_sensitivity=o.min_sensitivity,
                    min_specificity=o.min_specificity)
        out = dataclasses.replace(
            out, cutoff_bootstrap=bootstrap_cutoff(p.st.score, p.st.truth, B=o.bootstrap, seed=seed, oob=True,
                                                   workers=context.workers, scheduler=context.scheduler, **rule),
            auc_bootstrap=bootstrap_auc_from_counts(roc.levels, roc.n_pos.astype(int), roc.n_neg.astype(int),
                                                    B=o.bootstrap, seed=seed, conf_level=o.conf_level,
                                                    workers=context.workers, scheduler=context.scheduler))
    if o.compare is not None:
        out = dataclasses.replace(out, comparison=_comparison(p, o, acc))
    if o.unpaired_by is not None:
        out = dataclasses.replace(out, unpaired=_unpaired(p, o.unpaired_by, o.conf_level))
    return out


def results_of(p: Prepared, c: Computed, o: DiagnosticOptions) -> dict[str, Any]:
    """The section's results.json: the results' ``to_dict()`` under their published keys, plus names and flow."""
    r: dict[str, Any] = {"analysis": "dss" if p.is_dss else "accuracy", "score": p.score_name, "truth": o.truth,
                         "positive": str(o.positive), "negative": p.class_labels[0], **c.accuracy.to_dict()}
    if c.features is not None and p.dss is not None:
        f = c.features.to_dict()
        r.update(dss_weights=dict(p.dss.weights), features=f["features"], features_odds_ratio=f["odds_ratio_kind"])
    if c.cutoff_bootstrap is not None and c.auc_bootstrap is not None:
        r["bootstrap"] = {"cutoff_validation": c.cutoff_bootstrap.summary(), "auc": c.auc_bootstrap.summary()}
    if c.comparison is not None:
        cmp = c.comparison.to_dict()
        r["delong_paired"] = {"score1": p.score_name, "score2": o.compare, **cmp.pop("delong")}
        r["mcnemar"] = cmp
    if c.unpaired is not None:
        r["delong_unpaired"] = c.unpaired
    return r


def warnings_of(p: Prepared, c: Computed, o: DiagnosticOptions) -> list[str]:
    """The section's warnings: small classes, direction, exclusions, ties, bootstrap replicates left out."""
    said = list(p.st.warnings) + list(c.accuracy.warnings) + list(p.exclusion_warnings)
    boot = c.cutoff_bootstrap
    if boot is not None and boot.n_oob_undefined:
        said.append(f"{boot.n_oob_undefined} of {o.bootstrap} bootstrap replicates had no out-of-bag patient "
                    "of one class; their out-of-bag accuracy is left out of the means.")
    return said


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


def write_tables(p: Prepared, c: Computed, o: DiagnosticOptions, out_dir: Path, key: str, labels: Any,
                 results: Mapping[str, Any]) -> list[Path]:
    """The cutoff tables (two portrait pages), the DSS feature table and the bootstrap cutoffs, as CSV."""
    from spinestats.data_schemas.labels import as_labels

    tdir, formats = out_dir / "tables", ("csv",)  # the plan runner and the commands write the other formats
    ci_name = "exact Clopper\u2013Pearson" if o.ci_method == "exact" else "Wilson"
    ci_note = f"CIs: {ci_name} for proportions, log method for likelihood ratios, Woolf for the diagnostic odds ratio."
    score_label = as_labels(labels, ["dss"], strict=False).name(p.score_name)  # "DSS", "SINS total", "My score"
    tables: list[Path] = []
    for t in cutoff_tables(c.accuracy.cutoffs.to_frame(), f"{key}_cutoffs", conf_level=o.conf_level,
                           score=score_label, ge_sign="\u2264" if c.accuracy.at_most else "\u2265", ci_note=ci_note,
                           prevalence=o.target_prevalence):
        tables += write_table(t, tdir, t.stem, formats)
    if c.features is not None:
        tables += write_table(feature_table(c.features.to_frame(), f"{key}_features", conf_level=o.conf_level),
                              tdir, f"{key}_features", formats)
    if "bootstrap" in results:
        tables += write_table(pd.DataFrame(results["bootstrap"]["cutoff_validation"]["cutoff_distribution"]), tdir,
                              f"{key}_bootstrap_cutoffs", formats,
                              title=f"Cutoff selected in {o.bootstrap} stratified bootstrap resamples")
    return tables


def _figure_settings(context: JobContext) -> tuple[tuple[str, ...], tuple[int, ...]]:
    from spinestats.reports.figure_style import DEFAULT_DPIS

    return (tuple(context.figure_formats) if context.figure_formats else DEFAULT_FIGURE_FORMATS,
            tuple(context.dpis) if context.dpis else DEFAULT_DPIS)


def draw_figures(p: Prepared, c: Computed, o: DiagnosticOptions, context: JobContext, key: str) -> list[Path]:
    """The ROC curve (with the bootstrap band), the score distribution and the cutoff stability."""
    from spinestats.data_schemas.labels import as_labels
    from spinestats.reports.diagnostic_figures import cutoff_stability_figure, roc_figure, score_distribution_figure
    from spinestats.reports.figure_style import save_figure

    acc, (formats, dpis), fdir = c.accuracy, _figure_settings(context), context.out_dir / "figures"
    shown = as_labels(context.labels, ["dss"], strict=False)
    marked = acc.marked()
    fig, _ = roc_figure(acc.roc, band=c.auc_bootstrap, optimal=marked, delong=acc.auc, at_most=acc.at_most)
    figures = save_figure(fig, fdir, f"{key}_roc", formats, dpis)
    first = marked.cutoff[0]
    fig, _ = score_distribution_figure(acc.distribution, labels=tuple(shown.value(o.truth, k) for k in p.class_labels),
                                       cutoff=first if np.isfinite(first) else None, at_most=acc.at_most,
                                       legend_title=shown.name(o.truth),
                                       score_label="DSS score" if p.is_dss else shown.variable(p.score_name))
    figures += save_figure(fig, fdir, f"{key}_score_distribution", formats, dpis)
    if c.cutoff_bootstrap is not None:
        fig, _ = cutoff_stability_figure(c.cutoff_bootstrap)
        figures += save_figure(fig, fdir, f"{key}_cutoff_stability", formats, dpis)
    return figures


def flow_diagram(p: Prepared, results: Mapping[str, Any], cutoff: float, context: JobContext, key: str) -> list[Path]:
    """The STARD flow diagram of this run: reads, exclusions with reasons, and the 2x2 cells at ``cutoff``
    (test positive at or above it, or at or below it for a lower-is-positive score)."""
    from spinestats.data_schemas.labels import as_labels
    from spinestats.reports.figure_style import save_figure
    from spinestats.reports.flow_diagram import flow_figure, schema_column_labels

    drawn = dict(p.flow)
    cells = next((r for r in results.get("requested_cutoffs", []) + results.get("cutoffs", [])
                  if np.isfinite(cutoff) and np.isclose(r["cutoff"], cutoff)), None)
    if cells is not None:
        score = str(results["score"]) if p.is_dss else as_labels(context.labels, ["dss"], strict=False).variable(p.score_name)
        pos, neg = str(results["positive"]), str(results.get("negative") or f"not {results['positive']}")
        pos_sign, neg_sign = ("\u2264", ">") if results.get("direction_proc") == ">" else ("\u2265", "<")
        drawn["index_test"] = {"name": score, "positive": f"{score} {pos_sign} {cutoff:g}",
                               "negative": f"{score} {neg_sign} {cutoff:g}",
                               "reference_positive": pos[:1].upper() + pos[1:], "reference_negative": neg[:1].upper() + neg[1:],
                               **{k: int(cells[k]) for k in ("tp", "fp", "fn", "tn")}}
    fig, _ = flow_figure(drawn, column_labels=schema_column_labels("dss") if p.is_dss else {})
    return save_figure(fig, context.out_dir / "figures", f"{key}_flow_diagram", *_figure_settings(context))


def primary_endpoint(p: Prepared, context: JobContext, key: str) -> tuple[dict, list[Path], list[str], tuple[str, ...]]:
    """The success criteria of a locked plan: exact one-sided binomial tests at its cutoff (one centre).

    Returns the results keys, the tables, the warnings and the methods sentences.  Without a
    prespecified block the multicentre module (and the pooling it imports) is not loaded.
    """
    if not context.prespecified:
        return {}, [], [], ()
    from spinestats.reports.multicenter_job import primary_methods, single_centre_endpoint, write_primary_table

    endpoint, decision, said, prespec = single_centre_endpoint(context.prespecified, p.score_name, p.st.score,
                                                               p.st.truth)
    if endpoint is None:
        return {}, [], list(said), ()
    keys = {"primary_endpoint": endpoint, "primary_endpoint_decision": decision, "plan_hash": context.plan_hash}
    tables = [context.out_dir / q for q in write_primary_table(keys, context.out_dir, f"{key}_")]
    return keys, tables, list(said), primary_methods(prespec, context.plan_hash, pooled=False)


def methods_of(p: Prepared, c: Computed, o: DiagnosticOptions, context: JobContext) -> list[str]:
    """The methods sentences: the score, ROC/DeLong at ``conf_level``, the cutoffs, comparison and bootstrap."""
    from spinestats.reports.regression_table import level_text

    at_most = c.accuracy.at_most
    score_desc = ("The Dumbbell Scoring System (DSS) was computed from the imaging features with the published weights "
                  "(size >= 5 cm, 2 points; indistinct boundary, 2; irregular lobulated shape, 1; osteolytic bone destruction, 1) "
                  "[Matsumoto 2016]. Each feature was compared between benign and malignant tumours with Fisher's exact "
                  "test (conditional maximum-likelihood odds ratio with exact CI, as R fisher.test). "
                  if p.is_dss else "")
    said = [
        f"{score_desc}Diagnostic accuracy of {p.score_name} against {o.truth} ({o.positive} = positive) was summarised "
        f"by the empirical ROC curve and its AUC with a {level_text(o.conf_level)} DeLong CI computed with the fast "
        f"algorithm of Sun and Xu [DeLong 1988; Sun 2014], as pROC"
        + (" with direction = '>' (lower scores indicate the positive class)" if at_most else "")
        + f". At each cutoff (positive when the score is at or {'below' if at_most else 'above'} it), sensitivity, "
        f"specificity, PPV and NPV are given with {'exact Clopper-Pearson' if o.ci_method == 'exact' else 'Wilson score'} "
        f"CIs, and likelihood ratios with log-method CIs, as epiR epi.tests. The optimal cutoff was chosen by the "
        f"{o.method.replace('_', ' ')} criterion (all tied cutoffs reported)."
    ]
    if o.compare is not None:
        said.append(
            f"The AUCs of {p.score_name} and {o.compare} were compared with DeLong's paired test, and their sensitivity "
            f"and specificity at fixed cutoffs with McNemar's test "
            f"({'exact binomial' if o.mcnemar_exact else 'with continuity correction, as R mcnemar.test'}).")
    if o.unpaired_by is not None:
        said.append(f"The AUCs of the two {o.unpaired_by} groups were compared with DeLong's unpaired test, as pROC "
                    "roc.test(paired = FALSE).")
    if o.bootstrap:
        said.append(
            f"Cutoff stability and optimism were assessed with {o.bootstrap} stratified bootstrap resamples "
            f"(seed {context.seed_or(DEFAULT_SEED)}): the cutoff was re-selected in each resample, with in-bag and "
            "out-of-bag sensitivity and specificity, and Youden's J was corrected for optimism by Harrell's method; "
            "the bootstrap percentile CI of the AUC and a pointwise band of sensitivity at fixed specificities are "
            "also given.")
    return said


def analyse(inputs: JobInput, options: DiagnosticOptions, context: JobContext) -> Section:
    """Run the diagnostic analysis and write its figures and tables; a Section whose ``results`` is results.json's."""
    key = context.key or "dss"
    p = prepare(inputs, options)
    c = compute(p, options, context)
    results = results_of(p, c, options)
    warnings = warnings_of(p, c, options)
    tables = write_tables(p, c, options, context.out_dir, key, context.labels, results)
    figures = draw_figures(p, c, options, context, key)
    endpoint, endpoint_tables, endpoint_warnings, endpoint_methods = primary_endpoint(p, context, key)
    results.update(endpoint)
    tables += endpoint_tables
    warnings += endpoint_warnings
    figures += flow_diagram(p, results, c.accuracy.marked().cutoff[0], context, key)
    results.update(flow=p.flow, warnings=warnings)
    title = context.title or ("Dumbbell Scoring System: diagnostic accuracy" if p.is_dss
                              else f"Diagnostic accuracy of {p.score_name}")
    return Section(key=key, title=title, results=to_jsonable(results),
                   figures=tuple(f.relative_to(context.out_dir) for f in figures),
                   tables=tuple(t.relative_to(context.out_dir) for t in tables), warnings=tuple(warnings),
                   methods=endpoint_methods + tuple(methods_of(p, c, options, context)), references=REFERENCES)


def run(data: pd.DataFrame | None = None, out_dir: str | Path = ".", **keywords: Any) -> Section:
    """The diagnostic job by keyword: the options of :class:`DiagnosticOptions` and the settings of
    :class:`~spinestats.reports.job.JobContext` (``table`` for a LoadedTable with its exclusion log, ``seed``,
    ``workers``, ``figure_formats``, ``dpis``, ``key``, ``title``, ``labels``, ``prespecified``, ...).

    Examples
    --------
    >>> import tempfile
    >>> from spinestats.data_schemas.examples import cohort_dss
    >>> sec = run(cohort_dss.make(), tempfile.mkdtemp(), figure_formats=["svg"])
    >>> sec.results["n"], round(sec.results["auc"], 3)
    (59, 0.949)
    """
    return run_by_keywords(analyse, DiagnosticOptions, data=data, out_dir=out_dir, where="diagnostic", **keywords)

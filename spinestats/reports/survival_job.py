"""Survival and local control: the analysis job behind ``spinestats survival``.

:func:`run` returns a :class:`~spinestats.reports.section.Section` whose
``results`` is exactly the command's ``results.json``; the ``survival``
command and the plan runner (``spinestats run`` / ``demo``) both call it.

Two modes
---------
*Column mode* (``time`` and ``event`` given): any table with a follow-up
time and an event code.  ``event_codes`` declares the codes, e.g.
``{"EVENT": [1], "COMPETING": [2], "CENSOR": [0]}``; other codes are refused.
Without competing codes every non-censor code is the event.

*Schema mode* (a ``cirt`` table, no ``time``/``event``): the endpoints are
derived from the dates (:mod:`spinestats.analysis.survival.endpoints`): overall
survival (``os``), local control (``lc``), distant-metastasis-free (``dmfs``)
and progression-free survival (``pfs``).  Local control is reported in both
conventions: Kaplan-Meier with death without recurrence censored (the
``km``/``rates``/``median`` of the ``lc`` block, as the CIRT papers report
it) and cumulative incidence of recurrence with death as a competing event
(``cif``/``gray``/``finegray`` of the same block).  Each figure says which.

Options
-------
time, event : columns (column mode).
event_codes : dict ``EVENT``/``COMPETING``/``CENSOR`` -> list of codes
    (default: censor 0, every other code an event).
group : grouping column (KM per group, log-rank, Gray's test).  In schema
    mode also the derived ``dose_group`` (ordered: <60, 60-<64, 64-<70,
    >=70 GyE), ``cord_over_limit`` (cord max >= 50 GyE) and
    ``target_under_60``; a categorical column keeps its category order (as
    an R factor), which is the order of the trend test.
strata : stratification column for the log-rank test and Cox model.
covariates : Cox (and, with competing events, Fine-Gray) covariates.
cluster : column of clusters (e.g. centre) for robust Cox SEs.
times : times for the rates (default 24 and 60 in months; given in ``unit``).
unit : "months" (default), "days" or "years" (schema mode: converts the
    dates; column mode: the unit of the time column, for labels only).
conf_type : "log" (default, as R), "log-log" or "plain".
ties : "efron" (default) or "breslow".
rho, gamma : Fleming-Harrington weights of the log-rank test (0, 0 = log-rank).
trend : add the trend test over the ordered groups.
entry : delayed-entry (left-truncation) column, column mode only: subjects
    are at risk after it (``Surv(entry, time, event)``) in the Kaplan-Meier
    curves, rates, medians and the reverse Kaplan-Meier follow-up.  Not with
    covariates or competing codes; the log-rank test is left out (warning).
zph_transform : time transform of the proportional-hazards test, as
    ``cox.zph(fit, transform = ...)``: "km" (default), "rank", "identity"
    or "log".  With ``cluster`` the Cox tests add ``robust_score`` (R's
    ``fit$rscore``).
endpoint : "all" (default) or one of os, lc, dmfs, pfs (schema mode); the
    first one listed is also copied to the top level of the results.
figure_formats, dpis, width : figure output (see ``figure_style``).

Results keys
------------
Column mode: ``mode``, ``unit``, ``event_codes``, ``flow``, ``km``,
``rates``, ``median``, ``quantiles``, ``median_follow_up``, ``logrank``,
``cox``, ``cif``, ``gray``, ``finegray``, ``warnings``, ``options``.
Schema mode adds ``endpoints`` (one such block per endpoint),
``primary_endpoint``, ``headline`` (2- and 5-year OS and LC, KM median OS
and the median observed survival time, each with its CI), ``dose`` and
``conversion``.  The layout is documented in
``data_schemas/results/survival.schema.json``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from spinestats.analysis.core.params import check_column
from spinestats.analysis.scores.cirt_dose import cirt_dose
from spinestats.analysis.survival.cox import cox_ph
from spinestats.analysis.survival.cox_zph import cox_zph
from spinestats.analysis.competing_risks.cuminc import cumulative_incidence
from spinestats.analysis.survival.endpoints import ENDPOINTS, LABELS, UNITS, derive_endpoints
from spinestats.analysis.competing_risks.finegray import fine_gray
from spinestats.analysis.competing_risks.gray_test import gray_test
from spinestats.analysis.survival.kaplan_meier import kaplan_meier
from spinestats.analysis.survival.logrank import logrank_test
from spinestats.analysis.survival.median_ci import median_ci
from spinestats.analysis.core.result import to_jsonable
from spinestats.errors import DataError, SpinestatsError, UsageError
from spinestats.analysis.survival.survival_table import cuminc_summary, survfit_summary
from spinestats.data_schemas.labels import Labels, as_labels
from spinestats.reports.figure_style import save_figure
from spinestats.reports.regression_table import factor_levels, regression_table
from spinestats.reports.regression_table import with_references as _with_references
from spinestats.reports.result_tables import survival_table
from spinestats.reports.formatting import format_p
from spinestats.reports.section import Section
from spinestats.reports.tables import write_table
from spinestats.reports.step_plot import cif_curves, km_curves, plot_step_curves, risk_grid
from spinestats.reports.survival_figures import plot_zph

REFERENCES = (
    "Kaplan EL, Meier P. Nonparametric estimation from incomplete observations. J Am Stat Assoc 1958;53:457-481. "
    "doi:10.1080/01621459.1958.10501452",
    "Brookmeyer R, Crowley J. A confidence interval for the median survival time. Biometrics 1982;38:29-41. "
    "doi:10.2307/2530286",
    "Schemper M, Smith TL. A note on quantifying follow-up in studies of failure time. Control Clin Trials "
    "1996;17:343-346. doi:10.1016/0197-2456(96)00075-X",
    "Harrington DP, Fleming TR. A class of rank test procedures for censored survival data. Biometrika "
    "1982;69:553-566. doi:10.1093/biomet/69.3.553",
    "Cox DR. Regression models and life-tables. J R Stat Soc B 1972;34:187-220. "
    "doi:10.1111/j.2517-6161.1972.tb00899.x",
    "Grambsch PM, Therneau TM. Proportional hazards tests and diagnostics based on weighted residuals. "
    "Biometrika 1994;81:515-526. doi:10.1093/biomet/81.3.515",
    "Gray RJ. A class of K-sample tests for comparing the cumulative incidence of a competing risk. Ann Stat "
    "1988;16:1141-1154. doi:10.1214/aos/1176350951",
    "Fine JP, Gray RJ. A proportional hazards model for the subdistribution of a competing risk. J Am Stat Assoc "
    "1999;94:496-509. doi:10.1080/01621459.1999.10474144",
    "Therneau T. A package for survival analysis in R (survival 3.5). https://CRAN.R-project.org/package=survival",
    "Gray B. cmprsk: subdistribution analysis of competing risks (2.2). https://CRAN.R-project.org/package=cmprsk",
)


def parse_event_codes(spec: str | dict | None) -> dict[str, list[int]]:
    """``"EVENT=1,COMPETING=2,CENSOR=0"`` (``EVENT=1;3`` for several) -> ``{"EVENT": [1], ...}``."""
    if spec is None:
        return {"EVENT": [], "COMPETING": [], "CENSOR": [0]}
    if isinstance(spec, dict):
        out = {k.upper(): [int(v) for v in (vals if isinstance(vals, (list, tuple)) else [vals])] for k, vals in spec.items()}
    else:
        out = {}
        for part in str(spec).split(","):
            if not part.strip():
                continue
            if "=" not in part:
                raise UsageError(f"--event-codes: expected NAME=CODE pairs such as EVENT=1,COMPETING=2,CENSOR=0; got {part!r}.")
            k, v = part.split("=", 1)
            try:
                out[k.strip().upper()] = [int(x) for x in v.replace(";", " ").split()]
            except ValueError as exc:
                raise UsageError(f"--event-codes: codes must be integers, got {v!r}.") from exc
    bad = set(out) - {"EVENT", "COMPETING", "CENSOR"}
    if bad:
        raise UsageError(f"--event-codes: unknown name(s) {sorted(bad)}; use EVENT, COMPETING and CENSOR.")
    out.setdefault("EVENT", [])
    out.setdefault("COMPETING", [])
    out.setdefault("CENSOR", [0])
    if len(out["CENSOR"]) != 1:
        raise UsageError("--event-codes: give exactly one CENSOR code.")
    if len(out["EVENT"]) > 1:
        raise UsageError("--event-codes: give one EVENT code (the event of interest); other events are COMPETING.")
    return out


def _glabel(g) -> str:
    return "all" if g is None else str(g)


def _num(x) -> float | None:
    x = float(x)
    return x if np.isfinite(x) else None


def _km_block(km) -> dict[str, Any]:
    out = {"km": {}, "rates": {}, "median": {}, "quantiles": {}, "median_follow_up": {}}
    for c in km.curves:
        g = _glabel(c.group)
        f = c.to_frame()[["time", "n_at_risk", "n_event", "n_censored", "survival", "std_err", "lower", "upper"]]
        out["km"][g] = to_jsonable(f)
        if len(km.rates):
            r = km.rates[km.rates["group"].map(lambda x: x == c.group if c.group is not None else x is None)]
            out["rates"][g] = to_jsonable(r.drop(columns="group"))
        m = km.median(c.group)
        out["median"][g] = {k: _num(v) for k, v in m.items()} | {"reached": bool(np.isfinite(m["estimate"]))}
        q = c.quantile([0.25, 0.5, 0.75])
        out["quantiles"][g] = to_jsonable(q.drop(columns="group"))
    for _, row in km.median_follow_up.iterrows():
        out["median_follow_up"][_glabel(row["group"])] = {
            "estimate": _num(row["estimate"]), "lower": _num(row["lower"]), "upper": _num(row["upper"]),
            "method": row["method"], "range": [_num(row["range_min"]), _num(row["range_max"])]}
    return out


LIN_WEI = ("Lin DY, Wei LJ. The robust inference for the Cox proportional hazards model. J Am Stat Assoc "
           "1989;84:1074-1078. doi:10.1080/01621459.1989.10478874")
ZPH_TRANSFORMS = {"km": "Kaplan-Meier transform", "rank": "rank transform", "identity": "untransformed time",
                  "log": "log transform"}


def _cox_block(d: pd.DataFrame, time: str, event: str, covariates, *, ties, strata, cluster, cause, censor,
               warnings: list[str], zph_transform: str = "km") -> dict[str, Any] | None:
    if not covariates:
        return None
    try:
        fit = cox_ph(d, time=time, event=event, covariates=covariates, ties=ties, strata=strata, cluster=cluster,
                     cause=cause, censor=censor)
    except DataError as exc:
        warnings.append(f"Cox model not fitted: {exc}")
        return {"fitted": False, "reason": str(exc)}
    warnings.extend(fit.warnings)
    block = {"_fit": fit, "fitted": True,
             "model": "cause-specific Cox (other events censored)" if cause is not None else "Cox",
             "terms": list(fit.terms), "coef": fit.coef, "se": fit.se, "robust_se": fit.robust_se,
             "hr": fit.hr, "hr_lower": fit.hr_lower, "hr_upper": fit.hr_upper, "p": fit.p,
             "concordance": fit.concordance, "tests": fit.tests, "n": fit.n, "n_event": fit.n_event,
             "ties": fit.ties, "separated": list(fit.separated), "converged": fit.converged}
    try:
        z = cox_zph(d, time=time, event=event, covariates=covariates, ties=ties, strata=strata, cause=cause,
                    censor=censor, transform=zph_transform)
        block["ph_test"] = to_jsonable(z.table)
        block["ph_transform"] = zph_transform
        block["_zph"] = z
    except (SpinestatsError, np.linalg.LinAlgError) as exc:
        block["ph_test"] = None
        warnings.append(f"proportional-hazards test not available: {exc}")
    return block


def _competing_block(d, time, event, *, cause, censor, group, covariates, times, conf_level, warnings) -> dict[str, Any]:
    cif = cumulative_incidence(d, time=time, event=event, cause=cause, censor=censor, group=group, times=times,
                               conf_level=conf_level)
    warnings.extend(w for w in cif.warnings if w not in warnings)
    out: dict[str, Any] = {"cif": {}, "_cif": cif}
    for c in cif.curves:
        out["cif"].setdefault(_glabel(c.group), {})[str(c.cause)] = {
            "curve": to_jsonable(c.to_frame().drop(columns=["group", "cause"])),
            "at_times": to_jsonable(c.value_at(times).drop(columns=["group", "cause"])) if times else [],
        }
    if group is not None and len(cif.groups) > 1:
        g = gray_test(d, time=time, event=event, group=group, cause=cause, censor=censor)
        out["_gray"] = g
        out["gray"] = {str(k): {"statistic": _num(s), "p": _num(p), "df": g.df} for k, s, p in zip(g.causes, g.statistic, g.p)}
    else:
        out["gray"] = None
    if covariates:
        try:
            fg = fine_gray(d, time=time, event=event, covariates=covariates, cause=cause, censor=censor)
            warnings.extend(fg.warnings)
            out["_fg"] = fg
            out["finegray"] = {"terms": list(fg.terms), "coef": fg.coef, "se": fg.se, "shr": fg.shr,
                               "shr_lower": fg.shr_lower, "shr_upper": fg.shr_upper, "p": fg.p,
                               "converged": fg.converged, "n_event": fg.n_event, "n_competing": fg.n_competing}
        except DataError as exc:
            warnings.append(f"Fine-Gray model not fitted: {exc}")
            out["finegray"] = {"fitted": False, "reason": str(exc)}
    else:
        out["finegray"] = None
    return out


def analyse(d: pd.DataFrame, *, time: str, event: str, cause: int | None, competing: list[int], censor: int,
            group, strata, covariates, cluster, times, conf_type, conf_level, ties, rho, gamma, trend,
            label: str, convention: str, zph_transform: str = "km",
            entry: str | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """One endpoint's results block and the objects its figures need."""
    warnings: list[str] = []
    km = kaplan_meier(d, time=time, event=event, group=group, conf_type=conf_type, conf_level=conf_level,
                      times=times, censor=censor, cause=cause, entry=entry)
    warnings.extend(km.warnings)
    block: dict[str, Any] = {"label": label, "convention": convention, "n": km.n,
                             "n_events": int(sum(int(c.n_event.sum()) for c in km.curves))}
    block.update(_km_block(km))
    lr = None
    if entry is not None and group is not None and len(km.groups) > 1:
        warnings.append("the log-rank test is not computed with delayed entry (left truncation); the Kaplan-Meier "
                        "curves and follow-up per group are.")
        block["logrank"] = None
    elif group is not None and len(km.groups) > 1:
        lr = logrank_test(d, time=time, event=event, group=group, strata=strata, rho=rho, gamma=gamma, trend=trend,
                          pairwise=len(km.groups) > 2, censor=censor, cause=cause)
        block["logrank"] = {"chisq": lr.chisq, "df": lr.df, "p": lr.p, "rho": lr.rho, "gamma": lr.gamma,
                            "observed": dict(zip(map(_glabel, lr.groups), lr.observed)),
                            "expected": dict(zip(map(_glabel, lr.groups), lr.expected)),
                            "trend": lr.trend,
                            "pairwise": to_jsonable(lr.pairwise) if lr.pairwise is not None else None}
    else:
        block["logrank"] = None
    cox = _cox_block(d, time, event, covariates, ties=ties, strata=strata, cluster=cluster, cause=cause,
                     censor=censor, warnings=warnings, zph_transform=zph_transform)
    zph = cox.pop("_zph", None) if cox else None
    fit = cox.pop("_fit", None) if cox else None
    block["cox"] = cox
    objs: dict[str, Any] = {"km": km, "logrank": lr, "zph": zph, "cox": fit,
                            "args": dict(data=d, time=time, event=event, cause=cause, censor=censor, group=group,
                                         covariates=covariates, times=times, conf_type=conf_type,
                                         conf_level=conf_level, ties=ties, strata=strata, cluster=cluster)}
    if competing and cause is not None:
        comp = _competing_block(d, time, event, cause=cause, censor=censor, group=group, covariates=covariates,
                                times=times, conf_level=conf_level, warnings=warnings)
        objs["cif"] = comp.pop("_cif")
        objs["gray"] = comp.pop("_gray", None)
        objs["finegray"] = comp.pop("_fg", None)
        objs["gray_p"] = (comp.get("gray") or {}).get(str(cause))  # the figure prints Gray's p of the event of interest
        block.update(comp)
    block["warnings"] = list(dict.fromkeys(warnings))
    return block, objs


def _figures(objs: dict[str, Any], name: str, label: str, unit: str, out_dir: Path | None, risk_times, formats, dpis,
             width, event_label: str = "the event", labels: Labels | None = None,
             median_lines: bool = True, events_table: bool = False) -> list[Path]:
    """KM figure, CIF figure (competing events) and PH-diagnostic figure (Cox) of one endpoint; ``name`` = file stem."""
    if out_dir is None:
        return []
    written: list[Path] = []
    km, lr = objs["km"], objs.get("logrank")
    group = objs.get("args", {}).get("group")
    glabels = {g: labels.value(group, g) for g in km.groups} if labels is not None and group is not None else None
    curves = km_curves(km, risk_times=risk_times, labels=glabels)
    p = f"Log-rank {format_p(lr.p)}" if lr is not None and np.isfinite(lr.p) else None
    meds = [km.median(g)["estimate"] for g in km.groups] if median_lines else None
    title = labels.name(group) if labels is not None and group is not None else None
    plot = plot_step_curves(curves, xlabel=f"{unit.capitalize()} from start of treatment",
                            ylabel=f"{label} (Kaplan\u2013Meier)", pvalue=p, median_lines=meds, width=width,
                            legend_title=title, events_table=events_table, figure_name=f"{name}_km")
    kw = {k: v for k, v in (("formats", formats), ("dpis", dpis)) if v}
    written += save_figure(plot.figure, Path(out_dir) / "figures", f"{name}_km", **kw)
    cif = objs.get("cif")
    if cif is not None:
        plot = plot_step_curves(cif_curves(cif, risk_times=risk_times, labels=glabels), xlabel=f"{unit.capitalize()} from start of treatment",
                                ylabel=f"Cumulative incidence of\n{event_label}",
                                ylim=(0, 1.02), width=width, pvalue=_gray_text(objs.get("gray_p")),
                                legend_title=title, events_table=events_table, figure_name=f"{name}_cif")
        written += save_figure(plot.figure, Path(out_dir) / "figures", f"{name}_cif", **kw)
    zph, cox = objs.get("zph"), objs.get("cox")
    if zph is not None and cox is not None:
        covs = list(objs.get("args", {}).get("covariates") or [])
        terms = {t: labels.coefficient_label(t, covs) for t in cox.terms} if labels is not None else None
        zp = plot_zph(zph, dict(zip(cox.terms, cox.coef)), width=width, unit=unit, term_labels=terms)
        written += save_figure(zp.figure, Path(out_dir) / "figures", f"{name}_ph_test", **kw)
    return [w.relative_to(out_dir) for w in written]


def _tables(objs: dict[str, Any], name: str, label: str, unit: str, out_dir: Path | None, labels: Labels,
            warnings: list[str], event_label: str | None = None) -> list[Path]:
    """The endpoint's survival table (tbl_survfit-like), cumulative-incidence table (competing events) and
    regression tables (Cox; Fine-Gray with competing events): univariable and multivariable side by side."""
    if out_dir is None:
        return []
    a = objs["args"]
    tdir = Path(out_dir) / "tables"
    written: list[Path] = []
    km = objs["km"]
    group = a["group"] if a["group"] is not None and len(km.groups) > 1 else None
    common = dict(time=a["time"], event=a["event"], censor=a["censor"], cause=a["cause"])
    overall = km if group is None else kaplan_meier(a["data"], conf_type=a["conf_type"], conf_level=a["conf_level"],
                                                    times=a["times"], **common)
    summ = survfit_summary(overall, km if group is not None else None, objs.get("logrank"), a["times"])
    written += write_table(survival_table(summ, labels=labels, endpoint=label, group=group, unit=unit,
                                          stem=f"{name}_survival"), tdir, f"{name}_survival", ("csv",))
    cif = objs.get("cif")
    if cif is not None:
        cif_all = cif if group is None else cumulative_incidence(
            a["data"], time=a["time"], event=a["event"], cause=a["cause"], censor=a["censor"], times=a["times"],
            conf_level=a["conf_level"])
        cs = cuminc_summary(a["data"], time=a["time"], event=a["event"], cause=a["cause"], censor=a["censor"],
                            group=group, cif_overall=cif_all, cif_groups=cif if group is not None else None,
                            gray=objs.get("gray"), times=a["times"])
        written += write_table(survival_table(cs, labels=labels, endpoint=f"Cumulative incidence of {event_label or label.lower()}",
                                              group=group, unit=unit, stem=f"{name}_cuminc"),
                               tdir, f"{name}_cuminc", ("csv",))
    covs = list(a["covariates"] or [])
    fit = objs.get("cox")
    if covs and fit is not None:
        levels = factor_levels(a["data"], covs, labels)
        models = {"Univariable": _univariable(a, covs, warnings, "cox"),
                  "Multivariable": _model_block(fit.terms, fit.hr, fit.hr_lower, fit.hr_upper, fit.p, fit.n, fit.n_event)}
        se = ("robust SEs clustered by " + labels.variable(a["cluster"])) if a["cluster"] else "model-based SEs"
        model = "Cause-specific Cox regression (competing events censored)" if objs.get("cif") is not None \
            else "Cox proportional hazards regression"
        notes = [f"{model}; {a['ties'].capitalize()} ties; {se}; Wald p-values."
                 + (f" Stratified by {labels.variable(a['strata'])}." if a["strata"] else "")]
        written += write_table(regression_table(models, covs, levels, labels=labels,
                                                measure="csHR" if objs.get("cif") is not None else "HR",
                                                conf_level=a["conf_level"], stem=f"{name}_cox",
                                                title=f"{model.split(' (')[0]} for {label.lower()}", notes=notes),
                               tdir, f"{name}_cox", ("csv",))
    fg = objs.get("finegray")
    if covs and fg is not None:
        levels = factor_levels(a["data"], covs, labels)
        models = {"Univariable": _univariable(a, covs, warnings, "finegray"),
                  "Multivariable": _model_block(fg.terms, fg.shr, fg.shr_lower, fg.shr_upper, fg.p,
                                                int(len(a["data"])), fg.n_event)}
        notes = ["Fine–Gray subdistribution hazards regression (competing events kept in the risk set); "
                 "robust sandwich SEs as cmprsk::crr; Wald p-values."]
        written += write_table(regression_table(models, covs, levels, labels=labels, measure="sHR",
                                                conf_level=a["conf_level"], stem=f"{name}_finegray",
                                                title=f"Fine–Gray regression for {label.lower()}", notes=notes),
                               tdir, f"{name}_finegray", ("csv",))
    return [w.relative_to(out_dir) for w in written]


def _model_block(terms, est, lo, hi, p, n, events) -> dict[str, Any]:
    return {"terms": list(terms), "estimate": list(est), "lower": list(lo), "upper": list(hi), "p": list(p),
            "n": int(n), "events": int(events)}


def _univariable(a: dict[str, Any], covs: list[str], warnings: list[str], kind: str) -> dict[str, Any]:
    """One model per covariate (as gtsummary's tbl_uvregression): its terms, N and events per covariate."""
    out: dict[str, Any] = {"terms": [], "estimate": [], "lower": [], "upper": [], "p": [], "n": {}, "events": {}}
    for c in covs:
        try:
            if kind == "cox":
                f = cox_ph(a["data"], time=a["time"], event=a["event"], covariates=[c], ties=a["ties"],
                           strata=a["strata"], cluster=a["cluster"], cause=a["cause"], censor=a["censor"])
                est, lo, hi, n, ev = f.hr, f.hr_lower, f.hr_upper, f.n, f.n_event
            else:
                f = fine_gray(a["data"], time=a["time"], event=a["event"], covariates=[c], cause=a["cause"],
                              censor=a["censor"])
                est, lo, hi, ev = f.shr, f.shr_lower, f.shr_upper, f.n_event
                n = int(a["data"][[a["time"], a["event"], c]].dropna().shape[0])
        except DataError as exc:
            warnings.append(f"univariable model of {c} not fitted: {exc}")
            continue
        out["terms"] += list(f.terms)
        out["estimate"] += list(est)
        out["lower"] += list(lo)
        out["upper"] += list(hi)
        out["p"] += list(f.p)
        out["n"][c], out["events"][c] = int(n), int(ev)
    return out


def _gray_text(gray: Mapping | None) -> str | None:
    """"Gray's test p = ..." for the CIF figure, or None without groups."""
    if not gray or gray.get("p") is None:
        return None
    return f"Gray's test {format_p(gray['p'])}"


def _risk_times(d: pd.DataFrame, time: str, unit: str) -> np.ndarray:
    """At most 8 table columns at round multiples (6, 12, 24, ... months; 1, 2, 5 years; 30 ... days)."""
    end = float(d[time].max()) if len(d) else 0.0
    steps = {"months": (6, 12, 24, 36, 48, 60, 120), "years": (0.5, 1, 2, 5, 10),
             "days": (30, 90, 180, 365, 730, 1826)}[unit]
    return risk_grid(end, steps)


def _median_observed(x: np.ndarray, conf_level: float = 0.95) -> dict[str, Any]:
    """Sample median with the distribution-free order-statistic CI (R: sort(x)[qbinom(0.025, n, 0.5)] ...)."""
    m = median_ci(x, conf_level)
    return {"estimate": m.estimate, "lower": _num(m.lower), "upper": _num(m.upper),
            "method": "median of the observed times (death or last follow-up) with the order-statistic CI "
                      "(coverage >= 95%)"}


def run(
    data=None,
    *,
    table=None,
    out_dir=None,
    time: str | None = None,
    event: str | None = None,
    event_codes: str | dict | None = None,
    group: str | None = None,
    strata: str | None = None,
    covariates=None,
    cluster: str | None = None,
    times=None,
    unit: str = "months",
    conf_type: str = "log",
    conf_level: float = 0.95,
    ties: str = "efron",
    rho: float = 0.0,
    gamma: float = 0.0,
    trend: bool = False,
    endpoint: str = "all",
    zph_transform: str = "km",
    entry: str | None = None,
    figure_formats=None,
    dpis=None,
    width: str = "single",
    key: str = "survival",
    title: str | None = None,
    labels: Labels | dict | None = None,
    median_lines: bool = True,
    events_table: bool = False,
) -> Section:
    """Run the survival analysis; see the module docstring for the options and results.

    Parameters
    ----------
    data : a DataFrame (index = spreadsheet line, as the loader gives it) or a ``LoadedTable``.
    table : the ``LoadedTable`` (its exclusions are counted in ``flow``); used when ``data`` is None.
    out_dir : folder for ``figures/`` and ``tables/`` (None: numbers only).
    labels : display labels (:class:`~spinestats.data_schemas.labels.Labels` or a plan-style dict);
        default: the cirt schema's labels.
    median_lines : draw dotted median lines on the Kaplan-Meier figures (figures only).
    events_table : add the cumulative number of events under the number at risk (figures only).
    """
    if data is None:
        data = table
    if data is None:
        raise UsageError("survival analysis: no data given.")
    exclusions = ()
    file = getattr(getattr(data, "provenance", None), "file", None) or "data"
    if hasattr(data, "data") and hasattr(data, "exclusions"):
        exclusions = tuple(data.exclusions)
        if getattr(data, "errors", ()):
            raise DataError("the table has errors:\n" + "\n".join(p.message() for p in data.errors),
                            problems=data.errors)
        data = data.data
    if not isinstance(data, pd.DataFrame):
        raise UsageError(f"survival analysis expects a table, got {type(data).__name__}.")
    if unit not in UNITS:
        raise UsageError(f"unit: expected one of {', '.join(UNITS)}, got {unit!r}.")
    if isinstance(covariates, str):
        covariates = [c.strip() for c in covariates.split(",") if c.strip()]
    covariates = list(covariates or [])
    if times is None:
        times = [24 * UNITS["months"] / UNITS[unit], 60 * UNITS["months"] / UNITS[unit]]
    elif isinstance(times, str):
        times = [float(t) for t in times.split(",") if t.strip()]
    times = [float(t) for t in times]
    if zph_transform not in ZPH_TRANSFORMS:
        raise UsageError(f"zph_transform: expected one of {', '.join(ZPH_TRANSFORMS)}, got {zph_transform!r}.")
    out = Path(out_dir) if out_dir is not None else None
    labels = as_labels(labels, ["cirt"], strict=False)
    captions: dict[str, str] = {}

    def caption(stem: str, what: str, event_label: str) -> None:
        by = f" by {labels.name(group).lower()}" if group else ""
        captions[f"{stem}_km"] = f"{what}: Kaplan\u2013Meier estimate{by}, with number at risk"
        captions[f"{stem}_cif"] = f"Cumulative incidence of {event_label}{by}, competing events accounted for"
        captions[f"{stem}_ph_test"] = (f"{what}: proportional-hazards check, as plot(cox.zph): scaled Schoenfeld "
                                       "residuals (points), their smooth with a \u00b12 SE band, a solid line at zero "
                                       "and a dotted line at the Cox coefficient")

    labels.check_data(data, where="survival")
    data = _with_references(data, covariates, labels)
    tables: list[Path] = []
    common = dict(group=group, strata=strata, covariates=covariates, cluster=cluster, times=times,
                  conf_type=conf_type, conf_level=conf_level, ties=ties, rho=rho, gamma=gamma, trend=trend,
                  zph_transform=zph_transform, entry=entry)
    figures: list[Path] = []
    methods = [
        "Survival was estimated by the Kaplan-Meier method with Greenwood variances and "
        f"{conf_type} confidence intervals ({100 * conf_level:g}%), medians with the Brookmeyer-Crowley interval as "
        "in R's survival package; median follow-up by the reverse Kaplan-Meier method.",
    ]
    if group:
        methods.append("Groups were compared with the log-rank test" + (
            f" (Fleming-Harrington weights rho = {rho:g}, gamma = {gamma:g})" if rho or gamma else "") + ".")
    if covariates:
        methods.append(f"Hazard ratios were estimated by Cox regression ({ties.capitalize()} ties)"
                       + (f", with robust standard errors clustered by {cluster}" if cluster else "")
                       + "; proportional hazards were checked on scaled Schoenfeld residuals ("
                       + ZPH_TRANSFORMS[zph_transform] + " of time).")
        if cluster:
            methods.append("The global null hypothesis was also tested with the robust (Lin-Wei) score test, "
                           "which allows for the clustering, as R's coxph reports it.")
    options = {"time": time, "event": event, "event_codes": event_codes, "group": group, "strata": strata,
               "covariates": covariates, "cluster": cluster, "times": times, "unit": unit, "conf_type": conf_type,
               "conf_level": conf_level, "ties": ties, "rho": rho, "gamma": gamma, "trend": trend,
               "endpoint": endpoint, "zph_transform": zph_transform}
    if entry is not None:
        options["entry"] = entry
        methods.append(f"Follow-up began at {entry} (delayed entry, left truncation): patients enter the risk sets "
                       "of the Kaplan-Meier and reverse Kaplan-Meier estimates only after it, as R's "
                       "survfit(Surv(entry, time, status)).")
    flow = {"rows": int(len(data) + len(exclusions)), "excluded_at_loading": len(exclusions),
            "analysed": int(len(data))}
    if time is not None or event is not None:
        if time is None or event is None:
            raise UsageError("give both --time and --event (or neither, with --schema cirt).")
        codes = parse_event_codes(event_codes)
        if entry is not None and (covariates or codes["COMPETING"]):
            raise UsageError("--entry (delayed entry) is supported for Kaplan-Meier, rates, medians and reverse "
                             "Kaplan-Meier follow-up only; drop --covariates and COMPETING codes with it.")
        censor = codes["CENSOR"][0]
        declared = codes["EVENT"] + codes["COMPETING"] if (codes["EVENT"] or codes["COMPETING"]) else None
        from spinestats.analysis.core.surv_input import event_data
        from spinestats.data_schemas.column_checks import check_time_event

        for col, flag in ((time, "--time"), (event, "--event"), (group, "--group"), (entry, "--entry"),
                          (strata, "--strata"), (cluster, "--cluster"), *((c, "--covariates") for c in covariates)):
            if col is not None:
                check_column(data, col, flag[2:], flag=flag)
        check_time_event(data, time=time, event=event, unit=unit, file=file, allowed=declared, censor=censor)
        ed = event_data(data, time=time, event=event, censor=censor, causes=declared, group=group, entry=entry)
        cause = codes["EVENT"][0] if codes["EVENT"] else None
        if cause is None and codes["COMPETING"]:
            raise UsageError("--event-codes: COMPETING given without EVENT; name the event of interest.")
        label = labels.endpoint(key, default="Event-free survival")
        block, objs = analyse(data, time=time, event=event, cause=cause, competing=codes["COMPETING"], censor=censor,
                              label=label, convention=("competing events censored in the Kaplan-Meier estimate; "
                                                       "cumulative incidence with competing events")
                              if codes["COMPETING"] else "Kaplan-Meier", **common)
        flow["excluded_missing"] = len(ed.excluded)
        flow["analysed"] = int(len(data)) - len(ed.excluded)  # rows = excluded_at_loading + excluded_missing + analysed
        figures += _figures(objs, key, label, unit, out, _risk_times(data, time, unit), figure_formats, dpis,
                            width, labels=labels, median_lines=median_lines, events_table=events_table)
        tables += _tables(objs, key, label, unit, out, labels, block["warnings"])
        caption(key, label, "the event")
        if codes["COMPETING"]:
            methods.append("Cumulative incidence was estimated by the Aalen-Johansen method with cmprsk's variance "
                           "(log(-log) CIs), compared with Gray's test; subdistribution hazard ratios by Fine-Gray "
                           "regression.")
        results = {"mode": "columns", "unit": unit, "event_codes": codes, "flow": flow, **block,
                   "warnings": block["warnings"], "options": options}
        warnings = block["warnings"]
    else:
        if entry is not None:
            raise UsageError("--entry is for column mode (--time/--event); schema mode times every endpoint from "
                             "the start of treatment.")
        ep = derive_endpoints(data, unit=unit)
        wanted = list(ENDPOINTS) if endpoint == "all" else [endpoint]
        if any(e not in ENDPOINTS for e in wanted):
            raise UsageError(f"--endpoint: expected all or one of {', '.join(ENDPOINTS)}, got {endpoint!r}.")
        d = ep.table.join(data[[c for c in data.columns if c not in ep.table.columns]])
        if {"total_dose_gye", "fractions"} <= set(data.columns):  # dose columns usable as --group
            dt = cirt_dose(data, cord="cord_max_dose_gye" if "cord_max_dose_gye" in data.columns else None).table
            d = d.join(dt[["dose_group", "cord_over_limit", "target_under_60", "bed", "eqd2"]]
                       .loc[:, lambda f: [c for c in f.columns if c not in d.columns]])
        if group is not None:
            check_column(d, group, "group", flag="--group")
        blocks, warnings = {}, list(ep.warnings)
        for e in wanted:
            competing = [2] if e == "lc" else []
            ev_col = "lc_status" if e == "lc" else f"{e}_event"
            if e == "lc":
                conv = ("Kaplan-Meier with death without recurrence censored (km, rates, median); cumulative "
                        "incidence of local recurrence with death as a competing event (cif, gray, finegray)")
            else:
                conv = {"os": "event = death from any cause",
                        "dmfs": "event = distant metastasis or death, whichever first",
                        "pfs": "event = local recurrence, distant metastasis or death, whichever first"}[e]
            block, objs = analyse(d, time=f"{e}_time", event=ev_col, cause=1 if e == "lc" else None,
                                  competing=competing, censor=0, label=LABELS[e], convention=conv, **common)
            ep_label = labels.endpoint(e, default=LABELS[e])
            blocks[e] = block
            warnings.extend(f"{e}: {w}" for w in block["warnings"])
            figures += _figures(objs, f"{key}_{e}", ep_label, unit, out, _risk_times(d, f"{e}_time", unit),
                                figure_formats, dpis, width,
                                event_label="local recurrence" if e == "lc" else "the event", labels=labels,
                                median_lines=median_lines, events_table=events_table)
            tables += _tables(objs, f"{key}_{e}", ep_label, unit, out, labels, [],
                              event_label="local recurrence" if e == "lc" else None)
            caption(f"{key}_{e}", ep_label, "local recurrence" if e == "lc" else ep_label.lower())
        methods.append("Endpoints were timed from the start of carbon-ion radiotherapy (" + ep.conversion + "): "
                       "overall survival (death), local control (local recurrence; death without recurrence "
                       "censored for Kaplan-Meier, and a competing event for the cumulative incidence), "
                       "distant-metastasis-free and progression-free survival (first event or death).")
        if "lc" in wanted:
            methods.append("The cumulative incidence of local recurrence was estimated by the Aalen-Johansen method "
                           "with cmprsk's variance and log(-log) CIs (death a competing event).")
        primary = wanted[0]
        headline = _headline(d, unit, conf_type, conf_level, wanted)
        dose = None
        if {"total_dose_gye", "fractions"} <= set(data.columns):
            ds = cirt_dose(data, cord="cord_max_dose_gye" if "cord_max_dose_gye" in data.columns else None)
            dose = {"n": ds.n, "n_at_least_64_in_16": ds.n_at_least_64_in_16,
                    "share_at_least_64_in_16": ds.share_at_least_64_in_16,
                    "n_cord_max_at_least_50": ds.n_cord_over_limit, "n_target_under_60": ds.n_target_under_60,
                    "dose_groups": ds.groups}
        flow["patients"] = ep.n
        top = {k: blocks[primary][k] for k in ("km", "rates", "median", "quantiles", "median_follow_up", "logrank",
                                               "cox", "cif", "gray", "finegray") if k in blocks[primary]}
        results = {"mode": "schema", "unit": unit, "conversion": ep.conversion, "flow": flow,
                   "primary_endpoint": primary, **top, "endpoints": blocks, "headline": headline, "dose": dose,
                   "warnings": warnings, "options": options}
    references = REFERENCES + ((LIN_WEI,) if cluster and covariates else ())
    return Section(key=key, title=title or "Survival and local control", results=to_jsonable(results),
                   figures=tuple(figures), tables=tuple(tables), figure_captions=captions, warnings=tuple(dict.fromkeys(warnings)),
                   methods=tuple(methods), references=references)


def _headline(d: pd.DataFrame, unit: str, conf_type: str, conf_level: float, wanted) -> dict[str, Any]:
    """2- and 5-year OS/LC (Kaplan-Meier, all patients), KM median OS and the median observed survival time."""
    f = UNITS["months"] / UNITS[unit]
    out: dict[str, Any] = {"unit": unit, "conf_type": conf_type}
    for e in ("os", "lc"):
        if e not in wanted:
            continue
        km = kaplan_meier(d, time=f"{e}_time", event=f"{e}_event", times=[24 * f, 60 * f], conf_type=conf_type,
                          conf_level=conf_level)
        for years, (_, r) in zip((2, 5), km.rates.iterrows()):
            out[f"{e}_{years}y"] = {"time": float(r["time"]), "estimate": _num(r["survival"]),
                                    "lower": _num(r["lower"]), "upper": _num(r["upper"])}
        if e == "os":
            out["median_os_km"] = {k: _num(v) for k, v in km.median().items()}
            out["median_observed_os"] = _median_observed(d["os_time"].to_numpy(), conf_level)
    for v in out.values():
        if isinstance(v, dict) and "lower" in v:
            v["ci"] = [v["lower"], v["upper"]]
    return out

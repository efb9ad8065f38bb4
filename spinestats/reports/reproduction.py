"""The published figures of the review next to the ones the demo reproduces.

One entry per published figure listed in the seed README (Matsumoto,
"Recent topics in diagnosis and treatment of malignant spinal tumors",
Fukushima J Med Sci).  Each entry of the ``reproduction`` list in
``results.json`` has:

``figure``      what the figure is;
``source``      where the review gives it;
``published``   the figure as printed (``"84.6% (33/39)"``);
``reproduced``  the number the run produced (``None`` when the analysis that
                produces it did not run; ``note`` says why);
``reproduced_text`` the same, shown at the published precision (plus counts);
``ci``          its 95% CI where one applies (``[low, high]``; ``ci_text`` shows it
                with one decimal more than the published figure);
``rule``        how ``match`` was computed (below);
``match``       COMPUTED, never typed in;
``difference``  reproduced minus published (numeric rules) when not matching.

How ``match`` is computed (``rule``):

``equal``     the reproduced value rounded half away from zero to the
              published number of decimals equals the published value; when
              the review gives counts (``18/20``) they must be equal too.
``about``     the review says "about": the published value is itself
              rounded, so the rule is the same as ``equal`` at the published
              precision (``about 7 months`` matches 6.5 to < 7.5).
``range``     a published range (``3-5%``): the reproduced value, rounded to
              the range's precision, lies within it, ends included.
``greater``   a published bound (``> 90%``): the reproduced value is strictly
              greater.
``at_most``   a published limit: the reproduced value (for a limit, the
              cohort maximum), rounded to the published precision, is at most
              the limit.  "About 50 GyE" is precise to tens (``decimals=-1``):
              a cohort maximum of 52.0 GyE is "about 50"; 55 GyE would not be.
``count``     integers, equal.
``check``     a rule stated in words (DSS weights, WBB zones, "improved only
              with BKP"): a boolean computed from the data or results, with the
              evidence in ``reproduced_text``.
``mean_sd``   "mean ± SD": both rounded to the published decimals and equal.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from spinestats.reports.formatting import round_half_up

RULES = ("equal", "about", "range", "greater", "at_most", "count", "check", "mean_sd")


@dataclasses.dataclass(frozen=True)
class Published:
    """One figure as the review gives it."""

    key: str
    figure: str
    source: str
    published: str
    value: Any  # float, (low, high) for range, (mean, sd) for mean_sd, True for check
    rule: str
    decimals: int = 0
    counts: tuple[int, int] | None = None


@dataclasses.dataclass(frozen=True)
class Reproduced:
    """What the run gives for one figure (``value`` None: not available)."""

    value: Any = None
    ci: tuple[float, float] | None = None
    counts: tuple[int, int] | None = None
    text: str | None = None
    note: str | None = None


def _num(x: float, decimals: int) -> float:
    return round_half_up(float(x), decimals)


def _show(x: float, decimals: int) -> str:
    return f"{_num(x, decimals):.{max(decimals, 0)}f}"


def compare(pub: Published, rep: Reproduced) -> dict[str, Any]:
    """The ``reproduction`` entry for one figure, with ``match`` computed."""
    if pub.rule not in RULES:
        raise ValueError(f"unknown rule {pub.rule!r}")
    entry: dict[str, Any] = {"figure": pub.figure, "source": pub.source, "published": pub.published,
                             "reproduced": None, "reproduced_text": None,
                             "ci": list(rep.ci) if rep.ci is not None else None,
                             "rule": pub.rule, "match": False, "difference": None}
    if rep.ci is not None:
        digits = max(pub.decimals, 0) + 1
        entry["ci_text"] = f"{_show(rep.ci[0], digits)}–{_show(rep.ci[1], digits)}"
    if rep.value is None:
        entry["note"] = rep.note or "not available in this run"
        entry["reproduced_text"] = "not available"
        return entry
    d = pub.decimals
    if pub.rule == "mean_sd":
        mean, sd = rep.value
        entry["reproduced"] = [float(mean), float(sd)]
        got = (_num(mean, d), _num(sd, d))
        entry["match"] = got == (float(pub.value[0]), float(pub.value[1]))
        entry["reproduced_text"] = f"{_show(mean, d)} \u00b1 {_show(sd, d)}"
        if not entry["match"]:
            entry["difference"] = [got[0] - pub.value[0], got[1] - pub.value[1]]
    elif pub.rule == "check":
        entry["reproduced"] = bool(rep.value)
        entry["match"] = bool(rep.value) is bool(pub.value)
        entry["reproduced_text"] = rep.text
    elif pub.rule == "count":
        entry["reproduced"] = int(rep.value)
        entry["match"] = int(rep.value) == int(pub.value)
        entry["reproduced_text"] = str(int(rep.value))
        if not entry["match"]:
            entry["difference"] = int(rep.value) - int(pub.value)
    else:
        v = float(rep.value)
        entry["reproduced"] = v
        shown = _num(v, d)
        if pub.rule in ("equal", "about"):
            ok = shown == float(pub.value)
            diff = shown - float(pub.value)
        elif pub.rule == "range":
            lo, hi = pub.value
            ok = float(lo) <= shown <= float(hi)
            diff = 0.0 if ok else (shown - lo if shown < lo else shown - hi)
        elif pub.rule == "greater":
            ok = v > float(pub.value)
            diff = v - float(pub.value)
        else:  # at_most, at the published precision
            ok = shown <= float(pub.value)
            diff = shown - float(pub.value)
        if pub.counts is not None:
            ok = ok and rep.counts is not None and tuple(rep.counts) == tuple(pub.counts)
        entry["match"] = bool(ok)
        entry["reproduced_text"] = rep.text or (
            _show(v, d) + (f" ({rep.counts[0]}/{rep.counts[1]})" if rep.counts is not None else ""))
        if not ok:
            entry["difference"] = round(diff, 10)
    if rep.note:
        entry["note"] = rep.note
    return entry


# --- where each figure comes from -------------------------------------------------------------

def dig(obj: Any, *path: Any) -> Any:
    """``obj[path[0]][path[1]]...`` or ``None`` when any step is missing."""
    for step in path:
        if isinstance(obj, Mapping) and step in obj:
            obj = obj[step]
        elif isinstance(obj, (list, tuple)) and isinstance(step, int) and -len(obj) <= step < len(obj):
            obj = obj[step]
        else:
            return None
    return obj


def _frame(inputs: Mapping[str, Any], name: str):
    inp = inputs.get(name)
    return None if inp is None or inp.table is None else inp.table.data


def _missing(what: str) -> Reproduced:
    return Reproduced(note=f"{what} did not run")


Extractor = Callable[[Mapping[str, Any], Mapping[str, Any]], Reproduced]


def _count_rows(data_name: str, where: Callable[[Any], Any] | None = None) -> Extractor:
    def get(results, inputs):
        df = _frame(inputs, data_name)
        if df is None:
            return _missing(f"the '{data_name}' input")
        return Reproduced(int(len(df) if where is None else int(np.sum(where(df)))))
    return get


def _proportion(section: str, *path: Any, scale: float = 100.0) -> Extractor:
    """A crude proportion result ``{n, events, proportion, ci}`` as a percentage."""
    def get(results, inputs):
        r = dig(results, section, *path)
        if r is None or r.get("proportion") is None:
            return _missing(f"the '{section}' analysis")
        ci = r.get("ci")
        return Reproduced(scale * r["proportion"], tuple(scale * c for c in ci) if ci else None,
                          (int(r["events"]), int(r["n"])))
    return get


def _value(section: str, *path: Any, scale: float = 1.0, ci_path: Sequence[Any] | None = None) -> Extractor:
    def get(results, inputs):
        v = dig(results, section, *path)
        if v is None:
            return _missing(f"the '{section}' analysis (results.{section}.{'.'.join(map(str, path))})")
        ci = dig(results, section, *ci_path) if ci_path else None
        return Reproduced(scale * float(v), tuple(scale * float(c) for c in ci) if ci else None)
    return get


def _visit_mean_sd(section: str, visit: str) -> Extractor:
    def get(results, inputs):
        rows = dig(results, section, "visits")
        if rows is None:
            return _missing(f"the '{section}' analysis")
        for row in rows:
            if row.get("visit") == visit and row.get("arm", "BKP") == "BKP":
                return Reproduced((row["mean"], row["sd"]), tuple(row["ci"]) if row.get("ci") else None)
        return Reproduced(note=f"visit {visit} not in results.{section}.visits")
    return get


def _adverse(section: str, event: str) -> Extractor:
    def get(results, inputs):
        for row in dig(results, section, "adverse_events") or ():
            if row.get("event") == event:
                return Reproduced(int(row["events"]))
        return _missing(f"the '{section}' analysis")
    return get


def _dss_weights(results, inputs) -> Reproduced:
    df = _frame(inputs, "dss")
    if df is None:
        return _missing("the 'dss' input")
    score = 2 * (df["size_cm"] >= 5) + 2 * (df["boundary"] == "indistinct") + df["lobulated"].astype(int) \
        + df["bone_destruction"].astype(int)
    if "dss" in df.columns and df["dss"].notna().any():
        agree = int((score[df["dss"].notna()] == df["dss"].dropna()).sum())
        n = int(df["dss"].notna().sum())
        return Reproduced(agree == n, text=f"recorded DSS = 2\u00b7size\u22655 + 2\u00b7indistinct + lobulated + bone destruction in {agree}/{n}")
    return Reproduced(True, text="DSS computed from the features with these weights")


def _dss_median(group: str) -> Extractor:
    def get(results, inputs):
        df = _frame(inputs, "dss")
        if df is None:
            return _missing("the 'dss' input")
        score = df["dss"] if "dss" in df.columns else None
        if score is None:
            return Reproduced(note="no DSS column")
        return Reproduced(float(np.median(score[df["reference"] == group].dropna())))
    return get


def _dss_accuracy(positive_class: str) -> Extractor:
    """Sensitivity (malignant) or specificity (benign) of DSS >= 3, with exact CI.

    Used when the diagnostic job's results do not carry them; the counts are
    the same either way (a 2 x 2 table), the CI is Clopper-Pearson.
    """
    def get(results, inputs):
        from spinestats.analysis.descriptive.proportion_ci import clopper_pearson

        df = _frame(inputs, "dss")
        if df is None:
            return _missing("the 'dss' input")
        grp = df[df["reference"] == positive_class]
        hit = (grp["dss"] >= 3) if positive_class == "malignant" else (grp["dss"] < 3)
        x, n = int(hit.sum()), int(len(grp))
        lo, hi = clopper_pearson(x, n)
        return Reproduced(100.0 * x / n, (100.0 * float(np.ravel(lo)[0]), 100.0 * float(np.ravel(hi)[0])), (x, n))
    return get


def _first(*getters: Extractor) -> Extractor:
    """The first getter that produces a value (job results first, then the data)."""
    def get(results, inputs):
        rep = Reproduced(note="not available")
        for g in getters:
            rep = g(results, inputs)
            if rep.value is not None:
                return rep
        return rep
    return get


def _dss_cutoff(measure: str) -> Extractor:
    """Sensitivity or specificity at DSS >= 3 from the diagnostic job's results."""
    def get(results, inputs):
        for row in dig(results, "dss", "requested_cutoffs") or ():
            if row.get("cutoff") == 3:
                x, n = (row["tp"], row["tp"] + row["fn"]) if measure == "sensitivity" else (row["tn"], row["tn"] + row["fp"])
                ci = row.get(f"{measure}_ci")
                return Reproduced(100.0 * row[measure], tuple(100.0 * c for c in ci) if ci else None, (int(x), int(n)))
        return _missing("the 'dss' analysis at cutoff 3")
    return get


def _dss_job_weights(results, inputs) -> Reproduced:
    w = dig(results, "dss", "dss_weights")
    if w is None:
        return _missing("the 'dss' analysis")
    got = (w.get("size_ge_5cm"), w.get("indistinct_boundary"), w.get("lobulated"), w.get("bone_destruction"))
    data = _dss_weights(results, inputs)
    ok = got == (2, 2, 1, 1) and data.value is not False
    return Reproduced(ok, text=f"job weights {', '.join(f'{v:g}' for v in got)}; " + (data.text or ""))


def _no_myelitis(results, inputs) -> Reproduced:
    df = _frame(inputs, "cirt_ss")
    if df is None:
        return _missing("the 'cirt_ss' input")
    dose = df["cord_max_dose_gye"].dropna() if "cord_max_dose_gye" in df.columns else None
    if dose is None or dose.empty:
        return Reproduced(note="the cirt schema records no myelitis and no cord dose was given")
    ok = bool((dose <= 50).all())
    return Reproduced(ok, text=f"myelitis is not a schema field; cord maximum dose ≤ 50 GyE in {int((dose <= 50).sum())}/{len(dose)} "
                               f"(max {dose.max():.1f} GyE)")


def _headline(section: str, name: str, scale: float = 1.0, note: str | None = None) -> Extractor:
    """A headline estimate of the survival job (``results.<section>.headline.<name>``) with its CI."""
    def get(results, inputs):
        h = dig(results, section, "headline", name)
        if h is None or h.get("estimate") is None:
            return _missing(f"the '{section}' analysis (headline {name})")
        ci = (h["lower"], h["upper"]) if h.get("lower") is not None and h.get("upper") is not None else None
        return Reproduced(scale * h["estimate"], tuple(scale * c for c in ci) if ci else None, note=note)
    return get


def _job_dose_share(results, inputs) -> Reproduced:
    d = dig(results, "survival", "dose")
    if d is None or d.get("share_at_least_64_in_16") is None:
        return _missing("the 'survival' analysis (dose)")
    share = 100.0 * d["share_at_least_64_in_16"]
    return Reproduced(share, counts=(int(d["n_at_least_64_in_16"]), int(d["n"])),
                      text=f"{share:.1f}% ({d['n_at_least_64_in_16']}/{d['n']})")


def _dose_share(results, inputs) -> Reproduced:
    df = _frame(inputs, "cirt")
    if df is None:
        return _missing("the 'cirt' input")
    ok = (df["total_dose_gye"] >= 64) & (df["fractions"] == 16)
    return Reproduced(100.0 * ok.mean(), counts=(int(ok.sum()), int(len(df))),
                      text=f"{100.0 * ok.mean():.1f}% ({int(ok.sum())}/{len(df)})")


def _cord_max(results, inputs) -> Reproduced:
    values = []
    for name in ("cirt", "cirt_ss"):
        df = _frame(inputs, name)
        if df is not None and "cord_max_dose_gye" in df.columns:
            values.extend(df["cord_max_dose_gye"].dropna().tolist())
    if not values:
        return Reproduced(note="no cord dose recorded in the CIRT cohorts")
    over = sorted(v for v in values if v > 50)
    text = (f"maximum cord dose {max(values):.1f} GyE (n = {len(values)}); {len(over)} above 50 GyE"
            + (f" ({', '.join(f'{v:.1f}' for v in over)}), flagged by the dose check" if over else ""))
    return Reproduced(float(max(values)), text=text)


def _sarcoma_dose(results, inputs) -> Reproduced:
    df = _frame(inputs, "cirt")
    if df is None:
        return _missing("the 'cirt' input")
    med = float(np.median(df["total_dose_gye"]))
    return Reproduced(med, text=f"median total dose {med:.1f} GyE (range {df['total_dose_gye'].min():.1f}\u2013{df['total_dose_gye'].max():.1f})")


def _wbb(results, inputs) -> Reproduced:
    from spinestats.analysis.scores import wbb

    cases = {"4-8": wbb.VERTEBRECTOMY, "5-9": wbb.VERTEBRECTOMY, "2-5": wbb.SAGITTAL, "8-11": wbb.SAGITTAL,
             "10-3": wbb.POSTERIOR}
    got = {z: wbb.en_bloc_approach(z) for z in cases}
    ok = len(wbb.ZONES) == 12 and len(wbb.LAYERS) == 5 and got == cases
    return Reproduced(ok, text=f"{len(wbb.ZONES)} zones, {len(wbb.LAYERS)} layers; " + ", ".join(f"{z}: {a}" for z, a in got.items()))


def _only_bkp_improved(results, inputs) -> Reproduced:
    rows = dig(results, "pain_cafe", "visits")
    if rows is None:
        return _missing("the 'pain_cafe' analysis")
    means = {(r["arm"], r["visit"]): r for r in rows}
    try:
        bkp = [means[("BKP", v)]["mean"] - means[("BKP", "baseline")]["mean"] for v in ("1m", "3m", "6m", "12m")]
        ctl = [means[("control", v)]["mean"] - means[("control", "baseline")]["mean"] for v in ("1m", "3m", "6m", "12m")]
    except KeyError as exc:
        return Reproduced(note=f"visit {exc} missing")
    # "improved": a mean NRS reduction of at least 2 points (the usual MCID) at every visit to 12 months
    ok = all(d <= -2 for d in bkp) and all(d > -2 for d in ctl)
    text = ("mean change from baseline at 1/3/6/12 months: BKP " + ", ".join(f"{d:+.1f}" for d in bkp)
            + "; control " + ", ".join(f"{d:+.1f}" for d in ctl) + " (improvement: a reduction of \u2265 2 points)")
    return Reproduced(ok, text=text)


PUBLISHED: tuple[tuple[Published, Extractor], ...] = (
    (Published("dss_n", "DSS: dumbbell tumours", "section 1, Table 1; ref. 1", "59", 59, "count"),
     _first(_value("dss", "n"), _count_rows("dss"))),
    (Published("dss_benign", "DSS: benign tumours", "section 1, Table 1", "39", 39, "count"),
     _first(_value("dss", "n_negative"), _count_rows("dss", lambda d: d["reference"] == "benign"))),
    (Published("dss_malignant", "DSS: malignant tumours", "section 1, Table 1", "20", 20, "count"),
     _first(_value("dss", "n_positive"), _count_rows("dss", lambda d: d["reference"] == "malignant"))),
    (Published("dss_weights", "DSS points: size \u2265 5 cm, 2; indistinct boundary, 2; lobulated shape, 1; bone destruction, 1",
               "section 1, Table 2", "2, 2, 1, 1", True, "check"), _first(_dss_job_weights, _dss_weights)),
    (Published("dss_median_benign", "DSS: median score, benign", "section 1", "0", 0.0, "equal", 1),
     _first(_value("dss", "by_class", "benign", "median"), _dss_median("benign"))),
    (Published("dss_median_malignant", "DSS: median score, malignant", "section 1", "5.5", 5.5, "equal", 1),
     _first(_value("dss", "by_class", "malignant", "median"), _dss_median("malignant"))),
    (Published("dss_sensitivity", "DSS \u2265 3: sensitivity (%)", "section 1; ref. 1", "90% (18/20)", 90.0, "equal", 0, (18, 20)),
     _first(_dss_cutoff("sensitivity"), _dss_accuracy("malignant"))),
    (Published("dss_specificity", "DSS \u2265 3: specificity (%)", "section 1; ref. 1", "84.6% (33/39)", 84.6, "equal", 1, (33, 39)),
     _first(_dss_cutoff("specificity"), _dss_accuracy("benign"))),
    (Published("cirt_n", "CIRT for primary spinal sarcoma: patients", "section 3; ref. 12", "47", 47, "count"),
     _first(_value("survival", "flow", "patients"), _count_rows("cirt"))),
    (Published("cirt_dose", "CIRT: patients receiving \u2265 64 GyE in 16 fractions (%)", "section 3; ref. 12", "> 90%", 90.0, "greater"),
     _first(_job_dose_share, _dose_share)),
    (Published("cirt_median_os", "CIRT: median overall survival (months)", "section 3; ref. 12", "44 months", 44.0, "equal"),
     _headline("survival", "median_observed_os", note=(
         "the median observed survival time (death or last follow-up); a Kaplan-Meier median of 44 months "
         "would contradict the 52% 5-year survival quoted beside it (see cohort_cirt.py)"))),
    (Published("cirt_lc5", "CIRT: 5-year local control (%)", "section 3; ref. 12", "79%", 79.0, "equal"),
     _headline("survival", "lc_5y", 100.0, note="Kaplan-Meier; death without recurrence censored, as the paper")),
    (Published("cirt_os5", "CIRT: 5-year overall survival (%)", "section 3; ref. 12", "52%", 52.0, "equal"),
     _headline("survival", "os_5y", 100.0, note="Kaplan-Meier")),
    (Published("cirt_ss_lc2", "CIRT after separation surgery: 2-year local control (%)", "section 3; ref. 14", "87.5%", 87.5,
               "equal", 1), _headline("survival_ss", "lc_2y", 100.0, note="Kaplan-Meier")),
    (Published("cirt_ss_myelitis", "CIRT after separation surgery: no radiation myelitis", "section 3; ref. 14",
               "no radiation myelitis", True, "check"), _no_myelitis),
    (Published("cord_limit", "Spinal cord tolerance (GyE): cohort cord maximum within about 50 GyE", "section 3",
               "about 50 GyE", 50.0, "at_most", -1), _cord_max),
    (Published("sarcoma_dose", "Dose needed for sarcoma control (GyE): median CIRT dose within it", "section 3", "60\u201370 GyE",
               (60.0, 70.0), "range"), _sarcoma_dose),
    (Published("fx_cirt", "Fracture after CIRT (%)", "section 3; ref. 16", "23% (7/30)", 23.0, "equal", 0, (7, 30)),
     _proportion("fracture", "crude", "by_group", "CIRT")),
    (Published("fx_cirt_median", "Fracture after CIRT: median time (months)", "section 3; ref. 16", "about 7 months", 7.0, "about"),
     _value("fracture", "median_time_to_fracture", "by_group", "CIRT")),
    (Published("fx_sbrt", "Fracture after SBRT (%)", "section 3; ref. 15", "about 13.9%", 13.9, "about", 1),
     _proportion("fracture", "crude", "by_group", "SBRT")),
    (Published("fx_conventional", "Fracture after conventional radiotherapy (%)", "section 3; ref. 15", "3\u20135%", (3.0, 5.0),
               "range"), _proportion("fracture", "crude", "by_group", "conventional")),
    (Published("bkp_n", "BKP own series: patients", "section 5(2)(b)", "17", 17, "count"), _count_rows("bkp")),
    (Published("bkp_nrs_before", "BKP: NRS before, mean \u00b1 SD", "section 5(2)(b)", "7 \u00b1 2.3", (7.0, 2.3), "mean_sd", 1),
     _visit_mean_sd("pain", "baseline")),
    (Published("bkp_nrs_1m", "BKP: NRS at 1 month, mean \u00b1 SD", "section 5(2)(b)", "2.2 \u00b1 2.1", (2.2, 2.1), "mean_sd", 1),
     _visit_mean_sd("pain", "1m")),
    (Published("bkp_nrs_final", "BKP: NRS at last follow-up, mean \u00b1 SD", "section 5(2)(b)", "1.8 \u00b1 1.9", (1.8, 1.9),
               "mean_sd", 1), _visit_mean_sd("pain", "final")),
    (Published("bkp_pps", "BKP: crushed vertebrae needing added PPS fixation", "section 5(2)(b)", "1", 1, "count"),
     _adverse("pain", "added_fixation")),
    (Published("cafe_n", "CAFE trial: patients randomised", "section 5(2)(b); ref. 28", "117", 117, "count"), _count_rows("cafe")),
    (Published("cafe_bkp", "CAFE trial: BKP arm", "section 5(2)(b); ref. 28", "65", 65, "count"),
     _count_rows("cafe", lambda d: d["arm"] == "BKP")),
    (Published("cafe_control", "CAFE trial: control arm", "section 5(2)(b); ref. 28", "52", 52, "count"),
     _count_rows("cafe", lambda d: d["arm"] == "control")),
    (Published("cafe_effect", "CAFE trial: pain improved only with BKP, lasting 12 months", "section 5(2)(b); ref. 28",
               "improved only with BKP", True, "check"), _only_bkp_improved),
    (Published("wbb", "WBB staging: 12 zones, 5 layers; vertebrectomy 4\u20138/5\u20139, sagittal 2\u20135/8\u201311, posterior 10\u20133",
               "section 2", "12 zones, layers A\u2013E", True, "check"), _wbb),
)


def reproduce(results: Mapping[str, Any], inputs: Mapping[str, Any],
              extra: Mapping[str, Extractor] | None = None) -> list[dict[str, Any]]:
    """The ``reproduction`` list: every published figure, compared.

    Parameters
    ----------
    results : the run's results (section key -> results dict).
    inputs : the run's loaded inputs (name -> object with ``.table.data``);
        the demo names them dss, cirt, cirt_ss, fracture, bkp, cafe.
    extra : extractors overriding the defaults, by figure key.
    """
    extra = dict(EXTRACTORS, **(extra or {}))
    out = []
    for pub, default in PUBLISHED:
        get = extra.get(pub.key, default)
        try:
            rep = get(results, inputs)
        except (KeyError, TypeError, ValueError) as exc:
            rep = Reproduced(note=f"could not be read from the results ({type(exc).__name__}: {exc})")
        out.append(compare(pub, rep))
    return out


#: Extractors that read the results of jobs landed after this module (filled below).
EXTRACTORS: dict[str, Extractor] = {}

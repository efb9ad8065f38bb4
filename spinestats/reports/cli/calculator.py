"""``spinestats calculator``: bedside calculators in one offline HTML file.

``spinestats calculator --out calc.html [--model model.json] [--plan PLAN.yaml] [--cutoff 3]
[--results results.json | --sensitivity S --specificity S]``

The page (``reports/templates/calculator.html``) holds everything it needs:
no server, no network (its Content-Security-Policy forbids any load), no
external script or font.  It has

* a DSS calculator (four inputs; the score of :mod:`spinestats.analysis.scores.dss_score`,
  its class at the prespecified cutoff, with the validated sensitivity and
  specificity at that cutoff);
* a SINS calculator (six components; total and category of
  :mod:`spinestats.analysis.scores.sins`);
* with ``--model``, a fracture-risk calculator: the model's coefficients,
  covariance and baseline are embedded and the browser computes the risk by
  the horizon and its delta-method CI exactly as
  :func:`spinestats.analysis.prediction.risk_model.predict_risk` (``spinestats predict``).

Labels are in English and Japanese; every input is a native, labelled form
control (keyboard-accessible), results are announced (``aria-live``), and
the page prints.
"""

from __future__ import annotations

import html
import json
from importlib import resources
from pathlib import Path
from typing import Any

import click

from spinestats import __version__
from spinestats.errors import UsageError

#: published validation of DSS >= 3 (Matsumoto et al. Spine 2016): sensitivity 18/20, specificity 33/39
PUBLISHED = {"cutoff": 3.0, "sensitivity": (18, 20), "specificity": (33, 39),
             "source": "Matsumoto et al., Spine 2016 (59 patients)"}

SINS_TEXT: dict[str, tuple[str, str, dict[int, tuple[str, str]]]] = {
    "sins_location": ("Location", "部位", {
        3: ("Junctional (occiput–C2, C7–T2, T11–L1, L5–S1)", "移行部"),
        2: ("Mobile spine (C3–C6, L2–L4)", "可動部"),
        1: ("Semi-rigid (T3–T10)", "半固定部"),
        0: ("Rigid (S2–S5)", "固定部")}),
    "sins_pain": ("Pain", "疼痛", {
        3: ("Mechanical pain", "機械的疼痛"),
        1: ("Occasional non-mechanical pain", "時々の非機械的疼痛"),
        0: ("Pain-free lesion", "疼痛なし")}),
    "sins_bone_lesion": ("Bone lesion quality", "骨病変の性状", {
        2: ("Lytic", "溶骨性"), 1: ("Mixed (lytic/blastic)", "混合性"), 0: ("Blastic", "造骨性")}),
    "sins_alignment": ("Radiographic spinal alignment", "脊椎アライメント", {
        4: ("Subluxation or translation", "亜脱臼・転位"),
        2: ("De novo deformity (kyphosis or scoliosis)", "新たな変形（後弯・側弯）"),
        0: ("Normal alignment", "正常")}),
    "sins_collapse": ("Vertebral body collapse", "椎体圧潰", {
        3: ("More than 50% collapse", "50%超の圧潰"),
        2: ("Less than 50% collapse", "50%未満の圧潰"),
        1: ("No collapse with more than 50% of the body involved", "圧潰なし・椎体の50%超に病変"),
        0: ("None of the above", "いずれもなし")}),
    "sins_posterolateral": ("Posterolateral involvement of the spinal elements", "後側方要素への浸潤", {
        3: ("Bilateral", "両側"), 1: ("Unilateral", "片側"), 0: ("None", "なし")}),
}
SINS_LABELS = {"stable": "Stable / 安定", "indeterminate": "Potentially unstable (indeterminate) / 潜在的不安定",
               "unstable": "Unstable / 不安定"}

COVARIATE_TEXT: dict[str, tuple[str, str]] = {
    "sins_total": ("SINS total (0–18)", "SINS合計（0–18）"),
    "sins_7_or_more": ("SINS 7 or more", "SINS 7以上"),
    "lytic": ("Lytic bone lesion", "溶骨性病変"),
    "modality": ("Treatment modality", "治療法"),
    "age": ("Age (years)", "年齢（歳）"),
    "total_dose_gy": ("Total dose (Gy)", "総線量（Gy）"),
    "baseline_fracture": ("Fracture before irradiation", "照射前の骨折"),
    "sins_category": ("SINS category", "SINS分類"),
}


def _esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _sins_fields() -> tuple[str, list[dict]]:
    from spinestats.analysis.scores.sins import COMPONENTS

    parts, comps = [], []
    for comp, allowed in COMPONENTS.items():
        en, ja, options = SINS_TEXT[comp]
        cid = comp.replace("_", "-")
        opts = ['<option value="">Select / 選択</option>']
        for pts in sorted(allowed, reverse=True):
            o_en, o_ja = options[pts]
            opts.append(f'<option value="{pts}">{_esc(o_en)} / {_esc(o_ja)} — {pts}</option>')
        parts.append(f'<label class="row" for="{cid}">{_esc(en)} <span class="ja">{_esc(ja)}</span></label>\n'
                     f'<select id="{cid}">{"".join(opts)}</select>')
        comps.append({"id": cid, "component": comp})
    return "\n".join(parts), comps


def _risk_section(model) -> tuple[str, dict]:
    """The fracture-risk form and the model data the browser needs."""
    from spinestats.analysis.core.critical import z_critical

    inputs, fields, seen = [], [], {}
    for c in model.coding:
        col = c["column"]
        if col in seen:
            if c["kind"] == "category":
                seen[col]["levels"].append(str(c["level"]))
            continue
        entry = {"column": col, "kind": c["kind"], "id": "risk-" + str(len(seen))}
        if c["kind"] == "category":
            entry["levels"] = [str(c["reference"]), str(c["level"])]
        seen[col] = entry
        inputs.append(entry)
    for e in inputs:
        en, ja = COVARIATE_TEXT.get(e["column"], (e["column"].replace("_", " ").capitalize(), ""))
        ja_html = f' <span class="ja">{_esc(ja)}</span>' if ja else ""
        if e["kind"] == "numeric":
            fields.append(f'<label class="row" for="{e["id"]}">{_esc(en)}{ja_html}</label>\n'
                          f'<input type="number" id="{e["id"]}" step="any" inputmode="decimal">')
        elif e["kind"] == "boolean":
            fields.append(f'<fieldset class="radio"><legend>{_esc(en)}{ja_html}</legend>'
                          f'<label><input type="radio" name="{e["id"]}" id="{e["id"]}-no" value="false"> No '
                          f'<span class="ja">なし</span></label>'
                          f'<label><input type="radio" name="{e["id"]}" id="{e["id"]}-yes" value="true"> Yes '
                          f'<span class="ja">あり</span></label></fieldset>')
        else:
            opts = ['<option value="">Select / 選択</option>'] + [
                f'<option value="{_esc(v)}">{_esc(v)}</option>' for v in e["levels"]]
            fields.append(f'<label class="row" for="{e["id"]}">{_esc(en)}{ja_html}</label>\n'
                          f'<select id="{e["id"]}">{"".join(opts)}</select>')
    kind = {"finegray": "Fine-Gray model", "firth": "Firth logistic model"}.get(model.model_type, model.model_type)
    horizon = f"{model.horizon:g} {model.time_unit}"
    horizon_ja = f"{model.horizon:g}" + {"months": "か月", "days": "日", "years": "年"}.get(model.time_unit, model.time_unit)
    block = f"""<section id="risk" aria-labelledby="risk-h">
<h2 id="risk-h">Risk of vertebral compression fracture by {_esc(horizon)} <span class="ja">{_esc(horizon_ja)}以内の椎体圧迫骨折リスク</span></h2>
{chr(10).join(fields)}
<div class="result" aria-live="polite">
<div>Predicted risk <span class="ja">予測リスク</span>: <strong><output id="risk-estimate" data-value="">—</output></strong>
(95% CI <output id="risk-lower" data-value="">—</output> to <output id="risk-upper" data-value="">—</output>)</div>
<div class="note">{_esc(kind)} ({model.n} patients, {model.events} events), as <code>spinestats predict</code>; CI by the delta method.
<span class="ja">信頼区間はデルタ法。</span></div>
</div>
</section>"""
    data = {"model_type": model.model_type, "horizon": model.horizon, "coding": list(model.coding),
            "coefficients": list(model.coefficients), "covariance": [list(r) for r in model.covariance],
            "center": list(model.center), "baseline": model.baseline if model.model_type == "finegray" else {},
            "z": z_critical(0.95), "inputs": inputs}
    return block, data


def _validated_text(cutoff: float, sensitivity: str | None, specificity: str | None, source: str | None) -> str:
    if sensitivity or specificity:
        where = f" ({_esc(source)})" if source else ""
        return (f"Validated at this cutoff{where}: sensitivity {_esc(sensitivity or '—')}, specificity "
                f"{_esc(specificity or '—')}. <span class=\"ja\">このカットオフでの検証：感度 {_esc(sensitivity or '—')}、"
                f"特異度 {_esc(specificity or '—')}。</span>")
    if cutoff == PUBLISHED["cutoff"]:
        (a, n), (b, m) = PUBLISHED["sensitivity"], PUBLISHED["specificity"]
        se, sp = f"{100 * a / n:.1f}% ({a}/{n})", f"{100 * b / m:.1f}% ({b}/{m})"
        return (f"Validated at score ≥ 3 ({PUBLISHED['source']}): sensitivity {se}, specificity {sp}. "
                f"<span class=\"ja\">スコア ≥ 3 での検証：感度 {se}、特異度 {sp}。</span>")
    return ('<span class="warn">No validated sensitivity and specificity at this cutoff were given '
            '(--sensitivity, --specificity). <span class="ja">このカットオフでの検証値は未指定です。</span></span>')


def _pct_ci(est: float, ci) -> str:
    lo, hi = ci
    return f"{100 * est:.1f}% (95% CI {100 * lo:.1f}–{100 * hi:.1f}%)"


def validated_from_results(path: Path, cutoff: float) -> tuple[str, str, str]:
    """``(sensitivity, specificity, source)`` at ``cutoff`` from a ``results.json`` of spinestats.

    Reads the pooled estimates of a multicentre analysis, or the requested
    cutoff of a ``dss``/``accuracy`` analysis (a plan's results.json: its first
    section that has them).  Refuses results at another cutoff.
    """
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"--results {path}: not a readable results.json ({exc}).") from None
    sections = [doc] + [v for v in doc.values() if isinstance(v, dict)] if isinstance(doc, dict) else []
    for sec in sections:
        pooled = sec.get("pooled")
        if isinstance(pooled, dict) and isinstance(pooled.get("sensitivity"), dict) and "cutoff" in sec:
            if float(sec["cutoff"]) != float(cutoff):
                raise UsageError(f"--results {path}: validated at score >= {sec['cutoff']:g}, not at the "
                                 f"calculator's cutoff {cutoff:g}.")
            se, sp = pooled["sensitivity"], pooled["specificity"]
            k = se.get("k")
            return (_pct_ci(se["estimate"], se["ci"]), _pct_ci(sp["estimate"], sp["ci"]),
                    f"pooled over {k} centres, REML" if k else "pooled, REML")
        for entry in sec.get("requested_cutoffs") or []:
            if float(entry.get("cutoff", float("nan"))) == float(cutoff):
                return (_pct_ci(entry["sensitivity"], entry["sensitivity_ci"]),
                        _pct_ci(entry["specificity"], entry["specificity_ci"]),
                        f"{entry['tp'] + entry['fn'] + entry['tn'] + entry['fp']} patients, exact CIs")
    raise UsageError(f"--results {path}: no pooled or per-cutoff sensitivity and specificity at score >= {cutoff:g} "
                     "(give the results.json of a multicenter, dss or accuracy analysis).")


def build_calculator(*, model=None, cutoff: float = 3.0, sensitivity: str | None = None,
                     specificity: str | None = None, source: str | None = None, size_threshold_cm: float = 5.0) -> str:
    """The calculator page as one HTML string (see the module docstring)."""
    from spinestats.analysis.scores.dss_score import DSS_WEIGHTS

    template = resources.files("spinestats.reports").joinpath("templates/calculator.html").read_text(encoding="utf-8")
    fields, comps = _sins_fields()
    config: dict[str, Any] = {
        "dss": {"weights": DSS_WEIGHTS, "size_threshold_cm": float(size_threshold_cm), "cutoff": float(cutoff)},
        "sins": {"components": comps, "labels": SINS_LABELS},
        "model": None,
    }
    risk_html = ""
    if model is not None:
        risk_html, config["model"] = _risk_section(model)
    text = json.dumps(config, ensure_ascii=False, allow_nan=False).replace("</", "<\\/")
    out = (template.replace("__SINS_FIELDS__", fields).replace("__RISK_SECTION__", risk_html)
           .replace("__VALIDATED__", _validated_text(float(cutoff), sensitivity, specificity, source))
           .replace("__CUTOFF__", f"{cutoff:g}").replace("__SIZE__", f"{size_threshold_cm:g}")
           .replace("__VERSION__", _esc(__version__)))
    return out.replace("__CONFIG__", text)


@click.command("calculator")
@click.option("--out", "out", type=click.Path(path_type=Path), required=True, help="The HTML file to write.")
@click.option("--model", "model_file", type=click.Path(path_type=Path), default=None,
              help="A risk model JSON (spinestats fracture): adds the fracture-risk calculator.")
@click.option("--plan", "plan_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Plan YAML: the DSS cutoff is its prespecified cutoff.")
@click.option("--cutoff", type=float, default=None, help="DSS cutoff (positive when score >= cutoff; default 3).")
@click.option("--sensitivity", default=None, help="Validated sensitivity at the cutoff, as shown (e.g. '90.0% (18/20)').")
@click.option("--specificity", default=None, help="Validated specificity at the cutoff, as shown.")
@click.option("--validated-in", "source", default=None, help="Where the sensitivity and specificity were validated.")
@click.option("--results", "results_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="results.json of a multicenter/dss/accuracy run: the validated values at the cutoff.")
@click.option("--force", is_flag=True, help="Replace an existing file.")
def command(out, model_file, plan_path, cutoff, sensitivity, specificity, source, results_path, force) -> None:
    """Bedside DSS, SINS (and fracture-risk) calculators in one offline HTML file."""
    if out.exists() and not force:
        raise UsageError(f"--out {out}: the file exists; add --force to replace it.")
    if plan_path is not None:
        from spinestats.data_schemas.plan_lock import read_prespecified

        pre = read_prespecified(plan_path)
        if cutoff is not None and cutoff != pre.cutoff:
            raise UsageError(f"--cutoff {cutoff:g} differs from the plan's prespecified cutoff {pre.cutoff:g}.")
        cutoff = pre.cutoff
    cutoff = PUBLISHED["cutoff"] if cutoff is None else cutoff
    if results_path is not None:
        if sensitivity or specificity:
            raise UsageError("give either --results or --sensitivity/--specificity, not both.")
        sensitivity, specificity, found = validated_from_results(results_path, cutoff)
        source = source or found
    model = None
    if model_file is not None:
        from spinestats.analysis.prediction.risk_model import model_from_json
        from spinestats.data_schemas.risk_model import load_risk_model

        model = load_risk_model(model_file, build=model_from_json)
    page = build_calculator(model=model, cutoff=cutoff,
                            sensitivity=sensitivity, specificity=specificity, source=source)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    click.echo(f"calculator: written to {out}" + (" (with the fracture-risk calculator)" if model else ""))

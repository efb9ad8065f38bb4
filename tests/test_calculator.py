"""``spinestats calculator``: the offline page computes what the Python functions compute.

The page is loaded in headless Chromium (``--dump-dom``) with a test harness appended: it fills every
input for a grid of values through the same DOM events a user's keyboard fires, reads the outputs'
``data-value`` (full precision) and writes them, with any error and every resource the page loaded,
into the DOM that Chromium prints.  The numbers are compared with ``compute_dss``, ``sins`` and
``predict_risk`` (what ``spinestats predict`` prints), the risk to 1e-9.
"""

import itertools
import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spinestats.analysis.scores.dss_score import compute_dss
from spinestats.analysis.prediction.risk_model import fit_risk_model, model_to_json, predict_risk
from spinestats.analysis.scores.sins import COMPONENTS, sins
from spinestats.data_schemas.loading import load
from spinestats.data_schemas.examples import cohort_readers
from spinestats.reports.cli.calculator import build_calculator
from spinestats.reports.cli.main import main
from spinestats.reports.fracture_job import EVENT, TIME, prepare
from spinestats.reports.validate_job import load_model

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed (Debian package 'chromium')")
EXAMPLES = Path(cohort_readers.__file__).resolve().parent

HARNESS_HEAD = """<script>
window.HARNESS_CONSOLE = [];
(function () { var e = console.error; console.error = function () {
  window.HARNESS_CONSOLE.push(Array.prototype.join.call(arguments, " ")); e.apply(console, arguments); }; })();
</script>"""

HARNESS_BODY = """<pre id="harness-out"></pre><script>
(function () {
  function $(id) { return document.getElementById(id); }
  function set(el, v) { el.value = v; el.dispatchEvent(new Event("input", {bubbles: true})); el.dispatchEvent(new Event("change", {bubbles: true})); }
  function pick(id) { var el = $(id); el.checked = true; el.dispatchEvent(new Event("change", {bubbles: true})); }
  function val(id) { return $(id).getAttribute("data-value"); }
  var grid = __GRID__, out = {dss: [], sins: [], risk: []};
  grid.dss.forEach(function (c) {
    set($("dss-size"), c.size); pick("dss-boundary-" + c.boundary); pick("dss-lobulated-" + (c.lobulated ? "yes" : "no"));
    pick("dss-bone-" + (c.bone ? "yes" : "no"));
    out.dss.push([val("dss-score"), val("dss-class")]);
  });
  grid.sins.forEach(function (c) {
    Object.keys(c).forEach(function (k) { set($(k), String(c[k])); });
    out.sins.push([val("sins-total"), val("sins-category")]);
  });
  grid.risk.forEach(function (c) {
    c.forEach(function (x) { if (x.radio) { pick(x.id); } else { set($(x.id), x.value); } });
    out.risk.push([val("risk-estimate"), val("risk-lower"), val("risk-upper")]);
  });
  var unlabelled = Array.prototype.filter.call(document.querySelectorAll("input, select"), function (el) {
    return !el.labels || el.labels.length === 0; }).map(function (el) { return el.id; });
  out.unlabelled = unlabelled;
  out.errors = window.SPINESTATS_ERRORS.concat(window.HARNESS_CONSOLE);
  out.resources = performance.getEntriesByType("resource").map(function (r) { return r.name; });
  out.incomplete_text = $("dss-score").textContent;
  $("harness-out").textContent = JSON.stringify(out);
})();
</script>"""


def run_in_chromium(page: str, grid: dict) -> dict:
    html = page.replace("<head>", "<head>" + HARNESS_HEAD, 1).replace(
        "</body>", HARNESS_BODY.replace("__GRID__", json.dumps(grid)) + "</body>", 1)
    folder = Path(tempfile.mkdtemp(prefix="spinestats-calc-"))
    try:
        f = folder / "calc.html"
        f.write_text(html, encoding="utf-8")
        proc = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
             f"--user-data-dir={folder / 'profile'}", "--dump-dom", f.as_uri()],
            capture_output=True, timeout=120, text=True)
        m = re.search(r'<pre id="harness-out">(.*?)</pre>', proc.stdout, re.S)
        assert m and m.group(1), f"the harness wrote nothing (chromium exit {proc.returncode})"
        return json.loads(m.group(1).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def fracture():
    return prepare(load(EXAMPLES / "synthetic_fracture.csv", schema="fracture").data)


def _model(fracture, kind, covariates):
    rm, _ = fit_risk_model(fracture, time=TIME, event=EVENT, covariates=covariates, horizon=12, model=kind,
                           profile=False)
    return rm


def _dss_grid():
    cases = [{"size": s, "boundary": b, "lobulated": lo, "bone": bo}
             for s, b, lo, bo in itertools.product(["4.9", "5", "7.2", "0"], ["distinct", "indistinct"],
                                                    [False, True], [False, True])]
    frame = pd.DataFrame({"size_cm": [float(c["size"]) for c in cases], "boundary": [c["boundary"] for c in cases],
                          "lobulated": [c["lobulated"] for c in cases], "bone_destruction": [c["bone"] for c in cases]})
    return cases, compute_dss(frame, check_column=None).score.to_numpy()


def _sins_grid():
    combos = list(itertools.product(*COMPONENTS.values()))
    cases = [{k.replace("_", "-"): v for k, v in zip(COMPONENTS, c)} for c in combos]
    res = sins(pd.DataFrame(combos, columns=list(COMPONENTS)))
    return cases, res


def _risk_grid(model, frame_rows):
    """Harness steps and the data frame for ``predict_risk``."""
    inputs = json.loads(re.search(r'<script type="application/json" id="calculator-config">(.*?)</script>',
                                  build_calculator(model=model), re.S).group(1))["model"]["inputs"]
    steps = []
    for row in frame_rows:
        s = []
        for inp in inputs:
            v = row[inp["column"]]
            if inp["kind"] == "boolean":
                s.append({"id": inp["id"] + ("-yes" if v else "-no"), "radio": True})
            else:
                s.append({"id": inp["id"], "value": str(v)})
        steps.append(s)
    return steps


@needs_chromium
def test_page_matches_python_for_a_grid(fracture):
    fg = _model(fracture, "finegray", ("sins_total", "modality"))
    rows = [{"sins_total": t, "modality": m} for t in range(0, 19, 2) for m in ("CIRT", "SBRT", "conventional")]
    rows += [{"sins_total": 7.5, "modality": "SBRT"}]
    dss_cases, dss_scores = _dss_grid()
    sins_cases, sins_res = _sins_grid()
    got = run_in_chromium(build_calculator(model=fg), {"dss": dss_cases, "sins": sins_cases,
                                                       "risk": _risk_grid(fg, rows)})
    assert got["errors"] == [] and got["resources"] == [] and got["unlabelled"] == []
    assert [float(s) for s, _ in got["dss"]] == dss_scores.tolist()
    assert [c for _, c in got["dss"]] == ["positive" if s >= 3 else "negative" for s in dss_scores]
    assert [int(t) for t, _ in got["sins"]] == list(sins_res.total)
    assert [c for _, c in got["sins"]] == list(sins_res.category)
    pred = predict_risk(fg, pd.DataFrame(rows))
    js = np.array(got["risk"], dtype=float)
    np.testing.assert_allclose(js[:, 0], pred.risk, rtol=0, atol=1e-9)
    np.testing.assert_allclose(js[:, 1], pred.lower, rtol=0, atol=1e-9)
    np.testing.assert_allclose(js[:, 2], pred.upper, rtol=0, atol=1e-9)


@needs_chromium
def test_firth_model_page_matches_predict(fracture):
    fm = _model(fracture, "firth", ("sins_total", "lytic", "baseline_fracture"))
    rows = [{"sins_total": t, "lytic": a, "baseline_fracture": b}
            for t in (0, 5, 9, 13, 18) for a in (False, True) for b in (False, True)]
    got = run_in_chromium(build_calculator(model=fm), {"dss": [], "sins": [], "risk": _risk_grid(fm, rows)})
    assert got["errors"] == [] and got["resources"] == []
    pred = predict_risk(fm, pd.DataFrame(rows))
    np.testing.assert_allclose(np.array(got["risk"], dtype=float), np.column_stack([pred.risk, pred.lower, pred.upper]),
                               rtol=0, atol=1e-9)


def test_page_is_self_contained():
    page = build_calculator()
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert not re.search(r'\b(src|href)\s*=\s*"(https?:)?//', page)
    assert "@import" not in page and "url(" not in page
    assert "@media print" in page and 'lang="en"' in page and "腫瘍径" in page
    assert "sensitivity 90.0% (18/20), specificity 84.6% (33/39)" in page


def test_cli_writes_the_page_and_refuses_bad_models(tmp_path, fracture, capsys):
    fg = _model(fracture, "finegray", ("sins_total", "modality"))
    model = tmp_path / "model.json"
    model.write_text(model_to_json(fg), encoding="utf-8")
    out = tmp_path / "calc.html"
    with pytest.raises(SystemExit) as exc:
        main(["calculator", "--out", str(out), "--model", str(model)])
    assert exc.value.code == 0 and "Risk of vertebral compression fracture by 12 months" in out.read_text("utf-8")
    doc = json.loads(model.read_text("utf-8"))
    doc["coefficients"][1] = float("nan")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        main(["calculator", "--out", str(tmp_path / "b.html"), "--model", str(bad)])
    err = capsys.readouterr().err
    assert exc.value.code == 1 and "coefficients" in err and "not a finite" in err  # refused as predict refuses it
    assert not (tmp_path / "b.html").exists()
    doc = json.loads(model.read_text("utf-8"))
    del doc["coefficients"]
    bad.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        main(["calculator", "--out", str(tmp_path / "b.html"), "--model", str(bad)])
    assert exc.value.code == 1 and "risk_model.schema.json" in capsys.readouterr().err
    assert load_model(model).coefficients == fg.coefficients


def test_validated_values_come_from_a_results_file(tmp_path, capsys):
    from spinestats.data_schemas.examples import cohort_multicenter as cm
    from spinestats.reports.multicenter_job import run

    res = run(cm.make(), figure_formats=["none"], federated=False).results
    f = tmp_path / "results.json"
    f.write_text(json.dumps({"multicenter": res}), encoding="utf-8")
    out = tmp_path / "calc.html"
    with pytest.raises(SystemExit) as exc:
        main(["calculator", "--out", str(out), "--results", str(f)])
    assert exc.value.code == 0
    se, sp = res["pooled"]["sensitivity"], res["pooled"]["specificity"]
    text = (f"sensitivity {100 * se['estimate']:.1f}% (95% CI {100 * se['ci'][0]:.1f}–{100 * se['ci'][1]:.1f}%), "
            f"specificity {100 * sp['estimate']:.1f}%")
    assert text in out.read_text(encoding="utf-8") and "pooled over 6 centres" in out.read_text(encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        main(["calculator", "--out", str(tmp_path / "c4.html"), "--results", str(f), "--cutoff", "4"])
    assert exc.value.code == 2 and "not at the calculator's cutoff 4" in capsys.readouterr().err


def test_cutoff_comes_from_the_plan(tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text("prespecified:\n  score: dss\n  cutoff: 4\n  positive: malignant\n", encoding="utf-8")
    out = tmp_path / "calc.html"
    with pytest.raises(SystemExit) as exc:
        main(["calculator", "--out", str(out), "--plan", str(plan)])
    assert exc.value.code == 0
    page = out.read_text(encoding="utf-8")
    config = json.loads(re.search(r'id="calculator-config">(.*?)</script>', page, re.S).group(1))
    assert config["dss"]["cutoff"] == 4.0 and "score ≥ 4" in page
    assert "No validated sensitivity and specificity at this cutoff" in page   # the published 90%/84.6% are for >= 3
    with pytest.raises(SystemExit) as exc:
        main(["calculator", "--out", str(tmp_path / "c.html"), "--plan", str(plan), "--cutoff", "3"])
    assert exc.value.code == 2

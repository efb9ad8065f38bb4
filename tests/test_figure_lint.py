"""The figure lint over every figure the demo writes and every figure of a small run with Japanese labels.

The demo runs in this process (one worker) inside
:func:`spinestats.reports.figure_style.observe_figures`, so the lint gets the
Figure objects exactly as they were saved.  The Japanese run uses the
bundled synthetic cohorts with Japanese centre and histology names and
group values あり/なし.  Checks: :mod:`figure_lint` (canvas, overlaps, sizes,
glyphs, hyphen-minus, TIFF), plus the AUC forest's axis and markers and the
STARD diagram's counts.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from figure_lint import lint_figure, lint_tiff
from spinestats.reports.figure_style import observe_figures

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "data_schemas" / "examples"


def _tiff_problems(paths) -> list[str]:
    return [p for path in paths if path.suffix == ".tiff"
            for p in lint_tiff(path, int(re.search(r"_(\d+)dpi$", path.stem).group(1)))]


def _collect(run) -> tuple[dict, list[str]]:
    """Run ``run()`` with the figure hook; returns ({stem: (fig, TIFF problems)}, glyph warnings).

    TIFF files are checked when written (outputs are moved into place at the end of a run).
    """
    figures: dict[str, tuple] = {}

    def keep(fig, stem, paths):
        figures[stem] = (fig, _tiff_problems(paths))

    with warnings.catch_warnings(record=True) as caught, observe_figures(keep):
        warnings.simplefilter("always")
        run()
    glyphs = [str(w.message) for w in caught if re.search(r"Glyph .* missing", str(w.message))]
    return figures, glyphs


@pytest.fixture(scope="module")
def demo_figures(demo_run):
    out, _, figures, glyphs = demo_run  # the session's demo run (conftest.py)
    return out, figures, glyphs


def _japanese_inputs(folder: Path) -> dict[str, Path]:
    """Small inputs with Japanese centre/histology names and あり/なし group values."""
    folder.mkdir(parents=True, exist_ok=True)
    mc = pd.read_csv(EXAMPLES / "synthetic_multicenter.csv", comment="#")
    centres = {c: n for c, n in zip(sorted(mc["centre"].unique()),
                                    ["福島県立医科大学", "東北大学病院", "新潟大学医歯学総合病院", "京都府立医科大学",
                                     "国立がん研究センター中央病院", "千葉大学医学部附属病院"])}
    mc["centre"] = mc["centre"].map(centres)
    mc["histology"] = np.where(mc["reference"] == "malignant", "悪性末梢神経鞘腫瘍", "神経鞘腫")
    mc.to_csv(folder / "multicenter_ja.csv", index=False)
    dss = pd.read_csv(EXAMPLES / "synthetic_dss.csv", comment="#")
    dss["centre"] = "福島県立医科大学"
    dss["histology"] = np.where(dss["reference"] == "malignant", "悪性末梢神経鞘腫瘍", "神経鞘腫")
    dss.loc[dss.index[:2], "reference"] = None  # two rows without the reference standard: a flow diagram with exclusions
    dss.to_csv(folder / "dss_ja.csv", index=False)
    rng = np.random.default_rng(13)
    n = 40
    surv = pd.DataFrame({"期間_月": np.round(rng.exponential(30, n), 1) + 0.5,
                         "イベント": rng.integers(0, 2, n),
                         "分離手術": np.where(np.arange(n) % 2 == 0, "あり", "なし"),
                         "年齢": np.round(rng.normal(62, 10, n))})
    surv.to_csv(folder / "survival_ja.csv", index=False)
    return {"multicenter": folder / "multicenter_ja.csv", "dss": folder / "dss_ja.csv",
            "survival": folder / "survival_ja.csv"}


@pytest.fixture(scope="module")
def japanese_figures(tmp_path_factory):
    from spinestats.reports.cli.main import main

    base = tmp_path_factory.mktemp("lint_ja")
    files = _japanese_inputs(base / "in")
    commands = [
        ["multicenter", str(files["multicenter"]), "--schema", "dss", "--out", str(base / "mc"), "--figure-formats", "png,tiff"],
        ["dss", str(files["dss"]), "--out", str(base / "dss"), "--figure-format", "png"],
        ["survival", str(files["survival"]), "--time", "期間_月", "--event", "イベント", "--group", "分離手術",
         "--covariates", "分離手術,年齢", "--events-table", "--out", str(base / "surv"), "--figure-format", "png"],
        ["accuracy", str(files["dss"]), "--score", "size_cm", "--truth", "reference", "--positive", "malignant",
         "--cutoff", "5", "--out", str(base / "acc"), "--figure-format", "png"],
    ]

    def run():
        for args in commands:
            with pytest.raises(SystemExit) as ex:
                main(args)
            assert ex.value.code in (0, None), args

    figures, glyphs = _collect(run)
    return base, figures, glyphs


def _lint_all(figures: dict) -> list[str]:
    problems = []
    for stem, (fig, tiff_problems) in sorted(figures.items()):
        problems += lint_figure(fig, stem) + tiff_problems
    return problems


def test_every_demo_figure_passes_the_lint(demo_figures):
    out, figures, glyphs = demo_figures
    written = {re.sub(r"_\d+dpi$", "", p.stem) for p in (out / "figures").iterdir()}
    assert written == set(figures), sorted(written ^ set(figures))  # every figure the demo writes is linted
    assert len(figures) >= 35, sorted(figures)
    assert not glyphs, glyphs
    problems = _lint_all(figures)
    assert not problems, "\n".join(problems)


def test_every_figure_with_japanese_labels_passes_the_lint(japanese_figures):
    _, figures, glyphs = japanese_figures
    assert {"forest_auc", "sroc", "flow_diagram", "dss_roc", "dss_flow_diagram", "survival_km", "survival_ph_test",
            "accuracy_flow_diagram", "accuracy_score_distribution"} <= set(figures), sorted(figures)
    assert {f"flow_diagram_centre_{k}" for k in range(1, 7)} <= set(figures), sorted(figures)  # one STARD per centre
    assert not glyphs, glyphs
    problems = _lint_all(figures)
    assert not problems, "\n".join(problems)
    texts = " ".join(t.get_text() for fig, _ in figures.values() for t in fig.findobj(match=lambda a: hasattr(a, "get_text")))
    assert "あり" in texts and "東北大学病院" in texts  # the Japanese labels are drawn, not replaced


def test_demo_tiffs_are_rgb_lzw_with_dpi(demo_figures):
    out, _, _ = demo_figures
    tiffs = sorted((out / "figures").glob("*.tiff"))
    assert tiffs
    from PIL import Image

    for p in tiffs:
        with Image.open(p) as im:
            assert im.mode == "RGB", p.name
            assert im.info["compression"] == "tiff_lzw", p.name
            dpi = int(re.search(r"_(\d+)dpi$", p.stem).group(1))
            assert_allclose([float(v) for v in im.info["dpi"]], (dpi, dpi), atol=0.5)


def test_auc_forest_is_on_the_auc_scale_with_markers_at_the_centre_aucs(demo_figures):
    out, figures, _ = demo_figures
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    fig, _ = figures["forest_auc"]
    ax = [a for a in fig.get_axes() if hasattr(a, "_spinestats_forest")][0]
    lo, hi = ax.get_xlim()
    ticks = [t for t in ax.get_xticks() if lo <= t <= hi]
    assert ticks and min(ticks) >= 0.0 and max(ticks) <= 1.0
    assert lo >= 0.0 and hi <= 1.0
    marker = [c for c in ax.collections if c.get_label() == "estimate"][0]
    xs = np.asarray(marker.get_offsets())[:, 0]
    per = {r["center"]: r["auc"] for r in results["multicenter"]["per_center"]}
    labels = ax._spinestats_forest["labels"]
    assert_allclose(xs, [per[c] for c in labels], rtol=1e-9)
    pooled = results["multicenter"]["pooled"]["auc"]
    assert_allclose(ax._spinestats_forest["summary"]["estimate"], pooled["estimate"], rtol=1e-9)
    assert_allclose([ax._spinestats_forest["summary"]["lower"], ax._spinestats_forest["summary"]["upper"]],
                    pooled["ci"], rtol=1e-9)


@pytest.mark.parametrize("stem", ["flow_diagram", "dss_flow_diagram", "accuracy_flow_diagram"]
                         + [f"flow_diagram_centre_{k}" for k in range(1, 7)])
def test_stard_counts_add_up_and_reasons_are_sentences(japanese_figures, stem):
    _, figures, _ = japanese_figures
    fig, _ = figures[stem]
    drawn = fig.get_axes()[0]._spinestats_flow
    assert drawn["n_read"] == drawn["n_excluded"] + drawn["n_analysed"]
    assert drawn["tp"] + drawn["fn"] + drawn["fp"] + drawn["tn"] == drawn["n_analysed"]
    assert sum(n for _, n in drawn["reasons"]) == drawn["n_excluded"]
    texts = [t.get_text() for t in fig.get_axes()[0].texts]
    assert not [t for t in texts if re.search(r"\w+: '", t)], texts  # no "required: 'reference'" rule names
    if stem in ("dss_flow_diagram", "accuracy_flow_diagram"):  # drawn by dss/accuracy alone, with the exclusions
        assert drawn["n_read"] == 59 and drawn["n_excluded"] == 2 and drawn["n_analysed"] == 57
    if stem == "dss_flow_diagram":
        assert ("Reference standard from histology missing", 2) in drawn["reasons"]


def test_per_centre_stard_diagrams_add_up_to_the_overall_one(japanese_figures):
    base, figures, _ = japanese_figures
    overall = figures["flow_diagram"][0].get_axes()[0]._spinestats_flow
    per = [figures[f"flow_diagram_centre_{k}"][0].get_axes()[0]._spinestats_flow for k in range(1, 7)]
    for key in ("n_read", "n_excluded", "n_analysed", "tp", "fp", "fn", "tn"):
        assert sum(p[key] for p in per) == overall[key], key
    results = json.loads((base / "mc" / "results.json").read_text(encoding="utf-8"))
    centres = list(results["flow"]["per_center"])
    titles = [figures[f"flow_diagram_centre_{k}"][0].get_axes()[0].get_title(loc="left") for k in range(1, 7)]
    assert titles == [f"Participant flow (STARD 2015), {c}" for c in centres]
    for p, c in zip(per, centres):
        assert p["n_read"] == results["flow"]["per_center"][c]["n_read"]


# Output files, folders and privacy: not re-run under the second BLAS kernel (.ci/run); the demo is drawn
# once per session (the xdist group "demo" keeps its users on one worker).
pytestmark = [pytest.mark.outputs, pytest.mark.xdist_group("demo")]

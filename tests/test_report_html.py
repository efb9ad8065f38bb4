"""The HTML report: self-contained, escaped, and rendering in headless Chromium.

``browser_check`` drives Chromium over the DevTools protocol on a pipe
(``--remote-debugging-pipe``: commands on fd 3, replies on fd 4, NUL-separated
JSON), so no port, websocket library or network is needed.  It loads the page,
waits for the load event, evaluates every image's ``naturalWidth`` and
collects console errors, uncaught exceptions and failed loads (Log domain).
"""

import base64
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spinestats.reports.figure_style import journal_figure, save_figure, series_style
from spinestats.reports.html_report import render_report
from spinestats.reports.methods_text import methods_paragraph
from spinestats.reports.section import Section
from spinestats.reports.tables import write_table

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed (Debian package 'chromium')")


def browser_check(html_path, timeout=90):
    """Load ``html_path`` in headless Chromium: (page facts, console errors)."""
    r_cmd, w_cmd = os.pipe()
    r_res, w_res = os.pipe()
    profile = tempfile.mkdtemp(prefix="spinestats-chromium-")

    def child_fds():
        a, b = os.dup(r_cmd), os.dup(w_res)
        os.dup2(a, 3)
        os.dup2(b, 4)

    proc = subprocess.Popen(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
         f"--user-data-dir={profile}", "--remote-debugging-pipe", "about:blank"],
        preexec_fn=child_fds, close_fds=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    os.close(r_cmd)
    os.close(w_res)
    state = {"buf": b"", "id": 0}
    messages = []

    def send(method, params=None, session=None):
        state["id"] += 1
        msg = {"id": state["id"], "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(w_cmd, json.dumps(msg).encode() + b"\0")
        return state["id"]

    def wait_for(pred, deadline):
        while time.time() < deadline:
            while b"\0" in state["buf"]:
                raw, state["buf"] = state["buf"].split(b"\0", 1)
                msg = json.loads(raw)
                messages.append(msg)
                if pred(msg):
                    return msg
            ready, _, _ = select.select([r_res], [], [], 0.5)
            if ready:
                chunk = os.read(r_res, 1 << 20)
                if not chunk:
                    raise RuntimeError("chromium closed the DevTools pipe")
                state["buf"] += chunk
        raise TimeoutError("chromium did not answer in time")

    deadline = time.time() + timeout
    try:
        i = send("Target.createTarget", {"url": "about:blank"})
        target = wait_for(lambda m: m.get("id") == i, deadline)["result"]["targetId"]
        i = send("Target.attachToTarget", {"targetId": target, "flatten": True})
        session = wait_for(lambda m: m.get("id") == i, deadline)["result"]["sessionId"]
        for method in ("Page.enable", "Runtime.enable", "Log.enable"):
            i = send(method, session=session)
            wait_for(lambda m: m.get("id") == i, deadline)
        send("Page.navigate", {"url": Path(html_path).resolve().as_uri()}, session=session)
        wait_for(lambda m: m.get("method") == "Page.loadEventFired", deadline)
        expr = ("JSON.stringify({title: document.title, text: document.body.innerText.length,"
                " h2: Array.from(document.querySelectorAll('h2')).map(h => h.textContent),"
                " images: Array.from(document.images).map(i => ({ok: i.complete, w: i.naturalWidth, alt: i.alt}))})")
        i = send("Runtime.evaluate", {"expression": expr, "returnByValue": True}, session=session)
        page = json.loads(wait_for(lambda m: m.get("id") == i, deadline)["result"]["result"]["value"])
        errors = [
            m for m in messages
            if m.get("method") == "Runtime.exceptionThrown"
            or (m.get("method") == "Runtime.consoleAPICalled" and m["params"].get("type") == "error")
            or (m.get("method") == "Log.entryAdded" and m["params"]["entry"].get("level") == "error")
        ]
        send("Browser.close")
        return page, errors
    finally:
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        os.close(w_cmd)
        os.close(r_res)
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("html")
    fig, ax = journal_figure("single")
    ax.step([0, 12, 24, 60], [1, 0.9, 0.8, 0.79], where="post", label="Local control <b>&", **series_style(0))
    ax.legend()
    figs = save_figure(fig, root / "figures", "km_local_control", formats=("svg", "png"), dpis=(300,))
    fig, ax = journal_figure("single")
    ax.plot([0, 1], [0, 1])
    figs += save_figure(fig, root / "figures", "flow_diagram", formats=("png",), dpis=(300,))
    table = pd.DataFrame({"Measure": ["Sensitivity", "=cmd|' /C calc'!A0"], "Estimate": ["90.0% (68.3\u201398.8)", "-1"]})
    tables = write_table(table, root / "tables", "accuracy", ["csv", "docx"])
    section = Section(
        key="dss", title="DSS <accuracy> & more", results={"n": 59, "note": "<script>alert(1)</script>"},
        figures=tuple(p.relative_to(root) for p in figs), tables=tuple(p.relative_to(root) for p in tables),
        warnings=("small sample: 20 malignant <n>",), methods=("Sensitivity with exact CIs",),
        references=("Clopper CJ, Pearson ES. Biometrika 1934;26:404-413. doi:10.1093/biomet/26.4.404",),
    )
    methods = methods_paragraph([section], seed=11, synthetic=True)
    provenance = {"plan": "plan.yaml", "plan_hash": "ab" * 32, "seed": 11, "started_at": "2026-01-01T00:00:00Z",
                  "finished_at": "2026-01-01T00:01:00Z", "versions": {"Python": "3.x"},
                  "inputs": {"dss": {"file": "dss.csv", "schema": "dss", "rows_read": 59, "rows_kept": 59, "sha256": "cd" * 32}}}
    reproduction = [{"figure": "Sensitivity", "published": "90%", "reproduced": 90.0, "reproduced_text": "90 (18/20)",
                     "ci": [68.3, 98.8], "match": True},
                    {"figure": "OS", "published": "52%", "reproduced": 49.0, "reproduced_text": "49", "ci": None,
                     "match": False, "difference": -3.0}]
    html = render_report(title="Report <1>", root=root, sections=[section], methods=methods, provenance=provenance,
                         warnings=["plan deviation: cutoff re-optimised"], reproduction=reproduction, synthetic=True,
                         unavailable=[("agreement", "job missing")])
    path = root / "report.html"
    path.write_text(html, encoding="utf-8")
    return path, html


def test_self_contained_and_escaped(report):
    path, html = report
    assert "<script" not in html.lower().replace("&lt;script&gt;", "")  # no script at all, user text escaped
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "DSS &lt;accuracy&gt; &amp; more" in html and "Report &lt;1&gt;" in html
    assert 'src="data:image/svg+xml;base64,' in html and 'src="data:image/png;base64,' in html
    assert 'src="figures/' not in html and "http://" not in html and "https://" not in html
    svg = base64.b64decode(html.split('src="data:image/svg+xml;base64,')[1].split('"')[0])
    assert svg.lstrip().startswith(b"<?xml") and b"Local control &lt;b&gt;&amp;" in svg
    # the formula-escaping apostrophe of the CSV is not shown in the report
    assert "=cmd|&#x27; /C calc&#x27;!A0" in html and "<td>&#x27;=cmd" not in html


def test_contents_banner_flow_first_warnings_methods_provenance(report):
    _, html = report
    assert "SYNTHETIC DATA" in html and 'class="banner"' in html
    for anchor in ("#reproduction", "#sec-dss", "#warnings", "#methods", "#provenance"):
        assert f'href="{anchor}"' in html
    # captions and alt text are human titles, not file names; the flow diagram comes first
    assert html.index('alt="Participant flow') < html.index('alt="Kaplan\u2013Meier curve, local control"')
    assert 'alt="Flow diagram"' not in html and "km_local_control" not in html.split("Full-size files")[0]
    # warnings are sentences, each printed once
    assert "Plan deviation: cutoff re-optimised." in html and html.count("Small sample: 20 malignant &lt;n&gt;.") == 1
    assert "seed 11" in html and "2026-01-01T00:01:00Z" in html and "cd" * 32 in html
    assert "1 of 2 published figures reproduced" in html and "\u2717 -3.0" in html
    assert "agreement" in html and "job missing" in html
    assert "Biometrika" in html and "synthetic cohorts" in html


@needs_chromium
def test_report_renders_in_chromium_with_every_image_loaded(report):
    path, _ = report
    page, errors = browser_check(path)
    assert page["title"] == "Report <1>"
    assert page["text"] > 500 and "Warnings" in page["h2"] and "Methods" in page["h2"]
    assert len(page["images"]) == 2
    assert all(img["ok"] and img["w"] > 0 for img in page["images"]), page["images"]
    assert errors == []


@needs_chromium
def test_browser_check_can_fail(tmp_path):
    """The check is not vacuous: a broken image and a console error are caught."""
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><html><head><link rel="icon" href="data:,"><title>x</title></head><body>'
                   '<img src="data:image/png;base64,AAAA" alt="broken">'
                   "<script>console.error('boom')</script></body></html>", encoding="utf-8")
    page, errors = browser_check(bad)
    assert page["images"][0]["w"] == 0
    assert any("boom" in json.dumps(e) for e in errors)


# Output files, folders and privacy: not re-run under the second BLAS kernel (.ci/run).
pytestmark = pytest.mark.outputs


def test_section_heading_header_spacing_and_consort_caption(tmp_path):
    """A section titled "Table 1. ..." is headed without the number (the table inside is numbered in the report's
    sequence, so a second "Table 1." never appears); "n = 59" in a header never breaks; the CONSORT diagram has
    a human caption and alt text."""
    from spinestats.reports.tables import Col, Table

    fig, ax = journal_figure("single")
    ax.plot([0, 1], [0, 1])
    figs = save_figure(fig, tmp_path / "figures", "pain_cafe_consort", formats=("svg",), dpis=(300,))
    t = Table(pd.DataFrame({"c": ["Age, median (IQR)"], "o": ["61 (52\u201370)"]}),
              (Col("c", "Characteristic"), Col("o", "Overall (n = 59)")), "Table 1. Baseline characteristics by arm",
              (), "table_one_cafe")
    paths = write_table(t, tmp_path / "tables", "table_one_cafe", ("csv",))
    from spinestats.reports.tables import TableRecord

    secs = [Section(key=k, title="Table 1. Baseline characteristics by arm", results={},
                    figures=tuple(p.relative_to(tmp_path) for p in figs) if k == "b" else (),
                    tables=tuple(p.relative_to(tmp_path) for p in paths),
                    table_records=(TableRecord(paths[0], t),)) for k in ("a", "b")]
    html = render_report(title="R", root=tmp_path, sections=secs, methods=methods_paragraph(secs),
                         provenance={"plan_hash": "x", "started_at": "t"})
    assert html.count("<h2>Baseline characteristics by arm</h2>") == 2
    assert '">Baseline characteristics by arm</a></li>' in html and "Table 1. Baseline" in html
    assert "Table 2. Baseline characteristics by arm" in html and html.count(">Table 1. ") == 1
    assert 'Overall (n\u00a0=\u00a059)</th>' in html and 'Overall (n = 59)' not in html
    assert 'alt="Participant flow (CONSORT): patients enrolled' in html and "Pain cafe consort" not in html
    assert "<th>Plan hash</th>" in html and "<th>Started at</th>" in html


def test_subtitle_only_with_a_plan_hash_or_seed(tmp_path):
    sec = Section(key="s", title="S", results={})
    m = methods_paragraph([sec])
    alone = render_report(title="R", root=tmp_path, sections=[sec], methods=m, provenance={"versions": {}})
    assert 'class="subtitle"' not in alone and "Plan hash" not in alone
    run = render_report(title="R", root=tmp_path, sections=[sec], methods=m, provenance={"plan_hash": "ab", "seed": 3})
    assert '<p class="subtitle">Plan hash ab · seed 3</p>' in run

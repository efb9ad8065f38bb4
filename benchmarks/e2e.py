"""What a user waits for: whole processes, each against its reference.

Run from the repository root::

    .venv/bin/python benchmarks/e2e.py [--repeats 3] [--only cold_start,dss,...] [--write FILE.md]

Every row runs a fresh process under GNU time (``scale.measure``): wall time,
CPU time (user + system, of the process and the children it waited for) and
peak resident memory.  Start-up and imports are part of what is measured.

=============  ===============================================  =================================  ======================
name           spinestats                                       reference                          target
=============  ===============================================  =================================  ======================
cold_start     ``spinestats --help``                            ``python -c pass``                 < 0.3 s
dss            ``spinestats dss`` on the 59-row example         ``Rscript workloads/dss_e2e.R``    < 1 s and <= 0.5x R
dss_first      the same as a first run (no font subsets kept)   –                                  < 1 s
survival       ``spinestats survival --schema cirt`` (all       –                                  < 2 s
               endpoints) on the bundled CIRT cohort
demo           ``spinestats demo`` (2 workers, its default)     –                                  < 10 s
demo_1w        ``spinestats demo --workers 1``                  –                                  < 10 s
validate_csv   ``load(path, schema="cirt")``, 1,000,000 rows    pyarrow ``csv.read_csv`` of the    < 2 s, < 0.5 GB and
                                                                same file (whole process)          <= 2x pyarrow
=============  ===============================================  =================================  ======================

``validate_csv`` also runs a peer in turn with the two: pandas' fastest reader of the same file with no
check at all (``pd.read_csv(path, engine="pyarrow")``), shown below the table with its own ratio to
pyarrow's reader.  It tells what any process that returns a pandas DataFrame of the file costs.

The machine is shared: the times are medians of ``--repeats`` runs, a
command's runs and its reference's are taken in turn (its speed drifts within
minutes, and a ratio should compare the two at the same moments), the load
average is recorded at the start and the end, and the pass/fail of a time
target is judged on the CPU time (what the process itself used; the wall time
of a loaded machine also counts the time other processes had the cores).  The
one exception is ``demo`` with its two worker processes, judged on its wall
time: that is what its user waits for, while its CPU time adds up the work of
both processes (``demo_1w`` holds the same work in one process to its CPU
target).  The CPU time is shown with its user and system parts.  On the
machine of the thirteenth round (a virtual one, transparent huge pages
"always") the system part swung most: a process that starts
after a few seconds of idleness spends far more of it in the kernel zeroing
the memory it first touches (pyarrow's reader: 0.06-0.2 s right after a run
of itself, 3.6-5.6 s after 6 s of idleness, with the same user time).
``--pause 6`` measures that state on purpose.
PDF font subsets are kept between runs (``reports/subset_cache.py``): the runs
use a cache folder of their own, and ``dss``, ``survival`` and ``demo`` are run
once untimed before they are timed, as a user's second run is; ``dss_first``
runs with the cache off, as a first run ever is.
Benchmarks are not tests; CI does not run this.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import scale  # noqa: E402

EXAMPLES = ROOT / "data_schemas" / "examples"
EXE = Path(sys.executable).with_name("spinestats")

VALIDATE = textwrap.dedent("""
    import sys
    from spinestats.data_schemas.loading import load
    t = load(sys.argv[1], schema="cirt")
    print(len(t.data), len(t.problems))
""")
PANDAS = textwrap.dedent("""
    import sys
    import pandas as pd
    df = pd.read_csv(sys.argv[1], engine="pyarrow")
    print(len(df))
""")
PYARROW = textwrap.dedent("""
    import sys
    import pyarrow.csv as pacsv
    t = pacsv.read_csv(sys.argv[1])
    print(t.num_rows)
""")


def _summary(ms: list[dict]) -> dict:
    """Medians of the runs ``ms`` (peak RSS the largest), or the first run's error."""
    for m in ms:
        if m["returncode"] != 0:
            return {"error": (m["stderr"] or "").split("\tCommand being timed:")[0].strip()[-300:]}
    # the user and system parts of the median CPU time: those of the middle run (the mean of the two
    # middle runs for an even number), so that they add up to it
    by_cpu = sorted(ms, key=lambda m: m["cpu_seconds"])
    middle = by_cpu[(len(ms) - 1) // 2:len(ms) // 2 + 1]
    return {"wall": statistics.median(m["seconds"] for m in ms), "cpu": statistics.median(m["cpu_seconds"] for m in ms),
            "user": statistics.fmean(m["user_seconds"] for m in middle),
            "system": statistics.fmean(m["system_seconds"] for m in middle),
            "rss": max(m["rss_bytes"] for m in ms), "n": len(ms)}


def _interleaved(cmd: list[str], ref_cmd: list[str] | None, repeats: int, env: dict[str, str] | None = None,
                 pause: float = 0.0, peer_cmd: list[str] | None = None) -> tuple[dict, dict | None, dict | None]:
    """``repeats`` runs of ``cmd``, of ``ref_cmd`` and of ``peer_cmd`` taken in turn (spinestats,
    reference, peer, spinestats...), so all see the machine at the same moments: its speed drifts
    within minutes.  ``pause``: seconds of idleness before each run."""
    ms: list[dict] = []
    others: list[tuple[list[str], list[dict]]] = [(c, []) for c in (ref_cmd, peer_cmd) if c]
    for _ in range(repeats):
        time.sleep(pause)
        ms.append(scale.measure(cmd, env=env))
        if ms[-1]["returncode"] != 0:
            break
        for other, runs in others:
            time.sleep(pause)
            runs.append(scale.measure(other))
        if any(runs[-1]["returncode"] != 0 for _, runs in others):
            break
    done = iter([_summary(runs) if runs else None for _, runs in others])
    return _summary(ms), (next(done) if ref_cmd else None), (next(done) if peer_cmd else None)


def cases(tmp: Path) -> list[dict]:
    out = tmp / "out"
    return [
        {"name": "cold_start", "what": "`spinestats --help`", "cmd": [str(EXE), "--help"],
         "ref_label": "`python -c pass`", "ref_cmd": [sys.executable, "-c", "pass"], "max_s": 0.3},
        {"name": "dss", "what": "`spinestats dss` on the 59-row example (figures, tables, JSON)",
         "cmd": [str(EXE), "dss", str(EXAMPLES / "synthetic_dss.csv"), "--out", str(out / "dss"), "--force"],
         "ref_label": "Rscript: pROC roc + ci.auc(delong), epiR epi.tests, one PDF",
         "ref_cmd": ["Rscript", str(HERE / "workloads" / "dss_e2e.R"), str(EXAMPLES / "synthetic_dss.csv"),
                     str(out / "dss_r")],
         "max_s": 1.0, "max_ratio": 0.5, "warm": True},
        {"name": "dss_first", "what": "`spinestats dss` as a first run: no font subsets kept from an earlier run",
         "cmd": [str(EXE), "dss", str(EXAMPLES / "synthetic_dss.csv"), "--out", str(out / "dss1"), "--force"],
         "env": {"SPINESTATS_CACHE_DIR": ""}, "max_s": 1.0},
        {"name": "survival", "what": "`spinestats survival --schema cirt` (all endpoints), bundled CIRT cohort",
         "cmd": [str(EXE), "survival", str(EXAMPLES / "synthetic_cirt.csv"), "--schema", "cirt", "--endpoint", "all",
                 "--out", str(out / "survival"), "--force"], "max_s": 2.0, "warm": True},
        {"name": "demo", "what": "`spinestats demo` (36 figures in 4 files each at 300 dpi, every table format; 2 workers)",
         "cmd": [str(EXE), "demo", "--out", str(out / "demo"), "--force", "--quiet"], "max_s": 10.0,
         "judge": "wall", "warm": True},
        {"name": "demo_1w", "what": "`spinestats demo --workers 1` (the same in one process)",
         "cmd": [str(EXE), "demo", "--out", str(out / "demo1"), "--force", "--quiet", "--workers", "1"],
         "max_s": 10.0},
    ]


def validate_case(tmp: Path, seed: int) -> dict:
    frame = scale.cirt_export(1_000_000, seed)
    csv = tmp / "cirt_1e6.csv"
    frame.to_csv(csv, index=False)
    del frame
    return {"name": "validate_csv", "what": f"`load(schema=\"cirt\")`, 1,000,000 rows CSV ({csv.stat().st_size / 1e6:.0f} MB)",
            "cmd": [sys.executable, "-c", VALIDATE, str(csv)], "ref_label": "pyarrow `csv.read_csv` (whole process)",
            "ref_cmd": [sys.executable, "-c", PYARROW, str(csv)], "max_s": 2.0, "max_ratio": 2.0,
            "peer_cmd": [sys.executable, "-c", PANDAS, str(csv)],
            "peer_label": 'pandas\' fastest reader, no checks (`pd.read_csv(engine="pyarrow")`)',
            "max_gb": 0.5, "rows": 1_000_000}


def row(case: dict, repeats: int, pause: float = 0.0) -> dict:
    if case.get("warm"):  # one untimed run first: the font subsets are kept, as for a user's second run
        scale.measure(case["cmd"], env=case.get("env"))
    ss, ref, peer = _interleaved(case["cmd"], case.get("ref_cmd"), repeats, case.get("env"), pause,
                                 case.get("peer_cmd"))
    res = {"case": case, "ss": ss, "ref": ref, "peer": peer}
    if "error" in ss:
        res["verdict"] = "FAIL (error)"
        return res
    ok = ss[case.get("judge", "cpu")] < case["max_s"]
    if case.get("max_gb"):
        ok &= ss["rss"] < case["max_gb"] * 1024**3
    if ref and "error" not in ref and case.get("max_ratio"):
        res["ratio_cpu"] = ss["cpu"] / ref["cpu"]
        res["ratio_wall"] = ss["wall"] / ref["wall"]
        ok &= res["ratio_cpu"] <= case["max_ratio"]
    elif ref and "error" not in ref:
        res["ratio_cpu"] = ss["cpu"] / ref["cpu"]
        res["ratio_wall"] = ss["wall"] / ref["wall"]
    res["verdict"] = "PASS" if ok else "FAIL"
    return res


def _cpu(m: dict) -> str:
    return f"{m['cpu']:.2f} s ({m['user']:.2f} + {m['system']:.2f})"


def markdown(rows: list[dict], meta: dict) -> str:
    lines = [
        f"Measured {meta['when']} with `benchmarks/e2e.py --repeats {meta['repeats']}"
        + (f" --pause {meta['pause']:g}` (each run after {meta['pause']:g} s of idleness; " if meta.get("pause") else "` (")
        + "median of the repeats; "
        f"peak RSS the largest); Python {meta['python']}, {meta['cores']} cores; load average (1, 5, 15 min) "
        f"{meta['load_start']} at the start and {meta['load_end']} at the end.  Targets are judged on CPU time, "
        "except the two-process demo's (wall time).  CPU time is user + system (the parts of the "
        "median run); a command and its reference were run in turn.",
        "",
        "| workload | spinestats: wall / CPU (user + system) / peak RSS | reference | reference: wall / CPU (user + system) | ratio CPU (wall) | target | pass |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        c, ss, ref = r["case"], r["ss"], r["ref"]
        if "error" in ss:
            lines.append(f"| {c['name']}: {c['what']} | error: {ss['error']} | | | | | FAIL |")
            continue
        cell = f"{ss['wall']:.2f} s / {_cpu(ss)} / {ss['rss'] / 1024**3:.2f} GB"
        if c.get("rows"):
            cell += f"; {c['rows'] / ss['cpu']:,.0f} rows/s CPU ({c['rows'] / ss['wall']:,.0f} wall)"
        ref_cell = "–" if not ref else (f"error: {ref['error']}" if "error" in ref else f"{ref['wall']:.2f} s / {_cpu(ref)}")
        if c.get("rows") and ref and "error" not in ref:
            ref_cell += f" / {ref['rss'] / 1024**3:.2f} GB; {c['rows'] / ref['cpu']:,.0f} rows/s CPU"
        ratio = f"{r['ratio_cpu']:.2f} ({r['ratio_wall']:.2f})" if "ratio_cpu" in r else "–"
        target = f"< {c['max_s']:g} s {'wall' if c.get('judge') == 'wall' else 'CPU'}" + (f", < {c['max_gb']:g} GB" if c.get("max_gb") else "") + (
            f", ≤ {c['max_ratio']:g}× reference" if c.get("max_ratio") else "")
        lines.append(f"| {c['name']}: {c['what']} | {cell} | {c.get('ref_label', '–')} | {ref_cell} | {ratio} | "
                     f"{target} | {r['verdict']} |")
    notes = [_peer_note(r) for r in rows if r.get("peer")]
    return "\n".join(lines + ([""] + notes if notes else [])) + "\n"


def _peer_note(r: dict) -> str:
    """The peer measured in turn with a row's command and reference, and its own ratio to the reference."""
    c, peer, ref = r["case"], r["peer"], r["ref"]
    if "error" in peer:
        return f"{c['name']}, peer {c['peer_label']}: error: {peer['error']}"
    text = (f"{c['name']}, peer {c['peer_label']}, run in turn with both: {peer['wall']:.2f} s / {_cpu(peer)} / "
            f"{peer['rss'] / 1024**3:.2f} GB")
    if ref and "error" not in ref:
        text += f"; {peer['cpu'] / ref['cpu']:.2f}× the reference's CPU time ({peer['wall'] / ref['wall']:.2f}× wall)"
    return text + "."


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--only", default="",
                    help="comma-separated: cold_start, dss, dss_first, survival, demo, demo_1w, validate_csv")
    ap.add_argument("--seed", type=int, default=20261127)
    ap.add_argument("--write", type=Path, default=None, help="also write the Markdown table to this file")
    ap.add_argument("--pause", type=float, default=0.0,
                    help="seconds to wait before each timed run: 6 shows a machine that was idle (see above)")
    args = ap.parse_args(argv)
    os.environ.setdefault("TZ", "UTC")  # R asks timedatectl for the zone otherwise
    only = {x.strip() for x in args.only.split(",") if x.strip()}
    meta = {"when": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "repeats": args.repeats,
            "pause": args.pause,
            "python": sys.version.split()[0], "cores": os.cpu_count(),
            "load_start": " ".join(f"{x:.1f}" for x in os.getloadavg())}
    rows = []
    scale.compile_bytecode()
    with tempfile.TemporaryDirectory(prefix="spinestats-e2e-") as name:
        tmp = Path(name)
        # the runs keep their PDF font subsets in a folder of their own (reports/subset_cache.py), filled by
        # an untimed first run of each command; dss_first runs without them, as a first run ever does
        os.environ["SPINESTATS_CACHE_DIR"] = str(tmp / "cache")
        todo = cases(tmp)
        for case in todo:
            if only and case["name"] not in only:
                continue
            print(f"== {case['name']}", flush=True)
            rows.append(row(case, args.repeats, args.pause))
        if not only or "validate_csv" in only:
            print("== validate_csv", flush=True)
            rows.append(row(validate_case(tmp, args.seed), args.repeats, args.pause))
    meta["load_end"] = " ".join(f"{x:.1f}" for x in os.getloadavg())
    text = markdown(rows, meta)
    print(text)
    if args.write:
        args.write.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

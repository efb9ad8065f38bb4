"""Benchmark runner: spinestats against R and the Python peers, as time ratios.

Run from the repository root::

    .venv/bin/python benchmarks/run.py [--repeats 3] [--only NAME[,NAME]] [--quick] [--profile] [--out benchmarks/results/]

For every workload in ``cases.WORKLOADS`` it generates the data from a fixed
seed, writes them to a temporary CSV, times spinestats in this process (one
warm-up call, then the median of ``--repeats`` calls; input preparation is
not timed), times the R reference with ``Rscript`` on the same CSV (timed
inside R with ``system.time`` around the call only: R start-up, package
loading and reading are excluded; also one warm-up call), and times the Python
peers in the same way.  The scale workloads (``scale.py``) run spinestats in a
subprocess under ``/usr/bin/time -v`` for wall time and peak memory.

It prints a Markdown table of ratios (spinestats median / reference median,
with the range min/max .. max/min over the repeats), the target and pass/fail
per row, and writes it with the raw timings to ``--out``
(``benchmarks-<UTC time>.md``, ``.json``, and ``latest.md``).  A reference
that is not installed and a spinestats function that has not landed yet give
a row saying so, not an error.  Benchmarks are not tests; CI does not run them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import cases  # noqa: E402
import scale  # noqa: E402

R_DIR = HERE / "workloads"
SEED = 20261127


# --------------------------------------------------------------------------- timing


def time_python(setup, frame, repeats: int, warmup: bool = True) -> dict[str, Any]:
    """Prepare (untimed), warm up once, then time ``repeats`` calls."""
    try:
        call = setup(frame)
    except cases.NotAvailable as exc:
        return {"status": "not available", "note": str(exc)}
    except ImportError as exc:
        return {"status": "not installed", "note": str(exc)}
    try:
        values = call() if warmup else None
        times = []
        for _ in range(repeats):
            gc.collect()
            t0 = time.perf_counter()
            values = call()
            times.append(time.perf_counter() - t0)
    except cases.NotAvailable as exc:
        return {"status": "not available", "note": str(exc)}
    except Exception as exc:  # a benchmark must report, not crash, when a call fails
        return {"status": "error", "note": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()}
    return {"status": "ok", "times": times, "values": values or {}}


def profile_python(setup, frame, path: Path, top: int = 25) -> None:
    """cProfile one spinestats call (after a warm-up) and write the top functions to ``path``."""
    import cProfile
    import io
    import pstats

    try:
        call = setup(frame)
        call()
    except Exception:  # the timing row already says why
        return
    prof = cProfile.Profile()
    prof.enable()
    call()
    prof.disable()
    text = io.StringIO()
    pstats.Stats(prof, stream=text).sort_stats("cumulative").print_stats(top)
    path.write_text(text.getvalue(), encoding="utf-8")


def r_available() -> str | None:
    """``None`` if Rscript works, else the reason it does not."""
    if shutil.which("Rscript") is None:
        return "Rscript not found on PATH"
    return None


def time_r(script: str, csv: Path, repeats: int, warmup: bool, env: dict[str, str], timeout: float) -> dict[str, Any]:
    reason = r_available()
    if reason:
        return {"status": "not installed", "note": reason}
    cmd = ["Rscript", str(R_DIR / script), str(csv), str(repeats), "TRUE" if warmup else "FALSE"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env={**os.environ, **env})
    except subprocess.TimeoutExpired:
        return {"status": "error", "note": f"R timed out after {timeout:.0f} s"}
    if proc.returncode != 0:
        err = proc.stderr.strip().splitlines()
        missing = [line for line in err if "there is no package called" in line]
        if missing:
            return {"status": "not installed", "note": missing[0].strip()}
        return {"status": "error", "note": " | ".join(err[-3:])}
    times, values = [], {}
    for line in proc.stdout.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "SECONDS":
            times.append(float(parts[1]))
        elif len(parts) == 3 and parts[0] == "VALUE":
            values[parts[1]] = float(parts[2])
    return {"status": "ok", "times": times, "values": values}


# --------------------------------------------------------------------------- summaries


def _med(times: list[float]) -> float:
    return statistics.median(times)


def fmt_s(times: list[float]) -> str:
    if len(times) == 1:
        return f"{times[0]:.3g} s (1 run)"
    return f"{_med(times):.3g} s ({min(times):.3g}–{max(times):.3g})"


def ratio_cells(ss: dict, ref: dict) -> tuple[str, float | None]:
    if ss.get("status") != "ok" or ref.get("status") != "ok" or not ref["times"]:
        return "–", None
    r = _med(ss["times"]) / _med(ref["times"])
    lo = min(ss["times"]) / max(ref["times"])
    hi = max(ss["times"]) / min(ref["times"])
    return f"**{r:.3g}** ({lo:.3g}–{hi:.3g})", r


def agreement(ss: dict, ref: dict) -> str:
    """Largest |difference| over the check values both sides report."""
    if ss.get("status") != "ok" or ref.get("status") != "ok":
        return "–"
    common = sorted(set(ss["values"]) & set(ref["values"]))
    if not common:
        return "not compared"
    diffs = [abs(float(ss["values"][k]) - float(ref["values"][k])) for k in common]
    worst = max(range(len(diffs)), key=diffs.__getitem__)
    return f"{diffs[worst]:.1e} ({len(common)} values; worst {common[worst]})"


def status_text(res: dict) -> str:
    if res.get("status") == "ok":
        return fmt_s(res["times"])
    return f"{res.get('status')}: {res.get('note', '')}"[:160]


# --------------------------------------------------------------------------- main


def run_workload(w: cases.Workload, args, tmp: Path) -> list[dict[str, Any]]:
    rows = []
    sizes = [(w.n, True)]
    if args.quick and w.ref_n_quick:
        sizes = [(w.ref_n_quick, True), (w.n, False)]
    for n, with_ref in sizes:
        label = w.size_label(n)
        print(f"\n== {w.name}: {w.title}, {label}", flush=True)
        t0 = time.perf_counter()
        frame = w.generate(n, args.seed)
        csv = tmp / f"{w.name}_{n}.csv"
        frame.to_csv(csv, index=False)
        print(f"   data generated and written in {time.perf_counter() - t0:.1f} s", flush=True)
        ss = time_python(w.spinestats, frame, args.repeats)
        print(f"   spinestats: {status_text(ss)}", flush=True)
        if args.profile:
            target = Path(args.out) / f"profile-{w.name}-{n}.txt"
            target.parent.mkdir(parents=True, exist_ok=True)
            profile_python(w.spinestats, frame, target)
            print(f"   profile written to {target}", flush=True)
        if ss.get("status") == "error":
            print(ss.get("trace", ""), file=sys.stderr)
        refs: list[tuple[str, dict, float | None]] = []
        if with_ref and w.r_script and not args.no_r:
            reps = min(args.repeats, w.ref_repeats) if w.ref_repeats else args.repeats
            warm = w.ref_repeats is None  # crr at 10,000 rows: no warm-up run (it takes minutes)
            r = time_r(w.r_script, csv, reps, warm, w.r_env, args.r_timeout)
            print(f"   R {w.r_label}: {status_text(r)}", flush=True)
            refs.append((f"R {w.r_label}", r, w.target))
        if with_ref:
            for label_peer, setup in w.peers.items():
                p = time_python(setup, frame, args.repeats)
                print(f"   {label_peer}: {status_text(p)}", flush=True)
                refs.append((label_peer, p, None))
        if with_ref and w.peer_target is not None:
            timed = [(lab, ref) for lab, ref, _ in refs if not lab.startswith("R ") and ref.get("status") == "ok"]
            if timed:  # the fastest Python peer of this run, judged against the peer target
                lab, ref = min(timed, key=lambda x: _med(x[1]["times"]))
                refs.append((f"fastest Python peer: {lab}", ref, w.peer_target))
        r_values = refs[0][1] if refs and refs[0][0].startswith("R ") else {}
        if not refs:
            rows.append(dict(workload=w.name, size=label, reference="(none at this size)", ss=ss, ref={},
                             target=None, agree="–", peer_vs_r="–"))
        for ref_label, ref, target in refs:
            rows.append(dict(workload=w.name, size=label, reference=ref_label, ss=ss, ref=ref, target=target,
                             agree=agreement(ss, ref),
                             peer_vs_r=agreement(ref, r_values) if ref is not r_values and r_values else "–"))
        del frame
        csv.unlink(missing_ok=True)
    return rows


def cpu_model() -> str:
    """The processor's model name as Linux reports it, or the platform's processor string."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "processor unknown"


#: the packages whose versions a ratio depends on (a peer's release can move it: statsmodels 0.15.0 takes
#: SurvfuncRight + survdiff on a million rows in 0.062 s where 0.14.5 takes 0.075 s on the same machine)
VERSIONED = ("numpy", "scipy", "pandas", "pyarrow", "statsmodels", "lifelines", "scikit-learn")


def package_versions() -> str:
    """"numpy 2.4.6, scipy 1.17.1, ...": the installed versions of :data:`VERSIONED` (metadata, no import)."""
    from importlib import metadata

    out = []
    for name in VERSIONED:
        try:
            out.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            out.append(f"{name} not installed")
    return ", ".join(out)


def markdown(rows: list[dict], scale_rows: list[dict], meta: dict) -> str:
    out = [
        f"Measured {meta['when']} on {meta['machine']}; spinestats {meta['spinestats']}, "
        f"Python {meta['python']}, {meta['r']}; repeats = {meta['repeats']}"
        f"{' (quick)' if meta['quick'] else ''}; seed {meta['seed']}; load average (1, 5, 15 min) "
        f"{meta['load_start']} at the start and {meta['load_end']} at the end.  {meta['packages']}.",
        "",
        "Times: median (min–max) of the repeats after one warm-up call. Ratio = spinestats median / "
        "reference median (range: fastest/slowest .. slowest/fastest). Agreement = largest absolute difference "
        "between the numbers both sides computed on these data.",
        "",
        "| workload | size | reference | spinestats | reference time | ratio | target | pass | agreement (max abs. diff.) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        cell, ratio = ratio_cells(r["ss"], r["ref"]) if r["ref"] else ("–", None)
        if r["target"] is None:
            verdict = "info"
        elif ratio is None:
            verdict = "not measured"
        else:
            verdict = "PASS" if ratio <= r["target"] else "FAIL"
        target = f"≤ {r['target']:g}×" if r["target"] is not None else "–"
        out.append(
            f"| {r['workload']} | {r['size']} | {r['reference']} | {status_text(r['ss'])} | "
            f"{status_text(r['ref']) if r['ref'] else '–'} | {cell} | {target} | {verdict} | {r['agree']} |"
        )
    if scale_rows:
        out += [
            "",
            "Scale workloads (a subprocess under `/usr/bin/time -v`: wall time and peak resident memory of the "
            "largest process; the data generation is not timed):",
            "",
            "| workload | size | wall time | CPU time (user+sys) | peak RSS | target | pass | note |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for s in scale_rows:
            out.append(
                f"| {s['workload']} | {s['size']} | {s.get('wall', '–')} | {s.get('cpu', '–')} | {s.get('rss', '–')} | "
                f"{s['target']} | {s.get('verdict', 'not measured')} | {s.get('note', '')} |"
            )
    return "\n".join(out) + "\n"


def update_readme(table: str, readme: Path = HERE / "README.md") -> None:
    """Replace the table between the ``benchmarks:latest`` markers of the README."""
    start, end = "<!-- benchmarks:latest -->", "<!-- /benchmarks:latest -->"
    text = readme.read_text(encoding="utf-8")
    if start not in text or end not in text:
        raise SystemExit(f"{readme} lacks the {start} ... {end} markers")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    readme.write_text(f"{head}{start}\n{table}{end}{tail}", encoding="utf-8")


def r_version() -> str:
    if r_available():
        return "R not available"
    try:
        out = subprocess.run(["Rscript", "-e", "cat(R.version.string)"], capture_output=True, text=True, timeout=60)
        return out.stdout.strip() or "R (version unknown)"
    except Exception:  # pragma: no cover
        return "R (version unknown)"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=3, help="timed repeats per implementation (default 3)")
    ap.add_argument("--only", default="", help="comma-separated workload names (default: all)")
    ap.add_argument("--out", default=str(HERE / "results"), help="folder for the Markdown/JSON results")
    ap.add_argument("--quick", action="store_true",
                    help="crr at a smaller n (2,000) than spinestats' 10,000; both sizes are reported as measured")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--no-r", action="store_true", help="skip the R references")
    ap.add_argument("--no-scale", action="store_true", help="skip the end-to-end and 1e6-row validation workloads")
    ap.add_argument("--r-timeout", type=float, default=1800.0, help="seconds before an R script is stopped")
    ap.add_argument("--profile", action="store_true",
                    help="also cProfile one spinestats call per workload (profile-<name>-<n>.txt in --out)")
    ap.add_argument("--readme", action="store_true",
                    help="also write the table into benchmarks/README.md (between the benchmarks:latest markers)")
    ap.add_argument("--list", action="store_true", help="list the workloads and exit")
    args = ap.parse_args(argv)

    names = [w.name for w in cases.WORKLOADS] + [s.name for s in scale.SCALE_WORKLOADS]
    if args.list:
        for w in cases.WORKLOADS:
            print(f"{w.name:18s} {w.title}, {w.size_label(w.n)}; target ≤ {w.target}× {w.r_label}")
        for s in scale.SCALE_WORKLOADS:
            print(f"{s.name:18s} {s.title}; target {s.target}")
        return 0
    only = [x.strip() for x in args.only.split(",") if x.strip()]
    unknown = sorted(set(only) - set(names))
    if unknown:
        ap.error(f"unknown workload(s) {unknown}; known: {', '.join(names)}")

    try:
        import spinestats

        ss_version = spinestats.__version__
    except Exception:  # pragma: no cover
        ss_version = "?"
    meta = {
        "when": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()} ({cpu_model()}), {os.cpu_count()} cores, {platform.system()}",
        "python": platform.python_version(),
        "packages": package_versions(),
        "spinestats": ss_version,
        "r": r_version() if not args.no_r else "R skipped",
        "repeats": args.repeats,
        "quick": args.quick,
        "seed": args.seed,
        "load_start": " ".join(f"{x:.1f}" for x in os.getloadavg()),
    }
    rows: list[dict] = []
    scale_rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="spinestats-bench-") as tmpname:
        tmp = Path(tmpname)
        for w in cases.WORKLOADS:
            if only and w.name not in only:
                continue
            rows += run_workload(w, args, tmp)
        if not args.no_scale:
            scale.compile_bytecode()
            for s in scale.SCALE_WORKLOADS:
                if only and s.name not in only:
                    continue
                print(f"\n== {s.name}: {s.title}", flush=True)
                for res in scale.run(s, tmp, args.seed):
                    print(f"   {res}", flush=True)
                    scale_rows.append(res)

    meta["load_end"] = " ".join(f"{x:.1f}" for x in os.getloadavg())
    table = markdown(rows, scale_rows, meta)
    print("\n" + table)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    (out / f"benchmarks-{stamp}.md").write_text(table, encoding="utf-8")
    (out / "latest.md").write_text(table, encoding="utf-8")
    raw = {"meta": meta, "rows": [{k: v for k, v in r.items()} for r in rows], "scale": scale_rows}
    for r in raw["rows"]:
        for side in ("ss", "ref"):
            r[side] = {k: v for k, v in r[side].items() if k != "trace"}
    (out / f"benchmarks-{stamp}.json").write_text(json.dumps(raw, indent=2, default=str), encoding="utf-8")
    print(f"written to {out / f'benchmarks-{stamp}.md'}")
    if args.readme:
        update_readme(table)
        print("benchmarks/README.md updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())

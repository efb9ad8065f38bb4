"""Scale workloads: validating a 1,000,000-row export and the end-to-end run.

Each runs spinestats in a fresh subprocess under ``/usr/bin/time -v`` (GNU
time) so that the wall time and the peak resident memory (``Maximum resident
set size``: the largest of the process and the children it waited for) are
those a user would see.  Generating the synthetic export is not timed.

* ``validate_1e6``: ``load(path, schema="cirt")`` on a 1,000,000-row CIRT
  export (CSV through the pyarrow engine, and the same rows as Parquet).
  Target: under 2 s and 0.5 GB each (``e2e.py`` compares the CSV with pyarrow's reader).
* ``run_100k``: ``spinestats run PLAN.yaml`` on a 100,000-patient multicentre
  synthetic export (DSS features and CIRT outcomes from 10 centres), with the
  default workers (two on a machine with two cores or more) and with
  ``--workers 1``.  Target: under 10 s (wall time) and 2 GB on a 2-core machine.
"""

from __future__ import annotations

import dataclasses
import os
import re
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

GB = 1024**3

#: The end-to-end run is stopped after this many seconds (5 x its 120 s target).
E2E_TIMEOUT = 600.0


@dataclasses.dataclass(frozen=True)
class ScaleWorkload:
    name: str
    title: str
    target: str
    max_seconds: float
    max_bytes: int


SCALE_WORKLOADS = (
    ScaleWorkload("validate_1e6", "validate a 1,000,000-row CIRT export with load() (CSV and Parquet)",
                  "< 2 s, < 0.5 GB (issue 16; was < 30 s, < 2 GB)", 2.0, GB // 2),
    ScaleWorkload("run_100k", "spinestats run on a 100,000-patient multicentre synthetic export",
                  "< 10 s (issue 16; was < 120 s), < 2 GB", 10.0, 2 * GB),
)

CENTRES = np.array([f"C{k:02d}" for k in range(1, 11)])


# --------------------------------------------------------------------------- synthetic exports


def _iso(days_since_2000: np.ndarray) -> np.ndarray:
    return (np.datetime64("2000-01-01") + days_since_2000.astype("timedelta64[D]")).astype(str)


def cirt_export(n: int, seed: int) -> pd.DataFrame:
    """A valid CIRT export (canonical column names, every rule satisfied), vectorised."""
    rng = np.random.default_rng(seed)
    diag = rng.integers(1500, 8000, size=n)
    treat = diag + rng.integers(7, 120, size=n)
    t_death = rng.exponential(1900, size=n)
    t_lr = rng.exponential(5000, size=n)
    t_dm = rng.exponential(4000, size=n)
    fu = rng.uniform(60, 3650, size=n)
    death = t_death <= fu
    end = np.where(death, t_death, fu).astype(np.int64) + 1
    lr = t_lr < end - 1
    dm = t_dm < end - 1
    lr_day = np.minimum(t_lr.astype(np.int64) + 1, end)
    dm_day = np.minimum(t_dm.astype(np.int64) + 1, end)
    yes_no = np.array(["no", "yes"])
    frac = np.full(n, 16)
    dose = rng.choice([57.6, 64.0, 70.4, 73.6], size=n)
    frame = pd.DataFrame({
        "patient_id": np.char.add("P", np.char.zfill(np.arange(1, n + 1).astype(str), 7)),
        "centre": CENTRES[rng.integers(0, CENTRES.size, size=n)],
        "histology": rng.choice(["chordoma", "chondrosarcoma", "osteosarcoma", "other sarcoma"], size=n),
        "site": rng.choice(["cervical", "thoracic", "lumbar", "sacral"], size=n),
        "age": np.round(rng.uniform(18, 88, size=n), 1),
        "sex": rng.choice(["male", "female"], size=n),
        "diagnosis_date": _iso(diag),
        "treatment_date": _iso(treat),
        "local_recurrence": yes_no[lr.astype(int)],
        "local_recurrence_date": np.where(lr, _iso(treat + lr_day), ""),
        "distant_metastasis": yes_no[dm.astype(int)],
        "distant_metastasis_date": np.where(dm, _iso(treat + dm_day), ""),
        "death": yes_no[death.astype(int)],
        "death_date": np.where(death, _iso(treat + end), ""),
        "last_follow_up_date": _iso(treat + end),
        "total_dose_gye": dose,
        "fractions": frac,
        "cord_max_dose_gye": np.round(rng.uniform(10, 55, size=n), 1),
        "separation_surgery": yes_no[(rng.random(n) < 0.15).astype(int)],
        "wbb_zones": rng.choice(["4-8", "3-9", "2;3;4;5", "10-3"], size=n),
        "wbb_layers": rng.choice(["A-C", "B-D", "A;B;C", "C-E"], size=n),
    })
    return frame


def dss_export(n: int, seed: int) -> pd.DataFrame:
    """A valid multicentre DSS export: features, histology-based reference, 10 centres."""
    rng = np.random.default_rng(seed)
    malignant = rng.random(n) < 0.34
    size = np.round(np.where(malignant, rng.gamma(6, 1.0, n), rng.gamma(3, 1.1, n)) + 0.5, 1)
    size = np.minimum(size, 49.0)
    indistinct = rng.random(n) < np.where(malignant, 0.7, 0.15)
    lobulated = rng.random(n) < np.where(malignant, 0.6, 0.2)
    destruction = rng.random(n) < np.where(malignant, 0.55, 0.1)
    dss = 2 * (size >= 5) + 2 * indistinct + lobulated + destruction
    yes_no = np.array(["no", "yes"])
    return pd.DataFrame({
        "patient_id": np.char.add("D", np.char.zfill(np.arange(1, n + 1).astype(str), 7)),
        "centre": CENTRES[rng.integers(0, CENTRES.size, size=n)],
        "histology": np.where(malignant, "MPNST", "Neurinoma"),
        "reference": np.where(malignant, "malignant", "benign"),
        "size_cm": size,
        "boundary": np.where(indistinct, "indistinct", "distinct"),
        "lobulated": yes_no[lobulated.astype(int)],
        "bone_destruction": yes_no[destruction.astype(int)],
        "dss": dss,
    })


# --------------------------------------------------------------------------- measuring


def _terminate_children(pid: int) -> None:
    """SIGTERM the direct children of ``pid`` (the command GNU time runs), not GNU time itself."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    for child in children:
        try:
            os.kill(int(child), signal.SIGTERM)
        except OSError:
            pass


def compile_bytecode() -> None:
    """Compile spinestats' modules to bytecode before a process is timed, as installing the package does.

    An editable install compiles each module the first time it is imported and keeps the bytecode in
    ``__pycache__``, unless ``PYTHONDONTWRITEBYTECODE`` is set (as on some shared machines and CI
    runners): then every timed process would compile about 70 modules again (0.15-0.2 s CPU), a cost
    no installed copy pays.  ``compileall`` writes the bytecode either way; it is git-ignored.
    """
    import compileall

    import spinestats

    compileall.compile_dir(str(Path(spinestats.__file__).resolve().parent), quiet=1)


def measure(cmd: list[str], cwd: Path | None = None, timeout: float = 1800,
            env: dict[str, str] | None = None) -> dict[str, Any]:
    """Wall time, CPU time (and its user and system parts) and peak RSS of ``cmd`` under GNU time
    (``resource`` fallback).

    After ``timeout`` seconds the command is stopped (SIGTERM to it, so GNU
    time still reports) and ``timed_out`` is set.  ``env``: variables set for
    the command on top of this process's environment.
    """
    environ = {**os.environ, **env} if env else None
    gnu_time = "/usr/bin/time" if Path("/usr/bin/time").exists() else None
    if gnu_time:
        proc = subprocess.Popen([gnu_time, "-v", *cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                cwd=cwd, env=environ)
        timed_out = False
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            _terminate_children(proc.pid)
            out, err = proc.communicate()
        proc = subprocess.CompletedProcess(cmd, proc.returncode, out, err)
        rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
        wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", proc.stderr)
        user = re.search(r"User time \(seconds\): ([\d.]+)", proc.stderr)
        system = re.search(r"System time \(seconds\): ([\d.]+)", proc.stderr)
        user_s = float(user.group(1)) if user else None
        system_s = float(system.group(1)) if system else None
        cpu = user_s + system_s if user_s is not None and system_s is not None else None
        seconds = None
        if wall:
            parts = [float(x) for x in wall.group(1).split(":")]
            seconds = sum(p * 60**k for k, p in enumerate(reversed(parts)))
        return {"returncode": proc.returncode, "seconds": seconds, "cpu_seconds": cpu,
                "user_seconds": user_s, "system_seconds": system_s,
                "timed_out": timed_out, "timeout": timeout,
                "rss_bytes": int(rss.group(1)) * 1024 if rss else None,
                "stdout": proc.stdout, "stderr": proc.stderr}
    import resource
    import time

    before = resource.getrusage(resource.RUSAGE_CHILDREN)  # the children's times add up: take the difference
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, timeout=timeout, env=environ)
    seconds = time.perf_counter() - t0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    user_s, system_s = usage.ru_utime - before.ru_utime, usage.ru_stime - before.ru_stime
    # (ru_maxrss is the largest of all children so far, not of this one: an upper bound)
    rss = usage.ru_maxrss * 1024
    return {"returncode": proc.returncode, "seconds": seconds, "cpu_seconds": user_s + system_s,
            "user_seconds": user_s, "system_seconds": system_s, "rss_bytes": rss,
            "stdout": proc.stdout, "stderr": proc.stderr}


def _verdict(w: ScaleWorkload, m: dict[str, Any]) -> str:
    if m.get("timed_out"):
        return "FAIL (stopped)"
    if m["returncode"] != 0:
        return "FAIL (exit {})".format(m["returncode"])
    ok = (m["seconds"] or 1e9) < w.max_seconds and (m["rss_bytes"] or 1e18) < w.max_bytes
    return "PASS" if ok else "FAIL"


def _own_stderr(stderr: str | None) -> str:
    """The command's own stderr, without GNU time's report."""
    return (stderr or "").split("\tCommand being timed:")[0]


def _row(w: ScaleWorkload, size: str, m: dict[str, Any], note: str = "") -> dict[str, Any]:
    if m.get("timed_out"):
        note = (note + f" did not finish within {m['timeout']:.0f} s; stopped").strip()
    elif m["returncode"] != 0:
        tail = " | ".join(_own_stderr(m["stderr"]).strip().splitlines()[-2:])
        note = (note + " " + tail).strip()
        if "not available" in tail:
            return {"workload": w.name, "size": size, "target": w.target, "verdict": "not available yet",
                    "note": note[:200]}
    return {"workload": w.name, "size": size, "target": w.target,
            "wall": f"{m['seconds']:.1f} s" if m["seconds"] is not None else "–",
            "cpu": f"{m['cpu_seconds']:.1f} s" if m.get("cpu_seconds") is not None else "–",
            "rss": f"{m['rss_bytes'] / GB:.2f} GB" if m["rss_bytes"] else "–",
            "seconds": m["seconds"], "rss_bytes": m["rss_bytes"],
            "verdict": _verdict(w, m), "note": note[:300]}


LOAD_SNIPPET = textwrap.dedent("""
    import sys, time
    try:
        from spinestats.data_schemas.loading import load
    except ImportError as exc:
        sys.exit(f"load not available yet: {exc}")
    t0 = time.perf_counter()
    t = load(sys.argv[1], schema="cirt")
    sec = time.perf_counter() - t0
    print(f"rows_read={t.provenance.rows_read} rows_kept={len(t.data)} exclusions={len(t.exclusions)} "
          f"errors={len(t.errors)} problems={len(t.problems)} load_seconds={sec:.2f} "
          f"rows_per_second={t.provenance.rows_read / sec:,.0f}")
""")


def run_validate(w: ScaleWorkload, tmp: Path, seed: int) -> list[dict[str, Any]]:
    try:
        from spinestats.data_schemas import loading
    except ImportError:
        loading = None
    n = 1_000_000
    frame = cirt_export(n, seed)
    csv = tmp / "cirt_1e6.csv"
    frame.to_csv(csv, index=False)
    pq = tmp / "cirt_1e6.parquet"
    frame.to_parquet(pq, index=False)
    del frame
    rows = []
    if loading is None or not hasattr(loading, "load"):
        note = "spinestats.data_schemas.loading.load not available yet"
        return [{"workload": w.name, "size": f"{n:,} rows", "target": w.target, "verdict": "not available yet",
                 "note": note}]
    for path, kind in ((csv, "CSV"), (pq, "Parquet")):
        m = measure([sys.executable, "-c", LOAD_SNIPPET, str(path)])
        summary = (m["stdout"] or "").strip().splitlines()[-1:] or [""]
        rows.append(_row(w, f"{n:,} rows, {kind} ({path.stat().st_size / 1e6:.0f} MB)", m, summary[0]))
    csv.unlink(missing_ok=True)
    pq.unlink(missing_ok=True)
    return rows


def run_e2e(w: ScaleWorkload, tmp: Path, seed: int) -> list[dict[str, Any]]:
    import plan_100k

    n = 100_000
    try:
        plan = plan_100k.write(tmp / "run_100k", n, seed)
    except plan_100k.NotReady as exc:
        return [{"workload": w.name, "size": f"{n:,} patients", "target": w.target,
                 "verdict": "not available yet", "note": str(exc)}]
    out = tmp / "run_100k" / "report"
    exe = Path(sys.executable).with_name("spinestats")
    rows = []
    # the default (two processes on a machine with two cores or more, judged on its wall time, what its
    # user waits for), then the same work in one process
    for workers, how in ((None, "the default workers"), (1, "--workers 1")):
        cmd = [str(exe), "run", str(plan), "--out", str(out), "--force", "--quiet"]
        if workers is not None:
            cmd += ["--workers", str(workers)]
        m = measure(cmd, timeout=E2E_TIMEOUT)
        rows.append(_row(w, f"{n:,} patients ({plan_100k.DESCRIPTION}); {how}", m))
    return rows


def run(w: ScaleWorkload, tmp: Path, seed: int) -> list[dict[str, Any]]:
    if w.name == "validate_1e6":
        return run_validate(w, tmp, seed)
    return run_e2e(w, tmp, seed)

"""Import time of each command, measured with ``python -X importtime``.

Run from the repository root::

    .venv/bin/python benchmarks/importtime.py [--repeats 5] [--write benchmarks/importtime.md]

For every command it runs fresh interpreters and reads the import log
``-X importtime`` writes on standard error:

* ``help``: ``spinestats NAME --help`` (what a user waits for to read the
  options): the cumulative import time of everything imported, and whether
  pandas, SciPy or matplotlib were among it;
* ``run``: the modules the command imports when it actually runs (its job
  and the loader; listed in :data:`RUN_IMPORTS`), i.e. the import cost that
  comes before any computation, with the deferred imports and lighter
  Matplotlib docstrings of a command-line process
  (``spinestats.reports.collector.light_imports``).

Plus ``spinestats --help`` as a whole process (CPU time of the child,
``resource.getrusage``).  Each figure is the median of ``--repeats`` runs;
the load average is printed beside the table, since the machine is shared.
Benchmarks are not tests; CI does not run this.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

HEAVY = ("pandas", "scipy", "matplotlib")

#: The job modules of every analysis type (reports.plan_runner.JOBS; listed here so that this file imports nothing).
_ALL_JOBS = ("spinestats.reports.table_one_job", "spinestats.reports.diagnostic_job", "spinestats.reports.survival_job",
             "spinestats.reports.fracture_job", "spinestats.reports.pain_job", "spinestats.reports.multicenter_job",
             "spinestats.reports.agreement_job", "spinestats.reports.sample_size_job", "spinestats.reports.validate_job")

#: What each command imports once it runs (its job, the loader), before computing.
RUN_IMPORTS: dict[str, tuple[str, ...]] = {
    "accuracy": ("spinestats.data_schemas.loading", "spinestats.reports.diagnostic_job"),
    "agreement": ("spinestats.data_schemas.loading", "spinestats.reports.agreement_job"),
    "check": ("spinestats.data_schemas.loading",),
    "demo": ("spinestats.reports.plan_runner", "spinestats.reports.reproduction", "spinestats.reports.figure_style",
             "spinestats.reports.html_report", "spinestats.reports.section_tables", *_ALL_JOBS),
    "dss": ("spinestats.data_schemas.loading", "spinestats.reports.diagnostic_job"),
    "example": (),
    "fracture": ("spinestats.data_schemas.loading", "spinestats.reports.fracture_job"),
    "init": ("spinestats.reports.plan_runner", *_ALL_JOBS),  # the template lists every job's options
    "multicenter": ("spinestats.data_schemas.loading", "spinestats.reports.multicenter_job"),
    "pain": ("spinestats.data_schemas.loading", "spinestats.reports.pain_job"),
    "plan": (),
    "pool": ("spinestats.data_schemas.site_bundle", "spinestats.reports.multicenter_job"),
    "predict": ("spinestats.data_schemas.loading", "spinestats.reports.fracture_job", "spinestats.analysis.prediction.risk_model"),
    # plus the jobs of the plan's analysis types (only those are imported)
    "run": ("spinestats.reports.plan_runner", "spinestats.reports.figure_style", "spinestats.reports.html_report",
            "spinestats.reports.section_tables"),
    "sample-size": ("spinestats.analysis.design.sample_size",),
    "schema": ("spinestats.data_schemas.redcap",),
    "site-summary": ("spinestats.data_schemas.loading", "spinestats.reports.multicenter_job"),
    "survival": ("spinestats.data_schemas.loading", "spinestats.reports.survival_job"),
}


def _import_log(code: str) -> tuple[float, set[str]]:
    """Total import time (s, sum of the top-level cumulative times) and the top-level packages imported."""
    r = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(r.stderr[-2000:])
    total_us, packages = 0, set()
    for line in r.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, raw = line[len("import time:"):].split("|")
        if not cumulative.strip().isdigit():
            continue
        packages.add(raw.strip().split(".")[0])
        if not raw.startswith("  "):  # a top-level import (nested ones are indented): includes its children
            total_us += int(cumulative.strip())
    return total_us / 1e6, packages


def _help_code(argv: list[str]) -> str:
    return ("import sys, contextlib, io\nfrom spinestats.reports.cli.main import cli\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    try:\n        cli.main({argv!r}, standalone_mode=False)\n    except SystemExit:\n        pass\n")


def _child_cpu(args: list[str]) -> tuple[float, float]:
    """CPU time (user + sys) and wall time of one child process."""
    import time

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(args, capture_output=True, check=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall


def measure(repeats: int) -> dict:
    from spinestats.reports.cli.main import COMMANDS

    rows = []
    for name in sorted(COMMANDS):
        helps = [_import_log(_help_code([name, '--help'])) for _ in range(repeats)]
        heavy = sorted(set().union(*(p for _, p in helps)) & set(HEAVY))
        mods = RUN_IMPORTS.get(name, ())
        # as the command line imports them: after light_imports (spinestats.reports.collector), as main() does
        run_code = ("from spinestats.reports.collector import light_imports\nlight_imports()\n"
                    + ("import " + ", ".join(mods) if mods else "pass"))
        runs = [_import_log(run_code)[0] for _ in range(repeats)]
        rows.append({"command": name, "help_s": statistics.median(t for t, _ in helps), "help_heavy": heavy,
                     "run_s": statistics.median(runs), "run_modules": list(mods)})
    top = [_child_cpu([sys.executable, "-m", "spinestats", "--help"]) for _ in range(repeats)]
    top_import = [_import_log(_help_code(["--help"]))[0] for _ in range(repeats)]
    return {"rows": rows, "top_cpu_s": statistics.median(c for c, _ in top), "top_wall_s": statistics.median(w for _, w in top),
            "top_import_s": statistics.median(top_import)}


def markdown(result: dict, load_before: tuple, load_after: tuple, when: str, repeats: int) -> str:
    lines = [
        f"Measured {when} with `benchmarks/importtime.py --repeats {repeats}` (median of the repeats); "
        f"Python {sys.version.split()[0]}, {os.cpu_count()} cores; load average (1, 5, 15 min) "
        f"{' '.join(f'{x:.1f}' for x in load_before)} at the start and {' '.join(f'{x:.1f}' for x in load_after)} at the end.",
        "",
        f"`spinestats --help` as a whole process: {result['top_cpu_s']:.2f} s CPU, {result['top_wall_s']:.2f} s wall; "
        f"imports {result['top_import_s'] * 1000:.0f} ms (target < 0.3 s).",
        "",
        "| command | `--help` imports | pandas/SciPy/matplotlib at `--help` | imports when it runs | modules imported to run |",
        "|---|---|---|---|---|",
    ]
    for r in result["rows"]:
        if set(_ALL_JOBS) <= set(r["run_modules"]):
            r = dict(r, run_modules=[m for m in r["run_modules"] if m not in _ALL_JOBS] + ["every job"])
        lines.append(f"| {r['command']} | {r['help_s'] * 1000:.0f} ms | {', '.join(r['help_heavy']) or 'none'} | "
                     f"{r['run_s'] * 1000:.0f} ms | {', '.join(m.replace('spinestats.', '') for m in r['run_modules']) or '-'} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--write", type=Path, default=None, help="Write the Markdown table to this file.")
    args = ap.parse_args()
    load_before = os.getloadavg()
    when = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    result = measure(args.repeats)
    text = markdown(result, load_before, os.getloadavg(), when, args.repeats)
    print(text)
    if args.write:
        args.write.write_text("# Import time of each command\n\n" + text, encoding="utf-8")


if __name__ == "__main__":
    main()

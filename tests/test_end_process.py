"""The command line's process ends without tearing the interpreter down
(spinestats.reports.collector.end_process): what a normal exit does that can be seen from
outside still happens (exit handlers, thread hooks, flushed output, the exit status), and the
teardown does not."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from spinestats.reports.collector import GC_THRESHOLDS, exit_status

#: what the probe's exit handler prints: the command line's collector thresholds are still set (Python's
#: defaults, given back, would first collect every young object of the run on the way out)
ATEXIT = "atexit ran " + " ".join(map(str, GC_THRESHOLDS))

EXAMPLES = Path(__file__).resolve().parents[1] / "data_schemas" / "examples"

PROBE = textwrap.dedent("""
    import atexit, gc, sys, threading

    class Noisy:
        def __del__(self):
            print("teardown ran", flush=True)

    keep = Noisy()  # freed only when the interpreter tears this module down
    atexit.register(lambda: print("atexit ran", *gc.get_threshold()))
    threading._register_atexit(print, "thread hook ran")
    sys.argv = ["spinestats", *sys.argv[1:]]
    from spinestats.reports.cli.main import entry
    entry()
    print("not reached")
""")


def _probe(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=120)


def test_the_exit_hooks_run_and_the_teardown_is_skipped():
    from spinestats import __version__

    r = _probe("--version")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == f"spinestats, version {__version__}"
    # the thread hooks first, then the exit handlers, as Python runs them
    assert lines[1:] == ["thread hook ran", ATEXIT]
    assert "teardown ran" not in r.stdout and "not reached" not in r.stdout
    assert r.stderr == ""


@pytest.mark.parametrize(("args", "code", "message"), [
    (["no-such-command"], 2, "No such command"),
    (["check", str(EXAMPLES / "synthetic_dss.csv"), "--schema", "cirt"], 1, "column"),
])
def test_the_exit_status_and_the_message_are_kept(args, code, message):
    r = _probe(*args)
    assert r.returncode == code
    assert message in r.stdout + r.stderr
    assert "Traceback" not in r.stderr
    assert r.stdout.splitlines()[-2:] == ["thread hook ran", ATEXIT]


def test_output_to_a_pipe_is_complete():
    """stdout is a pipe here (block-buffered): every byte printed reaches the reader."""
    r = subprocess.run([sys.executable, "-m", "spinestats", "schema", "cirt"], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    whole = subprocess.run([sys.executable, "-c", "import sys\nfrom spinestats.reports.cli.main import main\n"
                            "try:\n    main(['schema', 'cirt'])\nexcept SystemExit:\n    pass\n"],
                           capture_output=True, text=True, timeout=120)
    assert len(r.stdout) > 2000
    assert r.stdout == whole.stdout


def test_a_reader_that_closed_the_pipe_gives_status_120():
    code = textwrap.dedent("""
        import io, sys
        from spinestats.reports.collector import end_process

        class Closed(io.StringIO):
            def flush(self):
                raise BrokenPipeError(32, "Broken pipe")

        sys.stdout = Closed()
        end_process(0)
    """)
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 120
    # an error status is kept
    assert subprocess.run([sys.executable, "-c", code.replace("end_process(0)", "end_process(1)")],
                          timeout=60).returncode == 1


PLAN = """schema_version: 1
title: Two analyses on two processes
seed: 1
synthetic: true
data:
  dss:
    file: {csv}
    schema: dss
analyses:
- type: table_one
  data: dss
  group: reference
  variables: [size_cm, dss]
- type: dss
  data: dss
output:
  figures:
    formats: [png]
  tables:
    formats: [csv]
"""


def _pool_workers_of_group(group: int) -> list[str]:
    """The command lines of the live (not zombie) loky pool workers in process group ``group``."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # the process ended meanwhile
            continue
        if int(fields[2]) == group and fields[0] != "Z" and "popen_loky_posix" in cmdline:
            found.append(cmdline)
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process table from /proc (Linux)")
def test_a_pool_of_workers_is_shut_down_before_the_process_ends(tmp_path):
    """With ``--workers 2`` the plan's pool worker is stopped as on a normal exit, before the command's
    process ends: no worker of its process group is alive when it has returned, every file is written,
    and nothing is reported about leaked resources."""
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN.format(csv=(EXAMPLES / "synthetic_dss.csv").as_posix()), encoding="utf-8")
    out = tmp_path / "out"
    # output to files, not pipes: waiting for a pipe's end would also wait for the worker holding it
    with open(tmp_path / "stdout", "wb") as so, open(tmp_path / "stderr", "wb") as se:
        proc = subprocess.Popen([sys.executable, "-m", "spinestats", "run", str(plan), "--out", str(out),
                                 "--workers", "2", "--quiet"], stdout=so, stderr=se, start_new_session=True)
        proc.wait(timeout=300)
    left = _pool_workers_of_group(proc.pid)
    stderr = (tmp_path / "stderr").read_text(encoding="utf-8", errors="replace")
    assert proc.returncode == 0, stderr
    assert left == []
    assert (out / "results.json").is_file() and (out / "report.html").is_file()
    assert sorted(p.name for p in (out / "figures").iterdir()) == [
        "dss_flow_diagram_300dpi.png", "dss_roc_300dpi.png", "dss_score_distribution_300dpi.png"]
    # (the resource tracker reports semaphores or folders a pool left behind as a UserWarning, shown by default)
    assert "leaked" not in stderr and "resource_tracker" not in stderr and "Traceback" not in stderr


def test_exit_status_reads_system_exit_as_python_does(capsys):
    assert exit_status(None) == 0
    assert exit_status(0) == 0
    assert exit_status(3) == 3
    assert exit_status("stopped: no plan") == 1
    assert capsys.readouterr().err == "stopped: no plan\n"

"""The command line's outer contract: --version, --help and exit codes."""

import subprocess
import sys

from spinestats import __version__


def run(*args):
    return subprocess.run([sys.executable, "-m", "spinestats", *args], capture_output=True, text=True)


def test_version():
    r = run("--version")
    assert r.returncode == 0
    assert __version__ in r.stdout


def test_help_lists_usage():
    r = run("--help")
    assert r.returncode == 0
    assert "Usage: spinestats" in r.stdout


def test_unknown_command_is_a_usage_error_without_traceback():
    r = run("no-such-command")
    assert r.returncode == 2
    assert "No such command" in r.stderr
    assert "Traceback" not in r.stderr


def test_every_command_module_holds_the_command_of_its_name():
    """`spinestats NAME` imports only module NAME (with - as _), so names must agree."""
    import importlib
    import pkgutil

    import spinestats.reports.cli as package

    for info in pkgutil.iter_modules(package.__path__):
        if info.name in {"main", "common"} or info.name.startswith("_"):
            continue
        command = importlib.import_module(f"spinestats.reports.cli.{info.name}").command
        assert command.name == info.name.replace("_", "-")

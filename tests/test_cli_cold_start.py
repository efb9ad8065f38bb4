"""Cold start: listing the commands imports none of them, and no command needs
pandas, SciPy or matplotlib to show its own ``--help``.

Timing is measured in ``benchmarks/importtime.py``; these tests only check
which modules are imported, which does not depend on the machine.
"""

import importlib
import subprocess
import sys

import click

from spinestats.reports.cli import main as cli_main

HEAVY = ("pandas", "scipy", "matplotlib", "numpy")


def _imported(code: str) -> set[str]:
    """Top-level packages imported by ``python -X importtime -c code`` (read from its import log)."""
    r = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    names = set()
    for line in r.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            if name != "imported package":
                names.add(name.split(".")[0])
    return names


def test_static_table_lists_every_command_module_with_its_own_help():
    modules = cli_main.command_modules()
    assert sorted(cli_main.COMMANDS) == sorted(m.replace("_", "-") for m in modules)
    for module in modules:
        command = importlib.import_module(f"spinestats.reports.cli.{module}").command
        assert cli_main.COMMANDS[command.name] == command.get_short_help_str(limit=10_000), command.name


def test_static_listing_equals_the_listing_click_builds_from_the_modules():
    ctx = click.Context(cli_main.cli, info_name="spinestats")
    for width in (80, 120, 50):
        ours, theirs = click.HelpFormatter(width=width), click.HelpFormatter(width=width)
        cli_main.cli.format_commands(ctx, ours)
        click.Group.format_commands(cli_main.cli, ctx, theirs)  # imports every command module
        assert ours.getvalue() == theirs.getvalue()
        assert "survival" in ours.getvalue() and "site-summary" in ours.getvalue()


def test_top_level_help_imports_no_command_and_no_heavy_package():
    code = "import sys\nsys.argv = ['spinestats', '--help']\nfrom spinestats.reports.cli.main import main\nmain()"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0 and "site-summary" in r.stdout and "Commands:" in r.stdout
    imported = _imported("import sys\nsys.argv = ['spinestats', '--help']\n"
                         "from spinestats.reports.cli.main import main\ntry:\n    main()\nexcept SystemExit:\n    pass")
    assert "spinestats" in imported  # the log is read correctly
    assert not imported & set(HEAVY), sorted(imported & set(HEAVY))
    code = ("import sys, contextlib, io\nfrom spinestats.reports.cli.main import main\nsys.argv = ['spinestats', '--help']\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n    try:\n        main()\n    except SystemExit:\n        pass\n"
            "print(sorted(m for m in sys.modules if m.startswith('spinestats.reports.cli.') and m != 'spinestats.reports.cli.main'))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.strip() == "[]", r.stdout


def test_every_command_help_imports_no_heavy_package():
    names = sorted(cli_main.COMMANDS)
    code = ("import sys, contextlib, io\nfrom spinestats.reports.cli.main import cli\n"
            f"for name in {names!r}:\n"
            "    with contextlib.redirect_stdout(io.StringIO()):\n"
            "        try:\n            cli.main([name, '--help'], standalone_mode=False)\n        except SystemExit:\n            pass\n"
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip() == "[]", r.stdout


def test_fracture_model_choices_match_the_job():
    from spinestats.reports import fracture_job
    from spinestats.reports.cli import fracture

    assert fracture.MODELS == fracture_job.MODELS


def test_validate_unit_choices_equal_the_job_units():
    """The CLI writes the units out (no job import at start-up); they must stay the job's."""
    from spinestats.reports import validate_job
    from spinestats.reports.cli.validate import command

    unit = next(p for p in command.params if p.name == "unit")
    assert tuple(unit.type.choices) == validate_job.UNITS

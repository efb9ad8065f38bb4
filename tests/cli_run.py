"""Run the ``spinestats`` command line in-process for the tests (not a test module)."""

from spinestats.reports.cli.main import main


def cli(*args) -> int:
    """The exit code of ``spinestats ARGS...`` (0 when the command returns normally)."""
    try:
        main([str(a) for a in args])
    except SystemExit as exc:
        return exc.code
    return 0

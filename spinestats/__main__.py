"""``python -m spinestats`` runs the command line."""

from spinestats.reports.cli.main import entry

if __name__ == "__main__":  # pragma: no cover - thin entry point
    entry()

"""Shared pytest configuration.

Figures are drawn with the non-interactive Agg backend so tests never need a
screen.  Area-specific fixtures live in the area's own test modules.
"""

import matplotlib

matplotlib.use("Agg")

import os

# Tests never leave a study-key file (.spinestats-key) in the repository: a fixed test key is the
# default; the privacy tests that exercise the key file remove it with monkeypatch.
os.environ.setdefault("SPINESTATS_ID_KEY", "spinestats-test-suite-study-key")

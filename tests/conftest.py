"""Shared pytest configuration.

Figures are drawn with the non-interactive Agg backend so tests never need a
screen.  Area-specific fixtures live in the area's own test modules.
"""

import matplotlib

matplotlib.use("Agg")

"""Package versions recorded with every load, so a run can be reproduced."""

from __future__ import annotations

import functools
import platform
from importlib import metadata

#: distributions whose versions are recorded (those that change numbers or reading); the
#: cross-check peers of the test extra (lifelines, scikit-learn) never compute a reported number
PACKAGES = ("spinestats", "numpy", "pandas", "scipy", "statsmodels", "matplotlib", "pyarrow", "openpyxl",
            "pyyaml", "charset-normalizer")


@functools.lru_cache(maxsize=1)
def _versions() -> tuple[tuple[str, str], ...]:
    out = [("python", platform.python_version())]
    for name in PACKAGES:
        try:
            out.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            out.append((name, "not installed"))
    return tuple(out)


def package_versions() -> dict[str, str]:
    """``{"python": "3.12.1", "numpy": "2.4.6", ...}`` for the running interpreter."""
    return dict(_versions())

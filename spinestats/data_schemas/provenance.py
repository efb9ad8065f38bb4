"""Package versions recorded with every load, so a run can be reproduced."""

from __future__ import annotations

import functools
import platform
from importlib import metadata

#: distributions whose versions are recorded (those that change numbers or reading); the
#: cross-check peers of the test extra (lifelines, scikit-learn, statsmodels) never compute a reported number
PACKAGES = ("spinestats", "numpy", "pandas", "scipy", "matplotlib", "pyarrow", "openpyxl",
            "pyyaml", "charset-normalizer")
#: the version recorded for a distribution that is not installed
NOT_INSTALLED = "not installed"


def _version(name: str) -> str:
    """``metadata.version(name)``, read from the distribution's metadata header without parsing the
    whole file as e-mail (which takes most of the time of a load's provenance)."""
    dist = metadata.distribution(name)
    text = dist.read_text("METADATA") or dist.read_text("PKG-INFO") or ""
    for line in text.splitlines():
        if not line:  # the end of the header
            break
        if line.startswith("Version:"):
            return line[len("Version:"):].strip()
    return dist.version


@functools.lru_cache(maxsize=1)
def _versions() -> tuple[tuple[str, str], ...]:
    out = [("python", platform.python_version())]
    for name in PACKAGES:
        try:
            out.append((name, _version(name)))
        except metadata.PackageNotFoundError:
            out.append((name, NOT_INSTALLED))
    return tuple(out)


def package_versions() -> dict[str, str]:
    """``{"python": "3.12.1", "numpy": "2.4.6", ...}`` for the running interpreter."""
    return dict(_versions())

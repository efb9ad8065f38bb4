"""The methods paragraph, generated from what actually ran.

Each analysis job hands its own methods sentences and references in its
:class:`~spinestats.reports.section.Section`; this module joins them in the
order the analyses ran, adds one sentence on random-number seeding (only when
a resampling method ran, or always when a seed is given) and one on the
software and versions, and numbers the references (deduplicated, in order of
first citation).  Nothing is written about an analysis that did not run.
"""

from __future__ import annotations

import dataclasses
import platform
from collections.abc import Iterable, Sequence
from importlib import metadata

from spinestats import __version__
from spinestats.reports.section import Section

#: Packages whose versions are reported when they ran (distribution name, display name).
SOFTWARE = (
    ("numpy", "NumPy"),
    ("scipy", "SciPy"),
    ("pandas", "pandas"),
    ("statsmodels", "statsmodels"),
    ("lifelines", "lifelines"),
    ("scikit-learn", "scikit-learn"),
    ("matplotlib", "Matplotlib"),
)
#: Used by every analysis; the others are named only when noted as used
#: (:mod:`spinestats.analysis.core.usage`; Matplotlib when a figure was drawn).
ALWAYS_USED = ("numpy", "scipy", "pandas")

R_CHECK = (
    "Estimators were verified against R 4.2 reference implementations (packages survival, pROC, cmprsk, "
    "epiR, lme4, metafor, psych and others) in the package's test suite."
)


@dataclasses.dataclass(frozen=True)
class MethodsText:
    """The paragraph and its numbered reference list."""

    paragraph: str
    references: tuple[str, ...]
    software: dict[str, str]


def software_versions(used: Iterable[str] | None = None) -> dict[str, str]:
    """Versions of Python, spinestats and the numerical packages that ran.

    ``used`` : distributions that computed something in the run (default: those
    noted in this process by :func:`spinestats.analysis.core.usage.note_used`);
    NumPy, SciPy and pandas are always named.
    """
    from spinestats.analysis.core.usage import used_packages

    ran = set(used_packages() if used is None else used) | set(ALWAYS_USED)
    out = {"Python": platform.python_version(), "spinestats": __version__}
    for dist, name in SOFTWARE:
        if dist not in ran:
            continue
        try:
            out[name] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return out


def _sentence(text: str) -> str:
    text = " ".join(str(text).split())
    return text if text.endswith((".", "!", "?")) else text + "."


def unique_in_order(items: Iterable[str]) -> list[str]:
    """``items`` without repeats, first occurrence kept."""
    seen: set[str] = set()
    out = []
    for item in items:
        key = " ".join(str(item).split())
        if key and key not in seen:
            seen.add(key)
            out.append(key)
    return out


def methods_paragraph(
    sections: Sequence[Section],
    *,
    seed: int | None = None,
    versions: dict[str, str] | None = None,
    synthetic: bool = False,
) -> MethodsText:
    """The methods paragraph of a run.

    Parameters
    ----------
    sections : the Sections of the analyses that ran, in order.
    seed : the run's seed (stated when given).
    versions : software versions (default: :func:`software_versions`).
    synthetic : the inputs were synthetic; the paragraph says so.
    """
    versions = software_versions() if versions is None else versions
    sentences = unique_in_order(_sentence(s) for sec in sections for s in sec.methods)
    if synthetic:
        sentences.insert(0, "The data are synthetic cohorts reconstructed from published aggregates, not patient data.")
    if seed is not None:
        sentences.append(
            f"Random numbers (resampling, imputation, simulation) were drawn from independent streams derived "
            f"from seed {int(seed)} (NumPy SeedSequence), so every result is reproducible and independent of "
            f"the number of parallel workers."
        )
    lib = ", ".join(f"{name} {v}" for name, v in versions.items() if name not in ("Python", "spinestats"))
    sentences.append(
        f"Analyses were run with spinestats {versions.get('spinestats', __version__)} "
        f"(Python {versions.get('Python', platform.python_version())}"
        + (f"; {lib}" if lib else "") + ")."
    )
    sentences.append(R_CHECK)
    references = tuple(unique_in_order(r for sec in sections for r in sec.references))
    return MethodsText(paragraph=" ".join(sentences), references=references, software=dict(versions))

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
import re
from collections.abc import Iterable, Sequence

from spinestats import __version__
from spinestats.reports.section import Section

#: The numerical packages whose versions are reported (distribution name, display name): NumPy, SciPy and
#: pandas compute in every analysis, Matplotlib only when a figure was drawn.  The cross-check peers of the
#: test extra (statsmodels, lifelines, scikit-learn) never compute a reported number and are never named.
SOFTWARE = (
    ("numpy", "NumPy"),
    ("scipy", "SciPy"),
    ("pandas", "pandas"),
    ("matplotlib", "Matplotlib"),
)

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
    by_section: dict[str, str] = dataclasses.field(default_factory=dict)  # section key -> its methods, cited by number
    general: str = ""  # the sentences that belong to no one section (synthetic data, seed, software)

    def markdown(self) -> str:
        """``methods.md``: the paragraph as the report prints it (journal typography, numbered citations)
        and the numbered reference list, for a plan and a single command alike."""
        refs = "\n".join(f"{i}. {r}" for i, r in enumerate(self.references, start=1))
        return f"# Methods\n\n{self.paragraph}\n" + (f"\n## References\n\n{refs}\n" if refs else "")


def software_versions(figures: bool = False) -> dict[str, str]:
    """Versions of Python, spinestats and the numerical packages that ran (Matplotlib when ``figures``)."""
    from spinestats.data_schemas.provenance import NOT_INSTALLED, package_versions

    installed = package_versions()  # (read once per process, as every load records them)
    out = {"Python": platform.python_version(), "spinestats": __version__}
    for dist, name in SOFTWARE:
        if (dist == "matplotlib" and not figures) or installed.get(dist, NOT_INSTALLED) == NOT_INSTALLED:
            continue
        out[name] = installed[dist]
    return out


#: typography of the jobs' methods sentences as a journal prints them (eponyms, ranges, signs, symbols)
_TYPOGRAPHY = (
    (re.compile(r"\b((?:Mc|Mac)?[A-Z][a-z]+)-(?=(?:Mc|Mac)?[A-Z][a-z]+\b)"), "\\1\u2013"),  # Kaplan-Meier -> Kaplan–Meier
    (re.compile(r"(?<![\w.\-])(\d+(?:\.\d+)?)-(?=\d)"), "\\1\u2013"),  # 0-6 -> 0–6 (not 10.1002/sim-...)
    (re.compile(r"(?<=[\s(])-(?=\d)"), "\u2212"),  # a negative number: true minus
    (re.compile(r"\s*>=\s*"), " \u2265 "),
    (re.compile(r"\s*<=\s*"), " \u2264 "),
    (re.compile(r"\btau\^2\b|\btau2\b"), "\u03c4\u00b2"),
    (re.compile(r"\bI\^2\b"), "I\u00b2"),
    (re.compile(r"\byouden\b"), "Youden"),
    (re.compile(r"\+/-"), "\u00b1"),
)


def typeset(text: str) -> str:
    """A methods sentence with journal typography: en dashes in eponyms ("Kaplan\u2013Meier") and number
    ranges ("0\u20136"), a true minus, \u2265/\u2264, \u03c4\u00b2 and I\u00b2, capitalised eponyms."""
    for pattern, repl in _TYPOGRAPHY:
        text = pattern.sub(repl, text)
    return text


def _sentence(text: str) -> str:
    text = typeset(" ".join(str(text).split()))
    return text if text.endswith((".", "!", "?")) else text + "."


def cite_numbers(numbers: Iterable[int]) -> str:
    """Reference numbers as cited: sorted, runs of three or more as a range ("[3, 4]", "[8\u201317]")."""
    nums = sorted(set(numbers))
    parts: list[str] = []
    i = 0
    while i < len(nums):
        j = i
        while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
            j += 1
        parts += [f"{nums[i]}\u2013{nums[j]}"] if j - i >= 2 else [str(n) for n in nums[i:j + 1]]
        i = j + 1
    return "[" + ", ".join(parts) + "]"


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


def reference_key(ref: str) -> str:
    """What makes two reference texts the same work: first author's surname and the year (DOI when given)."""
    doi = re.search(r"doi:\s*(\S+?)\.?$", ref.strip(), flags=re.I)
    if doi:
        return "doi:" + doi.group(1).lower()
    first = re.split(r"[\s,.]+", ref.strip(), maxsplit=1)[0].lower()
    year = re.search(r"\b(19|20)\d\d\b", ref)
    return f"{first} {year.group(0) if year else ref.strip().lower()}"


#: a page range of a reference ("44:837-845", "41:E1230-E1236"): set with an en dash, as journals print it
_PAGE_RANGE = re.compile(r"(?<=[:;,\s])(E?\d+)-(E?\d+)(?=[.;,\s]|$)")


def typeset_reference(ref: str) -> str:
    """A reference as a journal prints it: page ranges with an en dash ("837\u2013845"); the DOI, author
    names and everything else as written."""
    head, sep, doi = ref.partition(" doi:")
    return _PAGE_RANGE.sub("\\1\u2013\\2", head) + sep + doi


def unique_references(refs: Iterable[str]) -> list[str]:
    """References without repeats of the same work (same DOI, or same first author and year), first kept."""
    seen: set[str] = set()
    out = []
    for r in unique_in_order(refs):
        k = reference_key(r)
        if k not in seen:
            seen.add(k)
            out.append(r)
    return out


def _expand(part: str) -> list[int]:
    a, _, b = part.strip().partition("\u2013")
    return list(range(int(a), int(b or a) + 1))


def cite(text: str, refs: Sequence[str], numbering: dict[str, int]) -> str:
    """A section's methods text with its references cited by number: author-year citations such as
    "[Austin 2009]", "(Light 1971)" or "(Fleiss, Cohen & Everitt 1969)" replaced by "[1]", and the numbers of
    the section's other references cited before the final full stop ("... reported [5\u20137].")."""
    used: set[int] = set()

    def number(author: str, year: str) -> int | None:
        for r in refs:
            if year in r and r.lower().startswith(author.lower()):
                n = numbering.get(reference_key(r))
                if n is not None:
                    used.add(n)
                    return n
        return None

    item = re.compile(r"\s*([A-Z][A-Za-z'\-]+)(?:(?:,\s*|\s+(?:&|and)\s+)[A-Z][A-Za-z'\-]+)*(?: et al\.?)?,? (\d{4})\s*$")

    def repl(m: re.Match) -> str:
        items = [item.match(x) for x in m.group(1).split(";")]
        if not all(items):
            return m.group(0)
        nums = [number(i.group(1), i.group(2)) for i in items if i]
        if any(n is None for n in nums):
            return m.group(0)
        return cite_numbers(n for n in nums if n is not None)

    text = re.sub(r"\[([A-Z][^\[\]]*?\d{4})\]", repl, text)
    text = re.sub(r"\(([A-Z][^()]*?\d{4})\)", repl, text)
    rest = sorted({numbering[reference_key(r)] for r in refs if reference_key(r) in numbering} - used)
    if rest:
        text = text.rstrip()
        end = text[-1] if text.endswith((".", "!", "?")) else ""
        body = text[:-1] if end else text
        last = re.search(r"\s*\[([\d,\s\u2013]+)\]$", body)  # a citation already ends the text: one bracket
        if last:
            before = [n for part in last.group(1).split(",") for n in _expand(part)]
            body, rest = body[:last.start()], sorted(set(rest) | set(before))
        text = body + " " + cite_numbers(rest) + end
    return text


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
    references = tuple(unique_references(r for sec in sections for r in sec.references))
    numbering = {reference_key(r): i for i, r in enumerate(references, start=1)}
    by_section = {}
    done: set[str] = set()
    for sec in sections:
        own = [x for x in unique_in_order(_sentence(s) for s in sec.methods) if x not in done]
        done.update(own)
        if own:
            by_section[sec.key] = cite(" ".join(own), sec.references, numbering)
    general = [s for s in sentences if s not in done]
    # the whole paragraph (methods.md, results.json) cites by number too, as the list it is printed with:
    # the synthetic-data sentence, each section's cited methods in order, then seeding and software
    lead = general[:1] if synthetic else []
    paragraph = " ".join(lead + list(by_section.values()) + general[len(lead):])
    return MethodsText(paragraph=paragraph, references=tuple(typeset_reference(r) for r in references),
                       software=dict(versions),
                       by_section=by_section, general=" ".join(general))

"""Warnings as sentences a clinician reads: the one path every warning takes to results.json, report.html and
the terminal.

The analyses and the loader write warnings for people but sometimes with a programmer's shorthand: a
Python list (``lines [5, 9]``), a JSON count of exclusion reasons, a rule name
(``dss_matches_features``), a column name (``size_cm``), an endpoint code (``lc: ...``), ``row(s)``.
:func:`sentence` rewrites one warning:

* a list as words ("lines 5 and 9"), a reason-count mapping as "reason (n)";
* an exclusion reason as words by the column's label ("Histology (reference standard) missing",
  "recorded DSS 6 does not match the features (DSS 4)");
* a column name by its label, a leading endpoint code by the endpoint's label;
* "row(s)" as "1 row" / "3 rows"; "Kaplan-Meier" and other eponyms with an en dash;
* a capital first letter and a final full stop.

:func:`section_warnings` applies it to a job's :class:`~spinestats.reports.section.Section` (its
``warnings`` and every ``warnings`` list inside its results, keeping the lists and their keys) and drops
repeats, so the same warning is never printed twice; :func:`exclusion_sentences` says which rows an input
lost at loading and why, with their spreadsheet lines; :func:`run_warning` prefixes a section's warning
with the section's title for the run-wide list.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import itertools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

#: eponyms written with a hyphen in code, an en dash on the page
_EPONYMS = ("Kaplan-Meier", "Clopper-Pearson", "Fine-Gray", "Barnard-Rubin", "Brookmeyer-Crowley",
            "Shrout-Fleiss", "Aalen-Johansen", "Hosmer-Lemeshow", "Benjamini-Hochberg", "Newey-West")
_EXPECTED = r"\(expected (?P<exp>(?:[^()]|\([^()]*\))*)\)"
_PART = re.compile(r"^(?P<rule>[a-z][a-z _]*): '(?P<col>[^']*)'(?: = (?P<val>.*?))? " + _EXPECTED + r"$")
_RULE_WORDS = {"out of range": "out of range", "allowed": "not an allowed value", "type": "not of the expected type",
               "integer": "not a whole number", "date": "not a valid date", "unique": "repeated"}


@functools.lru_cache(maxsize=1)
def _default_labels() -> Any:
    """Labels of every bundled schema (for a warning written without a plan's labels)."""
    from spinestats.data_schemas.labels import Labels
    from spinestats.data_schemas.schema import SCHEMA_NAMES

    try:
        return Labels(list(SCHEMA_NAMES), strict=False)
    except Exception:  # noqa: BLE001 - a schema that cannot be read must not stop a warning being shown
        return Labels(strict=False)


def _labels(labels: Any) -> Any:
    return labels if labels is not None else _default_labels()


def and_list(items: Iterable[Any]) -> str:
    """``[5, 9, 12]`` -> "5, 9 and 12"."""
    items = [str(i) for i in items]
    if not items:
        return ""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def lines_text(lines: Sequence[int]) -> str:
    """Spreadsheet lines as words: "line 5", "lines 5 and 9", "lines 1, 2, ... and 4 more"."""
    shown = sorted(lines)
    if len(shown) <= 10:
        return ("line " if len(shown) == 1 else "lines ") + and_list(shown)
    return "lines " + ", ".join(map(str, shown[:10])) + f" and {len(shown) - 10} more"


def _column(col: str, labels: Any) -> str:
    return labels.variable(col) if col in set(labels.known_variables()) else col


def _unquote(value: str | None) -> str:
    v = (value or "").strip()
    if len(v) >= 2 and v[0] == v[-1] and v[0] in "'\"":
        v = v[1:-1]
    return v


def reason_words(reason: str, labels: Any = None) -> str:
    """A loader's exclusion reason in plain words, the column by its label (see the module docstring)."""
    labels = _labels(labels)
    parts = []
    for part in re.split(r";\s*(?=[a-z][a-z _]*: ')", str(reason).strip()):
        m = _PART.match(part.strip())
        if m is None:
            parts.append(part.strip())
            continue
        rule, col, val, exp = m.group("rule"), m.group("col"), m.group("val"), m.group("exp")
        name = _column(col, labels)
        if rule == "required" and _unquote(val) == "":
            parts.append(f"{name} missing")
        elif rule == "dss_matches_features":
            dss = re.match(r"DSS \d+", exp)
            parts.append(f"recorded DSS {_unquote(val)} does not match the features"
                         + (f" ({dss.group(0)})" if dss else f" (expected {exp})"))
        else:
            words = _RULE_WORDS.get(rule, f"fails the check \u2018{rule.replace('_', ' ')}\u2019")
            shown = f" = {_unquote(val)}" if val is not None else ""
            exp = re.sub(r"\s*\(([^()]*)\)\s*$", r"; \1", exp)  # no parentheses inside the parentheses
            parts.append(f"{name}{shown} {words} (expected {exp})")
    return "; ".join(parts)


def _list_words(match: re.Match) -> str:
    try:
        value = ast.literal_eval(match.group(0))
    except (ValueError, SyntaxError):
        return match.group(0)
    if isinstance(value, (list, tuple)) and all(isinstance(v, (str, int, float)) for v in value):
        return and_list(v if not isinstance(v, float) else f"{v:g}" for v in value)
    return match.group(0)


def _dict_words(match: re.Match, labels: Any) -> str:
    blob = match.group(0)
    try:
        value = json.loads(blob)
    except ValueError:
        try:
            value = ast.literal_eval(blob)
        except (ValueError, SyntaxError):
            return blob
    if not isinstance(value, dict):
        return blob
    return "; ".join(f"{reason_words(str(k), labels)} ({v})" for k, v in value.items())


def sentence(text: Any, labels: Any = None) -> str:
    """One warning as a sentence (see the module docstring)."""
    labels = _labels(labels)
    text = " ".join(str(text).split())
    if not text:
        return text
    m = re.match(r"^([a-z][a-z0-9_]*): ", text)
    if m and _is_endpoint(m.group(1), labels):
        text = f"{labels.endpoint(m.group(1))}: " + text[m.end():]
    text = re.sub(r"\{[^{}]*\}", lambda mm: _dict_words(mm, labels), text)
    text = re.sub(r"\[[^\[\]]*\]", _list_words, text)
    if _PART.search(text) or re.search(r"\b[a-z][a-z _]*: '[^']*'(?: = .*?)? \(expected", text):
        text = re.sub(r"[a-z][a-z _]*: '[^']*'(?: = [^()]*?)? " + _EXPECTED.replace("?P<exp>", ""),
                      lambda mm: reason_words(mm.group(0), labels), text)
    known = set(labels.known_variables())
    text = re.sub(r"(?<![\w'])'?([A-Za-z]\w*(?::[A-Za-z]\w*)*)'?(?![\w'])",
                  lambda mm: _term_words(mm, labels, known), text)
    text = re.sub(r"'([A-Za-z][A-Za-z0-9_]*)'", lambda mm: labels.variable(mm.group(1)) if mm.group(1) in known
                  and "_" in mm.group(1) else mm.group(0), text)
    text = re.sub(r"(?<![\w'./-])([a-z][a-z0-9]*(?:_[a-z0-9]+)+)(?![\w'./-])",
                  lambda mm: labels.variable(mm.group(1)) if mm.group(1) in known else mm.group(0), text)
    text = re.sub(r"\b(\d+) (\w+?)\(s\)", lambda mm: f"{mm.group(1)} {mm.group(2)}{'' if mm.group(1) == '1' else 's'}",
                  text)
    text = re.sub(r"(\w+)\(s\)", r"\1s", text)
    text = re.sub(r"\b1 (row|event|patient|case|score|warning|fracture)s\b", r"1 \1", text)
    text = re.sub(r"\b(1 (?:row|event|patient|case|score|fracture)(?: [a-z0-9 ]{1,40}?)?) (are|were|have)\b",
                  lambda mm: f"{mm.group(1)} {({'are': 'is', 'were': 'was', 'have': 'has'})[mm.group(2)]}", text)
    text = re.sub(r"\blines (\d+)(?![\d,]| and)", r"line \1", text)  # one line: "line 7"
    text = re.sub(r"(?<=\s)>=(?=\s*\d)", "\u2265", text)
    text = re.sub(r"(?<=\s)<=(?=\s*\d)", "\u2264", text)
    for name in _EPONYMS:
        text = text.replace(name, name.replace("-", "\u2013"))
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def _term_words(match: re.Match, labels: Any, known: set[str]) -> str:
    """A design-matrix term ("armBKP:visit12m", "modalitySBRT") as the page shows it
    ("Arm: Balloon kyphoplasty \u00d7 Visit: 12 months"); any other word unchanged.

    A part is a term only when it is a known variable followed by one of that variable's levels,
    so ordinary words ("visits") are never taken for terms.
    """
    token = match.group(1)
    for part in token.split(":"):
        if not any(part.startswith(v) and part[len(v):] in set(labels.levels(v) or ()) for v in known):
            return match.group(0)
    return labels.coefficient_label(token, sorted(known, key=len, reverse=True))


def _is_endpoint(token: str, labels: Any) -> bool:
    try:
        from spinestats.vocabulary import ENDPOINT_LABELS
    except ImportError:  # pragma: no cover - the vocabulary ships with the package
        ENDPOINT_LABELS = {}
    return token in ENDPOINT_LABELS or labels.has_endpoint_label(token)


def sentences(items: Iterable[Any], labels: Any = None) -> list[str]:
    """Every warning as a sentence, each once, in order."""
    return list(dict.fromkeys(s for s in (sentence(w, labels) for w in items) if s))


def exclusion_message(record: Mapping[str, Any], labels: Any = None) -> str:
    """An exclusion record of a flow (``{"reason", "n", "lines"?, "centre"?}``) as a sentence:
    "2 rows excluded: Histology (reference standard) missing (lines 5 and 9)."."""
    labels = _labels(labels)
    reason = str(record.get("reason", ""))
    if _PART.match(reason.split("; ")[0]):
        words = reason_words(reason, labels)
    else:  # the short form a flow keeps ("required: 'reference'", "out of range, dss_matches_features")
        from spinestats.reports.flow_diagram import human_reason

        cols = {v: labels.variable(v) for v in labels.known_variables()}
        names = set(cols.values())
        words = "; ".join(w if any(w.startswith(c) for c in names) else w[:1].lower() + w[1:]
                          for w in human_reason(reason, cols).split("; "))
    n = int(record.get("n", 0))
    lines = [int(x) for x in record.get("lines") or () if isinstance(x, (int, float)) and x == x]
    where = f" ({lines_text(lines)})" if lines else ""
    centre = f"{record['centre']}: " if record.get("centre") else ""
    return sentence(f"{centre}{n} row{'s' if n != 1 else ''} excluded: {words}{where}", labels)


def _results_sentences(value: Any, labels: Any) -> Any:
    if isinstance(value, dict):
        out = {k: (sentences(v, labels) if k == "warnings" and isinstance(v, list)
                   and all(isinstance(x, str) for x in v) else _results_sentences(v, labels))
               for k, v in value.items()}
        if isinstance(value.get("reason"), str) and isinstance(value.get("n"), int) and "message" not in value \
                and "exclusions" not in value:  # an exclusion record: its structure is kept, a sentence added
            out["message"] = exclusion_message(value, labels)
        return out
    if isinstance(value, list):
        if len(value) > 8 and _no_sentences(value):
            return list(value) if set(map(type, value)) != {dict} else list(map(dict, value))
        return [_results_sentences(v, labels) for v in value]
    return value


def _leaves(kinds: set[type]) -> bool:
    return not any(issubclass(k, (dict, list)) for k in kinds)


def _no_sentences(values: list[Any]) -> bool:
    """``values`` holds nothing :func:`_results_sentences` changes: no dict or list, or only records (dicts,
    exact type) of such values without a ``warnings`` or ``reason`` key; checked without a Python step per
    value (a long curve, a table's rows)."""
    kinds = set(map(type, values))
    if _leaves(kinds):
        return True
    if kinds != {dict}:
        return False
    keys = set(itertools.chain.from_iterable(values))
    return "warnings" not in keys and "reason" not in keys \
        and _leaves(set(map(type, itertools.chain.from_iterable(map(dict.values, values)))))


def results_sentences(results: Mapping[str, Any], labels: Any = None) -> dict[str, Any]:
    """``results`` with every ``warnings`` list of strings (at any depth) as sentences; keys and structure kept."""
    return _results_sentences(dict(results), labels)


def section_warnings(section: Any, labels: Any = None) -> Any:
    """A job's Section with its warnings, and the warnings inside its results, as sentences (each once)."""
    results = results_sentences(section.results or {}, labels)
    return dataclasses.replace(section, results=results, warnings=tuple(sentences(section.warnings, labels)))


def run_warning(title: str, text: str) -> str:
    """A section's warning in the run-wide list: "Pain after balloon kyphoplasty \u2014 ANCOVA at 1 month: ..."."""
    return f"{title} \u2014 {text}"


def exclusion_sentences(name: str, exclusions: Sequence[Any], labels: Any = None) -> list[str]:
    """The rows an input lost at loading, one sentence per reason:
    "Data 'mc_a': 2 rows excluded: Histology (reference standard) missing (lines 5 and 9)."."""
    groups: dict[str, list[int]] = {}
    for e in exclusions:
        groups.setdefault(reason_words(e.reason, labels), []).append(int(e.line))
    out = []
    for reason, lines in groups.items():
        n = len(lines)
        out.append(f"Data '{name}': {n} row{'s' if n != 1 else ''} excluded: {reason} ({lines_text(lines)}).")
    return out


def numeric_warning(title: str, messages: Sequence[str]) -> str:
    """Python's numerical warnings raised while an analysis ran, without the warning class names."""
    shown = list(dict.fromkeys(re.sub(r"^\w*Warning: ", "", str(m)) for m in messages))
    n = len(messages)
    return (f"Analysis '{title}': {n} numerical warning{'s' if n != 1 else ''} while computing ("
            + "; ".join(shown[:5]) + (" ..." if len(shown) > 5 else "") + ").")

"""The output scan for raw patient IDs finds exactly what the one-pattern definition finds.

Definition (the scan before it was made fast): an ID of 5+ characters counts when the pattern
``(?:^|(?<=["\\n,])|(?<=\\| ))(?:ID1|ID2|...)(?=["\\n,]| \\||$)`` finds it in the text, i.e. as a
whole JSON string, CSV cell or Markdown cell.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pandas as pd
import pytest

from spinestats.reports.plan_runner import LoadedInput, scan_identifiers


def _by_pattern(text: str, ids: list[str]) -> bool:
    ids = sorted({i for i in ids if len(i) >= 5}, key=len, reverse=True)
    if not ids:
        return False
    pattern = re.compile(r'(?:^|(?<=["\n,])|(?<=\| ))(?:' + "|".join(map(re.escape, ids)) + r')(?=["\n,]| \||$)')
    return pattern.search(text) is not None


def _inputs(ids: list[str], col: str = "patient_id") -> dict:
    class T:
        data = pd.DataFrame({col: ids})

    return {"x": LoadedInput("x", Path("x"), T(), {})}


ALPHABET = ['"', "\n", ",", "|", " ", "P", "1", "2", "-", "a"]


def random_ids(rng: random.Random, alphabet: list[str] = ALPHABET, plain_from: int = 4) -> list[str]:
    """Six IDs of 3-7 characters: each character mostly from ``alphabet[plain_from:]`` (no delimiter), else
    from the whole alphabet (delimiters included)."""
    return ["".join(rng.choice(alphabet[plain_from:] if rng.random() < 0.7 else alphabet)
                    for _ in range(rng.randint(3, 7))) for _ in range(6)]


def random_text(rng: random.Random, ids: list[str], alphabet: list[str] = ALPHABET, longest: int = 4,
                pieces: int = 6) -> str:
    """Up to ``pieces`` pieces, each an ID (30 %) or up to ``longest`` characters of ``alphabet``."""
    return "".join(rng.choice(ids) if rng.random() < 0.3 else
                   "".join(rng.choice(alphabet) for _ in range(rng.randint(0, longest)))
                   for _ in range(rng.randint(1, pieces)))


@pytest.mark.parametrize("seed", range(40))
def test_fast_scan_agrees_with_the_pattern(seed):
    rng = random.Random(seed)
    ids = random_ids(rng)
    for _ in range(30):
        text = random_text(rng, ids)
        expected = ["x:patient_id"] if _by_pattern(text, ids) else []
        assert scan_identifiers(text, _inputs(ids)) == expected, (text, ids)


@pytest.mark.parametrize("text, hit", [
    ('{"id": "CAFE-002"}', True), ("a,CAFE-001,b\n", True), ("| CAFE-001 |", True), ("| x | CAFE-001 |\n", True),
    ('{"title": "CAFE-0012 trial"}', False), ("CAFE-001x,", False), ("| CAFE-001x |", False),
    ("CAFE-001", True), ("x|CAFE-001,", False), ('"A, B 1"', True), ("A, B 1", True), ("| A, B 1 |", True), ("x A, B 1,", False),
])
def test_whole_values_in_json_csv_and_markdown(text, hit):
    ids = ["CAFE-001", "CAFE-002", "A, B 1", "abc"]
    assert (scan_identifiers(text, _inputs(ids)) == ["x:patient_id"]) is hit
    assert _by_pattern(text, ids) is hit

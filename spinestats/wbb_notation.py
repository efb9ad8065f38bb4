"""Weinstein-Boriani-Biagini (WBB) notation: reading and writing zones and layers.

Input-side notation shared by :mod:`spinestats.data_schemas.conversion` (which
reads a ``wbb_zones``/``wbb_layers`` column) and :mod:`spinestats.analysis.scores.wbb`
(which applies the review's en bloc rules); see the latter's docstring for
the staging system and the notation accepted.  It lives here, outside both,
so that the input layer never imports the statistics layer.
"""

from __future__ import annotations

import re
import unicodedata

ZONES = tuple(range(1, 13))
LAYERS = ("A", "B", "C", "D", "E")

_SEP = re.compile(r"[;,/\s、]+")


def _zone(token: str) -> int:
    if not token.isascii() or not token.isdigit() or not 1 <= int(token) <= 12:
        raise ValueError(f"WBB zone {token!r} is not a whole number from 1 to 12")
    return int(token)


def parse_zones(text: str) -> frozenset[int]:
    """The set of zones written in ``text`` (see the module docstring).

    Raises ValueError for anything that is not zones 1-12.
    """
    parts = [p for p in _SEP.split(unicodedata.normalize("NFKC", str(text)).strip()) if p]
    if not parts:
        raise ValueError("no WBB zones given")
    zones: set[int] = set()
    for part in parts:
        if "-" in part:
            a, _, b = part.partition("-")
            start, stop = _zone(a.strip()), _zone(b.strip())
            z = start
            zones.add(z)
            while z != stop:
                z = z % 12 + 1
                zones.add(z)
        else:
            zones.add(_zone(part))
    return frozenset(zones)


def parse_layers(text: str) -> frozenset[str]:
    """The set of layers (A-E) written in ``text``; ValueError otherwise."""
    parts = [p for p in _SEP.split(unicodedata.normalize("NFKC", str(text)).strip().upper()) if p]
    if not parts:
        raise ValueError("no WBB layers given")
    layers: set[str] = set()
    for part in parts:
        if "-" in part:
            a, _, b = (x.strip() for x in part.partition("-"))
            if a not in LAYERS or b not in LAYERS:
                raise ValueError(f"WBB layer range {part!r} is not within A-E")
            lo, hi = sorted((LAYERS.index(a), LAYERS.index(b)))
            layers.update(LAYERS[lo:hi + 1])
        elif part in LAYERS:
            layers.add(part)
        else:
            raise ValueError(f"WBB layer {part!r} is not one of A-E")
    return frozenset(layers)


def format_zones(zones: frozenset[int]) -> str:
    """Canonical text of a zone set: ascending, ``;``-separated."""
    return ";".join(str(z) for z in sorted(zones))


def format_layers(layers: frozenset[str]) -> str:
    """Canonical text of a layer set: ``"A;B;C"``."""
    return ";".join(sorted(layers))

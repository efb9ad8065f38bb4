"""Weinstein-Boriani-Biagini (WBB) surgical staging: zones, layers, en bloc approach.

The WBB system divides the vertebra in the axial plane into 12 radial zones,
numbered counter-clockwise (zone 1 at the left half of the spinous process,
4-9 the vertebral body, 10-12 and 1-3 the posterior elements), and into five
layers from the surface inwards: A extraosseous paravertebral, B superficial
intraosseous, C deep intraosseous, D extraosseous extradural, E extraosseous
intradural (Boriani, Weinstein & Biagini, Spine 1997;22:1036-1044,
doi:10.1097/00007632-199705010-00020).

Notation accepted for the zones a tumour involves: a list ``"2;3;4;5"``
(separators ``;``, ``,``, ``/`` or spaces) or a counter-clockwise range
``"4-8"``; a range runs upwards from its first zone and wraps through 12, so
``"10-3"`` is 10, 11, 12, 1, 2, 3.  Layers: ``"A;B;C"`` or ``"A-C"``.  Text is
NFKC-normalised first, so the full-width digits and letters of Japanese input
(``"４-８"``, ``"Ａ-Ｃ"``) read as their ASCII forms.

En bloc approach, by the rules of the review this project follows
(Matsumoto, Fukushima J Med Sci, section 2):

* **vertebrectomy** "when the tumor is localized in zones 4-8 or 5-9, i.e.,
  when there is no tumor invasion in at least one of the pedicles";
* **sagittal resection** for "eccentrically localized tumors (zones 2-5 or
  8-11)";
* **posterior resection** for posterior tumours, the zones 10, 11, 12, 1, 2
  and 3 (the review describes them as counter-clockwise from 3 to 10; in this
  module's range notation that set is ``"10-3"``).

A tumour is assigned an approach when *all* its zones lie within one of the
zone sets.  Small tumours can lie within several sets (zone 5 alone is
within 4-8 and within 2-5); the review gives no precedence, so
:func:`en_bloc_approach` takes the review's order (vertebrectomy, sagittal,
posterior) and :func:`matching_approaches` lists every match.  Zones that lie
within none of the sets give ``"not en bloc by these rules"`` - said
explicitly, never guessed.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas

ZONES = tuple(range(1, 13))
LAYERS = ("A", "B", "C", "D", "E")

VERTEBRECTOMY = "vertebrectomy"
SAGITTAL = "sagittal resection"
POSTERIOR = "posterior resection"
NOT_EN_BLOC = "not en bloc by these rules"

#: the review's zone sets, in the review's order
APPROACH_ZONES: tuple[tuple[str, tuple[frozenset[int], ...]], ...] = (
    (VERTEBRECTOMY, (frozenset(range(4, 9)), frozenset(range(5, 10)))),
    (SAGITTAL, (frozenset(range(2, 6)), frozenset(range(8, 12)))),
    (POSTERIOR, (frozenset({10, 11, 12, 1, 2, 3}),)),
)

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


def matching_approaches(zones: frozenset[int] | str) -> tuple[str, ...]:
    """Every approach whose zone sets contain all of ``zones`` (review's order)."""
    z = parse_zones(zones) if isinstance(zones, str) else frozenset(zones)
    return tuple(name for name, sets in APPROACH_ZONES if any(z <= s for s in sets))


def en_bloc_approach(zones: frozenset[int] | str) -> str:
    """The en bloc approach the review's rules indicate for ``zones``.

    Returns ``"vertebrectomy"``, ``"sagittal resection"``, ``"posterior
    resection"`` or ``"not en bloc by these rules"``; where several apply,
    the first in the review's order.
    """
    matches = matching_approaches(zones)
    return matches[0] if matches else NOT_EN_BLOC


def en_bloc_column(zones: "pandas.Series") -> "pandas.Series":
    """:func:`en_bloc_approach` for a column of zone texts (e.g. a loaded ``wbb_zones``).

    Missing zones give a missing approach (``None``), so a cohort can be
    described and stratified by approach with the unstaged patients counted
    separately.  Each distinct text is parsed once.
    """
    import pandas as pd

    lookup = {z: en_bloc_approach(z) for z in pd.unique(zones.dropna())}
    return zones.map(lookup).astype(object).where(zones.notna(), None)

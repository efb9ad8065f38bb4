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

from typing import TYPE_CHECKING

from spinestats.wbb_notation import (  # noqa: F401  (re-exported: the notation is part of this module's API)
    LAYERS,
    ZONES,
    format_layers,
    format_zones,
    parse_layers,
    parse_zones,
)

if TYPE_CHECKING:
    import pandas

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

"""WBB staging: parsing zones and layers, and the en bloc approach by the review's rules."""

from __future__ import annotations

import pytest

from spinestats.analysis.scores.wbb import (
    NOT_EN_BLOC, POSTERIOR, SAGITTAL, VERTEBRECTOMY, en_bloc_approach, format_layers, format_zones,
    matching_approaches, parse_layers, parse_zones,
)


@pytest.mark.parametrize("text, zones", [
    ("4-8", {4, 5, 6, 7, 8}),
    ("2;3;4;5", {2, 3, 4, 5}),
    ("10-3", {10, 11, 12, 1, 2, 3}),     # a range wraps counter-clockwise through 12
    ("12-1", {12, 1}),
    ("1, 2 ,3", {1, 2, 3}),
    ("7", {7}),
    ("2-4;9", {2, 3, 4, 9}),
    ("４-８", {4, 5, 6, 7, 8}),            # full-width digits (Japanese input), NFKC-normalised
    ("4~8", None),
])
def test_parse_zones(text, zones):
    if zones is None:
        with pytest.raises(ValueError):
            parse_zones(text)
    else:
        assert parse_zones(text) == frozenset(zones)


@pytest.mark.parametrize("bad", ["", "0", "13", "4-13", "a", "4--8", "4.5"])
def test_parse_zones_rejects(bad):
    with pytest.raises(ValueError):
        parse_zones(bad)


@pytest.mark.parametrize("text, layers", [("A;B;C", "ABC"), ("A-C", "ABC"), ("c-a", "ABC"), ("D", "D"), ("a,e", "AE"), ("Ａ－Ｃ", "ABC")])
def test_parse_layers(text, layers):
    assert parse_layers(text) == frozenset(layers)


@pytest.mark.parametrize("bad", ["", "F", "A-F", "AB", "1"])
def test_parse_layers_rejects(bad):
    with pytest.raises(ValueError):
        parse_layers(bad)


def test_canonical_text():
    assert format_zones(parse_zones("10-3")) == "1;2;3;10;11;12"
    assert format_layers(parse_layers("C-A")) == "A;B;C"


@pytest.mark.parametrize("zones, approach", [
    ("4-8", VERTEBRECTOMY),          # the review: "zones 4-8 or 5-9"
    ("5-9", VERTEBRECTOMY),
    ("5;6;7", VERTEBRECTOMY),
    ("2-4", SAGITTAL),               # Fig. 4: T9 chondrosarcoma, WBB2-4, sagittal resection
    ("2-5", SAGITTAL),
    ("8-11", SAGITTAL),
    ("9-11", SAGITTAL),
    ("1-3", POSTERIOR),              # Fig. 5: liposarcoma, WBB1-3, posterior resection
    ("10-3", POSTERIOR),
    ("11;12;1", POSTERIOR),
    ("3-9", NOT_EN_BLOC),            # both pedicles and the body: no rule applies
    ("4-9", NOT_EN_BLOC),
    ("1-12", NOT_EN_BLOC),
    ("8-12", NOT_EN_BLOC),
])
def test_en_bloc_approach(zones, approach):
    assert en_bloc_approach(zones) == approach


def test_overlaps_follow_the_reviews_order_and_are_listed():
    assert matching_approaches("5") == (VERTEBRECTOMY, SAGITTAL)
    assert en_bloc_approach("5") == VERTEBRECTOMY
    assert matching_approaches("2;3") == (SAGITTAL, POSTERIOR)
    assert matching_approaches("3-9") == ()
    assert en_bloc_approach(frozenset({10, 11})) == SAGITTAL


def test_en_bloc_column_for_a_loaded_cohort():
    import pandas as pd

    from spinestats.analysis.scores.wbb import en_bloc_column

    zones = pd.Series(["4;5;6;7;8", None, "1;2;3;10;11;12", "3;4;5;6;7;8;9", "2;3;4"], index=[3, 4, 5, 6, 7])
    got = en_bloc_column(zones)
    assert got.tolist() == [VERTEBRECTOMY, None, POSTERIOR, NOT_EN_BLOC, SAGITTAL]
    assert list(got.index) == [3, 4, 5, 6, 7]

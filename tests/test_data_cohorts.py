"""The bundled synthetic cohorts: marked synthetic, valid against their schemas, regenerated identically."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from spinestats.data_schemas.examples import generate
from spinestats.data_schemas.loading import load

EXAMPLES = Path(str(resources.files("spinestats.data_schemas.examples")))
#: the schema each bundled cohort is written in
SCHEMA_OF = {"dss": "dss", "cirt": "cirt", "cirt_ss": "cirt", "fracture": "fracture", "bkp": "bkp",
             "cafe": "bkp", "readers": "readers", "multicenter": "dss"}


def bundled() -> list[str]:
    return sorted(p.name[len("synthetic_"):-4] for p in EXAMPLES.glob("synthetic_*.csv"))


def test_the_core_cohorts_are_bundled():
    assert {"dss", "bkp"} <= set(bundled())
    assert set(bundled()) <= set(SCHEMA_OF), "a new cohort: add its schema to SCHEMA_OF"


@pytest.mark.parametrize("name", bundled())
def test_cohort_is_marked_synthetic_and_valid(name):
    path = EXAMPLES / f"synthetic_{name}.csv"
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first == generate.SYNTHETIC_COMMENT
    t = load(path, SCHEMA_OF[name])  # raises DataError on any invalid row
    assert t.provenance.rows_read == len(t.data) > 0 and t.errors == ()
    assert t.data.index[0] == 3  # comment on line 1, header on line 2


def test_multicentre_exports_load_with_every_row_accounted_for():
    folder = EXAMPLES / "multicenter"
    assert folder.is_dir(), "the multicentre exports are bundled with the package"
    total = 0
    for path in sorted(folder.glob("centre_*")):
        mapping = folder / f"mapping_{path.stem}.yaml"
        t = load(path, "dss", mapping=mapping if mapping.exists() else None, exclude_invalid=True)
        assert t.provenance.rows_read == len(t.data) + len(t.exclusions)
        total += t.provenance.rows_read
        if path.suffix == ".csv" and mapping.exists():
            assert t.provenance.encoding == "cp932"
    assert total >= 400


def test_generator_reproduces_the_committed_files():
    assert generate.check() == []

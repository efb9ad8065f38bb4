"""The committed inputs of the R reference scripts equal the generators that the tests use.

``tests/r/*.R`` read ``tests/data/*.csv`` (run from the repository root); the
Python tests build the same data from seeded generators.  If a generator
changed, the R values beside the tests would no longer describe their data:
this test catches that.  Rewrite the files with ``python tests/r/write_data.py``
and re-run the R script when a generator changes on purpose.
"""

import importlib.util
from pathlib import Path

import pytest

HERE = Path(__file__).parent
_spec = importlib.util.spec_from_file_location("write_data", HERE / "r" / "write_data.py")
write_data = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(write_data)
DATASETS = write_data.datasets()


@pytest.mark.parametrize("stem", sorted(DATASETS))
def test_committed_reference_data_equals_its_generator(stem):
    path = HERE / "data" / f"{stem}.csv"
    assert path.read_text(encoding="utf-8") == write_data.csv_text(DATASETS[stem])


def test_every_r_script_reads_committed_data_and_records_its_session():
    for script in sorted((HERE / "r").glob("*.R")):
        text = script.read_text(encoding="utf-8")
        assert "/tmp" not in text, script.name
        assert text.rstrip().endswith("sessionInfo()"), script.name
        for line in text.splitlines():
            committed = ("tests/data/", "data_schemas/examples/", "read.csv(f,")
            if "read.csv(" in line and not any(c in line for c in committed):
                raise AssertionError(f"{script.name}: {line.strip()}")

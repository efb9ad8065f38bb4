"""Write the input data of the R reference scripts to ``tests/data/``.

Each CSV is the output of a seeded generator in a test module (or of the
bundled synthetic cohort after the job's preparation).  The R scripts in
``tests/r/`` read these committed files, run from the repository root::

    python tests/r/write_data.py          # rewrite tests/data/*.csv
    Rscript tests/r/survival_cox.R        # reproduce the reference values

``tests/test_r_data.py`` checks that the committed files still equal the
generators' output, so a changed generator cannot silently detach a test
from the data its R values came from.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pandas as pd

TESTS = Path(__file__).resolve().parents[1]
DATA = TESTS / "data"


def _module(name: str):
    if str(TESTS) not in sys.path:
        sys.path.insert(0, str(TESTS))
    return importlib.import_module(name)


def _cont() -> pd.DataFrame:
    truth, x1, x2 = _module("test_diagnostic_roc").cont()
    return pd.DataFrame({"truth": truth.astype(int), "x1": x1, "x2": x2})


def _rv() -> pd.DataFrame:
    p, y = _module("test_multicenter_risk_validation").data()
    return pd.DataFrame({"p": p, "y": y.astype(int)})


def _fracture_cohort() -> pd.DataFrame:
    from spinestats.data_schemas.loading import load
    from spinestats.reports.fracture_job import prepare

    cohort = _module("test_fracture_cohort").CSV
    return prepare(load(cohort, schema="fracture").data)[["time_months", "event", "sins_total", "modality"]]


def datasets() -> dict[str, pd.DataFrame]:
    """Every reference input, by file stem."""
    return {
        "cox1": _module("test_survival_cox").cox_data(),
        "lr1": _module("test_survival_km_logrank").lr_data(),
        "cr1": _module("test_survival_competing").CR1,
        "cr2": _module("test_survival_competing").gray_data(),
        "fg1": _module("test_survival_competing").fg_data(),
        "validation": _module("test_fracture_validation")._validation_data(),
        "risk_validation": _rv(),
        "fracture_cohort": _fracture_cohort(),
        "diagnostic_cont": _cont(),
        "concordance_centres": _module("test_concordance_se").centres_data(),
    }


def csv_text(frame: pd.DataFrame) -> str:
    """The exact text written for ``frame`` (full precision, no index)."""
    return frame.to_csv(index=False, lineterminator="\n")


def main() -> None:
    DATA.mkdir(exist_ok=True)
    for stem, frame in datasets().items():
        (DATA / f"{stem}.csv").write_text(csv_text(frame), encoding="utf-8")
        print(f"tests/data/{stem}.csv: {len(frame)} rows")


if __name__ == "__main__":
    main()

"""The demo's results.json as a reference, compared value by value (not a test module).

``tests/data/demo_results_reference.json`` holds the demo's results.json
without ``provenance`` (software versions, timestamp).  It was recorded after
the merge of issues 12-17 (2026-12-02); against the demo at 92e6024 every
numeric value is unchanged, and on purpose the reference list lost its three
duplicates (and gained Light 1971), the methods paragraph names only packages
that ran, and keys were added.

Numbers are compared with a relative tolerance of 1e-6 (the R tolerance of an
iterative fit): the same data and seed give identical files on one machine,
but another BLAS kernel or the oldest supported NumPy/SciPy may move the last
digits.  Version numbers inside the methods paragraph and optimiser
diagnostics (:data:`DIAGNOSTICS`) are ignored.  A change
that alters a value on purpose re-records the reference with::

    .venv/bin/python tests/demo_digest.py PATH/TO/spinestats-demo/results.json > tests/data/demo_results_reference.json
"""

from __future__ import annotations

import json
import math
import re
import sys
from typing import Any

RTOL, ATOL = 1e-6, 1e-9
#: optimiser diagnostics, not reported estimates: near zero, they differ freely between platforms
DIAGNOSTICS = {"gradient_max"}
_VERSION = re.compile(r"\b\d+\.\d+(?:\.\d+)*(?:[a-z]+\d*)?\b")


def reference(results: dict) -> dict:
    """``results`` without ``provenance``, as stored in the reference file."""
    return {k: v for k, v in results.items() if k != "provenance"}


def differences(expected: Any, got: Any, where: str = "") -> list[str]:
    """Every place where ``got`` departs from ``expected`` (numbers within RTOL/ATOL are equal)."""
    if isinstance(expected, dict) and isinstance(got, dict):
        out = [f"{where}/{k}: missing" for k in expected if k not in got]
        out += [f"{where}/{k}: not in the reference" for k in got if k not in expected]
        for k in expected:
            if k in got and k not in DIAGNOSTICS:
                out += differences(expected[k], got[k], f"{where}/{k}")
        return out
    if isinstance(expected, list) and isinstance(got, list):
        if len(expected) != len(got):
            return [f"{where}: {len(got)} items, reference {len(expected)}"]
        return [d for i, (e, g) in enumerate(zip(expected, got)) for d in differences(e, g, f"{where}[{i}]")]
    numbers = (int, float)
    if isinstance(expected, numbers) and isinstance(got, numbers) and not isinstance(expected, bool) \
            and not isinstance(got, bool):
        if math.isclose(float(expected), float(got), rel_tol=RTOL, abs_tol=ATOL):
            return []
        return [f"{where}: {got!r}, reference {expected!r}"]
    if isinstance(expected, str) and isinstance(got, str) and where == "/methods":
        expected, got = _VERSION.sub("V", expected), _VERSION.sub("V", got)
    return [] if expected == got else [f"{where}: {str(got)[:80]!r}, reference {str(expected)[:80]!r}"]


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as fh:
        print(json.dumps(reference(json.load(fh)), indent=1, ensure_ascii=False))

"""Digest of the demo's results.json, one SHA-256 per top-level key (not a test module).

Floats are rounded to 10 significant digits and ``provenance`` (software
versions, the timestamp) is left out, so the digest changes only when a
reported value changes.  ``tests/data/demo_results_digest.json`` holds the
digest of the demo after the merge of issues 12-17 (2026-12-02).  Against the
demo at 92e6024 every numeric value is unchanged; on purpose, the reference
list lost its three duplicates (and gained Light 1971), the methods paragraph
names only packages that ran, and keys were added (Table 1 Overall column,
pairwise kappa, ROC direction, zph transform).  A change that alters a value
on purpose regenerates it with::

    .venv/bin/python tests/demo_digest.py PATH/TO/spinestats-demo/results.json > tests/data/demo_results_digest.json
"""

from __future__ import annotations

import hashlib
import json
import sys
from typing import Any


def _rounded(x: Any) -> Any:
    if isinstance(x, float):
        return float(f"{x:.10g}")
    if isinstance(x, dict):
        return {k: _rounded(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_rounded(v) for v in x]
    return x


def digest(results: dict) -> dict[str, str]:
    """``{top-level key: sha256 of its canonical JSON}``, without ``provenance``."""
    return {k: hashlib.sha256(json.dumps(_rounded(v), sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()
            for k, v in sorted(results.items()) if k != "provenance"}


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as fh:
        print(json.dumps(digest(json.load(fh)), indent=1))

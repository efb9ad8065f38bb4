"""Site bundles: the aggregate-only file a centre shares in federated validation.

A bundle is a JSON document (``site_bundle.schema.json``)::

    {"format": "spinestats-site-bundle", "bundle_schema_version": 1,
     "spinestats_version": "0.1.0", "centre": "Centre A", "created_by": "...",
     "payload": {"data_schema": "dss", "plan_hash": null,
                 "suppression": {"min_cell": null, "exact": true},
                 "flow": {"n_read": 80, "n_analysed": 78, "n_excluded": 2,
                          "exclusions": [{"reason": "...", "n": 2}]},
                 "score": {"name": "dss", "positive": "malignant",
                           "levels": [0, 1, ...], "n_pos": [...], "n_neg": [...]},
                 "survival": {"time_unit": "months", "groups": {"all": {"time": [...],
                              "n_at_risk": [...], "n_event": [...], "n_censored": [...]}}}},
     "checksum": {"algorithm": "sha256", "value": "<64 hex>"}}

It holds counts only - no rows, patient IDs, dates or free text from the
data (exclusion reasons are the loader's rule names).  ``checksum`` is the
SHA-256 of the *canonical* JSON of the bundle without the ``checksum``
member: keys sorted, separators ``,`` and ``:``, UTF-8, non-ASCII kept.  The
checksum detects accidental corruption and casual editing; it is not a
signature (anyone can recompute it), so exchange bundles over a channel you
trust.

:func:`read_bundle` checks, in order, that the file is JSON, that it is a
bundle, its ``bundle_schema_version`` (a bundle from another version is
refused with both versions named), the JSON Schema, and the checksum (a
mismatch says the file was changed after it was written).
"""

from __future__ import annotations

import hashlib
import json
import os
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from spinestats import __version__
from spinestats.errors import DataError, UsageError

BUNDLE_FORMAT = "spinestats-site-bundle"
BUNDLE_SCHEMA_VERSION = 1


def bundle_json_schema() -> dict[str, Any]:
    """The bundle's JSON Schema."""
    text = resources.files("spinestats.data_schemas").joinpath("site_bundle.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


def canonical_bytes(obj: Any) -> bytes:
    """Canonical JSON bytes: sorted keys, compact separators, UTF-8."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def checksum(bundle: dict[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of ``bundle`` without ``checksum``."""
    body = {k: v for k, v in bundle.items() if k != "checksum"}
    return hashlib.sha256(canonical_bytes(body)).hexdigest()


def make_bundle(centre: str, payload: dict[str, Any], *, created_by: str = "spinestats site-summary",
                synthetic: bool | None = None) -> dict[str, Any]:
    """A complete, checksummed, schema-valid bundle around ``payload``."""
    bundle: dict[str, Any] = {
        "format": BUNDLE_FORMAT,
        "bundle_schema_version": BUNDLE_SCHEMA_VERSION,
        "spinestats_version": __version__,
        "centre": str(centre),
        "created_by": str(created_by),
        "payload": json.loads(canonical_bytes(payload)),  # plain JSON types only
    }
    if synthetic is not None:
        bundle["synthetic"] = bool(synthetic)
    bundle["checksum"] = {"algorithm": "sha256", "value": checksum(bundle)}
    _validate(bundle, "<new bundle>")
    return bundle


def write_bundle(bundle: dict[str, Any], path: str | os.PathLike[str], *, force: bool = False) -> Path:
    """Write ``bundle`` as indented UTF-8 JSON (refuses to overwrite unless ``force``)."""
    p = Path(path)
    if p.exists() and not force:
        raise UsageError(f"--out {p}: the file exists; choose another name or add --force to replace it.")
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(f".{p.name}.partial")
    tmp.write_text(json.dumps(bundle, indent=2, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, p)
    return p


def _validate(bundle: dict[str, Any], where: str) -> None:
    try:
        jsonschema.validate(bundle, bundle_json_schema())
    except jsonschema.ValidationError as exc:
        loc = " > ".join(str(x) for x in exc.absolute_path) or "top level"
        raise DataError(f"{where}: not a valid site bundle ({loc}: {exc.message}).") from None


def read_bundle(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and verify a bundle (format, version, JSON Schema, checksum).

    Raises
    ------
    UsageError
        the file does not exist.
    DataError
        not JSON, not a bundle, another bundle schema version, invalid
        content, or a checksum that does not match (changed after writing).
    """
    p = Path(path)
    if not p.is_file():
        raise UsageError(f"site bundle {p}: no such file.")
    try:
        bundle = json.loads(p.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"site bundle {p}: not a JSON file ({exc}).") from None
    if not isinstance(bundle, dict) or bundle.get("format") != BUNDLE_FORMAT:
        raise DataError(f"site bundle {p}: not a spinestats site bundle (expected \"format\": \"{BUNDLE_FORMAT}\").")
    version = bundle.get("bundle_schema_version")
    if version != BUNDLE_SCHEMA_VERSION:
        raise DataError(
            f"site bundle {p}: written with bundle schema version {version!r} "
            f"(spinestats {bundle.get('spinestats_version', '?')}); this spinestats ({__version__}) reads version "
            f"{BUNDLE_SCHEMA_VERSION}. Ask the centre to re-create it with spinestats {__version__}, "
            "or pool with the version that wrote it."
        )
    _validate(bundle, f"site bundle {p}")
    expected = checksum(bundle)
    if bundle["checksum"]["value"] != expected:
        raise DataError(
            f"site bundle {p}: checksum mismatch - the file was changed after it was written "
            f"(stored {bundle['checksum']['value'][:12]}..., content gives {expected[:12]}...). "
            "Do not edit bundles; ask the centre to send a fresh one."
        )
    return bundle

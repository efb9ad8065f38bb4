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
refused with both versions named), the JSON Schema, the checksum (a
mismatch says the file was changed after it was written), the signature
(below) and the bundle's internal consistency (:func:`check_consistency`:
the flow adds up, the counts match it, score levels are unique, arrays are
aligned, every count is a non-negative integer, risk sets shrink by their
exits).  Each refusal names the bundle file and the field.

Signature: with the shared study key (``--id-key``, ``SPINESTATS_ID_KEY`` or
the study's ``.spinestats-key``; :mod:`.privacy`), ``site-summary`` adds
``"signature": {"algorithm": "hmac-sha256", "value": ...}``, the HMAC of the
canonical JSON of the bundle without ``checksum`` and ``signature``, keyed
by a key derived from the study key (:func:`.privacy.signing_key`).  Unlike
the checksum, nobody without the key can recompute it, so a bundle altered
after export is refused.  ``pool`` with the key refuses a wrong signature
and an unsigned bundle (unless ``--allow-unsigned``); without a key it
cannot verify signatures and says so.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import functools
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


def signature(bundle: dict[str, Any], key: str) -> str:
    """HMAC-SHA256 (hex) of the canonical JSON of ``bundle`` without ``checksum`` and ``signature``."""
    from spinestats.data_schemas.privacy import signing_key

    body = {k: v for k, v in bundle.items() if k not in ("checksum", "signature")}
    return hmac.new(signing_key(key), canonical_bytes(body), hashlib.sha256).hexdigest()


def make_bundle(centre: str, payload: dict[str, Any], *, created_by: str = "spinestats site-summary",
                synthetic: bool | None = None, key: str | None = None) -> dict[str, Any]:
    """A complete, checksummed, schema-valid bundle around ``payload`` (signed when ``key`` is given)."""
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
    if key:
        bundle["signature"] = {"algorithm": "hmac-sha256", "value": signature(bundle, key)}
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


@functools.lru_cache(maxsize=1)
def _validator() -> Any:
    """The bundle schema's validator, built once per process: the schema itself is checked against its
    meta-schema here (as ``jsonschema.validate`` does on every call), then each bundle only against it."""
    schema = bundle_json_schema()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _validate(bundle: dict[str, Any], where: str) -> None:
    """``jsonschema.validate(bundle, schema)`` with the validator built once: the same checks and the same
    error (the best match among all errors) for a bundle that breaks the schema."""
    try:
        error = jsonschema.exceptions.best_match(_validator().iter_errors(bundle))
        if error is not None:
            raise error
    except jsonschema.ValidationError as exc:
        loc = " > ".join(str(x) for x in exc.absolute_path) or "top level"
        raise DataError(f"{where}: not a valid site bundle ({loc}: {exc.message}).") from None


def _is_count(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def _counts(values: Any, where: str, out: list[str]) -> bool:
    bad = [i for i, v in enumerate(values) if not _is_count(v)]
    if bad:
        out.append(f"{where}[{bad[0]}]: {values[bad[0]]!r} is not a count (expected a non-negative whole number)")
    return not bad


def check_consistency(payload: dict[str, Any]) -> list[str]:
    """Every internal inconsistency of a bundle's ``payload``, as ``"field: problem"`` sentences."""
    out: list[str] = []
    flow = payload["flow"]
    ok = all(_is_count(flow[k]) for k in ("n_read", "n_analysed", "n_excluded"))
    for k in ("n_read", "n_analysed", "n_excluded"):
        if not _is_count(flow[k]):
            out.append(f"payload.flow.{k}: {flow[k]!r} is not a count")
    ex = [e["n"] for e in flow["exclusions"]]
    ok = _counts(ex, "payload.flow.exclusions[].n", out) and ok
    if ok:
        if flow["n_read"] != flow["n_analysed"] + flow["n_excluded"]:
            out.append(f"payload.flow: n_read {flow['n_read']} != n_analysed {flow['n_analysed']} + n_excluded "
                       f"{flow['n_excluded']}; the flow does not add up")
        if sum(ex) != flow["n_excluded"]:
            out.append(f"payload.flow.exclusions: the reasons count {sum(ex)} rows, n_excluded says {flow['n_excluded']}")
        reasons = [e["reason"] for e in flow["exclusions"]]
        if len(set(reasons)) != len(reasons):
            out.append("payload.flow.exclusions: a reason is listed twice")
    n_analysed = flow["n_analysed"] if ok else None
    score = payload.get("score")
    if score is not None:
        lv, pos, neg = score["levels"], score["n_pos"], score["n_neg"]
        if not (len(lv) == len(pos) == len(neg)):
            out.append(f"payload.score: levels, n_pos and n_neg have lengths {len(lv)}, {len(pos)}, {len(neg)}; "
                       "expected one count of each class per level")
        elif _counts(pos, "payload.score.n_pos", out) & _counts(neg, "payload.score.n_neg", out):
            if n_analysed is not None and sum(pos) + sum(neg) != n_analysed:
                out.append(f"payload.score: the counts add up to {sum(pos) + sum(neg)} patients, the flow's "
                           f"n_analysed is {n_analysed}")
        if len(set(lv)) != len(lv):
            dup = sorted({v for v in lv if lv.count(v) > 1})
            out.append(f"payload.score.levels: level(s) {dup} listed more than once; expected each level once")
        elif any(b <= a for a, b in zip(lv, lv[1:])):
            out.append("payload.score.levels: not in increasing order")
        merged = score.get("merged")
        if merged is not None:
            flat = [v for block in merged for v in block]
            if len(merged) != len(lv) or any(not b or b[0] != v for b, v in zip(merged, lv)) or len(set(flat)) != len(flat):
                out.append("payload.score.merged: expected one block per level, each starting at its level, "
                           "no level in two blocks")
    surv = payload.get("survival")
    if surv is not None:
        total = 0
        for g, t in surv["groups"].items():
            where = f"payload.survival.groups[{g!r}]"
            lens = [len(t[k]) for k in ("time", "n_at_risk", "n_event", "n_censored")]
            if len(set(lens)) != 1:
                out.append(f"{where}: time, n_at_risk, n_event and n_censored have lengths "
                           f"{', '.join(map(str, lens))}; expected equal lengths")
                continue
            good = all([_counts(t[k], f"{where}.{k}", out) for k in ("n_at_risk", "n_event", "n_censored")])
            times = t["time"]
            if any(b <= a for a, b in zip(times, times[1:])):
                out.append(f"{where}.time: not strictly increasing")
            if not good or not times:
                continue
            n, d, c = t["n_at_risk"], t["n_event"], t["n_censored"]
            if n[0] != sum(d) + sum(c):
                out.append(f"{where}: {n[0]} at risk at the first time, but {sum(d) + sum(c)} leave by events "
                           "and censoring")
            bad = [i for i in range(1, len(n)) if n[i] != n[i - 1] - d[i - 1] - c[i - 1]]
            if bad:
                i = bad[0]
                out.append(f"{where}.n_at_risk[{i}]: {n[i]}, expected {n[i - 1] - d[i - 1] - c[i - 1]} "
                           f"(the previous {n[i - 1]} at risk minus {d[i - 1]} events and {c[i - 1]} censored)")
            if any(di > ni for di, ni in zip(d, n)):
                out.append(f"{where}.n_event: more events than patients at risk")
            total += n[0]
        if score is None and n_analysed is not None and not out and total != n_analysed:
            out.append(f"payload.survival: the groups hold {total} patients, the flow's n_analysed is {n_analysed}")
    return out


def read_bundle(path: str | os.PathLike[str], *, key: str | None = None,
                allow_unsigned: bool = False) -> dict[str, Any]:
    """Read and verify a bundle (format, version, JSON Schema, checksum, signature, consistency).

    ``key`` is the shared study key: with it, the signature must match, and
    an unsigned bundle is refused unless ``allow_unsigned``.

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
    sig = bundle.get("signature")
    if key:
        if sig is None and not allow_unsigned:
            raise DataError(
                f"site bundle {p}: not signed, so a change after export cannot be detected. Ask the centre to "
                "re-create it with the shared study key (SPINESTATS_ID_KEY or --id-key), or pool with "
                "--allow-unsigned."
            )
        if sig is not None and not hmac.compare_digest(sig["value"], signature(bundle, key)):
            raise DataError(
                f"site bundle {p}: signature mismatch - the bundle was altered after export, or signed with "
                "another study key. Ask the centre to send a fresh bundle signed with the shared study key."
            )
    problems = check_consistency(bundle["payload"])
    if problems:
        raise DataError(f"site bundle {p}: refused, its counts are not consistent:\n"
                        + "\n".join(f"  {x}" for x in problems))
    return bundle

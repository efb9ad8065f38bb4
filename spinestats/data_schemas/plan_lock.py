"""Locked analysis plans: prespecify, hash, and detect later changes.

A plan is a YAML file (read with :func:`.safe_yaml.load_yaml` only).  Its
``prespecified:`` section states what a prospective validation commits to
before the data arrive; it can stand alone or be a section of the run plan
that ``spinestats run`` reads (``data_schemas/plan.py`` carries it
unchanged)::

    prespecified:
      score: dss                    # score column / name (required)
      cutoff: 3                     # test positive when score >= cutoff (required)
      positive: malignant           # reference-standard label of the target condition (required)
      primary_measures: [sensitivity, specificity]   # of: sensitivity, specificity, auc, ppv, npv
      target_precision: {sensitivity: 0.10, specificity: 0.10}   # CI half-widths
      pooling: {method: REML, test: z}                # random-effects pooling (test z or knha)
      conf_level: 0.95
      success:                      # optional prespecified success criteria (one-sided tests)
        sensitivity: {null: 0.80, alternative: greater}
        specificity: {null: 0.70, alternative: greater}
      alpha: 0.05                   # one-sided level of each test
      multiplicity: all             # all (co-primary) or any (Holm)

A success criterion must name a measure listed in ``primary_measures`` and
a ``null`` strictly between 0 and 1 (:func:`parse_success`); it may give
the ``expected`` value used by ``spinestats sample-size criteria``.

**Hash** (:func:`plan_hash`): SHA-256 of the canonical JSON of the whole
parsed YAML document (keys sorted, compact separators, UTF-8), so comments,
key order and whitespace do not change it, but any value does.

**Lock** (:func:`lock_plan`, ``spinestats plan lock PLAN.yaml``): writes
``PLAN.lock.json`` beside the plan (or where asked) with the hash, the
prespecified block, the time of locking and, under ``files``, the SHA-256 of
the bytes of every file the plan's ``data:`` entries refer to besides the
data themselves (:func:`referenced_files`): each ``mapping:`` file and the
schema each entry names (the schema YAML bundled with spinestats).
:func:`verify_plan` (``spinestats plan verify``) recomputes them and raises a
:class:`~spinestats.errors.DataError` naming both hashes when the plan was
changed after locking, and naming each referenced file that was changed or
removed.  A lock written before ``files`` existed checks the plan only.

Every multicentre report carries ``plan_hash``; a result that departs from
the prespecified block (another cutoff, a re-optimised cutoff, a measure not
listed as primary) is labelled ``exploratory``.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
import json
import math
import os
from pathlib import Path
from typing import Any

from spinestats import __version__
from spinestats.data_schemas.safe_yaml import load_yaml
from spinestats.errors import DataError, UsageError

LOCK_FORMAT = "spinestats-plan-lock"
LOCK_VERSION = 1
MEASURES = ("sensitivity", "specificity", "auc", "ppv", "npv")
PRESPECIFIED_KEYS = ("score", "cutoff", "positive", "primary_measures", "target_precision", "pooling", "conf_level",
                     "success", "alpha", "multiplicity")
SUCCESS_KEYS = ("null", "alternative", "expected")
SUCCESS_MEASURES = ("sensitivity", "specificity", "auc")


@dataclasses.dataclass(frozen=True)
class Prespecified:
    """The parsed ``prespecified:`` block."""

    score: str
    cutoff: float
    positive: str
    primary_measures: tuple[str, ...] = ("sensitivity", "specificity")
    target_precision: dict | None = None
    pooling_test: str = "z"
    conf_level: float = 0.95
    success: dict | None = None
    alpha: float = 0.05
    multiplicity: str = "all"

    def to_dict(self) -> dict[str, Any]:
        out = {"score": self.score, "cutoff": self.cutoff, "positive": self.positive,
               "primary_measures": list(self.primary_measures), "target_precision": self.target_precision,
               "pooling": {"method": "REML", "test": self.pooling_test}, "conf_level": self.conf_level}
        if self.success:  # only plans with success criteria carry these keys
            out.update(success=self.success, alpha=self.alpha, multiplicity=self.multiplicity)
        return out


def read_yaml(path: str | os.PathLike[str]) -> Any:
    """The safe, bounded YAML document of a file (:func:`.safe_yaml.load_yaml`) with clear errors."""
    p = Path(path)
    if not p.is_file():
        raise UsageError(f"plan {p}: no such file.")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"plan {p}: not UTF-8 text.") from None
    return load_yaml(text, f"plan {p}")


def _null_keys(doc: Any) -> Any:
    """YAML's ``null:`` key (None) written as JSON writes it, ``"null"``, so that keys sort."""
    if isinstance(doc, dict):
        return {("null" if k is None else k): _null_keys(v) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_null_keys(v) for v in doc]
    return doc


def _canonical(doc: Any) -> bytes:
    try:
        text = json.dumps(_null_keys(doc), sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    except TypeError:  # keys of mixed types (yes: and 'a':) cannot be sorted: sort them as the text JSON writes
        text = json.dumps(_text_keys(_null_keys(doc)), sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return text.encode("utf-8")


def _text_keys(doc: Any) -> Any:
    if isinstance(doc, dict):
        return {json.dumps(k, default=str).strip('"') if not isinstance(k, str) else k: _text_keys(v)
                for k, v in doc.items()}
    if isinstance(doc, list):
        return [_text_keys(v) for v in doc]
    return doc


def plan_hash(path: str | os.PathLike[str]) -> str:
    """SHA-256 (hex) of the canonical content of the plan YAML."""
    return hashlib.sha256(_canonical(read_yaml(path))).hexdigest()


def _file_sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def referenced_files(plan_path: str | os.PathLike[str]) -> dict[str, str | None]:
    """SHA-256 of each mapping and schema file the plan's ``data:`` entries refer to.

    Keys are ``"mapping <path as written in the plan>"`` (resolved against the
    plan's folder) and ``"schema <name>"`` (the bundled schema YAML); a file
    that cannot be read has ``None``.
    """
    from importlib import resources

    doc = read_yaml(plan_path)
    folder = Path(plan_path).resolve().parent
    out: dict[str, str | None] = {}
    data = doc.get("data") if isinstance(doc, dict) else None
    if not isinstance(data, dict):
        return out
    for entry in data.values():
        if not isinstance(entry, dict):
            continue
        mapping = entry.get("mapping")
        if isinstance(mapping, str) and mapping:
            p = Path(mapping).expanduser()
            out[f"mapping {mapping}"] = _file_sha256(p if p.is_absolute() else folder / p)
        schema = entry.get("schema")
        if isinstance(schema, str) and schema.isidentifier():
            res = resources.files("spinestats.data_schemas").joinpath(f"{schema}.yaml")
            try:
                out[f"schema {schema}"] = hashlib.sha256(res.read_bytes()).hexdigest()
            except OSError:
                out[f"schema {schema}"] = None
    return dict(sorted(out.items()))


def changed_files(plan_path: str | os.PathLike[str], lock: dict[str, Any]) -> list[str]:
    """The referenced files whose hash differs from the lock's (sentences), empty when none."""
    locked = lock.get("files")
    if not isinstance(locked, dict):
        return []
    now = referenced_files(plan_path)
    out = []
    for name, digest in sorted(locked.items()):
        current = now.get(name)
        if name not in now:
            out.append(f"{name}: no longer referenced by the plan")
        elif current is None:
            out.append(f"{name}: cannot be read (moved or deleted?)")
        elif current != digest:
            out.append(f"{name}: changed (sha256 now {current[:12]}..., locked {str(digest)[:12]}...)")
    return out


def parse_prespecified(block: Any, where: str = "plan") -> Prespecified:
    """Validate a ``prespecified:`` mapping; UsageError naming the problem."""
    if not isinstance(block, dict):
        raise UsageError(f"{where}: 'prespecified' must be a mapping with score, cutoff and positive.")
    unknown = sorted(set(block) - set(PRESPECIFIED_KEYS))
    if unknown:
        raise UsageError(f"{where}: prespecified: unknown key(s) {unknown}; known: {', '.join(PRESPECIFIED_KEYS)}.")
    missing = [k for k in ("score", "cutoff", "positive") if k not in block]
    if missing:
        raise UsageError(f"{where}: prespecified: missing {', '.join(missing)} (e.g. score: dss, cutoff: 3, positive: malignant).")
    cutoff = block["cutoff"]
    if isinstance(cutoff, bool) or not isinstance(cutoff, (int, float)) or not math.isfinite(cutoff):
        raise UsageError(f"{where}: prespecified: cutoff must be a number (positive when score >= cutoff); got {cutoff!r}.")
    measures = block.get("primary_measures", ["sensitivity", "specificity"])
    if isinstance(measures, str):
        measures = [measures]
    bad = [m for m in measures if m not in MEASURES]
    if bad:
        raise UsageError(f"{where}: prespecified: unknown primary measure(s) {bad}; choose from {', '.join(MEASURES)}.")
    tp = block.get("target_precision")
    if tp is not None:
        if isinstance(tp, (int, float)) and not isinstance(tp, bool):
            tp = {m: float(tp) for m in measures}
        if not isinstance(tp, dict) or not all(isinstance(v, (int, float)) and 0 < v < 1 for v in tp.values()):
            raise UsageError(f"{where}: prespecified: target_precision must be a CI half-width in (0, 1) or a mapping of them.")
        tp = {str(k): float(v) for k, v in tp.items()}
    pooling = block.get("pooling") or {}
    test = str(pooling.get("test", "z")) if isinstance(pooling, dict) else "z"
    if test not in ("z", "knha"):
        raise UsageError(f"{where}: prespecified: pooling test must be 'z' or 'knha'; got {test!r}.")
    if isinstance(pooling, dict) and str(pooling.get("method", "REML")).upper() != "REML":
        raise UsageError(f"{where}: prespecified: only REML pooling is available; got {pooling.get('method')!r}.")
    level = float(block.get("conf_level", 0.95))
    if not 0 < level < 1:
        raise UsageError(f"{where}: prespecified: conf_level must lie in (0, 1); got {level}.")
    success, alpha, multiplicity = parse_success(block, tuple(measures), where)
    return Prespecified(str(block["score"]), float(cutoff), str(block["positive"]), tuple(measures), tp, test, level,
                        success, alpha, multiplicity)


def _proportion(value: Any) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
            and 0 < value < 1)


def parse_success(block: dict, measures: tuple[str, ...], where: str = "plan") -> tuple[dict | None, float, str]:
    """``(success, alpha, multiplicity)`` of a ``prespecified:`` block; UsageError naming the problem.

    Every criterion needs a measure listed in ``primary_measures`` (a
    criterion not prespecified as primary cannot be reported as primary) and
    a ``null`` strictly between 0 and 1.
    """
    alpha = block.get("alpha", 0.05)
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 < alpha < 0.5:
        raise UsageError(f"{where}: prespecified: alpha must be a one-sided level between 0 and 0.5 (e.g. 0.05); "
                         f"got {alpha!r}.")
    multiplicity = block.get("multiplicity", "all")
    if multiplicity not in ("all", "any"):
        raise UsageError(f"{where}: prespecified: multiplicity must be 'all' (every criterion must be met, "
                         f"co-primary) or 'any' (at least one, Holm-adjusted); got {multiplicity!r}.")
    raw = block.get("success")
    if raw is None:
        return None, float(alpha), str(multiplicity)
    if not isinstance(raw, dict) or not raw:
        raise UsageError(f"{where}: prespecified: success must map each primary measure to its criterion, "
                         "e.g. sensitivity: {null: 0.80, alternative: greater}.")
    problems = []
    success: dict[str, dict] = {}
    for measure, crit in raw.items():
        label = f"success criterion '{measure}'"
        if measure not in SUCCESS_MEASURES:
            problems.append(f"{label}: a success criterion can test {', '.join(SUCCESS_MEASURES)}; got '{measure}'")
            continue
        if measure not in measures:
            problems.append(f"{label}: '{measure}' is not listed in primary_measures ({', '.join(measures)}); "
                            "only a prespecified primary measure can be a success criterion")
            continue
        if not isinstance(crit, dict):
            problems.append(f"{label}: expected a mapping such as {{null: 0.80, alternative: greater}}; got {crit!r}")
            continue
        # YAML reads the key `null` as None: `{null: 0.80}` is {None: 0.8}
        crit = {("null" if k is None else k): v for k, v in crit.items()}
        unknown = sorted(map(str, set(crit) - set(SUCCESS_KEYS)))
        if unknown:
            problems.append(f"{label}: unknown key(s) {unknown}; known: {', '.join(SUCCESS_KEYS)}")
        if "null" not in crit:
            problems.append(f"{label}: 'null' is missing (the proportion the measure must exceed, e.g. 0.80)")
        elif not _proportion(crit["null"]):
            problems.append(f"{label}: null must lie strictly between 0 and 1; got {crit['null']!r}")
        alt = crit.get("alternative", "greater")
        if alt not in ("greater", "less"):
            problems.append(f"{label}: alternative must be 'greater' or 'less'; got {alt!r}")
        if "expected" in crit and not _proportion(crit["expected"]):
            problems.append(f"{label}: expected must lie strictly between 0 and 1; got {crit['expected']!r}")
        entry = {"null": crit.get("null"), "alternative": alt}
        if "expected" in crit:
            entry["expected"] = crit["expected"]
        success[str(measure)] = entry
    if problems:
        raise UsageError(f"{where}: prespecified: " + "; ".join(problems) + ".")
    return success, float(alpha), str(multiplicity)


def read_prespecified(path: str | os.PathLike[str]) -> Prespecified:
    """The ``prespecified:`` block of a plan file."""
    doc = read_yaml(path)
    if not isinstance(doc, dict) or "prespecified" not in doc:
        raise UsageError(f"plan {path}: no 'prespecified:' section (score, cutoff, positive, primary_measures ...).")
    return parse_prespecified(doc["prespecified"], f"plan {path}")


def default_lock_path(plan_path: str | os.PathLike[str]) -> Path:
    p = Path(plan_path)
    return p.with_name(p.stem + ".lock.json")


def lock_plan(plan_path: str | os.PathLike[str], lock_path: str | os.PathLike[str] | None = None, *,
              force: bool = False, now: _dt.datetime | None = None) -> dict[str, Any]:
    """Write the lock file of a plan; returns its content.

    Refuses to replace an existing lock unless ``force`` (re-locking a plan
    after the data arrived defeats the purpose; the message says so).
    """
    pre = read_prespecified(plan_path)
    missing = [k for k, v in referenced_files(plan_path).items() if v is None]
    if missing:
        raise UsageError(f"plan {plan_path}: cannot lock, the referenced file(s) cannot be read: {', '.join(missing)}.")
    target = Path(lock_path) if lock_path else default_lock_path(plan_path)
    if target.exists() and not force:
        raise UsageError(
            f"{target} exists: the plan is already locked. Re-locking after data collection started makes every "
            "result exploratory; add --force only if the study has not started."
        )
    when = (now or _dt.datetime.now(_dt.timezone.utc)).replace(microsecond=0)
    lock = {
        "format": LOCK_FORMAT,
        "lock_version": LOCK_VERSION,
        "plan_file": Path(plan_path).name,
        "plan_hash": plan_hash(plan_path),
        "hash_algorithm": "sha256 of the canonical JSON of the YAML content (sorted keys)",
        "prespecified": pre.to_dict(),
        "files": referenced_files(plan_path),
        "locked_at": when.isoformat(),
        "spinestats_version": __version__,
    }
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(lock, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return lock


def read_lock(lock_path: str | os.PathLike[str]) -> dict[str, Any]:
    p = Path(lock_path)
    if not p.is_file():
        raise UsageError(f"plan lock {p}: no such file (lock the plan first with `spinestats plan lock PLAN.yaml`).")
    try:
        lock = json.loads(p.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"plan lock {p}: not a JSON file ({exc}).") from None
    if not isinstance(lock, dict) or lock.get("format") != LOCK_FORMAT or "plan_hash" not in lock:
        raise DataError(f"plan lock {p}: not a spinestats plan lock.")
    if lock.get("lock_version") != LOCK_VERSION:
        raise DataError(f"plan lock {p}: lock version {lock.get('lock_version')!r}; this spinestats reads {LOCK_VERSION}.")
    return lock


def verify_plan(plan_path: str | os.PathLike[str], lock_path: str | os.PathLike[str] | None = None) -> str:
    """Check a plan against its lock; returns the hash, or raises DataError when it changed."""
    lock = read_lock(lock_path or default_lock_path(plan_path))
    now = plan_hash(plan_path)
    if now != lock["plan_hash"]:
        raise DataError(
            f"plan {plan_path} no longer matches its lock: hash now {now[:12]}..., locked {lock['plan_hash'][:12]}... "
            f"(locked at {lock.get('locked_at', '?')}). The prespecified analysis was changed after locking; "
            "results against the changed plan must be labelled exploratory, or restore the locked plan."
        )
    changed = changed_files(plan_path, lock)
    if changed:
        raise DataError(
            f"plan {plan_path} no longer matches its lock: a file it refers to changed after locking "
            f"(locked at {lock.get('locked_at', '?')}):\n" + "\n".join(f"  {c}" for c in changed)
            + "\nResults with the changed file(s) must be labelled exploratory, or restore the locked version."
        )
    return now

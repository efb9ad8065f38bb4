"""Reading a saved risk model (``spinestats fracture --save-model``) safely.

:func:`load_risk_model` is the one door for a model JSON file: it refuses,
naming the field, a file that is not JSON, does not match
``risk_model.schema.json``, holds a non-finite number (``NaN``,
``Infinity``), has coefficients, terms, coding or centre of inconsistent
lengths, a covariance that is not a square matrix of the coefficients' size,
not symmetric or not positive semi-definite, or (Fine-Gray) a baseline that
is missing, empty, unordered or of unequal lengths.  Every problem is listed
at once.  The model is JSON only; nothing is ever unpickled.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from spinestats.errors import DataError, UsageError

#: relative tolerance of the symmetry check (|V - V'| <= tol * max|V|)
SYMMETRY_TOLERANCE = 1e-8
#: relative tolerance of the eigenvalue check (min eigenvalue >= -tol * max|eigenvalue|)
EIGENVALUE_TOLERANCE = 1e-10
#: largest model file read (bytes); a saved model is a few kilobytes
MAX_MODEL_BYTES = 16 * 1024 * 1024


def _nonfinite(value: Any, where: str, out: list[str]) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        out.append(f"{where}: {value!r} is not a finite number")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _nonfinite(v, f"{where}[{i}]", out)
    elif isinstance(value, dict):
        for k, v in value.items():
            _nonfinite(v, f"{where}.{k}" if where else str(k), out)


def _schema() -> dict:
    from importlib import resources

    return json.loads(resources.files("spinestats.data_schemas").joinpath("risk_model.schema.json").read_text("utf-8"))


def check_model_document(doc: Any) -> list[str]:
    """Every problem of a parsed model document, as ``"field: what is wrong"`` sentences."""
    import jsonschema

    problems: list[str] = []
    _nonfinite(doc, "", problems)
    if problems:
        return problems
    validator = jsonschema.Draft202012Validator(_schema())
    for err in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path))):
        where = ".".join(map(str, err.absolute_path)) or "(top level)"
        problems.append(f"{where}: {err.message} (risk_model.schema.json)")
    if problems:
        return problems
    terms, coef, coding, center = doc["terms"], doc["coefficients"], doc["coding"], doc["center"]
    p = len(coef)
    if len(terms) != p:
        problems.append(f"coefficients: {p} value(s) for {len(terms)} term(s); expected one per term")
    expected_coding = p - 1 if doc["model_type"] == "firth" else p
    if len(coding) != expected_coding:
        problems.append(f"coding: {len(coding)} entries; expected {expected_coding} (one per term"
                        + (" after the intercept)" if doc["model_type"] == "firth" else ")"))
    if len(center) != len(coding):
        problems.append(f"center: {len(center)} value(s); expected {len(coding)} (one per coded term)")
    cov = doc["covariance"]
    if len(cov) != p or any(len(row) != p for row in cov):
        shape = f"{len(cov)} rows of lengths {sorted({len(r) for r in cov})}" if cov else "empty"
        problems.append(f"covariance: {shape}; expected a {p} x {p} matrix (one row and column per coefficient)")
    elif p:
        V = np.asarray(cov, dtype=float)
        scale = max(float(np.max(np.abs(V))), np.finfo(float).tiny)
        asym = float(np.max(np.abs(V - V.T)))
        if asym > SYMMETRY_TOLERANCE * scale:
            problems.append(f"covariance: not symmetric (largest |V[i,j] - V[j,i]| = {asym:.3g}); "
                            "expected the symmetric covariance matrix of the coefficients")
        else:
            try:
                eig = np.linalg.eigvalsh((V + V.T) / 2)
            except np.linalg.LinAlgError:
                problems.append("covariance: its eigenvalues cannot be computed; expected a covariance matrix")
            else:
                if eig[0] < -EIGENVALUE_TOLERANCE * max(float(np.max(np.abs(eig))), np.finfo(float).tiny):
                    problems.append(f"covariance: not positive semi-definite (smallest eigenvalue {eig[0]:.3g}); "
                                    "expected a covariance matrix (variances cannot be negative)")
    if doc["model_type"] == "finegray":
        base = doc["baseline"]
        missing = [k for k in ("time", "hazard", "events") if k not in base]
        if missing:
            problems.append(f"baseline: {', '.join(missing)} missing; a Fine-Gray model needs its baseline "
                            "(time, hazard, events) to predict a risk")
        else:
            lengths = {k: len(base[k]) for k in ("time", "hazard", "events")}
            if len(set(lengths.values())) != 1:
                problems.append("baseline: time, hazard and events have lengths "
                                + ", ".join(f"{v}" for v in lengths.values()) + "; expected equal lengths")
            elif lengths["time"] == 0:
                problems.append("baseline: empty; a Fine-Gray model needs at least one event time")
            elif any(b < a for a, b in zip(base["time"], base["time"][1:])):
                problems.append("baseline.time: not in increasing order")
    return problems


def load_risk_model(path: str | os.PathLike[str], build=None):
    """A model JSON file, checked: its text, or ``build(text)`` (e.g. ``analysis.risk_model.model_from_json``).

    The input layer checks the document; the statistics layer builds the
    model object, so ``data_schemas`` never imports ``analysis``.

    Raises
    ------
    UsageError
        no such file (exit 2).
    DataError
        the file is not a valid model; the message names the file and every
        faulty field (exit 1).
    """
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"model file {path}: no such file")
    if path.stat().st_size > MAX_MODEL_BYTES:
        raise DataError(f"model file {path}: {path.stat().st_size} bytes; a saved model is a few kilobytes "
                        f"(limit {MAX_MODEL_BYTES // 2**20} MiB)")
    try:
        text = path.read_text(encoding="utf-8")
        doc = json.loads(text)
    except UnicodeDecodeError:
        raise DataError(f"model file {path}: not UTF-8 text; expected a JSON file written by --save-model") from None
    except (json.JSONDecodeError, RecursionError) as exc:
        raise DataError(f"model file {path}: not valid JSON ({exc}); expected a file written by --save-model") from None
    problems = check_model_document(doc)
    if problems:
        raise DataError(f"model file {path}: refused, {len(problems)} problem(s):\n"
                        + "\n".join(f"  {p}" for p in problems))
    if build is None:
        return text
    try:
        return build(text)
    except UsageError as exc:  # e.g. a newer schema version
        raise DataError(f"model file {path}: {exc}") from None


def model_file(model: str | os.PathLike[str], data_path: str | os.PathLike[str] | None = None) -> Path:
    """The model file a user named: as given, or (a relative path in a plan) beside the data file.

    A relative ``model`` that does not exist in the working folder is looked
    up in the folder of ``data_path``; the file is not read here
    (:func:`load_risk_model` reads and checks it).
    """
    p = Path(model)
    if not p.is_absolute() and not p.exists() and data_path is not None:
        beside = Path(data_path).parent / p
        if beside.exists():
            return beside
    return p

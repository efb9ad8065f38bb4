"""Row rules from the schema YAML: required, allowed values, bounds, unique IDs.

Each check works on a whole converted column and reports every offending
cell as a :class:`Problem` (line, column as named in the file, value, rule,
expected).  Values already reported by conversion (unparseable cells) are
missing here and are not reported twice.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from spinestats.data_schemas.records import Problem
from spinestats.data_schemas.schema import Column


def _problems(file: str, raw: pd.Series, bad: np.ndarray, file_col: str, rule: str,
              expected: str, values: pd.Series | None = None) -> list[Problem]:
    if not bad.any():
        return []
    shown = (values if values is not None else raw).to_numpy()[bad]
    lines = raw.index.to_numpy()[bad]
    return [Problem(file, int(line), file_col, _plain(v), rule, expected) for line, v in zip(lines, shown)]


def _plain(v: object) -> object:
    if isinstance(v, np.generic):
        return v.item()
    return v


def check_column(file: str, raw: pd.Series, values: pd.Series, column: Column, file_col: str,
                 unconvertible: np.ndarray, hint_unit: str | None = None, *, missing: np.ndarray | None = None,
                 codes: np.ndarray | None = None) -> list[Problem]:
    """Problems of one converted column against its schema column.

    ``raw`` holds the file's text (for messages), ``values`` the converted
    column, ``unconvertible`` marks cells conversion already reported,
    ``hint_unit`` the unit the mapping declared for the file's values.
    The converter may hand over what it knows already: ``missing`` (per row)
    and ``codes`` (equal exactly when the values are; -1 missing), so that a
    text column is not scanned or hashed again.
    """
    out: list[Problem] = []
    if missing is None:
        missing = values.isna().to_numpy()
    note = (f" (the file's values are in {hint_unit}, converted to {column.unit})"
            if hint_unit and column.unit and hint_unit.lower() != column.unit.lower() else "")
    if column.required:
        bad = missing & ~unconvertible
        out += _problems(file, raw, bad, file_col, "required", f"a value ({column.expected()})")
    if column.type in ("number", "integer"):
        x = values.astype("float64").to_numpy(na_value=np.nan) if column.type == "integer" else values.to_numpy(dtype=float)
        present = ~np.isnan(x)
        if column.allowed is not None:
            allowed = np.asarray([float(a) for a in column.allowed])
            bad = present & ~np.isin(x, allowed)
            out += _problems(file, raw, bad, file_col, "not allowed",
                             "one of " + ", ".join(str(a) for a in column.allowed))
        if column.min_exclusive is not None:
            bad = present & (x <= column.min_exclusive)
            out += _problems(file, raw, bad, file_col, "out of range", f"a value > {column.min_exclusive:g}"
                             + (f" {column.unit}" if column.unit else "") + note)
        if column.min is not None:
            bad = present & (x < column.min)
            out += _problems(file, raw, bad, file_col, "out of range", f"a value >= {column.min:g}"
                             + (f" {column.unit}" if column.unit else "") + note)
        if column.max is not None:
            bad = present & (x > column.max)
            expected = f"a value <= {column.max:g}" + (f" {column.unit}" if column.unit else "") + note
            if column.unit == "cm" and not note:
                expected += (" - a value this large looks like millimetres in a centimetre column "
                             "(mixed units?); declare 'units: {" + column.name + ": mm}' in the mapping "
                             "if the whole column is in mm")
            out += _problems(file, raw, bad, file_col, "out of range", expected)
        if column.plausible is not None:
            out += _implausible(file, raw, x, present, column, file_col, note)
    if column.unique:
        key = values.where(~missing, None) if missing.any() else values
        if codes is None:
            codes, _ = pd.factorize(key, use_na_sentinel=True)
        filled = codes >= 0
        counts = np.bincount(codes[filled], minlength=1)
        dup = np.zeros(len(key), dtype=bool)
        dup[filled] = counts[codes[filled]] > 1
        if dup.any():
            lines_of = pd.Series(raw.index.to_numpy()[dup]).groupby(key.to_numpy()[dup]).apply(list).to_dict()
            for line, v in zip(raw.index.to_numpy()[dup], key.to_numpy()[dup]):
                others = [str(x) for x in lines_of[v] if x != line][:5]
                out.append(Problem(file, int(line), file_col, _plain(v), "duplicate ID",
                                   f"a unique {column.name} (also on line {', '.join(others)})"))
    return out


def _implausible(file: str, raw: pd.Series, x: np.ndarray, present: np.ndarray, column: Column, file_col: str,
                 note: str) -> list[Problem]:
    """Warnings for values inside the hard bounds but outside the schema's ``plausible`` range."""
    lo, hi = column.plausible
    hard_ok = present.copy()
    if column.min_exclusive is not None:
        hard_ok &= x > column.min_exclusive
    if column.min is not None:
        hard_ok &= x >= column.min
    if column.max is not None:
        hard_ok &= x <= column.max
    unit = f" {column.unit}" if column.unit else ""
    out = []
    for bad, side in ((hard_ok & (x > hi), "high"), (hard_ok & (x < lo), "low")):
        if not bad.any():
            continue
        expected = f"a value from {lo:g} to {hi:g}{unit} (the plausible range; kept, please check it){note}"
        if side == "high" and column.unit == "cm" and not note:
            expected += (" - a value this large looks like millimetres in a centimetre column; declare "
                         "'units: {" + column.name + ": mm}' in the mapping if the whole column is in mm")
        shown = raw.to_numpy()[bad]
        out += [Problem(file, int(line), file_col, _plain(v), "implausible value", expected, severity="warning")
                for line, v in zip(raw.index.to_numpy()[bad], shown)]
    return out


def duplicate_keys(file: str, frame: pd.DataFrame, keys: list[str], source: dict[str, str],
                   rule: str, what: str) -> list[Problem]:
    """Rows that repeat the combination ``keys`` (e.g. case and reader)."""
    if any(k not in frame for k in keys):
        return []
    sub = frame[keys]
    present = sub.notna().all(axis=1).to_numpy()
    dup = sub.duplicated(keep=False).to_numpy() & present
    if not dup.any():
        return []
    groups: dict[tuple, list[int]] = {}
    for line, row in zip(frame.index[dup], sub[dup].itertuples(index=False, name=None)):
        groups.setdefault(row, []).append(int(line))
    out = []
    for row, lines in groups.items():
        for line in lines:
            others = ", ".join(str(x) for x in lines if x != line)
            value = " / ".join(str(v) for v in row)
            out.append(Problem(file, line, " + ".join(source.get(k, k) for k in keys), value, rule,
                               f"{what} (the same {' and '.join(keys)} also on line {others})"))
    return out

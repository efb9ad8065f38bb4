"""REDCap exports and data dictionaries.

Reading
    *Raw* exports have the variable names as headers and choice codes as
    values; a checkbox field ``f`` comes as one column per choice,
    ``f___<code>``, holding 1 (checked) or 0.  When a schema column ``f`` is
    absent and ``f___*`` columns are present they are combined into one
    cell listing the checked codes (``"4;5;6"``; layer codes upper-cased),
    so a raw export built from :func:`data_dictionary` loads without a
    mapping.  *Label* exports have the field labels as headers and choice
    labels as values (checkboxes: ``Label (choice=Choice label)`` columns
    holding ``Checked``/``Unchecked``); they need the data dictionary
    (``redcap: {dictionary: FILE, export: labels}`` in the mapping) and are
    turned back into a raw export first.  REDCap's bookkeeping columns
    (``redcap_event_name``, ``<form>_complete`` ...) are kept as extra text
    columns and not validated.

Writing
    :func:`data_dictionary` builds a REDCap data dictionary (the 18 standard
    columns, starting ``Variable / Field Name``, ``Form Name``, ``Section
    Header``, ``Field Type``, ``Field Label``) from a schema: categories
    become radio fields whose codes are the schema's values, booleans
    ``yesno`` fields, integers/numbers text fields validated as ``integer``/
    ``number`` with the schema's bounds, dates ``date_ymd``, WBB zones and
    layers checkbox fields.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import numpy as np
import pandas as pd

from spinestats.data_schemas.records import Problem
from spinestats.data_schemas.reading import RawTable, read_table
from spinestats.data_schemas.schema import Schema
from spinestats.errors import DataError, UsageError

HEADER = (
    "Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
    "Choices, Calculations, OR Slider Labels", "Field Note", "Text Validation Type OR Show Slider Number",
    "Text Validation Min", "Text Validation Max", "Identifier?", "Branching Logic (Show field only if...)",
    "Required Field?", "Custom Alignment", "Question Number (surveys only)", "Matrix Group Name",
    "Matrix Ranking?", "Field Annotation",
)

CHECKED = {"1": True, "0": False, "": False, "checked": True, "unchecked": False, "1.0": True, "0.0": False}
_CHOICE_HEADER = re.compile(r"^(?P<label>.*) \(choice=(?P<choice>.*)\)$")


@dataclasses.dataclass(frozen=True)
class Field:
    name: str
    type: str
    label: str
    choices: tuple[tuple[str, str], ...]  # (code, label)


def read_dictionary(path: Path) -> dict[str, Field]:
    """Fields of a REDCap data dictionary CSV, by variable name."""
    raw = read_table(path)
    f = raw.frame
    need = ("Variable / Field Name", "Field Type", "Field Label", "Choices, Calculations, OR Slider Labels")
    missing = [c for c in need if c not in f.columns]
    if missing:
        raise UsageError(f"{path.name}: not a REDCap data dictionary (missing column {missing[0]!r}).")
    out = {}
    for name, ftype, label, choices in f[list(need)].itertuples(index=False, name=None):
        parsed = []
        if ftype in ("radio", "dropdown", "checkbox") and choices.strip():
            for part in choices.split("|"):
                code, _, lab = part.strip().partition(",")
                parsed.append((code.strip(), lab.strip()))
        out[name.strip()] = Field(name.strip(), ftype.strip(), label.strip(), tuple(parsed))
    return out


def relabel(raw: RawTable, dictionary: Path | None) -> RawTable:
    """A label export turned into the raw export it stands for."""
    if dictionary is None:
        raise UsageError("A REDCap label export needs its data dictionary (redcap: dictionary: FILE).")
    fields = read_dictionary(dictionary)
    by_label = {f.label: f for f in fields.values()}
    frame = raw.frame.copy()
    rename = {}
    problems: list[Problem] = []
    for col in frame.columns:
        m = _CHOICE_HEADER.match(col)
        if m and m.group("label") in by_label:
            fld = by_label[m.group("label")]
            codes = {lab: code for code, lab in fld.choices}
            if m.group("choice") in codes:
                rename[col] = f"{fld.name}___{codes[m.group('choice')]}"
                continue
            if fld.type == "checkbox":  # a choice the dictionary does not list: never silently left out
                problems += _unknown_choice(raw.file, frame[col], col, fld, m.group("choice"), dictionary.name)
                continue
        if col in by_label:
            fld = by_label[col]
            rename[col] = fld.name
            if fld.type in ("radio", "dropdown"):
                to_code = {lab: code for code, lab in fld.choices}
                frame[col] = frame[col].map(lambda v: to_code.get(str(v).strip(), v))
    if problems:
        raise _choice_error(problems)
    frame = frame.rename(columns=rename)
    return dataclasses.replace(raw, frame=frame)


def _unknown_choice(file: str, cells: pd.Series, column: str, fld: Field | None, choice: str,
                    source: str, field: str | None = None) -> list[Problem]:
    """Errors for the checked cells of a checkbox column whose choice is not a known one."""
    name = fld.name if fld is not None else field
    known = ", ".join(f"{c} ({lab})" if lab != c else c for c, lab in fld.choices) if fld is not None else source
    expected = (f"a choice of checkbox field {name} ({known}); '{choice}' is not one, so the ticks in this "
                "column cannot be read: correct the export or the data dictionary")
    state = cells.astype(str).str.strip().str.lower().map(CHECKED)
    on = state.eq(True).to_numpy(dtype=bool)
    return [Problem(file, int(line), column, v, "unknown checkbox choice", expected)
            for line, v in zip(cells.index[on], cells[on])]


def _choice_error(problems: list[Problem]) -> DataError:
    return DataError("\n".join([f"REDCap checkbox columns for choices that do not exist ({len(problems)} "
                                 "ticked cell(s)):"] + ["  " + p.message() for p in problems[:50]]), problems)


def combine_checkboxes(raw: RawTable, schema: Schema, mapped: dict[str, str],
                       dictionary: Path | None = None) -> tuple[RawTable, dict[str, str]]:
    """Combine ``f___<code>`` columns of absent schema columns ``f`` into one.

    Returns the new raw table and ``{schema column: "f___*"}`` for messages.
    A cell that is not 1/0/Checked/Unchecked raises DataError naming it.
    """
    frame = raw.frame
    present = {c.lower() for c in frame.columns} | set(mapped.values())
    combined: dict[str, str] = {}
    new_cols: dict[str, pd.Series] = {}
    problems: list[Problem] = []
    unknown: list[Problem] = []
    fields = read_dictionary(dictionary) if dictionary is not None else {}
    for col in schema.columns:
        if col.name in present:
            continue
        prefix = f"{col.name}___"
        parts = [c for c in frame.columns if c.lower().startswith(prefix)]
        if not parts:
            continue
        codes = [c[len(prefix):] for c in parts]
        if col.type == "layers":
            codes = [c.upper() for c in codes]
        fld = fields.get(col.name)
        valid = _valid_choices(col.type, fld)
        if valid is not None:
            for c, code in zip(parts, codes):
                if code not in valid:
                    where = (f"the data dictionary {dictionary.name}" if fld is not None and fld.choices
                             else f"WBB {col.type} " + ("1-12" if col.type == "zones" else "A-E"))
                    unknown += _unknown_choice(raw.file, frame[c], c, fld if fld is not None and fld.choices else None,
                                               code, where, col.name)
        checked = np.zeros((len(frame), len(parts)), dtype=bool)
        for j, c in enumerate(parts):
            t = frame[c].astype(str).str.strip().str.lower()
            state = t.map(CHECKED)
            bad = state.isna().to_numpy()
            for line, v in zip(frame.index[bad], frame[c][bad]):
                problems.append(Problem(raw.file, int(line), c, v, "unknown code",
                                        "a REDCap checkbox value: 1/0 or Checked/Unchecked"))
            checked[:, j] = state.eq(True).to_numpy(dtype=bool)
        cells = [";".join(code for code, on in zip(codes, row) if on) for row in checked]
        new_cols[f"{col.name}___*"] = pd.Series(cells, index=frame.index, dtype=object)
        combined[col.name] = f"{col.name}___*"
    if unknown:
        raise _choice_error(unknown)
    if problems:
        raise DataError("\n".join(["REDCap checkbox columns hold values other than 1/0:"]
                                  + ["  " + p.message() for p in problems[:50]]), problems)
    if not new_cols:
        return raw, {}
    drop = [c for c in frame.columns if any(c.lower().startswith(f"{n}___") for n in combined)]
    frame = frame.drop(columns=drop).assign(**new_cols)
    return dataclasses.replace(raw, frame=frame), combined


def _valid_choices(kind: str, fld: Field | None) -> set[str] | None:
    """The codes a checkbox column may carry: the dictionary's, else those of the WBB type."""
    if fld is not None and fld.choices:
        codes = {c for c, _ in fld.choices}
        return {c.upper() for c in codes} if kind == "layers" else codes
    if kind == "zones":
        return {str(z) for z in range(1, 13)}
    if kind == "layers":
        return set("ABCDE")
    return None


def _choices(values: tuple) -> str:
    return " | ".join(f"{v}, {v}" for v in values)


def data_dictionary(schema: Schema, form: str | None = None) -> pd.DataFrame:
    """A REDCap data dictionary (18 standard columns) for ``schema``'s wide layout."""
    form = form or schema.name
    rows = []
    for c in schema.columns:
        row = dict.fromkeys(HEADER, "")
        row["Variable / Field Name"] = c.name
        row["Form Name"] = form
        label = c.name.replace("_", " ")
        row["Field Label"] = label[0].upper() + label[1:]
        row["Field Note"] = c.description
        if c.type == "category":
            row["Field Type"] = "radio"
            row["Choices, Calculations, OR Slider Labels"] = _choices(c.allowed or ())
        elif c.type == "boolean":
            row["Field Type"] = "yesno"
        elif c.type in ("integer", "number") and c.allowed is not None:
            row["Field Type"] = "radio"
            row["Choices, Calculations, OR Slider Labels"] = _choices(c.allowed)
        elif c.type in ("integer", "number"):
            row["Field Type"] = "text"
            row["Text Validation Type OR Show Slider Number"] = c.type
            lo = c.min if c.min is not None else c.min_exclusive
            if lo is not None:
                row["Text Validation Min"] = f"{lo:g}"
            if c.max is not None:
                row["Text Validation Max"] = f"{c.max:g}"
            if c.unit:
                row["Field Label"] += f" ({c.unit})"
        elif c.type == "date":
            row["Field Type"] = "text"
            row["Text Validation Type OR Show Slider Number"] = "date_ymd"
        elif c.type == "zones":
            row["Field Type"] = "checkbox"
            row["Choices, Calculations, OR Slider Labels"] = " | ".join(f"{z}, Zone {z}" for z in range(1, 13))
        elif c.type == "layers":
            row["Field Type"] = "checkbox"
            row["Choices, Calculations, OR Slider Labels"] = " | ".join(
                f"{x.lower()}, Layer {x}" for x in "ABCDE")
        else:
            row["Field Type"] = "text"
        if c.required:
            row["Required Field?"] = "y"
        rows.append(row)
    return pd.DataFrame(rows, columns=list(HEADER))

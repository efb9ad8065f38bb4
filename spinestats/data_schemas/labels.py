"""Display labels: what a variable, a coded value, a model term or an endpoint is called on the page.

One resolver, :class:`Labels`, is used by every table, figure and report
heading, so that a label set once (in the schema, the plan or the mapping)
appears everywhere.  It is pure: no I/O, no state beyond what it is given.

Where labels come from (later wins)
-----------------------------------
1. the built-in defaults: a variable is shown as its name with ``_`` as
   spaces and a capital letter, a boolean value as "Yes"/"No";
2. the schema's ``display:`` block (``data_schemas/<name>.yaml``), one entry
   per column::

       display:
         size_cm: {label: Tumour size, values: {...}, reference: ...}

   ``unit`` comes from the column (``unit: cm``) unless ``display`` gives a
   display unit (``unit: "Gy (RBE)"``); the label shown is "Tumour size (cm)";
3. the mapping YAML (``labels:``, ``reference:``) and the plan (``labels:``,
   ``reference:``, ``endpoint_labels:``), both in the same form::

       labels:
         size_cm: Largest diameter          # variable label
         boundary: {label: 境界, values: {indistinct: 不明瞭}}
         boundary.indistinct: 不明瞭         # a value label, short form
       reference:
         modality: conventional
       endpoint_labels:
         os: Overall survival after CIRT

4. single commands: ``--label VAR=Text``, ``--label VAR.LEVEL=Text`` and
   ``--reference VAR=LEVEL`` (:func:`parse_cli_labels`).

Reference levels: the one set by the user, else the schema's declared
``reference``, else the first level in schema order (never alphabetical).

Bad input is refused before anything runs (:meth:`Labels.check`): an
unknown variable or level (naming the closest match and the levels present),
two labels that would read the same on the page (naming both), and a
reference level absent from the data (:meth:`Labels.check_data`).
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from spinestats.errors import DataError, UsageError

#: Labels of variables the analyses derive (not in any export schema).
DERIVED: dict[str, dict[str, Any]] = {
    "dose_group": {"label": "Total dose group", "levels": ["<60 GyE", "60-<64 GyE", "64-<70 GyE", ">=70 GyE"],
                   "values": {"<60 GyE": "<60 GyE", "60-<64 GyE": "60 to <64 GyE", "64-<70 GyE": "64 to <70 GyE",
                              ">=70 GyE": "\u226570 GyE"}},
    "cord_over_limit": {"label": "Spinal cord maximum \u226550 GyE", "type": "boolean"},
    "target_under_60": {"label": "Total dose <60 GyE", "type": "boolean"},
    "dss_positive": {"label": "DSS positive", "type": "boolean"},
    "sins": {"label": "SINS total"},
    "sins_total": {"label": "SINS total (0\u201318)"},
    "sins_category": {"label": "SINS category", "levels": ["stable", "indeterminate", "unstable"],
                      "values": {"stable": "Stable (0\u20136)", "indeterminate": "Indeterminate (7\u201312)",
                                 "unstable": "Unstable (13\u201318)"}},
    "lytic": {"label": "Lytic lesion", "type": "boolean", "levels": ["false", "true"]},
    "visit": {"label": "Visit"},
}

#: Default labels of the survival endpoints (``analysis.endpoints``).
ENDPOINT_LABELS: dict[str, str] = {}

_BOOL_WORDS = {True: "Yes", False: "No"}
_TRUE_TEXT = ("true", "yes", "1", "1.0")
_FALSE_TEXT = ("false", "no", "0", "0.0")


#: Unit suffixes of column names, shown in parentheses by the fallback label (``size_cm`` -> "Size (cm)").
_UNIT_SUFFIXES = {"cm": "cm", "mm": "mm", "kg": "kg", "gy": "Gy", "gye": "GyE", "months": "months",
                  "days": "days", "weeks": "weeks", "years": "years", "pct": "%"}


def humanise(name: str) -> str:
    """``"separation_surgery"`` -> ``"Separation surgery"``, ``"size_cm"`` -> ``"Size (cm)"`` (the fallback label)."""
    words = re.sub(r"[_\s]+", " ", str(name)).strip().split(" ")
    unit = _UNIT_SUFFIXES.get(words[-1].lower()) if len(words) > 1 else None
    text = " ".join(words[:-1]) + f" ({unit})" if unit else " ".join(words)
    return text[:1].upper() + text[1:]


def _key(level: Any) -> str:
    """A level as the text key labels are stored under (booleans as ``"true"``/``"false"``)."""
    if isinstance(level, bool) or type(level).__name__ == "bool_":
        return "true" if bool(level) else "false"
    if isinstance(level, float) and level.is_integer():
        return str(int(level))
    text = str(level)
    low = text.lower()
    if low in ("true", "false"):
        return low
    return text


def level_key(level: Any) -> str:
    """A level as the text its labels are stored under (``True`` -> ``"true"``, ``2.0`` -> ``"2"``)."""
    return _key(level)


def _normal(text: str) -> str:
    """How a label reads after formatting: case, width and spacing folded."""
    return " ".join(unicodedata.normalize("NFKC", str(text)).casefold().split())


def closest(name: str, choices: Iterable[str]) -> str | None:
    """The closest of ``choices`` to ``name`` (case-insensitive), or ``None``."""
    lowered = {str(c).lower(): str(c) for c in choices}
    hit = difflib.get_close_matches(str(name).lower(), list(lowered), n=1, cutoff=0.5)
    return lowered[hit[0]] if hit else None


@dataclasses.dataclass(frozen=True)
class VarLabel:
    """Everything the page needs about one variable."""

    name: str
    label: str
    unit: str | None = None
    type: str = "string"
    levels: tuple[str, ...] = ()  # schema order ("" when free text)
    values: Mapping[str, str] = dataclasses.field(default_factory=dict)
    reference: str | None = None


def _schema_vars(schemas: Sequence[Any]) -> dict[str, VarLabel]:
    out: dict[str, VarLabel] = {}
    for schema in schemas:
        display = getattr(schema, "display", {}) or {}
        for col in tuple(schema.columns) + tuple(getattr(schema, "long_columns", ())):
            d = display.get(col.name, {}) or {}
            levels: tuple[str, ...] = ()
            if col.type == "boolean":
                levels = ("false", "true")
            elif col.allowed is not None:
                levels = tuple(_key(a) for a in col.allowed)
            elif col.name == "visit" and getattr(schema, "visits", ()):
                levels = tuple(schema.visits)
            values = {_key(k): str(v) for k, v in (d.get("values") or {}).items()}
            ref = d.get("reference")
            out.setdefault(col.name, VarLabel(
                name=col.name, label=str(d.get("label") or humanise(col.name)),
                unit=d.get("unit", col.unit), type=col.type, levels=levels, values=values,
                reference=None if ref is None else _key(ref)))
    for name, spec in DERIVED.items():
        out.setdefault(name, VarLabel(name, spec["label"], None, spec.get("type", "category"),
                                      tuple(spec.get("levels", ())), dict(spec.get("values", {}))))
    return out


class Labels:
    """The label resolver (see the module docstring).

    Parameters
    ----------
    schemas : schema objects or names whose ``display`` blocks give the defaults.
    labels : overrides ``{var: "Text" | {label, unit, values}, "var.level": "Text"}``.
    reference : ``{var: level}``.
    endpoint_labels : ``{endpoint: "Text"}``.
    strict : refuse unknown variables/levels (:meth:`check`) at construction.
    """

    def __init__(self, schemas: Sequence[Any] | Any = (), labels: Mapping[str, Any] | None = None,
                 reference: Mapping[str, Any] | None = None, endpoint_labels: Mapping[str, str] | None = None,
                 *, extra_variables: Iterable[str] = (), strict: bool = True, where: str = "labels") -> None:
        from spinestats.data_schemas.schema import get_schema

        if isinstance(schemas, (str, bytes)) or hasattr(schemas, "columns"):
            schemas = [schemas]
        objs = [get_schema(s) if isinstance(s, str) else s for s in (schemas or ()) if s is not None]
        self.schemas = tuple(objs)
        self._vars = _schema_vars(objs)
        self._extra = set(map(str, extra_variables))
        self._labels: dict[str, str] = {}
        self._units: dict[str, str | None] = {}
        self._values: dict[str, dict[str, str]] = {}
        self._reference: dict[str, str] = {}
        self._endpoints: dict[str, str] = dict(ENDPOINT_LABELS)
        self.where = where
        self._raw = ({}, {}, {})
        self.update(labels, reference, endpoint_labels, strict=strict, where=where)

    # ----- building -------------------------------------------------------------------------
    def update(self, labels: Mapping[str, Any] | None = None, reference: Mapping[str, Any] | None = None,
               endpoint_labels: Mapping[str, str] | None = None, *, strict: bool = True,
               where: str = "labels") -> "Labels":
        """Apply overrides in place (later calls win); returns ``self``."""
        for key, spec in (labels or {}).items():
            key = str(key)
            var, level = self._split(key)
            if level is not None:
                self._check_level(var, level, where, strict)
                self._values.setdefault(var, {})[_key(level)] = str(spec)
                continue
            self._check_var(var, where, strict)
            if isinstance(spec, Mapping):
                if "label" in spec:
                    self._labels[var] = str(spec["label"])
                if "unit" in spec:
                    self._units[var] = None if spec["unit"] in (None, "") else str(spec["unit"])
                for lev, text in (spec.get("values") or {}).items():
                    self._check_level(var, lev, where, strict)
                    self._values.setdefault(var, {})[_key(lev)] = str(text)
                if "reference" in spec:
                    self._check_level(var, spec["reference"], where, strict, what="reference")
                    self._reference[var] = _key(spec["reference"])
                bad = set(spec) - {"label", "unit", "values", "reference"}
                if bad:
                    raise UsageError(f"{where}: {var}: unknown key(s) {', '.join(sorted(map(str, bad)))}; "
                                     "use label, unit, values and reference.")
            else:
                self._labels[var] = str(spec)
        for var, level in (reference or {}).items():
            var = str(var)
            self._check_var(var, f"{where} (reference)", strict)
            self._check_level(var, level, f"{where} (reference)", strict, what="reference")
            self._reference[var] = _key(level)
        for ep, text in (endpoint_labels or {}).items():
            self._endpoints[str(ep)] = str(text)
        if strict:
            self.check_collisions(where)
        return self

    def _split(self, key: str) -> tuple[str, str | None]:
        if key in self._vars or key in self._extra or "." not in key:
            return key, None
        var, level = key.split(".", 1)
        return var, level

    def known_variables(self) -> list[str]:
        return sorted(set(self._vars) | self._extra)

    def _check_var(self, var: str, where: str, strict: bool) -> None:
        if not strict or var in self._vars or var in self._extra:
            return
        hint = closest(var, self.known_variables())
        raise UsageError(f"{where}: unknown variable '{var}'." + (f" Did you mean '{hint}'?" if hint else "")
                         + f" Known variables: {', '.join(self.known_variables())}.")

    def _check_level(self, var: str, level: Any, where: str, strict: bool, what: str = "level") -> None:
        self._check_var(var, where, strict)
        levels = self.levels(var)
        if not strict or not levels or _key(level) in levels:
            return
        hint = closest(_key(level), levels)
        raise UsageError(f"{where}: {var}: unknown {what} '{level}'." + (f" Did you mean '{hint}'?" if hint else "")
                         + f" Levels of {var}: {', '.join(levels)}.")

    def check_collisions(self, where: str = "labels") -> None:
        """Refuse two variables, or two levels of one variable, that would read the same."""
        seen: dict[str, str] = {}
        for var in sorted(set(self._labels) | set(self._units)):
            text = _normal(self.variable(var))
            other = seen.get(text)
            if other is not None and other != var:
                raise UsageError(f"{where}: the labels of '{other}' and '{var}' both read "
                                 f"'{self.variable(var)}'; give one of them another label.")
            seen[text] = var
        for var in sorted(self._labels):
            for other in self._vars:
                if other != var and other not in self._labels and _normal(self.variable(other)) == _normal(self.variable(var)):
                    raise UsageError(f"{where}: the label of '{var}' reads '{self.variable(var)}', the same as "
                                     f"'{other}'; give one of them another label.")
        for var, vals in self._values.items():
            levels = list(dict.fromkeys(list(self.levels(var)) + list(vals)))
            shown: dict[str, str] = {}
            for lev in levels:
                text = _normal(self.value(var, lev))
                if text in shown and shown[text] != lev:
                    raise UsageError(f"{where}: {var}: the levels '{shown[text]}' and '{lev}' would both read "
                                     f"'{self.value(var, lev)}'; give one of them another label.")
                shown[text] = lev

    def check_data(self, data: Any, where: str = "data") -> None:
        """Refuse a user-set reference level that the data do not contain (names the levels present)."""
        for var, ref in self._reference.items():
            if not hasattr(data, "columns") or var not in data.columns:
                continue
            present = [_key(v) for v in data[var].dropna().unique()]
            if ref not in present:
                order = [lv for lv in self.levels(var) if lv in present] or sorted(present)
                raise DataError(f"{where}: reference level '{ref}' of {var} does not occur in the data; "
                                f"levels present: {', '.join(order) or '(none)'}.")

    # ----- reading --------------------------------------------------------------------------
    def name(self, var: str) -> str:
        """The variable label without its unit."""
        if var in self._labels:
            return self._labels[var]
        v = self._vars.get(var)
        return v.label if v is not None else humanise(var)

    def unit(self, var: str) -> str | None:
        if var in self._units:
            return self._units[var]
        v = self._vars.get(var)
        return v.unit if v is not None else None

    def variable(self, var: str) -> str:
        """``"Tumour size (cm)"``: the label with its unit (when not already in the label)."""
        label, unit = self.name(var), self.unit(var)
        if unit and f"({unit})" not in label:
            return f"{label} ({unit})"
        return label

    def levels(self, var: str) -> tuple[str, ...]:
        """The variable's levels in schema order (empty for free text and numbers)."""
        v = self._vars.get(var)
        return v.levels if v is not None else ()

    def value(self, var: str, level: Any) -> str:
        """A coded value's label (``"Indistinct boundary"``, ``"Yes"``); unknown levels as written."""
        if level is None:
            return "Missing"
        k = _key(level)
        if k in self._values.get(var, {}):
            return self._values[var][k]
        v = self._vars.get(var)
        if v is not None and k in v.values:
            return v.values[k]
        if k in ("true", "false") and (v is None or v.type == "boolean" or isinstance(level, bool)):
            return _BOOL_WORDS[k == "true"]
        return str(level)

    def reference(self, var: str, present: Iterable[Any] | None = None) -> str | None:
        """The reference level: user-set, else the schema's, else the first in schema order (among ``present``)."""
        present_keys = None if present is None else [_key(p) for p in present]
        if var in self._reference:
            return self._reference[var]
        v = self._vars.get(var)
        if v is not None and v.reference is not None and (present_keys is None or v.reference in present_keys):
            return v.reference
        order = self.order(var, present_keys) if present_keys is not None else list(self.levels(var))
        return order[0] if order else None

    def order(self, var: str, present: Iterable[Any]) -> list[Any]:
        """``present`` levels in schema order (unknown ones after, in first-seen order)."""
        items = list(dict.fromkeys(present))
        pos = {lv: i for i, lv in enumerate(self.levels(var))}
        return sorted(items, key=lambda x: (pos.get(_key(x), len(pos)), items.index(x)))

    def ordered_levels(self, var: str, present: Iterable[Any]) -> list[Any]:
        """``present`` levels with the reference first, then schema order (as a model's factor levels)."""
        order = self.order(var, present)
        ref = self.reference(var, order)
        first = [lv for lv in order if _key(lv) == ref]
        return first + [lv for lv in order if _key(lv) != ref]

    def term(self, var: str, level: Any = None) -> str:
        """A model term: ``"Modality: SBRT"``; a numeric covariate is its variable label."""
        if level is None:
            return self.variable(var)
        return f"{self.variable(var)}: {self.value(var, level)}"

    def coefficient(self, coef: str, covariates: Sequence[str]) -> tuple[str, Any]:
        """Split a design-matrix name (``modalitySBRT``, ``separation_surgeryTRUE``) into (variable, level or None)."""
        for var in sorted(covariates, key=len, reverse=True):
            if coef == var:
                return var, None
            if coef.startswith(var):
                rest = coef[len(var):]
                return var, (True if rest == "TRUE" else rest)
        return coef, None

    def coefficient_label(self, coef: str, covariates: Sequence[str]) -> str:
        """A design-matrix name as the page shows it: ``"Modality: SBRT"``; an interaction
        ``armBKP:visit1w`` as ``"Arm: Balloon kyphoplasty \u00d7 Visit: 1 week"``; ``(Intercept)`` as "Intercept"."""
        if coef == "(Intercept)":
            return "Intercept"
        if ":" in coef:
            return " \u00d7 ".join(self.coefficient_label(part, covariates) for part in coef.split(":"))
        var, level = self.coefficient(coef, covariates)
        return self.term(var, level)

    def endpoint(self, name: str, default: str | None = None) -> str:
        """An endpoint's label (``os`` -> "Overall survival", or the plan's ``endpoint_labels``)."""
        if name in self._endpoints:
            return self._endpoints[name]
        if default is not None:
            return default
        from spinestats.vocabulary import ENDPOINT_LABELS

        return ENDPOINT_LABELS.get(name, humanise(name))

    def has_endpoint_label(self, name: str) -> bool:
        return name in self._endpoints


def parse_cli_labels(labels: Sequence[str] = (), references: Sequence[str] = ()) -> tuple[dict[str, str], dict[str, str]]:
    """``--label VAR=Text`` / ``--label VAR.LEVEL=Text`` and ``--reference VAR=LEVEL`` as dicts."""
    out_l: dict[str, str] = {}
    out_r: dict[str, str] = {}
    for opt, items, target in (("--label", labels, out_l), ("--reference", references, out_r)):
        for item in items or ():
            if "=" not in str(item):
                raise UsageError(f"{opt}: expected NAME=TEXT (e.g. {opt} sex=Sex), got {item!r}.")
            k, v = str(item).split("=", 1)
            if not k.strip() or not v.strip():
                raise UsageError(f"{opt}: expected NAME=TEXT with both parts, got {item!r}.")
            target[k.strip()] = v.strip()
    return out_l, out_r


def as_labels(labels: Any, schemas: Sequence[Any] | Any = (), **kw: Any) -> Labels:
    """A :class:`Labels` from what a job was given: a Labels, an override dict, or ``None`` (schema defaults)."""
    if isinstance(labels, Labels):
        return labels
    if isinstance(labels, Mapping):
        return Labels(schemas, labels.get("labels", labels if not {"labels", "reference", "endpoint_labels"} & set(labels) else None),
                      labels.get("reference"), labels.get("endpoint_labels"), **kw)
    return Labels(schemas, **kw)


def schema_labels(name: str, **overrides: Any) -> Labels:
    """The display labels of schema ``name``, with overrides (the keywords of :class:`Labels`).

    It lives here, not in :mod:`.schema`: labels are built on schemas, so
    ``labels`` imports ``schema`` and never the other way round (no import
    circle inside ``data_schemas``).
    """
    return Labels([name], **overrides)

def mapping_labels(path: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ``labels:`` and ``reference:`` of a mapping YAML file (safe YAML)."""
    from pathlib import Path

    import yaml

    try:
        doc = yaml.safe_load(Path(path).read_bytes().decode("utf-8-sig")) or {}
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return {}, {}  # the loader reports an unreadable mapping with its own message
    if not isinstance(doc, dict):
        return {}, {}
    labels, reference = doc.get("labels") or {}, doc.get("reference") or {}
    if not isinstance(labels, dict) or not isinstance(reference, dict):
        raise UsageError(f"mapping {Path(path).name}: 'labels' and 'reference' must be mappings of variable -> text.")
    return labels, reference

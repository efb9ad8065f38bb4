"""The frozen result objects every analysis returns.

A result is a frozen dataclass.  :meth:`Result.to_dict` gives plain JSON-safe
Python (``NaN`` and infinities become ``None``; NumPy scalars become Python
numbers; nested results, tuples and DataFrames are converted recursively), and
:meth:`Result.to_frame` gives a tidy table.  Subclasses override
``to_frame`` when their natural table is not the one-row summary.

For people (a terminal or Jupyter):

* ``==`` compares two results field by field, NumPy-aware (arrays by shape
  and values, ``NaN`` equal to ``NaN``; DataFrames with ``DataFrame.equals``);
  results are *not hashable* (``hash(result)`` raises ``TypeError``) because
  they hold arrays and tables.  Use ``result.to_dict()`` as a stable key.
* NumPy arrays in a result are read-only (``flags.writeable`` is False), so a
  frozen result cannot be changed in place; ``arr.copy()`` gives a writable copy.
* ``repr(result)`` is one short line of the scalar fields and the shapes of
  the arrays, never the arrays themselves.
* :meth:`Result.summary` is ``to_frame()`` with its numbers formatted as the
  report tables format them (p-values, ``estimate (lower–upper)``), and
  ``_repr_html_`` shows that table in Jupyter.

Subclasses are ordinary ``@dataclasses.dataclass(frozen=True)`` classes; the
base's :meth:`__init_subclass__` keeps the dataclass decorator from replacing
``__eq__``, ``__hash__`` and ``__repr__`` with field-tuple versions that fail
on arrays.  A subclass that defines ``__post_init__`` must call
``super().__post_init__()``.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import operator
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd


_isfinite = math.isfinite

#: exact types :func:`to_jsonable` returns unchanged (``bool`` before ``int`` is not needed: exact types)
_AS_IS = frozenset({str, int, bool, type(None)})
#: exact types of the JSON-safe leaves (a float when finite)
_LEAVES = _AS_IS | {float}


def _finite_floats(values: list[Any]) -> bool:
    """Every ``float`` among ``values`` finite, without a Python step per value."""
    floats = itertools.compress(values, map(operator.is_, map(type, values), itertools.repeat(float)))
    return all(map(_isfinite, floats))


def _plain_leaves(values: list[Any]) -> bool:
    """Every value a string, a number (finite when a float), a boolean or None (exact types)."""
    kinds = set(map(type, values))
    return kinds <= _LEAVES and (float not in kinds or _finite_floats(values))


def _plain_records(value: list[Any]) -> bool:
    """``value`` is a list of dicts (exact type) with string keys and :func:`_plain_leaves` values."""
    if set(map(type, value)) != {dict} or not set(map(type, itertools.chain.from_iterable(value))) <= {str}:
        return False
    return _plain_leaves(list(itertools.chain.from_iterable(map(dict.values, value))))


def to_jsonable(value: Any) -> Any:
    """Convert ``value`` into JSON-safe Python, recursively.

    Non-finite floats become ``None`` so that ``results.json`` is valid JSON
    (``NaN`` is not); a reader sees ``null`` where a quantity is undefined.
    NumPy integers and booleans become Python ``int`` and ``bool``, NumPy
    floats Python ``float``; arrays, Series and DataFrames of NumPy numbers
    are converted column-wise (``tolist``), giving the same values as an
    element-by-element conversion.  A list of plain leaves, or of records
    (dicts) of them, is copied as it is, checked without a Python step per
    value.
    """
    t = type(value)
    if t is float:
        return value if math.isfinite(value) else None
    if t in _AS_IS:
        return value
    # the commonest leaves (plain floats, str, int, bool, None) are converted inline, without a call each
    if t is dict:
        return {k if type(k) is str else str(k):
                (v if _isfinite(v) else None) if type(v) is float else v if type(v) in _AS_IS else to_jsonable(v)
                for k, v in value.items()}
    if t is list or t is tuple:
        if len(value) > 8:  # a copy of a long list of plain values (or records) is as converted
            if _plain_leaves(value := list(value)):
                return value
            if _plain_records(value):
                return list(map(dict, value))
        return [(v if _isfinite(v) else None) if type(v) is float else v if type(v) in _AS_IS else to_jsonable(v)
                for v in value]
    return _convert(value)


def _item(v: Any) -> Any:
    """:func:`to_jsonable` of one element, with the commonest leaf types inline."""
    t = type(v)
    if t is float:
        return v if math.isfinite(v) else None
    if t in _AS_IS:
        return v
    return to_jsonable(v)


def _numeric_array(a: np.ndarray) -> Any:
    """``a.tolist()`` with non-finite floats as ``None``, or ``NotImplemented`` for other dtypes."""
    kind = a.dtype.kind
    if kind in "biu":
        return a.tolist()
    if kind == "f" and a.dtype.itemsize <= 8:
        finite = np.isfinite(a)
        if finite.all():
            return a.tolist()
        boxed = a.astype(object)
        boxed[~finite] = None
        return boxed.tolist()
    return NotImplemented


def _frame_records(frame: pd.DataFrame) -> Any:
    """``frame.to_dict(orient="records")`` converted, built column by column; ``NotImplemented`` when a
    column is not plain NumPy numbers or objects (those take the record-by-record path)."""
    if not frame.columns.is_unique or frame.shape[1] == 0:
        return NotImplemented
    columns = []
    for j in range(frame.shape[1]):
        series = frame.iloc[:, j]
        dtype = series.dtype
        if not isinstance(dtype, np.dtype):
            return NotImplemented
        if dtype.kind == "O":
            cells = series.tolist()
            if any(isinstance(v, (np.datetime64, np.timedelta64)) for v in cells):
                return NotImplemented  # to_dict boxes these as Timestamp/Timedelta
            columns.append([_item(v) for v in cells])
            continue
        converted = _numeric_array(series.to_numpy())
        if converted is NotImplemented:
            return NotImplemented
        columns.append(converted)
    keys = [str(k) for k in frame.columns]
    return [dict(zip(keys, row)) for row in zip(*columns)]


def _convert(value: Any) -> Any:
    """:func:`to_jsonable` of everything but the plain Python types."""
    if isinstance(value, Result):
        return value.to_dict()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _item(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_item(v) for v in value]
    if isinstance(value, pd.DataFrame):
        records = _frame_records(value)
        if records is not NotImplemented:
            return records
        return [to_jsonable(r) for r in value.to_dict(orient="records")]
    if isinstance(value, pd.Series):
        if isinstance(value.dtype, np.dtype):
            converted = _numeric_array(value.to_numpy())
            if converted is not NotImplemented:
                return converted
        return to_jsonable(value.tolist())
    if isinstance(value, np.ndarray):
        converted = _numeric_array(value)
        if converted is not NotImplemented:
            return converted
        return to_jsonable(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return f if math.isfinite(f) else None
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (pd.Timestamp,)):
        return value.isoformat()
    if value is pd.NA or value is pd.NaT:
        return None
    return str(value)


def values_equal(a: Any, b: Any) -> bool:
    """NumPy- and pandas-aware equality of two field values (``NaN`` equals ``NaN``)."""
    if a is b:
        return True
    if isinstance(a, (pd.DataFrame, pd.Series)) or isinstance(b, (pd.DataFrame, pd.Series)):
        return type(a) is type(b) and a.equals(b)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        x, y = np.asarray(a), np.asarray(b)
        if x.shape != y.shape:
            return False
        if x.dtype.kind in "fc" and y.dtype.kind in "fc":
            return bool(np.array_equal(x, y, equal_nan=True))
        try:
            return bool(np.array_equal(x, y))
        except (TypeError, ValueError):
            return all(values_equal(u, v) for u, v in zip(x.ravel().tolist(), y.ravel().tolist()))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(values_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(values_equal(u, v) for u, v in zip(a, b))
    if isinstance(a, (float, np.floating)) and isinstance(b, (float, np.floating)):
        return bool(a == b or (math.isnan(a) and math.isnan(b)))
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def _short(value: Any) -> str | None:
    """A few characters describing ``value`` for ``repr``, or None to leave it out."""
    if value is None or isinstance(value, (bool, np.bool_, int, np.integer, str)):
        text = repr(value.item() if isinstance(value, np.generic) else value)
        return text if len(text) <= 40 else text[:37] + "...'"
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    if isinstance(value, np.ndarray):
        return f"<array {'x'.join(map(str, value.shape))}>"
    if isinstance(value, pd.DataFrame):
        return f"<table {value.shape[0]}x{value.shape[1]}>"
    if isinstance(value, (list, tuple, dict)):
        return f"<{len(value)} items>"
    if isinstance(value, Result):
        return f"<{type(value).__name__}>"
    return None


#: columns a bare ``lower``/``upper`` pair belongs to, when the table has one
_CI_OWNERS = ("estimate", "auc", "kappa", "hr", "or", "rr", "value", "survival", "cif", "icc", "mean",
              "difference", "sensitivity", "specificity", "proportion", "rate")


def _p_column(name: str) -> bool:
    return (name in ("p", "p_value", "pvalue", "global_p") or name.endswith("_p") or name.startswith("p_")
            or "_p_" in name)


def _former_name(new: str) -> property:
    """A read-only attribute that answers with field ``new`` (a renamed field's former name)."""

    def get(self: Any) -> Any:
        return getattr(self, new)

    return property(get, doc=f"The former name of ``{new}`` (kept readable).")


@dataclasses.dataclass(frozen=True)
class Result:
    """Base class of every analysis result (a frozen dataclass).

    Results compare by value, are not hashable, hold read-only arrays, print
    as one short line and have :meth:`summary` (see the module docstring).
    """

    #: field -> the key :meth:`to_dict` writes it under, for a field renamed by
    #: the naming pass (``p_value`` -> ``p``, ``level`` -> ``conf_level``) whose
    #: key ``results.json`` had already published (a contract); the former name
    #: also stays readable as an attribute.  See docs/naming.rst.
    _published_keys: ClassVar[Mapping[str, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Runs before the subclass's @dataclass decorator: an attribute already
        # in the class dict is one the decorator leaves alone.
        for name in ("__eq__", "__hash__", "__repr__"):
            if name not in cls.__dict__:
                setattr(cls, name, Result.__dict__[name])
        for new, old in cls.__dict__.get("_published_keys", {}).items():
            if old not in cls.__dict__:
                setattr(cls, old, _former_name(new))

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, np.ndarray) and value.flags.writeable:
                if not value.flags.owndata:
                    # a view of someone else's array: keep theirs writable
                    value = value.copy()
                    object.__setattr__(self, f.name, value)
                value.flags.writeable = False

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return all(values_equal(getattr(self, f.name), getattr(other, f.name)) for f in dataclasses.fields(self))

    def __hash__(self) -> int:
        raise TypeError(f"unhashable type: '{type(self).__name__}' (results compare by value; "
                        "use result.to_dict() as a key)")

    def __repr__(self) -> str:
        parts = []
        for f in dataclasses.fields(self):
            if not f.repr:
                continue
            text = _short(getattr(self, f.name))
            if text is not None:
                parts.append(f"{f.name}={text}")
        shown = parts[:8] + (["..."] if len(parts) > 8 else [])
        return f"{type(self).__name__}({', '.join(shown)})"

    def summary(self, digits: int = 3) -> pd.DataFrame:
        """:meth:`to_frame` formatted for reading: every cell a string.

        p-values as the report writes them (``"p = 0.042"``, ``"p < 0.001"``),
        an ``x``/``x_lower``/``x_upper`` (or ``lower``/``upper``) trio as one
        ``"x (lower–upper)"`` column, other numbers with ``digits`` decimals,
        counts as whole numbers, negative numbers with a true minus (U+2212).
        """
        from spinestats.reports.formatting import MISSING, fmt_number, format_ci, format_p  # presentation hook

        frame = self.to_frame()
        cols = list(frame.columns)
        out = pd.DataFrame(index=frame.index)
        used: set[str] = set()
        for c in cols:
            if c in used:
                continue
            name = str(c)
            lo, hi = (f"{name}_lower", f"{name}_upper")
            if lo not in cols:
                lo, hi = ("lower", "upper") if name in _CI_OWNERS else (lo, hi)
            if lo in cols and hi in cols and lo not in used:
                out[f"{name} (CI)"] = [
                    _minus(format_ci(_num(e), _num(a), _num(b), digits=digits))
                    for e, a, b in zip(frame[c], frame[lo], frame[hi])
                ]
                used.update({c, lo, hi})
                continue
            used.add(c)
            series = frame[c]
            if _p_column(name) and pd.api.types.is_numeric_dtype(series):
                out[name] = [format_p(_num(v)) for v in series]
            elif pd.api.types.is_bool_dtype(series):
                out[name] = ["yes" if v else "no" for v in series]
            elif pd.api.types.is_integer_dtype(series):
                out[name] = [_minus(str(int(v))) for v in series]
            elif pd.api.types.is_float_dtype(series):
                out[name] = [_minus(fmt_number(_num(v), digits)) for v in series]
            else:
                out[name] = [MISSING if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)
                             for v in series]
        return out

    def _repr_html_(self) -> str:
        """The :meth:`summary` table as HTML (cells escaped), for Jupyter."""
        import html

        table = self.summary().to_html(index=False, escape=True, border=0)
        return f"<p><b>{html.escape(type(self).__name__)}</b></p>\n{table}"

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-safe dictionary of every field (renamed fields under their published key)."""
        keys = self._published_keys
        return {keys.get(f.name, f.name): to_jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}

    def to_dict_subset(self, keys: Iterable[str]) -> dict[str, Any]:
        """The entries of :meth:`to_dict` named by ``keys``, in its order, for a caller that reports a few.

        With the base :meth:`to_dict` only those fields are converted (a per-patient table the caller
        does not report is then not converted at all); a subclass with its own :meth:`to_dict` is
        converted whole and cut.  A key :meth:`to_dict` does not have raises ``KeyError``.
        """
        wanted = set(keys)
        if type(self).to_dict is Result.to_dict:
            published = self._published_keys
            named = [(published.get(f.name, f.name), f.name) for f in dataclasses.fields(self)]
            have = {key for key, _ in named}
        else:
            full = self.to_dict()
            have = set(full)
        unknown = wanted - have
        if unknown:
            raise KeyError(f"{type(self).__name__}.to_dict() has no key {', '.join(sorted(unknown))}")
        if type(self).to_dict is Result.to_dict:
            return {key: to_jsonable(getattr(self, name)) for key, name in named if key in wanted}
        return {key: value for key, value in full.items() if key in wanted}

    def to_frame(self) -> pd.DataFrame:
        """One-row table of the scalar fields (override for tabular results)."""
        row = {
            k: v
            for k, v in self.to_dict().items()
            if v is None or isinstance(v, (int, float, str, bool))
        }
        return pd.DataFrame([row])


def _minus(text: str) -> str:
    """Typographic minus sign (U+2212) in a formatted number."""
    return text.replace("-", "\u2212")


def _num(value: Any) -> float | None:
    if value is None or value is pd.NA:
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None

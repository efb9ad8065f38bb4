"""Checks of the options a caller passes to a public function.

A wrong option is a :class:`~spinestats.errors.UsageError` (exit code 2 on
the command line), not invalid data.  The message names the *Python*
parameter (``conf_level``, ``time=``) and what it accepts; the command line
maps parameters to its own flags at its edge.
"""

from __future__ import annotations

import difflib
import math
import numbers
from collections.abc import Iterable, Sequence
from typing import Any

from spinestats.errors import UsageError


def check_conf_level(value: Any, name: str = "conf_level") -> float:
    """Return ``value`` as a float in (0, 1) or raise :class:`UsageError`.

    >>> check_conf_level(0.9)
    0.9
    >>> check_conf_level("95%")
    Traceback (most recent call last):
    ...
    spinestats.errors.UsageError: conf_level must be a number in (0, 1); got '95%'
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise UsageError(f"{name} must be a number in (0, 1); got {value!r}")
    level = float(value)
    if not (math.isfinite(level) and 0.0 < level < 1.0):
        hint = f" (did you mean {level / 100:g}?)" if 1.0 < level < 100.0 else ""
        raise UsageError(f"{name} must be a number in (0, 1); got {value!r}{hint}")
    return level


def check_number(value: Any, name: str, *, low: float | None = None, high: float | None = None,
                 integer: bool = False, open_low: bool = False, open_high: bool = False) -> Any:
    """Return ``value`` if it is a (whole, with ``integer``) number in ``[low, high]``, else raise :class:`UsageError`.

    A whole number comes back as an ``int``.  ``open_low``/``open_high`` exclude the bound itself
    (``(low, high)``).  The message names the parameter and the accepted range.

    >>> check_number(2, "m", low=1, integer=True)
    2
    >>> check_number("0.5", "rho", low=0)
    Traceback (most recent call last):
    ...
    spinestats.errors.UsageError: rho must be a number >= 0; got '0.5'
    >>> check_number(2.5, "m", low=1, integer=True)
    Traceback (most recent call last):
    ...
    spinestats.errors.UsageError: m must be a whole number >= 1; got 2.5
    >>> check_number(0.5, "auc", low=0.5, high=1, open_low=True, open_high=True)
    Traceback (most recent call last):
    ...
    spinestats.errors.UsageError: auc must be a number in (0.5, 1); got 0.5
    """
    kind = "a whole number" if integer else "a number"
    if low is not None and high is not None:
        want = f"{kind} in {'(' if open_low else '['}{low:g}, {high:g}{')' if open_high else ']'}"
    elif low is not None:
        want = f"{kind} {'>' if open_low else '>='} {low:g}"
    elif high is not None:
        want = f"{kind} {'<' if open_high else '<='} {high:g}"
    else:
        want = kind
    ok = not isinstance(value, bool) and isinstance(value, numbers.Real) and math.isfinite(float(value))
    if ok and integer:
        ok = float(value) == int(value)
    if ok:
        ok = (low is None or (value > low if open_low else value >= low)) and \
             (high is None or (value < high if open_high else value <= high))
    if not ok:
        raise UsageError(f"{name} must be {want}; got {value!r}")
    return int(value) if integer else value


def conf_level_or_alias(conf_level: Any, level: Any = None) -> float:
    """``conf_level`` checked, or its R-style alias ``level`` when only that is given.

    >>> conf_level_or_alias(0.95, level=0.9)
    0.9
    """
    if level is not None:
        if conf_level != 0.95:
            raise UsageError("give conf_level or its alias level, not both")
        return check_conf_level(level, "level")
    return check_conf_level(conf_level)


def check_choice(value: Any, allowed: Iterable[Any], name: str) -> Any:
    """Return ``value`` if it is one of ``allowed``, else raise :class:`UsageError`.

    >>> check_choice("log", ("plain", "log", "log-log"), "conf_type")
    'log'
    >>> check_choice("lg", ("plain", "log", "log-log"), "conf_type")
    Traceback (most recent call last):
    ...
    spinestats.errors.UsageError: conf_type must be one of 'plain', 'log', 'log-log'; got 'lg' (did you mean 'log'?)
    """
    options = tuple(allowed)
    try:
        ok = value in options
    except TypeError:
        ok = False
    if ok:
        return value
    listed = ", ".join(repr(o) for o in options)
    raise UsageError(f"{name} must be one of {listed}; got {value!r}{_closest(value, options)}")


def check_column(frame: Any, name: Any, param: str, *, flag: str | None = None) -> str:
    """Return ``name`` if it is a column of ``frame``, else raise :class:`UsageError`.

    The message names the parameter the column was given for (``time=``; the
    command line passes its own ``flag``, e.g. ``"--time"``) and the closest
    existing column name, or lists the columns when none is close.  The one
    check of a column name for the Python API and the command line.

    >>> import pandas as pd
    >>> check_column(pd.DataFrame({"time": [1.0]}), "tme", "time")
    Traceback (most recent call last):
    ...
    spinestats.errors.UsageError: column 'tme' (time=) not in the data; did you mean 'time'?
    >>> check_column(pd.DataFrame({"time": [1.0]}), "tme", "time", flag="--time")
    Traceback (most recent call last):
    ...
    spinestats.errors.UsageError: column 'tme' (--time) not in the data; did you mean 'time'?
    """
    columns = [c for c in getattr(frame, "columns", ())]
    label = flag if flag is not None else f"{param}="
    if not isinstance(name, str) and not _hashable(name):
        raise UsageError(f"{label} must be a column name; got {name!r}")
    if name in columns:
        return name
    near = _closest_column(str(name), [str(c) for c in columns])
    if near is not None:
        hint = f"; did you mean {near!r}?"
    else:
        shown = ", ".join(repr(str(c)) for c in columns[:12]) + (", ..." if len(columns) > 12 else "")
        hint = f"; the columns are {shown}" if columns else "; the data have no columns"
    raise UsageError(f"column {name!r} ({label}) not in the data{hint}")


def _closest_column(name: str, columns: Sequence[str]) -> str | None:
    """The column ``name`` most likely meant: same letters in another case, else the closest spelling.

    >>> _closest_column("DSS", ["dss", "size_cm"]), _closest_column("tme", ["time", "event"])
    ('dss', 'time')
    """
    folded = {c.casefold(): c for c in reversed(columns)}
    if name.casefold() in folded:
        return folded[name.casefold()]
    near = difflib.get_close_matches(name.casefold(), list(folded), n=1, cutoff=0.5)
    return folded[near[0]] if near else None


def check_columns(frame: Any, names: Sequence[Any] | None, param: str, *, flag: str | None = None) -> list:
    """:func:`check_column` for each name of a list parameter (``covariates=``)."""
    if names is None:
        return []
    if isinstance(names, str):
        raise UsageError(f"{param}= must be a list of column names; got the string {names!r} (write [{names!r}])")
    return [check_column(frame, n, param, flag=flag) for n in names]


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _closest(value: Any, options: Sequence[Any]) -> str:
    texts = [o for o in options if isinstance(o, str)]
    if not isinstance(value, str) or not texts:
        return ""
    near = difflib.get_close_matches(value, texts, n=1, cutoff=0.6)
    return f" (did you mean {near[0]!r}?)" if near else ""


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


def check_column(frame: Any, name: Any, param: str) -> str:
    """Return ``name`` if it is a column of ``frame``, else raise :class:`UsageError`.

    The message names the parameter the column was given for and the closest
    existing column name.

    >>> import pandas as pd
    >>> check_column(pd.DataFrame({"time": [1.0]}), "tme", "time")
    Traceback (most recent call last):
    ...
    spinestats.errors.UsageError: column 'tme' (time=) not in the data; did you mean 'time'?
    """
    columns = [c for c in getattr(frame, "columns", ())]
    if not isinstance(name, str) and not _hashable(name):
        raise UsageError(f"{param}= must be a column name; got {name!r}")
    if name in columns:
        return name
    near = difflib.get_close_matches(str(name), [str(c) for c in columns], n=1, cutoff=0.6)
    if near:
        hint = f"; did you mean {near[0]!r}?"
    else:
        shown = ", ".join(repr(str(c)) for c in columns[:12]) + (", ..." if len(columns) > 12 else "")
        hint = f"; the columns are {shown}" if columns else "; the data have no columns"
    raise UsageError(f"column {name!r} ({param}=) not in the data{hint}")


def check_columns(frame: Any, names: Sequence[Any] | None, param: str) -> list:
    """:func:`check_column` for each name of a list parameter (``covariates=``)."""
    if names is None:
        return []
    if isinstance(names, str):
        raise UsageError(f"{param}= must be a list of column names; got the string {names!r} (write [{names!r}])")
    return [check_column(frame, n, param) for n in names]


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


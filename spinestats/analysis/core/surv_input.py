"""The one door for time-to-event input: checks and arrays for every estimator.

Every survival and competing-risk function of spinestats (Kaplan-Meier,
log-rank, Cox, cumulative incidence, Gray's test, Fine-Gray) and every
validation measure (concordance, time-dependent AUC, Brier score,
calibration, decision curve) passes its DataFrame through :func:`event_data`,
so that every estimator refuses the same bad input with the same message.

Parse once: the estimators accept the :class:`EventData` that
:func:`event_data` returned in place of the DataFrame.  When it was built
with the same columns and options the estimator asks for, it is used as it
is (nothing is parsed again); otherwise its source table is checked afresh
for the columns asked for, so the result never depends on which was passed.

Rules
-----
* ``time`` must be numeric and >= 0 (a negative time is refused; a time of
  exactly 0 is kept, as R's ``survival`` and ``cmprsk`` keep it, and noted
  in ``warnings``).
* ``event`` holds integer codes (``censor`` for censored, any other declared
  code for an event) or booleans (``True`` = event of cause 1, ``False`` =
  censored).  A code outside ``causes`` (when declared) is refused.
* Rows with a missing value in a used column are left out *and counted*:
  their index labels are returned in ``excluded`` and a warning says how many.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence

import numpy as np
import pandas as pd

from spinestats.analysis.core.params import check_column
from spinestats.errors import DataError, UsageError

#: the keyword a role's column is given by
_PARAM = {"covariate": "covariates"}


@dataclasses.dataclass(frozen=True)
class EventData:
    """Checked arrays of a time-to-event table (rows with missing values removed).

    Attributes
    ----------
    time : float array, follow-up time (the caller's unit).
    status : int array of event codes (``censor`` = censored).
    group : group labels in the column's dtype (an object array of ``None`` when no group).
    entry : float array of delayed-entry times (zeros when not given).
    index : index labels of the rows kept; ``positions`` their row positions in ``data``.
    levels : the group order when the group column is categorical (its
        categories present, in order, as an R factor); None = sorted labels.
    excluded : index labels of the rows left out for missing values.
    warnings : plain-language notes (missing rows, zero times).
    source : the DataFrame it was built from (not copied); ``len()`` and
        ``columns`` are those of this table.
    spec : the columns and options it was built with (see :func:`event_data`).
    kept : per row of ``source``, whether it was kept (``None``: every row was).
    """

    time: np.ndarray
    status: np.ndarray
    group: np.ndarray
    entry: np.ndarray
    index: np.ndarray
    excluded: tuple
    warnings: tuple[str, ...]
    censor: int
    levels: tuple | None = None
    source: pd.DataFrame | None = dataclasses.field(default=None, repr=False, compare=False)
    spec: tuple = dataclasses.field(default=(), repr=False)
    kept: np.ndarray | None = dataclasses.field(default=None, repr=False, compare=False)

    @functools.cached_property
    def positions(self) -> np.ndarray:
        """Row positions in the source table of the rows kept (made when first asked for: most
        estimators never ask, and a million positions are 8 MB)."""
        return np.arange(self.time.size) if self.kept is None else np.flatnonzero(self.kept)

    @property
    def columns(self) -> pd.Index:
        """The columns of the source table."""
        return self.source.columns if self.source is not None else pd.Index([])

    def __len__(self) -> int:
        """Rows of the source table (kept and excluded)."""
        return len(self.source) if self.source is not None else len(self.time)

    @property
    def event(self) -> np.ndarray:
        """Boolean array: any event (status != censor)."""
        return self.status != self.censor


def _column(data: pd.DataFrame, name: str, role: str) -> pd.Series:
    if not isinstance(data, pd.DataFrame):
        raise UsageError(f"data: expected a pandas DataFrame, got {type(data).__name__}.")
    check_column(data, name, _PARAM.get(role, role))
    return data[name]


def event_data(
    data: pd.DataFrame | EventData,
    *,
    time: str,
    event: str,
    group: str | None = None,
    entry: str | None = None,
    censor: int = 0,
    causes: Sequence[int] | None = None,
    extra: Sequence[str] = (),
) -> EventData:
    """Check a time-to-event table and return its arrays.

    Parameters
    ----------
    data : one row per subject.
    time : column of follow-up times (>= 0).
    event : column of event codes (int) or event flags (bool).
    group : optional grouping column.
    entry : optional delayed-entry (left-truncation) time column; must be < time.
    censor : code meaning "censored".
    causes : the declared event codes; any other code (besides ``censor``) is an error.
    extra : further columns (covariates) whose missing values also exclude a row.

    ``data`` may be an :class:`EventData` already: built with the same
    arguments it is returned unchanged (parse once); otherwise its source
    table is checked for these arguments.

    Raises
    ------
    DataError : negative or non-numeric times, undeclared event codes,
        non-integer codes, entry >= time, or no rows left.

    Examples
    --------
    >>> d = pd.DataFrame({"t": [2.0, 3.0, 5.0], "e": [1, 0, 1]})
    >>> ed = event_data(d, time="t", event="e")
    >>> ed.time.tolist(), ed.status.tolist(), len(ed)
    ([2.0, 3.0, 5.0], [1, 0, 1], 3)
    >>> event_data(ed, time="t", event="e") is ed
    True
    """
    spec = _spec(time, event, group, entry, censor, causes, extra)
    if isinstance(data, EventData):
        if data.spec == spec:
            return data
        if data.source is None:
            raise UsageError("this EventData has no source table; pass the DataFrame instead.")
        data = data.source
    return _parse(data, time=time, event=event, group=group, entry=entry, censor=censor, causes=causes, extra=extra,
                  spec=spec)


def _missing(data: pd.DataFrame, cols: Sequence[str]) -> np.ndarray:
    """Per row, whether any of ``cols`` is missing (``data[cols].isna().any(axis=1)``); a column of a NumPy
    integer or boolean type, which cannot hold a missing value, is not looked at."""
    found = np.zeros(len(data), dtype=bool)
    for c in dict.fromkeys(cols):
        col = data[c]
        if isinstance(col, pd.DataFrame):  # a name two columns share
            found |= col.isna().any(axis=1).to_numpy()
        elif not (isinstance(col.dtype, np.dtype) and col.dtype.kind in "iub"):
            found |= col.isna().to_numpy()
    return found


def _parse(data: pd.DataFrame, *, time: str, event: str, group: str | None, entry: str | None, censor: int,
           causes: Sequence[int] | None, extra: Sequence[str], spec: tuple) -> EventData:
    """The checks and arrays of :func:`event_data` (every call of this is one parse of a table)."""
    t_col = _column(data, time, "time")
    e_col = _column(data, event, "event")
    cols = [time, event]
    if group is not None:
        _column(data, group, "group")
        cols.append(group)
    if entry is not None:
        _column(data, entry, "entry")
        cols.append(entry)
    for c in extra:
        _column(data, c, "covariate")
        cols.append(c)
    missing = _missing(data, cols)
    excluded = tuple(data.index[missing])
    warnings: list[str] = []
    if missing.any():
        warnings.append(
            f"{int(missing.sum())} row(s) left out for a missing value in {', '.join(cols)} "
            f"(index {', '.join(map(str, excluded[:10]))}{' ...' if len(excluded) > 10 else ''})."
        )
    keep = ~missing
    every = bool(keep.all())  # nothing left out: whole columns, no boolean indexing (a copy each)

    def kept(values: np.ndarray) -> np.ndarray:
        return values if every else values[keep]

    if not keep.any():
        raise DataError(f"no rows left to analyse: every row misses a value in {', '.join(cols)}.")

    if not pd.api.types.is_numeric_dtype(t_col) or pd.api.types.is_bool_dtype(t_col):
        raise DataError(f"time column '{time}': expected numbers, got dtype {t_col.dtype}.")
    t = kept(t_col.to_numpy()).astype(float)
    if not np.all(np.isfinite(t)):
        raise DataError(f"time column '{time}': expected finite numbers, found infinity.")
    neg = np.flatnonzero(t < 0)
    if neg.size:
        labels = data.index[keep][neg]
        raise DataError(
            f"time column '{time}': expected times >= 0, found {neg.size} negative value(s) "
            f"(index {', '.join(map(str, labels[:10]))}); check the dates or the time origin."
        )
    if np.any(t == 0):
        warnings.append(
            f"{int(np.sum(t == 0))} row(s) have time 0; they are kept (as R does) and count at time 0."
        )

    e_raw = kept(e_col.to_numpy())
    if pd.api.types.is_bool_dtype(e_col) or e_col.dtype == object and all(
        isinstance(v, (bool, np.bool_)) for v in e_raw
    ):
        status = np.where(e_raw.astype(bool), 1 if censor != 1 else 2, censor).astype(int)
    else:
        if not pd.api.types.is_numeric_dtype(e_col):
            raise DataError(
                f"event column '{event}': expected integer codes or true/false, got dtype {e_col.dtype}."
            )
        if pd.api.types.is_integer_dtype(e_col):  # integer codes by construction
            status = e_raw.astype(int)
        else:
            ef = e_raw.astype(float)
            if np.any(ef != np.round(ef)):
                bad = sorted(set(ef[ef != np.round(ef)].tolist()))[:5]
                raise DataError(f"event column '{event}': expected integer codes, found {bad}.")
            status = ef.astype(int)
    if causes is not None:
        allowed = set(int(c) for c in causes) | {int(censor)}
        bad_codes = sorted(set(status.tolist()) - allowed)
        if bad_codes:
            raise DataError(
                f"event column '{event}': found code(s) {bad_codes} outside the declared set "
                f"{sorted(allowed)} (censor = {censor}); declare them with --event-codes or fix the data."
            )

    g = kept(data[group].to_numpy()) if group is not None else np.full(int(keep.sum()), None, dtype=object)
    levels = None
    if group is not None and isinstance(data[group].dtype, pd.CategoricalDtype):
        present = set(pd.unique(g))
        levels = tuple(c for c in data[group].cat.categories if c in present)
        g = np.asarray(g, dtype=object)
    if entry is not None:
        en = kept(data[entry].to_numpy()).astype(float)
        bad = np.flatnonzero(en >= t)
        if bad.size:
            labels = data.index[keep][bad]
            raise DataError(
                f"entry column '{entry}': expected entry < time, found {bad.size} row(s) with entry >= time "
                f"(index {', '.join(map(str, labels[:10]))})."
            )
        if np.any(en < 0):
            raise DataError(f"entry column '{entry}': expected entry times >= 0.")
    else:
        en = np.zeros(t.size)  # (zero pages the system maps when first read, not written here)
    return EventData(
        time=t,
        status=status,
        group=np.asarray(g),
        entry=en,
        index=data.index.to_numpy() if every else data.index[keep].to_numpy(),
        excluded=excluded,
        warnings=tuple(warnings),
        censor=int(censor),
        levels=levels,
        source=data,
        spec=spec,
        kept=None if every else keep,
    )


#: what an estimator accepts as time-to-event input: the table, or its checked arrays
SurvInput = pd.DataFrame | EventData


def _spec(time, event, group, entry, censor, causes, extra) -> tuple:
    return (time, event, group, entry, int(censor), None if causes is None else tuple(int(c) for c in causes),
            tuple(extra))


def as_frame(data: pd.DataFrame | EventData) -> pd.DataFrame:
    """The DataFrame behind ``data`` (an :class:`EventData`'s source table, or ``data`` itself)."""
    if isinstance(data, EventData):
        if data.source is None:
            raise UsageError("this EventData has no source table; pass the DataFrame instead.")
        return data.source
    return data


def group_levels(group: np.ndarray) -> list:
    """Sorted distinct group labels (``[None]`` when ungrouped), as R's factor levels."""
    if len(group) and group.dtype == object and group[0] is None and all(g is None for g in group):
        return [None]
    if group.dtype.kind in "iu" and group.size:
        lo, hi = int(group.min()), int(group.max())
        if hi - lo <= 32:  # a few integer codes (0/1, arms 1-4): the lowest and highest are present, the others
            # are looked for (no hashing of the rows; two codes need no look at all)
            return [v for v in range(lo, hi + 1) if v in (lo, hi) or bool(np.any(group == v))]
    levels = pd.unique(group)
    try:
        return sorted(levels.tolist())
    except TypeError:
        return sorted(levels.tolist(), key=str)


def design_matrix(data: pd.DataFrame, covariates: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Numeric design matrix of ``covariates`` as R's ``model.matrix`` (no intercept).

    Numeric columns enter as they are; boolean columns as 0/1 (term
    ``nameTRUE``, as R names them); text or categorical columns as treatment
    (dummy) contrasts against their first level in sorted order (terms
    ``name<level>``, as R).  A constant column is refused: it carries no
    information and its coefficient is not identifiable.
    """
    if isinstance(covariates, str):
        raise UsageError(f"covariates: expected a list of column names, got the string {covariates!r}; use [{covariates!r}].")
    blocks, names = [], []
    for c in covariates:
        col = _column(data, c, "covariate")
        if pd.api.types.is_bool_dtype(col):
            blocks.append(col.to_numpy().astype(float)[:, None])
            names.append(f"{c}TRUE")
        elif pd.api.types.is_numeric_dtype(col):
            blocks.append(col.to_numpy().astype(float)[:, None])
            names.append(c)
        else:
            levels = group_levels(col.dropna().to_numpy())
            if isinstance(col.dtype, pd.CategoricalDtype):
                present = set(col.dropna())
                levels = [lv for lv in col.cat.categories if lv in present]
            vals = col.to_numpy()
            missing = pd.isna(vals)  # once per column, not per level
            for lev in levels[1:]:
                blocks.append(np.where(missing, np.nan, (vals == lev).astype(float))[:, None])
                names.append(f"{c}{lev}")
            if len(levels) < 2:
                raise DataError(
                    f"covariate '{c}' is constant (only level {levels[0]!r}); it carries no information. Remove it."
                )
    X = np.hstack(blocks) if blocks else np.zeros((len(data), 0))
    return X, names


def check_constant(X: np.ndarray, names: Sequence[str]) -> None:
    """Refuse a design column that is constant among the analysed rows."""
    for j, name in enumerate(names):
        col = X[:, j]
        if col.size and np.all(col == col[0]):
            raise DataError(
                f"covariate '{name}' is constant (every analysed row is {col[0]:g}); its coefficient is not "
                "identifiable (R's coxph reports NA). Remove it from the model."
            )


def unique_inverse(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct values and each element's index into them (``np.unique(..., return_inverse=True)``).

    Hash-based (``pandas.factorize``), so linear in ``len(x)`` plus a sort of
    the distinct values only: much faster than a full sort for large data.
    """
    x = np.asarray(x)
    if x.dtype.kind == "f" and x.size > 1000:
        # whole-number times (days, months) over a range not much wider than the data: count them
        # with np.bincount, linear with a small constant and no hashing (same result as below).  One
        # array of the data's length is made (the codes, shifted and ranked in place): in a fresh
        # Python session each further one is memory the system zeroes and maps again at every call
        lo, hi = np.min(x), np.max(x)
        if (np.isfinite(lo) and np.isfinite(hi) and hi - lo <= 4 * x.size and lo == np.floor(lo)
                and -2.0**62 < lo and hi < 2.0**62):  # (whole numbers that fit the codes' integer type)
            k = x.astype(np.intp)
            if np.array_equal(k, x):  # whole numbers (compared in NumPy's buffers, no float copy of k)
                if lo:
                    k -= np.intp(lo)
                present = np.bincount(k, minlength=int(hi - lo) + 1) > 0
                rank = np.cumsum(present) - 1
                np.take(rank, k, out=k, mode="clip")  # (codes in range; "raise" would buffer a copy of k)
                return np.flatnonzero(present) + lo, k
    codes, uniques = pd.factorize(x, sort=True)
    return np.asarray(uniques), codes.astype(np.intp)


def time_group_counts(time: np.ndarray, event: np.ndarray, gcode: np.ndarray | None,
                      ng: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct times of all rows and, per (time, group), the rows that exit and those that have an
    event: ``(times, exits, events)``, the last two ``len(times)`` x ``ng`` integer arrays, counted in
    one pass of the rows (``gcode``: each row's group code, ``None`` for one group).

    One count of (time, group, event) cells, computed in place on the time codes, instead of a count
    of exits and a count of events, or of a copy of the event rows: in a fresh Python session every
    array of the rows' length is memory the system zeroes and maps again at each call.
    """
    ut, cell = unique_inverse(time)
    if gcode is not None and ng > 1:
        cell *= ng
        cell += gcode
    cell *= 2
    cell += event
    cells = np.bincount(cell, minlength=ut.size * ng * 2).reshape(ut.size, ng, 2)
    return ut, cells.sum(axis=2), cells[:, :, 1]


def group_codes(group: np.ndarray, levels: Sequence | None = None) -> tuple[list, np.ndarray]:
    """Group levels (``levels``, or sorted as :func:`group_levels`) and each row's integer code, in the
    smallest signed integer type that holds the codes (int8 for up to 127 groups: a million rows'
    codes are then 1 MB, not 8)."""
    levels = list(levels) if levels is not None else group_levels(group)
    kind = np.int8 if len(levels) < 127 else np.int16 if len(levels) < 32767 else np.intp
    if levels == [None]:
        return levels, np.zeros(len(group), kind)
    group = np.asarray(group)
    if group.dtype.kind in "iu" and group.size and all(isinstance(v, (int, np.integer)) for v in levels):
        lo, hi = int(group.min()), int(group.max())
        if hi - lo <= 4 * len(levels) + 64 and all(lo <= int(v) <= hi for v in levels):
            lut = np.full(hi - lo + 1, -1, dtype=kind)  # a look-up table instead of hashing every row
            lut[np.asarray(levels, dtype=np.int64) - lo] = np.arange(len(levels))
            codes = lut[group] if lo == 0 else lut[group.astype(np.int64) - lo]
            if lut.min() >= 0 or not np.any(codes < 0):
                return levels, codes
    codes, uniques = pd.factorize(group)
    pos = {lev: i for i, lev in enumerate(levels)}
    remap = np.array([pos[u] for u in uniques], dtype=kind)
    return levels, remap[codes]

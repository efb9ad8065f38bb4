"""Column mode: the columns a command is told to use, checked cell by cell.

``spinestats survival FILE --time COL --event COL`` and ``spinestats
accuracy FILE --score COL --truth COL`` read any table (no schema), so the
checks a schema would make are made here, before any estimator runs, and
every problem names the file, the spreadsheet line, the column, the value
and what was expected, all of them at once.

Time and event (:func:`check_time_event`):

* a time must be a finite number >= 0 (text, ``inf``, ``1e400`` are refused);
* a time longer than :data:`MAX_YEARS` years in the declared unit is refused
  as implausible: 20240101 in a months column is a date typed as a number;
* an event must be an integer code (``1.5``, ``あり``, ``yes`` are refused,
  with the codes to write instead) and, when codes are declared
  (``--event-codes``), one of them.

Score and reference (:func:`check_score_truth`):

* a score must be a finite number;
* the reference column must hold the positive label and at most one other
  label: a third label (``maybe``) would otherwise be counted as negative.

Missing cells are not problems here: the analysis leaves those rows out and
counts them in its flow.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from spinestats.data_schemas.records import Problem
from spinestats.errors import DataError

#: longest plausible follow-up time
MAX_YEARS = 100
#: the unit's length in years
UNIT_YEARS = {"days": 1 / 365.25, "weeks": 7 / 365.25, "months": 1 / 12, "years": 1.0}
_WORDS_TRUE = {"あり", "有", "有り", "はい", "yes", "y", "true", "t", "checked"}
_WORDS_FALSE = {"なし", "無", "無し", "いいえ", "no", "n", "false", "f", "unchecked"}


def max_time(unit: str) -> float:
    """:data:`MAX_YEARS` expressed in ``unit``."""
    return MAX_YEARS / UNIT_YEARS[unit]


def _number(v: object) -> float | None:
    """The cell as a float, or None when it is not a number (bools are not numbers)."""
    if isinstance(v, (bool, np.bool_)):
        return None
    if isinstance(v, (int, float, np.integer, np.floating)):
        return float(v)
    try:
        return float(str(v).strip())
    except ValueError:
        return None


def _shown(v: object) -> object:
    """The cell as the file shows it: 20240101, not 20240101.0."""
    v = v.item() if isinstance(v, np.generic) else v
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return int(v)
    return v


def _cells(s: pd.Series):
    """(line, value) of every filled cell of ``s``, visiting each distinct value once."""
    filled = s[s.notna()]
    codes, uniques = pd.factorize(filled, use_na_sentinel=True)
    lines = filled.index.to_numpy()
    for k, u in enumerate(uniques):
        yield u, lines[codes == k]


def time_problems(data: pd.DataFrame, time: str, unit: str, file: str) -> list[Problem]:
    """Problems of the time column (empty when every filled cell is a plausible time)."""
    limit = max_time(unit)
    unit_words = f"{unit}" if unit in UNIT_YEARS else "the time unit"
    out: list[Problem] = []
    for value, lines in _cells(data[time]):
        x = _number(value)
        if x is None:
            rule, expected = "not a number", f"a follow-up time in {unit_words}: a number >= 0"
        elif not math.isfinite(x):
            rule, expected = "not a finite number", f"a follow-up time in {unit_words}: a finite number >= 0"
        elif x < 0:
            rule, expected = "negative time", "a time >= 0; check the dates or the time origin"
        elif x > limit:
            rule = "implausible time"
            expected = (f"a follow-up time of at most {MAX_YEARS} years ({limit:,.0f} {unit_words}; --unit "
                        f"declares the unit)")
            if 19000101 <= x <= 21001231 and float(x).is_integer():
                expected += f"; {x:.0f} looks like a date typed as a number (YYYYMMDD): give the time from start of treatment"
            elif x > 1e6:
                expected += "; a value this large is a date, an ID or a typing error"
        else:
            continue
        out += [Problem(file, int(line), time, _shown(value), rule, expected) for line in lines]
    return out


def event_problems(data: pd.DataFrame, event: str, file: str, allowed: list[int] | None,
                   censor: int) -> list[Problem]:
    """Problems of the event column: non-integer codes and, when ``allowed`` is given, undeclared ones."""
    col = data[event]
    if pd.api.types.is_bool_dtype(col):
        return []
    declared = sorted(set(allowed) | {censor}) if allowed is not None else None
    codes_text = ", ".join(map(str, declared)) if declared else f"{censor} = censored, 1 = event, 2 = competing event"
    out: list[Problem] = []
    for value, lines in _cells(col):
        x = _number(value)
        word = str(value).strip().lower()
        if x is None:
            rule = "not an event code"
            expected = f"an integer event code ({codes_text})"
            if word in _WORDS_TRUE or word in _WORDS_FALSE:
                expected += (f"; write 1 for {'/'.join(sorted(w for w in _WORDS_TRUE if not w.isascii()))}/yes and "
                             f"{censor} for {'/'.join(sorted(w for w in _WORDS_FALSE if not w.isascii()))}/no "
                             "(or give a cirt export with --schema cirt)")
        elif not math.isfinite(x) or not x.is_integer():
            rule, expected = "not an integer", f"an integer event code ({codes_text})"
        elif declared is not None and int(x) not in declared:
            rule = "undeclared event code"
            expected = f"one of the declared codes {codes_text} (--event-codes EVENT=1,COMPETING=2,CENSOR=0)"
        else:
            continue
        out += [Problem(file, int(line), event, _shown(value), rule, expected) for line in lines]
    return out


def score_truth_problems(data: pd.DataFrame, score: str, truth: str, positive: object, file: str) -> list[Problem]:
    """Problems of a score column (not a finite number) and a reference column (a third label)."""
    out: list[Problem] = []
    if score in data.columns and not pd.api.types.is_bool_dtype(data[score]):
        for value, lines in _cells(data[score]):
            x = _number(value)
            if x is not None and math.isfinite(x):
                continue
            rule = "not a number" if x is None else "not a finite number"
            out += [Problem(file, int(line), score, _shown(value), rule,
                            "a score: a finite number (higher = more likely positive)") for line in lines]
    if truth in data.columns:
        from spinestats.vocabulary import label_matches

        ref = data[truth]
        filled = ref.notna().to_numpy()
        pos = label_matches(ref, positive).to_numpy(dtype=bool) & filled
        others = ref[filled & ~pos]
        labels = [_shown(v) for v in pd.unique(others)]
        if len(labels) > 1 and pos.any():  # no positive at all: the analysis says so, listing the labels
            counts = others.map(_shown).value_counts()
            negative = counts.index[0]  # the most frequent other label is taken as the negative class
            expected = (f"the positive label {positive!r} or one negative label; the column holds "
                        f"{len(labels)} other labels ({', '.join(map(str, labels[:8]))}): recode them, or leave "
                        f"the cell empty if the reference is unknown")
            bad = others[others.map(_shown) != negative]
            out += [Problem(file, int(line), truth, _shown(v), "third reference label", expected)
                    for line, v in zip(bad.index, bad)]
    return out


def check_score_truth(data: pd.DataFrame, *, score: str, truth: str, positive: object, file: str = "data") -> None:
    """Raise :class:`DataError` listing every problem of the score and reference columns."""
    _raise(score_truth_problems(data, score, truth, positive, file), file, "score and reference")


def _raise(problems: list[Problem], file: str, what: str) -> None:
    if not problems:
        return
    from spinestats.data_schemas.loading import problems_message

    problems.sort(key=lambda p: (p.line or 0, p.column or ""))
    lines = len({p.line for p in problems})
    raise DataError(problems_message(
        problems, f"{file}: {len(problems)} problem{'s' if len(problems) != 1 else ''} on {lines} "
                  f"row{'s' if lines != 1 else ''} in the {what} columns:"), tuple(problems))


def check_time_event(data: pd.DataFrame, *, time: str, event: str, unit: str, file: str = "data",
                     allowed: list[int] | None = None, censor: int = 0) -> None:
    """Raise :class:`DataError` listing every problem of the time and event columns (sorted by line).

    Columns that are absent are left to the analysis (it names them as usage errors).
    """
    problems: list[Problem] = []
    if time in data.columns:
        problems += time_problems(data, time, unit, file)
    if event in data.columns:
        problems += event_problems(data, event, file, allowed, censor)
    _raise(problems, file, "time and event")

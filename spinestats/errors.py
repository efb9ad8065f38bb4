"""The project's exception types.

Every error a user can cause is a :class:`SpinestatsError` (a ``ValueError``)
whose message says what was expected, what arrived and where.  The command
line turns :class:`DataError` into exit code 1 and :class:`UsageError` into
exit code 2, and never shows a traceback for either.
"""

from __future__ import annotations


class SpinestatsError(ValueError):
    """Base class for errors caused by the user's data or request."""

    exit_code = 1


class DataError(SpinestatsError):
    """The data cannot be analysed as given (exit code 1).

    ``problems`` holds every problem found, so that all of them can be
    reported at once rather than one per run.
    """

    exit_code = 1

    def __init__(self, message: str, problems: tuple = ()) -> None:
        super().__init__(message)
        self.problems = tuple(problems)


class UsageError(SpinestatsError):
    """The request itself is wrong: unknown option, missing file (exit code 2)."""

    exit_code = 2

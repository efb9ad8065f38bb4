"""Formatting numbers for manuscripts: p-values, estimates with CIs, n (%).

Every number a table or the report shows as text goes through this module,
so one plan option (``output.style``) changes the convention everywhere.

Rounding is *half away from zero* on the decimal value as written by
``repr`` (``0.125 -> 0.13``), as a reader rounding by hand would do, not
Python's binary round-half-even (``round(0.125, 2) == 0.12``).

Conventions
-----------
p-values (``p_style``):

``"default"``
    ``p < 0.001`` below 0.001, otherwise three decimals (``p = 0.042``).
``"nejm"``
    two decimals from 0.01 up, three between 0.001 and 0.01, ``P<0.001``
    below (New England Journal of Medicine style).
``"apa"``
    no leading zero (``p < .001``, ``p = .042``), APA 7th edition.

Confidence intervals (``ci_style``):

``"dash"``
    ``0.83 (0.75–0.90)`` with an en dash; when a bound is negative the dash
    would read as a minus sign, so ``" to "`` is used instead.
``"to"``
    ``0.83 (0.75 to 0.90)`` (BMJ style).
``"bracket"``
    ``0.83 [0.75, 0.90]``.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

from spinestats.errors import UsageError

P_STYLES = ("default", "nejm", "apa")
CI_STYLES = ("dash", "to", "bracket")
EN_DASH = "\u2013"
MISSING = "\u2014"  # em dash for a value that is not available


def round_half_up(value: float, digits: int) -> float:
    """``value`` rounded to ``digits`` decimals, halves away from zero.

    Parameters
    ----------
    value : a finite number.
    digits : decimals to keep (may be negative: ``-1`` rounds to tens).
    """
    q = Decimal(1).scaleb(-int(digits))
    return float(Decimal(repr(float(value))).quantize(q, rounding=ROUND_HALF_UP))


def fmt_number(value: float | None, digits: int = 2) -> str:
    """``value`` with exactly ``digits`` decimals; an em dash when missing."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return MISSING
    d = max(int(digits), 0)
    out = f"{round_half_up(value, d):.{d}f}"
    return "0" + out[2:] if out.startswith("-0") and float(out) == 0 else out


def _check_style(style: str, allowed: tuple[str, ...], what: str) -> None:
    if style not in allowed:
        raise UsageError(f"{what} style {style!r} is not known; expected one of {', '.join(allowed)}.")


def format_p(p: float | None, style: str = "default", prefix: bool = True) -> str:
    """A p-value as text by the chosen convention.

    Parameters
    ----------
    p : the p-value in [0, 1]; ``None``/NaN gives an em dash.
    style : ``"default"``, ``"nejm"`` or ``"apa"`` (see the module docstring).
    prefix : include ``"p = "``/``"p < "`` (``False`` gives ``"0.042"``/``"<0.001"``).
    """
    _check_style(style, P_STYLES, "p-value")
    if p is None or not math.isfinite(float(p)):
        return MISSING
    p = float(p)
    if p < 0 or p > 1:
        raise ValueError(f"a p-value must lie in [0, 1], got {p}")
    letter = "P" if style == "nejm" else "p"
    if p < 0.001:
        op, bare = "<", ".001" if style == "apa" else "0.001"
    elif style == "nejm" and round_half_up(p, 2) >= 1:
        op, bare = ">", "0.99"
    else:
        digits = 2 if style == "nejm" and p >= 0.01 else 3
        op, bare = "=", fmt_number(max(round_half_up(p, digits), 0.001), digits)
        if style == "apa" and bare.startswith("0."):
            bare = bare[1:]
    if not prefix:
        return bare if op == "=" else op + bare
    if style == "nejm":
        return f"{letter}{op}{bare}"
    return f"{letter} {op} {bare}"


def format_ci(
    estimate: float | None,
    lower: float | None,
    upper: float | None,
    digits: int = 2,
    style: str = "dash",
) -> str:
    """An estimate with its confidence interval, e.g. ``"0.83 (0.75–0.90)"``.

    Parameters
    ----------
    estimate, lower, upper : the point estimate and the interval bounds.
    digits : decimals shown for all three numbers.
    style : ``"dash"``, ``"to"`` or ``"bracket"`` (see the module docstring).
    """
    _check_style(style, CI_STYLES, "CI")
    est = fmt_number(estimate, digits)
    if lower is None and upper is None:
        return est
    lo, hi = fmt_number(lower, digits), fmt_number(upper, digits)
    if style == "bracket":
        return f"{est} [{lo}, {hi}]"
    negative = any(v is not None and math.isfinite(v) and round_half_up(v, digits) < 0 for v in (lower, upper))
    sep = " to " if style == "to" or negative else EN_DASH
    return f"{est} ({lo}{sep}{hi})"


def format_percent(proportion: float | None, digits: int = 1) -> str:
    """A proportion (0-1) as a percentage, e.g. ``0.846 -> "84.6%"``."""
    if proportion is None or not math.isfinite(float(proportion)):
        return MISSING
    return f"{fmt_number(100.0 * float(proportion), digits)}%"


def format_n_percent(n: int, total: int, digits: int = 1) -> str:
    """A count with its percentage of ``total``, e.g. ``"18 (90.0%)"``."""
    if total <= 0:
        return f"{int(n)} ({MISSING})"
    return f"{int(n)} ({fmt_number(100.0 * n / total, digits)}%)"


def format_mean_sd(mean: float | None, sd: float | None, digits: int = 1) -> str:
    """Mean and standard deviation, e.g. ``"7.0 ± 2.3"``."""
    return f"{fmt_number(mean, digits)} \u00b1 {fmt_number(sd, digits)}"


def format_median_iqr(median: float | None, q1: float | None, q3: float | None, digits: int = 1) -> str:
    """Median and interquartile range, e.g. ``"5.5 [2.0, 6.0]"``."""
    return f"{fmt_number(median, digits)} [{fmt_number(q1, digits)}, {fmt_number(q3, digits)}]"

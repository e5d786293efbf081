"""Numbers into words for the board pack's readings: one place for rounding and markers.

Every number a reading quotes is a number the pack's tables publish, rounded as they
show it; a figure that is withheld or cannot be computed is said to be so.
"""

from __future__ import annotations

import math

import pandas as pd

from outcomes.disclosure import MARKER

NOT_AVAILABLE = "[x]"
"""GSS symbol for a figure that is not available (cannot be computed from these data)."""
NOT_APPLICABLE = "[z]"
"""GSS symbol for a figure that does not apply (e.g. an interval of a ratio that is 1
by construction)."""


def value(x: object) -> float | None:
    """A published cell as a float, or None when withheld or not available."""
    if x is None or isinstance(x, str):
        return None
    try:
        if pd.isna(x):  # type: ignore[call-overload]
            return None
    except (TypeError, ValueError):
        return None
    return float(x)  # type: ignore[arg-type]


def cell(x: object, withheld: bool = False, digits: int | None = 1) -> object:
    """What a table publishes: the value (rounded), ``[c]`` if withheld, else ``[x]``."""
    if withheld:
        return MARKER
    v = value(x)
    if v is None or not math.isfinite(v):
        return NOT_AVAILABLE
    if digits is None:
        return int(round(v))
    return round(v, digits)


def num(x: float, digits: int = 1) -> str:
    """``41.0 -> "41"``, ``40.63 -> "40.6"``: a rounded number without a trailing .0."""
    text = f"{x:,.{digits}f}"
    return text[:-2] if digits == 1 and text.endswith(".0") else text


def count(x: float) -> str:
    """A count with thousands separators."""
    return f"{int(round(x)):,}"


def compare(
    area: str,
    what: str,
    mine: float | None,
    national: float | None,
    unit: str,
    *,
    more: str,
    less: str,
) -> str:
    """``"X's average of 41 weeks is 3 weeks longer than the national 38"``.

    ``unit`` follows numbers (``" weeks"``, ``"%"``); ``more``/``less`` name the direction
    (``"longer"``/``"shorter"``, ``"points higher"``/``"points lower"``).
    """
    if mine is None:
        return f"{area}'s {what} is not available (withheld or not computable)."
    if national is None:
        return f"{area}'s {what} is {num(mine)}{unit}; the national figure is not available."
    a, b = round(mine, 1), round(national, 1)
    diff = round(a - b, 1)
    if diff == 0:
        return f"{area}'s {what} of {num(a)}{unit} is the same as the national {num(b)}{unit}."
    word = more if diff > 0 else less
    gap_unit = unit if unit.startswith(" ") else " points"
    return (
        f"{area}'s {what} of {num(a)}{unit} is {num(abs(diff))}{gap_unit} {word} "
        f"than the national {num(b)}{unit}."
    )

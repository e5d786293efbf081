"""Vectorised date parsing that refuses to guess day/month order silently.

Accepted forms: ISO 8601 (``2015-04-01``, with or without a time), UK day-first
numeric dates (``01/04/2015``, ``1-4-2015``, ``01.04.2015``) and dates with a month
name (``1 Apr 2015``, ``01-April-2015``).

Day/month order. UK data are day-first, so ``03/04/2015`` is 3 April. A value whose
second field exceeds 12 (``04/13/2015``) cannot be day-first; it is reported as
``ambiguous_date``. Once a column holds any such month-first value, every value in it
whose day and month are both 12 or less (and differ) is ambiguous too, and is
reported rather than read either way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

_NUMERIC = r"^(?P<a>\d{1,2})[/.\-](?P<b>\d{1,2})[/.\-](?P<y>\d{2,4})$"
_NAMED = r"^(?P<d>\d{1,2})(?:st|nd|rd|th)?[\s\-/]+(?P<mon>[A-Za-z]{3,9})[\s\-/,]+(?P<y>\d{4})$"
_MONTHS = {
    name: i
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
MIN_YEAR = 1900
MAX_YEAR = 2100


@dataclass
class ParsedDates:
    """Result of :func:`parse_dates`.

    Attributes
    ----------
    values : Series of datetime64[ns]
        Parsed dates; NaT where missing or rejected.
    reason : ndarray of object
        ``None``, ``"unparseable_date"`` or ``"ambiguous_date"`` per value.
    detail : ndarray of object
        A short explanation where ``reason`` is set.
    """

    values: pd.Series
    reason: np.ndarray
    detail: np.ndarray


def parse_dates(raw: pd.Series) -> ParsedDates:
    """Parse a column of date strings; see the module docstring for the rules.

    Parameters
    ----------
    raw : Series of str
        Stripped strings, missing values as NA.
    """
    n = len(raw)
    reason = np.full(n, None, dtype=object)
    detail = np.full(n, None, dtype=object)
    present = raw.notna().to_numpy()
    values = pd.to_datetime(raw, format="ISO8601", errors="coerce")
    # ISO values outside a plausible range are typos, not dates.
    years = values.dt.year.to_numpy()
    out_of_range = values.notna().to_numpy() & ((years < MIN_YEAR) | (years > MAX_YEAR))
    dates = values.dt.normalize().to_numpy(dtype="datetime64[ns]", copy=True)
    dates[out_of_range] = np.datetime64("NaT")
    reason[out_of_range] = "unparseable_date"
    detail[out_of_range] = f"year outside {MIN_YEAR}-{MAX_YEAR}"

    todo = present & np.isnat(dates) & ~out_of_range
    if todo.any():
        parsed, why, what = _parse_non_iso(raw[todo])
        dates[todo] = parsed.to_numpy(dtype="datetime64[ns]")
        reason[todo] = why
        detail[todo] = what
    return ParsedDates(values=pd.Series(dates, index=raw.index), reason=reason, detail=detail)


def _parse_non_iso(rest: pd.Series) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Parse values that are not ISO: numeric day-first or with a month name."""
    m = len(rest)
    why = np.full(m, "unparseable_date", dtype=object)
    what = np.full(m, "not a recognised date", dtype=object)
    day = np.zeros(m, dtype=np.int64)
    month = np.zeros(m, dtype=np.int64)
    year = np.zeros(m, dtype=np.int64)
    ok = np.zeros(m, dtype=bool)

    num = rest.str.extract(_NUMERIC)
    is_num = num["a"].notna().to_numpy()
    if is_num.any():
        a = num["a"].to_numpy()[is_num].astype(np.int64)
        b = num["b"].to_numpy()[is_num].astype(np.int64)
        ytxt = num["y"].to_numpy()[is_num].astype(str)
        y = ytxt.astype(np.int64)
        short_year = np.char.str_len(ytxt) != 4
        month_first = (b > 12) & (a <= 12)
        column_mixes = bool(month_first.any())
        both_small = (a <= 12) & (b <= 12) & (a != b)
        ambiguous = month_first | (both_small & column_mixes)
        good = ~short_year & ~ambiguous & (b <= 12)
        sel = np.flatnonzero(is_num)
        day[sel], month[sel], year[sel] = a, b, y
        ok[sel] = good
        what[sel[short_year]] = "two-digit year"
        why[sel[ambiguous & ~short_year]] = "ambiguous_date"
        what[sel[month_first & ~short_year]] = (
            "month-first date: cannot be UK day-first (DD/MM/YYYY)"
        )
        what[sel[both_small & column_mixes & ~short_year]] = (
            "day and month could be either way round: the column also holds month-first dates"
        )

    named = rest.str.extract(_NAMED)
    is_named = named["d"].notna().to_numpy() & ~is_num
    if is_named.any():
        sel = np.flatnonzero(is_named)
        mon = named["mon"].str.lower().map(_MONTHS).to_numpy()[is_named]
        known = ~pd.isna(mon)
        day[sel] = named["d"].to_numpy()[is_named].astype(np.int64)
        month[sel[known]] = mon[known].astype(np.int64)
        year[sel] = named["y"].to_numpy()[is_named].astype(np.int64)
        ok[sel] = known

    in_range = (year >= MIN_YEAR) & (year <= MAX_YEAR)
    what[ok & ~in_range] = f"year outside {MIN_YEAR}-{MAX_YEAR}"
    ok &= in_range
    parsed = pd.Series(pd.NaT, index=rest.index, dtype="datetime64[ns]")
    if ok.any():
        built = pd.to_datetime(
            pd.DataFrame({"year": year[ok], "month": month[ok], "day": day[ok]}),
            errors="coerce",
        )
        valid = built.notna().to_numpy()
        idx = np.flatnonzero(ok)
        parsed.iloc[idx[valid]] = built.to_numpy()[valid]
        what[idx[~valid]] = "no such day"
        ok[idx[~valid]] = False
    why[ok] = None
    what[ok] = None
    return parsed, why, what

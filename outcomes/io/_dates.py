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

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from outcomes.errors import SchemaError
from outcomes.io._arrow import arrow_text
from outcomes.schema import STRING_DTYPE

_TIME = r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)?)?"
"""A clock time, and a UTC offset, after a date: ignored (the date is as written)."""
_ISO = r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})" + _TIME + "$"
_COMPACT = r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$"
"""``YYYYMMDD``, as some databases export dates."""
_NUMERIC = r"^(?P<a>\d{1,2})[/.\-](?P<b>\d{1,2})[/.\-](?P<y>\d{2,4})" + _TIME + "$"
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
"""Bounds of any date read (1900-01-01 to 2100-12-31). Rows are then bounded above by
the extract date (``date_after_extract``)."""
EARLIEST_EXTRACT = pd.Timestamp("1990-01-01")
"""No extract of these records predates 1990 (the Children Act 1989 came into force in
1991); an earlier extract date is a typo."""


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

    The work is done by Arrow compute kernels, so a million values take a fraction of
    a second: the strict ISO form first, then the other forms for what is left.

    Parameters
    ----------
    raw : Series of str
        Stripped strings, missing values as NA.
    """
    n = len(raw)
    reason = np.full(n, None, dtype=object)
    detail = np.full(n, None, dtype=object)
    text = arrow_text(raw)
    present = text.is_valid().to_numpy(zero_copy_only=False)
    # Parsed at second resolution, where any year fits, and bounded before becoming
    # nanoseconds (whose range ends in 2262: a later year would wrap round silently).
    strict = pc.strptime(text, format="%Y-%m-%d", unit="s", error_is_null=True)
    # strptime rolls impossible days over (2015-02-30 -> 2015-03-02): keep a value only
    # if its day of month is the day written.
    canonical = pc.fill_null(pc.match_substring_regex(text, r"^\d{4}-\d{2}-\d{2}$"), False)
    day_text = pc.if_else(canonical, pc.utf8_slice_codeunits(text, 8, 10), "0")
    written_day = pc.cast(day_text, pa.int64())
    exact = pc.fill_null(pc.equal(pc.day(strict), written_day), False)
    year = pc.fill_null(pc.year(strict), 0)
    in_range = pc.and_(pc.greater_equal(year, MIN_YEAR), pc.less_equal(year, MAX_YEAR))
    out_of_range = pc.and_(exact, pc.invert(in_range)).to_numpy(zero_copy_only=False)
    exact = pc.and_(exact, in_range)
    dates = pc.if_else(exact, strict, pa.scalar(None, strict.type)).to_numpy(zero_copy_only=False)
    dates = dates.astype("datetime64[ns]")
    reason[out_of_range] = "unparseable_date"
    detail[out_of_range] = f"year outside {MIN_YEAR}-{MAX_YEAR}"
    todo = present & np.isnat(dates) & ~out_of_range
    if todo.any():
        idx = np.flatnonzero(todo)
        parsed, why, what = _parse_rest(text.take(pa.array(idx)))
        dates[idx] = parsed
        reason[idx] = why
        detail[idx] = what
    return ParsedDates(values=pd.Series(dates, index=raw.index), reason=reason, detail=detail)


def parse_extract_date(value: object, source: str) -> pd.Timestamp:
    """The extract date, read with the rules of :func:`parse_dates` and checked.

    Parameters
    ----------
    value : str, date, datetime or numpy datetime64
        As given (a TOML date, a string, a ``datetime.date``). A datetime counts as
        the calendar date written, whatever its time zone.
    source : str
        Where the value came from, for the message (a file, or an option).

    Raises
    ------
    SchemaError
        If it is not a date, or is not plausible: before :data:`EARLIEST_EXTRACT` or
        after today.
    """
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    if value is pd.NaT:
        value = None  # a missing date, not a day
    if isinstance(value, dt.datetime):
        day = pd.Timestamp(value.date())
    elif isinstance(value, dt.date):
        day = pd.Timestamp(value)
    elif isinstance(value, str) and value.strip():
        parsed = parse_dates(pd.Series([value.strip()], dtype=STRING_DTYPE))
        if parsed.reason[0] is not None:
            raise SchemaError(
                f"extract date {value!r} from {source} is not a date "
                f"({parsed.detail[0]}); write it as YYYY-MM-DD"
            )
        day = pd.Timestamp(parsed.values.iloc[0])
    else:
        raise SchemaError(
            f"extract date {value!r} from {source} is not a date; write it as YYYY-MM-DD"
        )
    today = pd.Timestamp(dt.date.today())
    if day < EARLIEST_EXTRACT or day > today:
        raise SchemaError(
            f"extract date {day:%Y-%m-%d} from {source} is implausible: it must lie between "
            f"{EARLIEST_EXTRACT:%Y-%m-%d} and today ({today:%Y-%m-%d})"
        )
    return day


def _ints(matches: pa.StructArray, name: str, valid: np.ndarray) -> np.ndarray:
    """An integer field of regex matches (0 where the row did not match)."""
    field = pc.if_else(
        pa.array(valid), matches.field(name), pa.scalar("0", matches.type[name].type)
    )
    return np.array(pc.cast(field, pa.int64()).to_numpy(zero_copy_only=False), copy=True)


def _parse_rest(rest: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse values that are not plain ISO dates: ISO with a time or offset, compact
    ``YYYYMMDD``, numeric day-first, or with a month name."""
    m = len(rest)
    why = np.full(m, "unparseable_date", dtype=object)
    what = np.full(m, "not a recognised date", dtype=object)
    day = np.zeros(m, dtype=np.int64)
    month = np.zeros(m, dtype=np.int64)
    year = np.zeros(m, dtype=np.int64)
    ok = np.zeros(m, dtype=bool)

    is_iso = np.zeros(m, dtype=bool)
    for pattern in (_ISO, _COMPACT):
        found = pc.extract_regex(rest, pattern)
        hit = found.is_valid().to_numpy(zero_copy_only=False) & ~is_iso
        if hit.any():
            sel = np.flatnonzero(hit)
            year[sel], month[sel], day[sel] = (_ints(found, k, hit)[sel] for k in "ymd")
            ok[sel] = True
            is_iso |= hit

    num = pc.extract_regex(rest, _NUMERIC)
    is_num = num.is_valid().to_numpy(zero_copy_only=False) & ~is_iso
    if is_num.any():
        a, b, y = (_ints(num, k, is_num) for k in ("a", "b", "y"))
        short_year = is_num & (pc.utf8_length(num.field("y")).to_numpy(zero_copy_only=False) != 4)
        month_first = is_num & (b > 12) & (a <= 12)
        column_mixes = bool(month_first.any())
        both_small = is_num & (a <= 12) & (b <= 12) & (a != b)
        ambiguous = (month_first | (both_small & column_mixes)) & ~short_year
        day = np.where(is_num, a, day)
        month = np.where(is_num, b, month)
        year = np.where(is_num, y, year)
        ok |= is_num & ~short_year & ~ambiguous & (b <= 12)
        what[short_year] = "two-digit year"
        why[ambiguous] = "ambiguous_date"
        what[month_first & ~short_year] = "month-first date: cannot be UK day-first (DD/MM/YYYY)"
        what[both_small & column_mixes & ~short_year] = (
            "day and month could be either way round: the column also holds month-first dates"
        )

    named = pc.extract_regex(rest, _NAMED)
    is_named = named.is_valid().to_numpy(zero_copy_only=False) & ~is_num & ~is_iso
    if is_named.any():
        names = pc.utf8_lower(named.field("mon")).to_numpy(zero_copy_only=False)
        mon = np.array([_MONTHS.get(str(x), 0) for x in names[is_named]], dtype=np.int64)
        sel = np.flatnonzero(is_named)
        day[sel] = _ints(named, "d", is_named)[sel]
        month[sel] = mon
        year[sel] = _ints(named, "y", is_named)[sel]
        ok[sel] = mon > 0

    in_range = (year >= MIN_YEAR) & (year <= MAX_YEAR) & (month >= 1) & (month <= 12)
    what[ok & (month >= 1) & (month <= 12) & ~in_range] = f"year outside {MIN_YEAR}-{MAX_YEAR}"
    what[ok & ((month < 1) | (month > 12))] = "no such month"
    ok &= in_range
    parsed = np.full(m, np.datetime64("NaT"), dtype="datetime64[ns]")
    if ok.any():
        months = (year[ok] - 1970) * 12 + (month[ok] - 1)
        first = months.astype("datetime64[M]").astype("datetime64[D]")
        built = first + (day[ok] - 1).astype("timedelta64[D]")
        # A day past the month's end spills into the next month: no such day.
        valid = (day[ok] >= 1) & (built.astype("datetime64[M]") == first.astype("datetime64[M]"))
        idx = np.flatnonzero(ok)
        parsed[idx[valid]] = built[valid]
        what[idx[~valid]] = "no such day"
        ok[idx[~valid]] = False
    why[ok] = None
    what[ok] = None
    return parsed, why, what

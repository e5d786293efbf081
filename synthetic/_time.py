"""Day arithmetic: dates are held as integer days since 1970-01-01 while generating."""

from __future__ import annotations

import numpy as np
import pandas as pd

DAYS_PER_YEAR = 365.25


def to_day(date: str | pd.Timestamp) -> int:
    """Days since the epoch of a date."""
    return int(pd.Timestamp(date).value // 86_400_000_000_000)


def year_start(year: int) -> int:
    """Day of 1 January of ``year``."""
    return to_day(f"{int(year)}-01-01")


def decimal_year(day: np.ndarray) -> np.ndarray:
    """Approximate calendar year with fraction (for smooth trends)."""
    return 1970.0 + np.asarray(day, dtype=float) / DAYS_PER_YEAR


def to_datetime(day: np.ndarray, valid: np.ndarray | None = None) -> np.ndarray:
    """Integer days to ``datetime64[ns]``, NaT where ``valid`` is False."""
    out = np.asarray(day, dtype="int64").astype("datetime64[D]").astype("datetime64[ns]")
    if valid is not None:
        out = np.where(valid, out, np.datetime64("NaT", "ns"))
    return out


def age_out_day(dob: np.ndarray, age_out: float) -> np.ndarray:
    """Day a child reaches ``age_out`` years: dob + floor(age_out * 365.25) days.

    The convention (not the calendar birthday) is used everywhere in the generator and
    in the truth, so the two agree exactly; it differs from the calendar birthday by at
    most a day.
    """
    return np.asarray(dob, dtype="int64") + int(np.floor(age_out * DAYS_PER_YEAR))

"""Date arithmetic the cohort needs: ages in completed years and birthdays."""

from __future__ import annotations

import numpy as np
import pandas as pd

DAYS_PER_YEAR = 365.25


def add_years(dates: pd.Series, years: int) -> pd.Series:
    """The date ``years`` later on the same day of the year (29 Feb -> 28 Feb)."""
    values = dates.to_numpy(dtype="datetime64[D]")
    month = values.astype("datetime64[M]")
    day_of_month = (values - month.astype("datetime64[D]")).astype(np.int64)
    target = month + np.timedelta64(12 * years, "M")
    last_day = (target + np.timedelta64(1, "M")).astype("datetime64[D]") - np.timedelta64(1, "D")
    length = (last_day - target.astype("datetime64[D]")).astype(np.int64)
    shifted = target.astype("datetime64[D]") + np.minimum(day_of_month, length).astype(
        "timedelta64[D]"
    )
    return pd.Series(shifted.astype("datetime64[ns]"), index=dates.index)


def age_years(born: pd.Series, at: pd.Series) -> pd.Series:
    """Age in years (fractional, days / 365.25) at ``at``."""
    return (at - born).dt.days / DAYS_PER_YEAR

"""The one check on requested times: a time past the follow-up has no estimate.

Times are in the unit of the duration column; a :class:`~outcomes.cohort.Cohort`
measures them in years since the index disposal, as every horizon in the toolkit is.
Asking for a time past the last follow-up is usually a unit slip (days asked of a
years scale) or a horizon the extract is too young to reach, so it warns instead of
quietly returning a missing or extrapolated value.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable

import numpy as np

from outcomes.errors import FollowUpWarning


def warn_beyond_followup(
    times: float | Iterable[float], last: float, where: str, *, stacklevel: int = 3
) -> None:
    """Warn (:class:`~outcomes.errors.FollowUpWarning`) if any of ``times`` exceeds ``last``.

    Parameters
    ----------
    times : float or iterable of float
        The times asked for.
    last : float
        The largest follow-up time in the data (NaN: no data, no warning).
    where : str
        What was asked, for the message (e.g. ``"cumulative_incidence"``).
    """
    values = [times] if isinstance(times, int | float) else list(times)
    asked = np.asarray(values, dtype=float)
    if not np.isfinite(last):
        return
    beyond = np.unique(asked[asked > last])
    if beyond.size:
        shown = ", ".join(f"{t:g}" for t in beyond[:5]) + (", ..." if beyond.size > 5 else "")
        warnings.warn(
            FollowUpWarning(
                f"{where}: time {shown} is beyond the last follow-up time ({last:.4g}); "
                "times are in the unit of the duration column -- years since the index "
                "disposal for a cohort -- and there is no estimate past the follow-up"
            ),
            stacklevel=stacklevel,
        )

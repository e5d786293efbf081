"""The analysis frame: cohort rows, the exposure at a threshold, and the confounders."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from outcomes.cohort import Cohort, Duration, build_cohort
from outcomes.errors import OutcomesError
from outcomes.schema import Dataset

DAYS_PER_YEAR = 365.25
BASE_CONFOUNDERS = (
    "child_age_at_issue",
    "issue_year",
    "sibling_group_size",
    "mother_age_at_issue",
)
"""Case-mix confounders used by default, with the manifest's covariates and the area."""
AREA = "la_code"
PERIODS = (-np.inf, 2013, 2016, 2019, 2022, np.inf)
PERIOD_LABELS = ("to 2013", "2014-2016", "2017-2019", "2020-2022", "2023 on")
"""Issue periods replacing the issue year as a confounder: before the April 2014 reform,
the years of short durations after it, and the later rise. Five levels follow the
duration trend as well as fifteen year dummies do, at a third of the cost in every
model and bootstrap replicate."""


@dataclass
class AnalysisFrame:
    """What every method of the study works on.

    Attributes
    ----------
    data : DataFrame
        Complete-case cohort rows with ``years`` (follow-up), ``event``, ``exposed``
        (0/1), the confounders and ``la_code``.
    confounders : list of str
        Case-mix confounders used (numeric or categorical); the area is separate.
    report : DataFrame
        What happened to each requested confounder: ``used``, ``absent`` or
        ``dropped`` (too incomplete), with the share missing; and how many rows the
        complete-case restriction removed.
    cohort : Cohort
        The cohort the frame came from.
    cluster : str
        The column whose groups are the clusters of the standard errors and of the
        bootstrap (the local authority by default; a coarser unit such as ``dfj_area``
        allows for correlation between neighbouring authorities).
    """

    data: pd.DataFrame
    confounders: list[str]
    report: pd.DataFrame
    cohort: Cohort
    cluster: str = AREA


def analysis_frame(
    data: Dataset | Cohort,
    *,
    outcome: str,
    threshold_weeks: float,
    confounders: list[str] | None,
    cluster: str = AREA,
    max_missing: float = 0.2,
) -> AnalysisFrame:
    """Build the frame; see :class:`AnalysisFrame`.

    A requested confounder that is absent is reported, not fatal; one missing in more
    than ``max_missing`` of rows is dropped from the set and reported (complete-case
    analysis on it would lose too much); the rest are used on complete cases. The
    ``cluster`` column (standard errors and bootstrap resampling) must be present.
    """
    cohort = (
        data
        if isinstance(data, Cohort)
        else build_cohort(data, outcome=outcome, exposure=Duration())  # type: ignore[arg-type]
    )
    frame = cohort.data.copy()
    if cluster not in frame.columns:
        raise OutcomesError(f"cluster column {cluster!r} is not in the cohort")
    if confounders is None:
        extra = [c for c in cohort.covariates if c not in BASE_CONFOUNDERS]
        extra = [c for c in extra if not c.startswith("prior_proceedings")]
        requested = [*BASE_CONFOUNDERS, *extra]
    else:
        requested = list(confounders)
    rows = []
    used = []
    for name in dict.fromkeys(requested):
        if name == AREA:
            continue
        if name not in frame.columns:
            rows.append({"confounder": name, "status": "absent", "share_missing": 1.0})
            continue
        share = float(frame[name].isna().mean())
        status = "used" if share <= max_missing else "dropped"
        rows.append({"confounder": name, "status": status, "share_missing": share})
        if status == "used":
            used.append(name)
    needed = [*dict.fromkeys([*used, AREA, cluster]), "duration_weeks"]
    complete = frame[needed].notna().all(axis=1)
    report = pd.DataFrame(rows, columns=["confounder", "status", "share_missing"])
    report.attrs["rows_dropped_incomplete"] = int((~complete).sum())
    frame = frame.loc[complete].copy()
    if "issue_year" in used:
        frame["issue_period"] = pd.cut(frame["issue_year"], PERIODS, labels=PERIOD_LABELS)
        frame["issue_period"] = frame["issue_period"].astype(str)
        used[used.index("issue_year")] = "issue_period"
    frame["exposed"] = (frame["duration_weeks"] * 7 <= threshold_weeks * 7).astype(int)
    frame["years"] = frame["time"]  # a cohort measures time in years already
    for name in used:
        if frame[name].dtype == bool:
            frame[name] = frame[name].astype(int)
    return AnalysisFrame(
        data=frame.reset_index(drop=True),
        confounders=used,
        report=report,
        cohort=cohort,
        cluster=cluster,
    )

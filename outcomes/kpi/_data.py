"""Input handling shared by the KPI functions: proceedings rows, their unit, their dates."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from outcomes.errors import OutcomesError
from outcomes.schema import Dataset

Unit = Literal["child", "application"]
Period = Literal["quarter", "year"]
DAYS_PER_WEEK = 7.0
DEATH_COLUMN = "_child_died"
"""The column :func:`proceedings_of` adds: the day of the row's child's recorded death."""
ENDED_BY_DEATH = "child died during the proceedings"


class KPIError(OutcomesError):
    """A KPI was asked for with an argument or data it cannot use."""


def proceedings_of(
    data: Dataset | pd.DataFrame, extract_date: str | pd.Timestamp | None
) -> tuple[pd.DataFrame, pd.Timestamp | None]:
    """The proceedings table and the extract date (argument, else the manifest's).

    From a :class:`~outcomes.schema.Dataset` with child events, the table carries each
    child's recorded death (:data:`DEATH_COLUMN`), so that :func:`spells` can tell
    proceedings that ended with the child's death (no disposal is ever recorded) from
    open ones; a bare proceedings table cannot.
    """
    if isinstance(data, Dataset):
        table = data.proceedings
        if extract_date is None:
            extract_date = data.manifest.extract_date
        if data.child_events is not None and "child_id" in table.columns:
            table = table.assign(**{DEATH_COLUMN: table["child_id"].map(data.death_dates())})
    elif isinstance(data, pd.DataFrame):
        table = data
    else:
        raise KPIError(
            f"data must be a Dataset or a proceedings DataFrame, not {type(data).__name__}"
        )
    day = None if extract_date is None else pd.Timestamp(extract_date)
    return table, day


def check_choice(name: str, value: object, allowed: Sequence[str]) -> None:
    """Raise :class:`KPIError` unless ``value`` is one of ``allowed``."""
    if value not in allowed:
        raise KPIError(f"{name} must be one of {list(allowed)}, not {value!r}")


def spells(
    table: pd.DataFrame,
    by: Sequence[str],
    unit: Unit,
    extract_date: pd.Timestamp | None,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """One row per unit counted: ``issue_date``, ``disposal_date`` (NaT if open), ``by``.

    With ``unit="child"`` every child-proceedings row counts, as the published family
    court statistics count children. With ``unit="application"`` the rows of one
    ``proceedings_id`` (siblings) are one case, issued at the earliest issue date and
    disposed when its last child is disposed (open while any child is open).

    Rows that cannot be timed are set aside and counted by reason: no issue date, a
    disposal before the issue, a disposal after the extract date; and, where the table
    carries the children's deaths (:func:`proceedings_of` from a dataset), a row with no
    disposal whose child died on or after its issue: those proceedings ended without a
    disposal, so they are neither open nor timed (with ``unit="application"`` the
    siblings' case is then disposed when they are).
    """
    check_choice("unit", unit, ("child", "application"))
    needed = ["issue_date", "disposal_date", *by]
    if unit == "application":
        needed.append("proceedings_id")
    missing = [c for c in dict.fromkeys(needed) if c not in table.columns]
    if missing:
        raise KPIError(f"the proceedings table has no column(s) {missing}")
    rows = table[list(dict.fromkeys(needed))].copy()
    for col in ("issue_date", "disposal_date"):
        rows[col] = pd.to_datetime(rows[col], errors="coerce")
    excluded: dict[str, int] = {}
    bad = {
        "no issue date": rows["issue_date"].isna().to_numpy(),
        "disposal before issue": (rows["disposal_date"] < rows["issue_date"]).to_numpy(),
    }
    if extract_date is not None:
        bad["disposal after the extract date"] = (rows["disposal_date"] > extract_date).to_numpy()
        bad["issued after the extract date"] = (rows["issue_date"] > extract_date).to_numpy()
    for col in by:
        bad[f"no {col}"] = rows[col].isna().to_numpy()
    if DEATH_COLUMN in table.columns:
        died = pd.to_datetime(table[DEATH_COLUMN], errors="coerce")
        ended = rows["disposal_date"].isna() & (died >= rows["issue_date"])
        bad[ENDED_BY_DEATH] = ended.to_numpy()
    dropped = np.zeros(len(rows), dtype=bool)
    for reason, flag in bad.items():
        new = flag & ~dropped
        if new.any():
            excluded[reason] = int(new.sum())
        dropped |= flag
    rows = rows.loc[~dropped]
    if unit == "application":
        grouped = rows.groupby("proceedings_id", sort=False)
        first = grouped[list(by)].first() if by else pd.DataFrame(index=grouped.size().index)
        issue = grouped["issue_date"].min()
        any_open = rows["disposal_date"].isna().groupby(rows["proceedings_id"]).any()
        disposal = grouped["disposal_date"].max().mask(any_open)
        rows = first.assign(issue_date=issue, disposal_date=disposal).reset_index(drop=True)
    rows = rows.reset_index(drop=True)
    rows["weeks"] = (rows["disposal_date"] - rows["issue_date"]).dt.days / DAYS_PER_WEEK
    return rows, excluded


def period_label(dates: pd.Series, period: Period) -> pd.Series:
    """``"2023Q4"`` (calendar quarter) or ``"2023"`` for each date."""
    check_choice("period", period, ("quarter", "year"))
    # label the few distinct periods once, not every row (national extracts have
    # hundreds of thousands of rows and a few dozen periods)
    key = dates.dt.year * 10 + (dates.dt.quarter if period == "quarter" else 0)
    codes, uniques = pd.factorize(key)
    labels = np.array(
        [
            f"{int(k) // 10}Q{int(k) % 10}" if period == "quarter" else f"{int(k) // 10}"
            for k in uniques
        ]
        + [None],
        dtype=object,
    )
    return pd.Series(labels[codes], index=dates.index, dtype=object)

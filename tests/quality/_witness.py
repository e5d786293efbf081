"""Which injected day/month swaps a second source reveals: the detector's ceiling.

A swapped date that is still a valid date is wrong only in comparison with something
else the dataset records. :func:`swap_witnesses` classifies every ``day_month_swap`` of a
synthetic world's fault record by what the observed dataset says about the faulty cell,
given its true value (which only the record knows). Sources:

``rows``
    other rows (not duplicate copies of this one) hold the true date and outnumber the
    rows holding the recorded one, this one included: siblings of the same proceedings
    (issue and disposal dates are shared) or rows of the same child under its recorded
    ID (date of birth);
``episodes``
    the care episodes hold the true date and not the recorded one: an interim care
    order (LS C1) of one of the proceedings' children starting on the issue date; an
    episode of one of them starting or ending on the disposal date; an episode of the
    child ceasing on its 18th birthday (a day either side) with a reason of leaving
    care as an adult;
``rules``
    the recorded row breaks a rule that the true row keeps -- issued before birth, aged
    18 or over at issue, disposed before issue, a date after the extract, proceedings
    over eight years (the generator's longest last under six), a mother under 13 or
    over 55 at the birth, a care, supervision or placement order made at 17 or over
    (s31(3) Children Act 1989) -- and no other explanation as simple fits as
    well: swapping day and month of another date of the row instead leaves a rule
    broken or changes a value that another row or a care episode confirms.

A swap with one of these is *attributable*: the evidence names the cell and the true
date. Two more kinds of evidence show that something is wrong but not what:

``tie``
    other rows hold the true date, but no more of them than hold the recorded one (two
    siblings that disagree: each is the other's swap);
``ambiguous_rule``
    the row breaks a rule that the true date mends, but so would the swap of another
    of its dates, and nothing confirms either.

This is the test's own statement of the ceiling, written apart from the detector in
``outcomes.quality._datefix`` so that the detector is measured, not restated.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from outcomes.schema import CARE_EPISODES, Dataset

ATTRIBUTABLE = ("rows", "episodes", "rules")
DATE_COLUMNS = ("issue_date", "disposal_date", "child_dob")
LEFT_CARE_AT_18 = ("E17", "E5", "E6", "E7", "E8")
ORDERS_BARRED_AT_17 = ("care_order", "supervision_order", "placement_order")
YEAR = 365.25


def _day(values: pd.Series) -> np.ndarray:
    """Dates as float days since 1970-01-01, NaN when missing."""
    raw = pd.to_datetime(values).to_numpy(dtype="datetime64[ns]")
    out = raw.astype("datetime64[D]").astype(np.int64).astype(np.float64)
    out[np.isnat(raw)] = np.nan
    return out


def _swapped(day: float) -> float:
    """The date with day and month swapped; NaN when that is no other valid date."""
    if np.isnan(day):
        return np.nan
    date = pd.Timestamp(int(day), unit="D")
    if date.day > 12 or date.day == date.month:
        return np.nan
    try:
        other = date.replace(month=date.day, day=date.month)
    except ValueError:  # 30 February and the like
        return np.nan
    return float((other - pd.Timestamp(0)).days)


def _eighteenth(day: float) -> float:
    """Days to the 18th birthday of a date of birth (29 February -> 1 March)."""
    date = pd.Timestamp(int(day), unit="D")
    birthday = pd.Timestamp(date.year + 18, date.month, 1) + pd.Timedelta(days=date.day - 1)
    return float((birthday - pd.Timestamp(0)).days)


class _Sources:
    """What the other rows and the care episodes say about one date cell."""

    def __init__(self, dataset: Dataset) -> None:
        proc = dataset.proceedings
        self.pid = proc["proceedings_id"].astype(object).to_numpy()
        self.cid = proc["child_id"].astype(object).to_numpy()
        # a duplicate copy (same proceedings and child) is the same record, not a witness
        distinct = np.flatnonzero(~proc[["proceedings_id", "child_id"]].duplicated())
        self.distinct_rows = {
            column: {
                k: distinct[v]
                for k, v in proc.iloc[distinct].groupby(key, sort=False).indices.items()
            }
            for column, key in (("child_dob", "child_id"), ("other", "proceedings_id"))
        }
        self.children = proc.groupby("proceedings_id", sort=False)["child_id"].unique()
        self.dates = {c: _day(proc[c]) for c in DATE_COLUMNS}
        self.mother = _day(proc["mother_dob"])
        self.order = proc["final_order"].astype(object).to_numpy()
        self.extract = float((dataset.manifest.extract_date - pd.Timestamp(0)).days)
        ep = dataset.care_episodes
        if ep is None:
            ep = CARE_EPISODES.empty()
        self.episodes = ep.groupby("child_id", sort=False).indices
        self.start, self.end = _day(ep["start_date"]), _day(ep["end_date"])
        self.c1 = ep["legal_status"].isin(["C1"]).to_numpy(dtype=bool)
        self.at_18 = ep["reason_ceased"].isin(LEFT_CARE_AT_18).to_numpy(dtype=bool)

    def votes(self, row: int, column: str, value: float) -> int:
        """Rows of the cell's group (this one included) holding ``value``."""
        if column == "child_dob":
            group = self.distinct_rows[column].get(self.cid[row], np.zeros(0, np.int64))
        else:
            group = self.distinct_rows["other"].get(self.pid[row], np.zeros(0, np.int64))
        group = np.union1d(group, [row])
        return int((self.dates[column][group] == value).sum())

    def in_episodes(self, row: int, column: str, value: float) -> bool:
        """Whether the care episodes hold ``value`` for the cell."""
        if np.isnan(value):
            return False
        none = np.zeros(0, np.int64)
        if column == "child_dob":
            mine = self.episodes.get(self.cid[row], none)
            mine = mine[self.at_18[mine]]
            return bool((np.abs(self.end[mine] - _eighteenth(value)) <= 1).any())
        children = self.children[self.pid[row]]
        mine = np.concatenate([self.episodes.get(c, none) for c in children])
        if column == "issue_date":
            return bool(np.isin(value, self.start[mine[self.c1[mine]]]))
        return bool(np.isin(value, np.r_[self.start[mine], self.end[mine]]))

    def confirmed(self, row: int, column: str) -> bool:
        """Whether another row or a care episode holds the cell's recorded value."""
        value = self.dates[column][row]
        return self.votes(row, column, value) > 1 or self.in_episodes(row, column, value)

    def breaks_rule(self, row: int, change: dict[str, float]) -> bool:
        """Whether the row, with ``change`` made, breaks a rule of the module docstring."""
        d = {c: change.get(c, self.dates[c][row]) for c in DATE_COLUMNS}
        dob, issue, disposal = d["child_dob"], d["issue_date"], d["disposal_date"]
        with np.errstate(invalid="ignore"):
            mother_age = (dob - self.mother[row]) / YEAR
            return bool(
                (issue < dob)
                or (issue - dob >= 18 * YEAR)
                or (disposal < issue)
                or (disposal - issue > 8 * YEAR)
                or (mother_age < 13)
                or (mother_age > 55)
                or any(day > self.extract for day in (dob, issue, disposal))
                or (self.order[row] in ORDERS_BARRED_AT_17 and (disposal - dob) / YEAR >= 17)
            )


def swap_witnesses(dataset: Dataset, record: pd.DataFrame) -> pd.DataFrame:
    """Classify each injected day/month swap by the evidence that reveals it.

    Parameters
    ----------
    dataset : Dataset
        The observed dataset, its proceedings in file order (``world.dataset``).
    record : DataFrame
        The fault record (``world.faults``): ``row`` (position in the proceedings),
        ``column``, ``fault`` and ``old_value`` (the true date).

    Returns
    -------
    DataFrame
        One row per swap: ``row``, ``file_row``, ``column``, a boolean column per
        source (``rows``, ``episodes``, ``rules``, ``tie``, ``ambiguous_rule``; see the
        module docstring), ``attributable`` (any of :data:`ATTRIBUTABLE`) and
        ``witnessed`` (any source at all).
    """
    swaps = record.loc[record["fault"] == "day_month_swap"]
    src = _Sources(dataset)
    out = []
    for row, column, old in zip(swaps["row"], swaps["column"], swaps["old_value"], strict=True):
        true = float(_day(pd.Series([old]))[0])
        shown = src.dates[column][row]
        n_true, n_shown = src.votes(row, column, true), src.votes(row, column, shown)
        mends = src.breaks_rule(row, {}) and not src.breaks_rule(row, {column: true})
        # another date of the row, swapped instead, that mends it as well, and whose
        # recorded value nothing confirms
        rivals = [
            c
            for c in DATE_COLUMNS
            if c != column
            and not np.isnan(_swapped(src.dates[c][row]))
            and not src.breaks_rule(row, {c: _swapped(src.dates[c][row])})
            and not src.confirmed(row, c)
        ]
        out.append(
            {
                "row": row,
                "file_row": row + 2,
                "column": column,
                "rows": n_true > n_shown,
                "episodes": src.in_episodes(row, column, true)
                and not src.in_episodes(row, column, shown),
                "rules": mends and not rivals,
                "tie": 0 < n_true <= n_shown,
                "ambiguous_rule": mends and bool(rivals),
            }
        )
    frame = pd.DataFrame(out)
    frame["attributable"] = frame[list(ATTRIBUTABLE)].any(axis=1)
    frame["witnessed"] = frame["attributable"] | frame["tie"] | frame["ambiguous_rule"]
    return frame

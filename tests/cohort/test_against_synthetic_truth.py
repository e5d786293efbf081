"""Cohort counts checked against the synthetic world's own record of what happened.

The world draws each child's first event after disposal (``first_event``,
``first_event_days`` in ``world.clean``) and writes the events table; here the
expected counts are computed from those with plain pandas, independently of
``build_cohort``'s merge logic, and must agree exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import synthetic
from outcomes.cohort import build_cohort


@pytest.fixture(scope="module")
def world() -> synthetic.World:
    return synthetic.generate("default", n_applications=4000, seed=11, faults=False)


def expected_child_counts(world: synthetic.World, age_out_as: str) -> pd.Series:
    clean = world.clean
    extract = world.dataset.manifest.extract_date
    first = clean.loc[clean["in_cohort"]].copy()
    first = first.loc[first["disposal_date"] < first["aged_out_date"]]
    events = world.dataset.child_events
    abroad = (
        events.loc[events["event_type"] == "moved_abroad"].groupby("child_id")["event_date"].min()
    )
    moved_at = first["child_id"].map(abroad)
    # Not at risk at time zero: died (the world's death time falls before the
    # disposal) or moved abroad before the proceedings ended.
    at_risk = (first["first_event_days"] >= 0) & ~(moved_at < first["disposal_date"])
    first, moved_at = first.loc[at_risk], moved_at.loc[at_risk]
    event_at = first["disposal_date"] + pd.to_timedelta(first["first_event_days"], unit="D")
    kind = first["first_event"].astype(str).to_numpy()
    observed = np.where((event_at <= extract) & ~(moved_at < event_at), kind, "censored")
    if age_out_as == "censor":
        observed = np.where(observed == "aged_out", "censored", observed)
    return pd.Series(observed).value_counts().sort_index()


@pytest.mark.parametrize("age_out_as", ["competing", "censor"])
def test_child_return_counts_match_the_world(world: synthetic.World, age_out_as: str) -> None:
    cohort = build_cohort(world.dataset, age_out_as=age_out_as)  # type: ignore[arg-type]
    got = cohort.data["event_type"].value_counts().sort_index()
    pd.testing.assert_series_equal(
        got, expected_child_counts(world, age_out_as), check_names=False, check_index_type=False
    )
    censored = cohort.data.loc[cohort.data["event"] == 0, "censor_reason"].value_counts()
    assert set(censored.index) <= {"extract", "moved_abroad", "aged_out"}
    assert ("aged_out" in censored.index) == (age_out_as == "censor")


def test_mother_recurrence_counts_match_the_world(world: synthetic.World) -> None:
    clean = world.clean
    extract = world.dataset.manifest.extract_date
    by_set = (
        clean.groupby(["mother_id", "proceedings_id"])
        .agg(
            issue=("issue_date", "min"),
            disposal=("disposal_date", "max"),
            open_=("disposal_date", lambda d: d.isna().any()),
        )
        .reset_index()
    )
    expected_events = 0
    expected_mothers = 0
    for _, sets in by_set.sort_values(["issue", "proceedings_id"]).groupby("mother_id"):
        index = sets.iloc[0]
        if index["open_"]:
            continue
        expected_mothers += 1
        later = sets.loc[sets["issue"] > index["disposal"], "issue"]
        expected_events += int(len(later) > 0 and later.min() <= extract)
    cohort = build_cohort(world.dataset, outcome="mother_recurrence")
    assert len(cohort.data) == expected_mothers
    assert int((cohort.data["event"] == 1).sum()) == expected_events
    assert cohort.data["mother_id"].is_unique


def test_recurrent_intervals_tile_follow_up(world: synthetic.World) -> None:
    cohort = build_cohort(world.dataset, outcome="mother_recurrence")
    long = cohort.recurrent()
    by = long.groupby("row_id")
    # Intervals are contiguous from 0 to the end of follow-up, episodes count up.
    assert (by["start"].first() == 0).all()
    assert (
        long["start"].to_numpy()[1:][
            long["row_id"].to_numpy()[1:] == long["row_id"].to_numpy()[:-1]
        ]
        == long["stop"].to_numpy()[:-1][
            long["row_id"].to_numpy()[1:] == long["row_id"].to_numpy()[:-1]
        ]
    ).all()
    ends = cohort.data.set_index("row_id")["followup_years"]
    assert (by["stop"].last() == ends.loc[by["stop"].last().index]).all()
    assert (by["episode"].max() == by.size()).all()
    # The first interval's event is the cohort's outcome; a mother with no time at
    # risk (disposed on the extract date) has no interval.
    at_risk = cohort.data.loc[cohort.data["followup_years"] > 0]
    assert set(long["row_id"]) == set(at_risk["row_id"])
    first_events = by["event"].first().reindex(at_risk["row_id"]).to_numpy()
    assert (first_events == (at_risk["event"] == 1).to_numpy()).all()

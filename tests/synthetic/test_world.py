"""The world's tables follow the canonical schema; potentials are consistent."""

from __future__ import annotations

import numpy as np
import pandas as pd

import synthetic
from outcomes.schema import (
    CARE_EPISODES,
    CHILD_EVENTS,
    EVENT_TYPES,
    FINAL_ORDERS,
    PROCEEDINGS,
    STRING_DTYPE,
)


def test_canonical_tables(small_world: synthetic.World) -> None:
    ds = small_world.dataset
    covs = ds.manifest.covariates
    assert list(ds.proceedings.columns) == PROCEEDINGS.names + covs
    assert "n_prior_proceedings_mother" in covs and "parental_substance_misuse" in covs
    for col in PROCEEDINGS.columns:
        want = "datetime64[ns]" if col.kind == "date" else STRING_DTYPE
        assert ds.proceedings[col.name].dtype == want, col.name
    assert ds.child_events is not None and ds.care_episodes is not None
    assert list(ds.child_events.columns) == CHILD_EVENTS.names
    assert list(ds.care_episodes.columns) == CARE_EPISODES.names
    assert set(ds.child_events["event_type"]) <= set(EVENT_TYPES)
    assert ds.manifest.scenario == "default" and ds.manifest.seed == 11
    assert ds.manifest.extract_date == pd.Timestamp("2025-03-31")


def test_clean_is_valid(small_world: synthetic.World) -> None:
    c = small_world.clean
    extract = small_world.dataset.manifest.extract_date
    assert not c.duplicated(["proceedings_id", "child_id"]).any()
    assert set(c["final_order"].dropna()) <= set(FINAL_ORDERS)
    disposed = c["disposal_date"].notna()
    assert (c["final_order"].notna() == disposed).all()
    assert (c.loc[disposed, "disposal_date"] >= c.loc[disposed, "issue_date"]).all()
    assert (c["issue_date"] >= c["child_dob"]).all()
    assert (c["issue_date"] <= extract).all()
    assert ((c["issue_date"] - c["child_dob"]).dt.days < 17 * 365.25).all()
    assert (c["mother_dob"] < c["child_dob"]).all()


def test_volume_and_siblings(small_world: synthetic.World) -> None:
    c = small_world.clean
    n_apps = c["proceedings_id"].nunique()
    assert 3_400 < n_apps < 4_600  # n_applications=4000 is the expected total
    assert (c.groupby("proceedings_id")["issue_date"].nunique() == 1).all()
    assert (c.groupby("proceedings_id")["disposal_date"].nunique(dropna=False) == 1).all()
    assert set(c["origin"]) == {"first", "child_return", "new_child"}


def test_observed_equals_potential_of_observed_arm(small_world: synthetic.World) -> None:
    c = small_world.clean
    po = small_world.potential_outcomes
    cohort = c.loc[c["in_cohort"]].reset_index(drop=True)
    assert len(po) == len(cohort) == small_world.truth.n_cohort
    short = (po["observed_arm"] == "short").to_numpy()
    days = (cohort["disposal_date"] - cohort["issue_date"]).dt.days.to_numpy()
    assert np.array_equal(short, days <= 182)
    assert np.array_equal(
        np.where(short, po["duration_days_short"], po["duration_days_long"]), days
    )
    own_order = np.where(short, po["order_short"], po["order_long"])
    assert np.array_equal(own_order, cohort["final_order"].to_numpy(dtype=object))
    own_event = np.where(short, po["event_short"], po["event_long"])
    assert np.array_equal(own_event, cohort["first_event"].to_numpy(dtype=object))
    own_time = np.where(short, po["time_short"], po["time_long"])
    assert np.array_equal(own_time, cohort["first_event_days"].to_numpy())
    assert (po["duration_days_short"] <= 182).all() and (po["duration_days_long"] > 182).all()


def test_returns_in_data_match_latent_first_event(small_world: synthetic.World) -> None:
    c = small_world.clean
    extract = small_world.dataset.manifest.extract_date
    nxt = c.sort_values(["child_id", "issue_date"]).groupby("child_id")["issue_date"].shift(-1)
    nxt = nxt.reindex(c.index)
    returned = nxt.notna()
    # every later row of a child is a return that came first among events
    assert (c.loc[returned, "first_event"] == "child_return").all()
    gap = (nxt[returned] - c.loc[returned, "disposal_date"]).dt.days
    assert np.array_equal(gap.to_numpy(), c.loc[returned, "first_event_days"].to_numpy())
    # and a return that came first, before the extract, is in the data unless emigrated
    ret_date = c["disposal_date"] + pd.to_timedelta(c["first_event_days"], unit="D")
    latent = (
        (c["first_event"] == "child_return") & (ret_date <= extract) & c["disposal_date"].notna()
    )
    moved = set(small_world.dataset.child_events.query("event_type == 'moved_abroad'")["child_id"])
    missing = c.loc[latent & ~returned, "child_id"]
    assert missing.isin(moved).all()


def test_newborns_and_mothers_before_disposal(small_world: synthetic.World) -> None:
    c = small_world.clean
    new = c.loc[c["origin"] == "new_child"]
    age_days = (new["issue_date"] - new["child_dob"]).dt.days
    assert 0.5 < (age_days < 28).mean() < 0.7
    # some new-child sets start before the mother's previous set ends
    apps = c.drop_duplicates("proceedings_id").sort_values(["mother_id", "issue_date"])
    prev_disposal = apps.groupby("mother_id")["planned_disposal_date"].shift(1)
    overlap = (apps["issue_date"] < prev_disposal) & (apps["origin"] == "new_child")
    assert overlap.sum() > 0

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


def test_volume_and_siblings(small_world: synthetic.World, clean_world: synthetic.World) -> None:
    c = small_world.clean
    n_apps = c["proceedings_id"].nunique()
    assert 3_400 < n_apps < 4_600  # n_applications=4000 is the expected total
    assert (c.groupby("proceedings_id")["issue_date"].nunique() == 1).all()
    # siblings share the disposal date, but a child who died during the proceedings has
    # none (and it is only such children who lack the date their siblings have)
    assert (c.groupby("proceedings_id")["disposal_date"].nunique() <= 1).all()
    has_date = c.groupby("proceedings_id")["disposal_date"].transform("count") > 0
    lacking = c.loc[has_date & c["disposal_date"].isna(), "child_id"]
    died = clean_world.dataset.child_events.query("event_type == 'died'")["child_id"]
    assert lacking.isin(died).all()
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


def test_a_mothers_births_are_at_least_nine_months_apart() -> None:
    # 20,000 applications: enough later sets with a new child (about 1,500) that a
    # birth too near the last one would be drawn many times over without the rule
    world = synthetic.generate("default", n_applications=20_000, seed=5, faults=False)
    c = world.clean
    gap = int(synthetic.load_scenario("default")["recurrence.min_birth_gap_days"])
    births = c.drop_duplicates("child_id").sort_values(["mother_id", "child_dob"])
    spacing = births.groupby("mother_id")["child_dob"].diff().dt.days.dropna()
    assert len(spacing) > 5_000
    assert spacing.min() >= gap
    # a set is never issued before its child is born
    new = c.loc[c["origin"] == "new_child"]
    assert len(new) > 1_000
    assert (new["issue_date"] >= new["child_dob"]).all()


def test_a_child_who_dies_during_proceedings_gets_no_disposal_and_no_order() -> None:
    world = synthetic.generate("default", n_applications=20_000, seed=5, faults=False)
    c, events = world.clean, world.dataset.child_events
    died = events.loc[events["event_type"] == "died"].set_index("child_id")["event_date"]
    c = c.assign(death=c["child_id"].map(died))
    during = c["death"].notna() & (c["death"] <= c["planned_disposal_date"])
    assert during.sum() >= 10  # the case arises, so the rule is tested
    assert c.loc[during, "disposal_date"].isna().all()
    assert c.loc[during, "final_order"].isna().all()
    assert not c.loc[during, "in_cohort"].any()
    # everyone else disposed by the extract date has both
    disposed = ~during & (c["planned_disposal_date"] <= world.dataset.manifest.extract_date)
    assert c.loc[disposed, "disposal_date"].notna().all()
    assert c.loc[disposed, "final_order"].notna().all()

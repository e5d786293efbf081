"""The SSDA903 reader: hand-made files, and a round trip through the synthetic world."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import synthetic
from outcomes.errors import SchemaError
from outcomes.io.ssda903 import read_ssda903

DATA = Path(__file__).parent.parent / "data" / "ssda903"


@pytest.fixture
def ds():
    return read_ssda903(
        DATA / "header.csv",
        DATA / "episodes.csv",
        extract_date="2025-03-31",
        la_code="LA1",
        dfj_area="DFJ1",
    )


def test_rows_kept_plus_quarantined_equal_rows_read(ds):
    q = ds.quarantine
    assert ds.rows_read == {"ssda903_header": 6, "care_episodes": 10}
    assert len(ds.care_episodes) + (q["table"] == "care_episodes").sum() == 10
    assert (q["table"] == "ssda903_header").sum() == 1  # F6: 31 February


def test_quarantine_reasons(ds):
    q = ds.quarantine.set_index(["table", "row"])["reason"]
    assert q[("ssda903_header", 7)] == "unparseable_date"
    assert q[("care_episodes", 9)] == "unknown_903_code"
    assert q[("care_episodes", 10)] == "child_not_in_header"
    assert q[("care_episodes", 11)] == "end_before_start"


def test_identifiers_dropped(ds):
    assert ds.dropped_columns == {
        "ssda903_header": ["upn"],
        "care_episodes": ["home_post", "pl_post"],
    }
    for frame in ds.tables().values():
        assert not {"upn", "home_post", "pl_post"} & set(frame.columns)


def test_proceedings_from_legal_status(ds):
    p = ds.proceedings.set_index("child_id")
    assert sorted(p.index) == ["A1", "B2", "C3", "D4"]  # E5 was only accommodated (V2)
    assert p.loc["A1", "final_order"] == "care_order"
    assert p.loc["A1", "issue_date"] == pd.Timestamp("2015-03-10")
    assert p.loc["A1", "disposal_date"] == pd.Timestamp("2015-09-01")
    assert p.loc["B2", "final_order"] == "placement_order"
    assert p.loc["B2", "disposal_date"] == pd.Timestamp("2017-07-14")
    assert p.loc["C3", "final_order"] == "special_guardianship_order"
    assert p.loc["C3", "disposal_date"] == pd.Timestamp("2016-12-20")
    assert pd.isna(p.loc["D4", "final_order"]) and pd.isna(p.loc["D4", "disposal_date"])
    assert p.loc["A1", "child_dob"] == pd.Timestamp("2012-02-03")
    assert p.loc["B2", "child_sex"] == "F"
    assert (p["la_code"] == "LA1").all() and p["mother_id"].isna().all()


def test_child_events(ds):
    ev = ds.child_events
    adopted = ev.loc[ev["event_type"] == "adopted"]
    assert adopted["child_id"].tolist() == ["B2"]
    assert adopted["event_date"].tolist() == [pd.Timestamp("2018-04-30")]
    assert set(ev.loc[ev["event_type"] == "entered_care", "child_id"]) == {
        "A1", "B2", "C3", "D4", "E5",
    }  # fmt: skip
    left = ev.loc[ev["event_type"] == "left_care", "child_id"].tolist()
    assert sorted(left) == ["C3", "E5"]  # SGO exit and return home


def test_missing_required_column(tmp_path):
    (tmp_path / "e.csv").write_text("CHILD,LS,DEC,REC\nA1,C1,,\n", encoding="utf-8")
    with pytest.raises(SchemaError, match="start_date"):
        read_ssda903(DATA / "header.csv", tmp_path / "e.csv")


def test_round_trip_through_synthetic_world(tmp_path):
    world = synthetic.generate("default", n_applications=1_500, seed=11, faults=False)
    header, episodes = synthetic.write_ssda903(world, tmp_path)
    ds = read_ssda903(header, episodes, extract_date=world.dataset.manifest.extract_date)
    assert ds.quarantine.empty
    assert len(ds.care_episodes) == len(world.dataset.care_episodes)
    # every looked-after child's proceedings come back with the clean dates and order
    clean = world.clean
    merged = ds.proceedings.merge(clean, on=["child_id", "issue_date"], suffixes=("", "_c"))
    assert len(merged) == len(ds.proceedings) > 100
    # A child who died during the proceedings has an interim episode ending at death
    # (REC E2) and no episode of a final order, so the 903 return cannot show the
    # disposal the world records for the siblings' shared proceedings.
    died_first = (merged["first_event"] == "died") & (merged["first_event_days"] < 0)
    merged = merged.loc[~died_first]
    same_disposal = (merged["disposal_date"] == merged["disposal_date_c"]) | (
        merged["disposal_date"].isna() & merged["disposal_date_c"].isna()
    )
    assert same_disposal.all()
    same_order = merged["final_order"].astype(object).fillna("") == merged["final_order_c"].astype(
        object
    ).fillna("")
    assert same_order.all()
    assert (merged["child_dob"] == merged["child_dob_c"]).all()
    adopted = world.dataset.child_events
    n_adopted = (adopted["event_type"] == "adopted").sum()
    assert (ds.child_events["event_type"] == "adopted").sum() == n_adopted


def test_malformed_and_orphan_rows_are_counted(tmp_path):
    (tmp_path / "h.csv").write_text(
        "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\nX1,1,2015-01-01,WBRI,,,\n"
        "X2,2,2016-13-01,WBRI,,,\n",
        encoding="utf-8",
    )
    (tmp_path / "e.csv").write_text(
        "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC\n"
        "X1,2019-02-01,S,C1,N1,U6,PR1,2019-08-01,X1\n"
        "X1,2019-08-01,L,C2,N1,U4,PR1,,,too,many\n"
        "X2,2019-03-01,S,C1,N1,U6,PR1,,\n",
        encoding="utf-8",
    )
    ds = read_ssda903(tmp_path / "h.csv", tmp_path / "e.csv")
    q = ds.quarantine.set_index(["table", "row"])["reason"].to_dict()
    assert q == {
        ("ssda903_header", 3): "unparseable_date",
        # X1 says an episode follows, but the one that does is malformed: the chain
        # breaks, and the proceedings are not derived as if still open
        ("care_episodes", 2): "episode_chain_break",
        ("care_episodes", 3): "malformed_row",
        ("care_episodes", 4): "child_not_in_header",  # its header row was rejected
    }
    assert ds.rows_read == {"ssda903_header": 2, "care_episodes": 3}
    assert len(ds.care_episodes) == 0
    assert ds.proceedings.empty
    assert ds.manifest.extract_date == pd.Timestamp("2019-08-01")

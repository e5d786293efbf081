"""The checks find what was put in, on the row it was put in."""

from __future__ import annotations

import pandas as pd
import pytest

from outcomes.io import read_dataset, write_dataset
from outcomes.quality import CHECKS, DIMENSIONS, check_quality
from outcomes.schema import CHILD_EVENTS, STRING_DTYPE

from .conftest import EXPECTED


def _found(report, checks=None):
    issues = report.issues
    return {
        (int(r), str(c), str(k))
        for r, c, k in zip(issues["row"], issues["check"], issues["column"], strict=True)
        if checks is None or c in checks
    }


ROOT_CAUSES = {c for _, c, _ in EXPECTED}


def test_in_memory_dataset_is_validated_and_checked(small):
    report = check_quality(small)
    assert report.validated_here
    assert _found(report, ROOT_CAUSES) == EXPECTED


def test_consequences_are_reported_too(small):
    found = _found(check_quality(small))
    # the swap and the typo also broke reader rules; the report keeps those
    assert (4, "disposal_before_issue", "disposal_date") in found
    assert any(r == 5 and c == "date_after_extract" for r, c, _ in found)


def test_duplicate_row_reported_once(small):
    issues = check_quality(small).issues
    assert issues.loc[issues["row"] == 7, "check"].tolist() == ["duplicate_key"]


def test_same_findings_after_a_round_trip_through_files(small, tmp_path):
    write_dataset(small, tmp_path / "ds", format="csv")
    read = read_dataset(tmp_path / "ds")
    report = check_quality(read)
    assert not report.validated_here
    assert _found(report, ROOT_CAUSES) == EXPECTED
    assert _found(report) == _found(check_quality(small))


def test_issue_layout(small):
    issues = check_quality(small).issues
    assert list(issues.columns) == [
        "table", "row", "column", "check", "dimension", "severity", "la_code", "dfj_area",
        "message",
    ]  # fmt: skip
    assert set(issues["check"]) <= set(CHECKS)
    assert set(issues["dimension"]) <= set(DIMENSIONS)
    assert issues["la_code"].notna().all()
    swap = issues.loc[issues["check"] == "day_month_swap", "message"].iloc[0]
    assert "2018-10-01" in swap and "2018-01-10" in swap


@pytest.mark.parametrize(
    ("death", "stale"),
    [("2019-06-02", False), ("2019-01-21", False), ("2018-12-30", True), (None, True)],
)
def test_proceedings_ended_by_the_childs_death_are_not_stale(small, death, stale):
    # row 9 (CHILD-7, issued 2019-01-21): no disposal, five years before the extract.
    # A death recorded on or after the issue ended the proceedings; one before it did
    # not (that date is wrong somewhere, and the case still looks open).
    other = ("CHILD-1", "2023-02-01", "adopted")
    rows = [other] if death is None else [other, ("CHILD-7", death, "died")]
    events = pd.DataFrame(rows, columns=["child_id", "event_date", "event_type"])
    events["event_date"] = pd.to_datetime(events["event_date"])
    for c in ("child_id", "event_type"):
        events[c] = events[c].astype(STRING_DTYPE)
    small.child_events = events[CHILD_EVENTS.names]
    found = _found(check_quality(small), {"stale_open_case"})
    assert found == ({(9, "stale_open_case", "disposal_date")} if stale else set())


def test_clean_data_raise_no_issue(small):
    small.proceedings = small.proceedings.iloc[:2].copy()
    report = check_quality(small)
    assert report.issues.empty
    assert report.by_la["score"].tolist() == [100.0]


def test_ssda903_dataset_keeps_its_episode_quarantine():
    from pathlib import Path

    from outcomes.io.ssda903 import read_ssda903

    data = Path(__file__).parent.parent / "data" / "ssda903"
    ds = read_ssda903(data / "header.csv", data / "episodes.csv", extract_date="2025-03-31")
    report = check_quality(ds)
    assert report.validated_here
    episodes = report.issues.loc[report.issues["table"] == "care_episodes"]
    assert set(episodes["check"]) == {
        "unknown_903_code",
        "child_not_in_header",
        "end_before_start",
    }
    assert report.n_rows == len(ds.proceedings) == 4


def test_issues_by_column(small):
    by_column = check_quality(small).by_column
    assert by_column.loc["final_order", "validity"] == 1  # the "ICO" label
    assert by_column.loc["mother_id", "completeness"] == 1
    assert by_column.loc["issue_date", "validity"] == 1  # the swap


@pytest.mark.parametrize(
    ("gap", "flagged"),
    [(0, False), (1, False), (3, True), (40, True), (149, True), (150, False), (400, False)],
)
def test_siblings_born_too_close_together_are_both_flagged(small, gap, flagged):
    # CHILD-1 (row 2) and CHILD-2 (row 3) share MUM-1; CHILD-2 is moved to `gap` days
    # after CHILD-1 (the third sibling, CHILD-3, born 2017, stays out of reach)
    p = small.proceedings.iloc[:3].copy()
    p["issue_date"] = p["issue_date"].iloc[0]  # no swap to diagnose
    p.loc[p.index[1], "child_dob"] = p["child_dob"].iloc[0] + pd.Timedelta(days=gap)
    small.proceedings = p
    found = _found(check_quality(small), {"birth_spacing"})
    expected = {(2, "birth_spacing", "child_dob"), (3, "birth_spacing", "child_dob")}
    assert found == (expected if flagged else set())


def test_birth_spacing_flags_only_faulty_dates_in_a_synthetic_world():
    # the generator keeps a mother's births at least nine months apart: the clean data
    # raise no flag, and in the faulty copy every flagged pair has a mistyped birth date
    import synthetic

    clean = synthetic.generate("default", n_applications=20_000, seed=1, faults=False)
    assert not (check_quality(clean.dataset).issues["check"] == "birth_spacing").any()
    world = synthetic.generate("poor_data", n_applications=20_000, seed=1)
    issues = check_quality(world.dataset).issues
    flagged = issues.loc[issues["check"] == "birth_spacing", "row"] - 2  # file row -> row
    assert len(flagged) >= 4
    p = world.dataset.proceedings
    faults = world.faults
    faulty = set(faults.loc[faults["column"] == "child_dob", "row"])
    for mother in p.iloc[flagged]["mother_id"].unique():
        assert set(p.index[p["mother_id"] == mother]) & faulty, mother

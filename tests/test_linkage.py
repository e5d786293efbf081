"""Linkage diagnostics on a hand-made dataset whose true links are known."""

from __future__ import annotations

import pandas as pd

from outcomes.cohort import build_cohort
from outcomes.linkage import linkage_diagnostics, relink, relink_effect
from outcomes.schema import PROCEEDINGS, Dataset, Manifest


def make() -> Dataset:
    rows = [
        # pid, child, mother, mother_dob, dob, sex, issue, disposal
        ("P1", "A", "M1", "1990-01-01", "2012-03-04", "F", "2015-01-01", "2015-08-01"),
        ("P2", "A2", "M1", "1990-01-01", "2012-03-04", "F", "2018-01-01", "2018-08-01"),  # broken
        ("P3", "T1", "M2", "1985-05-05", "2014-06-06", "M", "2016-01-01", "2016-07-01"),  # twins
        ("P3", "T2", "M2", "1985-05-05", "2014-06-06", "M", "2016-01-01", "2016-07-01"),
        ("P4", "B", "M3", "1992-02-02", "2013-01-01", "M", "2015-01-01", "2015-09-01"),
        (
            "P5",
            "B2",
            None,
            "1992-02-02",
            "2013-01-01",
            "M",
            "2019-01-01",
            "2019-09-01",
        ),  # no mother id
        ("P6", "C", "M4", "1991-03-03", "2011-02-05", "F", "2014-01-01", "2014-10-01"),
        (
            "P7",
            "C2",
            "M4",
            "1991-03-03",
            "2011-05-02",
            "F",
            "2017-01-01",
            "2017-10-01",
        ),  # d/m swap
        ("P8", "D", "M5", "1980-01-01", "2010-01-01", "F", "2015-01-01", "2015-10-01"),
        (
            "P9",
            "D",
            "M5",
            "1980-01-01",
            "2010-02-01",
            "F",
            "2015-06-01",
            "2016-03-01",
        ),  # 2 DOBs, overlap
        (
            "P10",
            "E",
            "M6",
            "1980-01-01",
            "2012-03-04",
            "F",
            "2015-01-01",
            "2015-08-01",
        ),  # other mother
    ]
    frame = pd.DataFrame(
        rows,
        columns=[
            "proceedings_id",
            "child_id",
            "mother_id",
            "mother_dob",
            "child_dob",
            "child_sex",
            "issue_date",
            "disposal_date",
        ],
    ).assign(la_code="LA1", dfj_area="D1", final_order="care_order")
    frame = PROCEEDINGS.coerce(frame)
    return Dataset(proceedings=frame, manifest=Manifest(pd.Timestamp("2024-01-01"), "test"))


def test_finds_the_broken_ids_and_nothing_else() -> None:
    report = linkage_diagnostics(make())
    links = report.candidate_links
    pairs = set(zip(links["child_id"], links["other_child_id"], strict=True))
    assert pairs == {("A", "A2"), ("B", "B2"), ("C", "C2")}
    flags = report.flags
    assert set(flags.loc[flags["check"] == "two_dates_of_birth", "child_id"]) == {"D"}
    overlap = flags.loc[flags["check"] == "overlapping_proceedings"]
    assert overlap[["child_id", "proceedings_id"]].values.tolist() == [["D", "P9"]]
    evidence = flags.loc[flags["other_child_id"] == "B2", "evidence"].iloc[0]
    assert "mother's date of birth" in evidence and "2013-01-01" in evidence


def test_relink_merges_and_reports_its_effect() -> None:
    dataset = make()
    report = linkage_diagnostics(dataset)
    merged = relink(dataset, report)
    assert set(merged.proceedings["child_id"]) == {"A", "T1", "T2", "B", "C", "D", "E"}
    assert set(dataset.proceedings["child_id"]) >= {"A2", "B2", "C2"}  # input untouched
    effect = relink_effect(dataset, report)
    assert effect.loc["repeat_proceedings"].tolist() == [1, 4, 3]
    returns = build_cohort(merged).data["event_type"].value_counts()
    # A, B and C now return; D's second set was issued before the first ended.
    assert returns["child_return"] == 3

"""build_cohort on small hand-made datasets whose answers are known by inspection."""

from __future__ import annotations

import pandas as pd
import pytest

from outcomes.cohort import FasterThanExpected, ShortDuration, build_cohort
from outcomes.errors import OutcomesError
from outcomes.schema import CHILD_EVENTS, PROCEEDINGS, Dataset, Manifest

EXTRACT = pd.Timestamp("2024-03-31")


def dataset(rows: list[tuple], events: list[tuple] = ()) -> Dataset:  # type: ignore[assignment]
    """rows: (pid, child, mother, dob, issue, disposal, order)."""
    frame = pd.DataFrame(
        rows,
        columns=[
            "proceedings_id",
            "child_id",
            "mother_id",
            "child_dob",
            "issue_date",
            "disposal_date",
            "final_order",
        ],
    )
    frame = PROCEEDINGS.coerce(frame.assign(la_code="LA1", dfj_area="D1", child_sex="F"))
    ev = pd.DataFrame(list(events), columns=["child_id", "event_date", "event_type"])
    ev = CHILD_EVENTS.coerce(ev)
    return Dataset(
        proceedings=frame,
        manifest=Manifest(EXTRACT, "test"),
        child_events=ev if len(ev) else CHILD_EVENTS.empty(),
    )


def test_return_competing_and_censoring() -> None:
    ds = dataset(
        [
            ("P1", "A", "M1", "2015-01-01", "2018-01-01", "2018-06-01", "supervision_order"),
            ("P2", "A", "M1", "2015-01-01", "2019-06-01", "2020-01-01", "care_order"),
            ("P3", "B", "M2", "2010-01-01", "2018-01-01", "2018-10-01", "placement_order"),
            ("P4", "C", "M3", "2006-03-01", "2020-01-01", "2020-03-01", "care_order"),
            ("P5", "D", "M4", "2012-01-01", "2021-01-01", None, None),
            ("P6", "E", "M5", "2012-01-01", "2021-01-01", "2021-02-01", "no_order"),
        ],
        [("B", "2019-05-01", "adopted"), ("E", "2022-01-01", "moved_abroad")],
    )
    data = build_cohort(ds).data.set_index("child_id")
    assert data.loc["A", ["event", "event_type"]].tolist() == [1, "child_return"]
    # Times are in years since the index disposal (days / 365.25).
    assert data.loc["A", "time"] == 365 / 365.25
    assert data.loc["B", ["event", "event_type"]].tolist() == [2, "adopted"]
    assert data.loc["C", ["event", "event_type"]].tolist() == [4, "aged_out"]
    assert data.loc["C", "time"] == (
        (pd.Timestamp("2023-03-01") - pd.Timestamp("2020-03-01")).days / 365.25
    )
    assert data.loc["E", ["event", "censor_reason"]].tolist() == [0, "moved_abroad"]
    assert "D" not in data.index  # still open
    assert data.loc["A", "short_duration"] and not data.loc["B", "short_duration"]
    censor = build_cohort(ds, age_out_as="censor").data.set_index("child_id")
    assert censor.loc["C", ["event", "censor_reason"]].tolist() == [0, "aged_out"]


def test_index_all_adds_later_disposals_and_clusters_on_child() -> None:
    ds = dataset(
        [
            ("P1", "A", "M1", "2015-01-01", "2018-01-01", "2018-06-01", "supervision_order"),
            ("P2", "A", "M1", "2015-01-01", "2019-06-01", "2020-01-01", "care_order"),
        ]
    )
    cohort = build_cohort(ds, index="all")
    assert cohort.cluster_col == "child_id"
    assert cohort.data["event_type"].tolist() == ["child_return", "censored"]
    first = build_cohort(ds)
    assert (
        len(first.data) == 1
        and first.flow.set_index("reason")["rows_out"].filter(like="first disposal").item() == 1
    )


def test_window_and_ageing_out_exclusions_add_up() -> None:
    ds = dataset(
        [
            ("P1", "A", "M1", "2015-01-01", "2012-01-01", "2012-06-01", "care_order"),
            ("P2", "B", "M2", "2000-01-01", "2016-01-01", "2017-02-01", "care_order"),
            ("P3", "C", "M3", "2015-01-01", "2018-01-01", "2018-06-01", "care_order"),
        ]
    )
    cohort = build_cohort(ds, window=("2015-01-01", None))
    flow = cohort.flow.set_index("reason")["rows_out"]
    assert flow["disposed outside the window"] == 1
    assert flow["aged 17 or over at disposal: no longer at risk"] == 1
    assert cohort.flow["rows_out"].sum() + len(cohort.data) == 3


def test_mother_recurrence_joins_overlapping_proceedings() -> None:
    ds = dataset(
        [
            # first proceedings: two siblings, ends 2018-09-01
            ("P1", "A", "M1", "2012-01-01", "2018-01-01", "2018-09-01", "care_order"),
            ("P1", "B", "M1", "2014-01-01", "2018-01-01", "2018-08-01", "care_order"),
            # a newborn issued before P1 ended: joins the index episode
            ("P2", "C", "M1", "2018-05-01", "2018-05-02", "2019-01-01", "placement_order"),
            # a later baby: the recurrence
            ("P3", "D", "M1", "2020-02-01", "2020-02-03", "2020-09-01", "placement_order"),
            ("P4", "E", "M2", "2012-01-01", "2019-01-01", "2019-08-01", "no_order"),
            ("P5", "F", None, "2012-01-01", "2019-01-01", "2019-08-01", "no_order"),
        ]
    )
    cohort = build_cohort(ds, outcome="mother_recurrence")
    data = cohort.data.set_index("mother_id")
    assert data.loc["M1", "event"] == 1
    assert data.loc["M1", "time"] == (
        (pd.Timestamp("2020-02-03") - pd.Timestamp("2018-09-01")).days / 365.25
    )
    assert data.loc["M1", "sibling_group_size"] == 2
    assert data.loc["M1", "children_joined_index"] == 1
    assert data.loc["M2", "event"] == 0
    flow = cohort.flow.set_index("reason")["rows_out"]
    assert flow["no mother_id: cannot be linked to a mother"] == 1
    assert (
        flow["issued before the mother's first proceedings ended: joined the index episode"] == 1
    )
    assert flow["later proceedings of the same mother: outcomes, not index rows"] == 1
    assert cohort.flow["rows_out"].sum() + len(cohort.data) == 6
    recurrent = cohort.recurrent()
    m1 = recurrent.loc[recurrent["mother_id"] == "M1"]
    recurrence = (pd.Timestamp("2020-02-03") - pd.Timestamp("2018-09-01")).days / 365.25
    assert m1[["start", "stop", "event", "episode"]].values.tolist() == [
        [0, recurrence, 1, 1],
        [recurrence, (EXTRACT - pd.Timestamp("2018-09-01")).days / 365.25, 0, 2],
    ]


def test_faster_than_expected_flags_the_quantile() -> None:
    rows = []
    for i in range(40):
        weeks = 10 + i
        issue = pd.Timestamp("2018-01-01")
        rows.append(
            (
                f"P{i}",
                f"C{i}",
                f"M{i}",
                "2015-01-01",
                issue,
                issue + pd.Timedelta(weeks=weeks),
                "care_order",
            )
        )
    cohort = build_cohort(dataset(rows), exposure=FasterThanExpected(quantile=0.25))
    flagged = cohort.data.sort_values("duration_weeks")["faster_than_expected"].tolist()
    assert flagged == [True] * 10 + [False] * 30


def test_bad_arguments() -> None:
    ds = dataset([("P1", "A", "M1", "2015-01-01", "2018-01-01", "2018-06-01", "care_order")])
    with pytest.raises(OutcomesError, match="unknown outcome"):
        build_cohort(ds, outcome="death")  # type: ignore[arg-type]
    with pytest.raises(OutcomesError, match="index='all' applies to child_return"):
        build_cohort(ds, outcome="mother_recurrence", index="all")
    with pytest.raises(OutcomesError, match="positive"):
        build_cohort(ds, exposure=ShortDuration(0))
    assert "time zero: the disposal date" in repr(build_cohort(ds))


def test_unvalidated_dates_after_the_extract_are_excluded() -> None:
    ds = dataset(
        [
            ("P1", "A", "M1", "2015-01-01", "2018-01-01", "2081-06-01", "care_order"),
            ("P2", "B", "M2", "2015-01-01", "2018-01-01", "2018-06-01", "care_order"),
        ]
    )
    for outcome in ("child_return", "mother_recurrence"):
        cohort = build_cohort(ds, outcome=outcome)  # type: ignore[arg-type]
        flow = cohort.flow.set_index("reason")["rows_out"]
        assert flow["dated after the extract date (not validated): a date error"] == 1
        assert len(cohort.data) == 1 and (cohort.data["time"] >= 0).all()

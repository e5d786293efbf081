"""A small hand-made dataset with one known problem per row group."""

from __future__ import annotations

import pandas as pd
import pytest

from outcomes.schema import PROCEEDINGS, STRING_DTYPE, Dataset, Manifest

ROWS = [
    # proceedings_id, child_id, mother_id, la, dob, issue, disposal, order
    ("PROC-1", "CHILD-1", "MUM-1", "LA1", "2015-03-04", "2018-01-10", "2018-07-20", "care_order"),
    ("PROC-1", "CHILD-2", "MUM-1", "LA1", "2016-05-06", "2018-01-10", "2018-07-20", "care_order"),
    # issue date with day and month swapped: disposal now precedes it
    ("PROC-1", "CHILD-3", "MUM-1", "LA1", "2017-02-03", "2018-10-01", "2018-07-20", "care_order"),
    # disposal year typed 2081
    ("PROC-2", "CHILD-4", "MUM-2", "LA1", "2012-08-09", "2017-02-15", "2081-05-17", "no_order"),
    (
        "PROC-3",
        "CHILD-5",
        None,
        "LA2",
        "2019-01-20",
        "2020-03-02",
        "2020-11-30",
        "supervision_order",
    ),
    (
        "PROC-3",
        "CHILD-5",
        None,
        "LA2",
        "2019-01-20",
        "2020-03-02",
        "2020-11-30",
        "supervision_order",
    ),
    ("PROC-4", "CHILD-6", "MUM-4", "LA2", "2010-06-30", "2016-04-14", None, "care_order"),
    ("PROC-5", "CHILD-7", "MUM-5", "LA2", "2018-09-15", "2019-01-21", None, None),
    ("PROC-6", "CHILD-8", "MUM-6", "LA2", "2011-12-25", "2015-05-18", "2015-12-14", "ICO"),
    ("PROC-7", "CHILD-9", "MUM-7", "LA1", "2014-07-03", "2016-09-19", "2017-03-22", "care_order"),
    ("PROC-8", "CHILD-9", "MUM-7", "LA1", "2014-03-07", "2021-09-20", "2022-05-23", "care_order"),
]
"""File rows 2..12. Expected findings (file row: check):

4 day_month_swap (issue_date; siblings and the rules agree), 5 year_typo (disposal_date),
6 missing_mother_id, 7 duplicate_key (and nothing else: the copy of row 6), 8
order_without_disposal, 9 stale_open_case, 10 interim_order, 11 and 12
child_dob_conflict (two rows, no way to tell which is right: both are flagged).
"""


def make_dataset() -> Dataset:
    frame = pd.DataFrame(
        ROWS,
        columns=[
            "proceedings_id", "child_id", "mother_id", "la_code",
            "child_dob", "issue_date", "disposal_date", "final_order",
        ],
    )  # fmt: skip
    frame["dfj_area"] = frame["la_code"].map({"LA1": "DFJ-A", "LA2": "DFJ-B"})
    frame["child_sex"] = "F"
    frame["mother_dob"] = pd.NaT
    for c in ("child_dob", "issue_date", "disposal_date"):
        frame[c] = pd.to_datetime(frame[c])
    for c in ("proceedings_id", "child_id", "mother_id", "la_code", "dfj_area", "child_sex",
              "final_order"):  # fmt: skip
        frame[c] = frame[c].astype(STRING_DTYPE)
    frame = frame[PROCEEDINGS.names]
    manifest = Manifest(extract_date=pd.Timestamp("2024-03-31"), source="hand-made")
    return Dataset(proceedings=frame, manifest=manifest)


EXPECTED = {
    (4, "day_month_swap", "issue_date"),
    (5, "year_typo", "disposal_date"),
    (6, "missing_mother_id", "mother_id"),
    (7, "duplicate_key", "proceedings_id"),
    (8, "order_without_disposal", "disposal_date"),
    (9, "stale_open_case", "disposal_date"),
    (10, "interim_order", "final_order"),
    (11, "child_dob_conflict", "child_dob"),
    (12, "child_dob_conflict", "child_dob"),
}


@pytest.fixture
def small() -> Dataset:
    return make_dataset()

"""Property tests: random valid rows are all kept; one injected fault is caught with the
matching reason, and nothing else is touched."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from outcomes.io import read_proceedings
from outcomes.schema import ORDER_ALIASES

EXTRACT = dt.date(2024, 3, 31)
LABELS = sorted(ORDER_ALIASES)
FORMATS = ("iso", "uk", "named")


def render(day: dt.date, form: str) -> str:
    if form == "iso":
        return day.isoformat()
    if form == "uk":
        return day.strftime("%d/%m/%Y")
    return day.strftime("%d %b %Y")


@st.composite
def valid_row(draw: st.DrawFn, i: int) -> dict[str, str]:
    dob = draw(st.dates(dt.date(1995, 1, 1), dt.date(2023, 1, 1)))
    age_days = draw(st.integers(0, 17 * 365))
    issue = dob + dt.timedelta(days=age_days)
    if issue > EXTRACT:
        issue = EXTRACT
    closed = draw(st.booleans())
    disposal = issue + dt.timedelta(days=draw(st.integers(0, 1000)))
    closed = closed and disposal <= EXTRACT
    form = draw(st.sampled_from(FORMATS))
    return {
        "proceedings_id": f"P{i}",
        "child_id": f"C{i}",
        "mother_id": draw(st.one_of(st.just(""), st.from_regex(r"M[0-9]{1,4}", fullmatch=True))),
        "la_code": draw(st.sampled_from(["E08000001", "E06000002", "W06000003"])),
        "dfj_area": draw(st.sampled_from(["Westshire", "Northgate"])),
        "child_dob": render(dob, form),
        "child_sex": draw(st.sampled_from(["F", "M", "U", "female", "Male", ""])),
        "issue_date": render(issue, form),
        "disposal_date": render(disposal, form) if closed else "",
        "final_order": draw(st.sampled_from(LABELS)) if closed else "",
    }


@st.composite
def valid_table(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(1, 25))
    return pd.DataFrame([draw(valid_row(i)) for i in range(n)])


def read(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "proceedings.csv"
        frame.to_csv(path, index=False)
        dataset = read_proceedings(path, extract_date=EXTRACT)
    return dataset.proceedings, dataset.quarantine, dataset.rows_read["proceedings"]


@settings(max_examples=60, deadline=None)
@given(valid_table())
def test_valid_rows_are_all_kept(frame: pd.DataFrame) -> None:
    kept, quarantine, n_read = read(frame)
    assert quarantine.empty, quarantine["message"].tolist()
    assert len(kept) == n_read == len(frame)
    assert kept["child_id"].tolist() == frame["child_id"].tolist()


FAULTS = {
    # reason -> how to inject it into one row
    "unparseable_date": lambda r: {**r, "issue_date": "31/02/2019"},
    "unknown_order": lambda r: {**r, "disposal_date": "2020-01-01", "final_order": "Wardship"},
    "disposal_before_issue": lambda r: {
        **r,
        "child_dob": "2010-01-01",
        "issue_date": "2019-01-01",
        "disposal_date": "2018-12-31",
        "final_order": "care_order",
    },
    "issue_before_birth": lambda r: {
        **r,
        "child_dob": "2015-06-01",
        "issue_date": "2015-05-31",
        "disposal_date": "",
        "final_order": "",
    },
    "date_after_extract": lambda r: {
        **r,
        "child_dob": "2020-01-01",
        "issue_date": "2024-04-01",
        "disposal_date": "",
        "final_order": "",
    },
    "order_without_disposal": lambda r: {**r, "disposal_date": "", "final_order": "SGO"},
    "child_too_old": lambda r: {**r, "child_dob": "1990-01-01", "issue_date": "2012-01-01"},
    "missing_value": lambda r: {**r, "la_code": ""},
    "invalid_sex": lambda r: {**r, "child_sex": "X"},
    "ambiguous_date": lambda r: {**r, "child_dob": "05/13/2010"},
}


@settings(max_examples=60, deadline=None)
@given(valid_table(), st.sampled_from(sorted(FAULTS)), st.data())
def test_one_injected_fault_is_caught(
    frame: pd.DataFrame, reason: str, data: st.DataObject
) -> None:
    target = data.draw(st.integers(0, len(frame) - 1))
    rows = frame.to_dict(orient="records")
    rows[target] = FAULTS[reason](rows[target])
    if reason == "ambiguous_date":
        # Only a column that holds a month-first value makes other dates ambiguous.
        for i, r in enumerate(rows):
            if i != target and r["child_dob"].count("/") == 2:
                day, month, year = r["child_dob"].split("/")
                rows[i] = {**r, "child_dob": f"{year}-{month}-{day}"}
    kept, quarantine, n_read = read(pd.DataFrame(rows))
    assert quarantine["reason"].tolist() == [reason]
    assert quarantine["row"].tolist() == [target + 2]
    assert len(kept) + len(quarantine) == n_read == len(frame)

"""The flow adds up: for random datasets with random faults, every row read is either a
cohort row or counted in exactly one flow step."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from outcomes.cohort import build_cohort
from outcomes.io import read_dataset, write_dataset
from outcomes.io.dataset import read_proceedings
from outcomes.schema import Dataset, Manifest
from tests.io.test_properties import EXTRACT, FAULTS, valid_row


@st.composite
def faulty_table(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(1, 30))
    rows = [draw(valid_row(i)) for i in range(n)]
    # Repeat children and mothers so that returns, recurrences and joins occur.
    for i in range(1, n):
        if draw(st.booleans()):
            j = draw(st.integers(0, i - 1))
            rows[i]["child_id"] = rows[j]["child_id"]
            rows[i]["child_dob"] = rows[j]["child_dob"]
        if draw(st.booleans()):
            rows[i]["mother_id"] = rows[draw(st.integers(0, i - 1))]["mother_id"]
    for i in draw(st.lists(st.integers(0, n - 1), max_size=5)):
        rows[i] = FAULTS[draw(st.sampled_from(sorted(FAULTS)))](rows[i])
    if draw(st.booleans()):
        rows.append(dict(rows[0]))  # an exact duplicate
    return pd.DataFrame(rows)


def check(dataset: Dataset) -> None:
    read = dataset.rows_read["proceedings"]
    for outcome in ("child_return", "mother_recurrence"):
        for age_out_as in ("competing", "censor"):
            cohort = build_cohort(dataset, outcome=outcome, age_out_as=age_out_as)  # type: ignore[arg-type]
            flow = cohort.flow
            assert flow.attrs["rows_input"] == read
            assert int(flow["rows_out"].sum()) + len(cohort.data) == read
            assert (flow["rows_in"] - flow["rows_out"] == flow["rows_remaining"]).all()
            assert (cohort.data["time"] >= 0).all()
    all_rows = build_cohort(dataset, index="all")
    assert int(all_rows.flow["rows_out"].sum()) + len(all_rows.data) == read


@settings(max_examples=25, deadline=None)
@given(faulty_table())
def test_flow_adds_up_for_random_faulty_datasets(frame: pd.DataFrame) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "proceedings.csv"
        frame.to_csv(path, index=False)
        single = read_proceedings(path, extract_date=EXTRACT)
        check(single)
        if single.proceedings.empty:
            return  # every row was quarantined: an empty table is not a dataset
        write_dataset(
            Dataset(proceedings=single.proceedings, manifest=Manifest(pd.Timestamp(EXTRACT), "t")),
            Path(folder) / "ds",
        )
        check(read_dataset(Path(folder) / "ds"))

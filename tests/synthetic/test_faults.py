"""The fault record against what the reader quarantines."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import synthetic
from outcomes.io import read_dataset
from outcomes.io._vocab import map_labels
from outcomes.schema import ORDER_ALIASES
from synthetic.faults import FAULT_TYPES, MISCODED_LABELS


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_no_faults_nothing_quarantined(
    clean_world: synthetic.World, tmp_path: Path, fmt: str
) -> None:
    clean_world.write(tmp_path, format=fmt)
    ds = read_dataset(tmp_path)
    assert ds.quarantine.empty, ds.quarantine[["table", "row", "reason"]].head()
    assert len(ds.proceedings) == len(clean_world.clean)
    assert clean_world.faults.empty


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_every_quarantined_row_is_in_the_record(
    small_world: synthetic.World, tmp_path: Path, fmt: str
) -> None:
    small_world.write(tmp_path, format=fmt)
    ds = read_dataset(tmp_path)
    q = ds.quarantine
    assert len(q) > 0
    assert set(q["table"]) == {"proceedings"}
    faults = small_world.faults
    assert set(q["row"]) <= set(faults["file_row"])
    # and the generator knew which faults the reader would catch, and why
    expected = faults.loc[faults["expected_reason"] != ""].drop_duplicates("file_row")
    assert set(expected["file_row"]) == set(q["row"])
    merged = q.merge(expected, left_on="row", right_on="file_row")
    for _, r in merged.iterrows():
        found = {r["reason"], *filter(None, str(r["other_reasons"] or "").split(";"))}
        assert found == set(r["expected_reason"].split(";")), r


def test_record_describes_the_changes(small_world: synthetic.World) -> None:
    faults = small_world.faults
    observed = small_world.dataset.proceedings
    assert set(faults["fault"]) == set(FAULT_TYPES)
    assert (faults["file_row"] == faults["row"] + 2).all()
    clean = small_world.clean
    position = {
        k: i for i, k in enumerate(zip(clean["proceedings_id"], clean["child_id"], strict=True))
    }
    for _, f in faults.loc[faults["fault"] != "duplicate_row"].iterrows():
        row = observed.iloc[int(f["row"])]
        col = f["column"]
        new = row[col]
        new_text = (
            ""
            if pd.isna(new)
            else (new.strftime("%Y-%m-%d") if isinstance(new, pd.Timestamp) else str(new))
        )
        assert new_text == f["new_value"], f
        old = clean[col].iloc[position[(f["proceedings_id"], f["child_id"])]]
        old_text = (
            ""
            if pd.isna(old)
            else (old.strftime("%Y-%m-%d") if isinstance(old, pd.Timestamp) else str(old))
        )
        assert old_text == f["old_value"], f
        assert old_text != new_text


def test_duplicates_follow_their_original(small_world: synthetic.World) -> None:
    obs = small_world.dataset.proceedings
    dups = small_world.faults.loc[small_world.faults["fault"] == "duplicate_row", "row"]
    for r in dups.to_numpy():
        assert obs.iloc[r].equals(obs.iloc[r - 1])
    assert len(obs) == len(small_world.clean) + len(dups)


def test_broken_ids_are_new_and_linkage_faults_silent(small_world: synthetic.World) -> None:
    f = small_world.faults
    broken = f.loc[f["fault"] == "broken_child_id"]
    assert len(broken) > 0
    assert not set(broken["new_value"]) & set(small_world.clean["child_id"])
    silent = f.loc[f["fault"].isin(["broken_child_id", "missing_mother_id"])]
    only_silent = ~silent["row"].isin(
        f.loc[~f["fault"].isin(["broken_child_id", "missing_mother_id"]), "row"]
    )
    assert (silent.loc[only_silent, "expected_reason"] == "").all()


def test_miscoded_labels_are_not_orders() -> None:
    mapped, unknown = map_labels(pd.Series(list(MISCODED_LABELS), dtype=object), ORDER_ALIASES)
    assert unknown.all(), mapped


def test_poor_data_has_more_faults_and_la_rates_vary() -> None:
    default = synthetic.generate("default", n_applications=3_000, seed=2)
    poor = synthetic.generate("poor_data", n_applications=3_000, seed=2)
    assert len(poor.faults) > 4 * len(default.faults)
    per_la = poor.faults.groupby("la_code").size() / poor.clean.groupby("la_code").size()
    per_la = per_la.dropna()
    assert per_la.max() > 3 * np.median(per_la)


def test_date_typos_are_detectable(small_world: synthetic.World) -> None:
    f = small_world.faults
    typos = f.loc[f["fault"] == "year_typo"]
    assert len(typos) > 0
    assert typos["expected_reason"].str.contains("date_after_extract").all()
    # day/month swaps are realistic: most give another valid date and stay silent,
    # which the record says (expected_reason empty)
    swaps = f.loc[f["fault"] == "day_month_swap"]
    assert len(swaps) > 0 and (swaps["expected_reason"] == "").any()

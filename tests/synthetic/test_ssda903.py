"""SSDA903 files use the return's columns and code lists."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import synthetic
from synthetic.ssda903 import EPISODE_COLUMNS, ETHNIC_CODES, HEADER_COLUMNS

LS = {"C1", "C2", "D1", "E1", "V2", "V3", "V4", "J1", "J2", "J3", "L1", "L2", "L3"}
REC = {
    "E11",
    "E12",
    "E13",
    "E14",
    "E15",
    "E16",
    "E17",
    "E2",
    "E3",
    "E41",
    "E45",
    "E46",
    "E47",
    "E48",
    "E4A",
    "E4B",
    "E5",
    "E6",
    "E7",
    "E8",
    "E9",
    "X1",
}
RNE = {"S", "L", "P", "T", "B", "U"}
PLACE = {
    "A3",
    "A4",
    "A5",
    "A6",
    "H5",
    "K1",
    "K2",
    "P1",
    "P2",
    "P3",
    "R1",
    "R2",
    "R3",
    "R5",
    "S1",
    "T0",
    "T1",
    "T2",
    "T3",
    "T4",
    "U1",
    "U2",
    "U3",
    "U4",
    "U5",
    "U6",
    "Z1",
}


def test_ssda903_files(small_world: synthetic.World, tmp_path: Path) -> None:
    paths = synthetic.write_ssda903(small_world, tmp_path)
    header = pd.read_csv(paths[0], dtype=str, keep_default_na=False)
    episodes = pd.read_csv(paths[1], dtype=str, keep_default_na=False)
    assert tuple(header.columns) == HEADER_COLUMNS
    assert tuple(episodes.columns) == EPISODE_COLUMNS
    assert set(header["SEX"]) <= {"1", "2"}
    assert set(header["ETHNIC"]) <= set(ETHNIC_CODES)
    assert set(episodes["LS"]) <= LS
    assert set(episodes["REC"]) - {""} <= REC
    assert set(episodes["RNE"]) <= RNE
    assert set(episodes["PLACE"]) <= PLACE
    assert set(episodes["CHILD"]) == set(header["CHILD"])
    # dates are dd/mm/yyyy, and an episode never ends before it starts
    start = pd.to_datetime(episodes["DECOM"], format="%d/%m/%Y")
    end = pd.to_datetime(episodes["DEC"].replace("", None), format="%d/%m/%Y")
    assert (end.isna() | (end >= start)).all()
    # a child's first episode starts a period of care
    assert (episodes.groupby("CHILD")["RNE"].first() == "S").all()


def test_ssda903_reads_back_with_the_library_reader(
    small_world: synthetic.World, tmp_path: Path
) -> None:
    from outcomes.io.ssda903 import read_ssda903
    from synthetic.ssda903 import as_recorded

    header, episodes = synthetic.write_ssda903(small_world, tmp_path)
    ds = read_ssda903(header, episodes, extract_date=small_world.dataset.manifest.extract_date)
    assert ds.quarantine.empty
    assert ds.care_episodes is not None
    world = small_world.dataset.care_episodes
    assert world is not None
    world = world.sort_values(["child_id", "start_date"], kind="stable").reset_index(drop=True)
    # the world may open a child's new episode before the last one ends; the return
    # ends the earlier episode that day with X1, and changes nothing else
    mine = as_recorded(world)
    changed = (mine["end_date"] != world["end_date"]) & world["end_date"].notna()
    changed |= world["end_date"].isna() & mine["end_date"].notna()
    assert (mine.loc[changed, "reason_ceased"] == "X1").all()
    assert (
        mine.loc[changed, "end_date"] <= world.loc[changed, "end_date"].fillna(mine["end_date"])
    ).all()
    got = ds.care_episodes.reset_index(drop=True)
    pd.testing.assert_frame_equal(
        got[["child_id", "start_date", "end_date", "legal_status", "reason_ceased"]],
        mine[["child_id", "start_date", "end_date", "legal_status", "reason_ceased"]],
        check_dtype=False,
    )

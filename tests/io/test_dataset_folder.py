"""Dataset folders: round trips, the manifest, and accounting across tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from outcomes.datasets import load_example
from outcomes.errors import PrivacyError, SchemaError
from outcomes.io import read_dataset, write_dataset
from outcomes.schema import CARE_EPISODES, CHILD_EVENTS, STRING_DTYPE, Dataset, Manifest


def rich_dataset() -> Dataset:
    """The example plus events, episodes and covariates of every extra type."""
    base = load_example()
    proceedings = base.proceedings.copy()
    rng = np.random.default_rng(7)
    n = len(proceedings)
    proceedings["complexity_score"] = rng.normal(size=n)
    proceedings["n_siblings"] = rng.integers(0, 5, size=n)
    proceedings["substance_misuse"] = rng.random(n) < 0.3
    proceedings["ethnicity"] = pd.Series(
        rng.choice(["White", "Mixed", "Black", "Asian"], size=n), dtype=STRING_DTYPE
    )
    proceedings.loc[::7, "complexity_score"] = np.nan
    ids = proceedings["child_id"].iloc[:6].tolist()
    events = pd.DataFrame(
        {
            "child_id": ids,
            "event_date": pd.to_datetime(["2020-01-02"] * 3 + ["2021-05-06"] * 3),
            "event_type": [
                "adopted",
                "died",
                "moved_abroad",
                "entered_care",
                "left_care",
                "placement_breakdown",
            ],
        }
    ).astype(CHILD_EVENTS.empty().dtypes.to_dict())
    episodes = pd.DataFrame(
        {
            "child_id": ids[:2],
            "start_date": pd.to_datetime(["2019-01-01", "2019-02-01"]),
            "end_date": pd.to_datetime(["2019-06-01", None]),
            "legal_status": ["C2", "E1"],
            "reason_ceased": ["E11", None],
            "placement": ["U1", "A5"],
        }
    ).astype(CARE_EPISODES.empty().dtypes.to_dict())
    manifest = Manifest(
        extract_date=pd.Timestamp("2022-06-30"),
        source="round-trip test",
        covariates=["n_prior_proceedings_mother", "complexity_score"],
        scenario="none",
        seed=3,
        extra={"note": "kept through a round trip"},
    )
    return Dataset(
        proceedings=proceedings, manifest=manifest, child_events=events, care_episodes=episodes
    )


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_round_trip(tmp_path: Path, fmt: str) -> None:
    original = rich_dataset()
    write_dataset(original, tmp_path / "ds", format=fmt)  # type: ignore[arg-type]
    back = read_dataset(tmp_path / "ds")
    assert back.quarantine.empty
    for name, frame in original.tables().items():
        pd.testing.assert_frame_equal(back.tables()[name], frame.reset_index(drop=True))
    assert back.manifest == original.manifest
    assert back.rows_read == {"proceedings": 235, "child_events": 6, "care_episodes": 2}


def test_writing_replaces_the_other_format(tmp_path: Path) -> None:
    ds = rich_dataset()
    write_dataset(ds, tmp_path, format="csv")
    write_dataset(ds, tmp_path, format="parquet")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".care-outcomes-output",  # the marker: this folder is care-outcomes' own
        "care_episodes.parquet",
        "child_events.parquet",
        "manifest.toml",
        "proceedings.parquet",
    ]


def test_rows_are_accounted_for_in_every_table(tmp_path: Path) -> None:
    ds = rich_dataset()
    write_dataset(ds, tmp_path, format="csv")
    events = (tmp_path / "child_events.csv").read_text().splitlines()
    events.append(f"{events[1].split(',')[0]},2020-13-01,adopted")
    events.append("C9,2020-01-01,kidnapped")
    (tmp_path / "child_events.csv").write_text("\n".join(events) + "\n")
    back = read_dataset(tmp_path)
    q = back.quarantine
    assert q[["table", "reason"]].values.tolist() == [
        ["child_events", "unparseable_date"],
        ["child_events", "unknown_event_type"],
    ]
    for name, frame in back.tables().items():
        assert len(frame) + (q["table"] == name).sum() == back.rows_read[name]


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        (None, "manifest.toml not found"),
        ("schema_version = 1\nsource = 'x'\n", "missing field 'extract_date'"),
        ("schema_version = 2\nextract_date = 2020-01-01\nsource = 'x'\n", "not supported"),
        ("schema_version = 1\nextract_date = 'soon'\nsource = 'x'\n", "is not a date"),
        (
            "schema_version = 1\nextract_date = 2020-01-01\nsource = 'x'\ncovariates = 'a'\n",
            "list of column names",
        ),
        (
            "schema_version = 1\nextract_date = 2020-01-01\nsource = 'x'\ncovariates = ['shoe']\n",
            "covariates that proceedings does not have: shoe",
        ),
        ("schema_version = = 1\n", "not valid TOML"),
    ],
)
def test_bad_manifest(tmp_path: Path, manifest: str | None, message: str) -> None:
    write_dataset(load_example(), tmp_path)
    if manifest is None:
        (tmp_path / "manifest.toml").unlink()
    else:
        (tmp_path / "manifest.toml").write_text(manifest)
    with pytest.raises(SchemaError, match=message):
        read_dataset(tmp_path)


def test_folder_problems(tmp_path: Path) -> None:
    with pytest.raises(SchemaError, match="not a dataset folder"):
        read_dataset(tmp_path / "nowhere")
    write_dataset(load_example(), tmp_path)
    load_example().proceedings.to_csv(tmp_path / "proceedings.csv", index=False)
    with pytest.raises(SchemaError, match="both proceedings.parquet and proceedings.csv"):
        read_dataset(tmp_path)
    (tmp_path / "proceedings.csv").unlink()
    (tmp_path / "proceedings.parquet").unlink()
    with pytest.raises(SchemaError, match="missing table proceedings"):
        read_dataset(tmp_path)


def test_writer_refuses_identifiers(tmp_path: Path) -> None:
    ds = load_example()
    ds.proceedings["child_surname"] = "Smith"
    with pytest.raises(PrivacyError, match="child_surname"):
        write_dataset(ds, tmp_path)
    assert not (tmp_path / "proceedings.parquet").exists()


def test_reader_drops_identifiers_unless_kept(tmp_path: Path) -> None:
    ds = load_example()
    frame = ds.proceedings.assign(postcode="AB1 2CD", nhs_number="9434765919")
    frame.to_csv(tmp_path / "p.csv", index=False)
    from outcomes.io import read_proceedings

    dropped = read_proceedings(tmp_path / "p.csv")
    assert dropped.dropped_columns == {"proceedings": ["postcode", "nhs_number"]}
    assert "postcode" not in dropped.proceedings
    kept = read_proceedings(tmp_path / "p.csv", keep_identifiers=("Postcode",))
    assert kept.proceedings["postcode"].eq("AB1 2CD").all()
    assert kept.dropped_columns == {"proceedings": ["nhs_number"]}

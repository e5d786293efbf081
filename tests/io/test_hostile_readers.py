"""Hostile extracts: no record lost, no wrong value kept, a user's mistake is exit 2.

Each file of ``tests/data/bad`` written by ``make_hostile.py`` is read through the
command line and the library. Records are counted here, independently of the reader,
from the line structure of the file: every line after the header holding anything but
blank space and delimiters is one record. For every file, kept + quarantined must equal
that count, and every quarantined row must be named by file, row and column.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outcomes.cli import main
from outcomes.errors import SchemaError
from outcomes.io import read_dataset, read_proceedings, read_ssda903
from outcomes.io._files import read_raw
from outcomes.quality import check_quality
from outcomes.schema import PROCEEDINGS

BAD = Path(__file__).parents[1] / "data" / "bad"
EXTRACT = "2024-03-31"


def records_in(path: Path) -> int:
    """Records in a file, counted without any CSV parser (see the module docstring)."""
    if path.suffix == ".parquet":
        return pq.read_metadata(path).num_rows
    text = path.read_bytes().decode("utf-8-sig")
    lines = re.split(r"\r\n|\r|\n", text)
    filled = [bool(re.sub(r"[\s,;|]", "", line)) for line in lines]
    header = filled.index(True)
    return sum(filled[header + 1 :])


# file -> (exit code of validate, [(reason, row, column as written)])
ROWS: dict[str, tuple[int, list[tuple[str, int, str | None]]]] = {
    "stray_quote.csv": (1, [("malformed_row", 7, "dfj_area")]),
    "quote_opened_mid_line.csv": (1, [("malformed_row", 5, "dfj_area")]),
    "stray_quote_last_row.csv": (1, [("malformed_row", 13, "final_order")]),
    "too_many_fields.csv": (1, [("malformed_row", 8, None)]),
    "oversized_field.csv": (1, [("oversized_field", 4, "dfj_area")]),
    "nul_byte.csv": (1, [("control_character", 6, "dfj_area")]),
    "ansi_escape.csv": (1, [("control_character", 3, "la_code")]),
    "vertical_tab.csv": (1, [("control_character", 9, "dfj_area")]),
    "cr_only.csv": (0, []),
    "mixed_line_endings.csv": (0, []),
    "blank_lines_between.csv": (1, [("unparseable_date", 14, "issue_date")]),
    "year_2600.csv": (1, [("unparseable_date", 3, "issue_date")]),
    "year_9999.csv": (1, [("unparseable_date", 4, "child_dob")]),
    "year_before_1900.csv": (1, [("unparseable_date", 2, "child_dob")]),
    "utc_offsets.csv": (0, []),
    "compact_dates.csv": (1, [("unparseable_date", 3, "issue_date")]),
    "future_typo.csv": (1, [("date_after_extract", 5, "disposal_date")]),
    "excel_datetime_day_first.csv": (0, []),
    "placeholder_mother_ids.csv": (0, []),
    "placeholder_child_id.csv": (1, [("missing_value", 4, "child_id")]),
    "mother_born_after_child.csv": (1, [("mother_born_after_child", 3, "mother_dob")]),
    "mother_born_1900.csv": (1, [("mother_too_old", 4, "mother_dob")]),
    "young_mother.csv": (0, []),
    "tz_aware_dates.parquet": (0, []),
    "far_future.parquet": (
        1,
        [("unparseable_date", 3, "issue_date"), ("missing_value", 5, "issue_date")],
    ),
}

# file or folder -> what the exit-2 message must say (and the column it names)
REFUSED: dict[str, tuple[str, str | None]] = {
    "list_column.parquet": ("holds list", "dfj_area"),
    "struct_column.parquet": ("holds struct", "la_code"),
    "binary_column.parquet": ("holds binary", "child_id"),
    "manifest_version_true": ("schema_version True is not supported", "schema_version"),
    "manifest_version_float": ("schema_version 1.0 is not supported", "schema_version"),
    "manifest_version_string": ("schema_version '1' is not supported", "schema_version"),
    "manifest_extract_empty": ("extract date '' from manifest.toml is not a date", "extract_date"),
    "manifest_extract_2061": ("2061-03-31 from manifest.toml is implausible", "extract_date"),
    "manifest_extract_1985": ("1985-03-31 from manifest.toml is implausible", "extract_date"),
    "table_is_folder": ("is a folder, not a file", None),
    "symlink_loop": ("symbolic-link loop", None),
}

# folders that read: -> (exit code, extract date read)
FOLDERS = {
    "manifest_with_bom": (0, "2024-03-31"),
    "manifest_extract_compact": (0, "2025-03-31"),
    "manifest_extract_day_first": (1, "2019-03-01"),
}
SSDA903 = ("ssda903_chain_header.csv", "ssda903_chain_episodes.csv")
ALL = set(ROWS) | set(REFUSED) | set(FOLDERS) | set(SSDA903)
"""Every file and folder ``make_hostile.py`` writes."""


def test_the_battery_is_there() -> None:
    assert len(ALL) >= 40
    for name in ALL:
        assert os.path.lexists(BAD / name), name


@pytest.mark.parametrize("name", sorted(ROWS))
def test_rows_kept_or_quarantined_alone(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, expected = ROWS[name]
    path = BAD / name
    assert main(["validate", str(path), "--extract-date", EXTRACT]) == code
    out = capsys.readouterr().out
    assert "Traceback" not in out and "bug in care-outcomes" not in out
    ds = read_proceedings(path, extract_date=EXTRACT)
    q = ds.quarantine
    assert list(zip(q["reason"], q["row"], strict=True)) == [(r, n) for r, n, _ in expected]
    for message, (_, row, column) in zip(q["message"], expected, strict=True):
        where = f"{path}:{row}:{column}:" if column else f"{path}:{row}:"
        assert message.startswith(where), message
    assert len(ds.proceedings) + len(q) == ds.rows_read["proceedings"] == records_in(path)


@pytest.mark.parametrize("name", sorted(ROWS))
def test_quality_reads_every_hostile_file(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["quality", str(BAD / name), "--extract-date", EXTRACT]) == 0
    assert "Traceback" not in capsys.readouterr().out


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_with_what_is_wrong(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    text, column = REFUSED[name]
    path = BAD / name
    assert main(["validate", str(path), "--extract-date", EXTRACT]) == 2
    err = capsys.readouterr().err
    assert text in err and "bug" not in err
    with pytest.raises(SchemaError) as info:
        if path.suffix == ".parquet":
            read_proceedings(path, extract_date=EXTRACT)
        else:
            read_dataset(path)
    assert info.value.column == column
    assert name in str(info.value)
    assert "missing table" not in str(info.value)


@pytest.mark.parametrize("name", sorted(FOLDERS))
def test_folders_that_read(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, extract = FOLDERS[name]
    assert main(["validate", str(BAD / name)]) == code
    capsys.readouterr()
    ds = read_dataset(BAD / name)
    assert ds.manifest.extract_date == pd.Timestamp(extract)
    assert len(ds.proceedings) + len(ds.quarantine) == records_in(BAD / name / "proceedings.csv")


def test_day_first_extract_date_bounds_the_rows() -> None:
    ds = read_dataset(BAD / "manifest_extract_day_first")
    assert ds.quarantine["reason"].tolist() == ["date_after_extract"]
    assert ds.quarantine["row"].tolist() == [3]


def test_dates_with_offsets_are_the_dates_written() -> None:
    kept = read_proceedings(BAD / "utc_offsets.csv", extract_date=EXTRACT).proceedings
    assert kept["issue_date"].iloc[:3].dt.strftime("%Y-%m-%d").tolist() == [
        "2015-06-01",
        "2016-02-01",
        "2017-03-01",
    ]
    assert kept["disposal_date"].iloc[0] == pd.Timestamp("2015-12-01")
    tz = read_proceedings(BAD / "tz_aware_dates.parquet", extract_date=EXTRACT).proceedings
    assert (tz["issue_date"] == pd.Timestamp("2015-06-01")).all()


def test_compact_and_excel_dates() -> None:
    kept = read_proceedings(BAD / "compact_dates.csv", extract_date=EXTRACT).proceedings
    assert kept["issue_date"].iloc[0] == pd.Timestamp("2018-03-01")
    assert kept["issue_date"].min() > pd.Timestamp("1990-01-01")  # never 1970
    kept = read_proceedings(BAD / "excel_datetime_day_first.csv", extract_date=EXTRACT)
    assert kept.proceedings["issue_date"].iloc[0] == pd.Timestamp("2018-03-01")


def test_far_future_years_are_not_wrapped() -> None:
    for name in ("year_2600.csv", "year_9999.csv"):
        ds = read_proceedings(BAD / name, extract_date=EXTRACT)
        assert "year outside 1900-2100" in ds.quarantine["message"].iloc[0]
        dates = ds.proceedings[["child_dob", "issue_date", "disposal_date"]]
        assert dates.max().max() <= pd.Timestamp(EXTRACT)


def test_without_an_extract_date_a_future_typo_is_quarantined_not_the_extract_date() -> None:
    ds = read_proceedings(BAD / "future_typo.csv")
    assert ds.quarantine["reason"].tolist() == ["date_after_extract"]
    assert "after today" in ds.quarantine["message"].iloc[0]
    assert ds.manifest.extract_date == pd.Timestamp("2018-11-15")


def test_placeholder_mother_ids_are_missing_and_counted() -> None:
    ds = read_proceedings(BAD / "placeholder_mother_ids.csv", extract_date=EXTRACT)
    mothers = ds.proceedings["mother_id"]
    assert mothers.isna().sum() == 10
    assert mothers.value_counts().to_dict() == {"M1": 3}  # no mother "NULL" with 10 children
    assert ds.placeholder_ids == {"proceedings": {"mother_id": 8}}  # 2 were blank
    report = check_quality(ds)
    missing = report.issues.loc[report.issues["check"] == "missing_mother_id"]
    assert len(missing) == 10


def test_young_mother_is_flagged_by_the_quality_report() -> None:
    ds = read_proceedings(BAD / "young_mother.csv", extract_date=EXTRACT)
    issues = check_quality(ds).issues
    flagged = issues.loc[issues["check"] == "young_mother"]
    assert flagged["row"].tolist() == [2] and flagged["column"].tolist() == ["mother_dob"]


def test_family_checks_are_in_the_quality_report() -> None:
    ds = read_proceedings(BAD / "mother_born_after_child.csv", extract_date=EXTRACT)
    issues = check_quality(ds).issues
    assert issues.loc[issues["check"] == "mother_born_after_child", "row"].tolist() == [3]


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("garbage", "'garbage'"),
        ("", "''"),
        ("2061-01-01", "implausible"),
        ("1989-12-31", "implausible"),
        ("31/02/2020", "no such day"),
    ],
)
def test_bad_extract_date_option(
    value: str, said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(BAD / "cr_only.csv"), "--extract-date", value]) == 2
    err = capsys.readouterr().err
    assert said in err and "--extract-date" in err and "bug" not in err


@pytest.mark.parametrize(
    ("value", "day"), [("01/03/2011", "2011-03-01"), ("20250331", "2025-03-31")]
)
def test_extract_date_option_is_day_first(value: str, day: str) -> None:
    ds = read_proceedings(BAD / "cr_only.csv", extract_date=value)
    assert ds.manifest.extract_date == pd.Timestamp(day)


def test_ssda903_chain_breaks_are_quarantined_or_split() -> None:
    ds = read_ssda903(BAD / SSDA903[0], BAD / SSDA903[1], extract_date=EXTRACT)
    q = ds.quarantine
    got = dict(zip(q["row"], q["reason"], strict=True))
    assert got == {
        4: "broken_period_of_care",  # K2, before the missing episode
        5: "episode_chain_break",  # K2: X1 on 01/08/2015, next starts 01/06/2016
        6: "broken_period_of_care",  # K3
        7: "episode_overlap",  # K3
        8: "open_episode_not_last",  # K4
        14: "episode_chain_break",  # K6: back in care without RNE S
    }
    for message, row in zip(q["message"], q["row"], strict=True):
        assert message.startswith(f"{BAD / SSDA903[1]}:{row}:")
    assert len(ds.care_episodes) + len(q) == ds.rows_read["care_episodes"]
    assert ds.rows_read["care_episodes"] == records_in(BAD / SSDA903[1])
    p = ds.proceedings.sort_values(["child_id", "issue_date"])
    # K5's two proceedings three years apart stay two; K4's later period stands alone
    assert list(zip(p["child_id"], p["issue_date"].dt.strftime("%Y-%m-%d"), strict=True)) == [
        ("K1", "2015-02-01"),
        ("K4", "2019-02-01"),
        ("K5", "2015-02-01"),
        ("K5", "2018-09-01"),
    ]
    assert p["final_order"].tolist() == ["care_order", "other", "other", "care_order"]


def test_five_megabyte_field_never_aborts(tmp_path: Path) -> None:
    lines = (BAD / "cr_only.csv").read_bytes().decode().split("\r")
    lines[5] = lines[5].replace("Westshire", "W" * 5_000_000)
    path = tmp_path / "huge.csv"
    path.write_text("\n".join(lines))
    run = subprocess.run(
        [sys.executable, "-m", "outcomes", "validate", str(path), "--extract-date", EXTRACT],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 1, run.stderr
    assert f"{path}:6:dfj_area: the record is 5,000,0" in run.stdout
    ds = read_proceedings(path, extract_date=EXTRACT)
    assert ds.quarantine["reason"].tolist() == ["oversized_field"]
    assert len(ds.quarantine["value"].iloc[0]) <= 200
    assert len(ds.proceedings) + 1 == records_in(path) == 12


def test_fifo_and_unreadable_paths_say_what_they_are(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    with pytest.raises(SchemaError, match="not a regular file"):
        read_proceedings(fifo)
    with pytest.raises(SchemaError, match="file not found"):
        read_proceedings(tmp_path / "absent.csv")


# --- one hostile change to a valid file: no other record is lost --------------------

VALID = (BAD / "cr_only.csv").read_bytes().decode().split("\r")[:-1]
KINDS = ['"', "\x00", "\x1b", "\x07", "\x7f", "OVERSIZED", "\r", '""', ",", "\n"]


def _insert(line: int, at: int, what: str, folder: Path) -> Path:
    lines = list(VALID)
    target = lines[line]
    at = at % (len(target) + 1)
    insert = "W" * 40_000 if what == "OVERSIZED" else what
    lines[line] = target[:at] + insert + target[at:]
    path = folder / "one.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))
    return path


def _untouched(line: int) -> set[str]:
    return {VALID[r].split(",")[0] for r in range(1, len(VALID)) if r != line}


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(line=st.integers(1, len(VALID) - 1), at=st.integers(0, 200), what=st.sampled_from(KINDS))
def test_one_hostile_insertion_loses_no_other_record(
    line: int, at: int, what: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The record layer: every record is a row or set aside, and only the changed one
    (or, for an inserted line break, its two halves) can be set aside."""
    path = _insert(line, at, what, tmp_path_factory.mktemp("h"))
    raw = read_raw(path, PROCEEDINGS)
    assert len(raw.frame) + len(raw.malformed) == records_in(path)
    assert _untouched(line) <= set(raw.frame["proceedings_id"].dropna())
    assert {m.row for m in raw.malformed} <= {line + 1, line + 2}


@pytest.mark.parametrize("what", KINDS)
@pytest.mark.parametrize(("line", "at"), [(1, 0), (5, 17), (len(VALID) - 1, 1000)])
def test_one_hostile_insertion_read_in_full(line: int, at: int, what: str, tmp_path: Path) -> None:
    """The whole reader, validation included, on a sample of the same insertions."""
    path = _insert(line, at, what, tmp_path)
    ds = read_proceedings(path, extract_date=EXTRACT)
    q = ds.quarantine
    assert len(ds.proceedings) + len(q) == ds.rows_read["proceedings"] == records_in(path)
    assert _untouched(line) <= set(ds.proceedings["proceedings_id"])
    assert set(q["row"]) <= {line + 1, line + 2}


@pytest.mark.parametrize(
    "value", [None, True, 1.0, 20250331, "", "  ", "nonsense", pd.NaT, "2024-02-30"]
)
def test_extract_date_of_the_wrong_kind_is_a_schema_error(value: object) -> None:
    from outcomes.io._dates import parse_extract_date

    with pytest.raises(SchemaError, match="from somewhere is not a date"):
        parse_extract_date(value, "somewhere")


def test_extract_date_as_written_whatever_its_zone() -> None:
    import datetime as dt

    from outcomes.io._dates import parse_extract_date

    zoned = dt.datetime(2020, 1, 1, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    assert parse_extract_date(zoned, "x") == pd.Timestamp("2020-01-01")
    assert parse_extract_date("2020-01-01T00:00:00+01:00", "x") == pd.Timestamp("2020-01-01")

"""The bad-input battery: every malformed file gives the exact error or reason, the
right exit code from ``outcomes validate``, a message naming file, row and column, and
``kept + quarantined == read``."""

from __future__ import annotations

from pathlib import Path

import pytest

from outcomes.cli import main
from outcomes.errors import SchemaError, ValidationError
from outcomes.io import read_proceedings

BAD = Path(__file__).parents[1] / "data" / "bad"
EXTRACT = "2024-03-31"

# file -> (text the error must contain, column it must name, line it must name)
STRUCTURAL = {
    "empty.csv": ("file is empty", None, None),
    "blank_space_only.csv": ("only blank space", None, None),
    "header_only.csv": ("header but no data rows", None, None),
    "missing_required_column.csv": ("missing required column issue_date", "issue_date", None),
    "duplicate_columns.csv": ("duplicate column name 'child_id'", "child_id", None),
    "duplicate_after_normalising.csv": ("both mean 'child_id'", "Child ID", None),
    "windows_1252.csv": ("not valid utf-8", "dfj_area", 5),
    "utf16_without_bom.csv": ("UTF-16 without a byte-order mark", None, None),
    "not_a_workbook.xlsx": ("cannot read as an Excel workbook", None, None),
}

# file -> [(reason, spreadsheet row, canonical column, header as written)]
ROW_FAULTS = {
    "unparseable_date.csv": [("unparseable_date", 3, "issue_date", "issue_date")],
    "two_digit_year.csv": [("unparseable_date", 3, "child_dob", "child_dob")],
    "disposal_before_issue.csv": [("disposal_before_issue", 3, "disposal_date", "disposal_date")],
    "issue_before_birth.csv": [("issue_before_birth", 3, "issue_date", "issue_date")],
    "date_after_extract.csv": [("date_after_extract", 3, "disposal_date", "disposal_date")],
    "unknown_order.csv": [("unknown_order", 3, "final_order", "final_order")],
    "order_without_disposal.csv": [
        ("order_without_disposal", 3, "disposal_date", "disposal_date")
    ],
    "disposal_without_order.csv": [("disposal_without_order", 3, "final_order", "final_order")],
    "child_too_old.csv": [("child_too_old", 3, "child_dob", "child_dob")],
    "missing_value.csv": [("missing_value", 3, "child_id", "child_id")],
    "invalid_sex.csv": [("invalid_sex", 3, "child_sex", "child_sex")],
    "duplicate_key.csv": [("duplicate_key", 5, "proceedings_id", "proceedings_id")],
    "malformed_row.csv": [("malformed_row", 3, None, "")],
    "mixed_date_formats.csv": [
        ("ambiguous_date", 5, "issue_date", "issue_date"),
        ("ambiguous_date", 6, "issue_date", "issue_date"),
    ],
    "merged_header_tracker.xlsx": [("disposal_before_issue", 6, "disposal_date", "Disposal date")],
}

# files that must read cleanly -> number of rows
CLEAN = {
    "utf16_with_bom.tsv": 3,
    "semicolon_utf8_bom.csv": 3,
    "order_aliases.csv": 13,
    "untidy_headers.csv": 3,
}


def test_battery_is_large_and_complete() -> None:
    from tests.io.test_hostile_readers import ALL as HOSTILE

    # out_* files are the output-side battery (tests/io/test_hostile_outputs.py)
    files = {
        p.name for p in BAD.iterdir() if p.suffix != ".py" and not p.name.startswith("out_")
    } - HOSTILE
    assert files == set(STRUCTURAL) | set(ROW_FAULTS) | set(CLEAN)
    assert len(STRUCTURAL) + len(ROW_FAULTS) >= 20


@pytest.mark.parametrize("name", sorted(STRUCTURAL))
def test_structural_errors(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    text, column, line = STRUCTURAL[name]
    with pytest.raises(SchemaError) as info:
        read_proceedings(BAD / name, extract_date=EXTRACT)
    error = info.value
    assert text.lower() in str(error).lower()
    assert name in str(error)
    assert error.column == column
    assert error.row == line
    assert main(["validate", str(BAD / name), "--extract-date", EXTRACT]) == 2
    captured = capsys.readouterr()
    assert name in captured.err
    assert "Traceback" not in captured.err + captured.out


@pytest.mark.parametrize("name", sorted(ROW_FAULTS))
def test_row_faults(name: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    expected = ROW_FAULTS[name]
    dataset = read_proceedings(BAD / name, extract_date=EXTRACT)
    q = dataset.quarantine
    got = list(zip(q["reason"], q["row"], q["column"], strict=True))
    assert got == [(reason, row, column) for reason, row, column, _ in expected]
    for message, (_, row, _, header) in zip(q["message"], expected, strict=True):
        assert message.startswith(f"{BAD / name}:{row}:{header}")
    assert len(dataset.proceedings) + len(q) == dataset.rows_read["proceedings"]
    assert dataset.rows_read["proceedings"] >= 3

    out = tmp_path / "q.csv"
    code = main(
        ["validate", str(BAD / name), "--extract-date", EXTRACT, "--quarantine-out", str(out)]
    )
    assert code == 1
    printed = capsys.readouterr().out
    assert f"{name}:{expected[0][1]}:" in printed
    assert out.read_text().count("\n") == len(expected) + 1

    with pytest.raises(ValidationError) as info:
        read_proceedings(BAD / name, extract_date=EXTRACT, strict=True)
    assert len(info.value.quarantine) == len(expected)


@pytest.mark.parametrize("name", sorted(CLEAN))
def test_clean_files(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    dataset = read_proceedings(BAD / name, extract_date=EXTRACT)
    assert dataset.quarantine.empty
    assert len(dataset.proceedings) == CLEAN[name] == dataset.rows_read["proceedings"]
    assert list(dataset.proceedings.columns[:3]) == ["proceedings_id", "child_id", "mother_id"]
    assert main(["validate", str(BAD / name), "--extract-date", EXTRACT]) == 0
    assert "clean" in capsys.readouterr().out


def test_order_aliases_map_to_the_vocabulary() -> None:
    orders = read_proceedings(BAD / "order_aliases.csv").proceedings["final_order"].tolist()
    assert orders == [
        "special_guardianship_order",
        "special_guardianship_order",
        "special_guardianship_order",
        "sgo_with_supervision",
        "care_order",
        "care_order",
        "placement_order",
        "supervision_order",
        "child_arrangements_order",
        "child_arrangements_order",
        "cao_with_supervision",
        "withdrawn",
        "no_order",
    ]


def test_mixed_dates_keep_the_unambiguous_ones() -> None:
    kept = read_proceedings(BAD / "mixed_date_formats.csv").proceedings
    assert kept["issue_date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2018-03-01",
        "2018-03-15",
        "2018-04-01",
        "2018-03-20",
    ]


def test_excel_tracker_header_is_found_under_title_and_merged_rows() -> None:
    kept = read_proceedings(BAD / "merged_header_tracker.xlsx").proceedings
    assert kept["proceedings_id"].tolist() == ["P1", "P2"]
    assert kept["mother_id"].tolist() == ["M1", "M2"]
    assert kept["child_dob"].notna().all()

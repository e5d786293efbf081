"""Reading, refusing and writing unit-cost tables; the shipped defaults."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from outcomes.cli import exit_code
from outcomes.costs import ITEMS, CostsError, UnitCosts, default_costs_path

from .conftest import SMALL

GOOD = """
[costs.court]
value = 60
unit = "per week of proceedings"
price_year = "2024-25"
[costs.court.source]
title = "A report"
publisher = "A publisher"
year = 2025
location = "table 3"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mine.toml"
    path.write_text(text, encoding="utf-8")
    return path


def refused(tmp_path: Path, text: str) -> CostsError:
    path = write(tmp_path, text)
    with pytest.raises(CostsError) as caught:
        UnitCosts.from_toml(path)
    assert str(path) in str(caught.value), "the message names the file"
    return caught.value


def test_a_good_entry_is_read(tmp_path: Path) -> None:
    costs = UnitCosts.from_toml(write(tmp_path, GOOD))
    entry = costs["court"]
    assert (entry.value, entry.unit, entry.price_year) == (
        60.0,
        "per week of proceedings",
        "2024-25",
    )
    assert entry.source.cite() == "A report. A publisher, 2025; table 3"


@pytest.mark.parametrize(
    ("drop", "field"),
    [
        ("value = 60\n", "value"),
        ('price_year = "2024-25"\n', "price_year"),
        ('unit = "per week of proceedings"\n', "unit"),
        ("year = 2025\n", "source.year"),
        ('location = "table 3"\n', "source.location"),
        ('title = "A report"\n', "source.title"),
        ('publisher = "A publisher"\n', "source.publisher"),
    ],
)
def test_an_entry_missing_a_field_is_refused_naming_it(
    tmp_path: Path, drop: str, field: str
) -> None:
    error = refused(tmp_path, GOOD.replace(drop, ""))
    assert (error.entry, error.field) == ("court", field)
    assert "[costs.court]" in str(error) and field in str(error)


def test_an_entry_without_a_source_is_refused(tmp_path: Path) -> None:
    text = GOOD.split("[costs.court.source]")[0]
    error = refused(tmp_path, text)
    assert error.field == "source"
    assert "source" in str(error)


@pytest.mark.parametrize(
    ("text", "field", "match"),
    [
        (GOOD.replace("value = 60", 'value = 60\ncurrency = "GBP"'), None, "currency"),
        (GOOD + "edition = 3\n", "source", "edition"),
        ("colour = 1\n" + GOOD, None, "colour"),
        (GOOD.replace("value = 60", "value = -60"), "value", "negative"),
        (GOOD.replace("value = 60", 'value = "60"'), "value", "number"),
        (GOOD.replace("value = 60", "value = nan"), "value", "finite"),
        (GOOD.replace('"2024-25"', '"last year"'), "price_year", "financial year"),
        (GOOD.replace("year = 2025", 'year = "2025"'), "source.year", "year of publication"),
        (GOOD.replace('location = "table 3"', 'location = " "'), "source.location", "non-empty"),
        (GOOD.replace("per week of proceedings", "per hour"), "unit", "not a unit"),
        (GOOD.replace("value = 60", "value = 60\nlow = 70"), "low", "range"),
        (GOOD.replace("value = 60", "value = 60\nhigh = 50"), "high", "range"),
    ],
)
def test_bad_fields_and_unknown_keys_are_refused(
    tmp_path: Path, text: str, field: str | None, match: str
) -> None:
    error = refused(tmp_path, text)
    assert error.field == field
    assert re.search(match, str(error))


def test_an_unknown_item_is_refused(tmp_path: Path) -> None:
    error = refused(tmp_path, GOOD.replace("costs.court", "costs.courts"))
    assert error.entry == "courts"
    assert "unknown cost item" in str(error)


def test_files_that_cannot_be_read_are_refused(tmp_path: Path) -> None:
    refused(tmp_path, "[costs.court\nvalue = 1")
    with pytest.raises(CostsError, match="no such file"):
        UnitCosts.from_toml(tmp_path / "absent.toml")


def test_a_costs_error_is_a_user_error_at_the_command_line(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("value = 60\n", ""))
    with pytest.raises(CostsError) as caught:
        UnitCosts.from_toml(path)
    assert exit_code(caught.value) == 2


def test_a_table_survives_a_toml_round_trip(tmp_path: Path, small_path: Path) -> None:
    for costs in (UnitCosts.from_toml(small_path), UnitCosts.default()):
        again = UnitCosts.from_toml(costs.to_toml(tmp_path / "again.toml"))
        assert dict(again) == dict(costs)
    assert "hand-computed" in SMALL


def test_merging_puts_the_users_entries_over_the_defaults(tmp_path: Path) -> None:
    mine = UnitCosts.from_toml(
        write(
            tmp_path,
            GOOD.replace("costs.court", "costs.foster_care").replace(
                "per week of proceedings", "per week in placement"
            ),
        )
    )
    merged = UnitCosts.default().merged(mine)
    assert merged["foster_care"].value == 60.0
    assert merged["residential_care"] == UnitCosts.default()["residential_care"]
    assert "court" in merged.missing()


def test_the_defaults_load_and_every_value_cites_a_dated_source() -> None:
    costs = UnitCosts.default()
    assert default_costs_path().is_file()
    assert len(costs) >= 1
    for name, entry in costs.items():
        assert name in ITEMS
        assert entry.value > 0
        assert entry.source.title and entry.source.publisher
        assert 1990 <= entry.source.year <= 2030, name
        # the location says where in the source: a page, table, section or finding
        assert re.search(r"page|table|section|chapter|finding", entry.source.location), name
        # the price year is no later than the publication
        assert int(entry.price_year[:4]) <= entry.source.year, name
    # what the defaults cannot price is listed, so the documentation can say so
    assert set(costs.missing()) == set(ITEMS) - set(costs)


def test_the_table_lists_value_unit_price_year_and_source() -> None:
    table = UnitCosts.default().table()
    assert list(table["item"]) == [n for n in ITEMS if n in UnitCosts.default()]
    assert table["source"].str.len().min() > 20
    assert set(table["price_year"]) == {"2016-17", "2023-24"}


def test_writing_into_a_missing_folder_is_an_output_error(tmp_path: Path) -> None:
    from outcomes.errors import OutputError

    with pytest.raises(OutputError, match="does not exist"):
        UnitCosts.default().to_toml(tmp_path / "absent" / "costs.toml")


def test_the_documentation_lists_each_default_and_each_item_to_supply() -> None:
    page = (Path(__file__).parents[2] / "docs" / "costs.md").read_text(encoding="utf-8")
    costs = UnitCosts.default()
    for name, entry in costs.items():
        row = next(line for line in page.splitlines() if line.startswith(f"| `{name}` | £"))
        assert f"£{entry.value:,.0f}" in row, name
        assert entry.price_year in row, name
        assert entry.source.publisher.split(",")[0] in row, name
    to_supply = page.split("### What you must supply")[1].split("###")[0]
    for name in costs.missing():
        assert f"`{name}`" in to_supply, name

"""Date parsing: accepted forms, and day/month order never guessed silently."""

from __future__ import annotations

import pandas as pd
import pytest

from outcomes.io._dates import parse_dates


def parse(values: list[str | None]) -> tuple[list[str | None], list[str | None]]:
    out = parse_dates(pd.Series(values, dtype=object))
    shown = [None if pd.isna(v) else v.strftime("%Y-%m-%d") for v in out.values]
    return shown, list(out.reason)


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2015-04-01", "2015-04-01"),
        ("2015-04-01T10:30:00", "2015-04-01"),
        ("2015-04-01 00:00:00", "2015-04-01"),
        ("01/04/2015", "2015-04-01"),
        ("1/4/2015", "2015-04-01"),
        ("01-04-2015", "2015-04-01"),
        ("01.04.2015", "2015-04-01"),
        ("25/12/2015", "2015-12-25"),
        ("1 Apr 2015", "2015-04-01"),
        ("01-April-2015", "2015-04-01"),
        ("3rd September 2015", "2015-09-03"),
    ],
)
def test_accepted_forms(text: str, iso: str) -> None:
    assert parse([text]) == ([iso], [None])


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("31/02/2015", "unparseable_date"),
        ("2015-02-30", "unparseable_date"),
        ("01/04/15", "unparseable_date"),
        ("1815-01-01", "unparseable_date"),
        ("01/01/2215", "unparseable_date"),
        ("soon", "unparseable_date"),
        ("1 Smarch 2015", "unparseable_date"),
        ("04/13/2015", "ambiguous_date"),
    ],
)
def test_rejected_forms(text: str, reason: str) -> None:
    assert parse([text]) == ([None], [reason])


def test_month_first_evidence_makes_the_column_ambiguous() -> None:
    shown, reasons = parse(["03/04/2015", "04/13/2015", "05/05/2015", "25/12/2015", None])
    assert reasons == ["ambiguous_date", "ambiguous_date", None, None, None]
    assert shown == [None, None, "2015-05-05", "2015-12-25", None]


def test_day_first_without_evidence() -> None:
    assert parse(["03/04/2015", "2015-01-01"]) == (["2015-04-03", "2015-01-01"], [None, None])

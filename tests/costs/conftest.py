"""A small unit-cost table whose arithmetic is done by hand in the tests."""

from __future__ import annotations

from pathlib import Path

import pytest

# One price year throughout, so no PriceYearWarning. Residential care is given per
# year: 36,525 a year is exactly 700 a week (36,525 x 7 / 365.25).
SMALL = """
description = "hand-computed example"

[costs.la_legal]
value = 120
unit = "per week of proceedings"
price_year = "2024-25"
source = {title = "T", publisher = "P", year = 2025, location = "table 1"}

[costs.la_social_work]
value = 80
unit = "per week of proceedings"
price_year = "2024-25"
source = {title = "T", publisher = "P", year = 2025, location = "table 1"}

[costs.cafcass]
value = 40
unit = "per week of proceedings"
price_year = "2024-25"
source = {title = "T", publisher = "P", year = 2025, location = "table 2"}

[costs.court]
value = 60
unit = "per week of proceedings"
price_year = "2024-25"
low = 30
high = 150
source = {title = "T", publisher = "P", year = 2025, location = "table 3"}

[costs.foster_care]
value = 500
unit = "per week in placement"
price_year = "2024-25"
source = {title = "T", publisher = "P", year = 2025, location = "p. 4"}

[costs.residential_care]
value = 36525
unit = "per year in placement"
price_year = "2024-25"
low = 30000
high = 60000
source = {title = "T", publisher = "P", year = 2025, location = "p. 5", url = "https://example.org"}

[costs.repeat_la]
value = 6000
unit = "per repeat set of proceedings"
price_year = "2024-25"
source = {title = "T", publisher = "P", year = 2025, location = "p. 6"}

[costs.repeat_cafcass]
value = 1000
unit = "per repeat set of proceedings"
price_year = "2024-25"
source = {title = "T", publisher = "P", year = 2025, location = "p. 6"}

[costs.repeat_court]
value = 4000
unit = "per repeat set of proceedings"
price_year = "2024-25"
source = {title = "T", publisher = "P", year = 2025, location = "p. 7"}

[costs.repeat_legal_aid]
value = 9000
unit = "per repeat set of proceedings"
price_year = "2024-25"
source = {title = "T", publisher = "P", year = 2025, location = "p. 8"}

[costs.care_year]
value = 50000
unit = "per child-year in care"
price_year = "2024-25"
note = "all costs of a year looked after"
source = {title = "T", publisher = "P", year = 2025, location = "p. 9"}
"""

NATURAL = {
    "weeks_of_proceedings": 40.0,
    "weeks_in_foster_care": 30.0,
    "weeks_in_residential_care": 2.0,
    "repeat_proceedings": 0.10,
    "child_years_in_care": 1.5,
}
POLICY = {
    "weeks_of_proceedings": 26.0,
    "weeks_in_foster_care": 20.0,
    "weeks_in_residential_care": 1.0,
    "repeat_proceedings": 0.12,
    "child_years_in_care": 1.5,
}


@pytest.fixture
def small_path(tmp_path: Path) -> Path:
    path = tmp_path / "costs.toml"
    path.write_text(SMALL, encoding="utf-8")
    return path

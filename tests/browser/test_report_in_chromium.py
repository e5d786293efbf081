"""The study's ``report.html`` opened in headless Chromium: no console error, every
image decoded and drawn, every table present with rows; a screenshot is kept."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .chromium import check_page


@pytest.fixture(scope="module")
def report(small_study_report: tuple[object, object, Path]) -> Path:
    return small_study_report[2]


def test_report_renders_in_chromium(report: Path) -> None:
    html = report.read_text(encoding="utf-8")
    check = check_page(report, "report")
    assert check.console_errors == []
    expected_images = len(re.findall(r"<img\b", html))
    assert expected_images > 0 and len(check.images) == expected_images
    assert check.broken_images == []
    assert all(float(str(i["shown_width"])) > 100 for i in check.images)
    expected_tables = len(re.findall(r"<table\b", html))
    assert expected_tables > 0 and len(check.tables) == expected_tables
    assert all(int(str(t["rows"])) >= 2 for t in check.tables)  # a header and a body
    assert check.headings and check.screenshot is not None and check.screenshot.stat().st_size


def test_report_tables_and_figures_read_well(report: Path) -> None:
    """Numbers at risk under the curve; every figure at its own size or its container's
    (never squeezed narrower, never overflowing); no table wider than the page."""
    html = report.read_text(encoding="utf-8")
    assert "numbers at risk, by years since disposal" in html
    assert "The children compared" in html and "Duration and return to court" in html
    check = check_page(report, "report")
    for image in check.images:
        shown, natural, box = (
            float(str(image[k])) for k in ("shown_width", "natural_width", "container_width")
        )
        assert shown <= box + 1, image  # not overflowing its container
        assert shown >= min(natural, box) - 1, image  # not squeezed
    widest = max(float(str(t["width"])) for t in check.tables)
    assert widest <= 72 * 16 + 1  # the page's max-width: no table runs off the page

"""The HTML report: self-contained, no row-level data, small numbers suppressed.

The page is also checked by eye in headless Chromium (``docs/study.md`` gives the
command and what it showed); this test checks what a browser cannot miss.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import synthetic
from outcomes.errors import PrivacyError
from outcomes.study import StudyResult

DATA_URI = re.compile(r"data:image/png;base64,[A-Za-z0-9+/=]+")


@pytest.fixture(scope="module")
def run(
    small_study_report: tuple[synthetic.World, StudyResult, Path],
) -> tuple[synthetic.World, StudyResult, str]:
    world, result, path = small_study_report
    return world, result, path.read_text(encoding="utf-8")


def test_self_contained(run: tuple[synthetic.World, StudyResult, str]) -> None:
    _, result, html = run
    assert "<script" not in html.lower() and "<link" not in html.lower()
    for attribute in re.findall(r'(?:src|href)="([^"]*)"', html):
        assert attribute.startswith("data:image/png;base64,"), attribute[:60]
    assert not re.search(r"https?://", DATA_URI.sub("", html))
    assert len(re.findall(r'<img [^>]*src="data:image/png;base64,', html)) == len(result.figures)
    assert len(result.figures) == 6  # with the dose-response curve


def test_no_row_level_data(run: tuple[synthetic.World, StudyResult, str]) -> None:
    world, _, html = run
    text = DATA_URI.sub("", html)
    proceedings = world.dataset.proceedings
    for column in ("child_id", "proceedings_id"):
        values = set(proceedings[column].dropna().astype(str))
        assert values
        words = set(re.findall(r"[A-Za-z0-9_-]+", text))
        assert not values & words, column


def test_counts_under_ten_are_suppressed(run: tuple[synthetic.World, StudyResult, str]) -> None:
    _, result, html = run
    flow = result.diagnostics["flow"]
    small = flow[["rows_in", "rows_out", "rows_remaining"]].isin(range(1, 10)).to_numpy()
    assert small.any(), "the flow should hold a small count for this test to bite"
    assert "[c]" in html
    numeric_cells = re.findall(r'<td class="n">([^<]*)</td>', DATA_URI.sub("", html))
    assert not [c for c in numeric_cells if re.fullmatch(r"[1-9]", c)]


def test_identifier_columns_are_refused(
    run: tuple[synthetic.World, StudyResult, str], tmp_path: Path
) -> None:
    _, result, _ = run
    leaky = StudyResult(
        estimates=result.estimates,
        diagnostics={
            **result.diagnostics,
            "confounders": result.diagnostics["confounders"].assign(postcode="AB1 2CD"),
        },
        figures={},
        settings=result.settings,
    )
    with pytest.raises(PrivacyError, match="postcode"):
        leaky.to_html(tmp_path / "report.html")
    assert not (tmp_path / "report.html").exists()

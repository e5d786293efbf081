"""The board pack's ``board.html`` opened in headless Chromium: no console error, every
image decoded and drawn at a readable width, every table present with rows; a
screenshot is kept under ``build/screenshots/board.png``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.board.conftest import Built

from .chromium import check_page


@pytest.fixture(scope="module")
def board(national: Built) -> Path:
    # the board tests' national pack: the small nation's largest DFJ area in 2023Q4
    return national.folder / "board.html"


def test_board_renders_in_chromium(board: Path) -> None:
    html = board.read_text(encoding="utf-8")
    check = check_page(board, "board")
    assert check.console_errors == []
    expected_images = len(re.findall(r"<img\b", html))
    assert expected_images >= 6 and len(check.images) == expected_images
    assert check.broken_images == []
    assert all(float(str(i["shown_width"])) > 300 for i in check.images)
    expected_tables = len(re.findall(r"<table\b", html))
    assert expected_tables >= 8 and len(check.tables) == expected_tables
    assert all(int(str(t["rows"])) >= 2 for t in check.tables)  # a header and a body
    assert all(str(t["caption"]) for t in check.tables)
    assert len(check.headings) == 9  # the title and eight panels
    assert check.screenshot is not None and check.screenshot.stat().st_size

"""Board packs built once per session: a 300-application world and a national one."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd
import pytest

import synthetic
from outcomes.board import BoardPack, board_pack
from synthetic.scenario import load_scenario


@dataclass
class Built:
    """A pack, the world it came from and the folder it was written to."""

    world: synthetic.World
    pack: BoardPack
    folder: Path

    @cached_property
    def sheets(self) -> dict[str, pd.DataFrame]:
        """Every sheet of tables.xlsx as published (header on the fourth row)."""
        with pd.ExcelFile(self.folder / "tables.xlsx") as book:
            return {n: book.parse(n, header=3) for n in book.sheet_names}


def largest(world: synthetic.World, column: str) -> str:
    """The area with most proceedings rows (chosen from the data, not hard-coded)."""
    return str(world.dataset.proceedings[column].value_counts().idxmax())


def build(world: synthetic.World, area: str, period: str, folder: Path) -> Built:
    pack = board_pack(world.dataset, area=area, period=period)
    pack.write(folder)
    return Built(world, pack, folder)


@pytest.fixture(scope="session")
def small(tmp_path_factory: pytest.TempPathFactory) -> Built:
    world = synthetic.generate("default", n_applications=300, seed=5)
    return build(world, largest(world, "dfj_area"), "2023Q4", tmp_path_factory.mktemp("small"))


def small_nation(n_applications: int = 12_000, seed: int = 7) -> synthetic.World:
    """A nation of 8 DFJ areas and 30 local authorities: every area large enough for
    most of its figures to be published, small enough for a test."""
    scenario = load_scenario("default").replace(areas__n_la=30, areas__n_dfj=8)
    return synthetic.generate(scenario, n_applications=n_applications, seed=seed)


# national_world and national (the pack of its largest DFJ area) are in tests/conftest.py:
# the Chromium check of board.html reads the same pack.


@pytest.fixture(scope="session")
def national_la(
    national_world: synthetic.World, tmp_path_factory: pytest.TempPathFactory
) -> Built:
    area = largest(national_world, "la_code")
    return build(national_world, area, "2023", tmp_path_factory.mktemp("national_la"))

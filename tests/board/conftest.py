"""Board packs built once per session: a 300-application world and a national one."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd
import pytest

import synthetic
from outcomes.board import BoardPack, board_pack


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


def _build(world: synthetic.World, area: str, period: str, folder: Path) -> Built:
    pack = board_pack(world.dataset, area=area, period=period)
    pack.write(folder)
    return Built(world, pack, folder)


@pytest.fixture(scope="session")
def small(tmp_path_factory: pytest.TempPathFactory) -> Built:
    world = synthetic.generate("default", n_applications=300, seed=5)
    return _build(world, largest(world, "dfj_area"), "2023Q4", tmp_path_factory.mktemp("small"))


@pytest.fixture(scope="session")
def national_world() -> synthetic.World:
    return synthetic.generate("default", n_applications=8_000, seed=7)


@pytest.fixture(scope="session")
def national(national_world: synthetic.World, tmp_path_factory: pytest.TempPathFactory) -> Built:
    area = largest(national_world, "dfj_area")
    return _build(national_world, area, "2023Q4", tmp_path_factory.mktemp("national"))


@pytest.fixture(scope="session")
def national_la(
    national_world: synthetic.World, tmp_path_factory: pytest.TempPathFactory
) -> Built:
    area = largest(national_world, "la_code")
    return _build(national_world, area, "2023", tmp_path_factory.mktemp("national_la"))

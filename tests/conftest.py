"""Shared fixtures."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib
import pytest
from hypothesis import settings

if TYPE_CHECKING:
    import synthetic
    from outcomes.study import StudyResult
    from tests.board.conftest import Built

# Tests draw figures without a screen.
matplotlib.use("Agg")

DATA = Path(__file__).parent / "data"


@pytest.fixture
def bad_dir() -> Path:
    """Folder of the bad-input battery."""
    return DATA / "bad"


@pytest.fixture(scope="session")
def small_study_report(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[synthetic.World, StudyResult, Path]:
    """One study run on a 3,000-application world (one horizon, ten bootstrap
    replicates) and its ``report.html``: the world, the result and the page. Built once
    per session for the tests that read the report (as text and in Chromium)."""
    import synthetic
    from outcomes.causal import PositivityWarning
    from outcomes.study import RushedDisposalStudy

    world = synthetic.generate("default", n_applications=3_000, seed=2, faults=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PositivityWarning)  # a small world; not the point
        result = RushedDisposalStudy(world.dataset, horizons=(2,), n_boot=10).run()
    path = result.to_html(tmp_path_factory.mktemp("report") / "report.html", note="Synthetic.")
    return world, result, path


@pytest.fixture(scope="session")
def national_world() -> synthetic.World:
    """The small nation of ``tests.board.conftest.small_nation`` (12,000 applications)."""
    from tests.board.conftest import small_nation

    return small_nation()


@pytest.fixture(scope="session")
def national(national_world: synthetic.World, tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The board pack of the small nation's largest DFJ area in 2023Q4, written: shared
    by the board tests and the Chromium check of ``board.html``."""
    from tests.board.conftest import build, largest

    area = largest(national_world, "dfj_area")
    return build(national_world, area, "2023Q4", tmp_path_factory.mktemp("national"))


# Property tests draw the same examples on every run: a failure is reproducible, and
# CI cannot turn red by chance.
settings.register_profile("deterministic", derandomize=True, deadline=None)
settings.load_profile("deterministic")

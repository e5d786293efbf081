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


# Property tests draw the same examples on every run: a failure is reproducible, and
# CI cannot turn red by chance.
settings.register_profile("deterministic", derandomize=True, deadline=None)
settings.load_profile("deterministic")

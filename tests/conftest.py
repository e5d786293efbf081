"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import pytest
from hypothesis import settings

# Tests draw figures without a screen.
matplotlib.use("Agg")

DATA = Path(__file__).parent / "data"


@pytest.fixture
def bad_dir() -> Path:
    """Folder of the bad-input battery."""
    return DATA / "bad"


# Property tests draw the same examples on every run: a failure is reproducible, and
# CI cannot turn red by chance.
settings.register_profile("deterministic", derandomize=True, deadline=None)
settings.load_profile("deterministic")

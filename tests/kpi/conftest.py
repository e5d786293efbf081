"""A small synthetic world shared by the KPI tests (generated once per session)."""

from __future__ import annotations

import pytest

import synthetic


@pytest.fixture(scope="session")
def world() -> synthetic.World:
    return synthetic.generate("default", n_applications=3000, seed=11)

"""Shared small worlds (generated once per session; a few thousand applications)."""

from __future__ import annotations

import pytest

import synthetic


@pytest.fixture(scope="session")
def small_world() -> synthetic.World:
    return synthetic.generate("default", n_applications=4_000, seed=11)


@pytest.fixture(scope="session")
def clean_world() -> synthetic.World:
    return synthetic.generate("default", n_applications=4_000, seed=11, faults=False)

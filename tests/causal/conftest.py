"""Shared fixtures for the causal tests."""

from __future__ import annotations

import pytest

from tests.causal._simulate import Simulated, simulate


@pytest.fixture(scope="session")
def simulated() -> Simulated:
    """One confounded data set with a known effect, shared (never modified) by tests."""
    return simulate()

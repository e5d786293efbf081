"""Mediation through order type recovers the world's natural direct/indirect split."""

from __future__ import annotations

import pytest

import synthetic
from outcomes.study.frame import analysis_frame
from outcomes.study.mediation import mediation_risks


@pytest.mark.slow
def test_mediated_world_split() -> None:
    # In the mediated world duration acts only through the order made: NDE is ~0 and
    # the whole effect is indirect.
    world = synthetic.generate("mediated", n_applications=15_000, seed=4, faults=False)
    frame = analysis_frame(
        world.dataset, outcome="child_return", threshold_weeks=26, confounders=None
    )
    values, orders = mediation_risks(frame.data, frame.confounders, (2.0,), seed=0)
    nde, nie = values[0, 0], values[1, 0]
    assert abs(nde - world.truth.value("natural_direct", 2)) < 0.005
    assert abs(nie - world.truth.value("natural_indirect", 2)) < 0.005
    assert "care_order" in orders and len(values) == 2 + len(orders)

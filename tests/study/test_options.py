"""The study's ``cluster`` and ``mediator`` options."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import synthetic
from outcomes.errors import OutcomesError
from outcomes.study import RushedDisposalStudy
from outcomes.study.methods import cluster_bootstrap


@pytest.fixture(scope="module")
def world() -> synthetic.World:
    return synthetic.generate("default", n_applications=3_000, seed=8)


def small(world: synthetic.World, **kwargs: object) -> RushedDisposalStudy:
    options: dict[str, object] = {"n_boot": 4, "horizons": (2,), "sensitivity": False}
    return RushedDisposalStudy(world.dataset, **{**options, **kwargs})  # type: ignore[arg-type]


@pytest.mark.slow
def test_clusters_by_family_court_area(world: synthetic.World) -> None:
    by_la = small(world, mediation=False).run()
    by_dfj = small(world, mediation=False, cluster="dfj_area").run()
    la = by_la.get("cause_specific_cox", "hazard_ratio")
    dfj = by_dfj.get("cause_specific_cox", "hazard_ratio")
    # the same model (LA strata either way), different clusters for its errors
    assert dfj["estimate"] == pytest.approx(la["estimate"], rel=1e-10)
    assert dfj["std_error"] != pytest.approx(la["std_error"], rel=1e-3)
    assert by_dfj.settings["cluster"] == "dfj_area"


def test_bootstrap_resamples_clusters_and_keeps_copies_apart() -> None:
    frame = pd.DataFrame(
        {"dfj_area": ["A", "A", "B", "B", "B"], "la_code": ["L1", "L2", "L3", "L3", "L4"]}
    )
    seen: list[pd.DataFrame] = []

    def record(sample: pd.DataFrame) -> np.ndarray:
        seen.append(sample)
        return np.array([len(sample)])

    cluster_bootstrap(frame, record, 20, np.random.default_rng(3), cluster="dfj_area")
    for sample in seen:
        # whole areas: 2 rows per draw of A, 3 per draw of B
        sizes = sample.groupby("dfj_area").size()
        assert set(sizes) <= {2, 3}
        # an LA's rows in two copies of its area are two strata
        assert sample.groupby("la_code")["dfj_area"].nunique().max() == 1
    # two draws per replicate, labelled apart even when both are the same area
    assert all(sample["dfj_area"].nunique() == 2 for sample in seen)
    assert any(len(sample) in (4, 6) for sample in seen)  # some replicate drew one twice


def test_unknown_cluster_or_mediator_is_a_clear_error(world: synthetic.World) -> None:
    with pytest.raises(OutcomesError, match="cluster column 'court'"):
        small(world, cluster="court").run()
    with pytest.raises(OutcomesError, match="mediator column 'placement'"):
        small(world, mediator="placement").run()


@pytest.mark.slow
def test_mediation_leaves_out_unrecorded_orders(world: synthetic.World) -> None:
    result = small(world, mediation_boot=4).run()
    counts = result.diagnostics["mediation"]
    missing = result.diagnostics["rows_analysed"] - counts["rows"]
    left_out = (
        counts["rows_without_recorded_mediator"] + counts["rows_in_levels_too_rare_to_model"]
    )
    assert left_out == missing
    assert counts["rows_without_recorded_mediator"] > 0  # the world has faults
    assert not result.estimates["contrast"].str.contains("set to nan").any()

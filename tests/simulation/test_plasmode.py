"""Plasmode: the user's children kept, outcomes simulated with a known effect; the truth
computed in closed form is the truth of the simulated process."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import synthetic
from outcomes.simulation import SimulationError
from outcomes.simulation.plasmode import PRIMARY, _generate, _Model, plasmode
from outcomes.study import RushedDisposalStudy


@pytest.fixture(scope="module")
def extract() -> synthetic.World:
    # one authority's few hundred children, as an analyst would bring
    scenario = synthetic.load_scenario("default").replace(areas__n_la=1, areas__n_dfj=1)
    return synthetic.generate(scenario, n_applications=400, seed=4, faults=False)


@pytest.fixture(scope="module")
def model(extract) -> _Model:
    return _Model(RushedDisposalStudy(extract.dataset, horizons=(2.0,), n_boot=4), 2.0)


def test_closed_form_risks_are_those_of_the_simulated_process(model):
    gamma = 0.4
    unlimited = np.full_like(model.followup, np.inf)
    kept = model.followup
    model.followup = unlimited
    try:
        rng = np.random.default_rng(11)
        draws = 400
        hits = np.zeros(len(unlimited))
        for _ in range(draws):
            years, event = model.draw(gamma, rng)
            hits += (event == 1) & (years <= model.horizon)
    finally:
        model.followup = kept
    simulated = hits / draws
    exact = np.where(model.exposed == 1, model.risks(gamma, 1), model.risks(gamma, 0))
    # the average over children, within 4 Monte Carlo SEs
    mcse = np.sqrt(np.sum(exact * (1 - exact)) / draws) / len(exact)
    assert abs(simulated.mean() - exact.mean()) < 4 * mcse
    # and child by child, loosely (400 draws each)
    assert np.corrcoef(simulated, exact)[0, 1] > 0.8


def test_effect_is_monotone_and_zero_is_reachable(model):
    effects = [model.effect(g) for g in (-1.0, 0.0, 1.0)]
    assert effects[0] < effects[1] < effects[2]
    assert model.effect(0.0) == pytest.approx(np.mean(model.risks(0.0, 1) - model.risks(0.0, 0)))


def test_the_children_are_kept_and_only_outcomes_change(extract, model):
    (cohort, seed), truth = _generate(model, 0.3, {"x": 1.0}, None, np.random.default_rng(2))
    original = model.cohort.data.set_index("row_id").loc[model.row_id]
    simulated = cohort.data.set_index("row_id")
    for column in ("duration_weeks", "child_age_at_issue", "la_code", "disposal_date"):
        pd.testing.assert_series_equal(simulated[column], original[column], check_names=False)
    assert (simulated["time"] <= model.followup + 1e-12).all()
    assert set(simulated["event"]) <= {0, 1, 2}
    assert truth == {"x": 1.0} and isinstance(seed, int)


def test_a_small_run_reports_bias_and_coverage_against_the_injected_effect(extract):
    result = plasmode(extract.dataset, 0.03, n_reps=3, n_boot=6, seed=1)
    assert result.truth[PRIMARY] == pytest.approx(0.03, abs=1e-9)
    assert set(result.results["truth"].round(12)) == {round(v, 12) for v in result.truth.values()}
    table = result.performance.set_index(["method", "measure"])["estimate"]
    assert table[(PRIMARY, "n_sim")] == 3
    assert 0 <= table[(PRIMARY, "coverage")] <= 1
    again = plasmode(extract.dataset, 0.03, n_reps=3, n_boot=6, seed=1)
    pd.testing.assert_frame_equal(result.results, again.results)


@pytest.mark.parametrize("effect", [0.7, float("nan")])
def test_impossible_effects_are_simulation_errors(extract, effect):
    with pytest.raises(SimulationError):
        plasmode(extract.dataset, effect, n_reps=1)

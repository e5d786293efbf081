"""Power by simulation: the effect dialled in is the effect the worlds have; the
summaries are the textbook formulas; the command line works and refuses nonsense."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import synthetic
from outcomes.simulation import SimulationError
from outcomes.simulation import power as pw

POINT = {"n_las": 10, "years": 5}


@pytest.mark.parametrize("effect", [0.0, 0.03])
def test_dialled_in_effect_is_the_worlds_truth(effect):
    hr, achieved = pw.hazard_ratio_for("default", POINT, effect)
    assert abs(achieved - effect) <= pw.EFFECT_TOL
    # an independent world of the design (another seed): its truth agrees within its MC error
    world = synthetic.generate(
        pw.scenario_for("default", POINT, hr), n_applications=40_000, seed=99, faults=False
    )
    table = world.truth.table()
    row = table.loc[(table["estimand"] == "risk_difference") & (table["horizon_years"] == 2.0)]
    truth, mcse = float(row["estimate"].iloc[0]), float(row["mc_std_error"].iloc[0])
    # the authorities differ between seeds too, so allow their spread as well as MC error
    assert abs(truth - effect) < 4 * mcse + 0.004


def test_design_point_maps_to_the_scenario():
    scenario = pw.scenario_for("default", {"n_las": 4, "years": 3}, 1.7)
    base = synthetic.load_scenario("default")
    assert scenario["areas.n_la"] == 4 and 1 <= scenario["areas.n_dfj"] <= 4
    assert scenario["window.first_year"] == base["window.last_year"] - 2
    assert scenario["returns.hr_short"] == 1.7


def test_power_table_and_mde_are_the_formulas():
    rng = np.random.default_rng(3)
    rows = []
    for effect, reject_share in ((0.0, 0.05), (0.02, 0.5), (0.04, 0.95)):
        n = 40
        p = np.where(np.arange(n) < round(reject_share * n), 0.001, 0.5)
        rows.append(
            pd.DataFrame(
                {
                    "n_applications": 1000,
                    "effect": effect,
                    "method": "iptw_aalen_johansen",
                    "estimate": effect + rng.normal(0, 0.01, n),
                    "p_value": p,
                    "error": None,
                }
            )
        )
    results = pd.concat(rows, ignore_index=True)
    table = pw._power_table(results, ["n_applications", "effect"], alpha=0.05)
    assert list(table["power"]) == [2 / 40, 20 / 40, 38 / 40]
    for _, r in table.iterrows():
        assert r["mcse"] == pytest.approx(math.sqrt(r["power"] * (1 - r["power"]) / 40))
        assert 0 <= r["ci_lower"] < r["power"] < r["ci_upper"] <= 1  # Wilson: never empty
    mde = pw._mde(table, ["n_applications"], alpha=0.05, target=0.8)
    se = table["empirical_se"].median()
    expected = (stats.norm.ppf(0.975) + stats.norm.ppf(0.8)) * se
    assert mde["mde_from_se"].iloc[0] == pytest.approx(expected)
    # the curve crosses 80% between 0.02 (50%) and 0.04 (95%)
    assert mde["mde_from_curve"].iloc[0] == pytest.approx(0.02 + 0.02 * (0.8 - 0.5) / 0.45)


def test_analytic_power_is_nominal_at_no_effect_and_rises_with_size():
    at_null = pw.analytic_power("default", {**POINT, "n_applications": 2000}, 0.0)
    assert at_null == pytest.approx(0.05, abs=1e-12)
    small = pw.analytic_power("default", {**POINT, "n_applications": 1000}, 0.03)
    large = pw.analytic_power("default", {**POINT, "n_applications": 4000}, 0.03)
    assert 0.05 < small < large < 1


def test_a_small_run_gives_every_table():
    result = pw.power(
        {"n_applications": [300], "n_las": [3], "years": [5]},
        effect_grid=(0.0,),
        n_reps=2,
        n_boot=4,
        seed=5,
    )
    assert set(result.results["method"].dropna()) == set(pw.METHODS)  # None: a failed world
    assert (result.power["n_reps"] == 2).all()  # failed worlds count, as not detecting
    assert (result.power["n_failed"] <= 2).all()
    assert set(result.mde["method"]) == set(pw.METHODS)
    again = pw.power(
        {"n_applications": [300], "n_las": [3], "years": [5]},
        effect_grid=(0.0,),
        n_reps=2,
        n_boot=4,
        seed=5,
    )
    pd.testing.assert_frame_equal(result.results, again.results)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"design": {"n_areas": [3]}},
        {"effect_grid": (0.9,)},
        {"effect_grid": (float("nan"),)},
        {"design": {"n_applications": [10]}},
        {"alpha": 1.5},
    ],
)
def test_mistakes_are_simulation_errors(kwargs):
    with pytest.raises(SimulationError):
        pw.power(n_reps=1, **kwargs)


def test_cli_mistake_exits_2_without_a_traceback():
    done = subprocess.run(
        [sys.executable, "-m", "outcomes", "power", "--effect", "0.9", "--reps", "1"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "effects must be" in done.stderr

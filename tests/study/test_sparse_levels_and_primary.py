"""A confounder level without events is pooled, not fatal; ``primary()`` is ``run()``'s
primary analysis, to the last digit."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import synthetic
from outcomes.causal import PositivityWarning
from outcomes.study import RushedDisposalStudy
from outcomes.study.frame import pool_eventless_levels


def test_an_eventless_period_is_pooled_with_the_one_before():
    frame = pd.DataFrame(
        {
            "issue_period": ["2017-2019"] * 4 + ["2020-2022"] * 4 + ["2023 on"] * 3,
            "region": ["a", "a", "b", "b", "a", "a", "a", "b", "c", "c", "a"],
            "event": [1, 2, 1, 2, 1, 2, 0, 1, 0, 2, 0],
        }
    )
    before = frame.copy()
    pooled, merged = pool_eventless_levels(frame, ["issue_period", "region"])
    pd.testing.assert_frame_equal(frame, before)  # the caller's frame is left alone
    frame = pooled
    assert list(frame["issue_period"].unique()) == ["2017-2019", "2020-2022"]
    assert "'2023 on' (no returns) pooled with '2020-2022'" in merged["issue_period"]
    # an unordered level goes to the most common one
    assert set(frame["region"]) == {"a", "b"}
    assert "'c' (no returns) pooled with 'a'" in merged["region"]


def test_the_first_period_goes_to_the_next_and_a_single_level_is_left_alone():
    frame = pd.DataFrame(
        {"issue_period": ["to 2013"] * 2 + ["2014-2016"] * 2, "event": [0, 0, 1, 2]}
    )
    frame, merged = pool_eventless_levels(frame, ["issue_period"])
    assert set(frame["issue_period"]) == {"2014-2016"}
    assert "pooled with '2014-2016'" in merged["issue_period"]
    numeric = pd.DataFrame({"age": [1.0, 2.0], "event": [0, 0]})
    same, none = pool_eventless_levels(numeric, ["age"])
    assert none == {} and same is numeric


@pytest.fixture(scope="module")
def short_window_world() -> synthetic.World:
    # five issue years and ten authorities: the children issued after the window (repeat
    # proceedings) form a late period with no returns yet, which once stopped the study
    # with a singular information matrix
    scenario = synthetic.load_scenario("default").replace(
        areas__n_la=10, areas__n_dfj=3, window__first_year=2016, window__last_year=2020
    )
    return synthetic.generate(scenario, n_applications=2000, seed=1, faults=False)


def test_study_runs_and_reports_the_pooling(short_window_world):
    study = RushedDisposalStudy(
        short_window_world.dataset, horizons=(2,), n_boot=6, sensitivity=False, seed=3
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PositivityWarning)
        result = study.run()
    report = result.diagnostics["confounders"].set_index("confounder")
    assert "pooled with" in report.loc["issue_year", "reason"]
    assert report.loc["issue_year", "status"] == "used"
    widths = result.estimates["ci_upper"] - result.estimates["ci_lower"]
    assert (widths.dropna() > 0).all()

    primary = study.primary()
    full = result.estimates.set_index(["method", "estimand", "horizon_years", "contrast"])
    mine = primary.set_index(["method", "estimand", "horizon_years", "contrast"])
    assert set(mine.index.get_level_values("method")) == {
        "crude_aalen_johansen",
        "iptw_aalen_johansen",
    }
    cols = ["estimate", "std_error", "ci_lower", "ci_upper", "p_value"]
    np.testing.assert_allclose(
        mine[cols].to_numpy(float), full.loc[mine.index, cols].to_numpy(float), rtol=1e-12
    )

"""The policy g-formula recovers the synthetic world's policy effects.

``World.truth`` holds, for each policy of its default list, the cohort's risk of return
under the policy and its contrasts with the natural course, computed from the world's
own structural model with common random numbers. The estimate's 2-year risk difference
must lie within three combined standard errors of it: the estimate's bootstrap
standard error and the truth's Monte Carlo one (the truth is the mean over this
cohort's children, an estimate of the population value).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import synthetic
from outcomes.causal import PositivityWarning
from outcomes.cohort import build_cohort
from outcomes.policy import DurationPolicyEffect

POLICIES = ("cap:26", "shift:-4", "match:best_quartile")
HORIZON = 2


def truth_row(world: synthetic.World, estimand: str, contrast: str) -> pd.Series:
    table = world.truth.table()
    rows = table.loc[
        (table["estimand"] == estimand)
        & (table["horizon_years"] == HORIZON)
        & (table["contrast"] == contrast)
    ]
    assert len(rows) == 1, (estimand, contrast)
    return rows.iloc[0]


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["default", "null", "strong", "mediated"])
def test_two_year_risk_difference_is_within_error_of_the_truth(scenario: str) -> None:
    world = synthetic.generate(scenario, n_applications=5_000, seed=7, faults=False)
    cohort = build_cohort(world.dataset, outcome="child_return")
    effect = DurationPolicyEffect(n_boot=20, seed=2).fit(cohort)
    with warnings.catch_warnings():
        # positivity is tested in test_gformula.py; here only the values matter
        warnings.simplefilter("ignore", PositivityWarning)
        table = effect.estimate(list(POLICIES), horizons=(1, 2, 5))
    for policy in POLICIES:
        truth = world.truth.value("policy_risk_difference", HORIZON, policy)
        mc = float(truth_row(world, "policy_risk_difference", policy)["mc_std_error"])
        row = table.loc[
            (table["estimand"] == "policy_risk_difference")
            & (table["contrast"] == policy)
            & (table["horizon_years"] == HORIZON)
        ].iloc[0]
        combined = np.hypot(row["std_error"], mc)
        assert abs(row["estimate"] - truth) < 3 * combined, (
            scenario,
            policy,
            row["estimate"],
            truth,
            row["std_error"],
            mc,
        )

"""The study on a world it was not developed against (``_other_world``), whole and cut to
one local authority: its 2-year risk-difference intervals cover that world's truth.

The world's exposure effect is not proportional over time (twice the hazard of return
in the first year after disposal, 0.7 times after), which is where a g-computation
with one exposure coefficient goes wrong and one with baseline hazards by arm does not.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from outcomes.causal import PositivityWarning
from outcomes.study import RushedDisposalStudy, StudyResult, methods
from outcomes.study.frame import analysis_frame
from outcomes.study.result import PRIMARY_METHOD, SECONDARY_METHOD
from outcomes.survival import CauseSpecificCox
from tests.study import _other_world as other

N_CHILDREN, N_LAS, SEED = 3_000, 40, 5
N_BOOT = 60


@pytest.fixture(scope="module")
def world() -> other.Dataset:
    return other.generate(N_CHILDREN, N_LAS, SEED)


def run(data: other.Dataset, mediation: bool) -> StudyResult:
    with warnings.catch_warnings():
        # overlap is reported in the diagnostics; not the subject here
        warnings.simplefilter("ignore", PositivityWarning)
        return RushedDisposalStudy(
            data, horizons=(1, 2), n_boot=N_BOOT, sensitivity=False, mediation=mediation, seed=1
        ).run()


def covers(result: StudyResult, method: str, truth: float) -> bool:
    row = result.get(method, "risk_difference", 2.0)
    return bool(row["ci_lower"] <= truth <= row["ci_upper"])


def test_the_whole_world(world: other.Dataset) -> None:
    result = run(world, mediation=False)
    truth = other.truth(N_LAS, SEED)
    assert result.diagnostics["inference"]["bootstrap"] == (
        "bootstrap resampling whole local authorities"
    )
    assert result.diagnostics["inference"]["interval"].startswith("percentile")
    # every child alone in their proceedings: a constant, dropped and named
    report = result.diagnostics["confounders"].set_index("confounder")
    assert report.loc["sibling_group_size", "reason"] == "constant"
    assert covers(result, PRIMARY_METHOD, truth)
    assert covers(result, SECONDARY_METHOD, truth)


def test_one_authority_cut(world: other.Dataset) -> None:
    cut = other.one_la_cut(world)
    result = run(cut, mediation=True)
    truth = other.truth(N_LAS, SEED, la=0)
    assert result.diagnostics["inference"]["local_authorities"] == 1
    assert result.diagnostics["inference"]["interval"].startswith("normal")
    assert covers(result, PRIMARY_METHOD, truth)
    assert covers(result, SECONDARY_METHOD, truth)
    assert "mediation" in set(result.estimates["method"])


def test_baseline_hazards_by_arm_follow_an_effect_that_is_not_proportional(
    world: other.Dataset,
) -> None:
    truth = other.truth(N_LAS, SEED)
    af = analysis_frame(world, outcome="child_return", threshold_weeks=26, confounders=None)
    by_arm = methods.gcomputation_risks(af.data, af.confounders, (2.0,), 0, af.area)
    # the same standardisation with one exposure coefficient (proportional hazards)
    pooled = af.data.assign(event=np.minimum(af.data["event"], 2))
    model = CauseSpecificCox().fit(
        pooled,
        "years",
        "event",
        formula=methods.formula(af.confounders, pooled),
        strata="la_code",
    )
    both = pd.concat([pooled.assign(exposed=1), pooled.assign(exposed=0)], ignore_index=True)
    risks = model.predict_cumulative_incidence(both, times=[2.0], cause=1).to_numpy()
    exposed, unexposed = np.split(risks, 2, axis=1)
    proportional = exposed.mean() - unexposed.mean()
    stratified = float(by_arm[0, 0] - by_arm[1, 0])
    # the proportional model misses by more than half the truth; by arm, within 1.5 points
    assert abs(proportional - truth) > truth / 2
    assert abs(stratified - truth) < 0.015

"""RushedDisposalStudy on synthetic worlds whose truth is known.

Small worlds and few bootstrap replicates keep these tests within CI's budget; the
coverage simulation the issue asks for (100+ replicates) is separate work.
"""

from __future__ import annotations

import pytest

import synthetic
from outcomes.errors import OutcomesError
from outcomes.study import RushedDisposalStudy, StudyResult
from outcomes.study.estimates import COLUMNS
from outcomes.study.frame import BASE_CONFOUNDERS, analysis_frame

METHODS = {
    "crude_aalen_johansen",
    "cause_specific_cox",
    "fine_gray",
    "iptw_aalen_johansen",
    "g_computation",
    "pseudo_value_regression",
    "e_value",
    "spline_dose_response",
    "mediation",
}
MEDIATION_TRUTH = {
    "natural_direct_effect": "natural_direct",
    "natural_indirect_effect": "natural_indirect",
}


def run(scenario: str, mediation: bool = True) -> tuple[synthetic.World, StudyResult]:
    world = synthetic.generate(scenario, n_applications=8_000, seed=4, faults=False)
    study = RushedDisposalStudy(world.dataset, n_boot=20, sensitivity=False, mediation=mediation)
    return world, study.run()


@pytest.fixture(scope="module")
def default() -> tuple[synthetic.World, StudyResult]:
    return run("default")


@pytest.mark.slow
def test_layout(default: tuple[synthetic.World, StudyResult]) -> None:
    _, result = default
    assert list(result.estimates.columns) == COLUMNS
    assert set(result.estimates["method"]) == METHODS
    hr = result.get("cause_specific_cox", "hazard_ratio")
    assert hr["ci_lower"] < hr["estimate"] < hr["ci_upper"]
    assert result.diagnostics["bootstrap"]["iptw"]["replicates"] == 20
    assert "GLOBAL" in result.diagnostics["proportional_hazards"].index
    balance = result.diagnostics["balance"]
    assert balance["smd_weighted"].abs().max() < balance["smd_unweighted"].abs().max()
    text = result.summary_text()
    assert "no unmeasured confounding" in text and "E-value" in text


@pytest.mark.slow
@pytest.mark.parametrize(
    "method", ["iptw_aalen_johansen", "g_computation", "pseudo_value_regression"]
)
def test_two_year_risk_difference_covers_the_truth(
    default: tuple[synthetic.World, StudyResult], method: str
) -> None:
    world, result = default
    truth = world.truth.value("risk_difference", 2)
    rd = result.get(method, "risk_difference", 2.0)
    assert rd["ci_lower"] <= truth <= rd["ci_upper"], (rd["ci_lower"], truth, rd["ci_upper"])


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ["null", "strong", "mediated"])
def test_other_worlds_covered(scenario: str) -> None:
    # the mediation split is checked where it is the point: the mediated world
    world, result = run(scenario, mediation=scenario == "mediated")
    truth = world.truth.value("risk_difference", 2)
    for method in ("iptw_aalen_johansen", "g_computation"):
        rd = result.get(method, "risk_difference", 2.0)
        assert rd["ci_lower"] <= truth <= rd["ci_upper"]
    if scenario == "mediated":
        assert_mediation_covers_truth(world, result)


def assert_mediation_covers_truth(world: synthetic.World, result: StudyResult) -> None:
    # Within three bootstrap standard errors rather than inside the 95% interval: a
    # 95% interval misses one world in twenty by design, and with 20 replicates the
    # standard error itself is only known to about 16%.
    for estimand, truth_name in MEDIATION_TRUTH.items():
        truth = world.truth.value(truth_name, 2)
        row = result.get("mediation", estimand, 2.0)
        assert abs(row["estimate"] - truth) < 3 * row["std_error"], (estimand, row, truth)


@pytest.mark.slow
def test_mediation_split_recovers_the_truth(
    default: tuple[synthetic.World, StudyResult],
) -> None:
    # In the default world latent case complexity, seen only through noisy indicators,
    # confounds the order and the return as well as duration and the return; the split
    # is then only approximately identified, so it is checked against a tolerance of
    # about two standard errors here, and for interval coverage in the mediated world.
    world, result = default
    for estimand, truth_name in MEDIATION_TRUTH.items():
        truth = world.truth.value(truth_name, 2)
        estimate = result.get("mediation", estimand, 2.0)["estimate"]
        assert abs(estimate - truth) < 0.005, (estimand, estimate, truth)
    rows = result.estimates.loc[result.estimates["method"] == "mediation"]
    cde = rows.loc[rows["estimand"] == "controlled_direct_effect"]
    # one controlled direct effect per common order and horizon
    assert cde["contrast"].str.contains("order set to care_order").any()
    assert len(cde) == 3 * cde["contrast"].nunique()
    assert (rows["ci_lower"] <= rows["estimate"]).all()
    assert (rows["estimate"] <= rows["ci_upper"]).all()
    assert result.diagnostics["bootstrap"]["mediation"]["replicates"] == 20


def test_confounders_are_reported_and_a_typed_name_must_exist() -> None:
    # Every default confounder gets a status in the report; a name the user typed that
    # is not a column is a mistake, and an error that names it (never a silent run
    # without it).
    world = synthetic.generate("default", n_applications=3_000, seed=1, faults=False)
    frame = analysis_frame(
        world.dataset, outcome="child_return", threshold_weeks=26, confounders=None
    )
    report = frame.report.set_index("confounder")["status"]
    assert set(BASE_CONFOUNDERS) <= set(report.index)
    assert report["child_age_at_issue"] == "used" and "child_age_at_issue" in frame.confounders
    with pytest.raises(OutcomesError, match="shoe_size"):
        analysis_frame(
            world.dataset,
            outcome="child_return",
            threshold_weeks=26,
            confounders=["child_age_at_issue", "shoe_size"],
        )


@pytest.mark.slow
def test_dose_response_after_the_threshold_covers_the_truth(
    default: tuple[synthetic.World, StudyResult],
) -> None:
    # The world's effect is a step: every case after 26 weeks has 1/HR times the
    # hazard of one at 26 weeks. Well past the threshold the spline must agree.
    world, result = default
    row = result.estimates.loc[
        (result.estimates["method"] == "spline_dose_response")
        & (result.estimates["contrast"] == "52 weeks vs 26 weeks")
    ].iloc[0]
    truth = 1 / world.truth.conditional_hr
    assert row["ci_lower"] <= truth <= row["ci_upper"], (row["ci_lower"], truth, row["ci_upper"])


@pytest.mark.slow
def test_crude_bias_has_the_direction_confounding_predicts(
    default: tuple[synthetic.World, StudyResult],
) -> None:
    # Confounding bias of the crude risk difference is the difference between the arms
    # in the risk they would have under the same exposure: from the potential outcomes,
    # E[Y(long) | observed short] - E[Y(long) | observed long] at 2 years.
    world, result = default
    po = world.potential_outcomes
    two_years = 2 * 365.25
    returned = (po["event_long"] == "child_return") & (po["time_long"] <= two_years)
    by_arm = returned.groupby(po["observed_arm"], observed=True).mean()
    predicted = by_arm["short"] - by_arm["long"]
    crude = result.get("crude_aalen_johansen", "risk_difference", 2.0)["estimate"]
    truth = world.truth.value("risk_difference", 2)
    assert abs(predicted) > 0.002  # the world is confounded enough to tell
    assert (crude - truth) * predicted > 0, (crude, truth, predicted)

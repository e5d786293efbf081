"""The study on an authority's own extract: one or a few local authorities.

With one local authority a cluster-robust variance is zero by construction and a
bootstrap of authorities resamples nothing; with a handful both are too narrow. The
study then resamples families, keeps the area out of its models when it is a
constant, and says so in the report. Every interval it reports has positive width.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import synthetic
from outcomes.causal import PositivityWarning
from outcomes.schema import Dataset
from outcomes.study import RushedDisposalStudy, StudyResult
from outcomes.study.frame import FAMILY, MIN_BOOTSTRAP_CLUSTERS, analysis_frame
from outcomes.study.methods import cluster_bootstrap
from outcomes.study.report import render
from outcomes.study.result import PRIMARY_METHOD

N_BOOT = 20


def one_la_world(seed: int = 2, n_applications: int = 250) -> synthetic.World:
    scenario = synthetic.load_scenario("default").replace(
        name="one_la", areas__n_la=1, areas__n_dfj=1
    )
    return synthetic.generate(scenario, n_applications=n_applications, seed=seed, faults=False)


def cut(dataset: Dataset, las: list[str]) -> Dataset:
    """The rows of some local authorities, as their own extract would hold them."""
    proceedings = dataset.proceedings.loc[dataset.proceedings["la_code"].isin(las)]
    children = set(proceedings["child_id"])
    events = dataset.child_events
    if events is not None:
        events = events.loc[events["child_id"].isin(children)]
    return dataclasses.replace(
        dataset, proceedings=proceedings.reset_index(drop=True), child_events=events
    )


def five_la_dataset() -> Dataset:
    world = synthetic.generate("default", n_applications=3_000, seed=4, faults=False)
    sizes = world.dataset.proceedings["la_code"].value_counts()
    return cut(world.dataset, list(sizes.index[:5]))


@pytest.fixture(scope="module")
def one_la_result() -> StudyResult:
    return RushedDisposalStudy(one_la_world().dataset, n_boot=N_BOOT, seed=3).run()


@pytest.fixture(scope="module")
def five_la_result() -> StudyResult:
    # Five authorities' children overlap poorly on the propensity score; the study
    # warns and reports it (diagnostics["positivity_warnings"]), which is not the
    # subject here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PositivityWarning)
        return RushedDisposalStudy(five_la_dataset(), n_boot=N_BOOT, seed=3).run()


def assert_honest_intervals(result: StudyResult) -> None:
    """No row of any method has a zero-width interval or p = 0; the primary has one."""
    e = result.estimates
    finite = e[["ci_lower", "ci_upper"]].notna().all(axis=1)
    assert (e.loc[finite, "ci_upper"] > e.loc[finite, "ci_lower"]).all(), e.loc[finite]
    assert not (e["p_value"] == 0).any()
    assert not (e["std_error"] == 0).any()
    primary = result.get(PRIMARY_METHOD, "risk_difference", 2.0)
    assert primary["ci_upper"] - primary["ci_lower"] > 0.01  # a few hundred children
    for method in ("cause_specific_cox", "fine_gray"):
        row = e.loc[e["method"] == method].iloc[0]
        assert row["std_error"] > 0 and row["ci_upper"] > row["ci_lower"]


def test_one_la_intervals_have_positive_width(one_la_result: StudyResult) -> None:
    assert_honest_intervals(one_la_result)
    # every method ran, mediation and sensitivity included
    methods = set(one_la_result.estimates["method"])
    assert {"mediation", "g_computation", "sensitivity_threshold_20"} <= methods
    # the 26-week variant would be the primary analysis again: not run
    assert "sensitivity_threshold_26" not in methods


def test_five_la_intervals_have_positive_width(five_la_result: StudyResult) -> None:
    assert_honest_intervals(five_la_result)


def test_one_la_inference_is_stated(one_la_result: StudyResult) -> None:
    inference = one_la_result.diagnostics["inference"]
    assert inference["local_authorities"] == 1 and not inference["area_in_models"]
    assert "family" in inference["variance"] and "families" in inference["bootstrap"]
    assert {b["unit"] for b in one_la_result.diagnostics["bootstrap"].values()} == {"family"}
    text = one_la_result.summary_text()
    assert "one local authority" in text and "families" in text
    assert "say nothing about how far the result carries" in text
    assert "synthetic (scenario 'one_la'" in text
    assert "the local authority" not in text.split("The estimates adjust for")[1].split(".")[0]
    page = render(one_la_result)
    assert "Local authorities: one local authority" in page
    assert "Resampling: bootstrap resampling families" in page
    assert "Intervals: normal intervals from the bootstrap standard error" in page
    assert "normal intervals from the bootstrap standard error" in text


@pytest.mark.parametrize("name", ["one_la_result", "five_la_result"])
def test_few_clusters_give_normal_intervals_from_the_bootstrap_se(
    name: str, request: pytest.FixtureRequest
) -> None:
    # Families resampled: every bootstrapped risk, difference and ratio (primary,
    # g-computation, sensitivity) has the interval estimate +- z SE (the ratio on the
    # log scale; a risk cut at zero).
    result: StudyResult = request.getfixturevalue(name)
    assert result.diagnostics["inference"]["interval"].startswith("normal intervals")
    z = stats.norm.ppf(0.975)
    e = result.estimates
    boot = (
        e.loc[
            e["method"].isin([PRIMARY_METHOD, "g_computation"])
            | e["method"].str.startswith("sensitivity_")
        ]
        .dropna(subset=["ci_lower"])
        .copy()
    )
    assert len(boot) >= 16
    ratio = boot["estimand"] == "risk_ratio"
    cols = ["estimate", "ci_lower", "ci_upper"]
    boot.loc[ratio, cols] = np.log(boot.loc[ratio, cols])
    np.testing.assert_allclose(boot["ci_upper"], boot["estimate"] + z * boot["std_error"])
    lower = boot["estimate"] - z * boot["std_error"]
    risk = boot["estimand"].isin(["risk_exposed", "risk_unexposed"])
    lower[risk] = lower[risk].clip(lower=0.0)
    np.testing.assert_allclose(boot["ci_lower"], lower)


def test_five_la_resamples_families_within_authorities(five_la_result: StudyResult) -> None:
    inference = five_la_result.diagnostics["inference"]
    assert inference["local_authorities"] == 5 and inference["area_in_models"]
    assert "within each local authority" in inference["bootstrap"]
    assert "5 clusters" in inference["variance"]
    assert "5 local authorities" in five_la_result.summary_text()


def test_family_bootstrap_keeps_each_authority_and_its_size() -> None:
    frame = pd.DataFrame(
        {
            "la_code": ["A"] * 6 + ["B"] * 3,
            FAMILY: ["f1", "f1", "f2", "f3", "f3", "f3", "g1", "g2", "g2"],
            "y": np.arange(9.0),
        }
    )
    seen = []

    def record(sample: pd.DataFrame) -> np.ndarray:
        seen.append(sample)
        return np.array([sample["y"].mean()])

    cluster_bootstrap(
        frame, record, 30, np.random.default_rng(1), cluster=FAMILY, within="la_code"
    )
    for sample in seen:
        # families drawn within authorities: as many families per authority as it has
        families = sample.groupby("la_code")[FAMILY].nunique()
        assert families.to_dict() == {"A": 3, "B": 2}
        # a family's rows travel together, copies under distinct labels
        assert set(sample.groupby(FAMILY)["la_code"].nunique()) == {1}
    assert len({tuple(s["y"]) for s in seen}) > 10


def test_the_cut_is_a_rule_on_the_number_of_clusters() -> None:
    data = one_la_world().dataset
    af = analysis_frame(data, outcome="child_return", threshold_weeks=26, confounders=None)
    assert af.inference.resample == FAMILY and af.area is None
    assert af.inference.variance_cluster == FAMILY
    world = synthetic.generate("default", n_applications=1_500, seed=1, faults=False)
    many = analysis_frame(
        world.dataset, outcome="child_return", threshold_weeks=26, confounders=None
    )
    assert many.inference.n_clusters >= MIN_BOOTSTRAP_CLUSTERS
    assert many.inference.resample == "la_code" and many.area == "la_code"

"""The study's pseudo-value risk difference against the synthetic world's truth.

The simulation is ``validation/pseudo_synthetic.py`` (its docstring gives the design):
fresh ``default`` worlds of 5,000 applications, the study's ``pseudo_value_regression``
2-year standardised risk difference with its sandwich interval, against the scenario's
population value. The saved run is checked as the coverage runs are
(``tests/study/test_coverage.py``): its worlds are those of the seeds, in order; its
first replicates are what the code computes now; its truth is the coverage runs'; and
its performance is within Monte Carlo error of the nominal.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import synthetic
from outcomes.study import RushedDisposalStudy, methods
from outcomes.study.frame import analysis_frame
from validation import coverage, pseudo_synthetic

RECOMPUTED = 2


def saved() -> tuple[pd.DataFrame, pd.DataFrame]:
    read = {"float_precision": "round_trip"}
    return (
        pd.read_csv(pseudo_synthetic.OUT / "replicates.csv", **read),
        pd.read_csv(pseudo_synthetic.OUT / "truth.csv", **read),
    )


def measures(quantity: str) -> dict[str, float]:
    results, truth_worlds = saved()
    summary = pseudo_synthetic.summarise(results, *coverage.truth_value(truth_worlds))
    row = summary.loc[summary["quantity"] == quantity].drop(columns="quantity").iloc[0]
    return {str(k): float(v) for k, v in row.items()}


def test_the_saved_run_has_every_world_in_seed_order() -> None:
    results, _ = saved()
    replicates = len(results)
    assert replicates >= 200
    assert results["replicate"].tolist() == list(range(replicates))
    seeds = np.random.SeedSequence(coverage.SEED).spawn(replicates)
    assert results["world_seed"].tolist() == [int(s.generate_state(2)[0]) for s in seeds]
    assert (results["n_applications"] == pseudo_synthetic.N_APPLICATIONS).all()
    # every replicate ran cleanly, with an interval from every authority as a cluster
    assert (results["warnings"] == 0).all()
    assert (results["clusters"] == results["areas"]).all()
    assert np.isfinite(results[["estimate", "ci_lower", "ci_upper"]].to_numpy()).all()
    assert (results["ci_upper"] > results["ci_lower"]).all()


def test_the_worlds_are_those_of_the_coverage_run() -> None:
    # same seeds, same worlds: the cohort sizes agree replicate for replicate
    results, truth_worlds = saved()
    other = pd.read_csv(
        coverage.results_folder(pseudo_synthetic.N_APPLICATIONS) / "coverage_replicates.csv",
        float_precision="round_trip",
    )
    common = min(len(results), other["replicate"].nunique())
    ours = results.iloc[:common]
    theirs = other.drop_duplicates("replicate").iloc[:common]
    assert ours["world_seed"].tolist() == theirs["world_seed"].tolist()
    assert ours["children"].tolist() == theirs["children"].tolist()
    coverage_truth = pd.read_csv(
        coverage.results_folder(coverage.N_APPLICATIONS) / "coverage_truth.csv",
        float_precision="round_trip",
    )
    pd.testing.assert_frame_equal(truth_worlds, coverage_truth)


@pytest.mark.slow
def test_the_saved_run_is_what_the_code_computes() -> None:
    results, _ = saved()
    again = pseudo_synthetic.simulate(RECOMPUTED, coverage.SEED).drop(columns="seconds")
    first = results.iloc[:RECOMPUTED].drop(columns="seconds").reset_index(drop=True)
    pd.testing.assert_frame_equal(again, first, check_exact=False, rtol=1e-9, atol=1e-12)


@pytest.mark.slow
def test_the_simulated_row_is_the_study_row() -> None:
    # A full run (minimal bootstrap, no mediation or sensitivity) on a world with the
    # latent column: the simulation's estimate and interval are the study's rows.
    world = synthetic.generate("default", n_applications=1_500, seed=5, faults=False)
    data = coverage.with_latent(world)
    default = analysis_frame(data, outcome="child_return", threshold_weeks=26, confounders=None)
    confounders = [*default.report["confounder"], coverage.LATENT]
    af = analysis_frame(data, outcome="child_return", threshold_weeks=26, confounders=confounders)
    table, _ = methods.pseudo_value_risks(
        af.data, af.confounders, (2.0,), 0.05, af.inference.variance_cluster, af.area
    )
    result = RushedDisposalStudy(
        data, confounders=confounders, n_boot=2, sensitivity=False, mediation=False, seed=1
    ).run()
    row = result.get("pseudo_value_regression", "risk_difference", 2.0)
    ours = table.loc[table["contrast"] == "difference"].iloc[0]
    for column in ("estimate", "std_error", "ci_lower", "ci_upper", "p_value"):
        assert row[column] == pytest.approx(ours[column], rel=1e-12), column


def test_the_standardised_difference_recovers_the_truth() -> None:
    row = measures("standardised")
    assert row["replicates"] >= 200
    assert abs(row["bias"]) < 3 * row["bias_mc_se"], row


def test_the_sandwich_interval_covers_at_the_nominal_rate() -> None:
    row = measures("standardised")
    assert 0.92 <= row["coverage"] <= 0.98, row
    # the sandwich standard error tracks the spread of the estimates
    assert 0.85 <= row["se_ratio"] <= 1.15, row

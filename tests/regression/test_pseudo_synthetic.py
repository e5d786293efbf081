"""The study's pseudo-value risk difference against the synthetic world's truth.

The simulation is ``validation/pseudo_synthetic.py`` (its docstring gives the design):
fresh ``default`` worlds of 5,000 applications, the study's ``pseudo_value_regression``
2-year standardised risk difference with its sandwich interval, against the scenario's
population value. The saved run is checked as the coverage runs are
(``tests/study/test_coverage.py``): it is the study's own with every world; its first
replicates are what the code computes now; its worlds are the coverage run's; and its
performance is within Monte Carlo error of the nominal.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import synthetic
from outcomes.study import RushedDisposalStudy
from outcomes.study.frame import analysis_frame
from validation import coverage, pseudo_synthetic

RECOMPUTED = 2


def saved() -> pd.DataFrame:
    return pseudo_synthetic.study().read(pseudo_synthetic.CHUNKS)


def measures(quantity: str) -> dict[str, float]:
    truth = coverage.truth_value(pseudo_synthetic.truth_worlds())
    summary = pseudo_synthetic.summarise(saved(), *truth)
    row = summary.loc[summary["quantity"] == quantity].drop(columns="quantity").iloc[0]
    return {str(k): float(v) for k, v in row.items()}


def test_the_saved_run_has_every_world_for_both_methods() -> None:
    results = saved()  # the study's own run, every chunk present
    for quantity in pseudo_synthetic.QUANTITIES:
        reps = results.loc[results["method"] == quantity, "rep"]
        assert reps.tolist() == list(range(pseudo_synthetic.REPLICATES)), quantity
    assert (results["n_applications"] == pseudo_synthetic.N_APPLICATIONS).all()
    # every replicate ran cleanly, with an interval from every authority as a cluster
    assert results["error"].isna().all()
    assert (results["warnings"] == 0).all()
    assert (results["clusters"] == results["areas"]).all()
    assert np.isfinite(results[["estimate", "ci_lower", "ci_upper"]].to_numpy()).all()
    assert (results["ci_upper"] > results["ci_lower"]).all()
    summary = pd.read_csv(pseudo_synthetic.OUT / "summary.csv", float_precision="round_trip")
    truth = coverage.truth_value(pseudo_synthetic.truth_worlds())
    pd.testing.assert_frame_equal(summary, pseudo_synthetic.summarise(results, *truth), rtol=1e-12)


def test_the_worlds_are_those_of_the_coverage_run() -> None:
    # same generator, same seeds, same worlds: the cohorts and the world's own truth
    # agree replicate for replicate
    ours = saved().drop_duplicates("rep").set_index("rep")
    theirs, _ = coverage.saved(pseudo_synthetic.N_APPLICATIONS)
    theirs = theirs.drop_duplicates("rep").set_index("rep")
    common = ours.index.intersection(theirs.index)
    assert len(common) == pseudo_synthetic.REPLICATES
    for column in ("children", "areas", "exposed_share", "truth"):
        assert ours.loc[common, column].tolist() == theirs.loc[common, column].tolist(), column


@pytest.mark.slow
def test_the_saved_run_is_what_the_code_computes() -> None:
    again = pseudo_synthetic.study(RECOMPUTED).run(progress=False)
    first = saved().loc[lambda r: r["rep"] < RECOMPUTED].reset_index(drop=True)
    pd.testing.assert_frame_equal(again, first, check_exact=False, rtol=1e-9, atol=1e-12)


@pytest.mark.slow
def test_the_simulated_row_is_the_study_row() -> None:
    # A full run (minimal bootstrap, no mediation or sensitivity) on a world with the
    # latent column: the simulation's estimate and interval are the study's rows.
    world = synthetic.generate("default", n_applications=1_500, seed=5, faults=False)
    data = coverage.with_latent(world)
    default = analysis_frame(data, outcome="child_return", threshold_weeks=26, confounders=None)
    confounders = [*default.report["confounder"], coverage.LATENT]
    ours = pseudo_synthetic.standardised(
        pseudo_synthetic.draw(coverage.World(data, default, 0, 0)), {}
    )
    result = RushedDisposalStudy(
        data, confounders=confounders, n_boot=2, sensitivity=False, mediation=False, seed=1
    ).run()
    row = result.get("pseudo_value_regression", "risk_difference", 2.0)
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

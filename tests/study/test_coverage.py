"""The primary estimand's 95% interval covers the truth at the nominal rate.

The simulation is ``validation/coverage.py`` (its docstring gives the design): fresh
``default`` worlds of two sizes, the study's ``iptw_aalen_johansen`` 2-year risk
difference with its cluster-bootstrap percentile interval, against the scenario's
population value, and an unadjusted control in the same worlds. A run takes about 7
minutes (1,500 applications) to 12 minutes (5,000) on two cores, longer than CI can
afford, so ``make coverage`` runs it and saves every replicate in
``validation/results/``; these tests check the saved runs:

- that they are what the code computes now: the first replicates and the truth are
  computed again and must equal the saved rows, and the saved run is the study's own
  (``SimulationStudy.read`` checks its fingerprint -- seed, replicates, methods --
  and that no chunk is missing). A change to the generator or the study therefore
  fails here until ``make coverage`` has been run again;
- that their performance measures are those the docs report.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import synthetic
from outcomes.study import RushedDisposalStudy
from outcomes.study.frame import analysis_frame
from outcomes.study.result import PRIMARY_METHOD
from validation import coverage

SIZES = sorted(coverage.DESIGNS)
RECOMPUTED = 2
"""Replicates of each saved run computed again (about 3 s each at 1,500 applications, 5 s
at 5,000)."""


def saved(n_applications: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    return coverage.saved(n_applications)


def measures(n_applications: int, setting: str) -> dict[str, float]:
    """Performance measures of one setting of a saved run, at its own bootstrap size."""
    results, truth_worlds = saved(n_applications)
    summary = coverage.summarise(results, *coverage.truth_value(truth_worlds))
    rows = summary.loc[summary["setting"] == setting]
    row = rows.loc[rows["n_boot"] == rows["n_boot"].max()]
    return {str(k): float(v) for k, v in row.drop(columns="setting").iloc[0].items()}


@pytest.mark.slow
def test_the_simulated_interval_is_the_study_interval() -> None:
    # A full run on a world of the simulation's size with the latent column: the
    # simulation's row must be the study's, digit for digit (same calls, same random
    # stream). Mediation is left out: it has a stream of its own and takes the time.
    world = synthetic.generate(
        "default", n_applications=coverage.N_APPLICATIONS, seed=5, faults=False
    )
    data = coverage.with_latent(world)
    default = analysis_frame(data, outcome="child_return", threshold_weeks=26, confounders=None)
    confounders = [*default.report["confounder"], coverage.LATENT]
    study = RushedDisposalStudy(
        data, confounders=confounders, n_boot=4, sensitivity=False, mediation=False, seed=11
    )
    frame = analysis_frame(
        data, outcome="child_return", threshold_weeks=26, confounders=confounders
    )
    assert coverage.LATENT in frame.confounders
    row, _, boot = coverage.primary_row(study, frame)
    assert len(boot) == 4
    full = study.run().get(PRIMARY_METHOD, "risk_difference", 2.0)
    assert row == {str(k): v for k, v in full.items()}


@pytest.mark.slow
@pytest.mark.parametrize("n_applications", SIZES)
def test_the_saved_run_is_what_the_code_computes(n_applications: int) -> None:
    results, _ = saved(n_applications)
    again = coverage.study(n_applications, RECOMPUTED).run(progress=False)
    first = results.loc[results["rep"] < RECOMPUTED].reset_index(drop=True)
    pd.testing.assert_frame_equal(again, first, check_exact=False, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("n_applications", SIZES)
def test_the_saved_run_has_every_world_and_every_method(n_applications: int) -> None:
    results, _ = saved(n_applications)  # the study's own run, every chunk present
    replicates = coverage.REPLICATES[n_applications]
    assert replicates >= 300
    names = [*(s.name for s in coverage.DESIGNS[n_applications]), *coverage.CONTROLS]
    for name in names:
        reps = results.loc[results["method"] == name, "rep"]
        assert reps.tolist() == list(range(replicates)), name
    assert len(results) == replicates * len(names)
    assert (results["n_applications"] == n_applications).all()
    # every replicate ran cleanly: no error, no warning, no failed bootstrap replicate
    assert results["error"].isna().all()
    assert (results["warnings"] == 0).all()
    boot = results["n_boot"].notna()
    assert (results.loc[boot, "boot_replicates"] == results.loc[boot, "n_boot"]).all()
    assert np.isfinite(results[["estimate", "ci_lower", "ci_upper"]].to_numpy()).all()
    # the methods of a replicate analysed the same world
    per_world = results.groupby("rep")[["children", "areas", "exposed_share"]].nunique()
    assert (per_world == 1).all().all()


@pytest.mark.slow
def test_the_saved_truth_is_the_population_value() -> None:
    _, truth_worlds = saved(coverage.N_APPLICATIONS)
    for n in SIZES:
        pd.testing.assert_frame_equal(saved(n)[1], truth_worlds)
    pd.testing.assert_frame_equal(
        coverage.population_truth(), truth_worlds, check_exact=False, rtol=1e-12
    )


def test_interval_covers_at_the_nominal_rate_in_the_demo_world() -> None:
    # No confounder unmeasured, worlds the size of `outcomes demo`'s.
    row = measures(coverage.DEMO_APPLICATIONS, "complexity_measured")
    assert row["replicates"] >= 100
    assert 0.93 <= row["coverage"] <= 0.97, row
    # the bootstrap standard error tracks the spread of the estimates
    assert 0.85 <= row["se_ratio"] <= 1.15, row
    assert abs(row["bias"]) < 3 * row["bias_mc_se"], row


def test_small_worlds_give_an_unbiased_estimate_and_a_close_standard_error() -> None:
    # 15 children and under one return per authority. The interval's coverage here is
    # reported, not asserted (docs/validation.md: 94.8% on these 600 worlds, 90.0% on
    # an earlier 300); the estimate and the bootstrap's standard error are the parts
    # that hold.
    row = measures(coverage.N_APPLICATIONS, "complexity_measured")
    assert abs(row["bias"]) < 3 * row["bias_mc_se"], row
    assert 0.85 <= row["se_ratio"] <= 1.15, row


def test_the_earlier_small_world_run_showed_what_the_docs_say() -> None:
    # 300 small worlds seeded before the run moved onto the framework (seeds from
    # SeedSequence(SEED).spawn(300)): 90.0% coverage of the same truth, with estimates
    # more spread out than the present run's (SD 1.09 against 0.95 points), and the
    # control's bootstrap interval 92.3% in the same worlds.
    folder = coverage.results_folder(coverage.N_APPLICATIONS) / "earlier_seeds"
    read = {"float_precision": "round_trip"}
    earlier = pd.read_csv(folder / "coverage_replicates.csv", **read)
    control = pd.read_csv(folder / "control_replicates.csv", **read)
    part = earlier.loc[earlier["setting"] == "complexity_measured"]
    seeds = np.random.SeedSequence(coverage.SEED).spawn(300)
    assert part["world_seed"].tolist() == [int(s.generate_state(2)[0]) for s in seeds]
    results, truth_worlds = saved(coverage.N_APPLICATIONS)
    truth = coverage.truth_value(truth_worlds)[0]
    covered = (part["ci_lower"] <= truth) & (truth <= part["ci_upper"])
    assert covered.mean() == pytest.approx(0.90)
    assert control["world_seed"].tolist() == part["world_seed"].tolist()
    crude = coverage.truth_value(truth_worlds, coverage.CRUDE)[0]
    crude_covered = (control["ci_lower"] <= crude) & (crude <= control["ci_upper"])
    assert crude_covered.mean() == pytest.approx(0.923, abs=0.0005)
    assert 100 * part["estimate"].std() == pytest.approx(1.09, abs=0.005)

    # the present run's worlds are other worlds: their seeds, as generate draws them
    # from the framework's streams, are none of the earlier ones
    study = coverage.study(coverage.N_APPLICATIONS)
    present_seeds = {
        int(np.random.default_rng(study.seed_sequence(0, rep)).integers(2**63))
        for rep in range(study.n_reps)
    }
    assert not present_seeds & set(part["world_seed"])
    primary = results.loc[results["method"] == "complexity_measured"]
    assert 100 * primary["estimate"].std() == pytest.approx(0.95, abs=0.005)


def test_leaving_complexity_out_pulls_the_estimate_down() -> None:
    # Complex cases take longer and return more often, so with complexity seen only
    # through its noisy indicators the later arm keeps more of it and looks worse:
    # the risk difference (within 26 weeks - later) is pulled down. Each world is
    # analysed both ways, so the paired difference shows the bias with little noise.
    results, _ = saved(coverage.N_APPLICATIONS)
    estimates = results.pivot(index="rep", columns="method", values="estimate")
    shift = estimates["default_confounders"] - estimates["complexity_measured"]
    assert shift.mean() < -3 * shift.std(ddof=1) / np.sqrt(len(shift)), shift.describe()


@pytest.mark.parametrize("n_applications", SIZES)
def test_the_control_shows_the_worlds_not_the_weighting_limit_coverage(
    n_applications: int,
) -> None:
    # the unadjusted difference needs no model: its bootstrap interval of its own
    # target is the yardstick the study's interval is read against (docs/validation.md)
    results, truth_worlds = saved(n_applications)
    control = coverage.summarise_control(
        results, coverage.truth_value(truth_worlds, coverage.CRUDE)[0]
    ).set_index("interval")
    assert (control["replicates"] == coverage.REPLICATES[n_applications]).all()
    # each summary saved beside the replicates is what they give
    folder = coverage.results_folder(n_applications)
    read = {"float_precision": "round_trip"}
    pd.testing.assert_frame_equal(
        pd.read_csv(folder / "control_summary.csv", **read).set_index("interval"),
        control,
        rtol=1e-12,
    )
    pd.testing.assert_frame_equal(
        pd.read_csv(folder / "coverage_summary.csv", **read),
        coverage.summarise(results, *coverage.truth_value(truth_worlds)),
        rtol=1e-12,
    )
    # the unadjusted estimate is the same under both intervals
    wide = results.loc[results["method"].isin(list(coverage.CONTROLS))].pivot(
        index="rep", columns="method", values="estimate"
    )
    np.testing.assert_array_equal(wide["crude_textbook"], wide["crude_bootstrap"])

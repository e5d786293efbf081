"""The primary estimand's 95% interval covers the truth at the nominal rate.

The simulation is ``validation/coverage.py`` (its docstring gives the design): fresh
``default`` worlds, the study's ``iptw_aalen_johansen`` 2-year risk difference with its
cluster-bootstrap percentile interval, against the scenario's population value. The
``simulation`` tests run its replicates -- those of ``make coverage``'s
saved run, whose figures are in ``validation/results/coverage.md`` -- and take longer
than ``make test`` can afford on two cores, so ``make test`` deselects them and
``make coverage`` runs them. The check that the simulation computes the study's own
interval is cheap and runs in ``make test``.
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

REPLICATES = coverage.REPLICATES


@pytest.fixture(scope="module")
def simulation() -> tuple[pd.DataFrame, pd.DataFrame]:
    truth, truth_se = coverage.truth_value(coverage.population_truth())
    results = coverage.simulate(REPLICATES, coverage.SEED, n_jobs=2)
    return results, coverage.summarise(results, truth, truth_se)


def measures(summary: pd.DataFrame, setting: str) -> dict[str, float]:
    """The performance measures of one setting with the study's bootstrap size."""
    rows = summary.loc[(summary["setting"] == setting) & (summary["n_boot"] == coverage.N_BOOT)]
    return {str(k): float(v) for k, v in rows.drop(columns="setting").iloc[0].items()}


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
@pytest.mark.simulation
def test_interval_covers_at_the_nominal_rate_when_no_confounder_is_unmeasured(
    simulation: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    _, summary = simulation
    row = measures(summary, "complexity_measured")
    assert row["replicates"] == REPLICATES
    assert 0.93 <= row["coverage"] <= 0.97, row
    # the bootstrap standard error tracks the spread of the estimates
    assert 0.85 <= row["se_ratio"] <= 1.15, row


@pytest.mark.slow
@pytest.mark.simulation
def test_every_replicate_ran_cleanly(simulation: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    results, _ = simulation
    assert results["replicate"].nunique() == REPLICATES
    assert (results["warnings"] == 0).all()
    assert (results["boot_replicates"] == coverage.N_BOOT).all()
    assert np.isfinite(results[["estimate", "ci_lower", "ci_upper"]].to_numpy()).all()


@pytest.mark.slow
@pytest.mark.simulation
def test_leaving_complexity_out_pulls_the_estimate_down(
    simulation: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    # Complex cases take longer and return more often, so with complexity seen only
    # through its noisy indicators the later arm keeps more of it and looks worse:
    # the risk difference (within 26 weeks - later) is pulled down. Each world is
    # analysed both ways, so the paired difference shows the bias with little noise.
    results, _ = simulation
    estimates = results.pivot(index="replicate", columns="setting", values="estimate")
    shift = estimates["default_confounders"] - estimates["complexity_measured"]
    assert shift.mean() < -3 * shift.std(ddof=1) / np.sqrt(len(shift)), shift.describe()

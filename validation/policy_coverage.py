"""Coverage of the duration-policy effect's interval: a simulation study.

:class:`outcomes.policy.DurationPolicyEffect` estimates, by the g-formula, the change in
the cohort's 2-year risk of return to court had durations followed a policy, with a
percentile interval from a bootstrap of whole local authorities that refits every
model. This module measures how often that interval contains the true effect.

Design (Morris, White and Crowther 2019, "ADEMP"):

Aim
    Does the policy effect's 95% interval cover the truth about 95% of the time when
    the method's assumptions hold (every confounder of duration measured)?
Data-generating mechanism
    Replicate :math:`r = 1, \\dots, R` is a fresh ``default`` synthetic world of
    :data:`N_APPLICATIONS` applications in 152 local authorities (about 2,300 children
    in the disposal cohort), without data-quality faults, its seed drawn from the
    replicate's own stream (:class:`outcomes.simulation.SimulationStudy`: the same
    whatever the backend, the number of workers or the chunk size).
Estimands
    For each policy of :data:`POLICIES`, the 2-year risk difference, policy vs the
    natural course. The world computes its children's potential outcomes under each
    policy from its own structural model (``World.truth``: the *sample* value, this
    cohort's own effect). The interval resamples local authorities, so it describes
    the spread of the estimate over new worlds around the *population* value, and that
    is what it must cover (as for the study's interval); the population value is
    estimated by the mean of the :data:`REPLICATES` sample values, whose Monte Carlo
    error is reported beside it. Coverage of each world's own value is reported too.
Methods
    ``DurationPolicyEffect(n_boot=N_BOOT).fit(cohort, confounders=...)`` and
    ``estimate(POLICIES)`` on the world's child-return cohort, with the study's default
    confounders *and* the world's latent case complexity, so that no confounder of
    duration is unmeasured -- the test of the interval, as in the study's coverage
    run (:mod:`validation.coverage`, setting ``complexity_measured``); otherwise every
    default but the bootstrap's size: a 4-df spline of weeks and a step at 26 weeks,
    and :data:`N_BOOT` = 100 bootstrap replicates, half the default, to halve the run
    (the 200 worlds took 15 minutes on two cores; the same percentile interval, its
    limits read from fewer draws).
    With the defaults alone the latent complexity is seen only through noisy
    indicators and confounds duration: that bias is the known-truth tests' business
    (``tests/policy/test_known_truth.py``), not the interval's.
Performance measures
    :func:`outcomes.simulation.performance` (Morris et al. 2019, table 6): bias,
    empirical and model SE, coverage with their Monte Carlo SEs.

Run ``python -m validation.policy_coverage [--replicates R] [--backend processes]``:
the Parquet chunks go to ``validation/results/policy_coverage/chunks`` as they finish
(an interrupted run continues where it stopped, with the same seeds), the summary to
``validation/results/policy_coverage/summary.csv`` (``--summary-only`` writes that of the
worlds saved so far); checked by ``tests/policy/test_policy_coverage.py``.

References
----------
Morris, T. P., White, I. R. and Crowther, M. J. (2019). Using simulation studies to
evaluate statistical methods. *Statistics in Medicine* 38(11), 2074-2102.
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import synthetic
from outcomes.causal import PositivityWarning
from outcomes.cohort import build_cohort
from outcomes.policy import DurationPolicyEffect
from outcomes.simulation import SimulationStudy, performance
from outcomes.study.frame import analysis_frame
from validation.coverage import LATENT, with_latent

SEED = 20261205
N_APPLICATIONS = 1_500
N_BOOT = 100
REPLICATES = 200
POLICIES = ("cap:26", "shift:-4", "match:best_quartile")
HORIZON = 2.0
CHUNK = 2
OUT = Path(__file__).resolve().parent / "results" / "policy_coverage"
CHUNKS = OUT / "chunks"
SUMMARY = OUT / "summary.csv"


def generate(params: dict[str, Any], rng: np.random.Generator) -> tuple[Any, dict[str, float]]:
    """One world's cohort, the confounders (the defaults and the latent complexity),
    the seed of its bootstrap, and its policies' effects."""
    seed = int(rng.integers(2**31))
    world = synthetic.generate(
        "default", n_applications=params["n_applications"], seed=seed, faults=False
    )
    truth = {
        policy: world.truth.value("policy_risk_difference", HORIZON, policy) for policy in POLICIES
    }
    data = with_latent(world)
    cohort = build_cohort(data, outcome="child_return")
    # the default confounders by their own rule, and the latent complexity
    default = analysis_frame(cohort, outcome="child_return", threshold_weeks=26, confounders=None)
    confounders = [*default.report["confounder"], LATENT]
    return (cohort, confounders, seed), truth


def g_formula(data: tuple[Any, list[str], int], params: dict[str, Any]) -> list[dict[str, Any]]:
    """The 2-year risk difference of each policy, as ``outcomes what-if`` reports it."""
    cohort, confounders, seed = data
    effect = DurationPolicyEffect(n_boot=params.get("n_boot", N_BOOT), seed=seed)
    with warnings.catch_warnings():
        # the share moved outside the observed range is part of the results, not news
        warnings.simplefilter("ignore", PositivityWarning)
        effect.fit(cohort, confounders=confounders)
        table = effect.estimate(list(POLICIES), horizons=(HORIZON,))
    rows = table.loc[table["estimand"] == "policy_risk_difference"]
    return [
        {
            "estimand": row["contrast"],
            **{c: row[c] for c in ("estimate", "std_error", "ci_lower", "ci_upper", "p_value")},
        }
        for _, row in rows.iterrows()
    ]


def study(replicates: int = REPLICATES) -> SimulationStudy:
    """The simulation study of this module."""
    return SimulationStudy(
        generate,
        {"g_formula": g_formula},
        n_reps=replicates,
        seed=SEED,
        design={"n_applications": [N_APPLICATIONS]},
    )


def summarise(results: pd.DataFrame) -> pd.DataFrame:
    """Performance against the population value (the mean of the sample values) and,
    as ``coverage_of_sample_value``, coverage of each world's own value."""
    ok = results.loc[results["error"].isna()].copy()
    population = ok.groupby("estimand")["truth"].agg(["mean", "std", "count"])
    ok["population"] = ok["estimand"].map(population["mean"])
    table = performance(ok, true="population", by=["estimand"])
    sample = performance(ok, true="truth", by=["estimand"])
    sample = sample.loc[sample["measure"] == "coverage"].assign(measure="coverage_of_sample_value")
    truth = pd.DataFrame(
        {
            "estimand": population.index,
            "measure": "population_value",
            "estimate": population["mean"].to_numpy(),
            "mcse": (population["std"] / np.sqrt(population["count"])).to_numpy(),
        }
    )
    return pd.concat([truth, table, sample], ignore_index=True)


def run(replicates: int = REPLICATES, backend: str = "serial") -> pd.DataFrame:
    """Run (or continue) the simulation; write and return the summary."""
    results = study(replicates).run(backend, chunk_size=CHUNK, out=CHUNKS, progress=True)
    summary = summarise(results)
    OUT.mkdir(parents=True, exist_ok=True)
    summary.to_csv(SUMMARY, index=False)
    return summary


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=REPLICATES)
    parser.add_argument("--backend", default="serial", choices=["serial", "processes"])
    parser.add_argument(
        "--summary-only",
        action="store_true",
        help="write the summary of the saved run, without running anything",
    )
    args = parser.parse_args(argv)
    if args.summary_only:
        summary = summarise(study(args.replicates).read(CHUNKS))
        summary.to_csv(SUMMARY, index=False)
    else:
        summary = run(args.replicates, args.backend)
    with pd.option_context("display.width", 160):
        print(summary.to_string(index=False))


if __name__ == "__main__":
    main()

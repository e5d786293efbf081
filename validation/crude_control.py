"""A control for the coverage simulation: the unadjusted estimate in the same worlds.

When the study's interval covers less often than it should in a set of simulated
worlds, the cause may be the method or the worlds: a few hundred worlds can, by chance,
be more spread out than the population of worlds is. The control separates the two. In
exactly the worlds of :mod:`validation.coverage` it computes the *unadjusted*
Aalen-Johansen 2-year risk difference, with

- its textbook interval, :math:`\\hat\\theta \\pm 1.96\\,\\widehat{\\text{se}}`, where
  :math:`\\widehat{\\text{se}}^2` adds the two arms' Aalen-type variances (``cuminc``);
  it treats children as independent, which ignores the small clustering within local
  authorities;
- the interval the study uses: percentiles of a bootstrap of whole local authorities
  (200 replicates).

Its target is its own population value: the unadjusted 2-year risk difference of the
national-scale truth worlds of :func:`validation.coverage.population_truth`, averaged.
No weighting, no propensity model: if the control also covers less than 95% in these
worlds, part of the study's shortfall belongs to the worlds drawn; what the study loses
beyond the control belongs to the weighting.

Run ``python -m validation.crude_control --n-applications N``; the results go to
``validation/results/N_applications/control_*.csv``.
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from threadpoolctl import threadpool_limits

import synthetic
from outcomes.study import methods
from outcomes.study.frame import analysis_frame
from outcomes.survival import cumulative_incidence
from validation import coverage

Z = 1.959963984540054
"""The standard normal 97.5% point."""


def crude_risks(frame: pd.DataFrame) -> pd.DataFrame:
    """Unadjusted 2-year risks by arm: ``estimate`` and ``variance``, indexed 1, 0."""
    table = cumulative_incidence(frame, "years", "event", event_of_interest=1, by="exposed").at(
        coverage.HORIZON
    )
    return table.set_index("group").loc[[1, 0], ["estimate", "variance"]]


def crude_difference(frame: pd.DataFrame) -> np.ndarray:
    """The unadjusted risk difference, as an array for the bootstrap."""
    risks = crude_risks(frame)["estimate"].to_numpy()
    return np.array([risks[0] - risks[1]])


def cohort(world: synthetic.World) -> pd.DataFrame:
    """The study's analysis rows of a world (default confounders; the crude ignores them)."""
    return analysis_frame(
        world.dataset, outcome="child_return", threshold_weeks=26, confounders=None
    ).data


def population_value() -> pd.DataFrame:
    """The unadjusted 2-year risk difference of each national-scale truth world."""
    rows = []
    for k in range(coverage.TRUTH_WORLDS):
        seed = coverage.TRUTH_SEED + k
        world = synthetic.generate(coverage.SCENARIO, seed=seed, faults=False)
        rows.append({"seed": seed, "risk_difference": float(crude_difference(cohort(world))[0])})
    return pd.DataFrame(rows)


def replicate(index: int, seed: np.random.SeedSequence, n_applications: int) -> dict[str, float]:
    """The control in replicate ``index``'s world (the same world as the simulation's)."""
    world_seed, study_seed = (int(x) for x in seed.generate_state(2))
    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        world = synthetic.generate(
            coverage.SCENARIO, n_applications=n_applications, seed=world_seed, faults=False
        )
        frame = cohort(world)
        risks = crude_risks(frame)
        estimate = float(risks["estimate"].iloc[0] - risks["estimate"].iloc[1])
        std_error = float(np.sqrt(risks["variance"].sum()))
        rng = np.random.default_rng(study_seed)
        boot = methods.cluster_bootstrap(frame, crude_difference, coverage.N_BOOT, rng)[:, 0]
    return {
        "replicate": index,
        "world_seed": world_seed,
        "estimate": estimate,
        "std_error": std_error,
        "boot_std_error": float(np.std(boot, ddof=1)),
        "ci_lower": float(np.quantile(boot, 0.025)),
        "ci_upper": float(np.quantile(boot, 0.975)),
    }


def summarise(results: pd.DataFrame, truth: float) -> pd.DataFrame:
    """Coverage of the textbook and the bootstrap intervals, and the spread of the estimates."""
    estimate = results["estimate"].to_numpy()
    textbook = Z * results["std_error"].to_numpy()
    intervals = {
        # name: (lower, upper, mean standard error)
        "textbook (normal, Aalen variance)": (
            estimate - textbook,
            estimate + textbook,
            results["std_error"].mean(),
        ),
        "bootstrap of authorities (percentile)": (
            results["ci_lower"].to_numpy(),
            results["ci_upper"].to_numpy(),
            results["boot_std_error"].mean(),
        ),
    }
    sd = float(np.std(estimate, ddof=1))
    r = len(results)
    rows = []
    for name, (lower, upper, mean_se) in intervals.items():
        cover = float(np.mean((lower <= truth) & (truth <= upper)))
        rows.append(
            {
                "interval": name,
                "replicates": r,
                "truth": truth,
                "bias": float(estimate.mean() - truth),
                "bias_mc_se": sd / np.sqrt(r),
                "empirical_sd": sd,
                "mean_std_error": float(mean_se),
                "se_ratio": float(mean_se) / sd,
                "coverage": cover,
                "coverage_mc_se": float(np.sqrt(cover * (1 - cover) / r)),
            }
        )
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--n-applications", type=int, choices=sorted(coverage.DESIGNS), required=True
    )
    parser.add_argument("--replicates", type=int, default=coverage.REPLICATES)
    parser.add_argument("--n-jobs", type=int, default=2)
    args = parser.parse_args(argv)
    out = coverage.results_folder(args.n_applications)
    seeds = np.random.SeedSequence(coverage.SEED).spawn(args.replicates)
    results = pd.DataFrame(
        Parallel(n_jobs=args.n_jobs)(
            delayed(replicate)(i, s, args.n_applications) for i, s in enumerate(seeds)
        )
    )
    truth_worlds = population_value()
    summary = summarise(results, float(truth_worlds["risk_difference"].mean()))
    out.mkdir(parents=True, exist_ok=True)
    results.to_csv(out / "control_replicates.csv", index=False)
    truth_worlds.to_csv(out / "control_truth.csv", index=False)
    summary.to_csv(out / "control_summary.csv", index=False)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(summary)


if __name__ == "__main__":
    main()

"""Does resampling whole family court areas change the primary interval's width?

Design (Morris, White and Crowther 2019, "ADEMP"):

Aim
    In small worlds one run of the coverage simulation found the primary interval
    covering less than 95% (90.0% of 300 worlds; ``docs/validation.md``). One
    candidate cause is dependence between neighbouring local authorities, which a
    bootstrap of authorities ignores. If it mattered, resampling whole Designated
    Family Judge areas -- groups of neighbouring authorities -- would give a larger
    bootstrap standard error.
Data-generating mechanism
    :data:`REPLICATES` fresh ``default`` worlds of :data:`validation.coverage.N_APPLICATIONS`
    applications, without data-quality faults; each replicate's stream is the
    framework's (:class:`outcomes.simulation.SimulationStudy`, root seed :data:`SEED`).
Estimand
    The 2-year risk difference of return, within 26 weeks vs later.
Methods
    ``RushedDisposalStudy(...).primary()`` with the default confounders and the world's
    latent complexity (no confounder unmeasured, as the coverage run's
    ``complexity_measured`` setting) and :data:`N_BOOT` bootstrap replicates, twice per
    world on the same random stream: resampling local authorities (``la_code``, the
    default) and resampling family court areas (``cluster="dfj_area"``).
Performance measures
    Per world, the ratio of the two bootstrap standard errors (areas / authorities);
    their median and quartiles over the worlds. The point estimates are the same.

Run ``python -m validation.area_clusters [--backend processes]``: results go to
``validation/results/area_clusters/`` (Parquet chunks, resumable) and are checked by
``tests/study/test_area_clusters.py``.
"""

from __future__ import annotations

import argparse
import functools
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import synthetic
from outcomes.simulation import SimulationStudy
from outcomes.study import RushedDisposalStudy
from outcomes.study.frame import analysis_frame
from outcomes.study.result import PRIMARY_METHOD
from validation import coverage

SEED = 99
REPLICATES = 40
N_BOOT = 60
"""Bootstrap replicates per analysis: enough for a standard error to within about 9%."""
CLUSTERS = ("la_code", "dfj_area")
OUT = Path(__file__).resolve().parent / "results" / "area_clusters"
CHUNKS = OUT / "chunks"
SUMMARY = OUT / "summary.csv"


def generate(params: dict[str, Any], rng: np.random.Generator) -> tuple[Any, None]:
    """A small world with its latent complexity as a column, the confounders both
    analyses adjust for (the study's defaults and the latent complexity) and the
    study's seed."""
    world_seed, study_seed = int(rng.integers(2**63)), int(rng.integers(2**31))
    world = synthetic.generate(
        coverage.SCENARIO,
        n_applications=int(params["n_applications"]),
        seed=world_seed,
        faults=False,
    )
    dataset = coverage.with_latent(world)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a small world's positivity warnings
        default = analysis_frame(
            dataset, outcome="child_return", threshold_weeks=26, confounders=None
        )
    confounders = [*default.report["confounder"], coverage.LATENT]
    return (dataset, confounders, study_seed), None


def primary(
    data: tuple[Any, list[str], int], params: dict[str, Any], cluster: str
) -> dict[str, Any]:
    """The primary 2-year risk difference, its bootstrap resampling ``cluster``."""
    dataset, confounders, seed = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rows = RushedDisposalStudy(
            dataset,
            confounders=confounders,
            n_boot=N_BOOT,
            sensitivity=False,
            seed=seed,
            cluster=cluster,
        ).primary()
    row = rows.loc[
        (rows["method"] == PRIMARY_METHOD)
        & (rows["estimand"] == "risk_difference")
        & (rows["horizon_years"] == coverage.HORIZON)
    ].iloc[0]
    return {
        "estimand": "risk_difference",
        **{c: row[c] for c in ("estimate", "std_error", "ci_lower", "ci_upper", "p_value")},
    }


def study(replicates: int = REPLICATES) -> SimulationStudy:
    """The simulation, not yet run."""
    return SimulationStudy(
        generate,
        {cluster: functools.partial(primary, cluster=cluster) for cluster in CLUSTERS},
        n_reps=replicates,
        seed=SEED,
        design={"n_applications": [coverage.N_APPLICATIONS]},
    )


def summarise(results: pd.DataFrame) -> pd.DataFrame:
    """Per world the ratio of the standard errors; its median and quartiles."""
    wide = results.pivot(index="rep", columns="method", values="std_error")
    ratio = wide["dfj_area"] / wide["la_code"]
    return pd.DataFrame(
        {
            "replicates": [len(ratio)],
            "median_ratio": [float(ratio.median())],
            "lower_quartile": [float(ratio.quantile(0.25))],
            "upper_quartile": [float(ratio.quantile(0.75))],
            "mean_se_la_code": [float(wide["la_code"].mean())],
            "mean_se_dfj_area": [float(wide["dfj_area"].mean())],
        }
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=REPLICATES)
    parser.add_argument("--backend", default="serial", choices=["serial", "processes"])
    args = parser.parse_args(argv)
    results = study(args.replicates).run(args.backend, chunk_size=4, out=CHUNKS, progress=True)
    summary = summarise(results)
    OUT.mkdir(parents=True, exist_ok=True)
    summary.to_csv(SUMMARY, index=False)
    with pd.option_context("display.width", 160):
        print(summary.to_string(index=False))


if __name__ == "__main__":
    main()

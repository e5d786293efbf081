"""The study's pseudo-value regression against the synthetic world's truth.

``validation/pseudo_coverage.py`` checks :class:`outcomes.regression.PseudoValueRegression`
on a toy model whose risks are known in closed form. This study checks the
``pseudo_value_regression`` rows of :class:`outcomes.study.RushedDisposalStudy` on the
project's own synthetic worlds, where confounding by case complexity and area, competing
events, siblings and administrative censoring are all present.

Design (Morris, White and Crowther 2019, "ADEMP"):

Aim
    Does the study's pseudo-value standardised 2-year risk difference recover the true
    effect of disposal within 26 weeks, and does its 95% sandwich interval cover it at
    the nominal rate, when no confounder is unmeasured?
Data-generating mechanism
    Replicate :math:`r` is a fresh ``default`` world of :data:`N_APPLICATIONS`
    applications (the world of ``outcomes demo``: about 7,600 children in the disposal
    cohort, 152 local authorities with effects drawn afresh, about 330 returns within 2
    years), without data-quality faults, drawn by :func:`validation.coverage.generate`
    from the same root seed on :class:`outcomes.simulation.SimulationStudy`: the worlds
    are those of the coverage run of the same size, replicate for replicate, so the two
    methods can be compared on the same data.
Estimand
    :math:`\\theta = F_1(2) - F_0(2)`, the marginal 2-year risk difference of return to
    court, within 26 weeks vs later, with adoption, death and ageing out competing --
    the study's primary estimand -- at its *population* value
    (:func:`validation.coverage.population_truth`: the mean over 20 national-scale
    worlds of the risk difference computed from their children's potential outcomes).
    The generator's conditional effect is a hazard ratio (the scenario's
    ``returns.hr_short``); it defines no covariate-specific risk difference, which
    varies with each child's baseline hazard. The model's exposure-by-confounder terms
    let it vary, and the standardised difference averages it over the cohort: that is
    the marginal value, which is therefore the target. The exposure coefficient of a
    main-effects identity-link model (what a user reads from ``summary``) is a second
    method (``coefficient``): it estimates a variance-weighted average of the
    covariate-specific differences, which equals :math:`\\theta` only when the
    difference does not vary; its distance from :math:`\\theta` is reported, not
    asserted.
Methods
    Exactly the study's ``pseudo_value_regression`` rows
    (:func:`outcomes.study.methods.pseudo_value_risks` on the study's analysis frame):
    pseudo-observations of the Aalen-Johansen risk within each arm, an identity-link
    model with exposure-by-confounder terms and local-authority fixed effects,
    standardised risks by :meth:`~outcomes.regression.PseudoValueRegression.marginal_risks`,
    delta-method interval from the sandwich clustered by local authority (152
    clusters: the usual sandwich and normal reference). Confounders: the study's
    defaults plus the latent complexity (the ``complexity_measured`` setting of
    :mod:`validation.coverage`: no confounder unmeasured). No bootstrap.
Performance measures
    Those of :func:`outcomes.simulation.performance`, as in :mod:`validation.coverage`:
    coverage of :math:`\\theta` with Monte Carlo SE
    :math:`\\sqrt{\\hat c(1-\\hat c)/R}`; bias :math:`\\bar{\\hat\\theta} - \\theta` with
    Monte Carlo SE :math:`s_{\\hat\\theta}/\\sqrt R`; the model-based (sandwich) SE over
    the empirical SD :math:`s_{\\hat\\theta}` (SE ratio); coverage of each world's own
    (sample) value alongside.

Run ``python -m validation.pseudo_synthetic [--backend processes]`` after the coverage
run of 5,000 applications, whose truth it reads (BLAS on one thread: about 1.5 s a
world). The replicates go to ``validation/results/pseudo_synthetic/chunks/`` (Parquet,
resumable); ``summary.csv``, ``report.md`` and ``docs/img/pseudo_synthetic.png`` are
written at the end (``--replot`` rebuilds them).
``tests/regression/test_pseudo_synthetic.py`` checks the saved run.

References
----------
Morris, T. P., White, I. R. and Crowther, M. J. (2019). Using simulation studies to
evaluate statistical methods. *Statistics in Medicine* 38(11), 2074-2102.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from threadpoolctl import threadpool_limits

from outcomes.regression import PseudoValueRegression
from outcomes.simulation import SimulationStudy
from outcomes.study import methods
from outcomes.study.frame import AnalysisFrame, analysis_frame
from validation import coverage

OUT = coverage.RESULTS / "pseudo_synthetic"
CHUNKS = OUT / "chunks"
FIGURE = Path(__file__).resolve().parent.parent / "docs" / "img" / "pseudo_synthetic.png"
N_APPLICATIONS = coverage.DEMO_APPLICATIONS
"""Applications per world: ``outcomes demo``'s size (about 7,600 children)."""
HORIZON = coverage.HORIZON
REPLICATES = 300
ALPHA = 0.05
KEEP = ("children", "areas", "clusters", "exposed_share", "warnings")
"""What each method records beside its estimate: the cohort's size, authorities and
share exposed, the sandwich's clusters, and the warnings raised."""
QUANTITIES = {
    "standardised": "pseudo-value standardised",
    "coefficient": "main-effects coefficient",
}
"""The two methods and their names in the figure."""


@dataclass(frozen=True)
class Draw:
    """One coverage world as both methods analyse it: the study's analysis frame with
    the default confounders and the latent complexity (no confounder unmeasured), made
    once, and the warnings drawing the world and making the frame raised."""

    frame: AnalysisFrame
    warnings: int


def draw(world: coverage.World) -> Draw:
    """The :class:`Draw` of a coverage world."""
    confounders = [*world.default.report["confounder"], coverage.LATENT]
    with threadpool_limits(limits=1), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        af = analysis_frame(
            world.data, outcome="child_return", threshold_weeks=26, confounders=confounders
        )
    return Draw(af, world.warnings + len(caught))


def generate(params: dict[str, Any], rng: np.random.Generator) -> tuple[Draw, dict[str, float]]:
    """The coverage run's world (:func:`validation.coverage.generate`, the same draws)
    and its truth."""
    world, truth = coverage.generate(params, rng)
    return draw(world), truth


def standardised(world: Draw, params: dict[str, Any]) -> dict[str, Any]:
    """The study's ``pseudo_value_regression`` risk difference at :data:`HORIZON`."""
    af = world.frame
    with threadpool_limits(limits=1), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table, fits = methods.pseudo_value_risks(
            af.data, af.confounders, (HORIZON,), ALPHA, af.inference.variance_cluster, af.area
        )
    rd = table.loc[table["contrast"] == "difference"].iloc[0]
    return {
        "estimand": "risk_difference",
        **{c: float(rd[c]) for c in ("estimate", "std_error", "ci_lower", "ci_upper", "p_value")},
        **coverage.cohort_numbers(af.data),
        "clusters": int(fits[0].n_clusters_ or 0),
        "warnings": world.warnings + len(caught),
    }


def coefficient(world: Draw, params: dict[str, Any]) -> dict[str, Any]:
    """The ``exposed`` coefficient of the identity-link model without exposure-by-
    confounder terms, on the same pseudo-observations and clusters as the study's."""
    af = world.frame
    with threadpool_limits(limits=1), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data, cluster = af.data, af.inference.variance_cluster
        rhs = methods.formula(af.confounders, data) + (f" + C({af.area})" if af.area else "")
        columns = [
            *dict.fromkeys(["years", "event", "exposed", *af.confounders, cluster, "la_code"])
        ]
        fit = PseudoValueRegression(link="identity", alpha=ALPHA).fit(
            data[columns],
            "years",
            "event",
            time=HORIZON,
            formula=rhs,
            cluster_col=cluster,
            strata="exposed",
        )
        row = methods.exposure_row(fit.summary)
    return {
        "estimand": "risk_difference",
        **{c: float(row[c]) for c in ("estimate", "std_error", "ci_lower", "ci_upper", "p_value")},
        **coverage.cohort_numbers(data),
        "clusters": int(fit.n_clusters_ or 0),
        "warnings": world.warnings + len(caught),
    }


def study(replicates: int = REPLICATES) -> SimulationStudy:
    """The simulation, not yet run: the coverage run's worlds of this size."""
    return SimulationStudy(
        generate,
        {"standardised": standardised, "coefficient": coefficient},
        n_reps=replicates,
        seed=coverage.SEED,
        design={"n_applications": [N_APPLICATIONS]},
        keep=KEEP,
    )


def truth_worlds() -> pd.DataFrame:
    """The coverage run's truth worlds (:func:`validation.coverage.population_truth`)."""
    return pd.read_csv(
        coverage.results_folder(N_APPLICATIONS) / "coverage_truth.csv",
        float_precision="round_trip",
    )


def summarise(results: pd.DataFrame, truth: float, truth_se: float) -> pd.DataFrame:
    """Performance of the standardised difference and of the main-effects coefficient
    (see the module docstring): one :func:`validation.coverage.performance_row` each,
    after ``quantity``."""
    rows = []
    for quantity in QUANTITIES:
        part = results.loc[results["method"] == quantity]
        rows.append(
            {"quantity": quantity, **coverage.performance_row(part, truth, truth_se=truth_se)}
        )
    return pd.DataFrame(rows)


def figure(results: pd.DataFrame, truth: float) -> Figure:
    """Zip plots of the standardised difference and of the main-effects coefficient."""
    fig = Figure(figsize=(9, 6))
    axes = fig.subplots(1, 2, sharex=True)
    for ax, (quantity, name) in zip(axes, QUANTITIES.items(), strict=True):
        coverage.zip_plot(results.loc[results["method"] == quantity], truth, name, ax=ax)
        ax.set_xlabel(f"{name}: 2-year risk difference (points)", fontsize=9)
    fig.suptitle(
        f"Pseudo-value regression: 95% sandwich intervals of {results['rep'].nunique()} "
        f"worlds of {N_APPLICATIONS:,} applications\n"
        f"black line: true value {100 * truth:.2f} points",
        fontsize=10,
    )
    fig.tight_layout()
    return fig


def report(summary: pd.DataFrame, truth: pd.DataFrame, timing: dict[str, str]) -> str:
    """The run as Markdown."""
    value, value_se = coverage.truth_value(truth)
    table = summary.copy()
    for c in ("mean_estimate", "bias", "bias_mc_se", "empirical_sd", "model_se"):
        table[c] = (100 * table[c]).map("{:.3f}".format)
    for c in ("coverage", "coverage_mc_se", "coverage_sample_truth"):
        table[c] = (100 * table[c]).map("{:.1f}".format)
    table["se_ratio"] = table["se_ratio"].map("{:.2f}".format)
    columns = [
        "quantity",
        "replicates",
        "mean_estimate",
        "bias",
        "bias_mc_se",
        "empirical_sd",
        "model_se",
        "se_ratio",
        "coverage",
        "coverage_mc_se",
        "coverage_sample_truth",
    ]
    return "\n".join(
        [
            "# Pseudo-value regression against the synthetic truth",
            "",
            "Written by `validation/pseudo_synthetic.py`. Risks, bias and standard errors "
            "in percentage points; coverage in percent.",
            "",
            f"- scenario `{coverage.SCENARIO}`, {N_APPLICATIONS:,} applications per world, "
            "faults off, confounders: the study's defaults and the latent complexity",
            f"- truth (population value): {100 * value:.3f} points, Monte Carlo SE "
            f"{100 * value_se:.3f}, from {len(truth)} national-scale worlds",
            f"- root seed {coverage.SEED} (the worlds of validation/coverage.py at this size)",
            "",
            *coverage.markdown_table(table[columns]),
            "",
            "## Run",
            "",
            *[f"- {k}: {v}" for k, v in timing.items()],
            "",
        ]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicates", type=int, default=REPLICATES)
    parser.add_argument("--backend", default="processes", choices=["serial", "processes", "dask"])
    parser.add_argument("--n-workers", type=int, default=2)
    parser.add_argument(
        "--replot", action="store_true", help="rebuild summary, report and figure only"
    )
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    if args.replot:
        results = study(args.replicates).read(CHUNKS)
        timing = json.loads((OUT / "timing.json").read_text("utf-8"))
    else:
        code = coverage.code_version()  # before the run, as the coverage run records it
        started = time.perf_counter()
        results = study(args.replicates).run(
            args.backend, n_workers=args.n_workers, chunk_size=coverage.CHUNK_SIZE, out=CHUNKS
        )
        seconds = time.perf_counter() - started
        timing = {
            "replicates": str(args.replicates),
            **coverage.run_record(seconds, args.backend, args.n_workers, code),
        }
        (OUT / "timing.json").write_text(json.dumps(timing, indent=2) + "\n", "utf-8")
    truth = truth_worlds()
    summary = summarise(results, *coverage.truth_value(truth))
    summary.to_csv(OUT / "summary.csv", index=False)
    (OUT / "report.md").write_text(report(summary, truth, timing), "utf-8")
    FIGURE.parent.mkdir(parents=True, exist_ok=True)
    figure(results, coverage.truth_value(truth)[0]).savefig(
        FIGURE, dpi=120, metadata={"Software": None}
    )
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(summary)


if __name__ == "__main__":
    main()

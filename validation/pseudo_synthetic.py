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
    years), without data-quality faults. Its world seed is the first word of
    ``SeedSequence(SEED).spawn(R)[r].generate_state(2)`` with the seed of
    :mod:`validation.coverage`: the worlds are those of the coverage run of the same
    size, replicate for replicate, so the two methods can be compared on the same data.
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
    main-effects identity-link model (what a user reads from ``summary``) is recorded
    too (``coef_*`` columns): it estimates a variance-weighted average of the
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
    Coverage of :math:`\\theta` with Monte Carlo SE
    :math:`\\sqrt{\\hat c(1-\\hat c)/R}`; bias :math:`\\bar{\\hat\\theta} - \\theta` with
    Monte Carlo SE :math:`s_{\\hat\\theta}/\\sqrt R`; the mean sandwich SE over the
    empirical SD :math:`s_{\\hat\\theta}` (SE ratio); coverage of each world's own
    (sample) value alongside.

Run ``python -m validation.pseudo_synthetic [--replicates R]`` (one process, BLAS on
one thread: about 1.5 s a world). Every replicate is appended to
``validation/results/pseudo_synthetic/replicates.csv`` as it finishes, so an interrupted
run continues where it stopped; ``summary.csv``, ``report.md`` and
``docs/img/pseudo_synthetic.png`` are written at the end (``--replot`` rebuilds them).
``tests/regression/test_pseudo_synthetic.py`` checks the saved run.

References
----------
Morris, T. P., White, I. R. and Crowther, M. J. (2019). Using simulation studies to
evaluate statistical methods. *Statistics in Medicine* 38(11), 2074-2102.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

import synthetic
from outcomes.regression import PseudoValueRegression
from outcomes.study import methods
from outcomes.study.frame import analysis_frame
from validation.coverage import (
    LATENT,
    RESULTS,
    SCENARIO,
    SEED,
    code_version,
    population_truth,
    truth_value,
    with_latent,
    zip_plot,
)

OUT = RESULTS / "pseudo_synthetic"
FIGURE = Path(__file__).resolve().parent.parent / "docs" / "img" / "pseudo_synthetic.png"
N_APPLICATIONS = 5_000
"""Applications per world: ``outcomes demo``'s size (about 7,600 children)."""
HORIZON = 2.0
REPLICATES = 300
ALPHA = 0.05


def replicate(index: int, seed: np.random.SeedSequence) -> dict[str, Any]:
    """One world: the study's pseudo-value row at :data:`HORIZON`, the main-effects
    coefficient, and the world's own truth.

    BLAS runs on one thread (the numbers do not depend on how many run side by side);
    warnings are counted, not raised, and a replicate that warned is visible in the
    results.
    """
    world_seed = int(seed.generate_state(2)[0])  # as validation.coverage.replicate
    started = time.perf_counter()
    with threadpool_limits(limits=1), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        world = synthetic.generate(
            SCENARIO, n_applications=N_APPLICATIONS, seed=world_seed, faults=False
        )
        data = with_latent(world)
        default = analysis_frame(
            data, outcome="child_return", threshold_weeks=26, confounders=None
        )
        confounders = [*default.report["confounder"], LATENT]
        af = analysis_frame(
            data, outcome="child_return", threshold_weeks=26, confounders=confounders
        )
        table, fits = methods.pseudo_value_risks(
            af.data,
            af.confounders,
            (HORIZON,),
            ALPHA,
            af.inference.variance_cluster,
            af.area,
        )
        coef = main_effects_coefficient(
            af.data, af.confounders, af.area, af.inference.variance_cluster
        )
    rd = table.loc[table["contrast"] == "difference"].iloc[0]
    risk = table.loc[table["contrast"] == "mean"].set_index("value")["estimate"]
    return {
        "replicate": index,
        "n_applications": N_APPLICATIONS,
        "world_seed": world_seed,
        "children": len(af.data),
        "areas": int(af.data["la_code"].nunique()),
        "clusters": int(fits[0].n_clusters_ or 0),
        "exposed_share": float(af.data["exposed"].mean()),
        "sample_truth": world.truth.value("risk_difference", HORIZON),
        "risk_exposed": float(risk[1]),
        "risk_unexposed": float(risk[0]),
        "estimate": float(rd["estimate"]),
        "std_error": float(rd["std_error"]),
        "ci_lower": float(rd["ci_lower"]),
        "ci_upper": float(rd["ci_upper"]),
        "coef_estimate": float(coef["estimate"]),
        "coef_std_error": float(coef["std_error"]),
        "coef_ci_lower": float(coef["ci_lower"]),
        "coef_ci_upper": float(coef["ci_upper"]),
        "warnings": len(caught),
        "seconds": time.perf_counter() - started,
    }


def main_effects_coefficient(
    frame: pd.DataFrame, confounders: list[str], area: str | None, cluster: str
) -> pd.Series:
    """The ``exposed`` row of the identity-link model without exposure-by-confounder
    terms, on the same pseudo-observations and clusters as the study's model."""
    rhs = methods.formula(confounders, frame) + (f" + C({area})" if area else "")
    fit = PseudoValueRegression(link="identity", alpha=ALPHA).fit(
        frame[[*dict.fromkeys(["years", "event", "exposed", *confounders, cluster, "la_code"])]],
        "years",
        "event",
        time=HORIZON,
        formula=rhs,
        cluster_col=cluster,
        strata="exposed",
    )
    return methods.exposure_row(fit.summary)


def simulate(
    replicates: int = REPLICATES,
    seed: int = SEED,
    out: Path | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Replicates ``0 .. replicates - 1`` in order, one row each.

    With ``out``, rows already in ``out/replicates.csv`` are kept (they must be the
    first ones, in order) and each new row is appended as soon as it is computed.
    """
    seeds = np.random.SeedSequence(seed).spawn(replicates)
    path = out / "replicates.csv" if out is not None else None
    done = pd.DataFrame()
    if path is not None and path.exists():
        done = pd.read_csv(path, float_precision="round_trip")
        if done["replicate"].tolist() != list(range(len(done))):
            raise SystemExit(f"{path}: replicates are not 0..{len(done) - 1} in order")
    rows = [] if not len(done) else done.to_dict("records")
    for i in range(len(done), replicates):
        row = replicate(i, seeds[i])
        rows.append(row)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            pd.DataFrame([row]).to_csv(path, mode="a", header=not path.exists(), index=False)
        if progress:
            print(f"\rreplicate {i + 1}/{replicates}", end="", flush=True)
    if progress:
        print()
    return pd.DataFrame(rows)


def summarise(results: pd.DataFrame, truth: float, truth_se: float) -> pd.DataFrame:
    """Performance of the standardised difference (``standardised``) and of the
    main-effects coefficient (``coefficient``); see the module docstring.

    Columns: ``quantity, replicates, truth, truth_mc_se, mean_estimate, bias,
    bias_mc_se, empirical_sd, mean_std_error, se_ratio, coverage, coverage_mc_se,
    coverage_sample_truth, mean_ci_width``.
    """
    rows = []
    for quantity, prefix in (("standardised", ""), ("coefficient", "coef_")):
        estimate = results[f"{prefix}estimate"].to_numpy()
        lower = results[f"{prefix}ci_lower"].to_numpy()
        upper = results[f"{prefix}ci_upper"].to_numpy()
        sample = results["sample_truth"].to_numpy()
        r = len(results)
        sd = float(np.std(estimate, ddof=1))
        cover = float(np.mean((lower <= truth) & (truth <= upper)))
        rows.append(
            {
                "quantity": quantity,
                "replicates": r,
                "truth": truth,
                "truth_mc_se": truth_se,
                "mean_estimate": float(estimate.mean()),
                "bias": float(estimate.mean() - truth),
                "bias_mc_se": sd / np.sqrt(r),
                "empirical_sd": sd,
                "mean_std_error": float(results[f"{prefix}std_error"].mean()),
                "se_ratio": float(results[f"{prefix}std_error"].mean() / sd),
                "coverage": cover,
                "coverage_mc_se": float(np.sqrt(cover * (1 - cover) / r)),
                "coverage_sample_truth": float(np.mean((lower <= sample) & (sample <= upper))),
                "mean_ci_width": float(np.mean(upper - lower)),
            }
        )
    return pd.DataFrame(rows)


def figure(results: pd.DataFrame, truth: float) -> Any:
    """Zip plots of the standardised difference and of the main-effects coefficient."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 6))
    axes = fig.subplots(1, 2, sharex=True)
    for ax, (name, prefix) in zip(
        axes,
        (("pseudo-value standardised", ""), ("main-effects coefficient", "coef_")),
        strict=True,
    ):
        part = pd.DataFrame(
            {
                "setting": name,
                "n_boot": 0,
                "estimate": results[f"{prefix}estimate"],
                "ci_lower": results[f"{prefix}ci_lower"],
                "ci_upper": results[f"{prefix}ci_upper"],
            }
        )
        zip_plot(part, truth, name, ax=ax)
        # zip_plot names the bootstrap size; these intervals come from the sandwich
        ax.set_title(ax.get_title().split("\n")[1], fontsize=9)
        ax.set_xlabel(f"{name}: 2-year risk difference (points)", fontsize=9)
    fig.suptitle(
        f"Pseudo-value regression: 95% sandwich intervals of {len(results)} worlds of "
        f"{N_APPLICATIONS:,} applications\nblack line: true value {100 * truth:.2f} points",
        fontsize=10,
    )
    fig.tight_layout()
    return fig


def report(summary: pd.DataFrame, truth_worlds: pd.DataFrame, timing: dict[str, str]) -> str:
    """The run as Markdown."""
    truth, truth_se = truth_value(truth_worlds)
    table = summary.copy()
    for c in ("mean_estimate", "bias", "bias_mc_se", "empirical_sd", "mean_std_error"):
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
        "mean_std_error",
        "se_ratio",
        "coverage",
        "coverage_mc_se",
        "coverage_sample_truth",
    ]
    body = ["| " + " | ".join(str(v) for v in r) + " |" for r in table[columns].to_numpy()]
    return "\n".join(
        [
            "# Pseudo-value regression against the synthetic truth",
            "",
            "Written by `validation/pseudo_synthetic.py`. Risks, bias and standard errors "
            "in percentage points; coverage in percent.",
            "",
            f"- scenario `{SCENARIO}`, {N_APPLICATIONS:,} applications per world, faults off, "
            "confounders: the study's defaults and the latent complexity",
            f"- truth (population value): {100 * truth:.3f} points, Monte Carlo SE "
            f"{100 * truth_se:.3f}, from {len(truth_worlds)} national-scale worlds",
            f"- root seed {SEED} (the worlds of validation/coverage.py at this size)",
            "",
            "| " + " | ".join(columns) + " |",
            "|" + "---|" * len(columns),
            *body,
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
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--figure", type=Path, default=FIGURE)
    parser.add_argument(
        "--replot", action="store_true", help="rebuild summary, report and figure only"
    )
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    truth_path = out / "truth.csv"
    if args.replot:
        results = pd.read_csv(out / "replicates.csv", float_precision="round_trip")
        truth_worlds = pd.read_csv(truth_path, float_precision="round_trip")
        timing = json.loads((out / "timing.json").read_text("utf-8"))
    else:
        if truth_path.exists():
            truth_worlds = pd.read_csv(truth_path, float_precision="round_trip")
        else:
            truth_worlds = population_truth()
            truth_worlds.to_csv(truth_path, index=False)
        started = time.perf_counter()
        results = simulate(args.replicates, SEED, out=out, progress=True)
        seconds = time.perf_counter() - started
        timing = {
            "replicates": str(len(results)),
            "wall time of this invocation": f"{seconds / 60:.1f} min in one process",
            "per replicate": f"median {results['seconds'].median():.1f} s",
            "code": code_version(),
            "machine": f"{platform.processor() or platform.machine()}, "
            f"{len(os.sched_getaffinity(0))} cores shared with other work, "
            f"load average {os.getloadavg()[0]:.1f} at the end",
        }
        (out / "timing.json").write_text(json.dumps(timing, indent=2) + "\n", "utf-8")
    truth, truth_se = truth_value(truth_worlds)
    summary = summarise(results, truth, truth_se)
    summary.to_csv(out / "summary.csv", index=False)
    (out / "report.md").write_text(report(summary, truth_worlds, timing), "utf-8")
    args.figure.parent.mkdir(parents=True, exist_ok=True)
    figure(results, truth).savefig(args.figure, dpi=120, metadata={"Software": None})
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(summary)


if __name__ == "__main__":
    main()

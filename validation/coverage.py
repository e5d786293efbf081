"""Coverage of the primary estimand's 95% interval: a simulation study.

The primary estimand of :class:`outcomes.study.RushedDisposalStudy` is the marginal
risk difference of return to court within 2 years, disposal within 26 weeks vs later,
estimated by stabilised, trimmed inverse-probability weighting and a weighted
Aalen-Johansen estimator (``iptw_aalen_johansen``), with a percentile interval from a
bootstrap of whole local authorities. This module measures how often that interval
contains the true value.

Design (Morris, White and Crowther 2019, "ADEMP"):

Aim
    Does the study's 95% interval cover the truth 95% of the time when the method's
    assumptions hold, and what does unmeasured confounding do to it?
Data-generating mechanism
    Replicate :math:`r = 1, \\dots, R` is a fresh ``default`` synthetic world, in 152
    local authorities whose effects are drawn afresh in every world, without
    data-quality faults, of one of two sizes (:data:`DESIGNS`): :data:`N_APPLICATIONS`
    applications (about 2,300 children in the disposal cohort, 15 per authority and
    about 90 returns within 2 years) or :data:`DEMO_APPLICATIONS`, the world of
    ``outcomes demo`` (about 7,600 children, 50 per authority). Its seeds come from
    ``SeedSequence(seed).spawn(R)[r]``, so a replicate is the same whatever the number
    of worker processes, and the first :math:`R'` replicates of a run of :math:`R` are
    those of a run of :math:`R'`.
Estimand
    :math:`\\theta = F_1(2) - F_0(2)`, the scenario's *population* value: the mean of
    the 2-year risk difference of :data:`TRUTH_WORLDS` national-scale worlds computed
    from their potential outcomes (:func:`population_truth`), with its Monte Carlo
    error. Not each small world's own (sample) value: the bootstrap resamples local
    authorities, so its interval describes the spread of the estimate over new worlds
    -- new authorities, new children -- around the population value, and that is the
    value it must cover. The sample value moves with the estimate (the same children),
    so covering it is easier; its coverage is reported alongside.
Methods
    Exactly the ``iptw_aalen_johansen`` risk-difference row of
    ``RushedDisposalStudy(...).run()`` with the study's defaults (``n_boot`` = 200,
    trimming at the 1st and 99th percentiles, ridge logistic propensity model with
    local-authority indicators; see :func:`primary_row`), in two settings
    (:data:`SETTINGS`): ``complexity_measured`` adds the world's latent case
    complexity to the default confounders, so that no confounder is unmeasured -- the
    test of the interval -- and ``default_confounders`` uses the defaults alone, where
    complexity is seen only through three noisy indicators, as in real data.
Performance measures
    With :math:`\\hat\\theta_r` and :math:`(L_r, U_r)` the estimate and interval of
    replicate :math:`r`,

    .. math::

        \\widehat{\\text{cover}} = \\frac1R \\sum_r 1\\{L_r \\le \\theta \\le U_r\\},
        \\quad \\text{MC SE} = \\sqrt{\\widehat{\\text{cover}}
        (1 - \\widehat{\\text{cover}}) / R},

        \\widehat{\\text{bias}} = \\bar{\\hat\\theta} - \\theta, \\quad
        \\text{MC SE} = s_{\\hat\\theta} / \\sqrt R,

    and the empirical standard deviation :math:`s_{\\hat\\theta}` against the mean
    bootstrap standard error. The percentile interval with :math:`B' < B` replicates
    is the one from the first :math:`B'` bootstrap draws (the study draws every
    replicate's authorities from one stream before estimating any, so these are the
    draws a run with ``n_boot`` = :math:`B'` makes).

Run ``make coverage`` or ``python validation/coverage.py [--n-applications N]
[--replicates R]``; results go to ``validation/results/N_applications/`` and the figure
to ``docs/img/coverage_N.png``.

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
import subprocess
import time
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from threadpoolctl import threadpool_limits

import synthetic
from outcomes.causal import PositivityWarning
from outcomes.schema import PROCEEDINGS, Dataset
from outcomes.study import RushedDisposalStudy, methods
from outcomes.study import estimates as est
from outcomes.study.estimates import bootstrap_interval
from outcomes.study.frame import AnalysisFrame, analysis_frame
from outcomes.study.result import PRIMARY_METHOD

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "validation" / "results"
FIGURE = ROOT / "docs" / "img" / "coverage.png"

SCENARIO = "default"
N_APPLICATIONS = 1_500
"""Applications per simulated world in the small design: about 2,300 children, 15 per
local authority. The cost of a bootstrap replicate is mostly the propensity fit, which
grows with the rows."""
DEMO_APPLICATIONS = 5_000
"""The larger design: the world ``outcomes demo`` analyses (about 7,600 children, 50 per
local authority)."""
HORIZON = 2.0
"""The primary horizon (years)."""
SEED = 20_261_127
"""Root seed of the replicates (a date, chosen before any result was seen)."""
REPLICATES = 300
N_BOOT = 200
"""The study's default number of bootstrap replicates."""
N_BOOT_PREFIXES = (50, 100)
"""Smaller bootstrap sizes also reported, from the first draws of each run."""
TRUTH_SEED = 7_001
TRUTH_WORLDS = 20
"""National-scale worlds averaged for the population value; their seeds are
``TRUTH_SEED + k``, apart from any replicate's (those come from :data:`SEED`)."""
LATENT = "complexity"


@dataclass(frozen=True)
class Setting:
    """One analysis of every world: the confounders and the bootstrap size."""

    name: str
    description: str
    adds_latent: bool
    n_boot: int


SETTINGS = (
    Setting(
        "complexity_measured",
        "default confounders + latent complexity (no unmeasured confounder)",
        True,
        N_BOOT,
    ),
    # Fewer bootstrap replicates: this setting is about the bias, which the point
    # estimates show; its coverage is compared with the first setting's at the same
    # bootstrap size (50, from the first draws there).
    Setting(
        "default_confounders",
        "default confounders (complexity seen through noisy indicators only)",
        False,
        50,
    ),
)


DESIGNS: dict[int, tuple[Setting, ...]] = {
    N_APPLICATIONS: SETTINGS,
    # The larger worlds test the interval only: the bias of leaving complexity out is
    # shown by the small design, and each bootstrap replicate costs three times as much.
    DEMO_APPLICATIONS: SETTINGS[:1],
}
"""World size (applications) -> the settings analysed at that size."""


def results_folder(n_applications: int) -> Path:
    """Where the run of one world size is saved."""
    return RESULTS / f"{n_applications}_applications"


def figure_path(n_applications: int) -> Path:
    """The zip plot of one world size."""
    return FIGURE.with_name(f"coverage_{n_applications}.png")


def population_truth(
    worlds: int = TRUTH_WORLDS, seed: int = TRUTH_SEED, horizon: float = HORIZON
) -> pd.DataFrame:
    """The 2-year risk difference of ``worlds`` national-scale worlds.

    Each world's value is computed from its children's potential outcomes
    (:mod:`synthetic.truth`); ``mc_std_error`` is its Monte Carlo error from the
    children alone. The population value is their mean, and its Monte Carlo error
    :math:`s / \\sqrt K` uses the spread *between* worlds, which also carries the
    draw of the local authorities' effects (each world draws its own).

    Returns
    -------
    DataFrame
        One row per world: ``seed``, ``n_cohort``, ``risk_difference``,
        ``mc_std_error``.
    """
    rows = []
    for k in range(worlds):
        world = synthetic.generate(SCENARIO, seed=seed + k, faults=False)
        table = world.truth.table()
        row = table.loc[
            (table["estimand"] == "risk_difference") & (table["horizon_years"] == horizon)
        ].iloc[0]
        rows.append(
            {
                "seed": seed + k,
                "n_cohort": world.truth.n_cohort,
                "risk_difference": float(row["estimate"]),
                "mc_std_error": float(row["mc_std_error"]),
            }
        )
    return pd.DataFrame(rows)


def truth_value(worlds: pd.DataFrame) -> tuple[float, float]:
    """Population value and its Monte Carlo standard error from :func:`population_truth`."""
    values = worlds["risk_difference"].to_numpy()
    return float(values.mean()), float(values.std(ddof=1) / np.sqrt(len(values)))


def with_latent(world: synthetic.World) -> Dataset:
    """The world's clean dataset with the latent complexity as one more column.

    The manifest is the world's, so the study's default confounders do not include
    the new column; a setting that wants it names it in ``confounders``.
    """
    manifest = world.dataset.manifest
    columns = [*PROCEEDINGS.names, *manifest.covariates, LATENT]
    return Dataset(
        proceedings=world.clean[columns].copy(),
        manifest=manifest,
        child_events=world.dataset.child_events,
        care_episodes=world.dataset.care_episodes,
    )


def primary_row(
    study: RushedDisposalStudy, af: AnalysisFrame
) -> tuple[dict[str, object], np.ndarray, np.ndarray]:
    """The ``iptw_aalen_johansen`` rows of ``study.run()``, without the other methods.

    The same calls on the same random stream as :meth:`RushedDisposalStudy.run`:
    the bootstrap stream is the first child of ``SeedSequence(study.seed)``, whose
    first draw run() spends on the g-computation sample; replicates ignore
    :class:`PositivityWarning` and numerical RuntimeWarnings as run() does, and resample
    the units of ``af.inference`` (local authorities, or families with few of them).
    ``tests/study/test_coverage.py`` checks the result against a full run.

    Returns
    -------
    row : dict
        The risk-difference row at :data:`HORIZON` (:data:`outcomes.study.estimates.COLUMNS`).
    point : ndarray, shape (2, H)
        Exposed and unexposed risks at the study's horizons.
    boot : ndarray, shape (B, 2, H)
        The bootstrap replicates of ``point`` in draw order (failed ones dropped).
    """
    horizons = tuple(sorted(float(h) for h in study.horizons))
    rng = np.random.default_rng(np.random.SeedSequence(study.seed).spawn(4)[0])  # as run()
    rng.integers(2**31)  # run()'s g-computation seed, drawn from this stream first

    def estimate(frame: pd.DataFrame) -> np.ndarray:
        return methods.iptw_risks(
            frame, af.confounders, horizons, study.propensity_model, study.trim, af.area
        )

    def replicate(frame: pd.DataFrame) -> np.ndarray:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PositivityWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            return estimate(frame)

    point = estimate(af.data)
    boot = methods.cluster_bootstrap(
        af.data,
        replicate,
        study.n_boot,
        rng,
        cluster=af.inference.resample,
        within=af.inference.resample_within,
    )
    return risk_difference_row(study, point, boot, bootstrap_interval(af)), point, boot


def risk_difference_row(
    study: RushedDisposalStudy,
    point: np.ndarray,
    boot: np.ndarray,
    interval: est.BootstrapInterval = "percentile",
) -> dict[str, object]:
    """The risk-difference row at :data:`HORIZON` from bootstrap draws (the study's
    own :func:`outcomes.study.estimates.bootstrap_contrasts`, with the interval its
    inference rule picks: :func:`outcomes.study.estimates.bootstrap_interval`)."""
    horizons = tuple(sorted(float(h) for h in study.horizons))
    contrast = f"within {study.threshold_weeks:g} weeks vs later"
    rows = est.bootstrap_contrasts(
        PRIMARY_METHOD, contrast, horizons, point, boot, study.alpha, interval
    )
    return next(
        r for r in rows if r["estimand"] == "risk_difference" and r["horizon_years"] == HORIZON
    )


def replicate(
    index: int,
    seed: np.random.SeedSequence,
    n_applications: int,
    settings: tuple[Setting, ...] = SETTINGS,
) -> list[dict[str, Any]]:
    """One world, analysed in each of ``settings``: one row per setting.

    BLAS runs on one thread, so the numbers do not depend on how many replicates run
    side by side (and two processes do not fight over two cores). Warnings are
    counted, not raised: a worker process does not see pytest's filters, and a
    replicate that warned is visible in the results.
    """
    world_seed, study_seed = (int(x) for x in seed.generate_state(2))
    started = time.perf_counter()
    rows = []
    with threadpool_limits(limits=1), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        world = synthetic.generate(
            SCENARIO, n_applications=n_applications, seed=world_seed, faults=False
        )
        sample_truth = world.truth.value("risk_difference", HORIZON)
        data = with_latent(world)
        # the study's default confounders, by its own rule (absent ones included)
        default = analysis_frame(
            data, outcome="child_return", threshold_weeks=26, confounders=None
        )
        requested = list(default.report["confounder"])
        for setting in settings:
            confounders = [*requested, LATENT] if setting.adds_latent else requested
            study = RushedDisposalStudy(
                data,
                confounders=confounders,
                n_boot=setting.n_boot,
                sensitivity=False,
                seed=study_seed,
            )
            af = analysis_frame(
                data,
                outcome=study.outcome,
                threshold_weeks=study.threshold_weeks,
                confounders=confounders,
            )
            row, point, boot = primary_row(study, af)
            out = {
                "replicate": index,
                "n_applications": n_applications,
                "setting": setting.name,
                "world_seed": world_seed,
                "study_seed": study_seed,
                "children": len(af.data),
                "areas": int(af.data["la_code"].nunique()),
                "exposed_share": float(af.data["exposed"].mean()),
                "sample_truth": sample_truth,
                "estimate": row["estimate"],
                "std_error": row["std_error"],
                "ci_lower": row["ci_lower"],
                "ci_upper": row["ci_upper"],
                "n_boot": setting.n_boot,
                "boot_replicates": len(boot),
            }
            for b in N_BOOT_PREFIXES:
                if b < setting.n_boot:
                    prefix = risk_difference_row(study, point, boot[:b], bootstrap_interval(af))
                    out[f"ci_lower_b{b}"] = prefix["ci_lower"]
                    out[f"ci_upper_b{b}"] = prefix["ci_upper"]
            rows.append(out)
    for out in rows:
        out["warnings"] = len(caught)
        out["seconds"] = time.perf_counter() - started
    return rows


def simulate(
    replicates: int = REPLICATES,
    seed: int = SEED,
    n_applications: int = N_APPLICATIONS,
    n_jobs: int = 2,
    progress: bool = False,
    start: int = 0,
) -> pd.DataFrame:
    """Run replicates ``start`` to ``replicates - 1``; one row per replicate and
    setting, in replicate order (``start > 0`` extends an earlier run of ``start``
    replicates with the same seed: replicate seeds do not depend on the total).
    The settings are those of :data:`DESIGNS` for ``n_applications``; replicate
    :math:`r` of every size has the same seeds (worlds of different sizes differ).

    Columns: ``replicate, n_applications, setting, world_seed, study_seed, children, areas,
    exposed_share, sample_truth, estimate, std_error, ci_lower, ci_upper, n_boot,
    boot_replicates`` (those that did not fail), the intervals from the first
    :data:`N_BOOT_PREFIXES` draws (``ci_lower_b50`` ...), ``warnings`` and
    ``seconds`` (wall time of the replicate, both settings; the only column that is
    not the same on every run).
    """
    seeds = np.random.SeedSequence(seed).spawn(replicates)
    settings = DESIGNS[n_applications]
    tasks = (
        delayed(replicate)(i, s, n_applications, settings)
        for i, s in enumerate(seeds)
        if i >= start
    )
    results: Iterable[list[dict[str, Any]]]
    if n_jobs > 1:
        results = Parallel(n_jobs=n_jobs, return_as="generator")(tasks)
    else:
        results = (fn(*args, **kwargs) for fn, args, kwargs in tasks)
    rows: list[dict[str, Any]] = []
    for r, result in enumerate(results):
        rows += result
        if progress:
            print(f"\rreplicate {start + r + 1}/{replicates}", end="", flush=True)
    if progress:
        print()
    return pd.DataFrame(rows)


def summarise(results: pd.DataFrame, truth: float, truth_se: float) -> pd.DataFrame:
    """Performance measures per setting and bootstrap size (see the module docstring).

    Columns: ``setting, n_boot, replicates, truth, truth_mc_se, mean_estimate, bias,
    bias_mc_se, empirical_sd, mean_std_error, se_ratio, coverage, coverage_mc_se,
    coverage_sample_truth, mean_ci_width``.
    """
    rows = []
    for setting in dict.fromkeys(results["setting"]):
        part = results.loc[results["setting"] == setting]
        r = len(part)
        n_boot = int(part["n_boot"].iloc[0])
        sizes = [
            (b, f"_b{b}")
            for b in N_BOOT_PREFIXES
            if f"ci_lower_b{b}" in part.columns and part[f"ci_lower_b{b}"].notna().all()
        ]
        estimate = part["estimate"].to_numpy()
        sd = float(np.std(estimate, ddof=1))
        for b, suffix in [*sizes, (n_boot, "")]:
            lower = part[f"ci_lower{suffix}"].to_numpy()
            upper = part[f"ci_upper{suffix}"].to_numpy()
            cover = float(np.mean((lower <= truth) & (truth <= upper)))
            sample = part["sample_truth"].to_numpy()
            rows.append(
                {
                    "setting": setting,
                    "n_boot": b,
                    "replicates": r,
                    "truth": truth,
                    "truth_mc_se": truth_se,
                    "mean_estimate": float(estimate.mean()),
                    "bias": float(estimate.mean() - truth),
                    "bias_mc_se": sd / np.sqrt(r),
                    "empirical_sd": sd,
                    "mean_std_error": float(part["std_error"].mean()),
                    "se_ratio": float(part["std_error"].mean() / sd),
                    "coverage": cover,
                    "coverage_mc_se": float(np.sqrt(cover * (1 - cover) / r)),
                    "coverage_sample_truth": float(np.mean((lower <= sample) & (sample <= upper))),
                    "mean_ci_width": float(np.mean(upper - lower)),
                }
            )
    return pd.DataFrame(rows)


def zip_plot(
    results: pd.DataFrame,
    truth: float,
    setting: str,
    ax: Axes | None = None,
) -> Axes:
    """The intervals of one setting, sorted by estimate, coloured by whether they cover.

    Each horizontal line is one replicate's 95% interval and its dot the estimate, in
    percentage points; the black line is the population value. Misses on the left are
    intervals wholly below the truth, on the right wholly above it.
    """
    if ax is None:
        ax = Figure(figsize=(5, 6)).subplots()
    part = results.loc[results["setting"] == setting].sort_values("estimate")
    lower, upper = part["ci_lower"].to_numpy(), part["ci_upper"].to_numpy()
    covered = (lower <= truth) & (truth <= upper)
    rank = np.arange(len(part))
    points = 100 * part["estimate"].to_numpy()
    for hit, colour, label in ((True, "#4477aa", "covers"), (False, "#cc3311", "misses")):
        keep = covered == hit
        ax.hlines(
            rank[keep], 100 * lower[keep], 100 * upper[keep], color=colour, lw=0.8, label=label
        )
        ax.plot(points[keep], rank[keep], ".", color=colour, ms=2)
    ax.axvline(100 * truth, color="black", lw=1)
    ax.axvline(0, color="grey", lw=0.5, ls=":")
    cover = covered.mean()
    mc = np.sqrt(cover * (1 - cover) / len(part))
    ax.set_title(
        f"{setting.replace('_', ' ')}, {int(part['n_boot'].iloc[0])} bootstrap replicates\n"
        f"coverage {100 * cover:.1f}% (MC SE {100 * mc:.1f}), "
        f"bias {points.mean() - 100 * truth:+.2f} points",
        fontsize=9,
    )
    ax.set_xlabel("2-year risk difference, within 26 weeks - later (points)")
    ax.set_ylabel("replicate, by estimate")
    ax.set_yticks([])
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    return ax


def figure(results: pd.DataFrame, truth: float) -> Figure:
    """One :func:`zip_plot` panel per setting, on a shared x axis."""
    settings = list(dict.fromkeys(results["setting"]))
    # a bare Figure, not pyplot: no backend or global state is involved in writing a file
    fig = Figure(figsize=(4.5 * len(settings), 6))
    axes = fig.subplots(1, len(settings), sharex=True, squeeze=False)
    for ax, setting in zip(axes[0], settings, strict=True):
        zip_plot(results, truth, setting, ax=ax)
    fig.suptitle(
        f"95% intervals of {len(results) // len(settings)} simulated worlds of "
        f"{int(results['n_applications'].iloc[0]):,} applications\n"
        f"black line: true value {100 * truth:.2f} points",
        fontsize=10,
    )
    fig.tight_layout()
    return fig


def report(
    summary: pd.DataFrame,
    truth_worlds: pd.DataFrame,
    timing: dict[str, str],
    n_applications: int,
) -> str:
    """The run as Markdown: design, performance table, truth, timing and code version."""
    truth, truth_se = truth_value(truth_worlds)
    table = summary.copy()
    for c in ("truth", "mean_estimate", "bias", "bias_mc_se", "empirical_sd"):
        table[c] = (100 * table[c]).map("{:.2f}".format)
    table["mean_std_error"] = (100 * table["mean_std_error"]).map("{:.2f}".format)
    for c in ("coverage", "coverage_mc_se", "coverage_sample_truth"):
        table[c] = (100 * table[c]).map("{:.1f}".format)
    table["se_ratio"] = table["se_ratio"].map("{:.2f}".format)
    columns = [
        "setting",
        "n_boot",
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
    header = "| " + " | ".join(columns) + " |"
    rule = "|" + "---|" * len(columns)
    body = ["| " + " | ".join(str(v) for v in r) + " |" for r in table[columns].to_numpy()]
    lines = [
        "# Coverage of the primary estimand's 95% interval",
        "",
        "Written by `validation/coverage.py` (`make coverage`). Risks, bias and standard "
        "errors in percentage points; coverage in percent.",
        "",
        f"- scenario `{SCENARIO}`, {n_applications:,} applications per world, faults off",
        f"- truth (population value): {100 * truth:.3f} points, Monte Carlo SE "
        f"{100 * truth_se:.3f}, from {len(truth_worlds)} national-scale worlds "
        f"(seeds {truth_worlds['seed'].min()}-{truth_worlds['seed'].max()}, "
        f"{int(truth_worlds['n_cohort'].mean()):,} children each on average)",
        f"- root seed {SEED}",
        "",
        header,
        rule,
        *body,
        "",
        "## Run",
        "",
        *[f"- {k}: {v}" for k, v in timing.items()],
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicates", type=int, default=REPLICATES)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--n-applications",
        type=int,
        choices=sorted(DESIGNS),
        default=N_APPLICATIONS,
        help="world size: the design to run (default: %(default)s)",
    )
    parser.add_argument("--out", type=Path, help="default: validation/results/N_applications")
    parser.add_argument("--figure", type=Path, help="default: docs/img/coverage_N.png")
    parser.add_argument(
        "--extend",
        action="store_true",
        help="keep the saved replicates and run only the ones after them",
    )
    parser.add_argument(
        "--replot",
        action="store_true",
        help="rebuild the summary, report and figure from the saved results",
    )
    args = parser.parse_args(argv)
    out: Path = args.out or results_folder(args.n_applications)
    args.out = out
    args.figure = args.figure or figure_path(args.n_applications)
    if args.replot:
        # round_trip: the numbers read back are the ones written, so a replot writes
        # the same summary as the run did
        results = pd.read_csv(out / "coverage_replicates.csv", float_precision="round_trip")
        truth_worlds = pd.read_csv(out / "coverage_truth.csv", float_precision="round_trip")
        timing = json.loads((out / "coverage_timing.json").read_text("utf-8"))
    else:
        results, truth_worlds, timing = run(args)
        out.mkdir(parents=True, exist_ok=True)
        # Wall times differ from run to run: they go to their own file, not to the
        # CSVs, so that the same seed writes the same bytes.
        results.to_csv(out / "coverage_replicates.csv", index=False)
        truth_worlds.to_csv(out / "coverage_truth.csv", index=False)
        (out / "coverage_timing.json").write_text(json.dumps(timing, indent=2) + "\n", "utf-8")
    truth, truth_se = truth_value(truth_worlds)
    summary = summarise(results, truth, truth_se)
    summary.to_csv(out / "coverage_summary.csv", index=False)
    (out / "coverage.md").write_text(
        report(summary, truth_worlds, timing, args.n_applications), "utf-8"
    )
    args.figure.parent.mkdir(parents=True, exist_ok=True)
    figure(results, truth).savefig(args.figure, dpi=120, metadata={"Software": None})
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(summary)
    print(f"wrote {out} and {args.figure}")


def code_version() -> str:
    """The commit the run used, and whether the code had changes beyond it: a new
    generator draws different worlds from the same seeds. The runs' own outputs
    (``validation/results/``, ``docs/img/``) do not count: a run that follows another
    in the same checkout finds the first one's results changed, not the code."""
    git = ["git", "-C", str(ROOT)]
    outputs = [":(exclude)validation/results", ":(exclude)docs/img"]
    try:
        commit = subprocess.run(
            [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            [*git, "status", "--porcelain", "--untracked-files=no", "--", ".", *outputs],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return f"commit {commit}" + (" with uncommitted changes" if dirty else "")


def run(args: argparse.Namespace) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    """The truth and the replicates, timed."""
    started = time.perf_counter()
    truth_worlds = population_truth()
    truth_seconds = time.perf_counter() - started
    truth, truth_se = truth_value(truth_worlds)
    print(f"truth {truth:.5f} (MC SE {truth_se:.5f}) in {truth_seconds:.0f} s", flush=True)
    done = pd.DataFrame()
    if args.extend:
        done = pd.read_csv(args.out / "coverage_replicates.csv", float_precision="round_trip")
    start = done["replicate"].nunique() if len(done) else 0
    started = time.perf_counter()
    results = simulate(
        args.replicates,
        args.seed,
        n_applications=args.n_applications,
        n_jobs=args.n_jobs,
        progress=True,
        start=start,
    )
    seconds = time.perf_counter() - started
    per_replicate = results.drop_duplicates("replicate")["seconds"]
    results = pd.concat([done, results.drop(columns="seconds")], ignore_index=True)
    timing = {
        "replicates": str(args.replicates),
        "bootstrap replicates": ", ".join(
            f"{s.name} {s.n_boot}" for s in DESIGNS[args.n_applications]
        ),
        "simulation wall time": f"{seconds / 60:.1f} min with {args.n_jobs} worker(s)"
        + (f" (replicates {start + 1}-{args.replicates}; the rest kept)" if start else ""),
        "per replicate (all settings, in one worker)": f"median {per_replicate.median():.1f} s",
        "truth worlds": f"{truth_seconds:.0f} s",
        "code": code_version(),
        "machine": f"{platform.processor() or platform.machine()}, "
        f"{len(os.sched_getaffinity(0))} cores shared with other work, "
        f"load average {os.getloadavg()[0]:.1f} at the end",
    }
    return results, truth_worlds, timing


if __name__ == "__main__":
    main()

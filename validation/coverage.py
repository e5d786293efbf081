"""Coverage of the primary estimand's 95% interval: a simulation study.

The primary estimand of :class:`outcomes.study.RushedDisposalStudy` is the marginal
risk difference of return to court within 2 years, disposal within 26 weeks vs later,
estimated by stabilised, trimmed inverse-probability weighting and a weighted
Aalen-Johansen estimator (``iptw_aalen_johansen``), with a percentile interval from a
bootstrap of whole local authorities. This module measures how often that interval
contains the true value, and runs an unadjusted control in the same worlds.

Design (Morris, White and Crowther 2019, "ADEMP"), run on
:class:`outcomes.simulation.SimulationStudy`:

Aim
    Does the study's 95% interval cover the truth 95% of the time when the method's
    assumptions hold, and what does unmeasured confounding do to it?
Data-generating mechanism
    Replicate :math:`r = 1, \\dots, R` is a fresh ``default`` synthetic world, in 152
    local authorities whose effects are drawn afresh in every world, without
    data-quality faults, of one of two sizes (:data:`DESIGNS`): :data:`N_APPLICATIONS`
    applications (about 2,300 children in the disposal cohort, 15 per authority and
    about 90 returns within 2 years) or :data:`DEMO_APPLICATIONS`, the world of
    ``outcomes demo`` (about 7,600 children, 50 per authority). Each size is one study
    with one design point; replicate :math:`r`'s stream is the framework's,
    ``SeedSequence(SEED, spawn_key=(0, r))`` (:func:`generate` draws the world's seed
    and the study's seed from it), so a replicate is the same whatever the backend,
    the number of workers or the number of replicates, and replicate :math:`r` of both
    sizes starts from the same stream.
Estimand
    :math:`\\theta = F_1(2) - F_0(2)`, the scenario's *population* value: the mean of
    the 2-year risk difference of :data:`TRUTH_WORLDS` national-scale worlds computed
    from their potential outcomes (:func:`population_truth`), with its Monte Carlo
    error. Not each small world's own (sample) value: the bootstrap resamples local
    authorities, so its interval describes the spread of the estimate over new worlds
    -- new authorities, new children -- around the population value, and that is the
    value it must cover. The sample value moves with the estimate (the same children),
    so covering it is easier; its coverage is reported alongside (it is the ``truth``
    column of the results).
Methods
    Exactly the ``iptw_aalen_johansen`` risk-difference row of
    ``RushedDisposalStudy(...).run()`` with the study's defaults (``n_boot`` = 200,
    trimming at the 1st and 99th percentiles, ridge logistic propensity model with
    local-authority indicators; see :func:`primary_row`), in two settings
    (:data:`SETTINGS`): ``complexity_measured`` adds the world's latent case
    complexity to the default confounders, so that no confounder is unmeasured -- the
    test of the interval -- and ``default_confounders`` uses the defaults alone, where
    complexity is seen only through three noisy indicators, as in real data.

    And a control (:data:`CONTROLS`): the *unadjusted* Aalen-Johansen 2-year risk
    difference, with its textbook interval :math:`\\hat\\theta \\pm 1.96\\,
    \\widehat{\\text{se}}` (the two arms' Aalen-type variances added: children taken as
    independent) and with the interval the study uses, percentiles of a bootstrap of
    whole local authorities (200 replicates). Its target is its own population value,
    the unadjusted risk difference of the same national-scale worlds, averaged. No
    weighting, no propensity model: when the study's interval covers less than 95% in
    a set of worlds, the cause may be the method or the worlds drawn (a few hundred
    worlds can by chance be more spread out than the population of worlds); if the
    control also falls short there, part of the shortfall belongs to the worlds, and
    what the study loses beyond the control belongs to the weighting.
Performance measures
    Those of :func:`outcomes.simulation.performance` (rsimsum's definitions, each
    with its Monte Carlo SE): with :math:`\\hat\\theta_r` and :math:`(L_r, U_r)` the
    estimate and interval of replicate :math:`r`,

    .. math::

        \\widehat{\\text{cover}} = \\frac1R \\sum_r 1\\{L_r \\le \\theta \\le U_r\\},
        \\quad \\text{MC SE} = \\sqrt{\\widehat{\\text{cover}}
        (1 - \\widehat{\\text{cover}}) / R},

        \\widehat{\\text{bias}} = \\bar{\\hat\\theta} - \\theta, \\quad
        \\text{MC SE} = s_{\\hat\\theta} / \\sqrt R,

    and the empirical standard deviation :math:`s_{\\hat\\theta}` against the
    model-based (bootstrap) standard error, the root mean of the squared SEs. The
    percentile interval with :math:`B' < B` replicates is the one from the first
    :math:`B'` bootstrap draws (the study draws every replicate's authorities from one
    stream before estimating any, so these are the draws a run with ``n_boot`` =
    :math:`B'` makes).

Run ``make coverage`` or ``python -m validation.coverage [--n-applications N]
[--backend processes]``: the replicates go to ``validation/results/N_applications/chunks/``
(Parquet, one file per chunk of :data:`CHUNK_SIZE` worlds, resumable), the truth,
summaries and report beside them, the figure to ``docs/img/coverage_N.png``.

References
----------
Morris, T. P., White, I. R. and Crowther, M. J. (2019). Using simulation studies to
evaluate statistical methods. *Statistics in Medicine* 38(11), 2074-2102.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import subprocess
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from threadpoolctl import threadpool_limits

import synthetic
from outcomes.causal import PositivityWarning
from outcomes.schema import PROCEEDINGS, Dataset
from outcomes.simulation import SimulationStudy, performance
from outcomes.study import RushedDisposalStudy, methods
from outcomes.study import estimates as est
from outcomes.study.estimates import bootstrap_interval
from outcomes.study.frame import AnalysisFrame, analysis_frame
from outcomes.study.result import PRIMARY_METHOD
from outcomes.survival import cumulative_incidence

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
REPLICATES = {N_APPLICATIONS: 600, DEMO_APPLICATIONS: 300}
"""Worlds per size. The small worlds' coverage is the harder question (an earlier run of
300 on other seeds covered 90.0%, the first 300 of this one 95.0%), so they have twice
the worlds: a Monte Carlo SE of about 0.9 points of coverage instead of 1.3."""
CHUNK_SIZE = 10
"""Worlds per saved chunk: an interrupted run loses at most this many."""
N_BOOT = 200
"""The study's default number of bootstrap replicates."""
N_BOOT_PREFIXES = (50, 100)
"""Smaller bootstrap sizes also reported, from the first draws of each run."""
TRUTH_SEED = 7_001
TRUTH_WORLDS = 20
"""National-scale worlds averaged for the population value; their seeds are
``TRUTH_SEED + k``, apart from any replicate's (those come from :data:`SEED`)."""
LATENT = "complexity"
Z = 1.959963984540054
"""The standard normal 97.5% point."""
CRUDE = "crude_risk_difference"
"""The control's estimand: the unadjusted risk difference, with a target of its own."""


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

CONTROLS = {
    "crude_textbook": "textbook (normal, Aalen variance)",
    "crude_bootstrap": "bootstrap of authorities (percentile)",
}
"""The control's methods, run at every size, and their intervals."""

KEEP = (
    *(f"ci_{side}_b{b}" for b in N_BOOT_PREFIXES for side in ("lower", "upper")),
    "n_boot",
    "boot_replicates",
    "children",
    "areas",
    "exposed_share",
    "warnings",
)
"""What each method records beside its estimate: the intervals from the first
:data:`N_BOOT_PREFIXES` draws, the bootstrap's size and the replicates that did not fail,
the cohort's size, authorities and share exposed, and the warnings raised (a replicate
that warned is visible in the results)."""


def results_folder(n_applications: int) -> Path:
    """Where the run of one world size is saved."""
    return RESULTS / f"{n_applications}_applications"


def chunks_folder(n_applications: int) -> Path:
    """The replicates of one world size, as the simulation framework saves them."""
    return results_folder(n_applications) / "chunks"


def figure_path(n_applications: int) -> Path:
    """The zip plot of one world size."""
    return FIGURE.with_name(f"coverage_{n_applications}.png")


def population_truth(
    worlds: int = TRUTH_WORLDS, seed: int = TRUTH_SEED, horizon: float = HORIZON
) -> pd.DataFrame:
    """The 2-year risk differences of ``worlds`` national-scale worlds.

    Each world's ``risk_difference`` is computed from its children's potential
    outcomes (:mod:`synthetic.truth`); ``mc_std_error`` is its Monte Carlo error from
    the children alone. The population value is their mean, and its Monte Carlo error
    :math:`s / \\sqrt K` uses the spread *between* worlds, which also carries the draw
    of the local authorities' effects (each world draws its own).
    ``crude_risk_difference`` is the world's unadjusted Aalen-Johansen difference
    (:func:`crude_risks`), whose mean is the control's target.

    Returns
    -------
    DataFrame
        One row per world: ``seed``, ``n_cohort``, ``risk_difference``,
        ``mc_std_error``, ``crude_risk_difference``.
    """
    rows = []
    for k in range(worlds):
        world = synthetic.generate(SCENARIO, seed=seed + k, faults=False)
        table = world.truth.table()
        row = table.loc[
            (table["estimand"] == "risk_difference") & (table["horizon_years"] == horizon)
        ].iloc[0]
        frame = analysis_frame(
            world.dataset, outcome="child_return", threshold_weeks=26, confounders=None
        ).data
        crude = crude_risks(frame)["estimate"]
        rows.append(
            {
                "seed": seed + k,
                "n_cohort": world.truth.n_cohort,
                "risk_difference": float(row["estimate"]),
                "mc_std_error": float(row["mc_std_error"]),
                "crude_risk_difference": float(crude.iloc[0] - crude.iloc[1]),
            }
        )
    return pd.DataFrame(rows)


def truth_value(worlds: pd.DataFrame, column: str = "risk_difference") -> tuple[float, float]:
    """Population value and its Monte Carlo standard error from :func:`population_truth`."""
    values = worlds[column].to_numpy()
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


@dataclass(frozen=True)
class World:
    """What every method of a replicate analyses: the world's data with the latent
    column, the study's default analysis frame on it, the study's seed, and the
    warnings drawing it raised."""

    data: Dataset
    default: AnalysisFrame
    study_seed: int
    warnings: int


def generate(params: dict[str, Any], rng: np.random.Generator) -> tuple[World, dict[str, float]]:
    """One world of ``params["n_applications"]`` applications; its truth is the world's
    own (sample) 2-year risk difference.

    BLAS runs on one thread, so the numbers do not depend on how many replicates run
    side by side (and two processes do not fight over two cores).
    """
    world_seed, study_seed = int(rng.integers(2**63)), int(rng.integers(2**31))
    with threadpool_limits(limits=1), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        world = synthetic.generate(
            SCENARIO, n_applications=int(params["n_applications"]), seed=world_seed, faults=False
        )
        data = with_latent(world)
        # the study's default confounders, by its own rule (absent ones included)
        default = analysis_frame(
            data, outcome="child_return", threshold_weeks=26, confounders=None
        )
    truth = {"risk_difference": world.truth.value("risk_difference", HORIZON)}
    return World(data, default, study_seed, len(caught)), truth


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


def adjusted(world: World, params: dict[str, Any], setting: str) -> dict[str, Any]:
    """The study's primary row in one of :data:`SETTINGS`, with its :data:`KEEP` numbers."""
    chosen = next(s for s in SETTINGS if s.name == setting)
    requested = list(world.default.report["confounder"])
    confounders = [*requested, LATENT] if chosen.adds_latent else requested
    with threadpool_limits(limits=1), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        study = RushedDisposalStudy(
            world.data,
            confounders=confounders,
            n_boot=chosen.n_boot,
            sensitivity=False,
            seed=world.study_seed,
        )
        af = analysis_frame(
            world.data,
            outcome=study.outcome,
            threshold_weeks=study.threshold_weeks,
            confounders=confounders,
        )
        row, point, boot = primary_row(study, af)
        out: dict[str, Any] = {
            "estimand": "risk_difference",
            **{c: row[c] for c in ("estimate", "std_error", "ci_lower", "ci_upper", "p_value")},
        }
        for b in N_BOOT_PREFIXES:
            if b < chosen.n_boot:
                prefix = risk_difference_row(study, point, boot[:b], bootstrap_interval(af))
                out[f"ci_lower_b{b}"] = prefix["ci_lower"]
                out[f"ci_upper_b{b}"] = prefix["ci_upper"]
    return {
        **out,
        "n_boot": chosen.n_boot,
        "boot_replicates": len(boot),
        **cohort_numbers(af.data),
        "warnings": world.warnings + len(caught),
    }


def cohort_numbers(frame: pd.DataFrame) -> dict[str, float]:
    """The analysis cohort's size, authorities and share exposed."""
    return {
        "children": len(frame),
        "areas": int(frame["la_code"].nunique()),
        "exposed_share": float(frame["exposed"].mean()),
    }


def crude_risks(frame: pd.DataFrame) -> pd.DataFrame:
    """Unadjusted 2-year risks by arm: ``estimate`` and ``variance``, indexed 1, 0."""
    table = cumulative_incidence(frame, "years", "event", event_of_interest=1, by="exposed").at(
        HORIZON
    )
    return table.set_index("group").loc[[1, 0], ["estimate", "variance"]]


def crude_difference(frame: pd.DataFrame) -> np.ndarray:
    """The unadjusted risk difference, as an array for the bootstrap."""
    risks = crude_risks(frame)["estimate"].to_numpy()
    return np.array([risks[0] - risks[1]])


def crude_textbook(world: World, params: dict[str, Any]) -> dict[str, Any]:
    """The control with its textbook interval: normal, the arms' Aalen variances added."""
    with threadpool_limits(limits=1), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = world.default.data
        risks = crude_risks(frame)
    estimate = float(risks["estimate"].iloc[0] - risks["estimate"].iloc[1])
    std_error = float(np.sqrt(risks["variance"].sum()))
    return {
        "estimand": CRUDE,
        "estimate": estimate,
        "std_error": std_error,
        "ci_lower": estimate - Z * std_error,
        "ci_upper": estimate + Z * std_error,
        **cohort_numbers(frame),
        "warnings": world.warnings + len(caught),
    }


def crude_bootstrap(world: World, params: dict[str, Any]) -> dict[str, Any]:
    """The control with the study's interval: percentiles of :data:`N_BOOT` draws of
    whole local authorities (its own stream, from the study's seed)."""
    with threadpool_limits(limits=1), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = world.default.data
        estimate = float(crude_difference(frame)[0])
        rng = np.random.default_rng(world.study_seed)
        boot = methods.cluster_bootstrap(frame, crude_difference, N_BOOT, rng)[:, 0]
    return {
        "estimand": CRUDE,
        "estimate": estimate,
        "std_error": float(np.std(boot, ddof=1)),
        "ci_lower": float(np.quantile(boot, 0.025)),
        "ci_upper": float(np.quantile(boot, 0.975)),
        "n_boot": N_BOOT,
        "boot_replicates": len(boot),
        **cohort_numbers(frame),
        "warnings": world.warnings + len(caught),
    }


def study(n_applications: int, replicates: int | None = None) -> SimulationStudy:
    """The simulation of one world size, not yet run: the settings of :data:`DESIGNS`
    and the :data:`CONTROLS` on :data:`REPLICATES` worlds (or ``replicates``)."""
    settings = {
        s.name: functools.partial(adjusted, setting=s.name) for s in DESIGNS[n_applications]
    }
    return SimulationStudy(
        generate,
        {**settings, "crude_textbook": crude_textbook, "crude_bootstrap": crude_bootstrap},
        n_reps=REPLICATES[n_applications] if replicates is None else replicates,
        seed=SEED,
        design={"n_applications": [n_applications]},
        keep=KEEP,
    )


def saved(n_applications: int, replicates: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The saved replicates of one world size and the saved truth worlds."""
    folder = results_folder(n_applications)
    results = study(n_applications, replicates).read(chunks_folder(n_applications))
    truth = pd.read_csv(folder / "coverage_truth.csv", float_precision="round_trip")
    return results, truth


def measures(
    part: pd.DataFrame, true: str | float, ci: tuple[str, str]
) -> dict[str, tuple[float, float]]:
    """:func:`outcomes.simulation.performance` of one method's rows: measure ->
    (estimate, Monte Carlo SE)."""
    table = performance(part, true=true, by=[], ci=ci, p_value=None)
    return dict(
        zip(table["measure"], zip(table["estimate"], table["mcse"], strict=True), strict=True)
    )


def performance_row(
    part: pd.DataFrame,
    truth: float,
    ci: tuple[str, str] = ("ci_lower", "ci_upper"),
    truth_se: float | None = None,
    sample: bool = True,
) -> dict[str, float]:
    """One method's performance against ``truth`` with the interval in the columns
    ``ci``, as one row of a summary: ``replicates, truth, [truth_mc_se],
    mean_estimate, bias, bias_mc_se, empirical_sd, model_se, se_ratio`` (``model_se``
    over ``empirical_sd``), ``coverage, coverage_mc_se``, with ``sample`` the coverage
    of each world's own value (the ``truth`` column), and ``mean_ci_width``."""
    m = measures(part, truth, ci)
    row = {"replicates": int(m["n_sim"][0] - m["n_failed"][0]), "truth": truth}
    if truth_se is not None:
        row["truth_mc_se"] = truth_se
    row |= {
        "mean_estimate": m["mean"][0],
        "bias": m["bias"][0],
        "bias_mc_se": m["bias"][1],
        "empirical_sd": m["emp_se"][0],
        "model_se": m["model_se"][0],
        "se_ratio": m["model_se"][0] / m["emp_se"][0],
        "coverage": m["coverage"][0],
        "coverage_mc_se": m["coverage"][1],
    }
    if sample:
        row["coverage_sample_truth"] = measures(part, "truth", ci)["coverage"][0]
    row["mean_ci_width"] = float((part[ci[1]] - part[ci[0]]).mean())
    return row


def summarise(results: pd.DataFrame, truth: float, truth_se: float) -> pd.DataFrame:
    """Performance of the settings per bootstrap size (see the module docstring): one
    :func:`performance_row` each, after ``setting, n_boot``."""
    rows = []
    for setting in [s.name for s in SETTINGS if s.name in set(results["method"])]:
        part = results.loc[results["method"] == setting]
        n_boot = int(part["n_boot"].iloc[0])
        sizes = [(b, f"_b{b}") for b in N_BOOT_PREFIXES if part[f"ci_lower_b{b}"].notna().all()]
        for b, suffix in [*sizes, (n_boot, "")]:
            ci = (f"ci_lower{suffix}", f"ci_upper{suffix}")
            row = performance_row(part, truth, ci, truth_se)
            rows.append({"setting": setting, "n_boot": b, **row})
    return pd.DataFrame(rows)


def summarise_control(results: pd.DataFrame, truth: float) -> pd.DataFrame:
    """Coverage of the control's two intervals of its own target, and the spread of
    its estimates: one :func:`performance_row` each, after ``interval`` (no world has
    a value of its own for the unadjusted difference)."""
    rows = []
    for method, interval in CONTROLS.items():
        part = results.loc[results["method"] == method]
        rows.append({"interval": interval, **performance_row(part, truth, sample=False)})
    return pd.DataFrame(rows)


def zip_plot(
    part: pd.DataFrame,
    truth: float,
    title: str,
    ax: Axes | None = None,
) -> Axes:
    """The intervals of one method, sorted by estimate, coloured by whether they cover.

    Each horizontal line is one replicate's 95% interval (``ci_lower``, ``ci_upper``)
    and its dot the ``estimate``, in percentage points; the black line is the
    population value. Misses on the left are intervals wholly below the truth, on the
    right wholly above it. ``title`` heads the panel, over its coverage and bias.
    """
    if ax is None:
        ax = Figure(figsize=(5, 6)).subplots()
    part = part.sort_values("estimate")
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
        f"{title}\ncoverage {100 * cover:.1f}% (MC SE {100 * mc:.1f}), "
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
    settings = [s for s in SETTINGS if s.name in set(results["method"])]
    # a bare Figure, not pyplot: no backend or global state is involved in writing a file
    fig = Figure(figsize=(4.5 * len(settings), 6))
    axes = fig.subplots(1, len(settings), sharex=True, squeeze=False)
    for ax, setting in zip(axes[0], settings, strict=True):
        title = f"{setting.name.replace('_', ' ')}, {setting.n_boot} bootstrap replicates"
        zip_plot(results.loc[results["method"] == setting.name], truth, title, ax=ax)
    fig.suptitle(
        f"95% intervals of {results['rep'].nunique()} simulated worlds of "
        f"{int(results['n_applications'].iloc[0]):,} applications\n"
        f"black line: true value {100 * truth:.2f} points",
        fontsize=10,
    )
    fig.tight_layout()
    return fig


def markdown_table(table: pd.DataFrame) -> list[str]:
    """A table's lines in Markdown."""
    body = ["| " + " | ".join(str(v) for v in r) + " |" for r in table.to_numpy()]
    return ["| " + " | ".join(table.columns) + " |", "|" + "---|" * table.shape[1], *body]


def report(
    summary: pd.DataFrame,
    control: pd.DataFrame,
    truth_worlds: pd.DataFrame,
    timing: dict[str, str],
    n_applications: int,
) -> str:
    """The run as Markdown: design, performance tables, truth, timing and code version."""
    truth, truth_se = truth_value(truth_worlds)
    crude, crude_se = truth_value(truth_worlds, CRUDE)
    points = ["truth", "mean_estimate", "bias", "bias_mc_se", "empirical_sd", "model_se"]
    percents = ["coverage", "coverage_mc_se", "coverage_sample_truth"]
    tables = []
    for frame, first in ((summary, ["setting", "n_boot"]), (control, ["interval"])):
        table = frame.copy()
        for c in points:
            if c in table:
                table[c] = (100 * table[c]).map("{:.2f}".format)
        for c in percents:
            if c in table:
                table[c] = (100 * table[c]).map("{:.1f}".format)
        table["se_ratio"] = table["se_ratio"].map("{:.2f}".format)
        shown = [*first, "replicates", *points[1:], "se_ratio", *percents]
        tables.append(table[[c for c in shown if c in table]])
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
        *[f"- `{x.name}`: {x.description}" for x in DESIGNS[n_applications]],
        "",
        *markdown_table(tables[0]),
        "",
        "## Control: the unadjusted difference in the same worlds",
        "",
        f"Its own target, the unadjusted difference of the same national-scale worlds: "
        f"{100 * crude:.3f} points (Monte Carlo SE {100 * crude_se:.3f}).",
        "",
        *markdown_table(tables[1]),
        "",
        "## Run",
        "",
        *[f"- {k}: {v}" for k, v in timing.items()],
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--n-applications",
        type=int,
        choices=sorted(DESIGNS),
        default=N_APPLICATIONS,
        help="world size: the design to run (default: %(default)s)",
    )
    parser.add_argument("--replicates", type=int, help="default: REPLICATES of the size")
    parser.add_argument("--backend", default="processes", choices=["serial", "processes", "dask"])
    parser.add_argument("--n-workers", type=int, default=2)
    parser.add_argument(
        "--replot",
        action="store_true",
        help="rebuild the summaries, report and figure from the saved results",
    )
    args = parser.parse_args(argv)
    n = args.n_applications
    out = results_folder(n)
    out.mkdir(parents=True, exist_ok=True)
    if args.replot:
        results, truth_worlds = saved(n, args.replicates)
        timing = json.loads((out / "coverage_timing.json").read_text("utf-8"))
    else:
        code = code_version()  # before the run: later edits in the checkout are not its code
        started = time.perf_counter()
        truth_worlds = population_truth()
        truth_seconds = time.perf_counter() - started
        started = time.perf_counter()
        results = study(n, args.replicates).run(
            args.backend, n_workers=args.n_workers, chunk_size=CHUNK_SIZE, out=chunks_folder(n)
        )
        seconds = time.perf_counter() - started
        truth_worlds.to_csv(out / "coverage_truth.csv", index=False)
        # Wall times differ from run to run: they go to their own file, so that the
        # same seed writes the same bytes everywhere else.
        timing = {
            "replicates": str(len(results.drop_duplicates("rep"))),
            "methods": ", ".join(study(n, 1).methods),
            "truth worlds": f"{truth_seconds:.0f} s",
            **run_record(seconds, args.backend, args.n_workers, code),
        }
        (out / "coverage_timing.json").write_text(json.dumps(timing, indent=2) + "\n", "utf-8")
    summary = summarise(results, *truth_value(truth_worlds))
    control = summarise_control(results, truth_value(truth_worlds, CRUDE)[0])
    summary.to_csv(out / "coverage_summary.csv", index=False)
    control.to_csv(out / "control_summary.csv", index=False)
    (out / "coverage.md").write_text(report(summary, control, truth_worlds, timing, n), "utf-8")
    path = figure_path(n)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure(results, truth_value(truth_worlds)[0]).savefig(
        path, dpi=120, metadata={"Software": None}
    )
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(summary)
        print(control)
    print(f"wrote {out} and {path}")


def run_record(seconds: float, backend: str, workers: int, code: str) -> dict[str, str]:
    """How a run went, for its timing file: wall time, backend, the code (from
    :func:`code_version`, taken before the run) and the machine."""
    return {
        "simulation wall time": f"{seconds / 60:.1f} min, backend {backend} with {workers} "
        "worker(s) (chunks saved by an earlier invocation not rerun)",
        "code": code,
        "machine": f"{platform.processor() or platform.machine()}, "
        f"{len(os.sched_getaffinity(0))} cores shared with other work, "
        f"load average {os.getloadavg()[0]:.1f} at the end",
    }


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


if __name__ == "__main__":
    main()

r"""Power and minimum detectable effect of the pre-specified study, by simulation.

An evaluator planning a study of rushed disposals asks: with the local authorities and
years I can get, how likely is the study to detect a given rise in the 2-year risk of
return, and what is the smallest rise it would detect? :func:`power` answers by
simulation: synthetic worlds of the proposed size, with the effect dialled in, each
analysed exactly as :meth:`outcomes.study.RushedDisposalStudy.primary` analyses a real
extract (the crude Aalen-Johansen comparison and the primary IPTW Aalen-Johansen
estimate, with the study's inference rule: an area bootstrap with 30 or more local
authorities, a family bootstrap below).

Dialling in the effect
    The synthetic world's exposure effect is a conditional hazard ratio of return
    (``returns.hr_short``); part of the total effect also runs through the order made.
    The *effect* of a design point is the marginal 2-year risk difference between
    disposal within 26 weeks and later, from potential outcomes -- the primary
    estimand. For each effect, :func:`hazard_ratio_for` finds the hazard ratio that
    gives it in a large world of the same design (the same seed at every hazard ratio,
    so the risk difference is a smooth, increasing function of it, solved by the secant
    method on the log scale to within :data:`EFFECT_TOL`).
Power
    The share of replicates whose two-sided test of no difference (the study's Wald
    test with its bootstrap standard error) has :math:`p \le \alpha`, with the Monte
    Carlo standard error :math:`\sqrt{\hat\pi(1-\hat\pi)/R}` and a Wilson interval.
Minimum detectable effect
    From the empirical SD of the estimates at each design point, the effect that a
    two-sided level-:math:`\alpha` Wald test detects with probability :math:`1-\beta`:
    :math:`\text{MDE} = (z_{1-\alpha/2} + z_{1-\beta})\,\widehat{SD}` (Bloom 1995), and,
    where the effect grid brackets 80% power, the effect at which the simulated power
    curve crosses it (linear interpolation).
Analytic check
    :func:`analytic_power` gives the textbook power of a two-sample comparison of
    cumulative incidences at the horizon: risks from the calibration world, children
    per arm scaled to the design, the variance of each risk :math:`F(1-F)/n_{\text{eff}}`
    with :math:`n_{\text{eff}}` the children whose status at the horizon is known. It
    differs from the study in ways that pull both ways: it drops the partial follow-up
    of children censored before the horizon, which the Aalen-Johansen estimator uses
    (so its standard error is too large), and it ignores the clustering of siblings
    and the weighting of the primary analysis (which make the study's larger). In the
    runs measured the first dominates and it understates power; it is a check, not a
    replacement (``docs/simulation.md`` gives the figures). Schoenfeld's (1983) events formula,
    and Latouche, Porcher and Chevret's (2004) version for subdistribution hazards,
    size hazard-ratio tests instead; the study's estimand is a risk difference.

References
----------
Bloom, H. S. (1995). Minimum detectable effects: a simple way to report the
statistical power of experimental designs. *Evaluation Review* 19(5), 547-556.
Latouche, A., Porcher, R. and Chevret, S. (2004). Sample size formula for proportional
hazards modelling of competing risks. *Statistics in Medicine* 23(21), 3263-3274.
Morris, T. P., White, I. R. and Crowther, M. J. (2019). Using simulation studies to
evaluate statistical methods. *Statistics in Medicine* 38(11), 2074-2102.
Schoenfeld, D. (1983). Sample-size formula for the proportional-hazards regression
model. *Biometrics* 39(2), 499-503.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from outcomes.simulation.study import SimulationError, SimulationStudy

DEFAULT_DESIGN: dict[str, list[Any]] = {"n_applications": [2000], "n_las": [10], "years": [5]}
"""A proposed evaluation: 2,000 applications from 10 authorities over 5 issue years."""
CALIBRATION_APPLICATIONS = 40_000
"""Applications in the world that ties an effect to a hazard ratio (MC SE of its
2-year risk difference about 0.05 points)."""
CALIBRATION_SEED = 20261204
EFFECT_TOL = 2e-4
"""The dialled-in effect is within this of the target (0.02 points of risk)."""
HORIZON = 2.0
METHODS = {"crude_aalen_johansen": "crude", "iptw_aalen_johansen": "primary"}


@dataclass
class PowerResult:
    """What :func:`power` found.

    Attributes
    ----------
    results : DataFrame
        One row per replicate and method (the :class:`SimulationStudy` layout): the
        design columns, ``effect``, ``hr_short``, ``method``, ``estimate``,
        ``std_error``, ``p_value``, and ``truth`` (the dialled-in effect).
    power : DataFrame
        Per design point, effect and method: ``n_reps``, ``n_failed`` (worlds the
        study could not analyse, counted as not detecting), ``power``, ``mcse``,
        ``ci_lower``, ``ci_upper`` (Wilson), ``empirical_se`` and
        ``analytic_power`` (:func:`analytic_power`, for the crude comparison).
    mde : DataFrame
        Per design point and method: ``mde_from_se`` and ``mde_from_curve`` (NaN
        when the effect grid does not bracket the target power), at ``target_power``.
    calibration : DataFrame
        Per design point and effect: ``hr_short`` and the ``achieved`` effect.
    """

    results: pd.DataFrame
    power: pd.DataFrame
    mde: pd.DataFrame
    calibration: pd.DataFrame


def power(
    design: Mapping[str, Sequence[Any]] | None = None,
    effect_grid: Sequence[float] = (0.0, 0.02, 0.04),
    n_reps: int = 200,
    *,
    scenario: str = "default",
    horizon: float = HORIZON,
    alpha: float = 0.05,
    target_power: float = 0.8,
    n_boot: int = 50,
    seed: int = 0,
    backend: str = "serial",
    scheduler: str | None = None,
    chunk_size: int = 4,
    out: str | Path | None = None,
    progress: bool = False,
) -> PowerResult:
    r"""Power of the study's primary analysis (and of the crude comparison) by simulation.

    Parameters
    ----------
    design : dict of lists, optional
        ``n_applications`` (applications over the window), ``n_las`` (local
        authorities) and ``years`` (issue years, ending with the scenario's last year);
        crossed. Default :data:`DEFAULT_DESIGN`.
    effect_grid : sequence of float
        True 2-year risk differences to dial in (0.02 = 2 percentage points).
    n_reps : int
        Worlds per design point and effect.
    scenario : str
        The synthetic scenario the worlds come from (its hazard ratio is replaced).
    horizon : float
        Years after disposal of the risk difference tested.
    alpha, target_power : float
        Test level, and the power the minimum detectable effect is defined by.
    n_boot : int
        Bootstrap replicates per world. The test needs only the bootstrap standard
        error, which 50 replicates give to within about 10%; the type I error of the
        Wald test with it is then about :math:`P(|t_{49}| > 1.96) = 5.6\%`.
    seed : int
        Root of every random stream; results do not depend on ``backend``,
        ``chunk_size`` or the number of workers.
    backend, scheduler, chunk_size, out, progress
        As :meth:`SimulationStudy.run` (``backend="dask"`` with ``scheduler`` set to
        a running cluster's address); ``out`` makes the run resumable.

    Returns
    -------
    PowerResult
    """
    if not 0 < target_power < 1:
        raise SimulationError(f"target_power must be in (0, 1), got {target_power}")
    points = _design(design)
    study, grid = power_study(
        design,
        effect_grid,
        n_reps,
        scenario=scenario,
        horizon=horizon,
        alpha=alpha,
        n_boot=n_boot,
        seed=seed,
    )
    raw = study.run(
        backend=backend,  # type: ignore[arg-type]
        scheduler=scheduler,
        chunk_size=chunk_size,
        out=out,
        progress=progress,
    )
    # one method ("study") whose rows are the crude and primary analyses: name them
    results = raw.drop(columns="method").rename(columns={"estimand": "method"})
    keys = [*points[0], "effect"]
    table = _power_table(results, keys, alpha)
    table["analytic_power"] = [
        analytic_power(scenario, {k: r[k] for k in points[0]}, r["effect"], horizon, alpha)
        if r["method"] == "crude_aalen_johansen"
        else np.nan
        for _, r in table.iterrows()
    ]
    mde = _mde(table, list(points[0]), alpha, target_power)
    return PowerResult(results=results, power=table, mde=mde, calibration=grid)


def power_study(
    design: Mapping[str, Sequence[Any]] | None = None,
    effect_grid: Sequence[float] = (0.0, 0.02, 0.04),
    n_reps: int = 200,
    *,
    scenario: str = "default",
    horizon: float = HORIZON,
    alpha: float = 0.05,
    n_boot: int = 50,
    seed: int = 0,
) -> tuple[SimulationStudy, pd.DataFrame]:
    """The simulation study :func:`power` runs, not yet run, and its calibration.

    The arguments are :func:`power`'s. Each design point is crossed with each effect,
    whose ``hr_short`` is found by :func:`hazard_ratio_for`; one method, ``"study"``,
    returns the crude and primary rows of each world (:func:`analyse_primary`). Useful
    to run one replicate again, or to time the study's replicates.

    Returns
    -------
    (SimulationStudy, DataFrame)
        The study, and per design point and effect its ``hr_short`` and the
        ``achieved`` effect.
    """
    points = _design(design)
    effects = [float(e) for e in effect_grid]
    if not effects or not all(math.isfinite(e) and abs(e) < 0.5 for e in effects):
        raise SimulationError(f"effects must be risk differences in (-0.5, 0.5), got {effects}")
    if not 0 < alpha < 1:
        raise SimulationError(f"alpha must be in (0, 1), got {alpha}")
    if not (math.isfinite(horizon) and horizon > 0):
        raise SimulationError(f"horizon must be positive years, got {horizon}")
    calibration = []
    for point in points:
        for effect in effects:
            hr, achieved = hazard_ratio_for(scenario, point, effect, horizon)
            calibration.append({**point, "effect": effect, "hr_short": hr, "achieved": achieved})
    grid = pd.DataFrame(calibration)
    study = SimulationStudy(
        functools.partial(_generate, scenario),
        {"study": functools.partial(analyse_primary, horizon=horizon, n_boot=n_boot, alpha=alpha)},
        n_reps=n_reps,
        seed=seed,
        design=grid.drop(columns="achieved"),
    )
    return study, grid


def scenario_for(scenario: str, point: Mapping[str, Any], hr_short: float | None = None) -> Any:
    """The synthetic scenario of a design point (``n_las``, ``years``; ``hr_short``)."""
    import synthetic

    base = synthetic.load_scenario(scenario)
    n_la_default = float(base["areas.n_la"])
    n_dfj_default = float(base["areas.n_dfj"])
    n_las = int(point["n_las"])
    years = int(point["years"])
    last = int(base["window.last_year"])
    if n_las < 1 or years < 1:
        raise SimulationError(f"n_las and years must be at least 1, got {n_las}, {years}")
    n_dfj = max(1, min(n_las, round(n_las * n_dfj_default / n_la_default)))
    values: dict[str, Any] = {
        "areas__n_la": n_las,
        "areas__n_dfj": n_dfj,
        "window__first_year": last - years + 1,
    }
    if hr_short is not None:
        values["returns__hr_short"] = float(hr_short)
    return base.replace(name=f"{base.name}_power", **values)


@functools.lru_cache(maxsize=256)
def _truth_at(
    scenario: str, items: tuple[tuple[str, Any], ...], log_hr: float, horizon: float
) -> float:
    import synthetic

    point = dict(items)
    world = synthetic.generate(
        scenario_for(scenario, point, math.exp(log_hr)),
        n_applications=CALIBRATION_APPLICATIONS,
        seed=CALIBRATION_SEED,
        faults=False,
    )
    return world.truth.value("risk_difference", horizon)


def hazard_ratio_for(
    scenario: str, point: Mapping[str, Any], effect: float, horizon: float = HORIZON
) -> tuple[float, float]:
    """The ``returns.hr_short`` that gives a marginal risk difference of ``effect``.

    Secant iterations on :math:`\\log HR` in a world of
    :data:`CALIBRATION_APPLICATIONS` applications with the design point's authorities
    and years and one seed (common random numbers: the risk difference moves smoothly
    with the hazard ratio). Returns the hazard ratio and the effect it gives.
    """
    items = tuple(sorted((k, v) for k, v in point.items() if k != "n_applications"))
    x0, x1 = 0.0, math.log(1.5)
    f0 = _truth_at(scenario, items, x0, horizon) - effect
    f1 = _truth_at(scenario, items, x1, horizon) - effect
    for _ in range(12):
        if abs(f1) <= EFFECT_TOL:
            return math.exp(x1), f1 + effect
        if f1 == f0:
            break
        x0, x1 = x1, x1 - f1 * (x1 - x0) / (f1 - f0)
        x1 = float(np.clip(x1, math.log(0.2), math.log(5.0)))
        f0, f1 = f1, _truth_at(scenario, items, x1, horizon) - effect
    if abs(f1) <= EFFECT_TOL:
        return math.exp(x1), f1 + effect
    raise SimulationError(
        f"no hazard ratio between 0.2 and 5 gives a {horizon:g}-year risk difference of "
        f"{effect:g} in scenario {scenario!r} (nearest {f1 + effect:.4f})"
    )


def _generate(scenario: str, params: Mapping[str, Any], rng: np.random.Generator) -> Any:
    import synthetic

    world = synthetic.generate(
        scenario_for(scenario, params, params["hr_short"]),
        n_applications=int(params["n_applications"]),
        seed=int(rng.integers(2**63)),
        faults=False,
    )
    study_seed = int(rng.integers(2**31))
    return (world.dataset, study_seed), float(params["effect"])


def analyse_primary(
    data: tuple[Any, int],
    params: Mapping[str, Any],
    *,
    horizon: float,
    n_boot: int,
    alpha: float,
    confounders: list[str] | None = None,
) -> list[dict[str, Any]]:
    """The crude and primary risk-difference rows of ``RushedDisposalStudy.primary()``
    on one simulated data set (a dataset or cohort, and the study's seed)."""
    from outcomes.study import RushedDisposalStudy

    dataset, seed = data
    # one BLAS thread: the workers run side by side, and a threaded BLAS on a busy machine
    # costs more in contention than it gains; warnings are the study's own business here
    # (a small world's positivity warnings are expected, not errors of the simulation)
    with _blas_controller().limit(limits=1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        estimates = RushedDisposalStudy(
            dataset,
            horizons=(horizon,),
            confounders=confounders,
            n_boot=n_boot,
            alpha=alpha,
            seed=seed,
        ).primary()
    rows = estimates.loc[estimates["estimand"] == "risk_difference"]
    return [
        {
            "estimand": r["method"],
            "estimate": r["estimate"],
            "std_error": r["std_error"],
            "ci_lower": r["ci_lower"],
            "ci_upper": r["ci_upper"],
            "p_value": r["p_value"],
        }
        for _, r in rows.iterrows()
    ]


@functools.cache
def _blas_controller() -> Any:
    """The process's BLAS/OpenMP thread pools, found once: ``threadpool_limits`` looks
    them up afresh on every call, which costs about 8 ms among the study's libraries."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def _design(design: Mapping[str, Sequence[Any]] | None) -> list[dict[str, Any]]:
    chosen = dict(DEFAULT_DESIGN if design is None else design)
    unknown = set(chosen) - set(DEFAULT_DESIGN)
    if unknown:
        raise SimulationError(
            f"unknown design parameter(s) {sorted(unknown)}; use {sorted(DEFAULT_DESIGN)}"
        )
    for name, default in DEFAULT_DESIGN.items():
        chosen.setdefault(name, default)
    grid = pd.MultiIndex.from_product([list(chosen[k]) for k in DEFAULT_DESIGN]).tolist()
    points = [dict(zip(DEFAULT_DESIGN, values, strict=True)) for values in grid]
    for p in points:
        if int(p["n_applications"]) < 100:
            raise SimulationError("n_applications must be at least 100 for a study")
    return points


def _power_table(results: pd.DataFrame, keys: list[str], alpha: float) -> pd.DataFrame:
    """Rejection rates; a world the study could not analyse (too few returns, say)
    counts as a study that detected nothing, as it would in the evaluation itself."""
    failed = results.loc[results["error"].notna()]
    n_failed = failed.groupby(keys, sort=False).size() if len(failed) else pd.Series(dtype=int)
    ok = results.loc[results["error"].isna() & results["p_value"].notna()]
    rows = []
    for key, part in ok.groupby([*keys, "method"], sort=False):
        labels = dict(zip([*keys, "method"], key, strict=True))
        lost = int(n_failed.get(tuple(labels[k] for k in keys) if len(keys) > 1 else key[0], 0))
        n = len(part) + lost
        rejected = int((part["p_value"] <= alpha).sum())
        share = rejected / n
        lo, hi = _wilson(rejected, n, alpha)
        rows.append(
            {
                **labels,
                "n_reps": n,
                "n_failed": lost,
                "power": share,
                "mcse": math.sqrt(share * (1 - share) / n),
                "ci_lower": lo,
                "ci_upper": hi,
                "empirical_se": float(part["estimate"].std(ddof=1)) if len(part) > 1 else np.nan,
            }
        )
    return pd.DataFrame(rows)


def _wilson(k: int, n: int, alpha: float) -> tuple[float, float]:
    """Wilson score interval for a proportion k/n (never of zero width for n > 0)."""
    z = stats.norm.ppf(1 - alpha / 2)
    p = k / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def _mde(table: pd.DataFrame, keys: list[str], alpha: float, target: float) -> pd.DataFrame:
    multiplier = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(target)
    rows = []
    for key, part in table.groupby([*keys, "method"], sort=False):
        part = part.sort_values("effect")
        spread = part["empirical_se"].dropna()
        se = float(spread.median()) if len(spread) else np.nan
        curve = np.nan
        positive = part.loc[part["effect"] >= 0]
        above = np.flatnonzero(positive["power"].to_numpy() >= target)
        if len(above) and above[0] > 0:
            i = above[0]
            e = positive["effect"].to_numpy()
            pw = positive["power"].to_numpy()
            curve = float(
                e[i - 1] + (target - pw[i - 1]) * (e[i] - e[i - 1]) / (pw[i] - pw[i - 1])
            )
        rows.append(
            {
                **dict(zip([*keys, "method"], key, strict=True)),
                "target_power": target,
                "mde_from_se": multiplier * se,
                "mde_from_curve": curve,
            }
        )
    return pd.DataFrame(rows)


def analytic_power(
    scenario: str,
    point: Mapping[str, Any],
    effect: float,
    horizon: float = HORIZON,
    alpha: float = 0.05,
) -> float:
    r"""Textbook power of the crude two-sample comparison of risks at ``horizon``.

    :math:`1 - \Phi(z_{1-\alpha/2} - |\Delta|/SE) + \Phi(-z_{1-\alpha/2} - |\Delta|/SE)`
    with :math:`SE^2 = \sum_a F_a(1-F_a)/n_a`: the risks :math:`F_a` and the share of
    children in each arm whose status at the horizon is known come from the
    calibration world of the design point (see the module notes), the children per
    application from it too, scaled to ``point["n_applications"]``.
    """
    import synthetic
    from outcomes.study.frame import analysis_frame

    hr, _ = hazard_ratio_for(scenario, point, effect, horizon)
    world = synthetic.generate(
        scenario_for(scenario, point, hr),
        n_applications=CALIBRATION_APPLICATIONS,
        seed=CALIBRATION_SEED,
        faults=False,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        af = analysis_frame(
            world.dataset, outcome="child_return", threshold_weeks=26, confounders=None
        )
    data = af.data
    scale = float(point["n_applications"]) / CALIBRATION_APPLICATIONS
    known = (data["years"] >= horizon) | ((data["event"] > 0) & (data["years"] <= horizon))
    truth = world.truth
    var = 0.0
    for arm, label in ((1, "short"), (0, "long")):
        risk = truth.value("cif", horizon, label)
        n_eff = float((known & (data["exposed"] == arm)).sum()) * scale
        if n_eff <= 0:
            return np.nan
        var += risk * (1 - risk) / n_eff
    z = stats.norm.ppf(1 - alpha / 2)
    shift = abs(effect) / math.sqrt(var)
    return float(stats.norm.sf(z - shift) + stats.norm.cdf(-z - shift))

"""The estimators the study runs, each on an :class:`~outcomes.study.frame.AnalysisFrame`.

How the area (local authority) enters each model, since it is both a confounder
(court speed and local practice go together) and a cluster:

- hazard models (cause-specific Cox, Fine-Gray): a separate baseline hazard per local
  authority for cause-specific Cox (stratification, which adjusts for the area without
  estimating ~150 coefficients), LA fixed effects absorbed into the same strata for the
  Fine-Gray model; standard errors clustered by local authority;
- propensity model: LA indicators in a ridge-penalised logistic regression (``C = 1``),
  which shrinks small authorities' effects towards the mean instead of letting them
  predict exposure perfectly;
- g-computation: cause-specific Cox models stratified by the area *and the exposure*,
  so the standardised risks use each child's own authority and each arm its own
  baseline hazards (no proportional-hazards assumption for the exposure);
- pseudo-value regression: LA indicators (fixed effects) in the linear model of the
  pseudo-observations, variance clustered by local authority;
- uncertainty for marginal risks: a cluster bootstrap resampling whole local
  authorities (the pseudo-value regression's come from its sandwich instead).

With one local authority the area is a constant and leaves every model (``area=None``);
with few, the bootstrap resamples families instead of authorities
(:class:`~outcomes.study.frame.Inference`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from outcomes.causal._ridge_logistic import one_hot_logistic_scores, standardise
from outcomes.causal.weights import inverse_probability_weights
from outcomes.errors import OutcomesError
from outcomes.regression import PseudoValueRegression
from outcomes.study.frame import AREA, CATEGORICAL_CONFOUNDERS, pool_eventless_levels
from outcomes.survival import (
    CauseSpecificCox,
    CoxFitter,
    FineGrayFitter,
    cumulative_incidence,
    duration_hazard_ratio,
    natural_spline_term,
)
from outcomes.survival import _aalen_johansen as _aj
from outcomes.survival._followup import warn_beyond_followup
from outcomes.survival.cumulative_incidence import sort_by_group_time

if TYPE_CHECKING:
    from sklearn.base import ClassifierMixin
    from sklearn.linear_model import LogisticRegression

STANDARDISE_ROWS = 2000
"""g-computation averages predicted risks over at most this many children (a seeded
random sample of the cohort): the mean over a sample estimates the mean over the
cohort without bias, and the bootstrap carries the extra variance."""


def default_propensity_model() -> LogisticRegression:
    """Ridge-penalised logistic regression (see the module docstring for why).

    The Newton-Cholesky solver suits many rows and a few hundred columns (the LA
    indicators) and converges in a handful of iterations.
    """
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=1.0, solver="newton-cholesky", max_iter=200)


def formula(confounders: list[str], frame: pd.DataFrame, exposure: bool = True) -> str:
    """Right-hand side: exposure plus confounders, categorical ones wrapped in ``C()``
    (without the exposure when it is a stratum instead; ``"0"``, no covariate, when
    nothing is left). A confounder constant in ``frame`` is left out: it says nothing
    there (e.g. a period pooled into one level by :func:`pool_eventless_levels`)."""
    terms = ["exposed"] if exposure else []
    for name in confounders:
        if frame[name].nunique(dropna=False) < 2:
            continue
        numeric = pd.api.types.is_numeric_dtype(frame[name])
        terms.append(name if numeric and name not in CATEGORICAL_CONFOUNDERS else f"C({name})")
    return " + ".join(terms) or "0"


def crude_risks(frame: pd.DataFrame, horizons: tuple[float, ...]) -> pd.DataFrame:
    """Aalen-Johansen risk of return by arm at each horizon, with cuminc variances."""
    cif = cumulative_incidence(frame, "years", "event", event_of_interest=1, by="exposed")
    return cif.at(list(horizons))


def cause_specific_model(
    frame: pd.DataFrame, confounders: list[str], cluster: str = AREA, area: str | None = AREA
) -> CoxFitter:
    """Adjusted cause-specific Cox model of return: stratified by ``area`` (none with
    one local authority), clustered by ``cluster``."""
    frame, _ = pool_eventless_levels(frame, confounders)
    data = frame.assign(returned=(frame["event"] == 1).astype(int))
    return CoxFitter().fit(
        data,
        "years",
        "returned",
        formula=formula(confounders, frame),
        strata=area,
        cluster_col=cluster,
    )


DOSE_RESPONSE_WEEKS = (8, 13, 20, 32, 39, 52, 78)
"""Durations at which the dose-response hazard ratio (against 26 weeks) is reported."""


def duration_dose_response(
    frame: pd.DataFrame,
    confounders: list[str],
    alpha: float,
    cluster: str = AREA,
    area: str | None = AREA,
) -> pd.DataFrame:
    """Hazard ratio of return across duration relative to 26 weeks.

    The cause-specific model of :func:`cause_specific_model` with the binary exposure
    replaced by a natural cubic spline of duration (4 degrees of freedom); the band is
    pointwise, from the clustered covariance (:func:`outcomes.survival.duration_hazard_ratio`).
    """
    frame, _ = pool_eventless_levels(frame, confounders)
    data = frame.assign(returned=(frame["event"] == 1).astype(int))
    spline = natural_spline_term("duration_weeks", df=4)
    fit = CoxFitter(alpha=alpha).fit(
        data,
        "years",
        "returned",
        formula=formula(confounders, frame).replace("exposed", spline, 1),
        strata=area,
        cluster_col=cluster,
    )
    return duration_hazard_ratio(fit, data, grid=DOSE_RESPONSE_WEEKS, alpha=alpha)


def subdistribution_hazard_ratio(
    frame: pd.DataFrame, confounders: list[str], cluster: str = AREA, area: str | None = AREA
) -> pd.Series:
    """Adjusted Fine-Gray subdistribution HR of exposure, clustered by ``cluster``."""
    frame, _ = pool_eventless_levels(frame, confounders)
    fit = FineGrayFitter().fit(
        frame,
        "years",
        "event",
        event_of_interest=1,
        formula=formula(confounders, frame),
        strata=area,
        cluster_col=cluster,
    )
    return exposure_row(fit.summary)


def iptw_weights(
    frame: pd.DataFrame,
    confounders: list[str],
    model: ClassifierMixin | None,
    trim: tuple[float, float] | None,
    area: str | None = AREA,
) -> tuple[pd.Series, pd.Series]:
    """Propensity scores and stabilised, trimmed weights.

    With nothing to adjust for (one local authority and no usable confounder) the
    score is the share exposed and every stabilised weight is 1: the crude comparison.
    """
    areas = [area] if area is not None else []
    if not confounders and not areas:
        treated = frame["exposed"].astype(int)
        scores = pd.Series(float(treated.mean()), index=frame.index, name="propensity")
        return scores, pd.Series(1.0, index=frame.index, name="weight")
    categorical = [c for c in confounders if c in CATEGORICAL_CONFOUNDERS]
    categorical += [c for c in confounders if not pd.api.types.is_numeric_dtype(frame[c])]
    if model is None:
        fast = _default_propensity_scores(frame, confounders, [*categorical, *areas])
        if fast is not None:
            scores = pd.Series(fast, index=frame.index, name="propensity")
            weights = inverse_probability_weights(
                scores, frame["exposed"], stabilised=True, trim_percentiles=trim
            )
            return scores, weights
    from outcomes.causal.propensity import fit_propensity  # scikit-learn, when needed

    result = fit_propensity(
        frame,
        "exposed",
        [*confounders, *areas],
        model=model if model is not None else default_propensity_model(),
        categorical=[*dict.fromkeys(categorical), *areas],
    )
    weights = inverse_probability_weights(
        result.scores, result.treatment, stabilised=True, trim_percentiles=trim
    )
    return result.scores, weights


def _default_propensity_scores(
    frame: pd.DataFrame, confounders: list[str], categorical: list[str]
) -> np.ndarray | None:
    """The scores of :func:`default_propensity_model` in :func:`fit_propensity`'s
    design (standardised numerics, one-hot ``categorical``), computed on factor codes
    (:func:`outcomes.causal._ridge_logistic.one_hot_logistic_scores`), or ``None`` when
    that path does not apply (missing values, one arm only, or a fit scikit-learn
    would finish another way): the caller then fits the pipeline itself."""
    columns = [*dict.fromkeys([*confounders, *categorical])]
    exposed = frame["exposed"].to_numpy()
    if frame[columns].isna().to_numpy().any() or pd.isna(exposed).any():
        return None
    y = exposed.astype(np.float64)
    if not np.isin(y, (0.0, 1.0)).all() or y.min() == y.max():
        return None
    levels = set(categorical)
    numeric = [c for c in columns if c not in levels]
    dense = standardise(frame[numeric].to_numpy(dtype=np.float64))
    factors = []
    for c in columns:
        if c in levels:
            codes, uniques = pd.factorize(frame[c].astype(str).to_numpy())
            factors.append((codes.astype(np.intp), len(uniques)))
    model = default_propensity_model()
    return one_hot_logistic_scores(
        dense, factors, y, C=model.C, tol=model.tol, max_iter=model.max_iter
    )


def iptw_risks(
    frame: pd.DataFrame,
    confounders: list[str],
    horizons: tuple[float, ...],
    model: ClassifierMixin | None,
    trim: tuple[float, float] | None,
    area: str | None = AREA,
) -> np.ndarray:
    """Weighted Aalen-Johansen risks, shape (2, H): exposed then unexposed."""
    _, weights = iptw_weights(frame, confounders, model, trim, area)
    fast = _weighted_risks(frame, weights.to_numpy(), horizons)
    if fast is not None:
        return fast
    cif = cumulative_incidence(
        frame.assign(iptw=weights.to_numpy()),
        "years",
        "event",
        event_of_interest=1,
        by="exposed",
        weights_col="iptw",
    )
    return _by_arm(cif.at(list(horizons)), horizons)


def _weighted_risks(
    frame: pd.DataFrame, weights: np.ndarray, horizons: tuple[float, ...]
) -> np.ndarray | None:
    """The weighted Aalen-Johansen risks of return by arm at ``horizons``, shape (2, H),
    as ``cumulative_incidence(..., by="exposed", weights_col=...).at(horizons)`` reads
    them (the same sort, tables and sums), without the variances and the tidy table
    that the bootstrap does not use; ``None`` for anything
    :func:`~outcomes.survival.cumulative_incidence` would reject or treat otherwise,
    so that it says why."""
    time = frame["years"].to_numpy(dtype=np.float64)
    event = frame["event"].to_numpy()
    arm = frame["exposed"].to_numpy()
    if not (
        np.isfinite(time).all()
        and (time >= 0).all()
        and np.isfinite(weights).all()
        and (weights >= 0).all()
        and np.isin(arm, (0, 1)).all()
        and not pd.isna(event).any()
    ):
        return None
    censored = event == 0
    labels, codes = np.unique(event[~censored], return_inverse=True)
    if 1 not in labels.tolist():
        return None
    cause = np.zeros(len(event), dtype=np.intp)
    cause[~censored] = codes + 1
    groups = arm.astype(np.intp)
    if np.bincount(groups, minlength=2).min() == 0:
        return None
    order = sort_by_group_time(time, groups, 2)
    time, cause, weights, groups = time[order], cause[order], weights[order], groups[order]
    bounds = np.searchsorted(groups, [0, 1, 2], side="left")
    query = np.sort(np.asarray(horizons, dtype=np.float64))
    k = labels.tolist().index(1)
    out, last = np.empty((2, len(horizons))), np.inf
    for g, row in ((0, 1), (1, 0)):
        sl = slice(bounds[g], bounds[g + 1])
        table = _aj.event_table(time[sl], cause[sl], weights[sl], len(labels))
        _, surv_minus = _aj.all_cause_survival(table)
        out[row] = _aj.incidence_at(table, surv_minus, k, query)
        last = min(last, table.last_time)
    warn_beyond_followup(query, last, "cumulative_incidence", stacklevel=4)
    return out


def gcomputation_risks(
    frame: pd.DataFrame,
    confounders: list[str],
    horizons: tuple[float, ...],
    seed: int,
    area: str | None = AREA,
) -> np.ndarray:
    """Standardised risks from cause-specific Cox models, shape (2, H).

    .. math::

        \\hat F_a(t) = \\frac{1}{n} \\sum_i \\hat F_1(t \\mid A = a, X_i, \\text{LA}_i),

    where :math:`\\hat F_1(t \\mid \\cdot)` combines the cause-specific hazard of return
    with that of leaving the risk set any other way. Adoption, death and ageing out are
    pooled into one competing cause: the cumulative incidence of return depends on them
    only through their sum, and pooling avoids fitting a model per LA stratum to the
    handful of deaths.

    Both cause-specific models are stratified on the exposure (and the area,
    :func:`with_arm_strata`): each arm has its own baseline hazards, so the exposure's
    effect may change over follow-up -- as it does when part of it runs through the
    order made -- and the confounders' coefficients are shared. This is what
    ``riskRegression::ate`` recommends for a binary treatment (Ozenne et al. 2020); a
    single exposure coefficient would impose proportional hazards and can bias the
    standardised risks while their interval stays narrow.

    References
    ----------
    Ozenne, B. M. H., Scheike, T. H., Staerk, L. and Gerds, T. A. (2020). On the
    estimation of average treatment effects with right-censored time to event outcome
    and competing risks. *Biometrical Journal* 62(3), 751-763.
    """
    frame, _ = pool_eventless_levels(frame, confounders)
    frame, strata = with_arm_strata(frame, area)
    pooled = frame.assign(event=np.minimum(frame["event"].to_numpy(), 2))
    model = CauseSpecificCox().fit(
        pooled,
        "years",
        "event",
        formula=formula(confounders, frame, exposure=False),
        strata=strata,
    )
    sample = frame
    if len(frame) > STANDARDISE_ROWS:
        sample = frame.sample(STANDARDISE_ROWS, random_state=seed)
    # both arms in one prediction (one design matrix): exposed rows first
    stacked = pd.concat([sample.assign(exposed=1), sample.assign(exposed=0)], ignore_index=True)
    predicted = model.predict_cumulative_incidence(stacked, times=list(horizons), cause=1)
    arms = np.split(predicted.to_numpy(), 2, axis=1)
    return np.vstack([arm.mean(axis=1) for arm in arms])


def pseudo_value_risks(
    frame: pd.DataFrame,
    confounders: list[str],
    horizons: tuple[float, ...],
    alpha: float,
    cluster: str = AREA,
    area: str | None = AREA,
) -> tuple[pd.DataFrame, list[PseudoValueRegression]]:
    r"""Standardised risks by arm from a linear model of pseudo-observations.

    At each horizon :math:`\tau` (one model per horizon, so the exposure's effect may
    differ between horizons), the jackknife pseudo-observations :math:`\hat\theta_i` of
    the Aalen-Johansen risk of return, computed *within each arm* (censoring may depend
    on the exposure, as the arm-wise Aalen-Johansen of the other methods allows), are
    the response of the identity-link model

    .. math::

        E(\hat\theta_i \mid A_i, X_i, \text{LA}_i)
            = \beta_0 + \beta_A A_i + X_i^\top\beta_X + A_i X_i^\top\gamma
              + \alpha_{\text{LA}_i},

    with the case-mix confounders :math:`X` (categorical ones as indicators) entered
    for each arm separately (the exposure-by-confounder terms :math:`\gamma`) and the
    local authority as fixed effects :math:`\alpha` (none with one authority). The
    standardised risks

    .. math:: \hat F_a(\tau) = \frac1n \sum_i \hat E(\hat\theta \mid A = a, X_i, \text{LA}_i),

    their difference and ratio are :meth:`PseudoValueRegression.marginal_risks`, with
    delta-method intervals from the sandwich clustered by ``cluster`` (the few-cluster
    rule of :mod:`outcomes.survival._inference`: CR1 and :math:`t_{G-1}` with 2-29
    clusters). Because the confounders enter each arm separately, the difference is
    the average of the covariate-specific risk differences over the cohort's case
    mix -- the study's marginal estimand -- and not the variance-weighted average a
    single exposure coefficient of a main-effects model would give when the risk
    difference varies with case mix (as it does when the exposure acts on the hazard).
    One identity-link model gives both contrasts, so the difference and the ratio come
    from the same two risks, as for the other methods.

    Returns
    -------
    table : DataFrame
        The rows of ``marginal_risks`` at every horizon (``time, contrast, value,
        estimate, std_error, ci_lower, ci_upper, p_value``; value 1 is the exposed arm,
        the reference 0 the unexposed).
    fits : list of PseudoValueRegression
        The fitted models, one per horizon.

    References
    ----------
    Andersen, P. K. and Perme, M. P. (2010). Pseudo-observations in survival analysis.
    *Statistical Methods in Medical Research* 19, 71-99.
    Overgaard, M., Parner, E. T. and Pedersen, J. (2017). Asymptotic theory of
    generalized estimating equations based on jackknife pseudo-observations. *Annals
    of Statistics* 45(5), 1988-2015.
    """
    case_mix = formula(confounders, frame, exposure=False)
    rhs = "exposed" if case_mix == "0" else f"exposed * ({case_mix})"
    if area is not None:
        rhs += f" + C({area})"
    columns = [*dict.fromkeys(["years", "event", "exposed", *confounders, cluster])]
    if area is not None and area not in columns:
        columns.append(area)
    data = frame[columns]
    tables, fits = [], []
    for h in horizons:
        fit = PseudoValueRegression(estimand="risk", link="identity", alpha=alpha).fit(
            data,
            "years",
            "event",
            time=h,
            formula=rhs,
            event_of_interest=1,
            cluster_col=cluster,
            strata="exposed",
        )
        tables.append(fit.marginal_risks(data, "exposed", [0, 1]))
        fits.append(fit)
    return pd.concat(tables, ignore_index=True), fits


MODEL_AREA = "model_area"
"""The area strata of an outcome model with baseline hazards by arm
(:func:`with_arm_strata`)."""
POOLED_AREA = "pooled: one arm empty"


def with_arm_strata(frame: pd.DataFrame, area: str | None) -> tuple[pd.DataFrame, list[str]]:
    """The frame with :data:`MODEL_AREA`, and the strata of an outcome model with
    baseline hazards by arm and by area.

    An authority in which one arm is empty has no baseline hazard for that arm, and
    its children's risks under it cannot come from their own stratum; such authorities
    share one pooled stratum (joined by the smallest authorities when they are all on
    the same side, until both arms are present), so their risks under the missing arm
    come from comparable authorities -- an extrapolation that
    ``diagnostics["positivity_cells"]`` reports.
    """
    if area is None:
        return frame, ["exposed"]
    labels = frame[area].astype(str)
    arms = frame.groupby(labels.to_numpy())["exposed"].agg(["nunique", "size"])
    pooled = set(arms.index[arms["nunique"] < 2])
    if pooled:
        both = arms.loc[arms["nunique"] == 2].sort_values("size", kind="stable")
        inside = labels.isin(pooled)
        for name in both.index:
            if frame.loc[inside, "exposed"].nunique() == 2:
                break
            pooled.add(name)
            inside = labels.isin(pooled)
        labels = labels.where(~labels.isin(pooled), POOLED_AREA)
    return frame.assign(**{MODEL_AREA: labels.to_numpy()}), [MODEL_AREA, "exposed"]


def start_workers(n_jobs: int, module: str) -> Callable[[], None]:
    """Start the bootstrap's ``n_jobs`` worker processes now, in the background, each
    importing ``module`` (the estimator's); returns a function that waits until they
    are ready.

    A worker process takes a second or two to start and import an estimator. Started
    while this process still reads the data and fits the models, the workers are
    ready when :func:`cluster_bootstrap` needs them: joblib keeps its worker processes
    from one parallel call to the next in a process.
    """
    import threading

    from joblib import Parallel, delayed

    def start() -> None:
        # a failure here (no processes to be had, say) is the bootstrap's to meet and
        # report: this only saves it time
        with contextlib.suppress(Exception):
            Parallel(n_jobs=n_jobs)(delayed(_import)(module) for _ in range(n_jobs))

    thread = threading.Thread(target=start, name="start-workers", daemon=True)
    thread.start()
    return thread.join


def _import(module: str) -> None:
    import importlib

    importlib.import_module(module)


def cluster_bootstrap(
    frame: pd.DataFrame,
    estimate: Callable[[pd.DataFrame], np.ndarray],
    n_boot: int,
    rng: np.random.Generator,
    progress: Callable[[int], None] | None = None,
    n_jobs: int = 1,
    cluster: str = AREA,
    within: str | None = None,
    frequency_weights: str | None = None,
) -> np.ndarray:
    """Re-estimate on ``n_boot`` resamples of whole clusters (local authorities by
    default).

    Each sampled cluster keeps all its children; a cluster drawn twice enters twice
    under distinct labels, and so do its local authorities, so stratified models treat
    the copies as separate strata. Replicates in which the estimator fails (an arm is
    empty, a model cannot be fitted) are dropped; the study reports how many
    replicates were run and how many were requested.

    With ``within`` (the family bootstrap of a few-authority extract: ``cluster`` is
    the family, ``within`` the local authority), clusters are drawn with replacement
    within each level of ``within``, as many as it has, and ``within`` keeps its
    labels: the authorities are fixed, their children resampled.

    With ``frequency_weights`` (a column name; not with ``within``), a resample is
    given as its distinct clusters, each once, with the number of times it was drawn in
    that column, instead of as copies: for an estimator whose every model treats a
    cluster's copies alike -- stratified by the cluster, so that k copies of a stratum
    contribute k times its partial likelihood, or with case weights where copies would
    be rows -- the estimates are those of the copies, from about 63% of the rows.

    Every replicate's clusters are drawn from ``rng`` before any is estimated, so the
    replicates are the same for a given seed whatever ``n_jobs`` is; with
    ``n_jobs > 1`` they are estimated in that many worker processes (joblib) and
    returned in draw order.
    """
    if frequency_weights is not None and within is not None:
        raise OutcomesError("frequency weights stand for copies of whole clusters, not within")
    codes, index = np.unique(frame[cluster].to_numpy(dtype=object), return_inverse=True)
    order = np.argsort(index, kind="stable")
    bounds = np.cumsum(np.bincount(index, minlength=len(codes)))[:-1]
    rows_of = np.split(order, bounds)
    if within is None:
        picks = [rng.integers(0, len(codes), len(codes)) for _ in range(n_boot)]
    else:
        # each cluster's level of `within` (a family's authority: its first row's)
        level = frame[within].to_numpy(dtype=object)[[r[0] for r in rows_of]]
        groups = [np.flatnonzero(level == v) for v in pd.unique(level)]
        picks = [
            np.concatenate([g[rng.integers(0, len(g), len(g))] for g in groups])
            for _ in range(n_boot)
        ]

    def resample(pick: np.ndarray) -> pd.DataFrame:
        if frequency_weights is not None:
            times = np.bincount(pick, minlength=len(codes))
            drawn = np.flatnonzero(times)
            take = np.concatenate([rows_of[k] for k in drawn])
            weights = np.repeat(times[drawn], [len(rows_of[k]) for k in drawn])
            return frame.iloc[take].assign(**{frequency_weights: weights})
        take = np.concatenate([rows_of[k] for k in pick])
        draws = np.repeat(np.arange(len(pick)), [len(rows_of[k]) for k in pick])
        sample = frame.iloc[take]
        # one label per draw, repeated over its rows
        relabelled = {cluster: np.array([f"b{j}" for j in range(len(pick))])[draws].tolist()}
        if cluster != AREA and within is None and AREA in sample.columns:
            areas = sample[AREA].to_numpy(dtype=object)
            relabelled[AREA] = [f"{a}#b{j}" for a, j in zip(areas, draws, strict=True)]
        return sample.assign(**relabelled)

    def replicate(pick: np.ndarray) -> np.ndarray | None:
        try:
            return estimate(resample(pick).reset_index(drop=True))
        except (OutcomesError, ValueError, ArithmeticError, np.linalg.LinAlgError):
            return None

    if n_jobs > 1 and n_boot > 1:
        from joblib import Parallel, delayed, effective_n_jobs

        # A task carries the frame and the estimator, pickled for each task (about
        # 4 MB and 30 ms for the policy g-formula on 7,700 children), so replicates go
        # in blocks rather than one task each; 16 blocks per worker, so that when the
        # last ones run, a worker waits for the other a short block at most.
        blocks = np.array_split(np.arange(n_boot), min(n_boot, 16 * effective_n_jobs(n_jobs)))

        def run_block(block: np.ndarray) -> list[np.ndarray | None]:
            return [replicate(picks[b]) for b in block]

        results = (
            value
            for values in Parallel(n_jobs=n_jobs, return_as="generator")(
                delayed(run_block)(block) for block in blocks
            )
            for value in values
        )
    else:
        results = (replicate(pick) for pick in picks)
    draws = []
    for b, value in enumerate(results):
        if value is not None:
            draws.append(value)
        if progress is not None:
            progress(b)
    result = np.array(draws)
    return result.reshape((len(draws), *np.shape(draws[0]))) if draws else result


def exposure_row(summary: pd.DataFrame) -> pd.Series:
    """The ``exposed`` row of a fitter's summary."""
    row = summary.loc["exposed"]
    assert isinstance(row, pd.Series)  # one coefficient of that name
    return row


def _by_arm(table: pd.DataFrame, horizons: tuple[float, ...]) -> np.ndarray:
    out = np.full((2, len(horizons)), np.nan)
    for arm, value in enumerate((1, 0)):
        part = table.loc[table["group"] == value].sort_values("time")
        out[arm] = part["estimate"].to_numpy()[: len(horizons)]
    return out

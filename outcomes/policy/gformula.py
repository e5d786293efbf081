r"""The effect of a duration policy on return to court, by the g-formula.

For a policy :math:`p` giving child :math:`i` the duration :math:`D'_i = q_p(D_i, X_i)`
(:mod:`outcomes.policy.policies`), the target is the cohort's risk of a return to court
within :math:`h` years had every duration been changed by the policy, with the order each
child would then have got:

.. math::

    F_p(h) = \frac1n \sum_i \Pr\{Y_i(D'_i, O_i(D'_i)) \le h\}
           = \frac1n \sum_i \sum_m \Pr(O = m \mid D'_i, X_i)\,
             F_1(h \mid D'_i, m, X_i),

where :math:`F_1(h \mid d, m, x)` is the cumulative incidence of return with adoption,
death and ageing out competing, from cause-specific Cox models (:math:`\lambda_1` for
return, :math:`\lambda_2` for any competing exit, each with the duration terms, the
order and the confounders, baseline hazards by local authority),

.. math::

    F_1(h \mid d, m, x) = \sum_{u \le h} S(u- \mid d, m, x)\, d\Lambda_1(u \mid d, m, x),

and :math:`\Pr(O = m \mid d, x)` a multinomial logistic model of the order made
(:mod:`outcomes.policy._order_model`). The natural course :math:`F_{\text{nat}}(h)` is
the same average at the observed durations. The contrasts are
:math:`F_p - F_{\text{nat}}` and :math:`F_p / F_{\text{nat}}`; the part that does not run
through the order made holds the order probabilities at the observed duration,

.. math::

    \text{direct}_p(h) = \frac1n \sum_i \sum_m \Pr(O = m \mid D_i, X_i)\,
        \{F_1(h \mid D'_i, m, X_i) - F_1(h \mid D_i, m, X_i)\},

and the rest, difference minus direct, runs through the order
(``policy_through_order``). Time zero is the disposal under whichever duration
applies.

**Duration terms.** Duration enters both models as a natural cubic spline of weeks
(:func:`~outcomes.survival.natural_spline_term`) *plus* an indicator of disposal within
each of ``thresholds`` (26 weeks by default). A spline is smooth; if the hazard jumps
at the statutory limit -- as the rushed-disposal hypothesis says it may, and as the
synthetic world is built -- a spline alone smooths the step into a slope over the knots
around it, and a cap at 26 weeks, which moves many cases just across the step, is then
mis-estimated. The indicator lets the data show a step where policy would put one;
``thresholds=()`` drops it and keeps the spline only.

**Identification.** The estimate is causal under (i) no unmeasured confounding of
duration (given the confounders and the area, duration is as good as random), and of
the order for the direct/through-order split; (ii) positivity: the durations a policy
moves cases to occur among comparable cases in the data (a modified treatment policy
needs this only where it moves cases; the estimator warns when it moves cases outside
the durations seen in their area or case-mix stratum); (iii) consistency: a case
disposed of in :math:`d` weeks under the policy fares as a case disposed of in
:math:`d` weeks does now, however the policy brings it about; and correct models.

**Uncertainty.** The study's bootstrap (:func:`outcomes.study.methods.cluster_bootstrap`)
refits every model in each replicate: whole local authorities are resampled when
there are at least :data:`~outcomes.study.frame.MIN_BOOTSTRAP_CLUSTERS` of them
(percentile intervals), else families within each authority (normal intervals from
the bootstrap standard error: :func:`outcomes.study.estimates.bootstrap_interval`). The
reference distributions of ``match:best_quartile`` and ``match:national`` are
recomputed in each replicate. All replicates equal (a policy that moves no one) give
no interval, never a zero-width one.

**Cost.** One fit per replicate serves every policy: the cause-specific models are
fitted once, the linear predictor of each policy and order is the fitted one plus the
change in the duration and order terms, and the cumulative incidences of every child
under every order come from one vectorised pass per policy
(:meth:`~outcomes.survival.CauseSpecificCox.cumulative_incidence_from_scores`); the
order model is fitted on factor codes (:mod:`outcomes.policy._order_model`).

References
----------
Haneuse, S. and Rotnitzky, A. (2013). Estimation of the effect of interventions that
modify the received treatment. *Statistics in Medicine* 32(30), 5260-5277.

Díaz, I., Williams, N., Hoffman, K. L. and Schenck, E. J. (2023). Nonparametric causal
effects based on longitudinal modified treatment policies. *Journal of the American
Statistical Association* 118(542), 846-857.

Young, J. G., Stensrud, M. J., Tchetgen Tchetgen, E. J. and Hernán, M. A. (2020). A
causal framework for classical statistical estimands in failure-time settings with
competing events. *Statistics in Medicine* 39(8), 1199-1236.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from threadpoolctl import threadpool_limits

from outcomes.causal import PositivityWarning
from outcomes.cohort import Cohort
from outcomes.errors import FollowUpWarning, OutcomesError, OutcomesWarning
from outcomes.policy._order_model import MultinomialFit, fit_multinomial
from outcomes.policy.policies import DURATION, MatchDistribution, Policy, as_policy
from outcomes.schema import FINAL_ORDERS
from outcomes.study import estimates as est
from outcomes.study.frame import (
    AREA,
    CATEGORICAL_CONFOUNDERS,
    analysis_frame,
    pool_eventless_levels,
)
from outcomes.study.mediation import MEDIATOR, modelable_levels, pooled_orders
from outcomes.study.methods import cluster_bootstrap, formula
from outcomes.survival import CauseSpecificCox, natural_spline_basis

__all__ = ["COLUMNS", "DurationPolicyEffect"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

METHOD = "g_formula"
COLUMNS = [
    "method",
    "policy",
    "estimand",
    "arm",
    "contrast",
    "horizon_years",
    "estimate",
    "std_error",
    "ci_lower",
    "ci_upper",
    "p_value",
]
"""The tidy layout of :meth:`DurationPolicyEffect.estimate`."""
NATURAL = "natural"
ORIGIN = "policy_model_area"
"""A copy of the area taken before resampling: the order model's area factor keeps
the full data's levels in every replicate (so that it can start from the full fit)."""
WEIGHT = "policy_bootstrap_copies"
"""The frequency weight of a resample's distinct rows: how often its cluster was drawn."""


class DurationBasis:
    """The duration terms: a natural cubic spline of weeks and threshold indicators.

    Parameters
    ----------
    df : int
        Degrees of freedom of the spline (:func:`~outcomes.survival.natural_spline_term`).
    thresholds : sequence of float
        Weeks :math:`T`; each adds the column :math:`1\\{D \\le T\\}` (compared in days, as
        the cohort's exposure is).
    """

    def __init__(self, df: int, thresholds: Sequence[float]) -> None:
        self.df = df
        self.thresholds = tuple(float(t) for t in thresholds)
        self.names = [f"duration_spline_{j + 1}" for j in range(df)] + [
            f"duration_within_{t:g}".replace(".", "_") for t in self.thresholds
        ]

    def fit(self, weeks: FloatArray) -> DurationBasis:
        """Place the spline's knots at the quantiles of ``weeks``."""
        self.state_: dict[str, Any] = {}
        natural_spline_basis(weeks, self.df, self.state_)
        return self

    def transform(self, weeks: FloatArray) -> FloatArray:
        """The basis columns at ``weeks``, shape (n, len(names))."""
        # durations are whole days, a few hundred distinct values among thousands of
        # cases: the spline is evaluated once per value
        values, inverse = np.unique(weeks, return_inverse=True)
        spline = natural_spline_basis(values, self.df, dict(self.state_))[inverse]
        steps = [(weeks * 7 <= t * 7).astype(np.float64)[:, None] for t in self.thresholds]
        return np.hstack([spline, *steps])


@dataclasses.dataclass
class _Models:
    """Everything one fit gives the prediction step."""

    basis: DurationBasis
    outcome: CauseSpecificCox
    order: MultinomialFit
    levels: list[str]
    factor_levels: list[list[str]]

    def start(self) -> _Start:
        """Where a bootstrap replicate's fits start."""
        outcome = {k: f.params_ for k, f in self.outcome.fitters_.items()}
        return _Start(outcome, self.order, self.factor_levels)


@dataclasses.dataclass
class _Start:
    """A replicate's starting point: the full data's coefficients (and the order
    model's scaling and factor levels), without the fitted models' arrays."""

    outcome: dict[int, pd.Series]
    order: MultinomialFit
    factor_levels: list[list[str]]


class DurationPolicyEffect:
    """What would the risk of return to court be under a duration policy?

    The g-formula of the module docstring, with the study's confounders, area handling
    and bootstrap.

    Parameters
    ----------
    spline_df : int, default 4
        Degrees of freedom of the natural spline of weeks.
    thresholds : sequence of float, default (26,)
        Weeks at which the duration terms may step (see the module docstring);
        ``()`` for the spline alone.
    n_boot : int, default 200
        Bootstrap replicates.
    seed : int, default 0
        Seeds the bootstrap.
    alpha : float, default 0.05
    n_jobs : int, default 1
        Worker processes for the replicates (same result for a seed whatever it is).
    positivity_tolerance : float, default 0.05
        A :class:`~outcomes.causal.PositivityWarning` is issued when a policy moves more
        than this share of the cases outside the durations observed in their area or
        in their case-mix stratum (:meth:`positivity`); the counts are reported in
        ``diagnostics_["positivity"]`` whatever they are. Small areas have narrow
        observed ranges, so a cap at 26 weeks moves a percent or so of cases below the
        shortest duration of an area whose every case took longer: ordinary, and not
        what moves a cohort average. A twentieth of the cohort outside the data is
        where the average starts to lean on the models' extrapolation; ``0`` warns for
        any case.

    Attributes
    ----------
    data_ : DataFrame
        The analysed rows (complete confounders, a modelable order).
    confounders_ : list of str
    levels_ : list of str
        The orders modelled (rare ones pooled into ``other``).
    diagnostics_ : dict
        Rows and confounders, the inference rule, and after :meth:`estimate` the
        positivity table and the bootstrap's replicates.
    point_, replicates_ : ndarray
        After :meth:`estimate`: the estimates behind its table, shape (1 + P, 2H + 1),
        and the same for each bootstrap replicate, shape (B, 1 + P, 2H + 1) -- per
        scenario (the natural course, then each policy), the risk at each horizon, the
        risk with the order held at the natural course's, and the mean weeks. Anything
        derived from these (a cost, say) gets its interval from the same replicates.

    Examples
    --------
    >>> effect = DurationPolicyEffect(n_boot=50).fit(cohort)  # doctest: +SKIP
    >>> effect.estimate(["cap:26", "shift:-4", "match:best_quartile"])  # doctest: +SKIP
    """

    def __init__(
        self,
        spline_df: int = 4,
        thresholds: Sequence[float] = (26.0,),
        n_boot: int = 200,
        seed: int = 0,
        alpha: float = 0.05,
        n_jobs: int = 1,
        positivity_tolerance: float = 0.05,
    ) -> None:
        self.spline_df = spline_df
        self.thresholds = thresholds
        self.n_boot = n_boot
        self.seed = seed
        self.alpha = alpha
        self.n_jobs = n_jobs
        self.positivity_tolerance = positivity_tolerance

    # ------------------------------------------------------------------ fit
    def fit(
        self,
        data: Cohort | pd.DataFrame,
        duration_col: str = "time",
        event_col: str = "event",
        *,
        exposure_col: str = DURATION,
        confounders: list[str] | None = None,
        mediator: str = MEDIATOR,
        cluster_col: str = AREA,
    ) -> DurationPolicyEffect:
        """Fit the order and outcome models to a child-return cohort.

        Parameters
        ----------
        data : Cohort or DataFrame
            A ``child_return`` cohort (:func:`outcomes.cohort.build_cohort`) or its rows:
            follow-up in years, event codes (0 censored, 1 return, 2.. competing), the
            duration in weeks, the order, ``la_code`` and the confounders.
        duration_col, event_col : str
            Follow-up (years since disposal) and event columns.
        exposure_col : str, default "duration_weeks"
            The duration of proceedings in weeks.
        confounders : list of str, optional
            As the study's (:class:`~outcomes.study.RushedDisposalStudy`): by default
            child and mother age, issue period, sibling group size and the manifest's
            covariates; the area enters every model besides.
        mediator : str, default "final_order"
            The order made. Rows without a recorded order are left out (counted in
            ``diagnostics_``); orders too rare to model are pooled as the study pools
            them.
        cluster_col : str, default "la_code"
            The clusters of the bootstrap.

        Returns
        -------
        self
        """
        if not isinstance(self.spline_df, int) or self.spline_df < 1:
            raise OutcomesError(f"spline_df must be a positive integer, got {self.spline_df!r}")
        if not all(math.isfinite(float(t)) and float(t) > 0 for t in self.thresholds):
            raise OutcomesError(f"thresholds must be positive weeks, got {self.thresholds!r}")
        if self.n_boot < 2:
            raise OutcomesError(f"n_boot must be at least 2, got {self.n_boot}")
        cohort = _as_cohort(data, duration_col, event_col, exposure_col)
        af = analysis_frame(
            cohort,
            outcome="child_return",
            threshold_weeks=26.0,
            confounders=confounders,
            cluster=cluster_col,
        )
        if mediator not in af.data.columns:
            raise OutcomesError(f"mediator column {mediator!r} is not in the cohort")
        values = af.data[mediator]
        recorded = values.notna().to_numpy()
        if mediator == MEDIATOR:
            recorded &= values.isin(FINAL_ORDERS).to_numpy()
        data_ = af.data.loc[recorded]
        levels = modelable_levels(data_, mediator)
        if len(levels) < 1:
            raise OutcomesError(
                f"no level of {mediator} has enough returns to court and other exits to be "
                "modelled"
            )
        pooled = pooled_orders(data_, levels, mediator)
        modelled = pooled[mediator].isin(levels).to_numpy()
        frame = pooled.loc[modelled].reset_index(drop=True)
        if (frame["event"] == 1).sum() < 1:
            raise OutcomesError("no return to court among the analysed children")
        frame[ORIGIN] = frame[AREA].astype(str)
        self.af_ = dataclasses.replace(af, data=frame)
        self.data_ = frame
        self.confounders_ = af.confounders
        self.mediator_ = mediator
        self.levels_ = levels
        self.interval_ = est.bootstrap_interval(self.af_)
        self.diagnostics_: dict[str, Any] = {
            "rows_analysed": len(frame),
            "rows_without_recorded_order": int((~recorded).sum()),
            "rows_in_orders_too_rare_to_model": int((~modelled).sum()),
            "orders": levels,
            "confounders": af.report,
            "inference": {
                **self.af_.inference.describe(af.cluster),
                "interval": est.INTERVAL_WORDS[self.interval_],
            },
        }
        with threadpool_limits(limits=1, user_api="blas"):
            self.models_ = self._fit_models(frame, None)
        return self

    def _fit_models(
        self, frame: pd.DataFrame, start: _Start | None, weights: IntArray | None = None
    ) -> _Models:
        """The duration basis, the cause-specific models and the order model; a row
        of frequency weight k counts as k copies of it (see :meth:`estimate`)."""
        area = self.af_.area
        mediator = self.mediator_
        weeks = frame[DURATION].to_numpy(dtype=np.float64)
        # the knots at the quantiles of the copies' durations
        basis = DurationBasis(self.spline_df, self.thresholds).fit(
            weeks if weights is None else np.repeat(weeks, weights)
        )
        B = basis.transform(weeks)
        hazard_frame, _ = pool_eventless_levels(frame, self.confounders_)
        rhs = formula(self.confounders_, hazard_frame, exposure=False)
        terms = [*basis.names, f"C({mediator})"] + ([] if rhs == "0" else [rhs])
        missing = sorted(set(self.levels_) - set(frame[mediator].astype(str)))
        if missing:
            raise OutcomesError(f"orders absent from these rows: {', '.join(missing)}")
        columns = dict(zip(basis.names, B.T, strict=True))
        if weights is not None:
            columns[WEIGHT] = weights
        # the models' columns only: a copy of every cohort column would cost more
        used = ["years", mediator, *self.confounders_] + ([] if area is None else [area])
        outcome = CauseSpecificCox().fit(
            hazard_frame[used].assign(**columns, event=np.minimum(frame["event"].to_numpy(), 2)),
            "years",
            "event",
            formula=" + ".join(terms),
            strata=area,
            weights_col=None if weights is None else WEIGHT,
            # a replicate starts from the full data's fit, a few steps from its own
            initial_point=None if start is None else start.outcome,
        )
        factor_columns = self._factor_columns(frame)
        if start is None:
            factor_levels = [sorted(frame[c].astype(str).unique()) for c in factor_columns]
        else:
            factor_levels = start.factor_levels
        dense = np.hstack([B, self._numeric(frame)])
        codes = [_codes(frame[c], lv) for c, lv in zip(factor_columns, factor_levels, strict=True)]
        y = _codes(frame[mediator], self.levels_)
        order = fit_multinomial(
            dense,
            codes,
            [len(lv) for lv in factor_levels],
            y,
            len(self.levels_),
            start=None if start is None else start.order,
            weights=weights,
        )
        return _Models(basis, outcome, order, self.levels_, factor_levels)

    def _copies_are_weights(self, frame: pd.DataFrame) -> bool:
        """Whether a bootstrap resample can be fitted as its distinct rows with
        frequency weights (:func:`~outcomes.study.methods.cluster_bootstrap`) rather
        than as copies, to the same estimates.

        It can when whole clusters are resampled and every local authority -- a
        stratum of the hazard models -- lies in one cluster: the copies of a cluster
        are then copies of whole strata, and k copies of a stratum contribute k times
        its partial likelihood, exactly what weight k on its rows does (Breslow or
        Efron: the weights within a stratum are equal); the order model and the
        spline's knots see the copies through the weights, and the policies are
        applied to the copies (:meth:`~outcomes.policy.Policy.durations`). A family
        bootstrap, whose copies share their authority's stratum and tie with each
        other there, is fitted on the copies.
        """
        inference = self.af_.inference
        if inference.resample_within is not None or inference.resample != self.af_.cluster:
            return False
        if self.af_.area is None or self.af_.cluster == self.af_.area:
            return True
        return bool(frame.groupby(self.af_.area)[self.af_.cluster].nunique().max() == 1)

    def _factor_columns(self, frame: pd.DataFrame) -> list[str]:
        categorical = [c for c in self.confounders_ if _is_categorical(frame, c)]
        return categorical + ([ORIGIN] if self.af_.area is not None else [])

    def _numeric(self, frame: pd.DataFrame) -> FloatArray:
        numeric = [c for c in self.confounders_ if not _is_categorical(frame, c)]
        return frame[numeric].to_numpy(dtype=np.float64).reshape(len(frame), len(numeric))

    # ------------------------------------------------------------- estimate
    def estimate(
        self,
        policies: Sequence[Policy | str | Callable[[pd.DataFrame], Any]],
        horizons: Sequence[float] = (1, 2, 5),
    ) -> pd.DataFrame:
        """Risks under each policy and the natural course, their contrasts and the split
        through the order made, with bootstrap intervals.

        Parameters
        ----------
        policies : sequence
            Policies, spec strings (:func:`~outcomes.policy.parse_policy`) or functions of
            the analysis frame returning new durations in weeks.
        horizons : sequence of float, default (1, 2, 5)
            Years after disposal.

        Returns
        -------
        DataFrame
            :data:`COLUMNS`: one row per policy, estimand and horizon. ``estimand`` is
            ``policy_risk`` (``arm`` the policy's spec, or ``natural``),
            ``policy_risk_difference``, ``policy_risk_ratio``, ``policy_direct``,
            ``policy_through_order`` (``contrast`` the spec: policy vs natural course),
            and, without a horizon, ``mean_weeks`` (per ``arm``) and
            ``mean_weeks_difference``. ``attrs`` holds ``alpha``, ``interval`` and each
            policy's ``labels``.

        Warns
        -----
        PositivityWarning
            When a policy moves cases outside the durations observed in their area or
            their case-mix stratum (``diagnostics_["positivity"]``).
        """
        if not hasattr(self, "models_"):
            raise OutcomesError("call fit() before estimate()")
        # The models' arrays are small (thousands of rows by tens of columns), where
        # multithreaded BLAS costs more in coordination than it saves: on a busy
        # two-core machine a (7564 x 11) @ (11 x 10) product took 19 ms with two
        # threads and 0.4 ms with one.
        with threadpool_limits(limits=1, user_api="blas"):
            return self._estimate(policies, horizons)

    def _estimate(
        self,
        policies: Sequence[Policy | str | Callable[[pd.DataFrame], Any]],
        horizons: Sequence[float],
    ) -> pd.DataFrame:
        chosen = [as_policy(p) for p in policies]
        if not chosen:
            raise OutcomesError("no policy given")
        specs = [p.spec for p in chosen]
        repeated = sorted({s for s in specs if specs.count(s) > 1})
        if repeated:
            raise OutcomesError(f"policies given twice: {', '.join(repeated)}")
        hs = tuple(float(h) for h in horizons)
        if not hs or not all(math.isfinite(h) and h > 0 for h in hs):
            raise OutcomesError(f"horizons must be positive, finite years, got {tuple(horizons)}")
        frame = self.data_
        chosen = [p.fixed(frame) if isinstance(p, MatchDistribution) else p for p in chosen]
        self.diagnostics_["positivity"] = self._positivity(frame, chosen)
        point = self._evaluate(frame, self.models_, chosen, hs)
        rng = np.random.default_rng(self.seed)
        start = self.models_.start()
        # What the workers are sent with every block of replicates: the estimator
        # without its fitted models (megabytes of arrays a replicate does not use).
        worker = copy.copy(self)
        del worker.models_

        def replicate(sample: pd.DataFrame) -> FloatArray:
            with warnings.catch_warnings(), threadpool_limits(limits=1, user_api="blas"):
                # As in the study's bootstrap: a resample in which a level has no events
                # of a cause fits a very large coefficient whose risks are the limit
                # (warned about, and harmless); overflow on the way there is the same;
                # follow-up and positivity are reported for the full data only.
                warnings.filterwarnings(
                    "ignore", "Newton-Raphson did not converge", OutcomesWarning
                )
                warnings.simplefilter("ignore", RuntimeWarning)
                warnings.simplefilter("ignore", FollowUpWarning)
                warnings.simplefilter("ignore", PositivityWarning)
                weights = sample.pop(WEIGHT).to_numpy() if WEIGHT in sample else None
                models = worker._fit_models(sample, start, weights)
                return worker._evaluate(sample, models, chosen, hs, weights)

        inference = self.af_.inference
        boot = cluster_bootstrap(
            frame,
            replicate,
            self.n_boot,
            rng,
            n_jobs=self.n_jobs,
            cluster=inference.resample,
            within=inference.resample_within,
            frequency_weights=WEIGHT if self._copies_are_weights(frame) else None,
        )
        self.diagnostics_["bootstrap"] = {
            "replicates": int(len(boot)),
            "requested": self.n_boot,
            "unit": "family" if inference.resample != self.af_.cluster else self.af_.cluster,
        }
        if len(boot) == 0:
            boot = np.full((0, *point.shape), np.nan)
        # kept for what is computed from the same replicates (e.g. costs' intervals)
        self.point_, self.replicates_ = point, boot
        table = self._rows(chosen, hs, point, boot)
        table.attrs.update(
            alpha=self.alpha,
            interval=self.interval_,
            labels={p.spec: p.label for p in chosen},
        )
        self.estimates_ = table
        return table

    def _evaluate(
        self,
        frame: pd.DataFrame,
        models: _Models,
        policies: list[Policy],
        horizons: tuple[float, ...],
        weights: IntArray | None = None,
    ) -> FloatArray:
        """Per scenario (natural course, then each policy): the risk at each horizon,
        the risk with order probabilities held at the observed durations, and the mean
        weeks; shape (1 + P, 2H + 1). A row of frequency weight k counts k times."""
        natural = frame[DURATION].to_numpy(dtype=np.float64)
        scenarios = [natural] + [_new_durations(p, frame, weights) for p in policies]
        n, H = len(frame), len(horizons)
        w = np.ones(n) if weights is None else weights.astype(np.float64)
        total = w.sum()
        M = len(models.levels)
        mediator = self.mediator_
        basis = models.basis
        B_obs = basis.transform(natural)
        cox = models.outcome
        first = next(iter(cox.fitters_.values()))
        # the models were fitted on these rows: their design is the fitted one
        design, stratum_codes = first.fitted_design()
        observed_order = _codes(frame[mediator], models.levels)
        # each order's terms: the order's columns of a row that has it (every order
        # modelled has rows, or the fit would have refused)
        order_columns = first.params_.index.get_indexer(
            pd.Index(first.term_columns(f"C({mediator})"))
        )
        with_order = design[np.argmax(observed_order[None, :] == np.arange(M)[:, None], axis=1)]
        base, duration_coef, order_terms = {}, {}, {}
        for k, fitter in cox.fitters_.items():
            beta = fitter.params_.to_numpy()
            gamma = with_order[:, order_columns] @ beta[order_columns]
            duration_coef[k] = fitter.params_.loc[basis.names].to_numpy()
            order_terms[k] = gamma
            base[k] = design @ beta - B_obs @ duration_coef[k] - gamma[observed_order]
        factor_codes = [
            _codes(frame[c], lv)
            for c, lv in zip(self._factor_columns(frame), models.factor_levels, strict=True)
        ]
        numeric = self._numeric(frame)

        def incidence(rows: IntArray, weeks: FloatArray) -> tuple[FloatArray, FloatArray]:
            """F_1(h | weeks, m, X_i), shape (H, M, r), and P(m | weeks, X_i), (r, M), for
            the r rows ``rows`` at durations ``weeks``."""
            B = B_obs if rows.size == n else basis.transform(weeks)
            scores = {
                k: np.concatenate(
                    [base[k][rows] + B @ duration_coef[k] + order_terms[k][m] for m in range(M)]
                )
                for k in cox.fitters_
            }
            strata = np.tile(stratum_codes[rows], M)
            _, F = cox.cumulative_incidence_from_scores(scores, strata, horizons, cause=1)
            codes = [c[rows] for c in factor_codes]
            prob = models.order.probabilities(np.hstack([B, numeric[rows]]), codes)
            return np.asarray(F.reshape(H, M, rows.size), dtype=np.float64), prob

        F_nat, P_nat = incidence(np.arange(n), natural)
        risk_nat = np.einsum("hmn,nm,n->h", F_nat, P_nat, w) / total
        out = np.empty((len(scenarios), 2 * H + 1))
        out[0] = np.r_[risk_nat, risk_nat, w @ natural / total]
        for s, weeks in enumerate(scenarios[1:], start=1):
            # the rows a policy leaves alone keep their natural course: only the moved
            # ones are worked out (a cap moves about half the cases; a policy that
            # moves none gives the natural course to the last digit)
            moved = np.flatnonzero(weeks != natural)
            F, P = F_nat.copy(), P_nat.copy()
            if moved.size:
                F[:, :, moved], P[moved] = incidence(moved, weeks[moved])
            risk = np.einsum("hmn,nm,n->h", F, P, w) / total
            held = np.einsum("hmn,nm,n->h", F, P_nat, w) / total
            out[s] = np.r_[risk, held, w @ weeks / total]
        return out

    def positivity(
        self, policies: Sequence[Policy | str | Callable[[pd.DataFrame], Any]]
    ) -> pd.DataFrame:
        """Cases each policy moves outside the durations seen in their area or stratum.

        The **case-mix stratum** of a case is its cell of the categorical and binary
        confounders (by default the issue period crossed with the recorded 0/1 case-mix
        indicators); with none, the whole cohort. A case moved to a duration below the
        shortest, or above the longest, observed in its area (or stratum) is outside
        it: its risk there is the models' extrapolation. :meth:`estimate` runs this
        check and keeps its table in ``diagnostics_["positivity"]``.

        Returns
        -------
        DataFrame
            Per policy: ``moved`` (cases whose duration changes), ``outside_area``,
            ``outside_stratum`` and their shares of the analysed cases.

        Warns
        -----
        PositivityWarning
            Naming the policy, when either share exceeds ``positivity_tolerance``.
        """
        if not hasattr(self, "models_"):
            raise OutcomesError("call fit() before positivity()")
        chosen = [as_policy(p) for p in policies]
        chosen = [p.fixed(self.data_) if isinstance(p, MatchDistribution) else p for p in chosen]
        return self._positivity(self.data_, chosen)

    def _positivity(self, frame: pd.DataFrame, policies: list[Policy]) -> pd.DataFrame:
        """:meth:`positivity` on ``frame``, for policies already made."""
        weeks = frame[DURATION].to_numpy(dtype=np.float64)
        cells = [c for c in self.confounders_ if _is_categorical(frame, c) or _binary(frame, c)]
        stratum = (
            frame[cells].astype(str).agg("|".join, axis=1).to_numpy()
            if cells
            else np.zeros(len(frame), dtype=np.int64)
        )
        groups = {"area": frame[AREA].astype(str).to_numpy(), "stratum": stratum}
        ranges = {}
        for name, group in groups.items():
            by_group = pd.Series(weeks).groupby(group)
            ranges[f"{name}_min"] = by_group.transform("min").to_numpy()
            ranges[f"{name}_max"] = by_group.transform("max").to_numpy()
        rows = []
        for policy in policies:
            new = _new_durations(policy, frame)
            moved = new != weeks
            outside = {
                name: moved & ((new < ranges[f"{name}_min"]) | (new > ranges[f"{name}_max"]))
                for name in groups
            }
            counts = {name: int(flags.sum()) for name, flags in outside.items()}
            shares = {name: float(flags.mean()) for name, flags in outside.items()}
            rows.append(
                {
                    "policy": policy.spec,
                    "moved": int(moved.sum()),
                    "outside_area": counts["area"],
                    "outside_stratum": counts["stratum"],
                    "share_outside_area": shares["area"],
                    "share_outside_stratum": shares["stratum"],
                }
            )
            if max(shares.values()) > self.positivity_tolerance:
                warnings.warn(
                    f"policy {policy.spec} moves {counts['area']:,} of {len(frame):,} "
                    f"cases ({100 * shares['area']:.1f}%) outside the range of durations "
                    f"observed in their area and {counts['stratum']:,} "
                    f"({100 * shares['stratum']:.1f}%) outside that of their case-mix "
                    f"stratum ({', '.join(cells) or 'the whole cohort'}): their risks "
                    "there rest on the models' extrapolation",
                    PositivityWarning,
                    stacklevel=4,
                )
        return pd.DataFrame(rows)

    def _rows(
        self,
        policies: list[Policy],
        horizons: tuple[float, ...],
        point: FloatArray,
        boot: FloatArray,
    ) -> pd.DataFrame:
        H = len(horizons)
        rows: list[dict[str, object]] = []

        def add(
            policy: str,
            estimand: str,
            arm: str,
            contrast: str,
            h: float,
            value: float,
            draws: FloatArray,
            scale: est.BootstrapScale,
        ) -> None:
            r = est.bootstrap_row(
                METHOD, estimand, contrast, h, value, draws, self.alpha, self.interval_, scale
            )
            rows.append({**r, "policy": policy, "arm": arm})

        for j, h in enumerate(horizons):
            add(NATURAL, "policy_risk", NATURAL, "", h, point[0, j], boot[:, 0, j], "risk")
        add(NATURAL, "mean_weeks", NATURAL, "", np.nan, point[0, -1], boot[:, 0, -1], "mean")
        for s, policy in enumerate(policies, start=1):
            spec = policy.spec
            for j, h in enumerate(horizons):
                risk, held, nat = point[s, j], point[s, H + j], point[0, j]
                b_risk, b_held, b_nat = boot[:, s, j], boot[:, s, H + j], boot[:, 0, j]
                difference, direct = risk - nat, held - nat
                b_difference, b_direct = b_risk - b_nat, b_held - b_nat
                add(spec, "policy_risk", spec, "", h, risk, b_risk, "risk")
                add(
                    spec,
                    "policy_risk_difference",
                    "",
                    spec,
                    h,
                    difference,
                    b_difference,
                    "difference",
                )
                with np.errstate(divide="ignore", invalid="ignore"):
                    ratio = risk / nat if nat > 0 else np.nan
                    b_ratio = b_risk / np.where(b_nat > 0, b_nat, np.nan)
                add(spec, "policy_risk_ratio", "", spec, h, ratio, b_ratio, "ratio")
                add(spec, "policy_direct", "", spec, h, direct, b_direct, "difference")
                add(
                    spec,
                    "policy_through_order",
                    "",
                    spec,
                    h,
                    difference - direct,
                    b_difference - b_direct,
                    "difference",
                )
            add(spec, "mean_weeks", spec, "", np.nan, point[s, -1], boot[:, s, -1], "mean")
            add(
                spec,
                "mean_weeks_difference",
                "",
                spec,
                np.nan,
                point[s, -1] - point[0, -1],
                boot[:, s, -1] - boot[:, 0, -1],
                "difference",
            )
        return pd.DataFrame(rows, columns=COLUMNS)


def _as_cohort(
    data: Cohort | pd.DataFrame, duration_col: str, event_col: str, exposure_col: str
) -> Cohort:
    """The data as a cohort whose columns have the names the analysis frame reads."""
    rows = data.data if isinstance(data, Cohort) else data
    if not isinstance(rows, pd.DataFrame):
        raise OutcomesError("fit() needs a Cohort or a DataFrame of cohort rows")
    wanted = {duration_col: "time", event_col: "event", exposure_col: DURATION}
    absent = [c for c in wanted if c not in rows.columns]
    if absent:
        raise OutcomesError(f"columns not found: {', '.join(absent)}")
    renamed = rows.drop(
        columns=[v for k, v in wanted.items() if k != v and v in rows.columns]
    ).rename(columns=wanted)
    if isinstance(data, Cohort):
        return dataclasses.replace(data, data=renamed)
    return Cohort(
        data=renamed,
        flow=pd.DataFrame(),
        definition=None,  # type: ignore[arg-type]  # the frame reads only data and covariates
        covariates=[],
        later_issues=pd.DataFrame(),
    )


def _new_durations(
    policy: Policy, frame: pd.DataFrame, weights: IntArray | None = None
) -> FloatArray:
    new = policy.durations(frame, weights)
    if new.shape != (len(frame),) or not np.all(np.isfinite(new)) or np.any(new <= 0):
        raise OutcomesError(
            f"policy {policy.spec} gave durations that are not positive, finite weeks"
        )
    return new


def _is_categorical(frame: pd.DataFrame, column: str) -> bool:
    return column in CATEGORICAL_CONFOUNDERS or not pd.api.types.is_numeric_dtype(frame[column])


def _binary(frame: pd.DataFrame, column: str) -> bool:
    return frame[column].nunique(dropna=False) <= 2


def _codes(values: pd.Series, levels: list[str]) -> NDArray[np.intp]:
    codes = pd.Categorical(values, categories=levels).codes.astype(np.intp)
    if np.any(codes < 0):
        # values that are not text yet (numbers, say) are matched as their text
        codes = pd.Categorical(values.astype(str), categories=levels).codes.astype(np.intp)
    if np.any(codes < 0):
        raise OutcomesError("a level was not seen when the model was fitted")
    return codes

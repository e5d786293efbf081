"""RushedDisposalStudy: the evaluator's pre-specified analysis."""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.base import ClassifierMixin
from tqdm.auto import tqdm

from outcomes.causal import (
    PositivityWarning,
    e_values,
    positivity,
    standardised_differences,
    weight_summary,
)
from outcomes.cohort import Cohort
from outcomes.errors import (
    DegenerateCovariateWarning,
    FewClustersWarning,
    OutcomesError,
    OutcomesWarning,
)
from outcomes.schema import FINAL_ORDERS, Dataset
from outcomes.study import estimates as est
from outcomes.study import methods
from outcomes.study.figures import study_figures
from outcomes.study.frame import AREA, AnalysisFrame, analysis_frame
from outcomes.study.mediation import (
    MAX_MEDIATOR_LEVELS,
    MEDIATOR,
    mediation_risks,
    modelable_levels,
    pooled_orders,
)
from outcomes.study.result import PRIMARY_METHOD, StudyResult

SENSITIVITY_THRESHOLDS = (20, 26, 32)
EXCLUDED_ORDERS = ("withdrawn", "no_order")
PSEUDO_METHOD = "pseudo_value_regression"
"""The method name of the pseudo-value regression's rows and diagnostics."""
MIN_RETURNS_PER_ARM = 3
"""Fewer returns to court than this in either arm leave nothing to estimate: the
study stops with an error saying so."""


class RushedDisposalStudy:
    """Does disposal within the statutory limit change the risk of returning to court?

    The pre-specified plan (``docs/study.md``): the primary estimand is
    the marginal risk difference (and ratio) of return to court within each horizon,
    disposal within ``threshold_weeks`` vs later, with adoption, death and ageing out as
    competing events. It is estimated by inverse-probability-weighted Aalen-Johansen
    (primary) and by g-computation from cause-specific Cox models (secondary), both
    with cluster-bootstrap intervals by local authority, and by regression on
    pseudo-observations (``pseudo_value_regression``: standardised risks with sandwich
    intervals clustered by local authority; see
    :func:`outcomes.study.methods.pseudo_value_risks`); with the crude comparison, the
    adjusted cause-specific and subdistribution hazard ratios, E-values and sensitivity
    analyses alongside. See :mod:`outcomes.study.methods` for how the area enters each
    model.

    Parameters
    ----------
    data : Dataset or Cohort
        A validated dataset (a ``child_return`` cohort is built from it) or a cohort.
    threshold_weeks : float, default 26
    outcome : {"child_return"}
    horizons : tuple of float, default (1, 2, 5)
        Years after disposal; the second (2 years) is the primary horizon when present.
    confounders : list of str, optional
        Default: child age at issue, issue year, sibling group size, mother's age (when
        recorded well enough) and the manifest's covariates; the area (``la_code``)
        enters as described in :mod:`outcomes.study.methods` when there is more than
        one local authority. Absent default columns are reported in
        ``diagnostics["confounders"]``, not fatal; a column named here that is not in
        the data is an error. Constant, too incomplete and exactly collinear
        confounders are dropped before fitting and reported there with the reason
        (:func:`outcomes.study.frame.screen_confounders`).
    mediator : str, default "final_order"
        Categorical column through which the mediation rows split the effect; rows
        where it is not recorded (for the final order: missing or outside the
        vocabulary) are left out of the mediation analysis only, and counted in
        ``diagnostics["mediation"]``.
    cluster : str, default "la_code"
        Clusters for the robust standard errors of the hazard models and for the
        bootstrap. The local authority also enters every model as a confounder
        whatever the clusters are; a coarser unit (``dfj_area``) allows for
        correlation between neighbouring authorities. With one cluster the hazard
        models' variance is robust by family instead; with fewer than
        :data:`~outcomes.study.frame.MIN_BOOTSTRAP_CLUSTERS` the bootstrap resamples
        families within each local authority (:class:`~outcomes.study.frame.Inference`;
        what was used is in ``diagnostics["inference"]`` and the report), and the
        intervals of the marginal risks are normal intervals from the bootstrap
        standard error rather than percentile intervals
        (:func:`~outcomes.study.estimates.bootstrap_interval`).
    propensity_model : scikit-learn classifier, optional
        Replaces the default ridge-penalised logistic regression.
    n_boot : int, default 200
        Bootstrap replicates for the marginal risks.
    trim : (float, float) or None, default (1, 99)
        Percentiles at which the weights are capped.
    sensitivity : bool, default True
        Run the sensitivity analyses (thresholds 20/26/32, excluding withdrawn and
        no-order cases), each with ``max(20, n_boot // 4)`` bootstrap replicates.
    mediation : bool, default True
        Estimate the natural direct and indirect effects through the final order and
        the controlled direct effect of each order (:mod:`outcomes.study.mediation`).
        Skipped, with the reason in ``diagnostics["mediation"]["skipped"]``, when fewer
        than two levels of the mediator have enough events to be modelled.
    mediation_boot : int, optional
        Bootstrap replicates for the mediation effects; by default
        ``max(20, n_boot // 4)``, because each replicate refits the outcome and order
        models. Their intervals are normal intervals from the bootstrap standard error
        (:func:`outcomes.study.estimates.bootstrap_effects`).
    seed : int, default 0
    progress : bool, default False
        Show a progress bar over the bootstrap.
    n_jobs : int, default 1
        Worker processes for the bootstrap replicates; the result is the same for a
        given seed whatever the number.
    alpha : float, default 0.05

    References
    ----------
    Hernán, M. A. and Robins, J. M. (2020). *Causal Inference: What If*. Chapman &
    Hall/CRC. Young, J. G., Stensrud, M. J., Tchetgen Tchetgen, E. J. and Hernán, M. A.
    (2020). A causal framework for classical statistical estimands in failure-time
    settings with competing events. *Statistics in Medicine* 39(8), 1199-1236.
    """

    def __init__(
        self,
        data: Dataset | Cohort,
        threshold_weeks: float = 26,
        outcome: str = "child_return",
        horizons: Sequence[float] = (1, 2, 5),
        confounders: list[str] | None = None,
        mediator: str = "final_order",
        cluster: str = AREA,
        propensity_model: ClassifierMixin | None = None,
        n_boot: int = 200,
        trim: tuple[float, float] | None = (1, 99),
        sensitivity: bool = True,
        mediation: bool = True,
        mediation_boot: int | None = None,
        seed: int = 0,
        progress: bool = False,
        alpha: float = 0.05,
        n_jobs: int = 1,
    ) -> None:
        self.data = data
        self.threshold_weeks = threshold_weeks
        self.outcome = outcome
        self.horizons = horizons
        self.confounders = confounders
        self.mediator = mediator
        self.cluster = cluster
        self.propensity_model = propensity_model
        self.n_boot = n_boot
        self.trim = trim
        self.sensitivity = sensitivity
        self.mediation = mediation
        self.mediation_boot = mediation_boot
        self.seed = seed
        self.progress = progress
        self.alpha = alpha
        self.n_jobs = n_jobs

    def run(self) -> StudyResult:
        """Run every method; see the class docstring."""
        horizons, contrast, af = self._prepare()
        primary_horizon = 2.0 if 2.0 in horizons else horizons[0]
        # one independent stream each for IPTW, g-computation, sensitivity and mediation
        # (children 0-3 of the seed, whatever else is switched off)
        seeds = np.random.SeedSequence(self.seed).spawn(4)
        diagnostics: dict[str, Any] = {
            "confounders": af.report,
            "flow": af.cohort.flow,
            "rows_analysed": len(af.data),
            "inference": {
                **af.inference.describe(af.cluster),
                "interval": est.INTERVAL_WORDS[est.bootstrap_interval(af)],
            },
            "positivity_cells": empty_arm_cells(af),
        }
        rows: list[dict[str, object]] = []
        rows += self._crude(af, horizons, contrast)
        rows += self._hazards(af, contrast, diagnostics)
        rows += self._primary(af, horizons, contrast, seeds[0], diagnostics)
        interval = est.bootstrap_interval(af)
        point, boot = self._marginal(af, horizons, "gcomp", self.n_boot, seeds[1], diagnostics)
        rows += est.bootstrap_contrasts(
            "g_computation", contrast, horizons, point, boot, self.alpha, interval
        )
        rows += self._pseudo_values(af, horizons, contrast, diagnostics)
        if self.mediation:
            rows += self._mediation(af, horizons, contrast, seeds[3], diagnostics)
        else:
            diagnostics["mediation"] = {"skipped": "not requested (mediation=False)"}
        estimates = est.frame(rows)
        rows += self._evalues(estimates, primary_horizon)
        if self.sensitivity:
            rows += self._sensitivity(horizons, seeds[2], diagnostics)
        estimates = est.frame(rows)
        settings = {
            "threshold_weeks": self.threshold_weeks,
            "horizons": horizons,
            "primary_horizon": primary_horizon,
            "n_boot": self.n_boot,
            "mediation_boot": self.mediation_boot or max(20, self.n_boot // 4),
            "trim": self.trim,
            "seed": self.seed,
            "alpha": self.alpha,
            "confounders": af.confounders,
            "mediator": self.mediator,
            "cluster": af.cluster,
            "scenario": getattr(getattr(self.data, "manifest", None), "scenario", None),
            "data_seed": getattr(getattr(self.data, "manifest", None), "seed", None),
        }
        estimates.attrs["alpha"] = self.alpha
        result = StudyResult(estimates=estimates, diagnostics=diagnostics, settings=settings)
        result.figures = study_figures(result)
        return result

    def primary(self) -> pd.DataFrame:
        """Only the crude comparison and the primary analysis, as :meth:`run` makes them.

        The rows are those of ``run().estimates`` for ``crude_aalen_johansen`` and
        ``iptw_aalen_johansen``, equal to the last digit (the same data, models and
        random stream), at a fraction of the cost: no hazard models, g-computation,
        mediation or sensitivity analyses. For simulations of the primary analysis
        (power, coverage), where each world is analysed hundreds of times.
        """
        horizons, contrast, af = self._prepare()
        rows = self._crude(af, horizons, contrast)
        rows += self._primary(
            af, horizons, contrast, np.random.SeedSequence(self.seed).spawn(4)[0]
        )
        estimates = est.frame(rows)
        estimates.attrs["alpha"] = self.alpha
        return estimates

    # --- pieces -------------------------------------------------------------------------

    def _primary(
        self,
        af: AnalysisFrame,
        horizons: tuple[float, ...],
        contrast: str,
        seed: np.random.SeedSequence,
        diagnostics: dict[str, Any] | None = None,
    ) -> list[dict[str, object]]:
        point, boot = self._marginal(af, horizons, "iptw", self.n_boot, seed, diagnostics)
        return est.bootstrap_contrasts(
            PRIMARY_METHOD, contrast, horizons, point, boot, self.alpha, est.bootstrap_interval(af)
        )

    def _prepare(self) -> tuple[tuple[float, ...], str, AnalysisFrame]:
        """The checked horizons, the contrast's label and the analysis frame."""
        if self.outcome != "child_return":
            raise OutcomesError("the study is specified for outcome='child_return'")
        horizons = tuple(sorted(float(h) for h in self.horizons))
        if not horizons or self.n_boot < 2:
            raise OutcomesError("need at least one horizon and n_boot >= 2")
        if not all(math.isfinite(h) and h > 0 for h in horizons):
            raise OutcomesError(f"horizons must be positive, finite years, got {horizons}")
        af = self._frame(self.threshold_weeks)
        self._check_estimable(af, horizons)
        return horizons, f"within {self.threshold_weeks:g} weeks vs later", af

    def _frame(self, threshold: float) -> AnalysisFrame:
        af = analysis_frame(
            self.data,
            outcome=self.outcome,
            threshold_weeks=threshold,
            confounders=self.confounders,
            cluster=self.cluster,
        )
        if af.data["exposed"].nunique() < 2:
            raise OutcomesError(
                f"every child is on one side of {threshold:g} weeks: nothing to compare"
            )
        return af

    def _check_estimable(self, af: AnalysisFrame, horizons: tuple[float, ...]) -> None:
        """Stop with a clear error when the data cannot answer the question at all."""
        longest = float(af.data["years"].max())
        beyond = [h for h in horizons if h > longest]
        if beyond:
            raise OutcomesError(
                f"horizon(s) {', '.join(f'{h:g}' for h in beyond)} years are beyond the "
                f"longest follow-up in the data ({longest:.2f} years after disposal)"
            )
        returns = af.data.loc[af.data["event"] == 1, "exposed"]
        within, later = int((returns == 1).sum()), int((returns == 0).sum())
        if min(within, later) < MIN_RETURNS_PER_ARM:
            raise OutcomesError(
                f"too few returns to court to estimate anything: {within} after disposal "
                f"within {self.threshold_weeks:g} weeks and {later} after later disposal "
                f"among {len(af.data):,} children analysed (at least "
                f"{MIN_RETURNS_PER_ARM} in each arm are needed)"
            )

    def _crude(
        self, af: AnalysisFrame, horizons: tuple[float, ...], contrast: str
    ) -> list[dict[str, object]]:
        table = methods.crude_risks(af.data, horizons)
        rows = []
        for h in horizons:
            at = table.loc[table["time"] == h].set_index("group")
            risk = at["estimate"].astype(float).to_dict()
            var = at["variance"].astype(float).to_dict()
            rows += est.risk_contrasts(
                "crude_aalen_johansen", contrast, h, risk[1], risk[0], var[1], var[0], self.alpha
            )
        return rows

    def _hazards(
        self, af: AnalysisFrame, contrast: str, diagnostics: dict[str, Any]
    ) -> list[dict[str, object]]:
        # With a few clusters the fitters apply their small-sample correction and warn;
        # the study states that correction in its own words (diagnostics["inference"]
        # and the report), so the fitters' warnings are kept there, not repeated.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", FewClustersWarning)
            rows = self._hazard_rows(af, contrast, diagnostics)
        for w in caught:
            if not issubclass(w.category, FewClustersWarning):
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        diagnostics["few_clusters"] = sorted(
            {str(w.message) for w in caught if issubclass(w.category, FewClustersWarning)}
        )
        return rows

    def _hazard_rows(
        self, af: AnalysisFrame, contrast: str, diagnostics: dict[str, Any]
    ) -> list[dict[str, object]]:
        rows = []
        variance = af.inference.variance_cluster
        model = methods.cause_specific_model(af.data, af.confounders, variance, af.area)
        diagnostics["proportional_hazards"] = model.check_proportional_hazards()
        for method, estimand, s in (
            ("cause_specific_cox", "hazard_ratio", methods.exposure_row(model.summary)),
            (
                "fine_gray",
                "subdistribution_hazard_ratio",
                methods.subdistribution_hazard_ratio(af.data, af.confounders, variance, af.area),
            ),
        ):
            rows.append(
                est.row(
                    method,
                    estimand,
                    contrast,
                    float(s["hazard_ratio"]),
                    std_error=float(s["std_error"]),
                    ci=(float(s["hr_ci_lower"]), float(s["hr_ci_upper"])),
                    p_value=float(s["p_value"]),
                )
            )
        curve = methods.duration_dose_response(
            af.data, af.confounders, self.alpha, variance, af.area
        )
        for _, c in curve.iterrows():
            rows.append(
                est.row(
                    "spline_dose_response",
                    "hazard_ratio",
                    f"{c['duration_weeks']:g} weeks vs 26 weeks",
                    float(c["hazard_ratio"]),
                    std_error=float(c["std_error"]),
                    ci=(float(c["hr_ci_lower"]), float(c["hr_ci_upper"])),
                    p_value=float(c["p_value"]),
                )
            )
        return rows

    def _pseudo_values(
        self,
        af: AnalysisFrame,
        horizons: tuple[float, ...],
        contrast: str,
        diagnostics: dict[str, Any],
    ) -> list[dict[str, object]]:
        """Standardised risks, their difference and ratio from the pseudo-value
        regression (:func:`outcomes.study.methods.pseudo_value_risks`), with sandwich
        intervals clustered as the hazard models' are.

        A few-cluster warning joins ``diagnostics["few_clusters"]`` (the report states
        the correction); terms dropped as uninformative (an exposure-by-confounder term
        whose level has one arm empty) and a model that cannot be fitted are reported
        in ``diagnostics["pseudo_value_regression"]``, not fatal.
        """
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", FewClustersWarning)
            warnings.simplefilter("always", DegenerateCovariateWarning)
            try:
                table, fits = methods.pseudo_value_risks(
                    af.data,
                    af.confounders,
                    horizons,
                    self.alpha,
                    af.inference.variance_cluster,
                    af.area,
                )
            except OutcomesError as exc:
                diagnostics[PSEUDO_METHOD] = {"skipped": str(exc)}
                return []
        kept = (FewClustersWarning, DegenerateCovariateWarning)
        for w in caught:
            if not issubclass(w.category, kept):
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        few = {str(w.message) for w in caught if issubclass(w.category, FewClustersWarning)}
        diagnostics["few_clusters"] = sorted({*diagnostics.get("few_clusters", []), *few})
        diagnostics[PSEUDO_METHOD] = {
            "variance": fits[0].cov_type_,
            "clusters": fits[0].n_clusters_,
            "t_df": fits[0].df_,
            "dropped_terms": sorted(
                {
                    str(w.message)
                    for w in caught
                    if issubclass(w.category, DegenerateCovariateWarning)
                }
            ),
        }
        names = {
            ("mean", 1): "risk_exposed",
            ("mean", 0): "risk_unexposed",
            ("difference", 1): "risk_difference",
            ("ratio", 1): "risk_ratio",
        }
        rows = []
        for h in horizons:
            at = table.loc[table["time"] == h]
            for (contrast_kind, value), estimand in names.items():
                found = at.loc[(at["contrast"] == contrast_kind) & (at["value"] == value)]
                if not len(found):
                    continue  # no ratio when a standardised risk is not positive
                r = found.iloc[0]
                rows.append(
                    est.row(
                        PSEUDO_METHOD,
                        estimand,
                        contrast,
                        float(r["estimate"]),
                        horizon=h,
                        std_error=float(r["std_error"]),
                        ci=(float(r["ci_lower"]), float(r["ci_upper"])),
                        p_value=float(r["p_value"]),
                    )
                )
        return rows

    def _marginal(
        self,
        af: AnalysisFrame,
        horizons: tuple[float, ...],
        kind: str,
        n_boot: int,
        seed: np.random.SeedSequence,
        diagnostics: dict[str, Any] | None,
    ) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng(seed)
        gseed = int(rng.integers(2**31))

        def estimate(frame: pd.DataFrame) -> np.ndarray:
            if kind == "iptw":
                return methods.iptw_risks(
                    frame, af.confounders, horizons, self.propensity_model, self.trim, af.area
                )
            return methods.gcomputation_risks(frame, af.confounders, horizons, gseed, af.area)

        if diagnostics is not None and kind == "iptw":
            self._weight_diagnostics(af, diagnostics)
        point = estimate(af.data)
        return point, self._bootstrap(af, estimate, kind, n_boot, rng, diagnostics)

    def _bootstrap(
        self,
        af: AnalysisFrame,
        estimate: Callable[[pd.DataFrame], np.ndarray],
        label: str,
        n_boot: int,
        rng: np.random.Generator,
        diagnostics: dict[str, Any] | None,
    ) -> np.ndarray:
        """Bootstrap replicates of ``estimate``, shape (B, ...), resampling the units
        of ``af.inference`` (local authorities, or families within them)."""

        def replicate(frame: pd.DataFrame) -> np.ndarray:
            with warnings.catch_warnings():
                # Resampled areas can separate exposure; the main fit's overlap is what
                # is reported (diagnostics["positivity"]). Set here, not around the
                # loop, so that worker processes follow it too.
                warnings.simplefilter("ignore", PositivityWarning)
                # A resample in which some level (an order, a period) has no events of
                # a cause has an infinite coefficient; the fit stops at a very large one
                # whose predicted risks are the limit (zero), which is what is wanted.
                warnings.filterwarnings(
                    "ignore", "Newton-Raphson did not converge", OutcomesWarning
                )
                # On the way there a Newton step can overflow exp() (and the sums after
                # it) in a fitter that does not halve its steps; the replicate's result
                # is the same limit, or a failed fit, which is dropped and counted.
                warnings.simplefilter("ignore", RuntimeWarning)
                return estimate(frame)

        bar = tqdm(
            total=n_boot, desc=f"bootstrap ({label})", disable=not self.progress, leave=False
        )
        boot = methods.cluster_bootstrap(
            af.data,
            replicate,
            n_boot,
            rng,
            progress=lambda _: bar.update(),
            n_jobs=self.n_jobs,
            cluster=af.inference.resample,
            within=af.inference.resample_within,
        )
        bar.close()
        if diagnostics is not None:
            diagnostics.setdefault("bootstrap", {})[label] = {
                "replicates": int(len(boot)),
                "requested": n_boot,
                "unit": "family" if af.inference.resample != af.cluster else af.cluster,
            }
        return boot

    def _mediation(
        self,
        af: AnalysisFrame,
        horizons: tuple[float, ...],
        contrast: str,
        seed: np.random.SeedSequence,
        diagnostics: dict[str, Any],
    ) -> list[dict[str, object]]:
        """Natural direct and indirect effects through the mediator, and controlled
        direct effects per level (:mod:`outcomes.study.mediation`)."""
        if self.mediator not in af.data.columns:
            raise OutcomesError(f"mediator column {self.mediator!r} is not in the cohort")
        values = af.data[self.mediator]
        recorded = values.notna().to_numpy()
        if self.mediator == MEDIATOR:
            recorded &= values.isin(FINAL_ORDERS).to_numpy()
        elif pd.api.types.is_numeric_dtype(values) and values.nunique() > MAX_MEDIATOR_LEVELS:
            raise OutcomesError(
                f"mediator {self.mediator!r} must be categorical (it has "
                f"{values.nunique()} distinct numeric values)"
            )
        diagnostics["mediation"] = {
            "mediator": self.mediator,
            "rows": int(recorded.sum()),
            "rows_without_recorded_mediator": int((~recorded).sum()),
        }
        data = af.data.loc[recorded]
        levels = modelable_levels(data, self.mediator)
        modelled = pooled_orders(data, levels, self.mediator)[self.mediator].isin(levels)
        diagnostics["mediation"]["rows"] = int(modelled.sum())
        diagnostics["mediation"]["rows_in_levels_too_rare_to_model"] = int((~modelled).sum())
        diagnostics["mediation"]["levels"] = levels
        # children per level and arm: a controlled direct effect is published only for
        # a level that both arms reach (see outcomes.study.publish)
        diagnostics["mediation"]["arm_counts"] = pd.crosstab(
            pooled_orders(data, levels, self.mediator)[self.mediator], data["exposed"]
        ).reindex(columns=[0, 1], fill_value=0)
        if len(levels) < 2:
            # One level (every order the same, or all but one too rare): the mediator
            # does not vary, so there is no path through it to estimate.
            diagnostics["mediation"]["skipped"] = (
                f"{self.mediator.replace('_', ' ')} has "
                f"{'one level' if levels else 'no level'} with enough returns to court and "
                "other exits to be modelled (at least two are needed)"
            )
            return []
        af = dataclasses.replace(af, data=data.loc[modelled.to_numpy()].reset_index(drop=True))
        rng = np.random.default_rng(seed)
        gseed = int(rng.integers(2**31))
        point, _ = mediation_risks(
            af.data, af.confounders, horizons, gseed, levels, self.mediator, af.area
        )

        def estimate(frame: pd.DataFrame) -> np.ndarray:
            return mediation_risks(
                frame, af.confounders, horizons, gseed, levels, self.mediator, af.area
            )[0]

        n_boot = self.mediation_boot or max(20, self.n_boot // 4)
        boot = self._bootstrap(af, estimate, "mediation", n_boot, rng, diagnostics)
        name = self.mediator.replace("_", " ")
        effects = [
            ("natural_direct_effect", f"{contrast}, {name} as it would be if later"),
            ("natural_indirect_effect", f"{contrast}: {name} as within vs as if later"),
            *[("controlled_direct_effect", f"{contrast}, {name} set to {m}") for m in levels],
        ]
        return est.bootstrap_effects("mediation", effects, horizons, point, boot, self.alpha)

    def _weight_diagnostics(self, af: AnalysisFrame, diagnostics: dict[str, Any]) -> None:
        scores, weights = methods.iptw_weights(
            af.data, af.confounders, self.propensity_model, self.trim, af.area
        )
        treatment = af.data["exposed"]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", PositivityWarning)
            diagnostics["positivity"] = positivity(scores, treatment)
        diagnostics["positivity_warnings"] = [str(w.message) for w in caught]
        for message in diagnostics["positivity_warnings"]:
            warnings.warn(message, PositivityWarning, stacklevel=4)
        diagnostics["weights"] = weight_summary(weights, treatment)
        areas = [AREA] if af.area is not None else []
        if af.confounders or areas:
            diagnostics["balance"] = standardised_differences(
                af.data, "exposed", [*af.confounders, *areas], weights=weights
            )
        diagnostics["propensity"] = pd.DataFrame({"score": scores, "exposed": treatment})
        # row-level, for the figures only (never published): the weighted curves
        diagnostics["analysis"] = pd.DataFrame(
            {
                "years": af.data["years"].to_numpy(),
                "event": af.data["event"].to_numpy(),
                "exposed": treatment.to_numpy(),
                "weight": weights.to_numpy(),
                "weeks": af.data["duration_weeks"].to_numpy(),
            }
        )

    def _evalues(self, estimates: pd.DataFrame, horizon: float) -> list[dict[str, object]]:
        rows = []
        rr = estimates.loc[
            (estimates["method"] == PRIMARY_METHOD)
            & (estimates["estimand"] == "risk_ratio")
            & (estimates["horizon_years"] == horizon)
        ].iloc[0]
        hr = estimates.loc[estimates["method"] == "cause_specific_cox"].iloc[0]
        pairs: tuple[tuple[Literal["risk_ratio", "hazard_ratio"], pd.Series], ...] = (
            ("risk_ratio", rr),
            ("hazard_ratio", hr),
        )
        for contrast, r in pairs:
            if not np.isfinite(r[["estimate", "ci_lower", "ci_upper"]].astype(float)).all():
                continue  # no interval (nothing estimable): no E-value either
            point = float(r["estimate"])
            # With few bootstrap replicates a percentile interval can miss its own point
            # estimate; the interval is then stretched to it (the conservative reading).
            lower = min(float(r["ci_lower"]), point)
            upper = max(float(r["ci_upper"]), point)
            table = e_values(point, lower, upper, measure=contrast)
            for _, e in table.iterrows():
                rows.append(
                    est.row(
                        "e_value",
                        "e_value",
                        contrast,
                        float(e["e_value"]),
                        horizon=horizon if contrast == "risk_ratio" else np.nan,
                    )
                )
        return rows

    def _sensitivity(
        self,
        horizons: tuple[float, ...],
        seed: np.random.SeedSequence,
        diagnostics: dict[str, Any],
    ) -> list[dict[str, object]]:
        n_boot = max(20, self.n_boot // 4)
        # (method name, threshold, whether withdrawn and no-order cases are excluded)
        # The variant at the study's own threshold is the primary analysis again (same
        # cohort, same weights, same point estimate; only a smaller bootstrap), so it is
        # not run: a row that repeats the primary estimate with another interval reads
        # as independent confirmation, which it is not.
        variants: list[tuple[str, float, bool]] = [
            (f"sensitivity_threshold_{t}", float(t), False)
            for t in SENSITIVITY_THRESHOLDS
            if float(t) != float(self.threshold_weeks)
        ]
        variants.append(("sensitivity_excluding_withdrawn_no_order", self.threshold_weeks, True))
        rows = []
        for (name, threshold, exclude), child in zip(
            variants, seed.spawn(len(variants)), strict=True
        ):
            try:
                af = self._frame(threshold)
                if exclude:
                    af.data = af.data.loc[~af.data["final_order"].isin(EXCLUDED_ORDERS)]
                    af.data = af.data.reset_index(drop=True)
                    if af.data["exposed"].nunique() < 2:
                        raise OutcomesError("one arm is empty without those orders")
                point, boot = self._marginal(af, horizons, "iptw", n_boot, child, None)
            except (OutcomesError, ValueError) as exc:
                # A variant the data cannot support (an arm empty at that threshold) is
                # reported, not fatal: the main analysis stands without it.
                diagnostics.setdefault("sensitivity_skipped", {})[name] = str(exc)
                continue
            contrast = f"within {threshold:g} weeks vs later"
            for r in est.bootstrap_contrasts(
                name, contrast, horizons, point, boot, self.alpha, est.bootstrap_interval(af)
            ):
                if r["estimand"] in ("risk_difference", "risk_ratio"):
                    rows.append(r)
        return rows


def empty_arm_cells(af: AnalysisFrame) -> pd.DataFrame:
    """Local authorities and issue periods in which one arm is empty.

    Positivity fails there: no child of that authority (or period) was disposed of on
    one side of the threshold, so the comparison within it rests on the models alone.
    Reported, not fatal (the weights and standardisation still run; see the overlap
    diagnostics).

    Returns
    -------
    DataFrame
        ``variable, level, empty_arm`` (``"within"`` or ``"later"``).
    """
    rows = []
    for column in (AREA, "issue_period"):
        if column not in af.data.columns or af.data[column].nunique() < 2:
            continue
        counts = pd.crosstab(af.data[column], af.data["exposed"]).reindex(
            columns=[0, 1], fill_value=0
        )
        for level, n in counts.iterrows():
            for arm, label in ((1, "within"), (0, "later")):
                if n[arm] == 0:
                    rows.append({"variable": column, "level": str(level), "empty_arm": label})
    return pd.DataFrame(rows, columns=["variable", "level", "empty_arm"])

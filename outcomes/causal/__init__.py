"""Causal building blocks: propensity scores, inverse-probability weights, balance,
positivity, E-values and their diagnostic plots.

Each piece is small and usable on its own; the study composes them::

    ps = fit_propensity(cohort.data, "short_duration", confounders)
    w = ps.weights(trim_percentiles=(1, 99))
    positivity(ps.scores, ps.treatment)
    standardised_differences(cohort.data, "short_duration", confounders, weights=w)

The names are imported on first use (:pep:`562`): the propensity model brings in
scikit-learn and the plots matplotlib, which code that needs only, say, the
positivity warning should not pay for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from outcomes._lazy import lazy_names

if TYPE_CHECKING:
    from outcomes.causal._inputs import binary_treatment
    from outcomes.causal.balance import (
        BALANCE_THRESHOLD,
        PositivityReport,
        PositivityWarning,
        positivity,
        standardised_differences,
    )
    from outcomes.causal.evalue import e_value, e_values, hazard_ratio_to_risk_ratio
    from outcomes.causal.plots import love_plot, overlap_plot, weight_plot
    from outcomes.causal.propensity import (
        PropensityResult,
        default_propensity_model,
        fit_propensity,
    )
    from outcomes.causal.weights import (
        effective_sample_size,
        inverse_probability_weights,
        weight_summary,
    )

# Public name -> the module it lives in.
_LAZY: dict[str, str] = {
    "binary_treatment": "outcomes.causal._inputs",
    "BALANCE_THRESHOLD": "outcomes.causal.balance",
    "PositivityReport": "outcomes.causal.balance",
    "PositivityWarning": "outcomes.causal.balance",
    "positivity": "outcomes.causal.balance",
    "standardised_differences": "outcomes.causal.balance",
    "e_value": "outcomes.causal.evalue",
    "e_values": "outcomes.causal.evalue",
    "hazard_ratio_to_risk_ratio": "outcomes.causal.evalue",
    "love_plot": "outcomes.causal.plots",
    "overlap_plot": "outcomes.causal.plots",
    "weight_plot": "outcomes.causal.plots",
    "PropensityResult": "outcomes.causal.propensity",
    "default_propensity_model": "outcomes.causal.propensity",
    "fit_propensity": "outcomes.causal.propensity",
    "effective_sample_size": "outcomes.causal.weights",
    "inverse_probability_weights": "outcomes.causal.weights",
    "weight_summary": "outcomes.causal.weights",
}

__all__ = [
    "BALANCE_THRESHOLD",
    "PositivityReport",
    "PositivityWarning",
    "PropensityResult",
    "binary_treatment",
    "default_propensity_model",
    "e_value",
    "e_values",
    "effective_sample_size",
    "fit_propensity",
    "hazard_ratio_to_risk_ratio",
    "inverse_probability_weights",
    "love_plot",
    "overlap_plot",
    "positivity",
    "standardised_differences",
    "weight_plot",
    "weight_summary",
]


__getattr__, __dir__ = lazy_names(__name__, _LAZY, __all__)

"""Causal building blocks: propensity scores, inverse-probability weights, balance,
positivity, E-values and their diagnostic plots.

Each piece is small and usable on its own; the study composes them::

    ps = fit_propensity(cohort.data, "short_duration", confounders)
    w = ps.weights(trim_percentiles=(1, 99))
    positivity(ps.scores, ps.treatment)
    standardised_differences(cohort.data, "short_duration", confounders, weights=w)
"""

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
from outcomes.causal.propensity import PropensityResult, default_propensity_model, fit_propensity
from outcomes.causal.weights import (
    effective_sample_size,
    inverse_probability_weights,
    weight_summary,
)

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

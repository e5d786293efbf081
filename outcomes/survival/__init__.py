"""Survival and competing-risks estimators: cumulative incidence, Gray's test, Cox engine."""

from outcomes.survival.cause_specific import CauseSpecificCox
from outcomes.survival.cox import CoxFitter
from outcomes.survival.cumulative_incidence import CumulativeIncidence, cumulative_incidence
from outcomes.survival.fine_gray import FineGrayFitter
from outcomes.survival.gray import gray_test
from outcomes.survival.recurrent import (
    AndersenGillFitter,
    MeanCumulativeFunction,
    PWPFitter,
    mean_cumulative_function,
)
from outcomes.survival.splines import (
    duration_hazard_ratio,
    natural_spline_basis,
    natural_spline_term,
    plot_duration_hazard_ratio,
)

__all__ = [
    "CumulativeIncidence",
    "cumulative_incidence",
    "gray_test",
    "CauseSpecificCox",
    "CoxFitter",
    "FineGrayFitter",
    "MeanCumulativeFunction",
    "AndersenGillFitter",
    "PWPFitter",
    "mean_cumulative_function",
    "duration_hazard_ratio",
    "natural_spline_basis",
    "natural_spline_term",
    "plot_duration_hazard_ratio",
]

"""Analysis cohorts: index disposals, time zero, events, censoring, exposures, flow."""

from outcomes.cohort.build import Cohort, build_cohort
from outcomes.cohort.definitions import CHILD_EVENT_CODES, MOTHER_EVENT_CODES, CohortDefinition
from outcomes.cohort.exposures import Duration, Exposure, FasterThanExpected, ShortDuration

__all__ = [
    "CHILD_EVENT_CODES",
    "MOTHER_EVENT_CODES",
    "Cohort",
    "CohortDefinition",
    "Duration",
    "Exposure",
    "FasterThanExpected",
    "ShortDuration",
    "build_cohort",
]

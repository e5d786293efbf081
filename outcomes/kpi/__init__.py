"""Timeliness KPIs (disposal and issue cohorts), case progression, order mix, outcomes.

The figures family justice boards already manage to -- average weeks and the share of
care proceedings disposed within 26 weeks -- computed as the published statistics
define them, beside what they leave out: issue-cohort durations that a changing
backlog does not bias, open cases likely to pass 26 and 40 weeks, the mix of final
orders and children's returns to court, area by area. Every table is suppressed for
publication with :mod:`outcomes.disclosure`.
"""

from outcomes.kpi._data import KPIError
from outcomes.kpi.outcomes_by_area import order_mix, return_rates
from outcomes.kpi.progression import CaseProgression, case_progression
from outcomes.kpi.timeliness import timeliness

__all__ = [
    "CaseProgression",
    "KPIError",
    "case_progression",
    "order_mix",
    "return_rates",
    "timeliness",
]

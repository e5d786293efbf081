"""Duration policies and their effects: what if proceedings took a different time?

:mod:`outcomes.policy.policies` defines the policies (modified treatment policies:
``cap:26``, ``shift:-4``, ``match:best_quartile``, or a function), and
:class:`DurationPolicyEffect` estimates each policy's effect on the risk of return to
court by the g-formula, with the part that runs through the order made::

    effect = DurationPolicyEffect(n_boot=100).fit(cohort)
    effect.estimate(["cap:26", "shift:-4", "match:best_quartile"], horizons=(1, 2, 5))
"""

from outcomes.policy.gformula import COLUMNS, DurationBasis, DurationPolicyEffect
from outcomes.policy.policies import (
    DEFAULT_FLOOR_WEEKS,
    Cap,
    Custom,
    MatchDistribution,
    Policy,
    Shift,
    as_policy,
    parse_policy,
)

__all__ = [
    "COLUMNS",
    "DEFAULT_FLOOR_WEEKS",
    "Cap",
    "Custom",
    "DurationBasis",
    "DurationPolicyEffect",
    "MatchDistribution",
    "Policy",
    "Shift",
    "as_policy",
    "parse_policy",
]

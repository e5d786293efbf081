"""Duration of proceedings (issue to disposal) and its two potential versions.

Log-normal accelerated-failure-time model, in weeks:

.. math::

    \\log D = \\log m(t) + s_\\ell + \\beta_C C + \\beta_k (k - 1) + \\sigma(t) Z,

with :math:`m(t)` and :math:`\\sigma(t)` interpolated linearly in the issue date
:math:`t` between yearly knots (the fall after the 2014 reform and the later rise), the
LA's court speed :math:`s_\\ell`, complexity :math:`C` and sibling-group size :math:`k`.

**Potential durations.** The exposure is disposal within 26 weeks. With
:math:`F` the case's duration distribution and :math:`p = F(26)`, one uniform :math:`U`
gives the observed duration :math:`F^{-1}(U)`. Its rank within the observed arm,
:math:`V = U/p` or :math:`(U-p)/(1-p)`, is reused for both arms:

.. math::

    D^{(1)} = F^{-1}(V p), \\qquad D^{(0)} = F^{-1}(p + V (1 - p)),

so each case's duration under "within 26 weeks" is a draw from its own conditional
distribution below 26 weeks, and likewise above; the observed duration is exactly the
one of its observed arm (consistency), and the two arms share randomness (common random
numbers). Days are ``ceil(7 D)``, so "within 26 weeks" is exactly ``days <= 182``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr, ndtri

from ._time import decimal_year
from .scenario import Scenario

THRESHOLD_WEEKS = 26.0
THRESHOLD_DAYS = 182


@dataclass
class Durations:
    """Per-application durations in days."""

    short_arm: np.ndarray  # bool: observed arm is "within 26 weeks"
    days: np.ndarray  # observed
    days_short: np.ndarray  # potential, within 26 weeks
    days_long: np.ndarray  # potential, after 26 weeks


def draw_durations(
    scenario: Scenario,
    rng: np.random.Generator,
    issue: np.ndarray,
    la_speed: np.ndarray,
    complexity: np.ndarray,
    n_children: np.ndarray,
) -> Durations:
    """Draw observed and potential durations for applications (see module docstring)."""
    t = decimal_year(issue)
    knots = scenario.array("duration.knot_years")
    median = np.interp(t, knots, np.log(scenario.array("duration.median_weeks")))
    sigma = np.interp(t, knots, scenario.array("duration.sigma"))
    mu = (
        median
        + la_speed
        + float(scenario["duration.complexity"]) * complexity
        + float(scenario["duration.per_extra_child"]) * (n_children - 1)
    )
    p = ndtr((np.log(THRESHOLD_WEEKS) - mu) / sigma)
    u = rng.random(len(issue))
    short = u < p
    v = np.where(short, u / np.maximum(p, 1e-300), (u - p) / np.maximum(1.0 - p, 1e-300))
    eps = 1e-12
    q_short = np.clip(v * p, eps, 1.0 - eps)
    q_long = np.clip(p + v * (1.0 - p), eps, 1.0 - eps)
    min_days = int(scenario["duration.min_days"])

    def days(q: np.ndarray) -> np.ndarray:
        x = ndtri(q)
        # in place: one fresh array instead of one per step
        x *= sigma
        x += mu
        np.exp(x, out=x)  # weeks
        x *= 7.0
        np.ceil(x, out=x)
        np.maximum(x, min_days, out=x)
        return x.astype(np.int64)

    d_short = np.minimum(days(q_short), THRESHOLD_DAYS)
    d_long = np.maximum(days(q_long), THRESHOLD_DAYS + 1)
    return Durations(
        short_arm=short,
        days=np.where(short, d_short, d_long),
        days_short=d_short,
        days_long=d_long,
    )

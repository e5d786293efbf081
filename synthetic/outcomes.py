"""What happens after disposal: return to court, adoption, death, ageing out; and a
mother's next set of proceedings.

**Return to court** (the child's next s31 issue). Cause-specific hazard, in years
since disposal :math:`t`:

.. math::

    h_i(t) = \\lambda_{O_i}\\, r(t)\\, \\exp\\big(\\beta_C C_i + \\gamma_{g(i)} + f_\\ell
        + \\log(\\mathrm{HR}) [D_i \\le 26\\text{ weeks}]\\big),

with :math:`r(t)` piecewise constant (1 in the first year; ``returns.shape`` after),
:math:`g` the age group at issue, :math:`f_\\ell` the LA's log frailty and
:math:`\\mathrm{HR}` = ``returns.hr_short``, the conditional hazard ratio of disposal
within 26 weeks -- the rushed-disposal effect. :math:`\\lambda_o` is set from
``returns.five_year_risk``: :math:`\\lambda_o = -\\log(1-\\pi_o)/R(5)` with
:math:`R(t)=\\int_0^t r`, the 5-year risk at reference covariates with no competing
events. The return time is :math:`R^{-1}(E / (\\lambda_o e^{\\eta_i}))` with
:math:`E \\sim \\text{Exp}(1)` shared by all potential versions of the child.

**Competing events.** Adoption after a placement order (probability ``adoption_p`` if
the child is under ``adoption_max_age``, log-normal delay), death (exponential, drawn
once per child) and ageing out at 17 (no care order can be made after). Emigration is
censoring, not competing. The observed return is the return time if it comes first.

**Mother's next proceedings** with a new child: hazard from the issue of her current
set, piecewise constant by years since issue (``recurrence.rate``), times
:math:`\\exp(\\beta_{teen}[\\text{age}<20] + \\beta_a(\\text{age}-28) + \\beta_M M)`, zero
after age 45. The hazard runs from *issue*, so some new sets start before the current
one ends (a baby born during proceedings).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._sampling import count_at_most
from ._time import DAYS_PER_YEAR
from .scenario import Scenario

NONE = np.inf
NEVER_DAYS = np.iinfo(np.int64).max // 4
"""Days to an event that never comes (far beyond any date, safe to add to a day)."""

EVENT_NAMES = ("child_return", "adopted", "died", "aged_out")
"""Event codes of :func:`first_event` (0..3)."""


def _piecewise_inverse(target: np.ndarray, breaks: np.ndarray, rates: np.ndarray) -> np.ndarray:
    """Solve :math:`R(t) = target` for a piecewise-constant rate (``inf`` if never).

    ``rates`` has one more entry than ``breaks``; the last rate holds beyond the last
    break (a zero last rate means the cumulative rate stops growing).
    """
    edges = np.concatenate([[0.0], breaks])
    widths = np.diff(edges)
    cum = np.concatenate([[0.0], np.cumsum(widths * rates[:-1])])  # R at each edge
    seg = count_at_most(cum, target) - 1  # segment containing target
    seg = np.minimum(seg, len(rates) - 1)
    rate = rates[seg]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = edges[seg] + (target - cum[seg]) / rate
    return np.where(rate > 0, t, NONE)


def return_shape(scenario: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """Breaks (years) and relative rates of the return hazard."""
    return scenario.array("returns.shape_breaks"), scenario.array("returns.shape")


def order_rates(scenario: Scenario) -> np.ndarray:
    """:math:`\\lambda_o` per order from the 5-year risks at reference covariates."""
    breaks, shape = return_shape(scenario)
    edges = np.concatenate([[0.0], breaks, [np.inf]])
    r5 = float(np.sum(np.clip(np.minimum(edges[1:], 5.0) - edges[:-1], 0.0, None) * shape))
    risk = scenario.array("returns.five_year_risk")
    return -np.log1p(-risk) / r5


def age_group(scenario: Scenario, age_years: np.ndarray) -> np.ndarray:
    """Age-group index at issue (0: under 1, ... by ``returns.age_group_breaks``)."""
    return count_at_most(scenario.array("returns.age_group_breaks"), age_years)


def return_linear_predictor(
    scenario: Scenario,
    complexity: np.ndarray,
    age_years: np.ndarray,
    log_frailty: np.ndarray,
) -> np.ndarray:
    """The part of the log hazard that does not depend on duration or order."""
    return (
        float(scenario["returns.complexity"]) * complexity
        + scenario.array("returns.age_group")[age_group(scenario, age_years)]
        + log_frailty
    )


@dataclass
class ChildDraws:
    """Per-child randomness reused by every potential version (common random numbers)."""

    e_return: np.ndarray  # Exp(1)
    u_adopt: np.ndarray  # uniform: adopted at all?
    z_adopt: np.ndarray  # normal: delay to adoption


def child_draws(rng: np.random.Generator, n: int) -> ChildDraws:
    return ChildDraws(rng.standard_exponential(n), rng.random(n), rng.standard_normal(n))


class FirstEvents:
    """First events after disposal of a generation's children, in any world.

    The parts that do not depend on the arm or the order -- the relative return
    hazard :math:`e^{\\eta_i}` without the arm's HR, whether and when a placement order
    would end in adoption -- are worked out once per child; each world (arm, durations,
    orders) then costs a few passes over its block of children.

    Parameters
    ----------
    scenario : Scenario
    draws : ChildDraws
        The children's common random numbers.
    base_lp : ndarray
        :func:`return_linear_predictor` of each child.
    dob, death, age_out : ndarray
        Days of birth, death and ageing out (``events.age_out``) of each child.
    placement_index : int
        Code of ``placement_order``.
    """

    def __init__(
        self,
        scenario: Scenario,
        draws: ChildDraws,
        base_lp: np.ndarray,
        dob: np.ndarray,
        death: np.ndarray,
        age_out: np.ndarray,
        placement_index: int,
    ) -> None:
        self.rates = order_rates(scenario)
        self.hr_short = float(scenario["returns.hr_short"])
        self.breaks, self.shape = return_shape(scenario)
        self.e_return = draws.e_return
        self.relative = np.exp(base_lp)
        self.adoptable = draws.u_adopt < float(scenario["events.adoption_p"])
        delay = float(scenario["events.adoption_median_years"]) * np.exp(
            float(scenario["events.adoption_sdlog"]) * draws.z_adopt
        )
        self.adoption_delay = years_to_days(delay)
        self.adoption_max_age = float(scenario["events.adoption_max_age"]) * DAYS_PER_YEAR
        self.dob, self.death, self.age_out = dob, death, age_out
        self.placement_index = placement_index

    def __call__(
        self,
        rows: slice | np.ndarray,
        disposal: np.ndarray,
        order: np.ndarray,
        short: bool | np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Days from disposal to the first event, and its code, of children ``rows`` (a
        slice or indices) disposed on days ``disposal`` with orders ``order`` (both for
        those rows alone) in arm "within 26 weeks" (``short``) or "after"; ``short`` may
        also be one flag per child."""
        scale = self.rates[order] * self.relative[rows]
        if isinstance(short, np.ndarray):
            scale = np.where(short, scale * self.hr_short, scale)
        elif short:
            scale *= self.hr_short
        target = self.e_return[rows] / scale
        ret = years_to_days(_piecewise_inverse(target, self.breaks, self.shape))
        adopted = (
            (order == self.placement_index)
            & self.adoptable[rows]
            & (disposal - self.dob[rows] < self.adoption_max_age)
        )
        adopt = np.where(adopted, self.adoption_delay[rows], NEVER_DAYS)
        return first_event(ret, adopt, self.death[rows] - disposal, self.age_out[rows] - disposal)


def first_event(
    return_t: np.ndarray, adopt_t: np.ndarray, death_t: np.ndarray, ageout_t: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Time and code (index of :data:`EVENT_NAMES`) of the first event; ties go to the
    lower code (a return on the day of another event counts as the return)."""
    time = np.minimum(np.minimum(return_t, adopt_t), np.minimum(death_t, ageout_t))
    # the first code whose time is the first one: 0 unless the return comes later, then
    # 1 unless adoption does, then 2 unless death does, else 3 (arithmetic on the
    # comparisons is much faster than masked assignments)
    later = (death_t > time).astype(np.int8) + 1
    later *= adopt_t > time
    later += 1
    later *= return_t > time
    return time, later


def new_child_years(
    scenario: Scenario,
    rng: np.random.Generator,
    mother_age_years: np.ndarray,
    mother_latent: np.ndarray,
) -> np.ndarray:
    """Years from issue to the mother's next set with a new child (``inf`` if none)."""
    n = len(mother_age_years)
    lp = (
        float(scenario["recurrence.teen"]) * (mother_age_years < 20.0)
        + float(scenario["recurrence.age_slope"]) * (mother_age_years - 28.0)
        + float(scenario["recurrence.mother_latent"]) * mother_latent
    )
    breaks = scenario.array("recurrence.breaks")
    rates = np.concatenate([scenario.array("recurrence.rate"), [0.0]])
    t = _piecewise_inverse(rng.standard_exponential(n) / np.exp(lp), breaks, rates)
    fertile = float(scenario["recurrence.max_mother_age"]) - mother_age_years
    return np.where(t < fertile, t, NONE)


def years_to_days(t: np.ndarray) -> np.ndarray:
    """Event time in years to whole days (at least 1); about :data:`NEVER_DAYS` for
    ``inf``."""
    days = t * DAYS_PER_YEAR
    np.minimum(days, float(NEVER_DAYS), out=days)  # in place: one fresh array, not four
    np.ceil(days, out=days)
    np.maximum(days, 1.0, out=days)
    return days.astype(np.int64)

"""Final order: a multinomial logit over the ten order types.

For child :math:`i` and order :math:`o`,

.. math::

    \\eta_{io} = \\alpha_o + \\beta^C_o C_i + \\beta^{inf}_o [\\text{age}<1]
      + \\beta^{10}_o [\\text{age} \\ge 10] + \\beta^D_o \\log(D_i/26)
      + \\beta^{pre}_o [\\text{issued before the 2014 reform}] + \\beta^{p}_o p_\\ell,
    \\qquad \\Pr(O_i = o) = \\frac{e^{\\eta_{io}}}{\\sum_{o'} e^{\\eta_{io'}}},

with ``care_order`` the reference (all its coefficients 0). Duration enters, so order
type is a mediator of the duration effect.

The order is drawn as a random-utility choice, :math:`O_i = \\arg\\max_o (\\eta_{io} +
G_{io})` with independent standard Gumbel :math:`G_{io}`, which has exactly the
multinomial-logit probabilities. Each child keeps its :math:`G_{io}` under both duration
arms, so the two potential orders share everything but the duration term (common random
numbers): a child's order changes between arms only when the duration shift moves
another order's utility past the chosen one. Siblings share their Gumbel draws with
probability ``orders.sibling_shared`` (see :func:`synthetic.world.generate`), which
correlates their orders without changing any child's order probabilities.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._blocks import BLOCK_ROWS
from .scenario import Scenario


def order_names(scenario: Scenario) -> list[str]:
    """The order types, in the scenario's coefficient order."""
    return list(scenario["orders.names"])


def order_utilities(
    scenario: Scenario,
    complexity: np.ndarray,
    age_years: np.ndarray,
    pre_reform: np.ndarray,
    practice: np.ndarray,
) -> np.ndarray:
    """The part of :math:`\\eta` that does not depend on duration, shape (n, n_orders)."""
    coef = {
        k: np.asarray(v, dtype=float)
        for k, v in scenario.section("orders").items()
        if k != "names"
    }
    # the three binary terms take 8 combinations: look their sum up instead of
    # multiplying (n x n_orders) arrays
    combo = (
        (age_years < 1.0).astype(np.int64)
        + 2 * (age_years >= 10.0)
        + 4 * np.asarray(pre_reform, dtype=np.int64)
    )
    bits = np.arange(8)
    table = (
        coef["intercept"][None, :]
        + coef["infant"][None, :] * (bits & 1)[:, None]
        + coef["age_10_plus"][None, :] * ((bits >> 1) & 1)[:, None]
        + coef["pre_reform"][None, :] * ((bits >> 2) & 1)[:, None]
    )
    eta = table[combo]
    eta += complexity[:, None] * coef["complexity"][None, :]
    eta += practice[:, None] * coef["practice"][None, :]
    return eta


@dataclass
class SiblingGumbel:
    """The Gumbel draws of a generation's children, (children x orders) once expanded.

    A child with ``shared`` True takes its application's row of ``by_app``; every other
    child the next row of ``own`` (rows in child order).
    """

    by_app: np.ndarray  # (applications, orders)
    app: np.ndarray  # application of each child
    shared: np.ndarray  # bool per child
    own: np.ndarray  # (children not sharing, orders)


def draw_orders(
    scenario: Scenario,
    complexity: np.ndarray,
    age_years: np.ndarray,
    pre_reform: np.ndarray,
    practice: np.ndarray,
    gumbel: SiblingGumbel,
    days_short: np.ndarray,
    days_long: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Each child's order under both duration arms (:func:`order_utilities` and
    :func:`draw_order`), worked out block by block of children (see
    :mod:`synthetic._blocks`): the (children x orders) arrays would take hundreds of MB."""
    n = len(complexity)
    order_short = np.empty(n, dtype=np.int8)
    order_long = np.empty(n, dtype=np.int8)
    own_used = 0
    for start in range(0, n, BLOCK_ROWS):
        rows = slice(start, start + BLOCK_ROWS)
        g = gumbel.by_app[gumbel.app[rows]]
        own = ~gumbel.shared[rows]
        n_own = int(np.count_nonzero(own))
        g[own] = gumbel.own[own_used : own_used + n_own]
        own_used += n_own
        eta = order_utilities(
            scenario, complexity[rows], age_years[rows], pre_reform[rows], practice[rows]
        )
        order_short[rows] = draw_order(scenario, eta, days_short[rows], g)
        order_long[rows] = draw_order(scenario, eta, days_long[rows], g)
    return order_short, order_long


def draw_order(
    scenario: Scenario, utilities: np.ndarray, duration_days: np.ndarray, gumbel: np.ndarray
) -> np.ndarray:
    """The chosen order: :math:`\\arg\\max_o(\\eta_o + G_o)` at a duration (days)."""
    beta_d = np.asarray(scenario["orders.log_duration"], dtype=float)
    total = np.log(duration_days / 182.0)[:, None] * beta_d[None, :]
    total += utilities
    total += gumbel
    return np.argmax(total, axis=1).astype(np.int8)


def order_probabilities(
    scenario: Scenario, utilities: np.ndarray, duration_days: np.ndarray
) -> np.ndarray:
    """Order probabilities at a duration (for checks and plots; not used to draw)."""
    beta_d = np.asarray(scenario["orders.log_duration"], dtype=float)
    eta = utilities + np.log(duration_days / 182.0)[:, None] * beta_d[None, :]
    eta -= eta.max(axis=1, keepdims=True)
    prob = np.exp(eta)
    prob /= prob.sum(axis=1, keepdims=True)
    return prob

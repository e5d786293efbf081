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


_TABLE_TERMS = ("intercept", "infant", "age_10_plus", "pre_reform", "practice")
"""The terms of :math:`\\eta` held in :func:`utility_table`."""


def utility_table(scenario: Scenario, practice: np.ndarray) -> np.ndarray:
    """:math:`\\eta` without its complexity and duration terms, per LA (``practice``
    holds each LA's score) and combination of the binary terms; float32, orders x
    cells.

    Cell ``8 * la + combo`` is LA ``la`` with :func:`binary_combination` ``combo``: a
    child's utilities are then one lookup plus its complexity term, instead of a
    product of (orders x children) arrays per term.
    """
    coef = {k: scenario.array(f"orders.{k}") for k in _TABLE_TERMS}
    bits = np.arange(8)
    combo = (
        coef["intercept"][:, None]
        + coef["infant"][:, None] * (bits & 1)[None, :]
        + coef["age_10_plus"][:, None] * ((bits >> 1) & 1)[None, :]
        + coef["pre_reform"][:, None] * ((bits >> 2) & 1)[None, :]
    )
    table = combo[:, None, :] + coef["practice"][:, None, None] * practice[None, :, None]
    return table.reshape(len(combo), -1).astype(np.float32)


def binary_combination(age_years: np.ndarray, pre_reform: np.ndarray) -> np.ndarray:
    """``infant + 2 * age_10_plus + 4 * pre_reform``: which of the 8 combinations of the
    binary terms a child has."""
    return (
        (age_years < 1.0).astype(np.int64)
        + 2 * (age_years >= 10.0)
        + 4 * np.asarray(pre_reform, dtype=np.int64)
    )


def standard_gumbel(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Standard Gumbel draws, float32: minus the log of standard exponentials.

    The draws are only added to utilities and compared, so float32 is precise enough,
    at half the cost. An exponential of exactly 0 (probability about :math:`2^{-23}`)
    gives :math:`+\\infty`, a certain choice, as any exponential below float32's
    resolution would.
    """
    g = rng.standard_exponential(shape, dtype=np.float32)
    with np.errstate(divide="ignore"):
        np.log(g, out=g)
    np.negative(g, out=g)
    return g


@dataclass
class SiblingGumbel:
    """The Gumbel draws of a generation's children, (orders x children) once expanded.

    A child with ``shared`` True takes its application's column of ``by_app``; every
    other child the next column of ``own`` (in child order). Both are float32
    (:func:`standard_gumbel`).
    """

    by_app: np.ndarray  # (orders, applications)
    app: np.ndarray  # application of each child
    shared: np.ndarray  # bool per child
    own: np.ndarray  # (orders, children not sharing)


def draw_orders(
    scenario: Scenario,
    complexity: np.ndarray,
    age_years: np.ndarray,
    pre_reform: np.ndarray,
    la: np.ndarray,
    la_practice: np.ndarray,
    gumbel: SiblingGumbel,
    days_short: np.ndarray,
    days_long: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each child's order under both duration arms, :math:`\\arg\\max_o(\\eta_o + G_o)`,
    and its utilities without the duration term, :math:`\\eta_o - \\beta^D_o \\log(D/26)
    + G_o` (float32, orders x children), from which :func:`choose_order` gives its order
    under any other duration (the duration policies of :mod:`synthetic.policies`).

    Worked out block by block of children (see :mod:`synthetic._blocks`): the
    intermediate (orders x children) arrays stay small. They are laid out orders
    first, so every operation runs along the children (NumPy is slow along a short
    last axis). ``la_practice`` is the practice score of every LA; the rest are per
    child.
    """
    n = len(complexity)
    table = utility_table(scenario, la_practice)
    beta_c = scenario.array("orders.complexity").astype(np.float32)[:, None]
    beta_d = duration_coefficients(scenario)
    order_short = np.empty(n, dtype=np.int8)
    order_long = np.empty(n, dtype=np.int8)
    utility = np.empty((len(beta_d), n), dtype=np.float32)
    own_used = 0
    for start in range(0, n, BLOCK_ROWS):
        rows = slice(start, start + BLOCK_ROWS)
        # utilities + Gumbel draws, shared by both arms
        base = gumbel.by_app[:, gumbel.app[rows]]
        own = np.flatnonzero(~gumbel.shared[rows])  # indices: faster than a mask here
        base[:, own] = gumbel.own[:, own_used : own_used + len(own)]
        own_used += len(own)
        cell = 8 * la[rows] + binary_combination(age_years[rows], pre_reform[rows])
        base += np.take(table, cell, axis=1)
        base += beta_c * complexity[rows].astype(np.float32)
        utility[:, rows] = base
        order_short[rows] = choose_order(base, beta_d, days_short[rows])
        order_long[rows] = choose_order(base, beta_d, days_long[rows])
    return order_short, order_long, utility


def duration_coefficients(scenario: Scenario) -> np.ndarray:
    """:math:`\\beta^D_o` as float32, orders x 1 (as :func:`choose_order` takes it)."""
    return scenario.array("orders.log_duration").astype(np.float32)[:, None]


def choose_order(base: np.ndarray, beta_d: np.ndarray, duration_days: np.ndarray) -> np.ndarray:
    """:math:`\\arg\\max_o` of ``base`` (utilities + Gumbel, orders x children) plus the
    duration term :math:`\\beta^D_o \\log(D/182)` for ``duration_days`` :math:`D`: the
    first order reaching the children's maximum.

    The same float32 arithmetic for every caller, so the same utilities and duration
    always give the same order (the truth of the duration policies relies on it).
    """
    total = beta_d * np.log(duration_days / 182.0).astype(np.float32)
    total += base
    best = total.max(axis=0)
    # from the last order to the first, so the first of tied orders wins: passes along
    # the children, much faster than NumPy's argmax along the (short) orders axis
    choice = np.full(len(best), len(total) - 1, dtype=np.int8)
    for o in range(len(total) - 2, -1, -1):
        choice = np.where(total[o] == best, np.int8(o), choice)
    return choice


def aged_out_order(
    order: np.ndarray, disposal: np.ndarray, age_out: np.ndarray, no_order: int
) -> np.ndarray:
    """``no_order`` for proceedings that end on or after the child's ageing-out day: no
    care or supervision order can be made once a child is 17 (s31(3) Children Act
    1989)."""
    return np.where(disposal >= age_out, no_order, order)

r"""Numerical core of the mean cumulative function: estimates and influence variances.

Everything here works on one group of counting-process rows ``(start, stop]`` with 0/1
flags for a recurrent event and a terminal event at ``stop``, and is
:math:`O(n \log n)`: one sort of the event grid and cumulative sums.

Influence variances without an n-by-K matrix
--------------------------------------------
Both variances in :mod:`outcomes.survival.recurrent` are :math:`\sum_i \psi_i(t)^2` for
subject-level influence processes built from terms of the form

.. math::

    X_i(t) = \int_0^t \frac{h(u)}{Y(u)}\, d\hat M^a_i(u), \qquad
    d\hat M^a_i(u) = dN^a_i(u) - Y_i(u)\, \frac{dN^a(u)}{Y(u)},

with :math:`N^a` the recurrent or the terminal counting process and :math:`h` a known
step function. Writing :math:`\alpha_{ik}, \beta_{ik}` for the jumps of two such
processes :math:`X, Z` at grid time :math:`u_k`,

.. math::

    \Delta_k \sum_i X_i Z_i = \sum_i X_i(u_k-)\beta_{ik} + Z_i(u_k-)\alpha_{ik}
        + \alpha_{ik}\beta_{ik},

and every piece is a sum over the few rows that end at :math:`u_k` or over the risk
set. The risk-set sum :math:`\sum_{i \in R_k} X_i(u_k-)` is obtained from the identity
:math:`\sum_{\text{all } i} X_i(t) = 0` (the estimated martingales sum to zero at every
time) as minus the sum over subjects *not* at risk, whose processes are frozen at their
value at the end of their last interval before :math:`u_k`. So the running covariance
:math:`\sum_i X_i(t) Z_i(t)` is a cumulative sum over the grid.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from outcomes.survival._kaplan_meier import product_limit

FloatArray = NDArray[np.floating[Any]]
IntArray = NDArray[np.int64]


@dataclass
class RecurrentRows:
    """One group's rows, sorted by subject then start, and the event-time grid."""

    subject: IntArray
    start: FloatArray
    stop: FloatArray
    event: FloatArray
    terminal: FloatArray
    next_start: FloatArray
    grid: FloatArray
    at_risk: FloatArray
    n_event: FloatArray
    n_terminal: FloatArray
    row_grid: IntArray
    # Number of grid times <= stop, <= start and <= next_start of each row: where each row
    # enters a right-continuous step function and the cumulative sums over the grid.
    k_stop: IntArray
    k_start: IntArray
    k_next: IntArray

    @classmethod
    def build(
        cls,
        subject: IntArray,
        start: FloatArray,
        stop: FloatArray,
        event: FloatArray,
        terminal: FloatArray,
    ) -> RecurrentRows:
        order = np.lexsort((start, subject))
        subject, start, stop = subject[order], start[order], stop[order]
        event, terminal = event[order], terminal[order]
        same_next = np.r_[subject[1:] == subject[:-1], False]
        next_start = np.where(same_next, np.r_[start[1:], np.inf], np.inf)
        grid = np.unique(stop[(event > 0) | (terminal > 0)])
        # Y(u) = #{start < u <= stop} = #{stop >= u} - #{start >= u}, as start < stop.
        stop_sorted, start_sorted = np.sort(stop), np.sort(start)
        at_risk = (
            np.searchsorted(start_sorted, grid, side="left")
            - np.searchsorted(stop_sorted, grid, side="left")
        ).astype(np.float64)
        row_grid = np.searchsorted(grid, stop).astype(np.int64)
        on_grid = row_grid < grid.size
        on_grid[on_grid] = grid[row_grid[on_grid]] == stop[on_grid]
        row_grid = np.where(on_grid, row_grid, -1)
        n_event = np.bincount(row_grid[event > 0], weights=event[event > 0], minlength=grid.size)
        n_terminal = np.bincount(
            row_grid[terminal > 0], weights=terminal[terminal > 0], minlength=grid.size
        )
        return cls(
            subject=subject,
            start=start,
            stop=stop,
            event=event,
            terminal=terminal,
            next_start=next_start,
            grid=grid,
            at_risk=at_risk,
            n_event=n_event.astype(np.float64),
            n_terminal=n_terminal.astype(np.float64),
            row_grid=row_grid,
            k_stop=np.searchsorted(grid, stop, side="right").astype(np.int64),
            k_start=np.searchsorted(grid, start, side="right").astype(np.int64),
            k_next=np.searchsorted(grid, next_start, side="right").astype(np.int64),
        )

    def step_at(self, values: FloatArray, t: FloatArray) -> FloatArray:
        """Right-continuous step function with ``values`` at the grid, 0 before it."""
        k = np.searchsorted(self.grid, t, side="right")
        return np.asarray(np.concatenate([[0.0], values])[k])


@dataclass(eq=False)  # hashed by identity, to cache its row values
class Process:
    r"""One influence term :math:`\int h/Y\, d\hat M^a_i`: weights ``h`` on the grid and
    the per-row jump flags of :math:`N^a`."""

    h: FloatArray
    flag: FloatArray
    total: FloatArray  # dN^a(u_k), summed over rows


def _group_cumsum(values: FloatArray, subject: IntArray) -> FloatArray:
    """Cumulative sum restarting at each subject (rows sorted by subject)."""
    c = np.cumsum(values)
    first = np.r_[True, subject[1:] != subject[:-1]]
    offset = (c - values)[first]
    return np.asarray(c - offset[np.cumsum(first) - 1])


@dataclass
class _RowValues:
    """A process evaluated on the rows: value at each row's stop, its jump there, and
    the risk-set sum of the process just before each grid time."""

    value: FloatArray
    jump: FloatArray
    risk_sum: FloatArray


def _row_values(rows: RecurrentRows, p: Process) -> _RowValues:
    y = rows.at_risk
    d_lambda = p.total / y
    # G(t) = sum_{u_k <= t} h_k dLambda_k / Y_k: the compensator of one at-risk subject.
    g = np.r_[0.0, np.cumsum(p.h * d_lambda / y)]
    comp = g[rows.k_stop] - g[rows.k_start]
    k = rows.row_grid
    on = k >= 0
    kk = np.where(on, k, 0)
    own = np.where(on, p.flag * p.h[kk] / y[kk], 0.0)
    value = _group_cumsum(own - comp, rows.subject)
    jump = np.where(on, p.h[kk] * (p.flag - d_lambda[kk]) / y[kk], 0.0)
    return _RowValues(value, jump, -_not_at_risk_sum(rows, value))


def _not_at_risk_sum(rows: RecurrentRows, value: FloatArray) -> FloatArray:
    r""":math:`\sum_{i \notin R_k} X_i(u_k)`: rows with ``stop < u <= next_start`` hold
    their subject's frozen value."""
    size = rows.grid.size

    def below(k_row: IntArray) -> FloatArray:
        # Sum of value over rows whose time is < u_k, i.e. at most k grid times <= it.
        c = np.cumsum(np.bincount(k_row, weights=value, minlength=size + 1))
        return np.asarray(c[:-1])

    return below(rows.k_stop) - below(rows.k_next)


def running_covariance(
    rows: RecurrentRows, p1: Process, p2: Process, cache: dict[Process, _RowValues] | None = None
) -> FloatArray:
    r""":math:`\sum_i X_i(u_k) Z_i(u_k)` at every grid time, for the processes ``p1``
    (:math:`X`) and ``p2`` (:math:`Z`); see the module docstring. ``cache`` keeps each
    process's row values between calls."""
    cache = {} if cache is None else cache
    for p in (p1, p2):
        if p not in cache:
            cache[p] = _row_values(rows, p)
    r1, r2 = cache[p1], cache[p2]
    y = rows.at_risk
    k = rows.row_grid
    on = k >= 0
    size = rows.grid.size

    def at_grid(x: FloatArray) -> FloatArray:
        return np.bincount(k[on], weights=x[on], minlength=size).astype(np.float64)

    before1, before2 = r1.value - r1.jump, r2.value - r2.jump  # X_i(u_k-) at rows ending there
    cross1 = p2.h / y * (at_grid(p2.flag * before1) - p2.total / y * r1.risk_sum)
    cross2 = p1.h / y * (at_grid(p1.flag * before2) - p1.total / y * r2.risk_sum)
    both = p1.h * p2.h / y**2 * (at_grid(p1.flag * p2.flag) - p1.total * p2.total / y)
    return np.asarray(np.cumsum(cross1 + cross2 + both))


def nelson_aalen_mcf(rows: RecurrentRows) -> tuple[FloatArray, FloatArray]:
    """Nelson-Aalen MCF and its Lawless-Nadeau variance at the grid."""
    rate = rows.n_event / rows.at_risk
    p = Process(h=np.ones_like(rate), flag=rows.event, total=rows.n_event)
    return np.cumsum(rate), running_covariance(rows, p, p)


def ghosh_lin_mcf(rows: RecurrentRows) -> tuple[FloatArray, FloatArray]:
    """Ghosh-Lin MCF and its variance at the grid (see ``mean_cumulative_function``)."""
    y = rows.at_risk
    _, surv_before = product_limit(rows.n_terminal, y)
    mu = np.cumsum(surv_before * rows.n_event / y)
    p1 = Process(h=surv_before, flag=rows.event, total=rows.n_event)
    p2 = Process(h=np.ones_like(mu), flag=rows.terminal, total=rows.n_terminal)
    p3 = Process(h=mu, flag=rows.terminal, total=rows.n_terminal)

    cache: dict[Process, _RowValues] = {}

    def cov(a: Process, b: Process) -> FloatArray:
        return running_covariance(rows, a, b, cache)

    var = (
        cov(p1, p1)
        + cov(p3, p3)
        + 2 * cov(p1, p3)
        - 2 * mu * (cov(p1, p2) + cov(p3, p2))
        + mu**2 * cov(p2, p2)
    )
    return mu, var

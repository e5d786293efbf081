"""Vectorised kernels for the Aalen-Johansen cumulative incidence estimator.

Everything here works on plain numpy arrays that are already sorted by time within one
group; :mod:`outcomes.survival.cumulative_incidence` does the validation, grouping and
presentation. The kernels are written as cumulative sums and products over the distinct
event times, so one pass over the data suffices (no Python loop over times).

Notation (used by both variance estimators): at the distinct event times
:math:`t_1 < \\dots < t_m` of a group, :math:`n_j` is the (weighted) number at risk just
before :math:`t_j` (censorings at :math:`t_j` count as at risk), :math:`d_j` the number of
events of any cause, :math:`d_{kj}` those of cause :math:`k`, :math:`S` the all-cause
Kaplan-Meier estimate with left limit :math:`S(t_j^-) = S(t_{j-1})`, and :math:`F_k` the
cumulative incidence of cause :math:`k`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from outcomes.survival._kaplan_meier import product_limit

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]


@dataclass(frozen=True)
class EventTable:
    """Counts at the distinct event times of one group (sorted, ascending).

    Attributes
    ----------
    time : ndarray
        Distinct times at which at least one event (of any cause) occurred.
    at_risk : ndarray
        Weighted number at risk just before each time.
    events : ndarray
        Shape ``(m, n_causes)``: weighted events of each cause (column ``k`` is cause
        code ``k + 1``).
    all_events : ndarray
        Events of any cause at each time.
    last_time : float
        Largest follow-up time in the group (event or censoring); curves end there.
    sorted_time, cum_weight : ndarray
        The group's sorted durations and the running total of their weights, kept so the
        number at risk can be looked up at any time.
    """

    time: FloatArray
    at_risk: FloatArray
    events: FloatArray
    last_time: float
    sorted_time: FloatArray
    cum_weight: FloatArray

    all_events: FloatArray

    def at_risk_at(self, times: FloatArray) -> FloatArray:
        """Weighted number with duration ``>= t`` for each ``t`` in ``times``."""
        idx = np.searchsorted(self.sorted_time, times, side="left")
        before = np.where(idx > 0, self.cum_weight[np.maximum(idx - 1, 0)], 0.0)
        return np.asarray(self.cum_weight[-1] - before, dtype=np.float64)


def event_table(
    time: FloatArray, cause: IntArray, weight: FloatArray, n_causes: int
) -> EventTable:
    """Tabulate one group's sorted data at its distinct event times.

    Parameters
    ----------
    time : ndarray
        Durations sorted ascending.
    cause : ndarray of int
        0 for censored, ``1..n_causes`` for the cause of the event.
    weight : ndarray
        Case weights (ones when unweighted).
    n_causes : int
        Number of causes.
    """
    n = time.shape[0]
    new = np.empty(n, dtype=bool)
    new[:1] = True
    np.not_equal(time[1:], time[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    tie_index = np.cumsum(new) - 1
    n_times = starts.shape[0]
    width = n_causes + 1
    # One weighted bincount tabulates censorings and every cause at every distinct time.
    counts = np.bincount(tie_index * width + cause, weights=weight, minlength=n_times * width)
    counts = counts.reshape(n_times, width)
    # Summing the few columns one by one is much faster than sum(axis=1) on a tall array.
    events = counts[:, 1:]
    any_event = np.zeros(n_times, dtype=np.float64)
    for k in range(n_causes):
        any_event += events[:, k]
    removed = counts[:, 0] + any_event
    # Reverse cumulative sum: everyone whose time is >= t_j is at risk at t_j, which is
    # exactly the "censored at a tied time are still at risk" convention of cmprsk.
    at_risk = np.cumsum(removed[::-1])[::-1]
    has_event = any_event > 0
    return EventTable(
        time=time[starts][has_event],
        at_risk=at_risk[has_event],
        events=np.ascontiguousarray(events[has_event]),
        all_events=any_event[has_event],
        last_time=float(time[-1]) if n else np.nan,
        sorted_time=time,
        cum_weight=np.cumsum(weight),
    )


def all_cause_survival(table: EventTable) -> tuple[FloatArray, FloatArray]:
    """Kaplan-Meier all-cause survival at each event time and its left limit.

    .. math:: \\hat S(t_j) = \\prod_{i \\le j} (1 - d_i / n_i)
    """
    return product_limit(table.all_events, table.at_risk)


def _carry_from_cause_times(values: FloatArray, cause_event: NDArray[np.bool_]) -> FloatArray:
    """Keep ``values`` at times with an event of the cause, carry them forward elsewhere.

    Both variance estimators change only when the cumulative incidence jumps: the terms a
    competing event adds are multiplied by :math:`F_k(t) - F_k(t_j)`, which is zero at
    :math:`t_j` itself. cmprsk therefore records the variance only at the cause's own
    event times; carrying it forward reproduces that exactly (no rounding noise from
    re-evaluating the expanded sums).
    """
    idx = np.where(cause_event, np.arange(values.shape[0]), -1)
    np.maximum.accumulate(idx, out=idx)
    return np.where(idx >= 0, values[np.maximum(idx, 0)], 0.0)


def _tie_factor(d: FloatArray, n: FloatArray) -> FloatArray:
    """cmprsk's correction for ``d`` tied events among ``n`` at risk: 1 - (d-1)/(n-1)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 1.0 - (d - 1.0) / (n - 1.0)
    return np.where(d > 1.0, out, 1.0)


def incidence(table: EventTable, surv_minus: FloatArray, cause_index: int) -> FloatArray:
    """Aalen-Johansen estimate of one cause at every event time of ``table``:
    :math:`F_k(t_j) = \\sum_{i \\le j} S(t_i^-)\\, d_{ki} / n_i`."""
    return np.asarray(
        np.cumsum(surv_minus * table.events[:, cause_index] / table.at_risk), dtype=np.float64
    )


def incidence_at(
    table: EventTable, surv_minus: FloatArray, cause_index: int, times: FloatArray
) -> FloatArray:
    """:func:`incidence` read off its right-continuous step function at sorted ``times``:
    0 before the first event, NaN after the group's largest follow-up time (as
    :meth:`outcomes.survival.CumulativeIncidence.at`, without the variance)."""
    grid = np.concatenate([[-np.inf], table.time])
    pos = np.searchsorted(grid, times, side="right") - 1
    estimate = np.concatenate([[0.0], incidence(table, surv_minus, cause_index)])[pos]
    return np.where(times > table.last_time, np.nan, estimate)


def cumulative_incidence_curve(
    table: EventTable,
    surv: FloatArray,
    surv_minus: FloatArray,
    cause_index: int,
    variance: str,
) -> tuple[FloatArray, FloatArray]:
    """Aalen-Johansen estimate of one cause and its variance at every event time.

    Parameters
    ----------
    table : EventTable
    surv, surv_minus : ndarray
        From :func:`all_cause_survival`.
    cause_index : int
        Column of ``table.events`` (cause code minus one).
    variance : {"cuminc", "delta"}
        Which variance estimator (see :func:`outcomes.survival.cumulative_incidence`).

    Returns
    -------
    estimate, variance : ndarray
    """
    n = table.at_risk
    d = table.all_events
    d1 = table.events[:, cause_index]
    estimate = incidence(table, surv_minus, cause_index)
    if variance == "cuminc":
        var = _cuminc_variance(n, d, d1, surv, surv_minus, estimate)
    elif variance == "delta":
        var = _delta_variance(n, d, d1, surv_minus, estimate)
    else:  # pragma: no cover - validated by the caller
        raise ValueError(f"unknown variance {variance!r}")
    var = _carry_from_cause_times(var, d1 > 0)
    # Differences of cumulative sums can dip a hair below zero.
    return estimate, np.maximum(var, 0.0)


def _cuminc_variance(
    n: FloatArray,
    d: FloatArray,
    d1: FloatArray,
    surv: FloatArray,
    surv_minus: FloatArray,
    estimate: FloatArray,
) -> FloatArray:
    """Variance as cmprsk::cuminc computes it (Aalen 1978 / Dinse & Larson 1986 type).

    .. math::

        \\hat V(t) = \\sum_{t_j \\le t} \\Big\\{
          w^{(2)}_j \\Big[\\frac{F(t_j) - F(t)}{S(t_j)}\\Big]^2
          + w^{(1)}_j \\Big[1 + \\frac{F(t_j) - F(t)}{S(t_j)}\\Big]^2 \\Big\\},
        \\qquad
        w^{(r)}_j = \\frac{S(t_j^-)^2\\, c_{rj}\\, d_{rj}}{n_j^2},\\quad
        c_{rj} = 1 - \\frac{d_{rj} - 1}{n_j - 1},

    with :math:`d_{1j}` the events of the cause and :math:`d_{2j}` those of the other
    causes. Where :math:`S(t_j) = 0` the competing term is dropped and :math:`1/S(t_j)`
    is taken as 0, as cmprsk does. Expanding the squares in :math:`F(t)` turns the sum
    into three running sums, evaluated at :math:`F(t)`.
    """
    d2 = d - d1
    positive = surv > 0.0
    inv_s = np.divide(1.0, surv, out=np.zeros_like(surv), where=positive)
    sm2_over_n2 = (surv_minus / n) ** 2
    w_other = np.where(positive & (d2 > 0), sm2_over_n2 * _tie_factor(d2, n) * d2, 0.0)
    w_cause = sm2_over_n2 * _tie_factor(d1, n) * d1
    # Each term is w * (a - F(t) b)^2 with b = 1/S(t_j); a differs between the two parts.
    a_other = estimate * inv_s
    a_cause = 1.0 + estimate * inv_s
    v1 = np.cumsum(w_other * a_other**2 + w_cause * a_cause**2)
    v2 = np.cumsum((w_other * a_other + w_cause * a_cause) * inv_s)
    v3 = np.cumsum((w_other + w_cause) * inv_s**2)
    return np.asarray(v1 + estimate**2 * v3 - 2.0 * estimate * v2, dtype=np.float64)


def _delta_variance(
    n: FloatArray,
    d: FloatArray,
    d1: FloatArray,
    surv_minus: FloatArray,
    estimate: FloatArray,
) -> FloatArray:
    """Delta-method (Greenwood-type) variance.

    .. math::

        \\hat V(t) = \\sum_{t_j \\le t} \\Big\\{ [F(t) - F(t_j)]^2 \\frac{d_j}{n_j(n_j - d_j)}
          + S(t_j^-)^2 \\frac{d_{1j}(n_j - d_{1j})}{n_j^3}
          - 2 [F(t) - F(t_j)]\\, S(t_j^-) \\frac{d_{1j}}{n_j^2} \\Big\\}

    When :math:`n_j = d_j` the first term is 0/0 at :math:`t_j` and nothing is at risk
    afterwards, so it contributes nothing.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        c1 = np.where(n > d, d / (n * (n - d)), 0.0)
    c3 = surv_minus * d1 / n**2
    term_const = np.cumsum(c1 * estimate**2 + surv_minus**2 * d1 * (n - d1) / n**3)
    term_const += 2.0 * np.cumsum(c3 * estimate)
    term_lin = np.cumsum(c1 * estimate) + np.cumsum(c3)
    term_quad = np.cumsum(c1)
    return np.asarray(
        estimate**2 * term_quad - 2.0 * estimate * term_lin + term_const, dtype=np.float64
    )

"""Duration policies: each case's duration under a policy, and its first event then.

A duration policy changes the duration :math:`D_i` (days from issue to disposal) of
every case of the disposal cohort to :math:`D'_i = g(D_i)` -- a *modified treatment
policy* (Haneuse & Rotnitzky 2013; Díaz et al. 2023): it moves cases from where they
are, rather than setting every case to one value. Policies are written as spec strings,
the vocabulary the estimators in ``outcomes`` share (this module parses them itself,
as the split between the two packages requires):

``cap:W``
    :math:`D' = \\min(D, 7W)`: no case lasts more than *W* weeks.
``shift:K`` or ``shift:K:floor=F``
    :math:`D' = \\max(D + 7K, \\min(D, 7F))` with floor *F* = 8 weeks unless given: every
    case moves by *K* weeks but not below the floor, and a case already under the floor
    does not move.
``match:REF``
    each case moves to the same quantile of a reference distribution. The case's
    quantile within its own area (LA) of the cohort is :math:`u_i = (r_i - 1/2)/n_\\ell`,
    with :math:`r_i` its mid rank among the :math:`n_\\ell` durations of its area (tied
    durations share their average rank), and :math:`D'_i = Q_{ref}(u_i)`, the quantile
    of the reference durations by :func:`numpy.quantile` (linear interpolation).
    ``REF`` is ``best_quartile`` (the pooled durations of the areas whose median
    duration is at most the first quartile of the area medians), ``national`` (the
    whole cohort) or an LA code (that area's durations).

**Potential outcomes under a policy.** They reuse every common random number of the
child (see :mod:`synthetic.orders`, :mod:`synthetic.outcomes`): its order is
:math:`O_i(D') = \\arg\\max_o(\\eta_{io} + \\beta^D_o \\log(D'/182) + G_{io})` with its own
Gumbel draws :math:`G_{io}`, or ``no_order`` if the child is 17 by the disposal
:math:`t_i + D'` (:math:`t_i` the issue day); its return hazard has the factor
``returns.hr_short`` if :math:`D' \\le 182` days; follow-up starts at that disposal,
so adoption (possible while the child is under ``events.adoption_max_age`` at
disposal), death (a fixed calendar day) and ageing out (17) compete from there; its
exponential return draw, adoption draws and death day are the same as in every other
world. The world disposes on whole days: a policy duration :math:`D'` is disposed on
day :math:`t_i + \\lceil D' \\rceil` (so "within 26 weeks" is exactly :math:`D' \\le
182`); for whole-week caps and shifts :math:`D'` is whole days already. With
:math:`D' = D` every child's first event is its observed one (consistency), so the
natural course needs no recomputation, and a child whose duration does not move keeps
its observed outcomes.

Cost: per policy, one argmax over the orders and one first event per cohort child
(10-25% more CPU time per world for the three default policies); ``match``
counts durations per area and day instead of sorting the children.

References
----------
Haneuse S, Rotnitzky A (2013). Estimation of the effect of interventions that modify
the received treatment. *Statistics in Medicine* 32(30):5260-5277.

Díaz I, Williams N, Hoffman KL, Schenck EJ (2023). Nonparametric causal effects based
on longitudinal modified treatment policies. *Journal of the American Statistical
Association* 118(542):846-857.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from ._blocks import BLOCK_ROWS
from .duration import THRESHOLD_DAYS
from .orders import aged_out_order, choose_order
from .outcomes import FirstEvents
from .scenario import ScenarioError

DEFAULT_POLICIES = ("cap:26", "shift:-4", "match:best_quartile")
"""The policies whose effects a world's truth holds unless told otherwise."""

DEFAULT_FLOOR_WEEKS = 8.0
"""Floor of ``shift:K`` without ``floor=``: no case is moved below 8 weeks."""

SPEC_FORMS = (
    "cap:W, shift:K, shift:K:floor=F, match:best_quartile, match:national or "
    "match:<LA code> (W, K, F in weeks)"
)


class PolicySpecError(ScenarioError):
    """A duration policy spec that cannot be read (or names an area the world lacks).

    A :class:`~synthetic.scenario.ScenarioError`, so the command line reports it as a
    user error.
    """


@dataclass(frozen=True)
class Policy:
    """A parsed duration policy (see the module docstring).

    Attributes
    ----------
    spec : str
        The spec string as given (stripped): the policy's label in the truth.
    kind : str
        ``"cap"``, ``"shift"`` or ``"match"``.
    weeks : float
        *W* of a cap, *K* of a shift.
    floor_weeks : float
        The floor of a shift.
    reference : str
        ``best_quartile``, ``national`` or an LA code, for ``match``.
    """

    spec: str
    kind: str
    weeks: float = 0.0
    floor_weeks: float = DEFAULT_FLOOR_WEEKS
    reference: str = ""

    def durations(
        self, days: np.ndarray, area: np.ndarray, area_codes: Sequence[str]
    ) -> np.ndarray:
        """:math:`D'` in days (float) for cohort durations ``days`` in areas ``area``
        (indices into ``area_codes``)."""
        days = np.asarray(days)
        d = days.astype(float)
        if self.kind == "cap":
            return np.minimum(d, 7.0 * self.weeks)
        if self.kind == "shift":
            return np.maximum(d + 7.0 * self.weeks, np.minimum(d, 7.0 * self.floor_weeks))
        if len(d) == 0:
            return d
        counts = AreaCounts.of(days, np.asarray(area))
        if self.reference == "best_quartile":
            weights = counts.counts[counts.best_quartile()].sum(axis=0)
        elif self.reference == "national":
            weights = counts.counts.sum(axis=0)
        else:
            code = area_index(self, area_codes)
            weights = counts.counts[code] if code < len(counts.counts) else np.zeros(0, int)
            if weights.sum() == 0:
                raise PolicySpecError(
                    f"policy {self.spec!r}: no child of the disposal cohort is in area "
                    f"{self.reference!r}, so it has no durations to match"
                )
        # one quantile per (area, duration) with children, then one per child
        cells = np.flatnonzero(counts.counts.ravel())
        u = counts.mid_rank_quantiles(cells)
        return counts.children(linear_quantiles(counts.sorted_values(weights), u), cells)


def area_index(policy: Policy, area_codes: Sequence[str]) -> int:
    """Index of a ``match:<LA code>`` policy's area in ``area_codes``."""
    try:
        return list(area_codes).index(policy.reference)
    except ValueError:
        raise PolicySpecError(
            f"policy {policy.spec!r}: {policy.reference!r} is neither best_quartile, "
            f"national nor an LA code of this world (e.g. {area_codes[0]!r})"
        ) from None


def _number(spec: str, text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise PolicySpecError(f"policy {spec!r}: {what} {text!r} is not a number of weeks")
    return value


def parse_policy(spec: str) -> Policy:
    """Read one spec string (see the module docstring).

    Raises
    ------
    PolicySpecError
        Not a string, an unknown kind, a missing or bad number, a cap not above 0, a
        negative floor, or extra parts.
    """
    if not isinstance(spec, str):
        raise PolicySpecError(f"a policy spec must be a string such as 'cap:26', got {spec!r}")
    text = spec.strip()
    kind, _, rest = text.partition(":")
    parts = rest.split(":") if rest else []
    if kind == "cap" and len(parts) == 1:
        weeks = _number(text, parts[0], "cap")
        if weeks <= 0:
            raise PolicySpecError(f"policy {text!r}: the cap must be above 0 weeks")
        return Policy(text, "cap", weeks=weeks)
    if kind == "shift" and len(parts) in (1, 2):
        weeks = _number(text, parts[0], "shift")
        floor = DEFAULT_FLOOR_WEEKS
        if len(parts) == 2:
            key, eq, value = parts[1].partition("=")
            if key.strip() != "floor" or not eq:
                raise PolicySpecError(
                    f"policy {text!r}: expected floor=F after the shift, got {parts[1]!r}"
                )
            floor = _number(text, value, "floor")
            if floor < 0:
                raise PolicySpecError(f"policy {text!r}: the floor must not be negative")
        return Policy(text, "shift", weeks=weeks, floor_weeks=floor)
    if kind == "match" and len(parts) == 1 and parts[0].strip():
        return Policy(text, "match", reference=parts[0].strip())
    raise PolicySpecError(f"policy {text!r} is not one of {SPEC_FORMS}")


def parse_policies(specs: Iterable[str]) -> tuple[Policy, ...]:
    """Read a list of spec strings; each may appear once (it labels its truth rows)."""
    if isinstance(specs, str):
        raise PolicySpecError(f"policies must be a list of specs, got the string {specs!r}")
    policies = tuple(parse_policy(s) for s in specs)
    seen: set[str] = set()
    for p in policies:
        if p.spec in seen or p.spec == "natural":
            raise PolicySpecError(f"policy {p.spec!r} is given twice (or named 'natural')")
        seen.add(p.spec)
    return policies


@dataclass
class AreaCounts:
    """Whole-day durations counted by area and value, from which ranks, medians and
    sorted reference distributions follow without sorting the children.

    ``counts[g, k]`` children of area ``g`` have duration ``values[k]``; ``cell[i]`` is
    child *i*'s flat index ``g * len(values) + k``.
    """

    values: np.ndarray
    counts: np.ndarray
    cell: np.ndarray

    @classmethod
    def of(cls, days: np.ndarray, area: np.ndarray) -> AreaCounts:
        """Count whole-day durations ``days`` (integers) by ``area`` (indices)."""
        if not (np.issubdtype(days.dtype, np.integer) and np.issubdtype(area.dtype, np.integer)):
            raise TypeError("durations and areas must be integers (whole days, area indices)")
        low, high = int(days.min()), int(days.max())
        n_areas = int(area.max()) + 1
        if high - low < 8 * len(days) + 2**20:  # the distinct durations, by counting
            offset = days - low
            seen = np.bincount(offset, minlength=high - low + 1) > 0
            values, k = np.flatnonzero(seen) + low, (np.cumsum(seen) - 1)[offset]
        else:  # a very long tail of durations: by sorting
            values, k = np.unique(days, return_inverse=True)
        cell = area.astype(np.int64) * len(values) + k
        counts = np.bincount(cell, minlength=n_areas * len(values))
        return cls(values, counts.reshape(n_areas, len(values)), cell)

    def mid_rank_quantiles(self, cells: np.ndarray) -> np.ndarray:
        """At flat cells ``cells`` (with children), :math:`u = (r - 1/2)/n_g` with
        :math:`r` the mid rank of the cell's value in its area (the mean of the ranks
        its tied children share) and :math:`n_g` the area's size."""
        flat = self.counts.ravel()
        counts = flat[cells]
        area = cells // self.counts.shape[1]
        size = self.counts.sum(axis=1)
        # children of the area with smaller values: the cumulative count over all cells
        # (one fast pass) before the cell, less the children of the areas before
        before = np.cumsum(flat)[cells] - counts - (np.cumsum(size) - size)[area]
        return (before + (counts + 1) / 2.0 - 0.5) / size[area]

    def children(self, per_cell: np.ndarray, cells: np.ndarray) -> np.ndarray:
        """Values given at flat cells ``cells`` (every cell with children), per child."""
        out = np.zeros(self.counts.size)
        out[cells] = per_cell
        return out[self.cell]

    def best_quartile(self) -> np.ndarray:
        """Per area: is its median at most the first quartile (:func:`numpy.quantile`)
        of the medians of the areas with children?"""
        size = self.counts.sum(axis=1)
        present = np.flatnonzero(size)
        # cumulative counts of all areas in one increasing row: area a's are offset by
        # the children of the areas before it
        n = size[present]
        offset = np.cumsum(n) - n
        cum = np.cumsum(self.counts[present].ravel())
        width = self.counts.shape[1]

        def order_statistic(j: np.ndarray) -> np.ndarray:
            """The (0-based) j-th smallest value of each present area: the first value
            whose cumulative count exceeds j."""
            at = np.searchsorted(cum, j + offset, side="right")
            return self.values[at - np.arange(len(n)) * width]

        median = (order_statistic((n - 1) // 2) + order_statistic(n // 2)) / 2.0
        best = np.zeros(len(size), dtype=bool)
        best[present] = median <= np.quantile(median, 0.25)
        return best

    def sorted_values(self, weights: np.ndarray) -> np.ndarray:
        """The durations of the children counted by ``weights`` (per value), sorted."""
        return np.repeat(self.values, weights).astype(float)


def linear_quantiles(sorted_values: np.ndarray, q: np.ndarray) -> np.ndarray:
    """``numpy.quantile(sorted_values, q)`` (its default, linear method) of sorted
    values, with NumPy's own arithmetic, without its partition (slow for many ``q``).

    With :math:`v = (n-1)q`, :math:`j = \\lfloor v \\rfloor` and :math:`\\gamma = v - j`:
    :math:`x_{(j)} + \\gamma (x_{(j+1)} - x_{(j)})`, computed from the upper value when
    :math:`\\gamma \\ge 1/2` as NumPy does.
    """
    n = len(sorted_values)
    virtual = (n - 1) * np.asarray(q, dtype=float)
    previous = np.floor(virtual)
    gamma = virtual - previous
    low = np.clip(previous, 0, n - 1).astype(np.intp)
    high = np.clip(previous + 1, 0, n - 1).astype(np.intp)
    a, b = sorted_values[low], sorted_values[high]
    diff = b - a
    out = a + diff * gamma
    np.subtract(b, diff * (1 - gamma), out=out, where=gamma >= 0.5)
    return out


@dataclass
class PolicyOutcomes:
    """Per child of the cohort: its duration and first event under a policy.

    ``time``/``event``: days from the policy's disposal to the first event and its code
    (:data:`synthetic.outcomes.EVENT_NAMES`) with the order the child then gets
    (``order``); ``time_direct``/``event_direct``: the same with the order held at the
    natural one (for the part of the effect that does not run through the order).
    """

    duration_days: np.ndarray  # D', float
    order: np.ndarray
    time: np.ndarray
    event: np.ndarray
    time_direct: np.ndarray
    event_direct: np.ndarray


class CohortWorlds:
    """The disposal cohort's first events under any durations, from its common random
    numbers.

    Parameters
    ----------
    events : FirstEvents
        Built on the cohort's children (their draws, linear predictors, birth, death
        and ageing-out days).
    utility : ndarray
        Orders x children float32: utilities + Gumbel draws without the duration term.
    beta_d : ndarray
        :func:`synthetic.orders.duration_coefficients`.
    issue, age_out : ndarray
        Days of issue and of ageing out.
    days, order, time, event : ndarray
        The natural course: observed duration (days), order, days to first event and
        its code.
    no_order : int
        Code of ``no_order``.
    """

    def __init__(
        self,
        events: FirstEvents,
        utility: np.ndarray,
        beta_d: np.ndarray,
        issue: np.ndarray,
        age_out: np.ndarray,
        days: np.ndarray,
        order: np.ndarray,
        time: np.ndarray,
        event: np.ndarray,
        no_order: int,
    ) -> None:
        self.events, self.utility, self.beta_d = events, utility, beta_d
        self.issue, self.age_out = issue, age_out
        self.days, self.order, self.time, self.event = days, order, time, event
        self.no_order = no_order

    def outcomes(
        self, rows: slice | np.ndarray, days: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Order, time, event, and time and event with the natural order, of children
        ``rows`` (a slice or indices) disposed after ``days`` (whole days, one per child
        of ``rows``)."""
        disposal = self.issue[rows] + days
        order = np.empty(len(days), dtype=self.order.dtype)
        index = np.arange(len(self.days))[rows] if isinstance(rows, slice) else rows
        for start in range(0, len(days), BLOCK_ROWS):  # small (orders x block) arrays
            block = slice(start, start + BLOCK_ROWS)
            at = index[block]
            # a view of consecutive children, a copy of scattered ones
            utility = (
                self.utility[:, at[0] : at[-1] + 1]
                if isinstance(rows, slice)
                else (self.utility[:, at])
            )
            order[block] = choose_order(utility, self.beta_d, days[block])
        order = aged_out_order(order, disposal, self.age_out[rows], self.no_order)
        short = days <= THRESHOLD_DAYS
        time, event = self.events(rows, disposal, order, short)
        # with the natural order: the same unless the policy changed the order
        time_direct, event_direct = time.copy(), event.copy()
        differ = np.flatnonzero(order != self.order[rows])
        at = index[differ]
        time_direct[differ], event_direct[differ] = self.events(
            at, disposal[differ], self.order[at], short[differ]
        )
        return order, time, event, time_direct, event_direct

    def under(self, policy_days: np.ndarray) -> PolicyOutcomes:
        """Outcomes with durations ``policy_days`` (:math:`D'`, float).

        A child whose whole-day duration :math:`\\lceil D' \\rceil` does not move keeps
        its natural outcomes (consistency). When few children move, only theirs are
        worked out; when nearly all do, all are, in one pass over consecutive children:
        gathering and scattering the movers costs about a third of working a child out.
        """
        whole = np.ceil(policy_days).astype(np.int64)
        moved = np.flatnonzero(whole != self.days)
        if 4 * len(moved) > 3 * len(whole):
            return PolicyOutcomes(policy_days, *self.outcomes(slice(None), whole))
        order, time, event = self.order.copy(), self.time.copy(), self.event.copy()
        time_direct, event_direct = self.time.copy(), self.event.copy()
        (
            order[moved],
            time[moved],
            event[moved],
            time_direct[moved],
            event_direct[moved],
        ) = self.outcomes(moved, whole[moved])
        return PolicyOutcomes(policy_days, order, time, event, time_direct, event_direct)

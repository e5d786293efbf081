r"""Duration policies: rules that change each case's length of proceedings.

A board does not choose between "every case within 26 weeks" and "every case later";
it chooses a policy -- finish every case by 26 weeks, take four weeks off every case,
bring our durations to the national distribution -- and each policy moves each case by
an amount that depends on where the case is now. These are *modified treatment
policies* (Haneuse and Rotnitzky 2013; Díaz, Williams, Hoffman and Schenck 2023): the
intervention is a function :math:`D' = q(D, X)` of the duration each case would have
had anyway (its natural value) and of its covariates, not a fixed value given to
everyone.

Why they are better defined than "everyone within 26 weeks". A static intervention
:math:`D = d` asks what would happen if a case that took two years had instead been
disposed of in 26 weeks, with everything else about it unchanged; for the most complex
cases no such world is in the data (positivity fails), and no one proposes to bring it
about. "Within 26 weeks vs later" is worse: it is a contrast between two *sets* of
durations, and its value depends on how durations are spread within each side, which
changes from area to area and year to year. A modified treatment policy names a
feasible change of each case's own duration, so (i) it is the question a court or a
local authority can act on, (ii) its effect is identified under a weaker positivity
condition -- only the durations the policy actually moves cases to need support in the
data, case by case -- and (iii) it needs no arbitrary cut of a continuous exposure.

The policies here (durations in weeks, :math:`D` the natural duration):

- :class:`Cap` ``(W)``: :math:`D' = \min(D, W)`;
- :class:`Shift` ``(K, floor=F)``: :math:`D' = \max\{D + K, \min(D, F)\}`: every case
  :math:`K` weeks earlier (``K < 0``) but never below the floor, and a case already
  under the floor is not moved;
- :class:`MatchDistribution` ``(reference)``: each case moves to the same quantile of a
  reference distribution as it holds in its own area (below);
- :class:`Custom`: any function of the analysis frame returning the new durations.

Spec strings (:func:`parse_policy`) are the shared vocabulary of the library, the
command line and the synthetic world's truth: ``cap:26``, ``shift:-4``,
``shift:-4:floor=10``, ``match:best_quartile``, ``match:national``, ``match:<area code>``.

References
----------
Haneuse, S. and Rotnitzky, A. (2013). Estimation of the effect of interventions that
modify the received treatment. *Statistics in Medicine* 32(30), 5260-5277.

Díaz, I., Williams, N., Hoffman, K. L. and Schenck, E. J. (2023). Nonparametric causal
effects based on longitudinal modified treatment policies. *Journal of the American
Statistical Association* 118(542), 846-857.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from outcomes.errors import OutcomesError

__all__ = [
    "DEFAULT_FLOOR_WEEKS",
    "Cap",
    "Custom",
    "MatchDistribution",
    "Policy",
    "Shift",
    "as_policy",
    "parse_policy",
]

FloatArray = NDArray[np.float64]

DURATION = "duration_weeks"
"""The column of the natural durations, in weeks, that every policy reads."""
AREA = "la_code"
"""The area column: :class:`MatchDistribution` ranks each case within its area."""
DEFAULT_FLOOR_WEEKS = 8.0
"""The floor of :class:`Shift`: no case is moved below 8 weeks (56 days)."""


class Policy(ABC):
    """A rule giving each case a new duration in weeks.

    Attributes
    ----------
    spec : str
        The policy as a spec string (:func:`parse_policy` reads it back).
    label : str
        A readable name for tables and reports.
    row_by_row : bool
        Whether a case's new duration depends on its own row only (a cap, a shift),
        not on the other cases (a match to a distribution, a user's rule).
    """

    spec: str
    label: str
    row_by_row: ClassVar[bool] = False

    @abstractmethod
    def __call__(self, frame: pd.DataFrame) -> FloatArray:
        """The new duration in weeks of each row of ``frame`` (columns
        ``duration_weeks`` and ``la_code``)."""

    def durations(
        self, frame: pd.DataFrame, weights: NDArray[np.int64] | None = None
    ) -> FloatArray:
        """The new durations when row *i* of ``frame`` stands for ``weights[i]`` (at
        least 1) copies of itself, as a bootstrap resample fitted as its distinct rows
        with frequency weights has them.

        A policy that reads a row only (:attr:`row_by_row`) gives every copy the same
        duration. Any other is applied to the copies themselves, each copy of an area
        an area of its own (as in a resample of whole areas), and each row gets its
        first copy's duration.
        """
        if weights is None or self.row_by_row:
            return np.asarray(self(frame), dtype=np.float64)
        first = np.cumsum(weights) - weights
        copies = frame.iloc[np.repeat(np.arange(len(frame)), weights)]
        if AREA in copies.columns:
            copy = np.arange(len(copies)) - np.repeat(first, weights)
            copies = copies.assign(**{AREA: copies[AREA].astype(str) + "#" + copy.astype(str)})
        return np.asarray(self(copies), dtype=np.float64)[first]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.spec!r})"


def _weeks(frame: pd.DataFrame) -> FloatArray:
    if DURATION not in frame.columns:
        raise OutcomesError(f"the policy needs the column {DURATION!r} (weeks of proceedings)")
    return np.asarray(pd.to_numeric(frame[DURATION], errors="coerce"), dtype=np.float64)


def _number(text: str) -> str:
    """A number as the spec writes it (``26``, not ``26.0``)."""
    return f"{float(text):g}"


@dataclass(repr=False)
class Cap(Policy):
    """Every case finishes by ``weeks``: :math:`D' = \\min(D, W)`.

    Parameters
    ----------
    weeks : float
        The cap :math:`W` (``Cap(26)``: the statutory limit for care proceedings).
    """

    weeks: float
    row_by_row: ClassVar[bool] = True

    def __post_init__(self) -> None:
        if not (math.isfinite(self.weeks) and self.weeks > 0):
            raise OutcomesError(f"policy cap: weeks must be positive, got {self.weeks!r}")
        self.spec = f"cap:{self.weeks:g}"
        self.label = f"Cap at {self.weeks:g} weeks"

    def __call__(self, frame: pd.DataFrame) -> FloatArray:
        return np.minimum(_weeks(frame), float(self.weeks))


@dataclass(repr=False)
class Shift(Policy):
    """Every case ``weeks`` shorter (or longer), never below a floor.

    .. math::

        D' = \\max\\{D + K,\\ \\min(D, F)\\}

    so a case is moved by :math:`K` weeks unless that would take it under the floor
    :math:`F`, where it stops; a case already under the floor is not moved (a policy to
    shorten proceedings does not lengthen the shortest ones).

    Parameters
    ----------
    weeks : float
        The shift :math:`K` in weeks (negative: earlier).
    floor : float, default 8
        The floor :math:`F` in weeks.
    """

    weeks: float
    floor: float = DEFAULT_FLOOR_WEEKS
    row_by_row: ClassVar[bool] = True

    def __post_init__(self) -> None:
        if not math.isfinite(self.weeks):
            raise OutcomesError(f"policy shift: weeks must be a finite number, got {self.weeks!r}")
        if not (math.isfinite(self.floor) and self.floor >= 0):
            raise OutcomesError(f"policy shift: floor must be 0 or more, got {self.floor!r}")
        self.spec = f"shift:{self.weeks:g}" + (
            "" if self.floor == DEFAULT_FLOOR_WEEKS else f":floor={self.floor:g}"
        )
        direction = "shorter" if self.weeks < 0 else "longer"
        self.label = (
            f"Every case {abs(self.weeks):g} weeks {direction} (never below {self.floor:g} weeks)"
        )

    def __call__(self, frame: pd.DataFrame) -> FloatArray:
        d = _weeks(frame)
        return np.maximum(d + float(self.weeks), np.minimum(d, float(self.floor)))


REFERENCES = ("best_quartile", "national")
"""The named reference distributions of :class:`MatchDistribution`."""


@dataclass(repr=False)
class MatchDistribution(Policy):
    """Each case moves to the same quantile of a reference distribution.

    A case's quantile is taken within its own area (``la_code``): with :math:`r_i` its
    mid-rank among the :math:`n_a` durations of its area (tied durations share the
    average of their ranks),

    .. math::

        u_i = \\frac{r_i - 1/2}{n_a}, \\qquad D'_i = Q_{\\text{ref}}(u_i),

    where :math:`Q_{\\text{ref}}` is the linear-interpolation quantile of the reference
    durations (NumPy's default). The area's fastest case moves to near the reference's
    fastest, its median case to the reference's median, and so on: the area keeps its
    ordering of cases (the most complex still take longest) and takes on the
    reference's spread. Durations are mapped in days when they are whole days (as the
    data record them), then given back in weeks.

    Parameters
    ----------
    reference : str or array-like
        ``"best_quartile"``: the pooled durations of the areas whose median duration is
        at or below the first quartile of the areas' medians; ``"national"``: the
        pooled durations of the whole cohort; an area code: that area's durations; or
        an array of durations in weeks. The named references are computed from the
        rows the policy is applied to, so a bootstrap recomputes them in each
        replicate; an area code's durations are taken from the data the estimator is
        fitted to and then held fixed (an area is missing from about a third of the
        resamples of areas).
    label : str, optional
        Overrides the readable name.
    """

    reference: str | Sequence[float] | FloatArray
    label: str = field(default="")

    def __post_init__(self) -> None:
        if isinstance(self.reference, str):
            ref = self.reference.strip()
            if not ref:
                raise OutcomesError("policy match: the reference is empty")
            self.reference = ref
            self.spec = f"match:{ref}"
            names = {
                "best_quartile": "the best-quartile areas' durations",
                "national": "the national distribution of durations",
            }
            default = f"Durations matched to {names.get(ref, f'area {ref}')}"
        else:
            values = np.asarray(self.reference, dtype=np.float64).ravel()
            if values.size == 0 or not np.all(np.isfinite(values)) or np.any(values <= 0):
                raise OutcomesError(
                    "policy match: a reference array must hold positive, finite durations in weeks"
                )
            self.reference = values
            self.spec = f"match:{values.size} durations"
            default = f"Durations matched to a reference of {values.size} durations"
        self.label = self.label or default

    def reference_weeks(
        self, frame: pd.DataFrame, weights: NDArray[np.int64] | None = None
    ) -> FloatArray:
        """The reference durations, in weeks, for the rows of ``frame`` (each row
        ``weights[i]`` times, when given: see :meth:`durations`; the best quartile's
        areas are then ranked as copies of whole areas, so an area's rows must share
        their weight)."""
        ref = self.reference
        if not isinstance(ref, str):
            return np.asarray(ref, dtype=np.float64)
        weeks = _weeks(frame)

        def copies(keep: NDArray[np.bool_] | slice) -> FloatArray:
            return weeks[keep] if weights is None else np.repeat(weeks[keep], weights[keep])

        if ref == "national":
            return copies(slice(None))
        areas = _areas(frame)
        if ref == "best_quartile":
            # in whole days when the data are, so that an area whose median ties the
            # quartile is in or out exactly as the definition in days says
            codes, size = _area_codes(areas)
            medians = _medians(_days(weeks), codes, size)
            values = medians
            if weights is not None:
                # every copy of an area (whose rows share a weight) has its median
                area_weight = np.zeros(size, dtype=np.int64)
                area_weight[codes] = weights
                values = np.repeat(medians, area_weight)
            best = medians <= np.quantile(values, 0.25)
            return copies(best[codes])
        own = areas == ref
        if not own.any():
            raise OutcomesError(f"policy {self.spec}: no case of area {ref!r} in the data")
        return copies(own)

    def fixed(self, frame: pd.DataFrame) -> MatchDistribution:
        """This policy with an area code's reference taken from ``frame`` and held.

        Named references (``best_quartile``, ``national``) are returned unchanged: they
        are recomputed from whatever rows the policy is applied to.
        """
        if not isinstance(self.reference, str) or self.reference in REFERENCES:
            return self
        held = MatchDistribution(self.reference_weeks(frame), label=self.label)
        held.spec = self.spec
        return held

    def __call__(self, frame: pd.DataFrame) -> FloatArray:
        return self.durations(frame)

    def durations(
        self, frame: pd.DataFrame, weights: NDArray[np.int64] | None = None
    ) -> FloatArray:
        """As :meth:`Policy.durations`. When the rows of each area share a weight (a
        resample of whole areas), a copy of an area ranks its cases as the area does,
        so the ranks are taken over the distinct rows and only the reference counts
        the copies: the same durations as the copies give, without making them."""
        weeks = _weeks(frame)
        if np.isnan(weeks).any():
            raise OutcomesError(f"policy {self.spec}: some durations are missing")
        codes, size = _area_codes(_areas(frame))
        if weights is not None:
            area_weight = np.zeros(size, dtype=np.int64)
            area_weight[codes] = weights
            if not np.array_equal(area_weight[codes], weights):
                return super().durations(frame, weights)
        reference = self.reference_weeks(frame, weights)
        if reference.size == 0:
            raise OutcomesError(f"policy {self.spec}: the reference distribution is empty")
        u = (_mid_ranks(weeks, codes) - 0.5) / np.bincount(codes)[codes]
        ref_days = _days(reference)
        if np.array_equal(ref_days, np.rint(ref_days)):
            return np.asarray(np.quantile(ref_days, u) / 7.0, dtype=np.float64)
        return np.asarray(np.quantile(reference, u), dtype=np.float64)


def _days(weeks: FloatArray) -> FloatArray:
    """Durations in days: whole days when every value is one (to rounding)."""
    days = np.asarray(weeks, dtype=np.float64) * 7.0
    whole = np.rint(days)
    return whole if np.allclose(days, whole, rtol=0, atol=1e-6) else days


def _area_codes(areas: NDArray[Any]) -> tuple[NDArray[np.intp], int]:
    """Each row's area as a code ``0 .. size - 1``, and the number of areas."""
    codes, uniques = pd.factorize(areas)
    return codes.astype(np.intp), len(uniques)


def _mid_ranks(values: FloatArray, codes: NDArray[np.intp]) -> FloatArray:
    """Each value's rank within its area, 1 for the smallest, tied values sharing the
    average of their ranks (pandas' ``groupby(...).rank(method="average")``)."""
    n = values.size
    order = np.lexsort((values, codes))
    v, c = values[order], codes[order]
    changed = np.r_[True, c[1:] != c[:-1]]
    new_tie = changed | np.r_[True, v[1:] != v[:-1]]
    at = np.arange(n)
    area_start = np.maximum.accumulate(np.where(changed, at, 0))
    tie_first = at[new_tie]
    tie_last = np.r_[tie_first[1:], n] - 1
    tie = np.cumsum(new_tie) - 1
    ranks = np.empty(n)
    ranks[order] = (tie_first + tie_last)[tie] / 2.0 - area_start + 1.0
    return ranks


def _medians(values: FloatArray, codes: NDArray[np.intp], size: int) -> FloatArray:
    """Each area's median value (the mean of the two middle ones for an even count)."""
    order = np.lexsort((values, codes))
    v = values[order]
    count = np.bincount(codes, minlength=size)
    start = np.cumsum(count) - count
    return (v[start + (count - 1) // 2] + v[start + count // 2]) / 2.0


def _areas(frame: pd.DataFrame) -> NDArray[Any]:
    if AREA not in frame.columns:
        raise OutcomesError(f"the policy needs the area column {AREA!r}")
    return frame[AREA].astype(str).to_numpy()


@dataclass(repr=False)
class Custom(Policy):
    """A user's rule: ``function(frame)`` returns each row's new duration in weeks.

    ``frame`` is the analysis frame (``duration_weeks``, ``la_code``, the confounders and
    the other cohort columns); the result must be one positive, finite duration per row.

    Parameters
    ----------
    function : callable
        ``DataFrame -> array-like`` of new durations in weeks.
    name : str, optional
        The spec is ``custom:<name>`` (default: the function's ``__name__``).
    label : str, optional
    """

    function: Callable[[pd.DataFrame], Any]
    name: str = ""
    label: str = ""

    def __post_init__(self) -> None:
        self.name = self.name or getattr(self.function, "__name__", "policy")
        self.spec = f"custom:{self.name}"
        self.label = self.label or f"Custom policy {self.name}"

    def __call__(self, frame: pd.DataFrame) -> FloatArray:
        try:
            values = np.asarray(self.function(frame), dtype=np.float64).ravel()
        except (TypeError, ValueError) as exc:
            raise OutcomesError(f"policy {self.spec}: did not return durations ({exc})") from exc
        if values.shape != (len(frame),):
            raise OutcomesError(
                f"policy {self.spec}: returned {values.size} durations for {len(frame)} rows"
            )
        if not np.all(np.isfinite(values)) or np.any(values <= 0):
            raise OutcomesError(
                f"policy {self.spec}: every new duration must be a positive, finite number "
                "of weeks"
            )
        return values


SPEC_HELP = (
    "use cap:WEEKS, shift:WEEKS, shift:WEEKS:floor=WEEKS, match:best_quartile, "
    "match:national or match:AREA_CODE"
)


def parse_policy(spec: str) -> Policy:
    """The policy a spec string names.

    Parameters
    ----------
    spec : str
        ``cap:W``, ``shift:K``, ``shift:K:floor=F``, ``match:best_quartile``,
        ``match:national`` or ``match:<area code>`` (weeks; see the module docstring).

    Returns
    -------
    Policy

    Raises
    ------
    OutcomesError
        Naming the spec and what is wrong with it.
    """
    if not isinstance(spec, str):
        raise OutcomesError(f"policy {spec!r}: a policy spec is a string; {SPEC_HELP}")
    kind, _, rest = spec.strip().partition(":")
    kind = kind.strip().lower()
    try:
        if kind == "cap":
            return Cap(float(_one(rest, spec)))
        if kind == "shift":
            parts = [p.strip() for p in rest.split(":")]
            if len(parts) == 1:
                return Shift(float(_one(parts[0], spec)))
            if len(parts) == 2 and parts[1].replace(" ", "").lower().startswith("floor="):
                floor = parts[1].split("=", 1)[1]
                return Shift(float(_one(parts[0], spec)), floor=float(_one(floor, spec)))
            raise OutcomesError(f"policy {spec!r}: not understood; {SPEC_HELP}")
        if kind == "match":
            if not rest.strip():
                raise OutcomesError(f"policy {spec!r}: no reference given; {SPEC_HELP}")
            return MatchDistribution(rest.strip())
    except ValueError as exc:
        if isinstance(exc, OutcomesError) and str(exc).startswith(f"policy {spec!r}"):
            raise
        # a constructor's message starts "policy cap: ..."; the spec names it here
        detail = str(exc).split(": ", 1)[-1]
        raise OutcomesError(f"policy {spec!r}: {detail}; {SPEC_HELP}") from None
    raise OutcomesError(f"policy {spec!r}: unknown kind {kind!r}; {SPEC_HELP}")


def _one(text: str, spec: str) -> str:
    """A number from the spec (checked), as text."""
    text = text.strip()
    try:
        value = float(text)
    except ValueError:
        raise OutcomesError(f"policy {spec!r}: {text!r} is not a number of weeks") from None
    if not math.isfinite(value):
        raise OutcomesError(f"policy {spec!r}: {text!r} is not a finite number of weeks")
    return _number(text)


def as_policy(policy: Policy | str | Callable[[pd.DataFrame], Any]) -> Policy:
    """A :class:`Policy` from a policy, a spec string or a callable."""
    if isinstance(policy, Policy):
        return policy
    if isinstance(policy, str):
        return parse_policy(policy)
    if callable(policy):
        return Custom(policy)
    raise OutcomesError(f"not a policy: {policy!r} (a spec string, a Policy or a function)")

"""The truth of a world: its parameters and the causal estimands it implies.

For the **disposal cohort** -- each child's first proceedings in the data, disposed by
the extract date -- every child has potential first events under

* :math:`a=1` "disposed within 26 weeks" with the order it would then get, :math:`O(1)`;
* :math:`a=0` "disposed after 26 weeks" with :math:`O(0)`;
* the cross-world :math:`(a=1, O(0))`, for mediation,

all computed with common random numbers (see :mod:`synthetic.duration`,
:mod:`synthetic.orders`, :mod:`synthetic.outcomes`). Time zero is each arm's own
disposal; follow-up is not censored (no extract date, no emigration), and adoption,
death and ageing out compete. With :math:`Y_i(a, o; h) = 1` if child *i*'s first event
is a return to court within *h* years,

.. math::

    F_a(h) = \\frac1n \\sum_i Y_i(a, O_i(a); h), \\quad
    \\mathrm{RD}(h) = F_1(h) - F_0(h), \\quad \\mathrm{RR}(h) = F_1(h)/F_0(h),

    \\mathrm{NDE}(h) = \\frac1n\\sum_i [Y_i(1, O_i(0); h) - Y_i(0, O_i(0); h)], \\quad
    \\mathrm{NIE}(h) = \\frac1n\\sum_i [Y_i(1, O_i(1); h) - Y_i(1, O_i(0); h)],

so :math:`\\mathrm{RD} = \\mathrm{NDE} + \\mathrm{NIE}`. These are the cohort's
(sample) values; as estimates of the population values of an infinitely large world
they carry Monte Carlo standard errors: the standard deviation of the per-child
(paired) contrast over :math:`\\sqrt n`, and for :math:`\\log \\mathrm{RR}` the delta
method with the paired covariance. The conditional hazard ratio is the scenario
parameter ``returns.hr_short`` (exact, no Monte Carlo error).

**Duration policies.** A policy :math:`p` moves each cohort child's duration
:math:`D_i` to :math:`D'_i` (``cap:26``, ``shift:-4``, ``match:best_quartile``, ...; see
:mod:`synthetic.policies`, which also says how the child's order and first event
follow :math:`D'_i` with the same random numbers). With :math:`Y_i(d, o; h)` as above
for duration :math:`d` (its disposal, time zero, at issue + :math:`d`; the return
hazard's step at :math:`d \\le 182` days) and :math:`O_i(d)` the order then,

.. math::

    F_p(h) = \\frac1n \\sum_i Y_i(D'_i, O_i(D'_i); h), \\qquad
    F_{\\mathrm{nat}}(h) = \\frac1n \\sum_i Y_i(D_i, O_i(D_i); h),

    \\mathrm{PRD}_p(h) = F_p(h) - F_{\\mathrm{nat}}(h), \\quad
    \\mathrm{PRR}_p(h) = F_p(h) / F_{\\mathrm{nat}}(h),

    \\mathrm{direct}_p(h) = \\frac1n \\sum_i [Y_i(D'_i, O_i(D_i); h) - Y_i(D_i, O_i(D_i); h)],
    \\quad \\mathrm{through\\ order}_p(h) = \\mathrm{PRD}_p(h) - \\mathrm{direct}_p(h),

and the mean weeks of proceedings per child :math:`\\frac1n \\sum_i D'_i / 7` (and
:math:`D_i/7` for the natural course). :math:`Y_i(D_i, O_i(D_i); h)` is the child's
observed first event without censoring (consistency). Rows: ``policy_risk`` with
``arm`` the policy's spec string or ``natural``; ``policy_risk_difference``,
``policy_risk_ratio``, ``policy_direct``, ``policy_through_order`` with ``contrast`` the
spec string (the policy against the natural course); ``policy_mean_weeks`` with
``arm`` and no horizon. Monte Carlo SEs as above, from the per-child paired contrasts.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ._time import DAYS_PER_YEAR
from .policies import PolicyOutcomes
from .scenario import Scenario

HORIZONS_YEARS = (1.0, 2.0, 5.0)


@dataclass
class Truth:
    """True values of a world; JSON-serialisable with :meth:`to_json`.

    Attributes
    ----------
    scenario, seed : the world's scenario name and seed.
    parameters : dict
        Every scenario value by dotted name.
    provenance : dict
        Source or assumption for every value.
    conditional_hr : float
        True cause-specific HR of return for disposal within 26 weeks, conditional on
        order type, complexity, age group and LA (the model's parameter).
    n_cohort : int
        Children in the disposal cohort.
    estimands : list of dict
        Tidy rows: ``estimand`` (``cif``, ``risk_difference``, ``risk_ratio``,
        ``natural_direct``, ``natural_indirect``; for the duration policies
        ``policy_risk``, ``policy_risk_difference``, ``policy_risk_ratio``,
        ``policy_direct``, ``policy_through_order``, ``policy_mean_weeks``), ``arm`` or
        ``contrast`` (a policy's spec string, or ``natural``), ``horizon_years`` (None
        for ``policy_mean_weeks``), ``estimate``, ``mc_std_error``.
    notes : list of str
    policies : list of str
        The spec strings of the duration policies in ``estimands``.
    """

    scenario: str
    seed: int
    parameters: dict[str, Any]
    provenance: dict[str, str]
    conditional_hr: float
    n_cohort: int
    estimands: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    policies: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        """Stable, pretty JSON (sorted keys; NaN written as null, so it is strict JSON)."""
        return (
            json.dumps(_finite(self.to_dict()), indent=2, sort_keys=True, allow_nan=False) + "\n"
        )

    def table(self) -> pd.DataFrame:
        """The estimands as a DataFrame."""
        return pd.DataFrame(self.estimands)

    def value(self, estimand: str, horizon_years: float | None, label: str | None = None) -> float:
        """One estimate, e.g. ``value("risk_difference", 5)``, ``value("cif", 2, "short")``,
        ``value("policy_risk_difference", 2, "cap:26")`` or
        ``value("policy_mean_weeks", None, "natural")``."""
        for row in self.estimands:
            if (
                row["estimand"] == estimand
                and row["horizon_years"] == horizon_years
                and (label is None or label in (row.get("arm"), row.get("contrast")))
            ):
                return float(row["estimate"])
        raise KeyError((estimand, horizon_years, label))


def _finite(value: Any) -> Any:
    """Replace non-finite floats by None, recursively (JSON has no NaN)."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, float | np.floating):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def _is_return(potential: pd.DataFrame | dict[str, np.ndarray], key: str) -> np.ndarray:
    values = potential[key]
    if isinstance(values, pd.Series):
        return (values == "child_return").to_numpy(dtype=bool)
    return np.asarray(values) == 0  # EVENT_NAMES code of child_return


def marginal_estimands(potential: pd.DataFrame | dict[str, np.ndarray]) -> list[dict[str, Any]]:
    """Cumulative incidences and contrasts from potential outcomes.

    ``potential`` is :attr:`World.potential_outcomes` (or the same as arrays with
    event codes and ``t_``/``e_`` names, as used internally).
    """
    if isinstance(potential, pd.DataFrame):
        names = {
            "short": ("time_short", "event_short"),
            "long": ("time_long", "event_long"),
            "cross": ("time_short_order_long", "event_short_order_long"),
        }
    else:
        names = {
            "short": ("t_short", "e_short"),
            "long": ("t_long", "e_long"),
            "cross": ("t_cross", "e_cross"),
        }
    times = {k: np.asarray(potential[t]) for k, (t, _) in names.items()}
    returns = {k: _is_return(potential, e) for k, (_, e) in names.items()}
    n = len(times["short"])
    rows: list[dict[str, Any]] = []
    for h in HORIZONS_YEARS:
        days = h * DAYS_PER_YEAR
        y1, y0, yx = (returns[k] & (times[k] <= days) for k in ("short", "long", "cross"))
        # the outcomes are binary: every mean, variance and covariance below follows
        # from counts (how many children have y1, y0, both, ...), with no float arrays
        c1, c0, cx = (int(np.count_nonzero(y)) for y in (y1, y0, yx))
        c10, cx0, c1x = (int(np.count_nonzero(a & b)) for a, b in ((y1, y0), (yx, y0), (y1, yx)))
        f1 = c1 / n if n else float("nan")
        f0 = c0 / n if n else float("nan")
        rows.append(_row("cif", h, f1, _se_binary(c1, c1, n), arm="short"))
        rows.append(_row("cif", h, f0, _se_binary(c0, c0, n), arm="long"))
        # a difference a - b of 0/1 outcomes sums to ca - cb; its squares to ca + cb - 2 cab
        rd_se = _se_binary(c1 - c0, c1 + c0 - 2 * c10, n)
        rows.append(_row("risk_difference", h, f1 - f0, rd_se, contrast="short - long"))
        rr, se_rr = _ratio(c1, c0, c10, n)
        rows.append(_row("risk_ratio", h, rr, se_rr, contrast="short / long"))
        rows.append(
            _row(
                "natural_direct",
                h,
                (cx - c0) / n if n else float("nan"),
                _se_binary(cx - c0, cx + c0 - 2 * cx0, n),
                contrast="short - long, orders as under long",
            )
        )
        rows.append(
            _row(
                "natural_indirect",
                h,
                (c1 - cx) / n if n else float("nan"),
                _se_binary(c1 - cx, c1 + cx - 2 * c1x, n),
                contrast="short: own orders - orders as under long",
            )
        )
    return rows


def _ratio(c1: int, c0: int, c10: int, n: int) -> tuple[float, float]:
    """Ratio of the means of two paired 0/1 outcomes with ``c1`` and ``c0`` ones (``c10``
    children with both), and its delta-method SE from the paired covariance."""
    f1 = c1 / n if n else float("nan")
    f0 = c0 / n if n else float("nan")
    if f1 > 0 and f0 > 0 and n > 1:
        var1, var0 = _variance(c1, c1, n), _variance(c0, c0, n)
        cov = (c10 - c1 * c0 / n) / (n - 1)
        var_log = (var1 / f1**2 + var0 / f0**2 - 2.0 * cov / (f1 * f0)) / n
        return f1 / f0, (f1 / f0) * float(np.sqrt(max(var_log, 0.0)))
    return float("nan"), float("nan")


def policy_estimands(
    natural: PolicyOutcomes, policies: dict[str, PolicyOutcomes]
) -> list[dict[str, Any]]:
    """The duration policies' estimands (see the module docstring): ``policy_risk`` of
    the natural course and of each policy (by spec string), ``policy_risk_difference``,
    ``policy_risk_ratio``, ``policy_direct`` and ``policy_through_order`` of each policy
    against the natural course, per horizon; ``policy_mean_weeks`` of each (no
    horizon). Event code 0 is ``child_return``."""
    if not policies:
        return []
    n = len(natural.time)
    rows: list[dict[str, Any]] = []
    for h in HORIZONS_YEARS:
        days = h * DAYS_PER_YEAR
        y0 = (natural.event == 0) & (natural.time <= days)
        c0 = int(np.count_nonzero(y0))
        f0 = c0 / n if n else float("nan")
        rows.append(_row("policy_risk", h, f0, _se_binary(c0, c0, n), arm="natural"))
        for label, p in policies.items():
            y1 = (p.event == 0) & (p.time <= days)
            yd = (p.event_direct == 0) & (p.time_direct <= days)
            c1, cd = int(np.count_nonzero(y1)), int(np.count_nonzero(yd))
            c10, cd0, c1d = (
                int(np.count_nonzero(a & b)) for a, b in ((y1, y0), (yd, y0), (y1, yd))
            )
            f1 = c1 / n if n else float("nan")
            rows.append(_row("policy_risk", h, f1, _se_binary(c1, c1, n), arm=label))
            rd_se = _se_binary(c1 - c0, c1 + c0 - 2 * c10, n)
            rows.append(_row("policy_risk_difference", h, f1 - f0, rd_se, contrast=label))
            rows.append(_row("policy_risk_ratio", h, *_ratio(c1, c0, c10, n), contrast=label))
            direct = (cd - c0) / n if n else float("nan")
            rows.append(
                _row(
                    "policy_direct",
                    h,
                    direct,
                    _se_binary(cd - c0, cd + c0 - 2 * cd0, n),
                    contrast=label,
                )
            )
            rows.append(
                _row(
                    "policy_through_order",
                    h,
                    (c1 - cd) / n if n else float("nan"),
                    _se_binary(c1 - cd, c1 + cd - 2 * c1d, n),
                    contrast=label,
                )
            )
    for label, world in {"natural": natural, **policies}.items():
        weeks = world.duration_days / 7.0
        mean = float(weeks.mean()) if n else float("nan")
        se = float(weeks.std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan")
        rows.append(_row("policy_mean_weeks", None, mean, se, arm=label))
    return rows


def _variance(total: int, squares: int, n: int) -> float:
    """Sample variance (ddof 1) of ``n`` values with sum ``total`` and sum of squares
    ``squares``."""
    return (squares - total * total / n) / (n - 1)


def _se_binary(total: int, squares: int, n: int) -> float:
    """Standard error of the mean of ``n`` values with sum ``total`` and sum of squares
    ``squares`` (integers, so the sums are exact)."""
    return float(np.sqrt(max(_variance(total, squares, n), 0.0) / n)) if n > 1 else float("nan")


def _row(estimand: str, h: float | None, est: float, se: float, **label: str) -> dict[str, Any]:
    out: dict[str, Any] = {"estimand": estimand, "horizon_years": h}
    out.update({"arm": None, "contrast": None})
    out.update(label)
    out.update({"estimate": est, "mc_std_error": se})
    return out


def compute_truth(
    scenario: Scenario,
    seed: int,
    potential: pd.DataFrame | dict[str, np.ndarray],
    extract: int,
    natural: PolicyOutcomes | None = None,
    policies: dict[str, PolicyOutcomes] | None = None,
) -> Truth:
    """Build the :class:`Truth` of a world from its potential outcomes (and those of the
    natural course and the duration policies, if given)."""
    params = scenario.to_dict()
    policies = policies or {}
    policy_rows = policy_estimands(natural, policies) if natural is not None else []
    policy_notes = [
        "duration policies: each cohort child's duration D becomes the policy's D' "
        "(arm and contrast labels are the policies' spec strings); its order, return "
        "hazard and time zero follow D', with the same random numbers as every other "
        "world; natural = the observed durations",
        "policy_direct: D' with the order held at the natural one; "
        "policy_risk_difference = policy_direct + policy_through_order",
        "policy_mean_weeks: mean duration per child in weeks (days / 7), no horizon",
    ]
    truth = Truth(
        scenario=scenario.name,
        seed=int(seed),
        parameters=params["values"],
        provenance=params["provenance"],
        conditional_hr=float(scenario["returns.hr_short"]),
        n_cohort=len(potential["t_short"] if isinstance(potential, dict) else potential),
        estimands=marginal_estimands(potential),
        notes=[
            "cohort: each child's first proceedings in the data, disposed by the extract date",
            "time zero: the disposal date under each arm; horizons in years of 365.25 days",
            "event: child_return (next s31 issue for the child); adoption, death and "
            "ageing out (17) compete; no censoring",
            "arms: short = disposed within 26 weeks (<= 182 days), long = after; durations "
            "drawn within each arm from the case's own duration distribution",
            "natural effects: reference arm long; RD = natural_direct + natural_indirect",
            "mc_std_error: Monte Carlo SE of the cohort value as an estimate of the "
            "population value",
            *(policy_notes if policy_rows else []),
        ],
        policies=list(policies) if policy_rows else [],
    )
    truth.estimands.extend(policy_rows)
    return truth

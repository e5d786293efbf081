"""Covariate balance and positivity diagnostics for propensity-score weighting.

:func:`standardised_differences` gives the standardised mean difference (SMD) of every
confounder (every level of a categorical one) before and after weighting;
:func:`positivity` summarises how far the propensity-score distributions of the arms
overlap and warns (:class:`PositivityWarning`) when they do not.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from outcomes.causal._inputs import (
    aligned_arrays,
    binary_treatment,
    category_levels,
    split_columns,
)
from outcomes.errors import ModelError, OutcomesError, OutcomesWarning, SchemaError

__all__ = [
    "BALANCE_THRESHOLD",
    "PositivityReport",
    "PositivityWarning",
    "positivity",
    "standardised_differences",
]

BALANCE_THRESHOLD = 0.1
"""An absolute SMD below this is conventionally taken as balance (Austin 2009)."""


class PositivityWarning(OutcomesWarning):
    """The treated and untreated propensity-score distributions overlap poorly.

    Some units have (almost) no comparable units in the other arm, so their effect
    rests on extrapolation and their weights are large. See :func:`positivity`.
    """


def standardised_differences(
    data: pd.DataFrame,
    treatment: str,
    confounders: Sequence[str],
    weights: pd.Series | None = None,
    categorical: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Standardised mean differences before and after weighting (Austin 2009).

    For a numeric confounder with arm means :math:`\\bar x_1, \\bar x_0` and sample
    variances :math:`s_1^2, s_0^2` (``ddof=1``, unweighted),

    .. math::

        d = \\frac{\\bar x_1 - \\bar x_0}{\\sqrt{(s_1^2 + s_0^2)/2}}.

    For a binary variable, and for each level of a categorical confounder (its 0/1
    indicator), with arm proportions :math:`p_1, p_0`,

    .. math::

        d = \\frac{p_1 - p_0}{\\sqrt{\\{p_1(1 - p_1) + p_0(1 - p_0)\\}/2}}.

    The weighted SMD replaces the numerator's means (proportions) by weighted ones,
    :math:`\\bar x_a^w = \\sum_{i: T_i = a} w_i x_i / \\sum_{i: T_i = a} w_i`, and keeps
    the **unweighted** pooled standard deviation as denominator, so that a change in
    the SMD reflects a change in the means alone (Austin & Stuart 2015). Numeric
    columns holding only 0 and 1 (and booleans) use the binary formula.

    Each variable uses the rows where it, the treatment (and, for the weighted SMD,
    the weight) are known. A zero denominator gives ``NaN`` when the means agree and
    :math:`\\pm\\infty` when they do not (a level present in one arm only).

    Parameters
    ----------
    data : pandas.DataFrame
    treatment : str
        Binary treatment column.
    confounders : sequence of str
    weights : pandas.Series, optional
        Weights aligned with ``data`` by index (e.g. from
        :func:`~outcomes.causal.inverse_probability_weights`). Without them,
        ``smd_weighted`` is ``NaN``.
    categorical : sequence of str, optional
        As for :func:`~outcomes.causal.fit_propensity`: default, every non-numeric
        confounder.

    Returns
    -------
    pandas.DataFrame
        Columns ``variable``, ``level`` (``None`` for numeric variables),
        ``smd_unweighted``, ``smd_weighted``, ``mean_treated``, ``mean_control``,
        ``mean_treated_weighted``, ``mean_control_weighted`` (proportions for levels).

    References
    ----------
    .. [1] Austin, P. C. (2009). Balance diagnostics for comparing the distribution of
       baseline covariates between treatment groups in propensity-score matched
       samples. *Statistics in Medicine* 28(25), 3083-3107.
    .. [2] Austin, P. C. & Stuart, E. A. (2015). Moving towards best practice when using
       inverse probability of treatment weighting (IPTW) using the propensity score to
       estimate causal treatment effects in observational studies. *Statistics in
       Medicine* 34(28), 3661-3679.
    """
    confounders = list(dict.fromkeys(confounders))
    absent = [c for c in [treatment, *confounders] if c not in data.columns]
    if absent:
        raise SchemaError(f"columns not in the data: {', '.join(absent)}", column=absent[0])
    t = binary_treatment(data[treatment], treatment)
    t_arr = t.astype("Float64").to_numpy(dtype=np.float64, na_value=np.nan)
    if weights is None:
        w = np.full(len(data), np.nan)
    else:
        if not weights.index.equals(data.index):
            raise OutcomesError("weights must be indexed like data")
        w = pd.to_numeric(weights, errors="coerce").astype(np.float64).to_numpy()
    categorical_cols, numeric_cols = split_columns(data, confounders, categorical)

    rows: list[dict[str, object]] = []
    for c in confounders:
        if c in categorical_cols:
            col = data[c]
            known = col.notna().to_numpy()
            levels = sorted(col.dropna().astype(str).unique())
            as_text = category_levels(col)
            for level in levels:
                x = (as_text == level).to_numpy(dtype=np.float64)
                x[~known] = np.nan
                rows.append(_smd_row(c, level, x, t_arr, w, binary=True))
        else:
            x = pd.to_numeric(data[c], errors="coerce").astype(np.float64).to_numpy()
            binary = bool(np.isin(x[~np.isnan(x)], (0.0, 1.0)).all())
            rows.append(_smd_row(c, None, x, t_arr, w, binary=binary))
    return pd.DataFrame(
        rows,
        columns=[
            "variable",
            "level",
            "smd_unweighted",
            "smd_weighted",
            "mean_treated",
            "mean_control",
            "mean_treated_weighted",
            "mean_control_weighted",
        ],
    )


def _smd_row(
    variable: str,
    level: str | None,
    x: np.ndarray,
    t: np.ndarray,
    w: np.ndarray,
    *,
    binary: bool,
) -> dict[str, object]:
    ok = ~np.isnan(x) & ~np.isnan(t)
    x1, x0 = x[ok & (t == 1)], x[ok & (t == 0)]
    m1, m0 = _mean(x1), _mean(x0)
    if binary:
        pooled_var = (m1 * (1 - m1) + m0 * (1 - m0)) / 2
    else:
        pooled_var = (_var(x1) + _var(x0)) / 2
    sd = float(np.sqrt(pooled_var))

    okw = ok & ~np.isnan(w)
    m1w = _weighted_mean(x[okw & (t == 1)], w[okw & (t == 1)])
    m0w = _weighted_mean(x[okw & (t == 0)], w[okw & (t == 0)])
    return {
        "variable": variable,
        "level": level,
        "smd_unweighted": _ratio(m1 - m0, sd),
        "smd_weighted": _ratio(m1w - m0w, sd),
        "mean_treated": m1,
        "mean_control": m0,
        "mean_treated_weighted": m1w,
        "mean_control_weighted": m0w,
    }


def _mean(x: np.ndarray) -> float:
    return float(x.mean()) if x.size else float("nan")


def _var(x: np.ndarray) -> float:
    return float(x.var(ddof=1)) if x.size > 1 else float("nan")


def _weighted_mean(x: np.ndarray, w: np.ndarray) -> float:
    total = float(w.sum())
    return float(np.dot(w, x) / total) if x.size and total > 0 else float("nan")


def _ratio(numerator: float, denominator: float) -> float:
    if np.isnan(numerator) or np.isnan(denominator):
        return float("nan")
    if denominator == 0:
        return float("nan") if numerator == 0 else float(np.copysign(np.inf, numerator))
    return numerator / denominator


# -- positivity ------------------------------------------------------------------------

EXTREME_SCORES = (0.01, 0.99)
"""Scores outside this range are "extreme": their unstabilised weight exceeds 100."""
MAX_SHARE_OUTSIDE = 0.05
"""Warn when more than this share of an arm lies outside the other arm's score range."""
MAX_SHARE_EXTREME = 0.01
"""Warn when more than this share of all scored units has an extreme score."""


@dataclass(frozen=True)
class PositivityReport:
    """Result of :func:`positivity`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per arm (``"treated"``, ``"control"``): ``arm``, ``n``, ``min``,
        ``p01``, ``median``, ``p99``, ``max`` of the scores, ``share_outside``
        (share of the arm outside the range of the other arm's scores),
        ``share_extreme_low`` and ``share_extreme_high`` (below / above the
        ``extreme`` bounds).
    share_extreme : float
        Share of all scored units with an extreme score.
    common_support : (float, float)
        The overlap of the two arms' ranges, :math:`[\\max(\\min_1, \\min_0),
        \\min(\\max_1, \\max_0)]`.
    adequate : bool
        False when a threshold was crossed.
    problems : list of str
        Plain-English description of each crossed threshold.
    """

    table: pd.DataFrame
    share_extreme: float
    common_support: tuple[float, float]
    adequate: bool
    problems: list[str]


def positivity(
    scores: pd.Series,
    treatment: pd.Series,
    *,
    extreme: tuple[float, float] = EXTREME_SCORES,
    max_share_outside: float = MAX_SHARE_OUTSIDE,
    max_share_extreme: float = MAX_SHARE_EXTREME,
    warn: bool = True,
) -> PositivityReport:
    """Summarise propensity-score overlap and warn when it is poor.

    Positivity requires :math:`0 < P(T = 1 \\mid X = x) < 1` wherever :math:`x` occurs.
    It is checked empirically in two ways (Petersen et al. 2012; Crump et al. 2009):

    1. **Common support.** The share of each arm whose score lies outside the range
       :math:`[\\min, \\max]` of the other arm's scores: those units have no comparable
       unit in the other arm. Poor when either share exceeds ``max_share_outside``
       (default 5%).
    2. **Extreme scores.** The share of units with :math:`e < a` or :math:`e > b`
       (default :math:`a = 0.01`, :math:`b = 0.99`, i.e. an unstabilised weight above
       100). Poor when it exceeds ``max_share_extreme`` (default 1%).

    These thresholds are conventions for raising a flag, not tests: small violations
    in a large sample can still matter, and trimming or truncation
    (:func:`~outcomes.causal.inverse_probability_weights`) or restricting the
    estimand (Crump et al. 2009) are the remedies to consider.

    Parameters
    ----------
    scores : pandas.Series
        Propensity scores; ``NaN`` rows are ignored.
    treatment : pandas.Series
        Binary treatment aligned with ``scores`` by index.
    extreme : (float, float)
        Bounds outside which a score counts as extreme.
    max_share_outside, max_share_extreme : float
        Thresholds described above.
    warn : bool
        Issue a :class:`PositivityWarning` when overlap is poor.

    Returns
    -------
    PositivityReport

    Warns
    -----
    PositivityWarning
        When a threshold is crossed and ``warn`` is true.

    References
    ----------
    .. [1] Petersen, M. L., Porter, K. E., Gruber, S., Wang, Y. & van der Laan, M. J.
       (2012). Diagnosing and responding to violations in the positivity assumption.
       *Statistical Methods in Medical Research* 21(1), 31-54.
    .. [2] Crump, R. K., Hotz, V. J., Imbens, G. W. & Mitnik, O. A. (2009). Dealing with
       limited overlap in estimation of average treatment effects. *Biometrika* 96(1),
       187-199.
    """
    e, t = aligned_arrays(scores, treatment)
    has = ~np.isnan(e) & ~np.isnan(t)
    e1, e0 = e[has & (t == 1)], e[has & (t == 0)]
    if e1.size == 0 or e0.size == 0:
        raise ModelError("both arms need scored units to assess overlap")
    lo, hi = extreme
    arms = {"treated": (e1, e0), "control": (e0, e1)}
    rows: list[dict[str, Any]] = []
    for arm, (own, other) in arms.items():
        q = np.percentile(own, [1, 50, 99])
        rows.append(
            {
                "arm": arm,
                "n": int(own.size),
                "min": float(own.min()),
                "p01": float(q[0]),
                "median": float(q[1]),
                "p99": float(q[2]),
                "max": float(own.max()),
                "share_outside": float(np.mean((own < other.min()) | (own > other.max()))),
                "share_extreme_low": float(np.mean(own < lo)),
                "share_extreme_high": float(np.mean(own > hi)),
            }
        )
    table = pd.DataFrame(rows)
    all_scores = e[has]
    share_extreme = float(np.mean((all_scores < lo) | (all_scores > hi)))
    support = (max(float(e1.min()), float(e0.min())), min(float(e1.max()), float(e0.max())))

    problems = [
        f"{r['share_outside']:.1%} of the {r['arm']} arm lies outside the other arm's "
        f"propensity range (threshold {max_share_outside:.0%})"
        for r in rows
        if float(r["share_outside"]) > max_share_outside
    ]
    if share_extreme > max_share_extreme:
        problems.append(
            f"{share_extreme:.1%} of units have a propensity score below {lo} or above "
            f"{hi} (threshold {max_share_extreme:.0%})"
        )
    if warn and problems:
        warnings.warn(
            "poor propensity-score overlap: " + "; ".join(problems),
            PositivityWarning,
            stacklevel=2,
        )
    return PositivityReport(
        table=table,
        share_extreme=share_extreme,
        common_support=support,
        adequate=not problems,
        problems=problems,
    )

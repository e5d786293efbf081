"""Inverse-probability-of-treatment weights for the average treatment effect.

:func:`inverse_probability_weights` turns propensity scores into (stabilised) weights,
optionally truncating the scores or trimming extreme weights; :func:`weight_summary`
describes them per arm with Kish's effective sample size. The weights are meant for a
weighted estimator such as ``cumulative_incidence(..., weights_col="iptw")``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from outcomes.causal._inputs import aligned_arrays
from outcomes.errors import ModelError, OutcomesError

__all__ = ["effective_sample_size", "inverse_probability_weights", "weight_summary"]


def inverse_probability_weights(
    scores: pd.Series,
    treatment: pd.Series,
    *,
    stabilised: bool = True,
    truncate_scores: tuple[float, float] | None = None,
    trim_percentiles: tuple[float, float] | None = None,
) -> pd.Series:
    """Inverse-probability-of-treatment weights (IPTW) for the ATE.

    With :math:`e_i = \\hat P(T=1 \\mid X=x_i)` and
    :math:`\\hat p = n^{-1} \\sum_i T_i` (over the rows with a score),

    .. math::

        w_i = \\frac{T_i}{e_i} + \\frac{1 - T_i}{1 - e_i}
        \\quad\\text{(unstabilised)}, \\qquad
        sw_i = \\frac{T_i\\, \\hat p}{e_i} + \\frac{(1 - T_i)(1 - \\hat p)}{1 - e_i}
        \\quad\\text{(stabilised)}.

    Stabilisation multiplies each arm's weights by a constant, so a Hajek (normalised)
    estimator gives the same point estimate either way; what changes is the scale:
    stabilised weights have mean close to 1 and sum close to :math:`n` in each arm,
    so weighted counts (at-risk numbers, model-based variances) stay on the sample's
    scale (Robins, Hernán & Brumback 2000; Cole & Hernán 2008).

    Two optional guards against extreme weights, applied in this order:

    ``truncate_scores=(a, b)``
        scores are clipped to :math:`[a, b]` (e.g. ``(0.01, 0.99)``) before the
        weights are formed, which bounds every weight by :math:`1/a` or
        :math:`1/(1-b)`.
    ``trim_percentiles=(lo, hi)``
        weights below the ``lo``-th or above the ``hi``-th percentile of all weights
        are set to those percentiles (e.g. ``(1, 99)``): the "truncation" of Cole &
        Hernán (2008), often called trimming. No row is dropped.

    Both trade a little bias for less variance; report results with and without.

    Parameters
    ----------
    scores : pandas.Series
        Propensity scores in (0, 1); ``NaN`` gives a ``NaN`` weight.
    treatment : pandas.Series
        Binary treatment (bool or 0/1), aligned with ``scores`` by index.
    stabilised : bool
        Use the marginal treatment prevalence as numerator.
    truncate_scores : (float, float), optional
        Lower and upper bounds for the scores, ``0 <= a < b <= 1``.
    trim_percentiles : (float, float), optional
        Lower and upper percentiles of the weights, ``0 <= lo < hi <= 100``.

    Returns
    -------
    pandas.Series
        Weights named ``"iptw"``, indexed like ``scores``. ``attrs`` records the
        options and, for :func:`weight_summary`, ``n_modified_treated`` and
        ``n_modified_control``: rows whose score was truncated or whose weight was
        trimmed.

    Raises
    ------
    ModelError
        Scores of exactly 0 or 1 (after any truncation): the weights would be infinite.
    OutcomesError
        Misaligned inputs or bad bounds.

    References
    ----------
    .. [1] Robins, J. M., Hernán, M. A. & Brumback, B. (2000). Marginal structural models
       and causal inference in epidemiology. *Epidemiology* 11(5), 550-560.
    .. [2] Cole, S. R. & Hernán, M. A. (2008). Constructing inverse probability weights
       for marginal structural models. *American Journal of Epidemiology* 168(6),
       656-664.
    .. [3] Austin, P. C. & Stuart, E. A. (2015). Moving towards best practice when using
       inverse probability of treatment weighting (IPTW) using the propensity score to
       estimate causal treatment effects in observational studies. *Statistics in
       Medicine* 34(28), 3661-3679.
    """
    e, t = aligned_arrays(scores, treatment)
    has = ~np.isnan(e) & ~np.isnan(t)
    modified = np.zeros(len(e), dtype=bool)

    if truncate_scores is not None:
        a, b = _bounds(truncate_scores, 0.0, 1.0, "truncate_scores")
        clipped = np.clip(e, a, b)
        modified |= has & (clipped != e)
        e = clipped
    if np.any(has & ((e <= 0) | (e >= 1))):
        raise ModelError(
            "propensity scores of exactly 0 or 1 give infinite weights; "
            "truncate the scores (truncate_scores=(0.01, 0.99)) or revisit the model"
        )

    treated = has & (t == 1)
    control = has & (t == 0)
    p = treated.sum() / has.sum() if stabilised else 1.0
    q = control.sum() / has.sum() if stabilised else 1.0
    w = np.full(len(e), np.nan)
    w[treated] = p / e[treated]
    w[control] = q / (1.0 - e[control])

    if trim_percentiles is not None:
        lo, hi = _bounds(trim_percentiles, 0.0, 100.0, "trim_percentiles")
        w_lo, w_hi = np.percentile(w[has], [lo, hi])
        trimmed = np.clip(w, w_lo, w_hi)
        modified |= has & (trimmed != w)
        w = trimmed

    out = pd.Series(w, index=scores.index, name="iptw")
    # Only scalars in attrs: pandas compares attrs when concatenating, and arrays would
    # make that comparison ambiguous.
    attrs: dict[str, Any] = {
        "stabilised": stabilised,
        "truncate_scores": truncate_scores,
        "trim_percentiles": trim_percentiles,
        "n_modified_treated": int((modified & treated).sum()),
        "n_modified_control": int((modified & control).sum()),
    }
    out.attrs.update(attrs)
    return out


def effective_sample_size(weights: pd.Series | np.ndarray) -> float:
    """Kish's effective sample size of a set of weights.

    .. math::

        n_\\text{eff} = \\frac{\\left(\\sum_i w_i\\right)^2}{\\sum_i w_i^2}

    It equals :math:`n` when all weights are equal and falls as they spread; it is the
    size of an unweighted sample with the same precision for a weighted mean (Kish
    1965). Missing weights are ignored.

    Parameters
    ----------
    weights : pandas.Series or numpy.ndarray

    Returns
    -------
    float

    References
    ----------
    .. [1] Kish, L. (1965). *Survey Sampling*. New York: Wiley. Section 11.7.
    """
    w = np.asarray(weights, dtype=np.float64)
    w = w[~np.isnan(w)]
    denominator = float(np.sum(w**2))
    return float(np.sum(w)) ** 2 / denominator if denominator > 0 else float("nan")


def weight_summary(weights: pd.Series, treatment: pd.Series) -> pd.DataFrame:
    """Describe inverse-probability weights by arm.

    Parameters
    ----------
    weights : pandas.Series
        As returned by :func:`inverse_probability_weights` (``attrs`` supply the counts
        of truncated or trimmed rows; for other weights those columns are 0).
    treatment : pandas.Series
        Binary treatment aligned with ``weights`` by index.

    Returns
    -------
    pandas.DataFrame
        One row per arm (``"treated"``, ``"control"``, ``"overall"``) with columns
        ``arm``, ``n`` (rows with a weight), ``sum``, ``min``, ``max``, ``mean``,
        ``ess`` (Kish effective sample size, :func:`effective_sample_size`),
        ``ess_ratio`` (``ess / n``), ``n_modified`` and ``share_modified`` (rows whose
        score was truncated or whose weight was trimmed).
    """
    w, t = aligned_arrays(weights, treatment)
    has = ~np.isnan(w) & ~np.isnan(t)
    n_mod = {
        "treated": int(weights.attrs.get("n_modified_treated", 0)),
        "control": int(weights.attrs.get("n_modified_control", 0)),
    }
    n_mod["overall"] = n_mod["treated"] + n_mod["control"]
    masks = {"treated": has & (t == 1), "control": has & (t == 0), "overall": has}
    rows = []
    for arm, mask in masks.items():
        x = w[mask]
        n = int(mask.sum())
        empty = n == 0
        ess = effective_sample_size(x)
        rows.append(
            {
                "arm": arm,
                "n": n,
                "sum": float(x.sum()),
                "min": float("nan") if empty else float(x.min()),
                "max": float("nan") if empty else float(x.max()),
                "mean": float("nan") if empty else float(x.mean()),
                "ess": ess,
                "ess_ratio": float("nan") if empty else ess / n,
                "n_modified": n_mod[arm],
                "share_modified": float("nan") if empty else n_mod[arm] / n,
            }
        )
    return pd.DataFrame(rows)


def _bounds(
    bounds: tuple[float, float], low: float, high: float, name: str
) -> tuple[float, float]:
    a, b = (float(x) for x in bounds)
    if not low <= a < b <= high:
        raise OutcomesError(f"{name} must satisfy {low} <= lower < upper <= {high}; got {bounds}")
    return a, b

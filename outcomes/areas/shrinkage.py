"""Empirical-Bayes (shrunken) area estimates on the funnel's scale.

A small area's raw rate is noisy; ranking areas on raw rates rewards and punishes
chance. With the normal-normal model that underlies the overdispersed funnel,

.. math:: y_i \\mid \\theta_i \\sim N(\\theta_i, s_i^2), \\qquad
          \\theta_i \\sim N(\\mu, \\tau^2),

the posterior mean of an area's true value pulls its estimate towards the mean by
:math:`B_i = s_i^2 / (s_i^2 + \\tau^2)`:

.. math:: \\tilde\\theta_i = \\mu + (1 - B_i)(y_i - \\mu), \\qquad
          \\operatorname{Var} \\approx (1 - B_i) s_i^2 + B_i^2 / \\textstyle\\sum_j w_j,

where :math:`\\mu` is the precision-weighted mean (:math:`w_j = 1/(s_j^2 + \\tau^2)`)
and the second term carries its uncertainty (Morris 1983), so that even when
:math:`\\hat\\tau^2 = 0` (every area shrunk to the mean) the interval keeps a width.
:math:`\\tau^2` and the scale (arcsine square root for proportions, log for ratios)
are those of :func:`outcomes.areas.funnel`; intervals are back-transformed.

References
----------
Morris, C. N. (1983). Parametric empirical Bayes inference: theory and applications.
*J. Am. Statist. Assoc.* 78, 47-55.

Spiegelhalter, D. J. (2005). Funnel plots for comparing institutional performance.
*Statistics in Medicine* 24, 1185-1202 (section 6: shrinkage and ranking).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from outcomes.areas.funnel import FunnelError, Kind, funnel

__all__ = ["shrink"]


def shrink(
    table: pd.DataFrame,
    numerator: str,
    denominator: str,
    group: str,
    kind: Kind = "proportion",
    *,
    alpha: float = 0.05,
    trim: float = 0.0,
) -> pd.DataFrame:
    """Empirical-Bayes estimates of each group's indicator, with intervals.

    Parameters
    ----------
    table, numerator, denominator, group, kind
        As for :func:`outcomes.areas.funnel` (which estimates :math:`\\tau^2`).
    trim : float, default 0
        Winsorising for :math:`\\tau^2`. None by default: winsorising protects funnel
        limits from extreme areas but biases :math:`\\tau^2` down when there are none,
        which over-shrinks and makes the intervals too narrow (our simulation: 92%
        coverage for nominal 95% with 10% winsorising).
    alpha : float, default 0.05
        Intervals have level ``1 - alpha``.

    Returns
    -------
    DataFrame
        Indexed by ``group``: ``raw`` (O/n or O/E), ``estimate`` (shrunken),
        ``ci_lower``, ``ci_upper``, ``shrinkage`` (:math:`B_i`, 0 = none, 1 = all the
        way to the mean). ``attrs``: ``tau2``, ``mean`` (back-transformed), ``kind``,
        ``alpha``.
    """
    if not 0.0 < alpha < 1.0:
        raise FunnelError(f"alpha must be in (0, 1), not {alpha!r}")
    f = funnel(table, numerator, denominator, group, kind=kind, trim=trim)
    tau2 = float(f.attrs["tau2"])
    o, n = f["numerator"].to_numpy(), f["denominator"].to_numpy()
    if kind == "proportion":
        y, s2 = np.arcsin(np.sqrt(o / n)), 0.25 / n
    else:
        # a ratio without events sits at -inf on the log scale: use half an event
        y, s2 = np.log(np.maximum(o, 0.5) / n), 1.0 / n
    w = 1.0 / (s2 + tau2)
    mu = float(np.sum(w * y) / np.sum(w))
    b = s2 / (s2 + tau2)
    post = mu + (1.0 - b) * (y - mu)
    var = (1.0 - b) * s2 + b**2 / np.sum(w)
    half = stats.norm.ppf(1.0 - alpha / 2.0) * np.sqrt(var)

    def back(x: np.ndarray) -> np.ndarray:
        if kind == "proportion":
            return np.asarray(np.sin(np.clip(x, 0.0, np.pi / 2)) ** 2)
        return np.asarray(np.exp(x))

    out = pd.DataFrame(
        {
            "raw": o / n,
            "estimate": back(post),
            "ci_lower": back(post - half),
            "ci_upper": back(post + half),
            "shrinkage": b,
        },
        index=f.index,
    )
    out.attrs.update(tau2=tau2, mean=float(back(np.array([mu]))[0]), kind=kind, alpha=alpha)
    return out

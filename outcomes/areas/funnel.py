"""Funnel plots with overdispersion: which areas really differ from the rest?

A funnel plot draws each area's indicator against its size with control limits around
the national target that narrow as the size grows. With many areas, true differences
in case mix and practice that no model removes make the spread wider than chance
alone: plain binomial or Poisson limits then flag far too many areas. Spiegelhalter
(2005) widens the limits by an additive random-effects variance estimated from the
areas themselves, after damping the influence of the extreme ones.

The method (Spiegelhalter 2005, sections 3-4)
---------------------------------------------
On a variance-stabilising scale, each area :math:`i` has an estimate :math:`y_i` with
standard error :math:`s_i` and the target is :math:`\\theta_0`:

* proportions :math:`p_i = O_i / n_i`: :math:`y_i = \\arcsin\\sqrt{p_i}`,
  :math:`s_i = 1 / (2\\sqrt{n_i})`, :math:`\\theta_0 = \\arcsin\\sqrt{\\sum O / \\sum n}`;
* standardised ratios :math:`O_i / E_i` (observed over expected): :math:`y_i =
  \\log(O_i/E_i)`, :math:`s_i = 1/\\sqrt{E_i}`, :math:`\\theta_0 = 0` (a ratio of 1), the
  log scale used by the NHS Summary Hospital-level Mortality Indicator.

1. z-scores :math:`z_i = (y_i - \\theta_0)/s_i`, **winsorised** at 10%: those below the
   10th percentile are set to it, those above the 90th to that (percentiles as R's
   default ``quantile``, linear interpolation).
2. Overdispersion :math:`\\hat\\phi = \\frac1I \\sum_i z_i^2` over the :math:`I` areas.
3. Between-area variance, the moment (DerSimonian-Laird type) estimator on this scale,
   with :math:`w_i = 1/s_i^2`:

   .. math:: \\hat\\tau^2 = \\max\\Big(0, \\frac{I\\hat\\phi - (I - 1)}
        {\\sum_i w_i - \\sum_i w_i^2 / \\sum_i w_i}\\Big).

4. Limits at two-sided level :math:`1 - \\alpha`, back-transformed:
   :math:`\\theta_0 \\pm z_{1-\\alpha/2}\\sqrt{s_i^2 + \\hat\\tau^2}`, i.e.
   :math:`\\sin^2(\\cdot)` (clipped to [0, 1]) for proportions and :math:`\\exp(\\cdot)`
   for ratios; the reported z-score is :math:`(y_i - \\theta_0)/\\sqrt{s_i^2 +
   \\hat\\tau^2}`.

Without overdispersion :math:`\\hat\\tau^2 = 0` and the limits are the normal ones on
the same scale. ``trim_method="truncate"`` drops the top and bottom 10% of areas from
steps 2-3 instead of winsorising (the NHS SHMI's rule: areas ranked into ten groups,
the first and last left out), which is what FunnelPlotR does for standardised ratios
with its default ``sr_method = "SHMI"``; its proportions are winsorised, as here.

Cost: one sort of the :math:`I` z-scores.

References
----------
Spiegelhalter, D. J. (2005). Funnel plots for comparing institutional performance.
*Statistics in Medicine* 24, 1185-1202.

Spiegelhalter, D. J. (2005). Handling over-dispersion of performance indicators.
*Quality and Safety in Health Care* 14, 347-351.

NHS England (NHS Digital). *Summary Hospital-level Mortality Indicator (SHMI):
methodology* (log-scale z-scores, 10% trimming, random-effects funnel limits).

Mainey, C. *FunnelPlotR: funnel plots for comparing institutional performance*, R
package (the established implementation our limits are compared with).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from outcomes.errors import OutcomesError

__all__ = ["FunnelError", "funnel", "funnel_limits", "level_name"]

Kind = Literal["proportion", "ratio"]
TrimMethod = Literal["winsorise", "truncate"]


class FunnelError(OutcomesError):
    """A funnel was asked for with unusable counts or arguments."""


def level_name(level: float) -> str:
    """``0.95 -> "95"``, ``0.998 -> "998"`` (the suffix of the limit columns)."""
    return f"{100 * level:.10g}".replace(".", "")


def funnel(
    table: pd.DataFrame,
    numerator: str,
    denominator: str,
    group: str,
    kind: Kind = "proportion",
    limits: Sequence[float] = (0.95, 0.998),
    overdispersion: bool = True,
    *,
    target: float | None = None,
    trim: float = 0.1,
    trim_method: TrimMethod = "winsorise",
) -> pd.DataFrame:
    """Funnel-plot limits per group, with Spiegelhalter's overdispersion adjustment.

    Parameters
    ----------
    table : DataFrame
        Rows are summed within ``group`` first (so record- or area-level rows both do).
    numerator, denominator : str
        Count columns: events and people (``kind="proportion"``), or observed and
        expected counts (``kind="ratio"``, an indirectly standardised ratio).
    group : str
        The unit compared (e.g. ``"la_code"``).
    kind : {"proportion", "ratio"}
    limits : sequence of float, default (0.95, 0.998)
        Two-sided coverage of each pair of limits; the widest decides ``outlier``.
    overdispersion : bool, default True
        Widen the limits by the between-group variance :math:`\\tau^2` (module
        docstring); False gives the limits of chance variation alone.
    target : float, optional
        The centre line on the original scale. Default: the pooled proportion
        :math:`\\sum O / \\sum n`, or 1 for ratios.
    trim : float, default 0.1
        Share of z-scores winsorised (or truncated) at each end.
    trim_method : {"winsorise", "truncate"}

    Returns
    -------
    DataFrame
        Indexed by ``group``: ``numerator``, ``denominator``, ``value`` (O/n or O/E),
        ``z`` (overdispersion-adjusted), ``lower_95``, ``upper_95``, ``lower_998``,
        ``upper_998`` (named after ``limits``) and ``outlier`` (outside the widest
        limits). ``attrs`` holds ``kind``, ``target``, ``target_transformed``,
        ``tau2``, ``phi``, ``n_used`` (z-scores behind them) and ``limits``.

    Notes
    -----
    A ratio with no observed events has :math:`\\log 0 = -\\infty`: it cannot inform the
    spread, so it is left out of :math:`\\hat\\phi` and :math:`\\hat\\tau^2` (and its z
    is :math:`-\\infty`).

    Examples
    --------
    >>> t = pd.DataFrame({"la": list("ABCD"), "o": [10, 30, 12, 40], "n": [100, 200, 90, 210]})
    >>> f = funnel(t, "o", "n", "la", overdispersion=False)
    >>> f[["value", "lower_95", "upper_95", "outlier"]].round(3).reset_index()
      la  value  lower_95  upper_95  outlier
    0  A  0.100     0.090     0.230    False
    1  B  0.150     0.107     0.206    False
    2  C  0.133     0.087     0.235    False
    3  D  0.190     0.108     0.205    False
    """
    if kind not in ("proportion", "ratio"):
        raise FunnelError(f"kind must be 'proportion' or 'ratio', not {kind!r}")
    if trim_method not in ("winsorise", "truncate"):
        raise FunnelError(f"trim_method must be 'winsorise' or 'truncate', not {trim_method!r}")
    if not 0.0 <= trim < 0.5:
        raise FunnelError(f"trim must be in [0, 0.5), not {trim!r}")
    levels = [float(x) for x in limits]
    if not levels or any(not 0.0 < x < 1.0 for x in levels):
        raise FunnelError(f"limits must be coverages in (0, 1), not {list(limits)!r}")
    missing = [c for c in (numerator, denominator, group) if c not in table.columns]
    if missing:
        raise FunnelError(f"the table has no column(s) {missing}")
    agg = table.groupby(group, sort=True, observed=True)[[numerator, denominator]].sum()
    o = pd.to_numeric(agg[numerator], errors="coerce").to_numpy(dtype=np.float64)
    n = pd.to_numeric(agg[denominator], errors="coerce").to_numpy(dtype=np.float64)
    _check_counts(o, n, agg.index, numerator, denominator, kind)

    if kind == "proportion":
        centre = float(o.sum() / n.sum()) if target is None else float(target)
        if not 0.0 <= centre <= 1.0:
            raise FunnelError(f"a proportion's target must be in [0, 1], not {centre!r}")
        theta0 = float(np.arcsin(np.sqrt(centre)))
        y = np.arcsin(np.sqrt(o / n))
        s = 0.5 / np.sqrt(n)
    else:
        centre = 1.0 if target is None else float(target)
        if centre <= 0:
            raise FunnelError(f"a ratio's target must be positive, not {centre!r}")
        theta0 = float(np.log(centre))
        with np.errstate(divide="ignore"):
            y = np.log(o / n)
        s = 1.0 / np.sqrt(n)
    z0 = (y - theta0) / s
    phi, tau2, used = _overdispersion(z0, s, trim, trim_method)
    if not overdispersion:
        tau2 = 0.0
    sd = np.sqrt(s**2 + tau2)
    out = pd.DataFrame(
        {"numerator": o, "denominator": n, "value": o / n, "z": (y - theta0) / sd},
        index=agg.index,
    )
    for level in levels:
        lo, hi = funnel_limits(n, level, kind, theta0, tau2)
        out[f"lower_{level_name(level)}"] = lo
        out[f"upper_{level_name(level)}"] = hi
    widest = level_name(max(levels))
    out["outlier"] = (out["value"] < out[f"lower_{widest}"]) | (
        out["value"] > out[f"upper_{widest}"]
    )
    out.attrs.update(
        kind=kind,
        target=centre,
        target_transformed=theta0,
        tau2=float(tau2),
        phi=float(phi),
        n_used=used,
        limits=levels,
        overdispersion=overdispersion,
        trim=trim,
        trim_method=trim_method,
    )
    return out


def funnel_limits(
    denominator: np.ndarray | float, level: float, kind: Kind, theta0: float, tau2: float
) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper limits at ``level`` for groups of the given size(s).

    :math:`\\theta_0 \\pm z\\sqrt{s^2 + \\tau^2}` back-transformed (module docstring);
    used for the table and for the smooth curves of :func:`funnel_plot`.
    """
    n = np.asarray(denominator, dtype=np.float64)
    zq = stats.norm.ppf(0.5 + level / 2.0)
    s = 0.5 / np.sqrt(n) if kind == "proportion" else 1.0 / np.sqrt(n)
    half = zq * np.sqrt(s**2 + tau2)
    if kind == "proportion":
        # the arcsine scale ends at 0 and pi/2: a limit beyond them is 0% or 100%
        lo = np.sin(np.clip(theta0 - half, 0.0, np.pi / 2)) ** 2
        hi = np.sin(np.clip(theta0 + half, 0.0, np.pi / 2)) ** 2
    else:
        lo, hi = np.exp(theta0 - half), np.exp(theta0 + half)
    return lo, hi


def _overdispersion(
    z: np.ndarray, s: np.ndarray, trim: float, method: TrimMethod
) -> tuple[float, float, int]:
    """Winsorised (or truncated) overdispersion factor, tau^2 and the number used."""
    finite = np.isfinite(z)
    z, s = z[finite], s[finite]
    if len(z) < 2:  # e.g. every ratio has no events: nothing to estimate the spread from
        return float("nan"), 0.0, len(z)
    if method == "winsorise":
        lo, hi = _quantile7(z, trim), _quantile7(z, 1.0 - trim)
        zw = np.clip(z, lo, hi)
        sw = s
    else:
        k = 1.0 / trim if trim > 0 else np.inf
        rank = stats.rankdata(z, method="average")
        decile = np.floor(rank * k / (len(z) + 1))
        keep = (decile > 0) & (decile < k - 1) if trim > 0 else np.ones(len(z), bool)
        zw, sw = z[keep], s[keep]
    m = len(zw)
    if m < 2:
        return float("nan"), 0.0, m
    phi = float(np.mean(zw**2))
    w = 1.0 / sw**2
    denom = w.sum() - (w**2).sum() / w.sum()
    tau2 = max(0.0, (m * phi - (m - 1)) / denom) if denom > 0 else 0.0
    return phi, float(tau2), m


def _quantile7(x: np.ndarray, p: float) -> float:
    """R's default (type 7) sample quantile: linear between order statistics."""
    return float(np.quantile(x, p, method="linear"))


def _check_counts(
    o: np.ndarray, n: np.ndarray, groups: pd.Index, num: str, den: str, kind: Kind
) -> None:
    def fail(flag: np.ndarray, what: str) -> None:
        bad = [str(g) for g in groups[flag][:5]]
        raise FunnelError(f"{what} for group(s) {', '.join(bad)}")

    if len(o) < 2:
        raise FunnelError("a funnel needs at least two groups")
    if np.isnan(o).any() or np.isnan(n).any():
        fail(np.isnan(o) | np.isnan(n), f"{num!r} or {den!r} is not a number")
    if (o < 0).any():
        fail(o < 0, f"{num!r} is negative")
    if (n <= 0).any():
        fail(n <= 0, f"{den!r} must be positive")
    if kind == "proportion" and (o > n).any():
        fail(o > n, f"{num!r} exceeds {den!r}")

"""Diagnostic figures for propensity-score weighting: balance, overlap, weights.

Each function draws on ``ax`` (a new figure when omitted) and returns it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from outcomes.causal._inputs import aligned_arrays
from outcomes.causal.balance import BALANCE_THRESHOLD
from outcomes.errors import ModelError

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["love_plot", "overlap_plot", "weight_plot"]

_ARMS = (("treated", 1.0, "C1"), ("control", 0.0, "C0"))


def _axes(ax: Axes | None) -> Axes:
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots()
    return ax


def love_plot(
    balance_table: pd.DataFrame,
    ax: Axes | None = None,
    *,
    threshold: float = BALANCE_THRESHOLD,
    absolute: bool = True,
) -> Axes:
    """Love plot: standardised mean differences before and after weighting.

    One row per variable (per level for categorical variables), ordered by the
    unweighted imbalance; open circles before weighting, filled after; dashed lines at
    ``±threshold``. Infinite SMDs (a level present in one arm only) are drawn at the
    edge of the axis with a ``>`` marker.

    Parameters
    ----------
    balance_table : pandas.DataFrame
        From :func:`~outcomes.causal.standardised_differences`.
    ax : matplotlib Axes, optional
    threshold : float
        Reference line for acceptable balance (0.1 by convention).
    absolute : bool
        Plot :math:`|d|` (the usual form) rather than the signed SMD.

    Returns
    -------
    matplotlib Axes
    """
    ax = _axes(ax)
    table = balance_table.copy()
    label = table["variable"].astype(str)
    has_level = table["level"].notna()
    label[has_level] = label[has_level] + ": " + table.loc[has_level, "level"].astype(str)
    before = table["smd_unweighted"].to_numpy(dtype=np.float64)
    after = table["smd_weighted"].to_numpy(dtype=np.float64)
    if absolute:
        before, after = np.abs(before), np.abs(after)
    order = np.argsort(np.nan_to_num(np.abs(before), nan=-1.0, posinf=np.inf), kind="stable")
    y = np.arange(len(order))
    finite = np.concatenate([before[np.isfinite(before)], after[np.isfinite(after)], [threshold]])
    edge = 1.1 * float(np.max(np.abs(finite)))

    styles: tuple[tuple[np.ndarray, dict[str, Any]], ...] = (
        (before[order], {"marker": "o", "facecolors": "none", "edgecolors": "C0"}),
        (after[order], {"marker": "o", "color": "C1"}),
    )
    for values, style in styles:
        inf = np.isinf(values)
        ax.scatter(np.where(inf, np.sign(values) * edge, values), y, **style)
        if inf.any():
            ax.scatter(np.sign(values[inf]) * edge, y[inf], marker=">", color="k")
    ax.scatter([], [], marker="o", facecolors="none", edgecolors="C0", label="unweighted")
    ax.scatter([], [], marker="o", color="C1", label="weighted")
    for x in (threshold,) if absolute else (-threshold, threshold):
        ax.axvline(x, linestyle="--", color="grey", linewidth=1)
    ax.axvline(0, color="black", linewidth=0.5)
    ax.set_yticks(y, label.to_numpy()[order])
    ax.set_xlabel(
        "absolute standardised mean difference" if absolute else "standardised mean difference"
    )
    ax.legend(frameon=False, loc="best")
    return ax


def overlap_plot(
    scores: pd.Series,
    treatment: pd.Series,
    ax: Axes | None = None,
    *,
    bins: int = 40,
    mirrored: bool = True,
) -> Axes:
    """Propensity-score distributions of the two arms.

    Parameters
    ----------
    scores : pandas.Series
        Propensity scores.
    treatment : pandas.Series
        Binary treatment aligned with ``scores``.
    ax : matplotlib Axes, optional
    bins : int
        Histogram bins on [0, 1].
    mirrored : bool
        Draw the control arm below the axis (a "mirrored" histogram), which makes the
        regions without overlap easy to see; otherwise overlay both.

    Returns
    -------
    matplotlib Axes
    """
    ax = _axes(ax)
    e, t = aligned_arrays(scores, treatment)
    edges = np.linspace(0.0, 1.0, bins + 1)
    for name, arm, colour in _ARMS:
        x = e[(t == arm) & ~np.isnan(e)]
        density, _ = np.histogram(x, bins=edges, density=True)
        sign = -1.0 if (mirrored and arm == 0.0) else 1.0
        ax.stairs(
            sign * density,
            edges,
            fill=True,
            alpha=0.5 if not mirrored else 0.8,
            color=colour,
            label=f"{name} (n={x.size})",
        )
    if mirrored:
        ax.axhline(0, color="black", linewidth=0.5)
    ax.set_xlim(0, 1)
    ax.set_xlabel("propensity score")
    ax.set_ylabel("density" + (" (control below)" if mirrored else ""))
    ax.legend(frameon=False)
    return ax


def weight_plot(
    weights: pd.Series,
    treatment: pd.Series,
    ax: Axes | None = None,
    *,
    bins: int = 40,
    log: bool = True,
    **kwargs: Any,
) -> Axes:
    """Distribution of the weights in each arm.

    Parameters
    ----------
    weights : pandas.Series
        From :func:`~outcomes.causal.inverse_probability_weights`.
    treatment : pandas.Series
        Binary treatment aligned with ``weights``.
    ax : matplotlib Axes, optional
    bins : int
    log : bool
        Logarithmic weight axis (weights are skewed; the tail is what matters).
    **kwargs
        Passed to ``Axes.hist``.

    Returns
    -------
    matplotlib Axes
    """
    ax = _axes(ax)
    w, t = aligned_arrays(weights, treatment)
    ok = ~np.isnan(w) & (w > 0)
    if not ok.any():
        raise ModelError("no positive weights to plot")
    lo, hi = float(w[ok].min()), float(w[ok].max())
    if hi <= lo:
        hi = lo * 1.01 + 1e-12
    edges = np.geomspace(lo, hi, bins + 1) if log else np.linspace(lo, hi, bins + 1)
    for name, arm, colour in _ARMS:
        x = w[ok & (t == arm)]
        ax.hist(
            x,
            bins=edges.tolist(),
            histtype="step",
            color=colour,
            label=f"{name} (n={x.size})",
            **kwargs,
        )
    if log:
        ax.set_xscale("log")
    ax.set_xlabel("weight")
    ax.set_ylabel("count")
    ax.legend(frameon=False)
    return ax

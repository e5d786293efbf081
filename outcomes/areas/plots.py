"""Pictures for comparing areas: the funnel plot and the timeliness-outcomes quadrant."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from outcomes.areas.funnel import FunnelError, funnel_limits

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["funnel_plot", "quadrant_plot"]


def funnel_plot(
    result: pd.DataFrame,
    ax: Axes | None = None,
    *,
    label_outliers: bool = True,
    xlabel: str | None = None,
    ylabel: str | None = None,
    highlight: object | None = None,
) -> Axes:
    """Draw a :func:`outcomes.areas.funnel` result: points, target and limit curves.

    Parameters
    ----------
    result : DataFrame
        The output of :func:`~outcomes.areas.funnel` (its ``attrs`` give the target,
        :math:`\\tau^2` and the levels).
    ax : matplotlib Axes, optional
    label_outliers : bool, default True
        Write the group name beside each point outside the widest limits.
    xlabel, ylabel : str, optional
    highlight : group, optional
        One group drawn larger, in another colour and named (the area a report is
        about).

    Returns
    -------
    matplotlib Axes
    """
    import matplotlib.pyplot as plt

    needed = {"kind", "target", "target_transformed", "tau2", "limits"}
    if not needed <= set(result.attrs):
        raise FunnelError("funnel_plot needs the DataFrame returned by funnel()")
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.5))
    kind = result.attrs["kind"]
    n = result["denominator"].to_numpy(dtype=float)
    grid = np.geomspace(max(n.min() * 0.8, 1.0), n.max() * 1.1, 200)
    styles = ["--", ":", "-."]
    for i, level in enumerate(sorted(result.attrs["limits"])):
        lo, hi = funnel_limits(
            grid, level, kind, result.attrs["target_transformed"], result.attrs["tau2"]
        )
        style = styles[i % len(styles)]
        ax.plot(grid, lo, style, color="0.35", lw=1, label=f"{100 * level:g}% limits")
        ax.plot(grid, hi, style, color="0.35", lw=1)
    ax.axhline(result.attrs["target"], color="0.2", lw=1)
    out = result["outlier"].to_numpy(dtype=bool)
    ax.scatter(n[~out], result["value"][~out], s=18, color="#1f77b4", zorder=3)
    ax.scatter(n[out], result["value"][out], s=24, color="#d62728", zorder=3, label="outside")
    if label_outliers:
        for name, x, y in zip(result.index[out], n[out], result["value"][out], strict=True):
            if name != highlight:
                ax.annotate(
                    str(name), (x, y), xytext=(3, 3), textcoords="offset points", fontsize=8
                )
    if highlight is not None and highlight in result.index:
        at = int(np.flatnonzero(result.index == highlight)[0])
        _highlight(ax, highlight, float(n[at]), float(result["value"].iloc[at]))
    ax.set_xscale("log")
    default_x = "children" if kind == "proportion" else "expected count"
    ax.set_xlabel(xlabel or default_x)
    ax.set_ylabel(ylabel or ("proportion" if kind == "proportion" else "observed / expected"))
    od = "with" if result.attrs.get("tau2", 0) > 0 else "without"
    ax.set_title(f"Funnel plot ({od} overdispersion)", fontsize=10)
    ax.legend(fontsize=8, frameon=False)
    return ax


def quadrant_plot(
    table: pd.DataFrame,
    x: str,
    y: str,
    *,
    x_interval: tuple[str, str] | None = None,
    y_interval: tuple[str, str] | None = None,
    x_reference: float | None = None,
    y_reference: float = 1.0,
    label: str | None = None,
    ax: Axes | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    highlight: object | None = None,
) -> Axes:
    """Timeliness against outcomes, one point per area, both with intervals.

    The picture boards are asked to look at: an area to the right of the vertical
    line is faster than the reference (more cases within 26 weeks), an area above the
    horizontal line has more children coming back to court than its case mix
    predicts. "Fast and high returns" is the top-right quadrant.

    Parameters
    ----------
    table : DataFrame
        One row per area.
    x, y : str
        Columns: a timeliness measure (e.g. ``pct_within_26_weeks`` or
        ``mean_weeks``) and a risk-adjusted return ratio (observed / expected).
    x_interval, y_interval : (str, str), optional
        Columns holding the lower and upper limits of each.
    x_reference : float, optional
        Vertical reference line (default: the median of ``x``).
    y_reference : float, default 1
        Horizontal reference line (a ratio of 1: as expected).
    label : str, optional
        Column naming the areas (default: the index).
    ax : matplotlib Axes, optional
    highlight : area, optional
        Name only this area (a value of ``label``, or of the index), drawn larger and
        in another colour; without it every area is named.

    Returns
    -------
    matplotlib Axes
    """
    import matplotlib.pyplot as plt

    missing = [c for c in (x, y, *(x_interval or ()), *(y_interval or ())) if c not in table]
    if missing:
        raise FunnelError(f"quadrant_plot: the table has no column(s) {missing}")
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 5))
    data = table.dropna(subset=[x, y])
    xv, yv = data[x].to_numpy(float), data[y].to_numpy(float)
    xerr = yerr = None
    if x_interval:
        xerr = np.vstack(
            [xv - data[x_interval[0]].to_numpy(float), data[x_interval[1]].to_numpy(float) - xv]
        )
    if y_interval:
        yerr = np.vstack(
            [yv - data[y_interval[0]].to_numpy(float), data[y_interval[1]].to_numpy(float) - yv]
        )
    ax.errorbar(
        xv,
        yv,
        xerr=xerr,
        yerr=yerr,
        fmt="o",
        ms=4,
        lw=0.8,
        color="#1f77b4",
        ecolor="0.6",
        capsize=0,
    )
    xref = float(np.median(xv)) if x_reference is None else x_reference
    ax.axvline(xref, color="0.3", lw=1, ls="--")
    ax.axhline(y_reference, color="0.3", lw=1, ls="--")
    names = data[label] if label else data.index
    for name, a, b in zip(names, xv, yv, strict=True):
        if highlight is None:
            ax.annotate(str(name), (a, b), xytext=(3, 3), textcoords="offset points", fontsize=7)
        elif name == highlight:
            _highlight(ax, name, a, b)
    ax.set_xlabel(xlabel or x.replace("_", " "))
    ax.set_ylabel(ylabel or y.replace("_", " "))
    return ax


def _highlight(ax: Axes, name: object, x: float, y: float) -> None:
    """The area a report is about: a larger point in a contrasting colour, named."""
    ax.scatter([x], [y], s=70, color="#f47738", edgecolor="black", zorder=5)
    ax.annotate(
        str(name),
        (x, y),
        xytext=(6, 6),
        textcoords="offset points",
        fontsize=9,
        fontweight="bold",
        bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "#f47738", "alpha": 0.9},
        zorder=6,
    )

"""Plots of a simulation study: zip plot, nested-loop plot, coverage with Monte Carlo
bands. Each draws on ``ax`` (a new figure when None) and returns it; matplotlib is
imported when a plot is drawn.

References
----------
Morris TP, White IR, Crowther MJ. Using simulation studies to evaluate statistical
methods. Statistics in Medicine 2019; 38:2074-2102 (the zip plot, figure 3).

Rücker G, Schwarzer G. Presenting simulation results in a nested loop plot. BMC
Medical Research Methodology 2014; 14:129.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from outcomes.simulation.study import SimulationError

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def _axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new = plt.subplots()
    return new


def zip_plot(
    results: pd.DataFrame,
    true: str | float = "truth",
    *,
    ax: Axes | None = None,
    alpha: float = 0.05,
) -> Axes:
    r"""Zip plot of the confidence intervals of one method and estimand.

    Each replicate's interval is a horizontal line, ranked by
    :math:`|\hat\theta_i-\theta|/\widehat{SE}_i` (so by the p-value of a test of
    the true value); the vertical axis is that rank as a centile, so the intervals that
    miss the truth gather at the top, above the ``1 - alpha`` line when coverage is
    below nominal. Intervals that miss are drawn in red.

    Parameters
    ----------
    results : pandas.DataFrame
        Rows of one method and estimand (filter first), with ``estimate``,
        ``std_error``, ``ci_lower``, ``ci_upper``; rows that errored are left out.
    true : str or float
        Column of true values, or the true value.
    ax : matplotlib Axes, optional
    alpha : float
        Nominal level of the intervals.
    """
    ok = results["estimate"].notna() & results["std_error"].notna()
    if "error" in results.columns:
        ok &= results["error"].isna()
    rows = results[ok]
    if rows.empty:
        raise SimulationError("zip_plot: no replicate with an estimate and a standard error")
    truth = rows[true].to_numpy(float) if isinstance(true, str) else np.full(len(rows), true)
    est = rows["estimate"].to_numpy(float)
    lower = rows["ci_lower"].to_numpy(float)
    upper = rows["ci_upper"].to_numpy(float)
    z = np.abs(est - truth) / rows["std_error"].to_numpy(float)
    order = np.argsort(z, kind="stable")
    centile = 100 * (np.arange(1, len(order) + 1) - 0.5) / len(order)
    covers = (lower <= truth) & (truth <= upper)
    ax = _axes(ax)
    for y, i in zip(centile, order, strict=True):
        ax.plot([lower[i], upper[i]], [y, y], color="tab:blue" if covers[i] else "tab:red", lw=1)
    ax.axvline(float(np.mean(truth)), color="black", lw=1)
    ax.axhline(100 * (1 - alpha), color="black", lw=0.8, ls="--")
    ax.set_ylim(0, 100)
    ax.set_xlabel("confidence interval")
    ax.set_ylabel("centile of |estimate - truth| / SE")
    ax.set_title(f"coverage {covers.mean():.1%} of {len(rows)} intervals")
    return ax


def nested_loop_plot(
    perf: pd.DataFrame,
    measure: str,
    design: Sequence[str],
    *,
    method: str = "method",
    ax: Axes | None = None,
) -> Axes:
    """Nested-loop plot: one measure over every design point, a step line per method.

    The design points are ordered by ``design`` (the first column the outermost loop);
    below the measure, one step line per design column shows its level at each point.

    Parameters
    ----------
    perf : pandas.DataFrame
        Output of :func:`performance` with the ``design`` columns and ``method``.
    measure : str
        One of the measures, e.g. ``"bias"``.
    design : list of str
        Design columns, outermost loop first.
    """
    design = list(design)
    part = perf[perf["measure"] == measure]
    if part.empty:
        raise SimulationError(f"nested_loop_plot: no rows of measure {measure!r}")
    points = part[design].drop_duplicates().sort_values(design).reset_index(drop=True)
    points["_x"] = np.arange(len(points))
    ax = _axes(ax)
    top = float(np.nanmax(part["estimate"]))
    bottom = float(np.nanmin(part["estimate"]))
    span = top - bottom if top > bottom else 1.0
    for name, rows in part.groupby(method, sort=False):
        placed = rows.merge(points, on=design).sort_values("_x")
        ax.step(placed["_x"], placed["estimate"], where="mid", label=str(name))
    # the design levels, each scaled into its own band below the measure
    band = span / 4
    for k, column in enumerate(design):
        codes, levels = pd.factorize(points[column], sort=True)
        base = bottom - (k + 1) * band * 1.2
        height = codes / max(len(levels) - 1, 1) * band
        ax.step(points["_x"], base + height, where="mid", color="grey", lw=1)
        ax.text(
            -0.5,
            base + band / 2,
            f"{column}: {', '.join(map(str, levels))}",
            fontsize=7,
            va="center",
            ha="right",
        )
    ax.set_xticks([])
    ax.set_xlabel("design points (nested loops)")
    ax.set_ylabel(measure)
    ax.legend(fontsize=8)
    return ax


def coverage_plot(
    perf: pd.DataFrame,
    *,
    label: str | Sequence[str] = "method",
    alpha: float = 0.05,
    ax: Axes | None = None,
) -> Axes:
    """Coverage per group with 95% Monte Carlo intervals, against the nominal level and
    the band within which an exactly nominal method falls 95% of the time.

    Parameters
    ----------
    perf : pandas.DataFrame
        Output of :func:`performance`.
    label : str or list of str
        Columns naming a row of the plot.
    alpha : float
        Nominal level of the intervals.
    """
    labels = [label] if isinstance(label, str) else list(label)
    cov = perf[perf["measure"] == "coverage"].reset_index(drop=True)
    n_sim = perf[perf["measure"] == "n_sim"].reset_index(drop=True)
    if cov.empty:
        raise SimulationError("coverage_plot: no coverage rows in perf")
    z = float(stats.norm.ppf(0.975))
    names = cov[labels].astype(str).agg(" / ".join, axis=1)
    y = np.arange(len(cov))
    ax = _axes(ax)
    nominal = 1 - alpha
    n = n_sim["estimate"].to_numpy(float)
    band = z * np.sqrt(nominal * (1 - nominal) / n)
    ax.fill_betweenx(
        y, nominal - band, nominal + band, color="0.9", step="mid", label="nominal +/- MC error"
    )
    ax.axvline(nominal, color="black", lw=1)
    est = cov["estimate"].to_numpy(float)
    half = z * cov["mcse"].to_numpy(float)
    ax.errorbar(est, y, xerr=half, fmt="o", color="tab:blue", label="coverage (95% MC interval)")
    ax.set_yticks(y, names)
    ax.set_xlabel("coverage")
    ax.legend(fontsize=8)
    return ax

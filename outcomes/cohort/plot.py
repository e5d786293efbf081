"""The cohort flow drawn as a CONSORT-style diagram."""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes

BOX = {"boxstyle": "round,pad=0.4", "facecolor": "#eef3f8", "edgecolor": "#4a6a8a"}
SIDE = {"boxstyle": "round,pad=0.3", "facecolor": "#fbeeee", "edgecolor": "#a05a5a"}


def plot_flow(flow: pd.DataFrame, ax: Axes | None = None, *, width: int = 46) -> Axes:
    """Draw a cohort flow: the main column counts rows remaining, side boxes the
    rows excluded at each step and why. Steps that exclude nothing are left out.

    Parameters
    ----------
    flow : DataFrame
        ``Cohort.flow``.
    ax : matplotlib Axes, optional
        Where to draw; a new figure is made if omitted.
    width : int
        Characters per line in the boxes.

    Returns
    -------
    Axes
    """
    steps = flow.loc[flow["rows_out"] > 0]
    n = len(steps)
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 1.2 + 1.1 * (n + 1)))
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(-(n + 1), 0.6)
    unit = flow.attrs.get("unit", "rows")
    what = flow.attrs.get("input", "input")
    ax.text(
        0.25,
        0,
        f"{what}\n{flow.attrs['rows_input']:,} {unit}",
        ha="center",
        va="center",
        bbox=BOX,
        fontsize=9,
    )
    for i, step in enumerate(steps.itertuples(), start=1):
        ax.annotate(
            "",
            xy=(0.25, -i + 0.25),
            xytext=(0.25, -i + 0.75),
            arrowprops={"arrowstyle": "->", "color": "#4a6a8a"},
        )
        reason = textwrap.fill(str(step.reason), width)
        ax.text(
            0.52,
            -i + 0.5,
            f"excluded {step.rows_out:,}\n{reason}",
            ha="left",
            va="center",
            bbox=SIDE,
            fontsize=8,
        )
        ax.plot([0.25, 0.5], [-i + 0.5, -i + 0.5], color="#a05a5a", lw=0.8)
        label = "analysis cohort" if i == n else "remaining"
        ax.text(
            0.25,
            -i,
            f"{label}\n{step.rows_remaining:,}",
            ha="center",
            va="center",
            bbox=BOX,
            fontsize=9,
        )
    return ax

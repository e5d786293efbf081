"""The board pack's figures, drawn from its published tables only.

Each function takes a published table (withheld cells ``[c]``, not available ``[x]``)
and returns a matplotlib :class:`~matplotlib.figure.Figure` made without pyplot, so
that building many packs keeps no global figure state. Withheld values are gaps,
never zeros.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from outcomes.board._text import value

if TYPE_CHECKING:
    from matplotlib.figure import Figure

AREA = "#1d70b8"
NATIONAL = "#505a5f"
HIGHLIGHT = "#f47738"


def _figure(width: float, height: float, ncols: int = 1) -> tuple[Figure, np.ndarray]:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, ncols))
    return fig, axes


def _numbers(column: pd.Series) -> np.ndarray:
    return np.array([np.nan if value(v) is None else value(v) for v in column], dtype=float)


def headline_figure(table: pd.DataFrame, area: str) -> Figure:
    """The headline measures in weeks and in %, area beside nation (withheld: no bar)."""
    fig, (left, right) = _figure(10, 2.8, 2)
    rows = table.loc[~table["measure"].str.contains("children's proceedings")]
    for ax, in_weeks in ((left, True), (right, False)):
        part = rows.loc[rows["measure"].str.contains("weeks to disposal") == in_weeks]
        y = np.arange(len(part))
        mine, nat = _numbers(part[area]), _numbers(part["national"])
        ax.barh(y - 0.2, np.nan_to_num(mine), height=0.4, color=AREA, label=area)
        ax.barh(y + 0.2, np.nan_to_num(nat), height=0.4, color="#b1b4b6", label="national")
        for yi, a, b in zip(y, mine, nat, strict=True):
            for dy, v in ((-0.2, a), (0.2, b)):
                ax.text(
                    0 if np.isnan(v) else v,
                    yi + dy,
                    " n/a" if np.isnan(v) else f" {v:g}",
                    va="center",
                    fontsize=7,
                )
        ax.set_yticks(y, [textwrap.fill(m, 28) for m in part["measure"]], fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel("weeks" if in_weeks else "%")
        ax.margins(x=0.15)
    left.legend(fontsize=8, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=2)
    return fig


def trend_figure(table: pd.DataFrame, area: str, national: bool, weeks: int) -> Figure:
    """Mean weeks and the share within ``weeks`` by period, area against nation."""
    fig, (left, right) = _figure(10, 3.6, 2)
    x = np.arange(len(table))
    for ax, what, label in (
        (left, "mean weeks", "average weeks to disposal"),
        (right, f"% within {weeks} weeks", f"% disposed of within {weeks} weeks"),
    ):
        ax.plot(x, _numbers(table[f"{area} {what}"]), "o-", color=AREA, label=area)
        if national:
            ax.plot(
                x, _numbers(table[f"national {what}"]), "s--", color=NATIONAL, label="national"
            )
        ax.set_title(label, fontsize=10)
        step = max(1, len(x) // 6)
        ax.set_xticks(x[::step], table["period"].iloc[::step], fontsize=8)
        ax.grid(alpha=0.3)
    left.legend(fontsize=8, frameon=False)
    return fig


def curves_figure(table: pd.DataFrame, area: str, weeks: int) -> Figure:
    """Published issue-cohort curves: share disposed of by weeks since issue."""
    fig, (ax,) = _figure(7, 4)
    mine = [c for c in table["cohort"].unique() if not str(c).startswith("national")]
    shades = ["#a6c8e6", "#5694ca", AREA]
    for i, cohort in enumerate(mine):
        part = table.loc[table["cohort"] == cohort]
        color = shades[max(0, len(shades) - len(mine) + i)]
        ax.step(part["weeks"], part["pct_disposed"], where="post", color=color, lw=2, label=cohort)
    for cohort in [c for c in table["cohort"].unique() if str(c).startswith("national")]:
        part = table.loc[table["cohort"] == cohort]
        ax.step(
            part["weeks"],
            part["pct_disposed"],
            where="post",
            color=NATIONAL,
            ls="--",
            label=cohort,
        )
    ax.axvline(weeks, color="0.4", lw=0.8, ls=":")
    ax.text(weeks + 1, 3, f"{weeks} weeks", fontsize=8, color="0.3")
    ax.set_xlabel("weeks since issue")
    ax.set_ylabel("% disposed of")
    ax.set_ylim(0, 100)
    ax.set_xlim(left=0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, frameon=False, loc="lower right")
    return fig


def progression_figure(table: pd.DataFrame, area: str) -> Figure:
    """The area's open cases: already past each horizon, expected to pass, the rest."""
    fig, (ax,) = _figure(7, 2.8)
    measures = list(table["measure"])
    shown = table[area].tolist()
    total = value(shown[measures.index("open cases")])
    for i, h in enumerate((40, 26)):
        at = measures.index(f"more expected to pass {h} weeks")
        past = value(shown[measures.index(f"already past {h} weeks")])
        more, lo, hi = (value(shown[at + d]) for d in range(3))
        if total is None or past is None:
            continue
        first = i == 0
        ax.barh(i, past, color=AREA, label="already past" if first else None)
        if more is None:
            continue
        ax.barh(
            i,
            more,
            left=past,
            color="#5694ca",
            hatch="//",
            edgecolor="white",
            label="expected to pass" if first else None,
        )
        ax.barh(
            i,
            max(total - past - more, 0.0),
            left=past + more,
            color="#dee0e2",
            label="expected not to" if first else None,
        )
        if lo is not None and hi is not None:
            ax.errorbar(
                past + more, i, xerr=[[more - lo], [hi - more]], color="black", capsize=3, lw=1
            )
    ax.set_yticks([0, 1], ["40 weeks", "26 weeks"])
    ax.set_xlabel(f"{area}: open cases ({int(total) if total else 0:,})")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(
            fontsize=8, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.35), ncol=3
        )
    return fig


def order_mix_figure(table: pd.DataFrame, area: str) -> Figure:
    """Shares of each final order, area beside nation (withheld shares left out)."""
    parts = table.loc[table["final order"] != "all disposals"]
    fig, (ax,) = _figure(7, 0.45 * len(parts) + 1.2)
    y = np.arange(len(parts))
    mine = _numbers(parts[f"{area} %"])
    nat = _numbers(parts["national %"])
    ax.barh(y - 0.2, np.nan_to_num(mine), height=0.4, color=AREA, label=area)
    if np.isfinite(nat).any():
        ax.barh(y + 0.2, np.nan_to_num(nat), height=0.4, color="#b1b4b6", label="national")
    for yi, v in zip(y, mine, strict=True):
        if not np.isfinite(v):
            ax.text(0.5, yi - 0.2, "[c]", va="center", fontsize=7)
    ax.set_yticks(y, parts["final order"], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("% of final orders")
    ax.legend(fontsize=8, frameon=False, loc="lower right")
    return fig


def returns_figure(table: pd.DataFrame, funnel: pd.DataFrame | None, area: str) -> Figure:
    """Crude return rates (area and nation, with intervals) and the funnel of ratios."""
    from outcomes.areas import funnel_plot

    fig, (left, right) = _figure(11, 4, 2)
    measures = list(table["measure"])
    xs, labels = [], []
    for j, name in enumerate(("1 year", "2 years")):
        start = measures.index(f"returned within {name}, %")
        for k, (who, color) in enumerate(((area, AREA), ("national", "#b1b4b6"))):
            est, lo, hi = (value(table[who].iloc[start + d]) for d in range(3))
            x = j * 3 + k
            xs.append(x)
            labels.append(f"{who}\n{name}")
            if est is None:
                left.text(x, 0.5, str(table[who].iloc[start]), ha="center", fontsize=8)
                continue
            yerr = None if lo is None or hi is None else [[est - lo], [hi - est]]
            left.bar(x, est, color=color, yerr=yerr, capsize=3)
    left.set_xticks(xs, labels, fontsize=8)
    left.set_ylabel("% returned to court (crude)")
    left.set_title("Returns within 1 and 2 years", fontsize=10)
    if funnel is not None:
        from matplotlib.ticker import LogLocator, NullFormatter, ScalarFormatter

        funnel_plot(
            funnel,
            ax=right,
            highlight=area,
            xlabel="expected returns within 2 years",
            ylabel="observed / expected",
        )
        # plain numbers on the log axis: a board reads 20, not 2 x 10^1
        right.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        right.xaxis.set_major_formatter(ScalarFormatter())
        right.xaxis.set_minor_formatter(NullFormatter())
    else:
        right.text(
            0.5,
            0.5,
            "funnel not available:\nno other areas to compare with",
            ha="center",
            va="center",
            transform=right.transAxes,
        )
        right.set_axis_off()
    return fig


def quadrant_figure(
    quad: pd.DataFrame, level: str, x: str, x_reference: float, area: str, period: str
) -> Figure:
    """Every published area at its timeliness and risk-adjusted returns; the area named."""
    from outcomes.areas import quadrant_plot

    fig, (ax,) = _figure(7, 5)
    quadrant_plot(
        quad,
        x,
        "ratio_2y",
        y_interval=("ratio_ci_lower_2y", "ratio_ci_upper_2y"),
        x_reference=x_reference,
        label=level,
        ax=ax,
        xlabel=f"% disposed of within 26 weeks, {period}",
        ylabel="returns within 2 years: observed / expected",
        highlight=area,
    )
    ax.text(
        0.98,
        0.98,
        "fast, high returns",
        transform=ax.transAxes,
        ha="right",
        va="top",
        fontsize=8,
        color="0.35",
    )
    ax.text(
        0.02,
        0.02,
        "slow, low returns",
        transform=ax.transAxes,
        ha="left",
        va="bottom",
        fontsize=8,
        color="0.35",
    )
    return fig


def quality_figure(scores: pd.Series, mine: float | None, area: str, kind: str) -> Figure:
    """The published quality scores of every area, the area's marked."""
    fig, (ax,) = _figure(7, 2.4)
    ax.hist(scores.to_numpy(dtype=float), bins=20, color="#b1b4b6")
    if mine is not None:
        ax.axvline(mine, color=HIGHLIGHT, lw=2.5)
        ax.text(
            mine,
            ax.get_ylim()[1] * 0.92,
            f" {area}",
            color=HIGHLIGHT,
            fontsize=9,
            fontweight="bold",
            va="top",
        )
    ax.set_xlabel(f"data-quality score (0-100), {kind}s")
    ax.set_ylabel(f"{kind}s")
    return fig

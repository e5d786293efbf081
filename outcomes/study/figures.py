"""The figures of a study run: weighted cumulative incidence, balance, overlap, weights,
and a forest plot of every method's estimates.

Figures are built as :class:`matplotlib.figure.Figure` objects directly, not through
``pyplot``: they are never registered with pyplot's figure manager, so a long session
(or a test suite) that runs many studies does not accumulate open figures, and each is
freed with the result that holds it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter, ScalarFormatter

from outcomes.causal.plots import love_plot, overlap_plot, weight_plot
from outcomes.study.frame import AREA
from outcomes.survival import cumulative_incidence

if TYPE_CHECKING:
    from outcomes.study.result import StudyResult

ARM_LABELS = {1: "disposed within {t:g} weeks", 0: "disposed after {t:g} weeks"}
RISK_METHODS = (
    "crude_aalen_johansen",
    "iptw_aalen_johansen",
    "g_computation",
    "pseudo_value_regression",
)
RATIO_ESTIMANDS = ("hazard_ratio", "subdistribution_hazard_ratio")
RATIO_TICKS = (0.25, 0.5, 0.75, 1, 1.25, 1.5, 2, 2.5, 3, 4, 6, 8)


def study_figures(result: StudyResult) -> dict[str, Figure]:
    """Every figure that the diagnostics of ``result`` allow, by name.

    Names: ``cumulative_incidence``, ``love_plot``, ``propensity_overlap``,
    ``weights``, ``forest``.
    """
    figures: dict[str, Figure] = {}
    d = result.diagnostics
    threshold = float(result.settings.get("threshold_weeks", 26))
    if "analysis" in d:
        figures["cumulative_incidence"] = cumulative_incidence_figure(
            d["analysis"], threshold, result.settings.get("horizons", ())
        )
    if "balance" in d:
        # the ~150 local-authority indicators would drown the confounders: summarised
        balance = d["balance"]
        area = balance["variable"] == AREA
        fig = Figure(figsize=(7, 0.3 * int((~area).sum()) + 1.5), layout="constrained")
        ax = love_plot(balance.loc[~area], ax=fig.subplots())
        title = "Balance before and after weighting"
        if area.any():
            title += (
                f"\nlocal authorities (not shown): max |SMD| "
                f"{balance.loc[area, 'smd_unweighted'].abs().max():.2f} before, "
                f"{balance.loc[area, 'smd_weighted'].abs().max():.2f} after"
            )
        ax.set_title(title, fontsize=10)
        figures["love_plot"] = fig
    if "propensity" in d:
        fig = Figure(figsize=(7, 4), layout="constrained")
        p = d["propensity"]
        ax = overlap_plot(p["score"], p["exposed"], ax=fig.subplots())
        ax.set_title("Propensity of disposal within the threshold, by arm")
        figures["propensity_overlap"] = fig
    if "analysis" in d:
        fig = Figure(figsize=(7, 4), layout="constrained")
        a = d["analysis"]
        ax = weight_plot(a["weight"], a["exposed"], ax=fig.subplots())
        ax.set_title("Stabilised, trimmed inverse-probability weights")
        figures["weights"] = fig
    figures["forest"] = forest_figure(result.estimates, result.settings)
    return figures


def cumulative_incidence_figure(
    analysis: pd.DataFrame, threshold_weeks: float, horizons: tuple[float, ...] = ()
) -> Figure:
    """Inverse-probability-weighted cumulative incidence of return to court, by arm.

    The weighted Aalen-Johansen curves of the primary method, with adoption, death and
    ageing out as competing events; dotted lines mark the horizons.
    """
    cif = cumulative_incidence(
        analysis, "years", "event", event_of_interest=1, by="exposed", weights_col="weight"
    )
    table = cif.table
    fig = Figure(figsize=(7, 4.5), layout="constrained")
    ax = fig.subplots()
    for arm, colour in ((1, "C1"), (0, "C0")):
        part = table.loc[table["group"] == arm].sort_values("time")
        times = np.concatenate([[0.0], part["time"].to_numpy(dtype=float)])
        risk = np.concatenate([[0.0], part["estimate"].to_numpy(dtype=float)])
        ax.step(
            times,
            100 * risk,
            where="post",
            color=colour,
            label=ARM_LABELS[arm].format(t=threshold_weeks),
        )
    for h in horizons:
        ax.axvline(float(h), linestyle=":", color="grey", linewidth=1)
    ax.set_xlabel("years since disposal")
    ax.set_ylabel("returned to court (%)")
    ax.set_title("Weighted cumulative incidence of return to court")
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    ax.legend(frameon=False, loc="upper left")
    return fig


def forest_figure(estimates: pd.DataFrame, settings: dict[str, object]) -> Figure:
    """Risk differences (left) and ratios (right, log scale) across methods.

    At the primary horizon: the crude, weighted and standardised risk differences and
    ratios and each sensitivity analysis; the adjusted hazard ratios alongside.
    """
    horizon = settings.get("primary_horizon")
    at = estimates["horizon_years"] == horizon
    risk_methods = [m for m in estimates["method"].drop_duplicates() if m in RISK_METHODS] + [
        m for m in estimates["method"].drop_duplicates() if str(m).startswith("sensitivity")
    ]
    rd = _rows(estimates.loc[at & (estimates["estimand"] == "risk_difference")], risk_methods)
    rr = _rows(estimates.loc[at & (estimates["estimand"] == "risk_ratio")], risk_methods)
    hr = estimates.loc[estimates["estimand"].isin(RATIO_ESTIMANDS)]
    ratios = pd.concat(
        [
            rr.assign(label=rr["method"] + " (RR)"),
            hr.assign(label=hr["method"] + " (" + _short(hr["estimand"]) + ")"),
        ],
        ignore_index=True,
    )
    rd = rd.assign(label=rd["method"])
    n_rows = max(len(rd), len(ratios), 1)
    fig = Figure(figsize=(12, 0.45 * n_rows + 1.8), layout="constrained")
    left, right = fig.subplots(1, 2)
    _forest(left, rd, scale=100.0, null=0.0)
    left.set_xlabel(f"risk difference at {horizon:g} years (percentage points)")
    _forest(right, ratios, scale=1.0, null=1.0)
    right.set_xscale("log")
    lo, hi = right.get_xlim()
    right.set_xticks([v for v in RATIO_TICKS if lo <= v <= hi])
    right.xaxis.set_major_formatter(ScalarFormatter())
    right.xaxis.set_minor_formatter(NullFormatter())
    right.set_xlabel("ratio (log scale)")
    fig.suptitle("Estimates across methods and sensitivity analyses (95% CI)")
    return fig


def _short(estimand: pd.Series) -> pd.Series:
    return estimand.map({"hazard_ratio": "HR", "subdistribution_hazard_ratio": "sHR"})


def _rows(frame: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    rank = {m: i for i, m in enumerate(order)}
    kept = frame.loc[frame["method"].isin(order)]
    return kept.assign(_rank=kept["method"].map(rank)).sort_values("_rank").drop(columns="_rank")


def _forest(ax: object, rows: pd.DataFrame, *, scale: float, null: float) -> None:
    from matplotlib.axes import Axes

    assert isinstance(ax, Axes)
    y = np.arange(len(rows))[::-1]
    est = rows["estimate"].to_numpy(dtype=float) * scale
    lo = rows["ci_lower"].to_numpy(dtype=float) * scale
    hi = rows["ci_upper"].to_numpy(dtype=float) * scale
    primary = rows["method"].eq("iptw_aalen_johansen").to_numpy()
    ax.hlines(y, lo, hi, color="C0")
    ax.scatter(est[~primary], y[~primary], marker="s", color="C0", zorder=3)
    ax.scatter(est[primary], y[primary], marker="D", color="C3", zorder=3)
    ax.axvline(null, color="black", linewidth=0.8)
    labels = [
        f"{label} [primary]" if p else label
        for label, p in zip(rows["label"], primary, strict=True)
    ]
    ax.set_yticks(y, labels)

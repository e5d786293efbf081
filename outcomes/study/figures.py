"""The figures of a study run: weighted cumulative incidence with numbers at risk, the
dose-response curve, balance, overlap, weights, and a forest plot of every method's
estimates.

Every figure is fit to publish (:mod:`outcomes.study.publish`): curves are thinned so
that no step is a single child's return, histograms leave out bins of fewer than the
threshold children, weights are shown by quantiles that are means of several children's
weights (never a minimum or maximum), and the forest plot shows the published estimates
only. Method names are the labels of :mod:`outcomes.study.labels`.

Figures are built as :class:`matplotlib.figure.Figure` objects directly, not through
``pyplot``: they are never registered with pyplot's figure manager, so a long session
(or a test suite) that runs many studies does not accumulate open figures, and each is
freed with the result that holds it.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator, ScalarFormatter

from outcomes.causal.plots import love_plot
from outcomes.disclosure import DEFAULT_THRESHOLD, publishable_quantiles
from outcomes.study import publish
from outcomes.study.frame import AREA
from outcomes.study.labels import SHORT_ESTIMANDS, method_label
from outcomes.survival import cumulative_incidence

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from outcomes.study.result import StudyResult

ARM_LABELS = {1: "disposed within {t:g} weeks", 0: "disposed after {t:g} weeks"}
ARM_COLOURS = {1: "C1", 0: "C0"}
RISK_METHODS = (
    "crude_aalen_johansen",
    "iptw_aalen_johansen",
    "g_computation",
    "pseudo_value_regression",
)
RATIO_ESTIMANDS = ("hazard_ratio", "subdistribution_hazard_ratio")
RATIO_TICKS = (0.1, 0.2, 0.25, 0.33, 0.5, 0.67, 0.75, 0.8, 1, 1.25, 1.5, 2, 3, 4, 5, 10)
"""Candidate ticks of log-scale ratio axes; :func:`ratio_ticks` keeps a readable subset."""
MIN_TICK_GAP = 0.09
"""Smallest gap between two ratio ticks, as a share of the axis's log-width."""


def study_figures(result: StudyResult, threshold: int = DEFAULT_THRESHOLD) -> dict[str, Figure]:
    """Every figure that the diagnostics of ``result`` allow, by name.

    Names: ``cumulative_incidence``, ``forest``, ``dose_response``, ``love_plot``,
    ``propensity_overlap``, ``weights``.
    """
    figures: dict[str, Figure] = {}
    d = result.diagnostics
    weeks = float(result.settings.get("threshold_weeks", 26))
    if "analysis" in d:
        figures["cumulative_incidence"] = cumulative_incidence_figure(
            d["analysis"], weeks, result.settings.get("horizons", ()), threshold=threshold
        )
    published = publish.published_estimates(result, threshold)
    figures["forest"] = forest_figure(published, result.settings)
    spline = published.loc[published["method"] == "spline_dose_response"]
    if len(spline):
        figures["dose_response"] = dose_response_figure(spline, weeks)
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
        p = d["propensity"]
        figures["propensity_overlap"] = overlap_figure(p["score"], p["exposed"], threshold)
    if "analysis" in d:
        figures["weights"] = weights_figure(d["analysis"], threshold)
    return figures


def cumulative_incidence_figure(
    analysis: pd.DataFrame,
    threshold_weeks: float,
    horizons: tuple[float, ...] = (),
    *,
    threshold: int = DEFAULT_THRESHOLD,
) -> Figure:
    """Inverse-probability-weighted cumulative incidence of return to court, by arm,
    with the numbers at risk at each whole year underneath.

    The weighted Aalen-Johansen curves of the primary method, with adoption, death and
    ageing out as competing events, read monthly and thinned so that between two drawn
    points there are at least ``threshold`` returns
    (:func:`outcomes.study.publish.published_curves`); the points are joined by straight
    lines, and dotted lines mark the horizons. Numbers at risk are rounded, and withheld under
    ``threshold``.
    """
    cif = cumulative_incidence(
        analysis, "years", "event", event_of_interest=1, by="exposed", weights_col="weight"
    )
    curves = publish.published_curves(analysis, cif.table, threshold)
    fig = Figure(figsize=(8, 5.2), layout="constrained")
    ax, table_ax = fig.subplots(2, 1, height_ratios=[5, 1], sharex=True)
    last = float(curves["time"].max())
    for arm in publish.ARMS:
        part = curves.loc[curves["exposed"] == arm]
        label = ARM_LABELS[arm].format(t=threshold_weeks)
        if len(part) < 2:
            label += " (too few returns to draw)"
        # the published points joined by straight lines: a step drawn between two of
        # them would claim a time of change that the thinned curve does not publish
        ax.plot(
            part["time"],
            100 * part["estimate"],
            color=ARM_COLOURS[arm],
            marker="o",
            markersize=2.5,
            label=label,
        )
    for h in horizons:
        ax.axvline(float(h), linestyle=":", color="grey", linewidth=1)
    ax.set_ylabel("returned to court (%)")
    ax.set_title("Weighted cumulative incidence of return to court")
    ax.set_ylim(bottom=0)
    ax.legend(frameon=False, loc="upper left")
    years = [float(y) for y in range(int(math.floor(last)) + 1)]
    at_risk = publish.numbers_at_risk(analysis, years, threshold)
    table_ax.set_ylim(-0.5, 1.5)
    for row, arm in enumerate(publish.ARMS):
        for t, n in zip(years, at_risk[arm], strict=True):
            text = f"{n:,}" if isinstance(n, int) else n
            table_ax.text(t, 1 - row, text, ha="center", va="center", fontsize=9,
                          color=ARM_COLOURS[arm])  # fmt: skip
    table_ax.set_yticks([1, 0], ["within", "after"])
    table_ax.tick_params(axis="y", length=0)
    table_ax.set_title("numbers at risk (rounded to 10)", fontsize=8, loc="left")
    for side in ("top", "right", "left"):
        table_ax.spines[side].set_visible(False)
    table_ax.set_xlabel("years since disposal")
    table_ax.set_xlim(-0.3, max(last, 1.0) + 0.3)
    ax.set_xticks(years)
    return fig


def forest_figure(estimates: pd.DataFrame, settings: dict[str, object]) -> Figure:
    """Risk differences (top) and ratios (bottom, log scale) across methods.

    At the primary horizon: the crude, weighted and standardised risk differences and
    ratios and each sensitivity analysis; the adjusted hazard ratios below. Withheld
    estimates (:func:`outcomes.study.publish.published_estimates`) are not drawn; the
    dose-response rows have their own figure.
    """
    horizon = settings.get("primary_horizon")
    estimates = estimates.loc[estimates["estimate"].notna()]
    at = estimates["horizon_years"] == horizon
    methods = list(estimates["method"].drop_duplicates())
    risk_methods = [m for m in methods if m in RISK_METHODS] + [
        m for m in methods if str(m).startswith("sensitivity")
    ]
    rd = _rows(estimates.loc[at & (estimates["estimand"] == "risk_difference")], risk_methods)
    rr = _rows(estimates.loc[at & (estimates["estimand"] == "risk_ratio")], risk_methods)
    hr = estimates.loc[
        estimates["estimand"].isin(RATIO_ESTIMANDS)
        & (estimates["method"] != "spline_dose_response")
    ]
    ratios = pd.concat([rr, hr], ignore_index=True)
    ratios = ratios.assign(
        label=[
            f"{method_label(m)} ({SHORT_ESTIMANDS.get(e, e)})"
            for m, e in zip(ratios["method"], ratios["estimand"], strict=True)
        ]
    )
    rd = rd.assign(label=[method_label(m) for m in rd["method"]])
    panels = [p for p in (rd, ratios) if len(p)]
    heights = [len(p) + 1.2 for p in panels] or [1.0]
    fig = Figure(figsize=(9, 0.38 * sum(heights) + 1.4), layout="constrained")
    axes = fig.subplots(len(heights), 1, height_ratios=heights, squeeze=False)[:, 0]
    if len(rd):
        _forest(axes[0], rd, scale=100.0, null=0.0)
        axes[0].set_xlabel(f"risk difference at {horizon:g} years (percentage points)")
    if len(ratios):
        ax = axes[-1]
        _forest(ax, ratios, scale=1.0, null=1.0)
        ax.set_xscale("log")
        lo, hi = ax.get_xlim()
        ax.xaxis.set_major_locator(FixedLocator(ratio_ticks(lo, hi)))
        ax.xaxis.set_major_formatter(ScalarFormatter())
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel("ratio (log scale; 1 = no difference)")
    if not panels:
        axes[0].text(0.5, 0.5, "no estimate can be published", ha="center")
        axes[0].set_axis_off()
    fig.suptitle("Estimates across methods and sensitivity analyses (95% CI)")
    return fig


def ratio_ticks(lo: float, hi: float) -> list[float]:
    """Ticks for a log ratio axis from ``lo`` to ``hi`` that do not overlap.

    From :data:`RATIO_TICKS` inside the range, 1 first, then the others nearest 1
    outwards, each kept only if it is at least :data:`MIN_TICK_GAP` of the axis's
    log-width from every tick kept.
    """
    lo, hi = max(lo, 1e-6), max(hi, 2e-6)
    width = math.log(hi) - math.log(lo)
    candidates = sorted((v for v in RATIO_TICKS if lo <= v <= hi), key=lambda v: abs(math.log(v)))
    kept: list[float] = []
    for v in candidates:
        if all(abs(math.log(v) - math.log(k)) >= MIN_TICK_GAP * width for k in kept):
            kept.append(v)
    return sorted(kept)


def dose_response_figure(rows: pd.DataFrame, threshold_weeks: float) -> Figure:
    """Hazard ratio of return by duration against 26 weeks: the spline curve and its
    95% band (log scale), from the ``spline_dose_response`` rows."""
    weeks = rows["contrast"].str.extract(r"^([\d.]+) weeks", expand=False).astype(float)
    order = np.argsort(weeks.to_numpy())
    x = weeks.to_numpy()[order]
    est, lo, hi = (
        rows[c].to_numpy(dtype=float)[order] for c in ("estimate", "ci_lower", "ci_upper")
    )
    lo, hi = np.where(np.isnan(lo), est, lo), np.where(np.isnan(hi), est, hi)
    fig = Figure(figsize=(7, 4), layout="constrained")
    ax = fig.subplots()
    ax.fill_between(x, lo, hi, color="C0", alpha=0.2, linewidth=0, label="95% confidence band")
    ax.plot(x, est, color="C0", marker="o", markersize=4, label="hazard ratio")
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.axvline(float(threshold_weeks), linestyle=":", color="grey", linewidth=1)
    ax.set_yscale("log")
    bottom, top = ax.get_ylim()
    ax.yaxis.set_major_locator(FixedLocator(ratio_ticks(bottom, top)))
    ax.yaxis.set_major_formatter(ScalarFormatter())
    ax.yaxis.set_minor_locator(NullLocator())
    ax.set_xlabel("duration of proceedings (weeks)")
    ax.set_ylabel("hazard ratio of return vs 26 weeks")
    ax.set_title("Duration and return to court (adjusted cause-specific hazards)")
    ax.legend(frameon=False)
    return fig


def overlap_figure(scores: pd.Series, exposed: pd.Series, threshold: int) -> Figure:
    """Propensity-score histograms of the two arms (later disposals below the axis),
    counts per bin of 0.025, bins with fewer than ``threshold`` children left out."""
    fig = Figure(figsize=(7, 4), layout="constrained")
    ax = fig.subplots()
    edges = np.linspace(0.0, 1.0, 41)
    s = np.asarray(scores, dtype=float)
    a = np.asarray(exposed)
    for arm, sign in ((1, 1.0), (0, -1.0)):
        counts, _ = np.histogram(s[(a == arm) & np.isfinite(s)], bins=edges)
        shown = np.where(counts >= threshold, counts, 0)
        label = "disposed within the threshold" if arm == 1 else "later (below the axis)"
        ax.stairs(sign * shown, edges, fill=True, color=ARM_COLOURS[arm], alpha=0.8, label=label)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xlim(0, 1)
    ax.set_xlabel("propensity score")
    ax.set_ylabel("children per bin")
    ax.yaxis.set_major_formatter(_absolute)
    ax.set_title(f"Propensity of disposal within the threshold (bins under {threshold} not shown)")
    ax.legend(frameon=False)
    return fig


def weights_figure(analysis: pd.DataFrame, threshold: int) -> Figure:
    """Stabilised, trimmed weights by arm: boxes from the 25th to the 75th and whiskers
    from the 5th to the 95th percentile, each the mean of ``threshold`` weights around
    it (:func:`outcomes.disclosure.publishable_quantiles`): no single child's weight."""
    fig = Figure(figsize=(7, 2.8), layout="constrained")
    ax = fig.subplots()
    for row, arm in enumerate(publish.ARMS):
        w = analysis.loc[analysis["exposed"] == arm, "weight"]
        q = publishable_quantiles(w, publish.QUANTILES, threshold=threshold)
        if np.isnan(q).any():
            continue
        y = 1 - row
        colour = ARM_COLOURS[arm]
        ax.hlines(y, q[0], q[4], color=colour)
        ax.add_patch(_box(q[1], q[3], y, colour))
        ax.vlines(q[2], y - 0.25, y + 0.25, color="black")
    ax.axvline(1.0, color="grey", linestyle=":", linewidth=1)
    ax.set_yticks([1, 0], ["disposed within", "disposed after"])
    ax.set_ylim(-0.6, 1.6)
    ax.set_xlabel("stabilised weight (box: 25th-75th, whiskers: 5th-95th percentile)")
    ax.set_title("Stabilised, trimmed inverse-probability weights")
    return fig


def _box(left: float, right: float, y: float, colour: str) -> Rectangle:
    return Rectangle((left, y - 0.2), right - left, 0.4, facecolor=colour, alpha=0.5)


def _absolute(value: float, _pos: object) -> str:
    return f"{abs(value):g}"


def _rows(frame: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    rank = {m: i for i, m in enumerate(order)}
    kept = frame.loc[frame["method"].isin(order)]
    return kept.assign(_rank=kept["method"].map(rank)).sort_values("_rank").drop(columns="_rank")


def _forest(ax: Axes, rows: pd.DataFrame, *, scale: float, null: float) -> None:
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
    ax.set_ylim(-0.7, len(rows) - 0.3)

"""What of a study run may be published, and in what form.

The report and ``estimates.csv`` are read side by side with the quality report, by
someone who may know a family. Each figure below was found to give back a count under
the disclosure threshold in combination with another, and is published so that it
cannot:

* **Arm sizes times risks.** A risk times an exact arm size is a count of returns. Every
  count of children is rounded to :data:`ROUNDING` (and withheld from 1 to the threshold
  minus 1: :func:`~outcomes.disclosure.publishable_count`), and the risks, risk
  differences, risk ratios and risk-ratio E-values at a horizon are withheld when, in
  either arm, fewer than ``threshold`` children returned to court by then, or fewer
  than ``threshold`` did not.
* **Flow against analysed n and the quality report.** The quality report gives the rows
  read exactly; an exact analysed n then leaves a withheld exclusion as the only unknown
  of the flow. Exclusions are rounded like every other count and the analysed n is never
  published exactly, so the flow adds up only to within the rounding.
* **Shares times n.** Positivity and trimming are published as rounded counts (withheld
  when small), not as shares of an arm.
* **Single children's values.** Curves are read at a monthly grid and thinned until each
  published step holds at least ``threshold`` returns
  (:func:`~outcomes.disclosure.publishable_curve`); no minimum or maximum of weights or
  propensity scores is published, only quantiles that are means of ``threshold`` values
  (:func:`~outcomes.disclosure.publishable_quantiles`).

Controlled direct effects are published only for orders at which they are defined as an
intervention: a real order (not the pooled ``other``, and not ``withdrawn`` or
``no_order``, which are the absence of an order, not one a court could be made to make)
that at least ``threshold`` children in each arm received.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from outcomes.disclosure import (
    DEFAULT_THRESHOLD,
    MARKER,
    publishable_count,
    publishable_curve,
    publishable_quantiles,
)
from outcomes.study.estimates import COLUMNS

if TYPE_CHECKING:
    from outcomes.study.result import StudyResult

ROUNDING = 10
"""Every published count of children is rounded to this."""
RISK_ESTIMANDS = ("risk_exposed", "risk_unexposed", "risk_difference", "risk_ratio")
NOT_AN_ORDER = ("other", "withdrawn", "no_order")
"""Mediator levels with no controlled direct effect (see the module docstring)."""
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
"""Quantiles published for weights, propensity scores and durations."""
CURVE_GRID_YEARS = 1 / 12
"""Cumulative-incidence curves are read monthly before thinning."""
ARMS = (1, 0)


def count(n: int, threshold: int = DEFAULT_THRESHOLD) -> int | str:
    """A count of children as published: rounded, small ones withheld."""
    return publishable_count(n, threshold=threshold, rounding=ROUNDING)


def returns_by_horizon(analysis: pd.DataFrame, horizons: tuple[float, ...]) -> pd.DataFrame:
    """Children, and returns to court by each horizon, per arm (unpublished counts).

    Returns
    -------
    DataFrame
        Index arm (1 = within the threshold, 0 = later); ``children`` and one
        ``returns_<h>`` column per horizon.
    """
    out = pd.DataFrame(index=pd.Index(ARMS, name="exposed"))
    exposed = analysis["exposed"].to_numpy()
    out["children"] = [int((exposed == a).sum()) for a in ARMS]
    returned = analysis["event"].to_numpy() == 1
    years = analysis["years"].to_numpy(dtype=float)
    for h in horizons:
        out[f"returns_{h:g}"] = [
            int((returned & (years <= h) & (exposed == a)).sum()) for a in ARMS
        ]
    return out


def withheld_horizons(result: StudyResult, threshold: int = DEFAULT_THRESHOLD) -> list[float]:
    """Horizons at which risks are withheld: some arm has fewer than ``threshold``
    returns by then, or fewer than ``threshold`` children without one."""
    analysis = result.diagnostics.get("analysis")
    horizons = tuple(float(h) for h in result.settings.get("horizons", ()))
    if not isinstance(analysis, pd.DataFrame):
        return list(horizons)  # nothing to check against: publish no risk
    counts = returns_by_horizon(analysis, horizons)
    out = []
    for h in horizons:
        k = counts[f"returns_{h:g}"]
        if (k < threshold).any() or ((counts["children"] - k) < threshold).any():
            out.append(h)
    return out


def defined_cde_levels(result: StudyResult, threshold: int = DEFAULT_THRESHOLD) -> list[str]:
    """Mediator levels whose controlled direct effect is published."""
    arms = result.diagnostics.get("mediation", {}).get("arm_counts")
    if not isinstance(arms, pd.DataFrame):
        return []
    enough = (arms.min(axis=1) >= threshold) & ~arms.index.isin(NOT_AN_ORDER)
    return [str(level) for level in arms.index[enough]]


def published_estimates(result: StudyResult, threshold: int = DEFAULT_THRESHOLD) -> pd.DataFrame:
    """The estimates as published (report and ``estimates.csv``).

    Rows of controlled direct effects at levels where they are not defined are dropped;
    risks and their contrasts (and risk-ratio E-values) at withheld horizons keep their
    row with the numbers blank. Numbers are rounded to 4 decimals: more would let a risk
    be inverted into an exact arm size.

    Returns
    -------
    DataFrame
        :data:`~outcomes.study.estimates.COLUMNS`, plus ``withheld`` (bool).
    """
    est = result.estimates.copy()
    cde = est["estimand"] == "controlled_direct_effect"
    if cde.any():
        levels = est.loc[cde, "contrast"].astype(str).map(_cde_level)
        keep = levels.isin(defined_cde_levels(result, threshold))
        est = est.loc[~cde | keep.reindex(est.index, fill_value=True)]
    hidden = withheld_horizons(result, threshold)
    at = est["horizon_years"].isin(hidden)
    risk = est["estimand"].isin(RISK_ESTIMANDS) & (est["method"] != "mediation")
    evalue = (est["method"] == "e_value") & (est["contrast"] == "risk_ratio")
    withheld = (at & (risk | evalue)).to_numpy()
    numbers = ["estimate", "std_error", "ci_lower", "ci_upper", "p_value"]
    est[numbers] = est[numbers].astype(float).round(4)
    est.loc[withheld, numbers] = np.nan
    est["withheld"] = withheld
    return est[[*COLUMNS, "withheld"]].reset_index(drop=True)


def _cde_level(contrast: str) -> str:
    match = re.search(r" set to (.+)$", contrast)
    return match.group(1) if match else contrast


# --- tables -----------------------------------------------------------------------------


def flow_table(flow: pd.DataFrame, threshold: int = DEFAULT_THRESHOLD) -> pd.DataFrame:
    """The cohort flow: the rows read, each exclusion and the rows remaining, rounded.

    Every count goes through :func:`count`: zeros as zeros, 1 to ``threshold - 1``
    withheld, the rest rounded to :data:`ROUNDING`. Each published exclusion and each
    rows-remaining figure is then known only to within half the rounding, so an exact
    total from elsewhere (the quality report's rows read) minus the others does not
    pin a withheld exclusion down.
    """
    rows = [
        {"step": "", "reason": "proceedings rows read", "rows_excluded": "",
         "rows_remaining": count(int(flow["rows_in"].iloc[0]), threshold)},
    ]  # fmt: skip
    for _, r in flow.iterrows():
        rows.append(
            {
                "step": str(r["step"]),
                "reason": str(r["reason"]),
                "rows_excluded": count(int(r["rows_out"]), threshold),
                "rows_remaining": count(int(r["rows_remaining"]), threshold),
            }
        )
    return pd.DataFrame(rows)


def descriptive_table(result: StudyResult, threshold: int = DEFAULT_THRESHOLD) -> pd.DataFrame:
    """Children, returns to court by each horizon and durations, by arm.

    Counts are rounded and small ones withheld (:func:`count`); a number of returns is
    withheld also when the children without a return are few (the arm's size minus it
    would give them back). Durations are :func:`~outcomes.disclosure.publishable_quantiles`
    (means of ``threshold`` durations around the median and quartiles).
    """
    a = result.diagnostics["analysis"]
    horizons = tuple(float(h) for h in result.settings.get("horizons", ()))
    t = float(result.settings.get("threshold_weeks", 26))
    counts = returns_by_horizon(a, horizons)
    columns = {1: f"disposed within {t:g} weeks", 0: f"disposed after {t:g} weeks"}
    children = dict(zip(ARMS, counts["children"].to_numpy(dtype=int).tolist(), strict=True))
    rows: list[dict[str, object]] = [
        {"": "children", **{columns[arm]: count(children[arm], threshold) for arm in ARMS}},
    ]
    for h in horizons:
        cells: dict[str, object] = {}
        returns = counts[f"returns_{h:g}"].to_numpy(dtype=int).tolist()
        for arm, k in zip(ARMS, returns, strict=True):
            rest = children[arm] - k
            cells[columns[arm]] = count(k, threshold) if rest >= threshold else MARKER
        unit = "year" if h == 1 else "years"
        rows.append({"": f"returned to court within {h:g} {unit}", **cells})
    if "weeks" in a.columns:
        for label, (lo, mid, hi) in (("duration, weeks: median (quartiles)", (0.25, 0.5, 0.75)),):
            cells = {}
            for arm in ARMS:
                q = publishable_quantiles(
                    a.loc[a["exposed"] == arm, "weeks"], (lo, mid, hi), threshold=threshold
                )
                cells[columns[arm]] = (
                    MARKER if np.isnan(q).any() else f"{q[1]:.0f} ({q[0]:.0f} to {q[2]:.0f})"
                )
            rows.append({"": label, **cells})
    return pd.DataFrame(rows)


def weights_table(result: StudyResult, threshold: int = DEFAULT_THRESHOLD) -> pd.DataFrame:
    """Weights by arm: children (rounded), mean, effective sample size (rounded), the
    quantiles of :data:`QUANTILES` and the weights capped by trimming (a rounded count).

    No minimum or maximum: each is one child's weight."""
    a = result.diagnostics["analysis"]
    summary = result.diagnostics.get("weights")
    modified = {}
    if isinstance(summary, pd.DataFrame) and "n_modified" in summary.columns:
        modified = dict(zip(summary["arm"], summary["n_modified"], strict=True))
    rows = []
    for arm, name in ((1, "treated"), (0, "control")):
        w = a.loc[a["exposed"] == arm, "weight"].to_numpy(dtype=float)
        ess = float(w.sum() ** 2 / (w**2).sum()) if len(w) else 0.0
        q = publishable_quantiles(w, QUANTILES, threshold=threshold)
        row: dict[str, object] = {
            "arm": name,
            "children": count(len(w), threshold),
            "mean": round(float(w.mean()), 2) if len(w) >= threshold else MARKER,
            "ess": count(int(round(ess)), threshold),
        }
        for p, v in zip(QUANTILES, q, strict=True):
            row[f"p{round(100 * p):02d}"] = MARKER if np.isnan(v) else round(float(v), 3)
        if name in modified:
            row["capped_by_trimming"] = count(int(modified[name]), threshold)
        rows.append(row)
    return pd.DataFrame(rows)


def positivity_table(result: StudyResult, threshold: int = DEFAULT_THRESHOLD) -> pd.DataFrame:
    """Propensity scores by arm: children (rounded), quantiles that are not single
    children's scores, and the children outside the other arm's range or with extreme
    scores as rounded counts (never as shares of the arm)."""
    d = result.diagnostics
    p = d["propensity"]
    table = getattr(d.get("positivity"), "table", None)
    rows = []
    for arm, name in ((1, "treated"), (0, "control")):
        scores = p.loc[p["exposed"] == arm, "score"].to_numpy(dtype=float)
        q = publishable_quantiles(scores, QUANTILES, threshold=threshold)
        row: dict[str, object] = {"arm": name, "children": count(len(scores), threshold)}
        for prob, v in zip(QUANTILES, q, strict=True):
            row[f"p{round(100 * prob):02d}"] = MARKER if np.isnan(v) else round(float(v), 3)
        if isinstance(table, pd.DataFrame):
            r = table.loc[table["arm"] == name].iloc[0]
            n = int(r["n"])
            row["outside_other_arm"] = count(int(round(float(r["share_outside"]) * n)), threshold)
            extreme = float(r["share_extreme_low"]) + float(r["share_extreme_high"])
            row["extreme_scores"] = count(int(round(extreme * n)), threshold)
        rows.append(row)
    return pd.DataFrame(rows)


# --- curves -----------------------------------------------------------------------------


def published_curves(
    analysis: pd.DataFrame, curve: pd.DataFrame, threshold: int = DEFAULT_THRESHOLD
) -> pd.DataFrame:
    """The weighted cumulative incidence of each arm as it may be drawn.

    ``curve`` is the weighted Aalen-Johansen table (``group, time, estimate``). It is
    read at a monthly grid and thinned by :func:`~outcomes.disclosure.publishable_curve`
    with the *unweighted* returns and numbers at risk, since those are the children
    whose event times a step would show.

    Returns
    -------
    DataFrame
        ``exposed, time, at_risk, estimate``; each arm starts at (0, 0).
    """
    parts = []
    for arm in ARMS:
        rows = analysis.loc[analysis["exposed"] == arm]
        years = np.sort(rows["years"].to_numpy(dtype=float))
        times = np.unique(years)
        returned = np.sort(rows.loc[rows["event"] == 1, "years"].to_numpy(dtype=float))
        events = np.searchsorted(returned, times, "right") - np.searchsorted(returned, times)
        at_risk = len(years) - np.searchsorted(years, times, "left")
        part = curve.loc[curve["group"] == arm].sort_values("time")
        pos = np.searchsorted(part["time"].to_numpy(dtype=float), times, "right") - 1
        values = part["estimate"].to_numpy(dtype=float)
        estimate = np.where(pos >= 0, values[np.clip(pos, 0, None)], 0.0)
        steps = pd.DataFrame(
            {"time": times, "at_risk": at_risk, "events": events, "estimate": estimate}
        )
        longest = float(times.max()) if len(times) else 0.0
        grid = np.arange(1, int(longest / CURVE_GRID_YEARS) + 1) * CURVE_GRID_YEARS
        kept = (
            publishable_curve(steps, grid.tolist(), threshold=threshold)
            if len(grid)
            else pd.DataFrame(columns=["time", "at_risk", "estimate"])
        )
        start = pd.DataFrame({"time": [0.0], "at_risk": [float(len(years))], "estimate": [0.0]})
        parts.append(pd.concat([start, kept], ignore_index=True).assign(exposed=arm))
    return pd.concat(parts, ignore_index=True)[["exposed", "time", "at_risk", "estimate"]]


def numbers_at_risk(
    analysis: pd.DataFrame, years: list[float], threshold: int = DEFAULT_THRESHOLD
) -> pd.DataFrame:
    """Children still followed just after each whole year, per arm, as published."""
    out = {}
    for arm in ARMS:
        y = analysis.loc[analysis["exposed"] == arm, "years"].to_numpy(dtype=float)
        out[arm] = [count(int((y > t).sum()) if t > 0 else len(y), threshold) for t in years]
    return pd.DataFrame(out, index=years)

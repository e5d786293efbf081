r"""What if durations changed? The report of a set of duration policies, fit to publish.

:func:`what_if` fits :class:`~outcomes.policy.DurationPolicyEffect` to a child-return
cohort, estimates the policies, applies the disclosure rules below, prices the policies
with :mod:`outcomes.costs` where unit costs are available, and draws the figures;
:meth:`WhatIf.write` writes ``what_if.html`` (one self-contained page: inline CSS,
figures as data URIs, no script, no link out), ``what_if.csv`` (tidy) and
``figures/*.png`` at once. ``outcomes what-if`` is this module at the command line.

Costs
-----
Two per-child quantities come from the g-formula, under the observed durations and
under each policy: weeks of proceedings (the mean weeks, :math:`\bar D` or
:math:`\bar D'`) and repeat sets of proceedings, taken as the risk of return to court by
the cost horizon :math:`h_c`, :math:`F(h_c)`. The risk counts children with *at least
one* repeat set by :math:`h_c`, so it is a lower bound on repeat sets per child, and
returns after :math:`h_c` are not counted. Placements during proceedings and time in
care afterwards are not estimated, so their unit costs are not used. The cost per 100
children and the net difference are :func:`outcomes.costs.net_difference` of these
quantities; every bootstrap replicate gives its own quantities (from the same resample
as the risks), so the cost intervals follow the estimator's interval rule
(:func:`outcomes.study.estimates.bootstrap_row`). Unit costs are held fixed across
replicates; their uncertainty is shown one at a time by a tornado plot
(:func:`outcomes.costs.tornado`). Items without a unit cost are left out of the totals
and listed: the shipped defaults price none of the items this report needs, because no
published value was found for them, so the user supplies them in a ``costs.toml``.

Disclosure
----------
As the study report (:mod:`outcomes.study.publish`): counts of children are rounded to
10 and withheld from 1 to 9 (:func:`outcomes.disclosure.publishable_count`); positivity
is published as rounded counts, never shares; estimates are rounded to 4 decimals; and

* every risk, contrast and cost that rests on a horizon is withheld when fewer than 10
  of the analysed children returned to court by then, or fewer than 10 did not;
* every figure of a policy (its risks, contrasts, mean weeks and costs) is withheld when
  it moves from 1 to 9 children: it would describe those few.
"""

from __future__ import annotations

import dataclasses
import html
import math
import re
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from outcomes.board._text import NOT_AVAILABLE
from outcomes.board.html import _figure, _table, note, page_start, png
from outcomes.causal import PositivityWarning
from outcomes.costs import (
    PriceYearWarning,
    UnitCosts,
    net_difference,
    tornado,
    tornado_plot,
)
from outcomes.disclosure import DEFAULT_THRESHOLD, MARKER, publishable_count
from outcomes.errors import OutcomesError
from outcomes.policy.gformula import COLUMNS, NATURAL, DurationPolicyEffect
from outcomes.policy.policies import MatchDistribution, Policy, as_policy
from outcomes.study import estimates as est

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from outcomes.cohort import Cohort

__all__ = [
    "ENTRIES",
    "PUBLISHED_COLUMNS",
    "WhatIf",
    "area_cohort",
    "positive_durations",
    "reading",
    "what_if",
]

ENTRIES = ("what_if.html", "what_if.csv", "figures")
"""What :meth:`WhatIf.write` writes into its folder (and replaces on a later run)."""
ROUNDING = 10
"""Every published count of children is rounded to this."""
PUBLISHED_COLUMNS = [*COLUMNS, "withheld"]
"""The layout of ``what_if.csv``: the estimator's tidy columns and ``withheld``."""
COST_METHOD = "costs"
COST = "cost_per_100_children"
NET_COST = "net_cost_per_100_children"
QUANTITIES = ("weeks_of_proceedings", "repeat_proceedings")
"""The per-child quantities priced: weeks of proceedings and repeat sets of proceedings."""
HORIZON_ESTIMANDS = (
    "policy_risk",
    "policy_risk_difference",
    "policy_risk_ratio",
    "policy_direct",
    "policy_through_order",
)


class WhatIfError(OutcomesError):
    """A what-if report that cannot be made as asked."""


@dataclasses.dataclass
class WhatIf:
    """A what-if report: the estimates, what of them may be published, costs, figures.

    Attributes
    ----------
    estimates : DataFrame
        :meth:`DurationPolicyEffect.estimate`'s table, unrounded (not for publication).
    published : DataFrame
        :data:`PUBLISHED_COLUMNS`: the estimates and the cost rows as published (small
        groups withheld, numbers rounded to 4 decimals); what ``what_if.csv`` holds.
    headline : DataFrame
        One row per scenario (the observed durations, then each policy), one column per
        estimand, as the page shows it.
    positivity : DataFrame
        Per policy, children moved and moved outside the durations of their area or
        case-mix stratum, as rounded counts.
    unit_costs : DataFrame
        The unit costs used, with their sources (empty when none applies).
    omitted_costs : list of str
        Cost items this report needs that have no unit cost.
    cost_items : DataFrame
        Per policy and item, the cost per 100 children under the observed durations and
        the policy and the difference (point estimates), as published.
    figures : dict of str to Figure
    settings : dict
        Area, policies and labels, horizons, the cost horizon, the bootstrap and its
        interval rule, children analysed (rounded), source and extract date.
    messages : list of str
        Warnings raised on the way (positivity, price years), as the page shows them.
    """

    estimates: pd.DataFrame
    published: pd.DataFrame
    headline: pd.DataFrame
    positivity: pd.DataFrame
    unit_costs: pd.DataFrame
    omitted_costs: list[str]
    cost_items: pd.DataFrame
    figures: dict[str, Figure]
    settings: dict[str, Any]
    messages: list[str]

    def to_html(self) -> str:
        """The report as one self-contained HTML page."""
        return render(self)

    def write(self, path: str | Path, *, overwrite: bool = False) -> Path:
        """Write ``what_if.html``, ``what_if.csv`` and ``figures/*.png`` into ``path`` at
        once (a failure leaves the folder as it was)."""
        from outcomes.io.output import OutputFolder, write_bytes, write_csv, write_text

        images = {name: png(fig) for name, fig in self.figures.items()}
        with OutputFolder(path, claims=ENTRIES, overwrite=overwrite) as stage:
            write_text(stage / "what_if.html", render(self, images))
            write_csv(self.published, stage / "what_if.csv")
            figures = stage / "figures"
            figures.mkdir()
            for name, image in images.items():
                write_bytes(figures / f"{name}.png", image)
        return Path(path)


def what_if(
    cohort: Cohort | pd.DataFrame,
    policies: list[str | Policy],
    *,
    horizons: tuple[float, ...] = (1.0, 2.0, 5.0),
    cost_horizon: float = 2.0,
    costs: UnitCosts | None = None,
    n_boot: int = 200,
    seed: int = 0,
    n_jobs: int = 1,
    threshold: int = DEFAULT_THRESHOLD,
    settings: dict[str, Any] | None = None,
) -> WhatIf:
    """Estimate duration policies on a cohort and make the report.

    Parameters
    ----------
    cohort : Cohort or DataFrame
        A ``child_return`` cohort (:func:`outcomes.cohort.build_cohort`), or its rows.
    policies : list of str or Policy
        Spec strings (``cap:26``, ``shift:-4``, ``match:best_quartile``, ...) or policies.
    horizons : tuple of float
        Years after disposal.
    cost_horizon : float, default 2
        The horizon whose risk of return counts the repeat proceedings priced; one of
        ``horizons``.
    costs : UnitCosts, optional
        The unit costs (default: :meth:`UnitCosts.default`, which prices none of the
        items needed here: the report then lists them for the user to supply).
    n_boot, seed, n_jobs
        As :class:`DurationPolicyEffect`.
    threshold : int, default 10
        The disclosure threshold.
    settings : dict, optional
        Added to the report's settings (area, source, extract date, notes).

    Returns
    -------
    WhatIf
    """
    hs = tuple(float(h) for h in horizons)
    if float(cost_horizon) not in hs:
        raise WhatIfError(
            f"the cost horizon {cost_horizon:g} is not among the horizons "
            f"({', '.join(f'{h:g}' for h in hs)})"
        )
    chosen = [as_policy(p) for p in policies]
    messages: list[str] = []
    cohort, dropped = positive_durations(cohort)
    effect = DurationPolicyEffect(n_boot=n_boot, seed=seed, n_jobs=n_jobs)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        effect.fit(cohort)
        table = effect.estimate(chosen, horizons=hs)
    warned = []
    for w in caught:
        if issubclass(w.category, PositivityWarning):
            warned.append(str(w.message))
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    specs = [p.spec for p in chosen]
    labels = dict(table.attrs.get("labels", {}))
    frame = effect.data_
    withheld_h = withheld_horizons(frame, hs, threshold)
    positivity = effect.diagnostics_["positivity"]
    for _, row in positivity.iterrows():
        if any(m.startswith(f"policy {row['policy']} ") for m in warned):
            messages.append(positivity_message(row, threshold))
    moved = dict(zip(positivity["policy"], positivity["moved"].astype(int), strict=True))
    few = [s for s in specs if 0 < moved.get(s, 0) < threshold]
    alpha = float(table.attrs["alpha"])
    interval = table.attrs["interval"]

    unit_costs = costs if costs is not None else UnitCosts.default()
    cost_rows, cost_items, omitted, cost_messages, tornados = _costs(
        effect, specs, hs, float(cost_horizon), unit_costs, alpha, interval
    )
    messages.extend(cost_messages)
    full = pd.concat([table, cost_rows], ignore_index=True) if len(cost_rows) else table
    published = publish(full, withheld_h, few, float(cost_horizon))
    published.attrs.update(table.attrs)
    hidden_items = float(cost_horizon) in withheld_h
    items = cost_items.copy()
    if len(items):
        hide = items["policy"].isin(few) | hidden_items
        for col in ("cost_natural", "cost_policy", "difference"):
            items[col] = items[col].astype(object).where(~hide, MARKER)
    n = len(frame)
    headline_h = 2.0 if 2.0 in hs else hs[0]
    info: dict[str, Any] = {
        "policies": specs,
        "labels": labels,
        "horizons": hs,
        "headline_horizon": headline_h,
        "cost_horizon": float(cost_horizon),
        "children": publishable_count(n, threshold=threshold, rounding=ROUNDING),
        "n_boot": n_boot,
        "replicates": effect.diagnostics_["bootstrap"]["replicates"],
        "bootstrap_unit": effect.diagnostics_["bootstrap"]["unit"],
        "interval": effect.diagnostics_["inference"]["interval"],
        "alpha": alpha,
        "seed": seed,
        "threshold": threshold,
        "withheld_horizons": withheld_h,
        "withheld_policies": few,
        "costs_origin": unit_costs.origin,
        "rows_without_positive_duration": publishable_count(
            dropped, threshold=threshold, rounding=ROUNDING
        ),
        **(settings or {}),
    }
    figures = _figures(published, specs, labels, info)
    for spec, tab in tornados.items():
        if spec in few or hidden_items:
            continue
        figures[f"tornado_{_slug(spec)}"] = _tornado_figure(tab, labels.get(spec, spec))
    return WhatIf(
        estimates=table,
        published=published,
        headline=headline(published, specs, labels, headline_h),
        positivity=published_positivity(positivity, threshold),
        unit_costs=_used_costs(unit_costs),
        omitted_costs=omitted,
        cost_items=items,
        figures=figures,
        settings=info,
        messages=messages,
    )


def positive_durations(cohort: Cohort | pd.DataFrame) -> tuple[Cohort | pd.DataFrame, int]:
    """The cohort without rows whose duration is not a positive number of weeks.

    A disposal on or before its issue date is a date error; no policy can move such a
    case, and the g-formula refuses it. The rows leave the analysis with a reason: a
    step of the cohort's flow table (for a :class:`~outcomes.cohort.Cohort`), and their
    number is returned.
    """
    from outcomes.cohort import Cohort

    rows = cohort.data if isinstance(cohort, Cohort) else cohort
    if "duration_weeks" not in rows.columns:
        return cohort, 0
    weeks = pd.to_numeric(rows["duration_weeks"], errors="coerce")
    keep = (weeks > 0).to_numpy()
    dropped = int((~keep).sum())
    if not dropped:
        return cohort, 0
    if not isinstance(cohort, Cohort):
        return rows.loc[keep].reset_index(drop=True), dropped
    flow = cohort.flow
    if len(flow):
        last = flow.iloc[-1]
        step = {
            "step": int(last["step"]) + 1,
            "rows_in": int(last["rows_remaining"]),
            "rows_out": dropped,
            "reason": "disposal on or before the issue date (a date error): the duration is "
            "not a positive number of weeks, so no policy can move it",
            "rows_remaining": int(last["rows_remaining"]) - dropped,
        }
        new_flow = pd.concat([flow, pd.DataFrame([step])], ignore_index=True)
        new_flow.attrs.update(flow.attrs)
    else:
        new_flow = flow
    data = rows.loc[keep].reset_index(drop=True)
    return dataclasses.replace(cohort, data=data, flow=new_flow), dropped


def area_cohort(
    cohort: Cohort, area: str, policies: list[str | Policy]
) -> tuple[Cohort, list[Policy]]:
    """One area's children, with the named references held at their national values.

    ``area`` is a local authority code or a DFJ area name of the cohort. The returned
    cohort holds that area's children only; ``match:best_quartile`` and
    ``match:national`` become :class:`~outcomes.policy.MatchDistribution` policies with
    the reference computed from the whole cohort (positive durations) and held, so that
    the area is compared with the nation rather than with itself. Their spec is kept.

    Raises
    ------
    OutcomesError
        When ``area`` is neither a local authority nor a DFJ area of the cohort.
    """
    from outcomes.board.pack import resolve_area

    level = resolve_area(cohort.data, area)
    national = cohort.data.loc[pd.to_numeric(cohort.data["duration_weeks"]) > 0]
    chosen: list[Policy] = []
    for p in (as_policy(p) for p in policies):
        if isinstance(p, MatchDistribution) and isinstance(p.reference, str):
            held = MatchDistribution(
                p.reference_weeks(national), label=f"{p.label} (national reference)"
            )
            held.spec = p.spec
            chosen.append(held)
        else:
            chosen.append(p)
    mine = (cohort.data[level].astype(str) == str(area)).to_numpy()
    data = cohort.data.loc[mine].reset_index(drop=True)
    return dataclasses.replace(cohort, data=data), chosen


# -- disclosure ---------------------------------------------------------------------------


def withheld_horizons(
    frame: pd.DataFrame, horizons: tuple[float, ...], threshold: int = DEFAULT_THRESHOLD
) -> list[float]:
    """Horizons whose risks are withheld: fewer than ``threshold`` of the analysed
    children returned to court by then, or fewer than ``threshold`` did not."""
    returned = frame["event"].to_numpy() == 1
    years = frame["years"].to_numpy(dtype=float)
    n = len(frame)
    out = []
    for h in horizons:
        k = int((returned & (years <= h)).sum())
        if k < threshold or n - k < threshold:
            out.append(float(h))
    return out


def publish(
    table: pd.DataFrame, withheld_h: list[float], few: list[str], cost_horizon: float
) -> pd.DataFrame:
    """The tidy rows as published: numbers rounded to 4 decimals, and blank (with
    ``withheld`` true) where a horizon or a policy is withheld (module docstring)."""
    out = table.copy()
    numbers = ["estimate", "std_error", "ci_lower", "ci_upper", "p_value"]
    at = out["horizon_years"].isin(withheld_h) & out["estimand"].isin(HORIZON_ESTIMANDS)
    costs = (out["method"] == COST_METHOD) & (cost_horizon in withheld_h)
    of_few = out["policy"].isin(few)
    withheld = (at | costs | of_few).to_numpy()
    out[numbers[:-1]] = out[numbers[:-1]].astype(float).round(4)
    # a p-value to 4 significant digits: rounded to 4 decimals a small one would read 0
    p = out["p_value"].astype(float)
    out["p_value"] = [float(f"{v:.4g}") if np.isfinite(v) else np.nan for v in p]
    out.loc[withheld, numbers] = np.nan
    out["withheld"] = withheld
    return out[PUBLISHED_COLUMNS].reset_index(drop=True)


def published_positivity(table: pd.DataFrame, threshold: int = DEFAULT_THRESHOLD) -> pd.DataFrame:
    """The positivity table as rounded counts of children (never shares)."""
    rows = []
    for _, r in table.iterrows():
        rows.append(
            {
                "policy": r["policy"],
                "children moved": publishable_count(
                    int(r["moved"]), threshold=threshold, rounding=ROUNDING
                ),
                "moved outside their area's durations": publishable_count(
                    int(r["outside_area"]), threshold=threshold, rounding=ROUNDING
                ),
                "moved outside their case-mix stratum's durations": publishable_count(
                    int(r["outside_stratum"]), threshold=threshold, rounding=ROUNDING
                ),
            }
        )
    return pd.DataFrame(rows)


def positivity_message(row: pd.Series, threshold: int = DEFAULT_THRESHOLD) -> str:
    """A positivity warning as the page may show it: rounded counts, no shares (a share
    of the analysed children would give back their exact number)."""

    def n(col: str) -> str:
        value = publishable_count(int(row[col]), threshold=threshold, rounding=ROUNDING)
        return str(value) if value in (0, MARKER) else f"about {value}"

    return (
        f"policy {row['policy']} moves {n('outside_area')} children outside the durations "
        f"observed in their area and {n('outside_stratum')} outside those of their "
        "case-mix stratum: their risks there rest on the models' extrapolation"
    )


# -- the headline table ------------------------------------------------------------------


def _get(table: pd.DataFrame, policy: str, estimand: str, h: float | None) -> pd.Series | None:
    rows = table.loc[(table["policy"] == policy) & (table["estimand"] == estimand)]
    rows = rows.loc[rows["horizon_years"].isna() if h is None else rows["horizon_years"] == h]
    return rows.iloc[0] if len(rows) else None


def _number(x: float, scale: float = 1.0, digits: int = 1, sign: str = "") -> str:
    """One published number as the page shows it, in the table and in words alike."""
    # + 0.0 turns a negative zero (a small negative rounded) into 0
    return f"{round(scale * x, digits) + 0.0:{sign},.{digits}f}"


def _pct(x: float) -> str:
    return _number(x, 100)


def _with_ci(row: pd.Series | None, scale: float, digits: int) -> str:
    """``"12.3 (10.1 to 14.2)"`` from a published row; withheld or missing as marked."""
    if row is None:
        return NOT_AVAILABLE
    if bool(row["withheld"]):
        return MARKER
    v = row["estimate"]
    if not np.isfinite(v):
        return NOT_AVAILABLE

    text = _number(v, scale, digits)
    lo, hi = row["ci_lower"], row["ci_upper"]
    if np.isfinite(lo) and np.isfinite(hi):
        a, b = sorted((lo, hi), key=lambda x: scale * x)
        text += f" ({_number(a, scale, digits)} to {_number(b, scale, digits)})"
    return text


def headline(
    published: pd.DataFrame, specs: list[str], labels: dict[str, str], h: float
) -> pd.DataFrame:
    """One row per scenario, one column per estimand: the risk at ``h`` years, the
    difference against the observed durations and the part of it through the order
    made (percentage points), the mean weeks saved per child, and, when priced, the net
    cost per 100 children; each with its interval."""
    rows = []
    for spec in [NATURAL, *specs]:
        name = "Observed durations" if spec == NATURAL else labels.get(spec, spec)
        saved = _get(published, spec, "mean_weeks_difference", None)
        row = {
            "policy": name,
            f"{h:g}-year risk of return, %": _with_ci(
                _get(published, spec, "policy_risk", h), 100, 1
            ),
            "difference, points": "[z]"
            if spec == NATURAL
            else _with_ci(_get(published, spec, "policy_risk_difference", h), 100, 1),
            "of which through the order made, points": "[z]"
            if spec == NATURAL
            else _with_ci(_get(published, spec, "policy_through_order", h), 100, 1),
            "mean weeks saved per child": "[z]" if spec == NATURAL else _with_ci(saved, -1, 1),
        }
        net = published.loc[(published["estimand"] == NET_COST) & (published["contrast"] == spec)]
        if (published["estimand"] == NET_COST).any():
            row["net cost per 100 children, £"] = (
                "[z]" if spec == NATURAL else _with_ci(net.iloc[0] if len(net) else None, 1, 0)
            )
        rows.append(row)
    return pd.DataFrame(rows)


# -- costs --------------------------------------------------------------------------------


def _costs(
    effect: DurationPolicyEffect,
    specs: list[str],
    horizons: tuple[float, ...],
    cost_horizon: float,
    unit_costs: UnitCosts,
    alpha: float,
    interval: Any,
) -> tuple[pd.DataFrame, pd.DataFrame, list[str], list[str], dict[str, pd.DataFrame]]:
    """Tidy cost rows, the item table, omitted items, messages and tornado tables."""
    H = len(horizons)
    j = horizons.index(cost_horizon)
    point, boot = effect.point_, effect.replicates_

    def quantities(s: int, draws: bool) -> dict[str, Any]:
        src = boot[:, s] if draws else point[s]
        return {"weeks_of_proceedings": src[..., 2 * H], "repeat_proceedings": src[..., j]}

    messages: list[str] = []
    rows: list[dict[str, object]] = []
    items: list[pd.DataFrame] = []
    tornados: dict[str, pd.DataFrame] = {}
    omitted: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PriceYearWarning)
        for s, spec in enumerate(specs, start=1):
            at_point = net_difference(
                quantities(s, False), quantities(0, False), unit_costs, missing="omit"
            )
            omitted = list(at_point.attrs["omitted"])
            total = at_point.loc[at_point["item"] == "total"].iloc[0]
            if not np.isfinite(total["difference"]):
                continue  # nothing priced
            draws = net_difference(
                quantities(s, True), quantities(0, True), unit_costs, missing="omit"
            )
            totals = draws.loc[draws["item"] == "total"]
            h = cost_horizon
            if s == 1:
                rows.append(
                    _cost_row(COST, NATURAL, "", h, total["cost_natural"],
                              totals["cost_natural"], alpha, interval, "mean", NATURAL)
                )  # fmt: skip
            rows.append(
                _cost_row(COST, spec, "", h, total["cost_policy"], totals["cost_policy"],
                          alpha, interval, "mean", spec)
            )  # fmt: skip
            rows.append(
                _cost_row(NET_COST, "", spec, h, total["difference"], totals["difference"],
                          alpha, interval, "difference", spec)
            )  # fmt: skip
            priced = at_point.loc[at_point["unit_cost"].notna() & (at_point["item"] != "total")]
            items.append(
                priced[["item", "description", "cost_natural", "cost_policy", "difference"]]
                .assign(policy=spec)
                .round({"cost_natural": 0, "cost_policy": 0, "difference": 0})
            )
            tornados[spec] = tornado(
                {k: float(v) for k, v in quantities(s, False).items()},
                {k: float(v) for k, v in quantities(0, False).items()},
                unit_costs,
                missing="omit",
            )
    for w in caught:
        if issubclass(w.category, PriceYearWarning):
            if str(w.message) not in messages:
                messages.append(str(w.message))
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    item_table = (
        pd.concat(items, ignore_index=True)[
            ["policy", "item", "description", "cost_natural", "cost_policy", "difference"]
        ]
        if items
        else pd.DataFrame(
            columns=["policy", "item", "description", "cost_natural", "cost_policy", "difference"]
        )
    )
    return pd.DataFrame(rows, columns=COLUMNS), item_table, omitted, messages, tornados


def _cost_row(
    estimand: str,
    arm: str,
    contrast: str,
    h: float,
    value: float,
    draws: pd.Series,
    alpha: float,
    interval: Any,
    scale: est.BootstrapScale,
    policy: str,
) -> dict[str, object]:
    row = est.bootstrap_row(
        COST_METHOD, estimand, contrast, h, float(value), draws.to_numpy(dtype=float),
        alpha, interval, scale,
    )  # fmt: skip
    return {**row, "policy": policy, "arm": arm}


def _used_costs(unit_costs: UnitCosts) -> pd.DataFrame:
    """The unit costs of the items this report prices, with their sources."""
    from outcomes.costs import ITEMS

    table = unit_costs.table()
    used = [n for n, item in ITEMS.items() if item.quantity in QUANTITIES]
    return table.loc[table["item"].isin(used), ["item", "value", "unit", "price_year", "source"]]


# -- figures ------------------------------------------------------------------------------


def _slug(spec: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", spec).strip("_")


def _figures(
    published: pd.DataFrame, specs: list[str], labels: dict[str, str], info: dict[str, Any]
) -> dict[str, Figure]:
    """The risk difference by policy and horizon, and weeks saved against the change in
    the headline risk: published values only."""
    from matplotlib.figure import Figure

    figures: dict[str, Figure] = {}
    hs = info["horizons"]
    fig = Figure(figsize=(8, 0.6 * len(specs) * len(hs) + 1.6), layout="constrained")
    ax = fig.add_subplot()
    y, ticks, names = 0.0, [], []
    colours = ["#1d70b8", "#d4351c", "#00703c", "#6f72af", "#f47738"]
    for i, spec in enumerate(specs):
        for h in hs:
            row = _get(published, spec, "policy_risk_difference", h)
            ticks.append(y)
            names.append(f"{labels.get(spec, spec)}, {h:g} y")
            if row is not None and not row["withheld"] and np.isfinite(row["estimate"]):
                x = 100 * row["estimate"]
                ax.plot([x], [y], "o", color=colours[i % len(colours)])
                if np.isfinite(row["ci_lower"]) and np.isfinite(row["ci_upper"]):
                    ax.plot(
                        [100 * row["ci_lower"], 100 * row["ci_upper"]],
                        [y, y],
                        color=colours[i % len(colours)],
                    )
            else:
                ax.text(0, y, " withheld", va="center", fontsize=8, color="0.4")
            y -= 1
        y -= 0.5
    ax.axvline(0, color="0.3", lw=1)
    ax.set_yticks(ticks, names, fontsize=8)
    ax.set_xlabel("change in the risk of return against the observed durations, points")
    ax.set_title("Effect of each policy on the risk of return, with 95% intervals", fontsize=10)
    figures["risk_difference"] = fig

    h = info["headline_horizon"]
    fig = Figure(figsize=(7, 4.5), layout="constrained")
    ax = fig.add_subplot()
    for i, spec in enumerate(specs):
        weeks = _get(published, spec, "mean_weeks_difference", None)
        risk = _get(published, spec, "policy_risk_difference", h)
        if weeks is None or risk is None or weeks["withheld"] or risk["withheld"]:
            continue
        if not (np.isfinite(weeks["estimate"]) and np.isfinite(risk["estimate"])):
            continue
        x, yv = -weeks["estimate"], 100 * risk["estimate"]
        c = colours[i % len(colours)]
        ax.plot([x], [yv], "o", color=c, label=labels.get(spec, spec))
        if np.isfinite(risk["ci_lower"]) and np.isfinite(risk["ci_upper"]):
            ax.plot([x, x], [100 * risk["ci_lower"], 100 * risk["ci_upper"]], color=c)
    ax.axhline(0, color="0.3", lw=1)
    ax.set_xlabel("mean weeks of proceedings saved per child")
    ax.set_ylabel(f"change in the {h:g}-year risk of return, points")
    ax.set_title("Weeks saved and the change in returns to court", fontsize=10)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, frameon=False)
    figures["weeks_and_risk"] = fig
    return figures


def _tornado_figure(table: pd.DataFrame, label: str) -> Figure:
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    fig = Figure(figsize=(10, 0.5 * max(len(table), 2) + 1.6), layout="constrained")
    ax = tornado_plot(table, ax=fig.add_subplot())
    ax.xaxis.set_major_locator(MaxNLocator(5))  # pound labels are wide
    ax.set_title(f"{label}: one-way sensitivity of the net cost to each unit cost", fontsize=10)
    return fig


# -- the page -----------------------------------------------------------------------------

ASSUMPTIONS = [
    "No unmeasured confounding of duration: given the case-mix measures, the issue "
    "period and the area, how long proceedings took is as good as random. A case that "
    "took long because it was complex in ways the data do not record makes long "
    "proceedings look worse (or better) than they are.",
    "Positivity: a policy can only be judged where the data have been. A case moved to "
    "a duration that no comparable case in the data had (in its area or its case-mix "
    "stratum) is judged by the models' extrapolation; the table of children moved "
    "outside those ranges says how many.",
    "Consistency: a case finished in d weeks under the policy fares as a case finished "
    "in d weeks does now, however the policy brings it about. Rushing a case by "
    "cutting assessments is not the same as finishing it sooner by listing it sooner.",
    "Correct models: the order made and the return to court are modelled with a spline "
    "of duration and a step at 26 weeks; other shapes are smoothed over.",
]

COSTS_SCOPE = (
    "What the costs include: weeks of the index proceedings (priced per week: the "
    "local authority's legal and social-work time, Cafcass and the court) and repeat "
    "sets of proceedings, counted as the risk of a return to court by {h:g} years "
    "(priced per set). What they leave out: placements during proceedings and time in "
    "care afterwards (not estimated here), a second or third return (the risk counts "
    "children with at least one), returns after {h:g} years, and anything of value to "
    "the child or family that has no price. Unit costs are held fixed in the bootstrap; "
    "the tornado plot varies each in turn."
)


def render(report: WhatIf, images: dict[str, bytes] | None = None) -> str:
    """The report as one HTML page (``images``: the figures' PNGs, if already drawn)."""
    s = report.settings
    images = images if images is not None else {k: png(f) for k, f in report.figures.items()}
    area = s.get("area")
    title = "What if durations changed?" + (f" {area}" if area else "")
    h = s["headline_horizon"]
    parts = [
        *page_start(title),
        f'<p class="note">{html.escape(_setting_text(s))}</p>',
        f'<p class="note">{html.escape(note(int(s["threshold"])))}</p>',
        '<section id="headline"><h2>The policies side by side</h2>',
        f'<p class="reading">{html.escape(reading(report))}</p>',
        _table(report.headline, f"policies against the observed durations, {h:g} years"),
    ]
    for name in ("risk_difference", "weeks_and_risk"):
        if name in images:
            parts.append(_figure(images[name], name.replace("_", " ")))
    parts.append("</section>")
    parts.append('<section id="estimates"><h2>Every estimate</h2>')
    parts.append(
        '<p class="definition">policy_risk: the risk of return by the horizon had every '
        "duration been changed by the policy (natural: as observed); "
        "policy_risk_difference and policy_risk_ratio: against the observed durations; "
        "policy_direct: the part of the difference with the order held at what it was; "
        "policy_through_order: the rest, through the order made; mean_weeks: weeks of "
        "proceedings per child.</p>"
    )
    parts.append(_table(_shown(report.published), "estimates as published"))
    parts.append("</section>")
    parts.append('<section id="positivity"><h2>Children each policy moves</h2>')
    parts.append(_table(report.positivity, "children moved (rounded to 10)"))
    for m in report.messages:
        parts.append(f'<p class="note">Warning: {html.escape(m)}</p>')
    parts.append("</section>")
    parts.append(_costs_section(report, images))
    parts.append('<section id="assumptions"><h2>What the estimates assume</h2><ul>')
    parts += [f"<li>{html.escape(a)}</li>" for a in ASSUMPTIONS]
    parts.append("</ul></section></body></html>")
    return "\n".join(parts)


def _setting_text(s: dict[str, Any]) -> str:
    bits = []
    if s.get("source"):
        bits.append(f"Source: {s['source']}.")
    if s.get("extract_date") is not None:
        bits.append(f"Extract date {pd.Timestamp(s['extract_date']):%d %B %Y}.")
    if s.get("area"):
        bits.append(f"Children of {s['area']} only.")
    bits.append(
        f"Children analysed: {s['children']} (rounded to 10). Intervals: "
        f"{100 * (1 - s['alpha']):g}%, {s['interval']}, from {s['replicates']} bootstrap "
        f"replicates (resampling by {s['bootstrap_unit']}); seed {s['seed']}."
    )
    dropped = s.get("rows_without_positive_duration", 0)
    if dropped != 0:
        bits.append(
            f"Children whose disposal was dated on or before the issue date (a date error) "
            f"were left out: {dropped} (rounded to 10)."
        )
    for extra in s.get("notes", []):
        bits.append(str(extra))
    return " ".join(bits)


def reading(report: WhatIf) -> str:
    """The headline in words, from the published figures only."""
    s = report.settings
    h = s["headline_horizon"]
    pub = report.published
    nat = _get(pub, NATURAL, "policy_risk", h)
    if nat is None or nat["withheld"] or not np.isfinite(nat["estimate"]):
        return (
            f"The {h:g}-year risks are withheld: too few children returned to court by then "
            "(or too few did not) for them to be published."
        )
    words = [
        f"Under the observed durations, {_pct(nat['estimate'])}% of children returned to "
        f"court within {h:g} years."
    ]
    for spec in s["policies"]:
        label = s["labels"].get(spec, spec)
        diff = _get(pub, spec, "policy_risk_difference", h)
        saved = _get(pub, spec, "mean_weeks_difference", None)
        if diff is None or diff["withheld"] or saved is None or saved["withheld"]:
            words.append(f"{label}: withheld (it moves fewer than 10 children).")
            continue
        lo, hi = diff["ci_lower"], diff["ci_upper"]
        interval = (
            f" (95% interval {_pct(lo)} to {_pct(hi)})"
            if math.isfinite(lo) and math.isfinite(hi)
            else ""
        )
        sure = (
            ""
            if not (math.isfinite(lo) and math.isfinite(hi))
            else " The interval includes zero."
            if lo <= 0 <= hi
            else ""
        )
        words.append(
            f"{label} saves {_number(-saved['estimate'])} weeks per child on average and "
            f"changes the risk by {_number(diff['estimate'], 100, sign='+')} points"
            f"{interval}.{sure}"
        )
    return " ".join(words)


def _shown(published: pd.DataFrame) -> pd.DataFrame:
    """The tidy rows for the page: withheld numbers as [c]."""
    out = published.drop(columns=["method"]).copy()
    out["horizon_years"] = out["horizon_years"].map(lambda v: "" if pd.isna(v) else f"{v:g}")
    for col in ("estimate", "std_error", "ci_lower", "ci_upper", "p_value"):
        out[col] = [
            MARKER if w else (NOT_AVAILABLE if not np.isfinite(v) else f"{v:.4g}")
            for v, w in zip(out[col], out["withheld"], strict=True)
        ]
    return out.drop(columns=["withheld"])


def _costs_section(report: WhatIf, images: dict[str, bytes]) -> str:
    s = report.settings
    h = s["cost_horizon"]
    parts = ['<section id="costs"><h2>Costs per 100 children</h2>']
    parts.append(f'<p class="definition">{html.escape(COSTS_SCOPE.format(h=h))}</p>')
    if report.omitted_costs:
        from outcomes.costs import ITEMS

        listed = "; ".join(f"{n} ({ITEMS[n].description})" for n in report.omitted_costs)
        parts.append(
            '<p class="reading">'
            + html.escape(
                f"No unit cost for: {listed}. These are left out of the totals. The "
                "defaults hold no value for them because no published source was found: "
                "supply them in your own costs.toml ([costs.<item>] with value, unit, "
                "price_year and source) and pass it with --costs."
            )
            + "</p>"
        )
    if len(report.unit_costs):
        parts.append(_table(report.unit_costs, f"unit costs used (from {s['costs_origin']})"))
    if len(report.cost_items):
        parts.append(_table(report.cost_items, "cost per 100 children by item, £"))
        for name, image in images.items():
            if name.startswith("tornado_"):
                parts.append(_figure(image, name.replace("_", " ")))
    else:
        parts.append('<p class="note">No item needed here is priced: no costs are shown.</p>')
    parts.append("</section>")
    return "\n".join(parts)

"""The truth: recomputed from the potential outcomes, and by an independent Monte Carlo."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import synthetic

YEAR = 365.25


@pytest.fixture(scope="module")
def world() -> synthetic.World:
    return synthetic.generate("default", n_applications=20_000, seed=21, faults=False)


def test_truth_is_json_and_complete(world: synthetic.World) -> None:
    data = json.loads(world.truth.to_json())
    assert data["conditional_hr"] == 1.3
    assert data["parameters"]["returns.hr_short"] == 1.3
    table = world.truth.table()
    assert set(table["estimand"]) == {
        "cif",
        "risk_difference",
        "risk_ratio",
        "natural_direct",
        "natural_indirect",
        # the duration policies' (tests/synthetic/test_policies.py)
        "policy_risk",
        "policy_risk_difference",
        "policy_risk_ratio",
        "policy_direct",
        "policy_through_order",
        "policy_mean_weeks",
    }
    by_horizon = table[table["estimand"] != "policy_mean_weeks"]
    assert set(by_horizon["horizon_years"]) == {1.0, 2.0, 5.0}
    assert (table["mc_std_error"] > 0).all()


def test_truth_recomputed_from_potential_outcomes(world: synthetic.World) -> None:
    po = world.potential_outcomes
    t = world.truth
    for h in (1.0, 2.0, 5.0):
        y1 = (po["event_short"] == "child_return") & (po["time_short"] <= h * YEAR)
        y0 = (po["event_long"] == "child_return") & (po["time_long"] <= h * YEAR)
        yx = (po["event_short_order_long"] == "child_return") & (
            po["time_short_order_long"] <= h * YEAR
        )
        assert t.value("cif", h, "short") == pytest.approx(y1.mean(), abs=1e-12)
        assert t.value("cif", h, "long") == pytest.approx(y0.mean(), abs=1e-12)
        assert t.value("risk_difference", h) == pytest.approx(y1.mean() - y0.mean(), abs=1e-12)
        assert t.value("risk_ratio", h) == pytest.approx(y1.mean() / y0.mean(), rel=1e-12)
        nde, nie = t.value("natural_direct", h), t.value("natural_indirect", h)
        assert nde == pytest.approx(yx.mean() - y0.mean(), abs=1e-12)
        assert nde + nie == pytest.approx(t.value("risk_difference", h), abs=1e-12)


def _order_probabilities(s: synthetic.Scenario, c: pd.DataFrame, days: np.ndarray) -> np.ndarray:
    """The documented multinomial logit, written out afresh."""
    age = c["age_at_issue"].to_numpy()
    pre = (c["issue_date"] < pd.Timestamp(s["window.reform_date"])).to_numpy()
    terms = {
        "intercept": np.ones(len(c)),
        "complexity": c["complexity"].to_numpy(),
        "infant": (age < 1).astype(float),
        "age_10_plus": (age >= 10).astype(float),
        "log_duration": np.log(days / 182.0),
        "pre_reform": pre.astype(float),
        "practice": c["la_practice"].to_numpy(),
    }
    eta = sum(np.outer(x, np.asarray(s[f"orders.{k}"])) for k, x in terms.items())
    p = np.exp(eta - eta.max(axis=1, keepdims=True))
    return p / p.sum(axis=1, keepdims=True)


def test_marginal_truth_agrees_with_direct_monte_carlo(world: synthetic.World) -> None:
    """Redraw orders, returns, adoptions and deaths for the cohort with fresh random
    numbers, from the model as documented (not with synthetic's functions)."""
    s = world.scenario
    rng = np.random.default_rng(20240601)
    c = world.clean.loc[world.clean["in_cohort"]].reset_index(drop=True)
    po = world.potential_outcomes
    names = list(s["orders.names"])
    n = len(c)
    breaks = [0.0, *s["returns.shape_breaks"]]
    shape = np.asarray(s["returns.shape"])
    r5 = sum(
        shape[k] * (min(breaks[k + 1] if k + 1 < len(breaks) else np.inf, 5.0) - breaks[k])
        for k in range(len(shape))
        if breaks[k] < 5.0
    )
    rate = -np.log(1 - np.asarray(s["returns.five_year_risk"])) / r5
    grid = np.arange(0.0, 18.0, 1.0 / YEAR)  # daily grid in years
    seg = np.searchsorted(np.asarray(breaks[1:]), grid, side="right")
    cum_shape = np.concatenate([[0.0], np.cumsum(shape[seg[:-1]] * np.diff(grid))])

    dob = c["child_dob"].to_numpy()
    issue = c["issue_date"].to_numpy()
    ageout = c["aged_out_date"].to_numpy()
    results: dict[str, dict[float, tuple[float, float]]] = {}
    for arm, short in (("short", True), ("long", False)):
        days = po[f"duration_days_{arm}"].to_numpy()
        disposal = issue + days.astype("timedelta64[D]")
        prob = _order_probabilities(s, c, days.astype(float))
        u = rng.random(n)
        order = (np.cumsum(prob, axis=1) < u[:, None]).sum(axis=1).clip(0, len(names) - 1)
        age_disp = (disposal - dob).astype("timedelta64[D]").astype(float) / YEAR
        order = np.where(disposal >= ageout, names.index("no_order"), order)
        lp = c["return_lp"].to_numpy() + (np.log(s["returns.hr_short"]) if short else 0.0)
        target = rng.exponential(size=n) / (rate[order] * np.exp(lp))
        t_ret = grid[np.minimum(np.searchsorted(cum_shape, target), len(grid) - 1)]
        t_ret = np.where(target > cum_shape[-1], np.inf, t_ret)
        adopt = (
            (order == names.index("placement_order"))
            & (rng.random(n) < s["events.adoption_p"])
            & (age_disp < s["events.adoption_max_age"])
        )
        t_adopt = np.where(
            adopt,
            s["events.adoption_median_years"]
            * np.exp(s["events.adoption_sdlog"] * rng.standard_normal(n)),
            np.inf,
        )
        t_death = rng.exponential(1 / s["events.death_rate"], n)
        t_age = (ageout - disposal).astype("timedelta64[D]").astype(float) / YEAR
        first_is_return = t_ret < np.minimum(np.minimum(t_adopt, t_death), t_age)
        results[arm] = {}
        for h in (1.0, 2.0, 5.0):
            y = first_is_return & (t_ret <= h)
            results[arm][h] = (y.mean(), y.std(ddof=1) / np.sqrt(n))

    table = world.truth.table()
    truth = table[table["estimand"] == "cif"].set_index(["estimand", "horizon_years", "arm"])
    for arm in ("short", "long"):
        for h in (1.0, 2.0, 5.0):
            mc, mc_se = results[arm][h]
            row = truth.loc[("cif", h, arm)]
            se = np.hypot(mc_se, row["mc_std_error"])
            assert abs(mc - row["estimate"]) < 4 * se, (arm, h, mc, row["estimate"], se)


def test_scenarios_order_their_effects() -> None:
    truths = {
        name: synthetic.generate(name, n_applications=10_000, seed=3, faults=False).truth
        for name in ("null", "mediated", "default", "strong")
    }
    rd = {k: t.value("risk_difference", 5) for k, t in truths.items()}
    nde = {k: t.value("natural_direct", 5) for k, t in truths.items()}
    nie = {k: t.value("natural_indirect", 5) for k, t in truths.items()}
    assert truths["null"].conditional_hr == truths["mediated"].conditional_hr == 1.0
    assert truths["strong"].conditional_hr == 1.8
    # no effect at all in null (only the shift of time zero towards ageing out remains)
    assert abs(rd["null"]) < 0.004 and abs(nie["null"]) < 0.002
    # mediated: nothing direct, everything through the order
    assert abs(nde["mediated"]) < 0.004 < nie["mediated"]
    assert rd["strong"] > rd["default"] > rd["mediated"] > rd["null"]
    assert nde["strong"] > nde["default"] > 0.005


def test_small_area_is_one_dfj_area() -> None:
    world = synthetic.generate("small_area", seed=1, faults=False)
    c = world.clean
    assert c["dfj_area"].nunique() == 1 and c["la_code"].nunique() == 4
    per_year = c.drop_duplicates("proceedings_id").groupby(c["issue_date"].dt.year).size()
    assert 200 < per_year.loc[2012:2024].mean() < 400

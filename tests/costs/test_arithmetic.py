"""The cost arithmetic against a hand computation on a small table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from outcomes.costs import (
    CostsError,
    MissingUnitCostError,
    PriceYearWarning,
    UnitCosts,
    cost_per_children,
    net_difference,
)

from .conftest import NATURAL, POLICY


def by_item(table, column="cost"):
    return dict(zip(table["item"], table[column], strict=True))


def test_costs_per_100_children_equal_the_hand_computation(small_path: Path) -> None:
    costs = UnitCosts.from_toml(small_path)
    got = by_item(cost_per_children(NATURAL, costs))
    # by hand: 100 children x quantity per child x unit cost
    hand = {
        "la_legal": 100 * 40 * 120,  # 480,000
        "la_social_work": 100 * 40 * 80,  # 320,000
        "cafcass": 100 * 40 * 40,  # 160,000
        "court": 100 * 40 * 60,  # 240,000
        "foster_care": 100 * 30 * 500,  # 1,500,000
        "residential_care": 100 * 2 * 700,  # 140,000 (36,525 a year = 700 a week)
        "repeat_la": 100 * 0.10 * 6000,  # 60,000
        "repeat_cafcass": 100 * 0.10 * 1000,  # 10,000
        "repeat_court": 100 * 0.10 * 4000,  # 40,000
        "repeat_legal_aid": 100 * 0.10 * 9000,  # 90,000
        "care_year": 100 * 1.5 * 50000,  # 7,500,000
    }
    assert set(got) == set(hand) | {"total"}
    for item, value in hand.items():
        assert got[item] == pytest.approx(value, rel=1e-12), item
    assert got["total"] == pytest.approx(10_540_000, rel=1e-12)


def test_the_net_difference_equals_the_hand_computation(small_path: Path) -> None:
    costs = UnitCosts.from_toml(small_path)
    table = net_difference(POLICY, NATURAL, costs)
    total = table.set_index("item").loc["total"]
    assert total["cost_policy"] == pytest.approx(9_590_000, rel=1e-12)
    assert total["cost_natural"] == pytest.approx(10_540_000, rel=1e-12)
    assert total["difference"] == pytest.approx(-950_000, rel=1e-12)
    diff = by_item(table, "difference")
    assert diff["la_legal"] == pytest.approx(100 * (26 - 40) * 120)  # -168,000
    assert diff["repeat_legal_aid"] == pytest.approx(100 * (0.12 - 0.10) * 9000)  # +1,800
    assert diff["care_year"] == 0.0
    # the per-item differences add up to the total
    items = table[table["item"] != "total"]
    assert items["difference"].sum() == pytest.approx(-950_000, rel=1e-12)


def test_per_scales_the_costs(small_path: Path) -> None:
    costs = UnitCosts.from_toml(small_path)
    t100 = by_item(cost_per_children(NATURAL, costs))["total"]
    t1 = by_item(cost_per_children(NATURAL, costs, per=1))["total"]
    assert t100 == pytest.approx(100 * t1)


def test_replicate_arrays_broadcast_one_cost_per_replicate(small_path: Path) -> None:
    costs = UnitCosts.from_toml(small_path)
    weeks = np.array([40.0, 38.0, 43.5])
    repeats = np.array([0.10, 0.09, 0.13])
    quantities = {**NATURAL, "weeks_of_proceedings": weeks, "repeat_proceedings": repeats}
    table = cost_per_children(quantities, costs)
    assert sorted(table["replicate"].unique()) == [0, 1, 2]
    totals = table[table["item"] == "total"].set_index("replicate")["cost"]
    for b in range(3):
        scalar = {**NATURAL, "weeks_of_proceedings": weeks[b], "repeat_proceedings": repeats[b]}
        expected = by_item(cost_per_children(scalar, costs))["total"]
        assert totals[b] == pytest.approx(expected, rel=1e-12)
    # replicates are paired across the two scenarios, position by position
    diff = net_difference({**POLICY, "weeks_of_proceedings": weeks - 10}, quantities, costs)
    d = diff[diff["item"] == "total"]["difference"].to_numpy()
    hand = (
        100 * (-10) * 300  # ten weeks of proceedings fewer, at 300 a week
        + 100 * (20 - 30) * 500  # foster care
        + 100 * (1 - 2) * 700  # residential care
        + 100 * (0.12 - repeats) * 20000  # repeat sets, at 20,000 a set
    )
    np.testing.assert_allclose(d, hand, rtol=1e-12)


def test_replicate_arrays_of_different_lengths_are_refused(small_path: Path) -> None:
    costs = UnitCosts.from_toml(small_path)
    quantities = {"weeks_of_proceedings": np.ones(3), "repeat_proceedings": np.ones(4)}
    with pytest.raises(CostsError, match="same length"):
        cost_per_children(quantities, costs)


def test_unknown_and_negative_quantities_are_refused(small_path: Path) -> None:
    costs = UnitCosts.from_toml(small_path)
    with pytest.raises(CostsError, match="weeks_in_care"):
        cost_per_children({"weeks_in_care": 3.0}, costs)
    with pytest.raises(CostsError, match="negative"):
        cost_per_children({"weeks_of_proceedings": -1.0}, costs)
    with pytest.raises(CostsError, match="same quantities"):
        net_difference({"weeks_of_proceedings": 1.0}, {"repeat_proceedings": 1.0}, costs)


def test_a_needed_cost_without_a_default_is_refused_by_name() -> None:
    costs = UnitCosts.default()
    with pytest.raises(MissingUnitCostError) as caught:
        cost_per_children({"repeat_proceedings": 0.1}, costs)
    assert caught.value.missing == [
        "repeat_la",
        "repeat_cafcass",
        "repeat_court",
        "repeat_legal_aid",
    ]
    message = str(caught.value)
    assert "repeat_court" in message and "costs.toml" in message
    with pytest.raises(MissingUnitCostError, match="la_legal"):
        net_difference({"weeks_of_proceedings": 26.0}, {"weeks_of_proceedings": 40.0}, costs)


def test_omitting_unpriced_items_says_so_and_keeps_them_out_of_the_total() -> None:
    costs = UnitCosts.default()
    table = cost_per_children(
        {"repeat_proceedings": 0.1, "weeks_in_foster_care": 10.0}, costs, missing="omit"
    )
    assert table.attrs["omitted"] == [
        "repeat_la",
        "repeat_cafcass",
        "repeat_court",
        "repeat_legal_aid",
    ]
    rows = table.set_index("item")
    assert rows.loc["repeat_court", "cost"] != rows.loc["repeat_court", "cost"]  # NaN
    assert rows.loc["total", "cost"] == pytest.approx(100 * 10 * 646)


def test_mixed_price_years_warn() -> None:
    costs = UnitCosts.default()
    with pytest.warns(PriceYearWarning, match="2016-17, 2023-24"):
        cost_per_children({"weeks_in_foster_care": 1.0, "weeks_in_residential_care": 1.0}, costs)


def test_nothing_priced_is_no_total_and_per_must_be_positive(small_path: Path) -> None:
    table = cost_per_children({"weeks_of_proceedings": 30.0}, UnitCosts.default(), missing="omit")
    total = table.set_index("item").loc["total"]
    assert np.isnan(total["cost"]), "no priced item: the total is missing, not zero"
    costs = UnitCosts.from_toml(small_path)
    assert cost_per_children(NATURAL, costs).set_index("item").loc["total", "price_year"] == (
        "2024-25"
    )
    for per in (0, -100, float("inf"), True):
        with pytest.raises(CostsError, match="per must be"):
            cost_per_children(NATURAL, costs, per=per)
    with pytest.raises(CostsError, match="missing must be"):
        cost_per_children(NATURAL, costs, missing="skip")  # type: ignore[arg-type]

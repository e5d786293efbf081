"""The one-way sensitivity analysis over the unit costs, and its figure."""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest

from outcomes.costs import CostsError, UnitCosts, net_difference, tornado, tornado_plot

from .conftest import NATURAL, POLICY


def test_the_tornado_is_ordered_by_swing_and_matches_the_hand_computation(
    small_path: Path,
) -> None:
    costs = UnitCosts.from_toml(small_path)
    table = tornado(POLICY, NATURAL, costs)
    # swings by hand: |100 (q_p - q_n)| x (high - low) per unit of the quantity
    hand = {
        "foster_care": 1000 * 250,  # +-25% of 500 a week, 10 weeks fewer
        "court": 1400 * 120,  # range given, 30-150, 14 weeks fewer
        "la_legal": 1400 * 60,
        "residential_care": 100 * 30000 * 7 / 365.25,  # range given, 30,000-60,000 a year
        "la_social_work": 1400 * 40,
        "cafcass": 1400 * 20,
        "repeat_legal_aid": 2 * 4500,
        "repeat_la": 2 * 3000,
        "repeat_court": 2 * 2000,
        "repeat_cafcass": 2 * 500,
        "care_year": 0.0,
    }
    assert list(table["item"]) == list(hand)
    np.testing.assert_allclose(table["swing"], list(hand.values()), rtol=1e-12, atol=1e-9)
    assert np.all(np.diff(table["swing"]) <= 0)
    base = net_difference(POLICY, NATURAL, costs).set_index("item").loc["total", "difference"]
    assert table.attrs["base"] == pytest.approx(base)
    court = table.set_index("item").loc["court"]
    assert court["range"] == "range given"
    # fewer weeks: a dearer court week makes the saving larger (more negative)
    assert court["at_low"] == pytest.approx(base + 1400 * 30)
    assert court["at_high"] == pytest.approx(base - 1400 * 90)
    assert table.set_index("item").loc["foster_care", "range"] == "±25%"


def test_the_fraction_sets_the_range_of_items_without_one(small_path: Path) -> None:
    costs = UnitCosts.from_toml(small_path)
    table = tornado(POLICY, NATURAL, costs, fraction=0.5).set_index("item")
    assert table.loc["foster_care", "low"] == 250 and table.loc["foster_care", "high"] == 750
    assert table.loc["court", "low"] == 30  # the range given is kept
    with pytest.raises(CostsError, match="fraction"):
        tornado(POLICY, NATURAL, costs, fraction=1.5)


def test_a_tornado_of_the_total_cost_of_one_scenario(small_path: Path) -> None:
    costs = UnitCosts.from_toml(small_path)
    table = tornado(NATURAL, None, costs)
    assert table.attrs["outcome"] == "total cost"
    assert table.attrs["base"] == pytest.approx(10_540_000)
    assert table.iloc[0]["item"] == "care_year"  # 1.5 years x 100 x 25,000


def test_the_tornado_takes_point_estimates_only(small_path: Path) -> None:
    costs = UnitCosts.from_toml(small_path)
    with pytest.raises(CostsError, match="point estimates"):
        tornado({**POLICY, "repeat_proceedings": np.array([0.1, 0.2])}, NATURAL, costs)


def test_the_tornado_figure_draws_one_labelled_bar_pair_per_item(small_path: Path) -> None:
    costs = UnitCosts.from_toml(small_path)
    table = tornado(POLICY, NATURAL, costs)
    fig, ax = plt.subplots()
    out = tornado_plot(table, ax=ax)
    assert out is ax
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert len(labels) == len(table)
    # the widest bar is at the top and says what it is and its range
    top = labels[int(np.argmax([t.get_position()[1] for t in ax.get_yticklabels()]))]
    assert "Foster care" in top and "£375 to £625 per week in placement" in top
    assert "net difference per 100 children" in ax.get_xlabel()
    fig.savefig(io.BytesIO(), format="png")
    plt.close(fig)
    ax2 = tornado_plot(table)
    plt.close(ax2.figure)
    with pytest.raises(CostsError, match="tornado"):
        tornado_plot(table.drop(columns="at_low"))


def test_a_half_given_range_says_so_and_unpriced_items_are_left_out() -> None:
    source = {"title": "T", "publisher": "P", "year": 2025, "location": "p. 1"}
    costs = UnitCosts.from_dict(
        {
            "costs": {
                "court": {
                    "value": 100,
                    "unit": "per week of proceedings",
                    "price_year": "2024-25",
                    "low": 80,
                    "source": source,
                },
            }
        }
    )
    table = tornado(
        {"weeks_of_proceedings": 20.0}, {"weeks_of_proceedings": 30.0}, costs, missing="omit"
    )
    assert list(table["item"]) == ["court"]  # la_legal, la_social_work, cafcass unpriced
    row = table.iloc[0]
    assert row["range"] == "partly given"
    assert (row["low"], row["high"]) == (80, 125)
    assert row["swing"] == pytest.approx(100 * 10 * 45)

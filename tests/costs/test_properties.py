"""The arithmetic against a plain loop, on arbitrary tables and quantities."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from outcomes.costs import ITEMS, QUANTITIES, UnitCosts, cost_per_children, net_difference

SOURCE = {"title": "T", "publisher": "P", "year": 2025, "location": "table 1"}
amount = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)
count = st.floats(min_value=0, max_value=500, allow_nan=False, allow_infinity=False)


# each example builds a table and two DataFrames: fifty cover the units and items well
@settings(max_examples=50)
@given(
    values=st.fixed_dictionaries({name: amount for name in ITEMS}),
    policy=st.fixed_dictionaries({name: count for name in QUANTITIES}),
    natural=st.fixed_dictionaries({name: count for name in QUANTITIES}),
    units=st.fixed_dictionaries({n: st.sampled_from(sorted(i.units)) for n, i in ITEMS.items()}),
    per=st.sampled_from([1, 100, 1000]),
)
def test_costs_and_differences_equal_a_plain_loop(values, policy, natural, units, per) -> None:
    costs = UnitCosts.from_dict(
        {
            "costs": {
                name: {
                    "value": value,
                    "unit": units[name],
                    "price_year": "2024",
                    "source": SOURCE,
                }
                for name, value in values.items()
            }
        }
    )
    weekly = {"per year in placement": 7 / 365.25}
    expected_policy = expected_natural = 0.0
    for name, item in ITEMS.items():
        c = values[name] * weekly.get(units[name], 1.0)
        expected_policy += per * policy[item.quantity] * c
        expected_natural += per * natural[item.quantity] * c
    total = cost_per_children(policy, costs, per=per).set_index("item").loc["total", "cost"]
    assert total == pytest.approx(expected_policy, rel=1e-9, abs=1e-6)
    diff = net_difference(policy, natural, costs, per=per).set_index("item").loc["total"]
    # cancellation: the tolerance is relative to the costs being subtracted
    scale = expected_policy + expected_natural
    assert diff["difference"] == pytest.approx(
        expected_policy - expected_natural, abs=1e-9 * scale + 1e-6
    )
    assert np.isfinite(diff["cost_natural"])

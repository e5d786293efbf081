"""Curves are published only where no step can give back a count under the threshold."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from outcomes.disclosure import DisclosureError, publishable_curve


def _km(times: np.ndarray, events: np.ndarray) -> pd.DataFrame:
    """A Kaplan-Meier table with the columns publishable_curve reads (independent code)."""
    rows = []
    surv = 1.0
    for t in np.unique(times):
        at_risk = int((times >= t).sum())
        d = int(((times == t) & (events == 1)).sum())
        surv *= 1 - d / at_risk
        rows.append((t, at_risk, d, surv))
    return pd.DataFrame(rows, columns=["time", "at_risk", "events", "estimate"])


def _events_between(table: pd.DataFrame, a: float, b: float) -> int:
    inside = (table["time"] > a) & (table["time"] <= b)
    return int(table.loc[inside, "events"].sum())


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(1, 400),
    seed=st.integers(0, 2**32 - 1),
    threshold=st.integers(1, 20),
)
def test_every_published_interval_holds_enough_events_and_people(n, seed, threshold):
    rng = np.random.default_rng(seed)
    times = np.round(rng.exponential(2.0, n), 2)
    events = rng.binomial(1, 0.6, n)
    table = _km(times, events)
    grid = np.arange(0, 10, 1 / 12)
    out = publishable_curve(table, grid, threshold=threshold)
    assert set(out["time"]) <= set(grid)
    assert (out["at_risk"] >= threshold).all()
    previous = None
    for _, r in out.iterrows():
        # the published value is the step function's value at the grid point
        upto = table[table["time"] <= r["time"]]
        expected = upto["estimate"].iloc[-1] if len(upto) else np.nan
        assert r["estimate"] == pytest.approx(expected, nan_ok=True)
        # the number at risk just after the point, counted from the raw times
        assert r["at_risk"] == (times > r["time"]).sum()
        if previous is None:
            before = _events_between(table, -np.inf, r["time"])
            assert before == 0 or before >= threshold
        else:
            assert _events_between(table, previous, r["time"]) >= threshold
        previous = r["time"]


def test_small_curve_publishes_only_its_start():
    table = _km(np.array([1.0, 2.0, 3.0, 4.0] * 3), np.array([1, 0, 1, 1] * 3))
    out = publishable_curve(table, np.arange(0, 5, 0.5))
    assert list(out["time"]) == [0.0]
    assert np.isnan(out["estimate"].iloc[0])  # before any row: the caller's start value


def test_bad_grid_is_a_disclosure_error():
    table = _km(np.arange(1.0, 30.0), np.ones(29, dtype=int))
    with pytest.raises(DisclosureError):
        publishable_curve(table, [1.0, 0.5])
    with pytest.raises(DisclosureError):
        publishable_curve(table, [0.0, 1.0], threshold=0)

"""Secondary suppression that knows nested counts and several margins."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from outcomes.disclosure import DisclosureError, suppress, suppression_mask


def test_nested_count_withheld_when_it_or_its_complement_is_small():
    t = pd.DataFrame({"n": [50, 50, 50, 50], "w": [5, 45, 20, 0]})
    m = suppression_mask(t, ["n", "w"], nested={"w": "n"}, secondary=False)
    # 5 within; 45 within leaves 5 after; 20/30 fine; 0 within is a true zero
    assert m["w"].tolist() == [True, True, False, False]
    assert not m["n"].any()  # the parent is not dragged along: they are not additive


def test_nested_count_follows_its_parent():
    t = pd.DataFrame({"n": [4, 50, 60], "w": [0, 20, 30]})
    m = suppression_mask(t, ["n", "w"], nested={"w": "n"})
    # n=4 withheld; its w (a zero) goes too, or the column totals of w and n - w give n
    assert m.loc[0, "w"] and m.loc[0, "n"]
    # each column then needs a complement: no column holds a single withheld cell
    assert (m.sum(axis=0) != 1).all()


def test_every_margin_is_protected():
    t = pd.DataFrame(
        {
            "period": ["q1", "q1", "q2", "q2"],
            "la": ["A", "B", "A", "B"],
            "n": [5, 40, 30, 50],
        }
    )
    one = suppression_mask(t, ["n"], margins=[["period"]])
    both = suppression_mask(t, ["n"], margins=[["period"], ["la"]])
    assert one["n"].tolist() == [True, True, False, False]
    # A's total over the periods would give its 5 back unless a second A cell goes
    assert both["n"].tolist() == [True, True, True, True]
    for margin in ("period", "la"):
        assert (both.groupby(t[margin])["n"].sum() != 1).all()


def test_random_tables_never_leave_a_single_withheld_cell_in_a_margin():
    rng = np.random.default_rng(4)
    for _ in range(30):
        periods, areas = 6, 8
        n = rng.integers(0, 60, size=periods * areas)
        t = pd.DataFrame(
            {
                "period": np.repeat(range(periods), areas),
                "la": np.tile(range(areas), periods),
                "n": n,
                "w": rng.binomial(n, 0.4),
            }
        )
        m = suppression_mask(t, ["n", "w"], nested={"w": "n"}, margins=[["period"], ["la"]])
        for margin in ("period", "la"):
            assert (m.groupby(t[margin]).sum() != 1).all().all()
        rest = t["n"] - t["w"]
        shown = ~m["w"]
        assert not t.loc[shown, "w"].between(1, 9).any()
        assert not rest[shown].between(1, 9).any()
        assert not (m["n"] & ~m["w"]).any()


def test_nested_mistakes_are_disclosure_errors():
    t = pd.DataFrame({"n": [10, 20], "w": [11, 5]})
    with pytest.raises(DisclosureError, match="exceeds"):
        suppress(t, ["n", "w"], nested={"w": "n"})
    with pytest.raises(DisclosureError, match="distinct"):
        suppress(t, ["n", "w"], nested={"w": "x"})

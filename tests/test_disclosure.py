"""Small-number suppression."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from outcomes.disclosure import suppress, suppression_mask
from outcomes.errors import SchemaError


def test_primary_keeps_zeros_and_counts_at_threshold():
    t = pd.DataFrame({"n": [0, 1, 9, 10, 250]})
    out = suppress(t, ["n"], secondary=False)
    assert out["n"].tolist() == [0, "[c]", "[c]", 10, 250]


def test_nullable_output_without_marker():
    t = pd.DataFrame({"n": [0, 3, 12]})
    out = suppress(t, ["n"], secondary=False, marker=None)
    assert str(out["n"].dtype) == "Int64"
    assert out["n"].isna().tolist() == [False, True, False]


def test_row_and_column_complements():
    t = pd.DataFrame({"la": ["A", "B", "C"], "n": [25, 4, 31], "m": [12, 14, 0]})
    mask = suppression_mask(t, ["n", "m"])
    # 4 is primary; 14 protects it in the row; 25 and 12 protect the columns
    assert mask.to_numpy().tolist() == [[True, True], [True, True], [False, False]]


def test_zero_is_a_complement_only_as_last_resort():
    t = pd.DataFrame({"a": [3, 50], "b": [0, 60], "c": [40, 70]})
    mask = suppression_mask(t, ["a", "b", "c"])
    assert not mask.loc[0, "b"]  # the zero stays; 40 is withheld instead
    assert mask.loc[0, "c"]


def test_blocks_protect_column_totals_within_each_block():
    t = pd.DataFrame({"area": ["X", "X", "Y", "Y"], "n": [5, 40, 30, 45], "m": [20, 30, 25, 35]})
    mask = suppression_mask(t, ["n"], by=["area"])
    assert mask["n"].tolist() == [True, True, False, False]
    whole = suppression_mask(t, ["n"])
    assert whole["n"].tolist() == [True, False, True, False]  # 30 is the smallest other


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_no_line_has_a_single_withheld_cell(seed):
    rng = np.random.default_rng(seed)
    values = rng.poisson(12, size=(30, 5)) * (rng.random((30, 5)) > 0.1)
    t = pd.DataFrame(values, columns=list("abcde"))
    t["block"] = np.repeat(np.arange(6), 5)
    mask = suppression_mask(t, list("abcde"), by=["block"]).to_numpy()
    assert mask.any()
    per_row = mask.sum(axis=1)
    assert not (per_row == 1).any()
    for b in range(6):
        per_col = mask[t["block"].to_numpy() == b].sum(axis=0)
        assert not (per_col == 1).any()
    # primary cells are all withheld, and nothing at or above 10 is withheld needlessly
    primary = (values > 0) & (values < 10)
    assert mask[primary].all()


def test_rates_follow_their_counts():
    t = pd.DataFrame({"n": [4, 40], "d": [50, 60], "pct": [8.0, 66.7]})
    out = suppress(t, ["n", "d"], rate_cols={"pct": ["n", "d"]}, secondary=False)
    assert out["pct"].tolist() == ["[c]", 66.7]


def test_rounding_after_deciding_on_raw_counts():
    t = pd.DataFrame({"n": [8, 12, 23, 0]})
    out = suppress(t, ["n"], rounding=5, secondary=False, marker=None)
    assert out["n"].tolist()[1:] == [10, 25, 0]
    assert pd.isna(out["n"].iloc[0])


def test_rejects_negative_or_fractional_counts():
    with pytest.raises(SchemaError, match="non-negative whole"):
        suppress(pd.DataFrame({"n": [-1, 5]}), ["n"])
    with pytest.raises(SchemaError, match="non-negative whole"):
        suppress(pd.DataFrame({"n": [1.5, 5]}), ["n"])
    with pytest.raises(SchemaError, match="not in the table"):
        suppress(pd.DataFrame({"n": [1]}), ["x"])

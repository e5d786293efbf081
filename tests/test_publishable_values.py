"""Single counts and quantiles as published: no small count, no individual's value."""

from __future__ import annotations

import numpy as np
import pytest

from outcomes.disclosure import DisclosureError, publishable_count, publishable_quantiles


def test_count_keeps_zeros_withholds_small_and_rounds_the_rest():
    counts = [0, 1, 9, 10, 14, 16, 4_543]
    out = [publishable_count(n, rounding=10) for n in counts]
    assert out == [0, "[c]", "[c]", 10, 10, 20, 4_540]
    # a count at the threshold is never rounded below it (it would read as withheld)
    assert publishable_count(11, threshold=11, rounding=10) == 11
    with pytest.raises(DisclosureError):
        publishable_count(-1)


@pytest.mark.parametrize("seed", range(5))
def test_quantiles_are_means_of_ten_values_and_no_single_value(seed):
    rng = np.random.default_rng(seed)
    x = rng.lognormal(0, 0.5, 400)  # distinct values
    probs = (0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0)
    q = publishable_quantiles(x, probs)
    xs = np.sort(x)
    # independent computation: the window of ten sorted values around each position
    for p, v in zip(probs, q, strict=True):
        centre = int(round(p * (len(x) - 1)))
        start = min(max(centre - 5, 0), len(x) - 10)
        assert v == pytest.approx(xs[start : start + 10].mean())
    assert not np.isin(q, x).any()  # no published value is a child's own
    assert q[0] > x.min() and q[-1] < x.max()  # the minimum and maximum are not published
    assert np.all(np.diff(q) >= 0)


def test_quantiles_of_too_few_values_are_withheld():
    assert np.isnan(publishable_quantiles([1.0, 2.0, 3.0], (0.5,))).all()
    assert np.isfinite(publishable_quantiles(np.arange(10.0), (0.5,))).all()
    with pytest.raises(DisclosureError):
        publishable_quantiles(np.arange(20.0), (1.5,))

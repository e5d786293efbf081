"""Shrunken area estimates recover the truth better than raw rates; plots draw."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from outcomes.areas import FunnelError, funnel, funnel_plot, quadrant_plot, shrink


def _areas(seed: int, n_areas: int = 60) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = rng.integers(20, 600, size=n_areas)
    p = 1 / (1 + np.exp(-(-1.2 + rng.normal(0, 0.35, size=n_areas))))
    return pd.DataFrame({"area": range(n_areas), "o": rng.binomial(n, p), "n": n}), p


def test_shrinkage_reduces_error_and_intervals_cover():
    raw_err, eb_err, covered = [], [], []
    for seed in range(40):
        t, truth = _areas(seed)
        s = shrink(t, "o", "n", "area")
        raw_err.append(np.mean((s["raw"] - truth) ** 2))
        eb_err.append(np.mean((s["estimate"] - truth) ** 2))
        covered.append(np.mean((s["ci_lower"] <= truth) & (truth <= s["ci_upper"])))
    assert np.mean(eb_err) < 0.8 * np.mean(raw_err)
    # 2,400 area-intervals: MC SE of coverage about 0.5 points; EB intervals run close
    assert 0.92 < np.mean(covered) < 0.98


def test_shrinkage_is_stronger_for_small_areas_and_never_zero_width():
    t, _ = _areas(1)
    s = shrink(t, "o", "n", "area")
    small, large = t["n"].idxmin(), t["n"].idxmax()
    assert s.loc[small, "shrinkage"] > s.loc[large, "shrinkage"]
    assert (s["ci_upper"] > s["ci_lower"]).all()
    # no between-area variation: everyone goes to the mean, intervals keep a width
    flat = pd.DataFrame({"area": range(30), "o": [50] * 30, "n": [250] * 30})
    f = shrink(flat, "o", "n", "area")
    assert f.attrs["tau2"] == 0 and (f["ci_upper"] - f["ci_lower"] > 0.01).all()


def test_funnel_plot_and_quadrant_draw():
    t, _ = _areas(2)
    f = funnel(t, "o", "n", "area")
    fig, ax = plt.subplots()
    assert funnel_plot(f, ax=ax) is ax
    assert len(ax.lines) >= 5  # two pairs of limits and the target
    plt.close(fig)
    q = pd.DataFrame(
        {
            "pct": [40.0, 60.0, 55.0],
            "lo": [30.0, 50, 45],
            "hi": [50.0, 70, 65],
            "ratio": [1.3, 0.8, 1.0],
            "rlo": [1.0, 0.6, 0.8],
            "rhi": [1.7, 1.1, 1.3],
        },
        index=["A", "B", "C"],
    )
    ax = quadrant_plot(q, "pct", "ratio", x_interval=("lo", "hi"), y_interval=("rlo", "rhi"))
    assert ax.get_xlabel() == "pct"
    plt.close(ax.figure)
    with pytest.raises(FunnelError):
        funnel_plot(t)
    with pytest.raises(FunnelError):
        quadrant_plot(q, "pct", "missing")

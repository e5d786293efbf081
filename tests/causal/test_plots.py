"""The diagnostic plots draw on the given axes and return them."""

from __future__ import annotations

from collections.abc import Iterator

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from outcomes.causal import (
    fit_propensity,
    love_plot,
    overlap_plot,
    standardised_differences,
    weight_plot,
)
from tests.causal._simulate import CONFOUNDERS, Simulated


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    yield
    plt.close("all")


def test_plots_use_the_given_axes(simulated: Simulated) -> None:
    data = simulated.data.iloc[:1500]
    ps = fit_propensity(data, "treated", CONFOUNDERS)
    w = ps.weights()
    table = standardised_differences(data, "treated", CONFOUNDERS, w)
    fig, axes = plt.subplots(1, 3)
    assert love_plot(table, ax=axes[0]) is axes[0]
    assert overlap_plot(ps.scores, ps.treatment, ax=axes[1]) is axes[1]
    assert weight_plot(w, ps.treatment, ax=axes[2]) is axes[2]
    assert len(axes[0].get_yticklabels()) == len(table)
    assert axes[2].get_xscale() == "log"


def test_plots_make_their_own_axes() -> None:
    table = pd.DataFrame(
        {
            "variable": ["x", "g", "g"],
            "level": [None, "a", "b"],
            "smd_unweighted": [0.4, np.inf, -np.inf],
            "smd_weighted": [0.02, np.nan, 0.05],
        }
    )
    ax = love_plot(table, absolute=False)
    assert ax.get_xlabel() == "standardised mean difference"
    scores = pd.Series([0.2, 0.4, 0.6, 0.8])
    treat = pd.Series([0, 0, 1, 1])
    assert overlap_plot(scores, treat, mirrored=False).get_xlim() == (0.0, 1.0)
    weights = pd.Series([1.0, 1.0, 1.0, 1.0])
    assert weight_plot(weights, treat, log=False).get_xscale() == "linear"

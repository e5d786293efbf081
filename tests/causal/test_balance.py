"""Standardised mean differences (Austin 2009) and the positivity check."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.weightstats import DescrStatsW

from outcomes.causal import (
    PositivityWarning,
    fit_propensity,
    positivity,
    standardised_differences,
)
from outcomes.errors import OutcomesWarning
from tests.causal._simulate import CONFOUNDERS, Simulated

SMALL = pd.DataFrame(
    {
        "t": [1, 1, 1, 0, 0, 0],
        "x": [1.0, 2.0, 3.0, 2.0, 4.0, 6.0],
        "g": ["a", "a", "b", "a", "b", "b"],
    }
)
SMALL_WEIGHTS = pd.Series([1.0, 1.0, 2.0, 1.0, 1.0, 1.0])


def test_numeric_smd_by_hand() -> None:
    table = standardised_differences(SMALL, "t", ["x"], weights=SMALL_WEIGHTS)
    row = table.iloc[0]
    # means 2 and 4; sample variances 1 and 4; pooled SD sqrt(2.5)
    assert row["smd_unweighted"] == pytest.approx(-2 / np.sqrt(2.5))
    # weighted treated mean (1 + 2 + 6) / 4; the denominator stays unweighted
    assert row["smd_weighted"] == pytest.approx((9 / 4 - 4) / np.sqrt(2.5))
    assert row["level"] is None
    assert list(table.columns[:4]) == ["variable", "level", "smd_unweighted", "smd_weighted"]


def test_categorical_smd_by_hand() -> None:
    table = standardised_differences(SMALL, "t", ["g"], weights=SMALL_WEIGHTS)
    assert table["level"].tolist() == ["a", "b"]
    # level "a": p1 = 2/3, p0 = 1/3; weighted p1 = 2/4
    p1, p0, p1w = 2 / 3, 1 / 3, 2 / 4
    sd = np.sqrt((p1 * (1 - p1) + p0 * (1 - p0)) / 2)
    a = table.set_index("level").loc["a"]
    assert a["smd_unweighted"] == pytest.approx((p1 - p0) / sd)
    assert a["smd_weighted"] == pytest.approx((p1w - p0) / sd)
    b = table.set_index("level").loc["b"]
    assert b["smd_unweighted"] == pytest.approx(-a["smd_unweighted"])


def test_smd_matches_a_reference_computation() -> None:
    rng = np.random.default_rng(5)
    n = 400
    t = rng.binomial(1, 0.4, n)
    x = rng.gamma(2.0, 1.0 + t, n)
    w = rng.uniform(0.2, 3.0, n)
    data = pd.DataFrame({"t": t, "x": x})
    got = standardised_differences(data, "t", ["x"], weights=pd.Series(w)).iloc[0]

    # Reference: statsmodels' weighted descriptive statistics for the weighted means,
    # numpy's ddof=1 variances for the (unweighted) pooled SD.
    treated, control = x[t == 1], x[t == 0]
    sd = np.sqrt((np.var(treated, ddof=1) + np.var(control, ddof=1)) / 2)
    m1 = DescrStatsW(treated, weights=w[t == 1]).mean
    m0 = DescrStatsW(control, weights=w[t == 0]).mean
    assert got["smd_unweighted"] == pytest.approx((treated.mean() - control.mean()) / sd)
    assert got["smd_weighted"] == pytest.approx((m1 - m0) / sd)
    assert got["mean_treated_weighted"] == pytest.approx(m1)


def test_zero_one_columns_use_the_binary_formula() -> None:
    table = standardised_differences(SMALL.assign(b=[1, 1, 0, 1, 0, 0]), "t", ["b"])
    p1, p0 = 2 / 3, 1 / 3
    expected = (p1 - p0) / np.sqrt((p1 * (1 - p1) + p0 * (1 - p0)) / 2)
    assert table.iloc[0]["smd_unweighted"] == pytest.approx(expected)
    assert np.isnan(table.iloc[0]["smd_weighted"])  # no weights given


def test_missing_values_are_left_out_per_variable() -> None:
    data = SMALL.assign(x=[1.0, 2.0, 3.0, 2.0, 4.0, np.nan])
    row = standardised_differences(data, "t", ["x"]).iloc[0]
    # control now 2, 4: mean 3, variance 2
    assert row["smd_unweighted"] == pytest.approx((2 - 3) / np.sqrt((1 + 2) / 2))


def test_a_level_in_one_arm_only_is_infinite() -> None:
    data = SMALL.assign(g=["a", "a", "a", "b", "b", "b"])
    table = standardised_differences(data, "t", ["g"]).set_index("level")
    assert table.loc["a", "smd_unweighted"] == np.inf
    assert table.loc["b", "smd_unweighted"] == -np.inf


def test_weighting_balances_simulated_confounders(simulated: Simulated) -> None:
    ps = fit_propensity(simulated.data, "treated", CONFOUNDERS)
    table = standardised_differences(simulated.data, "treated", CONFOUNDERS, ps.weights())
    assert table["smd_unweighted"].abs().max() > 0.3
    assert table["smd_weighted"].abs().max() < 0.05
    assert len(table) == 2 + 5  # two numerics, five areas


# -- positivity -------------------------------------------------------------------------


def test_good_overlap_passes_quietly(simulated: Simulated) -> None:
    ps = fit_propensity(simulated.data, "treated", CONFOUNDERS)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = positivity(ps.scores, ps.treatment)
    assert report.adequate
    assert report.problems == []
    assert report.table["arm"].tolist() == ["treated", "control"]
    lo, hi = report.common_support
    assert 0 < lo < hi < 1


def test_a_separated_design_warns() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=2000)
    # Treatment almost determined by x: the arms barely overlap.
    t = (x + rng.normal(scale=0.05, size=x.size) > 0).astype(int)
    data = pd.DataFrame({"t": t, "x": x})
    ps = fit_propensity(data, "t", ["x"])
    with pytest.warns(PositivityWarning, match="poor propensity-score overlap"):
        report = positivity(ps.scores, ps.treatment)
    assert not report.adequate
    assert report.share_extreme > 0.5
    assert issubclass(PositivityWarning, OutcomesWarning)


def test_scores_outside_the_other_arm_are_counted() -> None:
    scores = pd.Series([0.3, 0.4, 0.5, 0.95, 0.2, 0.3, 0.4, 0.5])
    treat = pd.Series([1, 1, 1, 1, 0, 0, 0, 0])
    with pytest.warns(PositivityWarning, match="25.0% of the treated arm"):
        report = positivity(scores, treat)
    table = report.table.set_index("arm")
    assert table.loc["treated", "share_outside"] == pytest.approx(0.25)
    assert table.loc["control", "share_outside"] == pytest.approx(0.25)  # the 0.2
    assert report.common_support == (0.3, 0.5)
    quiet = positivity(scores, treat, warn=False)
    assert not quiet.adequate

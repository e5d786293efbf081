"""Performance measures against hand computations of Morris, White & Crowther (2019),
table 6, on a small results table written out here (Monte Carlo SEs included).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from outcomes.simulation import MEASURES, SimulationError, performance

NAN = float("nan")

# Method "a", truth 1. Rows 5 and 6 do not count (an error; no standard error).
# Row 3 has no p-value (Wald test), row 4 no interval (Wald interval 1.2 -/+ 0.392).
A = pd.DataFrame(
    {
        "method": ["a"] * 7,
        "rep": range(7),
        "estimate": [0.90, 1.30, 0.70, 1.10, 1.20, NAN, 0.95],
        "std_error": [0.20, 0.25, 0.15, 0.30, 0.20, NAN, NAN],
        "ci_lower": [0.50, 0.81, 0.406, 0.512, NAN, NAN, 0.5],
        "ci_upper": [1.02, 1.79, 0.994, 1.688, NAN, NAN, 1.5],
        "p_value": [0.001, 0.3, 0.02, NAN, 0.08, NAN, 0.01],
        "truth": [1.0] * 7,
        "error": [None, None, None, None, None, "RuntimeError: no fit", None],
    }
)
# Method "b", truth 0.5: relative bias differs from bias.
B = pd.DataFrame(
    {
        "method": ["b"] * 3,
        "rep": range(3),
        "estimate": [0.40, 0.70, 0.55],
        "std_error": [0.10, 0.10, 0.10],
        "ci_lower": [NAN] * 3,
        "ci_upper": [NAN] * 3,
        "p_value": [NAN] * 3,
        "truth": [0.5] * 3,
        "error": [None] * 3,
    }
)
RESULTS = pd.concat([A, B], ignore_index=True)

# By hand, method a (n = 5 replicates):
#   estimates 0.9, 1.3, 0.7, 1.1, 1.2; mean 1.04; bias 0.04
#   squared deviations from the mean .0196 .0676 .1156 .0036 .0256, sum .232
#   MCSE(bias) = sqrt(.232 / (5 * 4)); EmpSE = sqrt(.232 / 4); MCSE = EmpSE / sqrt(8)
#   squared SEs .04 .0625 .0225 .09 .04: mean .051 (ModSE = sqrt .051),
#   sample variance V = .0027075 / 4 = .000676875; MCSE(ModSE) = sqrt(V / (4*5*.051))
#   relative error 100 (sqrt(.051 / .058) - 1);
#   MCSE = 100 sqrt(.051/.058) sqrt(V / (4*5*.051^2) + 1/8)
#   squared errors .01 .09 .09 .01 .04: MSE .048; minus MSE squared: .001444 .001764
#   .001764 .001444 .000064, sum .00648; MCSE(MSE) = sqrt(.00648 / 20) = .018
#   coverage of 1: yes yes no yes yes(Wald .808-1.592) = .8
#   coverage of the mean 1.04: no (upper 1.02) yes no yes yes = .6
#   p <= .05: yes no yes yes(|1.1| >= 1.96 * .3) no = .6
HAND_A = {
    "n_sim": (5, NAN),
    "n_failed": (2, NAN),
    "mean": (1.04, NAN),
    "bias": (0.04, math.sqrt(0.232 / 20)),
    "rel_bias": (0.04, math.sqrt(0.232 / 4) / math.sqrt(5)),
    "emp_se": (math.sqrt(0.058), math.sqrt(0.058) / math.sqrt(8)),
    "model_se": (math.sqrt(0.051), math.sqrt(0.000676875 / (20 * 0.051))),
    "rel_error_model_se": (
        100 * (math.sqrt(0.051 / 0.058) - 1),
        100 * math.sqrt(0.051 / 0.058) * math.sqrt(0.000676875 / (20 * 0.051**2) + 1 / 8),
    ),
    "mse": (0.048, 0.018),
    "coverage": (0.8, math.sqrt(0.8 * 0.2 / 5)),
    "be_coverage": (0.6, math.sqrt(0.6 * 0.4 / 5)),
    "power": (0.6, math.sqrt(0.6 * 0.4 / 5)),
}
# Method b: relative errors -.2 .4 .1 (mean .1, sd .3); Wald intervals +/- .196 cover
# .5: no (.4 + .196 = .596 yes), yes (.504 no), yes -> .4-.596 yes, .504-.896 no,
# .354-.746 yes = 2/3; the mean .55: yes yes yes = 1; |est| >= .196 always: power 1.
HAND_B = {
    "bias": (0.05, math.sqrt(0.045 / 6)),
    "rel_bias": (0.1, 0.3 / math.sqrt(3)),
    "coverage": (2 / 3, math.sqrt(2 / 9 / 3)),
    "be_coverage": (1.0, 0.0),
    "power": (1.0, 0.0),
}


def table(perf: pd.DataFrame, method: str) -> dict[str, tuple[float, float]]:
    rows = perf[perf["method"] == method]
    pairs = zip(rows["estimate"], rows["mcse"], strict=True)
    return dict(zip(rows["measure"], pairs, strict=True))


def test_measures_equal_the_hand_computations() -> None:
    perf = performance(RESULTS)
    # rep, the truth and the estimate columns are not groups: only method is
    assert list(perf.columns) == ["method", "measure", "estimate", "mcse"]
    got = table(perf, "a")
    assert list(got) == list(MEASURES)
    for measure, (estimate, mcse) in HAND_A.items():
        np.testing.assert_allclose(got[measure], (estimate, mcse), rtol=1e-12, err_msg=measure)
    got_b = table(perf, "b")
    for measure, (estimate, mcse) in HAND_B.items():
        np.testing.assert_allclose(got_b[measure], (estimate, mcse), rtol=1e-12, err_msg=measure)


def test_alpha_moves_power_and_wald_intervals() -> None:
    got = table(performance(RESULTS, alpha=0.10), "a")
    # p <= .10 now also for row 4 (.08): 4 of 5
    assert got["power"][0] == pytest.approx(0.8)
    # Wald interval of row 4 at 90%: 1.2 -/+ 1.645 * .2 = .871-1.529 still covers 1
    assert got["coverage"][0] == pytest.approx(0.8)
    got_b = table(performance(RESULTS, alpha=0.5), "b")
    # 50% Wald intervals +/- .0674: .4 and .7 miss .5, .55 covers it
    assert got_b["coverage"][0] == pytest.approx(1 / 3)


def test_a_constant_truth_and_explicit_groups() -> None:
    by_column = performance(RESULTS[RESULTS["method"] == "a"], by="method")
    constant = performance(RESULTS[RESULTS["method"] == "a"], true=1.0, by="method")
    pd.testing.assert_frame_equal(by_column, constant)
    pooled = performance(RESULTS, by=[])
    assert pooled.loc[pooled["measure"] == "n_sim", "estimate"].item() == 8


def test_undefined_measures_are_nan_not_zero() -> None:
    one = performance(B.iloc[:1]).set_index("measure")
    assert one.loc["n_sim", "estimate"] == 1
    for measure in ("emp_se", "rel_error_model_se"):
        assert math.isnan(one.loc[measure, "estimate"])
    assert math.isnan(one.loc["bias", "mcse"])
    zero_truth = performance(B.assign(truth=0.0)).set_index("measure")
    assert math.isnan(zero_truth.loc["rel_bias", "estimate"])
    none = performance(A.iloc[5:6]).set_index("measure")
    assert none.loc["n_failed", "estimate"] == 1 and none["estimate"].iloc[2:].isna().all()


def test_bad_arguments() -> None:
    with pytest.raises(SimulationError, match="alpha"):
        performance(RESULTS, alpha=1.5)
    with pytest.raises(SimulationError, match="no column"):
        performance(RESULTS.drop(columns="std_error"))
    with pytest.raises(SimulationError, match="no by column"):
        performance(RESULTS, by="scenario")


def test_a_failed_replicate_counts_against_each_estimand_of_its_method() -> None:
    rows = pd.DataFrame(
        {
            "n": [10, 10, 10, 10, 10, 20],
            "method": ["m"] * 6,
            "estimand": ["x", "y", "x", "y", None, None],
            "estimate": [1.0, 2.0, 1.5, 2.5, NAN, NAN],
            "std_error": [0.5] * 4 + [NAN, NAN],
            "truth": [1.0, 2.0, 1.0, 2.0, NAN, NAN],
            "error": [None] * 4 + ["RuntimeError: no fit"] * 2,
        }
    )
    perf = performance(rows, ci=None, p_value=None)
    counts = perf[perf["measure"].isin(["n_sim", "n_failed"])].set_index(
        ["n", "estimand", "measure"]
    )["estimate"]
    assert counts[(10, "x", "n_sim")] == 2 and counts[(10, "x", "n_failed")] == 1
    assert counts[(10, "y", "n_sim")] == 2 and counts[(10, "y", "n_failed")] == 1
    # a design point where the method always failed keeps a group of its own
    only = perf[perf["n"] == 20].set_index("measure")["estimate"]
    assert only["n_sim"] == 0 and only["n_failed"] == 1

"""Natural-spline duration terms and the hazard-ratio curve relative to 26 weeks."""

from __future__ import annotations

from collections.abc import Callable

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from outcomes.errors import OutcomesError, SchemaError
from outcomes.survival import (
    AndersenGillFitter,
    CoxFitter,
    duration_hazard_ratio,
    natural_spline_term,
    plot_duration_hazard_ratio,
)

POINTS = [8.0, 15.0, 40.0, 60.0, 80.0]


def simulate(
    log_hr: Callable[[np.ndarray], np.ndarray], seed: int = 5, n: int = 3000
) -> pd.DataFrame:
    """Exponential times whose log hazard ratio against 26 weeks is ``log_hr(duration)``."""
    rng = np.random.default_rng(seed)
    duration = rng.gamma(4.0, 8.0, n).clip(3, 120)
    x = rng.normal(size=n)
    rate = 0.05 * np.exp(log_hr(duration) + 0.3 * x)
    t, c = rng.exponential(1 / rate), rng.uniform(5, 40, n)
    return pd.DataFrame(
        {
            "time": np.minimum(t, c),
            "event": (t <= c).astype(int),
            "duration_weeks": duration,
            "x": x,
            "la": rng.integers(0, 30, n),
        }
    )


@pytest.mark.parametrize(
    "log_hr",
    [
        pytest.param(lambda d: 0.6 * np.log(d / 26.0), id="log"),
        pytest.param(lambda d: 0.015 * (d - 26.0), id="linear"),
    ],
)
def test_recovers_a_known_hazard_ratio_curve(
    log_hr: Callable[[np.ndarray], np.ndarray],
) -> None:
    data = simulate(log_hr)
    fitter = CoxFitter().fit(
        data, "time", "event", formula=natural_spline_term() + " + x", cluster_col="la"
    )
    table = duration_hazard_ratio(fitter, data, grid=POINTS)
    table = table.set_index("duration_weeks")
    truth = log_hr(np.asarray(POINTS))
    assert (table.loc[POINTS, "ci_lower"] < truth).all()
    assert (truth < table.loc[POINTS, "ci_upper"]).all()
    # And the curve is not trivially wide: the band excludes HR 1 away from 26 weeks.
    assert ((table.loc[POINTS, "hr_ci_lower"] > 1) | (table.loc[POINTS, "hr_ci_upper"] < 1)).all()


def test_reference_is_exactly_one_with_zero_width() -> None:
    data = simulate(lambda d: 0.01 * (d - 26.0))
    fitter = CoxFitter().fit(data, "time", "event", formula=natural_spline_term(df=3) + " + x")
    table = duration_hazard_ratio(fitter, data, reference=26, grid=[10.0, 50.0])
    assert table["duration_weeks"].tolist() == [10.0, 26.0, 50.0]  # reference added
    ref = table.loc[table["duration_weeks"] == 26].iloc[0]
    assert ref["estimate"] == 0.0 and ref["std_error"] == 0.0
    assert ref["hazard_ratio"] == 1.0 and ref["hr_ci_lower"] == 1.0 == ref["hr_ci_upper"]
    assert np.isnan(ref["p_value"])
    assert table.attrs == {"alpha": 0.05, "column": "duration_weeks", "reference": 26}


def test_contrast_uses_the_coefficient_covariance() -> None:
    """With a linear term the curve is exp(beta (d - 26)) with se |d - 26| se(beta)."""
    data = simulate(lambda d: 0.01 * (d - 26.0))
    fitter = CoxFitter().fit(data, "time", "event", formula="duration_weeks + x")
    table = duration_hazard_ratio(fitter, data, grid=[6.0, 46.0], alpha=0.1)
    beta, se = fitter.params_["duration_weeks"], fitter.standard_errors_["duration_weeks"]
    np.testing.assert_allclose(table["estimate"], beta * np.array([-20.0, 0.0, 20.0]))
    np.testing.assert_allclose(table["std_error"], se * np.array([20.0, 0.0, 20.0]))
    z = 1.6448536269514722
    np.testing.assert_allclose(
        table["hr_ci_upper"], np.exp(table["estimate"] + z * table["std_error"])
    )


def test_default_grid_and_a_recurrent_fit() -> None:
    rng = np.random.default_rng(3)
    n = 400
    rows = pd.DataFrame(
        {
            "id": np.arange(n),
            "start": 0.0,
            "stop": rng.exponential(10, n).round(1) + 0.1,
            "event": rng.binomial(1, 0.7, n),
            "duration_weeks": rng.uniform(5, 90, n),
        }
    )
    fitter = AndersenGillFitter().fit(
        rows,
        "stop",
        "event",
        entry_col="start",
        formula=natural_spline_term(df=3),
        cluster_col="id",
    )
    table = duration_hazard_ratio(fitter, rows)
    lo, hi = np.percentile(rows["duration_weeks"], [1, 99])
    assert table["duration_weeks"].min() == pytest.approx(lo)
    assert table["duration_weeks"].max() == pytest.approx(hi)
    assert len(table) == 102  # 101 grid points and the reference


def test_errors() -> None:
    data = simulate(lambda d: 0.0 * d)
    fitter = CoxFitter().fit(data, "time", "event", formula="x")
    with pytest.raises(OutcomesError, match="does not enter"):
        duration_hazard_ratio(fitter, data)
    with pytest.raises(SchemaError):
        duration_hazard_ratio(fitter, data, column="weeks")
    with pytest.raises(OutcomesError, match="not fitted"):
        duration_hazard_ratio(CoxFitter(), data)
    with pytest.raises(OutcomesError):
        natural_spline_term(df=0)


def test_plot() -> None:
    data = simulate(lambda d: 0.01 * (d - 26.0))
    fitter = CoxFitter().fit(data, "time", "event", formula=natural_spline_term() + " + x")
    table = duration_hazard_ratio(fitter, data)
    fig, ax = plt.subplots()
    assert plot_duration_hazard_ratio(table, ax=ax) is ax
    lines = ax.get_lines()
    assert any(
        np.array_equal(np.asarray(line.get_ydata(), dtype=float), [1.0, 1.0]) for line in lines
    )
    marker = [line for line in lines if line.get_marker() == "o"]
    assert len(marker) == 1 and np.asarray(marker[0].get_xdata())[0] == 26
    assert ax.get_yscale() == "log" and len(ax.collections) == 1
    plt.close(fig)


def test_the_basis_without_a_formula_is_the_terms_columns() -> None:
    import formulaic

    from outcomes.survival import natural_spline_basis

    rng = np.random.default_rng(5)
    fitted = rng.gamma(4.0, 10.0, 500)
    new = np.r_[rng.gamma(4.0, 10.0, 200), fitted.min() - 5, fitted.max() + 30]
    term = natural_spline_term("weeks", 4)
    spec = formulaic.model_matrix(f"0 + {term}", pd.DataFrame({"weeks": fitted})).model_spec
    state: dict[str, object] = {}
    at_fit = natural_spline_basis(fitted, 4, state)
    assert np.array_equal(
        at_fit, np.asarray(spec.get_model_matrix(pd.DataFrame({"weeks": fitted})))
    )
    expected = np.asarray(spec.get_model_matrix(pd.DataFrame({"weeks": new})))
    assert np.array_equal(natural_spline_basis(new, 4, dict(state)), expected)
    # the model spec's own state serves as well
    assert np.array_equal(natural_spline_basis(new, 4, dict(spec.transform_state[term])), expected)

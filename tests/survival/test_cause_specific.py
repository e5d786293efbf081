"""CauseSpecificCox: one Cox per cause, and the cumulative incidence they imply.

R agreement (multi-state coxph + survfit) is in ``test_cox_reference.py``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from outcomes.errors import OutcomesError
from outcomes.survival import CauseSpecificCox, CoxFitter


def _data(seed: int = 21, n: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    t1 = rng.exponential(1 / (0.4 * np.exp(0.5 * x)))
    t2 = rng.exponential(1 / (0.3 * np.exp(-0.5 * x)))
    c = rng.exponential(3.0, size=n)
    t = np.minimum(np.minimum(t1, t2), c)
    status = np.where(c <= np.minimum(t1, t2), 0, np.where(t1 < t2, 1, 2))
    return pd.DataFrame({"time": np.round(t, 3) + 0.001, "status": status, "x": x})


def test_each_cause_is_a_cox_fit_with_other_causes_censored() -> None:
    d = _data()
    csc = CauseSpecificCox().fit(d, "time", "status", formula="x")
    assert csc.causes_ == [1, 2]
    for k in (1, 2):
        alone = CoxFitter().fit(
            d.assign(e=(d["status"] == k).astype(int)), "time", "e", formula="x"
        )
        np.testing.assert_allclose(csc.fitters_[k].params_, alone.params_, rtol=1e-12)
    assert list(csc.summary.index.names) == ["cause", "covariate"]
    assert csc.summary.attrs["alpha"] == 0.05


# The grid runs past the follow-up on purpose (predictions there are flat).
@pytest.mark.filterwarnings("ignore::outcomes.errors.FollowUpWarning")
def test_cumulative_incidences_and_survival_add_to_one() -> None:
    d = _data()
    csc = CauseSpecificCox().fit(d, "time", "status", formula="x")
    new = pd.DataFrame({"x": [-1.0, 0.0, 2.0]})
    times = np.linspace(0, 8, 30)
    for method in ("product_limit", "exponential"):
        f1 = csc.predict_cumulative_incidence(new, times, cause=1, method=method)
        f2 = csc.predict_cumulative_incidence(new, times, cause=2, method=method)
        assert (f1.diff().iloc[1:] >= -1e-15).all().all()
        total = f1 + f2
        assert (total <= 1 + 1e-12).all().all()
        # x raises cause 1 and lowers cause 2
        assert f1.iloc[-1].is_monotonic_increasing
        assert f2.iloc[-1].is_monotonic_decreasing
    a = csc.predict_cumulative_incidence(new, times, method="product_limit")
    b = csc.predict_cumulative_incidence(new, times, method="exponential")
    np.testing.assert_allclose(a, b, atol=0.01)


def assert_incidences_add_to_all_cause_risk(
    csc: CauseSpecificCox, new: pd.DataFrame, grid: np.ndarray
) -> None:
    """sum_k F_k(t) = 1 - prod_{u <= t} (1 - sum_k dH_k(u)), with dH_k from each cause's
    own predict_cumulative_hazard."""
    dH = sum(
        np.diff(f.predict_cumulative_hazard(new, grid).to_numpy(), axis=0, prepend=0.0)
        for f in csc.fitters_.values()
    )
    all_cause = 1.0 - np.cumprod(1.0 - dH, axis=0)
    f_sum = sum(csc.predict_cumulative_incidence(new, grid, cause=k).to_numpy() for k in (1, 2))
    np.testing.assert_allclose(f_sum, all_cause, rtol=1e-10, atol=1e-14)


def test_product_limit_is_one_minus_all_cause_survival() -> None:
    """sum_k F_k(t) = 1 - prod_{u <= t} (1 - sum_k dH_k(u)), built here from each cause's
    own predict_cumulative_hazard."""
    d = _data()
    csc = CauseSpecificCox().fit(d, "time", "status", formula="x")
    new = pd.DataFrame({"x": [-0.5, 0.3]})
    grid = np.unique(d.loc[d["status"] > 0, "time"])
    assert_incidences_add_to_all_cause_risk(csc, new, grid)


def test_stratified_prediction_uses_each_rows_own_baseline() -> None:
    """With strata, each row's incidence is built from its own stratum's baseline
    hazards (computed per stratum internally); the check rebuilds it on the grid of
    every stratum's times from each cause's predict_cumulative_hazard."""
    d = _data(n=600).assign(g=np.repeat(["a", "b", "c"], 200))
    d.loc[d["g"] == "b", "time"] *= 2.0  # a different baseline in stratum b
    csc = CauseSpecificCox().fit(d, "time", "status", formula="x", strata="g")
    new = pd.DataFrame({"x": [-0.5, 0.3, 1.0, 0.0], "g": ["b", "a", "c", "b"]})
    grid = np.unique(d.loc[d["status"] > 0, "time"])
    assert_incidences_add_to_all_cause_risk(csc, new, grid)
    # rows of the same stratum and covariates agree whatever else is in X
    alone = csc.predict_cumulative_incidence(new.iloc[[0]], grid)
    mixed = csc.predict_cumulative_incidence(new, grid)
    np.testing.assert_allclose(mixed.to_numpy()[:, 0], alone.to_numpy()[:, 0], rtol=1e-14)


def test_unknown_cause_and_method() -> None:
    d = _data()
    csc = CauseSpecificCox(causes=[1]).fit(d, "time", "status", formula="x")
    assert list(csc.fitters_) == [1]
    new = pd.DataFrame({"x": [0.0]})
    with pytest.raises(OutcomesError, match="cause 2"):
        csc.predict_cumulative_incidence(new, [1.0], cause=2)
    with pytest.raises(OutcomesError, match="method"):
        csc.predict_cumulative_incidence(new, [1.0], method="bogus")

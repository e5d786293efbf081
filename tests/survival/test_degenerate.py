"""Degenerate designs and hard numerics: reported by name, never a numpy warning.

pytest turns every warning into an error here, so a RuntimeWarning (overflow in exp,
invalid value) from the engine fails these tests by itself.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from outcomes.errors import DegenerateCovariateWarning, ModelError, OutcomesWarning
from outcomes.survival import CauseSpecificCox, CoxFitter, FineGrayFitter


def _data(seed: int = 11, n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = rng.binomial(1, 0.4, size=n).astype(float)
    t1 = rng.exponential(1 / np.exp(0.5 * x1 - 0.4 * x2))
    t2 = rng.exponential(2.0, size=n)
    c = rng.exponential(2.0, size=n)
    t = np.minimum(np.minimum(t1, t2), c)
    status = np.where(t == c, 0, np.where(t == t1, 1, 2))
    return pd.DataFrame(
        {
            "time": t,
            "status": status,
            "event": (status == 1).astype(int),
            "x1": x1,
            "x2": x2,
            "la": rng.choice(["a", "b", "c"], size=n),
        }
    )


@pytest.mark.parametrize(
    ("column", "values", "reason"),
    [
        ("siblings", lambda d: 1.0, "siblings (constant)"),
        ("missing", lambda d: np.nan, "missing (all missing)"),
        ("sum", lambda d: d["x1"] + 2 * d["x2"], "sum (a linear combination of x1 + x2)"),
    ],
)
def test_uninformative_covariates_are_dropped_by_name(column, values, reason) -> None:  # type: ignore[no-untyped-def]
    d = _data()
    clean = CoxFitter().fit(d, "time", "event", formula="x1 + x2")
    with pytest.warns(DegenerateCovariateWarning) as record:
        fit = CoxFitter().fit(
            d.assign(**{column: values(d)}), "time", "event", formula=f"x1 + x2 + {column}"
        )
    message = str(record[0].message)
    assert reason in message
    assert "x1 (" not in message and "x2 (" not in message  # only the culprit is named
    assert list(fit.params_.index) == ["x1", "x2"]
    np.testing.assert_allclose(fit.params_, clean.params_, rtol=1e-12)
    # New rows are coded as in the fit: the dropped column is dropped there too.
    assert list(fit.design_matrix(d.assign(**{column: values(d)}).head()).columns) == [
        "x1",
        "x2",
    ]


def test_fine_gray_and_cause_specific_drop_the_same_way() -> None:
    d = _data().assign(siblings=1.0)
    for fitter, event in ((FineGrayFitter(), "status"), (CauseSpecificCox(), "status")):
        with pytest.warns(DegenerateCovariateWarning, match="siblings"):
            fitter.fit(d, "time", event, formula="x1 + x2 + siblings")
        assert "siblings" not in fitter.params_.index.get_level_values(-1)


def test_nothing_left_to_estimate_is_a_model_error() -> None:
    d = _data().assign(one=1.0)
    with (
        pytest.warns(DegenerateCovariateWarning),
        pytest.raises(ModelError, match="no covariates"),
    ):
        CoxFitter().fit(d, "time", "event", formula="one")


def test_singular_information_names_only_the_offending_column() -> None:
    # An LA-level covariate in a model stratified by LA: constant within every stratum,
    # so it has no information, while x1 and x2 are fine.
    d = _data()
    d["la_size"] = d["la"].map({"a": 1.0, "b": 2.0, "c": 5.0})
    with pytest.raises(ModelError) as err:
        CoxFitter().fit(d, "time", "event", formula="x1 + x2 + la_size", strata="la")
    message = str(err.value)
    assert "la_size (no variation within the risk sets)" in message
    assert "x1" not in message and "x2" not in message


def test_a_separating_covariate_on_a_large_scale_warns_only_about_convergence() -> None:
    # Exit times ordered exactly by x (values up to 100): the likelihood is monotone in
    # the coefficient of x, whose Newton steps used to overflow exp(x * beta).
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 100, 200)
    d = pd.DataFrame({"time": 101 - x, "event": 1, "x": x, "z": rng.normal(size=200)})
    with pytest.warns(OutcomesWarning, match="did not converge") as record:
        fit = CoxFitter().fit(d, "time", "event", formula="x + z")
    assert all(not issubclass(w.category, RuntimeWarning) for w in record)
    assert not fit.converged_
    assert np.isfinite(fit.params_).all() and np.isfinite(fit.log_likelihood_)
    assert np.isfinite(fit.baseline_cumulative_hazard_.to_numpy()).all()


def test_large_covariate_values_fit_without_overflow() -> None:
    d = _data()
    scaled = d.assign(x1=d["x1"] * 1e4 + 5e5)
    a = CoxFitter().fit(d, "time", "event", formula="x1 + x2")
    b = CoxFitter().fit(scaled, "time", "event", formula="x1 + x2")
    np.testing.assert_allclose(b.params_["x1"] * 1e4, a.params_["x1"], rtol=1e-6)
    np.testing.assert_allclose(b.params_["x2"], a.params_["x2"], rtol=1e-6)
    assert np.isfinite(b.predict_cumulative_hazard(scaled.head(3)).to_numpy()).all()

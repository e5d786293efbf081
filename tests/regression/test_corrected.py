"""variance="corrected": where it applies, what it refuses, and a Monte Carlo check.

Its values are compared with R in ``test_reference_corrected.py``; here the sampling
standard deviation of the coefficients over simulated studies is the brute-force truth.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from outcomes.errors import OutcomesError
from outcomes.regression import PseudoValueRegression


def study(rng: np.random.Generator, n: int) -> pd.DataFrame:
    # Continuous times (no ties); a strong effect and heavy censoring before the
    # horizon, where the plain sandwich is visibly conservative.
    x = rng.binomial(1, 0.5, n)
    t = rng.exponential(1.0 / (0.3 * np.exp(2.0 * x)))
    c = rng.exponential(1.0, n)
    return pd.DataFrame({"t": np.minimum(t, c), "e": (t <= c).astype(int), "x": x})


def test_corrected_standard_error_matches_the_sampling_sd() -> None:
    rng = np.random.default_rng(20261204)
    reps = 400
    est, corrected, robust = [], [], []
    for _ in range(reps):
        fit = PseudoValueRegression(variance="corrected").fit(study(rng, 150), "t", "e", 1.5, "x")
        est.append(fit.params_.to_numpy())
        corrected.append(fit.standard_errors_.to_numpy())
        robust.append(np.sqrt(np.diag(fit.cov_params("robust"))))
    empirical = np.std(est, axis=0, ddof=1)
    mcse = 1.0 / np.sqrt(2.0 * (reps - 1))  # relative MC error of an SD
    ratio = np.mean(corrected, axis=0) / empirical
    assert np.all(np.abs(ratio - 1.0) < 3.5 * mcse), ratio
    # On the same data the correction lowers the conservative sandwich.
    assert np.all(np.mean(corrected, axis=0) < np.mean(robust, axis=0))


DF = study(np.random.default_rng(3), 300).assign(la=lambda d: np.arange(len(d)) % 10, w=1.0)


def test_corrected_is_reported_and_kept_with_the_sandwich() -> None:
    fit = PseudoValueRegression(variance="corrected").fit(DF, "t", "e", 1.5, "x")
    assert fit.cov_type_ == "corrected"
    assert "variance='corrected'" in repr(fit)
    np.testing.assert_allclose(fit.standard_errors_, np.sqrt(np.diag(fit.cov_params())))
    assert not np.allclose(fit.cov_params("robust"), fit.cov_params("corrected"))
    # Survival is one minus the single-cause risk: same standard errors.
    surv = PseudoValueRegression(estimand="survival", variance="corrected").fit(
        DF, "t", "e", 1.5, "x"
    )
    np.testing.assert_allclose(surv.standard_errors_, fit.standard_errors_, rtol=1e-10)
    # Prior weights of 2 everywhere change nothing.
    doubled = PseudoValueRegression(variance="corrected").fit(
        DF.assign(w=2.0), "t", "e", 1.5, "x", weights_col="w"
    )
    np.testing.assert_allclose(doubled.standard_errors_, fit.standard_errors_, rtol=1e-8)


def test_corrected_refuses_where_it_is_not_derived() -> None:
    model = PseudoValueRegression(variance="corrected")
    tied = DF.assign(t=DF["t"].round(1))
    with pytest.raises(OutcomesError, match="distinct follow-up times"):
        model.fit(tied, "t", "e", 1.5, "x")
    # Ties beyond the horizon do not matter.
    late = DF.assign(t=np.where(DF["t"] > 1.5, np.round(DF["t"], 0) + 2.0, DF["t"]))
    assert model.fit(late, "t", "e", 1.5, "x").cov_type_ == "corrected"
    with pytest.raises(OutcomesError, match="risk and survival"):
        PseudoValueRegression(estimand="rmst", variance="corrected").fit(DF, "t", "e", 1.5, "x")
    with pytest.raises(OutcomesError, match="independent persons"):
        model.fit(DF, "t", "e", 1.5, "x", cluster_col="la")
    with pytest.raises(OutcomesError, match="IPCW"):
        model.fit(DF, "t", "e", 1.5, "x", censoring_formula="x")

"""The corrected variance, case weights and IPCW pseudo-observations against R.

The suite lives in ``tests/reference/pseudo_corrected/`` (its README says what R
computes and how); ``TestReferenceIsLive`` reruns the generator and the R script.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

from outcomes.regression import PseudoValueRegression, pseudo_observations
from tests.survival.live_reference import LiveReference, read_reference

REF = Path(__file__).resolve().parents[1] / "reference" / "pseudo_corrected"
EXPECTED = REF / "expected"
PSEUDO_ATOL = 1e-8
COEF_RTOL = 1e-6
# R differentiates survfit numerically (central differences), good to about 1e-8.
SE_RTOL = 1e-6

# case -> (dataset, estimand, time, link, weights_col, strata)
CASES: dict[str, tuple[str, str, Any, str, str | None, str | None]] = {
    "competing_risk_identity": ("competing", "risk", 2, "identity", None, None),
    "competing_risk_log": ("competing", "risk", 2, "log", None, None),
    "competing_risk_cloglog": ("competing", "risk", 2, "cloglog", None, None),
    "competing_risk_logit_weighted": ("competing", "risk", 2, "logit", "w", None),
    "competing_risk_identity_two_horizons": (
        "competing",
        "risk",
        [1, 2.5],
        "identity",
        None,
        None,
    ),
    "competing_risk_identity_strata": ("competing", "risk", 2, "identity", None, "g"),
    "single_survival_identity": ("single", "survival", 1.5, "identity", None, None),
    "single_risk_cloglog": ("single", "risk", 1.5, "cloglog", None, None),
}
FITS = read_reference(EXPECTED / "fits.csv")


def _data(name: str) -> Any:
    return read_reference(REF / f"{name}.csv")


def test_every_case_in_the_reference_is_checked() -> None:
    assert set(FITS["case"]) == set(CASES)


@pytest.mark.parametrize("case", sorted(CASES))
def test_corrected_variance_equals_r(case: str) -> None:
    dataset, estimand, time, link, weights, strata = CASES[case]
    res2 = FITS[FITS["case"] == case]
    fit = PseudoValueRegression(estimand=estimand, link=link, variance="corrected").fit(
        _data(dataset), "time", "status", time, "x + z", weights_col=weights, strata=strata
    )
    assert fit.cov_type_ == "corrected"
    np.testing.assert_allclose(fit.params_.to_numpy(), res2["coef"], rtol=COEF_RTOL)
    np.testing.assert_allclose(fit.standard_errors_, res2["se_corrected"], rtol=SE_RTOL)
    robust = np.sqrt(np.diag(fit.cov_params("robust")))
    np.testing.assert_allclose(robust, res2["se_robust"], rtol=SE_RTOL)
    # The correction is a real change (not the sandwich again), and a small one.
    assert np.max(np.abs(fit.standard_errors_.to_numpy() / robust - 1.0)) > 1e-3
    assert np.all(np.abs(fit.standard_errors_.to_numpy() / robust - 1.0) < 0.15)


@pytest.mark.parametrize("method", ["jackknife", "infinitesimal_jackknife"])
def test_weighted_pseudo_observations_equal_r(method: str) -> None:
    res2 = read_reference(EXPECTED / "weighted.csv")
    res2 = res2[res2["method"] == method]
    for estimand, part in res2.groupby("estimand"):
        res1 = pseudo_observations(
            _data("competing"),
            "time",
            "status",
            [1.0, 2.5],
            estimand=str(estimand),
            method=method,
            weights_col="w",
        )
        for t in (1.0, 2.5):
            expected = part[part["time"] == t].sort_values("row")["value"].to_numpy()
            np.testing.assert_allclose(res1[t], expected, rtol=0, atol=PSEUDO_ATOL)


def test_ipcw_pseudo_observations_equal_r() -> None:
    res2 = read_reference(EXPECTED / "ipcw.csv")
    res1 = pseudo_observations(
        _data("single"), "time", "status", [1.0, 2.0], censoring_formula="x + z"
    )
    for t in (1.0, 2.0):
        expected = res2[res2["time"] == t].sort_values("row")["value"].to_numpy()
        np.testing.assert_allclose(res1[t], expected, rtol=0, atol=PSEUDO_ATOL)


class TestReferenceIsLive(LiveReference):
    suite = "pseudo_corrected"
    data_files: ClassVar[tuple[str, ...]] = ("competing.csv", "single.csv")
    outputs: ClassVar[tuple[str, ...]] = ("fits.csv", "weighted.csv", "ipcw.csv")
    r_packages = "survival, prodlim and geepack"
    # Numerical second derivatives: a rerun agrees to their precision, not to the last bit.
    rtol_outputs: ClassVar[float] = 1e-7

"""Pseudo-observations and pseudo-value GLMs against R (prodlim, survival, geepack, sandwich).

The suite lives in ``tests/reference/pseudo/``: ``reference.R`` takes ``pbc``,
``mgus2`` and ``veteran`` from R's survival package and writes them, the
pseudo-observations R computes for them, and the GEE fits with their sandwich and HC3
standard errors, to ``expected/``. ``TestReferenceIsLive`` reruns it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest

from outcomes.regression import PseudoValueRegression, pseudo_observations
from tests.survival.live_reference import LiveReference, read_reference

REF = Path(__file__).resolve().parents[1] / "reference" / "pseudo"
EXPECTED = REF / "expected"
CAUSE = {"pbc": 2, "mgus2": 1, "veteran": 1}
PSEUDO_ATOL = 1e-8
COEF_RTOL = 1e-6
SE_RTOL = 1e-3

PBC = "age + female + logbili + albumin + C(edema)"
VET = "trt + karno + C(celltype)"
# case -> (dataset, estimand, time, formula, link, cluster_col)
CASES: dict[str, tuple[str, str, Any, str, str, str | None]] = {
    "pbc_risk_identity": ("pbc", "risk", 2000, PBC, "identity", None),
    "pbc_risk_log": ("pbc", "risk", 2000, PBC, "log", None),
    "pbc_risk_cloglog": ("pbc", "risk", 2000, PBC, "cloglog", None),
    "pbc_risk_identity_cluster": ("pbc", "risk", 2000, PBC, "identity", "cluster"),
    "pbc_risk_log_cluster": ("pbc", "risk", 2000, PBC, "log", "cluster"),
    "pbc_survival_log": ("pbc", "survival", 2000, PBC, "log", None),
    "pbc_survival_cloglog_cluster": ("pbc", "survival", 2000, PBC, "cloglog", "cluster"),
    "pbc_rmst_identity": ("pbc", "rmst", 3000, PBC, "identity", None),
    "pbc_rmtl_identity_cluster": ("pbc", "rmtl", 3000, PBC, "identity", "cluster"),
    "pbc_risk_identity_multi": ("pbc", "risk", [1000, 2000, 3000], PBC, "identity", None),
    "pbc_risk_cloglog_multi": ("pbc", "risk", [1000, 2000, 3000], PBC, "cloglog", None),
    "mgus2_risk_identity": ("mgus2", "risk", 120, "age + female + hgb", "identity", None),
    "mgus2_risk_log": ("mgus2", "risk", 120, "age + female + hgb", "log", None),
    "veteran_risk_log": ("veteran", "risk", 90, VET, "log", None),
    "veteran_survival_identity": ("veteran", "survival", 180, VET, "identity", None),
    "veteran_rmst_identity": ("veteran", "rmst", 365, VET, "identity", None),
}


def _data(name: str) -> pd.DataFrame:
    return read_reference(EXPECTED / f"{name}.csv")


PSEUDO = read_reference(EXPECTED / "pseudo.csv")
FITS = read_reference(EXPECTED / "fits.csv")
PSEUDO_KEYS = sorted(
    {(d, e, m) for d, e, m in PSEUDO[["dataset", "estimand", "method"]].itertuples(index=False)}
)


@pytest.mark.parametrize(("dataset", "estimand", "method"), PSEUDO_KEYS)
def test_pseudo_observations_equal_r(dataset: str, estimand: str, method: str) -> None:
    res2 = PSEUDO[
        (PSEUDO["dataset"] == dataset)
        & (PSEUDO["estimand"] == estimand)
        & (PSEUDO["method"] == method)
    ]
    times = sorted(res2["time"].unique())
    res1 = pseudo_observations(
        _data(dataset),
        "time",
        "status",
        times,
        event_of_interest=CAUSE[dataset],
        estimand=estimand,
        method=method,
    )
    for t in times:
        expected = res2[res2["time"] == t].sort_values("row")["value"].to_numpy()
        np.testing.assert_allclose(res1[t].to_numpy(), expected, rtol=0, atol=PSEUDO_ATOL)


def test_every_case_in_the_reference_is_checked() -> None:
    assert set(FITS["case"]) == set(CASES)


@pytest.mark.parametrize("case", sorted(CASES))
def test_glm_equals_geepack_and_sandwich(case: str) -> None:
    dataset, estimand, time, formula, link, cluster = CASES[case]
    res2 = FITS[FITS["case"] == case]
    variance = "robust" if res2["se_hc3"].isna().all() else "hc3"
    fit = PseudoValueRegression(estimand=estimand, link=link, variance=variance)
    fit.fit(
        _data(dataset),
        "time",
        "status",
        time=time,
        formula=formula,
        event_of_interest=CAUSE[dataset],
        cluster_col=cluster,
    )
    assert fit.converged_
    np.testing.assert_allclose(fit.params_.to_numpy(), res2["coef"], rtol=COEF_RTOL, atol=1e-12)
    se_robust = np.sqrt(np.diag(fit.cov_params("cluster" if cluster else "robust")))
    np.testing.assert_allclose(se_robust, res2["se_robust"], rtol=SE_RTOL)
    if variance == "hc3":
        np.testing.assert_allclose(fit.standard_errors_, res2["se_hc3"], rtol=SE_RTOL)
        assert fit.cov_type_ == "hc3"


class TestReferenceIsLive(LiveReference):
    suite = "pseudo"
    data_files: ClassVar[tuple[str, ...]] = ()
    outputs: ClassVar[tuple[str, ...]] = (
        "pbc.csv",
        "mgus2.csv",
        "veteran.csv",
        "pseudo.csv",
        "fits.csv",
    )
    r_packages = "survival, prodlim, geepack and sandwich"
    # The data come from R's survival package and are among the outputs R rewrites.
    test_generator_reproduces_data = None  # type: ignore[assignment]

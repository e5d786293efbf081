"""CoxFitter and CauseSpecificCox against R's survival::coxph (statsmodels style).

The reference suite lives in ``tests/reference/coxph/``: ``make_data.py`` (seeded data
generator), the data CSVs, ``reference.R`` and ``expected/`` (what R produced, with
``versions.txt``). Each test class fits one model (``res1``) and compares it with R's
(``res2``); tolerances are class attributes of the shared base class.
``TestReferencesAreLive`` reruns the generator and the R script, so neither the data nor
the stored values can drift from what the scripts produce.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from outcomes.survival import CauseSpecificCox, CoxFitter
from tests.survival.live_reference import LiveReference

REF = Path(__file__).resolve().parents[1] / "reference" / "coxph"
EXPECTED = REF / "expected"
OUTPUTS = [
    "coxph_estimates.csv",
    "coxph_loglik.csv",
    "coxph_zph.csv",
    "coxph_basehaz.csv",
    "csc_cif.csv",
    "csc_estimates.csv",
]


def _read(name: str, directory: Path = EXPECTED) -> pd.DataFrame:
    # keep_default_na=False: a model called "null" must not read as missing.
    return pd.read_csv(
        directory / name, float_precision="round_trip", keep_default_na=False, na_values=["NA"]
    )


def _data(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / f"{name}.csv", float_precision="round_trip")


class CoxphReference:
    """Shared checks; a subclass names the R ``model`` and how to fit ours."""

    model: ClassVar[str]
    dataset: ClassVar[str] = "right"
    fit_args: ClassVar[dict[str, Any]]
    formula: ClassVar[str] = "x1 + x2 + x3"
    # Tolerances: the project's for R references (docs/architecture.md).
    rtol_coef: ClassVar[float] = 1e-6
    rtol_se: ClassVar[float] = 1e-4
    rtol_loglik: ClassVar[float] = 1e-8
    rtol_hazard: ClassVar[float] = 1e-6
    rtol_zph: ClassVar[float] = 1e-4

    res1: ClassVar[CoxFitter]

    @classmethod
    def setup_class(cls) -> None:
        data = _data(cls.dataset)
        cls.res1 = CoxFitter(tol=1e-10).fit(data, formula=cls.formula, **cls.fit_args)
        est = _read("coxph_estimates.csv")
        cls.res2 = est[est["model"] == cls.model].set_index("term")
        ll = _read("coxph_loglik.csv")
        cls.res2_loglik = ll[ll["model"] == cls.model].iloc[0]

    def test_coefficients(self) -> None:
        np.testing.assert_allclose(
            self.res1.params_[self.res2.index], self.res2["coef"], rtol=self.rtol_coef
        )

    def test_standard_errors(self) -> None:
        np.testing.assert_allclose(
            self.res1.standard_errors_[self.res2.index], self.res2["se"], rtol=self.rtol_se
        )

    def test_naive_standard_errors(self) -> None:
        ours = np.sqrt(np.diag(self.res1.cov_params("model")))
        np.testing.assert_allclose(ours, self.res2["naive_se"], rtol=self.rtol_se)

    def test_log_likelihood(self) -> None:
        np.testing.assert_allclose(
            [self.res1.log_likelihood_null_, self.res1.log_likelihood_],
            [self.res2_loglik["loglik_null"], self.res2_loglik["loglik"]],
            rtol=self.rtol_loglik,
        )

    def test_summary_layout(self) -> None:
        s = self.res1.summary
        assert list(s.columns[:8]) == [
            "estimate",
            "std_error",
            "ci_lower",
            "ci_upper",
            "p_value",
            "hazard_ratio",
            "hr_ci_lower",
            "hr_ci_upper",
        ]
        assert s.attrs["alpha"] == 0.05
        np.testing.assert_allclose(s["hazard_ratio"], np.exp(self.res2["coef"]), rtol=1e-6)


class BaselineHazardChecks:
    """basehaz(fit, centered = FALSE) against baseline_cumulative_hazard_."""

    model: ClassVar[str]
    res1: ClassVar[CoxFitter]
    rtol_hazard: ClassVar[float]

    def test_baseline_cumulative_hazard(self) -> None:
        bh = _read("coxph_basehaz.csv")
        bh = bh[bh["model"] == self.model]
        ours = self.res1.baseline_cumulative_hazard_
        for label, part in bh.groupby("strata"):
            col = "baseline" if label == "baseline" else str(label).split("=")[-1]
            got = ours[col].reindex(part["time"].to_numpy(), method="ffill")
            np.testing.assert_allclose(got, part["hazard"], rtol=self.rtol_hazard)


class ZphChecks:
    """cox.zph tables against check_proportional_hazards."""

    model: ClassVar[str]
    res1: ClassVar[CoxFitter]
    rtol_zph: ClassVar[float]

    def test_proportional_hazards_test(self) -> None:
        zph = _read("coxph_zph.csv")
        zph = zph[zph["model"] == self.model]
        for transform, part in zph.groupby("transform"):
            ours = self.res1.check_proportional_hazards(str(transform))
            part = part.set_index("term")
            np.testing.assert_allclose(
                ours.loc[part.index, "chisq"], part["chisq"], rtol=self.rtol_zph
            )
            np.testing.assert_array_equal(ours.loc[part.index, "df"], part["df"])


class TestBreslow(CoxphReference, BaselineHazardChecks, ZphChecks):
    model = "breslow"
    fit_args: ClassVar[dict[str, Any]] = {
        "duration_col": "time",
        "event_col": "status",
        "ties": "breslow",
    }


class TestEfron(CoxphReference, BaselineHazardChecks, ZphChecks):
    model = "efron"
    fit_args: ClassVar[dict[str, Any]] = {"duration_col": "time", "event_col": "status"}


class TestStrata(CoxphReference, BaselineHazardChecks):
    model = "strata"
    fit_args: ClassVar[dict[str, Any]] = {
        "duration_col": "time",
        "event_col": "status",
        "strata": "st",
    }


class TestCaseWeights(CoxphReference):
    """survival >= 3 turns robust on by itself for non-integer weights; ours asks."""

    model = "weights"
    fit_args: ClassVar[dict[str, Any]] = {
        "duration_col": "time",
        "event_col": "status",
        "weights_col": "w",
        "robust": True,
    }


class TestCaseWeightsRobust(CoxphReference):
    model = "weights_robust"
    fit_args: ClassVar[dict[str, Any]] = {
        "duration_col": "time",
        "event_col": "status",
        "weights_col": "w",
        "robust": True,
        "ties": "breslow",
    }


class TestCluster(CoxphReference):
    model = "cluster"
    fit_args: ClassVar[dict[str, Any]] = {
        "duration_col": "time",
        "event_col": "status",
        "cluster_col": "cl",
    }


class TestStrataWeightsCluster(CoxphReference, BaselineHazardChecks, ZphChecks):
    model = "all"
    fit_args: ClassVar[dict[str, Any]] = {
        "duration_col": "time",
        "event_col": "status",
        "strata": "st",
        "weights_col": "w",
        "cluster_col": "cl",
    }


class TestAndersenGillEfron(CoxphReference, ZphChecks):
    """Recurrent events, (start, stop] with a time-varying covariate, clustered by id."""

    model = "ag_efron"
    dataset = "counting"
    formula = "x1 + x2 + late"
    fit_args: ClassVar[dict[str, Any]] = {
        "duration_col": "stop",
        "event_col": "event",
        "entry_col": "start",
        "cluster_col": "id",
    }


class TestAndersenGillBreslowStrataWeights(CoxphReference):
    model = "ag_breslow"
    dataset = "counting"
    formula = "x1 + x2 + late"
    fit_args: ClassVar[dict[str, Any]] = {
        "duration_col": "stop",
        "event_col": "event",
        "entry_col": "start",
        "cluster_col": "id",
        "strata": "sex",
        "weights_col": "w",
        "ties": "breslow",
    }


class TestCauseSpecificAgainstMultistateCoxph:
    """CauseSpecificCox vs a multi-state coxph and its survfit (matrix-exponential AJ)."""

    rtol_coef: ClassVar[float] = 1e-6
    rtol_se: ClassVar[float] = 1e-4
    rtol_cif: ClassVar[float] = 1e-6

    @classmethod
    def setup_class(cls) -> None:
        data = _data("right").drop(columns=["status"])
        cls.res2 = _read("csc_estimates.csv")
        cls.res1 = CauseSpecificCox(tol=1e-10).fit(
            data,
            "time",
            "cause",
            formula="x1 + x2 + x3",
            robust=True,
            ties=str(cls.res2["method"].iloc[0]),
        )
        cls.res2_cif = _read("csc_cif.csv")

    def test_coefficients_and_robust_se(self) -> None:
        for cause, suffix in ((1, "_1:2"), (2, "_1:3")):
            r2 = self.res2[self.res2["term"].str.endswith(suffix)]
            fit = self.res1.fitters_[cause]
            np.testing.assert_allclose(fit.params_, r2["coef"], rtol=self.rtol_coef)
            np.testing.assert_allclose(fit.standard_errors_, r2["se"], rtol=self.rtol_se)

    def test_cumulative_incidence(self) -> None:
        newdata = pd.DataFrame(
            {"x1": [0.0, 1.2, -0.7], "x2": [0.0, 1.0, 0.0], "x3": [0.5, 0.1, 0.9]}
        )
        for cause, part in self.res2_cif.groupby("cause"):
            times = np.sort(part["time"].unique())
            ours = self.res1.predict_cumulative_incidence(
                newdata, times, cause=int(cause), method="exponential"
            )
            for row, rpart in part.groupby("row"):
                np.testing.assert_allclose(
                    ours[row].to_numpy(), rpart.sort_values("time")["cif"], rtol=self.rtol_cif
                )


class TestReferencesAreLive(LiveReference):
    suite = "coxph"
    data_files = ("right.csv", "counting.csv")
    outputs = tuple(OUTPUTS)

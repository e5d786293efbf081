"""FineGrayFitter against R's cmprsk::crr (statsmodels style).

The reference suite lives in ``tests/reference/crr/``: ``make_data.py`` (seeded data
generator), the data CSVs, ``reference.R`` and ``expected/`` (what R produced, with
``versions.txt``). Each test class fits one model (``res1``) and compares it with crr's
(``res2``); tolerances are class attributes of the shared base class.
``TestReferencesAreLive`` reruns the generator and the R script.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from outcomes.survival import FineGrayFitter
from tests.survival.live_reference import LiveReference

REF = Path(__file__).resolve().parents[1] / "reference" / "crr"
EXPECTED = REF / "expected"
OUTPUTS = ["crr_estimates.csv", "crr_loglik.csv", "crr_predict.csv"]
NEW_ROWS = {
    3: pd.DataFrame({"x1": [0.0, 1.0, -1.0], "x2": [0.0, 1.0, 0.0], "x3": [0.0, 0.0, 1.0]}),
    2: pd.DataFrame({"x1": [0.0, 1.0, -1.0], "x2": [0.0, 1.0, 0.0]}),
}


def _read(name: str, directory: Path = EXPECTED) -> pd.DataFrame:
    # keep_default_na=False: a model called "null" must not read as missing.
    return pd.read_csv(
        directory / name, float_precision="round_trip", keep_default_na=False, na_values=["NA"]
    )


class CrrReference:
    """Shared checks; a subclass names the crr ``model``, its dataset and our arguments."""

    model: ClassVar[str]
    dataset: ClassVar[str]
    formula: ClassVar[str]
    fit_args: ClassVar[dict[str, Any]] = {}
    # Tolerances: the project's for R references (docs/architecture.md).
    rtol_coef: ClassVar[float] = 1e-6
    rtol_se: ClassVar[float] = 1e-4
    rtol_loglik: ClassVar[float] = 1e-8
    rtol_cif: ClassVar[float] = 1e-6

    res1: ClassVar[FineGrayFitter]

    @classmethod
    def setup_class(cls) -> None:
        data = pd.read_csv(REF / f"{cls.dataset}.csv", float_precision="round_trip")
        cls.res1 = FineGrayFitter(tol=1e-10).fit(
            data, "time", "status", formula=cls.formula, **cls.fit_args
        )
        est = _read("crr_estimates.csv")
        cls.res2 = est[est["model"] == cls.model].set_index("term")
        ll = _read("crr_loglik.csv")
        cls.res2_loglik = ll[ll["model"] == cls.model].iloc[0]
        pred = _read("crr_predict.csv")
        cls.res2_predict = pred[pred["model"] == cls.model]

    def test_coefficients(self) -> None:
        np.testing.assert_allclose(self.res1.params_, self.res2["coef"], rtol=self.rtol_coef)

    def test_standard_errors(self) -> None:
        np.testing.assert_allclose(self.res1.standard_errors_, self.res2["se"], rtol=self.rtol_se)

    def test_log_likelihood(self) -> None:
        np.testing.assert_allclose(
            [self.res1.log_likelihood_, self.res1.log_likelihood_null_],
            [self.res2_loglik["loglik"], self.res2_loglik["loglik_null"]],
            rtol=self.rtol_loglik,
        )

    def test_predicted_cumulative_incidence(self) -> None:
        new = NEW_ROWS[len(self.res1.params_)]
        new.columns = list(self.res1.params_.index)
        for row, part in self.res2_predict.groupby("row"):
            ours = self.res1.predict_cumulative_incidence(new, part["time"].to_numpy())
            np.testing.assert_allclose(ours[row], part["cif"], rtol=self.rtol_cif)


class TestEffects(CrrReference):
    model = "effects"
    dataset = "effects"
    formula = "x1 + x2 + x3"


class TestEffectsCause2(CrrReference):
    model = "effects_cause2"
    dataset = "effects"
    formula = "x1 + x2 + x3"
    fit_args: ClassVar[dict[str, Any]] = {"event_of_interest": 2}


class TestNull(CrrReference):
    model = "null"
    dataset = "null"
    formula = "z1 + z2"


class TestStrong(CrrReference):
    model = "strong"
    dataset = "strong"
    formula = "x1 + x2"


class TestStrongCensoringGroups(CrrReference):
    """crr's cengroup: coefficients, likelihood and predictions match; the standard errors
    are not compared, because with several censoring groups crr 2.2-11 reports a
    weight-estimation term that disagrees with the infinitesimal jackknife, which ours
    matches (see test_fine_gray.py)."""

    model = "strong_cengroup"
    dataset = "strong"
    formula = "x1 + x2"
    fit_args: ClassVar[dict[str, Any]] = {"censoring_strata": "cg"}

    def test_standard_errors(self) -> None:
        # Same order of magnitude as crr's, not equal (see the class docstring).
        np.testing.assert_allclose(self.res1.standard_errors_, self.res2["se"], rtol=0.05)


class TestReferencesAreLive(LiveReference):
    suite = "crr"
    data_files = ("effects.csv", "null.csv", "strong.csv")
    outputs = tuple(OUTPUTS)
    r_packages = "survival and cmprsk"

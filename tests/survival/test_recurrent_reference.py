"""Recurrent-event estimators against R (statsmodels style).

The reference suite lives in ``tests/reference/mcf/``: ``make_data.py`` (seeded data
generator), ``recurrent.csv``, ``reference.R`` and ``expected/`` (what R produced, with
``versions.txt``):

* the Nelson-Aalen MCF and its Lawless-Nadeau SE against ``survfit(Surv(start, stop,
  event) ~ 1, id = id)`` (cumulative hazard and robust ``std.chaz``);
* the Ghosh-Lin MCF and SE against a dense by-hand computation in R (validated inside
  the script against survfit for the Nelson-Aalen case);
* Andersen-Gill and PWP (total and gap time) against ``coxph(... + cluster(id))``.

``TestReferencesAreLive`` reruns the generator and the R script, so neither the data nor
the stored values can drift from what the scripts produce.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd

from outcomes.survival import (
    AndersenGillFitter,
    CoxFitter,
    PWPFitter,
    mean_cumulative_function,
)
from tests.survival.live_reference import LiveReference

REF = Path(__file__).resolve().parents[1] / "reference" / "mcf"
EXPECTED = REF / "expected"
OUTPUTS = ["mcf_nelson.csv", "mcf_ghosh_lin.csv", "recurrent_estimates.csv"]
# Tolerances: the project's for R references (docs/architecture.md).
RTOL_COEF = 1e-6
RTOL_SE = 1e-4
RTOL_MCF = 1e-6


def _read(name: str, directory: Path = EXPECTED) -> pd.DataFrame:
    return pd.read_csv(directory / name, float_precision="round_trip")


def _data() -> pd.DataFrame:
    return pd.read_csv(REF / "recurrent.csv", float_precision="round_trip")


def _both_mcf(terminal_col: str | None) -> pd.DataFrame:
    data = _data()
    overall = mean_cumulative_function(
        data, "stop", "event", entry_col="start", cluster_col="id", terminal_col=terminal_col
    ).table
    by = mean_cumulative_function(
        data,
        "stop",
        "event",
        entry_col="start",
        cluster_col="id",
        terminal_col=terminal_col,
        by="group",
    ).table
    return pd.concat([overall, by], ignore_index=True)


class TestNelsonAalenMCF:
    """Against survfit's cumulative hazard and robust std.chaz, overall and by group."""

    res1: ClassVar[pd.DataFrame]
    res2: ClassVar[pd.DataFrame]
    merged: ClassVar[pd.DataFrame]

    @classmethod
    def setup_class(cls) -> None:
        cls.res1 = _both_mcf(None)
        cls.res2 = _read("mcf_nelson.csv")
        cls.merged = cls.res2.merge(cls.res1, on=["group", "time"], how="left")

    def test_same_grid(self) -> None:
        assert len(self.res1) == len(self.res2)
        assert self.merged["estimate"].notna().all()

    def test_estimate(self) -> None:
        np.testing.assert_allclose(self.merged["estimate"], self.merged["cumhaz"], rtol=RTOL_MCF)

    def test_lawless_nadeau_se(self) -> None:
        np.testing.assert_allclose(
            self.merged["std_error"], self.merged["std_chaz"], rtol=RTOL_MCF
        )

    def test_risk_set_and_events(self) -> None:
        np.testing.assert_array_equal(self.merged["at_risk"], self.merged["n_risk"])
        np.testing.assert_array_equal(self.merged["events"], self.merged["n_event"])


class TestGhoshLinMCF:
    """Against the dense by-hand Ghosh-Lin estimate and variance in reference.R."""

    res1: ClassVar[pd.DataFrame]
    res2: ClassVar[pd.DataFrame]
    merged: ClassVar[pd.DataFrame]

    @classmethod
    def setup_class(cls) -> None:
        cls.res1 = _both_mcf("terminal")
        cls.res2 = _read("mcf_ghosh_lin.csv")
        cls.merged = cls.res2.merge(
            cls.res1, on=["group", "time"], how="left", suffixes=("_r", "")
        )

    def test_same_grid(self) -> None:
        assert len(self.res1) == len(self.res2)
        assert self.merged["estimate"].notna().all()

    def test_estimate(self) -> None:
        np.testing.assert_allclose(
            self.merged["estimate"], self.merged["estimate_r"], rtol=RTOL_MCF
        )

    def test_se(self) -> None:
        np.testing.assert_allclose(
            self.merged["std_error"], self.merged["std_error_r"], rtol=RTOL_MCF
        )

    def test_terminal_events_lower_the_mean(self) -> None:
        nelson = _both_mcf(None)
        last = nelson.groupby("group")["estimate"].last()
        assert (self.res1.groupby("group")["estimate"].last() < last).all()


class RecurrentCoxReference:
    """Shared checks; a subclass names the R model and how to fit ours."""

    model: ClassVar[str]
    method: ClassVar[str]

    res1: ClassVar[CoxFitter]
    res2: ClassVar[pd.DataFrame]

    @classmethod
    def setup_class(cls) -> None:
        cls.res1 = cls.fit(_data())
        est = _read("recurrent_estimates.csv")
        cls.res2 = est[est["model"] == cls.model].set_index("term")

    @staticmethod
    def fit(d: pd.DataFrame) -> CoxFitter:
        raise NotImplementedError

    def test_coefficients(self) -> None:
        np.testing.assert_allclose(
            self.res1.params_[self.res2.index], self.res2["coef"], rtol=RTOL_COEF
        )

    def test_robust_standard_errors(self) -> None:
        np.testing.assert_allclose(
            self.res1.standard_errors_[self.res2.index], self.res2["se"], rtol=RTOL_SE
        )

    def test_naive_standard_errors(self) -> None:
        ours = np.sqrt(np.diag(self.res1.cov_params("model")))
        np.testing.assert_allclose(ours, self.res2["naive_se"], rtol=RTOL_SE)

    def test_method_label(self) -> None:
        assert (self.res1.summary["method"] == self.method).all()


class TestAndersenGill(RecurrentCoxReference):
    model = "ag"
    method = "andersen_gill"

    @staticmethod
    def fit(d: pd.DataFrame) -> CoxFitter:
        return AndersenGillFitter().fit(
            d, "stop", "event", entry_col="start", formula="x + x2", cluster_col="id"
        )


class TestAndersenGillBreslow(RecurrentCoxReference):
    model = "ag_breslow"
    method = "andersen_gill"

    @staticmethod
    def fit(d: pd.DataFrame) -> CoxFitter:
        return AndersenGillFitter().fit(
            d,
            "stop",
            "event",
            entry_col="start",
            formula="x + x2",
            cluster_col="id",
            ties="breslow",
        )


class TestPWPTotal(RecurrentCoxReference):
    model = "pwp_total"
    method = "pwp_total"

    @staticmethod
    def fit(d: pd.DataFrame) -> CoxFitter:
        return PWPFitter("total", max_episode=4).fit(
            d, "stop", "event", entry_col="start", formula="x + x2", cluster_col="id"
        )


class TestPWPGap(RecurrentCoxReference):
    """Gap times are differences of times rounded to 0.1: R merges the float near-ties
    (timefix), and so must we."""

    model = "pwp_gap"
    method = "pwp_gap"

    @staticmethod
    def fit(d: pd.DataFrame) -> CoxFitter:
        return PWPFitter("gap", max_episode=4).fit(
            d, "stop", "event", entry_col="start", formula="x + x2", cluster_col="id"
        )


class TestPWPTotalUncapped(RecurrentCoxReference):
    model = "pwp_total_all"
    method = "pwp_total"

    @staticmethod
    def fit(d: pd.DataFrame) -> CoxFitter:
        return PWPFitter("total", max_episode=None).fit(
            d, "stop", "event", entry_col="start", formula="x + x2", cluster_col="id"
        )


class TestReferencesAreLive(LiveReference):
    suite = "mcf"
    data_files = ("recurrent.csv",)
    outputs = tuple(OUTPUTS)

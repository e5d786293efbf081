"""cumulative_incidence and gray_test against R's cmprsk::cuminc (statsmodels style).

The reference suite lives in ``tests/reference/cuminc/``: ``make_data.py`` (seeded data
generator), the data CSVs, ``reference.R`` (the R script) and ``expected/`` (what R
produced, with ``versions.txt``). Each test class compares ours (``res1``) with R's
(``res2``) for one dataset; tolerances are class attributes of the shared base class.
``TestReferencesAreLive`` reruns the R script and the generator, so neither the data nor
the stored values can drift from what the scripts produce.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest

from outcomes.survival import cumulative_incidence, gray_test
from tests.survival.live_reference import LiveReference

REF = Path(__file__).resolve().parents[1] / "reference" / "cuminc"
EXPECTED = REF / "expected"
OVERALL = "(all)"  # group label reference.R uses for the ungrouped fit

# R's timepoints grids run past the follow-up on purpose (NA there, NaN here); the
# warning that such times bring is tested where cohorts are built.
pytestmark = pytest.mark.filterwarnings("ignore::outcomes.errors.FollowUpWarning")


def _read_expected(name: str, directory: Path = EXPECTED) -> pd.DataFrame:
    # round_trip: the values were written with 17 significant digits and must come back
    # as the very doubles R computed (the default parser can be off by an ulp, enough to
    # move a grid time across a tied event time).
    return pd.read_csv(
        directory / name,
        dtype={"group": str, "event": str},
        na_values=["NA"],
        float_precision="round_trip",
    )


def _load(dataset: str) -> pd.DataFrame:
    return pd.read_csv(REF / f"{dataset}.csv", dtype={"group": str}, float_precision="round_trip")


class CumincReference:
    """Shared checks; a subclass names its ``dataset``."""

    dataset: ClassVar[str]
    has_strata: ClassVar[bool] = False
    # Tolerances: the project's for R references (docs/architecture.md).
    rtol_estimate: ClassVar[float] = 1e-6
    atol_estimate: ClassVar[float] = 1e-6
    rtol_variance: ClassVar[float] = 1e-6
    atol_variance: ClassVar[float] = 1e-6
    rtol_stat: ClassVar[float] = 1e-6

    @classmethod
    def setup_class(cls) -> None:
        cls.data = _load(cls.dataset)
        est = _read_expected("cuminc_estimates.csv")
        cls.res2 = est[est["dataset"] == cls.dataset].reset_index(drop=True)
        tp = _read_expected("cuminc_timepoints.csv")
        cls.res2_timepoints = tp[tp["dataset"] == cls.dataset].reset_index(drop=True)
        tests = _read_expected("gray_tests.csv")
        cls.res2_tests = tests[tests["dataset"] == cls.dataset].reset_index(drop=True)
        cls.res1_grouped = cumulative_incidence(
            cls.data, "time", "status", event_of_interest=None, by="group"
        )
        cls.res1_overall = cumulative_incidence(cls.data, "time", "status", event_of_interest=None)

    # -- helpers ------------------------------------------------------------------------
    def _ours_at(self, group: str, event: str, times: np.ndarray) -> pd.DataFrame:
        if group == OVERALL:
            out = self.res1_overall.at(times)
        else:
            out = self.res1_grouped.at(times)
            out = out[out["group"] == group]
        out = out[out["event"].astype(str) == event]
        assert len(out) == len(times), (group, event)
        return out.reset_index(drop=True)

    def _curves(self, frame: pd.DataFrame) -> list[tuple[str, str, pd.DataFrame]]:
        return [(g, e, part) for (g, e), part in frame.groupby(["group", "event"], sort=False)]

    # -- tests ----------------------------------------------------------------------------
    def test_reference_present(self) -> None:
        assert len(self.res2) > 0
        n_groups = self.data["group"].nunique()
        n_causes = self.data.loc[self.data["status"] != 0, "status"].nunique()
        assert self.res2.groupby(["group", "event"]).ngroups == (n_groups + 1) * n_causes

    def test_estimate(self) -> None:
        for group, event, r in self._curves(self.res2):
            ours = self._ours_at(group, event, r["time"].to_numpy())
            np.testing.assert_allclose(
                ours["estimate"],
                r["estimate"],
                rtol=self.rtol_estimate,
                atol=self.atol_estimate,
                err_msg=f"{self.dataset} group={group} event={event}",
            )

    def test_variance(self) -> None:
        for group, event, r in self._curves(self.res2):
            ours = self._ours_at(group, event, r["time"].to_numpy())
            np.testing.assert_allclose(
                ours["variance"],
                r["variance"],
                rtol=self.rtol_variance,
                atol=self.atol_variance,
                err_msg=f"{self.dataset} group={group} event={event}",
            )

    def test_variance_relative(self) -> None:
        # The absolute tolerance above is loose next to variances of order 1e-4; hold the
        # relative error on every non-zero variance to the same 1e-6.
        for group, event, r in self._curves(self.res2):
            ours = self._ours_at(group, event, r["time"].to_numpy())
            nz = r["variance"].to_numpy() > 0
            np.testing.assert_allclose(
                ours["variance"].to_numpy()[nz],
                r["variance"].to_numpy()[nz],
                rtol=self.rtol_variance,
                atol=0,
            )

    def test_jump_times_are_rows(self) -> None:
        # Every time at which R's curve jumps is a row of our table, with events > 0.
        table = self.res1_grouped.table
        for group, event, r in self._curves(self.res2[self.res2["group"] != OVERALL]):
            est = r["estimate"].to_numpy()
            jumps = r["time"].to_numpy()[np.diff(est, prepend=0.0) > 0]
            ours = table[(table["group"] == group) & (table["event"].astype(str) == event)]
            ours_jumps = ours.loc[ours["events"] > 0, "time"].to_numpy()
            np.testing.assert_array_equal(ours_jumps, jumps)

    def test_timepoints(self) -> None:
        # cmprsk::timepoints on a grid that runs past the last follow-up (NA there).
        for group, event, r in self._curves(self.res2_timepoints):
            ours = self._ours_at(group, event, r["time"].to_numpy())
            for col, rtol in (("estimate", self.rtol_estimate), ("variance", self.rtol_variance)):
                np.testing.assert_array_equal(ours[col].isna(), r[col].isna())
                np.testing.assert_allclose(
                    ours[col].to_numpy(), r[col].to_numpy(), rtol=rtol, atol=1e-12
                )

    def test_times_argument_matches_at(self) -> None:
        grid = np.unique(self.res2_timepoints["time"].to_numpy())
        res = cumulative_incidence(
            self.data, "time", "status", event_of_interest=None, by="group", times=grid
        )
        pd.testing.assert_frame_equal(res.table, self.res1_grouped.at(grid))

    def test_gray(self) -> None:
        for (rho, strata), r in self.res2_tests.groupby(["rho", "strata"]):
            res1 = gray_test(
                self.data,
                "time",
                "status",
                by="group",
                event_of_interest=None,
                strata="strata" if strata else None,
                rho=rho,
            )
            assert res1["event"].astype(str).tolist() == r["event"].tolist()
            np.testing.assert_allclose(res1["statistic"], r["stat"], rtol=self.rtol_stat)
            np.testing.assert_array_equal(res1["df"], r["df"])
            # R computes 1 - pchisq(); we use the survival function, which keeps its
            # precision for tiny p-values, so compare on the absolute scale.
            np.testing.assert_allclose(res1["p_value"], r["pv"], rtol=1e-6, atol=1e-12)

    def test_gray_strata_covered(self) -> None:
        assert self.res2_tests["strata"].any() == self.has_strata


class TestTiesSmall(CumincReference):
    dataset = "ties_small"


class TestTiesLarge(CumincReference):
    dataset = "ties_large"
    has_strata = True


class TestContinuous(CumincReference):
    dataset = "continuous"


class TestSingleCause(CumincReference):
    dataset = "single_cause"


class TestEdge(CumincReference):
    dataset = "edge"

    def test_edge_cases_present(self) -> None:
        d = self.data
        assert ((d["time"] == 0) & (d["status"] == 1)).any()  # event at time 0
        p = d[d["group"] == "p"]
        last = p[p["time"] == p["time"].max()]
        assert (last["status"] == 1).all() and len(last) > 1  # survival drops to 0
        assert not ((d["group"] == "q") & (d["status"] == 2)).any()
        r = d[d["group"] == "r"]
        last = r[r["time"] == r["time"].max()]
        assert sorted(last["status"]) == [1, 2]


class TestReferencesAreLive(LiveReference):
    suite = "cuminc"
    data_files = tuple(sorted(p.name for p in REF.glob("*.csv")))
    outputs = ("cuminc_estimates.csv", "cuminc_timepoints.csv", "gray_tests.csv")
    r_packages = "cmprsk"
    rtol_outputs = 1e-12

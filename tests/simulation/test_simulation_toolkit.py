"""The framework running the toolkit: synthetic worlds analysed with the crude
Aalen-Johansen comparison; a Dask run on its own LocalCluster; the plots.
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import synthetic
from outcomes.cohort import build_cohort
from outcomes.simulation import (
    SimulationStudy,
    coverage_plot,
    nested_loop_plot,
    performance,
    zip_plot,
)
from outcomes.study.estimates import risk_contrasts
from outcomes.survival import cumulative_incidence

HORIZON = 2.0  # years


def world(params: dict[str, Any], rng: np.random.Generator) -> tuple[pd.DataFrame, Any]:
    """A synthetic world's child-return cohort, and the world's true risks."""
    w = synthetic.generate(
        "default",
        n_applications=params["n_applications"],
        seed=int(rng.integers(2**32)),
        faults=False,
    )
    cohort = build_cohort(w.dataset, outcome="child_return").data
    truth = {
        "risk_difference": w.truth.value("risk_difference", HORIZON),
        "risk_exposed": w.truth.value("cif", HORIZON, "short"),
        "risk_unexposed": w.truth.value("cif", HORIZON, "long"),
    }
    return cohort[["time", "event", "short_duration"]], truth


def crude(data: pd.DataFrame, params: dict[str, Any]) -> list[dict[str, object]]:
    """Crude Aalen-Johansen risks of return at 2 years, short vs long proceedings."""
    at = cumulative_incidence(
        data, "time", "event", event_of_interest=1, by="short_duration", times=HORIZON
    ).table.set_index("group")
    rows = risk_contrasts(
        "crude",
        "short vs long",
        HORIZON,
        float(at.loc[True, "estimate"]),
        float(at.loc[False, "estimate"]),
        float(at.loc[True, "variance"]),
        float(at.loc[False, "variance"]),
        0.05,
    )
    return [{k: v for k, v in r.items() if k != "method"} for r in rows]


def test_a_study_of_synthetic_worlds_with_the_crude_comparison() -> None:
    sim = SimulationStudy(
        world, {"crude": crude}, n_reps=4, seed=5, design={"n_applications": [300, 600]}
    )
    res = sim.run(chunk_size=3, progress=False)
    assert res["error"].isna().all(), res["error"].dropna().tolist()
    assert len(res) == 2 * 4 * 4  # four estimand rows per world
    rd = res[res["estimand"] == "risk_difference"]
    assert np.isfinite(rd[["estimate", "std_error", "ci_lower", "ci_upper", "p_value"]]).all(
        axis=None
    )
    assert (rd["std_error"] > 0).all() and (rd["ci_lower"] < rd["ci_upper"]).all()
    # each world carries its own truth; the risk ratio has none given, so NaN
    assert rd["truth"].nunique() > 1
    assert res.loc[res["estimand"] == "risk_ratio", "truth"].isna().all()
    # larger worlds, smaller standard errors
    mean_se = rd.groupby("n_applications")["std_error"].mean()
    assert mean_se[600] < mean_se[300]
    perf = performance(res[res["estimand"] != "risk_ratio"])
    assert set(perf["estimand"]) == {"risk_difference", "risk_exposed", "risk_unexposed"}
    n_sim = perf.loc[perf["measure"] == "n_sim", "estimate"]
    assert (n_sim == 4).all()


def draw(params: dict[str, Any], rng: np.random.Generator) -> tuple[np.ndarray, float]:
    return rng.normal(params["mu"], 1.0, 30), float(params["mu"])


def mean_method(x: np.ndarray, params: dict[str, Any]) -> dict[str, float]:
    se = float(x.std(ddof=1) / np.sqrt(len(x)))
    est = float(x.mean())
    return {
        "estimate": est,
        "std_error": se,
        "ci_lower": est - 1.96 * se,
        "ci_upper": est + 1.96 * se,
    }


@pytest.mark.slow  # starting two worker processes that import the toolkit: ~10-40 s
def test_dask_on_its_own_local_cluster_matches_serial() -> None:
    sim = SimulationStudy(draw, {"mean": mean_method}, n_reps=20, seed=3, design={"mu": [0, 1]})
    serial = sim.run(chunk_size=8, progress=False)
    dask = sim.run("dask", n_workers=2, chunk_size=8, progress=False)
    pd.testing.assert_frame_equal(dask, serial, check_exact=True)


@pytest.fixture
def toy_results() -> pd.DataFrame:
    sim = SimulationStudy(
        draw,
        {"mean": mean_method, "shrunk": lambda x, p: {**mean_method(x * 0.8, p)}},
        n_reps=50,
        seed=8,
        design={"mu": [0.0, 0.5], "scale": [1, 2]},
    )
    return sim.run(progress=False)


def test_plots_draw_on_the_given_axes(toy_results: pd.DataFrame) -> None:
    fig, axes = plt.subplots(1, 3)
    try:
        one = toy_results[(toy_results["method"] == "mean") & (toy_results["mu"] == 0.5)]
        assert zip_plot(one, ax=axes[0]) is axes[0]
        # one line per interval, plus the truth and the nominal line
        assert len(axes[0].lines) == len(one) + 2
        perf = performance(toy_results)
        assert nested_loop_plot(perf, "bias", ["mu", "scale"], ax=axes[1]) is axes[1]
        # two methods, then one line per design column
        assert len(axes[1].lines) == 2 + 2
        assert coverage_plot(perf, label=["method", "mu", "scale"], ax=axes[2]) is axes[2]
        assert len(axes[2].get_yticklabels()) == 8
    finally:
        plt.close(fig)

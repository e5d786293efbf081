"""Recurrent events: the vectorised MCF variances against a dense computation, input
checks, and the Andersen-Gill / PWP wrappers on their own and on a synthetic cohort.

The R comparisons are in ``test_recurrent_reference.py``.
"""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import synthetic
from outcomes.cohort import build_cohort
from outcomes.errors import OutcomesError, SchemaError, ValidationError
from outcomes.survival import (
    AndersenGillFitter,
    CoxFitter,
    MeanCumulativeFunction,
    PWPFitter,
    mean_cumulative_function,
)
from outcomes.survival.recurrent import merge_near_ties


def simulate(seed: int, n: int = 120, gaps: bool = False) -> pd.DataFrame:
    """Recurrent events on integer days (ties), terminal events, optional gaps in
    observation and delayed entry."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        end = int(rng.integers(20, 100))
        ev = np.unique(rng.integers(1, end, size=rng.poisson(end / 25)))
        stops = [*ev.tolist(), end]
        start = int(rng.integers(0, 10)) if gaps else 0
        for k, stop in enumerate(stops):
            if stop <= start:
                continue
            last = k == len(stops) - 1
            rows.append(
                {
                    "id": f"s{i}",
                    "start": start,
                    "stop": stop,
                    "event": int(not last),
                    "terminal": int(last and rng.uniform() < 0.3),
                    "x": i % 2,
                }
            )
            # With gaps, a subject is sometimes out of observation after an event.
            start = stop + (int(rng.integers(1, 4)) if gaps and rng.uniform() < 0.3 else 0)
    return pd.DataFrame(rows)


def dense_mcf(df: pd.DataFrame, terminal: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Subject-by-time influence matrices, straight from the formulas (small data only)."""
    term = df["terminal"] if terminal else 0 * df["event"]
    grid = np.unique(df.loc[(df["event"] == 1) | (term == 1), "stop"]).astype(float)
    ids = {v: i for i, v in enumerate(pd.unique(df["id"]))}
    Yi = np.zeros((len(ids), grid.size))
    dN, dD = np.zeros_like(Yi), np.zeros_like(Yi)
    for sid, a, b, e, t in zip(df["id"], df["start"], df["stop"], df["event"], term, strict=True):
        i = ids[sid]
        Yi[i] += (grid > a) & (grid <= b)
        dN[i] += (grid == b) * e
        dD[i] += (grid == b) * t
    Y = Yi.sum(axis=0)
    dR, dL = dN.sum(axis=0) / Y, dD.sum(axis=0) / Y
    M, MD = dN - Yi * dR, dD - Yi * dL
    S = np.cumprod(1 - dD.sum(axis=0) / Y)
    Sb = np.r_[1.0, S[:-1]]
    mu = np.cumsum(Sb * dR)
    psi = (
        np.cumsum(Sb * M / Y, axis=1)
        - mu * np.cumsum(MD / Y, axis=1)
        + np.cumsum(mu * MD / Y, axis=1)
    )
    return grid, mu, np.sqrt((psi**2).sum(axis=0))


@pytest.mark.parametrize("gaps", [False, True])
@pytest.mark.parametrize("terminal", [False, True])
def test_vectorised_variance_matches_dense(gaps: bool, terminal: bool) -> None:
    df = simulate(1, gaps=gaps)
    res = mean_cumulative_function(
        df,
        "stop",
        "event",
        entry_col="start",
        cluster_col="id",
        terminal_col="terminal" if terminal else None,
    )
    grid, mu, se = dense_mcf(df, terminal)
    np.testing.assert_array_equal(res.table["time"], grid)
    np.testing.assert_allclose(res.table["estimate"], mu, rtol=1e-12)
    np.testing.assert_allclose(res.table["std_error"], se, rtol=1e-10)


def test_ghosh_lin_without_terminal_events_is_nelson_aalen() -> None:
    df = simulate(2).assign(terminal=0)
    gl = mean_cumulative_function(
        df, "stop", "event", entry_col="start", cluster_col="id", terminal_col="terminal"
    ).table
    na = mean_cumulative_function(df, "stop", "event", entry_col="start", cluster_col="id").table
    np.testing.assert_allclose(gl["estimate"], na["estimate"], rtol=1e-14)
    np.testing.assert_allclose(gl["std_error"], na["std_error"], rtol=1e-12)
    assert set(gl["method"]) == {"ghosh_lin"} and set(na["method"]) == {"nelson_aalen"}


def test_row_order_does_not_matter() -> None:
    df = simulate(3)
    shuffled = df.sample(frac=1.0, random_state=0)
    a = mean_cumulative_function(
        df, "stop", "event", entry_col="start", cluster_col="id", terminal_col="terminal"
    ).table
    b = mean_cumulative_function(
        shuffled, "stop", "event", entry_col="start", cluster_col="id", terminal_col="terminal"
    ).table
    pd.testing.assert_frame_equal(a, b)


def test_layout_and_confidence_limits() -> None:
    res = mean_cumulative_function(
        simulate(4), "stop", "event", entry_col="start", cluster_col="id", alpha=0.1
    )
    t = res.table
    assert list(t.columns[:6]) == [
        "group",
        "time",
        "estimate",
        "std_error",
        "ci_lower",
        "ci_upper",
    ]
    assert t.attrs == {"alpha": 0.1, "conf_type": "log"}
    assert (t["ci_lower"] <= t["estimate"]).all() and (t["estimate"] <= t["ci_upper"]).all()
    # Log-scale limits: estimate is the geometric mean of the limits.
    np.testing.assert_allclose(np.sqrt(t["ci_lower"] * t["ci_upper"]), t["estimate"])
    assert isinstance(res, MeanCumulativeFunction) and len(res) == len(t)


def test_times_reads_the_step_function() -> None:
    df = simulate(5)
    full = mean_cumulative_function(
        df, "stop", "event", entry_col="start", cluster_col="id", terminal_col="terminal"
    ).table
    t1, t2 = full["time"].iloc[3], full["time"].iloc[10]
    at = mean_cumulative_function(
        df,
        "stop",
        "event",
        entry_col="start",
        cluster_col="id",
        terminal_col="terminal",
        times=[0.5, t1, t2 + 0.5, 1e6],
    ).table
    np.testing.assert_array_equal(at["estimate"].iloc[0], 0.0)
    assert at["std_error"].iloc[0] == 0.0 and at["ci_upper"].iloc[0] == 0.0
    np.testing.assert_allclose(at["estimate"].iloc[1:3], full["estimate"].to_numpy()[[3, 10]])
    np.testing.assert_allclose(at["std_error"].iloc[1:3], full["std_error"].to_numpy()[[3, 10]])
    assert at["events"].iloc[1] == full["events"].iloc[3] and at["events"].iloc[2] == 0
    assert at["at_risk"].iloc[1] == full["at_risk"].iloc[3]
    assert np.isnan(at["estimate"].iloc[3])


def test_by_group_matches_subsets_and_plots() -> None:
    df = simulate(6)
    res = mean_cumulative_function(
        df, "stop", "event", entry_col="start", cluster_col="id", by="x"
    )
    assert set(res.table["group"]) == {0, 1}
    one = mean_cumulative_function(
        df[df["x"] == 1], "stop", "event", entry_col="start", cluster_col="id"
    ).table
    np.testing.assert_allclose(res.table.loc[res.table["group"] == 1, "estimate"], one["estimate"])
    fig, ax = plt.subplots()
    assert res.plot(ax=ax) is ax
    assert len(ax.get_lines()) == 2 and ax.get_legend() is not None
    plt.close(fig)
    ax2 = mean_cumulative_function(df, "stop", "event", entry_col="start", cluster_col="id").plot(
        color="k"
    )
    assert len(ax2.get_lines()) == 1
    plt.close("all")


def test_overlapping_intervals_are_rejected() -> None:
    df = simulate(7)
    bad = pd.concat([df, df.iloc[[0]].assign(stop=df["stop"].iloc[0] + 1)], ignore_index=True)
    with pytest.raises(ValidationError, match="overlap") as err:
        mean_cumulative_function(bad, "stop", "event", entry_col="start", cluster_col="id")
    # The appended row, and the subject's second row that it now overlaps.
    assert set(err.value.quarantine["row"]) == {len(df), 1}


def test_terminal_before_the_last_interval_is_rejected() -> None:
    df = simulate(8)
    first_of_multi = df.index[df["id"].duplicated(keep=False)][0]
    df.loc[first_of_multi, "terminal"] = 1
    with pytest.raises(ValidationError, match="terminal event before"):
        mean_cumulative_function(
            df, "stop", "event", entry_col="start", cluster_col="id", terminal_col="terminal"
        )


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"event": 2}, ValidationError),
        ({"start": 1000}, ValidationError),
        ({"stop": np.nan}, ValidationError),
    ],
)
def test_bad_rows_are_rejected(change: dict[str, float], error: type[Exception]) -> None:
    df = simulate(9)
    col, value = next(iter(change.items()))
    df.loc[3, col] = value
    with pytest.raises(error):
        mean_cumulative_function(df, "stop", "event", entry_col="start", cluster_col="id")


def test_missing_column() -> None:
    with pytest.raises(SchemaError, match="terminal"):
        mean_cumulative_function(
            simulate(9).drop(columns="terminal"),
            "stop",
            "event",
            entry_col="start",
            cluster_col="id",
            terminal_col="terminal",
        )


def test_merge_near_ties() -> None:
    t = np.array([0.3 - 0.1, 0.2, 0.5, 0.7 - 0.2, 1.0])
    merged = merge_near_ties(t)
    assert merged[0] == merged[1] and merged[2] == merged[3]
    assert np.unique(merged).size == 3
    exact = np.array([1.0, 2.0, 3.0])
    assert merge_near_ties(exact) is exact


def test_pwp_is_a_stratified_cox_on_the_rearranged_rows() -> None:
    df = simulate(10)
    df["episode"] = df.groupby("id").cumcount() + 1
    pwp = PWPFitter("gap", max_episode=2).fit(
        df, "stop", "event", entry_col="start", formula="x", cluster_col="id"
    )
    by_hand = df.assign(gap=df["stop"] - df["start"], ep=df["episode"].clip(upper=2))
    cox = CoxFitter().fit(by_hand, "gap", "event", strata="ep", cluster_col="id", formula="x")
    np.testing.assert_allclose(pwp.params_, cox.params_, rtol=1e-10)
    np.testing.assert_allclose(pwp.standard_errors_, cox.standard_errors_, rtol=1e-10)
    assert list(pwp.baseline_cumulative_hazard_.columns) == [1, 2]
    assert "episode_stratum" not in df.columns  # the caller's frame is left alone


def test_pwp_argument_errors() -> None:
    df = simulate(11)
    df["episode"] = df.groupby("id").cumcount() + 1
    args: dict[str, Any] = {"entry_col": "start", "formula": "x", "cluster_col": "id"}
    with pytest.raises(OutcomesError, match="timescale"):
        PWPFitter("calendar").fit(df, "stop", "event", **args)
    with pytest.raises(OutcomesError, match="max_episode"):
        PWPFitter(max_episode=0).fit(df, "stop", "event", **args)
    with pytest.raises(SchemaError, match="gap_time"):
        PWPFitter().fit(df.assign(gap_time=1.0), "stop", "event", **args)
    with pytest.raises(ValidationError, match="episode"):
        PWPFitter().fit(df.assign(episode=0), "stop", "event", **args)
    with pytest.raises(OutcomesError, match="entry_col"):
        PWPFitter().fit(df, "stop", "event", formula="x", cluster_col="id")
    with pytest.raises(OutcomesError, match="cluster_col"):
        AndersenGillFitter().fit(df, "stop", "event", entry_col="start", formula="x")


def test_on_a_synthetic_cohort() -> None:
    world = synthetic.generate("default", n_applications=3000, seed=11, faults=False)
    long = build_cohort(world.dataset, outcome="child_return").recurrent()
    assert long["terminal"].sum() > 0
    gl = mean_cumulative_function(
        long,
        "stop",
        "event",
        entry_col="start",
        cluster_col="child_id",
        terminal_col="terminal",
        times=[1, 5],
    )
    na = mean_cumulative_function(
        long, "stop", "event", entry_col="start", cluster_col="child_id", times=[1, 5]
    )
    assert (gl.table["estimate"] <= na.table["estimate"]).all()
    assert (gl.table["std_error"] > 0).all()
    args: dict[str, Any] = {
        "entry_col": "start",
        "formula": "duration_weeks",
        "cluster_col": "child_id",
    }
    ag = AndersenGillFitter().fit(long, "stop", "event", **args)
    pwp = PWPFitter("total").fit(long, "stop", "event", **args)
    for fit in (ag, pwp):
        assert np.isfinite(fit.standard_errors_).all() and fit.converged_


def test_group_without_events() -> None:
    df = pd.DataFrame(
        {
            "id": [1, 1, 2, 3],
            "start": [0, 2, 0, 0],
            "stop": [2, 5, 4, 3],
            "event": [1, 0, 0, 0],
            "g": ["a", "a", "a", "b"],
        }
    )
    assert set(
        mean_cumulative_function(
            df, "stop", "event", entry_col="start", cluster_col="id", by="g"
        ).table["group"]
    ) == {"a"}
    at = mean_cumulative_function(
        df, "stop", "event", entry_col="start", cluster_col="id", by="g", times=[2, 4]
    ).table
    b = at[at["group"] == "b"]
    assert b["estimate"].iloc[0] == 0.0 and np.isnan(b["estimate"].iloc[1])
    # One event among two at risk: 1/2, Lawless-Nadeau variance (1/2)^2/4 + (1/2)^2/4.
    a = at[at["group"] == "a"]
    np.testing.assert_allclose(a["estimate"], [0.5, 0.5])
    np.testing.assert_allclose(a["std_error"], [np.sqrt(0.125)] * 2)

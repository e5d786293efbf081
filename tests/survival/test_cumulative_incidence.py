"""Unit tests of outcomes.survival.cumulative_incidence (R comparisons live in
test_cumulative_incidence_reference.py)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from lifelines import AalenJohansenFitter, KaplanMeierFitter

from outcomes.errors import FollowUpWarning, OutcomesError, SchemaError, ValidationError
from outcomes.survival import CumulativeIncidence, cumulative_incidence

REF = Path(__file__).resolve().parents[1] / "reference" / "cuminc"


def _competing_data(n: int, seed: int, ties: bool = True) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t1 = rng.exponential(8.0, n)
    t2 = rng.exponential(12.0, n)
    c = rng.exponential(15.0, n)
    time_ = np.minimum.reduce([t1, t2, c])
    status = np.select([time_ == t1, time_ == t2], [1, 2], 0)
    if ties:
        time_ = np.ceil(time_)
    return pd.DataFrame(
        {"time": time_, "status": status, "arm": rng.choice(["a", "b"], n), "w": 1.0}
    )


@pytest.fixture(scope="module")
def tied() -> pd.DataFrame:
    return _competing_data(500, seed=11)


# -- hand-computed example -------------------------------------------------------------------
def test_hand_computed_with_ties() -> None:
    # t: 1(e1) 2(e2) 2(e1) 2(cens) 3(e1) 4(cens)
    # n: 6 at t=1; 5 at t=2 (the censoring at 2 is at risk); 2 at t=3.
    df = pd.DataFrame({"t": [1, 2, 2, 2, 3, 4], "e": [1, 2, 1, 0, 1, 0]})
    res = cumulative_incidence(df, "t", "e")
    tab = res.table
    s1 = 5 / 6
    s2 = s1 * 3 / 5
    expected = [1 / 6, 1 / 6 + s1 * 1 / 5, 1 / 6 + s1 / 5 + s2 * 1 / 2]
    np.testing.assert_allclose(tab["estimate"], expected, rtol=1e-14)
    np.testing.assert_array_equal(tab["time"], [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(tab["at_risk"], [6.0, 5.0, 2.0])
    np.testing.assert_array_equal(tab["events"], [1.0, 1.0, 1.0])
    assert tab.attrs == {"alpha": 0.05, "variance": "cuminc", "conf_type": "log-log"}
    assert list(tab.columns) == [
        "event",
        "time",
        "estimate",
        "variance",
        "std_error",
        "ci_lower",
        "ci_upper",
        "at_risk",
        "events",
    ]


def test_single_cause_is_km_complement() -> None:
    df = _competing_data(400, seed=3)
    df["status"] = (df["status"] > 0).astype(int)
    res = cumulative_incidence(df, "time", "status")
    km = KaplanMeierFitter().fit(df["time"], df["status"])
    surv = km.survival_function_.iloc[:, 0].reindex(res.table["time"]).to_numpy()
    np.testing.assert_allclose(res.table["estimate"], 1.0 - surv, rtol=1e-12, atol=1e-14)


def test_no_ties_agrees_with_lifelines_estimate_and_delta_variance() -> None:
    df = _competing_data(300, seed=5, ties=False)
    assert not df["time"].duplicated().any()
    aj = AalenJohansenFitter(calculate_variance=True).fit(
        df["time"], df["status"], event_of_interest=1
    )
    for variance in ("cuminc", "delta"):
        tab = cumulative_incidence(
            df, "time", "status", event_of_interest=1, variance=variance
        ).table
        theirs = aj.cumulative_density_.iloc[:, 0].reindex(tab["time"]).to_numpy()
        np.testing.assert_allclose(tab["estimate"], theirs, rtol=1e-12, atol=1e-15)
    # lifelines' variance is the delta-method one; it is NaN where n_j = d_j.
    lv = aj.variance_.reindex(tab["time"]).to_numpy()
    ok = np.isfinite(lv)
    assert ok.sum() >= len(lv) - 1
    np.testing.assert_allclose(tab["variance"].to_numpy()[ok], lv[ok], rtol=1e-9, atol=1e-15)
    # The log(-log) interval is the same construction (lifelines mislabels the bounds).
    ci = aj.confidence_interval_.reindex(tab["time"]).to_numpy()
    fine = ok & (tab["estimate"].to_numpy() > 0)
    np.testing.assert_allclose(np.sort(ci[fine], axis=1)[:, 0], tab["ci_lower"][fine], rtol=1e-9)
    np.testing.assert_allclose(np.sort(ci[fine], axis=1)[:, 1], tab["ci_upper"][fine], rtol=1e-9)


def test_variances_differ_but_are_close(tied: pd.DataFrame) -> None:
    a = cumulative_incidence(tied, "time", "status", variance="cuminc").table
    b = cumulative_incidence(tied, "time", "status", variance="delta").table
    np.testing.assert_array_equal(a["estimate"], b["estimate"])
    assert not np.allclose(a["variance"], b["variance"], rtol=1e-8, atol=0)
    # They part company only in the sparse tail (a handful at risk).
    body = a["at_risk"] >= 20
    np.testing.assert_allclose(a["variance"][body], b["variance"][body], rtol=0.1, atol=1e-6)


# -- structure ------------------------------------------------------------------------------
def test_by_equals_separate_fits(tied: pd.DataFrame) -> None:
    res = cumulative_incidence(tied, "time", "status", event_of_interest=[1, 2], by="arm")
    assert res.table["group"].unique().tolist() == ["a", "b"]
    for arm in ("a", "b"):
        alone = cumulative_incidence(
            tied[tied["arm"] == arm], "time", "status", event_of_interest=[1, 2]
        ).table
        part = res.table[res.table["group"] == arm].drop(columns="group")
        pd.testing.assert_frame_equal(part.reset_index(drop=True), alone)


def test_all_causes_and_row_order_invariance(tied: pd.DataFrame) -> None:
    res = cumulative_incidence(tied, "time", "status", event_of_interest=None)
    assert res.table["event"].unique().tolist() == [1, 2]
    shuffled = tied.sample(frac=1.0, random_state=np.random.RandomState(0))
    res2 = cumulative_incidence(shuffled, "time", "status", event_of_interest=None)
    pd.testing.assert_frame_equal(res.table, res2.table, rtol=1e-13)


def test_causes_sum_with_survival_to_one(tied: pd.DataFrame) -> None:
    tab = cumulative_incidence(tied, "time", "status", event_of_interest=None).table
    wide = tab.pivot(index="time", columns="event", values="estimate")
    km = KaplanMeierFitter().fit(tied["time"], tied["status"] > 0)
    surv = km.survival_function_.iloc[:, 0].reindex(wide.index).to_numpy()
    np.testing.assert_allclose(wide[1] + wide[2] + surv, 1.0, rtol=1e-12)


def test_string_causes_and_censor_code() -> None:
    df = pd.DataFrame({"t": [1, 2, 3, 4], "e": ["return", "none", "adopted", "return"]})
    res = cumulative_incidence(df, "t", "e", event_of_interest="return", censor_code="none")
    np.testing.assert_allclose(res.table["estimate"], [0.25, 0.25, 0.25 + 0.75 * 0.5 * 1.0])
    assert set(res.table["event"]) == {"return"}


def test_weights_as_frequencies_match_replicated_rows(tied: pd.DataFrame) -> None:
    rng = np.random.default_rng(8)
    w = rng.integers(1, 4, len(tied))
    weighted = tied.assign(w=w.astype(float))
    replicated = tied.loc[tied.index.repeat(w)].reset_index(drop=True)
    for variance in ("cuminc", "delta"):
        a = cumulative_incidence(weighted, "time", "status", weights_col="w", variance=variance)
        b = cumulative_incidence(replicated, "time", "status", variance=variance)
        pd.testing.assert_frame_equal(a.table, b.table, rtol=1e-12)


def test_zero_weight_rows_drop_out(tied: pd.DataFrame) -> None:
    w = np.where(np.arange(len(tied)) % 3 == 0, 0.0, 1.0)
    a = cumulative_incidence(tied.assign(w=w), "time", "status", weights_col="w").table
    b = cumulative_incidence(tied[w > 0], "time", "status").table
    # Times where only zero-weight rows had events appear with events == 0; drop them.
    a = a[a["time"].isin(b["time"])].reset_index(drop=True)
    np.testing.assert_allclose(a["estimate"], b["estimate"], rtol=1e-12)
    np.testing.assert_allclose(a["variance"], b["variance"], rtol=1e-10)


# -- times / at -----------------------------------------------------------------------------
def test_at_is_a_right_continuous_step_lookup(tied: pd.DataFrame) -> None:
    res = cumulative_incidence(tied, "time", "status")
    tab = res.table
    t3 = tab["time"].iloc[3]
    with pytest.warns(FollowUpWarning, match="beyond the last follow-up"):
        out = res.at([-1.0, 0.0, t3, t3 + 0.5, tied["time"].max(), tied["time"].max() + 1])
    np.testing.assert_array_equal(out["estimate"].iloc[:2], [0.0, 0.0])
    assert out["estimate"].iloc[2] == tab["estimate"].iloc[3]
    assert out["estimate"].iloc[3] == tab["estimate"].iloc[3]
    assert out["estimate"].iloc[4] == tab["estimate"].iloc[-1]
    assert np.isnan(out["estimate"].iloc[5]) and np.isnan(out["ci_upper"].iloc[5])
    np.testing.assert_array_equal(
        out["at_risk"], [500, 500, (tied["time"] >= t3).sum(), (tied["time"] > t3).sum(),
                         (tied["time"] == tied["time"].max()).sum(), 0]
    )  # fmt: skip


def test_times_argument(tied: pd.DataFrame) -> None:
    res = cumulative_incidence(tied, "time", "status", times=[10, 5, 2])
    np.testing.assert_array_equal(res.table["time"], [2.0, 5.0, 10.0])
    pd.testing.assert_frame_equal(res.table, res.at([2, 5, 10]))
    with pytest.raises(ValueError, match="NaN"):
        res.at([1.0, np.nan])


# -- confidence intervals -------------------------------------------------------------------
@pytest.mark.parametrize("conf_type", ["log-log", "logit", "plain"])
def test_ci_brackets_estimate_and_stays_in_unit_interval(
    tied: pd.DataFrame, conf_type: str
) -> None:
    tab = cumulative_incidence(tied, "time", "status", conf_type=conf_type, alpha=0.1).table
    assert tab.attrs["alpha"] == 0.1
    assert (tab["ci_lower"] <= tab["estimate"]).all()
    assert (tab["estimate"] <= tab["ci_upper"]).all()
    assert (tab["ci_lower"] >= 0).all() and (tab["ci_upper"] <= 1).all()
    inner = tab["estimate"].between(0.05, 0.95)
    assert (tab.loc[inner, "ci_upper"] > tab.loc[inner, "ci_lower"]).all()
    np.testing.assert_allclose(tab["std_error"] ** 2, tab["variance"], rtol=1e-12)


def test_log_log_ci_formula(tied: pd.DataFrame) -> None:
    tab = cumulative_incidence(tied, "time", "status", alpha=0.05).table
    row = tab.iloc[len(tab) // 2]
    f, se = row["estimate"], row["std_error"]
    g, se_g = np.log(-np.log(f)), se / abs(f * np.log(f))
    z = 1.959963984540054
    assert row["ci_lower"] == pytest.approx(np.exp(-np.exp(g + z * se_g)), rel=1e-12)
    assert row["ci_upper"] == pytest.approx(np.exp(-np.exp(g - z * se_g)), rel=1e-12)


def test_wider_interval_for_smaller_alpha(tied: pd.DataFrame) -> None:
    a = cumulative_incidence(tied, "time", "status", alpha=0.01).table
    b = cumulative_incidence(tied, "time", "status", alpha=0.2).table
    inner = a["estimate"].between(0.05, 0.95)
    assert ((a["ci_upper"] - a["ci_lower"])[inner] > (b["ci_upper"] - b["ci_lower"])[inner]).all()


# -- validation -----------------------------------------------------------------------------
def test_missing_column_is_schema_error(tied: pd.DataFrame) -> None:
    with pytest.raises(SchemaError, match="'nope'") as err:
        cumulative_incidence(tied, "time", "status", by="nope")
    assert err.value.column == "nope"
    assert isinstance(err.value, OutcomesError)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"time": [1.0, -1.0, 2.0]}, r"time: must be >= 0 \(rows 1\)"),
        ({"time": [1.0, np.nan, 2.0]}, "finite"),
        ({"status": [1.0, np.nan, 0.0]}, "missing"),
        ({"w": [1.0, -2.0, 1.0]}, r"w: must be finite and >= 0 \(rows 1\)"),
        ({"arm": ["a", None, "b"]}, r"arm: has missing values \(rows 1\)"),
    ],
)
def test_bad_values_name_rows(change: dict[str, list[object]], message: str) -> None:
    df = pd.DataFrame({"time": [1.0, 2.0, 3.0], "status": [1, 2, 0], "w": 1.0, "arm": "a"})
    df = df.assign(**change)
    with pytest.raises(ValidationError, match=message) as err:
        cumulative_incidence(df, "time", "status", weights_col="w", by="arm")
    assert err.value.quarantine["row"].tolist() == [1]


def test_bad_arguments(tied: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="does not occur"):
        cumulative_incidence(tied, "time", "status", event_of_interest=7)
    with pytest.raises(ValueError, match="variance"):
        cumulative_incidence(tied, "time", "status", variance="greenwood")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="conf_type"):
        cumulative_incidence(tied, "time", "status", conf_type="log")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="alpha"):
        cumulative_incidence(tied, "time", "status", alpha=1.5)
    with pytest.raises(ValueError, match="no rows"):
        cumulative_incidence(tied.iloc[:0], "time", "status")
    with pytest.raises(OutcomesError, match="DataFrame"):
        cumulative_incidence(tied.to_dict(), "time", "status")  # type: ignore[arg-type]


def test_group_without_events() -> None:
    df = pd.DataFrame({"t": [1, 2, 3, 4], "e": [1, 0, 0, 0], "g": ["x", "x", "y", "y"]})
    # Group x is followed to t = 2 only: 3.5 is past its follow-up (NaN, and a warning).
    with pytest.warns(FollowUpWarning, match="3.5"):
        res = cumulative_incidence(df, "t", "e", by="g", times=[0.5, 3.5])
    assert np.isnan(res.table.loc[res.table["group"] == "x", "estimate"].iloc[1])
    y = res.table[res.table["group"] == "y"]
    np.testing.assert_array_equal(y["estimate"], [0.0, 0.0])
    np.testing.assert_array_equal(y["at_risk"], [2.0, 1.0])
    ax = res.plot()
    assert len(ax.get_lines()) == 2
    plt.close(ax.figure)


# -- presentation ---------------------------------------------------------------------------
def test_plot_draws_steps_and_bands(tied: pd.DataFrame) -> None:
    res = cumulative_incidence(tied, "time", "status", event_of_interest=[1, 2], by="arm")
    fig, ax = plt.subplots()
    out = res.plot(ax=ax)
    assert out is ax
    assert len(ax.get_lines()) == 4
    assert len(ax.collections) == 4  # one CI band per curve
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0] == "arm=a, event 1"
    line = ax.get_lines()[0].get_ydata()
    assert line[0] == 0.0 and np.all(np.diff(line) >= 0)
    plt.close(fig)


def test_result_is_easy_to_use(tied: pd.DataFrame) -> None:
    res = cumulative_incidence(tied, "time", "status")
    assert isinstance(res, CumulativeIncidence)
    assert len(res) == len(res.table)
    pd.testing.assert_series_equal(res["estimate"], res.table["estimate"])
    assert "CumulativeIncidence(variance='cuminc'" in repr(res)
    assert "<table" in res._repr_html_()
    copy = res.to_frame()
    copy.loc[0, "estimate"] = -1
    assert res.table.loc[0, "estimate"] != -1


# -- scale ----------------------------------------------------------------------------------
@pytest.mark.slow
def test_one_million_rows_with_variance() -> None:
    # Speed is measured in benchmarks/bench_aalen_johansen.py; here, that a million rows
    # give the right answer. Times are exponential (rate 0.2) and the status independent
    # of them, so the cause-specific hazards are 0.08 and 0.06 (censoring takes the
    # rest) and F_1(t) = 0.08 / 0.14 * (1 - exp(-0.14 t)).
    rng = np.random.default_rng(2026)
    n = 1_000_000
    df = pd.DataFrame(
        {"time": rng.exponential(5.0, n), "status": rng.choice([0, 1, 2], n, p=[0.3, 0.4, 0.3])}
    )
    res = cumulative_incidence(df, "time", "status")
    assert len(res.table) > 600_000
    at5 = res.at([5.0]).iloc[0]  # cause 1, the default event of interest
    truth = 0.08 / 0.14 * (1 - np.exp(-0.14 * 5))
    assert abs(at5["estimate"] - truth) < 4 * np.sqrt(at5["variance"])

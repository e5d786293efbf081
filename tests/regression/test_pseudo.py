"""pseudo_observations: exact leave-one-out values without refits, checked by refitting.

The reference here is a deliberately naive Aalen-Johansen written from its definition
(a Python loop over the event times) and refitted n times; the infinitesimal jackknife is
checked against a central finite difference in one case weight.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from outcomes.errors import FollowUpWarning, OutcomesError, SchemaError, ValidationError
from outcomes.regression import pseudo_observations

ESTIMANDS = ("risk", "survival", "rmst", "rmtl")


def naive(t: np.ndarray, e: np.ndarray, w: np.ndarray, tau: float, estimand: str) -> float:
    """Weighted Aalen-Johansen (cause 1) from its definition."""
    grid, S_values, F_values = [0.0], [1.0], [0.0]
    S = 1.0
    F = 0.0
    for u in np.unique(t[e > 0]):
        n = w[t >= u].sum()
        d = w[(t == u) & (e > 0)].sum()
        d1 = w[(t == u) & (e == 1)].sum()
        F += S * d1 / n
        S *= 1.0 - d / n
        grid.append(u)
        S_values.append(S)
        F_values.append(F)
    g = np.array(grid)
    r = int(np.searchsorted(g, tau, side="right")) - 1
    values = np.array(F_values if estimand in ("risk", "rmtl") else S_values)
    if estimand in ("risk", "survival"):
        return float(values[r])
    edges = np.append(g[g < tau], tau)
    return float(np.sum(values[: edges.size - 1] * np.diff(edges)))


def data(seed: int, n: int, causes: int, rounding: float) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.round(rng.exponential(2.0, n) / rounding) * rounding
    return pd.DataFrame({"t": t, "e": rng.integers(0, causes + 1, n)})


# The last horizon lies past the follow-up on purpose (values there are the last ones).
@pytest.mark.filterwarnings("ignore::outcomes.errors.FollowUpWarning")
@pytest.mark.parametrize("estimand", ESTIMANDS)
@pytest.mark.parametrize(("causes", "rounding"), [(1, 1e-9), (2, 0.5), (2, 0.1)])
def test_jackknife_equals_n_refits(estimand: str, causes: int, rounding: float) -> None:
    df = data(3, 70, causes, rounding)
    t, e = df["t"].to_numpy(), df["e"].to_numpy()
    n = len(df)
    taus = [0.5, 2.0, float(t.max()), float(t.max()) + 1.0]
    ours = pseudo_observations(df, "t", "e", taus, estimand=estimand)
    for tau in taus:
        w = np.ones(n)
        full = naive(t, e, w, tau, estimand)
        refits = np.array(
            [naive(np.delete(t, i), np.delete(e, i), w[1:], tau, estimand) for i in range(n)]
        )
        expected = n * full - (n - 1) * refits
        np.testing.assert_allclose(ours[tau].to_numpy(), expected, rtol=0, atol=1e-11)


@pytest.mark.parametrize("estimand", ESTIMANDS)
def test_infinitesimal_jackknife_is_the_weight_derivative(estimand: str) -> None:
    df = data(5, 50, 2, 0.1)
    t, e = df["t"].to_numpy(), df["e"].to_numpy()
    n = len(df)
    tau = 1.5
    ours = pseudo_observations(
        df, "t", "e", tau, estimand=estimand, method="infinitesimal_jackknife"
    )
    eps = 1e-6
    deriv = []
    for i in range(n):
        up, down = np.ones(n), np.ones(n)
        up[i] += eps
        down[i] -= eps
        deriv.append(
            (naive(t, e, up, tau, estimand) - naive(t, e, down, tau, estimand)) / (2 * eps)
        )
    expected = naive(t, e, np.ones(n), tau, estimand) + n * np.array(deriv)
    np.testing.assert_allclose(ours[tau].to_numpy(), expected, rtol=0, atol=1e-6)


def test_methods_agree_for_large_n() -> None:
    df = data(7, 4000, 2, 0.01)
    jk = pseudo_observations(df, "t", "e", [1.0, 3.0])
    ij = pseudo_observations(df, "t", "e", [1.0, 3.0], method="infinitesimal_jackknife")
    assert np.max(np.abs(jk.to_numpy() - ij.to_numpy())) < 0.01
    # Both average to the estimate itself (the influence sums to zero).
    np.testing.assert_allclose(jk.mean(), ij.mean(), atol=1e-3)


def test_mean_of_pseudo_values_is_the_estimate_for_the_ij() -> None:
    df = data(8, 300, 2, 0.1)
    t, e = df["t"].to_numpy(), df["e"].to_numpy()
    for estimand in ESTIMANDS:
        ij = pseudo_observations(
            df, "t", "e", 2.0, estimand=estimand, method="infinitesimal_jackknife"
        )
        assert ij[2.0].mean() == pytest.approx(naive(t, e, np.ones(300), 2.0, estimand), abs=1e-12)


def test_single_cause_risk_is_one_minus_survival() -> None:
    df = data(9, 200, 1, 0.1)
    risk = pseudo_observations(df, "t", "e", [1.0, 2.0])
    surv = pseudo_observations(df, "t", "e", [1.0, 2.0], estimand="survival")
    np.testing.assert_allclose(risk.to_numpy(), 1.0 - surv.to_numpy(), atol=1e-12)


def test_strata_are_separate_jackknifes_and_index_is_kept() -> None:
    df = data(10, 120, 2, 0.1)
    df["g"] = np.repeat(["b", "a", "c"], 40)
    df.index = pd.Index([f"r{i}" for i in range(120)])
    both = pseudo_observations(df, "t", "e", [1.0, 2.0], strata="g", estimand="rmtl")
    assert both.index.equals(df.index)
    for g in "abc":
        part = df[df["g"] == g]
        alone = pseudo_observations(part, "t", "e", [1.0, 2.0], estimand="rmtl")
        pd.testing.assert_frame_equal(both.loc[part.index], alone)


def test_rows_order_does_not_matter() -> None:
    df = data(11, 150, 2, 0.1)
    shuffled = df.sample(frac=1.0, random_state=1)
    a = pseudo_observations(df, "t", "e", 2.0)
    b = pseudo_observations(shuffled, "t", "e", 2.0)
    pd.testing.assert_frame_equal(a.loc[shuffled.index], b, atol=1e-12, rtol=0)


def test_a_horizon_past_the_follow_up_warns() -> None:
    # A cohort's time is in years: a horizon in days lies past every follow-up time and
    # gives every child the last value, which would otherwise pass unnoticed.
    d = pd.DataFrame({"t": [0.5, 1.0, 2.0, 3.0], "e": [1, 0, 1, 0]})
    with pytest.warns(FollowUpWarning, match=r"time 730 is beyond the last follow-up time \(3\)"):
        pseudo_observations(d, "t", "e", [2.0, 730.0])
    pseudo_observations(d, "t", "e", 3.0)  # at the last time: no warning (errors here)


def test_bad_input_is_named() -> None:
    df = data(12, 10, 2, 0.1)
    with pytest.raises(SchemaError, match="nope"):
        pseudo_observations(df, "nope", "e", 1.0)
    bad = df.copy()
    bad.loc[3, "t"] = -1.0
    with pytest.raises(ValidationError, match="rows 3") as err:
        pseudo_observations(bad, "t", "e", 1.0)
    assert err.value.quarantine["reason"].tolist() == ["negative_duration"]
    bad = df.copy()
    bad["e"] = bad["e"].astype(float)
    bad.loc[4, "e"] = 0.5
    with pytest.raises(ValidationError, match="event codes"):
        pseudo_observations(bad, "t", "e", 1.0)
    with pytest.raises(OutcomesError, match="estimand"):
        pseudo_observations(df, "t", "e", 1.0, estimand="hazard")
    with pytest.raises(OutcomesError, match="times"):
        pseudo_observations(df, "t", "e", [])
    with pytest.raises(SchemaError, match="no rows"):
        pseudo_observations(df.iloc[:0], "t", "e", 1.0)


def test_ipcw_pseudo_values_remove_bias_from_covariate_dependent_censoring() -> None:
    # The event rate and the censoring rate both rise with z: plain pseudo-values (which
    # assume censoring independent of z) under-represent the high-risk group and
    # understate the 2-year risk; with the censoring model they recover it.
    rng = np.random.default_rng(21)
    n = 20_000
    z = rng.integers(0, 2, n)
    t_event = rng.exponential(1.0 / np.where(z == 1, 0.6, 0.1))
    t_cens = rng.exponential(1.0 / np.where(z == 1, 1.5, 0.05))
    df = pd.DataFrame(
        {
            "t": np.minimum(t_event, t_cens),
            "e": (t_event <= t_cens).astype(int),
            "z": z,
        }
    )
    truth = 0.5 * (1 - np.exp(-0.6 * 2.0)) + 0.5 * (1 - np.exp(-0.1 * 2.0))
    ipcw = pseudo_observations(df, "t", "e", 2.0, censoring_formula="z")[2.0]
    plain = pseudo_observations(df, "t", "e", 2.0)[2.0]
    se = ipcw.std() / np.sqrt(n)
    assert abs(ipcw.mean() - truth) < 3.5 * se
    assert abs(plain.mean() - truth) > 10 * se
    # Rows censored before the horizon carry 0; the others are inflated by 1/G.
    censored_early = (df["e"] == 0) & (df["t"] < 2.0)
    assert (ipcw[censored_early] == 0).all()
    assert (ipcw[(df["e"] == 1) & (df["t"] <= 2.0)] >= 1.0).all()
    assert (ipcw[df["t"] > 2.0] == 0).all()
    with pytest.raises(OutcomesError, match="not both"):
        pseudo_observations(df.assign(s=z), "t", "e", 2.0, censoring_formula="z", strata="s")


@pytest.mark.parametrize("estimand", ESTIMANDS)
def test_weighted_jackknife_equals_n_weighted_refits(estimand: str) -> None:
    # With case weights the leave-one-out removes row i's whole weight, and the
    # pseudo-observation is theta + (W - w_i) / w_i * (theta - theta_{-i}); ties and
    # repeated weights included (persons sharing a weight share one shifted curve).
    df = data(13, 60, 2, 0.25)
    rng = np.random.default_rng(14)
    df["w"] = rng.choice([0.5, 1.0, 2.5], size=60) * rng.choice([1.0, 1.1], size=60)
    t, e, w = df["t"].to_numpy(), df["e"].to_numpy(), df["w"].to_numpy()
    total = w.sum()
    taus = [0.5, 2.0, float(t.max())]
    ours = pseudo_observations(df, "t", "e", taus, estimand=estimand, weights_col="w")
    for tau in taus:
        full = naive(t, e, w, tau, estimand)
        loo = np.array(
            [
                naive(np.delete(t, i), np.delete(e, i), np.delete(w, i), tau, estimand)
                for i in range(60)
            ]
        )
        expected = full + (total - w) / w * (full - loo)
        np.testing.assert_allclose(ours[tau].to_numpy(), expected, rtol=0, atol=1e-10)


def test_case_weights_of_one_change_nothing_and_frequency_weights_expand() -> None:
    df = data(15, 80, 2, 0.1)
    for method in ("jackknife", "infinitesimal_jackknife"):
        plain = pseudo_observations(df, "t", "e", [1.0, 2.0], method=method)
        ones = pseudo_observations(
            df.assign(w=1.0), "t", "e", [1.0, 2.0], method=method, weights_col="w"
        )
        pd.testing.assert_frame_equal(plain, ones)
    # A row of weight 3 is three identical rows for the infinitesimal jackknife (the
    # derivative per unit of weight is the same), and for the estimate itself.
    counts = np.random.default_rng(16).integers(1, 4, size=80)
    weighted = pseudo_observations(
        df.assign(w=counts), "t", "e", 2.0, method="infinitesimal_jackknife", weights_col="w"
    )
    expanded = df.loc[df.index.repeat(counts)]
    copies = pseudo_observations(expanded, "t", "e", 2.0, method="infinitesimal_jackknife")
    np.testing.assert_allclose(
        copies.groupby(level=0).first()[2.0].to_numpy(), weighted[2.0].to_numpy(), atol=1e-12
    )
    np.testing.assert_allclose(
        np.average(weighted[2.0], weights=counts), copies[2.0].mean(), atol=1e-12
    )
    bad = df.assign(w=1.0)
    bad.loc[5, "w"] = 0.0
    with pytest.raises(ValidationError, match="rows 5"):
        pseudo_observations(bad, "t", "e", 1.0, weights_col="w")


def test_the_documented_signature_works_positionally() -> None:
    df = data(17, 50, 2, 0.1).assign(g=lambda d: np.arange(50) % 2, w=1.0)
    by_keyword = pseudo_observations(
        df, "t", "e", [1.0, 2.0], event_of_interest=2, estimand="rmtl", strata="g"
    )
    positional = pseudo_observations(df, "t", "e", [1.0, 2.0], 2, "rmtl", "jackknife", "g", "w")
    pd.testing.assert_frame_equal(by_keyword, positional)


def test_many_distinct_weights_point_to_the_infinitesimal_jackknife(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from outcomes.regression import pseudo

    df = data(18, 200, 2, 1e-9).assign(w=np.linspace(0.5, 2.0, 200))
    monkeypatch.setattr(pseudo, "_MAX_WEIGHT_PASSES", 1000)
    with pytest.raises(OutcomesError, match="infinitesimal_jackknife"):
        pseudo_observations(df, "t", "e", 1.0, weights_col="w")
    ij = pseudo_observations(df, "t", "e", 1.0, weights_col="w", method="infinitesimal_jackknife")
    assert np.isfinite(ij[1.0]).all()

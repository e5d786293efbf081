"""Inverse-probability weights, their summary, and recovery of a known effect."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from outcomes.causal import (
    effective_sample_size,
    fit_propensity,
    inverse_probability_weights,
    weight_summary,
)
from outcomes.errors import ModelError, OutcomesError
from tests.causal._simulate import CONFOUNDERS, Simulated, simulate

SCORES = pd.Series([0.2, 0.5, 0.8])
TREAT = pd.Series([1, 0, 1])


def test_weights_by_hand() -> None:
    raw = inverse_probability_weights(SCORES, TREAT, stabilised=False)
    np.testing.assert_allclose(raw, [1 / 0.2, 1 / 0.5, 1 / 0.8])
    stable = inverse_probability_weights(SCORES, TREAT)
    # numerator: P(T=1) = 2/3 for the treated, P(T=0) = 1/3 for the control
    np.testing.assert_allclose(stable, [(2 / 3) / 0.2, (1 / 3) / 0.5, (2 / 3) / 0.8])
    assert stable.name == "iptw"
    assert stable.attrs["stabilised"] is True


def test_stabilised_weights_have_mean_one(simulated: Simulated) -> None:
    ps = fit_propensity(simulated.data, "treated", CONFOUNDERS)
    w = ps.weights()
    assert w.mean() == pytest.approx(1.0, abs=0.03)
    # ... and each arm sums to about its own size.
    for arm in (True, False):
        in_arm = simulated.data["treated"] == arm
        assert w[in_arm].sum() / in_arm.sum() == pytest.approx(1.0, abs=0.05)


def test_truncating_scores_bounds_the_weights() -> None:
    scores = pd.Series([0.001, 0.3, 0.6, 0.999])
    treat = pd.Series([1, 1, 0, 0])
    w = inverse_probability_weights(scores, treat, stabilised=False, truncate_scores=(0.01, 0.99))
    np.testing.assert_allclose(w, [100.0, 1 / 0.3, 1 / 0.4, 100.0])
    assert w.attrs["n_modified_treated"] == 1
    assert w.attrs["n_modified_control"] == 1


def test_trimming_caps_weights_at_percentiles() -> None:
    rng = np.random.default_rng(3)
    scores = pd.Series(rng.uniform(0.02, 0.98, size=1000))
    treat = pd.Series(rng.binomial(1, scores))
    untrimmed = inverse_probability_weights(scores, treat)
    w = inverse_probability_weights(scores, treat, trim_percentiles=(1, 99))
    lo, hi = np.percentile(untrimmed, [1, 99])
    assert w.min() == pytest.approx(lo)
    assert w.max() == pytest.approx(hi)
    n_modified = int(((untrimmed < lo) | (untrimmed > hi)).sum())
    assert w.attrs["n_modified_treated"] + w.attrs["n_modified_control"] == n_modified
    summary = weight_summary(w, treat).set_index("arm")
    assert summary.loc["overall", "share_modified"] == pytest.approx(n_modified / 1000)


def test_missing_scores_give_missing_weights() -> None:
    w = inverse_probability_weights(pd.Series([0.5, np.nan, 0.25]), pd.Series([1, 0, 0]))
    assert np.isnan(w.iloc[1])
    assert w.iloc[0] == pytest.approx(0.5 / 0.5)  # P(T=1) among scored rows = 1/2


def test_bad_scores_and_bounds_are_refused() -> None:
    with pytest.raises(ModelError, match="infinite weights"):
        inverse_probability_weights(pd.Series([0.0, 0.5]), pd.Series([1, 0]))
    with pytest.raises(OutcomesError, match="truncate_scores"):
        inverse_probability_weights(SCORES, TREAT, truncate_scores=(0.9, 0.1))
    with pytest.raises(OutcomesError, match="same index"):
        inverse_probability_weights(SCORES, TREAT.set_axis([5, 6, 7]))


def test_effective_sample_size_formula() -> None:
    assert effective_sample_size(np.ones(50)) == pytest.approx(50)
    # (1 + 2 + 3)^2 / (1 + 4 + 9)
    assert effective_sample_size(np.array([1.0, 2.0, 3.0])) == pytest.approx(36 / 14)
    assert effective_sample_size(pd.Series([2.0, np.nan, 2.0])) == pytest.approx(2)


def test_weight_summary_by_arm() -> None:
    w = pd.Series([1.0, 2.0, 3.0, 0.5, 0.5])
    t = pd.Series([1, 1, 1, 0, 0])
    s = weight_summary(w, t).set_index("arm")
    assert list(s.index) == ["treated", "control", "overall"]
    assert s.loc["treated", "ess"] == pytest.approx(36 / 14)
    assert s.loc["control", "ess"] == pytest.approx(2)
    assert [s.loc["treated", c] for c in ("min", "max", "mean")] == [1.0, 3.0, 2.0]
    assert s.loc["overall", "n"] == 5
    assert s.loc["treated", "ess_ratio"] == pytest.approx(36 / 14 / 3)
    assert (s["n_modified"] == 0).all()


def _risk_difference(y: pd.Series, t: pd.Series, w: pd.Series | None = None) -> float:
    w = pd.Series(1.0, index=y.index) if w is None else w
    risks = [np.average(y[t == arm], weights=w[t == arm]) for arm in (True, False)]
    return float(risks[0] - risks[1])


def test_iptw_recovers_a_known_risk_difference(simulated: Simulated) -> None:
    data = simulated.data
    crude = _risk_difference(data["y"], data["treated"])
    ps = fit_propensity(data, "treated", CONFOUNDERS)
    adjusted = _risk_difference(data["y"], data["treated"], ps.weights())
    truth = simulated.true_risk_difference
    # Over 20 seeds the IPTW error has mean -0.003 and SD 0.015 (0.015 with 1/99 trimming,
    # mean +0.007): allow 3 SD. Confounding is positive by construction, and the crude
    # estimate is far outside that band.
    tolerance = 0.045
    assert crude - truth > 2 * tolerance
    assert adjusted == pytest.approx(truth, abs=tolerance)
    trimmed = _risk_difference(data["y"], data["treated"], ps.weights(trim_percentiles=(1, 99)))
    assert trimmed == pytest.approx(truth, abs=tolerance)


def test_iptw_recovers_a_null_effect() -> None:
    sim = simulate(n=4000, seed=11, effect=0.0)
    ps = fit_propensity(sim.data, "treated", CONFOUNDERS)
    adjusted = _risk_difference(sim.data["y"], sim.data["treated"], ps.weights())
    assert sim.true_risk_difference == 0.0
    assert adjusted == pytest.approx(0.0, abs=0.05)
    assert _risk_difference(sim.data["y"], sim.data["treated"]) > 0.08

"""The pseudo-value risk difference recovers a known truth and its interval covers it.

The simulation is ``validation/pseudo_coverage.py`` (its docstring gives the design); its
replicates are saved in ``validation/results/pseudo/``. These tests check that the saved
run is what the code computes now (the first replicates are computed again and must
equal the saved rows) and that its performance is what the docs claim.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from outcomes.regression import PseudoValueRegression
from validation import pseudo_coverage as sim

RECOMPUTED = 2


def saved() -> pd.DataFrame:
    return sim.study().read(sim.CHUNKS)


def test_saved_replicates_are_what_the_code_computes() -> None:
    results = saved()  # the study's own run, every chunk present
    assert results["rep"].tolist() == list(range(sim.REPLICATES))
    assert results["error"].isna().all()
    assert (results["truth"] == sim.true_risk_difference()).all()
    again = sim.study(RECOMPUTED).run(progress=False)
    first = results.loc[results["rep"] < RECOMPUTED].reset_index(drop=True)
    pd.testing.assert_frame_equal(again, first, check_exact=False, rtol=1e-12, atol=1e-15)


def test_saved_summary_matches_the_replicates() -> None:
    stored = pd.read_csv(sim.RESULTS / "summary.csv", float_precision="round_trip")
    pd.testing.assert_frame_equal(stored, sim.summarise(saved()), rtol=1e-12, check_dtype=False)


def test_interval_covers_at_the_nominal_rate() -> None:
    s = sim.summarise(saved()).iloc[0]
    # 95% nominal; the sandwich ignores that the pseudo-values were estimated, which
    # makes it slightly conservative, so the band is asymmetric: 3 MC SEs below 0.95,
    # and at most 0.985 above.
    assert 0.95 - 3 * s["coverage_mc_se"] <= s["coverage"] <= 0.985
    assert abs(s["bias"]) <= 3 * s["bias_mc_se"]
    assert s["model_se"] == pytest.approx(s["empirical_sd"], rel=0.15)


def test_large_sample_recovers_the_conditional_risk_difference() -> None:
    # One large world: the saturated model's x coefficient is the risk difference at
    # z = 0, known exactly; it must be within 3.5 standard errors.
    df = sim.simulate(np.random.default_rng(11), n=40_000)
    fit = PseudoValueRegression().fit(df, "years", "event", time=2.0, formula="x * z")
    truth = float(sim.risk(2.0, np.array([1.0]), np.array([0.0]))[0]) - float(
        sim.risk(2.0, np.array([0.0]), np.array([0.0]))[0]
    )
    assert abs(fit.params_["x"] - truth) <= 3.5 * fit.standard_errors_["x"]
    assert fit.standard_errors_["x"] < 0.01


def test_ipcw_fit_recovers_risks_when_censoring_depends_on_a_continuous_covariate() -> None:
    # Both the event and the censoring hazards rise with u (not in the mean model), so
    # children with high u, at high risk, are censored early: plain pseudo-observations
    # understate the risk, strata cannot help (u is continuous), and the Cox model for
    # censoring (censoring_formula) recovers E{F(2) | x} within Monte Carlo error.
    rng = np.random.default_rng(2026)
    n = 20_000
    u = rng.normal(size=n)
    x = rng.integers(0, 2, n)
    t_event = rng.exponential(1.0 / (0.3 * np.exp(0.8 * u + 0.5 * x)))
    t_cens = rng.exponential(1.0 / (0.3 * np.exp(1.0 * u)))
    df = pd.DataFrame(
        {"t": np.minimum(t_event, t_cens), "e": (t_event <= t_cens).astype(int), "x": x, "u": u}
    )
    nodes, weights = np.polynomial.hermite_e.hermegauss(80)
    weights = weights / weights.sum()  # E over u ~ N(0, 1)
    truth = [
        float(np.sum(weights * (1.0 - np.exp(-0.3 * np.exp(0.8 * nodes + 0.5 * v) * 2.0))))
        for v in (0, 1)
    ]
    ipcw = PseudoValueRegression().fit(df, "t", "e", 2.0, "x", censoring_formula="u")
    plain = PseudoValueRegression().fit(df, "t", "e", 2.0, "x")
    for fit, ok in ((ipcw, True), (plain, False)):
        est = fit.params_.to_numpy()
        se = fit.standard_errors_.to_numpy()
        z = (est[0] - truth[0]) / se[0]
        assert bool(abs(z) < 3.5) is ok, (z, est, truth)
    z1 = (ipcw.params_["x"] - (truth[1] - truth[0])) / ipcw.standard_errors_["x"]
    assert abs(z1) < 3.5

"""CoxFitter and the engine: properties that must hold whatever R says.

R agreement is in ``test_cox_reference.py``; here the engine's own identities (score is
the gradient of the log-likelihood, information the Hessian, residuals sum to the score),
invariances (duplicated rows = weight 2, split intervals = one interval), and the errors.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from outcomes.errors import OutcomesError, OutcomesWarning, SchemaError, ValidationError
from outcomes.survival import CoxFitter
from outcomes.survival._engine import RiskSets, TailWeights, _cumsum_within, _Runs


def _data(seed: int = 7, n: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = rng.binomial(1, 0.5, size=n).astype(float)
    t = rng.exponential(1 / np.exp(0.5 * x1 - 0.4 * x2))
    c = rng.exponential(1.5, size=n)
    return pd.DataFrame(
        {
            "time": np.ceil(np.minimum(t, c) * 10) / 10,
            "event": (t <= c).astype(int),
            "x1": x1,
            "x2": x2,
            "w": rng.uniform(0.5, 2.0, size=n),
            "g": rng.integers(0, 12, size=n),
            "st": rng.choice(["a", "b"], size=n),
            "entry": rng.uniform(0, 0.05, size=n).round(2),
        }
    )


def _tail(d: pd.DataFrame, rng: np.random.Generator) -> TailWeights:
    """Some censored rows stay at risk with a decreasing weight curve, like Fine-Gray."""
    group = np.where(d["event"].to_numpy() == 0, rng.integers(0, 2, len(d)), -1)
    return TailWeights(
        group=group.astype(np.int64),
        denominator=np.exp(-0.1 * d["time"].to_numpy()),
        curve=lambda c, t: np.exp(-(0.1 + 0.05 * c) * t),
    )


@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize("with_entry", [False, True])
@pytest.mark.parametrize("with_tail", [False, True])
def test_score_and_information_are_derivatives(
    ties: str, with_entry: bool, with_tail: bool
) -> None:
    d = _data()
    rng = np.random.default_rng(3)
    X = d[["x1", "x2"]].to_numpy()
    tail = _tail(d, rng) if with_tail else None
    risk = RiskSets(
        X,
        d["time"].to_numpy(),
        d["event"].to_numpy() == 1,
        entry=d["entry"].to_numpy() if with_entry else None,
        strata=(d["st"] == "b").to_numpy().astype(np.int64),
        weights=d["w"].to_numpy(),
        ties=ties,
        tail=tail,
    )
    beta = np.array([0.3, -0.2])
    ll, score, info = risk.evaluate(beta)
    h = 1e-6
    num_score = np.array(
        [
            (risk.evaluate(beta + h * e)[0] - risk.evaluate(beta - h * e)[0]) / (2 * h)
            for e in np.eye(2)
        ]
    )
    num_info = -np.array(
        [
            (risk.evaluate(beta + h * e)[1] - risk.evaluate(beta - h * e)[1]) / (2 * h)
            for e in np.eye(2)
        ]
    )
    np.testing.assert_allclose(score, num_score, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(info, num_info, rtol=1e-5, atol=1e-6)
    # The information, summed over rows, is the sum over risk sets of the weighted
    # covariances S2/S0 - xbar xbar' (computed from the risk-set sums themselves).
    wt, _, covariance = risk.sub_term_moments(beta)
    np.testing.assert_allclose(info, np.einsum("k,kij->ij", wt, covariance), rtol=1e-12)
    # Weighted score residuals add up to the score, at any beta (not only the estimate).
    resid = risk.score_residuals(beta)
    np.testing.assert_allclose((d["w"].to_numpy()[:, None] * resid).sum(0), score, rtol=1e-9)


def test_duplicated_rows_equal_weight_two() -> None:
    # Breslow only: Efron's correction depends on how many rows tie, which duplication
    # changes (R's coxph behaves the same way).
    d = _data()
    doubled = pd.concat([d, d.iloc[:50]], ignore_index=True).assign(w=1.0)
    weighted = d.assign(w=1.0)
    weighted.loc[:49, "w"] = 2.0
    args = {"formula": "x1 + x2", "weights_col": "w", "ties": "breslow"}
    a = CoxFitter().fit(doubled, "time", "event", **args)
    b = CoxFitter().fit(weighted, "time", "event", **args)
    np.testing.assert_allclose(a.params_, b.params_, rtol=1e-10)
    np.testing.assert_allclose(a.cov_params(), b.cov_params(), rtol=1e-9)
    np.testing.assert_allclose(a.log_likelihood_, b.log_likelihood_, rtol=1e-12)


def test_split_intervals_give_the_same_fit() -> None:
    """(0, t] and (0, m] + (m, t] are the same person-time: Andersen-Gill sees no change."""
    d = _data().assign(id=np.arange(300), start=0.0)
    cut = d["time"] > 0.3
    first = d[cut].assign(time=0.3, event=0)
    second = d[cut].assign(start=0.3)
    split = pd.concat([d[~cut], first, second], ignore_index=True)
    cols = ["start", "time", "event", "x1", "x2", "id"]
    a = CoxFitter().fit(d[cols], "time", "event", entry_col="start", cluster_col="id")
    b = CoxFitter().fit(split[cols], "time", "event", entry_col="start", cluster_col="id")
    c = CoxFitter().fit(d[["time", "event", "x1", "x2"]], "time", "event", robust=True)
    np.testing.assert_allclose(a.params_, b.params_, rtol=1e-10)
    np.testing.assert_allclose(a.standard_errors_, b.standard_errors_, rtol=1e-9)
    np.testing.assert_allclose(a.standard_errors_, c.standard_errors_, rtol=1e-9)
    np.testing.assert_allclose(a.log_likelihood_, b.log_likelihood_, rtol=1e-12)


def test_shifting_covariates_changes_only_the_baseline() -> None:
    d = _data()
    a = CoxFitter().fit(d, "time", "event", formula="x1 + x2")
    b = CoxFitter().fit(d.assign(x1=d["x1"] + 100.0), "time", "event", formula="x1 + x2")
    np.testing.assert_allclose(a.params_, b.params_, rtol=1e-8)
    new = d.iloc[:4]
    np.testing.assert_allclose(
        a.predict_cumulative_hazard(new, [0.5, 1.0]),
        b.predict_cumulative_hazard(new.assign(x1=new["x1"] + 100.0), [0.5, 1.0]),
        rtol=1e-7,
    )


@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize("with_entry", [False, True])
@pytest.mark.parametrize("with_tail", [False, True])
@pytest.mark.parametrize("n_strata", [2, 20])
def test_strata_far_apart_on_the_linear_predictor_lose_no_precision(
    ties: str, with_entry: bool, with_tail: bool, n_strata: int
) -> None:
    # A constant added to the linear predictor within one stratum cancels in a stratified
    # likelihood. One shift of the linear predictor serves every stratum, so a constant
    # of 30 makes one stratum's risk sums e^30 times the other's; running sums through
    # both strata lost the smaller one to rounding (a one-authority extract's fit then
    # stopped with a negative information).
    d = _data()
    rng = np.random.default_rng(5)
    strata = rng.integers(0, n_strata, len(d))
    X = d[["x1", "x2"]].to_numpy()
    far = X.copy()
    far[strata % 2 == 0, 0] += 60.0
    tail = _tail(d, rng) if with_tail else None

    def risk_sets(x: np.ndarray) -> RiskSets:
        return RiskSets(
            x,
            d["time"].to_numpy(),
            d["event"].to_numpy() == 1,
            entry=d["entry"].to_numpy() if with_entry else None,
            strata=strata,
            weights=d["w"].to_numpy(),
            ties=ties,
            tail=tail,
        )

    near, shifted = risk_sets(X), risk_sets(far)
    beta = np.array([0.5, -0.2])
    for got, want in zip(shifted.evaluate(beta), near.evaluate(beta), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(
        shifted.score_residuals(beta), near.score_residuals(beta), rtol=1e-9, atol=1e-9
    )
    assert np.linalg.eigvalsh(shifted.evaluate(beta)[2]).min() > 0


@pytest.mark.parametrize("n_runs", [1, 3, 40])
@pytest.mark.parametrize("reverse", [False, True])
def test_cumulative_sums_restart_at_every_stratum(n_runs: int, reverse: bool) -> None:
    # both layouts: one run at a time (few runs) and padded rows (many)
    rng = np.random.default_rng(n_runs)
    codes = np.sort(rng.integers(0, n_runs, 500))
    V = rng.normal(size=(3, 500))
    runs = _Runs(codes)
    assert bool(runs.groups) == (n_runs == 40)
    want = np.empty_like(V)
    for c in np.unique(codes):
        at = np.flatnonzero(codes == c)
        part = V[:, at][:, ::-1] if reverse else V[:, at]
        sums = np.cumsum(part, axis=1)
        want[:, at] = sums[:, ::-1] if reverse else sums
    np.testing.assert_allclose(_cumsum_within(V, runs, reverse), want, rtol=1e-12, atol=1e-12)


# The grid runs past the follow-up on purpose (predictions there are flat).
@pytest.mark.filterwarnings("ignore::outcomes.errors.FollowUpWarning")
def test_prediction_is_baseline_times_relative_hazard() -> None:
    d = _data()
    m = CoxFitter().fit(d, "time", "event", formula="x1 + x2", strata="st")
    new = d.iloc[:5]
    times = np.array([0.0, 0.2, 0.7, 50.0])
    H = m.predict_cumulative_hazard(new, times)
    base = m.baseline_cumulative_hazard_
    for i, row in new.iterrows():
        b0 = base[row["st"]].reindex(times, method="ffill").fillna(0.0).to_numpy()
        np.testing.assert_allclose(H[i], b0 * m.predict_partial_hazard(new)[i], rtol=1e-12)
    assert H.loc[0.0].eq(0.0).all()
    np.testing.assert_allclose(
        m.predict_survival_function(new, times), np.exp(-H.to_numpy()), rtol=1e-12
    )


def test_formula_codes_categories_against_first_level() -> None:
    d = _data().assign(order=lambda f: np.where(f["x2"] == 1, "care", "sgo"))
    m = CoxFitter().fit(d, "time", "event", formula="x1 + C(order)")
    assert list(m.params_.index) == ["x1", "C(order)[T.sgo]"]
    plain = CoxFitter().fit(d.assign(sgo=1.0 - d["x2"]), "time", "event", formula="x1 + sgo")
    np.testing.assert_allclose(m.params_.to_numpy(), plain.params_.to_numpy(), rtol=1e-10)


def test_summary_is_tidy_with_alpha_in_attrs() -> None:
    m = CoxFitter(alpha=0.1).fit(_data(), "time", "event", formula="x1 + x2")
    s = m.summary
    assert s.attrs["alpha"] == 0.1
    z = 1.6448536269514722
    np.testing.assert_allclose(s["ci_upper"] - s["estimate"], z * s["std_error"], rtol=1e-9)
    np.testing.assert_allclose(s["hr_ci_lower"], np.exp(s["ci_lower"]), rtol=1e-12)
    assert ((s["p_value"] > 0) & (s["p_value"] < 1)).all()


def test_proportional_hazards_table_layout() -> None:
    m = CoxFitter().fit(_data(), "time", "event", formula="x1 + x2")
    z = m.check_proportional_hazards()
    assert list(z.index) == ["x1", "x2", "GLOBAL"]
    assert list(z["df"]) == [1, 1, 2]
    with pytest.raises(OutcomesError):
        m.check_proportional_hazards("spline")


def test_monotone_likelihood_warns() -> None:
    d = _data()
    d["perfect"] = d["event"].astype(float)  # every event has 1: the MLE is infinite
    with pytest.warns(OutcomesWarning, match="did not converge"):
        CoxFitter(max_iter=8).fit(d, "time", "event", formula="perfect")


def test_errors_name_the_problem() -> None:
    d = _data()
    with pytest.raises(SchemaError, match="not_there"):
        CoxFitter().fit(d, "time", "not_there", formula="x1")
    bad = d.assign(entry=d["time"])
    with pytest.raises(ValidationError) as err:
        CoxFitter().fit(bad, "time", "event", entry_col="entry", formula="x1")
    assert len(err.value.quarantine) == len(d)
    with pytest.raises(ValidationError, match="weights"):
        CoxFitter().fit(d.assign(w=-1.0), "time", "event", weights_col="w", formula="x1")
    with pytest.raises(ValidationError, match="0/1"):
        CoxFitter().fit(d.assign(event=2), "time", "event", formula="x1")
    with pytest.raises(ValidationError):
        CoxFitter().fit(
            d.assign(x1=np.where(d["x1"] > 0, np.nan, d["x1"])), "time", "event", formula="x1"
        )
    with pytest.raises(OutcomesError, match="ties"):
        CoxFitter().fit(d, "time", "event", formula="x1", ties="exact")
    with pytest.raises(OutcomesError, match="right-hand side"):
        CoxFitter().fit(d, "time", "event", formula="time ~ x1")


def test_init_only_stores_arguments() -> None:
    m = CoxFitter(alpha=0.2, tol=1e-5, max_iter=3)
    assert vars(m) == {"alpha": 0.2, "tol": 1e-5, "max_iter": 3}


def test_a_fit_from_an_initial_point_reaches_the_same_maximum_in_fewer_steps() -> None:
    rng = np.random.default_rng(11)
    n = 400
    df = pd.DataFrame(
        {
            "age": rng.normal(size=n),
            "group": rng.choice(["a", "b", "c"], n),
            "area": rng.choice(["x", "y"], n),
        }
    )
    df["time"] = rng.exponential(np.exp(-0.5 * df["age"] - 0.4 * (df["group"] == "b")))
    df["event"] = (rng.random(n) < 0.8).astype(int)
    cold = CoxFitter().fit(df, "time", "event", formula="age + C(group)", strata="area")
    start = cold.params_ + 0.05
    warm = CoxFitter().fit(
        df, "time", "event", formula="age + C(group)", strata="area", initial_point=start
    )
    np.testing.assert_allclose(warm.params_, cold.params_, rtol=0, atol=1e-8)
    assert warm.n_iter_ < cold.n_iter_
    assert warm.log_likelihood_null_ == pytest.approx(cold.log_likelihood_null_, abs=1e-12)
    # by name: a covariate the start lacks starts at zero; by position: one per column
    partial = CoxFitter().fit(
        df, "time", "event", formula="age + C(group)", strata="area", initial_point=start[:1]
    )
    np.testing.assert_allclose(partial.params_, cold.params_, rtol=0, atol=1e-8)
    with pytest.raises(OutcomesError, match="2 values for 3 covariates"):
        CoxFitter().fit(
            df, "time", "event", formula="age + C(group)", strata="area", initial_point=[0, 0]
        )

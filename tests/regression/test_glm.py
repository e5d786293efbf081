"""PseudoValueRegression: the fitter's shape, its algebra and its errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from outcomes.errors import (
    DegenerateCovariateWarning,
    FewClustersWarning,
    OutcomesError,
    ValidationError,
)
from outcomes.regression import PseudoValueRegression, pseudo_observations


def world(seed: int = 0, n: int = 1500) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    order = rng.choice(["care", "supervision", "sgo"], n)
    age = rng.normal(0.0, 1.0, n)
    rate = 0.3 * np.exp(0.4 * (order == "supervision") - 0.3 * (order == "sgo") + 0.2 * age)
    t_event = rng.exponential(1.0 / rate)
    t_other = rng.exponential(8.0, n)
    t_cens = rng.uniform(0.5, 6.0, n)
    time = np.minimum.reduce([t_event, t_other, t_cens])
    event = np.where(time == t_event, 1, np.where(time == t_other, 2, 0))
    la = rng.integers(0, 40, n)
    return pd.DataFrame(
        {"years": time, "event": event, "order": order, "age": age, "la": la.astype(str)}
    )


DF = world()


def test_summary_rows_follow_the_formula_intercept_first() -> None:
    fit = PseudoValueRegression().fit(DF, "years", "event", time=2, formula="age + C(order)")
    assert list(fit.summary.index) == [
        "Intercept",
        "age",
        "C(order)[T.sgo]",
        "C(order)[T.supervision]",
    ]
    cols = ["estimate", "std_error", "ci_lower", "ci_upper", "p_value"]
    assert list(fit.summary.columns[:5]) == cols
    assert "exp_estimate" not in fit.summary
    ratio = PseudoValueRegression(link="log").fit(DF, "years", "event", time=2, formula="age")
    np.testing.assert_allclose(ratio.summary["exp_estimate"], np.exp(ratio.params_))
    np.testing.assert_allclose(ratio.summary["exp_ci_lower"], np.exp(ratio.summary["ci_lower"]))


def test_intercept_only_is_the_mean_with_its_sandwich() -> None:
    fit = PseudoValueRegression().fit(DF[["years", "event"]], "years", "event", time=2)
    y = pseudo_observations(DF, "years", "event", 2)[2.0].to_numpy()
    n = y.size
    assert fit.params_["Intercept"] == pytest.approx(y.mean(), rel=1e-12)
    hc0 = np.sqrt(np.sum((y - y.mean()) ** 2)) / n
    assert fit.standard_errors_["Intercept"] == pytest.approx(hc0, rel=1e-10)


def test_fit_returns_self_repr_and_not_fitted() -> None:
    model = PseudoValueRegression(link="logit")
    assert "not fitted" in repr(model)
    with pytest.raises(OutcomesError, match="not fitted"):
        _ = model.summary
    assert model.fit(DF, "years", "event", time=2, formula="age") is model
    assert "1,500 rows" in repr(model)
    assert model.cov_params("model").shape == (2, 2)


def test_identity_marginal_difference_is_the_coefficient() -> None:
    fit = PseudoValueRegression().fit(DF, "years", "event", time=2, formula="age + C(order)")
    m = fit.marginal_risks(DF, "order", ["care", "supervision"])
    diff = m[m["contrast"] == "difference"].iloc[0]
    name = "C(order)[T.supervision]"
    assert diff["estimate"] == pytest.approx(fit.params_[name], rel=1e-10)
    assert diff["std_error"] == pytest.approx(fit.standard_errors_[name], rel=1e-10)


def test_marginal_ratio_delta_method_matches_finite_differences() -> None:
    fit = PseudoValueRegression(link="log").fit(
        DF, "years", "event", time=2, formula="age * C(order)"
    )
    m = fit.marginal_risks(DF, "order", ["care", "sgo"])
    ratio = m[m["contrast"] == "ratio"].iloc[0]
    beta = fit.params_.to_numpy()

    def log_ratio(b: np.ndarray) -> float:
        means = []
        for v in ("care", "sgo"):
            X = fit.design_matrix(DF.assign(order=v)).to_numpy()
            means.append(np.exp(X @ b).mean())
        return float(np.log(means[1] / means[0]))

    eps = 1e-6
    grad = np.array(
        [
            (log_ratio(beta + eps * e) - log_ratio(beta - eps * e)) / (2 * eps)
            for e in np.eye(beta.size)
        ]
    )
    se = np.sqrt(grad @ fit.cov_params().to_numpy() @ grad)
    assert ratio["std_error"] == pytest.approx(se, rel=1e-6)
    assert ratio["estimate"] == pytest.approx(np.exp(log_ratio(beta)), rel=1e-10)
    assert ratio["ci_lower"] < ratio["estimate"] < ratio["ci_upper"]


def test_predict_and_several_horizons() -> None:
    fit = PseudoValueRegression(link="cloglog").fit(
        DF, "years", "event", time=[1, 2, 3], formula="age + C(order)"
    )
    assert list(fit.params_.index[:3]) == [
        "Intercept (time 1)",
        "Intercept (time 2)",
        "Intercept (time 3)",
    ]
    pred = fit.predict(DF.head(5))
    assert list(pred.columns) == [1.0, 2.0, 3.0]
    assert np.all(np.diff(pred.to_numpy(), axis=1) > 0)  # risk grows with the horizon
    with pytest.raises(OutcomesError, match="hc3"):
        PseudoValueRegression(variance="hc3").fit(DF, "years", "event", time=[1, 2])


def test_hc3_exceeds_hc0() -> None:
    fit = PseudoValueRegression(variance="hc3").fit(DF, "years", "event", time=2, formula="age")
    assert fit.cov_type_ == "hc3"
    assert np.all(fit.standard_errors_ > np.sqrt(np.diag(fit.cov_params("robust"))))


def test_area_fixed_effects_and_cluster_robust() -> None:
    fit = PseudoValueRegression().fit(
        DF, "years", "event", time=2, formula="C(order) + C(la)", cluster_col="la"
    )
    assert fit.cov_type_ == "cluster"
    assert fit.n_clusters_ == 40
    assert sum(name.startswith("C(la)") for name in fit.params_.index) == 39


def test_few_clusters_follow_the_project_rule() -> None:
    df = DF.assign(region=DF["la"].astype(int) % 5)
    with pytest.warns(FewClustersWarning, match="5 clusters"):
        fit = PseudoValueRegression().fit(
            df, "years", "event", time=2, formula="age", cluster_col="region"
        )
    assert fit.df_ == 4.0
    assert fit.correction_ == "CR1"


def test_degenerate_covariate_is_dropped_and_named() -> None:
    df = DF.assign(age2=2.0 * DF["age"])
    with pytest.warns(DegenerateCovariateWarning, match="age2"):
        fit = PseudoValueRegression().fit(df, "years", "event", time=2, formula="age + age2")
    assert list(fit.params_.index) == ["Intercept", "age"]
    assert fit.predict(df.head(3)).shape == (3, 1)


def test_weights_scale_free_and_they_matter() -> None:
    base = PseudoValueRegression().fit(DF, "years", "event", time=2, formula="age")
    doubled = PseudoValueRegression().fit(
        DF.assign(w=2.0), "years", "event", time=2, formula="age", weights_col="w"
    )
    np.testing.assert_allclose(doubled.params_, base.params_, rtol=1e-10)
    tilted = PseudoValueRegression().fit(
        DF.assign(w=np.where(DF["age"] > 0, 3.0, 1.0)),
        "years",
        "event",
        time=2,
        formula="C(order)",
        weights_col="w",
    )
    assert not np.allclose(tilted.params_.iloc[0], base.params_.iloc[0])


def test_bad_input() -> None:
    bad = DF.copy()
    bad.loc[7, "age"] = np.nan
    with pytest.raises(ValidationError, match="rows 7"):
        PseudoValueRegression().fit(bad, "years", "event", time=2, formula="age")
    with pytest.raises(OutcomesError, match="link"):
        PseudoValueRegression(link="probit")
    with pytest.raises(OutcomesError, match="right-hand side"):
        PseudoValueRegression().fit(DF, "years", "event", time=2, formula="y ~ age")
    fit = PseudoValueRegression().fit(DF, "years", "event", time=2, formula="age")
    with pytest.raises(OutcomesError, match="not computed"):
        fit.cov_params("cluster")


def test_area_fixed_effects_are_adjusted_differences_from_the_first_area() -> None:
    # With only C(la_code) and the identity link, the intercept is the mean
    # pseudo-observation of the first authority and each coefficient the difference of
    # another authority's mean from it.
    df = DF.assign(la_code="E" + DF["la"].str.zfill(3))
    fit = PseudoValueRegression().fit(df, "years", "event", 2, "C(la_code)")
    y = fit.pseudo_values_[2.0].groupby(df["la_code"]).mean()
    first = y.index[0]
    assert fit.params_["Intercept"] == pytest.approx(y[first], rel=1e-10)
    for code in y.index[1:]:
        name = f"C(la_code)[T.{code}]"
        assert fit.params_[name] == pytest.approx(y[code] - y[first], abs=1e-10)
    adjusted = PseudoValueRegression().fit(
        df, "years", "event", 2, "C(order) + age + C(la_code)", cluster_col="la_code"
    )
    assert sum(n.startswith("C(la_code)") for n in adjusted.params_.index) == 39


def test_the_documented_fit_signature_works_positionally() -> None:
    df = DF.assign(w=1.0)
    by_keyword = PseudoValueRegression(
        estimand="risk", link="identity", variance="robust", alpha=0.05
    )
    by_keyword.fit(
        df, "years", "event", time=2, formula="age", event_of_interest=1, weights_col="w"
    )
    positional = PseudoValueRegression("risk", "identity", "robust", 0.05).fit(
        df, "years", "event", 2, "age", 1, None, "w", None
    )
    pd.testing.assert_frame_equal(by_keyword.summary, positional.summary)

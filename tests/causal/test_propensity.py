"""fit_propensity: scores, categorical handling, missing values, swappable models."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer

from outcomes.causal import fit_propensity
from outcomes.errors import OutcomesError, SchemaError
from tests.causal._simulate import CONFOUNDERS, Simulated


def test_default_model_recovers_the_true_propensity(simulated: Simulated) -> None:
    ps = fit_propensity(simulated.data, "treated", CONFOUNDERS)
    # The default model is correctly specified here, so the fitted scores sit close to
    # the true ones.
    error = np.abs(ps.scores - simulated.true_propensity)
    assert error.mean() < 0.02
    assert ps.scores.between(0, 1, inclusive="neither").all()
    assert ps.categorical == ["la_code"]
    assert ps.numeric == ["x1", "x2"]
    assert ps.n_used == len(simulated.data)
    assert ps.n_dropped == 0
    assert ps.scores.name == "propensity"


def test_the_returned_model_gives_the_scores(simulated: Simulated) -> None:
    # the default pipeline is fitted step by step (its preprocessing reused for the
    # scores); the pipeline handed back must be the fitted one
    data = simulated.data.assign(x1=simulated.data["x1"].mask(simulated.data.index % 7 == 0))
    ps = fit_propensity(data, "treated", CONFOUNDERS)
    used = data.loc[ps.used, CONFOUNDERS]
    again = ps.model.predict_proba(used)[:, list(ps.model.classes_).index(1)]
    np.testing.assert_allclose(ps.scores[ps.used], again, rtol=1e-12)


def test_categorical_levels_are_one_hot_encoded(simulated: Simulated) -> None:
    ps = fit_propensity(simulated.data, "treated", CONFOUNDERS)
    names = ps.model.named_steps["preprocess"].get_feature_names_out()
    assert sum("la_code" in n for n in names) == 5


def test_numeric_codes_can_be_declared_categorical(simulated: Simulated) -> None:
    data = simulated.data.assign(area=simulated.data["la_code"].str[1:].astype(int))
    ps = fit_propensity(data, "treated", ["x1", "x2", "area"], categorical=["area"])
    assert ps.categorical == ["area"]
    with pytest.raises(OutcomesError, match="not among the confounders"):
        fit_propensity(data, "treated", ["x1"], categorical=["area"])


def test_a_gradient_boosting_model_can_be_swapped_in(simulated: Simulated) -> None:
    model = GradientBoostingClassifier(n_estimators=30, max_depth=2, random_state=0)
    ps = fit_propensity(simulated.data, "treated", CONFOUNDERS, model=model)
    assert isinstance(ps.model.named_steps["classifier"], GradientBoostingClassifier)
    assert not hasattr(model, "estimators_"), "the user's estimator must not be fitted"
    assert np.corrcoef(ps.scores, simulated.true_propensity)[0, 1] > 0.9


def test_a_user_pipeline_is_used_as_given(simulated: Simulated) -> None:
    numeric_only = make_pipeline(
        FunctionTransformer(lambda X: X[["x1", "x2"]].to_numpy()),
        LogisticRegression(),
    )
    ps = fit_propensity(simulated.data, "treated", CONFOUNDERS, model=numeric_only)
    assert isinstance(ps.model, Pipeline)
    assert ps.model is not numeric_only
    assert ps.scores.notna().all()


def test_complete_case_drops_and_reports_rows(simulated: Simulated) -> None:
    data = simulated.data.copy()
    data.loc[data.index[:40], "x1"] = np.nan
    data.loc[data.index[30:50], "la_code"] = pd.NA
    ps = fit_propensity(data, "treated", CONFOUNDERS)
    assert ps.n_dropped == 50
    assert ps.scores.iloc[:50].isna().all()
    assert ps.scores.iloc[50:].notna().all()
    assert not ps.used.iloc[:50].any()
    report = ps.missing.set_index("variable")["n_missing"]
    assert report.to_dict() == {"treated": 0, "x1": 40, "x2": 0, "la_code": 20}


def test_missing_indicator_keeps_every_row(simulated: Simulated) -> None:
    data = simulated.data.copy()
    data.loc[data.index[:40], "x1"] = np.nan
    data.loc[data.index[30:50], "la_code"] = pd.NA
    ps = fit_propensity(data, "treated", CONFOUNDERS, missing="indicator")
    assert ps.n_dropped == 0
    assert ps.scores.notna().all()
    names = list(ps.model.named_steps["preprocess"].get_feature_names_out())
    assert any("missingindicator" in n for n in names)
    assert any("(missing)" in n for n in names)


def test_missing_treatment_is_always_dropped(simulated: Simulated) -> None:
    data = simulated.data.astype({"treated": "boolean"})
    data.loc[data.index[:7], "treated"] = pd.NA
    ps = fit_propensity(data, "treated", CONFOUNDERS, missing="indicator")
    assert ps.n_dropped == 7
    assert ps.treatment.iloc[:7].isna().all()


def test_bad_inputs_are_named() -> None:
    data = pd.DataFrame({"t": [0, 1, 2, 1], "x": [1.0, 2.0, 3.0, 4.0], "s": list("abcd")})
    with pytest.raises(SchemaError, match="not in the data: z"):
        fit_propensity(data, "t", ["x", "z"])
    with pytest.raises(SchemaError, match="binary"):
        fit_propensity(data, "t", ["x"])
    with pytest.raises(SchemaError, match="single value"):
        fit_propensity(data.assign(t=1), "t", ["x"])
    with pytest.raises(SchemaError, match="not numeric"):
        fit_propensity(data.assign(t=[0, 1, 0, 1]), "t", ["x", "s"], categorical=[])
    with pytest.raises(OutcomesError, match="missing must be"):
        fit_propensity(data, "t", ["x"], missing="mean")  # type: ignore[arg-type]

"""Formula coding: a sum of columns and ``C(column)`` factors is coded without
formulaic, and must give exactly what formulaic gives."""

from __future__ import annotations

import warnings

import formulaic
import numpy as np
import pandas as pd
import pytest

from outcomes.errors import OutcomesWarning
from outcomes.survival._validation import AdditiveSpec, design_matrix


def frame(n: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    order = rng.choice(["care_order", "no_order", "placement_order", "sgo"], n).astype(object)
    order[::17] = None  # missing values code as the first level, as in formulaic
    age = rng.uniform(0, 17, n)
    age[::23] = np.nan
    return pd.DataFrame(
        {
            "age": age,
            "siblings": rng.integers(1, 5, n),
            "order": order,
            # a categorical's own order, an unused category first (its reference)
            "period": pd.Categorical(
                rng.choice(["2014-2016", "to 2013", "2017-2019"], n),
                categories=["2023 on", "to 2013", "2014-2016", "2017-2019"],
            ),
            "stage": rng.choice([1.0, 2.5, 4.0], n),
            "flag": rng.integers(0, 2, n),
        }
    )


def formulaic_coding(formula: str, df: pd.DataFrame, new: pd.DataFrame) -> tuple:
    mm = formulaic.model_matrix(formula, df, na_action="ignore")
    fit = pd.DataFrame(mm).drop(columns="Intercept")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        again = pd.DataFrame(mm.model_spec.get_model_matrix(new, na_action="ignore"))
    return fit, again.drop(columns="Intercept")


@pytest.mark.parametrize(
    "formula",
    [
        "age + C(order) + siblings",
        "C(period) + age",
        "C(siblings) + C(stage) + flag",
        "C(order) + C(period) + C(siblings) + C(stage) + age + flag",
        "C( order )+age",
    ],
)
def test_additive_formulas_are_coded_as_formulaic_codes_them(formula: str) -> None:
    df = frame()
    X, names, spec = design_matrix(df, formula, [])
    assert isinstance(spec, AdditiveSpec)
    new = frame(80, seed=1)
    expected, expected_new = formulaic_coding(formula, df, new)
    assert names == [str(c) for c in expected.columns]
    np.testing.assert_array_equal(X, expected.to_numpy(dtype=np.float64))
    X_new, _, _ = design_matrix(new, formula, [], spec)
    np.testing.assert_array_equal(X_new, expected_new.to_numpy(dtype=np.float64))
    for term in (t.replace(" ", "") for t in formula.split("+")):
        assert list(spec.column_names[spec.get_slice(term)]) == [
            n for n in names if n == term or n.startswith(f"{term}[")
        ]


@pytest.mark.parametrize(
    "formula",
    [
        "cr(age, df=3, constraints='center')",
        "age:flag",
        "age * flag",
        "I(age ** 2)",
        "order + age",  # a bare text column: formulaic decides its coding
        "age + age",
        "0",
        "missing_column + age",
    ],
)
def test_anything_else_is_left_to_formulaic(formula: str) -> None:
    assert AdditiveSpec.of(formula, frame()) is None


def test_a_level_the_fit_did_not_see_is_coded_as_the_first_and_warned_about() -> None:
    df = frame()
    _, names, spec = design_matrix(df, "C(order) + age", [])
    new = pd.DataFrame({"order": ["sgo", "adoption"], "age": [3.0, 4.0]})
    with pytest.warns(OutcomesWarning, match="adoption"):
        X, _, _ = design_matrix(new, "C(order) + age", [], spec)
    np.testing.assert_array_equal(X[1, :-1], 0.0)
    assert X[0, names.index("C(order)[T.sgo]")] == 1.0


def test_an_unknown_term_is_named() -> None:
    from outcomes.errors import OutcomesError

    _, _, spec = design_matrix(frame(), "C(order) + age", [])
    with pytest.raises(OutcomesError, match="'C\\(period\\)' is not a term"):
        spec.get_slice("C(period)")

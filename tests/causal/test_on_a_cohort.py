"""The building blocks run on a real cohort from the synthetic world."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import synthetic
from outcomes import build_cohort
from outcomes.causal import (
    fit_propensity,
    positivity,
    standardised_differences,
    weight_summary,
)


@pytest.fixture(scope="module")
def cohort_data() -> tuple[pd.DataFrame, list[str]]:
    world = synthetic.generate("default", n_applications=600, seed=1, faults=False)
    cohort = build_cohort(world.dataset)
    return cohort.data, [*cohort.covariates, "la_code"]


def test_cohort_columns_are_accepted_as_they_come(
    cohort_data: tuple[pd.DataFrame, list[str]],
) -> None:
    data, confounders = cohort_data
    # short_duration arrives as Python bools in an object column, la_code as strings.
    ps = fit_propensity(data, "short_duration", confounders)
    assert ps.categorical == ["la_code"]
    assert ps.scores.between(0, 1, inclusive="neither").all()
    report = positivity(ps.scores, ps.treatment, warn=False)
    assert set(report.table["arm"]) == {"treated", "control"}

    w = ps.weights(trim_percentiles=(1, 99))
    overall = weight_summary(w, ps.treatment).iloc[-1]
    assert overall["arm"] == "overall"
    assert overall["n"] == len(data)
    assert 0 < overall["ess_ratio"] <= 1

    table = standardised_differences(data, "short_duration", confounders, weights=w)
    numeric = table.loc[table["level"].isna()]
    # Weighting moves the measured confounders towards balance.
    assert np.nanmean(numeric["smd_weighted"].abs()) < np.nanmean(numeric["smd_unweighted"].abs())

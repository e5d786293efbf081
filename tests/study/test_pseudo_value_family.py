"""The study's ``pseudo_value_regression`` family.

Its rows are standardised risks from an identity-link model of pseudo-observations with
exposure-by-confounder terms and local-authority fixed effects; its intervals come from
the sandwich clustered as the hazard models' are, under the few-cluster rule. Here the
point estimate is rebuilt by hand (least squares on an explicitly built design), the
standard error from a hand-written cluster sandwich, and the few-cluster and one-LA
paths are checked. Truth recovery on synthetic worlds is
``tests/regression/test_pseudo_synthetic.py``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import synthetic
from outcomes.causal import PositivityWarning
from outcomes.regression import pseudo_observations
from outcomes.study import RushedDisposalStudy, StudyResult
from outcomes.study.frame import FAMILY, analysis_frame, design_columns
from outcomes.study.labels import method_label
from outcomes.study.study import PSEUDO_METHOD
from tests.study.test_few_clusters import five_la_dataset, one_la_world

HORIZONS = (1.0, 2.0, 5.0)
ESTIMANDS = ["risk_exposed", "risk_unexposed", "risk_difference", "risk_ratio"]


def run(data: object) -> StudyResult:
    with warnings.catch_warnings():
        # a few authorities overlap poorly on the propensity score: not the subject here
        warnings.simplefilter("ignore", PositivityWarning)
        return RushedDisposalStudy(
            data, n_boot=2, sensitivity=False, mediation=False, seed=1
        ).run()


@pytest.fixture(scope="module")
def world() -> synthetic.World:
    return synthetic.generate("default", n_applications=1_500, seed=8, faults=False)


@pytest.fixture(scope="module")
def result(world: synthetic.World) -> StudyResult:
    return run(world.dataset)


def by_hand(world: synthetic.World, horizon: float) -> tuple[float, float]:
    """The standardised 2-year risk difference and its cluster-robust standard error,
    from pseudo-observations by arm, least squares on a design built column by column,
    and the CR0 sandwich summed over local authorities (152 clusters: no correction)."""
    af = analysis_frame(
        world.dataset, outcome="child_return", threshold_weeks=26, confounders=None
    )
    d = af.data
    y = pseudo_observations(d, "years", "event", horizon, strata="exposed")[horizon].to_numpy()
    a = d["exposed"].to_numpy(dtype=float)[:, None]
    case_mix = np.hstack([design_columns(d, c) for c in af.confounders])
    areas = pd.get_dummies(d["la_code"].astype(str), drop_first=True, dtype=float).to_numpy()

    def design(arm: np.ndarray) -> np.ndarray:
        return np.hstack([np.ones_like(arm), arm, case_mix, arm * case_mix, areas])

    X = design(a)
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    contrast = (design(np.ones_like(a)) - design(np.zeros_like(a))).mean(axis=0)
    bread = np.linalg.inv(X.T @ X)
    scores = X * (y - X @ beta)[:, None]
    codes = pd.factorize(d["la_code"])[0]
    by_cluster = np.vstack([scores[codes == g].sum(axis=0) for g in range(codes.max() + 1)])
    cov = bread @ by_cluster.T @ by_cluster @ bread
    return float(contrast @ beta), float(np.sqrt(contrast @ cov @ contrast))


def test_every_horizon_has_the_four_rows(result: StudyResult) -> None:
    e = result.estimates.loc[result.estimates["method"] == PSEUDO_METHOD]
    assert e["horizon_years"].tolist() == [h for h in HORIZONS for _ in ESTIMANDS]
    assert e["estimand"].tolist() == ESTIMANDS * len(HORIZONS)
    for h in HORIZONS:
        rows = e.loc[e["horizon_years"] == h].set_index("estimand")
        r1, r0 = rows.loc["risk_exposed", "estimate"], rows.loc["risk_unexposed", "estimate"]
        assert rows.loc["risk_difference", "estimate"] == pytest.approx(r1 - r0, abs=1e-14)
        assert rows.loc["risk_ratio", "estimate"] == pytest.approx(r1 / r0, rel=1e-12)
        assert (rows["ci_upper"] > rows["estimate"]).all()
        assert (rows["ci_lower"] < rows["estimate"]).all()
        assert np.isfinite(rows.loc[["risk_difference", "risk_ratio"], "p_value"]).all()
    d = result.diagnostics[PSEUDO_METHOD]
    assert d["variance"] == "cluster" and d["t_df"] is None
    assert d["clusters"] == result.diagnostics["inference"]["clusters"] >= 30


def test_the_difference_and_its_standard_error_match_a_hand_computation(
    world: synthetic.World, result: StudyResult
) -> None:
    row = result.get(PSEUDO_METHOD, "risk_difference", 2.0)
    estimate, std_error = by_hand(world, 2.0)
    assert row["estimate"] == pytest.approx(estimate, rel=1e-9)
    assert row["std_error"] == pytest.approx(std_error, rel=1e-6)
    z = stats.norm.ppf(0.975)
    assert row["ci_upper"] == pytest.approx(estimate + z * std_error, rel=1e-6)


def test_the_family_is_in_the_forest_plot(result: StudyResult) -> None:
    # the forest plot names methods by their readable labels (one map for plot and table)
    label = method_label(PSEUDO_METHOD)
    labels = [t.get_text() for ax in result.figures["forest"].axes for t in ax.get_yticklabels()]
    assert any(text.startswith(label) for text in labels), labels


def test_few_authorities_give_a_corrected_variance_and_t_reference() -> None:
    result = run(five_la_dataset())
    d = result.diagnostics[PSEUDO_METHOD]
    assert d["variance"] == "cluster" and d["clusters"] == 5 and d["t_df"] == 4
    # the fitter's few-cluster warning is kept with the others, not raised
    assert any("PseudoValueRegression" in m for m in result.diagnostics["few_clusters"])
    row = result.get(PSEUDO_METHOD, "risk_difference", 2.0)
    half = row["ci_upper"] - row["estimate"]
    assert half == pytest.approx(stats.t.ppf(0.975, 4) * row["std_error"], rel=1e-9)


def test_one_authority_clusters_by_family_without_an_area_term() -> None:
    data = one_la_world().dataset
    result = run(data)
    d = result.diagnostics[PSEUDO_METHOD]
    af = analysis_frame(data, outcome="child_return", threshold_weeks=26, confounders=None)
    assert af.area is None
    assert d["variance"] == "cluster" and d["clusters"] == af.data[FAMILY].nunique()
    e = result.estimates.loc[result.estimates["method"] == PSEUDO_METHOD]
    assert len(e) == len(ESTIMANDS) * len(HORIZONS)
    width = e["ci_upper"] - e["ci_lower"]
    assert (width > 0).all() and (e["std_error"] > 0).all()

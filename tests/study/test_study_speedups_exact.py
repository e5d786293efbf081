"""The study's fast paths give the numbers of the plain computations they replace.

The bootstrap refits the propensity model, the weighted Aalen-Johansen risks and the
cause-specific Cox models hundreds of times per world; each has a quicker route
(``docs/study.md``, "Performance"). Each route is checked here against the plain
computation -- scikit-learn's pipeline, ``cumulative_incidence(...).at``, one Cox fit
per cause, a loop over strata -- on the full data and on bootstrap resamples, to well
within the 1e-9 relative agreement the study's saved validation runs are held to.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import synthetic
from outcomes.causal import PositivityWarning, fit_propensity
from outcomes.causal._ridge_logistic import one_hot_logistic_scores, standardise
from outcomes.errors import FollowUpWarning
from outcomes.study import methods
from outcomes.study.frame import AREA, CATEGORICAL_CONFOUNDERS, AnalysisFrame, analysis_frame
from outcomes.survival import CauseSpecificCox, CoxFitter, cumulative_incidence

HORIZONS = (1.0, 2.0, 5.0)


@pytest.fixture(scope="module")
def frame() -> AnalysisFrame:
    world = synthetic.generate("default", n_applications=1500, seed=7, faults=False)
    return analysis_frame(
        world.dataset, outcome="child_return", threshold_weeks=26, confounders=None
    )


def sklearn_scores(data: pd.DataFrame, af: AnalysisFrame) -> np.ndarray:
    """The default propensity model fitted by scikit-learn (the pipeline itself)."""
    categorical = [c for c in af.confounders if c in CATEGORICAL_CONFOUNDERS]
    result = fit_propensity(
        data,
        "exposed",
        [*af.confounders, AREA],
        model=methods.default_propensity_model(),
        categorical=[*categorical, AREA],
    )
    return result.scores.to_numpy()


def resamples(af: AnalysisFrame, n: int, seed: int) -> list[pd.DataFrame]:
    """Frames of ``cluster_bootstrap``'s replicates, as its estimators receive them."""
    frames: list[pd.DataFrame] = []

    def keep(frame: pd.DataFrame) -> np.ndarray:
        frames.append(frame)
        return np.zeros(1)

    methods.cluster_bootstrap(af.data, keep, n, np.random.default_rng(seed))
    return frames


def test_the_propensity_scores_are_scikit_learns(frame: AnalysisFrame) -> None:
    categorical = [c for c in frame.confounders if c in CATEGORICAL_CONFOUNDERS]
    for data in [frame.data, *resamples(frame, 3, seed=1)]:
        fast = methods._default_propensity_scores(data, frame.confounders, [*categorical, AREA])
        assert fast is not None
        np.testing.assert_allclose(fast, sklearn_scores(data, frame), rtol=1e-10, atol=0)


def test_a_fit_scikit_learn_would_not_finish_by_newton_is_left_to_it() -> None:
    # One Newton step is not enough to converge: scikit-learn would warn and return its
    # unconverged iterate, so the fast path declines and the caller fits with it.
    rng = np.random.default_rng(3)
    x = rng.normal(size=(400, 2))
    y = (x[:, 0] + rng.normal(size=400) > 0).astype(float)
    codes = rng.integers(0, 5, 400)
    assert one_hot_logistic_scores(standardise(x), [(codes, 5)], y, C=1.0, max_iter=1) is None
    assert one_hot_logistic_scores(standardise(x), [(codes, 5)], y, C=1.0) is not None


def test_the_study_weights_are_the_pipelines(frame: AnalysisFrame) -> None:
    slow = methods.iptw_weights(
        frame.data, frame.confounders, methods.default_propensity_model(), (1, 99), AREA
    )
    fast = methods.iptw_weights(frame.data, frame.confounders, None, (1, 99), AREA)
    for a, b in zip(fast, slow, strict=True):
        np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=1e-10, atol=0)
        assert a.name == b.name


def plain_weighted_risks(data: pd.DataFrame, weights: np.ndarray) -> np.ndarray:
    cif = cumulative_incidence(
        data.assign(iptw=weights),
        "years",
        "event",
        event_of_interest=1,
        by="exposed",
        weights_col="iptw",
    )
    return methods._by_arm(cif.at(list(HORIZONS)), HORIZONS)


def test_the_weighted_risks_are_those_of_cumulative_incidence(frame: AnalysisFrame) -> None:
    rng = np.random.default_rng(5)
    for data in [frame.data, *resamples(frame, 3, seed=2)]:
        weights = rng.gamma(2.0, 0.5, len(data))
        fast = methods._weighted_risks(data, weights, HORIZONS)
        assert fast is not None
        np.testing.assert_allclose(fast, plain_weighted_risks(data, weights), rtol=1e-12)


def test_the_weighted_risks_past_follow_up_are_missing_and_say_so(
    frame: AnalysisFrame,
) -> None:
    data = frame.data.loc[frame.data["years"] < 3].reset_index(drop=True)
    weights = np.ones(len(data))
    with pytest.warns(FollowUpWarning):
        fast = methods._weighted_risks(data, weights, HORIZONS)
    with pytest.warns(FollowUpWarning):
        plain = plain_weighted_risks(data, weights)
    assert fast is not None and np.isnan(fast[:, -1]).all()
    np.testing.assert_allclose(fast, plain, rtol=1e-12)


def test_what_cumulative_incidence_would_reject_goes_to_it(frame: AnalysisFrame) -> None:
    weights = np.ones(len(frame.data))
    weights[3] = np.nan
    assert methods._weighted_risks(frame.data, weights, HORIZONS) is None


def test_the_iptw_bootstrap_is_the_plain_one(frame: AnalysisFrame) -> None:
    def plain(data: pd.DataFrame) -> np.ndarray:
        _, weights = methods.iptw_weights(
            data, frame.confounders, methods.default_propensity_model(), (1, 99), AREA
        )
        return plain_weighted_risks(data, weights.to_numpy())

    def fast(data: pd.DataFrame) -> np.ndarray:
        return methods.iptw_risks(data, frame.confounders, HORIZONS, None, (1, 99), AREA)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PositivityWarning)
        a = methods.cluster_bootstrap(frame.data, fast, 4, np.random.default_rng(9))
        b = methods.cluster_bootstrap(frame.data, plain, 4, np.random.default_rng(9))
    np.testing.assert_allclose(a, b, rtol=1e-10)


def outcome_frame(af: AnalysisFrame) -> tuple[pd.DataFrame, str, list[str]]:
    data, strata = methods.with_arm_strata(af.data, AREA)
    pooled = data.assign(event=np.minimum(data["event"].to_numpy(), 2))
    return pooled, methods.formula(af.confounders, data, exposure=False), strata


def test_each_cause_is_the_cox_model_of_its_own_events(frame: AnalysisFrame) -> None:
    data, formula, strata = outcome_frame(frame)
    model = CauseSpecificCox().fit(data, "years", "event", formula=formula, strata=strata)
    for k in (1, 2):
        own = data.assign(event=(data["event"] == k).astype(int))
        alone = CoxFitter().fit(own, "years", "event", formula=formula, strata=strata)
        pd.testing.assert_series_equal(model.fitters_[k].params_, alone.params_)
        pd.testing.assert_frame_equal(
            model.fitters_[k].baseline_cumulative_hazard_, alone.baseline_cumulative_hazard_
        )


def stratum_by_stratum(
    model: CauseSpecificCox, X: pd.DataFrame, times: np.ndarray, cause: int
) -> np.ndarray:
    """The cumulative incidence computed one stratum at a time on its own grid."""
    codes = model.fitters_[cause].stratum_codes(X)
    out = np.zeros((times.size, len(X)))
    for s in np.unique(codes):
        cols = np.flatnonzero(codes == s)
        parts = {}
        for k, f in model.fitters_.items():
            steps = f.baseline_hazard_steps_
            mine = steps.loc[steps["stratum"] == s]
            risk = f.predict_partial_hazard(X.iloc[cols]).to_numpy()
            parts[k] = (mine["time"].to_numpy(), mine["hazard"].to_numpy(), risk)
        grid = np.unique(np.concatenate([t for t, _, _ in parts.values()]))
        survival, incidence = np.ones(cols.size), np.zeros((grid.size, cols.size))
        running = np.zeros(cols.size)
        for j, u in enumerate(grid):
            total = np.zeros(cols.size)
            own = np.zeros(cols.size)
            for k, (t, hazard, risk) in parts.items():
                step = hazard[t == u].sum() * risk
                total += step
                if k == cause:
                    own = step
            running = running + survival * np.where(total > 1, own / total, own)
            survival = survival * np.clip(1 - total, 0, None)
            incidence[j] = running
        at = np.searchsorted(grid, times, side="right")
        out[:, cols] = np.vstack([np.zeros((1, cols.size)), incidence])[at]
    return out


def test_the_predicted_risks_are_those_stratum_by_stratum(frame: AnalysisFrame) -> None:
    data, formula, strata = outcome_frame(frame)
    model = CauseSpecificCox().fit(data, "years", "event", formula=formula, strata=strata)
    rows = data.sample(300, random_state=1)
    times = np.array(HORIZONS)
    predicted = model.predict_cumulative_incidence(rows, times=times, cause=1).to_numpy()
    np.testing.assert_allclose(
        predicted, stratum_by_stratum(model, rows, times, 1), rtol=1e-12, atol=1e-15
    )
    assert (predicted[-1] > 0).any()

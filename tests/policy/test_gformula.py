"""The policy g-formula on a synthetic world: layout, exact identities, the natural
course against Aalen-Johansen, positivity, the order model, few clusters."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import synthetic
from outcomes.causal import PositivityWarning
from outcomes.cohort import build_cohort
from outcomes.errors import OutcomesError
from outcomes.policy import COLUMNS, Cap, DurationPolicyEffect, Shift
from outcomes.policy.gformula import ORIGIN
from outcomes.study.mediation import order_model
from outcomes.survival import cumulative_incidence

POLICIES = ["cap:1000", "cap:26", "shift:-4", "match:best_quartile"]
HORIZONS = (1.0, 2.0, 5.0)


@pytest.fixture(scope="module")
def cohort() -> object:
    world = synthetic.generate("default", n_applications=3_000, seed=2, faults=False)
    return build_cohort(world.dataset, outcome="child_return")


@pytest.fixture(scope="module")
def fitted(cohort: object) -> tuple[DurationPolicyEffect, pd.DataFrame, list[str]]:
    effect = DurationPolicyEffect(n_boot=10, seed=3).fit(cohort)  # type: ignore[arg-type]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PositivityWarning)
        table = effect.estimate(POLICIES, horizons=HORIZONS)
    return effect, table, [str(w.message) for w in caught]


def get(table: pd.DataFrame, policy: str, estimand: str, horizon: float | None) -> pd.Series:
    rows = table.loc[(table["policy"] == policy) & (table["estimand"] == estimand)]
    if horizon is None:
        rows = rows.loc[rows["horizon_years"].isna()]
    else:
        rows = rows.loc[rows["horizon_years"] == horizon]
    assert len(rows) == 1, (policy, estimand, horizon)
    return rows.iloc[0]


def test_layout(fitted: tuple[DurationPolicyEffect, pd.DataFrame, list[str]]) -> None:
    effect, table, _ = fitted
    assert list(table.columns) == COLUMNS
    # natural: a risk per horizon and the mean weeks; per policy: five estimands per
    # horizon, the mean weeks and their difference
    assert len(table) == len(HORIZONS) + 1 + len(POLICIES) * (5 * len(HORIZONS) + 2)
    assert set(table["method"]) == {"g_formula"}
    risk = table.loc[table["estimand"] == "policy_risk"]
    assert set(risk["arm"]) == {"natural", *POLICIES}
    contrasts = table.loc[table["estimand"] == "policy_risk_difference"]
    assert set(contrasts["contrast"]) == set(POLICIES)
    assert table.attrs["interval"] == "percentile"  # 150-odd areas: whole areas resampled
    assert table.attrs["labels"]["cap:26"] == "Cap at 26 weeks"
    assert effect.diagnostics_["bootstrap"]["replicates"] == 10


def test_a_policy_that_moves_no_one_has_no_effect_and_no_interval(
    fitted: tuple[DurationPolicyEffect, pd.DataFrame, list[str]],
) -> None:
    _, table, _ = fitted
    for h in HORIZONS:
        assert get(table, "cap:1000", "policy_risk_difference", h)["estimate"] == 0.0
        assert get(table, "cap:1000", "policy_risk_ratio", h)["estimate"] == 1.0
        for estimand in ("policy_risk_difference", "policy_direct", "policy_through_order"):
            row = get(table, "cap:1000", estimand, h)
            assert row["estimate"] == 0.0
            # every replicate is exactly 0 too: no spread, so no interval (never a
            # zero-width one) and no p-value
            assert row[["std_error", "ci_lower", "ci_upper", "p_value"]].isna().all()
    weeks = get(table, "cap:1000", "mean_weeks_difference", None)
    assert weeks["estimate"] == 0.0 and np.isnan(weeks["std_error"])


def test_the_split_adds_up(fitted: tuple[DurationPolicyEffect, pd.DataFrame, list[str]]) -> None:
    _, table, _ = fitted
    for policy in POLICIES:
        for h in HORIZONS:
            total = get(table, policy, "policy_risk_difference", h)["estimate"]
            direct = get(table, policy, "policy_direct", h)["estimate"]
            through = get(table, policy, "policy_through_order", h)["estimate"]
            assert abs(direct + through - total) <= 4 * np.finfo(float).eps
            risk = get(table, policy, "policy_risk", h)["estimate"]
            natural = get(table, "natural", "policy_risk", h)["estimate"]
            assert risk - natural == total


def test_policies_that_move_cases_have_intervals_and_save_weeks(
    fitted: tuple[DurationPolicyEffect, pd.DataFrame, list[str]],
) -> None:
    _, table, _ = fitted
    for policy in POLICIES[1:]:
        row = get(table, policy, "policy_risk_difference", 2.0)
        assert row["std_error"] > 0 and row["ci_lower"] < row["ci_upper"]
        assert 0 <= row["p_value"] <= 1
        saved = get(table, policy, "mean_weeks_difference", None)
        assert saved["estimate"] < 0 and saved["ci_upper"] < 0
    # the default world's return hazard is 1.3 times higher after disposal within 26
    # weeks, so capping at 26 weeks raises the risk of return
    assert get(table, "cap:26", "policy_risk_difference", 2.0)["estimate"] > 0


def test_natural_course_agrees_with_aalen_johansen(
    fitted: tuple[DurationPolicyEffect, pd.DataFrame, list[str]],
) -> None:
    effect, table, _ = fitted
    aj = cumulative_incidence(effect.data_, "years", "event", event_of_interest=1).at(HORIZONS)
    for h in HORIZONS:
        at = aj.loc[aj["time"] == h].iloc[0]
        natural = get(table, "natural", "policy_risk", h)
        se = np.sqrt(at["variance"] + natural["std_error"] ** 2)
        assert abs(natural["estimate"] - at["estimate"]) < 3 * se, (h, natural, at)


def test_positivity_warns_only_when_cases_are_moved_out_of_range(
    fitted: tuple[DurationPolicyEffect, pd.DataFrame, list[str]],
) -> None:
    effect, _, messages = fitted
    assert not [m for m in messages if "cap:26 " in m or "cap:1000" in m]
    table = effect.diagnostics_["positivity"].set_index("policy")
    assert table.loc["cap:1000", "moved"] == 0
    assert table.loc["cap:1000", ["outside_area", "outside_stratum"]].sum() == 0
    assert table.loc["cap:26", "share_outside_area"] <= effect.positivity_tolerance
    # filterwarnings=error: a warning here would fail the test
    effect.positivity([Cap(26)])
    for policy, spec in ((Shift(-30), "shift:-30"), (Cap(2), "cap:2")):
        with pytest.warns(PositivityWarning, match=f"policy {spec} moves") as caught:
            shares = effect.positivity([policy])
        assert "case-mix stratum" in str(caught[0].message)
        assert shares["share_outside_area"].iloc[0] > 0.01
    # a cap at 2 weeks moves almost every case below the shortest duration of its
    # area and stratum (all but those where a case took under 2 weeks)
    with pytest.warns(PositivityWarning):
        below = effect.positivity(["cap:2"]).iloc[0]
    weeks = effect.data_["duration_weeks"]
    assert below["moved"] == (weeks > 2).sum()
    assert below["share_outside_area"] > 0.9 and below["share_outside_stratum"] > 0.9


def test_order_model_is_the_study_order_model(
    fitted: tuple[DurationPolicyEffect, pd.DataFrame, list[str]],
) -> None:
    # The same multinomial ridge model as the mediation analysis fits with
    # scikit-learn (duration terms as extra numeric columns, the area one-hot), to
    # within both solvers' stopping tolerance.
    effect, _, _ = fitted
    data = effect.data_
    models = effect.models_
    B = models.basis.transform(data["duration_weeks"].to_numpy())
    frame = data.assign(**dict(zip(models.basis.names, B.T, strict=True)), exposed=0.0)
    reference = order_model(frame, [*models.basis.names, *effect.confounders_], area=ORIGIN)
    theirs = reference.predict_proba(frame[list(reference.feature_names_in_)])
    assert list(reference.classes_) == effect.levels_
    ours = models.order.probabilities(
        np.hstack([B, effect._numeric(data)]),
        [
            pd.Categorical(data[c].astype(str), categories=lv).codes.astype(np.intp)
            for c, lv in zip(effect._factor_columns(data), models.factor_levels, strict=True)
        ],
    )
    assert np.abs(ours - theirs).max() < 0.02
    assert np.abs(ours - theirs).mean() < 1e-3


def test_one_local_authority_uses_the_family_bootstrap() -> None:
    # an authority's own extract: one cluster, so families are resampled and the
    # interval is the normal one from the bootstrap SE; a DataFrame with other column
    # names works as the cohort does
    world = synthetic.generate("small_area", n_applications=3_000, seed=5, faults=False)
    rows = build_cohort(world.dataset, outcome="child_return").data
    one = rows.loc[rows["la_code"] == rows["la_code"].mode().iloc[0]]
    one = one.rename(columns={"time": "followup", "duration_weeks": "weeks"})
    effect = DurationPolicyEffect(n_boot=20, seed=1).fit(
        one, "followup", "event", exposure_col="weeks"
    )
    assert effect.diagnostics_["inference"]["local_authorities"] == 1
    assert "families" in effect.diagnostics_["inference"]["bootstrap"]
    # copies of families share their authority's stratum: fitted as copies, not weights
    assert not effect._copies_are_weights(effect.data_)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PositivityWarning)
        table = effect.estimate(["cap:26"], horizons=(2,))
    assert table.attrs["interval"] == "normal"
    row = get(table, "cap:26", "policy_risk_difference", 2.0)
    assert np.isfinite(row["estimate"]) and row["std_error"] > 0
    assert row["ci_lower"] < row["estimate"] < row["ci_upper"]


def test_bad_requests_are_errors(
    fitted: tuple[DurationPolicyEffect, pd.DataFrame, list[str]],
) -> None:
    effect, _, _ = fitted
    with pytest.raises(OutcomesError, match="policies given twice: cap:26"):
        effect.estimate(["cap:26", "cap:26"])
    with pytest.raises(OutcomesError, match="horizons"):
        effect.estimate(["cap:26"], horizons=(-1,))
    with pytest.raises(OutcomesError, match="call fit"):
        DurationPolicyEffect().estimate(["cap:26"])
    with pytest.raises(OutcomesError, match="columns not found: weeks"):
        DurationPolicyEffect().fit(effect.data_, exposure_col="weeks")


@pytest.mark.parametrize("cluster", ["la_code", "dfj_area"])
def test_a_resample_fitted_with_weights_is_the_resample_of_copies(
    cohort: object, cluster: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The same draws fitted both ways: each drawn cluster once with its number of
    # draws as a frequency weight, and as copies (each copy of an authority its own
    # stratum): every replicate's estimates agree to rounding.
    policies = ["cap:26", "shift:-4", "match:best_quartile"]
    weighted = DurationPolicyEffect(n_boot=6, seed=4).fit(cohort, cluster_col=cluster)
    assert weighted._copies_are_weights(weighted.data_)
    copies = DurationPolicyEffect(n_boot=6, seed=4).fit(cohort, cluster_col=cluster)
    monkeypatch.setattr(copies, "_copies_are_weights", lambda frame: False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PositivityWarning)
        weighted.estimate(policies)
        copies.estimate(policies)
    assert weighted.replicates_.shape == copies.replicates_.shape == (6, 4, 7)
    np.testing.assert_allclose(weighted.replicates_, copies.replicates_, rtol=1e-8, atol=1e-12)
    # and the replicates differ from each other: the check could fail
    assert np.ptp(weighted.replicates_[:, 1, 1]) > 1e-4

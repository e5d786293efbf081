"""Duration policies: their arithmetic by hand on small frames, and their spec strings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from outcomes.errors import OutcomesError
from outcomes.policy import (
    Cap,
    Custom,
    DurationBasis,
    MatchDistribution,
    Shift,
    as_policy,
    parse_policy,
)
from outcomes.survival import natural_spline_basis


def frame(weeks: list[float], areas: list[str] | None = None) -> pd.DataFrame:
    return pd.DataFrame(
        {"duration_weeks": weeks, "la_code": areas if areas is not None else ["A"] * len(weeks)}
    )


def test_cap_moves_only_the_cases_above_it() -> None:
    new = Cap(26)(frame([10, 26, 30, 52]))
    np.testing.assert_array_equal(new, [10, 26, 26, 26])


def test_shift_stops_at_the_floor_and_leaves_shorter_cases_alone() -> None:
    weeks = [5, 10, 11, 12, 30]
    # D' = max(D - 4, min(D, 8)): 5 stays (under the floor), 10 and 11 stop at 8,
    # 12 lands on 8, 30 moves to 26
    np.testing.assert_array_equal(Shift(-4)(frame(weeks)), [5, 8, 8, 8, 26])
    # floor 10: 10 stays, 11 and 12 stop at 10
    np.testing.assert_array_equal(Shift(-4, floor=10)(frame(weeks)), [5, 10, 10, 10, 26])
    # a shift of 0 is the identity, to the last digit
    w = np.array([7.142857142857143, 26.0, 51.857142857142854])
    np.testing.assert_array_equal(Shift(0)(frame(list(w))), w)


def test_match_maps_mid_rank_quantiles_within_area_by_hand() -> None:
    # Area A: 10, 20, 20, 40 weeks -> mid-ranks 1, 2.5, 2.5, 4 -> u = (r - 1/2) / 4 =
    # 0.125, 0.5, 0.5, 0.875. Area B: one case, u = 0.5. Reference 7, 14, 21, 28 weeks
    # = 49, 98, 147, 196 days; the linear quantile at u sits at position 3u:
    # 0.375 -> 49 + 0.375 * 49 = 67.375 days; 1.5 -> 122.5; 2.625 -> 177.625.
    data = frame([10, 20, 20, 40, 30], ["A", "A", "A", "A", "B"])
    new = MatchDistribution([7, 14, 21, 28])(data)
    expected = np.array([67.375, 122.5, 122.5, 177.625, 122.5]) / 7
    np.testing.assert_allclose(new, expected, rtol=0, atol=1e-12)


def test_match_references_best_quartile_national_and_an_area() -> None:
    # area medians 15, 35, 55, 75: their first quartile is 15 + 0.75 * 20 = 30, so the
    # best-quartile areas are those with median <= 30: A alone
    data = frame([10, 20, 30, 40, 50, 60, 70, 80], list("AABBCCDD"))
    best = MatchDistribution("best_quartile")
    np.testing.assert_array_equal(best.reference_weeks(data), [10, 20])
    np.testing.assert_array_equal(
        MatchDistribution("national").reference_weeks(data), data["duration_weeks"]
    )
    np.testing.assert_array_equal(MatchDistribution("C").reference_weeks(data), [50, 60])
    # each area's faster case (u = 1/4) goes to quantile 0.25 of [70, 140] days (87.5
    # days), its slower (u = 3/4) to 122.5 days
    np.testing.assert_allclose(best(data), np.tile([87.5, 122.5], 4) / 7, rtol=0, atol=1e-12)
    # an area code's reference is held once taken from the data
    held = MatchDistribution("C").fixed(data)
    assert held.spec == "match:C"
    np.testing.assert_array_equal(held.reference_weeks(data.iloc[:2]), [50, 60])
    with pytest.raises(OutcomesError, match="no case of area 'Z'"):
        MatchDistribution("Z")(data)


@pytest.mark.parametrize(
    ("spec", "policy", "label"),
    [
        ("cap:26", Cap(26), "Cap at 26 weeks"),
        ("shift:-4", Shift(-4), "Every case 4 weeks shorter (never below 8 weeks)"),
        ("shift:-4:floor=10", Shift(-4, floor=10), "never below 10 weeks"),
        ("match:best_quartile", MatchDistribution("best_quartile"), "best-quartile"),
        ("match:national", MatchDistribution("national"), "national"),
        ("match:E09000001", MatchDistribution("E09000001"), "area E09000001"),
    ],
)
def test_specs_round_trip(spec: str, policy: object, label: str) -> None:
    parsed = parse_policy(spec)
    assert parsed.spec == spec == policy.spec  # type: ignore[attr-defined]
    assert type(parsed) is type(policy)
    assert label in parsed.label
    assert parse_policy(f" {spec.upper() if spec.startswith('cap') else spec} ").spec == spec


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("cap:abc", "'abc' is not a number"),
        ("cap:", "'' is not a number"),
        ("cap:-3", "weeks must be positive"),
        ("cap:inf", "not a finite number"),
        ("shift:-4:flor=10", "not understood"),
        ("shift:-4:floor=-1", "floor must be 0 or more"),
        ("teleport:3", "unknown kind 'teleport'"),
        ("match:", "no reference given"),
    ],
)
def test_bad_specs_are_named(spec: str, message: str) -> None:
    with pytest.raises(OutcomesError) as caught:
        parse_policy(spec)
    # the message names the spec as typed, then what is wrong with it
    assert str(caught.value).startswith(f"policy {spec!r}: ")
    assert message in str(caught.value)


def test_custom_policies_are_checked() -> None:
    data = frame([10, 30])

    def halve(f: pd.DataFrame) -> np.ndarray:
        return f["duration_weeks"].to_numpy() / 2

    policy = as_policy(halve)
    assert isinstance(policy, Custom) and policy.spec == "custom:halve"
    np.testing.assert_array_equal(policy(data), [5, 15])
    with pytest.raises(OutcomesError, match="returned 1 durations for 2 rows"):
        Custom(lambda f: [1.0], name="short")(data)
    with pytest.raises(OutcomesError, match="positive, finite"):
        Custom(lambda f: [1.0, -1.0], name="negative")(data)
    with pytest.raises(OutcomesError, match="not a policy"):
        as_policy(26)  # type: ignore[arg-type]


def test_duration_basis_steps_at_each_threshold_and_only_there() -> None:
    basis = DurationBasis(4, (26,)).fit(np.linspace(5, 100, 200))
    assert basis.names == [f"duration_spline_{j}" for j in (1, 2, 3, 4)] + ["duration_within_26"]
    # 26 weeks (182 days) is within; one day later is not; the spline barely moves
    B = basis.transform(np.array([26.0, 183 / 7]))
    assert B[0, -1] == 1.0 and B[1, -1] == 0.0
    np.testing.assert_allclose(B[0, :4], B[1, :4], atol=0.02)
    # thresholds=() keeps the spline only
    plain = DurationBasis(4, ()).fit(np.linspace(5, 100, 200))
    assert plain.transform(np.array([26.0])).shape == (1, 4)
    # repeated durations (whole days) get the spline's own columns, value by value
    weeks = np.random.default_rng(2).integers(20, 700, 3000) / 7
    np.testing.assert_array_equal(
        plain.transform(weeks), natural_spline_basis(weeks, 4, dict(plain.state_))
    )


@pytest.mark.parametrize("reference", ["best_quartile", "national", "B", [9.0, 20.5, 33.0]])
def test_weighted_rows_give_the_durations_of_their_copies(reference: object) -> None:
    # A resample of whole areas fitted as its distinct rows with frequency weights: a
    # match policy must give each row what it gives the row's first copy when the
    # copies are made (each copy of an area an area of its own).
    rng = np.random.default_rng(3)
    areas = np.repeat(list("ABCDEF"), [5, 3, 7, 2, 6, 4])
    data = frame(list(rng.integers(20, 600, areas.size) / 7), list(areas))
    per_area = dict(zip("ABCDEF", [1, 3, 2, 1, 4, 2], strict=True))
    weights = np.array([per_area[a] for a in areas], dtype=np.int64)
    policy = MatchDistribution(reference).fixed(data)  # type: ignore[arg-type]
    by_copies = Custom(policy, name="copies").durations(data, weights)
    np.testing.assert_array_equal(policy.durations(data, weights), by_copies)
    if reference in ("best_quartile", "national"):  # a reference taken from the rows
        assert not np.array_equal(by_copies, policy(data))
    # weights that differ within an area are not copies of areas: the copies decide
    weights[0] += 1
    np.testing.assert_array_equal(
        policy.durations(data, weights), Custom(policy, name="copies").durations(data, weights)
    )


def test_ranks_and_medians_within_areas_equal_pandas() -> None:
    from outcomes.policy.policies import _area_codes, _medians, _mid_ranks

    rng = np.random.default_rng(0)
    for _ in range(100):
        n = int(rng.integers(1, 300))
        areas = rng.choice(list("ABCDEFG")[: int(rng.integers(1, 8))], n).astype(object)
        weeks = rng.integers(10, 60, n) / 7  # whole days: many ties
        codes, size = _area_codes(areas)
        by_area = pd.Series(weeks).groupby(areas)
        np.testing.assert_array_equal(
            _mid_ranks(weeks, codes), by_area.rank(method="average").to_numpy()
        )
        order = list(pd.unique(areas))
        np.testing.assert_array_equal(
            _medians(weeks, codes, size), by_area.median().loc[order].to_numpy()
        )


def test_a_match_refuses_missing_durations() -> None:
    with pytest.raises(OutcomesError, match="some durations are missing"):
        MatchDistribution("national")(frame([10.0, float("nan"), 30.0]))

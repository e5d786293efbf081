"""Duration policies in the synthetic world: spec strings, the durations they give, and
the truth of their effects."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy.stats import rankdata

import synthetic
from outcomes.errors import OutcomesError
from synthetic.policies import (
    DEFAULT_POLICIES,
    AreaCounts,
    CohortWorlds,
    Policy,
    PolicyOutcomes,
    PolicySpecError,
    linear_quantiles,
    parse_policies,
    parse_policy,
)
from synthetic.truth import HORIZONS_YEARS, Truth

YEAR = 365.25
CODES = ["LA001", "LA002", "LA003", "LA004"]
CONTRASTS = ("policy_risk_difference", "policy_direct", "policy_through_order")


# ---------------------------------------------------------------- spec strings


def test_specs_parse() -> None:
    assert parse_policy("cap:26") == Policy("cap:26", "cap", weeks=26.0)
    assert parse_policy(" shift:-4 ") == Policy("shift:-4", "shift", weeks=-4.0, floor_weeks=8.0)
    assert parse_policy("shift:-4:floor=10").floor_weeks == 10.0
    assert parse_policy("shift:2").weeks == 2.0
    assert parse_policy("match:best_quartile").reference == "best_quartile"
    assert parse_policy("match:LA003") == Policy("match:LA003", "match", reference="LA003")
    assert [p.spec for p in parse_policies(DEFAULT_POLICIES)] == list(DEFAULT_POLICIES)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("cap:x", "not a number"),
        ("cap:nan", "not a number"),
        ("cap:0", "above 0"),
        ("cap:26:floor=8", "is not one of"),
        ("shift:", "is not one of"),
        ("shift:-4:flor=10", "floor=F"),
        ("shift:-4:floor=-1", "negative"),
        ("match:", "is not one of"),
        ("trim:26", "is not one of"),
        ("26", "is not one of"),
        (26, "must be a string"),
    ],
)
def test_bad_specs_are_refused_clearly(spec: object, message: str) -> None:
    with pytest.raises(PolicySpecError, match=message):
        parse_policy(spec)  # type: ignore[arg-type]


def test_bad_lists_are_refused() -> None:
    with pytest.raises(PolicySpecError, match="twice"):
        parse_policies(["cap:26", "cap:26"])
    with pytest.raises(PolicySpecError, match="natural"):
        parse_policies(["natural"])
    with pytest.raises(PolicySpecError, match="list"):
        parse_policies("cap:26")
    assert issubclass(PolicySpecError, OutcomesError)  # a user error at the command line


def test_generate_refuses_bad_policies_before_generating() -> None:
    with pytest.raises(PolicySpecError, match="cap:x"):
        synthetic.generate("default", n_applications=200, seed=1, policies=["cap:x"])
    with pytest.raises(PolicySpecError, match="LA code of this world"):
        synthetic.generate("default", n_applications=200, seed=1, policies=["match:E09000001"])


# ---------------------------------------------------------------- durations by hand


def _durations(spec: str, days: list[int], area: list[int]) -> np.ndarray:
    return parse_policy(spec).durations(np.array(days), np.array(area), CODES)


def test_cap() -> None:
    got = _durations("cap:26", [30, 182, 183, 400], [0, 0, 1, 1])
    assert got.tolist() == [30, 182, 182, 182]
    assert _durations("cap:20.5", [200], [0]).tolist() == [143.5]


def test_shift_with_floor() -> None:
    days = [20, 56, 60, 84, 85, 300]
    area = [0] * 6
    # max(D - 28, min(D, 56)): under the floor nothing moves; nobody moves below it
    assert _durations("shift:-4", days, area).tolist() == [20, 56, 56, 56, 57, 272]
    assert _durations("shift:-4:floor=10", [60, 84, 100], [0] * 3).tolist() == [60, 70, 72]
    assert _durations("shift:2", [20, 300], [0, 0]).tolist() == [34, 314]


def _mid_ranks(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    counts = AreaCounts.of(values, groups)
    cells = np.flatnonzero(counts.counts.ravel())
    return counts.children(counts.mid_rank_quantiles(cells), cells)


def test_mid_rank_quantiles_by_hand_and_against_scipy() -> None:
    values = np.array([20, 10, 40, 20, 300, 100])
    groups = np.array([0, 0, 0, 0, 1, 1])
    # area 0: ranks 2.5, 1, 4, 2.5 of 4; area 1: 2, 1 of 2
    expected = [2.0 / 4, 0.5 / 4, 3.5 / 4, 2.0 / 4, 1.5 / 2, 0.5 / 2]
    assert _mid_ranks(values, groups).tolist() == expected
    rng = np.random.default_rng(7)
    for high in (60, 10**9):  # many ties; a long tail (counted over distinct values)
        values = rng.integers(20, high, 500)
        groups = rng.integers(0, 9, 500)
        u = _mid_ranks(values, groups)
        for g in range(9):
            inside = groups == g
            ref = (rankdata(values[inside], method="average") - 0.5) / inside.sum()
            np.testing.assert_allclose(u[inside], ref, rtol=0, atol=1e-15)
    with pytest.raises(TypeError, match="whole days"):
        AreaCounts.of(values + 0.5, groups)


def test_linear_quantiles_are_numpys() -> None:
    rng = np.random.default_rng(3)
    for n in (1, 2, 7, 1000):
        x = np.sort(rng.integers(10, 500, n).astype(float))
        q = np.r_[0.0, 1.0, 0.5, rng.random(300), (np.arange(n) + 0.5) / n]
        assert np.array_equal(linear_quantiles(x, q), np.quantile(x, q))


def test_match_national_and_area_by_hand() -> None:
    days = [10, 20, 20, 40, 100, 300]
    area = [0, 0, 0, 0, 1, 1]
    # pooled sorted 10, 20, 20, 40, 100, 300; quantile u at position 5u, linear
    # u = 1/8 -> 0.625 -> 16.25; 1/2 -> 2.5 -> 30; 7/8 -> 4.375 -> 175; 1/4 -> 20;
    # 3/4 -> 3.75 -> 85
    national = _durations("match:national", days, area)
    assert national.tolist() == [16.25, 30, 30, 175, 20, 85]
    # area LA002's durations 100, 300: u -> 100 + 200 u
    to_la002 = _durations("match:LA002", days, area)
    assert to_la002.tolist() == [125, 200, 200, 275, 150, 250]
    with pytest.raises(PolicySpecError, match="no child of the disposal cohort"):
        _durations("match:LA004", days, area)


def test_match_best_quartile_by_hand() -> None:
    days = [10, 20, 20, 40, 100, 300, 50, 60, 70, 5, 400]
    area = [0, 0, 0, 0, 1, 1, 2, 2, 2, 3, 3]
    # medians 20, 200, 60, 202.5; their first quartile 20 + 0.75 * 40 = 50: area 0 only
    best = AreaCounts.of(np.array(days), np.array(area)).best_quartile()
    assert best.tolist() == [True, False, False, False]
    got = _durations("match:best_quartile", days, area)
    # reference 10, 20, 20, 40 (position 3u); area 1's u = 1/4, 3/4 -> positions 0.75,
    # 2.25 -> 17.5, 25
    assert got[4:6].tolist() == [17.5, 25]
    # area 2's u = 1/6, 1/2, 5/6 -> positions 0.5, 1.5, 2.5 -> 15, 20, 30
    assert got[6:9].tolist() == [15, 20, 30]
    # the best area moves within its own distribution: u = 1/8, 1/2, 1/2, 7/8 ->
    # positions 0.375, 1.5, 1.5, 2.625
    assert got[:4].tolist() == [13.75, 20, 20, 32.5]
    rng = np.random.default_rng(11)
    for high in (400, 10**9):  # counted over a range of days, or over distinct values
        values = rng.integers(20, high, 3000)
        groups = rng.choice([0, 2, 3, 5, 6, 7, 9, 12], 3000)
        medians = {g: np.median(values[groups == g]) for g in np.unique(groups)}
        cut = np.quantile(list(medians.values()), 0.25)
        best = AreaCounts.of(values, groups).best_quartile()
        assert best.tolist() == [g in medians and medians[g] <= cut for g in range(13)]
    # an area absent from the cohort is no area: best quartile over those present
    assert AreaCounts.of(np.array([30, 10]), np.array([3, 1])).best_quartile().tolist() == [
        False,
        True,
        False,
        False,
    ]


# ---------------------------------------------------------------- truth in a world


@pytest.fixture(scope="module")
def world() -> synthetic.World:
    return synthetic.generate("default", n_applications=8_000, seed=12, faults=False)


def _y(event: pd.Series, time: pd.Series, h: float) -> np.ndarray:
    return ((event == "child_return") & (time <= h * YEAR)).to_numpy()


def test_truth_rows_and_labels(world: synthetic.World) -> None:
    t = world.truth
    assert t.policies == list(DEFAULT_POLICIES)
    table = t.table()
    policy = table[table["estimand"].str.startswith("policy_")]
    assert set(policy["estimand"]) == {
        "policy_risk",
        "policy_risk_difference",
        "policy_risk_ratio",
        "policy_direct",
        "policy_through_order",
        "policy_mean_weeks",
    }
    # per horizon: natural + 3 policies' risks, and 4 contrasts per policy
    assert len(policy) == 3 * (4 + 3 * 4) + 4
    assert set(policy.loc[policy["estimand"] == "policy_risk", "arm"]) == {
        "natural",
        *DEFAULT_POLICIES,
    }
    for h in HORIZONS_YEARS:
        rd = t.value("policy_risk_difference", h, "cap:26")
        assert rd == pytest.approx(
            t.value("policy_risk", h, "cap:26") - t.value("policy_risk", h, "natural"), abs=1e-15
        )
        for spec in DEFAULT_POLICIES:
            direct = t.value("policy_direct", h, spec)
            through = t.value("policy_through_order", h, spec)
            assert direct + through == pytest.approx(
                t.value("policy_risk_difference", h, spec), abs=1e-12
            )
            assert t.value("policy_risk_ratio", h, spec) == pytest.approx(
                t.value("policy_risk", h, spec) / t.value("policy_risk", h, "natural"), rel=1e-12
            )
    assert (policy["mc_std_error"] > 0).all()
    assert policy.loc[policy["estimand"] == "policy_mean_weeks", "horizon_years"].isna().all()


def test_truth_recomputed_from_the_policy_outcomes(world: synthetic.World) -> None:
    t, po = world.truth, world.potential_outcomes
    n = len(po)
    observed_short = (po["observed_arm"] == "short").to_numpy()
    days = np.where(observed_short, po["duration_days_short"], po["duration_days_long"])
    assert t.value("policy_mean_weeks", None, "natural") == pytest.approx(days.mean() / 7)
    for spec, frame in world.policy_outcomes.items():
        assert len(frame) == n
        assert t.value("policy_mean_weeks", None, spec) == pytest.approx(
            frame["duration_days"].mean() / 7, rel=1e-12
        )
        for h in HORIZONS_YEARS:
            y = _y(frame["event"], frame["time"], h)
            yd = _y(frame["event_order_natural"], frame["time_order_natural"], h)
            natural = t.value("policy_risk", h, "natural")
            assert t.value("policy_risk", h, spec) == pytest.approx(y.mean(), abs=1e-15)
            assert t.value("policy_direct", h, spec) == pytest.approx(
                yd.mean() - natural, abs=1e-15
            )
            # the Monte Carlo SE is that of the per-child paired contrast
            y0 = np.zeros(n, bool)
            for arm in ("short", "long"):
                mine = observed_short == (arm == "short")
                y0[mine] = _y(po[f"event_{arm}"], po[f"time_{arm}"], h)[mine]
            contrast = y.astype(float) - y0
            row = t.table().query("estimand == 'policy_risk_difference' and contrast == @spec")
            row = row[row["horizon_years"] == h].iloc[0]
            assert row["mc_std_error"] == pytest.approx(contrast.std(ddof=1) / np.sqrt(n))
    cap = world.policy_outcomes["cap:26"]["duration_days"].to_numpy()
    assert cap.max() <= 182 and np.array_equal(cap, np.minimum(days, 182))


def test_natural_course_is_the_observed_world(world: synthetic.World) -> None:
    """The natural course's risk is that of each child's observed-arm potential outcomes
    (consistency), and that of the clean world's uncensored first events."""
    t, po = world.truth, world.potential_outcomes
    cohort = world.clean.loc[world.clean["in_cohort"]]
    short = (po["observed_arm"] == "short").to_numpy()
    for h in HORIZONS_YEARS:
        y_arm = np.where(
            short,
            _y(po["event_short"], po["time_short"], h),
            _y(po["event_long"], po["time_long"], h),
        )
        y_clean = _y(cohort["first_event"].astype(str), cohort["first_event_days"], h)
        assert t.value("policy_risk", h, "natural") == y_arm.mean() == y_clean.mean()
    weeks = (cohort["planned_disposal_date"] - cohort["issue_date"]).dt.days / 7
    assert t.value("policy_mean_weeks", None, "natural") == pytest.approx(weeks.mean())


def test_natural_durations_recomputed_give_the_observed_world(
    world: synthetic.World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Worked out afresh for every child with :math:`D' = D`, the policy machinery gives
    each child's observed order and uncensored first event (consistency), which the
    truth's natural course uses without recomputing."""
    seen: list[CohortWorlds] = []
    under = CohortWorlds.under

    def spy(self: CohortWorlds, policy_days: np.ndarray) -> PolicyOutcomes:
        seen.append(self)
        return under(self, policy_days)

    monkeypatch.setattr(CohortWorlds, "under", spy)
    synthetic.generate("default", n_applications=8_000, seed=12, faults=False)
    cohort = seen[0]
    order, time, event, time_direct, event_direct = cohort.outcomes(slice(None), cohort.days)
    clean = world.clean.loc[world.clean["in_cohort"]]
    assert np.array_equal(order, clean["latent_order"].cat.codes.to_numpy())
    assert np.array_equal(time, clean["first_event_days"].to_numpy())
    assert np.array_equal(event, clean["first_event"].cat.codes.to_numpy())
    assert np.array_equal(time_direct, time) and np.array_equal(event_direct, event)


@pytest.mark.parametrize("share", [1.0, 0.3])
def test_policy_worlds_reproduce_the_arms(
    world: synthetic.World, monkeypatch: pytest.MonkeyPatch, share: float
) -> None:
    """With every child's (or a share of the children's) duration set to its *other*
    arm's, the policy machinery must give exactly that arm's potential outcomes, and with
    the order held at the natural one, the cross-world outcome of the arms (for children
    observed long). All children moving and a few moving take different code paths."""
    po = world.potential_outcomes
    short = (po["observed_arm"] == "short").to_numpy()
    days = np.where(short, po["duration_days_short"], po["duration_days_long"])
    other = np.where(short, po["duration_days_long"], po["duration_days_short"])
    moves = np.random.default_rng(1).random(len(po)) < share
    target = np.where(moves, other, days).astype(float)

    def fake(self: Policy, d: np.ndarray, area: np.ndarray, codes: list[str]) -> np.ndarray:
        assert np.array_equal(d, days)  # the cohort, in the order of potential_outcomes
        return target

    monkeypatch.setattr(Policy, "durations", fake)
    again = synthetic.generate("default", n_applications=8_000, seed=12, policies=["cap:26"])
    got = again.policy_outcomes["cap:26"]
    for col in ("order", "time", "event"):
        arm = {"order": "order_", "time": "time_", "event": "event_"}[col]
        expected = np.where(
            moves,
            np.where(short, po[arm + "long"].astype(str), po[arm + "short"].astype(str)),
            np.where(short, po[arm + "short"].astype(str), po[arm + "long"].astype(str)),
        )
        assert np.array_equal(got[col].astype(str).to_numpy(), expected), col
    long_moved = moves & ~short
    for col, cross in (
        ("time_order_natural", "time_short_order_long"),
        ("event_order_natural", "event_short_order_long"),
    ):
        assert np.array_equal(
            got[col].astype(str).to_numpy()[long_moved],
            po[cross].astype(str).to_numpy()[long_moved],
        )
    assert long_moved.sum() > 100


def test_default_cap_raises_returns(world: synthetic.World) -> None:
    """hr_short > 1: moving every long case within 26 weeks raises the return risk, and
    most of it is direct (the order held)."""
    t = world.truth
    assert world.scenario["returns.hr_short"] > 1
    table = t.table()
    for h in HORIZONS_YEARS:
        row = table[
            (table["estimand"] == "policy_risk_difference")
            & (table["contrast"] == "cap:26")
            & (table["horizon_years"] == h)
        ].iloc[0]
        assert row["estimate"] > 3 * row["mc_std_error"]
        assert t.value("policy_direct", h, "cap:26") > 0
    natural_weeks = t.value("policy_mean_weeks", None, "natural")
    for spec in DEFAULT_POLICIES:
        assert t.value("policy_mean_weeks", None, spec) < natural_weeks


def test_null_policies_are_zero_without_competing_events() -> None:
    """In ``null`` (HR 1, orders independent of duration) a child's return time from
    disposal does not depend on its duration (common random numbers), so without
    competing events every policy contrast is exactly 0 for every child."""
    s = synthetic.load_scenario("null").replace(
        events__age_out=150.0, events__death_rate=1e-9, events__adoption_p=0.0
    )
    world = synthetic.generate(s, n_applications=3_000, seed=3, faults=False)
    table = world.truth.table()
    contrasts = table[table["estimand"].isin(CONTRASTS)]
    assert len(contrasts) == 27
    assert (contrasts["estimate"] == 0).all() and (contrasts["mc_std_error"] == 0).all()
    ratio = table[table["estimand"] == "policy_risk_ratio"]
    assert (ratio["estimate"] == 1).all()


def test_null_policies_are_near_zero() -> None:
    """With competing events, earlier disposal leaves more time before ageing out (and
    death): the policies' effects in ``null`` are small, not exactly 0 (as the arms')."""
    world = synthetic.generate("null", n_applications=10_000, seed=3, faults=False)
    table = world.truth.table()
    contrasts = table[table["estimand"].isin(CONTRASTS)]
    assert contrasts["estimate"].abs().max() < 0.002
    assert table.loc[table["estimand"] == "policy_through_order", "estimate"].abs().max() < 0.001


def test_truth_json_round_trip(world: synthetic.World) -> None:
    data = json.loads(world.truth.to_json())
    back = Truth(**data)
    assert back.to_json() == world.truth.to_json()
    assert back.value("policy_risk_difference", 2, "cap:26") == world.truth.value(
        "policy_risk_difference", 2, "cap:26"
    )
    assert back.value("policy_mean_weeks", None, "shift:-4") == pytest.approx(
        world.truth.value("policy_mean_weeks", None, "shift:-4")
    )
    assert data["policies"] == list(DEFAULT_POLICIES)


def test_other_policies_from_generate_and_scenario() -> None:
    w = synthetic.generate(
        "default",
        n_applications=1_500,
        seed=2,
        faults=False,
        policies=["shift:-4:floor=10", "match:national", "match:LA002"],
    )
    assert w.truth.policies == ["shift:-4:floor=10", "match:national", "match:LA002"]
    assert set(w.policy_outcomes) == set(w.truth.policies)
    assert w.truth.value("policy_risk_difference", 5, "match:LA002") == pytest.approx(
        w.truth.value("policy_risk", 5, "match:LA002") - w.truth.value("policy_risk", 5, "natural")
    )
    s = synthetic.load_scenario("default").replace(truth__policies=["cap:30"])
    assert synthetic.generate(s, n_applications=800, seed=2).truth.policies == ["cap:30"]


def test_scenarios_order_the_cap_effect(world: synthetic.World) -> None:
    """``mediated`` (no direct effect; duration acts through the order): capping acts
    through the order made, its direct part is only the shift of time zero; ``strong``
    (HR 1.8) gives a larger effect than ``default`` (HR 1.3), mostly direct."""
    mediated = synthetic.generate("mediated", n_applications=8_000, seed=12, faults=False)
    strong = synthetic.generate("strong", n_applications=8_000, seed=12, faults=False)
    for h in HORIZONS_YEARS:
        m = mediated.truth.table()
        through = m[
            (m["estimand"] == "policy_through_order")
            & (m["contrast"] == "cap:26")
            & (m["horizon_years"] == h)
        ].iloc[0]
        assert through["estimate"] > 4 * through["mc_std_error"]
        assert abs(mediated.truth.value("policy_direct", h, "cap:26")) < 0.001
        rd_strong = strong.truth.value("policy_risk_difference", h, "cap:26")
        assert rd_strong > world.truth.value("policy_risk_difference", h, "cap:26")
        assert strong.truth.value("policy_direct", h, "cap:26") > 0.5 * rd_strong

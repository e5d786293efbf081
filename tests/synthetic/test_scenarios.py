"""Scenario files: provenance on every number, inheritance, user copies."""

from __future__ import annotations

from pathlib import Path

import pytest

import synthetic
from synthetic.scenario import ScenarioError, load_scenario, scenario_names

PACKAGED = ("default", "null", "strong", "mediated", "poor_data", "small_area")


def test_all_scenarios_are_packaged() -> None:
    assert set(PACKAGED) <= set(scenario_names())


@pytest.mark.parametrize("name", PACKAGED)
def test_every_value_has_provenance(name: str) -> None:
    s = load_scenario(name)
    assert set(s.values) == set(s.provenance)
    for key, text in s.provenance.items():
        kind, _, why = text.partition(": ")
        assert kind in ("source", "assumed"), key
        assert len(why) > 10, key


def test_inherited_scenarios_state_only_differences() -> None:
    default = load_scenario("default")
    strong = load_scenario("strong")
    assert strong["returns.hr_short"] == 1.8
    assert default["returns.hr_short"] == 1.3
    differing = {k for k in default.values if default[k] != strong[k]}
    assert differing == {"returns.hr_short"}
    assert load_scenario("null")["returns.hr_short"] == 1.0
    assert load_scenario("mediated")["returns.hr_short"] == 1.0
    assert load_scenario("small_area")["areas.n_dfj"] == 1


def test_user_copy_with_changes(tmp_path: Path) -> None:
    mine = tmp_path / "mine.toml"
    mine.write_text(
        'inherit = "default"\n[returns]\n'
        'hr_short = { value = 1.5, assumed = "my sensitivity scenario" }\n',
        encoding="utf-8",
    )
    s = load_scenario(mine)
    assert s.name == "mine" and s["returns.hr_short"] == 1.5
    world = synthetic.generate(mine, n_applications=500, seed=1, faults=False)
    assert world.truth.conditional_hr == 1.5
    assert world.dataset.manifest.scenario == "mine"


def test_number_without_provenance_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('inherit = "default"\n[returns]\nhr_short = 1.5\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match="provenance"):
        load_scenario(bad)
    worse = tmp_path / "worse.toml"
    worse.write_text('inherit = "default"\n[returns]\nhr_short = { value = 1.5 }\n')
    with pytest.raises(ScenarioError, match="source"):
        load_scenario(worse)


def test_unknown_parameter_and_name_are_refused(tmp_path: Path) -> None:
    typo = tmp_path / "typo.toml"
    typo.write_text(
        'inherit = "default"\n[returns]\nhr_shrot = { value = 1, assumed = "x y z" }\n'
    )
    with pytest.raises(ScenarioError, match="hr_shrot"):
        load_scenario(typo)
    with pytest.raises(ScenarioError, match="no scenario"):
        load_scenario("no_such_scenario")


def test_replace_in_code() -> None:
    s = load_scenario("default").replace(returns__hr_short=2.0)
    assert s["returns.hr_short"] == 2.0
    assert s.provenance["returns.hr_short"].startswith("assumed")

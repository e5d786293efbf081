"""Adding truths must not change a world: saved validation runs regenerate their worlds
from scenario and seed and rely on getting the same data back.

The digests below were taken from worlds generated before the duration policies'
truth existed. Each is the SHA-256 of a table written as CSV (pandas' text of every
value, so any change of a value, a row or a column shows), and of the JSON of the
truth rows that existed then.
"""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import pytest

import synthetic

EARLIER_ESTIMANDS = {"cif", "risk_difference", "risk_ratio", "natural_direct", "natural_indirect"}

DIGESTS = {
    ("default", 1_500, 5, True): {
        "proceedings": "a5ebd6a35cff32477171be845c0f84581f0e8b475ff8c7310a7c7a39fef6ca92",
        "child_events": "209f88fac13126d61b96b09e43d6f020e3fe6c6cb4b341d4391c06ca3e0c7f0a",
        "care_episodes": "e066d10cf52ba3cd16e6d12c1a9223fafb97adca709535a0290271f87e4fe0f4",
        "clean": "2dac7422707fde6c008d29b47fe7344daf89386fa3b59d07aedf6d68074072f3",
        "potential_outcomes": "e51875dac873436ed934301a6692a6f75c4caddd3323c236bc384ddb37085901",
        "faults": "642008179734ff18dc624966f301448995464a6a8edc06b77e74767dd6ae7cce",
        "truth_rows": "4a6431021057981c7b5572ea8b20d2125fb8169a403f41f1411ef6057082306c",
    },
    ("mediated", 1_200, 2, False): {
        "proceedings": "3619bcd4517241c1f1ec617e3f07d3dc757403fba00e97fe5b2896829c6222a3",
        "child_events": "35ec52f58e801742d47a9cbd10ed3d1d94fb95111078c3961b0acf93a06c686e",
        "care_episodes": "0e20134d3ea28b627f18c64020ec343f3cb02ff2f43c6492c0d6f8e789869a0d",
        "clean": "ca3083cf05281789f5716a6a68b5bc3e218cb106d5a2e9b7b609ac0800fae61b",
        "potential_outcomes": "ffa6116cc8cd14bdcc29639da1ebfb566b10e80b4efd27c51591fe4f16b22f4b",
        "faults": "4158acfef2aa365b18e2b23de04b7a0a3488233db8db77aedddeb8a6bd7b9249",
        "truth_rows": "45b0a4a711a17b45be84d8952b66060c084a7dbd17af1fa913ebb6f8447c0989",
    },
}


def _sha(frame: pd.DataFrame) -> str:
    return hashlib.sha256(frame.to_csv(index=False).encode()).hexdigest()


def _digests(world: synthetic.World) -> dict[str, str]:
    ds = world.dataset
    rows = [
        r
        for r in json.loads(world.truth.to_json())["estimands"]
        if r["estimand"] in EARLIER_ESTIMANDS
    ]
    return {
        "proceedings": _sha(ds.proceedings),
        "child_events": _sha(ds.child_events),
        "care_episodes": _sha(ds.care_episodes),
        "clean": _sha(world.clean),
        "potential_outcomes": _sha(world.potential_outcomes),
        "faults": _sha(world.faults),
        "truth_rows": hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest(),
    }


@pytest.mark.parametrize(("scenario", "n", "seed", "faults"), list(DIGESTS))
def test_worlds_and_earlier_truth_are_unchanged(
    scenario: str, n: int, seed: int, faults: bool
) -> None:
    world = synthetic.generate(scenario, n_applications=n, seed=seed, faults=faults)
    assert world.truth.policies  # the policies' truth is there, and changed nothing else
    assert _digests(world) == DIGESTS[(scenario, n, seed, faults)]


def test_policies_change_the_truth_only() -> None:
    a = synthetic.generate("default", n_applications=1_000, seed=4, policies=[])
    b = synthetic.generate("default", n_applications=1_000, seed=4, policies=["cap:20"])
    assert not a.truth.policies and not a.policy_outcomes
    assert {r["estimand"] for r in a.truth.estimands} == EARLIER_ESTIMANDS
    assert a.dataset.proceedings.equals(b.dataset.proceedings)
    assert a.clean.equals(b.clean) and a.faults.equals(b.faults)
    assert a.potential_outcomes.equals(b.potential_outcomes)
    assert a.truth.estimands == [
        r for r in b.truth.estimands if r["estimand"] in EARLIER_ESTIMANDS
    ]

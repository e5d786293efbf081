"""Adding truths must not change a world: saved validation runs regenerate their worlds
from scenario and seed and rely on getting the same data back.

The digests below were taken from worlds of the generator in which a mother's births
are at least ``recurrence.min_birth_gap_days`` apart and a child who dies during
proceedings gets no disposal and no order; a change that moves them must regenerate
every saved validation run. Each is the SHA-256 of a table written as CSV (pandas' text of every
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
        "proceedings": "725365f7394e398e037a003fd9bd715aa2ffc099b8b2fa94029765e4193d8d55",
        "child_events": "1dad529510155bfec390c97eb3419d564ed3d5cd6a40ae8a75c4df3b934a6358",
        "care_episodes": "522eb9edc2a583205847eb83769c79b32a40e26d197b2753408b79a47a4b49fc",
        "clean": "9a6a871d35d3539ac96f2631bf5943b372ee9521a37c871b07afcb668afcbcda",
        "potential_outcomes": "bc6cf330de7bc8c023808bb574f652d4827d03eed8a983a60bc57e7feb1046b8",
        "faults": "f2aea891b022a31b3975836e76c075d3c13d9b487899f65b7023ab4e3115d87b",
        "truth_rows": "8caa203203c268fd82a99bd3200acc63604440ed202f87f5440d425c7a85832c",
    },
    ("mediated", 1_200, 2, False): {
        "proceedings": "c9f3f67bd26a1e9deabc4f063f7264c47d55c0c22ad901ba273584750d01ceab",
        "child_events": "ba7714c211a5b06dff14800be377cea451424178fba4d412e3210a9c5598b86f",
        "care_episodes": "4cce2d1eb25febd0628600bc4c1691b674cc10de0675b76f5ca4780aca53fe59",
        "clean": "078a13fbf407e4e74c3c2511cf41c535db25cba0ff5f3338d34a46f83619d73b",
        "potential_outcomes": "ab1b4ef492ca92b5f6292044db80a1da5b0f8c9ce6c92f576f6bb135c753f5ef",
        "faults": "4158acfef2aa365b18e2b23de04b7a0a3488233db8db77aedddeb8a6bd7b9249",
        "truth_rows": "76fe691eca2b7f859960875368913d8c839e4671f64b52418c957ab0602f4828",
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

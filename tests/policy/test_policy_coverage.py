"""Does the policy effect's interval cover the truth about 95% of the time?

The simulation is ``validation/policy_coverage.py`` (its docstring gives the design):
200 ``default`` worlds of 1,500 applications, each analysed by
``DurationPolicyEffect`` with 100 bootstrap replicates and every confounder of
duration measured; the estimand of each of three policies is its 2-year risk
difference. These tests check the saved run as the other coverage runs are checked:
every replicate is there with its seeded stream, the first world's estimates are what
the code computes today, the summary is the replicates', and the coverage lies in the
92-98% band.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from validation import policy_coverage as pc


@pytest.fixture(scope="module")
def saved() -> pd.DataFrame:
    return pc.study().read(pc.CHUNKS)


@pytest.fixture(scope="module")
def summary() -> pd.DataFrame:
    return pd.read_csv(pc.SUMMARY)


def measure(summary: pd.DataFrame, policy: str, name: str) -> pd.Series:
    row = summary.loc[(summary["estimand"] == policy) & (summary["measure"] == name)]
    assert len(row) == 1, (policy, name)
    return row.iloc[0]


def test_the_saved_worlds_are_the_seeded_runs_first(saved: pd.DataFrame) -> None:
    # the run writes a chunk of worlds at a time and continues where it stopped: what
    # is saved is its first chunks, every world once with one row per policy
    fingerprint = json.loads((pc.CHUNKS / "study.json").read_text())
    assert fingerprint["n_reps"] == pc.REPLICATES == 200
    assert fingerprint["seed"] == pc.SEED
    chunks = sorted(p.name for p in pc.CHUNKS.glob("chunk-*.parquet"))
    assert chunks == [f"chunk-{i:06d}.parquet" for i in range(len(chunks))]
    assert saved["error"].isna().all(), saved["error"].dropna().unique()[:3]
    worlds = saved["rep"].nunique()
    assert sorted(saved["rep"].unique()) == list(range(worlds))
    assert worlds == min(pc.REPLICATES, pc.CHUNK * len(chunks))
    counts = saved.groupby("estimand")["rep"].agg(["nunique", "size"])
    assert set(counts.index) == set(pc.POLICIES)
    assert (counts["nunique"] == worlds).all() and (counts["size"] == worlds).all()


@pytest.mark.parametrize("policy", pc.POLICIES)
def test_coverage_is_in_the_band(summary: pd.DataFrame, policy: str) -> None:
    coverage = measure(summary, policy, "coverage")
    assert 0.92 <= coverage["estimate"] <= 0.98, coverage.to_dict()


@pytest.mark.parametrize("policy", pc.POLICIES)
def test_the_bias_is_small_beside_the_spread_and_the_error_not_understated(
    summary: pd.DataFrame, policy: str
) -> None:
    # a bias, if any, small beside the estimates' spread: it does not drive the coverage
    bias = measure(summary, policy, "bias")["estimate"]
    assert abs(bias) < 0.5 * measure(summary, policy, "emp_se")["estimate"]
    # the bootstrap's standard error does not understate the estimates' spread
    relative = measure(summary, policy, "rel_error_model_se")
    assert relative["estimate"] > -3 * relative["mcse"], relative.to_dict()


def test_summary_is_the_replicates(saved: pd.DataFrame, summary: pd.DataFrame) -> None:
    again = pc.summarise(saved)
    merged = again.merge(summary, on=["estimand", "measure"], suffixes=("", "_saved"))
    assert len(merged) == len(summary) == len(again)
    assert np.allclose(merged["estimate"], merged["estimate_saved"], equal_nan=True)
    assert np.allclose(merged["mcse"], merged["mcse_saved"], equal_nan=True)


def test_the_first_world_is_what_the_code_computes(saved: pd.DataFrame) -> None:
    # The point estimates and the truth: the bootstrap is the only costly part, and its
    # draws are the seeded stream's (checked by the simulation framework's own tests).
    rng = np.random.default_rng(np.random.SeedSequence(pc.SEED, spawn_key=(0, 0)))
    data, truth = pc.generate({"n_applications": pc.N_APPLICATIONS}, rng)
    rows = pc.g_formula(data, {"n_boot": 2})
    first = saved.loc[saved["rep"] == 0].set_index("estimand")
    for row in rows:
        expected = first.loc[row["estimand"]]
        assert np.isclose(row["estimate"], expected["estimate"], rtol=1e-9, atol=1e-12)
        assert truth[row["estimand"]] == expected["truth"]
